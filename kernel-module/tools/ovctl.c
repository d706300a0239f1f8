// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ovctl - a thin command line over the /dev/overlay admin ioctls, for the VM
 * tests and for bringing up a point-mode device by hand. (The operator's
 * tool is overlayadm, which goes through varpd; ovctl talks to the kernel
 * directly and prints exactly what the ioctls return.)
 *
 *   ovctl [-e ERRNO] [-U] COMMAND ARGS...
 *
 *   create [NAME]                   print "LINKID IFINDEX NAME"
 *   delete LINK
 *   activate LINK
 *   associate LINK IP [PORT]        point destination
 *   disassociate LINK
 *   set LINK PROP VALUE             VALUE parsed by the property's type
 *   get LINK PROP
 *   props LINK                      every property: name type perm value
 *                                   default range possible
 *   status LINK [FIELD]             all fields, or one (e.g. dev.rx_bad_gre)
 *   up NAME ENCAP VNETID LISTEN_IP DEST_IP [PORT] [PROP=VALUE...]
 *                                   create + set + associate + activate, and
 *                                   `ip link set up` is left to the caller;
 *                                   prints the LINKID
 *   badioctl KIND                   issue a deliberately malformed ioctl:
 *                                   size (CREATE with the wrong size),
 *                                   unknown (an unused number), flags
 *                                   (CREATE with flags=1), pad (SETPROP
 *                                   with non-zero padding), fault (a bad
 *                                   pointer), dynamic LINK (ASSOCIATE dynamic
 *                                   with an address: EINVAL), mode0 LINK
 *                                   (ASSOCIATE with mode 0)
 *   dynamic LINK                    ASSOCIATE in dynamic mode
 *   updyn NAME ENCAP VNETID LISTEN_IP [PROP=VALUE...]
 *                                   like up, but dynamic; prints the LINKID
 *   info LINK [FIELD]               TARG_INFO: mode, state and the target
 *                                   cache's figures (or one of them)
 *   cache-get LINK MAC              print "MAC IP PORT", "MAC drop" or
 *                                   "MAC pending"
 *   cache-set LINK MAC IP [PORT] | cache-set LINK MAC drop
 *   cache-remove LINK MAC
 *   cache-flush LINK
 *   cache-list LINK [PAGE]          CACHE_ITER, PAGE entries a call
 *                                   (default 100), one line an entry as
 *                                   cache-get; then "entries N calls C"
 *   degrade LINK MESSAGE / restore LINK
 *   list                            LIST: "LINKID state mode" per device
 *   lookup [N]                      one LOOKUP of up to N requests (this
 *                                   process becomes the responder until it
 *                                   exits): "REQID LINK DST SRC ETHERTYPE
 *                                   VLAN FLAGS SIZE" per request
 *   blast IFNAME N [SEED [REPEAT]]  send N Ethernet frames of 60 bytes,
 *                                   to distinct unicast MACs 02:aa:<SEED+i>
 *                                   (each REPEAT times), out of IFNAME
 *                                   through a packet socket
 *   badtarg KIND [LINK]             malformed dynamic-mode ioctls; KIND:
 *                                   lookup0, lookupbig, lookupflags,
 *                                   lookupsize (wrong size), lookupfault
 *                                   (unwritable array),
 *                                   respond0, respondflags (a record with
 *                                   unknown flags: prints its error),
 *                                   respondbad (unknown request id),
 *                                   pktbad, dropbad, iterbad (cursor from
 *                                   nowhere), iterstale (another
 *                                   generation), iterflags, cacheflags,
 *                                   setbcastip (a multicast IP), injectsmall,
 *                                   resendinactive, degradeempty, listbig,
 *                                   point (cache ioctl on a point device)
 *   churn N LISTEN_IP               create, configure (vxlan and nvgre in
 *                                   turn), associate, activate and delete N
 *                                   devices, checking each is gone after
 *   recv-udp ADDR PORT N            receive N datagrams on a plain UDP
 *                                   socket and print, one line each,
 *                                   "sport S flags F vni V len L"
 *   recv-gre ADDR N                 receive N GRE packets on a raw socket
 *                                   and print "flags F proto P vsid V
 *                                   flowid I len L" (5 s timeout each)
 *   send-vxlan ADDR PORT FLAGS VNI INNERLEN [TRUNC]
 *   send-gre ADDR GREBYTE0 VSID INNERLEN [TRUNC]
 *                                   send one hand-made VXLAN datagram / GRE
 *                                   packet (raw socket) with an inner frame
 *                                   of INNERLEN bytes, cut to TRUNC bytes
 *                                   of payload when given; C/R and S bits in
 *                                   GREBYTE0 add their 4-byte words
 *
 * LINK is a link id (digits) or an interface name in this namespace.
 * -e ERRNO: the command must fail with that errno (e.g. -e ENOENT); exit 0
 * if it did, 1 otherwise. -U: drop every capability before the ioctl (the
 * device is opened first), to test the EPERM path.
 * -h or --help prints every command. Exit status: 0 success, 1 the operation
 * failed, 2 usage (one line naming the bad token).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "uapi/overlay.h"
#include "ov_text.h"

static const char *prog = "ovctl";
static int expect_errno;	/* 0: expect success */
static bool drop_caps;
static int devfd = -1;

static const struct {
	const char *name;
	int value;
} errnames[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINVAL", EINVAL },
	{ "ENOTTY", ENOTTY }, { "EFAULT", EFAULT }, { "EEXIST", EEXIST },
	{ "EBUSY", EBUSY }, { "ERANGE", ERANGE }, { "EALREADY", EALREADY },
	{ "EAFNOSUPPORT", EAFNOSUPPORT }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "EADDRINUSE", EADDRINUSE }, { "EADDRNOTAVAIL", EADDRNOTAVAIL },
	{ "E2BIG", E2BIG }, { "EACCES", EACCES }, { "ESTALE", ESTALE },
	{ "ENOSPC", ENOSPC }, { "ENETDOWN", ENETDOWN },
	{ "ENOTCONN", ENOTCONN },
};

static const char *errname(int e)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].value == e)
			return errnames[i].name;
	return "E?";
}

