// SPDX-License-Identifier: GPL-2.0
/*
 * target.c - dynamic destinations: the per-device target cache, the
 * per-namespace request queue, and the lookup channel's ioctls (LOOKUP,
 * RESPOND, DROP, PKT, INJECT, RESEND, DEGRADE, RESTORE, LIST, TARG_INFO
 * and CACHE_*). The contract is include/uapi/overlay.h ("Dynamic mode");
 * the states of an entry and of a request are in main.c's theory statement.
 *
 * Locking: a cache has one spinlock (tc->lock, taken with BHs off) over its
 * hash, LRU list, entries and counters; the datapath takes it once per
 * frame, copies the destination out and encapsulates after dropping it. A
 * namespace's request queue has its own spinlock (tn->lock), always taken
 * inside tc->lock when both are needed. Everything else (the ioctls) runs
 * under RTNL, which keeps od->tc and the device itself stable; a cache is
 * marked dead under its lock before it is emptied and freed after an RCU
 * grace period, so a frame that already holds the pointer sees the mark.
 * Nothing is copied to or from userland under a spinlock.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/jhash.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <net/dst.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "ov.h"

#define OV_TC_BITS	12
#define OV_TC_BUCKETS	(1U << OV_TC_BITS)
#define OV_TN_BITS	8

enum { OV_TCE_PENDING, OV_TCE_VALID, OV_TCE_DROP };

/* A cache entry. */
struct ov_tce {
	struct hlist_node hnode;	/* tc->b[] */
	struct list_head lru;		/* tc->lru unless PENDING */
	u8 mac[ETH_ALEN];
	u8 state;			/* OV_TCE_* */
	bool bcast;			/* forget it once answered */
	u16 port;
	u8 ip[16];
	u64 reqid;			/* PENDING: its request */
	struct sk_buff_head q;		/* PENDING: frames waiting */
	u32 qbytes;
};

struct ov_tc_stats {
	u64 tx_frames, sent, hits, misses, requests, answers, evictions;
	u64 drop_entry, drop_pending, drop_cache_full, drop_queue_full;
	u64 drop_flushed, drop_error;
};

struct ov_tcache {
	spinlock_t lock;
	bool dead;
	u32 gen;			/* names this cache in ITER cursors */
	u32 seed;
	u32 n, npending;
	u64 pending_frames;
	struct list_head lru;		/* most recently used first */
	struct ov_tc_stats st;
	struct rcu_head rcu;
	struct hlist_head b[OV_TC_BUCKETS];
};

/* A request: queued (tn->queue) or in flight (tn->inflight). */
struct ov_req {
	struct list_head node;
	struct hlist_node hnode;	/* tn->reqs[], by id */
	struct overlay_targ_req r;
};

/* A namespace's request queue and its responder. */
struct ov_tnet {
	spinlock_t lock;
	struct list_head queue, inflight;
	struct hlist_head reqs[1 << OV_TN_BITS];
	unsigned int nreqs;
	u64 next_id;
	struct file *holder;		/* the responder, or NULL */
	wait_queue_head_t wq;
};

static unsigned int ov_tnet_id __read_mostly;

static struct ov_tnet *ov_tnet(struct net *net)
{
	return net_generic(net, ov_tnet_id);
}

/* ---- the request queue (tn->lock) ---- */

static struct ov_req *ov_tn_find(struct ov_tnet *tn, u64 id)
{
	struct ov_req *req;

	hlist_for_each_entry(req, &tn->reqs[hash_64(id, OV_TN_BITS)], hnode)
		if (req->r.otr_reqid == id)
			return req;
	return NULL;
}

static void ov_tn_unlink(struct ov_tnet *tn, struct ov_req *req)
{
	list_del(&req->node);
	hlist_del(&req->hnode);
	tn->nreqs--;
}

/* End request id (it may be gone already); takes tn->lock. */
static void ov_tn_cancel(struct ov_tnet *tn, u64 id)
{
	struct ov_req *req;

	spin_lock_bh(&tn->lock);
	req = ov_tn_find(tn, id);
	if (req)
		ov_tn_unlink(tn, req);
	spin_unlock_bh(&tn->lock);
	kfree(req);
}

/* ---- the cache (tc->lock) ---- */

static struct hlist_head *ov_tc_bucket(struct ov_tcache *tc, const u8 *mac)
{
	return &tc->b[jhash(mac, ETH_ALEN, tc->seed) & (OV_TC_BUCKETS - 1)];
}

static struct ov_tce *ov_tc_find(struct ov_tcache *tc, const u8 *mac)
{
	struct ov_tce *e;

	hlist_for_each_entry(e, ov_tc_bucket(tc, mac), hnode)
		if (ether_addr_equal(e->mac, mac))
			return e;
	return NULL;
}

