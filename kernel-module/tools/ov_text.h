/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ov_text.h - text forms of what the /dev/overlay ioctls carry, shared by
 * ovctl and ov-responder: MAC addresses, and IP addresses in the uapi's
 * 16-byte form (IPv4-mapped for IPv4). Header-only; no state.
 */
#ifndef OV_TEXT_H
#define OV_TEXT_H

#include <libtools/addr.h>
#include <libtools/ethers.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * MACs go through libtools' ov_ethers (see ov_ethers(3)), the one parser and
 * formatter the whole project uses: "aa:bb:cc:dd:ee:ff" into mac; false if s
 * is not one, with the reason in err when err is not NULL.
 */
static inline bool ov_text_mac(const char *s, uint8_t mac[6], ov_error_t *err)
{
	ov_ether_addr_t a;

	if (ov_ethers_parse(s, &a, err) != 0)
		return false;
	memcpy(mac, a.octet, OV_ETHER_ADDR_LEN);
	return true;
}

static inline void ov_text_mac_format(const uint8_t *m, char *buf, size_t len)
{
	ov_ether_addr_t a;

	memcpy(a.octet, m, OV_ETHER_ADDR_LEN);
	ov_ethers_format(&a, buf, len, NULL);
}

/*
 * IP addresses in the uapi's 16-byte form go through libtools' ov_addr (see
 * ov_addr(3)), as MACs go through ov_ethers: false if s is neither an IPv4
 * nor an IPv6 address.
 */
static inline bool ov_text_ip(const char *s, uint8_t ip[16])
{
	return ov_addr_parse(s, ip, NULL) == 0;
}

static inline void ov_text_ip_format(const uint8_t ip[16], char *buf, size_t len)
{
	if (ov_addr_format(ip, buf, len, NULL) != 0 && len > 0)
		buf[0] = '\0';
}

#endif /* OV_TEXT_H */
