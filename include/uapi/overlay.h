/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * overlay.h - the contract between overlay.ko and its userland.
 *
 * /dev/overlay is a character device; everything is an ioctl on an open
 * descriptor. Every ioctl needs CAP_NET_ADMIN in the user namespace of the
 * caller's network namespace (EPERM otherwise), and acts only on overlay
 * devices created in the caller's network namespace (ENOENT otherwise).
 *
 * Rules that hold for every structure and ioctl below:
 *
 *  - Fields are fixed width, padding is explicit and named *_pad; padding
 *    must be zero on input (EINVAL otherwise), so it can be given a meaning
 *    later. Output-only fields are ignored on input.
 *  - Every *_flags field lists its defined bits; an unknown bit set on input
 *    is rejected with EINVAL. No flags are defined yet: pass 0.
 *  - The ioctl number encodes the structure's size. A known ioctl number
 *    issued with another size or direction fails with EINVAL; an unknown
 *    number fails with ENOTTY.
 *  - A link id (linkid) names one overlay device. It is allocated by
 *    OVERLAY_IOC_CREATE, never reused while the device exists, and is not an
 *    ifindex (the ifindex is reported alongside). An unknown link id fails
 *    with ENOENT.
 *  - Addresses are 16 bytes in network order (struct in6_addr layout); an
 *    IPv4 address is written IPv4-mapped (::ffff:a.b.c.d). Ports are in host
 *    order. Unsigned property values are __u64 in host order.
 *
 * Lifecycle of a device (point mode; the dynamic mode is reserved):
 *
 *	CREATE  -> SETPROP encap, vnetid, <encap>/listen_ip, ... (any order)
 *	        -> ASSOCIATE mode=POINT with the one destination
 *	        -> ACTIVATE (checks that every required property is set;
 *	           EINVAL names nothing but STATUS's message names the missing
 *	           property) -> the device carries traffic once it is up
 *	           (ip link set NAME up)
 *	DELETE, or `ip link del NAME`, removes it from any state.
 *
 * ioctl number space (type OVERLAY_IOC_TYPE):
 *	0x01 - 0x1f	device administration (below)
 *	0x20 - 0x3f	destinations: ASSOCIATE/DISASSOCIATE now; the dynamic
 *			mode's LOOKUP/RESPOND/DROP/PKT/INJECT/RESEND/DEGRADE/
 *			RESTORE/LIST reserved here
 *	0x40 - 0x5f	reserved for the target cache (GET, SET, REMOVE,
 *			FLUSH, ITER)
 */
#ifndef _UAPI_LINUX_OVERLAY_H
#define _UAPI_LINUX_OVERLAY_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define OVERLAY_DEV_NAME	"overlay"	/* /dev/overlay */
#define OVERLAY_LINK_KIND	"overlay"	/* rtnl link kind */
#define OVERLAY_IOC_TYPE	0xB7

#define OVERLAY_NAMELEN		16	/* IFNAMSIZ, NUL included */
#define OVERLAY_PROP_NAMELEN	64	/* NUL included */
#define OVERLAY_PROP_SIZEMAX	128	/* largest property value, bytes */
#define OVERLAY_MSGLEN		128	/* STATUS message, NUL included */

/*
 * OVERLAY_IOC_CREATE: create an overlay device in the caller's network
 * namespace. oic_name is the interface name ("" picks "ov%d"); it must be
 * NUL-terminated (EINVAL) and free (EEXIST). Out: oic_linkid, oic_ifindex.
 * The device starts inactive, with no destination and every property at its
 * default.
 */
struct overlay_ioc_create {
	__u32	oic_flags;		/* in: 0 */
	__u32	oic_linkid;		/* out */
	__u32	oic_ifindex;		/* out */
	__u32	oic_pad;
	char	oic_name[OVERLAY_NAMELEN];	/* in/out: the name given */
};

