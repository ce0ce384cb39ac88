#!/usr/bin/env python3
"""Write a C file defining `const char NAME[]`: the bytes of a file, NUL-terminated.

Usage: embed-json.py INPUT OUTPUT NAME. Keeps berth's binaries self-contained: the default
seccomp profile is data in the source tree and a string in the program.
"""
import sys

src, dst, name = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* Generated from %s by data/embed-json.py. */\n' % src.split('/')[-1])
    out.write('#include <stddef.h>\n')
    out.write('extern const char %s[];\nextern const size_t %s_len;\n' % (name, name))
    out.write('const char %s[] = {\n' % name)
    for i in range(0, len(data), 16):
        out.write('  ' + ''.join('0x%02x,' % b for b in data[i:i + 16]) + '\n')
    out.write('  0x00\n};\n')
    out.write('const size_t %s_len = %d;\n' % (name, len(data)))
