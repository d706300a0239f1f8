/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * overlay.h - the contract between ovnet.ko and its userland.
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
 * Lifecycle of a device (point mode; dynamic mode: see "Dynamic mode" below):
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
 *	0x20 - 0x3f	destinations: ASSOCIATE, DISASSOCIATE, and the
 *			dynamic mode's lookup channel (TARG_INFO, DEGRADE,
 *			RESTORE, LOOKUP, RESPOND, DROP, PKT, INJECT, RESEND,
 *			LIST)
 *	0x40 - 0x5f	the target cache (GET, SET, REMOVE, FLUSH, ITER)
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
#define OVERLAY_STATE_UP		0x8	/* the net_device is up (LIST) */

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
#define OVERLAY_DEST_DYNAMIC	2	/* per-MAC lookups: the target cache */

/*
 * OVERLAY_IOC_ASSOCIATE: give a device its destination mode.
 * OVERLAY_DEST_POINT: oia_ip is the remote underlay address (unicast, same
 * family as the listen address at ACTIVATE, else EAFNOSUPPORT there);
 * oia_port is the remote port for UDP encapsulations (0 = the
 * encapsulation's default) and must be 0 for NVGRE. May be issued again to
 * move the destination, also while active.
 * OVERLAY_DEST_DYNAMIC: oia_ip and oia_port must be zero (EINVAL); the
 * device gets an empty target cache (below) and every frame is sent to the
 * destination its inner destination MAC resolves to. Issued again on a
 * dynamic device it keeps the cache (a no-op); switching between point and
 * dynamic replaces the destination state (the cache and its pending frames
 * are dropped and counted). Any other mode: EINVAL.
 */
struct overlay_ioc_associate {
	__u32	oia_linkid;
	__u32	oia_flags;		/* in: 0 */
	__u32	oia_mode;		/* OVERLAY_DEST_* */
	__u16	oia_port;
	__u16	oia_pad;
	__u8	oia_ip[16];
};


/*
 * Dynamic mode
 * ------------
 * A dynamic device keeps a target cache keyed by inner destination MAC.
 * An entry is PENDING (a lookup is outstanding; frames wait on it), VALID
 * (frames go to its underlay address and port) or DROP (frames are dropped
 * and counted):
 *
 *	(none) --first frame--> PENDING --RESPOND dest--> VALID
 *	                           |  \---RESPOND drop / DROP--> DROP
 *	                           |
 *	          CACHE_SET makes any state VALID or DROP; CACHE_REMOVE,
 *	          CACHE_FLUSH and eviction remove VALID and DROP entries
 *	          (CACHE_REMOVE/FLUSH also PENDING ones, dropping their frames)
 *
 * The cache holds at most the device property cache_size entries (PENDING
 * ones included). A miss that finds it full evicts the least recently used
 * VALID or DROP entry; when every entry is PENDING the frame is dropped and
 * counted (ot_drop_cache_full). A PENDING entry holds at most the property
 * pending_bytes bytes of frames (its first frame is always held); beyond
 * that, frames are dropped and counted (ot_drop_pending). The key is the
 * MAC alone: VLANs share entries. When the answer comes every queued frame is sent in
 * order, the first one included.
 *
 * Broadcast and multicast destination MACs take the same path, with
 * OVERLAY_TARG_REQ_BCAST set in the request: the answer applies to the
 * frames queued on that request and is not cached, so every later
 * broadcast frame asks again (a responder answers ARP, NDP or DHCP with
 * PKT, INJECT and DROP; or floods with RESEND). A broadcast entry set with
 * CACHE_SET is kept like any other.
 *
 * Requests and the responder. Each PENDING entry has one request on its
 * network namespace's request queue (at most OVERLAY_TARG_QUEUE_MAX
 * requests, queued and in flight; a miss beyond that is dropped and
 * counted, ot_drop_queue_full, and asks again with its next frame). The
 * namespace's request queue serves the dynamic devices whose underlay was
 * created there. LOOKUP moves requests from the queue to "in flight" and
 * hands them out; RESPOND or DROP answers and ends them. One open file per
 * namespace is the responder: the first LOOKUP, RESPOND, DROP or PKT on a
 * file claims the role, the same ioctls on another file fail with EBUSY
 * until it is closed. When the responder's file is closed (the process
 * exits or is killed) its in-flight requests go back to the queue, in their
 * order, for the next responder. While no responder holds the namespace,
 * its dynamic devices report OVERLAY_STATE_DEGRADED with the message "no
 * responder"; DEGRADE marks a device degraded with the responder's own
 * message until RESTORE (it outlives the responder: a new one restores
 * what it knows to be well). LOOKUP, RESPOND, DROP, PKT and poll() act on
 * the namespace the file was opened in (not the caller's, should it have
 * moved since). poll() on any
 * /dev/overlay file opened in the namespace reports POLLIN while requests
 * are queued.
 */

