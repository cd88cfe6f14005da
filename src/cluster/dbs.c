/* dbs.c - see dbs.h */
#include "cluster/dbs.h"

#include <stdlib.h>
#include <string.h>

#include "base/vec.h"

static int add_used(struct node_dbs *d, int *cap, int db)
{
	if (node_dbs_has(d, db))
		return 0;
	if (vec_grow((void **)&d->used, cap, d->nused + 1, sizeof(*d->used), 8) < 0)
		return -1;
	d->used[d->nused++] = db;
	for (int i = d->nused - 1; i > 0 && d->used[i] < d->used[i - 1]; i--) {
		int t = d->used[i];
		d->used[i] = d->used[i - 1];
		d->used[i - 1] = t;
	}
	return 0;
}

/* "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb1:keys=1,..." */
static int parse_keyspace(struct node_dbs *d, int *cap, const char *info)
{
	for (const char *p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		long db, keys;
		if (strncmp(p, "db", 2) != 0)
			continue;
		db = strtol(p + 2, &end, 10);
		if (end == p + 2 || strncmp(end, ":keys=", 6) != 0 || db < 0 || db >= d->bound)
			continue;
		keys = strtol(end + 6, NULL, 10);
		if (keys > 0) {
			d->keys += keys;
			if (add_used(d, cap, (int)db) < 0)
				return -1;
		}
	}
	return 0;
}

long long node_dbs_info_keys(const char *info)
{
	struct node_dbs d;
	int cap = 0;

	memset(&d, 0, sizeof(d));
	d.bound = 1 << 30; /* every dbN line counts */
	if (parse_keyspace(&d, &cap, info) < 0)
		d.keys = -1;
	node_dbs_release(&d);
	return d.keys;
}

int node_dbs_read(struct conn *c, struct node_dbs *d, struct sc_err *e)
{
	redisReply *r;
	int cap = 0;

	memset(d, 0, sizeof(*d));
	d->bound = 1;
	if (add_used(d, &cap, 0) < 0)
		return err_set(e, ERR_FAIL, "out of memory");
	if (!(r = conn_command(c, "CONFIG GET cluster-databases")))
		goto broken;
	/* an empty array (no such setting) or an error (ACL, renamed): one */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING &&
	    atoi(r->element[1]->str) > 1)
		d->bound = atoi(r->element[1]->str);
	freeReplyObject(r);
	if (d->bound == 1)
		return 0;
	if (!(r = conn_command(c, "INFO keyspace")))
		goto broken;
	if (r->type == REDIS_REPLY_STRING) {
		if (parse_keyspace(d, &cap, r->str) < 0) {
			freeReplyObject(r);
			return err_set(e, ERR_FAIL, "out of memory");
		}
	}
	freeReplyObject(r);
	if (!(r = conn_command(c, "CLUSTER SLOT-STATS SLOTSRANGE 0 0")))
		goto broken;
	d->slot_stats = r->type == REDIS_REPLY_ARRAY;
	freeReplyObject(r);
	return 0;
broken:
	*e = c->err;
	node_dbs_release(d);
	return -1;
}

void node_dbs_release(struct node_dbs *d)
{
	free(d->used);
	d->used = NULL;
	d->nused = 0;
}

int node_dbs_has(const struct node_dbs *d, int db)
{
	for (int i = 0; i < d->nused; i++)
		if (d->used[i] == db)
			return 1;
	return 0;
}

long long node_dbs_slot_keys(struct conn *c, const struct node_dbs *d, int slot, struct sc_err *e)
{
	long long total = 0;
	int selected = 0, rc = 0;
	redisReply *r;

	for (int i = 0; i < d->nused && rc == 0; i++) {
		if (d->used[i] != selected) {
			if (conn_ok(c, e, "SELECT %d", d->used[i]) < 0)
				return -1;
			selected = d->used[i];
		}
		if (!(r = conn_command(c, "CLUSTER COUNTKEYSINSLOT %d", slot))) {
			*e = c->err;
			return -1;
		}
		if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
			total += r->integer;
		} else {
			char desc[200];
			rc = err_set(e, ERR_FAIL, "'CLUSTER COUNTKEYSINSLOT %d' in database %d on '%s': %s", slot,
				     d->used[i], c->name, reply_describe(r, desc, sizeof(desc)));
		}
		freeReplyObject(r);
	}
	if (selected != 0) {
		struct sc_err back;
		if (conn_ok(c, &back, "SELECT 0") < 0 && rc == 0) {
			*e = back;
			rc = -1;
		}
	}
	return rc ? -1 : total;
}

int node_dbs_stats_count(const redisReply *r, int slot, long long *n)
{
	*n = 0;
	if (!r || r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *p = r->element[i], *f;
		if (p->type != REDIS_REPLY_ARRAY || p->elements != 2 || p->element[0]->type != REDIS_REPLY_INTEGER)
			return -1;
		f = p->element[1];
		if (f->type != REDIS_REPLY_ARRAY)
			return -1;
		if (p->element[0]->integer != slot)
			continue;
		for (size_t k = 0; k + 1 < f->elements; k += 2)
			if (f->element[k]->type == REDIS_REPLY_STRING && !strcmp(f->element[k]->str, "key-count") &&
			    f->element[k + 1]->type == REDIS_REPLY_INTEGER)
				*n = f->element[k + 1]->integer;
	}
	return 0;
}