/* Every command and its operands; -h prints it, a usage error names the problem first. */
static const char usage_text[] =
	"usage: ovctl [-e ERRNO] [-U] COMMAND ARGS...\n"
	"       ovctl -h | --help\n"
	"commands:\n"
	"  create [NAME]\n"
	"  delete LINK\n"
	"  activate LINK\n"
	"  associate LINK IP [PORT]\n"
	"  disassociate LINK\n"
	"  dynamic LINK\n"
	"  set LINK PROP VALUE\n"
	"  get LINK PROP\n"
	"  props LINK\n"
	"  status LINK [FIELD]\n"
	"  info LINK [FIELD]\n"
	"  up NAME ENCAP VNETID LISTEN_IP DEST_IP [PORT] [PROP=VALUE...]\n"
	"  updyn NAME ENCAP VNETID LISTEN_IP [PROP=VALUE...]\n"
	"  cache-get LINK MAC\n"
	"  cache-set LINK MAC IP [PORT] | cache-set LINK MAC drop\n"
	"  cache-remove LINK MAC\n"
	"  cache-flush LINK\n"
	"  cache-list LINK [PAGE]\n"
	"  degrade LINK MESSAGE\n"
	"  restore LINK\n"
	"  list\n"
	"  lookup [N]\n"
	"  blast IFNAME N [SEED [REPEAT]]\n"
	"  badioctl KIND [LINK]\n"
	"  badtarg KIND [LINK]\n"
	"  churn N LISTEN_IP\n"
	"  recv-udp ADDR PORT N\n"
	"  recv-gre ADDR N\n"
	"  send-vxlan ADDR PORT FLAGS VNI INNERLEN [TRUNC]\n"
	"  send-gre ADDR GREBYTE0 VSID INNERLEN [TRUNC]\n";

/* A usage error: one line naming the problem and the token, exit 2. */
static void usage(const char *what, const char *token)
{
	if (token)
		fprintf(stderr, "%s: %s \"%s\" (see %s -h)\n", prog, what, token, prog);
	else
		fprintf(stderr, "%s: %s (see %s -h)\n", prog, what, prog);
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", prog, what);
	exit(1);
}

/* Open /dev/overlay, making the node from sysfs if there is no devtmpfs. */
static int dev_open(void)
{
	char buf[32];
	unsigned int maj, min;
	FILE *f;
	int fd;

	fd = open("/dev/" OVERLAY_DEV_NAME, O_RDWR | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		goto out;
	f = fopen("/sys/class/misc/" OVERLAY_DEV_NAME "/dev", "r");
	if (!f)
		goto out;
	if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &maj, &min) == 2)
		mknod("/dev/" OVERLAY_DEV_NAME, S_IFCHR | 0666, makedev(maj, min));
	fclose(f);
	fd = open("/dev/" OVERLAY_DEV_NAME, O_RDWR | O_CLOEXEC);
out:
	if (fd < 0) {
		fprintf(stderr, "%s: open /dev/%s: %s (is ovnet.ko loaded?)\n",
			prog, OVERLAY_DEV_NAME, strerror(errno));
		exit(1);
	}
	return fd;
}

static void caps_drop(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0)
		die("capset: cannot drop capabilities");
}

/*
 * Issue one ioctl. Under -e, the first failing ioctl decides the exit:
 * 0 if it failed with the expected errno.
 */
static int xioctl(unsigned long cmd, void *arg, const char *what)
{
	if (devfd < 0)
		devfd = dev_open();
	if (drop_caps) {
		caps_drop();
		drop_caps = false;
	}
	if (ioctl(devfd, cmd, arg) == 0)
		return 0;
	int e = errno;
	if (expect_errno) {
		if (e == expect_errno) {
			printf("%s: %s as expected\n", what, errname(e));
			exit(0);
		}
		fprintf(stderr, "%s: %s: failed with %s, expected %s\n", prog,
			what, errname(e), errname(expect_errno));
		exit(1);
	}
	fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, strerror(e), errname(e));
	exit(1);
}

static uint32_t link_parse(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s && !*end)
		return (uint32_t)v;
	unsigned int ifindex = if_nametoindex(s);
	if (!ifindex) {
		fprintf(stderr, "%s: no interface %s\n", prog, s);
		exit(1);
	}
	if (devfd < 0)
		devfd = dev_open();
	/* Link ids are allocated lowest first: a short scan finds it. */
	for (uint32_t id = 1; id < 65536; id++) {
		struct overlay_ioc_status st = { .oisc_linkid = id };

		if (ioctl(devfd, OVERLAY_IOC_STATUS, &st) == 0 &&
		    st.oisc_ifindex == ifindex)
			return id;
	}
	fprintf(stderr, "%s: %s is not an overlay device\n", prog, s);
	exit(1);
}

static void ip_parse(const char *s, uint8_t ip[16])
{
	if (!ov_text_ip(s, ip)) {
		fprintf(stderr, "%s: %s is not an IP address\n", prog, s);
		exit(2);
	}
}

static void ip_format(const uint8_t ip[16], char *buf, size_t len)
{
	ov_text_ip_format(ip, buf, len);
}

static void propinfo_by_name(uint32_t link, const char *name,
			     struct overlay_ioc_propinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->oipi_linkid = link;
	pi->oipi_id = OVERLAY_PROP_BYNAME;
	snprintf(pi->oipi_name, sizeof(pi->oipi_name), "%s", name);
	xioctl(OVERLAY_IOC_PROPINFO, pi, "PROPINFO");
}

static void value_format(uint32_t type, const uint8_t *v, uint32_t size,
			 char *buf, size_t len)
{
	uint64_t u;

	if (size == 0) {
		snprintf(buf, len, "-");
		return;
	}
	switch (type) {
	case OVERLAY_PROP_T_UINT:
		memcpy(&u, v, sizeof(u));
		snprintf(buf, len, "%" PRIu64, u);
		return;
	case OVERLAY_PROP_T_IP:
		ip_format(v, buf, len);
		return;
	default:
		snprintf(buf, len, "%.*s", (int)size, (const char *)v);
	}
}