#define OVERLAY_TARG_QUEUE_MAX	8192	/* requests per namespace */
#define OVERLAY_TARG_BATCH_MAX	1024	/* records per LOOKUP/RESPOND/LIST/ITER */
#define OVERLAY_TARG_FRAME_MAX	65535	/* bytes: PKT, INJECT, RESEND */

/*
 * OVERLAY_IOC_TARG_INFO: a device's destination mode and target cache
 * figures. Any mode; the cache fields are zero unless dynamic.
 * Accounting: every frame a dynamic device is asked to send is counted once
 * in ot_tx_frames and ends in exactly one of ot_sent (handed to the
 * encapsulation, now or after its answer), the ot_drop_* counters, or
 * ot_pending_frames (still waiting).
 */
struct overlay_targ_info {
	__u32	ot_linkid;
	__u32	ot_flags;		/* in: 0 */
	__u32	ot_dest_mode;		/* out: OVERLAY_DEST_* or 0 */
	__u32	ot_state;		/* out: OVERLAY_STATE_* */
	__u32	ot_cache_size;		/* out: the bound (property cache_size) */
	__u32	ot_pending_bytes;	/* out: property pending_bytes */
	__u32	ot_entries;		/* out: entries now, all states */
	__u32	ot_pending;		/* out: PENDING entries now */
	__u64	ot_pending_frames;	/* out: frames waiting on them */
	__u64	ot_tx_frames;		/* out: frames to send, since ASSOCIATE */
	__u64	ot_sent;		/* out */
	__u64	ot_hits;		/* out: frames that found VALID/DROP */
	__u64	ot_misses;		/* out: entries created by a frame */
	__u64	ot_requests;		/* out: requests queued */
	__u64	ot_answers;		/* out: requests answered */
	__u64	ot_evictions;		/* out */
	__u64	ot_drop_entry;		/* out: dropped by a DROP entry/answer */
	__u64	ot_drop_pending;	/* out: pending_bytes exceeded */
	__u64	ot_drop_cache_full;	/* out: every entry PENDING */
	__u64	ot_drop_queue_full;	/* out: request queue full */
	__u64	ot_drop_flushed;	/* out: pending frames removed/flushed */
	__u64	ot_drop_error;		/* out: no memory, device inactive */
	__u64	ot_reserved[4];
};

/* OVERLAY_IOC_DEGRADE: mark a device degraded, with a reason. */
struct overlay_ioc_degrade {
	__u32	odg_linkid;
	__u32	odg_flags;		/* in: 0 */
	char	odg_message[OVERLAY_MSGLEN];	/* NUL-terminated, not empty */
};

/* otr_flags */
#define OVERLAY_TARG_REQ_BCAST	0x1	/* destination is broadcast/multicast */

/* One request, as LOOKUP returns it. */
struct overlay_targ_req {
	__u64	otr_reqid;		/* never 0, never reused */
	__u32	otr_linkid;
	__u32	otr_flags;		/* OVERLAY_TARG_REQ_* */
	__u8	otr_dst[6];		/* the destination MAC looked up */
	__u8	otr_src[6];		/* the first frame's source MAC */
	__u16	otr_ethertype;		/* the first frame's (inside a VLAN tag) */
	__u16	otr_vlan;		/* VLAN id of the first frame, 0: none */
	__u32	otr_pktsize;		/* bytes of the first frame (PKT) */
	__u32	otr_pad;
};

/*
 * OVERLAY_IOC_LOOKUP: non-blocking, batched. olk_count in: room in the
 * array at olk_reqs (1..OVERLAY_TARG_BATCH_MAX, else EINVAL); out: how many
 * requests were written (0: none queued). Claims the responder role (EBUSY:
 * another file holds it). EFAULT: the array is not writable (the requests
 * stay queued).
 */
struct overlay_ioc_lookup {
	__u32	olk_flags;		/* in: 0 */
	__u32	olk_count;		/* in/out */
	__u64	olk_reqs;		/* in: pointer to struct overlay_targ_req[] */
};

