/* The reconcile planner: scenarios, refusals, and generated topologies with
 * every plan checked against invariants and carried out on an in-memory
 * model of the cluster (a "world"), whose end state is checked and planned
 * again (it must then need zero steps). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"
#include "unit.h"

#define MAXW 1400

struct wnode {
	int port;
	char id[NODE_ID_LEN + 1];
	char hk[32];
	int member, master, of; /* of: world index of its master, -1 */
	int reachable;
	int keys;               /* a non-member holding keys */
	int link_down;          /* a replica whose replication link is down */
};

struct world {
	struct wnode n[MAXW];
	int nn;
	int owner[CLUSTER_SLOTS]; /* world index */
	unsigned idseed;
};

static unsigned rnd_state = 1;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) & 0x7fff;
}

static void make_id(struct world *w, char *id)
{
	static const char hex[] = "0123456789abcdef";
	for (int k = 0; k < NODE_ID_LEN; k++) {
		w->idseed = w->idseed * 1664525u + 1013904223u;
		id[k] = hex[(w->idseed >> 24) & 15];
	}
	id[NODE_ID_LEN] = '\0';
}

static int w_add(struct world *w, const char *hk, int member, int master, int of)
{
	struct wnode *n = &w->n[w->nn];

	memset(n, 0, sizeof(*n));
	n->port = 7000 + w->nn;
	make_id(w, n->id);
	snprintf(n->hk, sizeof(n->hk), "%s", hk);
	n->member = member;
	n->master = master;
	n->of = of;
	n->reachable = 1;
	return w->nn++;
}

static int w_master(struct world *w, const char *hk) { return w_add(w, hk, 1, 1, -1); }
static int w_replica(struct world *w, int m, const char *hk) { return w_add(w, hk, 1, 0, m); }
static int w_new(struct world *w, const char *hk) { return w_add(w, hk, 0, 0, -1); }

static void w_assign(struct world *w, int first, int last, int node)
{
	for (int s = first; s <= last; s++)
		w->owner[s] = node;
}

/* Contiguous even split over masters[0..n-1], the first ones one bigger. */
static void w_even(struct world *w, const int *masters, int n)
{
	int s = 0;
	for (int k = 0; k < n; k++) {
		int len = CLUSTER_SLOTS / n + (k < CLUSTER_SLOTS % n);
		w_assign(w, s, s + len - 1, masters[k]);
		s += len;
	}
}

static int w_find_port(const struct world *w, int port)
{
	for (int i = 0; i < w->nn; i++)
		if (w->n[i].port == port)
			return i;
	return -1;
}

/* The topo of the world's members (in world order) and the want list of the
 * listed world nodes. */
struct input {
	struct topo t;
	struct want_node *want;
	int nwant;
	int map[MAXW]; /* world -> topo index, -1 */
};

static void input_release(struct input *in)
{
	free(in->t.m);
	free(in->want);
	memset(in, 0, sizeof(*in));
}

static void input_build(struct input *in, const struct world *w, const int *list, int nlist)
{
	int n = 0;

	memset(in, 0, sizeof(*in));
	in->t.m = calloc((size_t)w->nn + 1, sizeof(struct member));
	in->want = calloc((size_t)nlist + 1, sizeof(struct want_node));
	for (int i = 0; i < w->nn; i++) {
		in->map[i] = -1;
		if (w->n[i].member)
			in->map[i] = n++;
	}
	for (int i = 0; i < w->nn; i++) {
		struct member *m;
		if (!w->n[i].member)
			continue;
		m = &in->t.m[in->map[i]];
		memcpy(m->n.id, w->n[i].id, sizeof(m->n.id));
		snprintf(m->n.ip, sizeof(m->n.ip), "127.0.0.1");
		m->n.port = w->n[i].port;
		m->n.cport = w->n[i].port + 10000;
		m->n.flags = w->n[i].master ? NF_MASTER : NF_REPLICA;
		m->reachable = w->n[i].reachable;
		m->master = w->n[i].of >= 0 ? in->map[w->n[i].of] : -1;
		if (!w->n[i].master && w->n[i].of >= 0)
			memcpy(m->n.master, w->n[w->n[i].of].id, sizeof(m->n.master));
		m->keys = m->used_memory = -1;
		m->repl_link_up = w->n[i].master ? -1 : !w->n[i].link_down;
		m->state_ok = m->known_nodes = -1;
	}
	in->t.n = n;
	for (int s = 0; s < CLUSTER_SLOTS; s++) {
		int o = w->owner[s];
		in->t.owner[s] = o >= 0 ? in->map[o] : -1;
		if (o >= 0 && in->map[o] >= 0)
			in->t.m[in->map[o]].nslots++;
	}
	in->t.agree = 1;
	for (int k = 0; k < nlist; k++) {
		const struct wnode *x = &w->n[list[k]];
		struct want_node *wn = &in->want[k];
		snprintf(wn->addr.host, sizeof(wn->addr.host), "127.0.0.1");
		wn->addr.port = x->port;
		snprintf(wn->id, sizeof(wn->id), "%s", x->reachable ? x->id : "");
		snprintf(wn->hostkey, sizeof(wn->hostkey), "%s", x->hk);
		wn->member = in->map[list[k]];
		wn->reachable = x->reachable;
		wn->empty = !x->member && !x->keys;
	}
	in->nwant = nlist;
}

static int build(struct plan *p, struct input *in, int S, int R, int evac, struct sc_err *e)
{
	struct plan_input pi = { &in->t, in->want, in->nwant, S, R, evac };
	err_clear(e);
	return plan_build(p, &pi, e);
}

