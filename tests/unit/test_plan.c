/* The reconcile planner on chosen scenarios: scale out and in, chains of
 * changes, failovers, replicas reset into masters, evacuation, a table of
 * changes with expected step counts, every refusal, hostkeys, and captured
 * redis-server replies through the real parser.  Every plan also passes the
 * checks of plan_world.h (run_case).  Generated topologies and the
 * 1000-node timings are in test_plan_gen.c, the servers' data formats in
 * test_plan_formats.c. */
#include "fixture.h"
#include "support/plan_world.h"
#include "unit.h"

static void test_scale_out_4_to_5(void)
{
	int masters[16], list[MAXW], n, nn;
	struct plan p;

	pw_cluster(&pw_world, 4, 1, masters);
	n = pw_list_members(&pw_world, list);
	list[n++] = nn = pw_new(&pw_world, "h1");
	(void)nn;
	list[n++] = pw_new(&pw_world, "h2");
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 5, 1, 0, &p);
	printf("4 -> 5 shards:\n");
	plan_print(&p, stdout, 0);
	CHECK_INT(pw_count_kind(&p, STEP_MEET), 2);
	CHECK_INT(pw_count_kind(&p, STEP_MOVE), 4);
	CHECK_INT(pw_count_kind(&p, STEP_REPLICATE), 1);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET), 0);
	CHECK_INT(p.moved_slots, 3276);
	for (int k = 0; k < p.nsteps; k++) {
		const struct step *s = &p.steps[k];
		if (s->kind != STEP_MOVE)
			continue;
		CHECK(s->nslots == 819);
		nn = pw_find_port(&pw_world, p.nodes[s->peer].addr.port);
		CHECK(nn >= 8);
	}
	CHECK(pw_count(&pw_world, nn) == 3276 || pw_count(&pw_world, nn) == 3277);
	/* contiguous: the new master's ranges touch pairwise (one donor's
	 * high end, the next one's low end) */
	CHECK_INT(pw_ranges(&pw_world, nn), 2);
	for (int k = 0; k < 4; k++) {
		CHECK(pw_count(&pw_world, masters[k]) == 3276 || pw_count(&pw_world, masters[k]) == 3277);
		CHECK_INT(pw_ranges(&pw_world, masters[k]), 1);
	}
	plan_release(&p);
	/* and back to 4: every slot returns where it was, one range each */
	RUN_OK(&pw_world, list, 8, 4, 1, 0, &p);
	CHECK_INT(p.moved_slots, 3276);
	for (int k = 0; k < 4; k++) {
		CHECK_INT(pw_count(&pw_world, masters[k]), 4096);
		CHECK_INT(pw_ranges(&pw_world, masters[k]), 1);
	}
	plan_release(&p);
}

/* A whole cluster onto new nodes (reconcile --cluster): the list shares no
 * member; without the named cluster that is refused, with it every old
 * member hands its slots straight to a new master and leaves. */
static void test_move_whole_cluster(void)
{
	int masters[16], list[MAXW], n = 0, old[MAXW], nold;
	struct plan p;
	struct input in;
	struct sc_err e;

	pw_cluster(&pw_world, 3, 1, masters);
	nold = pw_list_members(&pw_world, old);
	for (int k = 0; k < 6; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h2" : "h1");
	pw_input_build(&in, &pw_world, list, n);
	CHECK_INT(pw_build(&p, &in, 3, 1, 0, &e), -1);
	CHECK(strstr(e.msg, "none of the 6 listed nodes is a member") != NULL);
	pw_input_release(&in);
	pw_named_cluster = 1;
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 3, 1, 0, &p);
	pw_named_cluster = 0;
	printf("3x1 onto 6 new nodes:\n");
	plan_print(&p, stdout, 0);
	CHECK_INT(p.moved_slots, CLUSTER_SLOTS);
	CHECK_INT(pw_count_kind(&p, STEP_MEET), 6);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET), nold);
	for (int k = 0; k < nold; k++)
		CHECK_INT(pw_count(&pw_world, old[k]), 0);
	plan_release(&p);
}

/* 10 -> 13 -> 10 shards without replicas: new masters in at most 2 ranges,
 * the way back restores one range each. */