/* ors_flags */
#define OVERLAY_TARG_RESP_DROP	0x1	/* drop: no destination for this MAC */

/* One answer. */
struct overlay_targ_resp {
	__u64	ors_reqid;
	__u32	ors_flags;		/* OVERLAY_TARG_RESP_* */
	__u16	ors_port;		/* UDP encapsulations: 0 = default */
	__u16	ors_pad;
	__u8	ors_ip[16];		/* unicast; ignored with DROP */
	__s32	ors_error;		/* out: 0 or -errno for this record */
	__u32	ors_pad2;
};

/*
 * OVERLAY_IOC_RESPOND: answer requests, batched. orp_count records at
 * orp_resps (1..OVERLAY_TARG_BATCH_MAX, else EINVAL). Each record is
 * answered or fails on its own: ors_error is 0, -ENOENT (no such request,
 * already answered, or its device is gone), -EINVAL (bad flags, padding, a
 * non-unicast address, a port with NVGRE), -EAFNOSUPPORT (the address's
 * family is not the device's underlay's). Out: orp_failed, how many records
 * failed. Claims the responder role.
 */
struct overlay_ioc_respond {
	__u32	orp_flags;		/* in: 0 */
	__u32	orp_count;		/* in */
	__u32	orp_failed;		/* out */
	__u32	orp_pad;
	__u64	orp_resps;		/* in: pointer to struct overlay_targ_resp[] */
};

/*
 * OVERLAY_IOC_DROP: answer one request with "drop" (the entry becomes DROP,
 * its frames are dropped). OVERLAY_IOC_PKT: copy the request's first frame
 * into the buffer at opk_buf of opk_size bytes; out: opk_size is the
 * frame's length (when larger than the buffer, the frame is cut and
 * OVERLAY_TARG_PKT_TRUNC is set in opk_flags). Both: ENOENT no such
 * request; both claim the responder role.
 */
#define OVERLAY_TARG_PKT_TRUNC	0x1	/* out only */
struct overlay_ioc_targ_pkt {
	__u64	opk_reqid;
	__u32	opk_flags;		/* in: 0 */
	__u32	opk_size;		/* in: buffer bytes; out: frame bytes */
	__u64	opk_buf;		/* in: pointer (unused by DROP) */
};

/*
 * OVERLAY_IOC_INJECT: deliver an Ethernet frame (14..OVERLAY_TARG_FRAME_MAX
 * bytes, EINVAL otherwise) into a device as if received from the underlay
 * (ENETDOWN when the device is not up). OVERLAY_IOC_RESEND: encapsulate one and
 * send it to oif_ip/oif_port (ENOTCONN when the device is not active,
 * ENETDOWN when it is not up; EINVAL/EAFNOSUPPORT for the address as in RESPOND). Any mode.
 */
struct overlay_ioc_frame {
	__u32	oif_linkid;
	__u32	oif_flags;		/* in: 0 */
	__u32	oif_size;		/* frame bytes at oif_buf */
	__u16	oif_port;		/* RESEND only */
	__u16	oif_pad;
	__u8	oif_ip[16];		/* RESEND only */
	__u64	oif_buf;
};

/* One device, as LIST returns it. */
struct overlay_targ_link {
	__u32	otl_linkid;
	__u32	otl_state;		/* OVERLAY_STATE_* */
	__u32	otl_dest_mode;		/* OVERLAY_DEST_* or 0 */
	__u32	otl_pad;
};

/*
 * OVERLAY_IOC_LIST: the devices in the caller's namespace. ols_count in:
 * room at ols_links (0..OVERLAY_TARG_BATCH_MAX); out: how many devices exist
 * (when more than the room, only the room is written).
 */
struct overlay_ioc_list {
	__u32	ols_flags;		/* in: 0 */
	__u32	ols_count;		/* in/out */
	__u64	ols_links;		/* pointer to struct overlay_targ_link[] */
};

/* otc_flags */
#define OVERLAY_TARG_CACHE_DROP		0x1	/* a DROP entry */
#define OVERLAY_TARG_CACHE_PENDING	0x2	/* out only: PENDING entry */

/* One cache entry. */
struct overlay_targ_cache_entry {
	__u8	otc_mac[6];
	__u16	otc_port;		/* host order; 0 = the default */
	__u32	otc_flags;		/* OVERLAY_TARG_CACHE_* */
	__u32	otc_pad;
	__u8	otc_ip[16];		/* VALID only */
};

