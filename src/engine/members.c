/* members.c - see members.h. */
#include "engine/members.h"

#include <stdlib.h>
#include <string.h>

#include "base/vec.h"

int members_find(const struct members *ms, const char *id)
{
	for (int i = 0; id[0] && i < ms->n; i++)
		if (!ms->m[i].gone && strcmp(ms->m[i].id, id) == 0)
			return i;
	return -1;
}

int members_add(struct members *ms, const char *id, const struct addr *a, int master, const char *master_of)
{
	int i = members_find(ms, id);
	struct run_member *r;

	if (i < 0) {
		if (vec_grow((void **)&ms->m, &ms->cap, ms->n + 1, sizeof(*ms->m), 16) < 0)
			return -1;
		i = ms->n++;
		r = &ms->m[i];
		memset(r, 0, sizeof(*r));
		snprintf(r->id, sizeof(r->id), "%s", id);
	}
	r = &ms->m[i];
	r->addr = *a;
	r->master = master;
	r->role_unknown = 0;
	snprintf(r->master_of, sizeof(r->master_of), "%s", master_of);
	return 0;
}

void members_bus(struct members *ms, const char *id, const char *ip, int cport)
{
	int k = members_find(ms, id);

	if (k >= 0) {
		snprintf(ms->m[k].ip, sizeof(ms->m[k].ip), "%s", ip);
		ms->m[k].cport = cport;
	}
}

int members_from_topo(struct members *ms, const struct topo *t, struct sc_err *e)
{
	for (int i = 0; t && i < t->n; i++) {
		const struct node_entry *n = &t->m[i].n;
		struct addr a;
		if (!n->ip[0] || (n->flags & NF_NOADDR))
			continue;
		snprintf(a.host, sizeof(a.host), "%s", n->ip);
		a.port = n->port;
		if (members_add(ms, n->id, &a, (n->flags & NF_MASTER) != 0,
				(n->flags & NF_REPLICA) ? n->master : "") < 0)
			return err_set(e, ERR_FAIL, "out of memory");
		members_bus(ms, n->id, n->ip, n->cport > 0 ? n->cport : n->port + 10000);
		if (!t->m[i].reachable || (n->flags & (NF_FAIL | NF_PFAIL | NF_HANDSHAKE)))
			ms->m[members_find(ms, n->id)].dead = 1;
	}
	return 0;
}

void members_release(struct members *ms)
{
	if (!ms)
		return;
	free(ms->m);
	ms->m = NULL;
	ms->n = ms->cap = 0;
}