/* Drop e's waiting frames, counting them in *ctr. */
static void ov_tce_purge(struct ov_tcache *tc, struct ov_tce *e, u64 *ctr)
{
	u32 n = skb_queue_len(&e->q);

	*ctr += n;
	tc->pending_frames -= n;
	__skb_queue_purge(&e->q);
	e->qbytes = 0;
}

/* Remove and free e; a PENDING one's frames and request go too. */
static void ov_tce_free(struct ov_tcache *tc, struct ov_tnet *tn,
			struct ov_tce *e)
{
	hlist_del(&e->hnode);
	tc->n--;
	if (e->state == OV_TCE_PENDING) {
		ov_tce_purge(tc, e, &tc->st.drop_flushed);
		tc->npending--;
		if (tn)
			ov_tn_cancel(tn, e->reqid);
	} else {
		list_del(&e->lru);
	}
	kfree(e);
}

/* Evict the least recently used VALID or DROP entry; false if none. */
static bool ov_tc_evict(struct ov_tcache *tc)
{
	struct ov_tce *e;

	if (list_empty(&tc->lru))
		return false;
	e = list_last_entry(&tc->lru, struct ov_tce, lru);
	ov_tce_free(tc, NULL, e);
	tc->st.evictions++;
	return true;
}

static bool ov_tc_make_room(struct ov_dev *od, struct ov_tcache *tc)
{
	while (tc->n >= READ_ONCE(od->cache_size))
		if (!ov_tc_evict(tc))
			return false;
	return true;
}

static struct ov_tce *ov_tce_new(struct ov_tcache *tc, const u8 *mac,
				 gfp_t gfp)
{
	struct ov_tce *e = kzalloc(sizeof(*e), gfp);

	if (!e)
		return NULL;
	ether_addr_copy(e->mac, mac);
	__skb_queue_head_init(&e->q);
	INIT_LIST_HEAD(&e->lru);
	hlist_add_head(&e->hnode, ov_tc_bucket(tc, mac));
	tc->n++;
	return e;
}

/*
 * Resolve a PENDING entry: it becomes VALID (dst) or DROP (dst NULL), or
 * goes away if it is a broadcast one. Its frames move to *out to be sent
 * (after the lock is dropped) or are dropped here.
 */
static void ov_tce_resolve(struct ov_tcache *tc, struct ov_tce *e,
			   const struct ov_dest *dst, bool can_send,
			   struct sk_buff_head *out)
{
	u32 n = skb_queue_len(&e->q);

	tc->st.answers++;
	if (dst && can_send) {
		tc->st.sent += n;
		tc->pending_frames -= n;
		skb_queue_splice_tail_init(&e->q, out);
		e->qbytes = 0;
	} else {
		ov_tce_purge(tc, e, dst ? &tc->st.drop_error :
					  &tc->st.drop_entry);
	}
	tc->npending--;
	e->reqid = 0;
	if (e->bcast) {
		hlist_del(&e->hnode);
		tc->n--;
		kfree(e);
		return;
	}
	e->state = dst ? OV_TCE_VALID : OV_TCE_DROP;
	if (dst) {
		memcpy(e->ip, dst->ip, sizeof(e->ip));
		e->port = dst->port;
	}
	list_add(&e->lru, &tc->lru);
}

/* Send frames resolved to dst; process context, RTNL. */
static void ov_tgt_send(struct ov_dev *od, struct sk_buff_head *q,
			const struct ov_dest *dst)
{
	struct sk_buff *skb;
	struct ov_sock *os;

	if (skb_queue_empty(q))
		return;
	local_bh_disable();
	rcu_read_lock();
	os = rcu_dereference(od->sock);
	while ((skb = __skb_dequeue(q)) != NULL) {
		if (!os) {
			ov_dev_count(od, OV_CNT_TX_NODEST);
			kfree_skb(skb);
		} else if (od->encap->xmit(od, os, skb, dst)) {
			ov_dev_count(od, OV_CNT_TX_ERRORS);
		}
	}
	rcu_read_unlock();
	local_bh_enable();
}

/* ---- the datapath ---- */

static void ov_tgt_fill_req(struct overlay_targ_req *r, struct sk_buff *skb)
{
	const struct ethhdr *eh = (const struct ethhdr *)skb->data;
	__be16 proto = eh->h_proto;

	memcpy(r->otr_dst, eh->h_dest, ETH_ALEN);
	memcpy(r->otr_src, eh->h_source, ETH_ALEN);
	if (is_multicast_ether_addr(eh->h_dest))
		r->otr_flags |= OVERLAY_TARG_REQ_BCAST;
	if (eth_type_vlan(proto) && skb_headlen(skb) >= VLAN_ETH_HLEN) {
		const struct vlan_ethhdr *vh = (const void *)skb->data;

		r->otr_vlan = ntohs(vh->h_vlan_TCI) & VLAN_VID_MASK;
		proto = vh->h_vlan_encapsulated_proto;
	}
	r->otr_ethertype = ntohs(proto);
	r->otr_pktsize = skb->len;
}

