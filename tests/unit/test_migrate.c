/* The slot migrator against scripted fake nodes (fake_node.h): the exact
 * command order on each node and across nodes, BUSYKEY, TRYAGAIN, ASK,
 * IOERR, a connection that dies mid-move, resuming a slot the target already
 * owns, a source that became a replica, the retry deadline, and Valkey 8+'s
 * NOREPLICAS (sent again) and UNBLOCKED (reconnect; closed on the source's
 * NODE).  Databases (Valkey 9 cluster-databases): with one, nothing but
 * CONFIG GET is added (no SELECT, MIGRATE to database 0); with several,
 * every database of the slot is drained (SELECT d, MIGRATE ... "" d ...)
 * and NODE waits for the all-database count; a count that still finds keys
 * walks the databases again; a target with fewer databases is refused
 * before any SETSLOT. */
#include <stdio.h>
#include <string.h>

#include "support/fake_node.h"
#include "engine/migrate.h"
#include "unit.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccc"

static struct fake_node *src, *dst, *oth;
static int slot_a, slot_b;
/* run()'s --max-latency and window (the defaults unless a test sets them) */
static int run_latency = MIGRATE_MAX_LATENCY_US, run_window = 16;

static void setup(void)
{
	fake_reset();
	src = fake_add(ID_A);
	dst = fake_add(ID_B);
	oth = fake_add(ID_C);
	fake_key(src, "{a}1");
	fake_key(src, "{a}2");
	fake_key(src, "{a}3");
	fake_key(src, "{b}1");
}

/* Run a move of `slots` from src to dst (oth is the other master). */
static int run(const int *slots, int n, int retry_ms, struct sc_err *e)
{
	struct conn_opts co;
	struct migrate_opts mo;
	struct migrate_node nodes[3];
	struct migrate_move mv = { 0, 1, slots, n };
	struct migrate *m;
	int rc, steps = 0;

	fake_start();
	conn_opts_init(&co);
	co.command_timeout_ms = 2000;
	memset(nodes, 0, sizeof(nodes));
	for (int i = 0; i < 3; i++) {
		snprintf(nodes[i].addr.host, sizeof(nodes[i].addr.host), "127.0.0.1");
		nodes[i].addr.port = fake_nodes[i].port;
		snprintf(nodes[i].id, sizeof(nodes[i].id), "%s", fake_nodes[i].id);
		nodes[i].master = 1;
	}
	migrate_opts_init(&mo, &co);
	mo.retry_ms = retry_ms;
	mo.max_latency_us = run_latency;
	mo.window = run_window;
	m = migrate_init(nodes, 3, &mv, 1, &mo, e);
	CHECK(m != NULL);
	while ((rc = migrate_step(m, 100)) == 0 && steps++ < 1000)
		;
	rc = migrate_finish(m, e);
	fake_stop();
	conn_opts_release(&co);
	return rc;
}

static int seq_of(const struct fake_node *f, const char *prefix)
{
	int i = fake_find(f, prefix);
	return i < 0 ? -1 : f->seq[i];
}

static int has_word(const struct fake_node *f, const char *w)
{
	int n = 0;
	for (int i = 0; i < f->nlog; i++)
		n += strstr(f->log[i], w) != NULL;
	return n;
}

