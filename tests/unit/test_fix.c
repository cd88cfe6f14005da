/* fix_plan_build on topos built from hand-written CLUSTER NODES views:
 * each kind of half-done migration and uncovered slot, and every case where
 * fix must stop instead of guessing. */
#include <stdlib.h>

#include "core/fix_plan.h"
#include "unit.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccc"
#define ID_Z "9999999999999999999999999999999999999999"
enum { A, B, C }; /* topo indices: members are sorted by id */

static const char *ids[3] = { ID_A, ID_B, ID_C };
static const char *ips[3] = { "10.0.0.1", "10.0.0.2", "10.0.0.3" };

struct scenario {
	const char *slots[3]; /* each master's slots as its own view says */
	const char *open[3];  /* extra slot fields on its own line, e.g. "[100->-bbb...]" */
	int nviews;           /* views read: the first n masters are reachable */
};

static struct topo t;
static struct fix_plan p;
static int *need;
static long long *keys;
static struct fix_keys fk;

static void build(const struct scenario *sc)
{
	struct view v[3];
	char text[2048];
	struct sc_err e;

	for (int me = 0; me < sc->nviews; me++) {
		int off = 0;
		for (int k = 0; k < 3; k++)
			off += snprintf(text + off, sizeof(text) - (size_t)off,
					"%s %s:6379@16379 %s - 0 0 %d connected %s %s\n", ids[k], ips[k],
					k == me ? "myself,master" : "master", k + 1, sc->slots[k],
					k == me && sc->open[k] ? sc->open[k] : "");
		if (view_parse(&v[me], text, &e) < 0) {
			fprintf(stderr, "fixture: %s\n", e.msg);
			exit(1);
		}
	}
	if (topo_build(&t, v, sc->nviews, &e) < 0) {
		fprintf(stderr, "fixture: %s\n", e.msg);
		exit(1);
	}
	for (int i = 0; i < sc->nviews; i++)
		view_release(&v[i]);
	fk.nslots = fix_slots_needed(&t, &need, &e);
	fk.slots = need;
	keys = calloc((size_t)(fk.nslots ? fk.nslots : 1) * 3, sizeof(*keys));
	for (int k = 0; k < fk.nslots; k++)
		for (int m = sc->nviews; m < 3; m++)
			keys[k * 3 + m] = -1; /* unreachable: unknown */
	fk.keys = keys;
}

static void setkeys(int slot, int m, long long n)
{
	for (int k = 0; k < fk.nslots; k++)
		if (need[k] == slot)
			keys[k * 3 + m] = n;
}

static const struct fix_action *plan(void)
{
	struct sc_err e;

	CHECK_INT(fix_plan_build(&p, &t, &fk, &e), 0);
	return p.n ? &p.v[0] : NULL;
}

static void done(void)
{
	fix_plan_release(&p);
	topo_release(&t);
	free(need);
	free(keys);
	need = NULL;
	keys = NULL;
}

#define THREE "0-5460", "5461-10922", "10923-16383"
#define MIG_A_TO_B "[100->-" ID_B "]"
#define IMP_B_FROM_A "[100-<-" ID_A "]"