static void test_ranges_10_13(void)
{
	int masters[16], list[MAXW], n;

	pw_cluster(&pw_world, 10, 0, masters);
	n = pw_list_members(&pw_world, list);
	for (int k = 0; k < 3; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h2" : "h1");
	RUN_OK(&pw_world, list, n, 13, 0, 0, NULL);
	for (int k = 10; k < 13; k++)
		CHECK(pw_ranges(&pw_world, list[k]) <= 2);
	for (int k = 0; k < 10; k++)
		CHECK_INT(pw_ranges(&pw_world, masters[k]), 1);
	RUN_OK(&pw_world, list, 10, 10, 0, 0, NULL);
	for (int k = 0; k < 10; k++)
		CHECK_INT(pw_ranges(&pw_world, masters[k]), 1);
}

static void test_scale_in_5_to_4(void)
{
	int masters[16], list[MAXW], n = 0;
	struct plan p;

	pw_cluster(&pw_world, 5, 1, masters);
	for (int i = 0; i < pw_world.nn; i++)
		if (i != masters[4] && pw_world.n[i].of != masters[4])
			list[n++] = i;
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 4, 1, 0, &p);
	printf("5 -> 4 shards:\n");
	plan_print(&p, stdout, 0);
	CHECK_INT(p.moved_slots, 3276); /* all of the departing master's */
	CHECK_INT(pw_count_kind(&p, STEP_MOVE), 4);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET), 2);
	CHECK_INT(pw_count_kind(&p, STEP_MEET), 0);
	for (int k = 0; k < 4; k++)
		CHECK_INT(pw_count(&pw_world, masters[k]), 4096);
	plan_release(&p);
}