static void test_order(void)
{
	struct sc_err e = { 0 };
	int slots[2] = { slot_a, slot_b };
	char mig[200], a[64], b[64];
	/* the SETSLOT flavour is probed once, on the first connection */
	const char *want_src[] = { "COMMAND DOCS cluster|setslot", "INFO memory", "DBSIZE", a, b, NULL };

	setup();
	CHECK_INT(run(slots, 2, 60000, &e), 0);
	CHECK_INT(dst->nkeys, 4);
	CHECK_INT(src->nkeys, 0);
	snprintf(a, sizeof(a), "CLUSTER COUNTKEYSINSLOT %d", slot_a);
	snprintf(b, sizeof(b), "CLUSTER COUNTKEYSINSLOT %d", slot_b);
	for (int i = 0; want_src[i]; i++)
		CHECK_STR(src->log[i], want_src[i]);
	/* per slot, across nodes: IMPORTING (target) < MIGRATING (source) <
	 * MIGRATE < NODE on the target < NODE on the source < NODE elsewhere */
	for (int k = 0; k < 2; k++) {
		char imp[80], migr[80], node[80];
		int s = slots[k];
		snprintf(imp, sizeof(imp), "CLUSTER SETSLOT %d IMPORTING " ID_A, s);
		snprintf(migr, sizeof(migr), "CLUSTER SETSLOT %d MIGRATING " ID_B, s);
		snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE " ID_B, s);
		CHECK(seq_of(dst, imp) > 0);
		CHECK(seq_of(src, migr) > seq_of(dst, imp));
		CHECK(seq_of(src, "MIGRATE") > seq_of(src, migr));
		CHECK(seq_of(dst, node) > seq_of(src, "MIGRATE"));
		CHECK(seq_of(src, node) > seq_of(dst, node));
		CHECK(seq_of(oth, node) > seq_of(src, node));
		CHECK_INT(fake_count(dst, node), 1);
		CHECK_INT(fake_count(src, node), 1);
		CHECK_INT(fake_count(oth, node), 1);
	}
	/* one MIGRATE per slot, all its keys at once, never REPLACE or COPY */
	snprintf(mig, sizeof(mig), "MIGRATE 127.0.0.1 %d  0 10000 KEYS {a}1 {a}2 {a}3", dst->port);
	CHECK_INT(fake_find(src, mig) >= 0, 1);
	CHECK_INT(fake_count(src, "MIGRATE"), 2);
	for (int i = 0; i < src->nlog; i++)
		CHECK(strstr(src->log[i], "REPLACE") == NULL && strstr(src->log[i], "COPY") == NULL);
	CHECK_INT(fake_count(oth, "MIGRATE"), 0);
	CHECK_INT(fake_count(oth, "CLUSTER SETSLOT"), 2);
	/* one database: asked once, then nothing of the database walk */
	CHECK_INT(fake_count(src, "CONFIG GET cluster-databases"), 1);
	CHECK_INT(fake_count(src, "SELECT"), 0);
	CHECK_INT(fake_count(src, "INFO keyspace"), 0);
	CHECK_INT(fake_count(src, "CLUSTER SLOT-STATS"), 0);
	CHECK(seq_of(src, "CONFIG GET") > seq_of(src, b));
}

/* Several databases: {a}1 in 0, {a}2 in 1, {a}3 and {b}1 in 15. */
static void setup_dbs(int dst_dbs)
{
	fake_reset();
	src = fake_add(ID_A);
	dst = fake_add(ID_B);
	oth = fake_add(ID_C);
	src->dbs = 16;
	dst->dbs = dst_dbs;
	fake_key_db(src, "{a}1", 0);
	fake_key_db(src, "{a}2", 1);
	fake_key_db(src, "{a}3", 15);
	fake_key_db(src, "{b}1", 15);
}

/* Index in f's log of the last command starting with prefix (and holding
 * `also`, when not NULL), -1. */
static int last_of(const struct fake_node *f, const char *prefix, const char *also)
{
	int k = -1;
	for (int i = 0; i < f->nlog; i++)
		if (!strncmp(f->log[i], prefix, strlen(prefix)) && (!also || strstr(f->log[i], also)))
			k = i;
	return k;
}

/* Under a latency budget, between Redis nodes, a move is paced
 * (migrate.c): its slots are closed only once all of them are drained, so
 * NODE reaches the target after the last MIGRATE.  Without a budget a slot
 * closes as soon as it is drained: with a window of one slot, slot a's NODE
 * comes before slot b's MIGRATE. */
static void test_paced(void)
{
	struct sc_err e = { 0 };
	int slots[2] = { slot_a, slot_b };
	char node_a[80], node_b[80];

	snprintf(node_a, sizeof(node_a), "CLUSTER SETSLOT %d NODE " ID_B, slot_a);
	snprintf(node_b, sizeof(node_b), "CLUSTER SETSLOT %d NODE " ID_B, slot_b);
	setup();
	CHECK_INT(run(slots, 2, 60000, &e), 0);
	CHECK_INT(dst->nkeys, 4);
	CHECK(seq_of(dst, node_a) > src->seq[last_of(src, "MIGRATE", "{b}1")]);
	CHECK(seq_of(dst, node_b) > src->seq[last_of(src, "MIGRATE", "{a}1")]);
	CHECK(seq_of(src, node_a) > seq_of(dst, node_b));

	setup();
	run_latency = 0;
	run_window = 1;
	CHECK_INT(run(slots, 2, 60000, &e), 0);
	run_latency = MIGRATE_MAX_LATENCY_US;
	run_window = 16;
	CHECK_INT(dst->nkeys, 4);
	CHECK(seq_of(dst, node_a) < src->seq[last_of(src, "MIGRATE", "{b}1")]);
}

