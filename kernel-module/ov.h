/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ov.h - ovnet.ko's internal interfaces between its subsystems. The theory
 * statement is at the top of main.c.
 */
#ifndef OV_H
#define OV_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <net/flow.h>
#include <net/gro_cells.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "core/ov_core.h"

/* Counters; the order is that of struct overlay_counters after rx_bytes. */
enum ov_cnt {
	OV_CNT_TX_NODEST,
	OV_CNT_TX_ERRORS,
	OV_CNT_RX_TRUNCATED,
	OV_CNT_RX_BAD_FLAGS,
	OV_CNT_RX_BAD_GRE,
	OV_CNT_RX_OVERSIZE,
	OV_CNT_RX_UNKNOWN_VNETID,
	OV_CNT_RX_INACTIVE,
	OV_CNT_N
};

struct ov_sock;
struct ov_dev;
struct ov_tcache;

/* A point-mode destination; replaced whole under RTNL, read under RCU. */
struct ov_dest {
	u8 ip[16];		/* IPv4-mapped for IPv4 */
	u16 port;		/* host order; 0 for NVGRE */
	struct rcu_head rcu;
};

/*
 * An encapsulation: everything the datapath needs to know about one, so a
 * third is one new file and one line in ov_encaps[] (main.c).
 */
struct ov_encap_ops {
	const char *name;		/* the value of property "encap" */
	u32 vnetid_max;
	u16 default_port;		/* 0: not a UDP encapsulation */
	unsigned int hlen;		/* outer IP header to inner frame */
	const struct ov_prop_desc *props;	/* "<name>/..." */
	unsigned int nprops;
	/* Indexes into props of the listen address and port (-1: none). */
	int prop_listen_ip;
	int prop_listen_port;
	/* Open and close the underlay endpoint described by os->key. RTNL. */
	int (*sock_open)(struct ov_sock *os);
	void (*sock_close)(struct ov_sock *os);
	/* Read the encapsulation's own properties at ACTIVATE (optional). */
	void (*configure)(struct ov_dev *od);
	/* Encapsulate and send; always consumes skb; 0 or -errno. RCU. */
	int (*xmit)(struct ov_dev *od, struct ov_sock *os, struct sk_buff *skb,
		    const struct ov_dest *dst);
};

struct ov_sock_key {
	const struct ov_encap_ops *ops;
	struct net *net;
	u8 ip[16];
	u16 port;
};

#define OV_SOCK_HASH_BITS	8

/*
 * An underlay endpoint shared by every device with the same key. Found
 * from the datapath through sk_user_data (UDP) or the hook's priv (GRE).
 */
struct ov_sock {
	struct list_head node;		/* ov_socks, RTNL */
	struct ov_sock_key key;
	unsigned int refs;		/* devices on it, RTNL */
	struct socket *sock;		/* UDP encapsulations */
	void *priv;			/* the encapsulation's own state */
	struct hlist_head vnets[1 << OV_SOCK_HASH_BITS];	/* RCU */
	atomic64_t cnt[OV_CNT_N];
	struct rcu_head rcu;
};

#define OV_PROPS_MAX	16

/* The private part of an overlay net_device. */
struct ov_dev {
	struct net_device *dev;
	struct net *net;		/* the underlay's namespace */
	struct list_head node;		/* ov_devs, RTNL */
	u32 linkid;
	bool active;			/* RTNL */
	const struct ov_encap_ops *encap;	/* set while active */
	u32 vnetid;			/* set while active */
	u32 encap_opts;			/* set by encap->configure */
	struct ov_sock __rcu *sock;	/* set while active */
	struct hlist_node vnet_node;	/* in sock->vnets */
	struct ov_dest __rcu *dest;	/* point mode */
	struct ov_tcache __rcu *tc;	/* dynamic mode: target.c */
	u32 dest_mode;
	u32 cache_size;			/* properties, read by the datapath */
	u32 pending_bytes;
	bool degraded;			/* DEGRADE'd, RTNL */
	char degrade_msg[OVERLAY_MSGLEN];	/* RTNL */
	struct ov_prop_val props[OV_PROPS_MAX];	/* RTNL */
	char message[OVERLAY_MSGLEN];	/* RTNL */
	atomic64_t cnt[OV_CNT_N];
	struct gro_cells gro_cells;
};

/* main.c */
extern const struct ov_encap_ops *const ov_encaps[];
extern const unsigned int ov_nencaps;
const struct ov_encap_ops *ov_encap_find(const char *name);

/* device.c */
extern struct rtnl_link_ops ov_link_ops;
int ov_dev_create(struct net *net, const char *name, u32 *linkid,
		  int *ifindex);
