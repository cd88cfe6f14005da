/* plan.c - the plan as a value (plan.h): release, human lines and JSON. */
#include "core/plan.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"

static const char *kind_name(enum step_kind k)
{
	switch (k) {
	case STEP_MEET: return "meet";
	case STEP_WAIT: return "wait";
	case STEP_MOVE: return "move";
	case STEP_FAILOVER: return "failover";
	case STEP_REPLICATE: return "replicate";
	case STEP_FORGET: return "forget";
	case STEP_FINISH: return "finish";
	}
	return "unknown";
}

static const char *node_name(const struct plan *p, int i, char *buf, int len)
{
	if (i < 0 || i >= p->nnodes)
		return "?";
	return addr_format(&p->nodes[i].addr, buf, len);
}

/* Human lines stay readable: a fragmented move shows its first ranges and
 * how many there are (JSON always has them all). */
#define HUMAN_RANGES 16

static void print_ranges(FILE *f, const struct step *s)
{
	for (int k = 0; k < s->nranges && k < HUMAN_RANGES; k++) {
		if (s->ranges[k].first == s->ranges[k].last)
			fprintf(f, "%s%d", k ? "," : "", s->ranges[k].first);
		else
			fprintf(f, "%s%d-%d", k ? "," : "", s->ranges[k].first, s->ranges[k].last);
	}
	if (s->nranges > HUMAN_RANGES)
		fprintf(f, ",... (%d ranges)", s->nranges);
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

/* A node joins when it is met and was not forgotten first (a replica reset
 * into an empty master is both, and counted as neither). */
static int joins(const struct plan *p, int node)
{
	for (int k = 0; k < p->nsteps; k++)
		if (p->steps[k].kind == STEP_FORGET && p->steps[k].node != node &&
		    addr_equal(&p->nodes[p->steps[k].node].addr, &p->nodes[node].addr))
			return 0;
	return 1;
}

static int leaves(const struct plan *p, int node)
{
	for (int k = 0; k < p->nsteps; k++)
		if (p->steps[k].kind == STEP_MEET &&
		    addr_equal(&p->nodes[p->steps[k].node].addr, &p->nodes[node].addr))
			return 0;
	return 1;
}

static void print_human(const struct plan *p, FILE *f)
{
	char a[300], b[300];
	int nmoves = 0, njoin = 0, nleave = 0, nfail = 0, nrep = 0, nreset = 0;

	if (p->no_cluster) {
		fprintf(f, "no listed node belongs to a cluster: reconcile would create one "
			"(%d shards, %d replica%s each)\n", p->shards, p->replicas, plural(p->replicas));
		return;
	}
	if (p->nsteps == 0) {
		fprintf(f, "nothing to do: the cluster already matches the list "
			"(%d shards, %d replica%s each)\n", p->shards, p->replicas, plural(p->replicas));
		return;
	}
	for (int k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];
		fprintf(f, "%3d. %-9s ", k + 1, kind_name(s->kind));
		switch (s->kind) {
		case STEP_FINISH:
			fprintf(f, "%d slot%s %s -> %s, left open by an interrupted run%s: ", s->nslots,
				plural(s->nslots), node_name(p, s->node, a, sizeof(a)), node_name(p, s->peer, b, sizeof(b)),
				s->successor ? " (a node of that move failed over since: its replica goes on)" : "");
			print_ranges(f, s);
			fputc('\n', f);
			break;
		case STEP_MEET:
			fprintf(f, "%s joins through %s\n", node_name(p, s->node, a, sizeof(a)),
				node_name(p, s->peer, b, sizeof(b)));
			if (joins(p, s->node))
				njoin++;
			break;
		case STEP_WAIT:
			fprintf(f, "until every node agrees and reports cluster_state:ok\n");
			break;
		case STEP_MOVE:
			fprintf(f, "%d slots %s -> %s ", s->nslots, node_name(p, s->node, a, sizeof(a)),
				node_name(p, s->peer, b, sizeof(b)));
			if (p->atomic_moves)
				fprintf(f, "(atomic): ");
			else
				fprintf(f, "(round %d): ", s->round + 1);
			print_ranges(f, s);
			fputc('\n', f);
			nmoves++;
			break;
		case STEP_FAILOVER:
			fprintf(f, "%s takes over from its master %s (no data moves)\n",
				node_name(p, s->node, a, sizeof(a)), node_name(p, s->peer, b, sizeof(b)));
			nfail++;
			break;
		case STEP_REPLICATE:
			fprintf(f, "%s becomes a replica of %s\n", node_name(p, s->node, a, sizeof(a)),
				node_name(p, s->peer, b, sizeof(b)));
			nrep++;
			break;
		case STEP_FORGET:
			if (leaves(p, s->node)) {
				fprintf(f, "%s is forgotten by every node, then reset\n",
					node_name(p, s->node, a, sizeof(a)));
				nleave++;
			} else {
				fprintf(f, "%s is forgotten by every node, then reset to join again "
					"as an empty master\n", node_name(p, s->node, a, sizeof(a)));
				nreset++;
			}
			break;
		}
	}
	if (p->then_replan) {
		fprintf(f, "summary: reconcile would first finish %d slot(s) left open by an interrupted run; "
			"plan again after that for the rest\n", p->finish_slots);
		return;
	}
	fprintf(f, "summary: %d slot%s to move in %d move%s; %d node%s joining, %d leaving",
		p->moved_slots, plural(p->moved_slots), nmoves, plural(nmoves), njoin, plural(njoin), nleave);
	if (nfail)
		fprintf(f, ", %d failover%s", nfail, plural(nfail));
	if (nreset)
		fprintf(f, ", %d replica%s reset into master%s", nreset, plural(nreset), plural(nreset));
	if (nrep)
		fprintf(f, ", %d replica%s to attach", nrep, plural(nrep));
	if (nmoves)
		fprintf(f, "; slots move by %s",
			p->atomic_moves == PLAN_MOVES_REDIS ? "atomic slot migration (Redis CLUSTER MIGRATION), "
			"a node in one task at a time" : p->atomic_moves ? "atomic slot migration (Valkey CLUSTER "
			"MIGRATESLOTS), all moves at once" : "the legacy protocol (SETSLOT/MIGRATE)");
	fputc('\n', f);
}