static void prop_set(uint32_t link, const char *name, const char *value)
{
	struct overlay_ioc_propinfo pi;
	struct overlay_ioc_prop p = { .oip_linkid = link };
	char what[96];
	uint64_t u;
	char *end;

	propinfo_by_name(link, name, &pi);
	snprintf(p.oip_name, sizeof(p.oip_name), "%s", name);
	switch (pi.oipi_type) {
	case OVERLAY_PROP_T_UINT:
		errno = 0;
		u = strtoull(value, &end, 0);
		if (errno || !*value || *end) {
			fprintf(stderr, "%s: %s: %s is not a number\n", prog, name, value);
			exit(2);
		}
		memcpy(p.oip_value, &u, sizeof(u));
		p.oip_size = sizeof(u);
		break;
	case OVERLAY_PROP_T_IP:
		ip_parse(value, p.oip_value);
		p.oip_size = 16;
		break;
	default:
		if (strlen(value) >= sizeof(p.oip_value)) {
			fprintf(stderr, "%s: %s: value too long\n", prog, name);
			exit(2);
		}
		strcpy((char *)p.oip_value, value);
		p.oip_size = (uint32_t)strlen(value) + 1;
	}
	snprintf(what, sizeof(what), "SETPROP %s", name);
	xioctl(OVERLAY_IOC_SETPROP, &p, what);
}

static void cmd_get(uint32_t link, const char *name)
{
	struct overlay_ioc_propinfo pi;
	struct overlay_ioc_prop p = { .oip_linkid = link };
	char buf[160];

	propinfo_by_name(link, name, &pi);
	snprintf(p.oip_name, sizeof(p.oip_name), "%s", name);
	xioctl(OVERLAY_IOC_GETPROP, &p, "GETPROP");
	value_format(pi.oipi_type, p.oip_value, p.oip_size, buf, sizeof(buf));
	printf("%s\n", buf);
}

static void cmd_props(uint32_t link)
{
	static const char *types[] = { "?", "uint", "ip", "string" };
	struct overlay_ioc_nprops n = { .oin_linkid = link };
	char val[160], def[160];

	xioctl(OVERLAY_IOC_NPROPS, &n, "NPROPS");
	printf("%-18s %-6s %-5s %-16s %-8s %s\n", "PROPERTY", "TYPE", "PERM",
	       "VALUE", "DEFAULT", "POSSIBLE");
	for (uint32_t i = 0; i < n.oin_nprops; i++) {
		struct overlay_ioc_propinfo pi = { .oipi_linkid = link, .oipi_id = i };
		struct overlay_ioc_prop p = { .oip_linkid = link };
		char perm[8];

		xioctl(OVERLAY_IOC_PROPINFO, &pi, "PROPINFO");
		memcpy(p.oip_name, pi.oipi_name, sizeof(p.oip_name));
		xioctl(OVERLAY_IOC_GETPROP, &p, "GETPROP");
		value_format(pi.oipi_type, p.oip_value, p.oip_size, val, sizeof(val));
		value_format(pi.oipi_type, pi.oipi_default, pi.oipi_defsize, def,
			     sizeof(def));
		snprintf(perm, sizeof(perm), "%s%s%s%s",
			 pi.oipi_perm & OVERLAY_PROP_PERM_READ ? "r" : "-",
			 pi.oipi_perm & OVERLAY_PROP_PERM_WRITE ? "w" : "-",
			 pi.oipi_perm & OVERLAY_PROP_PERM_REQUIRED ? "R" : "-",
			 pi.oipi_perm & OVERLAY_PROP_PERM_ACTIVE ? "a" : "-");
		printf("%-18s %-6s %-5s %-16s %-8s ", pi.oipi_name,
		       types[pi.oipi_type < 4 ? pi.oipi_type : 0], perm, val, def);
		if (pi.oipi_type == OVERLAY_PROP_T_UINT)
			printf("%" PRIu64 "-%" PRIu64 "\n", (uint64_t)pi.oipi_min,
			       (uint64_t)pi.oipi_max);
		else
			printf("%s\n", pi.oipi_possible[0] ? pi.oipi_possible : "-");
	}
}

static const char *const counter_names[] = {
	"tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "tx_nodest",
	"tx_errors", "rx_truncated", "rx_bad_flags", "rx_bad_gre",
	"rx_oversize", "rx_unknown_vnetid", "rx_inactive",
};

static void cmd_status(uint32_t link, const char *field)
{
	struct overlay_ioc_status s = { .oisc_linkid = link };
	const struct {
		const char *prefix;
		const struct overlay_counters *c;
	} sets[] = { { "dev", &s.oisc_dev }, { "underlay", &s.oisc_underlay } };
	char line[64];

	xioctl(OVERLAY_IOC_STATUS, &s, "STATUS");
	if (!field) {
		printf("linkid %u\nifindex %u\nstate %s%s%s\nmode %s\nmessage %s\n",
		       s.oisc_linkid, s.oisc_ifindex,
		       s.oisc_state & OVERLAY_STATE_ACTIVE ? "active" : "inactive",
		       s.oisc_state & OVERLAY_STATE_ASSOCIATED ? ",associated" : "",
		       s.oisc_state & OVERLAY_STATE_DEGRADED ? ",degraded" : "",
		       s.oisc_dest_mode == OVERLAY_DEST_POINT ? "point" :
		       s.oisc_dest_mode == OVERLAY_DEST_DYNAMIC ? "dynamic" : "-",
		       s.oisc_message[0] ? s.oisc_message : "-");
	} else if (strcmp(field, "state") == 0) {
		printf("%s\n", s.oisc_state & OVERLAY_STATE_ACTIVE ? "active" : "inactive");
		return;
	} else if (strcmp(field, "degraded") == 0) {
		printf("%s\n", s.oisc_state & OVERLAY_STATE_DEGRADED ? "degraded" : "online");
		return;
	} else if (strcmp(field, "message") == 0) {
		printf("%s\n", s.oisc_message);
		return;
	}
	for (size_t k = 0; k < 2; k++) {
		const __u64 *v = &sets[k].c->oc_tx_packets;

		for (size_t i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++) {
			snprintf(line, sizeof(line), "%s.%s", sets[k].prefix,
				 counter_names[i]);
			if (!field)
				printf("%s %" PRIu64 "\n", line, (uint64_t)v[i]);
			else if (strcmp(field, line) == 0) {
				printf("%" PRIu64 "\n", (uint64_t)v[i]);
				return;
			}
		}
	}
	if (field) {
		fprintf(stderr, "%s: no status field %s\n", prog, field);
		exit(2);
	}
}

