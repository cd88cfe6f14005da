/* owners.c - see owners.h. */
#include "cluster/owners.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/fix_plan.h"

/* "1-3,7" of sorted slots into buf; a trailing ",..." when cut. */
static void ranges_of(const int *slots, int n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < n && off + 16 < len; k++) {
		int first = slots[k];
		while (k + 1 < n && slots[k + 1] == slots[k] + 1)
			k++;
		off += (size_t)snprintf(buf + off, len - off, first == slots[k] ? "%s%d" : "%s%d-%d", off ? "," : "",
					first, slots[k]);
	}
	if (off + 16 >= len && off + 5 < len)
		snprintf(buf + off, len - off, ",...");
}

int owners_teach(const struct owners_req *r, struct sc_err *e)
{
	const struct topo *t = r->t;
	const char *pre = r->prefix ? r->prefix : "";
	int *slots = malloc(CLUSTER_SLOTS * sizeof(*slots)), total = 0, rc = -1;
	struct conn *c = NULL;
	char ranges[160], desc[300];

	if (!slots)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int m = 0; m < t->n; m++) {
		struct sc_err ce;
		struct addr a;
		struct view v;
		redisReply *x;
		int n, bad = 0;
		conn_free(c);
		c = NULL;
		if (!(t->m[m].n.flags & NF_MASTER) || !t->m[m].reachable)
			continue;
		snprintf(a.host, sizeof(a.host), "%s", t->m[m].n.ip);
		a.port = t->m[m].n.port;
		if (!(c = conn_open(&a, r->conn, &ce)) || !(x = conn_command(c, "CLUSTER NODES")))
			continue;
		memset(&v, 0, sizeof(v));
		n = x->type == REDIS_REPLY_STRING && view_parse(&v, x->str, &ce) == 0 ? fix_unseen_slots(t, &v, slots) : 0;
		freeReplyObject(x);
		view_release(&v);
		if (n == 0)
			continue;
		ranges_of(slots, n, ranges, sizeof(ranges));
		log_say(r->log, "%s%stell '%s:%d' the owners of %d slot%s it sees unassigned (or owned by a failed "
			     "node) though their owners claim them (%s)", pre, r->dry_run ? "would " : "", a.host, a.port,
			     n, n == 1 ? "" : "s", ranges);
		total += n;
		if (r->dry_run)
			continue;
		for (int k = 0; k < n; k++)
			conn_append(c, "CLUSTER SETSLOT %d NODE %s", slots[k], t->m[t->owner[slots[k]]].n.id);
		for (int k = 0; k < n; k++) {
			if (!(x = conn_read(c))) {
				*e = c->err;
				goto out;
			}
			if (!reply_is_status(x, "OK") && !bad++)
				log_say(r->log, "%swarning: 'CLUSTER SETSLOT %d NODE' on '%s:%d': %s", pre, slots[k],
					     a.host, a.port, reply_describe(x, desc, sizeof(desc)));
			freeReplyObject(x);
		}
	}
	rc = total;
out:
	conn_free(c);
	free(slots);
	return rc;
}