static void test_dbs(void)
{
	struct sc_err e = { 0 };
	int slots[2] = { slot_a, slot_b };
	char mig[120], node[80], stats[80];
	const char *tag[2] = { "{a}", "{b}" };

	setup_dbs(16);
	CHECK_INT(run(slots, 2, 60000, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "dbs: %s\n", e.msg);
	/* every key in its own database on the target, none left */
	CHECK_INT(src->nkeys, 0);
	CHECK_INT(fake_has_db(dst, "{a}1", 0) && fake_has_db(dst, "{a}2", 1), 1);
	CHECK_INT(fake_has_db(dst, "{a}3", 15) && fake_has_db(dst, "{b}1", 15), 1);
	/* MIGRATE names the database the keys were listed in, after SELECT */
	snprintf(mig, sizeof(mig), "MIGRATE 127.0.0.1 %d  1 10000 KEYS {a}2", dst->port);
	CHECK(fake_find(src, mig) > fake_find(src, "SELECT 1"));
	CHECK(fake_find(src, "SELECT 1") > 0);
	snprintf(mig, sizeof(mig), "MIGRATE 127.0.0.1 %d  15 10000 KEYS", dst->port);
	CHECK_INT(fake_count(src, mig), 2);
	CHECK(fake_find(src, mig) > fake_find(src, "SELECT 15"));
	CHECK_INT(fake_count(dst, "SELECT"), 0);
	/* NODE on the target only after the last MIGRATE and the count of the
	 * slot over every database */
	for (int k = 0; k < 2; k++) {
		snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE " ID_B, slots[k]);
		snprintf(stats, sizeof(stats), "CLUSTER SLOT-STATS SLOTSRANGE %d %d", slots[k], slots[k]);
		CHECK(seq_of(dst, node) > src->seq[last_of(src, stats, NULL)]);
		CHECK(src->seq[last_of(src, stats, NULL)] > src->seq[last_of(src, "MIGRATE", tag[k])]);
		CHECK_INT(fake_count(src, node), 1);
	}
	CHECK_INT(fake_count(src, "INFO keyspace"), 1);
}

/* The count finds a key the walk did not (it came after the databases
 * were read): the databases are read again and walked once more. */
static void test_dbs_rescan(void)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };
	char stats[80], reply[160];

	setup_dbs(16);
	snprintf(stats, sizeof(stats), "CLUSTER SLOT-STATS SLOTSRANGE %d %d", slot_a, slot_a);
	snprintf(reply, sizeof(reply), "*1\r\n*2\r\n:%d\r\n*2\r\n$9\r\nkey-count\r\n:1\r\n", slot_a);
	fake_rule(src, stats, 2, reply); /* the 1st is the move's key count */
	CHECK_INT(run(slots, 1, 60000, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "dbs rescan: %s\n", e.msg);
	CHECK_INT(fake_count(src, stats), 3);
	CHECK_INT(fake_count(src, "INFO keyspace"), 2);
	CHECK_INT(fake_has_db(dst, "{a}2", 1) && fake_has_db(dst, "{a}3", 15), 1);
}

/* A target with one database cannot take keys of database 1: refused
 * before any SETSLOT, nothing moved. */
static void test_dbs_target_short(void)
{
	struct sc_err e = { 0 };
	int slots[2] = { slot_a, slot_b };

	setup_dbs(1);
	CHECK_INT(run(slots, 2, 60000, &e), -1);
	CHECK(strstr(e.msg, "holds keys in database 1") != NULL);
	CHECK(strstr(e.msg, "cluster-databases 2 or more") != NULL);
	if (!strstr(e.msg, "holds keys in database 1"))
		fprintf(stderr, "message: %s\n", e.msg);
	CHECK_INT(fake_count(dst, "CLUSTER SETSLOT"), 0);
	CHECK_INT(fake_count(src, "CLUSTER SETSLOT"), 0);
	CHECK_INT(src->nkeys, 4);
}