/* Queue skb on a PENDING entry, within pending_bytes (the first always). */
static void ov_tce_enqueue(struct ov_dev *od, struct ov_tcache *tc,
			   struct ov_tce *e, struct sk_buff *skb)
{
	if (!skb_queue_empty(&e->q) &&
	    e->qbytes + skb->len > READ_ONCE(od->pending_bytes)) {
		tc->st.drop_pending++;
		kfree_skb(skb);
		return;
	}
	/*
	 * Held frames are bounded here (pending_bytes, cache_size), not by
	 * the sender's socket: orphan them, or a sender to many unanswered
	 * destinations would block on its own send buffer.
	 */
	skb_dst_drop(skb);
	skb_orphan(skb);
	e->qbytes += skb->len;
	tc->pending_frames++;
	__skb_queue_tail(&e->q, skb);
}

/*
 * Send a frame of a dynamic device: through its VALID entry, dropped by a
 * DROP one, queued on a PENDING one, or queued on a new PENDING entry whose
 * request goes to the namespace's queue. Consumes skb. RCU, BHs off.
 */
void ov_tgt_xmit(struct ov_dev *od, struct ov_sock *os, struct ov_tcache *tc,
		 struct sk_buff *skb)
{
	struct ov_tnet *tn = ov_tnet(od->net);
	struct ov_req *req = NULL;
	struct ov_dest dst;
	struct ov_tce *e;

	spin_lock(&tc->lock);
	tc->st.tx_frames++;
	if (unlikely(tc->dead || !pskb_may_pull(skb, ETH_HLEN)))
		goto drop_error;
	e = ov_tc_find(tc, ((struct ethhdr *)skb->data)->h_dest);
	if (e) {
		if (e->state == OV_TCE_PENDING) {
			ov_tce_enqueue(od, tc, e, skb);
			spin_unlock(&tc->lock);
			return;
		}
		tc->st.hits++;
		list_move(&e->lru, &tc->lru);
		if (e->state == OV_TCE_DROP) {
			tc->st.drop_entry++;
			spin_unlock(&tc->lock);
			kfree_skb(skb);
			return;
		}
		tc->st.sent++;
		memcpy(dst.ip, e->ip, sizeof(dst.ip));
		dst.port = e->port;
		spin_unlock(&tc->lock);
		if (od->encap->xmit(od, os, skb, &dst))
			ov_dev_count(od, OV_CNT_TX_ERRORS);
		return;
	}

	/* A miss. */
	if (!ov_tc_make_room(od, tc)) {
		tc->st.drop_cache_full++;
		goto drop;
	}
	req = kzalloc(sizeof(*req), GFP_ATOMIC);
	if (!req)
		goto drop_error;
	ov_tgt_fill_req(&req->r, skb);
	req->r.otr_linkid = od->linkid;
	spin_lock(&tn->lock);
	if (tn->nreqs >= OVERLAY_TARG_QUEUE_MAX) {
		spin_unlock(&tn->lock);
		tc->st.drop_queue_full++;
		goto drop;
	}
	e = ov_tce_new(tc, req->r.otr_dst, GFP_ATOMIC);
	if (!e) {
		spin_unlock(&tn->lock);
		goto drop_error;
	}
	req->r.otr_reqid = ++tn->next_id;
	list_add_tail(&req->node, &tn->queue);
	hlist_add_head(&req->hnode,
		       &tn->reqs[hash_64(req->r.otr_reqid, OV_TN_BITS)]);
	tn->nreqs++;
	wake_up_interruptible_poll(&tn->wq, EPOLLIN | EPOLLRDNORM);
	spin_unlock(&tn->lock);

	e->state = OV_TCE_PENDING;
	e->bcast = req->r.otr_flags & OVERLAY_TARG_REQ_BCAST;
	e->reqid = req->r.otr_reqid;
	tc->npending++;
	tc->st.misses++;
	tc->st.requests++;
	ov_tce_enqueue(od, tc, e, skb);
	spin_unlock(&tc->lock);
	return;

drop_error:
	tc->st.drop_error++;
drop:
	spin_unlock(&tc->lock);
	kfree(req);
	kfree_skb(skb);
}

/* ---- a device's cache: created by ASSOCIATE, gone with the mode ---- */

int ov_tgt_dev_init(struct ov_dev *od)
{
	struct ov_tcache *tc;

	ASSERT_RTNL();
	if (rtnl_dereference(od->tc))
		return 0;
	tc = kvzalloc(sizeof(*tc), GFP_KERNEL);
	if (!tc)
		return -ENOMEM;
	spin_lock_init(&tc->lock);
	INIT_LIST_HEAD(&tc->lru);
	tc->seed = get_random_u32();
	tc->gen = get_random_u32() | 1;
	rcu_assign_pointer(od->tc, tc);
	return 0;
}

