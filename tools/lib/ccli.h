/* ccli.h - a small Redis Cluster client, as real cluster clients work: a
 * slot map read with CLUSTER SLOTS, one connection per node (opened when
 * first needed), MOVED followed (the slot is patched at once and the whole
 * map re-read soon after), ASK followed once (ASKING, then the command at the
 * node named), TRYAGAIN / CLUSTERDOWN / LOADING and lost connections retried
 * with a backoff until a deadline.  Used by sc-load (tests, demo, bench);
 * single-threaded: one `struct ccli` per thread.
 */
#ifndef SHARDCTL_CCLI_H
#define SHARDCTL_CCLI_H

#include <stdint.h>

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"
#include "base/keyslot.h"

struct ccli_node {
	struct addr addr;
	char name[ADDR_HOST_MAX + 16];
	struct conn *conn; /* NULL until used, or after it broke */
};

/* What the client had to do to turn replies into success. */
struct ccli_stats {
	long long moved, ask, tryagain, clusterdown, loading, io, refreshes;
};

struct ccli {
	struct conn_opts opts;   /* copy; user / password not owned */
	struct ccli_node *node;
	int nnodes, cap;
	int16_t owner[CLUSTER_SLOTS]; /* node index per slot, -1 unknown */
	int max_redirects;       /* per command; default 16 */
	int retry_ms;            /* deadline for retryable failures; default 5000 */
	int stale;               /* a MOVED said the map is out of date */
	uint64_t refreshed_us;   /* when the map was last read */
	struct ccli_stats stats;
	int db;                  /* database every connection selects (Valkey 9
				    cluster-databases); 0: no SELECT sent */
};

/* Connect to the first seed that answers and read the slot map.  `o` (and
 * its user / password) must outlive the client. */
int ccli_init(struct ccli *c, const struct addr_list *seeds, const struct conn_opts *o,
	      struct sc_err *e);
void ccli_release(struct ccli *c); /* accepts NULL and a zeroed struct */

/* Work in database db from now on: every connection is dropped and the
 * next one opened sends SELECT db first (valid only in cluster mode on
 * Valkey 9 with cluster-databases > db; a refusal is the connection's
 * error). */
void ccli_select(struct ccli *c, int db);

/* Re-read the slot map from a known node, preferring a reply that covers
 * all 16384 slots. */
int ccli_refresh(struct ccli *c, struct sc_err *e);

/* Parse a CLUSTER SLOTS reply received from node `from` into owner[16384]
 * (node indexes, added to the table as met; -1 for slots nobody serves).  An
 * empty endpoint means node `from`'s own address; "?" (unknown endpoint) is
 * skipped.  Returns the number of slots covered, or -1 when the reply has
 * the wrong shape.  No I/O. */
int ccli_parse_slots(struct ccli *c, int from, const redisReply *r, int16_t *owner);

/* Index of the node at `a`, adding it to the table if new; -1 out of memory. */
int ccli_node_index(struct ccli *c, const struct addr *a);
/* The open connection to node i (connecting now if needed), or NULL. */
struct conn *ccli_conn(struct ccli *c, int i, struct sc_err *e);
/* Close node i's connection (after it broke); the next use reconnects. */
void ccli_drop(struct ccli *c, int i);

/* Run one command on the key slot `slot`, following redirects and retrying
 * as described above.  Returns a reply that is not an error (caller frees),
 * or NULL with e filled when it could not be turned into success. */
redisReply *ccli_command_argv(struct ccli *c, int slot, int argc, const char **argv,
			      const size_t *lens, struct sc_err *e);

/* Monotonic clock in microseconds. */
uint64_t ccli_now_us(void);

#endif
