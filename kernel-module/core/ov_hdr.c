// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ov_hdr.c - VXLAN and NVGRE headers: build, parse, and the checks on the
 * frame inside. Pure logic, shared by ovnet.ko and userland (ov_core.h).
 *
 * VXLAN, RFC 7348 section 5 (8 bytes after the outer UDP header):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |R|R|R|R|I|R|R|R|            Reserved                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                VXLAN Network Identifier (VNI) |   Reserved    |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The flags byte must be exactly I: without I the VNI is not valid (the
 * RFC's words), and any other flag bit belongs to an extension we do not
 * speak (GBP, GPE), so such a packet is dropped rather than misread. The
 * reserved fields are ignored on receipt and zero on transmission, as the
 * RFC asks.
 *
 * NVGRE, RFC 7637 section 3.2 (GRE, RFC 2784 + RFC 2890 key):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |0| |1|0|   Reserved0     | Ver |   Protocol Type 0x6558        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |               Virtual Subnet ID (VSID)        |    FlowID     |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * GRE version 0 with protocol 0x6558 and the K bit is NVGRE-shaped. If it
 * also carries a checksum (C), routing (R) or sequence number (S), or any
 * reserved bit, it is not valid NVGRE (the RFC forbids C and S) and is
 * dropped; its key is still read, when present, so the drop is counted
 * against the device it names. GRE without K, with another protocol or
 * another version is not ours at all and is left to the rest of the stack.
 */
#include "ov_core.h"

static uint32_t ov_get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t ov_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | ov_get_be24(p + 1);
}

static void ov_result_init(struct ov_decap_result *r)
{
	r->verdict = OV_DECAP_TRUNCATED;
	r->vnetid = 0;
	r->hdrlen = 0;
	r->has_vnetid = false;
}

void ov_vxlan_build(uint8_t hdr[OV_VXLAN_HLEN], uint32_t vni)
{
	hdr[0] = OV_VXLAN_FLAG_I;
	hdr[1] = 0;
	hdr[2] = 0;
	hdr[3] = 0;
	hdr[4] = (uint8_t)(vni >> 16);
	hdr[5] = (uint8_t)(vni >> 8);
	hdr[6] = (uint8_t)vni;
	hdr[7] = 0;
}

void ov_vxlan_parse(const uint8_t *p, size_t len, struct ov_decap_result *r)
{
	ov_result_init(r);
	if (len < OV_VXLAN_HLEN)
		return;
	r->hdrlen = OV_VXLAN_HLEN;
	if (!(p[0] & OV_VXLAN_FLAG_I)) {
		r->verdict = OV_DECAP_BAD_FLAGS;
		return;
	}
	r->vnetid = ov_get_be24(p + 4);
	r->has_vnetid = true;
	r->verdict = p[0] == OV_VXLAN_FLAG_I ? OV_DECAP_OK : OV_DECAP_BAD_FLAGS;
}

void ov_nvgre_build(uint8_t hdr[OV_NVGRE_HLEN], uint32_t vsid, uint8_t flowid)
{
	hdr[0] = OV_GRE_FLAG_K;
	hdr[1] = 0;		/* reserved0, version 0 */
	hdr[2] = (uint8_t)(OV_GRE_PROTO_TEB >> 8);
	hdr[3] = (uint8_t)OV_GRE_PROTO_TEB;
	hdr[4] = (uint8_t)(vsid >> 16);
	hdr[5] = (uint8_t)(vsid >> 8);
	hdr[6] = (uint8_t)vsid;
	hdr[7] = flowid;
}

void ov_nvgre_parse(const uint8_t *p, size_t len, struct ov_decap_result *r)
{
	size_t keyoff = 4;
	bool bad;

	ov_result_init(r);
	if (len < 4)
		return;
	if ((p[1] & 0x07) != 0 ||
	    ((uint32_t)p[2] << 8 | p[3]) != OV_GRE_PROTO_TEB ||
	    !(p[0] & OV_GRE_FLAG_K)) {
		r->verdict = OV_DECAP_NOT_OURS;
		return;
	}
	/* Checksum and offset words come first when C or R is set. */
	if (p[0] & (OV_GRE_FLAG_C | OV_GRE_FLAG_R))
		keyoff += 4;
	bad = (p[0] & ~OV_GRE_FLAG_K) != 0 || (p[1] & 0xf8) != 0;
	if (len >= keyoff + 4) {
		r->vnetid = ov_get_be32(p + keyoff) >> 8;
		r->has_vnetid = true;
	}
	if (bad) {
		r->verdict = OV_DECAP_BAD_GRE;
		return;
	}
	if (!r->has_vnetid)
		return;		/* truncated */
	r->hdrlen = OV_NVGRE_HLEN;
	r->verdict = OV_DECAP_OK;
}

uint32_t ov_decap_inner_check(size_t inner_len, uint32_t mtu)
{
	if (inner_len < OV_ETH_HLEN)
		return OV_DECAP_RUNT;
	if (inner_len > (size_t)mtu + OV_INNER_SLACK)
		return OV_DECAP_OVERSIZE;
	return OV_DECAP_OK;
}

uint16_t ov_flow_src_port(uint32_t hash, uint16_t lo, uint16_t hi)
{
	uint32_t span;

	if (hi < lo)
		return lo;
	span = (uint32_t)hi - lo + 1;
	return (uint16_t)(lo + (uint32_t)(((uint64_t)hash * span) >> 32));
}

uint8_t ov_flow_nvgre_id(uint32_t hash)
{
	return (uint8_t)(hash ^ hash >> 8 ^ hash >> 16 ^ hash >> 24);
}

const char *ov_decap_verdict_name(uint32_t verdict)
{
	switch (verdict) {
	case OV_DECAP_OK:
		return "ok";
	case OV_DECAP_TRUNCATED:
		return "truncated";
	case OV_DECAP_BAD_FLAGS:
		return "bad-flags";
	case OV_DECAP_BAD_GRE:
		return "bad-gre";
	case OV_DECAP_NOT_OURS:
		return "not-ours";
	case OV_DECAP_RUNT:
		return "runt";
	case OV_DECAP_OVERSIZE:
		return "oversize";
	}
	return "unknown";
}
