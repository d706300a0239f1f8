// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl.c - /dev/overlay and its ioctls (include/uapi/overlay.h).
 *
 * Checks happen in a fixed order so each failure has one errno: unknown
 * ioctl number (ENOTTY), known number with the wrong size or direction
 * (EINVAL), no CAP_NET_ADMIN over the caller's network namespace (EPERM),
 * unreadable argument (EFAULT), unknown flag bits or non-zero padding
 * (EINVAL), unknown link id (ENOENT), then the operation's own errors.
 * Every operation runs under RTNL. The dynamic mode's ioctls are
 * argument-checked here and carried out in target.c; LOOKUP, RESPOND, DROP
 * and PKT act on the request queue of the namespace the file was opened in.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/rtnetlink.h>
#include <linux/uaccess.h>

#include "ov.h"

union ov_ioc_arg {
	struct overlay_ioc_create create;
	struct overlay_ioc_link link;
	struct overlay_ioc_nprops nprops;
	struct overlay_ioc_propinfo propinfo;
	struct overlay_ioc_prop prop;
	struct overlay_ioc_status status;
	struct overlay_ioc_associate assoc;
	struct overlay_targ_info info;
	struct overlay_ioc_degrade degrade;
	struct overlay_ioc_lookup lookup;
	struct overlay_ioc_respond respond;
	struct overlay_ioc_targ_pkt pkt;
	struct overlay_ioc_frame frame;
	struct overlay_ioc_list list;
	struct overlay_ioc_cache cache;
	struct overlay_ioc_cache_iter iter;
};

/* A string field must be NUL-terminated within its array. */
static bool ov_ioc_str_ok(const char *s, size_t n)
{
	return strnlen(s, n) < n;
}

static int ov_ioc_create(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_create *c = &a->create;
	int ifindex, err;

	if (c->oic_flags || c->oic_pad ||
	    !ov_ioc_str_ok(c->oic_name, sizeof(c->oic_name)))
		return -EINVAL;
	err = ov_dev_create(net, c->oic_name, &c->oic_linkid, &ifindex);
	if (err)
		return err;
	c->oic_ifindex = ifindex;
	/* Report the name given (for "ov%d"). */
	strscpy(c->oic_name,
		ov_dev_find(net, c->oic_linkid)->dev->name,
		sizeof(c->oic_name));
	return 0;
}

static struct ov_dev *ov_ioc_link(struct net *net,
				  const struct overlay_ioc_link *l, int *err)
{
	struct ov_dev *od;

	*err = -EINVAL;
	if (l->oil_flags)
		return NULL;
	*err = -ENOENT;
	od = ov_dev_find(net, l->oil_linkid);
	if (od)
		*err = 0;
	return od;
}

static int ov_ioc_delete(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od;
	int err;

	od = ov_ioc_link(net, &a->link, &err);
	if (od)
		ov_dev_delete(od);
	return err;
}

static int ov_ioc_activate(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od;
	int err;

	od = ov_ioc_link(net, &a->link, &err);
	return od ? ov_dev_activate(od) : err;
}

static int ov_ioc_disassociate(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od;
	int err;

	od = ov_ioc_link(net, &a->link, &err);
	if (od)
		ov_dev_disassociate(od);
	return err;
}

static int ov_ioc_nprops(struct net *net, union ov_ioc_arg *a)
{
	if (!ov_dev_find(net, a->nprops.oin_linkid))
		return -ENOENT;
	a->nprops.oin_nprops = ov_prop_count();
	return 0;
}

static int ov_ioc_propinfo(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_propinfo *p = &a->propinfo;
	const struct ov_prop_desc *d;
	int err;

	if (p->oipi_pad)
		return -EINVAL;
	if (!ov_dev_find(net, p->oipi_linkid))
		return -ENOENT;
	if (p->oipi_id == OVERLAY_PROP_BYNAME) {
		if (!ov_ioc_str_ok(p->oipi_name, sizeof(p->oipi_name)))
			return -EINVAL;
		err = ov_prop_lookup(p->oipi_name, &d);
	} else {
		err = ov_prop_nth(p->oipi_id, &d);
	}
	if (err < 0)
		return err;
	strscpy(p->oipi_name, d->name, sizeof(p->oipi_name));
	p->oipi_type = d->type;
	p->oipi_perm = d->perm;
	memset(p->oipi_default, 0, sizeof(p->oipi_default));
	p->oipi_defsize = ov_prop_default(d, p->oipi_default);
	p->oipi_min = d->type == OVERLAY_PROP_T_UINT ? d->min : 0;
	p->oipi_max = d->type == OVERLAY_PROP_T_UINT ? d->max : 0;
	memset(p->oipi_possible, 0, sizeof(p->oipi_possible));
	if (d->possible)
		strscpy(p->oipi_possible, d->possible,
			sizeof(p->oipi_possible));
	return 0;
}

