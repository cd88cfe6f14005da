/* plan_world.c - the planner's unit tests' world (see plan_world.h). */
#include "plan_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

unsigned pw_rnd_state = 1;

unsigned pw_rnd(void)
{
	pw_rnd_state = pw_rnd_state * 1103515245u + 12345u;
	return (pw_rnd_state >> 16) & 0x7fff;
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

int pw_master(struct world *w, const char *hk) { return w_add(w, hk, 1, 1, -1); }
int pw_replica(struct world *w, int m, const char *hk) { return w_add(w, hk, 1, 0, m); }
int pw_new(struct world *w, const char *hk) { return w_add(w, hk, 0, 0, -1); }

void pw_assign(struct world *w, int first, int last, int node)
{
	for (int s = first; s <= last; s++)
		w->owner[s] = node;
}

/* Contiguous even split over masters[0..n-1], the first ones one bigger. */
void pw_even(struct world *w, const int *masters, int n)
{
	int s = 0;
	for (int k = 0; k < n; k++) {
		int len = CLUSTER_SLOTS / n + (k < CLUSTER_SLOTS % n);
		pw_assign(w, s, s + len - 1, masters[k]);
		s += len;
	}
}

int pw_find_port(const struct world *w, int port)
{
	for (int i = 0; i < w->nn; i++)
		if (w->n[i].port == port)
			return i;
	return -1;
}

/* The topo of the world's members (in world order) and the want list of the
 * listed world nodes. */

void pw_input_release(struct input *in)
{
	free(in->t.m);
	free(in->want);
	memset(in, 0, sizeof(*in));
}

void pw_input_build(struct input *in, const struct world *w, const int *list, int nlist)
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
		if (w->n[i].reachable)
			m->server = w->n[i].server;
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
		if (x->reachable)
			wn->server = x->server;
	}
	in->nwant = nlist;
}

int pw_named_cluster;

int pw_build(struct plan *p, struct input *in, int S, int R, int evac, struct sc_err *e)
{
	struct plan_input pi = { .t = &in->t, .want = in->want, .nwant = in->nwant, .shards = S, .replicas = R,
				  .evacuate_only = evac, .named_cluster = pw_named_cluster };
	err_clear(e);
	return plan_build(p, &pi, e);
}

/* ---- checking a plan by carrying it out on the world ------------------- */

char pw_why[512]; /* the first violation found, for generated cases */

#define FAIL_IF(cond, ...)                                                        \
	do {                                                                      \
		if (cond) {                                                       \
			snprintf(pw_why, sizeof(pw_why), __VA_ARGS__);                  \
			return -1;                                                \
		}                                                                 \
	} while (0)

int pw_of_node(const struct world *w, const struct plan *p, int node)
{
	if (node < 0 || node >= p->nnodes)
		return -1;
	return pw_find_port(w, p->nodes[node].addr.port);
}

int pw_count(const struct world *w, int node)
{
	int n = 0;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		n += w->owner[s] == node;
	return n;
}

/* 1 when plan node `node` joins by a MEET of this plan. */
static int met_here(const struct plan *p, int node)
{
	for (int k = 0; k < p->nsteps; k++)
		if (p->steps[k].kind == STEP_MEET && p->steps[k].node == node)
			return 1;
	return 0;
}

/* Rank of each step kind in the documented order; FORGET before any other
 * kind is the reset of a replica turned into a master; a REPLICATE of a
 * new replica to a new master may stand between the MEETs and their WAIT
 * (planner.h, STEP ORDER). */
