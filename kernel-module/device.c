// SPDX-License-Identifier: GPL-2.0
/*
 * device.c - the overlay net_device: creation and deletion, properties,
 * activation, the point destination, transmit, and the rtnl link kind.
 *
 * Everything but the datapath runs under RTNL (the ioctls take it), which
 * also guards the list of devices and the link id allocator. The datapath
 * reads od->sock and od->dest under RCU (ndo_start_xmit runs in an RCU-bh
 * section; receive in softirq).
 */
#include <linux/etherdevice.h>
#include <linux/idr.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/rtnetlink.h>

#include "ov.h"

#define OV_MTU_DEFAULT	1400
#define OV_MTU_MIN	576
#define OV_MTU_MAX	9000

#define OV_CACHE_SIZE_DEFAULT	4096
#define OV_CACHE_SIZE_MAX	1048576
#define OV_PENDING_BYTES_DEFAULT	65536
#define OV_PENDING_BYTES_MAX	(16 << 20)

enum {
	OV_PROP_MTU, OV_PROP_VNETID, OV_PROP_ENCAP, OV_PROP_CACHE_SIZE,
	OV_PROP_PENDING_BYTES, OV_PROP_NCOMMON
};

/* "vxlan,nvgre": filled from ov_encaps[] by ov_dev_init(). */
static char ov_encap_names[OVERLAY_PROP_SIZEMAX];

static const struct ov_prop_desc ov_common_props[] = {
	[OV_PROP_MTU] = {
		.name = "mtu",
		.type = OVERLAY_PROP_T_UINT,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE |
			OVERLAY_PROP_PERM_ACTIVE,
		.min = OV_MTU_MIN,
		.max = OV_MTU_MAX,
		.has_default = true,
		.def_uint = OV_MTU_DEFAULT,
	},
	[OV_PROP_VNETID] = {
		.name = "vnetid",
		.type = OVERLAY_PROP_T_UINT,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE |
			OVERLAY_PROP_PERM_REQUIRED,
		.min = 0,
		.max = OV_VNETID_MAX,
	},
	[OV_PROP_ENCAP] = {
		.name = "encap",
		.type = OVERLAY_PROP_T_STRING,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE |
			OVERLAY_PROP_PERM_REQUIRED,
		.possible = ov_encap_names,
	},
	/* Dynamic mode: the target cache's bound, and frames per entry. */
	[OV_PROP_CACHE_SIZE] = {
		.name = "cache_size",
		.type = OVERLAY_PROP_T_UINT,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE |
			OVERLAY_PROP_PERM_ACTIVE,
		.min = 1,
		.max = OV_CACHE_SIZE_MAX,
		.has_default = true,
		.def_uint = OV_CACHE_SIZE_DEFAULT,
	},
	[OV_PROP_PENDING_BYTES] = {
		.name = "pending_bytes",
		.type = OVERLAY_PROP_T_UINT,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE |
			OVERLAY_PROP_PERM_ACTIVE,
		.min = 1,
		.max = OV_PENDING_BYTES_MAX,
		.has_default = true,
		.def_uint = OV_PENDING_BYTES_DEFAULT,
	},
};

static LIST_HEAD(ov_devs);
static DEFINE_IDR(ov_linkids);

/* ---- properties: the device's, then each encapsulation's, in order ---- */

unsigned int ov_prop_count(void)
{
	unsigned int i, n = OV_PROP_NCOMMON;

	for (i = 0; i < ov_nencaps; i++)
		n += ov_encaps[i]->nprops;
	return n;
}

int ov_prop_nth(unsigned int i, const struct ov_prop_desc **d)
{
	unsigned int e;

	if (i < OV_PROP_NCOMMON) {
		*d = &ov_common_props[i];
		return 0;
	}
	i -= OV_PROP_NCOMMON;
	for (e = 0; e < ov_nencaps; e++) {
		if (i < ov_encaps[e]->nprops) {
			*d = &ov_encaps[e]->props[i];
			return 0;
		}
		i -= ov_encaps[e]->nprops;
	}
	return -ENOENT;
}

/* The index of a property by name, or -ENOENT. */
int ov_prop_lookup(const char *name, const struct ov_prop_desc **d)
{
	unsigned int i, n = ov_prop_count();

	for (i = 0; i < n; i++) {
		ov_prop_nth(i, d);
		if (strcmp((*d)->name, name) == 0)
			return i;
	}
	return -ENOENT;
}