static struct ov_dev *ov_ioc_prop(struct net *net, struct overlay_ioc_prop *p,
				  int *err)
{
	*err = -EINVAL;
	if (p->oip_flags || p->oip_pad ||
	    !ov_ioc_str_ok(p->oip_name, sizeof(p->oip_name)) ||
	    p->oip_size > sizeof(p->oip_value))
		return NULL;
	*err = -ENOENT;
	return ov_dev_find(net, p->oip_linkid);
}

static int ov_ioc_getprop(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_prop *p = &a->prop;
	struct ov_dev *od;
	int err;

	od = ov_ioc_prop(net, p, &err);
	if (!od)
		return err;
	memset(p->oip_value, 0, sizeof(p->oip_value));
	return ov_dev_getprop(od, p->oip_name, p->oip_value, &p->oip_size);
}

static int ov_ioc_setprop(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_prop *p = &a->prop;
	struct ov_dev *od;
	int err;

	od = ov_ioc_prop(net, p, &err);
	if (!od)
		return err;
	return ov_dev_setprop(od, p->oip_name, p->oip_value, p->oip_size);
}

static void ov_ioc_counters(struct overlay_counters *oc, const atomic64_t *c)
{
	u64 *v = &oc->oc_tx_nodest;
	int i;

	for (i = 0; i < OV_CNT_N; i++)
		v[i] = atomic64_read(&c[i]);
}

static int ov_ioc_status(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_status *s = &a->status;
	struct rtnl_link_stats64 st = {};
	struct ov_sock *os;
	struct ov_dev *od;
	const char *msg;

	if (s->oisc_flags || s->oisc_pad)
		return -EINVAL;
	od = ov_dev_find(net, s->oisc_linkid);
	if (!od)
		return -ENOENT;
	memset(s, 0, sizeof(*s));
	s->oisc_linkid = od->linkid;
	s->oisc_ifindex = od->dev->ifindex;
	s->oisc_state = ov_dev_state(od, &msg) & ~OVERLAY_STATE_UP;
	s->oisc_dest_mode = od->dest_mode;
	strscpy(s->oisc_message, msg, sizeof(s->oisc_message));
	dev_get_tstats64(od->dev, &st);
	s->oisc_dev.oc_tx_packets = st.tx_packets;
	s->oisc_dev.oc_tx_bytes = st.tx_bytes;
	s->oisc_dev.oc_rx_packets = st.rx_packets;
	s->oisc_dev.oc_rx_bytes = st.rx_bytes;
	ov_ioc_counters(&s->oisc_dev, od->cnt);
	os = rtnl_dereference(od->sock);
	if (os)
		ov_ioc_counters(&s->oisc_underlay, os->cnt);
	return 0;
}

static int ov_ioc_associate(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_associate *as = &a->assoc;
	struct ov_dev *od;

	if (as->oia_flags || as->oia_pad)
		return -EINVAL;
	od = ov_dev_find(net, as->oia_linkid);
	if (!od)
		return -ENOENT;
	return ov_dev_associate(od, as->oia_mode, as->oia_ip, as->oia_port);
}

/* ---- dynamic mode (target.c does the work) ---- */

static int ov_ioc_targ_info(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_targ_info *ti = &a->info;
	struct ov_dev *od;
	const char *msg;
	u32 linkid;

	if (ti->ot_flags)
		return -EINVAL;
	od = ov_dev_find(net, ti->ot_linkid);
	if (!od)
		return -ENOENT;
	linkid = ti->ot_linkid;
	memset(ti, 0, sizeof(*ti));
	ti->ot_linkid = linkid;
	ti->ot_dest_mode = od->dest_mode;
	ti->ot_state = ov_dev_state(od, &msg);
	ov_tgt_info(od, ti);
	return 0;
}

static int ov_ioc_degrade(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_degrade *d = &a->degrade;
	struct ov_dev *od;

	if (d->odg_flags || !ov_ioc_str_ok(d->odg_message,
					   sizeof(d->odg_message)))
		return -EINVAL;
	od = ov_dev_find(net, d->odg_linkid);
	return od ? ov_tgt_degrade(od, d->odg_message) : -ENOENT;
}

static int ov_ioc_restore(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od;
	int err;

	od = ov_ioc_link(net, &a->link, &err);
	if (od)
		ov_tgt_restore(od);
	return err;
}

static int ov_ioc_lookup(struct file *f, struct net *net, union ov_ioc_arg *a)
{
	return ov_tgt_lookup(f, ov_tgt_file_net(f), &a->lookup);
}

