/* nf_tables over NETLINK_NETFILTER by hand: a batch of one request, its ack read back. */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/macros.h"
#include "nfnl.h"

#define NFPROTO_IPV4_ 2 /* linux/netfilter.h clashes with netinet/in.h */
#define ALIGN4(n)     (((n) + 3u) & ~3u)

typedef struct msgbuf {
        char data[4096];
        size_t len;
} msgbuf;

static struct nlmsghdr *msg_begin(msgbuf *b, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id,
                                  uint32_t seq)
{
        struct nlmsghdr *n = (struct nlmsghdr *)(b->data + b->len);
        struct nfgenmsg *g = (struct nfgenmsg *)NLMSG_DATA(n);

        memset(n, 0, NLMSG_SPACE(sizeof(*g)));
        n->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
        n->nlmsg_type = type;
        n->nlmsg_flags = flags;
        n->nlmsg_seq = seq;
        g->nfgen_family = family;
        g->version = NFNETLINK_V0;
        g->res_id = htobe16(res_id);
        return n;
}

static void msg_end(msgbuf *b, struct nlmsghdr *n)
{
        b->len += NLMSG_ALIGN(n->nlmsg_len);
}

static struct nlattr *attr_put(struct nlmsghdr *n, uint16_t type, const void *data, size_t len)
{
        struct nlattr *a = (struct nlattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

        a->nla_type = type;
        a->nla_len = (uint16_t)(NLA_HDRLEN + len);
        if (len)
                memcpy((char *)a + NLA_HDRLEN, data, len);
        memset((char *)a + NLA_HDRLEN + len, 0, ALIGN4(len) - len);
        n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + NLA_ALIGN(a->nla_len);
        return a;
}

static struct nlattr *nest_start(struct nlmsghdr *n, uint16_t type)
{
        return attr_put(n, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct nlmsghdr *n, struct nlattr *a)
{
        a->nla_len = (uint16_t)((char *)n + n->nlmsg_len - (char *)a);
}

/* Send b; the answer to message seq: 0 or -errno. */
static int talk(msgbuf *b, uint32_t seq, bool want_data)
{
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        char buf[8192];
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER), r = -EIO;
        bool data = false;

        if (fd < 0)
                return -errno;
        if (sendto(fd, b->data, b->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
                r = -errno;
                goto out;
        }
        for (;;) {
                ssize_t k = recv(fd, buf, sizeof(buf), 0);
                if (k < 0) {
                        r = -errno;
                        goto out;
                }
                for (struct nlmsghdr *n = (struct nlmsghdr *)buf; NLMSG_OK(n, (size_t)k);
                     n = NLMSG_NEXT(n, k)) {
                        if (n->nlmsg_seq != seq)
                                continue;
                        if (n->nlmsg_type == NLMSG_ERROR) {
                                struct nlmsgerr *e = NLMSG_DATA(n);
                                r = e->error;
                                if (r == 0 && want_data)
                                        r = data ? 1 : 0;
                                goto out;
                        }
                        if (n->nlmsg_type == NLMSG_DONE) {
                                r = data ? 1 : 0;
                                goto out;
                        }
                        data = true;
                }
        }
out:
        close(fd);
        return r;
}

int nfnl_table_exists(const char *name)
{
        msgbuf b = {.len = 0};
        uint32_t seq = (uint32_t)time(NULL);
        struct nlmsghdr *n = msg_begin(&b, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
                                       NLM_F_REQUEST | NLM_F_ACK, NFPROTO_IPV4_, 0, seq);
        int r;

        attr_put(n, NFTA_TABLE_NAME, name, strlen(name) + 1);
        msg_end(&b, n);
        r = talk(&b, seq, true);
        return r == -ENOENT ? 0 : r;
}

/* One request between a batch's begin and end. */
static int batch(uint16_t type, uint16_t flags, const char *table, const char *map, const void *key,
                 size_t klen, const void *data, size_t dlen)
{
        msgbuf b = {.len = 0};
        uint32_t seq = (uint32_t)time(NULL);
        struct nlmsghdr *n =
                msg_begin(&b, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq);

        msg_end(&b, n);
        n = msg_begin(&b, (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type), NLM_F_REQUEST | NLM_F_ACK | flags,
                      NFPROTO_IPV4_, 0, seq + 1);
        if (type == NFT_MSG_DELTABLE) {
                attr_put(n, NFTA_TABLE_NAME, table, strlen(table) + 1);
        } else {
                attr_put(n, NFTA_SET_ELEM_LIST_TABLE, table, strlen(table) + 1);
                attr_put(n, NFTA_SET_ELEM_LIST_SET, map, strlen(map) + 1);
                struct nlattr *list = nest_start(n, NFTA_SET_ELEM_LIST_ELEMENTS);
                struct nlattr *el = nest_start(n, NFTA_LIST_ELEM);
                struct nlattr *k = nest_start(n, NFTA_SET_ELEM_KEY);
                attr_put(n, NFTA_DATA_VALUE, key, klen);
                nest_end(n, k);
                if (data) {
                        struct nlattr *d = nest_start(n, NFTA_SET_ELEM_DATA);
                        attr_put(n, NFTA_DATA_VALUE, data, dlen);
                        nest_end(n, d);
                }
                nest_end(n, el);
                nest_end(n, list);
        }
        msg_end(&b, n);
        n = msg_begin(&b, NFNL_MSG_BATCH_END, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq + 2);
        msg_end(&b, n);
        return talk(&b, seq + 1, false);
}

int nfnl_map_element(const char *table, const char *map, const void *key, size_t klen, const void *data,
                     size_t dlen)
{
        return data ? batch(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, table, map, key, klen, data, dlen)
                    : batch(NFT_MSG_DELSETELEM, 0, table, map, key, klen, NULL, 0);
}

int nfnl_table_delete(const char *name)
{
        return batch(NFT_MSG_DELTABLE, 0, name, NULL, NULL, 0, NULL, 0);
}