static uint32_t cmd_create(const char *name)
{
	struct overlay_ioc_create c = { 0 };

	if (name && strlen(name) >= sizeof(c.oic_name)) {
		fprintf(stderr, "%s: name %s is too long\n", prog, name);
		exit(2);
	}
	if (name)
		strcpy(c.oic_name, name);
	xioctl(OVERLAY_IOC_CREATE, &c, "CREATE");
	return c.oic_linkid;
}

/*
 * The first steps of "up" and "updyn": CREATE argv[0], then set encap
 * argv[1], vnetid argv[2], <encap>/listen_ip argv[3], and every prop=value
 * from argv[from] on. A bare word there is the destination port when port is
 * given (the last one wins), and a usage error otherwise.
 */
static uint32_t cmd_create_props(char **argv, int argc, int from,
				 const char **port)
{
	char prop[64];
	uint32_t id;

	id = cmd_create(argv[0]);
	prop_set(id, "encap", argv[1]);
	prop_set(id, "vnetid", argv[2]);
	snprintf(prop, sizeof(prop), "%s/listen_ip", argv[1]);
	prop_set(id, prop, argv[3]);
	for (int i = from; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			if (!port)
				usage("not PROP=VALUE:", argv[i]);
			*port = argv[i];
			continue;
		}
		*eq = '\0';
		prop_set(id, argv[i], eq + 1);
	}
	return id;
}

static void cmd_associate(uint32_t link, const char *ip, const char *port)
{
	struct overlay_ioc_associate a = {
		.oia_linkid = link,
		.oia_mode = OVERLAY_DEST_POINT,
	};

	ip_parse(ip, a.oia_ip);
	a.oia_port = port ? (uint16_t)strtoul(port, NULL, 0) : 0;
	xioctl(OVERLAY_IOC_ASSOCIATE, &a, "ASSOCIATE");
}

static void cmd_link(unsigned long cmd, uint32_t link, const char *what)
{
	struct overlay_ioc_link l = { .oil_linkid = link };

	xioctl(cmd, &l, what);
}

static void cmd_badioctl(const char *kind, const char *link)
{
	struct overlay_ioc_associate a = { .oia_ip = { [15] = 1 } };
	struct overlay_ioc_create c = { 0 };
	struct overlay_ioc_prop p = { 0 };
	unsigned char big[512] = { 0 };

	if (strcmp(kind, "size") == 0) {
		xioctl(_IOC(_IOC_READ | _IOC_WRITE, OVERLAY_IOC_TYPE,
			    _IOC_NR(OVERLAY_IOC_CREATE), sizeof(c) + 8), big,
		       "CREATE (wrong size)");
	} else if (strcmp(kind, "unknown") == 0) {
		xioctl(_IOWR(OVERLAY_IOC_TYPE, 0x1f, struct overlay_ioc_link),
		       big, "ioctl 0x1f");
	} else if (strcmp(kind, "flags") == 0) {
		c.oic_flags = 1;
		xioctl(OVERLAY_IOC_CREATE, &c, "CREATE (flags 1)");
	} else if (strcmp(kind, "pad") == 0) {
		p.oip_pad = 1;
		strcpy(p.oip_name, "mtu");
		xioctl(OVERLAY_IOC_SETPROP, &p, "SETPROP (pad 1)");
	} else if (strcmp(kind, "dynamic") == 0 || strcmp(kind, "mode0") == 0) {
		if (!link)
			usage("badioctl needs a LINK after", kind);
		a.oia_linkid = link_parse(link);
		a.oia_mode = kind[0] == 'd' ? OVERLAY_DEST_DYNAMIC : 0;
		xioctl(OVERLAY_IOC_ASSOCIATE, &a, "ASSOCIATE (mode)");
	} else if (strcmp(kind, "fault") == 0) {
		xioctl(OVERLAY_IOC_STATUS, (void *)8, "STATUS (bad pointer)");
	} else {
		usage("unknown badioctl KIND", kind);
	}
	printf("badioctl %s: succeeded\n", kind);
}


/* ---- dynamic mode ---- */

static void mac_parse(const char *s, uint8_t mac[6])
{
	ov_error_t err;

	if (!ov_text_mac(s, mac, &err)) {
		fprintf(stderr, "%s: %s is not a MAC address: %s\n", prog, s,
			err.reason);
		exit(2);
	}
}

static void cmd_dynamic(uint32_t link)
{
	struct overlay_ioc_associate a = {
		.oia_linkid = link,
		.oia_mode = OVERLAY_DEST_DYNAMIC,
	};

	xioctl(OVERLAY_IOC_ASSOCIATE, &a, "ASSOCIATE dynamic");
}

static void cmd_info(uint32_t link, const char *field)
{
	struct overlay_targ_info ti = { .ot_linkid = link };
	static const char *const f[] = {
		"mode", "state", "cache_size", "pending_bytes", "entries",
		"pending", "pending_frames", "tx_frames", "sent", "hits",
		"misses", "requests", "answers", "evictions", "drop_entry",
		"drop_pending", "drop_cache_full", "drop_queue_full",
		"drop_flushed", "drop_error",
	};
	uint64_t v[sizeof(f) / sizeof(f[0])];

	xioctl(OVERLAY_IOC_TARG_INFO, &ti, "TARG_INFO");
	v[0] = ti.ot_dest_mode;
	v[1] = ti.ot_state;
	v[2] = ti.ot_cache_size;
	v[3] = ti.ot_pending_bytes;
	v[4] = ti.ot_entries;
	v[5] = ti.ot_pending;
	memcpy(&v[6], &ti.ot_pending_frames, 14 * sizeof(uint64_t));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!field)
			printf("%s %" PRIu64 "\n", f[i], v[i]);
		else if (strcmp(field, f[i]) == 0) {
			printf("%" PRIu64 "\n", v[i]);
			return;
		}
	}
	if (field) {
		fprintf(stderr, "%s: no info field %s\n", prog, field);
		exit(2);
	}
}