/* ---- checking a plan by carrying it out on the world ------------------- */

static char why[512]; /* the first violation found, for generated cases */

#define FAIL_IF(cond, ...)                                                        \
	do {                                                                      \
		if (cond) {                                                       \
			snprintf(why, sizeof(why), __VA_ARGS__);                  \
			return -1;                                                \
		}                                                                 \
	} while (0)

static int w_of_node(const struct world *w, const struct plan *p, int node)
{
	if (node < 0 || node >= p->nnodes)
		return -1;
	return w_find_port(w, p->nodes[node].addr.port);
}

static int w_count(const struct world *w, int node)
{
	int n = 0;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		n += w->owner[s] == node;
	return n;
}

/* Rank of each step kind in the documented order; FORGET before any other
 * kind is the reset of a replica turned into a master. */
static int check_order(const struct world *w, const struct plan *p, const int *listed, int evac)
{
	int rank = 0, last_kind = -1, round = 0;
	static unsigned char busy[MAXW];

	memset(busy, 0, sizeof(busy));
	for (int k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];
		int r;
		switch (s->kind) {
		case STEP_FORGET: r = listed[w_of_node(w, p, s->node)] ? 0 : 8; break;
		case STEP_MEET: r = 1; break;
		case STEP_FAILOVER: r = 3; break;
		case STEP_MOVE: r = 5; break;
		case STEP_REPLICATE: r = 6; break;
		default: r = -1; break;
		}
		if (s->kind == STEP_WAIT) {
			FAIL_IF(last_kind == STEP_WAIT || k == 0, "step %d: misplaced wait", k);
			last_kind = STEP_WAIT;
			continue;
		}
		FAIL_IF(r < rank, "step %d (kind %d) out of order", k, s->kind);
		FAIL_IF((last_kind == STEP_MEET || last_kind == STEP_FAILOVER) && (int)s->kind != last_kind,
			"step %d: no wait after kind %d", k, last_kind);
		FAIL_IF(evac && (s->kind == STEP_MEET || s->kind == STEP_FORGET), "evacuate plan joins or forgets");
		if (s->kind == STEP_MOVE) {
			FAIL_IF(s->round < round, "step %d: move rounds not sorted", k);
			if (s->round > round) {
				memset(busy, 0, sizeof(busy));
				round = s->round;
			}
			FAIL_IF(busy[s->node] || busy[s->peer], "step %d: node twice in round %d", k, round);
			busy[s->node] = busy[s->peer] = 1;
			FAIL_IF(s->nranges < 1, "step %d: move without ranges", k);
			for (int i = 0; i < s->nranges; i++) {
				FAIL_IF(s->ranges[i].first > s->ranges[i].last, "step %d: bad range", k);
				FAIL_IF(i && s->ranges[i].first <= s->ranges[i - 1].last + 1,
					"step %d: ranges not sorted and merged", k);
			}
		} else {
			FAIL_IF(s->round != -1 || s->nranges, "step %d: round or ranges on a non-move", k);
		}
		rank = r;
		last_kind = (int)s->kind;
	}
	/* rounds are as few as possible: as many as the busiest node's moves */
	{
		static int deg[1 << 16];
		int maxdeg = 0, rounds = 0;
		memset(deg, 0, sizeof(deg));
		for (int k = 0; k < p->nsteps; k++) {
			const struct step *s = &p->steps[k];
			if (s->kind != STEP_MOVE)
				continue;
			if (++deg[s->node] > maxdeg)
				maxdeg = deg[s->node];
			if (++deg[s->peer] > maxdeg)
				maxdeg = deg[s->peer];
			rounds = s->round + 1;
		}
		FAIL_IF(rounds != maxdeg, "%d rounds, the busiest node has %d moves", rounds, maxdeg);
	}
	return 0;
}

