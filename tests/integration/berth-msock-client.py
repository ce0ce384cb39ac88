#!/usr/bin/python3
# A bare client of berth-monitor's socket for the tests: berth-msock-client.py SOCKET REQUEST
# [--no-creds]. Prints the greeting line and the answer line.
import os
import socket
import struct
import sys

path, req = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rb")
print(f.readline().decode().rstrip("\n"))
data = (req + "\n").encode()
if "--no-creds" in sys.argv:
    s.sendall(data)
else:
    creds = struct.pack("iII", os.getpid(), os.getuid(), os.getgid())
    s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])
print(f.readline().decode().rstrip("\n"))
