/* server_kind.h - which server a node runs (Redis or Valkey, and the
 * version), read from its INFO server text, and what that says about the
 * DUMP payloads it writes and accepts.  Pure: no I/O (survey.c and probe.c
 * send INFO server and hand the text here).
 *
 * Which family: `valkey_version` present means Valkey (that version); else
 * Redis (`redis_version`).  Valkey also prints `redis_version:7.2.4`, a
 * frozen compatibility number, and HELLO can be told to lie
 * (extended-redis-compatibility), so neither is used to tell them apart.
 *
 * DUMP payload (RDB) versions, which MIGRATE carries too (measured by
 * DUMPing a key on each server, or read from the server's rdb.h and the
 * RDB parsers' release notes; see
 * research/server-generations.md, E):
 *   Redis 5.0-6.2   9          Valkey 7.2, 8.x   11
 *   Redis 7.0       10         Valkey 9.x        80
 *   Redis 7.2       11
 *   Redis 7.4-8.4   12
 *   Redis 8.6       13
 *   Redis 8.8+      14         (librdb 2.3.0's notes: RDB v14 is Redis 8.8's)
 * A release newer than this table is taken to write the newest format of
 * its family that the table knows (it writes at least that one).
 * What a receiver accepts: Redis, any version up to its own; Valkey 7.2 and
 * 8.x, up to 11; Valkey 9.x, up to 11 and 80 (12-79 are "foreign": refused
 * unless rdb-version-check is relaxed, which is not relied on).  A payload
 * the receiver refuses fails with "DUMP payload version or checksum are
 * wrong", so keys must never be moved from a newer format to an older one.
 */
#ifndef SHARDCTL_SERVER_KIND_H
#define SHARDCTL_SERVER_KIND_H

enum server_family { SERVER_UNKNOWN = 0, SERVER_REDIS, SERVER_VALKEY };

/* All zero: unknown (the node could not be read). */
struct server_kind {
	enum server_family family;
	int major, minor, patch;
	char version[32];       /* as the server wrote it, e.g. "9.1.2" */
};

/* Fill k from an INFO (or INFO server) reply.  -1 when the text names no
 * version that parses (k is then unknown); 0 otherwise. */
int server_kind_parse(struct server_kind *k, const char *info);

/* "redis", "valkey" or "unknown". */
const char *server_family_name(enum server_family f);

/* "valkey 9.1.2" (or "unknown") into buf; returns buf. */
const char *server_kind_format(const struct server_kind *k, char *buf, int len);

/* The DUMP payload version k writes; -1 when unknown (an unknown server, or
 * a Redis older than 5.0). */
int server_kind_dump_version(const struct server_kind *k);

/* 1 when k accepts DUMP payloads of version v, 0 when it refuses them, -1
 * when k is unknown. */
int server_kind_accepts(const struct server_kind *k, int v);

/* 0 when keys DUMPed by `from` would be refused by `to`; 1 otherwise,
 * including when either server is unknown (not judged). */
int server_kind_can_receive(const struct server_kind *from, const struct server_kind *to);

#endif