/* 3 -> 4 -> 6 -> 3 shards, one replica each, on the same world. */
static void test_chain_shards(void)
{
	int masters[16], list[MAXW], n, orig;

	pw_cluster(&pw_world, 3, 1, masters);
	orig = n = pw_list_members(&pw_world, list);
	for (int k = 0; k < 2; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h2" : "h1");
	RUN_OK(&pw_world, list, n, 4, 1, 0, NULL);
	for (int k = 0; k < 4; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h2" : "h1");
	RUN_OK(&pw_world, list, n, 6, 1, 0, NULL);
	RUN_OK(&pw_world, list, orig, 3, 1, 0, NULL);
	for (int k = 0; k < 3; k++)
		CHECK(pw_count(&pw_world, masters[k]) >= 5461);
}

/* Table: a cluster made by pw_cluster(S0, R0); the list keeps the first
 * `masters` masters, `rounds` replica rounds of kept masters, and (orphans)
 * the replicas of dropped masters, plus `nnew` new nodes; expected counts
 * (-1: not checked). */
static const struct row {
	const char *name;
	int S0, R0, masters, rounds, orphans, nnew, S, R;
	int moved, meet, move, failover, replicate, forget;
} rows[] = {
	{ "converged 3x0", 3, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 },
	{ "converged 5x2", 5, 2, 5, 2, 0, 0, 5, 2, 0, 0, 0, 0, 0, 0 },
	{ "4x1 -> 5x1", 4, 1, 4, 1, 0, 2, 5, 1, 3276, 2, 4, 0, 1, 0 },
	{ "5x1 -> 4x1", 5, 1, 4, 1, 0, 0, 4, 1, 3276, 0, 4, 0, 0, 2 },
	{ "4x1 -> 8x1", 4, 1, 4, 1, 0, 8, 8, 1, 8192, 8, 4, 0, 4, 0 },
	{ "8x0 -> 4x0", 8, 0, 4, 0, 0, 0, 4, 0, 8192, 0, 4, 0, 0, 4 },
	{ "3x0 -> 3x1", 3, 0, 3, 0, 0, 3, 3, 1, 0, 3, 0, 0, 3, 0 },
	{ "3x1 -> 3x0", 3, 1, 3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 3 },
	{ "3x2 -> 3x1", 3, 2, 3, 1, 0, 0, 3, 1, 0, 0, 0, 0, 0, 3 },
	{ "4x1 -> 3x2, replica stays", 4, 1, 3, 1, 1, 2, 3, 2, 4096, 2, 3, 0, 3, 1 },
	{ "5x1 -> 3x1", 5, 1, 3, 1, 0, 0, 3, 1, 6553, 0, -1, 0, 0, 4 },
	{ "4x1 -> 4x1, master replaced", 4, 1, 3, 1, 1, 1, 4, 1, 0, 1, 0, 1, 1, 1 },
	{ "6x1 -> 4x2, same nodes", 6, 1, 6, 1, 0, 0, 4, 2, 5460, 0, -1, 0, 4, 0 },
	{ "4x2 -> 6x1, same nodes", 4, 2, 4, 2, 0, 0, 6, 1, 5460, 2, -1, 0, 2, 2 },
	{ "4x1 -> 8x0, same nodes", 4, 1, 4, 1, 0, 0, 8, 0, 8192, 4, -1, 0, 0, 4 },
	{ "3x1 -> 6x0, same nodes", 3, 1, 3, 1, 0, 0, 6, 0, 8191, 3, -1, 0, 0, 3 },
};

static void test_table(void)
{
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		const struct row *r = &rows[k];
		int masters[16], list[MAXW], n = 0, rc;
		struct plan p;
		pw_cluster(&pw_world, r->S0, r->R0, masters);
		for (int i = 0; i < pw_world.nn; i++) {
			int m = pw_world.n[i].of, mk = -1, round = (i - r->S0) / (r->S0 ? r->S0 : 1);
			for (int j = 0; j < r->S0; j++)
				if (masters[j] == (m >= 0 ? m : i))
					mk = j;
			if (m < 0 ? mk < r->masters : (mk < r->masters ? round < r->rounds : r->orphans))
				list[n++] = i;
		}
		for (int j = 0; j < r->nnew; j++)
			list[n++] = pw_new(&pw_world, j % 2 ? "h1" : "h2");
		memset(&p, 0, sizeof(p));
		rc = pw_run_case(&pw_world, list, n, r->S, r->R, 0, &p);
		if (rc)
			fprintf(stderr, "table row '%s': %s\n", r->name, pw_why);
		CHECK_INT(rc, 0);
		if (rc)
			continue;
#define ROW_CHECK(got, want)                                                              \
	do {                                                                              \
		if ((want) >= 0 && (got) != (want)) {                                     \
			fprintf(stderr, "table row '%s': %s = %d, want %d\n", r->name, #got, \
				(got), (want));                                           \
			CHECK(0);                                                         \
		} else {                                                                  \
			CHECK(1);                                                         \
		}                                                                         \
	} while (0)
		ROW_CHECK(p.moved_slots, r->moved);
		ROW_CHECK(pw_count_kind(&p, STEP_MEET), r->meet);
		ROW_CHECK(pw_count_kind(&p, STEP_MOVE), r->move);
		ROW_CHECK(pw_count_kind(&p, STEP_FAILOVER), r->failover);
		ROW_CHECK(pw_count_kind(&p, STEP_REPLICATE), r->replicate);
		ROW_CHECK(pw_count_kind(&p, STEP_FORGET), r->forget);
#undef ROW_CHECK
		plan_release(&p);
	}
}

/* 4x1 -> 4x2 -> 4x1 replicas: no slot moves. */
static void test_chain_replicas(void)
{
	int masters[16], list[MAXW], n, orig;
	struct plan p;

	pw_cluster(&pw_world, 4, 1, masters);
	orig = n = pw_list_members(&pw_world, list);
	for (int k = 0; k < 4; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h1" : "h2");
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 4, 2, 0, &p);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(pw_count_kind(&p, STEP_REPLICATE), 4);
	CHECK_INT(pw_count_kind(&p, STEP_MEET), 4);
	/* each new replica on the other host than its master */
	for (int k = 0; k < p.nsteps; k++)
		if (p.steps[k].kind == STEP_REPLICATE) {
			int a = pw_of_node(&pw_world, &p, p.steps[k].node), b = pw_of_node(&pw_world, &p, p.steps[k].peer);
			CHECK(strcmp(pw_world.n[a].hk, pw_world.n[b].hk) != 0);
		}
	plan_release(&p);
	RUN_OK(&pw_world, list, orig, 4, 1, 0, &p);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(p.nsteps, 4); /* 4 forgets */
	plan_release(&p);
}

/* A departing master whose replica stays: failed over, zero bytes move. */
static void test_failover(void)
{
	int masters[16], list[MAXW], n = 0;
	struct plan p;

	pw_cluster(&pw_world, 4, 1, masters);
	for (int i = 0; i < pw_world.nn; i++)
		if (i != masters[0])
			list[n++] = i;
	list[n++] = pw_new(&pw_world, "h1");
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 4, 1, 0, &p);
	printf("master replaced by its replica:\n");
	plan_print(&p, stdout, 0);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(pw_count_kind(&p, STEP_FAILOVER), 1);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET), 1);
	CHECK_INT(pw_count_kind(&p, STEP_REPLICATE), 1);
	plan_release(&p);
}

/* The same with the replica's link down: no failover, the slots migrate. */
static void test_failover_link_down(void)
{
	int masters[16], list[MAXW], n = 0;
	struct plan p;

	pw_cluster(&pw_world, 4, 1, masters);
	for (int i = 0; i < pw_world.nn; i++) {
		if (i != masters[0])
			list[n++] = i;
		if (pw_world.n[i].of == masters[0])
			pw_world.n[i].link_down = 1;
	}
	list[n++] = pw_new(&pw_world, "h1");
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 4, 1, 0, &p);
	CHECK_INT(pw_count_kind(&p, STEP_FAILOVER), 0);
	CHECK_INT(p.moved_slots, 4096);
	plan_release(&p);
}

