// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ov-responder - a small test responder for ovnet.ko's dynamic mode: it
 * holds /dev/overlay's lookup channel in its network namespace and answers
 * every request from a static table. It drives the VM tests (tests/vm/7*)
 * and the miss benchmark; varpd is the real responder.
 *
 *   ov-responder [-b BATCH] [-d MS] [-c COUNT] [-q] [-t] TABLE
 *
 * TABLE, one rule a line ('#' comments):
 *   MAC IP [PORT]     answer requests for MAC with this destination
 *   MAC drop          answer "drop"
 *   bcast IP [PORT]   any broadcast/multicast MAC: this destination
 *   bcast resend IP...  broadcast/multicast: PKT the frame, RESEND it to
 *                     every IP listed, then answer drop
 *   arp IP MAC        proxy ARP: a broadcast ARP request for IP is answered
 *                     with MAC by PKT + INJECT (and the request dropped)
 *   default drop      requests matching no rule are dropped (the default
 *                     is to leave them unanswered, PENDING)
 *   default IP [PORT] requests matching no rule get this destination
 * -b BATCH  requests per LOOKUP (default 64; 1 = one at a time)
 * -d MS     wait MS milliseconds after each LOOKUP before answering (so a
 *           test can kill us with requests in flight)
 * -c COUNT  exit 0 after answering COUNT requests
 * -q        do not log each answer
 * -t        with -c: on exit print "elapsed_us US answered N", the time
 *           from the first request taken to the last answer (bench-miss)
 *
 * Theory: single-threaded; poll() on the descriptor wakes it when requests
 * are queued, LOOKUP takes up to BATCH of them, one RESPOND answers the
 * batch's table hits. It prints "ready" once it holds the channel (the
 * first LOOKUP claims it; EBUSY means another responder does: exit 3), and
 * "took N" after each LOOKUP that returned N requests, and one line per
 * answer: "answer REQID LINK MAC -> IP|drop|arp|resend|unanswered".
 * SIGTERM/SIGINT/SIGKILL all just end it; the kernel re-queues whatever it
 * had taken but not answered.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "uapi/overlay.h"
#include "ov_text.h"

#define MAXRULES 256
#define MAXRESEND 8

enum kind { R_DEST, R_DROP, R_BCAST, R_RESEND, R_ARP };

struct rule {
	enum kind kind;
	uint8_t mac[6];
	uint8_t ip[MAXRESEND][16];
	uint16_t port;
	int nip;
	uint8_t arp_ip[4];
};

static struct rule rules[MAXRULES];
static int nrules;
static bool default_drop, quiet;
static struct rule default_dest;	/* nip 1 when set */

static void die(const char *msg)
{
	fprintf(stderr, "ov-responder: %s: %s\n", msg, strerror(errno));
	exit(1);
}

#define ip_parse ov_text_ip
#define ip_format ov_text_ip_format

static void table_load(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		char *w[2 + MAXRESEND], *save = NULL;
		int n = 0;
		struct rule *r = &rules[nrules];

		lineno++;
		for (char *t = strtok_r(line, " \t\n", &save); t && n < 2 + MAXRESEND;
		     t = strtok_r(NULL, " \t\n", &save))
			w[n++] = t;
		if (n == 0 || w[0][0] == '#')
			continue;
		if (nrules == MAXRULES) {
			fprintf(stderr, "ov-responder: %s: too many rules\n", path);
			exit(2);
		}
		memset(r, 0, sizeof(*r));
		if (strcmp(w[0], "default") == 0 && n == 2 && strcmp(w[1], "drop") == 0) {
			default_drop = true;
			continue;
		} else if (strcmp(w[0], "default") == 0 && (n == 2 || n == 3)) {
			if (!ip_parse(w[1], default_dest.ip[0]))
				goto bad;
			default_dest.kind = R_DEST;
			default_dest.nip = 1;
			default_dest.port = n == 3 ? (uint16_t)atoi(w[2]) : 0;
			continue;
		} else if (strcmp(w[0], "arp") == 0 && n == 3 &&
			   inet_pton(AF_INET, w[1], r->arp_ip) == 1 &&
			   ov_text_mac(w[2], r->mac, NULL)) {
			r->kind = R_ARP;
		} else if (strcmp(w[0], "bcast") == 0 && n >= 3 &&
			   strcmp(w[1], "resend") == 0) {
			r->kind = R_RESEND;
			for (int i = 2; i < n; i++)
				if (!ip_parse(w[i], r->ip[r->nip++]))
					goto bad;
		} else if (n >= 2 && (strcmp(w[0], "bcast") == 0 || ov_text_mac(w[0], r->mac, NULL))) {
			r->kind = w[0][0] == 'b' && !strchr(w[0], ':') ? R_BCAST : R_DEST;
			if (strcmp(w[1], "drop") == 0 && n == 2 && r->kind == R_DEST) {
				r->kind = R_DROP;
			} else {
				if (n > 3 || !ip_parse(w[1], r->ip[0]))
					goto bad;
				r->nip = 1;
				r->port = n == 3 ? (uint16_t)atoi(w[2]) : 0;
			}
		} else {
			goto bad;
		}
		nrules++;
		continue;
bad:
		fprintf(stderr, "ov-responder: %s:%d: bad rule\n", path, lineno);
		exit(2);
	}
	fclose(f);
}