/* Carry the plan out on w, checking each step's preconditions. */
static int apply(struct world *w, const struct plan *p, const int *listed, int R, int evac)
{
	static unsigned char moved[CLUSTER_SLOTS];
	int total = 0, seen_other = 0;

	memset(moved, 0, sizeof(moved));
	for (int k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];
		int a = w_of_node(w, p, s->node), b = w_of_node(w, p, s->peer);
		if (s->kind == STEP_WAIT)
			continue;
		FAIL_IF(a < 0, "step %d: unknown node", k);
		switch (s->kind) {
		case STEP_MEET:
			FAIL_IF(w->n[a].member, "step %d: meet of a member", k);
			FAIL_IF(b < 0 || !w->n[b].member || !w->n[b].reachable, "step %d: meet through a non-member", k);
			FAIL_IF(!listed[a], "step %d: meet of an unlisted node", k);
			w->n[a].member = w->n[a].master = 1;
			w->n[a].of = -1;
			break;
		case STEP_FAILOVER:
			FAIL_IF(b < 0 || w->n[a].master || w->n[a].of != b || !w->n[b].master,
				"step %d: failover of a node that is not a replica of peer", k);
			for (int i = 0; i < w->nn; i++)
				if (w->n[i].member && !w->n[i].master && w->n[i].of == b && i != a)
					w->n[i].of = a;
			for (int sl = 0; sl < CLUSTER_SLOTS; sl++)
				if (w->owner[sl] == b)
					w->owner[sl] = a;
			w->n[a].master = 1;
			w->n[a].of = -1;
			w->n[b].master = 0;
			w->n[b].of = a;
			break;
		case STEP_MOVE:
			FAIL_IF(b < 0 || a == b, "step %d: move without a peer", k);
			FAIL_IF(!w->n[a].member || !w->n[a].master || !w->n[b].member || !w->n[b].master,
				"step %d: move not between masters", k);
			FAIL_IF(!listed[b], "step %d: move to an unlisted node", k);
			FAIL_IF(evac && listed[a], "step %d: evacuation moves slots of a listed node", k);
			for (int i = 0, n = 0; i < s->nranges; i++) {
				for (int sl = s->ranges[i].first; sl <= s->ranges[i].last; sl++) {
					FAIL_IF(w->owner[sl] != a, "step %d: source does not own slot %d", k, sl);
					FAIL_IF(moved[sl], "step %d: slot %d moved twice", k, sl);
					moved[sl] = 1;
					w->owner[sl] = b;
					n++;
				}
				if (i == s->nranges - 1)
					FAIL_IF(n != s->nslots, "step %d: nslots %d, ranges hold %d", k, s->nslots, n);
			}
			total += s->nslots;
			break;
		case STEP_REPLICATE:
			FAIL_IF(b < 0 || !w->n[b].member || !w->n[b].master || !listed[b],
				"step %d: replicate to a non-master", k);
			/* a replica leaves a master that stays only when that
			 * master has more than R listed replicas */
			if (!w->n[a].master && w->n[a].of >= 0 && listed[w->n[a].of] && w_count(w, w->n[a].of)) {
				int reps = 0;
				for (int i = 0; i < w->nn; i++)
					reps += listed[i] && w->n[i].member && !w->n[i].master && w->n[i].of == w->n[a].of;
				FAIL_IF(reps <= R, "step %d: replica taken from a master with %d replicas", k, reps);
			}
			FAIL_IF(!w->n[a].member || w_count(w, a), "step %d: replicate of a node owning slots", k);
			FAIL_IF(!listed[a], "step %d: replicate of an unlisted node", k);
			w->n[a].master = 0;
			w->n[a].of = b;
			break;
		case STEP_FORGET:
			FAIL_IF(!w->n[a].member, "step %d: forget of a non-member", k);
			FAIL_IF(w_count(w, a), "step %d: forget of a node owning slots", k);
			if (listed[a]) {
				FAIL_IF(seen_other || w->n[a].master, "step %d: reset of a non-replica", k);
				make_id(w, w->n[a].id); /* RESET HARD: new id */
			}
			w->n[a].member = w->n[a].master = 0;
			w->n[a].of = -1;
			for (int i = 0; i < w->nn; i++)
				if (w->n[i].of == a && w->n[i].member)
					w->n[i].of = -1; /* replicas of a forgotten node */
			break;
		default:
			break;
		}
		if (s->kind != STEP_FORGET)
			seen_other = 1;
	}
	FAIL_IF(total != p->moved_slots, "moved_slots %d, moves hold %d", p->moved_slots, total);
	return 0;
}

/* The end state of a normal (not evacuate) reconcile. */
static int check_final(const struct world *w, const int *listed, int S, int R, int nlisted)
{
	int masters = 0, base = CLUSTER_SLOTS / S, extra = nlisted - S * (1 + R);
	int cnt[MAXW] = { 0 }, rep[MAXW] = { 0 };

	for (int s = 0; s < CLUSTER_SLOTS; s++)
		cnt[w->owner[s]]++;
	for (int i = 0; i < w->nn; i++) {
		const struct wnode *n = &w->n[i];
		FAIL_IF(n->member != listed[i], "node %d: member %d, listed %d", n->port, n->member, listed[i]);
		if (!n->member)
			continue;
		if (n->master) {
			FAIL_IF(cnt[i] != base && cnt[i] != base + 1, "master %d owns %d slots", n->port, cnt[i]);
			masters++;
		} else {
			FAIL_IF(n->of < 0 || !w->n[n->of].master || !w->n[n->of].member,
				"replica %d has no master", n->port);
			rep[n->of]++;
		}
	}
	FAIL_IF(masters != S, "%d masters, want %d", masters, S);
	for (int i = 0; i < w->nn; i++) {
		if (!w->n[i].member || !w->n[i].master)
			continue;
		if (extra == 0)
			FAIL_IF(rep[i] != R, "master %d has %d replicas, want %d", w->n[i].port, rep[i], R);
		else
			FAIL_IF(rep[i] < R + extra / S || rep[i] > R + (extra + S - 1) / S,
				"master %d has %d replicas, want %d..%d", w->n[i].port, rep[i], R,
				R + (extra + S - 1) / S);
	}
	return 0;
}

static int int_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

/* The fewest slots that can move: keep the top S "values" (slots kept by a
 * listed master, or by a listed replica taking over a departing master). */
static int min_moves(const struct world *w, const int *listed, int S)
{
	int v[MAXW], n = 0, kept = 0, base = CLUSTER_SLOTS / S, extra = CLUSTER_SLOTS % S;

	for (int i = 0; i < w->nn; i++) {
		const struct wnode *x = &w->n[i];
		if (!x->member || !x->master || !x->reachable)
			continue;
		if (listed[i]) {
			v[n++] = w_count(w, i);
		} else {
			for (int j = 0; j < w->nn; j++)
				if (listed[j] && w->n[j].member && w->n[j].reachable && !w->n[j].master &&
				    w->n[j].of == i && !w->n[j].link_down) {
					v[n++] = w_count(w, i);
					break;
				}
		}
	}
	qsort(v, (size_t)n, sizeof(int), int_desc);
	for (int k = 0; k < n && k < S; k++) {
		int q = base + (k < extra);
		kept += v[k] < q ? v[k] : q;
	}
	return CLUSTER_SLOTS - kept;
}

