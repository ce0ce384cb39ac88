/* rtnetlink requests over libmnl, each acknowledged before the next. */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/macros.h"
#include "netlink.h"

struct nl {
        struct mnl_socket *sock;
        unsigned portid;
        unsigned seq;
        char buf[32768]; /* MNL_SOCKET_DUMP_SIZE */
};

int nl_open(nl **ret, berth_error **err)
{
        nl *h = xcalloc(1, sizeof(*h));

        h->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!h->sock || mnl_socket_bind(h->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
                int e = errno;
                nl_close(h);
                return berth_error_say(err, e, "netlink socket: %s", strerror(e));
        }
        h->portid = mnl_socket_get_portid(h->sock);
        h->seq = (unsigned)time(NULL);
        *ret = h;
        return 0;
}

/* A socket belongs to the namespace it was made in: enter, open, come back. */
int nl_open_in(int netns_fd, nl **ret, berth_error **err)
{
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int r;

        if (self < 0)
                return berth_error_say(err, errno, "open own network namespace: %s", strerror(errno));
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return berth_error_say(err, errno, "enter network namespace: %s", strerror(errno));
        r = nl_open(ret, err);
        if (setns(self, CLONE_NEWNET) < 0)
                abort(); /* carrying on in the container's namespace would be worse */
        return r;
}

void nl_close(nl *h)
{
        if (!h)
                return;
        if (h->sock)
                mnl_socket_close(h->sock);
        free(h);
}

static struct nlmsghdr *msg_new(nl *h, uint16_t type, uint16_t flags)
{
        struct nlmsghdr *n = mnl_nlmsg_put_header(h->buf);

        n->nlmsg_type = type;
        n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        n->nlmsg_seq = ++h->seq;
        return n;
}

