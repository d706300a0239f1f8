// SPDX-License-Identifier: GPL-2.0
/*
 * ovnet.ko - overlay network devices for Linux, the illumos way.
 *
 * What
 * ----
 * An overlay device is an Ethernet net_device whose frames travel
 * encapsulated over an IP underlay: VXLAN (RFC 7348, UDP) or NVGRE (RFC
 * 7637, IP protocol 47), over IPv4 or IPv6. Devices are created and
 * configured through ioctls on /dev/overlay (include/uapi/overlay.h is the
 * contract) and are rtnl links of kind "overlay", so `ip -d link` shows
 * them, `ip link set` brings them up and down, and `ip link del` removes
 * them. `ip link add ... type overlay` is refused: a device needs the
 * properties below, which only the ioctls carry.
 *
 * The module is ovnet, not overlay: that is overlayfs's module name in
 * every distribution kernel, so a module of that name fails to load beside
 * a mounted overlayfs ("File exists") and, installed, shadows it. It loads
 * on demand: opening /dev/overlay (a fixed misc minor with devname and
 * char-major aliases, ioctl.c) and `ip link add ... type overlay` (the
 * rtnl-link alias below; the request is still refused, the module stays).
 * It builds for Debian 12's 6.1 and bookworm-backports' 6.12; the kernel
 * API differences between them are confined to compat.h.
 *
 * Why
 * ---
 * Linux's vxlan device carries its own forwarding table and drops a packet
 * whose destination it does not know. The overlay architecture (illumos
 * overlay(7)) separates the device, which encapsulates, from the answer to
 * "where does this MAC live", which a userland daemon (varpd) gives. This
 * module is the device half. A device has one of two destination modes:
 * point (every frame goes to one destination) or dynamic (a target cache
 * per device, filled by a userland responder through the lookup channel on
 * /dev/overlay: LOOKUP/RESPOND and friends, target.c).
 *
 * Files (one per subsystem, names ov_<subsystem>_<verb>)
 * -----
 *	main.c		this statement, the encapsulation table, init/exit
 *	compat.h	the differences between supported kernels
 *	ioctl.c		/dev/overlay: argument checks and dispatch
 *	device.c	the net_device, properties, activation, transmit,
 *			the rtnl link kind, namespace teardown
 *	target.c	dynamic mode: the target cache, the request queue,
 *			the responder and the lookup channel's ioctls
 *	socket.c	underlay endpoints shared per (encap, netns, address,
 *			port), the receive demultiplexer by vnetid, and the
 *			route-and-headroom step every transmit shares
 *	vxlan.c nvgre.c	the encapsulations behind struct ov_encap_ops
 *	core/		kernel-free header build/parse and property
 *			validation, also compiled into userland for unit
 *			tests and the libFuzzer target
 *
 * States of a device
 * ------------------
 *
 *	CREATE --> inactive --ACTIVATE--> active --DELETE / ip link del--> gone
 *	             |  ^                   |
 *	      SETPROP|  |ASSOCIATE      ASSOCIATE (move the destination),
 *	             +--+               SETPROP mtu
 *
 * Inactive: properties may be set (mtu, vnetid, encap, vxlan/listen_ip,
 * vxlan/listen_port, nvgre/listen_ip, nvgre/flowid), and the destination
 * given with ASSOCIATE. ACTIVATE checks that the device's and its encapsulation's
 * required properties are set (EINVAL, the missing property's name in
 * STATUS's message), that the destination's family matches the listen
 * address's (EAFNOSUPPORT), then attaches the device to its underlay
 * endpoint (EEXIST if another device there has the vnetid, EADDRINUSE if
 * the port is taken by a non-overlay socket). Active: only mtu and the
 * destination may change; the device transmits once it is up and has a destination (frames without
 * one are dropped and counted as tx_nodest); received frames are delivered
 * only while it is up. There is no way back from active to inactive but
 * deletion: the underlay identity of a device does not change under it.
 *
 * Dynamic mode: a cache entry and a request
 * -----------------------------------------
 * A dynamic device's target cache maps an inner destination MAC to an
 * entry:
 *
 *	(none) --frame--> PENDING --RESPOND ip--> VALID --evict/REMOVE--> (none)
 *	                     |   \--RESPOND drop/DROP--> DROP --evict/REMOVE-->
 *	                     +--REMOVE/FLUSH/device gone--> (none), frames dropped
 *	CACHE_SET: any state -> VALID or DROP (a PENDING one's frames go out)
 *
 * A PENDING entry holds the frames sent to it (pending_bytes, the first
 * one always) and exactly one request. Broadcast and multicast entries
 * are forgotten once answered, so each such frame asks again. The cache
 * holds at most cache_size entries; a miss on a full cache evicts the least
 * recently used VALID/DROP entry, or is dropped if all are PENDING.
 *
 * A request lives in its namespace's queue (the namespace of the device's
 * underlay):
 *
 *	queued --LOOKUP--> in flight --RESPOND/DROP--> answered (freed)
 *	  ^                    |
 *	  +--responder closed--+    (any state) --entry removed--> freed
 *
 * One open file per namespace is the responder (claimed by its first
 * LOOKUP/RESPOND/DROP/PKT, released on close). No responder: the
 * namespace's dynamic devices report DEGRADED. At most
 * OVERLAY_TARG_QUEUE_MAX requests per namespace; misses beyond are
 * dropped and counted.
 *
 * Underlay endpoints
 * ------------------
 * One per (encapsulation, network namespace, listen address, port), shared
 * by all the devices on it and closed with the last. VXLAN uses a kernel
 * UDP tunnel socket (udp_tunnel, ip6_udp_tunnel: modprobe pulls them in);
 * its receive callback parses the VXLAN header and looks the VNI up in the
 * endpoint's hash of devices. An unknown VNI is dropped and counted on the
 * endpoint (STATUS reports the endpoint's counters with each device's).
 *
 * NVGRE receive and ip_gre
 * ------------------------
 * gre_demux owns IP protocol 47 and gives GRE version 0 to one handler,
 * which ip_gre takes when loaded; protocol handlers do not chain. So NVGRE
 * is received by a netfilter LOCAL_IN hook per endpoint that claims only
 * GRE version 0 with the K bit, protocol 0x6558 and a VSID of ours sent to
 * the endpoint's address and lets everything else through (unknown VSIDs
 * counted first), whether ip_gre is loaded or not, so a gretap with a key
 * can even share the address. Taking GRE version 0 only when gre_demux has it free was rejected:
 * loading ip_gre later would silently fail, or we would block it. The
 * costs, documented in nvgre.c: fragmented NVGRE over IPv6 is not
 * received (the hook runs before IPv6 reassembly), and a hook on a
 * wildcard address shadows specific ones in the same namespace.
 *
 * Namespaces
 * ----------
 * A device is created in the caller's network namespace and its underlay
 * endpoint lives there for good; the device may be moved elsewhere (like
 * vxlan's link-netns), and it is deleted when the underlay namespace goes.
 * ioctls see only the devices now in the caller's namespace.
 *
 * Locking
 * -------
 * RTNL serialises every ioctl, device creation and deletion, the endpoint
 * list and its reference counts, the property values, and the link id IDR.
 * The datapath takes no lock: it reads od->sock, od->dest and the
 * endpoint's vnetid hash under RCU; endpoints, destinations and netfilter
 * hook registrations are freed after a grace period; a device leaves its
 * endpoint's hash in dellink, before unregister_netdevice's synchronize.
 * Counters are atomic64 (errors) and per-CPU (packets, bytes).
 * Dynamic mode: od->tc (the cache) is created and destroyed under RTNL and
 * read by the datapath under RCU. Each cache has a spinlock over its hash,
 * LRU list, entries and counters (the datapath holds it for one lookup and
 * sends after dropping it; CACHE_ITER and CACHE_FLUSH take it one bucket
 * at a time); each namespace's request queue has a spinlock, nested inside
 * a cache's. A cache is marked dead under its lock before it is emptied
 * and freed after a grace period.
 *
 * Not supported (yet)
 * -------------------
 * Multicast/flood underlays (a responder floods with RESEND); a cache key
 * with the VLAN (entries are per MAC); VXLAN
 * extensions (GBP, GPE: frames with such flags are dropped as bad flags);
 * NVGRE with checksum or sequence numbers (RFC 7637 forbids them: dropped);
 * ECN propagation between inner and outer headers; offloads of the
 * underlay's UDP GRO.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <net/rtnetlink.h>

#include "ov.h"

/* The encapsulations, in the order PROPINFO lists their properties. */
const struct ov_encap_ops *const ov_encaps[] = {
	&ov_vxlan_ops,
	&ov_nvgre_ops,
};
const unsigned int ov_nencaps = ARRAY_SIZE(ov_encaps);