static const struct rule *rule_for(const struct overlay_targ_req *rq)
{
	bool bc = rq->otr_flags & OVERLAY_TARG_REQ_BCAST;

	for (int i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];

		if ((r->kind == R_DEST || r->kind == R_DROP) &&
		    memcmp(r->mac, rq->otr_dst, 6) == 0)
			return r;
	}
	for (int i = 0; bc && i < nrules; i++)
		if (rules[i].kind == R_BCAST || rules[i].kind == R_RESEND)
			return &rules[i];
	return default_dest.nip ? &default_dest : NULL;
}

static int devfd;

/* Copy the request's frame out; its length, or -1. */
static int pkt(uint64_t reqid, uint8_t *buf, uint32_t size)
{
	struct overlay_ioc_targ_pkt p = {
		.opk_reqid = reqid, .opk_size = size,
		.opk_buf = (uintptr_t)buf,
	};

	if (ioctl(devfd, OVERLAY_IOC_PKT, &p) != 0) {
		perror("ov-responder: PKT");
		return -1;
	}
	return p.opk_flags & OVERLAY_TARG_PKT_TRUNC ? -1 : (int)p.opk_size;
}

static bool frame_ioctl(unsigned long cmd, uint32_t link, const uint8_t *buf,
			uint32_t len, const uint8_t *ip, uint16_t port)
{
	struct overlay_ioc_frame f = {
		.oif_linkid = link, .oif_size = len, .oif_port = port,
		.oif_buf = (uintptr_t)buf,
	};

	if (ip)
		memcpy(f.oif_ip, ip, 16);
	if (ioctl(devfd, cmd, &f) != 0) {
		perror(cmd == OVERLAY_IOC_INJECT ? "ov-responder: INJECT" :
						   "ov-responder: RESEND");
		return false;
	}
	return true;
}

/* A broadcast ARP request for an address in the arp rules: reply. */
static bool proxy_arp(const struct overlay_targ_req *rq)
{
	uint8_t f[1600], r[60];
	int len;

	if (rq->otr_ethertype != 0x0806 || rq->otr_vlan)
		return false;
	len = pkt(rq->otr_reqid, f, sizeof(f));
	/* Ethernet + ARP for IPv4 over Ethernet, opcode 1 (request) */
	if (len < 42 || f[14] != 0 || f[15] != 1 || f[16] != 8 || f[17] != 0 ||
	    f[20] != 0 || f[21] != 1)
		return false;
	for (int i = 0; i < nrules; i++) {
		const struct rule *a = &rules[i];

		if (a->kind != R_ARP || memcmp(f + 38, a->arp_ip, 4) != 0)
			continue;
		memset(r, 0, sizeof(r));
		memcpy(r, f + 6, 6);		/* to the asker */
		memcpy(r + 6, a->mac, 6);
		r[12] = 0x08;
		r[13] = 0x06;
		memcpy(r + 14, f + 14, 6);	/* htype, ptype, hlen, plen */
		r[21] = 2;			/* reply */
		memcpy(r + 22, a->mac, 6);	/* sender: the answer */
		memcpy(r + 28, a->arp_ip, 4);
		memcpy(r + 32, f + 22, 10);	/* target: the asker */
		return frame_ioctl(OVERLAY_IOC_INJECT, rq->otr_linkid, r,
				   sizeof(r), NULL, 0);
	}
	return false;
}

static bool resend(const struct overlay_targ_req *rq, const struct rule *r)
{
	static uint8_t f[OVERLAY_TARG_FRAME_MAX];
	int len = pkt(rq->otr_reqid, f, sizeof(f));
	bool ok = len > 0;

	for (int i = 0; ok && i < r->nip; i++)
		ok = frame_ioctl(OVERLAY_IOC_RESEND, rq->otr_linkid, f,
				 (uint32_t)len, r->ip[i], r->port);
	return ok;
}

static void log_answer(const struct overlay_targ_req *rq, const char *what)
{
	const uint8_t *m = rq->otr_dst;

	if (quiet)
		return;
	printf("answer %" PRIu64 " %u %02x:%02x:%02x:%02x:%02x:%02x -> %s\n",
	       (uint64_t)rq->otr_reqid, rq->otr_linkid, m[0], m[1], m[2], m[3],
	       m[4], m[5], what);
}

