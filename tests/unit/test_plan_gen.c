/* The reconcile planner on generated topologies (random shard and replica
 * counts, even, uneven and fragmented slot maps, empty masters, departing
 * masters with and without staying replicas, dead departing nodes, replicas
 * with their link down, new nodes, several hostkeys, evacuations first),
 * every plan checked by plan_world.h's run_case; then 1000-node clusters,
 * whose planning time is printed (not asserted).
 * Usage: test_plan_gen [CASES] (default 1500, a few seconds under ASan). */
#include "base/clock.h"
#include "plan_world.h"

static const char *host_name(int k)
{
	static const char *names[] = { "h1", "h2", "h3", "h4", "h5" };
	return names[k % 5];
}

static void gen_world(struct world *w, int *list, int *nlist, int *S, int *R, int *evac)
{
	int big = rnd() % 10 == 0; /* now and then up to 30 shards */
	int masters[64], nm, S0 = 3 + (int)(rnd() % (big ? 28 : 8)), R0 = (int)(rnd() % 3), H = 1 + (int)(rnd() % 4);
	int mode = (int)(rnd() % 3), n = 0, need, any = 0;

	memset(w, 0, sizeof(*w));
	w->idseed = rnd();
	for (nm = 0; nm < S0; nm++)
		masters[nm] = w_master(w, host_name((int)rnd() % H));
	for (int k = 0; k < S0; k++)
		for (int r = 0; r < R0; r++)
			w_replica(w, masters[k], host_name((int)rnd() % H));
	for (int i = 0; i < w->nn; i++)
		w->n[i].link_down = !w->n[i].master && rnd() % 8 == 0;
	if (rnd() % 5 == 0) /* an empty master left by an interrupted join */
		w_master(w, host_name((int)rnd() % H));
	if (mode == 0) {
		w_even(w, masters, nm);
	} else if (mode == 1) {
		int cuts[64];
		for (int k = 0; k < nm - 1; k++)
			cuts[k] = 1 + (int)((rnd() * 32768u + rnd()) % (CLUSTER_SLOTS - 1));
		for (int a = 1; a < nm - 1; a++)
			for (int b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
				int x = cuts[b];
				cuts[b] = cuts[b - 1];
				cuts[b - 1] = x;
			}
		for (int k = 0, s = 0; k < nm; k++) {
			int end = k < nm - 1 ? cuts[k] : CLUSTER_SLOTS;
			if (end > s)
				w_assign(w, s, end - 1, masters[k]);
			s = end > s ? end : s;
		}
	} else {
		for (int s = 0; s < CLUSTER_SLOTS;) {
			int len = 1 + (int)(rnd() % 1500), m = masters[rnd() % nm];
			if (s + len > CLUSTER_SLOTS)
				len = CLUSTER_SLOTS - s;
			w_assign(w, s, s + len - 1, m);
			s += len;
		}
	}
	*S = 3 + (int)(rnd() % (big ? 28 : 8));
	*R = (int)(rnd() % 3);
	*evac = rnd() % 4 == 0;
	for (int i = 0; i < w->nn; i++) {
		if (rnd() % 4 != 0) {
			list[n++] = i;
			any |= 1;
		} else if (!w->n[i].master || w_count(w, i) == 0) {
			w->n[i].reachable = rnd() % 4 != 0; /* a dead departing node */
		}
	}
	if (!any)
		list[n++] = masters[0];
	need = *S * (1 + *R);
	while (n > need) { /* exactly S*(1+R) listed; list[0] is a member */
		int k = 1 + (int)(rnd() % (unsigned)(n - 1));
		list[k] = list[--n];
	}
	while (n < need)
		list[n++] = w_new(w, host_name((int)rnd() % H));
	*nlist = n;
}

