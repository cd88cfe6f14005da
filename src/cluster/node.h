/* node.h - what one node says of itself: its id, its role, whether its
 * replication link is in sync, its cluster bus port.  Each reads one reply
 * through conn.h and judges it here, so the wording and fields of a
 * server's answers are read in one place (conn.c classifies errors).
 */
#ifndef SHARDCTL_NODE_H
#define SHARDCTL_NODE_H

#include "base/err.h"
#include "cluster/conn.h"
#include "core/server_kind.h"
#include "core/topo.h"

/* CLUSTER MYID into id (NODE_ID_LEN + 1 bytes).  0, or -1 with e. */
int node_id(struct conn *c, char *id, struct sc_err *e);

/* 1 when the node answers ROLE with "master", else 0 (no answer too). */
int node_is_master(struct conn *c);

/* A node's replication, from its INFO replication: 1 in sync (a master:
 * nothing to sync; a replica: master_link_status:up and no sync in
 * progress), 0 not yet (why says which), -1 no answer (why: the error). */
int node_repl_synced(struct conn *c, char *why, int len);

/* 1 when CLUSTER SETSLOT takes a TIMEOUT argument (Valkey >= 8.0: COMMAND
 * DOCS cluster|setslot names a "timeout" argument), else 0 (Redis rejects
 * the argument; no answer is 0 too).  Those are also the servers that
 * replicate every SETSLOT to the primary's replicas and block the caller
 * until they acknowledge (research/server-generations.md A1, A2). */
int node_setslot_timeout(struct conn *c);

/* The cluster bus port the node announces on its own CLUSTER NODES line,
 * or port + 10000 when it cannot be read. */
int node_bus_port(struct conn *c, int port);

/* The node's own line of CLUSTER NODES: owned[s] set to 1 for each slot it
 * says it owns (CLUSTER_SLOTS entries, cleared first; may be NULL), *nopen
 * to its open (migrating/importing) slots and, when there are, open_first to
 * the first of them (may be NULL).  0, or -1 with e. */
int node_self_slots(struct conn *c, unsigned char *owned, int *nopen, int *open_first, struct sc_err *e);

/* Whether the node knows `cmd` ("cluster|migrateslots"): COMMAND INFO
 * answers nil for a command it lacks.  1 yes, 0 no, -1 no answer or an
 * error reply (e).  Asks nothing that a server of any generation refuses,
 * so it tells Valkey >= 9 (cluster|migrateslots) and Redis >= 8.4
 * (cluster|migration) apart by what each offers, not by a version string. */
int node_has_command(struct conn *c, const char *cmd, struct sc_err *e);

/* CONFIG GET name into out ("" when the node has no such setting or it is
 * empty).  0, or -1 with e (no answer, or an error reply such as a renamed
 * CONFIG). */
int node_config_get(struct conn *c, const char *name, char *out, int len, struct sc_err *e);

/* CLUSTER FAILOVER (coordinated) on replica c: 0 asked; 1 not now, the
 * replica sees its master down or has no link to it (RC_MASTER_DOWN: ask
 * again later); -1 e otherwise. */
int node_failover(struct conn *c, struct sc_err *e);

/* Promotes replica c: node_failover, until c says it is a master; asked
 * again every reask_ms (0: never once accepted) and each second while it
 * sees its master down.  0 promoted; 1 the deadline (clock_now_ms) passed
 * first (*refused: it was still seeing its master down); -1 e. */
int node_promote(struct conn *c, long long deadline, int reask_ms, int *refused, struct sc_err *e);

/* Which server the node runs (INFO server, core/server_kind.h): 0, or -1
 * with e when it cannot be read or names no version. */
int node_server(struct conn *c, struct server_kind *k, struct sc_err *e);

/* CONFIG SET name value: 0 when the node answers OK, else -1 (no answer,
 * a refusal, a renamed CONFIG). */
int node_config_set(struct conn *c, const char *name, const char *value);

#endif
