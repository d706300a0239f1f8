/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ov_text.h - text forms of what the /dev/overlay ioctls carry, shared by
 * ovctl and ov-responder: MAC addresses, and IP addresses in the uapi's
 * 16-byte form (IPv4-mapped for IPv4). Header-only; no state.
 */
#ifndef OV_TEXT_H
#define OV_TEXT_H

#include <arpa/inet.h>
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

/* An IPv4 or IPv6 address into the 16-byte form; false if s is neither. */
static inline bool ov_text_ip(const char *s, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, s, ip + 12) == 1) {
		ip[10] = ip[11] = 0xff;
		return true;
	}
	return inet_pton(AF_INET6, s, ip) == 1;
}

static inline void ov_text_ip_format(const uint8_t ip[16], char *buf, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(ip, mapped, 12) == 0)
		inet_ntop(AF_INET, ip + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, ip, buf, (socklen_t)len);
}

#endif /* OV_TEXT_H */
