/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ov_text.h - text forms of what the /dev/overlay ioctls carry, shared by
 * ovctl and ov-responder: MAC addresses, and IP addresses in the uapi's
 * 16-byte form (IPv4-mapped for IPv4). Header-only; no state.
 */
#ifndef OV_TEXT_H
#define OV_TEXT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* "aa:bb:cc:dd:ee:ff" into mac; false if s is not one. */
static inline bool ov_text_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return false;
		mac[i] = (uint8_t)b[i];
	}
	return true;
}

static inline void ov_text_mac_format(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
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
