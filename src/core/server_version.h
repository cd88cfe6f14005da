/* server_version.h - which server a node runs or an image holds, and which
 * data (RDB / DUMP payload) versions each can read.  Pure: no I/O.
 *
 * The facts (research/server-generations.md, DUMPed on each binary):
 * RDB version 10 = Redis 7.0; 11 = Redis 7.2, Valkey 7.2 and 8.x; 12 =
 * Redis 7.4 to 8.4; 13 = Redis 8.6; 80 = Valkey 9.  A server reads every
 * version up to its own and none newer; Valkey 9 reads <= 11 and its own
 * 80-range, and refuses 12-79 (Redis >= 7.4 data) by default.  So a change
 * of server image must never go to a server that cannot read what the
 * running nodes wrote (their AOF/RDB files, and the full syncs of a
 * rolling restart): a Redis image older than the running one, Valkey 9 ->
 * Valkey 8 or Redis, Redis >= 7.4 -> Valkey.
 */
#ifndef SHARDCTL_SERVER_VERSION_H
#define SHARDCTL_SERVER_VERSION_H

enum server_flavor { FLAVOR_UNKNOWN = 0, FLAVOR_REDIS, FLAVOR_VALKEY };

struct server_version {
	enum server_flavor flavor;
	int major, minor, patch; /* minor/patch 0 when not given */
	int has_minor;           /* the version named at least MAJOR.MINOR */
};

/* "redis" / "valkey" (also "" or NULL: redis, which has no server_name) */
enum server_flavor server_flavor_parse(const char *name);
const char *server_flavor_name(enum server_flavor f);

/* A version as INFO server gives it: server_name (NULL when absent) and
 * the flavor's own version field ("9.1.2").  0, or -1 when unreadable. */
int server_version_parse(struct server_version *v, const char *name, const char *version);

/* The server an image holds, from its reference: repository and tag
 * ("valkey/valkey", "9.1.3-alpine"; "docker.io/library/redis", "7.2").  The
 * flavor is `flavor` when given ("valkey" or "redis"), else the
 * repository's last component when it names one.  The version is the tag's
 * leading MAJOR.MINOR[.PATCH].  Returns 0 when both are known, -1 when not
 * (a digest, "latest", a tag without a minor version, a private name). */
int server_version_from_image(struct server_version *v, const char *repository, const char *tag,
			      const char *flavor);

/* Split "REPO:TAG" (the tag after the last ':' that follows the last '/';
 * "@sha256:..." digests leave the tag empty) into repo and tag buffers. */
void server_image_split(const char *image, char *repo, int rlen, char *tag, int tlen);

/* The RDB version v writes, or -1 when unknown (flavor or minor unknown). */
int server_rdb_version(const struct server_version *v);

/* 1 when a server of version `to` loads RDB version `rdb`, else 0. */
int server_can_load(const struct server_version *to, int rdb);

/* "valkey 9.1.2" / "redis 7.2" into buf. */
const char *server_version_format(const struct server_version *v, char *buf, int len);

#endif