/* What the generated cases exercised, and how fragmented the results are. */
static struct {
	int plans, steps[STEP_FORGET + 1], resets, max_ranges, moved, slots_ranges;
} stats;

static int w_ranges(const struct world *w, int node)
{
	int n = 0;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		n += w->owner[s] == node && (s == 0 || w->owner[s - 1] != node);
	return n;
}

static void count_stats(const struct world *w, const struct plan *p, const int *listed)
{
	stats.plans++;
	for (int k = 0; k < p->nsteps; k++) {
		stats.steps[p->steps[k].kind]++;
		if (p->steps[k].kind == STEP_FORGET && listed[w_of_node(w, p, p->steps[k].node)])
			stats.resets++;
	}
	stats.moved += p->moved_slots;
}

static int same_plan(const struct plan *a, const struct plan *b)
{
	if (a->nsteps != b->nsteps || a->nnodes != b->nnodes || a->moved_slots != b->moved_slots)
		return 0;
	for (int i = 0; i < a->nnodes; i++)
		if (strcmp(a->nodes[i].id, b->nodes[i].id) || !addr_equal(&a->nodes[i].addr, &b->nodes[i].addr))
			return 0;
	for (int k = 0; k < a->nsteps; k++) {
		const struct step *x = &a->steps[k], *y = &b->steps[k];
		if (x->kind != y->kind || x->node != y->node || x->peer != y->peer || x->nranges != y->nranges ||
		    x->nslots != y->nslots || x->round != y->round)
			return 0;
		if (x->nranges && memcmp(x->ranges, y->ranges, (size_t)x->nranges * sizeof(*x->ranges)))
			return 0;
	}
	return 1;
}

