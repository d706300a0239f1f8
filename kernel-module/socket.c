// SPDX-License-Identifier: GPL-2.0
/*
 * socket.c - underlay endpoints, shared between devices, and the receive
 * demultiplexer that hands a decapsulated frame to the one device with its
 * vnetid.
 *
 * An endpoint is keyed by (encapsulation, network namespace, address, port).
 * The first device to activate on a key opens it (ops->sock_open), later
 * ones take a reference, the last to leave closes it. The list of endpoints
 * and the reference counts are protected by RTNL; each endpoint's vnetid
 * hash is written under RTNL and read under RCU by the datapath, and the
 * endpoint itself is freed after a grace period.
 *
 * Transmit shares one step between the encapsulations, ov_sock_route: the
 * route from the endpoint to the destination, room for the outer headers,
 * the GSO type, and the encapsulation header's space pushed.
 */
#include <linux/hash.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>

#include "ov.h"

static LIST_HEAD(ov_socks);

static bool ov_sock_key_eq(const struct ov_sock_key *a,
			   const struct ov_sock_key *b)
{
	return a->ops == b->ops && net_eq(a->net, b->net) &&
	       memcmp(a->ip, b->ip, sizeof(a->ip)) == 0 && a->port == b->port;
}

static struct hlist_head *ov_sock_bucket(struct ov_sock *os, u32 vnetid)
{
	return &os->vnets[hash_32(vnetid, OV_SOCK_HASH_BITS)];
}

static struct ov_dev *ov_sock_find_rcu(struct ov_sock *os, u32 vnetid)
{
	struct ov_dev *od;

	hlist_for_each_entry_rcu(od, ov_sock_bucket(os, vnetid), vnet_node)
		if (od->vnetid == vnetid)
			return od;
	return NULL;
}

/* Is there a device with vnetid on os? For receive hooks that share. */
bool ov_sock_has_vnetid_rcu(struct ov_sock *os, u32 vnetid)
{
	return ov_sock_find_rcu(os, vnetid) != NULL;
}

static struct ov_dev *ov_sock_find_rtnl(struct ov_sock *os, u32 vnetid)
{
	struct ov_dev *od;

	hlist_for_each_entry(od, ov_sock_bucket(os, vnetid), vnet_node)
		if (od->vnetid == vnetid)
			return od;
	return NULL;
}

/*
 * Put od (its encap and vnetid already chosen) on the endpoint for key,
 * opening it if needed. -EEXIST: another device there has the vnetid.
 */
int ov_sock_attach(struct ov_dev *od, const struct ov_sock_key *key)
{
	struct ov_sock *os;
	int err;

	ASSERT_RTNL();
	list_for_each_entry(os, &ov_socks, node)
		if (ov_sock_key_eq(&os->key, key))
			goto found;

	os = kzalloc(sizeof(*os), GFP_KERNEL);
	if (!os)
		return -ENOMEM;
	os->key = *key;
	err = key->ops->sock_open(os);
	if (err)
		goto err_free_sock;
	list_add(&os->node, &ov_socks);

found:
	if (ov_sock_find_rtnl(os, od->vnetid)) {
		err = -EEXIST;
		goto err_close_if_unused;
	}
	os->refs++;
	hlist_add_head_rcu(&od->vnet_node, ov_sock_bucket(os, od->vnetid));
	rcu_assign_pointer(od->sock, os);
	return 0;

err_close_if_unused:
	if (os->refs)
		return err;
	list_del(&os->node);
	os->key.ops->sock_close(os);
err_free_sock:
	kfree(os);
	return err;
}

/* Take od off its endpoint; close the endpoint when od was the last. */
void ov_sock_detach(struct ov_dev *od)
{
	struct ov_sock *os = rtnl_dereference(od->sock);

	if (!os)
		return;
	hlist_del_init_rcu(&od->vnet_node);
	RCU_INIT_POINTER(od->sock, NULL);
	if (--os->refs)
		return;
	list_del(&os->node);
	/*
	 * A transmit that read od->sock before it was cleared may still use
	 * os->sock: wait for it before the socket goes (expedited: RTNL).
	 */
	synchronize_net();
	os->key.ops->sock_close(os);
	kfree_rcu(os, rcu);
}

/*
 * Deliver one received packet whose encapsulation header was parsed into r;
 * skb->data is at that header. Always consumes skb. Every drop is counted
 * once: against the device the packet names when there is one, else
 * against the endpoint.
 */
