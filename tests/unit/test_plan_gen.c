/* The reconcile planner on generated topologies (random shard and replica
 * counts, even, uneven and fragmented slot maps, empty masters, departing
 * masters with and without staying replicas, dead departing nodes, replicas
 * with their link down, new nodes, several hostkeys, evacuations first),
 * every plan checked by plan_world.h's run_case; then 1000-node clusters,
 * whose planning time is printed (not asserted).
 * Usage: test_plan_gen [CASES] (default 1500, a few seconds under ASan). */
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "support/plan_world.h"
#include "unit.h"

static const char *host_name(int k)
{
	static const char *names[] = { "h1", "h2", "h3", "h4", "h5" };
	return names[k % 5];
}

static void gen_world(struct world *w, int *list, int *nlist, int *S, int *R, int *evac)
{
	int big = pw_rnd() % 10 == 0; /* now and then up to 30 shards */
	int masters[64], nm, S0 = 3 + (int)(pw_rnd() % (big ? 28 : 8)), R0 = (int)(pw_rnd() % 3), H = 1 + (int)(pw_rnd() % 4);
	int mode = (int)(pw_rnd() % 3), n = 0, need, any = 0;

	memset(w, 0, sizeof(*w));
	w->idseed = pw_rnd();
	for (nm = 0; nm < S0; nm++)
		masters[nm] = pw_master(w, host_name((int)pw_rnd() % H));
	for (int k = 0; k < S0; k++)
		for (int r = 0; r < R0; r++)
			pw_replica(w, masters[k], host_name((int)pw_rnd() % H));
	for (int i = 0; i < w->nn; i++)
		w->n[i].link_down = !w->n[i].master && pw_rnd() % 8 == 0;
	if (pw_rnd() % 5 == 0) /* an empty master left by an interrupted join */
		pw_master(w, host_name((int)pw_rnd() % H));
	if (mode == 0) {
		pw_even(w, masters, nm);
	} else if (mode == 1) {
		int cuts[64];
		for (int k = 0; k < nm - 1; k++)
			cuts[k] = 1 + (int)((pw_rnd() * 32768u + pw_rnd()) % (CLUSTER_SLOTS - 1));
		for (int a = 1; a < nm - 1; a++)
			for (int b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
				int x = cuts[b];
				cuts[b] = cuts[b - 1];
				cuts[b - 1] = x;
			}
		for (int k = 0, s = 0; k < nm; k++) {
			int end = k < nm - 1 ? cuts[k] : CLUSTER_SLOTS;
			if (end > s)
				pw_assign(w, s, end - 1, masters[k]);
			s = end > s ? end : s;
		}
	} else {
		for (int s = 0; s < CLUSTER_SLOTS;) {
			int len = 1 + (int)(pw_rnd() % 1500), m = masters[pw_rnd() % nm];
			if (s + len > CLUSTER_SLOTS)
				len = CLUSTER_SLOTS - s;
			pw_assign(w, s, s + len - 1, m);
			s += len;
		}
	}
	*S = 3 + (int)(pw_rnd() % (big ? 28 : 8));
	*R = (int)(pw_rnd() % 3);
	*evac = pw_rnd() % 4 == 0;
	for (int i = 0; i < w->nn; i++) {
		if (pw_rnd() % 4 != 0) {
			list[n++] = i;
			any |= 1;
		} else if (!w->n[i].master || pw_count(w, i) == 0) {
			w->n[i].reachable = pw_rnd() % 4 != 0; /* a dead departing node */
		}
	}
	if (!any)
		list[n++] = masters[0];
	need = *S * (1 + *R);
	while (n > need) { /* exactly S*(1+R) listed; list[0] is a member */
		int k = 1 + (int)(pw_rnd() % (unsigned)(n - 1));
		list[k] = list[--n];
	}
	while (n < need)
		list[n++] = pw_new(w, host_name((int)pw_rnd() % H));
	*nlist = n;
}