const struct ov_encap_ops *ov_encap_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ov_nencaps; i++)
		if (strcmp(ov_encaps[i]->name, name) == 0)
			return ov_encaps[i];
	return NULL;
}

static int __init ov_mod_init(void)
{
	int err;

	BUILD_BUG_ON(offsetof(struct overlay_counters, oc_rx_inactive) !=
		     offsetof(struct overlay_counters, oc_tx_nodest) +
		     (OV_CNT_RX_INACTIVE - OV_CNT_TX_NODEST) * sizeof(u64));
	err = ov_tgt_init();
	if (err)
		return err;
	err = ov_dev_init();
	if (err)
		goto err_tgt_exit;
	err = ov_ioctl_init();
	if (err)
		goto err_dev_exit;
	return 0;

err_dev_exit:
	ov_dev_exit();
err_tgt_exit:
	ov_tgt_exit();
	return err;
}

static void __exit ov_mod_exit(void)
{
	ov_ioctl_exit();
	ov_dev_exit();
	ov_tgt_exit();
	rcu_barrier();		/* kfree_rcu of endpoints and hooks */
}

module_init(ov_mod_init);
module_exit(ov_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("overlay network devices: VXLAN and NVGRE, point and dynamic destinations");
MODULE_ALIAS_RTNL_LINK(OVERLAY_LINK_KIND);
