// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ov_prop.c - property values: validation, defaults, and the address
 * predicates they use. Pure logic, shared by ovnet.ko and userland.
 *
 * A value travels as bytes (struct overlay_ioc_prop): UINT is a host-order
 * __u64 of exactly 8 bytes; IP is 16 bytes, IPv4 written IPv4-mapped;
 * STRING is NUL-terminated with the NUL counted, no NUL inside, not empty.
 */
#include "ov_core.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

static const uint8_t ov_v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

bool ov_ip_is_v4(const uint8_t ip[16])
{
	return memcmp(ip, ov_v4mapped_prefix, sizeof(ov_v4mapped_prefix)) == 0;
}

bool ov_ip_is_unspec(const uint8_t ip[16])
{
	size_t i, from = ov_ip_is_v4(ip) ? 12 : 0;

	for (i = from; i < 16; i++)
		if (ip[i] != 0)
			return false;
	return true;
}

bool ov_ip_is_listenable(const uint8_t ip[16])
{
	if (ov_ip_is_v4(ip)) {
		if ((ip[12] & 0xf0) == 0xe0)	/* 224.0.0.0/4 multicast */
			return false;
		if (ip[12] == 255 && ip[13] == 255 && ip[14] == 255 &&
		    ip[15] == 255)
			return false;
		return true;
	}
	return ip[0] != 0xff;			/* ff00::/8 multicast */
}

bool ov_ip_is_unicast(const uint8_t ip[16])
{
	return ov_ip_is_listenable(ip) && !ov_ip_is_unspec(ip);
}

static size_t ov_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

bool ov_prop_list_has(const char *list, const char *s)
{
	size_t slen = ov_strnlen(s, OVERLAY_PROP_SIZEMAX);
	const char *w = list;

	for (;;) {
		const char *end = w;

		while (*end != '\0' && *end != ',')
			end++;
		if ((size_t)(end - w) == slen && memcmp(w, s, slen) == 0)
			return true;
		if (*end == '\0')
			return false;
		w = end + 1;
	}
}

int ov_prop_check(const struct ov_prop_desc *d, const void *buf, uint32_t size)
{
	const uint8_t *b = buf;
	uint64_t u;

	switch (d->type) {
	case OVERLAY_PROP_T_UINT:
		if (size != sizeof(u))
			return -EINVAL;
		memcpy(&u, b, sizeof(u));
		if (u < d->min || u > d->max)
			return -ERANGE;
		return 0;
	case OVERLAY_PROP_T_IP:
		if (size != 16)
			return -EINVAL;
		return ov_ip_is_listenable(b) ? 0 : -EINVAL;
	case OVERLAY_PROP_T_STRING:
		if (size < 2 || size > OVERLAY_PROP_SIZEMAX)
			return -EINVAL;
		if (ov_strnlen((const char *)b, size) != size - 1)
			return -EINVAL;
		if (d->possible && !ov_prop_list_has(d->possible,
						     (const char *)b))
			return -ERANGE;
		return 0;
	}
	return -EINVAL;
}

uint32_t ov_prop_default(const struct ov_prop_desc *d, uint8_t *buf)
{
	size_t n;

	if (!d->has_default)
		return 0;
	switch (d->type) {
	case OVERLAY_PROP_T_UINT:
		memcpy(buf, &d->def_uint, sizeof(d->def_uint));
		return sizeof(d->def_uint);
	case OVERLAY_PROP_T_STRING:
		n = ov_strnlen(d->def_str, OVERLAY_PROP_SIZEMAX - 1);
		memcpy(buf, d->def_str, n);
		buf[n] = '\0';
		return (uint32_t)n + 1;
	}
	return 0;
}

uint32_t ov_prop_get(const struct ov_prop_desc *d, const struct ov_prop_val *v,
		     uint8_t *buf)
{
	if (v->set) {
		memcpy(buf, v->data, v->size);
		return v->size;
	}
	return ov_prop_default(d, buf);
}

uint64_t ov_prop_uint(const struct ov_prop_desc *d,
		      const struct ov_prop_val *v)
{
	uint8_t buf[OVERLAY_PROP_SIZEMAX];
	uint64_t u = 0;

	if (ov_prop_get(d, v, buf) == sizeof(u))
		memcpy(&u, buf, sizeof(u));
	return u;
}
