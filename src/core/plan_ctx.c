/* plan_ctx.c - the planner's shared pieces (plan_ctx.h): sort keys, the
 * plan's nodes and steps as they are appended, how members are named. */
#include "core/plan_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int plan_oom(struct sc_err *e)
{
	return err_set(e, ERR_FAIL, "out of memory while planning");
}

int plan_same_host(const struct plan_ctx *c, int a, int b)
{
	return c->u[a].hk >= 0 && c->u[a].hk == c->u[b].hk;
}

int plan_key_cmp(const void *x, const void *y)
{
	const struct plan_key *a = x, *b = y;
	int cmp;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	cmp = strcmp(a->id, b->id);
	if (cmp)
		return cmp;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return (a->unit > b->unit) - (a->unit < b->unit);
}

static void topo_addr(const struct member *m, struct addr *a)
{
	const char *host = m->n.ip[0] ? m->n.ip : m->n.hostname;
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = m->n.port;
}

int plan_add_node(struct plan_ctx *c, const char *id, const struct addr *a)
{
	struct plan *p = c->p;
	struct plan_node *tmp = realloc(p->nodes, (size_t)(p->nnodes + 1) * sizeof(*tmp));

	if (!tmp)
		return -1;
	p->nodes = tmp;
	memset(&p->nodes[p->nnodes], 0, sizeof(p->nodes[0]));
	snprintf(p->nodes[p->nnodes].id, sizeof(p->nodes[0].id), "%s", id);
	p->nodes[p->nnodes].addr = *a;
	return p->nnodes++;
}

/* Plan node of unit i, created on first use; -1 when out of memory. */
int plan_node_of(struct plan_ctx *c, int i)
{
	struct unit *u = &c->u[i];
	struct addr a;

	if (u->node >= 0)
		return u->node;
	if (u->want >= 0)
		a = c->in->want[u->want].addr;
	else
		topo_addr(&c->t->m[u->member], &a);
	u->node = plan_add_node(c, u->id, &a);
	return u->node;
}


/* Append a step; node < 0 (a failed node_of) fails, except for WAIT, which
 * names no node. */
int plan_add_step(struct plan_ctx *c, enum step_kind kind, int node, int peer)
{
	struct plan *p = c->p;
	struct step *tmp;

	if (node < 0 && kind != STEP_WAIT)
		return -1;
	tmp = realloc(p->steps, (size_t)(p->nsteps + 1) * sizeof(*tmp));
	if (!tmp)
		return -1;
	p->steps = tmp;
	memset(&p->steps[p->nsteps], 0, sizeof(p->steps[0]));
	p->steps[p->nsteps].kind = kind;
	p->steps[p->nsteps].node = node;
	p->steps[p->nsteps].peer = peer;
	p->steps[p->nsteps].round = -1;
	p->nsteps++;
	return 0;
}

const char *plan_member_name(const struct plan_ctx *c, int i, char *buf, int len)
{
	if (c->u[i].want >= 0)
		return addr_label(&c->in->want[c->u[i].want].addr, buf, len);
	return member_label(&c->t->m[i], buf, (size_t)len);
}