static int ov_ioc_respond(struct file *f, struct net *net, union ov_ioc_arg *a)
{
	return ov_tgt_respond(f, ov_tgt_file_net(f), &a->respond);
}

static int ov_ioc_drop(struct file *f, struct net *net, union ov_ioc_arg *a)
{
	return ov_tgt_drop(f, ov_tgt_file_net(f), &a->pkt);
}

static int ov_ioc_pkt(struct file *f, struct net *net, union ov_ioc_arg *a)
{
	return ov_tgt_pkt(f, ov_tgt_file_net(f), &a->pkt);
}

static int ov_ioc_inject(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od = ov_dev_find(net, a->frame.oif_linkid);

	return od ? ov_tgt_inject(od, &a->frame) : -ENOENT;
}

static int ov_ioc_resend(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od = ov_dev_find(net, a->frame.oif_linkid);

	return od ? ov_tgt_resend(od, &a->frame) : -ENOENT;
}

static int ov_ioc_list(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_ioc_list *l = &a->list;
	struct overlay_targ_link *buf = NULL;
	u32 n, room = l->ols_count;
	int err = 0;

	if (l->ols_flags || room > OVERLAY_TARG_BATCH_MAX)
		return -EINVAL;
	if (room) {
		buf = kvmalloc_array(room, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	n = ov_dev_list(net, buf, room);
	if (room && copy_to_user(u64_to_user_ptr(l->ols_links), buf,
				 min(n, room) * sizeof(*buf)))
		err = -EFAULT;
	kvfree(buf);
	l->ols_count = n;
	return err;
}

static struct ov_dev *ov_ioc_cache_dev(struct net *net,
				       struct overlay_ioc_cache *c, int *err)
{
	*err = -EINVAL;
	if (c->oc_flags)
		return NULL;
	*err = -ENOENT;
	return ov_dev_find(net, c->oc_linkid);
}

static int ov_ioc_cache_get(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od;
	int err;

	od = ov_ioc_cache_dev(net, &a->cache, &err);
	return od ? ov_tgt_cache_get(od, &a->cache.oc_entry) : err;
}

static int ov_ioc_cache_set(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od;
	int err;

	od = ov_ioc_cache_dev(net, &a->cache, &err);
	return od ? ov_tgt_cache_set(od, &a->cache.oc_entry) : err;
}

static int ov_ioc_cache_remove(struct net *net, union ov_ioc_arg *a)
{
	struct overlay_targ_cache_entry *e = &a->cache.oc_entry;
	struct ov_dev *od;
	int err;

	od = ov_ioc_cache_dev(net, &a->cache, &err);
	if (!od)
		return err;
	if (e->otc_flags || e->otc_pad)
		return -EINVAL;
	return ov_tgt_cache_remove(od, e->otc_mac);
}

static int ov_ioc_cache_flush(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od;
	int err;

	od = ov_ioc_link(net, &a->link, &err);
	return od ? ov_tgt_cache_flush(od) : err;
}

static int ov_ioc_cache_iter(struct net *net, union ov_ioc_arg *a)
{
	struct ov_dev *od = ov_dev_find(net, a->iter.oci_linkid);

	if (a->iter.oci_flags)
		return -EINVAL;
	return od ? ov_tgt_cache_iter(od, &a->iter) : -ENOENT;
}

struct ov_ioc {
	unsigned int cmd;
	int (*fn)(struct net *net, union ov_ioc_arg *a);
	/* Instead of fn: the responder's ioctls, which need the file. */
	int (*ffn)(struct file *f, struct net *net, union ov_ioc_arg *a);
};

#define OV_IOC(c, f)	[_IOC_NR(c)] = { .cmd = (c), .fn = (f) }
#define OV_IOCF(c, f)	[_IOC_NR(c)] = { .cmd = (c), .ffn = (f) }

/* Indexed by ioctl number; the full command is checked against cmd. */
static const struct ov_ioc ov_iocs[] = {
	OV_IOC(OVERLAY_IOC_CREATE, ov_ioc_create),
	OV_IOC(OVERLAY_IOC_DELETE, ov_ioc_delete),
	OV_IOC(OVERLAY_IOC_ACTIVATE, ov_ioc_activate),
	OV_IOC(OVERLAY_IOC_NPROPS, ov_ioc_nprops),
	OV_IOC(OVERLAY_IOC_PROPINFO, ov_ioc_propinfo),
	OV_IOC(OVERLAY_IOC_GETPROP, ov_ioc_getprop),
	OV_IOC(OVERLAY_IOC_SETPROP, ov_ioc_setprop),
	OV_IOC(OVERLAY_IOC_STATUS, ov_ioc_status),
	OV_IOC(OVERLAY_IOC_ASSOCIATE, ov_ioc_associate),
	OV_IOC(OVERLAY_IOC_DISASSOCIATE, ov_ioc_disassociate),
	OV_IOC(OVERLAY_IOC_TARG_INFO, ov_ioc_targ_info),
	OV_IOC(OVERLAY_IOC_DEGRADE, ov_ioc_degrade),
	OV_IOC(OVERLAY_IOC_RESTORE, ov_ioc_restore),
	OV_IOCF(OVERLAY_IOC_LOOKUP, ov_ioc_lookup),
	OV_IOCF(OVERLAY_IOC_RESPOND, ov_ioc_respond),
	OV_IOCF(OVERLAY_IOC_DROP, ov_ioc_drop),
	OV_IOCF(OVERLAY_IOC_PKT, ov_ioc_pkt),
	OV_IOC(OVERLAY_IOC_INJECT, ov_ioc_inject),
	OV_IOC(OVERLAY_IOC_RESEND, ov_ioc_resend),
	OV_IOC(OVERLAY_IOC_LIST, ov_ioc_list),
	OV_IOC(OVERLAY_IOC_CACHE_GET, ov_ioc_cache_get),
	OV_IOC(OVERLAY_IOC_CACHE_SET, ov_ioc_cache_set),
	OV_IOC(OVERLAY_IOC_CACHE_REMOVE, ov_ioc_cache_remove),
	OV_IOC(OVERLAY_IOC_CACHE_FLUSH, ov_ioc_cache_flush),
	OV_IOC(OVERLAY_IOC_CACHE_ITER, ov_ioc_cache_iter),
};

static long ov_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct net *net = current->nsproxy->net_ns;
	void __user *uarg = (void __user *)arg;
	const struct ov_ioc *ioc;
	union ov_ioc_arg a;
	unsigned int size;
	int err;

	if (_IOC_TYPE(cmd) != OVERLAY_IOC_TYPE ||
	    _IOC_NR(cmd) >= ARRAY_SIZE(ov_iocs) ||
	    (!ov_iocs[_IOC_NR(cmd)].fn && !ov_iocs[_IOC_NR(cmd)].ffn))
		return -ENOTTY;
	ioc = &ov_iocs[_IOC_NR(cmd)];
	if (cmd != ioc->cmd)
		return -EINVAL;
	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	size = _IOC_SIZE(cmd);
	if (copy_from_user(&a, uarg, size))
		return -EFAULT;

	rtnl_lock();
	err = ioc->fn ? ioc->fn(net, &a) : ioc->ffn(file, net, &a);
	rtnl_unlock();

	if (!err && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &a, size))
		err = -EFAULT;
	return err;
}