/* 4x2 -> 6x1 on the same 12 nodes: two replicas become masters (reset and
 * met again); 6x1 -> 4x2: two masters are emptied and become replicas. */
static void test_reshape(void)
{
	int masters[16], list[MAXW], n;
	struct plan p;

	pw_cluster(&pw_world, 4, 2, masters);
	n = pw_list_members(&pw_world, list);
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 6, 1, 0, &p);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET), 2);
	CHECK_INT(pw_count_kind(&p, STEP_MEET), 2);
	printf("4x2 -> 6x1 on the same nodes:\n");
	plan_print(&p, stdout, 0);
	plan_release(&p);
	RUN_OK(&pw_world, list, n, 4, 2, 0, &p);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET), 0);
	CHECK_INT(pw_count_kind(&p, STEP_REPLICATE) >= 2, 1);
	plan_release(&p);
}

/* Pre-upgrade half then post-upgrade half: 5x1 -> 4x1 where the new list
 * also holds two nodes that do not exist yet. */
static void test_evacuate(void)
{
	int masters[16], list[MAXW], n = 0, gone, ghost1, ghost2;
	struct plan p;

	pw_cluster(&pw_world, 5, 1, masters);
	gone = masters[4];
	for (int i = 0; i < pw_world.nn; i++)
		if (i != gone && pw_world.n[i].of != gone)
			list[n++] = i;
	list[n++] = ghost1 = pw_new(&pw_world, "h1");
	list[n++] = ghost2 = pw_new(&pw_world, "h2");
	pw_world.n[ghost1].reachable = pw_world.n[ghost2].reachable = 0;
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 5, 1, 1, &p);
	CHECK_INT(p.moved_slots, 3276);
	CHECK_INT(pw_count(&pw_world, gone), 0);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET) + pw_count_kind(&p, STEP_MEET), 0);
	plan_release(&p);
	/* evacuating again changes nothing */
	RUN_OK(&pw_world, list, n, 5, 1, 1, &p);
	CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	/* the new pods start; the post-upgrade reconcile finishes */
	pw_world.n[ghost1].reachable = pw_world.n[ghost2].reachable = 1;
	RUN_OK(&pw_world, list, n, 5, 1, 0, &p);
	CHECK_INT(pw_count_kind(&p, STEP_FORGET), 2);
	plan_release(&p);
}

/* Evacuation leaves unreachable listed nodes alone: the replica of the
 * departing master is down, so it is neither failed over nor moved. */
static void test_evacuate_unreachable(void)
{
	int masters[16], list[MAXW], n = 0, gone, down = -1;
	struct plan p;

	pw_cluster(&pw_world, 4, 1, masters);
	gone = masters[3];
	for (int i = 0; i < pw_world.nn; i++) {
		if (i == gone || pw_world.n[i].of == masters[0])
			continue;
		list[n++] = i;
		if (pw_world.n[i].of == gone)
			down = i;
	}
	pw_world.n[down].reachable = 0;
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 3, 1, 1, &p);
	CHECK_INT(p.moved_slots, 4096);
	CHECK_INT(pw_count_kind(&p, STEP_FAILOVER) + pw_count_kind(&p, STEP_REPLICATE), 0);
	plan_release(&p);
	/* the reconcile proper refuses until the node is back */
	{
		struct input in;
		struct sc_err e;
		pw_input_build(&in, &pw_world, list, n);
		CHECK_INT(pw_build(&p, &in, 3, 1, 0, &e), -1);
		CHECK(strstr(e.msg, "cannot reach listed node") != NULL);
		pw_input_release(&in);
	}
	pw_world.n[down].reachable = 1;
	RUN_OK(&pw_world, list, n, 3, 1, 0, &p);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(pw_count_kind(&p, STEP_REPLICATE), 1);
	plan_release(&p);
}

/* A fragmented move prints its first ranges and their count. */
/* The plan printed for people, then as JSON, in one string (free it). */
static char *both_texts(const struct plan *p)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	plan_print(p, f, 0);
	plan_print(p, f, 1);
	fclose(f);
	return buf;
}