/* The index of encapsulation e's property number p. */
static unsigned int ov_prop_encap_index(const struct ov_encap_ops *e, int p)
{
	unsigned int i, n = OV_PROP_NCOMMON;

	for (i = 0; i < ov_nencaps && ov_encaps[i] != e; i++)
		n += ov_encaps[i]->nprops;
	return n + p;
}

/* The value (set or default) of encapsulation e's UINT property p. */
u64 ov_dev_encap_uint(struct ov_dev *od, const struct ov_encap_ops *e, int p)
{
	unsigned int i = ov_prop_encap_index(e, p);

	return ov_prop_uint(&e->props[p], &od->props[i]);
}

int ov_dev_getprop(struct ov_dev *od, const char *name, u8 *buf, u32 *size)
{
	const struct ov_prop_desc *d;
	int i;

	i = ov_prop_lookup(name, &d);
	if (i < 0)
		return i;
	if (i == OV_PROP_MTU) {
		u64 mtu = od->dev->mtu;	/* `ip link set mtu` changes it too */

		memcpy(buf, &mtu, sizeof(mtu));
		*size = sizeof(mtu);
		return 0;
	}
	*size = ov_prop_get(d, &od->props[i], buf);
	return 0;
}

int ov_dev_setprop(struct ov_dev *od, const char *name, const u8 *buf,
		   u32 size)
{
	const struct ov_prop_desc *d;
	int i, err;

	i = ov_prop_lookup(name, &d);
	if (i < 0)
		return i;
	if (od->active && !(d->perm & OVERLAY_PROP_PERM_ACTIVE))
		return -EBUSY;
	err = ov_prop_check(d, buf, size);
	if (err)
		return err;
	if (i == OV_PROP_MTU) {
		u64 mtu;

		memcpy(&mtu, buf, sizeof(mtu));
		err = dev_set_mtu(od->dev, (int)mtu);
		if (err)
			return err;
	}
	memcpy(od->props[i].data, buf, size);
	od->props[i].size = size;
	od->props[i].set = true;
	if (i == OV_PROP_CACHE_SIZE) {
		WRITE_ONCE(od->cache_size, ov_prop_uint(d, &od->props[i]));
		ov_tgt_trim(od);
	} else if (i == OV_PROP_PENDING_BYTES) {
		WRITE_ONCE(od->pending_bytes, ov_prop_uint(d, &od->props[i]));
	}
	return 0;
}

/* ---- lifecycle ---- */

struct ov_dev *ov_dev_find(struct net *net, u32 linkid)
{
	struct ov_dev *od = idr_find(&ov_linkids, linkid);

	ASSERT_RTNL();
	if (!od || !net_eq(dev_net(od->dev), net))
		return NULL;
	return od;
}

/* A device by link id whose underlay is in net (wherever it is now). */
struct ov_dev *ov_dev_find_underlay(struct net *net, u32 linkid)
{
	struct ov_dev *od = idr_find(&ov_linkids, linkid);

	ASSERT_RTNL();
	if (!od || !net_eq(od->net, net))
		return NULL;
	return od;
}

/* The devices now in net, up to room of them; returns how many there are. */
u32 ov_dev_list(struct net *net, struct overlay_targ_link *out, u32 room)
{
	struct ov_dev *od;
	const char *msg;
	u32 n = 0;

	ASSERT_RTNL();
	list_for_each_entry(od, &ov_devs, node) {
		if (!net_eq(dev_net(od->dev), net))
			continue;
		if (n < room) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].otl_linkid = od->linkid;
			out[n].otl_dest_mode = od->dest_mode;
			out[n].otl_state = ov_dev_state(od, &msg);
		}
		n++;
	}
	return n;
}

/* OVERLAY_STATE_* of a device, and the message STATUS shows. RTNL. */
u32 ov_dev_state(struct ov_dev *od, const char **msg)
{
	u32 st = 0;

	*msg = od->message;
	if (od->active)
		st |= OVERLAY_STATE_ACTIVE;
	if (rtnl_dereference(od->dest) || rtnl_dereference(od->tc))
		st |= OVERLAY_STATE_ASSOCIATED;
	if (ov_tgt_degraded(od, msg))
		st |= OVERLAY_STATE_DEGRADED;
	if (netif_running(od->dev))
		st |= OVERLAY_STATE_UP;
	return st;
}

