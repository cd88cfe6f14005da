/* dbs.h - the databases of one node.
 *
 * Valkey 9 in cluster mode may run several databases (`cluster-databases`,
 * a startup-only setting, default 1).  CLUSTER GETKEYSINSLOT,
 * COUNTKEYSINSLOT and MIGRATE act on the connection's selected database
 * only, while SETSLOT NODE's "still hold keys" check, the dirty-slot
 * cleanup after gossip and CLUSTER SLOT-STATS count every database
 * (research/server-generations.md B).  Whoever counts or moves the keys of
 * a slot must therefore visit every database holding keys.  Redis, and
 * Valkey with one database, have database 0 only: nothing here sends SELECT
 * to them.
 */
#ifndef SHARDCTL_DBS_H
#define SHARDCTL_DBS_H

#include "base/err.h"
#include "cluster/conn.h"

struct node_dbs {
	int bound;        /* cluster-databases; 1 where CONFIG GET is refused
			     (ACL, renamed) or the setting does not exist */
	int *used;        /* databases holding keys (INFO keyspace),
			     ascending; always starts with 0 */
	int nused;
	long long keys;   /* keys of every database (INFO keyspace) */
	int slot_stats;   /* CLUSTER SLOT-STATS answers (Valkey >= 8, Redis
			     >= 8.2): its key-count covers every database */
};

/* Read c's databases: CONFIG GET cluster-databases, and where the bound is
 * above 1, INFO keyspace and a CLUSTER SLOT-STATS probe.  Synchronous: no
 * reply may be pending on c.  Leaves the selected database alone.  0, or -1
 * (e) when the connection broke.  Release with node_dbs_release. */
int node_dbs_read(struct conn *c, struct node_dbs *d, struct sc_err *e);
void node_dbs_release(struct node_dbs *d); /* accepts a zeroed struct */

/* 1 when database db is in d->used. */
int node_dbs_has(const struct node_dbs *d, int db);

/* Keys of `slot` in every database of d on c: CLUSTER COUNTKEYSINSLOT in
 * each database of d->used (SELECT before each one but 0, and SELECT 0 at
 * the end: c is left on database 0).  Exact also for a slot the node does
 * not own (where SLOT-STATS says nothing).  Synchronous.  The count, or -1
 * (e) on a broken connection or an unexpected reply. */
long long node_dbs_slot_keys(struct conn *c, const struct node_dbs *d, int slot, struct sc_err *e);

/* Keys of every database in an INFO keyspace text (the sum of its
 * "dbN:keys=K" lines; 0 when it lists none).  No I/O. */
long long node_dbs_info_keys(const char *info);

/* The key-count of `slot` in a CLUSTER SLOT-STATS reply (RESP2: pairs of
 * slot and a flat list of name, value).  0 with *n set (0 when the slot is
 * not listed: the node does not own it); -1 when the reply has another
 * shape.  No I/O. */
int node_dbs_stats_count(const redisReply *r, int slot, long long *n);

#endif