void ov_tgt_dev_fini(struct ov_dev *od)
{
	struct ov_tcache *tc = rtnl_dereference(od->tc);
	struct ov_tnet *tn = ov_tnet(od->net);
	struct hlist_node *tmp;
	struct ov_tce *e;
	unsigned int i;

	if (!tc)
		return;
	RCU_INIT_POINTER(od->tc, NULL);
	spin_lock_bh(&tc->lock);
	tc->dead = true;
	for (i = 0; i < OV_TC_BUCKETS; i++)
		hlist_for_each_entry_safe(e, tmp, &tc->b[i], hnode)
			ov_tce_free(tc, tn, e);
	spin_unlock_bh(&tc->lock);
	od->degraded = false;
	kvfree_rcu(tc, rcu);
}

/* ---- the responder ---- */

/*
 * Per open file: the namespace it was opened in (its request queue is the
 * one poll and the responder ioctls use) and whether it is the responder.
 */
struct ov_tfile {
	struct net *net;
	bool holder;
};

int ov_tgt_open(struct file *file)
{
	struct ov_tfile *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	tf->net = get_net(current->nsproxy->net_ns);
	file->private_data = tf;
	return 0;
}

/* The responder's file closes: its in-flight requests go back, in order. */
void ov_tgt_release(struct file *file)
{
	struct ov_tfile *tf = file->private_data;
	struct ov_tnet *tn = ov_tnet(tf->net);

	if (tf->holder) {
		spin_lock_bh(&tn->lock);
		tn->holder = NULL;
		list_splice_init(&tn->inflight, &tn->queue);
		if (!list_empty(&tn->queue))
			wake_up_interruptible_poll(&tn->wq, EPOLLIN);
		spin_unlock_bh(&tn->lock);
	}
	put_net(tf->net);
	kfree(tf);
}

/* The namespace a file serves. */
struct net *ov_tgt_file_net(struct file *file)
{
	struct ov_tfile *tf = file->private_data;

	return tf->net;
}

__poll_t ov_tgt_poll(struct file *file, struct poll_table_struct *pt)
{
	struct ov_tfile *tf = file->private_data;
	struct ov_tnet *tn = ov_tnet(tf->net);
	__poll_t mask = 0;

	poll_wait(file, &tn->wq, pt);
	spin_lock_bh(&tn->lock);
	if (!list_empty(&tn->queue))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_bh(&tn->lock);
	return mask;
}

/* Make file the responder of net; -EBUSY if another file is. */
static int ov_tgt_claim(struct file *file, struct net *net)
{
	struct ov_tfile *tf = file->private_data;
	struct ov_tnet *tn = ov_tnet(net);
	int err = 0;

	if (tf->holder)
		return 0;
	spin_lock_bh(&tn->lock);
	if (tn->holder)
		err = -EBUSY;
	else
		tn->holder = file;
	spin_unlock_bh(&tn->lock);
	tf->holder = !err;
	return err;
}

bool ov_tgt_degraded(struct ov_dev *od, const char **msg)
{
	struct ov_tnet *tn = ov_tnet(od->net);

	if (!rtnl_dereference(od->tc))
		return false;
	if (od->degraded) {
		*msg = od->degrade_msg;
		return true;
	}
	if (!READ_ONCE(tn->holder)) {
		*msg = "no responder";
		return true;
	}
	return false;
}

int ov_tgt_lookup(struct file *file, struct net *net,
		  struct overlay_ioc_lookup *lk)
{
	struct ov_tnet *tn = ov_tnet(net);
	struct overlay_targ_req *buf;
	struct ov_req *req;
	u32 n = 0, i;
	int err;

	if (lk->olk_flags || !lk->olk_count ||
	    lk->olk_count > OVERLAY_TARG_BATCH_MAX)
		return -EINVAL;
	err = ov_tgt_claim(file, net);
	if (err)
		return err;
	buf = kvmalloc_array(lk->olk_count, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	spin_lock_bh(&tn->lock);
	while (n < lk->olk_count && !list_empty(&tn->queue)) {
		req = list_first_entry(&tn->queue, struct ov_req, node);
		list_move_tail(&req->node, &tn->inflight);
		buf[n++] = req->r;
	}
	spin_unlock_bh(&tn->lock);
	if (n && copy_to_user(u64_to_user_ptr(lk->olk_reqs), buf,
			      n * sizeof(*buf))) {
		/* Put them back at the head, in their order. */
		spin_lock_bh(&tn->lock);
		for (i = n; i-- > 0;) {
			req = ov_tn_find(tn, buf[i].otr_reqid);
			if (req)
				list_move(&req->node, &tn->queue);
		}
		spin_unlock_bh(&tn->lock);
		kvfree(buf);
		return -EFAULT;
	}
	kvfree(buf);
	lk->olk_count = n;
	return 0;
}

/* The device and cache a live request is for; RTNL. */
static int ov_tgt_req_target(struct net *net, u64 id, struct ov_dev **odp,
			     struct ov_tcache **tcp, u8 mac[ETH_ALEN])
{
	struct ov_tnet *tn = ov_tnet(net);
	struct ov_req *req;
	u32 linkid = 0;

