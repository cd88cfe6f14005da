/* conn.h - one connection to one Redis node, on hiredis.
 *
 * - The host is resolved at every connection attempt (pod IPs change).
 * - Connect and command timeouts come from `struct conn_opts`.
 * - Authentication follows redis-cli: REDISCLI_AUTH, --user, --password-file
 *   (see conn_opts_load_password); the password is never taken from argv.
 * - Server error replies are classified once, here (reply_class).
 * - I/O failures (refused, reset, timeout, protocol) make the connection
 *   unusable: the conn keeps a sticky error and returns NULL / -1 from then on.
 */
#ifndef SHARDCTL_CONN_H
#define SHARDCTL_CONN_H

#include <hiredis/hiredis.h>

#include "base/addr.h"
#include "base/err.h"

struct conn_opts {
	char *user;     /* NULL: the default user */
	char *password; /* NULL: no AUTH; owned */
	int connect_timeout_ms;
	int command_timeout_ms;
};

/* Defaults: 2 s connect, 10 s command timeout, no auth. */
void conn_opts_init(struct conn_opts *o);
void conn_opts_release(struct conn_opts *o);
/* Fill the password from `file` (first line) or, when file is NULL, from the
 * REDISCLI_AUTH environment variable if set. */
int conn_opts_load_password(struct conn_opts *o, const char *file, struct sc_err *e);

struct conn {
	redisContext *ctx;
	struct addr addr;
	char name[ADDR_HOST_MAX + 16]; /* "host:port" for messages */
	struct sc_err err;              /* sticky once the connection broke */
	int broken;
	int command_timeout_ms;
};

/* Connect (resolving the name now) and authenticate.  Returns NULL and fills
 * `e` (ERR_IO when unreachable, ERR_FAIL for auth errors). */
struct conn *conn_open(const struct addr *a, const struct conn_opts *o, struct sc_err *e);
void conn_free(struct conn *c); /* accepts NULL */

/* Change the command timeout of an open connection (e.g. long MIGRATE). */
int conn_set_timeout(struct conn *c, int ms);

/* Send one command and read its reply.  Returns the reply (caller frees with
 * freeReplyObject; server errors come back as REDIS_REPLY_ERROR replies) or
 * NULL on I/O failure with c->err set. */
redisReply *conn_command(struct conn *c, const char *fmt, ...);
redisReply *conn_command_argv(struct conn *c, int argc, const char **argv, const size_t *lens);

/* Pipelining: queue commands, then read their replies in order. */
int conn_append(struct conn *c, const char *fmt, ...);
int conn_append_argv(struct conn *c, int argc, const char **argv, const size_t *lens);
redisReply *conn_read(struct conn *c);
/* Write everything queued without reading: lets several connections work on
 * their pipelines at once before any reply is read.  0 / -1 (broken). */
int conn_flush(struct conn *c);

/* Server error classes, decided once, here: from the error's first word,
 * and for a few "ERR ..." replies from their wording (Redis 7.0 and Valkey
 * 8/9 wording; nowhere else matches server text).  MIGRATE relays the
 * target's error as "ERR Target instance replied with error: X": such a
 * reply has the class of X. */
