/* plan_formats.c - the planner's last check (plan_ctx.h, plan_check_formats;
 * planner.h, REFUSALS): no step may send keys to a server that cannot read
 * them.  Keys travel as DUMP payloads (MIGRATE), whose format version each
 * server writes and accepts differently (server_kind.h); a payload the
 * target refuses fails the move half-way ("DUMP payload version or checksum
 * are wrong"), with the slot left open.  So the plan is refused whole,
 * before anything changes.  Moves from an older format to a newer one (a
 * rolling upgrade onto new servers) are fine.  A replica's full sync is an
 * RDB file of its master's format, so a REPLICATE step is judged the same
 * way, from the master to the replica. */
#include <stdio.h>

#include "core/plan_ctx.h"

/* The unit standing for plan node `node` (its node or, after a reset, its
 * node2); -1 when none. */
static int unit_of_node(const struct plan_ctx *c, int node)
{
	for (int i = 0; i < c->nu; i++)
		if (c->u[i].node == node || c->u[i].node2 == node)
			return i;
	return -1;
}

/* The server unit i runs: what the survey read of the member, else what the
 * probe read of the listed node; NULL when neither knows. */
static const struct server_kind *unit_server(const struct plan_ctx *c, int i)
{
	const struct unit *u = &c->u[i];

	if (u->member >= 0 && c->t->m[u->member].server.family != SERVER_UNKNOWN)
		return &c->t->m[u->member].server;
	if (u->want >= 0 && c->in->want[u->want].server.family != SERVER_UNKNOWN)
		return &c->in->want[u->want].server;
	return NULL;
}

int plan_check_formats(struct plan_ctx *c)
{
	for (int k = 0; k < c->p->nsteps; k++) {
		const struct step *s = &c->p->steps[k];
		const struct server_kind *from, *to;
		char a[300], b[300], fa[64], fb[64];
		int src, dst;

		if (s->kind == STEP_REPLICATE) { /* the master's full sync: peer -> node */
			src = unit_of_node(c, s->peer);
			dst = unit_of_node(c, s->node);
		} else if (s->kind == STEP_MOVE || s->kind == STEP_FINISH) {
			src = unit_of_node(c, s->node);
			dst = unit_of_node(c, s->peer);
		} else {
			continue;
		}
		if (src < 0 || dst < 0)
			continue; /* cannot happen: every step's node is a unit's */
		from = unit_server(c, src);
		to = unit_server(c, dst);
		if (!from || !to || server_kind_can_receive(from, to))
			continue;
		plan_member_name(c, src, a, sizeof(a));
		plan_member_name(c, dst, b, sizeof(b));
		if (s->kind == STEP_REPLICATE)
			return err_set(c->e, ERR_REFUSED,
				       "cannot make %s (%s, data format %d) a replica of %s (%s, data format %d): "
				       "its full sync would be refused; give it a master at most as new, or upgrade "
				       "%s first",
				       b, server_kind_format(to, fb, sizeof(fb)), server_kind_dump_version(to), a,
				       server_kind_format(from, fa, sizeof(fa)), server_kind_dump_version(from), b);
		return err_set(c->e, ERR_REFUSED,
			       "cannot %s slots from %s (%s, DUMP format %d) to %s (%s, DUMP format %d): "
			       "their keys would be refused (\"DUMP payload version or checksum are wrong\"); "
			       "move onto servers at least as new, or upgrade %s first",
			       s->kind == STEP_MOVE ? "move" : "finish moving", a,
			       server_kind_format(from, fa, sizeof(fa)), server_kind_dump_version(from), b,
			       server_kind_format(to, fb, sizeof(fb)), server_kind_dump_version(to), b);
	}
	return 0;
}
