// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * misslat - bench-miss's round-trip probe: for K fresh destination MACs in
 * turn, send one frame out of IFNAME (a packet socket) and time how long
 * until the answer is installed, then print the median and 99th percentile.
 *
 *   misslat ours IFNAME LINKID K SEED    overlay dynamic device: the
 *                                        entry turns VALID (CACHE_GET,
 *                                        polled every 20 us: each poll
 *                                        takes RTNL, as the responder's
 *                                        LOOKUP and RESPOND do)
 *   misslat linux IFNAME K SEED          Linux vxlan with l2miss: the fdb
 *                                        entry's RTM_NEWNEIGH arrives
 *                                        (netlink, no polling)
 *
 * Output, one line: "n K answered A p50_us P p99_us Q". A MAC not answered
 * within 2 s counts as unanswered and is left out of the percentiles.
 * Destination MACs are 02:cc:<SEED+i>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uapi/overlay.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static bool linux_answered(int nl, unsigned int ifindex, const uint8_t *mac,
			   double deadline)
{
	static char buf[65536];

	while (now_us() < deadline) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			return false;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct ndmsg *ndm = NLMSG_DATA(h);
			int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm)));

			if (h->nlmsg_type != RTM_NEWNEIGH || ndm->ndm_family != AF_BRIDGE ||
			    ndm->ndm_ifindex != (int)ifindex)
				continue;
			for (struct rtattr *a = (struct rtattr *)((char *)ndm +
					NLMSG_ALIGN(sizeof(*ndm)));
			     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6 &&
				    memcmp(RTA_DATA(a), mac, 6) == 0)
					return true;
		}
	}
	return false;
}

static bool ours_answered(int dev, uint32_t link, const uint8_t *mac, double deadline)
{
	while (now_us() < deadline) {
		struct overlay_ioc_cache c = { .oc_linkid = link };

		memcpy(c.oc_entry.otc_mac, mac, 6);
		if (ioctl(dev, OVERLAY_IOC_CACHE_GET, &c) == 0 &&
		    !(c.oc_entry.otc_flags & OVERLAY_TARG_CACHE_PENDING))
			return true;
		struct timespec ts = { .tv_nsec = 20000 };

		nanosleep(&ts, NULL);
	}
	return false;
}

int main(int argc, char **argv)
{
	bool ours = argc == 6 && strcmp(argv[1], "ours") == 0;
	bool lnx = argc == 5 && strcmp(argv[1], "linux") == 0;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned long k, seed, answered = 0;
	uint8_t f[60] = { 0 };
	uint32_t link = 0;
	double *lat;
	int pf, fd;

	if (!ours && !lnx) {
		fprintf(stderr, "usage: misslat ours IFNAME LINKID K SEED | linux IFNAME K SEED\n");
		return 2;
	}
	sll.sll_ifindex = (int)if_nametoindex(argv[2]);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "misslat: no interface %s\n", argv[2]);
		return 1;
	}
	if (ours)
		link = (uint32_t)strtoul(argv[3], NULL, 0);
	k = strtoul(argv[ours ? 4 : 3], NULL, 0);
	seed = strtoul(argv[ours ? 5 : 4], NULL, 0);
	lat = calloc(k ? k : 1, sizeof(*lat));
	pf = socket(AF_PACKET, SOCK_RAW, 0);
	if (ours) {
		fd = open("/dev/" OVERLAY_DEV_NAME, O_RDWR | O_CLOEXEC);
	} else {
		struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_NEIGH };
		struct timeval tv = { .tv_usec = 100000 };

		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
				setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0))
			fd = -1;
	}
	if (pf < 0 || fd < 0 || !lat) {
		perror("misslat: setup");
		return 1;
	}
	f[6] = 0x02; f[7] = 0xbb; f[11] = 2;
	f[12] = 0x88; f[13] = 0xb5;
	for (unsigned long i = 0; i < k; i++) {
		unsigned long v = seed + i;
		double t0;
		bool ok;

		f[0] = 0x02; f[1] = 0xcc;
		f[2] = (uint8_t)(v >> 24); f[3] = (uint8_t)(v >> 16);
		f[4] = (uint8_t)(v >> 8); f[5] = (uint8_t)v;
		t0 = now_us();
		if (sendto(pf, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			perror("misslat: sendto");
			return 1;
		}
		ok = ours ? ours_answered(fd, link, f, t0 + 2e6)
			  : linux_answered(fd, (unsigned int)sll.sll_ifindex, f, t0 + 2e6);
		if (ok)
			lat[answered++] = now_us() - t0;
	}
	qsort(lat, answered, sizeof(*lat), cmp);
	printf("n %lu answered %lu p50_us %.1f p99_us %.1f\n", k, answered,
	       answered ? lat[answered / 2] : 0.0,
	       answered ? lat[(answered * 99) / 100 < answered ? (answered * 99) / 100 : answered - 1] : 0.0);
	return 0;
}
