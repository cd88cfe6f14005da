/* fake_node.h - scripted fake Redis Cluster nodes for unit tests of the
 * migrator and executor: each fake listens on 127.0.0.1 (an ephemeral port)
 * inside this process, answers the commands the migrator sends from a tiny
 * in-memory model (keys per slot, MIGRATE moving keys between fakes, BUSYKEY
 * when the target has the key), and records every command with a global
 * sequence number, so tests can assert the exact order on each node and
 * across nodes.  Rules inject replies: "the 2nd MIGRATE answers TRYAGAIN",
 * "close the connection on GETKEYSINSLOT".  One server thread serves all
 * fakes with poll(); the test thread only talks to them through sockets
 * until fake_stop().  A fake with `dbs` > 1 plays Valkey 9 with
 * cluster-databases: SELECT per connection, keys per database, GETKEYSINSLOT
 * / COUNTKEYSINSLOT / MIGRATE on the selected one, INFO keyspace and CLUSTER
 * SLOT-STATS over all.  Test-only code: tests/unit/support/fake_node.c, linked into
 * the unit tests that need it. */
#ifndef SHARDCTL_FAKE_NODE_H
#define SHARDCTL_FAKE_NODE_H

#include <stddef.h>

#define FAKE_MAX 8
#define FAKE_KEYS 64
#define FAKE_LOG 256
#define FAKE_RULES 8
#define FAKE_CLIENTS 32

struct fake_rule {
	const char *prefix; /* command text starts with this */
	int nth;            /* 1-based occurrence; 0: every time */
	const char *reply;  /* raw RESP, or "CLOSE" */
	int seen;
};

struct fake_node {
	char id[41];
	int port, lfd;
	char keys[FAKE_KEYS][32];
	int kdb[FAKE_KEYS];  /* the database of each key */
	int nkeys;
	int dbs;             /* cluster-databases; 0 or 1: one (CONFIG GET
				answers an empty list, as Redis does) */
	char log[FAKE_LOG][160];
	int seq[FAKE_LOG];
	int nlog;
	struct fake_rule rules[FAKE_RULES];
	int nrules;
};

/* The fakes added since the last fake_reset, in order. */
extern struct fake_node fake_nodes[FAKE_MAX];

/* A new fake node with this id (40 characters), listening on an ephemeral
 * port of 127.0.0.1 (f->port). */
struct fake_node *fake_add(const char *id);
/* Give f the key k (it then answers for it, and MIGRATE moves it). */
void fake_key(struct fake_node *f, const char *k);
/* The nth (1-based; 0: every) command of f starting with prefix gets reply
 * (raw RESP, or "CLOSE" to drop the connection). */
void fake_rule(struct fake_node *f, const char *prefix, int nth, const char *reply);
/* The same in database db. */
void fake_key_db(struct fake_node *f, const char *k, int db);
/* f holds k (in database 0; fake_has_db: in db). */
int fake_has(const struct fake_node *f, const char *k);
int fake_has_db(const struct fake_node *f, const char *k, int db);
void fake_del(struct fake_node *f, const char *k);
void fake_del_db(struct fake_node *f, const char *k, int db);
/* Serve every fake from a thread of its own, until fake_stop. */
void fake_start(void);
/* Stop serving and forget every fake (the logs stay readable until the
 * next fake_add). */
void fake_stop(void);
/* Forget the fakes and restart the command sequence numbers. */
void fake_reset(void);
/* Index in f's log of the first command starting with prefix, -1. */
int fake_find(const struct fake_node *f, const char *prefix);
/* How many commands of f's log start with prefix. */
int fake_count(const struct fake_node *f, const char *prefix);

struct conn;
struct conn_opts;
/* A shardctl connection to f (cluster/conn.h), or NULL. */
struct conn *fake_connect(const struct fake_node *f, const struct conn_opts *co);

#endif