static void entry_print(const struct overlay_targ_cache_entry *e)
{
	char mac[24], ip[64];

	ov_text_mac_format(e->otc_mac, mac, sizeof(mac));
	if (e->otc_flags & OVERLAY_TARG_CACHE_PENDING)
		printf("%s pending\n", mac);
	else if (e->otc_flags & OVERLAY_TARG_CACHE_DROP)
		printf("%s drop\n", mac);
	else {
		ip_format(e->otc_ip, ip, sizeof(ip));
		printf("%s %s %u\n", mac, ip, e->otc_port);
	}
}

static void cmd_cache(const char *op, uint32_t link, int argc, char **argv)
{
	struct overlay_ioc_cache c = { .oc_linkid = link };

	if (argc < 1)
		usage("cache command needs a MAC", NULL);
	mac_parse(argv[0], c.oc_entry.otc_mac);
	if (strcmp(op, "get") == 0) {
		xioctl(OVERLAY_IOC_CACHE_GET, &c, "CACHE_GET");
		entry_print(&c.oc_entry);
	} else if (strcmp(op, "remove") == 0) {
		xioctl(OVERLAY_IOC_CACHE_REMOVE, &c, "CACHE_REMOVE");
	} else {
		if (argc < 2)
			usage("cache-set needs IP [PORT] or drop", NULL);
		if (strcmp(argv[1], "drop") == 0) {
			c.oc_entry.otc_flags = OVERLAY_TARG_CACHE_DROP;
		} else {
			ip_parse(argv[1], c.oc_entry.otc_ip);
			c.oc_entry.otc_port = argc > 2 ? (uint16_t)strtoul(argv[2], NULL, 0) : 0;
		}
		xioctl(OVERLAY_IOC_CACHE_SET, &c, "CACHE_SET");
	}
}

static void cmd_cache_list(uint32_t link, unsigned long page)
{
	static struct overlay_targ_cache_entry ents[OVERLAY_TARG_BATCH_MAX];
	struct overlay_ioc_cache_iter it = { .oci_linkid = link };
	unsigned long n = 0, calls = 0;

	if (page < 1 || page > OVERLAY_TARG_BATCH_MAX)
		usage("cache-list PAGE is outside 1..OVERLAY_TARG_BATCH_MAX", NULL);
	do {
		it.oci_count = (uint32_t)page;
		it.oci_ents = (uintptr_t)ents;
		xioctl(OVERLAY_IOC_CACHE_ITER, &it, "CACHE_ITER");
		calls++;
		for (uint32_t i = 0; i < it.oci_count; i++)
			entry_print(&ents[i]);
		n += it.oci_count;
	} while (!it.oci_done);
	printf("entries %lu calls %lu\n", n, calls);
}

static void cmd_degrade(uint32_t link, const char *msg)
{
	struct overlay_ioc_degrade d = { .odg_linkid = link };

	snprintf(d.odg_message, sizeof(d.odg_message), "%s", msg);
	xioctl(OVERLAY_IOC_DEGRADE, &d, "DEGRADE");
}

static void cmd_list(void)
{
	static struct overlay_targ_link l[OVERLAY_TARG_BATCH_MAX];
	struct overlay_ioc_list ls = {
		.ols_count = OVERLAY_TARG_BATCH_MAX, .ols_links = (uintptr_t)l,
	};

	xioctl(OVERLAY_IOC_LIST, &ls, "LIST");
	for (uint32_t i = 0; i < ls.ols_count && i < OVERLAY_TARG_BATCH_MAX; i++)
		printf("%u %s%s%s%s %s\n", l[i].otl_linkid,
		       l[i].otl_state & OVERLAY_STATE_ACTIVE ? "active" : "inactive",
		       l[i].otl_state & OVERLAY_STATE_ASSOCIATED ? ",associated" : "",
		       l[i].otl_state & OVERLAY_STATE_DEGRADED ? ",degraded" : "",
		       l[i].otl_state & OVERLAY_STATE_UP ? ",up" : "",
		       l[i].otl_dest_mode == OVERLAY_DEST_POINT ? "point" :
		       l[i].otl_dest_mode == OVERLAY_DEST_DYNAMIC ? "dynamic" : "-");
}

static void cmd_lookup(unsigned long n)
{
	static struct overlay_targ_req r[OVERLAY_TARG_BATCH_MAX];
	struct overlay_ioc_lookup lk = {
		.olk_count = (uint32_t)n, .olk_reqs = (uintptr_t)r,
	};
	char dst[24], src[24];

	xioctl(OVERLAY_IOC_LOOKUP, &lk, "LOOKUP");
	for (uint32_t i = 0; i < lk.olk_count; i++) {
		ov_text_mac_format(r[i].otr_dst, dst, sizeof(dst));
		ov_text_mac_format(r[i].otr_src, src, sizeof(src));
		printf("%" PRIu64 " %u %s %s 0x%04x %u %s %u\n",
		       (uint64_t)r[i].otr_reqid, r[i].otr_linkid, dst, src,
		       r[i].otr_ethertype, r[i].otr_vlan,
		       r[i].otr_flags & OVERLAY_TARG_REQ_BCAST ? "bcast" : "-",
		       r[i].otr_pktsize);
	}
}

static void cmd_blast(const char *ifname, unsigned long n, unsigned long seed,
		      unsigned long repeat)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t f[60] = { 0 };
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		die("socket(AF_PACKET)");
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "%s: no interface %s\n", prog, ifname);
		exit(1);
	}
	f[6] = 0x02; f[7] = 0xbb;	/* source 02:bb:00:00:00:01 */
	f[11] = 1;
	f[12] = 0x88; f[13] = 0xb5;	/* local experimental ethertype */
	for (unsigned long i = 0; i < n; i++) {
		unsigned long v = i + seed;

		f[0] = 0x02; f[1] = 0xaa;	/* 02:aa:xx:xx:xx:xx, unicast */
		f[2] = (uint8_t)(v >> 24); f[3] = (uint8_t)(v >> 16);
		f[4] = (uint8_t)(v >> 8); f[5] = (uint8_t)v;
		for (unsigned long r = 0; r < repeat; r++)
			while (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll,
				      sizeof(sll)) != (ssize_t)sizeof(f)) {
				if (errno != ENOBUFS && errno != EAGAIN)
					die("sendto");
				usleep(1000);
			}
	}
	close(fd);
	printf("blast: %lu frames to %lu distinct MACs out of %s\n", n * repeat,
	       n, ifname);
}

