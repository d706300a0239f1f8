/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ov_core.h - overlay's kernel-free logic: encapsulation header building and
 * parsing, flow-hash folding and property validation.
 *
 * Everything here is pure computation on byte buffers: no allocation, no
 * locking, no kernel or libc calls beyond memcpy/memset/memcmp. The same
 * sources are compiled into ovnet.ko (under __KERNEL__) and into userland
 * (unit tests, the decap fuzz target), so what the fuzzer proves about the
 * parsers holds for the module. Functions return 0 or a negative errno; the
 * errno values are Linux's, the same in both worlds.
 *
 * Byte order: header fields are read and written a byte at a time, so no
 * host-order assumption and no unaligned access anywhere.
 */
#ifndef OV_CORE_H
#define OV_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#include "uapi/overlay.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- VXLAN (RFC 7348) ---- */
#define OV_VXLAN_HLEN		8
#define OV_VXLAN_PORT		4789
#define OV_VXLAN_FLAG_I		0x08
#define OV_VNETID_MAX		0xffffffU	/* 24-bit VNI and VSID */

/* ---- NVGRE (RFC 7637) ---- */
#define OV_NVGRE_HLEN		8
#define OV_GRE_PROTO_TEB	0x6558	/* Transparent Ethernet Bridging */
#define OV_GRE_FLAG_C		0x80		/* first byte */
#define OV_GRE_FLAG_R		0x40
#define OV_GRE_FLAG_K		0x20
#define OV_GRE_FLAG_S		0x10

/* Inner Ethernet frame limits. */
#define OV_ETH_HLEN		14
#define OV_INNER_SLACK		18	/* Ethernet header + one 802.1Q tag */

enum ov_decap_verdict {
	OV_DECAP_OK = 0,
	OV_DECAP_TRUNCATED,	/* encapsulation header cut short */
	OV_DECAP_BAD_FLAGS,	/* VXLAN flags byte is not exactly I */
	OV_DECAP_BAD_GRE,	/* GRE with C, R or S bit: not NVGRE */
	OV_DECAP_NOT_OURS,	/* GRE that is not TEB with a key: not ours */
	OV_DECAP_RUNT,		/* inner frame shorter than Ethernet */
	OV_DECAP_OVERSIZE,	/* inner frame longer than MTU + slack */
};

/*
 * What a parser learnt. vnetid is valid when has_vnetid is true, even for
 * some bad verdicts, so a malformed packet can be counted against the device
 * it was meant for. hdrlen is where the inner frame starts.
 */
struct ov_decap_result {
	uint32_t verdict;	/* enum ov_decap_verdict */
	uint32_t vnetid;
	uint32_t hdrlen;
	bool has_vnetid;
};

void ov_vxlan_build(uint8_t hdr[OV_VXLAN_HLEN], uint32_t vni);
void ov_vxlan_parse(const uint8_t *p, size_t len, struct ov_decap_result *r);

void ov_nvgre_build(uint8_t hdr[OV_NVGRE_HLEN], uint32_t vsid, uint8_t flowid);
void ov_nvgre_parse(const uint8_t *p, size_t len, struct ov_decap_result *r);

/* Check an inner frame of inner_len bytes against a device MTU. */
uint32_t ov_decap_inner_check(size_t inner_len, uint32_t mtu);

/* A UDP source port in [lo, hi] spread by a flow hash (lo <= hi). */
uint16_t ov_flow_src_port(uint32_t hash, uint16_t lo, uint16_t hi);
/* The 8-bit NVGRE FlowID: every bit of the hash folded in. */
uint8_t ov_flow_nvgre_id(uint32_t hash);

const char *ov_decap_verdict_name(uint32_t verdict);

/* ---- addresses (16 bytes, IPv4-mapped for IPv4) ---- */
bool ov_ip_is_v4(const uint8_t ip[16]);
bool ov_ip_is_unspec(const uint8_t ip[16]);	/* :: or 0.0.0.0 */
/* Unicast or unspecified; multicast, broadcast and ::ffff:255.x rejected. */
bool ov_ip_is_listenable(const uint8_t ip[16]);
/* Unicast only: a destination. */
bool ov_ip_is_unicast(const uint8_t ip[16]);

/* ---- properties ---- */

/*
 * A property's description. Encapsulations own theirs (prefixed
 * "<encap>/"); the device owns mtu, vnetid and encap. Tables are built with
 * designated initialisers.
 */
struct ov_prop_desc {
	const char *name;
	uint32_t type;		/* OVERLAY_PROP_T_* */
	uint32_t perm;		/* OVERLAY_PROP_PERM_* */
	uint64_t min, max;	/* UINT */
	const char *possible;	/* STRING: comma-separated, NULL = any */
	bool has_default;
	uint64_t def_uint;	/* UINT default */
	const char *def_str;	/* STRING default */
	/* IP defaults are not supported: listen addresses are required. */
};

/* A stored value: set is false until SETPROP succeeds. */
struct ov_prop_val {
	bool set;
	uint32_t size;
	uint8_t data[OVERLAY_PROP_SIZEMAX];
};

/*
 * Validate a value for a property: 0, -EINVAL (wrong size for the type, an
 * unterminated or empty string, an address that cannot be listened on) or
 * -ERANGE (outside [min, max], or not among the possible strings).
 */
int ov_prop_check(const struct ov_prop_desc *d, const void *buf, uint32_t size);
/* Write the default into buf (OVERLAY_PROP_SIZEMAX bytes); its size, or 0. */
uint32_t ov_prop_default(const struct ov_prop_desc *d, uint8_t *buf);
/* The current value (set, else default) into buf; its size, or 0. */
uint32_t ov_prop_get(const struct ov_prop_desc *d, const struct ov_prop_val *v,
		     uint8_t *buf);
/* Convenience readers for a validated value (set or default). */
uint64_t ov_prop_uint(const struct ov_prop_desc *d,
		      const struct ov_prop_val *v);
/* Is s (NUL-terminated) one of the comma-separated words of list? */
bool ov_prop_list_has(const char *list, const char *s);

#ifdef __cplusplus
}
#endif

#endif /* OV_CORE_H */