void ov_dev_count(struct ov_dev *od, enum ov_cnt c)
{
	atomic64_inc(&od->cnt[c]);
}

static void ov_dev_msg(struct ov_dev *od, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(od->message, sizeof(od->message), fmt, ap);
	va_end(ap);
}

int ov_dev_activate(struct ov_dev *od)
{
	const struct ov_prop_desc *d;
	const struct ov_encap_ops *e;
	struct ov_sock_key key = {};
	struct ov_dest *dst;
	unsigned int i, ip_idx;
	int err;

	ASSERT_RTNL();
	if (od->active)
		return -EALREADY;
	for (i = 0; i < OV_PROP_NCOMMON; i++) {
		if ((ov_common_props[i].perm & OVERLAY_PROP_PERM_REQUIRED) &&
		    !od->props[i].set) {
			ov_dev_msg(od, "required property %s is not set",
				   ov_common_props[i].name);
			return -EINVAL;
		}
	}
	e = ov_encap_find((const char *)od->props[OV_PROP_ENCAP].data);
	if (WARN_ON(!e))	/* the property's check makes this impossible */
		return -EINVAL;
	for (i = 0; i < e->nprops; i++) {
		d = &e->props[i];
		if ((d->perm & OVERLAY_PROP_PERM_REQUIRED) &&
		    !od->props[ov_prop_encap_index(e, i)].set) {
			ov_dev_msg(od, "required property %s is not set",
				   d->name);
			return -EINVAL;
		}
	}

	key.ops = e;
	key.net = od->net;
	ip_idx = ov_prop_encap_index(e, e->prop_listen_ip);
	memcpy(key.ip, od->props[ip_idx].data, sizeof(key.ip));
	if (e->prop_listen_port >= 0)
		key.port = ov_dev_encap_uint(od, e, e->prop_listen_port);
	dst = rtnl_dereference(od->dest);
	if (dst && ov_ip_is_v4(dst->ip) != ov_key_is_v4(&key)) {
		ov_dev_msg(od, "destination and %s differ in address family",
			   e->props[e->prop_listen_ip].name);
		return -EAFNOSUPPORT;
	}
	if (dst && dst->port && !e->default_port) {
		ov_dev_msg(od, "%s has no ports but the destination has one",
			   e->name);
		return -EINVAL;
	}

	od->encap = e;
	od->encap_opts = 0;
	if (e->configure)
		e->configure(od);
	od->vnetid = ov_prop_uint(&ov_common_props[OV_PROP_VNETID],
				  &od->props[OV_PROP_VNETID]);
	err = ov_sock_attach(od, &key);
	if (err) {
		ov_dev_msg(od, "cannot listen on the underlay: %s",
			   err == -EEXIST ? "vnetid in use there" :
			   err == -EADDRINUSE ? "address in use" :
			   err == -EADDRNOTAVAIL ? "address not available" :
			   "error");
		od->encap = NULL;
		return err;
	}
	od->dev->needed_headroom = LL_MAX_HEADER + e->hlen +
		(ov_key_is_v4(&key) ? sizeof(struct iphdr) :
				      sizeof(struct ipv6hdr));
	od->active = true;
	od->message[0] = '\0';
	return 0;
}

int ov_dev_associate(struct ov_dev *od, u32 mode, const u8 ip[16], u16 port)
{
	struct ov_sock *os = rtnl_dereference(od->sock);
	struct ov_dest *dst, *old;
	int err;

	if (mode == OVERLAY_DEST_DYNAMIC) {
		if (port || memchr_inv(ip, 0, 16))
			return -EINVAL;
		err = ov_tgt_dev_init(od);
		if (err)
			return err;
		old = rtnl_dereference(od->dest);
		RCU_INIT_POINTER(od->dest, NULL);
		od->dest_mode = mode;
		if (old)
			kfree_rcu(old, rcu);
		return 0;
	}
	if (mode != OVERLAY_DEST_POINT)
		return -EINVAL;
	if (!ov_ip_is_unicast(ip))
		return -EINVAL;
	if (os && ov_ip_is_v4(ip) != ov_key_is_v4(&os->key))
		return -EAFNOSUPPORT;
	if (os && port && !os->key.ops->default_port)
		return -EINVAL;
	dst = kzalloc(sizeof(*dst), GFP_KERNEL);
	if (!dst)
		return -ENOMEM;
	memcpy(dst->ip, ip, sizeof(dst->ip));
	dst->port = port;
	old = rtnl_dereference(od->dest);
	rcu_assign_pointer(od->dest, dst);
	od->dest_mode = mode;
	if (old)
		kfree_rcu(old, rcu);
	ov_tgt_dev_fini(od);
	return 0;
}