static void test_print_fragmented(void)
{
	int masters[16], list[MAXW], n;
	struct plan p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	pw_cluster(&pw_world, 4, 0, masters);
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		pw_world.owner[s] = masters[s % 4];
	n = pw_list_members(&pw_world, list);
	list[n++] = pw_new(&pw_world, "h1");
	memset(&p, 0, sizeof(p));
	RUN_OK(&pw_world, list, n, 5, 0, 0, &p);
	f = open_memstream(&buf, &len);
	plan_print(&p, f, 0);
	fclose(f);
	CHECK(strstr(buf, ",... (819 ranges)") != NULL);
	CHECK(strstr(buf, "summary: 3276 slots to move in 4 moves; 1 node joining, 0 leaving") != NULL);
	CHECK(strstr(buf, "(round 1)") != NULL);
	CHECK(strstr(buf, "slots move by the legacy protocol") != NULL);
	free(buf);
	/* the caller says the moves are atomic: every move says so, no round */
	p.atomic_moves = PLAN_MOVES_VALKEY;
	buf = both_texts(&p);
	CHECK(strstr(buf, "(round ") == NULL);
	CHECK(strstr(buf, "(atomic): ") != NULL);
	CHECK(strstr(buf, "slots move by atomic slot migration") != NULL);
	CHECK(strstr(buf, "\"method\":\"atomic\"") != NULL);
	CHECK(strstr(buf, "\"method\":\"legacy\"") == NULL);
	CHECK(strstr(buf, "\"family\":\"valkey\"") != NULL);
	free(buf);
	/* Redis's family: said in the summary and per move in JSON */
	p.atomic_moves = PLAN_MOVES_REDIS;
	buf = both_texts(&p);
	CHECK(strstr(buf, "(atomic): ") != NULL);
	CHECK(strstr(buf, "(Redis CLUSTER MIGRATION), a node in one task at a time") != NULL);
	CHECK(strstr(buf, "\"method\":\"atomic\",\"family\":\"redis\"") != NULL);
	free(buf);
	plan_release(&p);
}

static void test_converged_and_empty(void)
{
	int masters[16], list[MAXW], n;
	struct input in;
	struct plan p;
	struct sc_err e;

	pw_cluster(&pw_world, 7, 2, masters);
	n = pw_list_members(&pw_world, list);
	pw_input_build(&in, &pw_world, list, n);
	CHECK_INT(pw_build(&p, &in, 7, 2, 0, &e), 0);
	CHECK_INT(p.nsteps, 0);
	CHECK_INT(p.no_cluster, 0);
	plan_release(&p);
	CHECK_INT(pw_build(&p, &in, 7, 2, 1, &e), 0);
	CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	in.t.n = 0;
	CHECK_INT(pw_build(&p, &in, 7, 2, 0, &e), 0);
	CHECK_INT(p.no_cluster, 1);
	CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	pw_input_release(&in);
}

struct refusal {
	const char *name;
	int S, R, evac;
	void (*setup)(struct world *w, int *list, int *n);
	const char *words; /* expected in the message */
};

static void r_none(struct world *w, int *list, int *n) { (void)w; (void)list; (void)n; }
static void r_no_member(struct world *w, int *list, int *n)
{
	*n = 0;
	for (int k = 0; k < 8; k++)
		list[(*n)++] = pw_new(w, "h1");
}
static void r_keys(struct world *w, int *list, int *n)
{
	int x = pw_new(w, "h1");
	w->n[x].keys = 1;
	list[(*n)++] = x;
}
static void r_few(struct world *w, int *list, int *n) { (void)w; (void)list; *n -= 1; }
static void r_unreachable_master(struct world *w, int *list, int *n)
{
	(void)list;
	(void)n;
	w->n[0].reachable = 0;
}
static void r_unreachable_departing(struct world *w, int *list, int *n)
{
	w->n[3].reachable = 0; /* master 3 and its replica leave */
	*n = 0;
	for (int i = 0; i < w->nn; i++)
		if (i != 3 && w->n[i].of != 3)
			list[(*n)++] = i;
}
static void r_unreachable_listed(struct world *w, int *list, int *n)
{
	(void)list;
	(void)n;
	w->n[5].reachable = 0; /* a replica */
}
static void r_unreachable_new(struct world *w, int *list, int *n)
{
	int x = pw_new(w, "h1");
	w->n[x].reachable = 0;
	list[(*n)++] = x;
}
static void r_uncovered(struct world *w, int *list, int *n)
{
	(void)list;
	(void)n;
	pw_assign(w, 100, 199, -1);
}
static void r_evac_nowhere(struct world *w, int *list, int *n)
{
	*n = 0;
	for (int k = 0; k < 4; k++) /* only replicas, their masters departing */
		w->n[4 + k].reachable = 1;
	list[(*n)++] = 4;
	w->n[0].of = -1;
	w->n[4].of = -1; /* a replica without a master */
	for (int k = 0; k < 3; k++)
		list[(*n)++] = pw_new(w, "h2");
}