void ov_sock_deliver(struct ov_sock *os, struct sk_buff *skb,
		     const struct ov_decap_result *r)
{
	struct ov_dev *od = NULL;
	enum ov_cnt why;
	bool xnet;
	u32 v;

	if (r->has_vnetid)
		od = ov_sock_find_rcu(os, r->vnetid);

	switch (r->verdict) {
	case OV_DECAP_OK:
		break;
	case OV_DECAP_BAD_FLAGS:
		why = OV_CNT_RX_BAD_FLAGS;
		goto drop;
	case OV_DECAP_BAD_GRE:
		why = OV_CNT_RX_BAD_GRE;
		goto drop;
	default:
		why = OV_CNT_RX_TRUNCATED;
		goto drop;
	}
	if (!od) {
		why = OV_CNT_RX_UNKNOWN_VNETID;
		goto drop;
	}
	if (!netif_running(od->dev)) {
		why = OV_CNT_RX_INACTIVE;
		goto drop;
	}
	v = ov_decap_inner_check(skb->len - r->hdrlen, od->dev->mtu);
	/* A GRO-merged outer packet may legitimately exceed the MTU. */
	if (v == OV_DECAP_OVERSIZE && !skb_is_gso(skb)) {
		why = OV_CNT_RX_OVERSIZE;
		goto drop;
	}
	if (v == OV_DECAP_RUNT) {
		why = OV_CNT_RX_TRUNCATED;
		goto drop;
	}

	xnet = !net_eq(os->key.net, dev_net(od->dev));
	if (iptunnel_pull_header(skb, r->hdrlen, htons(ETH_P_TEB), xnet) ||
	    !pskb_may_pull(skb, ETH_HLEN)) {
		why = OV_CNT_RX_TRUNCATED;
		goto drop;
	}
	skb->protocol = eth_type_trans(skb, od->dev);
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);
	dev_sw_netstats_rx_add(od->dev, skb->len + ETH_HLEN);
	gro_cells_receive(&od->gro_cells, skb);
	return;

drop:
	if (od)
		ov_dev_count(od, why);
	else
		ov_sock_count(os, why);
	kfree_skb(skb);
}

/*
 * Route skb from os toward dst and ready it for an encapsulation header of
 * push bytes: headroom for it and for what the sender will add (hlen is
 * everything between the outer IP header and the inner frame), GSO marked
 * gso_type, push bytes pushed at skb->data for the caller to fill. On
 * success r holds the route (the send consumes it) and the addresses; on
 * failure skb is freed.
 */
int ov_sock_route(struct ov_dev *od, struct ov_sock *os,
		  const struct ov_dest *dst, struct sk_buff *skb,
		  const struct ov_route_req *req, struct ov_route *r)
{
	unsigned int room;
	int err;

	if (ov_key_is_v4(&os->key)) {
		struct rtable *rt;

		memset(&r->fl4, 0, sizeof(r->fl4));
		r->fl4.flowi4_proto = req->proto;
		r->fl4.fl4_sport = req->sport;
		r->fl4.fl4_dport = req->dport;
		memcpy(&r->fl4.daddr, dst->ip + 12, 4);
		memcpy(&r->fl4.saddr, os->key.ip + 12, 4);
		rt = ip_route_output_key(os->key.net, &r->fl4);
		if (IS_ERR(rt)) {
			err = PTR_ERR(rt);
			goto err_free_skb;
		}
		r->dst = &rt->dst;
		room = sizeof(struct iphdr);
	} else {
		memset(&r->fl6, 0, sizeof(r->fl6));
		r->fl6.flowi6_proto = req->proto;
		r->fl6.fl6_sport = req->sport;
		r->fl6.fl6_dport = req->dport;
		memcpy(&r->fl6.daddr, dst->ip, 16);
		memcpy(&r->fl6.saddr, os->key.ip, 16);
		r->dst = ipv6_stub->ipv6_dst_lookup_flow(os->key.net,
				os->sock ? os->sock->sk : NULL, &r->fl6, NULL);
		if (IS_ERR(r->dst)) {
			err = PTR_ERR(r->dst);
			goto err_free_skb;
		}
		room = sizeof(struct ipv6hdr);
		/* IPv4 senders scrub in iptunnel_xmit; IPv6 ones do not. */
		skb_scrub_packet(skb, !net_eq(os->key.net, dev_net(od->dev)));
	}
	if (r->dst->dev == od->dev) {
		err = -ELOOP;		/* the underlay route is the overlay */
		goto err_put_route;
	}
	room += LL_RESERVED_SPACE(r->dst->dev) + r->dst->header_len +
		od->encap->hlen;
	err = skb_cow_head(skb, room);
	if (err)
		goto err_put_route;
	err = iptunnel_handle_offloads(skb, req->gso_type);
	if (err)
		goto err_put_route;
	__skb_push(skb, req->push);
	skb_set_inner_protocol(skb, htons(ETH_P_TEB));
	return 0;

err_put_route:
	dst_release(r->dst);
err_free_skb:
	kfree_skb(skb);
	return err;
}
