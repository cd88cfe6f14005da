/* The plan executor against scripted fake nodes (fake_node.h): REPLICATE
 * retried while the master is an "Unknown node", then the replica announced
 * to every member; FORGET sent to every other member before the forgotten
 * node is reset, the reset waiting out LOADING; a master given away its last
 * slots and its replicas holding cluster-allow-replica-migration at no for
 * the moves; failures named. */
#include <stdio.h>
#include <string.h>

#include "engine/exec.h"
#include "support/fake_node.h"
#include "unit.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccc"
#define ID_D "dddddddddddddddddddddddddddddddddddddddd"

static const char *ids[4] = { ID_A, ID_B, ID_C, ID_D };

/* Four fakes: A and B masters, C an empty master, D a replica of A. */
static int run(struct step *steps, int nsteps, int wait_ms, struct sc_err *e)
{
	struct member m[4];
	struct topo t;
	struct plan p;
	struct plan_node pn[4];
	struct exec_opts o;
	struct conn_opts co;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	memset(pn, 0, sizeof(pn));
	for (int i = 0; i < 4; i++) {
		snprintf(m[i].n.id, sizeof(m[i].n.id), "%s", ids[i]);
		snprintf(m[i].n.ip, sizeof(m[i].n.ip), "127.0.0.1");
		m[i].n.port = fake_nodes[i].port;
		m[i].n.cport = fake_nodes[i].port + 10000;
		m[i].n.flags = i == 3 ? NF_REPLICA : NF_MASTER;
		m[i].reachable = 1;
		m[i].master = i == 3 ? 0 : -1;
		snprintf(pn[i].id, sizeof(pn[i].id), "%s", ids[i]);
		snprintf(pn[i].addr.host, sizeof(pn[i].addr.host), "127.0.0.1");
		pn[i].addr.port = fake_nodes[i].port;
	}
	snprintf(m[3].n.master, sizeof(m[3].n.master), "%s", ID_A);
	t.m = m;
	t.n = 4;
	p.nodes = pn;
	p.nnodes = 4;
	p.steps = steps;
	p.nsteps = nsteps;
	conn_opts_init(&co);
	memset(&o, 0, sizeof(o));
	o.conn = &co;
	o.t = &t;
	o.wait_ms = wait_ms;
	fake_start();
	rc = exec_run(&p, &o, e);
	fake_stop();
	return rc;
}

/* INFO replication of a replica: link down, syncing, in sync */
#define INFO_DOWN "$79\r\n# Replication\r\nrole:slave\r\nmaster_link_status:down\r\nmaster_sync_in_progress:0\r\n\r\n"
#define INFO_SYNCING "$77\r\n# Replication\r\nrole:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:1\r\n\r\n"
#define INFO_UP "$77\r\n# Replication\r\nrole:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\n\r\n"

static void setup(void)
{
	fake_reset();
	for (int i = 0; i < 4; i++)
		fake_add(ids[i]);
}