static void json_node(FILE *f, const struct plan *p, const char *key, int i)
{
	char a[300];

	fprintf(f, "\"%s\":", key);
	if (i < 0 || i >= p->nnodes) {
		fprintf(f, "null,\"%s_id\":null", key);
		return;
	}
	json_str(f, node_name(p, i, a, sizeof(a)));
	fprintf(f, ",\"%s_id\":", key);
	if (p->nodes[i].id[0])
		json_str(f, p->nodes[i].id);
	else
		fputs("null", f);
}

static void json_names(FILE *f, const struct plan *p, enum step_kind kind)
{
	char a[300];
	int first = 1;

	fputc('[', f);
	for (int k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];
		if (s->kind != kind || (kind == STEP_MEET ? !joins(p, s->node) : !leaves(p, s->node)))
			continue;
		if (!first)
			fputc(',', f);
		json_str(f, node_name(p, s->node, a, sizeof(a)));
		first = 0;
	}
	fputc(']', f);
}

static void print_json(const struct plan *p, FILE *f)
{
	fprintf(f, "{\"no_cluster\":%s,\"shards\":%d,\"replicas\":%d,\"moved_slots\":%d,"
		"\"finish_open_slots\":%d,\"then_replan\":%s,\"steps\":[",
		p->no_cluster ? "true" : "false", p->shards, p->replicas, p->moved_slots, p->finish_slots,
		p->then_replan ? "true" : "false");
	for (int k = 0; k < p->nsteps; k++) {
		const struct step *s = &p->steps[k];
		fprintf(f, "%s{\"kind\":\"%s\",", k ? "," : "", kind_name(s->kind));
		json_node(f, p, "node", s->node);
		fputc(',', f);
		json_node(f, p, "peer", s->peer);
		if (s->kind == STEP_FINISH)
			fprintf(f, ",\"successor\":%s", s->successor ? "true" : "false");
		if (s->kind == STEP_MOVE || s->kind == STEP_FINISH) {
			fprintf(f, ",\"slots\":%d,\"round\":%d,\"ranges\":[", s->nslots, s->round);
			for (int r = 0; r < s->nranges; r++)
				fprintf(f, "%s[%d,%d]", r ? "," : "", s->ranges[r].first, s->ranges[r].last);
			fprintf(f, "],\"method\":\"%s\"",
				s->kind == STEP_MOVE && p->atomic_moves ? "atomic" : "legacy");
			if (s->kind == STEP_MOVE && p->atomic_moves)
				fprintf(f, ",\"family\":\"%s\"",
					p->atomic_moves == PLAN_MOVES_REDIS ? "redis" : "valkey");
		}
		fputc('}', f);
	}
	fputs("],\"joining\":", f);
	json_names(f, p, STEP_MEET);
	fputs(",\"leaving\":", f);
	json_names(f, p, STEP_FORGET);
	fputs("}\n", f);
}

void plan_print(const struct plan *p, FILE *f, int json)
{
	if (json)
		print_json(p, f);
	else
		print_human(p, f);
}

const char *plan_node_label(const struct plan *p, int i, char *buf, int len)
{
	if (i < 0 || i >= p->nnodes) {
		snprintf(buf, (size_t)len, "an unknown node");
		return buf;
	}
	return addr_label(&p->nodes[i].addr, buf, len);
}

void plan_release(struct plan *p)
{
	if (!p)
		return;
	for (int k = 0; k < p->nsteps; k++)
		free(p->steps[k].ranges);
	free(p->steps);
	free(p->nodes);
	memset(p, 0, sizeof(*p));
}