static const struct refusal refusals[] = {
	{ "two shards", 2, 1, 0, r_none, "at least 3" },
	{ "negative replicas", 4, -1, 0, r_none, "--replicas 0 or more" },
	{ "too many shards", 20000, 0, 0, r_none, "too many" },
	{ "no member listed", 4, 1, 0, r_no_member, "none of the 8 listed nodes" },
	{ "new node with keys", 4, 1, 0, r_keys, "is not empty" },
	{ "new node with keys, evacuate", 4, 1, 1, r_keys, "is not empty" },
	{ "too few nodes", 4, 1, 0, r_few, "need 8" },
	{ "too few nodes for 5x2", 5, 2, 0, r_none, "need 15" },
	{ "too many nodes", 3, 1, 0, r_none, "use exactly 6; remove 2 nodes" },
	{ "unreachable master", 4, 1, 0, r_unreachable_master, "owns 4096 slots but is unreachable" },
	{ "unreachable master, evacuate", 4, 1, 1, r_unreachable_master, "unreachable" },
	{ "unreachable departing master", 3, 1, 0, r_unreachable_departing, "departing master" },
	{ "unreachable listed replica", 4, 1, 0, r_unreachable_listed, "cannot reach" },
	{ "unreachable new node", 4, 1, 0, r_unreachable_new, "cannot reach" },
	{ "uncovered slots", 4, 1, 0, r_uncovered, "slots 100-199 are not covered" },
	{ "evacuate with no master to take", 4, 1, 1, r_evac_nowhere, "no listed master" },
};

static void test_refusals(void)
{
	for (size_t k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++) {
		const struct refusal *r = &refusals[k];
		int masters[16], list[MAXW], n;
		struct input in;
		struct plan p;
		struct sc_err e;
		pw_cluster(&pw_world, 4, 1, masters);
		n = pw_list_members(&pw_world, list);
		r->setup(&pw_world, list, &n);
		pw_input_build(&in, &pw_world, list, n);
		CHECK_INT(pw_build(&p, &in, r->S, r->R, r->evac, &e), -1);
		CHECK_INT(e.kind, ERR_REFUSED);
		CHECK_INT(p.nsteps, 0);
		if (!strstr(e.msg, r->words)) {
			fprintf(stderr, "refusal '%s': message '%s' lacks '%s'\n", r->name, e.msg, r->words);
			CHECK(0);
		}
		printf("refused (%s): %s\n", r->name, e.msg);
		plan_release(&p);
		pw_input_release(&in);
	}
}

/* Open and conflicting slots: refused, pointing at `shardctl fix`. */
static void test_refusals_fix(void)
{
	int masters[16], list[MAXW], n;
	struct input in;
	struct plan p;
	struct sc_err e;
	struct open_slot o = { 5, OPEN_MIGRATING, "" };

	pw_cluster(&pw_world, 4, 1, masters);
	n = pw_list_members(&pw_world, list);
	pw_input_build(&in, &pw_world, list, n);
	in.t.m[1].n.open = &o;
	in.t.m[1].n.nopen = 1;
	CHECK_INT(pw_build(&p, &in, 4, 1, 0, &e), -1);
	/* migrating to a node nobody knows: not a move reconcile can finish */
	CHECK(strstr(e.msg, "slot 5 is left open") && strstr(e.msg, "shardctl fix"));
	printf("refused (open slot): %s\n", e.msg);
	in.t.m[1].n.nopen = 0;
	in.t.nconflicts = 3;
	CHECK_INT(pw_build(&p, &in, 4, 1, 0, &e), -1);
	CHECK(strstr(e.msg, "claimed by two masters") && strstr(e.msg, "shardctl fix"));
	pw_input_release(&in);
}

/* Slots a killed run left open: the plan is the FINISH steps alone (one per
 * pair, ranges merged), then the rest is planned (planner.h, RESUMING). */
