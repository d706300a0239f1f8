/*
 * ov_packet: build the frames varpd injects when it answers for a tenant:
 * an ARP reply, an IPv6 Neighbour Advertisement, and a DHCPv4 client frame
 * redirected to a DHCP proxy.
 *
 * Theory: varpd proxies ARP, NDP and DHCP (illumos varpd does the same):
 * the kernel hands it the frame that missed, a plugin says which MAC owns
 * the address asked about (or which MAC is the DHCP proxy), and varpd
 * injects an answer. These functions check the request as strictly as a
 * host's own stack would (a malformed request is refused with a reason so
 * varpd can count and drop it), then write a full Ethernet frame, without
 * FCS, into the caller's buffer. Nothing is kept between calls; every
 * function is re-entrant. Frames are read with explicit bounds checks and
 * never past the length given.
 *
 *   ARP reply (RFC 826): request must be Ethernet/IPv4, hlen 6, plen 4,
 *     opcode 1, and not gratuitous (sender address == target address: an
 *     announcement, which must not be contradicted). The reply goes to the requester's hardware
 * address, says "target IP is at <answer>", and is padded to 60 bytes. Neighbour Advertisement (RFC
 * 4861 4.4, 7.1.1, 7.2.4): the Neighbour Solicitation must be IPv6 with next header 58 (no
 * extension headers), hop limit 255, ICMPv6 type 135 code 0, a valid ICMPv6 checksum, a
 *     non-multicast target, well-formed options, and no source link-layer
 *     option when its source is "::". The NA comes from the target address
 *     and <answer>, carries a target link-layer address option, hop limit
 *     255, payload length 32, and the ICMPv6 checksum over the pseudo-header.
 *     It goes to the soliciting node (its source link-layer option if any,
 *     else its Ethernet source) with S set; to a DAD probe (source "::") it
 *     goes to ff02::1 / 33:33:00:00:00:01 with S clear. The caller chooses
 *     R and O.
 *   DHCPv4 redirect: the frame must be an unfragmented IPv4 packet with a
 *     valid header checksum, UDP 68 -> 67, lengths that agree, and a
 *     BOOTREQUEST with the DHCP magic cookie. The copy differs only in its
 *     Ethernet destination (the proxy's MAC); IP and UDP are untouched, so
 *     their checksums stay valid.
 *
 * Not supported: 802.1Q-tagged frames (refused with a reason), IPv6
 * extension headers before ICMPv6, DHCPv6.
 *
 * Return values: 0 with the frame length in *outlen, or a negative errno
 * with the reason in *err: EINVAL for a request that is not what the
 * function answers (the reason names the field), ENOSPC when outcap is too
 * small (the reason gives the size needed).
 */
#ifndef LIBTOOLS_PACKET_H
#define LIBTOOLS_PACKET_H

#include <libtools/error.h>
#include <libtools/ethers.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OV_PACKET_ARP_REPLY_LEN 60 /* 42 bytes of ARP, padded */
#define OV_PACKET_NA_LEN 86        /* Ethernet + IPv6 + NA + target LL option */

/* Neighbour Advertisement flags (RFC 4861 4.4). */
#define OV_PACKET_NA_ROUTER 0x1u
#define OV_PACKET_NA_SOLICITED 0x2u
#define OV_PACKET_NA_OVERRIDE 0x4u

typedef struct ov_packet_arp_fields {
    ov_ether_addr_t sender_mac; /* the answer: who has sender_ip */
    uint8_t sender_ip[4];
    ov_ether_addr_t target_mac; /* the requester */
    uint8_t target_ip[4];
} ov_packet_arp_fields_t;

typedef struct ov_packet_na_fields {
    ov_ether_addr_t src_mac; /* Ethernet source and target link-layer option */
    ov_ether_addr_t dst_mac;
    uint8_t src_ip[16];
    uint8_t dst_ip[16];
    uint8_t target[16];
    uint32_t flags; /* OV_PACKET_NA_* */
} ov_packet_na_fields_t;

int ov_packet_arp_reply_build(const ov_packet_arp_fields_t* f, uint8_t* out, size_t outcap,
                              size_t* outlen, ov_error_t* err);
int ov_packet_arp_reply(const uint8_t* req, size_t reqlen, const ov_ether_addr_t* answer,
                        uint8_t* out, size_t outcap, size_t* outlen, ov_error_t* err);

int ov_packet_na_build(const ov_packet_na_fields_t* f, uint8_t* out, size_t outcap, size_t* outlen,
                       ov_error_t* err);
/* flags: OV_PACKET_NA_ROUTER and/or OV_PACKET_NA_OVERRIDE; S is decided by the NS. */
int ov_packet_na_reply(const uint8_t* ns, size_t nslen, const ov_ether_addr_t* answer,
                       uint32_t flags, uint8_t* out, size_t outcap, size_t* outlen,
                       ov_error_t* err);

int ov_packet_dhcp_redirect(const uint8_t* frame, size_t len, const ov_ether_addr_t* proxy,
                            uint8_t* out, size_t outcap, size_t* outlen, ov_error_t* err);

/* The Internet checksum (RFC 1071) of len bytes, folded, not complemented. */
uint16_t ov_packet_cksum_fold(const uint8_t* data, size_t len, uint32_t initial);

#ifdef __cplusplus
}

#include <span>

namespace ov {

/* C++ conveniences: spans in and out, a result instead of an out-length. */
struct PacketResult {
    int rc;     /* 0 or a negative errno (reason in the ov_error) */
    size_t len; /* bytes written to out when rc == 0 */
};

inline PacketResult packet_arp_reply(std::span<const uint8_t> req, const ov_ether_addr_t& answer,
                                     std::span<uint8_t> out, ov_error_t* err) {
    PacketResult r{0, 0};
    r.rc =
        ov_packet_arp_reply(req.data(), req.size(), &answer, out.data(), out.size(), &r.len, err);
    return r;
}

inline PacketResult packet_na_reply(std::span<const uint8_t> ns, const ov_ether_addr_t& answer,
                                    uint32_t flags, std::span<uint8_t> out, ov_error_t* err) {
    PacketResult r{0, 0};
    r.rc = ov_packet_na_reply(ns.data(), ns.size(), &answer, flags, out.data(), out.size(), &r.len,
                              err);
    return r;
}

inline PacketResult packet_dhcp_redirect(std::span<const uint8_t> frame,
                                         const ov_ether_addr_t& proxy, std::span<uint8_t> out,
                                         ov_error_t* err) {
    PacketResult r{0, 0};
    r.rc = ov_packet_dhcp_redirect(frame.data(), frame.size(), &proxy, out.data(), out.size(),
                                   &r.len, err);
    return r;
}

} /* namespace ov */
#endif

#endif /* LIBTOOLS_PACKET_H */
