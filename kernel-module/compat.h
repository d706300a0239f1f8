/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where ovnet.ko meets the differences between the
 * kernels it supports (Debian 12's 6.1 and bookworm-backports' 6.12). Every
 * other file calls the helpers below and carries no version test. Each
 * helper says what changed and in which release; drop one when the oldest
 * supported kernel has the new API.
 */
#ifndef OV_COMPAT_H
#define OV_COMPAT_H

#include <linux/netdevice.h>
#include <linux/version.h>

/*
 * Lockless transmit: the feature flag NETIF_F_LLTX became the net_device
 * bit dev->lltx (6.12 has only the bit). Tested by the flag's presence.
 */
static inline void ov_compat_set_lltx(struct net_device *dev)
{
#ifdef NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

#endif /* OV_COMPAT_H */