enum reply_class {
	RC_OK = 0,     /* not an error reply */
	RC_MOVED,      /* retry at the node named (follow) */
	RC_ASK,        /* retry once at the node named, after ASKING */
	RC_BUSYKEY,    /* target already has the key: fatal for that slot */
	RC_TRYAGAIN,   /* multi-key op during migration: retry later */
	RC_CLUSTERDOWN,/* cluster not ready: retry later */
	RC_LOADING,    /* node loading its dataset: retry later */
	RC_NOAUTH,     /* NOAUTH / WRONGPASS / NOPERM: fatal */
	RC_OTHER,      /* any other error: fatal */
	RC_IOERR,      /* MIGRATE could not talk to its target (or timed out):
			  fatal here; the migrator retries with a smaller batch */
	RC_NOREPLICAS, /* Valkey 8+ SETSLOT: the replicas applied it, the primary
			  did not (its wait for their acks timed out): retry
			  the same command */
	RC_UNBLOCKED,  /* Valkey 8+: a blocked command was cut because the node
			  turned replica; the server also closes the
			  connection: fatal on this connection */
	RC_ALREADY_OWNER, /* "ERR I'm already the owner of hash slot N"
			     (SETSLOT IMPORTING on the owner): fatal */
	RC_UNKNOWN_NODE,  /* "ERR I don't know about node X" / "ERR Unknown
			     node X": fatal (may pass once gossip arrives) */
	RC_ONLY_MASTERS,  /* "ERR Please use SETSLOT only with masters."
			     (or "primaries"): the node is a replica: fatal */
	RC_HOLDS_KEYS,    /* "ERR Can't assign hashslot N to a different node
			     while I still hold keys for this hash slot."
			     (SETSLOT NODE on a source not yet drained, in
			     some database): fatal */
	RC_NO_CLUSTER,    /* "ERR This instance has cluster support
			     disabled": not cluster-enabled: fatal */
	RC_MASTER_DOWN,   /* CLUSTER FAILOVER: "ERR Master is down or
			     failed, ..." (the words of Redis 7.0/8.0 and
			     Valkey 8.0/9.1; "Primary ..." is also taken,
			     should Valkey rename it as it did others): the replica
			     has no link to its master or flags it failing
			     right now; may pass (a link set up again) */
	RC_ASM_BUSY,      /* Redis >= 8.4 runs an atomic slot migration task
			     there: IMPORT "ERR another ASM task is already
			     in progress" (one task per node, imports and
			     exports together), SETSLOT "ERR Slot N is
			     currently in an active atomic slot migration"
			     (e.g. a source still ending a cancelled task):
			     retry once it is over */
};
enum reply_class reply_class(const redisReply *r);
/* 1 for the classes where sending the same command again later is right:
 * TRYAGAIN, CLUSTERDOWN, LOADING, NOREPLICAS, ASM_BUSY. */
int reply_class_retryable(enum reply_class rc);
const char *reply_class_name(enum reply_class rc);

/* 1 if r is a status reply equal to `want` (e.g. "OK"). */
int reply_is_status(const redisReply *r, const char *want);
/* Parse "MOVED 3999 127.0.0.1:6381" / "ASK ..." into slot and address. */
int reply_redirect(const redisReply *r, int *slot, struct addr *to);
/* Describe an unexpected reply for error messages ("error 'ERR ...'",
 * "integer 3", "array of 2", ...) into buf. */
const char *reply_describe(const redisReply *r, char *buf, int len);
/* Copy a string or status reply's text into dst (cap bytes, cut to fit,
 * always terminated); "" for any other type.  Returns 1 when it was cut. */
int reply_copy_str(const redisReply *r, char *dst, size_t cap);

/* A reply that must be an array of entries (a server's list of jobs):
 * each element parsed by parse(element, item) into a new array of items of
 * `size` bytes (*v, *n; free() it; parse returns 0, or -1 for an element
 * of another shape).  Frees r.  0, or -1 with e ("'<cmd>' on '<node>'
 * answered ...", or "... entry N is not <what> (...)"). */
int conn_reply_list(struct conn *c, redisReply *r, const char *cmd, const char *what, size_t size,
		    int (*parse)(const redisReply *, void *), void **v, int *n, struct sc_err *e);

/* Run a command that must answer +OK; returns 0, or -1 with e filled
 * ("'CLUSTER MEET' on 'h:p' failed: ERR ..."). */
int conn_ok(struct conn *c, struct sc_err *e, const char *fmt, ...);

/* Value of "field:" in an INFO-style text reply, copied into out. 0 / -1. */
int info_field(const char *info, const char *field, char *out, int len);

/* The IP of the local end's peer as the socket sees it (the address a
 * node is reached at, whatever name was dialled).  0, or -1. */
int conn_peer_ip(const struct conn *c, char *out, int len);

#endif