void ov_dev_disassociate(struct ov_dev *od)
{
	struct ov_dest *old = rtnl_dereference(od->dest);

	ov_tgt_dev_fini(od);
	RCU_INIT_POINTER(od->dest, NULL);
	od->dest_mode = 0;
	if (old)
		kfree_rcu(old, rcu);
}

/* Undo everything but the net_device itself; RTNL. Idempotent. */
static void ov_dev_teardown(struct ov_dev *od)
{
	ov_sock_detach(od);
	od->active = false;
	ov_dev_disassociate(od);
	if (od->linkid) {
		idr_remove(&ov_linkids, od->linkid);
		od->linkid = 0;
		list_del(&od->node);
	}
}

static void ov_link_dellink(struct net_device *dev, struct list_head *head)
{
	ov_dev_teardown(netdev_priv(dev));
	unregister_netdevice_queue(dev, head);
}

void ov_dev_delete(struct ov_dev *od)
{
	ov_link_dellink(od->dev, NULL);
}

/* ---- net_device ---- */

static int ov_ndo_init(struct net_device *dev)
{
	struct ov_dev *od = netdev_priv(dev);
	int err;

	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
	err = gro_cells_init(&od->gro_cells, dev);
	if (err)
		goto err_free_stats;
	return 0;

err_free_stats:
	free_percpu(dev->tstats);
	return err;
}

static void ov_ndo_uninit(struct net_device *dev)
{
	struct ov_dev *od = netdev_priv(dev);

	gro_cells_destroy(&od->gro_cells);
	free_percpu(dev->tstats);
}

static netdev_tx_t ov_ndo_start_xmit(struct sk_buff *skb,
				     struct net_device *dev)
{
	struct ov_dev *od = netdev_priv(dev);
	const struct ov_dest *dst;
	struct ov_tcache *tc;
	struct ov_sock *os;

	rcu_read_lock();
	os = rcu_dereference(od->sock);
	dst = rcu_dereference(od->dest);
	tc = rcu_dereference(od->tc);
	if (likely(os && tc)) {
		ov_tgt_xmit(od, os, tc, skb);
	} else if (unlikely(!os || !dst)) {
		ov_dev_count(od, OV_CNT_TX_NODEST);
		kfree_skb(skb);
	} else if (unlikely(od->encap->xmit(od, os, skb, dst))) {
		ov_dev_count(od, OV_CNT_TX_ERRORS);
	}
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static void ov_ndo_get_stats64(struct net_device *dev,
			       struct rtnl_link_stats64 *s)
{
	struct ov_dev *od = netdev_priv(dev);
	u64 rx_errs = 0;
	int c;