static int check_order(const struct world *w, const struct plan *p, const int *listed, int evac)
{
	int rank = 0, last_kind = -1, round = 0;
	static unsigned char busy[MAXW];

	memset(busy, 0, sizeof(busy));
	for (int k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];
		int r;
		switch (s->kind) {
		case STEP_FORGET: r = listed[pw_of_node(w, p, s->node)] ? 0 : 8; break;
		case STEP_MEET: r = 1; break;
		case STEP_FAILOVER: r = 3; break;
		case STEP_MOVE: r = 5; break;
		case STEP_REPLICATE: r = 6; break;
		default: r = -1; break;
		}
		if (s->kind == STEP_WAIT) {
			FAIL_IF(last_kind == STEP_WAIT || k == 0, "step %d: misplaced wait", k);
			FAIL_IF(s->node != -1 || s->peer != -1, "step %d: wait names nodes", k);
			last_kind = STEP_WAIT;
			continue;
		}
		if (s->kind == STEP_REPLICATE && last_kind == STEP_MEET) {
			FAIL_IF(!met_here(p, s->node) || !met_here(p, s->peer),
				"step %d: replicate between the joins and their wait, not of two joining nodes", k);
			continue; /* the WAIT after the joins is still due */
		}
		FAIL_IF(r < rank, "step %d (kind %d) out of order", k, s->kind);
		FAIL_IF(s->node < 0 || s->node >= p->nnodes, "step %d: no node", k);
		FAIL_IF((s->kind == STEP_FORGET) != (s->peer < 0) || s->peer >= p->nnodes,
			"step %d: peer %d", k, s->peer);
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
		int a = pw_of_node(w, p, s->node), b = pw_of_node(w, p, s->peer);
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
			if (!w->n[a].master && w->n[a].of >= 0 && listed[w->n[a].of] && pw_count(w, w->n[a].of)) {
				int reps = 0;
				for (int i = 0; i < w->nn; i++)
					reps += listed[i] && w->n[i].member && !w->n[i].master && w->n[i].of == w->n[a].of;
				FAIL_IF(reps <= R, "step %d: replica taken from a master with %d replicas", k, reps);
			}
			FAIL_IF(!w->n[a].member || pw_count(w, a), "step %d: replicate of a node owning slots", k);
			FAIL_IF(!listed[a], "step %d: replicate of an unlisted node", k);
			w->n[a].master = 0;
			w->n[a].of = b;
			break;
		case STEP_FORGET:
			FAIL_IF(!w->n[a].member, "step %d: forget of a non-member", k);
			FAIL_IF(pw_count(w, a), "step %d: forget of a node owning slots", k);
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
static int check_final(const struct world *w, const int *listed, int S, int R)
{
	int masters = 0, base = CLUSTER_SLOTS / S;
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
		FAIL_IF(rep[i] != R, "master %d has %d replicas, want %d", w->n[i].port, rep[i], R);
	}
	return 0;
}

/* As few REPLICATE steps as the final masters allow: every master keeps
 * up to R of the listed replicas it had (through a failover, the promoted
 * replica inherits its old master's), so the steps are S*R minus those. */