	spin_lock_bh(&tn->lock);
	req = ov_tn_find(tn, id);
	if (req) {
		linkid = req->r.otr_linkid;
		memcpy(mac, req->r.otr_dst, ETH_ALEN);
	}
	spin_unlock_bh(&tn->lock);
	if (!req)
		return -ENOENT;
	*odp = ov_dev_find_underlay(net, linkid);
	*tcp = *odp ? rtnl_dereference((*odp)->tc) : NULL;
	return *tcp ? 0 : -ENOENT;
}

/* Check an answer's address against the device's underlay. */
static int ov_tgt_check_dest(struct ov_dev *od, const u8 ip[16], u16 port)
{
	struct ov_sock *os = rtnl_dereference(od->sock);

	if (!ov_ip_is_unicast(ip))
		return -EINVAL;
	if (os && ov_ip_is_v4(ip) != ov_key_is_v4(&os->key))
		return -EAFNOSUPPORT;
	if (port && os && !os->key.ops->default_port)
		return -EINVAL;
	return 0;
}

/* Answer request id with dst (NULL: drop). RTNL. */
static int ov_tgt_answer(struct net *net, u64 id, const struct ov_dest *dst)
{
	struct sk_buff_head out;
	struct ov_tcache *tc;
	struct ov_dev *od;
	struct ov_tce *e;
	u8 mac[ETH_ALEN];
	int err;

	err = ov_tgt_req_target(net, id, &od, &tc, mac);
	if (err)
		return err;
	if (dst) {
		err = ov_tgt_check_dest(od, dst->ip, dst->port);
		if (err)
			return err;
	}
	ov_tn_cancel(ov_tnet(net), id);
	__skb_queue_head_init(&out);
	spin_lock_bh(&tc->lock);
	e = ov_tc_find(tc, mac);
	if (e && e->state == OV_TCE_PENDING && e->reqid == id)
		ov_tce_resolve(tc, e, dst, rtnl_dereference(od->sock), &out);
	else
		err = -ENOENT;
	spin_unlock_bh(&tc->lock);
	if (dst)
		ov_tgt_send(od, &out, dst);
	return err;
}

int ov_tgt_respond(struct file *file, struct net *net,
		   struct overlay_ioc_respond *rp)
{
	struct overlay_targ_resp *buf, *r;
	size_t size;
	u32 i;
	int err;

	if (rp->orp_flags || rp->orp_pad || !rp->orp_count ||
	    rp->orp_count > OVERLAY_TARG_BATCH_MAX)
		return -EINVAL;
	err = ov_tgt_claim(file, net);
	if (err)
		return err;
	size = rp->orp_count * sizeof(*buf);
	buf = kvmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, u64_to_user_ptr(rp->orp_resps), size)) {
		kvfree(buf);
		return -EFAULT;
	}
	rp->orp_failed = 0;
	for (i = 0; i < rp->orp_count; i++) {
		struct ov_dest dst = {};

		r = &buf[i];
		if ((r->ors_flags & ~OVERLAY_TARG_RESP_DROP) || r->ors_pad ||
		    r->ors_pad2) {
			r->ors_error = -EINVAL;
		} else {
			memcpy(dst.ip, r->ors_ip, sizeof(dst.ip));
			dst.port = r->ors_port;
			r->ors_error = ov_tgt_answer(net, r->ors_reqid,
				(r->ors_flags & OVERLAY_TARG_RESP_DROP) ?
				NULL : &dst);
		}
		if (r->ors_error)
			rp->orp_failed++;
	}
	if (copy_to_user(u64_to_user_ptr(rp->orp_resps), buf, size))
		err = -EFAULT;
	kvfree(buf);
	return err;
}

int ov_tgt_drop(struct file *file, struct net *net,
		struct overlay_ioc_targ_pkt *p)
{
	int err;

	if (p->opk_flags)
		return -EINVAL;
	err = ov_tgt_claim(file, net);
	return err ? err : ov_tgt_answer(net, p->opk_reqid, NULL);
}

int ov_tgt_pkt(struct file *file, struct net *net,
	       struct overlay_ioc_targ_pkt *p)
{
	struct ov_tcache *tc;
	struct sk_buff *skb;
	struct ov_dev *od;
	struct ov_tce *e;
	u8 mac[ETH_ALEN];
	u32 room, len = 0;
	void *buf;
	int err;