static void test_resume(void)
{
	int masters[16], list[MAXW], n, src, dst;
	struct input in;
	struct plan p;
	struct sc_err e;
	struct open_slot mig[3], imp[3];
	long long left[CLUSTER_SLOTS] = { 0 };

	pw_cluster(&pw_world, 4, 1, masters);
	n = pw_list_members(&pw_world, list);
	pw_input_build(&in, &pw_world, list, n);
	src = in.map[masters[0]];
	dst = in.map[masters[1]];
	/* slots 10-11 half moved (both marks), 12 only marked on the target */
	for (int k = 0; k < 3; k++) {
		mig[k] = (struct open_slot){ 10 + k, OPEN_MIGRATING, "" };
		imp[k] = (struct open_slot){ 10 + k, OPEN_IMPORTING, "" };
		memcpy(mig[k].peer, in.t.m[dst].n.id, NODE_ID_LEN + 1);
		memcpy(imp[k].peer, in.t.m[src].n.id, NODE_ID_LEN + 1);
	}
	CHECK_INT(in.t.owner[10], src);
	in.t.m[src].n.open = mig;
	in.t.m[src].n.nopen = 2;
	in.t.m[dst].n.open = imp;
	in.t.m[dst].n.nopen = 3;
	CHECK_INT(pw_build(&p, &in, 4, 1, 0, &e), 0);
	CHECK_INT(p.then_replan, 1);
	CHECK_INT(p.nsteps, 1);
	CHECK_INT(p.finish_slots, 3);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(p.steps[0].kind, STEP_FINISH);
	CHECK_INT(p.steps[0].nranges, 1);
	CHECK_INT(p.steps[0].ranges[0].first, 10);
	CHECK_INT(p.steps[0].ranges[0].last, 12);
	CHECK_INT(p.steps[0].successor, 0);
	CHECK_INT(strcmp(p.nodes[p.steps[0].node].id, in.t.m[src].n.id), 0);
	CHECK_INT(strcmp(p.nodes[p.steps[0].peer].id, in.t.m[dst].n.id), 0);
	plan_print(&p, stdout, 0);
	plan_release(&p);

	/* killed between SETSLOT NODE on the target and on the source: the
	 * target owns slot 10; closing is fine only with no key left behind */
	in.t.m[dst].n.nopen = 0;
	in.t.m[src].n.nopen = 1;
	in.t.owner[10] = dst;
	CHECK_INT(pw_build(&p, &in, 4, 1, 0, &e), 0);
	CHECK_INT(p.nsteps, 1);
	CHECK_INT(p.steps[0].kind, STEP_FINISH);
	plan_release(&p);
	left[10] = 3;
	{
		struct plan_input pi = { .t = &in.t, .want = in.want, .nwant = in.nwant, .shards = 4,
					  .replicas = 1, .closing_keys = left };
		err_clear(&e);
		CHECK_INT(plan_build(&p, &pi, &e), -1);
		CHECK_INT(e.kind, ERR_FAIL);
		CHECK(strstr(e.msg, "slot 10 is left open") && strstr(e.msg, "shardctl fix"));
		printf("refused (keys left behind): %s\n", e.msg);
	}
	in.t.owner[10] = src;

	/* the target cannot be reached and nobody took its place: named */
	in.t.m[dst].reachable = 0;
	CHECK_INT(pw_build(&p, &in, 4, 1, 0, &e), -1);
	CHECK_INT(e.kind, ERR_FAIL);
	CHECK(strstr(e.msg, "slot 10 is left open") && strstr(e.msg, "cannot be reached"));
	printf("refused (target down): %s\n", e.msg);
	in.t.m[dst].reachable = 1;
	in.t.m[src].n.nopen = 0;
	pw_input_release(&in);
}

/* Replicas avoid their master's hostkey when another exists: masters on h1
 * and h2, every node placed so that a perfect placement exists. */
static void test_hostkeys(void)
{
	int masters[16], list[MAXW], n;

	pw_cluster(&pw_world, 4, 1, masters);
	n = pw_list_members(&pw_world, list);
	for (int k = 0; k < 4; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h2" : "h1");
	RUN_OK(&pw_world, list, n, 6, 1, 0, NULL);
	RUN_OK(&pw_world, list, n, 4, 2, 0, NULL);
	RUN_OK(&pw_world, list, n, 3, 3, 0, NULL);
	for (int i = 0; i < pw_world.nn; i++)
		if (pw_world.n[i].member && !pw_world.n[i].master && pw_world.n[i].of >= 0 &&
		    strcmp(pw_world.n[i].hk, pw_world.n[pw_world.n[i].of].hk) == 0) {
			int same = 0, other = 0;
			/* allowed only when the master has more replicas than
			 * the other host can hold: 3 replicas over 2 hosts */
			for (int j = 0; j < pw_world.nn; j++)
				if (pw_world.n[j].member && !pw_world.n[j].master && pw_world.n[j].of == pw_world.n[i].of)
					*(strcmp(pw_world.n[j].hk, pw_world.n[pw_world.n[i].of].hk) == 0 ? &same : &other) += 1;
			CHECK(other >= same);
		}
}

/* New masters go to the hostkey holding the fewest masters: three masters
 * and their replicas on h1, new nodes on h1 and h2, one more shard: the h2
 * node becomes the master, the h1 node its replica. */
static void test_master_spread(void)
{
	int masters[4], list[MAXW], n, other;
	struct world *w = &pw_world;

	memset(w, 0, sizeof(*w));
	w->idseed = 7;
	for (int k = 0; k < 3; k++)
		masters[k] = pw_master(w, "h1");
	for (int k = 0; k < 3; k++)
		pw_replica(w, masters[k], "h1");
	pw_even(w, masters, 3);
	n = pw_list_members(w, list);
	list[n++] = other = pw_new(w, "h1");
	list[n++] = masters[3] = pw_new(w, "h2");
	RUN_OK(w, list, n, 4, 1, 0, NULL);
	CHECK_INT(w->n[masters[3]].master, 1);
	CHECK(pw_count(w, masters[3]) == 4096);
	CHECK_INT(w->n[other].of, masters[3]);
}

/* ---- captured replies, through the real parser ------------------------- */

/* topo from captured CLUSTER NODES replies (names[] without ".txt") */
static int fixture_topo(struct topo *t, const char *const *names, int n)
{
	struct view v[8];
	struct sc_err e;
	int rc = -1, nv = 0;

	memset(v, 0, sizeof(v));
	for (; nv < n; nv++) {
		char *text = fixture_read(names[nv]);
		int bad = !text || view_parse(&v[nv], text, &e) < 0;
		free(text);
		if (bad) {
			fprintf(stderr, "fixture '%s' cannot be read (run from the repository root)\n", names[nv]);
			goto out;
		}
	}
	rc = topo_build(t, v, n, &e);
	if (rc < 0)
		fprintf(stderr, "topo_build: %s\n", e.msg);
out:
	for (int k = 0; k < nv; k++)
		view_release(&v[k]);
	return rc;
}

static void want_addr(struct want_node *w, const struct topo *t, int port, const char *hostkey)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->addr.host, sizeof(w->addr.host), "127.0.1.1");
	w->addr.port = port;
	snprintf(w->hostkey, sizeof(w->hostkey), "%s", hostkey);
	w->member = topo_find_addr(t, "127.0.1.1", port);
	w->reachable = 1;
	w->empty = w->member < 0;
	if (w->member >= 0)
		snprintf(w->id, sizeof(w->id), "%s", t->m[w->member].n.id);
	else
		snprintf(w->id, sizeof(w->id), "%040d", port);
}