static void test_generated(int cases)
{
	memset(&stats, 0, sizeof(stats));
	int list[MAXW], n, S, R, evac, bad = 0, evacs = 0;

	for (int c = 0; c < cases; c++) {
		unsigned seed = 1000u + (unsigned)c;
		rnd_state = seed;
		gen_world(&W, list, &n, &S, &R, &evac);
		if (evac) {
			evacs++;
			if (run_case(&W, list, n, S, R, 1, NULL) < 0) {
				fprintf(stderr, "generated case %u (evacuate, %d shards, %d replicas): %s\n",
					seed, S, R, why);
				bad++;
				continue;
			}
		}
		if (run_case(&W, list, n, S, R, 0, NULL) < 0) {
			fprintf(stderr, "generated case %u (%d shards, %d replicas, %d nodes): %s\n",
				seed, S, R, n, why);
			bad++;
		}
	}
	printf("generated: %d cases (%d with an evacuation first), %d bad\n", cases, evacs, bad);
	printf("  %d plans: %d meet, %d wait, %d move, %d failover, %d replicate, %d forget "
	       "(%d resets of replicas into masters); %d slots moved; at most %d ranges per master\n",
	       stats.plans, stats.steps[STEP_MEET], stats.steps[STEP_WAIT], stats.steps[STEP_MOVE],
	       stats.steps[STEP_FAILOVER], stats.steps[STEP_REPLICATE], stats.steps[STEP_FORGET],
	       stats.resets, stats.moved, stats.max_ranges);
	CHECK_INT(bad, 0);
}

/* 1000 nodes (500 masters + 500 replicas) -> 600 masters with one replica
 * (200 new nodes): planned and checked; the time is printed, not asserted. */
