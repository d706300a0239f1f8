// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fdb-agent - the anchor of bench-miss: Linux's own answer to "where does
 * this MAC live", for a vxlan device created with `l2miss`. The kernel
 * reports each miss as an RTM_GETNEIGH notification (NDA_LLADDR; vxlan
 * sets the family to AF_INET) on RTNLGRP_NEIGH and drops the frame; this agent answers
 * every such miss on IFNAME by installing an fdb entry (RTM_NEWNEIGH,
 * NTF_SELF) sending the MAC to DST_IP, the way a real control plane would.
 *
 *   fdb-agent IFNAME DST_IP
 *
 * Prints "ready" once subscribed; FDB_AGENT_DEBUG=1 in the environment
 * logs every notification on stderr. Single-threaded,
 * IPv4 destinations only; runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void add_attr(struct nlmsghdr *h, unsigned short type, const void *data,
		     unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_NEIGH };
	struct in_addr dst;
	unsigned int ifindex;
	int fd;

	if (argc != 3 || inet_pton(AF_INET, argv[2], &dst) != 1) {
		fprintf(stderr, "usage: fdb-agent IFNAME DST_IPV4\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "fdb-agent: no interface %s\n", argv[1]);
		return 1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	/* A burst of misses must not overflow the socket: as big as allowed. */
	int rcvbuf = 16 << 20;
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("fdb-agent: netlink");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			perror("fdb-agent: recv");
			return 1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct ndmsg *ndm = NLMSG_DATA(h);
			const uint8_t *mac = NULL;
			int alen;

			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					fprintf(stderr, "fdb-agent: RTM_NEWNEIGH: %s\n",
						strerror(-e->error));
				continue;
			}
			if (getenv("FDB_AGENT_DEBUG"))
				fprintf(stderr, "msg type %u family %u ifindex %d\n",
					h->nlmsg_type, ndm->ndm_family, ndm->ndm_ifindex);
			/* vxlan reports misses with family AF_INET. */
			if (h->nlmsg_type != RTM_GETNEIGH || ndm->ndm_ifindex != (int)ifindex)
				continue;
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm)));
			for (struct rtattr *a = (struct rtattr *)((char *)ndm +
					NLMSG_ALIGN(sizeof(*ndm)));
			     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6)
					mac = RTA_DATA(a);
			if (!mac)
				continue;
			struct {
				struct nlmsghdr h;
				struct ndmsg ndm;
				char attrs[64];
			} req = {
				.h = {
					.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
					.nlmsg_type = RTM_NEWNEIGH,
					.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE |
						       NLM_F_REPLACE,
				},
				.ndm = {
					.ndm_family = AF_BRIDGE,
					.ndm_ifindex = (int)ifindex,
					.ndm_state = NUD_REACHABLE,
					.ndm_flags = NTF_SELF,
				},
			};
			add_attr(&req.h, NDA_LLADDR, mac, 6);
			add_attr(&req.h, NDA_DST, &dst, 4);
			struct sockaddr_nl k = { .nl_family = AF_NETLINK };
			if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&k,
				   sizeof(k)) < 0)
				perror("fdb-agent: send");
		}
	}
}