static int ov_open(struct inode *inode, struct file *file)
{
	return ov_tgt_open(file);
}

static int ov_release(struct inode *inode, struct file *file)
{
	ov_tgt_release(file);
	return 0;
}

static const struct file_operations ov_fops = {
	.owner = THIS_MODULE,
	.open = ov_open,
	.release = ov_release,
	.poll = ov_tgt_poll,
	.unlocked_ioctl = ov_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * A fixed misc minor, so that opening /dev/overlay loads the module: depmod
 * turns the devname and char-major aliases below into modules.devname,
 * `kmod static-nodes` (systemd-tmpfiles at boot) makes the node from it,
 * and misc_open() asks for char-major-10-OV_MISC_MINOR, as /dev/net/tun
 * does with TUN_MINOR. 248 is unassigned in miscdevice.h of 6.1 and 6.12
 * and above the range 6.1 hands out dynamically.
 */
#define OV_MISC_MINOR	248

static struct miscdevice ov_miscdev = {
	.minor = OV_MISC_MINOR,
	.name = OVERLAY_DEV_NAME,
	.fops = &ov_fops,
	/* Anyone may open; every ioctl checks CAP_NET_ADMIN, as tun does. */
	.mode = 0666,
};

int ov_ioctl_init(void)
{
	int err;

	err = misc_register(&ov_miscdev);
	if (err != -EBUSY)
		return err;
	/* Another driver holds the minor: work, without loading on open. */
	pr_notice("misc minor %d is taken; /dev/%s gets a dynamic one\n",
		  OV_MISC_MINOR, OVERLAY_DEV_NAME);
	ov_miscdev.minor = MISC_DYNAMIC_MINOR;
	return misc_register(&ov_miscdev);
}

void ov_ioctl_exit(void)
{
	misc_deregister(&ov_miscdev);
}

MODULE_ALIAS_MISCDEV(OV_MISC_MINOR);
MODULE_ALIAS("devname:" OVERLAY_DEV_NAME);