	dev_get_tstats64(dev, s);
	for (c = OV_CNT_RX_TRUNCATED; c < OV_CNT_N; c++)
		rx_errs += atomic64_read(&od->cnt[c]);
	s->rx_errors += rx_errs;
	s->rx_dropped += rx_errs;
	s->tx_errors += atomic64_read(&od->cnt[OV_CNT_TX_ERRORS]);
	s->tx_dropped += atomic64_read(&od->cnt[OV_CNT_TX_NODEST]) +
			 atomic64_read(&od->cnt[OV_CNT_TX_ERRORS]);
}

static const struct net_device_ops ov_netdev_ops = {
	.ndo_init = ov_ndo_init,
	.ndo_uninit = ov_ndo_uninit,
	.ndo_start_xmit = ov_ndo_start_xmit,
	.ndo_get_stats64 = ov_ndo_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void ov_dev_setup(struct net_device *dev)
{
	struct ov_dev *od = netdev_priv(dev);

	ether_setup(dev);
	dev->netdev_ops = &ov_netdev_ops;
	dev->rtnl_link_ops = &ov_link_ops;
	dev->needs_free_netdev = true;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	ov_compat_set_lltx(dev);
	dev->features |= NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			 NETIF_F_GSO_SOFTWARE;
	dev->hw_features |= NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			    NETIF_F_GSO_SOFTWARE;
	dev->mtu = OV_MTU_DEFAULT;
	dev->min_mtu = OV_MTU_MIN;
	dev->max_mtu = OV_MTU_MAX;
	eth_hw_addr_random(dev);
	od->dev = dev;
	od->cache_size = OV_CACHE_SIZE_DEFAULT;
	od->pending_bytes = OV_PENDING_BYTES_DEFAULT;
	INIT_HLIST_NODE(&od->vnet_node);
	INIT_LIST_HEAD(&od->node);
}

int ov_dev_create(struct net *net, const char *name, u32 *linkid,
		  int *ifindex)
{
	struct net_device *dev;
	struct ov_dev *od;
	int id, err;

	ASSERT_RTNL();
	if (name[0] != '\0' && !dev_valid_name(name))
		return -EINVAL;
	dev = alloc_netdev(sizeof(*od), name[0] ? name : "ov%d",
			   name[0] ? NET_NAME_USER : NET_NAME_ENUM,
			   ov_dev_setup);
	if (!dev)
		return -ENOMEM;
	dev_net_set(dev, net);
	od = netdev_priv(dev);
	od->net = net;

	id = idr_alloc(&ov_linkids, od, 1, 0, GFP_KERNEL);
	if (id < 0) {
		err = id;
		goto err_free_dev;
	}
	od->linkid = id;
	err = register_netdevice(dev);
	if (err)
		goto err_remove_id;
	list_add(&od->node, &ov_devs);
	*linkid = od->linkid;
	*ifindex = dev->ifindex;
	return 0;

err_remove_id:
	idr_remove(&ov_linkids, id);
err_free_dev:
	free_netdev(dev);
	return err;
}

/* ---- rtnl link kind ---- */

static int ov_link_validate(struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	NL_SET_ERR_MSG(extack,
		       "overlay devices are created through /dev/overlay (OVERLAY_IOC_CREATE)");
	return -EOPNOTSUPP;
}

static struct net *ov_link_get_net(const struct net_device *dev)
{
	const struct ov_dev *od = netdev_priv(dev);

	return od->net;
}

struct rtnl_link_ops ov_link_ops __read_mostly = {
	.kind = OVERLAY_LINK_KIND,
	.priv_size = sizeof(struct ov_dev),
	.setup = ov_dev_setup,
	.validate = ov_link_validate,
	.dellink = ov_link_dellink,
	.get_link_net = ov_link_get_net,
};

/*
 * A namespace going away takes with it the devices whose underlay lives
 * there, wherever they have been moved since.
 */
static void ov_dev_net_exit_batch(struct list_head *net_list)
{
	struct ov_dev *od, *tmp;
	LIST_HEAD(kill);
	struct net *net;

	rtnl_lock();
	list_for_each_entry(net, net_list, exit_list)
		list_for_each_entry_safe(od, tmp, &ov_devs, node)
			if (net_eq(od->net, net))
				ov_link_dellink(od->dev, &kill);
	unregister_netdevice_many(&kill);
	rtnl_unlock();
}

static struct pernet_operations ov_dev_net_ops = {
	.exit_batch = ov_dev_net_exit_batch,
};

int ov_dev_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ov_nencaps; i++) {
		if (i)
			strlcat(ov_encap_names, ",", sizeof(ov_encap_names));
		strlcat(ov_encap_names, ov_encaps[i]->name,
			sizeof(ov_encap_names));
	}
	if (WARN_ON(ov_prop_count() > OV_PROPS_MAX))
		return -E2BIG;
	err = register_pernet_device(&ov_dev_net_ops);
	if (err)
		return err;
	err = rtnl_link_register(&ov_link_ops);
	if (err)
		goto err_unregister_pernet;
	return 0;

err_unregister_pernet:
	unregister_pernet_device(&ov_dev_net_ops);
	return err;
}

void ov_dev_exit(void)
{
	rtnl_link_unregister(&ov_link_ops);
	unregister_pernet_device(&ov_dev_net_ops);
	WARN_ON(!list_empty(&ov_devs));
	idr_destroy(&ov_linkids);
}
