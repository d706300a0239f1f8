// SPDX-License-Identifier: GPL-2.0
/*
 * nvgre.c - the NVGRE encapsulation (RFC 7637) over IPv4 and IPv6.
 *
 * Transmit builds the 8-byte GRE header (K bit, protocol 0x6558, key =
 * VSID << 8 | FlowID, the FlowID folded from the inner flow hash) and sends
 * it as IP protocol 47, with GRE segmentation offload for GSO frames.
 *
 * Receive is the hard part: Linux dispatches IP protocol 47 to gre_demux,
 * which gives GRE version 0 to exactly one handler, and ip_gre takes it when
 * loaded (gre_add_protocol(GREPROTO_CISCO)); inet_add_protocol(IPPROTO_GRE)
 * is gre_demux's; and IP protocol handlers cannot be chained. So NVGRE
 * frames are taken before protocol dispatch, by a netfilter hook at
 * LOCAL_IN (after reassembly, after the filter table, so a firewall still
 * applies) registered per endpoint in the endpoint's namespace. The hook
 * looks only at GRE to the endpoint's address; of that, only version 0 with
 * the K bit and protocol 0x6558 whose VSID one of our devices has is ours
 * (stolen, then delivered or dropped and counted), as is such GRE cut too
 * short to hold a key. Everything else is accepted untouched for ip_gre,
 * ip6_gre or whoever else -- an unknown VSID after being counted, since it
 * may be a gretap key on the same address (the stack drops it when no
 * tunnel wants it). This works whether ip_gre is loaded or not.
 *
 * IPv6 extension headers before GRE are skipped (Linux's ip6gretap sends a
 * tunnel encapsulation limit option by default). Not supported: fragmented
 * NVGRE over IPv6 (the hook sees the outer packet before IPv6 reassembly:
 * keep the underlay MTU above the overlay MTU plus 62 bytes); two
 * endpoints in one namespace where one listens on the wildcard address
 * (the first hook would claim every VSID).
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip6_tunnel.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>

#include "ov.h"

enum { OV_NVGRE_PROP_LISTEN_IP, OV_NVGRE_PROP_FLOWID };

/* encap_opts bits */
#define OV_NVGRE_OPT_FLOWID	0x1

static const struct ov_prop_desc ov_nvgre_props[] = {
	[OV_NVGRE_PROP_LISTEN_IP] = {
		.name = "nvgre/listen_ip",
		.type = OVERLAY_PROP_T_IP,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE |
			OVERLAY_PROP_PERM_REQUIRED,
	},
	/*
	 * 1: FlowID from the inner flow hash (RFC 7637 section 3.2). 0: FlowID
	 * zero, for peers that match the whole 32-bit key, as Linux's gretap
	 * with "key VSID<<8" does.
	 */
	[OV_NVGRE_PROP_FLOWID] = {
		.name = "nvgre/flowid",
		.type = OVERLAY_PROP_T_UINT,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE,
		.min = 0,
		.max = 1,
		.has_default = true,
		.def_uint = 1,
	},
};

static void ov_nvgre_configure(struct ov_dev *od)
{
	if (ov_dev_encap_uint(od, &ov_nvgre_ops, OV_NVGRE_PROP_FLOWID))
		od->encap_opts |= OV_NVGRE_OPT_FLOWID;
}

/* The hook registration, freed after a grace period like the endpoint. */
struct ov_nvgre_hook {
	struct nf_hook_ops ops;
	struct rcu_head rcu;
};

static bool ov_nvgre_for_us(const struct ov_sock *os, struct sk_buff *skb,
			    unsigned int *nhlen)
{
	if (ov_key_is_v4(&os->key)) {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_GRE)
			return false;
		if (!ov_ip_is_unspec(os->key.ip) &&
		    memcmp(&iph->daddr, os->key.ip + 12, 4) != 0)
			return false;
		*nhlen = ip_hdrlen(skb);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		u8 nexthdr = ip6h->nexthdr;
		__be16 frag_off = 0;
		int off;

		if (!ov_ip_is_unspec(os->key.ip) &&
		    memcmp(&ip6h->daddr, os->key.ip, 16) != 0)
			return false;
		off = sizeof(*ip6h);
		/*
		 * Linux's ip6gretap puts a tunnel encapsulation limit option
		 * (a destination options header) before GRE by default.
		 */
		if (nexthdr != IPPROTO_GRE && ipv6_ext_hdr(nexthdr))
			off = ipv6_skip_exthdr(skb, off, &nexthdr, &frag_off);
		if (off < 0 || nexthdr != IPPROTO_GRE || frag_off)
			return false;
		*nhlen = off;
	}
	return true;
}