static void test_busykey(void)
{
	struct sc_err e = { 0 };
	int slots[2] = { slot_a, slot_b };
	char want[120], node[80];

	setup();
	fake_key(dst, "{a}2");
	CHECK_INT(run(slots, 2, 60000, &e), -1);
	snprintf(want, sizeof(want), "slot %d: key '{a}2' exists on both '127.0.0.1:%d' and its new owner "
		 "'127.0.0.1:%d' (BUSYKEY)", slot_a, src->port, dst->port);
	CHECK(strstr(e.msg, want) != NULL);
	if (!strstr(e.msg, want))
		fprintf(stderr, "message: %s\n", e.msg);
	/* the slot stays open: no NODE for it anywhere; the other slot moved */
	snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE", slot_a);
	CHECK_INT(fake_count(dst, node), 0);
	CHECK_INT(fake_count(src, node), 0);
	snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE", slot_b);
	CHECK_INT(fake_count(src, node), 1);
	CHECK_INT(fake_has(src, "{a}2"), 1); /* nothing overwritten or lost */
	CHECK_INT(fake_has(dst, "{a}1") && fake_has(dst, "{a}3") && fake_has(dst, "{b}1"), 1);
	CHECK(fake_find(dst, "EXISTS {a}2") > 0 && !strcmp(dst->log[fake_find(dst, "EXISTS {a}2") - 1], "ASKING"));
}

static void test_retryable(const char *what, const char *reply)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };

	setup();
	fake_rule(src, "MIGRATE", 1, reply);
	CHECK_INT(run(slots, 1, 60000, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "%s: %s\n", what, e.msg);
	CHECK_INT(fake_count(src, "MIGRATE"), 2);
	CHECK_INT(dst->nkeys, 3);
}

static void test_dies(void)
{
	struct sc_err e = { 0 };
	int slots[2] = { slot_a, slot_b };
	char want[120];

	setup();
	fake_rule(src, "CLUSTER GETKEYSINSLOT", 1, "CLOSE");
	CHECK_INT(run(slots, 2, 60000, &e), -1);
	snprintf(want, sizeof(want), "moving slots from '127.0.0.1:%d' to '127.0.0.1:%d'", src->port, dst->port);
	CHECK(strstr(e.msg, want) != NULL);
	CHECK_INT(fake_count(dst, "CLUSTER SETSLOT"), 2); /* the two IMPORTING, no NODE */
	CHECK_INT(has_word(dst, "NODE"), 0);
	CHECK_INT(fake_count(src, "MIGRATE"), 0);
	CHECK_INT(src->nkeys, 4); /* nothing lost */
}

static void test_resume_owned(void)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };
	char rule[80], reply[120], node[80];

	setup();
	src->nkeys = 0; /* the killed run had moved every key */
	snprintf(rule, sizeof(rule), "CLUSTER SETSLOT %d IMPORTING", slot_a);
	snprintf(reply, sizeof(reply), "-ERR I'm already the owner of hash slot %d\r\n", slot_a);
	fake_rule(dst, rule, 0, reply);
	CHECK_INT(run(slots, 1, 60000, &e), 0);
	snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE " ID_B, slot_a);
	CHECK_INT(fake_count(src, node), 1);
	CHECK_INT(has_word(src, "MIGRATING"), 0);
	CHECK_INT(fake_count(src, "MIGRATE"), 0);
}

/* The target owns the slot but the source still holds keys of it in
 * databases 1 and 15 (what a run that moved database 0 only left behind):
 * the source refuses NODE, its keys go to the owner, then NODE again. */
static void test_resume_owned_keys(void)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };
	char rule[80], reply[160], refused[200], node[80];

	setup_dbs(16);
	fake_del_db(src, "{a}1", 0); /* the killed run had moved database 0 */
	fake_key_db(dst, "{a}1", 0);
	snprintf(rule, sizeof(rule), "CLUSTER SETSLOT %d IMPORTING", slot_a);
	snprintf(reply, sizeof(reply), "-ERR I'm already the owner of hash slot %d\r\n", slot_a);
	fake_rule(dst, rule, 0, reply);
	snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE " ID_B, slot_a);
	snprintf(refused, sizeof(refused), "-ERR Can't assign hashslot %d to a different node while I still hold "
		 "keys for this hash slot.\r\n", slot_a);
	fake_rule(src, node, 1, refused);
	CHECK_INT(run(slots, 1, 60000, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "resume owned keys: %s\n", e.msg);
	CHECK_INT(fake_count(src, node), 2);
	CHECK_INT(fake_has_db(dst, "{a}2", 1) && fake_has_db(dst, "{a}3", 15) && fake_has_db(dst, "{a}1", 0), 1);
	CHECK_INT(fake_has_db(src, "{a}2", 1) || fake_has_db(src, "{a}3", 15), 0);
	CHECK(seq_of(src, "MIGRATE") > src->seq[fake_find(src, node)]);
}