static void test_generated(int cases)
{
	memset(&pw_stats, 0, sizeof(pw_stats));
	int list[MAXW], n, S, R, evac, bad = 0, evacs = 0;

	for (int c = 0; c < cases; c++) {
		unsigned seed = 1000u + (unsigned)c;
		pw_rnd_state = seed;
		gen_world(&pw_world, list, &n, &S, &R, &evac);
		if (evac) {
			evacs++;
			if (pw_run_case(&pw_world, list, n, S, R, 1, NULL) < 0) {
				fprintf(stderr, "generated case %u (evacuate, %d shards, %d replicas): %s\n",
					seed, S, R, pw_why);
				bad++;
				continue;
			}
		}
		if (pw_run_case(&pw_world, list, n, S, R, 0, NULL) < 0) {
			fprintf(stderr, "generated case %u (%d shards, %d replicas, %d nodes): %s\n",
				seed, S, R, n, pw_why);
			bad++;
		}
	}
	printf("generated: %d cases (%d with an evacuation first), %d bad\n", cases, evacs, bad);
	printf("  %d plans: %d meet, %d wait, %d move, %d failover, %d replicate, %d forget "
	       "(%d resets of replicas into masters); %d slots moved; at most %d ranges per master\n",
	       pw_stats.plans, pw_stats.steps[STEP_MEET], pw_stats.steps[STEP_WAIT], pw_stats.steps[STEP_MOVE],
	       pw_stats.steps[STEP_FAILOVER], pw_stats.steps[STEP_REPLICATE], pw_stats.steps[STEP_FORGET],
	       pw_stats.resets, pw_stats.moved, pw_stats.max_ranges);
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

	pw_cluster(&pw_world, 500, 1, masters);
	n = pw_list_members(&pw_world, list);
	for (int k = 0; k < 200; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h2" : "h1");
	pw_input_build(&in, &pw_world, list, n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(pw_build(&p, &in, 600, 1, 0, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("plan 500x1 -> 600x1 (1200 nodes): %.2f ms, %d steps, %d moves, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, p.nsteps,
	       pw_count_kind(&p, STEP_MOVE), p.moved_slots);
	plan_release(&p);
	pw_input_release(&in);
	RUN_OK(&pw_world, list, n, 600, 1, 0, NULL);
	/* and back to 500 */
	n = 1000;
	pw_input_build(&in, &pw_world, list, n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(pw_build(&p, &in, 500, 1, 0, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("plan 600x1 -> 500x1 (1000 nodes kept): %.2f ms, %d steps, %d moves, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, p.nsteps,
	       pw_count_kind(&p, STEP_MOVE), p.moved_slots);
	plan_release(&p);
	/* the pre-upgrade half of the same change */
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(pw_build(&p, &in, 500, 1, 1, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("evacuate 600x1 -> 500x1: %.2f ms, %d steps, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, p.nsteps,
	       p.moved_slots);
	plan_release(&p);
	pw_input_release(&in);
	RUN_OK(&pw_world, list, n, 500, 1, 0, NULL);

	/* the worst shape for range handling: slot s on master s % 500 */
	pw_cluster(&pw_world, 500, 1, masters);
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		pw_world.owner[s] = masters[s % 500];
	n = pw_list_members(&pw_world, list);
	for (int k = 0; k < 200; k++)
		list[n++] = pw_new(&pw_world, k % 2 ? "h2" : "h1");
	pw_input_build(&in, &pw_world, list, n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(pw_build(&p, &in, 600, 1, 0, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("plan 500x1 -> 600x1, every slot its own range: %.2f ms, %d moves, %d slots moved\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6,
	       pw_count_kind(&p, STEP_MOVE), p.moved_slots);
	plan_release(&p);
	pw_input_release(&in);
	RUN_OK(&pw_world, list, n, 600, 1, 0, NULL);
	RUN_OK(&pw_world, list, 1000, 4, 249, 0, NULL); /* 596 masters emptied */
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
		int n = 1 + (int)(pw_rnd() % 12), nw = (int)(pw_rnd() % 24);

		pw_rnd_state = 5000u + (unsigned)c;
		memset(&t, 0, sizeof(t));
		t.m = calloc((size_t)n, sizeof(*t.m));
		t.n = n;
		for (int i = 0; i < n; i++) {
			struct member *m = &t.m[i];
			snprintf(m->n.id, sizeof(m->n.id), "%040u", pw_rnd() % 16);
			snprintf(m->n.ip, sizeof(m->n.ip), "%s", pw_rnd() % 8 ? "127.0.0.1" : "");
			m->n.port = 7000 + (int)(pw_rnd() % 20);
			m->n.flags = pw_rnd() & 0xff;
			m->master = (int)(pw_rnd() % (unsigned)(n + 2)) - 1;
			m->reachable = pw_rnd() % 4 != 0;
			m->repl_link_up = (int)(pw_rnd() % 3) - 1;
		}
		for (int s = 0; s < CLUSTER_SLOTS; s++)
			t.owner[s] = pw_rnd() % 50 ? (s ? t.owner[s - 1] : 0)
						: (int)(pw_rnd() % (unsigned)n) - (pw_rnd() % 200 == 0);
		t.nconflicts = pw_rnd() % 50 == 0;
		for (int k = 0; k < 24; k++) { /* all: nw may grow below */
			memset(&want[k], 0, sizeof(want[k]));
			snprintf(want[k].addr.host, sizeof(want[k].addr.host), "127.0.0.1");
			want[k].addr.port = 7000 + (int)(pw_rnd() % 30);
			snprintf(want[k].hostkey, sizeof(want[k].hostkey), "h%u", pw_rnd() % 3);
			want[k].member = k < n && pw_rnd() % 5 ? k
					 : pw_rnd() % 8 ? -1 : (int)(pw_rnd() % (unsigned)(n + 4)) - 3;
			want[k].reachable = pw_rnd() % 30 != 0;
			want[k].empty = pw_rnd() % 30 != 0;
		}
		memset(&in, 0, sizeof(in));
		in.t = &t;
		in.want = want;
		in.nwant = nw;
		in.shards = 2 + (int)(pw_rnd() % 5);
		in.replicas = (int)(pw_rnd() % 3) - (pw_rnd() % 10 == 0);
		in.evacuate_only = pw_rnd() % 3 == 0;
		for (int i = 0; i < n; i++)
			if (pw_rnd() % 3)
				t.m[i].reachable = 1;
		if (pw_rnd() % 2) /* often a list of exactly S*(1+R) */
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
			pw_print_both(&p);
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