struct ov_dev *ov_dev_find(struct net *net, u32 linkid);
struct ov_dev *ov_dev_find_underlay(struct net *net, u32 linkid);
u32 ov_dev_list(struct net *net, struct overlay_targ_link *out, u32 room);
u32 ov_dev_state(struct ov_dev *od, const char **msg);
void ov_dev_delete(struct ov_dev *od);
int ov_dev_activate(struct ov_dev *od);
int ov_dev_associate(struct ov_dev *od, u32 mode, const u8 ip[16], u16 port);
void ov_dev_disassociate(struct ov_dev *od);
unsigned int ov_prop_count(void);
int ov_prop_nth(unsigned int i, const struct ov_prop_desc **d);
int ov_prop_lookup(const char *name, const struct ov_prop_desc **d);
int ov_dev_getprop(struct ov_dev *od, const char *name, u8 *buf, u32 *size);
int ov_dev_setprop(struct ov_dev *od, const char *name, const u8 *buf,
		   u32 size);
void ov_dev_count(struct ov_dev *od, enum ov_cnt c);
u64 ov_dev_encap_uint(struct ov_dev *od, const struct ov_encap_ops *e, int p);
int ov_dev_init(void);
void ov_dev_exit(void);

/* socket.c */
int ov_sock_attach(struct ov_dev *od, const struct ov_sock_key *key);
void ov_sock_detach(struct ov_dev *od);
void ov_sock_deliver(struct ov_sock *os, struct sk_buff *skb,
		     const struct ov_decap_result *r);
bool ov_sock_has_vnetid_rcu(struct ov_sock *os, u32 vnetid);

/* What an encapsulation asks of ov_sock_route. */
struct ov_route_req {
	u8 proto;		/* IPPROTO_UDP, IPPROTO_GRE */
	__be16 sport, dport;	/* UDP only */
	int gso_type;		/* SKB_GSO_* */
	unsigned int push;	/* encapsulation header bytes to push */
};

/* Its answer: the route and the flow with the addresses chosen. */
struct ov_route {
	struct dst_entry *dst;
	union {
		struct flowi4 fl4;
		struct flowi6 fl6;
	};
};

int ov_sock_route(struct ov_dev *od, struct ov_sock *os,
		  const struct ov_dest *dst, struct sk_buff *skb,
		  const struct ov_route_req *req, struct ov_route *r);
static inline void ov_sock_count(struct ov_sock *os, enum ov_cnt c)
{
	atomic64_inc(&os->cnt[c]);
}

static inline bool ov_key_is_v4(const struct ov_sock_key *k)
{
	return ov_ip_is_v4(k->ip);
}

/* target.c */
void ov_tgt_xmit(struct ov_dev *od, struct ov_sock *os, struct ov_tcache *tc,
		 struct sk_buff *skb);
int ov_tgt_dev_init(struct ov_dev *od);
void ov_tgt_dev_fini(struct ov_dev *od);
void ov_tgt_trim(struct ov_dev *od);
int ov_tgt_open(struct file *file);
void ov_tgt_release(struct file *file);
struct net *ov_tgt_file_net(struct file *file);
__poll_t ov_tgt_poll(struct file *file, struct poll_table_struct *pt);
bool ov_tgt_degraded(struct ov_dev *od, const char **msg);
int ov_tgt_lookup(struct file *file, struct net *net,
		  struct overlay_ioc_lookup *lk);
int ov_tgt_respond(struct file *file, struct net *net,
		   struct overlay_ioc_respond *rp);
int ov_tgt_drop(struct file *file, struct net *net,
		struct overlay_ioc_targ_pkt *p);
int ov_tgt_pkt(struct file *file, struct net *net,
	       struct overlay_ioc_targ_pkt *p);
int ov_tgt_inject(struct ov_dev *od, struct overlay_ioc_frame *f);
int ov_tgt_resend(struct ov_dev *od, struct overlay_ioc_frame *f);
int ov_tgt_degrade(struct ov_dev *od, const char *msg);
void ov_tgt_restore(struct ov_dev *od);
void ov_tgt_info(struct ov_dev *od, struct overlay_targ_info *ti);
int ov_tgt_cache_get(struct ov_dev *od, struct overlay_targ_cache_entry *o);
int ov_tgt_cache_set(struct ov_dev *od,
		     const struct overlay_targ_cache_entry *o);
int ov_tgt_cache_remove(struct ov_dev *od, const u8 *mac);
int ov_tgt_cache_flush(struct ov_dev *od);
int ov_tgt_cache_iter(struct ov_dev *od, struct overlay_ioc_cache_iter *it);
int ov_tgt_init(void);
void ov_tgt_exit(void);

/* ioctl.c */
int ov_ioctl_init(void);
void ov_ioctl_exit(void);

/* vxlan.c, nvgre.c */
extern const struct ov_encap_ops ov_vxlan_ops;
extern const struct ov_encap_ops ov_nvgre_ops;

#endif /* OV_H */