/*
 * OVERLAY_IOC_CACHE_GET, _SET, _REMOVE: one entry by MAC on a dynamic
 * device (EINVAL on any other; ENOENT from GET and REMOVE when the MAC has
 * no entry). SET makes a VALID entry (oc_entry.otc_ip unicast of the
 * underlay's family, port as in ASSOCIATE) or a DROP entry (flag DROP, ip
 * and port zero); a PENDING entry so set sends or drops its frames and its
 * request ends (RESPOND on it then gets ENOENT). SET on a full cache evicts
 * as a miss would (ENOSPC when every entry is PENDING). REMOVE of a PENDING
 * entry drops its frames (counted in ot_drop_flushed).
 */
struct overlay_ioc_cache {
	__u32	oc_linkid;
	__u32	oc_flags;		/* in: 0 */
	struct overlay_targ_cache_entry	oc_entry;
};

/*
 * OVERLAY_IOC_CACHE_FLUSH (struct overlay_ioc_link): remove every entry of
 * a dynamic device, PENDING ones included (their frames are dropped and
 * counted, their requests end).
 */

/*
 * OVERLAY_IOC_CACHE_ITER: page through a dynamic device's cache without
 * holding it. oci_cursor is opaque: {0, 0} starts a walk; pass back what the
 * previous call returned. oci_count in: room at oci_ents
 * (1..OVERLAY_TARG_BATCH_MAX); out: entries written. oci_done is 1 when the
 * walk is over. An entry present for the whole walk is returned exactly
 * once; entries added or removed during it may or may not be. A cursor from
 * another device or cache (a device gets a new cache each time it enters dynamic mode) fails with
 * ESTALE; a malformed one with EINVAL.
 */
struct overlay_ioc_cache_iter {
	__u32	oci_linkid;
	__u32	oci_flags;		/* in: 0 */
	__u32	oci_count;		/* in/out */
	__u32	oci_done;		/* out */
	__u64	oci_cursor[2];		/* in/out */
	__u64	oci_ents;		/* pointer to struct overlay_targ_cache_entry[] */
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
#define OVERLAY_IOC_TARG_INFO	_IOWR(OVERLAY_IOC_TYPE, 0x22, struct overlay_targ_info)
#define OVERLAY_IOC_DEGRADE	_IOW(OVERLAY_IOC_TYPE, 0x23, struct overlay_ioc_degrade)
#define OVERLAY_IOC_RESTORE	_IOW(OVERLAY_IOC_TYPE, 0x24, struct overlay_ioc_link)
#define OVERLAY_IOC_LOOKUP	_IOWR(OVERLAY_IOC_TYPE, 0x25, struct overlay_ioc_lookup)
#define OVERLAY_IOC_RESPOND	_IOWR(OVERLAY_IOC_TYPE, 0x26, struct overlay_ioc_respond)
#define OVERLAY_IOC_DROP	_IOW(OVERLAY_IOC_TYPE, 0x27, struct overlay_ioc_targ_pkt)
#define OVERLAY_IOC_PKT		_IOWR(OVERLAY_IOC_TYPE, 0x28, struct overlay_ioc_targ_pkt)
#define OVERLAY_IOC_INJECT	_IOW(OVERLAY_IOC_TYPE, 0x29, struct overlay_ioc_frame)
#define OVERLAY_IOC_RESEND	_IOW(OVERLAY_IOC_TYPE, 0x2a, struct overlay_ioc_frame)
#define OVERLAY_IOC_LIST	_IOWR(OVERLAY_IOC_TYPE, 0x2b, struct overlay_ioc_list)
#define OVERLAY_IOC_CACHE_GET	_IOWR(OVERLAY_IOC_TYPE, 0x40, struct overlay_ioc_cache)
#define OVERLAY_IOC_CACHE_SET	_IOW(OVERLAY_IOC_TYPE, 0x41, struct overlay_ioc_cache)
#define OVERLAY_IOC_CACHE_REMOVE _IOW(OVERLAY_IOC_TYPE, 0x42, struct overlay_ioc_cache)
#define OVERLAY_IOC_CACHE_FLUSH	_IOW(OVERLAY_IOC_TYPE, 0x43, struct overlay_ioc_link)
#define OVERLAY_IOC_CACHE_ITER	_IOWR(OVERLAY_IOC_TYPE, 0x44, struct overlay_ioc_cache_iter)

#endif /* _UAPI_LINUX_OVERLAY_H */