/* A JSON syntax check, enough to tell that plan_print's output parses. */
static const char *js_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *js_string(const char *s)
{
	if (!s || *s != '"')
		return NULL;
	for (s++; *s && *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\' && !*++s)
			return NULL;
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *js_value(const char *s)
{
	char open;

	s = js_ws(s);
	if (*s == '"')
		return js_string(s);
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
		return s;
	}
	if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	if (*s != '{' && *s != '[')
		return NULL;
	open = *s;
	s = js_ws(s + 1);
	if (*s == (open == '{' ? '}' : ']'))
		return s + 1;
	for (;;) {
		if (open == '{') {
			s = js_string(js_ws(s));
			if (!s || *(s = js_ws(s)) != ':')
				return NULL;
			s++;
		}
		if (!(s = js_value(s)))
			return NULL;
		s = js_ws(s);
		if (*s != ',')
			return *s == (open == '{' ? '}' : ']') ? s + 1 : NULL;
		s++;
	}
}

/* Both outputs; returns whether the JSON one parses. */
static int print_both(const struct plan *p)
{
	char *buf = NULL;
	size_t len = 0, human;
	const char *end;
	FILE *f = open_memstream(&buf, &len);
	int ok;

	plan_print(p, f, 0);
	fflush(f);
	human = len;
	plan_print(p, f, 1);
	fclose(f);
	end = js_value(buf + human);
	ok = end && *js_ws(end) == '\0';
	free(buf);
	return ok;
}

/* Plan, check every invariant, carry out, check the end state, plan again
 * (must be empty).  Returns 0, or -1 with `why` set.  The world ends in the
 * planned state. */
static int run_case(struct world *w, const int *list, int nlist, int S, int R, int evac, struct plan *out)
{
	struct input in;
	struct plan p, q;
	struct sc_err e;
	int listed[MAXW] = { 0 }, rc = -1, minimum;

	for (int k = 0; k < nlist; k++)
		listed[list[k]] = 1;
	input_build(&in, w, list, nlist);
	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	if (build(&p, &in, S, R, evac, &e) < 0) {
		snprintf(why, sizeof(why), "plan_build: %s", e.msg);
		goto out;
	}
	if (build(&q, &in, S, R, evac, &e) < 0 || !same_plan(&p, &q)) {
		snprintf(why, sizeof(why), "second build differs");
		goto out;
	}
	if (!print_both(&p)) {
		snprintf(why, sizeof(why), "plan_print's JSON does not parse");
		goto out;
	}
	minimum = min_moves(w, listed, S);
	if (check_order(w, &p, listed, evac) < 0)
		goto out;
	if (!evac && p.moved_slots != minimum) {
		snprintf(why, sizeof(why), "moved %d slots, minimum %d", p.moved_slots, minimum);
		goto out;
	}
	count_stats(w, &p, listed);
	if (apply(w, &p, listed, R, evac) < 0)
		goto out;
	for (int i = 0; i < w->nn; i++)
		if (w->n[i].member && w->n[i].master) {
			int r = w_ranges(w, i);
			if (r > stats.max_ranges)
				stats.max_ranges = r;
		}
	if (!evac && check_final(w, listed, S, R, nlist) < 0)
		goto out;
	for (int i = 0; evac && i < w->nn; i++)
		if (!listed[i] && w_count(w, i)) {
			snprintf(why, sizeof(why), "evacuation left %d slots on %d", w_count(w, i), w->n[i].port);
			goto out;
		}
	if (!evac) {
		input_release(&in);
		plan_release(&q);
		input_build(&in, w, list, nlist);
		if (build(&q, &in, S, R, 0, &e) < 0) {
			snprintf(why, sizeof(why), "replan: %s", e.msg);
			goto out;
		}
		if (q.nsteps) {
			snprintf(why, sizeof(why), "replan after carrying out has %d steps", q.nsteps);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == 0 && out)
		*out = p;
	else
		plan_release(&p);
	plan_release(&q);
	input_release(&in);
	return rc;
}

#define RUN_OK(w, list, n, S, R, evac, out)                                       \
	do {                                                                      \
		int rc_ = run_case((w), (list), (n), (S), (R), (evac), (out));    \
		if (rc_)                                                          \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, why);  \
		CHECK_INT(rc_, 0);                                                \
	} while (0)

/* ---- scenarios ---------------------------------------------------------- */

static struct world W; /* big: kept out of the stack */

static int list_members(const struct world *w, int *list)
{
	int n = 0;
	for (int i = 0; i < w->nn; i++)
		if (w->n[i].member)
			list[n++] = i;
	return n;
}

/* S masters with R replicas each, created the way create.h lays them out:
 * masters first, then replicas, alternating between two hosts. */
static void w_cluster(struct world *w, int S, int R, int *masters)
{
	static const char *hosts[] = { "h1", "h2" };
	memset(w, 0, sizeof(*w));
	w->idseed = 42;
	for (int k = 0; k < S; k++)
		masters[k] = w_master(w, hosts[k % 2]);
	for (int r = 0; r < R; r++)
		for (int k = 0; k < S; k++)
			w_replica(w, masters[k], hosts[(k + r + 1) % 2]);
	w_even(w, masters, S);
}

static int count_kind(const struct plan *p, enum step_kind k)
{
	int n = 0;
	for (int i = 0; i < p->nsteps; i++)
		n += p->steps[i].kind == k;
	return n;
}

static void test_scale_out_4_to_5(void)
{
	int masters[16], list[MAXW], n, nn;
	struct plan p;

	w_cluster(&W, 4, 1, masters);
	n = list_members(&W, list);
	list[n++] = nn = w_new(&W, "h1");
	(void)nn;
	list[n++] = w_new(&W, "h2");
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 5, 1, 0, &p);
	printf("4 -> 5 shards:\n");
	plan_print(&p, stdout, 0);
	CHECK_INT(count_kind(&p, STEP_MEET), 2);
	CHECK_INT(count_kind(&p, STEP_MOVE), 4);
	CHECK_INT(count_kind(&p, STEP_REPLICATE), 1);
	CHECK_INT(count_kind(&p, STEP_FORGET), 0);
	CHECK_INT(p.moved_slots, 3276);
	for (int k = 0; k < p.nsteps; k++) {
		const struct step *s = &p.steps[k];
		if (s->kind != STEP_MOVE)
			continue;
		CHECK(s->nslots == 819);
		nn = w_find_port(&W, p.nodes[s->peer].addr.port);
		CHECK(nn >= 8);
	}
	CHECK(w_count(&W, nn) == 3276 || w_count(&W, nn) == 3277);
	/* contiguous: the new master's ranges touch pairwise (one donor's
	 * high end, the next one's low end) */
	CHECK_INT(w_ranges(&W, nn), 2);
	for (int k = 0; k < 4; k++) {
		CHECK(w_count(&W, masters[k]) == 3276 || w_count(&W, masters[k]) == 3277);
		CHECK_INT(w_ranges(&W, masters[k]), 1);
	}
	plan_release(&p);
	/* and back to 4: every slot returns where it was, one range each */
	RUN_OK(&W, list, 8, 4, 1, 0, &p);
	CHECK_INT(p.moved_slots, 3276);
	for (int k = 0; k < 4; k++) {
		CHECK_INT(w_count(&W, masters[k]), 4096);
		CHECK_INT(w_ranges(&W, masters[k]), 1);
	}
	plan_release(&p);
}

/* 10 -> 13 -> 10 shards without replicas: new masters in at most 2 ranges,
 * the way back restores one range each. */
static void test_ranges_10_13(void)
{
	int masters[16], list[MAXW], n;

	w_cluster(&W, 10, 0, masters);
	n = list_members(&W, list);
	for (int k = 0; k < 3; k++)
		list[n++] = w_new(&W, k % 2 ? "h2" : "h1");
	RUN_OK(&W, list, n, 13, 0, 0, NULL);
	for (int k = 10; k < 13; k++)
		CHECK(w_ranges(&W, list[k]) <= 2);
	for (int k = 0; k < 10; k++)
		CHECK_INT(w_ranges(&W, masters[k]), 1);
	RUN_OK(&W, list, 10, 10, 0, 0, NULL);
	for (int k = 0; k < 10; k++)
		CHECK_INT(w_ranges(&W, masters[k]), 1);
}

static void test_scale_in_5_to_4(void)
{
	int masters[16], list[MAXW], n = 0;
	struct plan p;

	w_cluster(&W, 5, 1, masters);
	for (int i = 0; i < W.nn; i++)
		if (i != masters[4] && W.n[i].of != masters[4])
			list[n++] = i;
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 4, 1, 0, &p);
	printf("5 -> 4 shards:\n");
	plan_print(&p, stdout, 0);
	CHECK_INT(p.moved_slots, 3276); /* all of the departing master's */
	CHECK_INT(count_kind(&p, STEP_MOVE), 4);
	CHECK_INT(count_kind(&p, STEP_FORGET), 2);
	CHECK_INT(count_kind(&p, STEP_MEET), 0);
	for (int k = 0; k < 4; k++)
		CHECK_INT(w_count(&W, masters[k]), 4096);
	plan_release(&p);
}