static void test_source_replica(void)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };
	char rule[80];

	setup();
	snprintf(rule, sizeof(rule), "CLUSTER SETSLOT %d NODE", slot_a);
	fake_rule(src, rule, 0, "-ERR Please use SETSLOT only with masters.\r\n");
	CHECK_INT(run(slots, 1, 60000, &e), 0);
	CHECK_INT(dst->nkeys, 3);
}

static void test_deadline(void)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };
	char node[80];

	setup();
	fake_rule(src, "MIGRATE", 0, "-ERR Target instance replied with error: TRYAGAIN busy\r\n");
	CHECK_INT(run(slots, 1, 300, &e), -1);
	CHECK(strstr(e.msg, "still failing") != NULL);
	snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE", slot_a);
	CHECK_INT(fake_count(dst, node), 0);
	CHECK_INT(src->nkeys, 4);
}

#define UNBLOCKED "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"

static void test_noreplicas(void)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };
	char rule[80], node[80];

	setup();
	snprintf(rule, sizeof(rule), "CLUSTER SETSLOT %d IMPORTING", slot_a);
	fake_rule(dst, rule, 1, "-NOREPLICAS Not enough good replicas to write.\r\n");
	snprintf(node, sizeof(node), "CLUSTER SETSLOT %d NODE", slot_a);
	fake_rule(dst, node, 1, "-NOREPLICAS Not enough good replicas to write.\r\n");
	CHECK_INT(run(slots, 1, 60000, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "noreplicas: %s\n", e.msg);
	CHECK_INT(fake_count(dst, rule), 2); /* the same command again */
	CHECK_INT(fake_count(dst, node), 2);
	/* MIGRATING only after the IMPORTING that was acknowledged */
	for (int i = 0; i < dst->nlog; i++)
		if (!strncmp(dst->log[i], rule, strlen(rule)))
			CHECK(seq_of(src, "CLUSTER SETSLOT") > dst->seq[i]);
	CHECK_INT(dst->nkeys, 3);
}

/* The server cuts the connection after UNBLOCKED: what was pipelined behind
 * it is sent again on a new connection. */
static void test_unblocked(void)
{
	struct sc_err e = { 0 };
	int slots[2] = { slot_a, slot_b };
	char rule[80];

	setup();
	snprintf(rule, sizeof(rule), "CLUSTER SETSLOT %d MIGRATING", slot_a);
	fake_rule(src, rule, 1, UNBLOCKED);
	CHECK_INT(run(slots, 2, 60000, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "unblocked: %s\n", e.msg);
	CHECK_INT(fake_count(src, rule), 2);
	CHECK_INT(dst->nkeys, 4);
	CHECK_INT(src->nkeys, 0);
}

/* UNBLOCKED on the source's NODE: the source lost its last slot and turned
 * replica; the slot is closed, as with "only with masters". */
static void test_unblocked_source_node(void)
{
	struct sc_err e = { 0 };
	int slots[1] = { slot_a };
	char rule[80];

	setup();
	snprintf(rule, sizeof(rule), "CLUSTER SETSLOT %d NODE", slot_a);
	fake_rule(src, rule, 0, UNBLOCKED);
	CHECK_INT(run(slots, 1, 60000, &e), 0);
	CHECK_INT(fake_count(src, rule), 1);
	CHECK_INT(fake_count(oth, rule), 1);
	CHECK_INT(dst->nkeys, 3);
}

int main(void)
{
	slot_a = keyslot_of("a", 1);
	slot_b = keyslot_of("b", 1);
	test_order();
	test_paced();
	test_dbs();
	test_dbs_rescan();
	test_dbs_target_short();
	test_busykey();
	test_retryable("tryagain", "-ERR Target instance replied with error: TRYAGAIN Multiple keys\r\n");
	test_retryable("ask", "-ERR Target instance replied with error: ASK 15495 127.0.0.1:1\r\n");
	test_retryable("clusterdown", "-CLUSTERDOWN The cluster is down\r\n");
	test_retryable("ioerr", "-IOERR error or timeout reading to target instance\r\n");
	test_dies();
	test_resume_owned();
	test_resume_owned_keys();
	test_source_replica();
	test_deadline();
	test_noreplicas();
	test_unblocked();
	test_unblocked_source_node();
	return UNIT_DONE("migrate");
}