static void test_large(void)
{
	static int masters[600];
	int list[MAXW], n;
	struct plan p;
	struct input in;
	struct sc_err e;
	struct timespec a, b;

	w_cluster(&W, 500, 1, masters);
	n = list_members(&W, list);
	for (int k = 0; k < 200; k++)
		list[n++] = w_new(&W, k % 2 ? "h2" : "h1");
	input_build(&in, &W, list, n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(build(&p, &in, 600, 1, 0, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("plan 500x1 -> 600x1 (1200 nodes): %.2f ms, %d steps, %d moves, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, p.nsteps,
	       count_kind(&p, STEP_MOVE), p.moved_slots);
	plan_release(&p);
	input_release(&in);
	RUN_OK(&W, list, n, 600, 1, 0, NULL);
	/* and back to 500 */
	n = 1000;
	input_build(&in, &W, list, n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(build(&p, &in, 500, 1, 0, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("plan 600x1 -> 500x1 (1000 nodes kept): %.2f ms, %d steps, %d moves, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, p.nsteps,
	       count_kind(&p, STEP_MOVE), p.moved_slots);
	plan_release(&p);
	/* the pre-upgrade half of the same change */
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(build(&p, &in, 500, 1, 1, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("evacuate 600x1 -> 500x1: %.2f ms, %d steps, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, p.nsteps,
	       p.moved_slots);
	plan_release(&p);
	input_release(&in);
	RUN_OK(&W, list, n, 500, 1, 0, NULL);

	/* the worst shape for range handling: slot s on master s % 500 */
	w_cluster(&W, 500, 1, masters);
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		W.owner[s] = masters[s % 500];
	n = list_members(&W, list);
	for (int k = 0; k < 200; k++)
		list[n++] = w_new(&W, k % 2 ? "h2" : "h1");
	input_build(&in, &W, list, n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(build(&p, &in, 600, 1, 0, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("plan 500x1 -> 600x1, every slot its own range: %.2f ms, %d moves, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6,
	       count_kind(&p, STEP_MOVE), p.moved_slots);
	plan_release(&p);
	input_release(&in);
	RUN_OK(&W, list, n, 600, 1, 0, NULL);
	RUN_OK(&W, list, 1000, 4, 249, 0, NULL); /* 596 masters emptied */
}

/* Damaged input (random flags, masters, owners, list entries): plan_build
 * refuses or returns a plan whose indices are all in range; never a crash
 * (ASan/UBSan builds run this too). */
static void test_garbage(int cases)
{
	int refused = 0, planned = 0, bad = 0;

	for (int c = 0; c < cases; c++) {
		struct topo t;
		struct want_node want[24];
		struct plan_input in;
		struct plan p;
		struct sc_err e;
		int n = 1 + (int)(rnd() % 12), nw = (int)(rnd() % 24);

		rnd_state = 5000u + (unsigned)c;
		memset(&t, 0, sizeof(t));
		t.m = calloc((size_t)n, sizeof(*t.m));
		t.n = n;
		for (int i = 0; i < n; i++) {
			struct member *m = &t.m[i];
			snprintf(m->n.id, sizeof(m->n.id), "%040u", rnd() % 16);
			snprintf(m->n.ip, sizeof(m->n.ip), "%s", rnd() % 8 ? "127.0.0.1" : "");
			m->n.port = 7000 + (int)(rnd() % 20);
			m->n.flags = rnd() & 0xff;
			m->master = (int)(rnd() % (unsigned)(n + 2)) - 1;
			m->reachable = rnd() % 4 != 0;
			m->repl_link_up = (int)(rnd() % 3) - 1;
		}
		for (int s = 0; s < CLUSTER_SLOTS; s++)
			t.owner[s] = rnd() % 50 ? (s ? t.owner[s - 1] : 0)
						: (int)(rnd() % (unsigned)n) - (rnd() % 200 == 0);
		t.nconflicts = rnd() % 50 == 0;
		for (int k = 0; k < 24; k++) { /* all: nw may grow below */
			memset(&want[k], 0, sizeof(want[k]));
			snprintf(want[k].addr.host, sizeof(want[k].addr.host), "127.0.0.1");
			want[k].addr.port = 7000 + (int)(rnd() % 30);
			snprintf(want[k].hostkey, sizeof(want[k].hostkey), "h%u", rnd() % 3);
			want[k].member = k < n && rnd() % 5 ? k
					 : rnd() % 8 ? -1 : (int)(rnd() % (unsigned)(n + 4)) - 3;
			want[k].reachable = rnd() % 30 != 0;
			want[k].empty = rnd() % 30 != 0;
		}
		memset(&in, 0, sizeof(in));
		in.t = &t;
		in.want = want;
		in.nwant = nw;
		in.shards = 2 + (int)(rnd() % 5);
		in.replicas = (int)(rnd() % 3) - (rnd() % 10 == 0);
		in.evacuate_only = rnd() % 3 == 0;
		for (int i = 0; i < n; i++)
			if (rnd() % 3)
				t.m[i].reachable = 1;
		if (rnd() % 2) /* often a list of exactly S*(1+R) */
			nw = in.shards * (1 + (in.replicas > 0 ? in.replicas : 0)) < 24 ?
				in.shards * (1 + (in.replicas > 0 ? in.replicas : 0)) : nw;
		in.nwant = nw;
		if (plan_build(&p, &in, &e) < 0) {
			if (refused < 3 || getenv("PLAN_GARBAGE_VERBOSE"))
				printf("  refused: %s\n", e.msg);
			refused++;
		} else {
			planned++;
			for (int k = 0; k < p.nsteps; k++) {
				const struct step *st = &p.steps[k];
				if ((st->kind != STEP_WAIT && (st->node < 0 || st->node >= p.nnodes)) ||
				    st->peer >= p.nnodes || st->nslots < 0)
					bad++;
			}
			print_both(&p);
			plan_release(&p);
		}
		free(t.m);
	}
	printf("damaged input: %d cases, %d refused, %d planned, %d bad\n", cases, refused, planned, bad);
	CHECK_INT(bad, 0);
}

int main(int argc, char **argv)
{
	int cases = argc > 1 ? atoi(argv[1]) : 1500;

	test_generated(cases);
	test_garbage(cases);
	test_large();
	return UNIT_DONE("plan_gen");
}