/*
 * OVERLAY_IOC_DELETE, OVERLAY_IOC_ACTIVATE, OVERLAY_IOC_DISASSOCIATE: act on
 * one device. ACTIVATE fails with EALREADY on an active device; EINVAL when
 * a required property is unset; EAFNOSUPPORT when the destination's family
 * is not the listen address's; EADDRNOTAVAIL when the listen address is not
 * the namespace's; EADDRINUSE when the port is held by a socket that is not
 * overlay's; EEXIST when another device on the same underlay endpoint
 * already has this vnetid. STATUS's message then says which.
 */
struct overlay_ioc_link {
	__u32	oil_linkid;
	__u32	oil_flags;		/* in: 0 */
};

/* OVERLAY_IOC_NPROPS: how many properties a device has (PROPINFO ids). */
struct overlay_ioc_nprops {
	__u32	oin_linkid;
	__u32	oin_nprops;		/* out */
};

/* Property types. */
#define OVERLAY_PROP_T_UINT	1	/* __u64, host order, size 8 */
#define OVERLAY_PROP_T_IP	2	/* 16 bytes, see above */
#define OVERLAY_PROP_T_STRING	3	/* NUL-terminated, NUL counted */

/* Property permission bits (oip_perm). */
#define OVERLAY_PROP_PERM_READ		0x1
#define OVERLAY_PROP_PERM_WRITE		0x2	/* settable while inactive */
#define OVERLAY_PROP_PERM_REQUIRED	0x4	/* must be set for ACTIVATE */
#define OVERLAY_PROP_PERM_ACTIVE	0x8	/* also settable while active */

/* PROPINFO by name rather than index. */
#define OVERLAY_PROP_BYNAME	0xffffffffU

/*
 * OVERLAY_IOC_PROPINFO: describe one property, by index (oipi_id <
 * NPROPS) or by name (oipi_id = OVERLAY_PROP_BYNAME, oipi_name set). Unknown
 * index or name: ENOENT. Properties named "<encap>/..." matter only when the
 * encap property names that encapsulation.
 */
struct overlay_ioc_propinfo {
	__u32	oipi_linkid;
	__u32	oipi_id;		/* in */
	char	oipi_name[OVERLAY_PROP_NAMELEN];	/* in/out */
	__u32	oipi_type;		/* out: OVERLAY_PROP_T_* */
	__u32	oipi_perm;		/* out: OVERLAY_PROP_PERM_* */
	__u32	oipi_defsize;		/* out: 0 when there is no default */
	__u32	oipi_pad;
	__u8	oipi_default[OVERLAY_PROP_SIZEMAX];	/* out */
	__u64	oipi_min;		/* out: UINT only, inclusive */
	__u64	oipi_max;		/* out: UINT only, inclusive */
	/* out: STRING only, comma-separated; "" = any */
	char	oipi_possible[OVERLAY_PROP_SIZEMAX];
};

/*
 * OVERLAY_IOC_GETPROP / OVERLAY_IOC_SETPROP: a property value by name.
 * GETPROP returns the value set, else the default, else oip_size 0.
 * SETPROP errors: ENOENT unknown name; EINVAL wrong size for the type, a
 * string not NUL-terminated or empty, or a multicast or broadcast address
 * (the unspecified address listens on all); ERANGE a
 * number out of range or a string not among the possible values; EBUSY the
 * device is active and the property lacks OVERLAY_PROP_PERM_ACTIVE.
 */
struct overlay_ioc_prop {
	__u32	oip_linkid;
	__u32	oip_flags;		/* in: 0 */
	char	oip_name[OVERLAY_PROP_NAMELEN];
	__u32	oip_size;		/* bytes used in oip_value */
	__u32	oip_pad;
	__u8	oip_value[OVERLAY_PROP_SIZEMAX];
};

/*
 * Counters. A device has its own set, and the underlay endpoint it listens
 * on (one per network namespace, family, address and port, shared by every
 * device there) has one for packets that no device could be blamed for.
 * Every malformed packet is dropped and counted exactly once.
 */