static void cmd_badtarg(const char *kind, const char *link)
{
	static struct overlay_targ_req r[2];
	static struct overlay_targ_resp rs[1];
	static struct overlay_targ_cache_entry ents[4];
	uint8_t frame[8] = { 0 };
	uint32_t id = link ? link_parse(link) : 0;
	struct overlay_ioc_lookup lk = { .olk_count = 1, .olk_reqs = (uintptr_t)r };
	struct overlay_ioc_respond rp = { .orp_count = 1, .orp_resps = (uintptr_t)rs };
	struct overlay_ioc_targ_pkt p = { .opk_reqid = 0xdeadbeef, .opk_size = 8,
					  .opk_buf = (uintptr_t)frame };
	struct overlay_ioc_cache_iter it = { .oci_linkid = id, .oci_count = 4,
					     .oci_ents = (uintptr_t)ents };
	struct overlay_ioc_cache c = { .oc_linkid = id };
	struct overlay_ioc_frame fr = { .oif_linkid = id, .oif_size = sizeof(frame),
					.oif_buf = (uintptr_t)frame };
	struct overlay_ioc_degrade dg = { .odg_linkid = id };
	struct overlay_ioc_list ls = { .ols_count = OVERLAY_TARG_BATCH_MAX + 1 };

	if (strcmp(kind, "lookup0") == 0) {
		lk.olk_count = 0;
		xioctl(OVERLAY_IOC_LOOKUP, &lk, "LOOKUP (count 0)");
	} else if (strcmp(kind, "lookupbig") == 0) {
		lk.olk_count = OVERLAY_TARG_BATCH_MAX + 1;
		xioctl(OVERLAY_IOC_LOOKUP, &lk, "LOOKUP (count too big)");
	} else if (strcmp(kind, "lookupsize") == 0) {
		xioctl(_IOC(_IOC_READ | _IOC_WRITE, OVERLAY_IOC_TYPE,
			    _IOC_NR(OVERLAY_IOC_LOOKUP), sizeof(lk) - 8), &lk,
		       "LOOKUP (wrong size)");
	} else if (strcmp(kind, "lookupfault") == 0) {
		lk.olk_reqs = 8;
		xioctl(OVERLAY_IOC_LOOKUP, &lk, "LOOKUP (bad array pointer)");
	} else if (strcmp(kind, "lookupflags") == 0) {
		lk.olk_flags = 0x80;
		xioctl(OVERLAY_IOC_LOOKUP, &lk, "LOOKUP (flags)");
	} else if (strcmp(kind, "respond0") == 0) {
		rp.orp_count = 0;
		xioctl(OVERLAY_IOC_RESPOND, &rp, "RESPOND (count 0)");
	} else if (strcmp(kind, "respondflags") == 0 || strcmp(kind, "respondbad") == 0) {
		rs[0].ors_reqid = 0xdeadbeef;
		rs[0].ors_flags = kind[7] == 'f' ? 0x40 : OVERLAY_TARG_RESP_DROP;
		xioctl(OVERLAY_IOC_RESPOND, &rp, "RESPOND");
		printf("record error %s failed %u\n", errname(-rs[0].ors_error),
		       rp.orp_failed);
		return;
	} else if (strcmp(kind, "pktbad") == 0) {
		xioctl(OVERLAY_IOC_PKT, &p, "PKT (unknown request)");
	} else if (strcmp(kind, "dropbad") == 0) {
		xioctl(OVERLAY_IOC_DROP, &p, "DROP (unknown request)");
	} else if (strcmp(kind, "iterbad") == 0) {
		it.oci_cursor[0] = 0;
		it.oci_cursor[1] = 5;
		xioctl(OVERLAY_IOC_CACHE_ITER, &it, "CACHE_ITER (bad cursor)");
	} else if (strcmp(kind, "iterstale") == 0) {
		xioctl(OVERLAY_IOC_CACHE_ITER, &it, "CACHE_ITER (start)");
		it.oci_cursor[0] ^= 1ULL << 40;	/* another generation */
		it.oci_count = 4;
		xioctl(OVERLAY_IOC_CACHE_ITER, &it, "CACHE_ITER (stale cursor)");
	} else if (strcmp(kind, "iterflags") == 0) {
		it.oci_flags = 1;
		xioctl(OVERLAY_IOC_CACHE_ITER, &it, "CACHE_ITER (flags)");
	} else if (strcmp(kind, "cacheflags") == 0) {
		c.oc_entry.otc_flags = 0x100;
		c.oc_entry.otc_mac[0] = 2;
		xioctl(OVERLAY_IOC_CACHE_SET, &c, "CACHE_SET (flags)");
	} else if (strcmp(kind, "setbcastip") == 0) {
		c.oc_entry.otc_mac[0] = 2;
		ip_parse("224.0.0.1", c.oc_entry.otc_ip);
		xioctl(OVERLAY_IOC_CACHE_SET, &c, "CACHE_SET (multicast IP)");
	} else if (strcmp(kind, "injectsmall") == 0) {
		xioctl(OVERLAY_IOC_INJECT, &fr, "INJECT (8-byte frame)");
	} else if (strcmp(kind, "resendinactive") == 0) {
		fr.oif_size = 60;
		ip_parse("192.0.2.9", fr.oif_ip);
		xioctl(OVERLAY_IOC_RESEND, &fr, "RESEND");
	} else if (strcmp(kind, "degradeempty") == 0) {
		xioctl(OVERLAY_IOC_DEGRADE, &dg, "DEGRADE (empty message)");
	} else if (strcmp(kind, "listbig") == 0) {
		xioctl(OVERLAY_IOC_LIST, &ls, "LIST (room too big)");
	} else if (strcmp(kind, "point") == 0) {
		c.oc_entry.otc_mac[0] = 2;
		xioctl(OVERLAY_IOC_CACHE_GET, &c, "CACHE_GET (point device)");
	} else {
		usage("unknown badtarg KIND", kind);
	}
	printf("badtarg %s: succeeded\n", kind);
}

