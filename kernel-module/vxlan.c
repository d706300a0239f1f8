// SPDX-License-Identifier: GPL-2.0
/*
 * vxlan.c - the VXLAN encapsulation (RFC 7348) over IPv4 and IPv6 UDP.
 *
 * One kernel UDP socket per endpoint, bound to vxlan/listen_ip and
 * vxlan/listen_port, set up as a UDP tunnel socket so the UDP layer hands
 * us each datagram (checksum already verified) in ov_vxlan_rcv. IPv6
 * sockets are v6-only: an IPv4 endpoint is separate. The source port of
 * each packet is spread over the namespace's local port range by the inner
 * flow's hash, so underlay ECMP and RSS see one flow per inner flow.
 */
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "ov.h"

enum { OV_VXLAN_PROP_LISTEN_IP, OV_VXLAN_PROP_LISTEN_PORT };

static const struct ov_prop_desc ov_vxlan_props[] = {
	[OV_VXLAN_PROP_LISTEN_IP] = {
		.name = "vxlan/listen_ip",
		.type = OVERLAY_PROP_T_IP,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE |
			OVERLAY_PROP_PERM_REQUIRED,
	},
	[OV_VXLAN_PROP_LISTEN_PORT] = {
		.name = "vxlan/listen_port",
		.type = OVERLAY_PROP_T_UINT,
		.perm = OVERLAY_PROP_PERM_READ | OVERLAY_PROP_PERM_WRITE,
		.min = 1,
		.max = 65535,
		.has_default = true,
		.def_uint = OV_VXLAN_PORT,
	},
};

static int ov_vxlan_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct ov_decap_result r;
	struct ov_sock *os;
	unsigned int want;

	os = rcu_dereference_sk_user_data(sk);
	if (!os)
		goto drop;
	/* Header, VXLAN header and inner Ethernet header in the linear part. */
	want = min_t(unsigned int, skb->len,
		     sizeof(struct udphdr) + OV_VXLAN_HLEN + ETH_HLEN);
	if (!pskb_may_pull(skb, want))
		goto drop;
	ov_vxlan_parse(skb->data + sizeof(struct udphdr),
		       skb_headlen(skb) - sizeof(struct udphdr), &r);
	r.hdrlen += sizeof(struct udphdr);
	ov_sock_deliver(os, skb, &r);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}

static int ov_vxlan_sock_open(struct ov_sock *os)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = os,
		/* Any non-zero type marks an encapsulation socket. */
		.encap_type = 1,
		.encap_rcv = ov_vxlan_rcv,
	};
	struct udp_port_cfg ucfg = {
		.local_udp_port = htons(os->key.port),
	};
	int err;

	if (ov_key_is_v4(&os->key)) {
		ucfg.family = AF_INET;
		memcpy(&ucfg.local_ip.s_addr, os->key.ip + 12, 4);
		ucfg.use_udp_checksums = 1;
	} else {
		ucfg.family = AF_INET6;
		memcpy(&ucfg.local_ip6, os->key.ip, 16);
		ucfg.ipv6_v6only = 1;
		ucfg.use_udp6_rx_checksums = 1;
		ucfg.use_udp6_tx_checksums = 1;
	}
	err = udp_sock_create(os->key.net, &ucfg, &os->sock);
	if (err)
		return err;
	setup_udp_tunnel_sock(os->key.net, os->sock, &tcfg);
	return 0;
}

static void ov_vxlan_sock_close(struct ov_sock *os)
{
	udp_tunnel_sock_release(os->sock);
	os->sock = NULL;
}

static int ov_vxlan_xmit(struct ov_dev *od, struct ov_sock *os,
			 struct sk_buff *skb, const struct ov_dest *dst)
{
	struct ov_route_req req = {
		.proto = IPPROTO_UDP,
		.dport = htons(dst->port ? dst->port : OV_VXLAN_PORT),
		.gso_type = SKB_GSO_UDP_TUNNEL_CSUM,
		.push = OV_VXLAN_HLEN,
	};
	bool xnet = !net_eq(os->key.net, dev_net(od->dev));
	struct ov_route r;
	int lo, hi, err;

	inet_get_local_port_range(os->key.net, &lo, &hi);
	req.sport = htons(ov_flow_src_port(skb_get_hash(skb), lo, hi));
	err = ov_sock_route(od, os, dst, skb, &req, &r);
	if (err)
		return err;
	ov_vxlan_build(skb->data, od->vnetid);
	if (ov_key_is_v4(&os->key)) {
		udp_tunnel_xmit_skb(container_of(r.dst, struct rtable, dst),
				    os->sock->sk, skb, r.fl4.saddr,
				    r.fl4.daddr, 0, ip4_dst_hoplimit(r.dst), 0,
				    req.sport, req.dport, xnet, false);
		return 0;
	}
	/* Returns int (always 0) on 6.1 and void on 6.12: called for effect. */
	udp_tunnel6_xmit_skb(r.dst, os->sock->sk, skb, od->dev, &r.fl6.saddr,
			     &r.fl6.daddr, 0, ip6_dst_hoplimit(r.dst), 0,
			     req.sport, req.dport, false);
	return 0;
}

const struct ov_encap_ops ov_vxlan_ops = {
	.name = "vxlan",
	.vnetid_max = OV_VNETID_MAX,
	.default_port = OV_VXLAN_PORT,
	.hlen = sizeof(struct udphdr) + OV_VXLAN_HLEN,
	.props = ov_vxlan_props,
	.nprops = ARRAY_SIZE(ov_vxlan_props),
	.prop_listen_ip = OV_VXLAN_PROP_LISTEN_IP,
	.prop_listen_port = OV_VXLAN_PROP_LISTEN_PORT,
	.sock_open = ov_vxlan_sock_open,
	.sock_close = ov_vxlan_sock_close,
	.xmit = ov_vxlan_xmit,
};