/* The 3x1 cluster captured from redis-server 7.0 (6 views): converged as
 * listed; 3x1 -> 4x1 with two new nodes; the failed-master capture is
 * refused (its master owns slots and cannot be reached). */
static void test_fixtures(void)
{
	static const char *const healthy[] = { "healthy.1", "healthy.2", "healthy.3",
					       "healthy.4", "healthy.5", "healthy.6" };
	static const char *const failed[] = { "failed-master.1" };
	struct want_node w[8];
	struct plan_input in;
	struct topo t;
	struct plan p;
	struct sc_err e;

	memset(&t, 0, sizeof(t));
	if (fixture_topo(&t, healthy, 6) < 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(t.n, 6);
	for (int k = 0; k < 6; k++)
		want_addr(&w[k], &t, 26260 + k, "127.0.1.1");
	memset(&in, 0, sizeof(in));
	in.t = &t;
	in.want = w;
	in.nwant = 6;
	in.shards = 3;
	in.replicas = 1;
	CHECK_INT(plan_build(&p, &in, &e), 0);
	CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	want_addr(&w[6], &t, 26266, "127.0.1.1");
	want_addr(&w[7], &t, 26267, "127.0.1.1");
	in.nwant = 8;
	in.shards = 4;
	CHECK_INT(plan_build(&p, &in, &e), 0);
	CHECK_INT(p.moved_slots, 4096);
	CHECK_INT(pw_count_kind(&p, STEP_MEET), 2);
	CHECK_INT(pw_count_kind(&p, STEP_MOVE), 3);
	CHECK_INT(pw_count_kind(&p, STEP_REPLICATE), 1);
	CHECK(pw_print_both(&p));
	printf("captured 3x1 -> 4x1:\n");
	plan_print(&p, stdout, 0);
	plan_release(&p);
	topo_release(&t);

	memset(&t, 0, sizeof(t));
	if (fixture_topo(&t, failed, 1) < 0) {
		CHECK(0);
		return;
	}
	for (int k = 0; k < 6; k++)
		want_addr(&w[k], &t, 26260 + k, "127.0.1.1");
	in.nwant = 6;
	in.shards = 3;
	CHECK_INT(plan_build(&p, &in, &e), -1);
	CHECK(strstr(e.msg, "slots but is unreachable") != NULL);
	printf("refused (captured failed master): %s\n", e.msg);
	topo_release(&t);
}

int main(void)
{
	test_table();
	test_scale_out_4_to_5();
	test_move_whole_cluster();
	test_scale_in_5_to_4();
	test_chain_shards();
	test_chain_replicas();
	test_failover();
	test_failover_link_down();
	test_reshape();
	test_evacuate();
	test_evacuate_unreachable();
	test_ranges_10_13();
	test_converged_and_empty();
	test_print_fragmented();
	test_refusals();
	test_refusals_fix();
	test_resume();
	test_hostkeys();
	test_fixtures();
	test_master_spread();
	return UNIT_DONE("plan");
}