/* Send n and read the kernel's answer: 0, or a negative errno from its ack. */
static int talk(nl *h, struct nlmsghdr *n, mnl_cb_t cb, void *data)
{
        unsigned seq = n->nlmsg_seq;
        int r;

        if (mnl_socket_sendto(h->sock, n, n->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                ssize_t k = mnl_socket_recvfrom(h->sock, h->buf, sizeof(h->buf));
                if (k < 0)
                        return -errno;
                r = mnl_cb_run(h->buf, (size_t)k, seq, h->portid, cb, data);
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static int link_cb(const struct nlmsghdr *n, void *data)
{
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(n);

        *(int *)data = ifi->ifi_index;
        return MNL_CB_OK;
}

int nl_link_index(nl *h, const char *name)
{
        struct nlmsghdr *n = msg_new(h, RTM_GETLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(n, sizeof(*ifi));
        int index = 0, r;

        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(n, IFLA_IFNAME, name);
        r = talk(h, n, link_cb, &index);
        if (r < 0)
                return r;
        return index > 0 ? index : -ENODEV;
}

static int fail(berth_error **err, int r, const char *what, const char *name)
{
        return berth_error_say(err, -r, "%s %s: %s", what, name, strerror(-r));
}

int nl_bridge_add(nl *h, const char *name, berth_error **err)
{
        struct nlmsghdr *n = msg_new(h, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(n, sizeof(*ifi));
        struct nlattr *info;
        int r;

        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(n, IFLA_IFNAME, name);
        info = mnl_attr_nest_start(n, IFLA_LINKINFO);
        mnl_attr_put_strz(n, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(n, info);
        r = talk(h, n, NULL, NULL);
        return r < 0 ? fail(err, r, "create bridge", name) : 0;
}

int nl_veth_add(nl *h, const char *host, const char *peer, int peer_netns_fd, berth_error **err)
{
        struct nlmsghdr *n = msg_new(h, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(n, sizeof(*ifi));
        struct nlattr *info, *data, *pinfo;
        struct ifinfomsg *pifi;
        int r;

        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(n, IFLA_IFNAME, host);
        info = mnl_attr_nest_start(n, IFLA_LINKINFO);
        mnl_attr_put_strz(n, IFLA_INFO_KIND, "veth");
        data = mnl_attr_nest_start(n, IFLA_INFO_DATA);
        pinfo = mnl_attr_nest_start(n, VETH_INFO_PEER);
        pifi = mnl_nlmsg_put_extra_header(n, sizeof(*pifi));
        pifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(n, IFLA_IFNAME, peer);
        if (peer_netns_fd >= 0)
                mnl_attr_put_u32(n, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
        mnl_attr_nest_end(n, pinfo);
        mnl_attr_nest_end(n, data);
        mnl_attr_nest_end(n, info);
        r = talk(h, n, NULL, NULL);
        return r < 0 ? fail(err, r, "create veth", host) : 0;
}

int nl_link_set(nl *h, int ifindex, const char *name, int master, const uint8_t *mac, bool up,
                berth_error **err)
{
        struct nlmsghdr *n = msg_new(h, RTM_NEWLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(n, sizeof(*ifi));
        char what[32];
        int r;

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (up) {
                ifi->ifi_flags = IFF_UP;
                ifi->ifi_change = IFF_UP;
        }
        if (name)
                mnl_attr_put_strz(n, IFLA_IFNAME, name);
        if (master > 0)
                mnl_attr_put_u32(n, IFLA_MASTER, (uint32_t)master);
        if (mac)
                mnl_attr_put(n, IFLA_ADDRESS, ETH_ALEN, mac);
        r = talk(h, n, NULL, NULL);
        snprintf(what, sizeof(what), "#%d", ifindex);
        return r < 0 ? fail(err, r, "configure link", name ? name : what) : 0;
}

int nl_link_del(nl *h, const char *name, berth_error **err)
{
        struct nlmsghdr *n = msg_new(h, RTM_DELLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(n, sizeof(*ifi));
        int r;

        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(n, IFLA_IFNAME, name);
        r = talk(h, n, NULL, NULL);
        if (r == -ENODEV)
                return 0;
        return r < 0 ? fail(err, r, "delete link", name) : 0;
}

int nl_addr_add(nl *h, int ifindex, uint32_t addr, int prefix, berth_error **err)
{
        struct nlmsghdr *n = msg_new(h, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(n, sizeof(*ifa));
        uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
        uint32_t brd = addr | ~mask;
        int r;

        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (unsigned char)prefix;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned)ifindex;
        mnl_attr_put_u32(n, IFA_LOCAL, addr);
        mnl_attr_put_u32(n, IFA_ADDRESS, addr);
        if (prefix < 31)
                mnl_attr_put_u32(n, IFA_BROADCAST, brd);
        r = talk(h, n, NULL, NULL);
        return r < 0 ? fail(err, r, "add address to link", "") : 0;
}

int nl_route_add_default(nl *h, uint32_t gw, berth_error **err)
{
        struct nlmsghdr *n = msg_new(h, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
        struct rtmsg *rt = mnl_nlmsg_put_extra_header(n, sizeof(*rt));
        int r;

        rt->rtm_family = AF_INET;
        rt->rtm_table = RT_TABLE_MAIN;
        rt->rtm_protocol = RTPROT_BOOT;
        rt->rtm_scope = RT_SCOPE_UNIVERSE;
        rt->rtm_type = RTN_UNICAST;
        mnl_attr_put_u32(n, RTA_GATEWAY, gw);
        r = talk(h, n, NULL, NULL);
        return r < 0 ? fail(err, r, "add default route", "") : 0;
}

int nl_bridge_port_hairpin(nl *h, int ifindex, berth_error **err)
{
        struct nlmsghdr *n = msg_new(h, RTM_SETLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(n, sizeof(*ifi));
        struct nlattr *p;
        int r;

        ifi->ifi_family = AF_BRIDGE;
        ifi->ifi_index = ifindex;
        p = mnl_attr_nest_start(n, IFLA_PROTINFO | NLA_F_NESTED);
        mnl_attr_put_u8(n, IFLA_BRPORT_MODE, 1);
        mnl_attr_nest_end(n, p);
        r = talk(h, n, NULL, NULL);
        return r < 0 ? fail(err, r, "hairpin mode on port", "") : 0;
}