static void test_replicate_and_forget(void)
{
	struct step steps[2] = {
		{ .kind = STEP_REPLICATE, .node = 2, .peer = 1, .round = -1 },
		{ .kind = STEP_FORGET, .node = 3, .peer = -1, .round = -1 },
	};
	struct fake_node *a = &fake_nodes[0], *b = &fake_nodes[1], *c = &fake_nodes[2], *d = &fake_nodes[3];
	struct sc_err e = { 0 };
	char meet[80];
	int reset;

	setup();
	fake_rule(c, "CLUSTER REPLICATE", 1, "-ERR Unknown node " ID_B "\r\n");
	fake_rule(c, "CLUSTER REPLICATE", 2, "-ERR Unknown node " ID_B "\r\n");
	fake_rule(c, "INFO replication", 1, INFO_DOWN);
	fake_rule(c, "INFO replication", 2, INFO_SYNCING);
	fake_rule(c, "INFO replication", 0, INFO_UP);
	CHECK_INT(run(steps, 2, 5000, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "%s\n", e.msg);
	CHECK_INT(fake_count(c, "CLUSTER REPLICATE " ID_B), 3);
	/* the new replica announces itself to every other member */
	for (int i = 0; i < 4; i++) {
		snprintf(meet, sizeof(meet), "CLUSTER MEET 127.0.0.1 %d %d", fake_nodes[i].port,
			 fake_nodes[i].port + 10000);
		CHECK_INT(fake_count(c, meet), i == 2 ? 0 : 1);
	}
	/* D forgotten by every other member, then reset, and by nobody else */
	CHECK_INT(fake_count(a, "CLUSTER FORGET " ID_D), 1);
	CHECK_INT(fake_count(b, "CLUSTER FORGET " ID_D), 1);
	CHECK_INT(fake_count(c, "CLUSTER FORGET " ID_D), 1);
	CHECK_INT(fake_count(d, "CLUSTER FORGET"), 0);
	reset = d->seq[fake_find(d, "CLUSTER RESET HARD")];
	CHECK(fake_find(d, "CLUSTER RESET HARD") >= 0);
	for (int i = 0; i < 3; i++)
		CHECK(fake_nodes[i].seq[fake_find(&fake_nodes[i], "CLUSTER FORGET")] < reset);
	/* the new replica was polled until in sync; nobody else was */
	CHECK_INT(fake_count(c, "INFO replication"), 3);
	CHECK_INT(fake_count(a, "INFO replication") + fake_count(b, "INFO replication"), 0);
}

/* A replica that never syncs fails the run when the wait runs out, named. */
static void test_sync_deadline(void)
{
	struct step steps[1] = { { .kind = STEP_REPLICATE, .node = 2, .peer = 1, .round = -1 } };
	struct sc_err e = { 0 };
	char want[200];

	setup();
	fake_rule(&fake_nodes[2], "INFO replication", 0, INFO_DOWN);
	fake_rule(&fake_nodes[3], "INFO replication", 0, INFO_UP);
	CHECK_INT(run(steps, 1, 300, &e), -1);
	snprintf(want, sizeof(want), "replica '127.0.0.1:%d' is not in sync with its master after 0 s "
		 "(master_link_status:down); run again to continue", fake_nodes[2].port);
	CHECK_STR(e.msg, want);
}

/* The run ends when every replica of a live master is in sync, also one it
 * did not attach (D, e.g. still syncing since the create). */
static void test_sync_all_replicas(void)
{
	struct step steps[1] = { { .kind = STEP_REPLICATE, .node = 2, .peer = 1, .round = -1 } };
	struct sc_err e = { 0 };

	setup();
	fake_rule(&fake_nodes[2], "INFO replication", 0, INFO_UP);
	fake_rule(&fake_nodes[3], "INFO replication", 1, INFO_SYNCING);
	fake_rule(&fake_nodes[3], "INFO replication", 2, INFO_DOWN);
	fake_rule(&fake_nodes[3], "INFO replication", 0, INFO_UP);
	CHECK_INT(run(steps, 1, 5000, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(fake_count(&fake_nodes[3], "INFO replication"), 3);
	CHECK_INT(fake_count(&fake_nodes[0], "INFO replication") + fake_count(&fake_nodes[1], "INFO replication"), 0);
}

/* No failover onto a replica whose link is down: it would lose the shard. */
static void test_failover_needs_sync(void)
{
	struct step steps[1] = { { .kind = STEP_FAILOVER, .node = 3, .peer = 0, .round = -1 } };
	struct sc_err e = { 0 };

	setup();
	fake_rule(&fake_nodes[3], "INFO replication", 0, INFO_DOWN);
	CHECK_INT(run(steps, 1, 300, &e), -1);
	CHECK(strstr(e.msg, "is not in sync with its master") != NULL);
	CHECK_INT(fake_count(&fake_nodes[3], "CLUSTER FAILOVER"), 0);
}

/* Keys move to a master only once its replicas are in sync: a replica
 * attached by this run and still in its first sync when the moves begin
 * would, promoted by a failover, lack every key its master received
 * meanwhile.  The source's replicas (D) too: Valkey >= 8 applies SETSLOT
 * only on replicas online at that moment (research A4, A7.1). */
static void test_move_waits_for_target_replicas(void)
{
	struct slot_range r = { 0, 0 };
	struct step steps[2] = {
		{ .kind = STEP_REPLICATE, .node = 2, .peer = 1, .round = -1 },
		{ .kind = STEP_MOVE, .node = 0, .peer = 1, .ranges = &r, .nranges = 1, .nslots = 1, .round = 0 },
	};
	struct fake_node *a = &fake_nodes[0], *b = &fake_nodes[1], *c = &fake_nodes[2], *d = &fake_nodes[3];
	struct sc_err e = { 0 };
	int synced = -1, polls = 0, setslot;

	setup();
	fake_key(a, "{06S}x"); /* slot 0 */
	fake_rule(c, "INFO replication", 1, INFO_SYNCING);
	fake_rule(c, "INFO replication", 2, INFO_SYNCING);
	fake_rule(c, "INFO replication", 0, INFO_UP);
	fake_rule(d, "INFO replication", 0, INFO_UP);
	CHECK_INT(run(steps, 2, 5000, &e), 0);
	CHECK_STR(e.msg, "");
	for (int i = 0; i < c->nlog && polls < 3; i++)
		if (!strncmp(c->log[i], "INFO replication", 16) && ++polls == 3)
			synced = c->seq[i];
	setslot = fake_find(b, "CLUSTER SETSLOT 0 IMPORTING");
	CHECK(setslot >= 0 && synced > 0);
	if (setslot >= 0)
		CHECK(b->seq[setslot] > synced); /* the move began once C was in sync */
	CHECK(fake_has(b, "{06S}x") && !fake_has(a, "{06S}x"));
	CHECK(setslot >= 0 && fake_find(d, "INFO replication") >= 0);
	if (setslot >= 0 && fake_find(d, "INFO replication") >= 0)
		CHECK(d->seq[fake_find(d, "INFO replication")] < b->seq[setslot]);
}

static void test_replicate_deadline(void)
{
	struct step steps[1] = { { .kind = STEP_REPLICATE, .node = 2, .peer = 1, .round = -1 } };
	struct sc_err e = { 0 };
	char want[200];

	setup();
	fake_rule(&fake_nodes[2], "CLUSTER REPLICATE", 0, "-ERR Unknown node " ID_B "\r\n");
	CHECK_INT(run(steps, 1, 300, &e), -1);
	snprintf(want, sizeof(want), "'CLUSTER REPLICATE' on '127.0.0.1:%d' failed: error 'ERR Unknown node",
		 fake_nodes[2].port);
	CHECK(strstr(e.msg, want) != NULL);
}

static void test_forget_refused(void)
{
	struct step steps[1] = { { .kind = STEP_FORGET, .node = 0, .peer = -1, .round = -1 } };
	struct sc_err e = { 0 };

	setup();
	fake_rule(&fake_nodes[3], "CLUSTER FORGET", 0, "-ERR Can't forget my master!\r\n");
	CHECK_INT(run(steps, 1, 1000, &e), -1);
	CHECK(strstr(e.msg, "'CLUSTER FORGET' on") != NULL && strstr(e.msg, "forget my master") != NULL);
	CHECK_INT(fake_count(&fake_nodes[0], "CLUSTER RESET"), 0); /* not reset after a failed fan-out */
}

/* A node removed while it loads a full sync answers LOADING to the reset
 * until the load ends: waited out, not a failure. */
static void test_forget_while_loading(void)
{
	struct step steps[1] = { { .kind = STEP_FORGET, .node = 3, .peer = -1, .round = -1 } };
	struct sc_err e = { 0 };

	setup();
	fake_rule(&fake_nodes[3], "CLUSTER RESET HARD", 1, "-LOADING Redis is loading the dataset in memory\r\n");
	fake_rule(&fake_nodes[3], "CLUSTER RESET HARD", 2, "-LOADING Redis is loading the dataset in memory\r\n");
	CHECK_INT(run(steps, 1, 5000, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(fake_count(&fake_nodes[3], "CLUSTER RESET HARD"), 3);
}

#define ARM "cluster-allow-replica-migration"
#define ARM_YES "*2\r\n$31\r\n" ARM "\r\n$3\r\nyes\r\n"
/* CLUSTER NODES of A owning slot 0, or slots 0-1 */
#define A_OWNS_0 "$89\r\n" ID_A " 127.0.0.1:1@2 myself,master - 0 0 1 connected 0\n\r\n"
#define A_OWNS_01 "$91\r\n" ID_A " 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-1\n\r\n"

/* A move that takes the last slot of A: A and its replica D hold
 * cluster-allow-replica-migration at no before the first SETSLOT (the
 * server would otherwise make A a replica of B, with a full sync, in the
 * middle of the drain: research item 10) and get yes back when the run
 * ends; B, and A when it keeps a slot, are left alone. */
static void test_drain_holds_replica_migration(void)
{
	struct slot_range r = { 0, 0 };
	struct step steps[1] = {
		{ .kind = STEP_MOVE, .node = 0, .peer = 1, .ranges = &r, .nranges = 1, .nslots = 1, .round = 0 },
	};
	struct fake_node *a = &fake_nodes[0], *b = &fake_nodes[1], *d = &fake_nodes[3];
	struct sc_err e = { 0 };
	int no_a, no_d, yes_a, yes_d, first, node;

	for (int keeps = 0; keeps < 2; keeps++) {
		setup();
		fake_key(a, "{06S}x"); /* slot 0 */
		fake_rule(a, "CLUSTER NODES", 1, keeps ? A_OWNS_01 : A_OWNS_0);
		fake_rule(a, "CONFIG GET " ARM, 0, ARM_YES);
		fake_rule(d, "CONFIG GET " ARM, 0, ARM_YES);
		fake_rule(d, "INFO replication", 0, INFO_UP);
		CHECK_INT(run(steps, 1, 5000, &e), 0);
		CHECK_STR(e.msg, "");
		CHECK(fake_has(b, "{06S}x") && !fake_has(a, "{06S}x"));
		CHECK_INT(fake_count(b, "CONFIG SET"), 0);
		no_a = fake_find(a, "CONFIG SET " ARM " no");
		no_d = fake_find(d, "CONFIG SET " ARM " no");
		yes_a = fake_find(a, "CONFIG SET " ARM " yes");
		yes_d = fake_find(d, "CONFIG SET " ARM " yes");
		if (keeps) {
			CHECK_INT(fake_count(a, "CONFIG SET") + fake_count(d, "CONFIG SET"), 0);
			continue;
		}
		first = fake_find(b, "CLUSTER SETSLOT 0 IMPORTING");
		node = fake_find(a, "CLUSTER SETSLOT 0 NODE");
		CHECK(no_a >= 0 && no_d >= 0 && yes_a >= 0 && yes_d >= 0 && first >= 0 && node >= 0);
		if (no_a < 0 || no_d < 0 || yes_a < 0 || yes_d < 0 || first < 0 || node < 0)
			continue;
		CHECK(a->seq[no_a] < b->seq[first] && d->seq[no_d] < b->seq[first]);
		CHECK(a->seq[yes_a] > a->seq[node] && d->seq[yes_d] > a->seq[node]);
	}
}

int main(void)
{
	test_replicate_and_forget();
	test_replicate_deadline();
	test_sync_deadline();
	test_sync_all_replicas();
	test_failover_needs_sync();
	test_move_waits_for_target_replicas();
	test_forget_refused();
	test_forget_while_loading();
	test_drain_holds_replica_migration();
	return UNIT_DONE("exec");
}
