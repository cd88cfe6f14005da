/* slotmig.c - see slotmig.h. */
#include "cluster/slotmig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum slotmig_state state_of(const char *s)
{
	if (strcmp(s, "success") == 0)
		return SLOTMIG_SUCCESS;
	if (strcmp(s, "failed") == 0)
		return SLOTMIG_FAILED;
	if (strcmp(s, "cancelled") == 0)
		return SLOTMIG_CANCELLED;
	return SLOTMIG_RUNNING;
}

/* One entry: a flat array of name, value, name, value ... */
static int entry_parse(const redisReply *r, void *out)
{
	struct slotmig *m = out;

	memset(m, 0, sizeof(*m));
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
		return -1;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (k->type != REDIS_REPLY_STRING && k->type != REDIS_REPLY_STATUS)
			return -1;
		if (v->type == REDIS_REPLY_INTEGER) {
			if (strcmp(k->str, "create_time") == 0)
				m->create_time = v->integer;
			continue;
		}
		if (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_STATUS)
			continue;
		if (strcmp(k->str, "name") == 0) {
			reply_copy_str(v, m->name, sizeof(m->name));
		} else if (strcmp(k->str, "operation") == 0) {
			m->export = strcmp(v->str, "EXPORT") == 0;
		} else if (strcmp(k->str, "slot_ranges") == 0) {
			m->ranges_cut = reply_copy_str(v, m->ranges, sizeof(m->ranges));
		} else if (strcmp(k->str, "target_node") == 0) {
			reply_copy_str(v, m->target, sizeof(m->target));
		} else if (strcmp(k->str, "source_node") == 0) {
			reply_copy_str(v, m->source, sizeof(m->source));
		} else if (strcmp(k->str, "create_time") == 0) {
			m->create_time = atoll(v->str);
		} else if (strcmp(k->str, "state") == 0) {
			reply_copy_str(v, m->state, sizeof(m->state));
		} else if (strcmp(k->str, "message") == 0) {
			reply_copy_str(v, m->message, sizeof(m->message));
		}
	}
	if (!m->state[0])
		return -1;
	m->st = state_of(m->state);
	return 0;
}

int slotmig_read(struct conn *c, struct slotmig **v, int *n, struct sc_err *e)
{
	return conn_reply_list(c, conn_command(c, "CLUSTER GETSLOTMIGRATIONS"), "CLUSTER GETSLOTMIGRATIONS", "a job",
			       sizeof(**v), entry_parse, (void **)v, n, e);
}

int slotmig_format_ranges(const struct slot_range *r, int nr, char *out, int len)
{
	int at = 0;

	if (len < 1)
		return -1;
	out[0] = '\0';
	for (int i = 0; i < nr; i++) {
		int k = snprintf(out + at, (size_t)(len - at), "%s%d-%d", i ? " " : "", r[i].first, r[i].last);
		if (k < 0 || k >= len - at)
			return -1;
		at += k;
	}
	return at;
}

int slotmig_running(struct conn *c, char *what, int len, struct sc_err *e)
{
	struct slotmig *v;
	int n, run = 0;

	if (slotmig_read(c, &v, &n, e) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (v[i].st != SLOTMIG_RUNNING)
			continue;
		if (!run++)
			snprintf(what, (size_t)len, "%s of slots %s%s (%s)", v[i].export ? "export" : "import",
				 v[i].ranges, v[i].ranges_cut ? "..." : "", v[i].state);
	}
	free(v);
	return run;
}