static void cmd_churn(unsigned long n, const char *listen)
{
	for (unsigned long i = 0; i < n; i++) {
		const char *encap = i % 2 ? "nvgre" : "vxlan";
		struct overlay_ioc_status st;
		char vnetid[16], prop[32];
		uint32_t id = cmd_create(NULL);

		snprintf(vnetid, sizeof(vnetid), "%lu", i);
		snprintf(prop, sizeof(prop), "%s/listen_ip", encap);
		prop_set(id, "encap", encap);
		prop_set(id, "vnetid", vnetid);
		prop_set(id, prop, listen);
		cmd_associate(id, strchr(listen, ':') ? "2001:db8::99" : "192.0.2.99",
			      NULL);
		cmd_link(OVERLAY_IOC_ACTIVATE, id, "ACTIVATE");
		cmd_link(OVERLAY_IOC_DELETE, id, "DELETE");
		memset(&st, 0, sizeof(st));
		st.oisc_linkid = id;
		if (ioctl(devfd, OVERLAY_IOC_STATUS, &st) == 0 || errno != ENOENT) {
			fprintf(stderr, "%s: link %u still there after DELETE\n", prog, id);
			exit(1);
		}
	}
	printf("churn: %lu devices created, activated and deleted\n", n);
}

/* Fill an inner Ethernet frame: broadcast, our made-up source, IPv4. */
static size_t inner_frame(uint8_t *p, size_t len)
{
	static const uint8_t hdr[14] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
	};

	memset(p, 0, len);
	memcpy(p, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
	return len;
}

static void send_packet(const char *addr, int proto, uint16_t port,
			const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, family;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		family = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		family = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		fprintf(stderr, "%s: %s is not an IP address\n", prog, addr);
		exit(2);
	}
	fd = proto == IPPROTO_UDP ? socket(family, SOCK_DGRAM, 0)
				  : socket(family, SOCK_RAW, proto);
	if (fd < 0)
		die("socket");
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len)
		die("sendto");
	close(fd);
}

static int recv_socket(const char *addr, int type, int proto, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct timeval tv = { .tv_sec = 5 };
	socklen_t sl;
	int fd;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		fprintf(stderr, "%s: %s is not an IP address\n", prog, addr);
		exit(2);
	}
	fd = socket(ss.ss_family, type, proto);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0)
		die("bind");
	return fd;
}

static void cmd_recv(bool gre, const char *addr, uint16_t port, unsigned long n)
{
	static uint8_t buf[65536];
	int fd = gre ? recv_socket(addr, SOCK_RAW, IPPROTO_GRE, 0)
		     : recv_socket(addr, SOCK_DGRAM, 0, port);
	bool v4 = strchr(addr, ':') == NULL;

	/* Tell the caller the socket is ready, then receive. */
	printf("ready\n");
	fflush(stdout);
	for (unsigned long i = 0; i < n; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0,
				       (struct sockaddr *)&from, &fl);
		const uint8_t *p = buf;

		if (len < 0)
			die("recv: timed out");
		if (!gre) {
			uint16_t sport = from.ss_family == AF_INET ?
				ntohs(((struct sockaddr_in *)&from)->sin_port) :
				ntohs(((struct sockaddr_in6 *)&from)->sin6_port);

			if (len < 8)
				die("recv: datagram shorter than VXLAN");
			printf("sport %u flags 0x%02x vni %u len %zd\n", sport, p[0],
			       (unsigned)(p[4] << 16 | p[5] << 8 | p[6]), len - 8);
			continue;
		}
		if (v4) {	/* raw IPv4 sockets see the IP header */
			size_t ihl = (size_t)(p[0] & 0x0f) * 4;

			p += ihl;
			len -= (ssize_t)ihl;
		}
		if (len < 8)
			die("recv: GRE packet shorter than NVGRE");
		printf("flags 0x%02x%02x proto 0x%02x%02x vsid %u flowid %u len %zd\n",
		       p[0], p[1], p[2], p[3],
		       (unsigned)(p[4] << 16 | p[5] << 8 | p[6]), p[7], len - 8);
	}
	close(fd);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end)
		usage("not a number:", s);
	return v;
}

static void cmd_send_vxlan(int argc, char **argv)
{
	static uint8_t buf[65536];
	size_t len, inner;
	uint32_t vni;

	if (argc < 5)
		usage("send-vxlan needs ADDR PORT FLAGS VNI INNERLEN", NULL);
	vni = (uint32_t)num(argv[3]);
	inner = num(argv[4]);
	if (inner > sizeof(buf) - 8)
		usage("INNERLEN is too large:", argv[4]);
	memset(buf, 0, 8);
	buf[0] = (uint8_t)num(argv[2]);
	buf[4] = (uint8_t)(vni >> 16);
	buf[5] = (uint8_t)(vni >> 8);
	buf[6] = (uint8_t)vni;
	len = 8 + inner_frame(buf + 8, inner);
	if (argc > 5 && num(argv[5]) < len)
		len = num(argv[5]);
	send_packet(argv[0], IPPROTO_UDP, (uint16_t)num(argv[1]), buf, len);
}