/* 3 -> 4 -> 6 -> 3 shards, one replica each, on the same world. */
static void test_chain_shards(void)
{
	int masters[16], list[MAXW], n, orig;

	w_cluster(&W, 3, 1, masters);
	orig = n = list_members(&W, list);
	for (int k = 0; k < 2; k++)
		list[n++] = w_new(&W, k % 2 ? "h2" : "h1");
	RUN_OK(&W, list, n, 4, 1, 0, NULL);
	for (int k = 0; k < 4; k++)
		list[n++] = w_new(&W, k % 2 ? "h2" : "h1");
	RUN_OK(&W, list, n, 6, 1, 0, NULL);
	RUN_OK(&W, list, orig, 3, 1, 0, NULL);
	for (int k = 0; k < 3; k++)
		CHECK(w_count(&W, masters[k]) >= 5461);
}

/* Table: a cluster made by w_cluster(S0, R0); the list keeps the first
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
	{ "4x1 -> 3x1, replica stays", 4, 1, 3, 1, 1, 0, 3, 1, 4096, 0, 3, 0, -1, 1 },
	{ "4x1 -> 4x1, master replaced", 4, 1, 3, 1, 1, 1, 4, 1, 0, 1, 0, 1, 1, 1 },
	{ "6x1 -> 4x2, same nodes", 6, 1, 6, 1, 0, 0, 4, 2, 5460, 0, -1, 0, -1, 0 },
	{ "4x2 -> 6x1, same nodes", 4, 2, 4, 2, 0, 0, 6, 1, 5460, 2, -1, 0, -1, 2 },
	{ "4x1 -> 5x0, same nodes", 4, 1, 4, 1, 0, 0, 5, 0, 3276, 1, 4, 0, 0, 1 },
	{ "3x1 -> 4x0, all kept", 3, 1, 3, 1, 0, 0, 4, 0, 4096, 1, 3, 0, 0, 1 },
};

static void test_table(void)
{
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		const struct row *r = &rows[k];
		int masters[16], list[MAXW], n = 0, rc;
		struct plan p;
		w_cluster(&W, r->S0, r->R0, masters);
		for (int i = 0; i < W.nn; i++) {
			int m = W.n[i].of, mk = -1, round = (i - r->S0) / (r->S0 ? r->S0 : 1);
			for (int j = 0; j < r->S0; j++)
				if (masters[j] == (m >= 0 ? m : i))
					mk = j;
			if (m < 0 ? mk < r->masters : (mk < r->masters ? round < r->rounds : r->orphans))
				list[n++] = i;
		}
		for (int j = 0; j < r->nnew; j++)
			list[n++] = w_new(&W, j % 2 ? "h1" : "h2");
		memset(&p, 0, sizeof(p));
		rc = run_case(&W, list, n, r->S, r->R, 0, &p);
		if (rc)
			fprintf(stderr, "table row '%s': %s\n", r->name, why);
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
		ROW_CHECK(count_kind(&p, STEP_MEET), r->meet);
		ROW_CHECK(count_kind(&p, STEP_MOVE), r->move);
		ROW_CHECK(count_kind(&p, STEP_FAILOVER), r->failover);
		ROW_CHECK(count_kind(&p, STEP_REPLICATE), r->replicate);
		ROW_CHECK(count_kind(&p, STEP_FORGET), r->forget);
#undef ROW_CHECK
		plan_release(&p);
	}
}

/* 4x1 -> 4x2 -> 4x1 replicas: no slot moves. */
static void test_chain_replicas(void)
{
	int masters[16], list[MAXW], n, orig;
	struct plan p;

	w_cluster(&W, 4, 1, masters);
	orig = n = list_members(&W, list);
	for (int k = 0; k < 4; k++)
		list[n++] = w_new(&W, k % 2 ? "h1" : "h2");
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 4, 2, 0, &p);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(count_kind(&p, STEP_REPLICATE), 4);
	CHECK_INT(count_kind(&p, STEP_MEET), 4);
	/* each new replica on the other host than its master */
	for (int k = 0; k < p.nsteps; k++)
		if (p.steps[k].kind == STEP_REPLICATE) {
			int a = w_of_node(&W, &p, p.steps[k].node), b = w_of_node(&W, &p, p.steps[k].peer);
			CHECK(strcmp(W.n[a].hk, W.n[b].hk) != 0);
		}
	plan_release(&p);
	RUN_OK(&W, list, orig, 4, 1, 0, &p);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(p.nsteps, 4); /* 4 forgets */
	plan_release(&p);
}

/* A departing master whose replica stays: failed over, zero bytes move. */
static void test_failover(void)
{
	int masters[16], list[MAXW], n = 0;
	struct plan p;

	w_cluster(&W, 4, 1, masters);
	for (int i = 0; i < W.nn; i++)
		if (i != masters[0])
			list[n++] = i;
	list[n++] = w_new(&W, "h1");
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 4, 1, 0, &p);
	printf("master replaced by its replica:\n");
	plan_print(&p, stdout, 0);
	CHECK_INT(p.moved_slots, 0);
	CHECK_INT(count_kind(&p, STEP_FAILOVER), 1);
	CHECK_INT(count_kind(&p, STEP_FORGET), 1);
	CHECK_INT(count_kind(&p, STEP_REPLICATE), 1);
	plan_release(&p);
}

