/* keyslot.h - Redis Cluster key hash slots (CRC16/XMODEM of the key or of
 * its {hash tag}, modulo 16384).  Pure. */
#ifndef SHARDCTL_KEYSLOT_H
#define SHARDCTL_KEYSLOT_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SLOTS 16384

uint16_t keyslot_crc16(const char *buf, size_t len);
/* The slot of a key: the hash tag rules are those of the Redis cluster
 * specification (first '{', then the first '}' after it, non-empty). */
int keyslot_of(const char *key, size_t len);

#endif
