/* plan_ctx.c - the planner's shared pieces (plan_ctx.h). */
#include "core/plan_ctx.h"

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