static int dev_open(void)
{
	char buf[32];
	unsigned int maj, min;
	FILE *f;
	int fd = open("/dev/" OVERLAY_DEV_NAME, O_RDWR | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	f = fopen("/sys/class/misc/" OVERLAY_DEV_NAME "/dev", "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &maj, &min) == 2)
		mknod("/dev/" OVERLAY_DEV_NAME, S_IFCHR | 0666, makedev(maj, min));
	fclose(f);
	return open("/dev/" OVERLAY_DEV_NAME, O_RDWR | O_CLOEXEC);
}

int main(int argc, char **argv)
{
	static struct overlay_targ_req reqs[OVERLAY_TARG_BATCH_MAX];
	static struct overlay_targ_resp resps[OVERLAY_TARG_BATCH_MAX];
	unsigned long batch = 64, delay_ms = 0, count = 0, answered = 0;
	struct timespec t0 = { 0 }, t1;
	bool timing = false;
	int opt;

	while ((opt = getopt(argc, argv, "b:d:c:qt")) != -1) {
		switch (opt) {
		case 'b': batch = strtoul(optarg, NULL, 0); break;
		case 'd': delay_ms = strtoul(optarg, NULL, 0); break;
		case 'c': count = strtoul(optarg, NULL, 0); break;
		case 'q': quiet = true; break;
		case 't': timing = true; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || batch < 1 || batch > OVERLAY_TARG_BATCH_MAX)
		goto usage;
	table_load(argv[optind]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	devfd = dev_open();
	if (devfd < 0)
		die("open /dev/overlay");

	for (bool first = true;; first = false) {
		struct overlay_ioc_lookup lk = {
			.olk_count = (uint32_t)batch, .olk_reqs = (uintptr_t)reqs,
		};
		struct overlay_ioc_respond rp = { .orp_resps = (uintptr_t)resps };
		struct pollfd pfd = { .fd = devfd, .events = POLLIN };

		if (!first && poll(&pfd, 1, -1) < 0 && errno != EINTR)
			die("poll");
		if (ioctl(devfd, OVERLAY_IOC_LOOKUP, &lk) != 0) {
			if (errno == EBUSY) {
				fprintf(stderr, "ov-responder: another responder holds /dev/overlay\n");
				return 3;
			}
			die("LOOKUP");
		}
		if (first)
			printf("ready\n");
		if (lk.olk_count && !quiet)
			printf("took %u\n", lk.olk_count);
		if (lk.olk_count && t0.tv_sec == 0 && t0.tv_nsec == 0)
			clock_gettime(CLOCK_MONOTONIC, &t0);
		if (lk.olk_count && delay_ms) {
			struct timespec ts = {
				.tv_sec = (time_t)(delay_ms / 1000),
				.tv_nsec = (long)(delay_ms % 1000) * 1000000,
			};
			nanosleep(&ts, NULL);
		}
		for (uint32_t i = 0; i < lk.olk_count; i++) {
			const struct overlay_targ_req *rq = &reqs[i];
			const struct rule *r = rule_for(rq);
			struct overlay_targ_resp *a = &resps[rp.orp_count];
			char ip[64];

			memset(a, 0, sizeof(*a));
			a->ors_reqid = rq->otr_reqid;
			if ((rq->otr_flags & OVERLAY_TARG_REQ_BCAST) && proxy_arp(rq)) {
				a->ors_flags = OVERLAY_TARG_RESP_DROP;
				log_answer(rq, "arp");
			} else if (r && r->kind == R_RESEND) {
				a->ors_flags = OVERLAY_TARG_RESP_DROP;
				log_answer(rq, resend(rq, r) ? "resend" : "resend failed");
			} else if (r && r->kind != R_DROP) {
				memcpy(a->ors_ip, r->ip[0], 16);
				a->ors_port = r->port;
				ip_format(r->ip[0], ip, sizeof(ip));
				log_answer(rq, ip);
			} else if (r || default_drop) {
				a->ors_flags = OVERLAY_TARG_RESP_DROP;
				log_answer(rq, "drop");
			} else {
				log_answer(rq, "unanswered");
				continue;
			}
			rp.orp_count++;
		}
		if (rp.orp_count) {
			if (ioctl(devfd, OVERLAY_IOC_RESPOND, &rp) != 0)
				die("RESPOND");
			for (uint32_t i = 0; i < rp.orp_count; i++)
				if (resps[i].ors_error)
					fprintf(stderr, "ov-responder: request %" PRIu64
						": %s\n", (uint64_t)resps[i].ors_reqid,
						strerror(-resps[i].ors_error));
			answered += rp.orp_count - rp.orp_failed;
		}
		if (count && answered >= count) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (timing)
				printf("elapsed_us %.0f answered %lu\n",
				       (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
				       (double)(t1.tv_nsec - t0.tv_nsec) / 1e3, answered);
			return 0;
		}
	}
usage:
	fprintf(stderr, "usage: ov-responder [-b BATCH] [-d MS] [-c COUNT] [-q] [-t] TABLE\n");
	return 2;
}