	if (p->opk_flags)
		return -EINVAL;
	err = ov_tgt_claim(file, net);
	if (err)
		return err;
	err = ov_tgt_req_target(net, p->opk_reqid, &od, &tc, mac);
	if (err)
		return err;
	room = min_t(u32, p->opk_size, OVERLAY_TARG_FRAME_MAX);
	buf = kvmalloc(room ? room : 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = -ENOENT;
	spin_lock_bh(&tc->lock);
	e = ov_tc_find(tc, mac);
	skb = e && e->reqid == p->opk_reqid ? skb_peek(&e->q) : NULL;
	if (skb) {
		len = skb->len;
		err = skb_copy_bits(skb, 0, buf, min(len, room));
	}
	spin_unlock_bh(&tc->lock);
	if (!err && copy_to_user(u64_to_user_ptr(p->opk_buf), buf,
				 min(len, room)))
		err = -EFAULT;
	kvfree(buf);
	if (err)
		return err;
	p->opk_flags = len > room ? OVERLAY_TARG_PKT_TRUNC : 0;
	p->opk_size = len;
	return 0;
}

/* A frame from userland in a new skb with room for the underlay. */
static struct sk_buff *ov_tgt_frame(struct ov_dev *od,
				    const struct overlay_ioc_frame *f,
				    unsigned int headroom)
{
	struct sk_buff *skb;

	skb = alloc_skb(headroom + f->oif_size, GFP_KERNEL);
	if (!skb)
		return ERR_PTR(-ENOMEM);
	skb_reserve(skb, headroom);
	if (copy_from_user(skb_put(skb, f->oif_size),
			   u64_to_user_ptr(f->oif_buf), f->oif_size)) {
		kfree_skb(skb);
		return ERR_PTR(-EFAULT);
	}
	skb->dev = od->dev;
	return skb;
}

int ov_tgt_inject(struct ov_dev *od, struct overlay_ioc_frame *f)
{
	struct sk_buff *skb;

	if (f->oif_flags || f->oif_pad || f->oif_port ||
	    memchr_inv(f->oif_ip, 0, sizeof(f->oif_ip)) ||
	    f->oif_size < ETH_HLEN || f->oif_size > OVERLAY_TARG_FRAME_MAX)
		return -EINVAL;
	if (!netif_running(od->dev))
		return -ENETDOWN;
	skb = ov_tgt_frame(od, f, NET_IP_ALIGN);
	if (IS_ERR(skb))
		return PTR_ERR(skb);
	skb->protocol = eth_type_trans(skb, od->dev);
	dev_sw_netstats_rx_add(od->dev, f->oif_size);
	netif_rx(skb);
	return 0;
}

int ov_tgt_resend(struct ov_dev *od, struct overlay_ioc_frame *f)
{
	struct sk_buff_head q;
	struct ov_dest dst = {};
	struct sk_buff *skb;
	int err;

	if (f->oif_flags || f->oif_pad || f->oif_size < ETH_HLEN ||
	    f->oif_size > OVERLAY_TARG_FRAME_MAX)
		return -EINVAL;
	if (!rtnl_dereference(od->sock))
		return -ENOTCONN;
	if (!netif_running(od->dev))
		return -ENETDOWN;
	err = ov_tgt_check_dest(od, f->oif_ip, f->oif_port);
	if (err)
		return err;
	skb = ov_tgt_frame(od, f, LL_MAX_HEADER + od->dev->needed_headroom);
	if (IS_ERR(skb))
		return PTR_ERR(skb);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, ETH_HLEN);
	skb->protocol = eth_hdr(skb)->h_proto;
	memcpy(dst.ip, f->oif_ip, sizeof(dst.ip));
	dst.port = f->oif_port;
	__skb_queue_head_init(&q);
	__skb_queue_tail(&q, skb);
	ov_tgt_send(od, &q, &dst);
	return 0;
}

/* cache_size went down: evict down to it at once. */
void ov_tgt_trim(struct ov_dev *od)
{
	struct ov_tcache *tc = rtnl_dereference(od->tc);

	if (!tc)
		return;
	spin_lock_bh(&tc->lock);
	while (tc->n > od->cache_size && ov_tc_evict(tc))
		;
	spin_unlock_bh(&tc->lock);
}

int ov_tgt_degrade(struct ov_dev *od, const char *msg)
{
	if (!msg[0])
		return -EINVAL;
	strscpy(od->degrade_msg, msg, sizeof(od->degrade_msg));
	od->degraded = true;
	return 0;
}

void ov_tgt_restore(struct ov_dev *od)
{
	od->degraded = false;
	od->degrade_msg[0] = '\0';
}

void ov_tgt_info(struct ov_dev *od, struct overlay_targ_info *ti)
{
	struct ov_tcache *tc = rtnl_dereference(od->tc);
	struct ov_tc_stats st;

	ti->ot_cache_size = od->cache_size;
	ti->ot_pending_bytes = od->pending_bytes;
	if (!tc)
		return;
	spin_lock_bh(&tc->lock);
	st = tc->st;
	ti->ot_entries = tc->n;
	ti->ot_pending = tc->npending;
	ti->ot_pending_frames = tc->pending_frames;
	spin_unlock_bh(&tc->lock);
	ti->ot_tx_frames = st.tx_frames;
	ti->ot_sent = st.sent;
	ti->ot_hits = st.hits;
	ti->ot_misses = st.misses;
	ti->ot_requests = st.requests;
	ti->ot_answers = st.answers;
	ti->ot_evictions = st.evictions;
	ti->ot_drop_entry = st.drop_entry;
	ti->ot_drop_pending = st.drop_pending;
	ti->ot_drop_cache_full = st.drop_cache_full;
	ti->ot_drop_queue_full = st.drop_queue_full;
	ti->ot_drop_flushed = st.drop_flushed;
	ti->ot_drop_error = st.drop_error;
}