/* The same with the replica's link down: no failover, the slots migrate. */
static void test_failover_link_down(void)
{
	int masters[16], list[MAXW], n = 0;
	struct plan p;

	w_cluster(&W, 4, 1, masters);
	for (int i = 0; i < W.nn; i++) {
		if (i != masters[0])
			list[n++] = i;
		if (W.n[i].of == masters[0])
			W.n[i].link_down = 1;
	}
	list[n++] = w_new(&W, "h1");
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 4, 1, 0, &p);
	CHECK_INT(count_kind(&p, STEP_FAILOVER), 0);
	CHECK_INT(p.moved_slots, 4096);
	plan_release(&p);
}

/* 4x2 -> 6x1 on the same 12 nodes: two replicas become masters (reset and
 * met again); 6x1 -> 4x2: two masters are emptied and become replicas. */
static void test_reshape(void)
{
	int masters[16], list[MAXW], n;
	struct plan p;

	w_cluster(&W, 4, 2, masters);
	n = list_members(&W, list);
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 6, 1, 0, &p);
	CHECK_INT(count_kind(&p, STEP_FORGET), 2);
	CHECK_INT(count_kind(&p, STEP_MEET), 2);
	plan_release(&p);
	RUN_OK(&W, list, n, 4, 2, 0, &p);
	CHECK_INT(count_kind(&p, STEP_FORGET), 0);
	CHECK_INT(count_kind(&p, STEP_REPLICATE) >= 2, 1);
	plan_release(&p);
}

/* Pre-upgrade half then post-upgrade half: 5x1 -> 4x1 where the new list
 * also holds two nodes that do not exist yet. */
static void test_evacuate(void)
{
	int masters[16], list[MAXW], n = 0, gone, ghost1, ghost2;
	struct plan p;

	w_cluster(&W, 5, 1, masters);
	gone = masters[4];
	for (int i = 0; i < W.nn; i++)
		if (i != gone && W.n[i].of != gone)
			list[n++] = i;
	list[n++] = ghost1 = w_new(&W, "h1");
	list[n++] = ghost2 = w_new(&W, "h2");
	W.n[ghost1].reachable = W.n[ghost2].reachable = 0;
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 5, 1, 1, &p);
	CHECK_INT(p.moved_slots, 3276);
	CHECK_INT(w_count(&W, gone), 0);
	CHECK_INT(count_kind(&p, STEP_FORGET) + count_kind(&p, STEP_MEET), 0);
	plan_release(&p);
	/* evacuating again changes nothing */
	RUN_OK(&W, list, n, 5, 1, 1, &p);
	CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	/* the new pods start; the post-upgrade reconcile finishes */
	W.n[ghost1].reachable = W.n[ghost2].reachable = 1;
	RUN_OK(&W, list, n, 5, 1, 0, &p);
	CHECK_INT(count_kind(&p, STEP_FORGET), 2);
	plan_release(&p);
}

/* Evacuation leaves unreachable listed nodes alone: the replica of the
 * departing master is down, so it is neither failed over nor moved. */
static void test_evacuate_unreachable(void)
{
	int masters[16], list[MAXW], n = 0, gone, down = -1;
	struct plan p;

	w_cluster(&W, 4, 1, masters);
	gone = masters[3];
	for (int i = 0; i < W.nn; i++) {
		if (i == gone)
			continue;
		list[n++] = i;
		if (W.n[i].of == gone)
			down = i;
	}
	W.n[down].reachable = 0;
	memset(&p, 0, sizeof(p));
	RUN_OK(&W, list, n, 3, 1, 1, &p);
	CHECK_INT(p.moved_slots, 4096);
	CHECK_INT(count_kind(&p, STEP_FAILOVER) + count_kind(&p, STEP_REPLICATE), 0);
	plan_release(&p);
	/* the reconcile proper refuses until the node is back */
	{
		struct input in;
		struct sc_err e;
		input_build(&in, &W, list, n);
		CHECK_INT(build(&p, &in, 3, 1, 0, &e), -1);
		CHECK(strstr(e.msg, "cannot reach listed node") != NULL);
		input_release(&in);
	}
	W.n[down].reachable = 1;
	RUN_OK(&W, list, n, 3, 1, 0, &p);
	CHECK_INT(p.moved_slots, 0);
	plan_release(&p);
}