struct overlay_counters {
	__u64	oc_tx_packets;
	__u64	oc_tx_bytes;
	__u64	oc_rx_packets;
	__u64	oc_rx_bytes;
	__u64	oc_tx_nodest;		/* no destination, or not active */
	__u64	oc_tx_errors;		/* no route, no headroom, send failed */
	__u64	oc_rx_truncated;	/* header or inner frame cut short */
	__u64	oc_rx_bad_flags;	/* VXLAN flags other than only I */
	__u64	oc_rx_bad_gre;		/* NVGRE with C, R or S bit set */
	__u64	oc_rx_oversize;		/* inner frame above MTU + 18 */
	__u64	oc_rx_unknown_vnetid;	/* underlay only: no such device */
	__u64	oc_rx_inactive;		/* device exists but is not up */
	__u64	oc_reserved[4];
};

/* oisc_state bits */
#define OVERLAY_STATE_ACTIVE		0x1
#define OVERLAY_STATE_ASSOCIATED	0x2	/* has a destination */
#define OVERLAY_STATE_DEGRADED		0x4	/* see oisc_message */

/*
 * OVERLAY_IOC_STATUS: state, the last error or degradation message, and
 * both sets of counters (the underlay set is zero while inactive).
 */
struct overlay_ioc_status {
	__u32	oisc_linkid;
	__u32	oisc_flags;		/* in: 0 */
	__u32	oisc_state;		/* out: OVERLAY_STATE_* */
	__u32	oisc_ifindex;		/* out */
	__u32	oisc_dest_mode;		/* out: OVERLAY_DEST_* or 0 */
	__u32	oisc_pad;
	char	oisc_message[OVERLAY_MSGLEN];	/* out */
	struct overlay_counters	oisc_dev;	/* out */
	struct overlay_counters	oisc_underlay;	/* out */
};

/* Destination modes. */
#define OVERLAY_DEST_POINT	1	/* one destination for every frame */
#define OVERLAY_DEST_DYNAMIC	2	/* reserved: per-MAC lookups */

/*
 * OVERLAY_IOC_ASSOCIATE: give a device its destination. Point mode only for
 * now (OVERLAY_DEST_DYNAMIC: EOPNOTSUPP). oia_ip is the remote underlay
 * address (unicast, same family as the listen address at ACTIVATE, else
 * EAFNOSUPPORT there); oia_port is the remote port for UDP encapsulations (0
 * = the encapsulation's default) and must be 0 for NVGRE. May be issued
 * again to move the destination, also while active.
 */
struct overlay_ioc_associate {
	__u32	oia_linkid;
	__u32	oia_flags;		/* in: 0 */
	__u32	oia_mode;		/* OVERLAY_DEST_* */
	__u16	oia_port;
	__u16	oia_pad;
	__u8	oia_ip[16];
};

#define OVERLAY_IOC_CREATE	_IOWR(OVERLAY_IOC_TYPE, 0x01, struct overlay_ioc_create)
#define OVERLAY_IOC_DELETE	_IOW(OVERLAY_IOC_TYPE, 0x02, struct overlay_ioc_link)
#define OVERLAY_IOC_ACTIVATE	_IOW(OVERLAY_IOC_TYPE, 0x03, struct overlay_ioc_link)
#define OVERLAY_IOC_NPROPS	_IOWR(OVERLAY_IOC_TYPE, 0x04, struct overlay_ioc_nprops)
#define OVERLAY_IOC_PROPINFO	_IOWR(OVERLAY_IOC_TYPE, 0x05, struct overlay_ioc_propinfo)
#define OVERLAY_IOC_GETPROP	_IOWR(OVERLAY_IOC_TYPE, 0x06, struct overlay_ioc_prop)
#define OVERLAY_IOC_SETPROP	_IOW(OVERLAY_IOC_TYPE, 0x07, struct overlay_ioc_prop)
#define OVERLAY_IOC_STATUS	_IOWR(OVERLAY_IOC_TYPE, 0x08, struct overlay_ioc_status)
/* 0x09 - 0x1f: reserved for administration */
#define OVERLAY_IOC_ASSOCIATE	_IOW(OVERLAY_IOC_TYPE, 0x20, struct overlay_ioc_associate)
#define OVERLAY_IOC_DISASSOCIATE _IOW(OVERLAY_IOC_TYPE, 0x21, struct overlay_ioc_link)

#endif /* _UAPI_LINUX_OVERLAY_H */