static int check_replicates(const struct world *w, const struct plan *p, const int *listed,
				      const int *was_of, int S, int R)
{
	static int promoted[MAXW], kept[MAXW];
	int want = S * R, got = 0;

	for (int i = 0; i < w->nn; i++)
		promoted[i] = kept[i] = 0;
	for (int k = 0; k < p->nsteps; k++) {
		if (p->steps[k].kind == STEP_FAILOVER)
			promoted[pw_of_node(w, p, p->steps[k].peer)] = 1 + pw_of_node(w, p, p->steps[k].node);
		got += p->steps[k].kind == STEP_REPLICATE;
	}
	for (int i = 0; i < w->nn; i++) {
		int m = was_of[i];
		if (!listed[i] || m < 0 || w->n[i].master)
			continue;
		if (promoted[m])
			m = promoted[m] - 1;
		if (m != i && w->n[m].member && w->n[m].master && kept[m] < R) {
			kept[m]++;
			want--;
		}
	}
	FAIL_IF(got != want, "%d replicate steps, %d would do", got, want);
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
			v[n++] = pw_count(w, i);
		} else {
			for (int j = 0; j < w->nn; j++)
				if (listed[j] && w->n[j].member && w->n[j].reachable && !w->n[j].master &&
				    w->n[j].of == i && !w->n[j].link_down) {
					v[n++] = pw_count(w, i);
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
struct pw_stats pw_stats;

int pw_ranges(const struct world *w, int node)
{
	int n = 0;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		n += w->owner[s] == node && (s == 0 || w->owner[s - 1] != node);
	return n;
}

static void count_stats(const struct world *w, const struct plan *p, const int *listed)
{
	pw_stats.plans++;
	for (int k = 0; k < p->nsteps; k++) {
		pw_stats.steps[p->steps[k].kind]++;
		if (p->steps[k].kind == STEP_FORGET && listed[pw_of_node(w, p, p->steps[k].node)])
			pw_stats.resets++;
	}
	pw_stats.moved += p->moved_slots;
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
int pw_print_both(const struct plan *p)
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
 * (must be empty).  Returns 0, or -1 with `pw_why` set.  The world ends in the
 * planned state. */
int pw_run_case(struct world *w, const int *list, int nlist, int S, int R, int evac, struct plan *out)
{
	struct input in;
	struct plan p, q;
	struct sc_err e;
	static int was_of[MAXW];
	int listed[MAXW] = { 0 }, rc = -1, minimum;

	for (int k = 0; k < nlist; k++)
		listed[list[k]] = 1;
	pw_input_build(&in, w, list, nlist);
	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	if (pw_build(&p, &in, S, R, evac, &e) < 0) {
		snprintf(pw_why, sizeof(pw_why), "plan_build: %s", e.msg);
		goto out;
	}
	if (pw_build(&q, &in, S, R, evac, &e) < 0 || !same_plan(&p, &q)) {
		snprintf(pw_why, sizeof(pw_why), "second build differs");
		goto out;
	}
	if (!pw_print_both(&p)) {
		snprintf(pw_why, sizeof(pw_why), "plan_print's JSON does not parse");
		goto out;
	}
	minimum = min_moves(w, listed, S);
	if (check_order(w, &p, listed, evac) < 0)
		goto out;
	if (!evac && p.moved_slots != minimum) {
		snprintf(pw_why, sizeof(pw_why), "moved %d slots, minimum %d", p.moved_slots, minimum);
		goto out;
	}
	count_stats(w, &p, listed);
	for (int i = 0; i < w->nn; i++)
		was_of[i] = w->n[i].member && !w->n[i].master ? w->n[i].of : -1;
	if (apply(w, &p, listed, R, evac) < 0)
		goto out;
	if (!evac && check_replicates(w, &p, listed, was_of, S, R) < 0)
		goto out;
	for (int i = 0; i < w->nn; i++)
		if (w->n[i].member && w->n[i].master) {
			int r = pw_ranges(w, i);
			if (r > pw_stats.max_ranges)
				pw_stats.max_ranges = r;
		}
	if (!evac && check_final(w, listed, S, R) < 0)
		goto out;
	for (int i = 0; evac && i < w->nn; i++)
		if (!listed[i] && pw_count(w, i)) {
			snprintf(pw_why, sizeof(pw_why), "evacuation left %d slots on %d", pw_count(w, i), w->n[i].port);
			goto out;
		}
	if (!evac) {
		pw_input_release(&in);
		plan_release(&q);
		pw_input_build(&in, w, list, nlist);
		if (pw_build(&q, &in, S, R, 0, &e) < 0) {
			snprintf(pw_why, sizeof(pw_why), "replan: %s", e.msg);
			goto out;
		}
		if (q.nsteps) {
			snprintf(pw_why, sizeof(pw_why), "replan after carrying out has %d steps", q.nsteps);
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
	pw_input_release(&in);
	return rc;
}


struct world pw_world; /* big: kept out of the stack */

int pw_list_members(const struct world *w, int *list)
{
	int n = 0;
	for (int i = 0; i < w->nn; i++)
		if (w->n[i].member)
			list[n++] = i;
	return n;
}

/* S masters with R replicas each, created the way create.h lays them out:
 * masters first, then replicas, alternating between two hosts. */
void pw_cluster(struct world *w, int S, int R, int *masters)
{
	static const char *hosts[] = { "h1", "h2" };
	memset(w, 0, sizeof(*w));
	w->idseed = 42;
	for (int k = 0; k < S; k++)
		masters[k] = pw_master(w, hosts[k % 2]);
	for (int r = 0; r < R; r++)
		for (int k = 0; k < S; k++)
			pw_replica(w, masters[k], hosts[(k + r + 1) % 2]);
	pw_even(w, masters, S);
}

int pw_count_kind(const struct plan *p, enum step_kind k)
{
	int n = 0;
	for (int i = 0; i < p->nsteps; i++)
		n += p->steps[i].kind == k;
	return n;
}