static void test_converged_and_empty(void)
{
	int masters[16], list[MAXW], n;
	struct input in;
	struct plan p;
	struct sc_err e;

	w_cluster(&W, 7, 2, masters);
	n = list_members(&W, list);
	input_build(&in, &W, list, n);
	CHECK_INT(build(&p, &in, 7, 2, 0, &e), 0);
	CHECK_INT(p.nsteps, 0);
	CHECK_INT(p.no_cluster, 0);
	plan_release(&p);
	CHECK_INT(build(&p, &in, 7, 2, 1, &e), 0);
	CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	in.t.n = 0;
	CHECK_INT(build(&p, &in, 7, 2, 0, &e), 0);
	CHECK_INT(p.no_cluster, 1);
	CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	input_release(&in);
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
		list[(*n)++] = w_new(w, "h1");
}
static void r_keys(struct world *w, int *list, int *n)
{
	int x = w_new(w, "h1");
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
static void r_unreachable_listed(struct world *w, int *list, int *n)
{
	(void)list;
	(void)n;
	w->n[5].reachable = 0; /* a replica */
}
static void r_unreachable_new(struct world *w, int *list, int *n)
{
	int x = w_new(w, "h1");
	w->n[x].reachable = 0;
	list[(*n)++] = x;
}
static void r_uncovered(struct world *w, int *list, int *n)
{
	(void)list;
	(void)n;
	w_assign(w, 100, 199, -1);
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
		list[(*n)++] = w_new(w, "h2");
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
	{ "unreachable master", 4, 1, 0, r_unreachable_master, "owns 4096 slots but is unreachable" },
	{ "unreachable master, evacuate", 4, 1, 1, r_unreachable_master, "unreachable" },
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
		w_cluster(&W, 4, 1, masters);
		n = list_members(&W, list);
		r->setup(&W, list, &n);
		input_build(&in, &W, list, n);
		CHECK_INT(build(&p, &in, r->S, r->R, r->evac, &e), -1);
		CHECK_INT(e.kind, ERR_REFUSED);
		CHECK_INT(p.nsteps, 0);
		if (!strstr(e.msg, r->words)) {
			fprintf(stderr, "refusal '%s': message '%s' lacks '%s'\n", r->name, e.msg, r->words);
			CHECK(0);
		}
		printf("refused (%s): %s\n", r->name, e.msg);
		plan_release(&p);
		input_release(&in);
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

	w_cluster(&W, 4, 1, masters);
	n = list_members(&W, list);
	input_build(&in, &W, list, n);
	in.t.m[1].n.open = &o;
	in.t.m[1].n.nopen = 1;
	CHECK_INT(build(&p, &in, 4, 1, 0, &e), -1);
	CHECK(strstr(e.msg, "slot 5 is open (migrating)") && strstr(e.msg, "shardctl fix"));
	printf("refused (open slot): %s\n", e.msg);
	in.t.m[1].n.nopen = 0;
	in.t.nconflicts = 3;
	CHECK_INT(build(&p, &in, 4, 1, 0, &e), -1);
	CHECK(strstr(e.msg, "claimed by two masters") && strstr(e.msg, "shardctl fix"));
	input_release(&in);
}

/* Replicas avoid their master's hostkey when another exists: masters on h1
 * and h2, every node placed so that a perfect placement exists. */
static void test_hostkeys(void)
{
	int masters[16], list[MAXW], n;

	w_cluster(&W, 4, 1, masters);
	n = list_members(&W, list);
	for (int k = 0; k < 6; k++)
		list[n++] = w_new(&W, k % 2 ? "h2" : "h1");
	RUN_OK(&W, list, n, 6, 1, 0, NULL);
	RUN_OK(&W, list, n, 4, 2, 0, NULL);
	RUN_OK(&W, list, n, 3, 3, 0, NULL);
	for (int i = 0; i < W.nn; i++)
		if (W.n[i].member && !W.n[i].master && W.n[i].of >= 0 &&
		    strcmp(W.n[i].hk, W.n[W.n[i].of].hk) == 0) {
			int same = 0, other = 0;
			/* allowed only when the master has more replicas than
			 * the other host can hold: 3 replicas over 2 hosts */
			for (int j = 0; j < W.nn; j++)
				if (W.n[j].member && !W.n[j].master && W.n[j].of == W.n[i].of)
					*(strcmp(W.n[j].hk, W.n[W.n[i].of].hk) == 0 ? &same : &other) += 1;
			CHECK(other >= same);
		}
}

/* New masters go to the hostkey holding the fewest masters: three masters
 * on h1, new nodes on h1 and h2, one more shard: the h2 node is chosen. */
static void test_master_spread(void)
{
	int masters[4], list[MAXW], n;
	struct world *w = &W;

	memset(w, 0, sizeof(*w));
	w->idseed = 7;
	for (int k = 0; k < 3; k++)
		masters[k] = w_master(w, "h1");
	w_even(w, masters, 3);
	n = list_members(w, list);
	list[n++] = w_new(w, "h1");
	list[n++] = masters[3] = w_new(w, "h2");
	RUN_OK(w, list, n, 4, 0, 0, NULL);
	CHECK_INT(w->n[masters[3]].master, 1);
	CHECK(w_count(w, masters[3]) == 4096);
}

/* ---- captured replies, through the real parser ------------------------- */

static char *slurp(const char *name)
{
	char path[512], *buf = NULL;
	const char *dir = getenv("FIXTURES");
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s.txt", dir ? dir : "tests/fixtures/nodes", name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len)
		buf[len] = '\0';
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* topo from captured CLUSTER NODES replies (names[] without ".txt") */
static int fixture_topo(struct topo *t, const char *const *names, int n)
{
	struct view v[8];
	struct sc_err e;
	int rc = -1, nv = 0;

	memset(v, 0, sizeof(v));
	for (; nv < n; nv++) {
		char *text = slurp(names[nv]);
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
	CHECK_INT(count_kind(&p, STEP_MEET), 2);
	CHECK_INT(count_kind(&p, STEP_MOVE), 3);
	CHECK_INT(count_kind(&p, STEP_REPLICATE), 1);
	CHECK(print_both(&p));
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

/* ---- generated topologies ---------------------------------------------- */

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
	while (n < need)
		list[n++] = w_new(w, host_name((int)rnd() % H));
	if (rnd() % 4 == 0)
		for (int k = (int)(rnd() % 3); k > 0; k--)
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
	RUN_OK(&W, list, 1000, 3, 1, 0, NULL);
}

int main(int argc, char **argv)
{
	int cases = argc > 1 ? atoi(argv[1]) : 2000;

	test_table();
	test_scale_out_4_to_5();
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
	test_refusals();
	test_refusals_fix();
	test_hostkeys();
	test_fixtures();
	test_master_spread();
	test_generated(cases);
	test_large();
	return UNIT_DONE("plan");
}