/* ---- the cache ioctls ---- */

static void ov_tce_export(const struct ov_tce *e,
			  struct overlay_targ_cache_entry *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->otc_mac, e->mac, ETH_ALEN);
	switch (e->state) {
	case OV_TCE_PENDING:
		o->otc_flags = OVERLAY_TARG_CACHE_PENDING;
		break;
	case OV_TCE_DROP:
		o->otc_flags = OVERLAY_TARG_CACHE_DROP;
		break;
	default:
		memcpy(o->otc_ip, e->ip, sizeof(o->otc_ip));
		o->otc_port = e->port;
	}
}

static struct ov_tcache *ov_tgt_cache(struct ov_dev *od)
{
	return rtnl_dereference(od->tc);
}

/* GET (out set) or REMOVE (out NULL) the entry for mac. */
static int ov_tgt_cache_one(struct ov_dev *od, const u8 *mac,
			    struct overlay_targ_cache_entry *out)
{
	struct ov_tcache *tc = ov_tgt_cache(od);
	struct ov_tce *e;
	int err = -ENOENT;

	if (!tc)
		return -EINVAL;
	spin_lock_bh(&tc->lock);
	e = ov_tc_find(tc, mac);
	if (e && out)
		ov_tce_export(e, out);
	else if (e)
		ov_tce_free(tc, ov_tnet(od->net), e);
	if (e)
		err = 0;
	spin_unlock_bh(&tc->lock);
	return err;
}

int ov_tgt_cache_get(struct ov_dev *od, struct overlay_targ_cache_entry *o)
{
	u8 mac[ETH_ALEN];

	memcpy(mac, o->otc_mac, ETH_ALEN);
	return ov_tgt_cache_one(od, mac, o);
}

int ov_tgt_cache_set(struct ov_dev *od,
		     const struct overlay_targ_cache_entry *o)
{
	struct ov_tcache *tc = ov_tgt_cache(od);
	bool drop = o->otc_flags & OVERLAY_TARG_CACHE_DROP;
	struct ov_tnet *tn = ov_tnet(od->net);
	struct ov_dest dst = {};
	struct sk_buff_head out;
	struct ov_tce *e;
	u64 reqid = 0;
	int err = 0;

	if (!tc || (o->otc_flags & ~OVERLAY_TARG_CACHE_DROP) || o->otc_pad)
		return -EINVAL;
	if (drop && (o->otc_port || memchr_inv(o->otc_ip, 0, 16)))
		return -EINVAL;
	if (!drop) {
		err = ov_tgt_check_dest(od, o->otc_ip, o->otc_port);
		if (err)
			return err;
		memcpy(dst.ip, o->otc_ip, sizeof(dst.ip));
		dst.port = o->otc_port;
	}
	__skb_queue_head_init(&out);
	spin_lock_bh(&tc->lock);
	e = ov_tc_find(tc, o->otc_mac);
	if (!e) {
		if (!ov_tc_make_room(od, tc)) {
			err = -ENOSPC;
			goto out;
		}
		e = ov_tce_new(tc, o->otc_mac, GFP_ATOMIC);
		if (!e) {
			err = -ENOMEM;
			goto out;
		}
		list_add(&e->lru, &tc->lru);
	} else if (e->state == OV_TCE_PENDING) {
		reqid = e->reqid;
		e->bcast = false;	/* set explicitly: keep it */
		ov_tce_resolve(tc, e, drop ? NULL : &dst,
			       rtnl_dereference(od->sock), &out);
		tc->st.answers--;	/* not an answer to the request */
	} else {
		list_move(&e->lru, &tc->lru);
	}
	e->state = drop ? OV_TCE_DROP : OV_TCE_VALID;
	memcpy(e->ip, dst.ip, sizeof(e->ip));
	e->port = dst.port;
out:
	spin_unlock_bh(&tc->lock);
	if (reqid)
		ov_tn_cancel(tn, reqid);
	if (!drop)
		ov_tgt_send(od, &out, &dst);
	return err;
}

int ov_tgt_cache_remove(struct ov_dev *od, const u8 *mac)
{
	return ov_tgt_cache_one(od, mac, NULL);
}