int main(void)
{
	const struct fix_action *a;

	/* healthy: nothing needed */
	build(&(struct scenario){ { THREE }, { NULL }, 3 });
	CHECK_INT(fk.nslots, 0);
	CHECK(plan() == NULL);
	done();

	/* both halves set, keys on both sides: finish the move */
	build(&(struct scenario){ { THREE }, { MIG_A_TO_B, IMP_B_FROM_A, NULL }, 3 });
	CHECK_INT(fk.nslots, 1);
	setkeys(100, A, 5);
	setkeys(100, B, 3);
	a = plan();
	CHECK_INT(p.n, 1);
	CHECK_INT(a->kind, FIX_MOVE);
	CHECK_INT(a->slot, 100);
	CHECK_INT(a->src, A);
	CHECK_INT(a->dst, B);
	CHECK(strstr(a->why, "5 keys left on the source, 3 already on the target") != NULL);
	done();

	/* both halves set, nothing left on the source: still finish (close to B) */
	build(&(struct scenario){ { THREE }, { MIG_A_TO_B, IMP_B_FROM_A, NULL }, 3 });
	setkeys(100, B, 8);
	a = plan();
	CHECK_INT(a->kind, FIX_MOVE);
	CHECK_INT(a->dst, B);
	done();

	/* only MIGRATING set, target empty: nothing moved, close */
	build(&(struct scenario){ { THREE }, { MIG_A_TO_B, NULL, NULL }, 3 });
	setkeys(100, A, 5);
	a = plan();
	CHECK_INT(a->kind, FIX_CLOSE);
	CHECK_INT(a->src, A);
	CHECK(strstr(a->why, "nothing was moved") != NULL);
	done();

	/* only MIGRATING set but the target already has keys: finish */
	build(&(struct scenario){ { THREE }, { MIG_A_TO_B, NULL, NULL }, 3 });
	setkeys(100, A, 5);
	setkeys(100, B, 2);
	a = plan();
	CHECK_INT(a->kind, FIX_MOVE);
	CHECK_INT(a->src, A);
	CHECK_INT(a->dst, B);
	done();

	/* only IMPORTING set, target empty: close */
	build(&(struct scenario){ { THREE }, { NULL, IMP_B_FROM_A, NULL }, 3 });
	setkeys(100, A, 5);
	a = plan();
	CHECK_INT(a->kind, FIX_CLOSE);
	CHECK_INT(a->dst, B);
	done();

	/* only IMPORTING set, target has keys: finish */
	build(&(struct scenario){ { THREE }, { NULL, IMP_B_FROM_A, NULL }, 3 });
	setkeys(100, B, 4);
	a = plan();
	CHECK_INT(a->kind, FIX_MOVE);
	done();

	/* open towards two nodes: stop */
	build(&(struct scenario){ { THREE }, { MIG_A_TO_B, NULL, "[100-<-" ID_A "]" }, 3 });
	a = plan();
	CHECK_INT(a->kind, FIX_STOP);
	CHECK_INT(p.nstops, 1);
	CHECK(strstr(a->why, "more than one node") != NULL);
	done();

	/* a third master holds keys of the slot: stop, never merge */
	build(&(struct scenario){ { THREE }, { MIG_A_TO_B, IMP_B_FROM_A, NULL }, 3 });
	setkeys(100, A, 1);
	setkeys(100, C, 7);
	a = plan();
	CHECK_INT(a->kind, FIX_STOP);
	CHECK(strstr(a->why, "'10.0.0.3:6379' also holds 7 keys") != NULL);
	done();

	/* migrating to a node nobody knows: close, keys stay */
	build(&(struct scenario){ { THREE }, { "[100->-" ID_Z "]", NULL, NULL }, 3 });
	setkeys(100, A, 5);
	a = plan();
	CHECK_INT(a->kind, FIX_CLOSE);
	CHECK(strstr(a->why, "no member knows") != NULL);
	done();

	/* importing from nobody-knows-who, with keys: stop */
	build(&(struct scenario){ { THREE }, { NULL, "[100-<-" ID_Z "]", NULL }, 3 });
	setkeys(100, B, 2);
	a = plan();
	CHECK_INT(a->kind, FIX_STOP);
	done();

	/* the target of an open slot is unreachable: stop */
	build(&(struct scenario){ { THREE }, { "[100->-" ID_C "]", NULL, NULL }, 2 });
	a = plan();
	CHECK_INT(a->kind, FIX_STOP);
	CHECK(strstr(a->why, "cannot be reached") != NULL);
	done();

	/* the target turned into a replica of the source: close, nothing to move */
	{
		struct view v[2];
		struct sc_err e;
		const char *ta = ID_A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-16383 [7->-" ID_B "]\n"
				 ID_B " 10.0.0.2:6379@16379 slave " ID_A " 0 0 1 connected\n";
		const char *tb = ID_B " 10.0.0.2:6379@16379 myself,slave " ID_A " 0 0 1 connected\n"
				 ID_A " 10.0.0.1:6379@16379 master - 0 0 1 connected 0-16383\n";
		CHECK_INT(view_parse(&v[0], ta, &e), 0);
		CHECK_INT(view_parse(&v[1], tb, &e), 0);
		CHECK_INT(topo_build(&t, v, 2, &e), 0);
		view_release(&v[0]);
		view_release(&v[1]);
		fk.nslots = fix_slots_needed(&t, &need, &e);
		keys = calloc((size_t)fk.nslots * 2 + 1, sizeof(*keys));
		fk.slots = need;
		fk.keys = keys;
		CHECK_INT(fk.nslots, 1);
		a = plan();
		CHECK_INT(a->kind, FIX_CLOSE);
		CHECK(strstr(a->why, "has become a replica of the source") != NULL);
		done();
	}

	/* a view leaving owned slots unassigned: those slots, open or not,
	 * and not the ones nobody owns */
	build(&(struct scenario){ { "0-5460", "5461-10922", "10923-16382" }, { MIG_A_TO_B, NULL, NULL }, 3 });
	{
		struct view v;
		struct sc_err e;
		int out[CLUSTER_SLOTS];
		const char *text = ID_C " 10.0.0.3:6379@16379 myself,master - 0 0 3 connected 10923-16382\n"
				   ID_A " 10.0.0.1:6379@16379 master - 0 0 1 connected 0-99 101-5459\n"
				   ID_B " 10.0.0.2:6379@16379 master - 0 0 2 connected 5461-10922\n";
		CHECK_INT(view_parse(&v, text, &e), 0);
		CHECK_INT(fix_unseen_slots(&t, &v, out), 2);
		CHECK_INT(out[0], 100);
		CHECK_INT(out[1], 5460);
		view_release(&v);
		/* slots the view gives to a failed node that is not their owner
		 * (a failover while this node imported them); not those the
		 * failed node does own */
		text = ID_C " 10.0.0.3:6379@16379 myself,master - 0 0 3 connected 10923-16382\n"
		       ID_A " 10.0.0.1:6379@16379 master - 0 0 1 connected 100-5460\n"
		       ID_B " 10.0.0.2:6379@16379 master,fail - 0 0 2 disconnected 0-99 5461-10922\n";
		CHECK_INT(view_parse(&v, text, &e), 0);
		CHECK_INT(fix_unseen_slots(&t, &v, out), 100);
		CHECK_INT(out[0], 0);
		CHECK_INT(out[99], 99);
		view_release(&v);
	}
	done();

	/* uncovered, keys nowhere: a run goes to the master with fewest slots */
	build(&(struct scenario){ { "", "5461-10922", "10923-16383" }, { NULL }, 3 });
	CHECK_INT(fk.nslots, 5461);
	plan();
	CHECK_INT(p.n, 5461);
	CHECK_INT(p.nstops, 0);
	{
		int all = 1;
		for (int i = 0; i < p.n; i++)
			all &= p.v[i].kind == FIX_ASSIGN && p.v[i].dst == A && p.v[i].nokeys;
		CHECK(all);
	}
	CHECK(strstr(p.v[0].why, "fewest slots") != NULL);
	done();

	/* uncovered 0-99 (keys nowhere) while C has fewest: all to C, not spread */
	build(&(struct scenario){ { "100-6000", "6001-12000", "12001-16383" }, { NULL }, 3 });
	CHECK_INT(fk.nslots, 100);
	plan();
	CHECK_INT(p.v[0].dst, C);
	CHECK_INT(p.v[99].dst, C);
	done();

	/* uncovered slot with keys on one master: assign to it */
	build(&(struct scenario){ { "0-4 6-5460", "5461-10922", "10923-16383" }, { NULL }, 3 });
	CHECK_INT(fk.nslots, 1);
	setkeys(5, B, 3);
	a = plan();
	CHECK_INT(a->kind, FIX_ASSIGN);
	CHECK_INT(a->dst, B);
	CHECK_INT(a->nokeys, 0);
	CHECK(strstr(a->why, "keys are on '10.0.0.2:6379' only") != NULL);
	done();

	/* uncovered slot with keys on two masters: stop, naming both */
	build(&(struct scenario){ { "0-4 6-5460", "5461-10922", "10923-16383" }, { NULL }, 3 });
	setkeys(5, A, 2);
	setkeys(5, C, 9);
	a = plan();
	CHECK_INT(a->kind, FIX_STOP);
	CHECK(strstr(a->why, "'10.0.0.1:6379': 2 keys, '10.0.0.3:6379': 9 keys") != NULL);
	CHECK(strstr(a->why, "decide which master keeps it") != NULL);
	CHECK(strstr(a->why, "CLUSTER ADDSLOTS 5 there") != NULL);
	done();

	/* uncovered slot while a master cannot be asked: stop */
	build(&(struct scenario){ { "0-4 6-5460", "5461-10922", "10923-16383" }, { NULL }, 2 });
	setkeys(5, A, 2);
	a = plan();
	CHECK_INT(a->kind, FIX_STOP);
	CHECK(strstr(a->why, "cannot be asked") != NULL);
	done();

	/* keys outside their slot's owner: a stop each, not for the owner nor
	 * for an open slot */
	build(&(struct scenario){ { THREE }, { MIG_A_TO_B, IMP_B_FROM_A, NULL }, 3 });
	{
		struct fix_stray st[] = { { 5, B, 3 }, { 6, A, 9 }, { 100, C, 1 }, { 7000, C, 1 } };
		struct sc_err e;
		fix_plan_release(&p);
		memset(&p, 0, sizeof(p));
		CHECK_INT(fix_plan_strays(&p, &t, st, 4, &e), 0);
		CHECK_INT(p.n, 2);
		CHECK_INT(p.nstops, 2);
		CHECK_INT(p.v[0].slot, 5);
		CHECK_INT(p.v[0].kind, FIX_STOP);
		CHECK(strstr(p.v[0].why, "'10.0.0.2:6379' holds 3 keys of it but does not own it ('10.0.0.1:6379' does)") != NULL);
		CHECK_INT(p.v[1].slot, 7000);
	}
	done();

	return UNIT_DONE("fix");
}