static unsigned int ov_nvgre_hook(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct ov_sock *os = priv;
	struct ov_decap_result r;
	unsigned int nhlen, want;

	if (!ov_nvgre_for_us(os, skb, &nhlen))
		return NF_ACCEPT;
	want = min_t(unsigned int, skb->len, nhlen + 12 + ETH_HLEN);
	if (!pskb_may_pull(skb, want))
		return NF_ACCEPT;	/* the stack will drop it */
	ov_nvgre_parse(skb->data + nhlen, skb_headlen(skb) - nhlen, &r);
	if (r.verdict == OV_DECAP_NOT_OURS)
		return NF_ACCEPT;
	/*
	 * A VSID none of our devices has may be a Linux gretap's key on the
	 * same address: count it, and leave it to the stack, which drops it
	 * when no tunnel wants it.
	 */
	if (r.has_vnetid && !ov_sock_has_vnetid_rcu(os, r.vnetid)) {
		ov_sock_count(os, OV_CNT_RX_UNKNOWN_VNETID);
		return NF_ACCEPT;
	}
	skb_pull_rcsum(skb, nhlen);
	ov_sock_deliver(os, skb, &r);
	return NF_STOLEN;
}

static int ov_nvgre_sock_open(struct ov_sock *os)
{
	struct ov_nvgre_hook *h;
	int err;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->ops.hook = ov_nvgre_hook;
	h->ops.priv = os;
	h->ops.hooknum = NF_INET_LOCAL_IN;
	if (ov_key_is_v4(&os->key)) {
		h->ops.pf = NFPROTO_IPV4;
		h->ops.priority = NF_IP_PRI_FILTER + 1;
	} else {
		h->ops.pf = NFPROTO_IPV6;
		h->ops.priority = NF_IP6_PRI_FILTER + 1;
	}
	err = nf_register_net_hook(os->key.net, &h->ops);
	if (err)
		goto err_free_hook;
	os->priv = h;
	return 0;

err_free_hook:
	kfree(h);
	return err;
}

static void ov_nvgre_sock_close(struct ov_sock *os)
{
	struct ov_nvgre_hook *h = os->priv;

	nf_unregister_net_hook(os->key.net, &h->ops);
	os->priv = NULL;
	kfree_rcu(h, rcu);
}

static int ov_nvgre_xmit(struct ov_dev *od, struct ov_sock *os,
			 struct sk_buff *skb, const struct ov_dest *dst)
{
	static const struct ov_route_req req = {
		.proto = IPPROTO_GRE,
		.gso_type = SKB_GSO_GRE,
		.push = OV_NVGRE_HLEN,
	};
	bool xnet = !net_eq(os->key.net, dev_net(od->dev));
	struct ipv6hdr *ip6h;
	struct ov_route r;
	u8 flowid = 0;
	int err;

	if (od->encap_opts & OV_NVGRE_OPT_FLOWID)
		flowid = ov_flow_nvgre_id(skb_get_hash(skb));
	err = ov_sock_route(od, os, dst, skb, &req, &r);
	if (err)
		return err;
	ov_nvgre_build(skb->data, od->vnetid, flowid);
	skb_reset_transport_header(skb);	/* GRE GSO finds GRE here */
	if (ov_key_is_v4(&os->key)) {
		struct rtable *rt = container_of(r.dst, struct rtable, dst);

		iptunnel_xmit(NULL, rt, skb, r.fl4.saddr, r.fl4.daddr,
			      IPPROTO_GRE, 0, ip4_dst_hoplimit(r.dst), 0, xnet);
		return 0;
	}
	/* No ip6 helper builds a bare IPv6 header: do it here. */
	skb_dst_set(skb, r.dst);
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = IPPROTO_GRE;
	ip6h->hop_limit = ip6_dst_hoplimit(r.dst);
	ip6h->saddr = r.fl6.saddr;
	ip6h->daddr = r.fl6.daddr;
	skb->protocol = htons(ETH_P_IPV6);
	ip6tunnel_xmit(NULL, skb, od->dev);
	return 0;
}

const struct ov_encap_ops ov_nvgre_ops = {
	.name = "nvgre",
	.vnetid_max = OV_VNETID_MAX,
	.default_port = 0,
	.hlen = OV_NVGRE_HLEN,
	.props = ov_nvgre_props,
	.nprops = ARRAY_SIZE(ov_nvgre_props),
	.prop_listen_ip = OV_NVGRE_PROP_LISTEN_IP,
	.prop_listen_port = -1,
	.sock_open = ov_nvgre_sock_open,
	.sock_close = ov_nvgre_sock_close,
	.configure = ov_nvgre_configure,
	.xmit = ov_nvgre_xmit,
};