int ov_tgt_cache_flush(struct ov_dev *od)
{
	struct ov_tcache *tc = ov_tgt_cache(od);
	struct hlist_node *tmp;
	struct ov_tce *e;
	unsigned int i;

	if (!tc)
		return -EINVAL;
	/* A bucket at a time, so frames get through in between. */
	for (i = 0; i < OV_TC_BUCKETS; i++) {
		spin_lock_bh(&tc->lock);
		hlist_for_each_entry_safe(e, tmp, &tc->b[i], hnode)
			ov_tce_free(tc, ov_tnet(od->net), e);
		spin_unlock_bh(&tc->lock);
	}
	return 0;
}

static u64 ov_mac_u64(const u8 *mac)
{
	return (u64)mac[0] << 40 | (u64)mac[1] << 32 | (u64)mac[2] << 24 |
	       (u64)mac[3] << 16 | (u64)mac[4] << 8 | mac[5];
}

#define OV_CURSOR_HAVE_MAC	(1ULL << 48)

/*
 * The cursor: c[0] = generation << 32 | bucket, c[1] = HAVE_MAC | the last
 * MAC returned from that bucket (entries of a bucket are returned in MAC
 * order). Each bucket is visited under the lock on its own.
 */
int ov_tgt_cache_iter(struct ov_dev *od, struct overlay_ioc_cache_iter *it)
{
	struct ov_tcache *tc = ov_tgt_cache(od);
	struct overlay_targ_cache_entry *buf;
	u32 bucket, n = 0;
	bool have_mac;
	u64 last;
	int err = 0;

	if (!tc || it->oci_flags || !it->oci_count ||
	    it->oci_count > OVERLAY_TARG_BATCH_MAX)
		return -EINVAL;
	if (it->oci_cursor[0] == 0 && it->oci_cursor[1] == 0) {
		bucket = 0;
		have_mac = false;
		last = 0;
	} else {
		if ((it->oci_cursor[0] >> 32) == 0 ||
		    (it->oci_cursor[1] >> 49) != 0 ||
		    (u32)it->oci_cursor[0] > OV_TC_BUCKETS)
			return -EINVAL;
		if ((it->oci_cursor[0] >> 32) != tc->gen)
			return -ESTALE;
		bucket = (u32)it->oci_cursor[0];
		have_mac = it->oci_cursor[1] & OV_CURSOR_HAVE_MAC;
		last = it->oci_cursor[1] & (OV_CURSOR_HAVE_MAC - 1);
		if (!have_mac && last)
			return -EINVAL;
		if (have_mac && bucket == OV_TC_BUCKETS)
			return -EINVAL;
	}
	buf = kvmalloc_array(it->oci_count, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (bucket < OV_TC_BUCKETS && n < it->oci_count) {
		bool more = true;

		spin_lock_bh(&tc->lock);
		while (n < it->oci_count) {
			struct ov_tce *e, *best = NULL;
			u64 bv = 0;

			hlist_for_each_entry(e, &tc->b[bucket], hnode) {
				u64 v = ov_mac_u64(e->mac);

				if (have_mac && v <= last)
					continue;
				if (!best || v < bv) {
					best = e;
					bv = v;
				}
			}
			if (!best) {
				more = false;
				break;
			}
			ov_tce_export(best, &buf[n++]);
			have_mac = true;
			last = bv;
		}
		spin_unlock_bh(&tc->lock);
		if (more && n == it->oci_count)
			break;	/* the bucket may hold more: resume in it */
		bucket++;
		have_mac = false;
		last = 0;
	}
	if (n && copy_to_user(u64_to_user_ptr(it->oci_ents), buf,
			      n * sizeof(*buf)))
		err = -EFAULT;
	kvfree(buf);
	if (err)
		return err;
	it->oci_count = n;
	it->oci_done = bucket >= OV_TC_BUCKETS;
	it->oci_cursor[0] = (u64)tc->gen << 32 | bucket;
	it->oci_cursor[1] = have_mac ? OV_CURSOR_HAVE_MAC | last : 0;
	return 0;
}

/* ---- namespaces ---- */

static int __net_init ov_tnet_init(struct net *net)
{
	struct ov_tnet *tn = ov_tnet(net);
	unsigned int i;

	spin_lock_init(&tn->lock);
	INIT_LIST_HEAD(&tn->queue);
	INIT_LIST_HEAD(&tn->inflight);
	for (i = 0; i < ARRAY_SIZE(tn->reqs); i++)
		INIT_HLIST_HEAD(&tn->reqs[i]);
	init_waitqueue_head(&tn->wq);
	return 0;
}

static void __net_exit ov_tnet_exit(struct net *net)
{
	struct ov_tnet *tn = ov_tnet(net);

	/* Devices went first (pernet device ops), taking their requests. */
	WARN_ON(tn->nreqs);
}

static struct pernet_operations ov_tnet_ops = {
	.init = ov_tnet_init,
	.exit = ov_tnet_exit,
	.id = &ov_tnet_id,
	.size = sizeof(struct ov_tnet),
};

int ov_tgt_init(void)
{
	return register_pernet_subsys(&ov_tnet_ops);
}

void ov_tgt_exit(void)
{
	unregister_pernet_subsys(&ov_tnet_ops);
}