static void cmd_send_gre(int argc, char **argv)
{
	static uint8_t buf[65536];
	size_t len = 4, inner;
	uint32_t vsid;
	uint8_t b0;

	if (argc < 4)
		usage("send-gre needs ADDR GREBYTE0 VSID INNERLEN", NULL);
	b0 = (uint8_t)num(argv[1]);
	vsid = (uint32_t)num(argv[2]);
	inner = num(argv[3]);
	if (inner > sizeof(buf) - 16)
		usage("INNERLEN is too large:", argv[3]);
	memset(buf, 0, 16);
	buf[0] = b0;
	buf[2] = 0x65;
	buf[3] = 0x58;
	if (b0 & 0xc0)
		len += 4;	/* checksum + offset (left zero) */
	if (b0 & 0x20) {
		buf[len] = (uint8_t)(vsid >> 16);
		buf[len + 1] = (uint8_t)(vsid >> 8);
		buf[len + 2] = (uint8_t)vsid;
		len += 4;
	}
	if (b0 & 0x10)
		len += 4;	/* sequence number */
	len += inner_frame(buf + len, inner);
	if (argc > 4 && num(argv[4]) < len)
		len = num(argv[4]);
	send_packet(argv[0], IPPROTO_GRE, 0, buf, len);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char optname[3] = "-?";
	const char *cmd;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:e:Uh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
				if (strcmp(errnames[i].name, optarg) == 0)
					expect_errno = errnames[i].value;
			if (!expect_errno)
				usage("-e: unknown errno name", optarg);
			break;
		case 'U':
			drop_caps = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			optname[1] = (char)optopt;
			usage("option needs an argument:", optname);
			break;
		default:
			optname[1] = (char)optopt;
			usage("unknown option", optopt ? optname : argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage("no command", NULL);
	cmd = argv[0];
	argc--;
	argv++;

#define NEED(n) do { if (argc < (n)) usage("too few operands for", cmd); } while (0)
	if (strcmp(cmd, "create") == 0) {
		uint32_t id = cmd_create(argc > 0 ? argv[0] : NULL);
		struct overlay_ioc_status s = { .oisc_linkid = id };
		char name[IF_NAMESIZE] = "?";

		xioctl(OVERLAY_IOC_STATUS, &s, "STATUS");
		if_indextoname(s.oisc_ifindex, name);
		printf("%u %u %s\n", id, s.oisc_ifindex, name);
	} else if (strcmp(cmd, "delete") == 0) {
		NEED(1);
		cmd_link(OVERLAY_IOC_DELETE, link_parse(argv[0]), "DELETE");
	} else if (strcmp(cmd, "activate") == 0) {
		NEED(1);
		cmd_link(OVERLAY_IOC_ACTIVATE, link_parse(argv[0]), "ACTIVATE");
	} else if (strcmp(cmd, "disassociate") == 0) {
		NEED(1);
		cmd_link(OVERLAY_IOC_DISASSOCIATE, link_parse(argv[0]),
			 "DISASSOCIATE");
	} else if (strcmp(cmd, "associate") == 0) {
		NEED(2);
		cmd_associate(link_parse(argv[0]), argv[1], argc > 2 ? argv[2] : NULL);
	} else if (strcmp(cmd, "set") == 0) {
		NEED(3);
		prop_set(link_parse(argv[0]), argv[1], argv[2]);
	} else if (strcmp(cmd, "get") == 0) {
		NEED(2);
		cmd_get(link_parse(argv[0]), argv[1]);
	} else if (strcmp(cmd, "props") == 0) {
		NEED(1);
		cmd_props(link_parse(argv[0]));
	} else if (strcmp(cmd, "status") == 0) {
		NEED(1);
		cmd_status(link_parse(argv[0]), argc > 1 ? argv[1] : NULL);
	} else if (strcmp(cmd, "up") == 0) {
		const char *port = NULL;
		uint32_t id;

		NEED(5);
		id = cmd_create_props(argv, argc, 5, &port);
		cmd_associate(id, argv[4], port);
		cmd_link(OVERLAY_IOC_ACTIVATE, id, "ACTIVATE");
		printf("%u\n", id);
	} else if (strcmp(cmd, "dynamic") == 0) {
		NEED(1);
		cmd_dynamic(link_parse(argv[0]));
	} else if (strcmp(cmd, "updyn") == 0) {
		uint32_t id;

		NEED(4);
		id = cmd_create_props(argv, argc, 4, NULL);
		cmd_dynamic(id);
		cmd_link(OVERLAY_IOC_ACTIVATE, id, "ACTIVATE");
		printf("%u\n", id);
	} else if (strcmp(cmd, "info") == 0) {
		NEED(1);
		cmd_info(link_parse(argv[0]), argc > 1 ? argv[1] : NULL);
	} else if (strncmp(cmd, "cache-", 6) == 0 && (strcmp(cmd + 6, "get") == 0 ||
		   strcmp(cmd + 6, "set") == 0 || strcmp(cmd + 6, "remove") == 0)) {
		NEED(2);
		cmd_cache(cmd + 6, link_parse(argv[0]), argc - 1, argv + 1);
	} else if (strcmp(cmd, "cache-flush") == 0) {
		NEED(1);
		cmd_link(OVERLAY_IOC_CACHE_FLUSH, link_parse(argv[0]), "CACHE_FLUSH");
	} else if (strcmp(cmd, "cache-list") == 0) {
		NEED(1);
		cmd_cache_list(link_parse(argv[0]), argc > 1 ? num(argv[1]) : 100);
	} else if (strcmp(cmd, "degrade") == 0) {
		NEED(2);
		cmd_degrade(link_parse(argv[0]), argv[1]);
	} else if (strcmp(cmd, "restore") == 0) {
		NEED(1);
		cmd_link(OVERLAY_IOC_RESTORE, link_parse(argv[0]), "RESTORE");
	} else if (strcmp(cmd, "list") == 0) {
		cmd_list();
	} else if (strcmp(cmd, "lookup") == 0) {
		cmd_lookup(argc > 0 ? num(argv[0]) : 16);
	} else if (strcmp(cmd, "blast") == 0) {
		NEED(2);
		cmd_blast(argv[0], num(argv[1]), argc > 2 ? num(argv[2]) : 0,
			  argc > 3 ? num(argv[3]) : 1);
	} else if (strcmp(cmd, "badtarg") == 0) {
		NEED(1);
		cmd_badtarg(argv[0], argc > 1 ? argv[1] : NULL);
	} else if (strcmp(cmd, "badioctl") == 0) {
		NEED(1);
		cmd_badioctl(argv[0], argc > 1 ? argv[1] : NULL);
	} else if (strcmp(cmd, "churn") == 0) {
		NEED(2);
		cmd_churn(num(argv[0]), argv[1]);
	} else if (strcmp(cmd, "recv-udp") == 0) {
		NEED(3);
		cmd_recv(false, argv[0], (uint16_t)num(argv[1]), num(argv[2]));
	} else if (strcmp(cmd, "recv-gre") == 0) {
		NEED(2);
		cmd_recv(true, argv[0], 0, num(argv[1]));
	} else if (strcmp(cmd, "send-vxlan") == 0) {
		cmd_send_vxlan(argc, argv);
	} else if (strcmp(cmd, "send-gre") == 0) {
		cmd_send_gre(argc, argv);
	} else {
		usage("unknown command", cmd);
	}
	if (expect_errno) {
		fprintf(stderr, "%s: %s succeeded, expected %s\n", prog, cmd,
			errname(expect_errno));
		return 1;
	}
	return 0;
}
