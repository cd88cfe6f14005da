/* node.c - see node.h. */
#include "cluster/node.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"

#define NODE_POLL_MS 100 /* how often node_promote looks at the role */

int node_id(struct conn *c, char *id, struct sc_err *e)
{
	redisReply *r = conn_command(c, "CLUSTER MYID");
	char desc[300];
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type == REDIS_REPLY_STRING && r->len == NODE_ID_LEN) {
		memcpy(id, r->str, NODE_ID_LEN + 1);
		rc = 0;
	} else {
		err_set(e, ERR_FAIL, "'CLUSTER MYID' on '%s' answered %s", c->name,
			reply_describe(r, desc, sizeof(desc)));
	}
	freeReplyObject(r);
	return rc;
}

int node_is_master(struct conn *c)
{
	redisReply *r = conn_command(c, "ROLE");
	int yes = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		  r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;

	if (r)
		freeReplyObject(r);
	return yes;
}

int node_repl_synced(struct conn *c, char *why, int len)
{
	redisReply *r = conn_command(c, "INFO replication");
	char role[16], link[16], sync[8];
	int rc = -1;

	if (!r || r->type != REDIS_REPLY_STRING) {
		snprintf(why, (size_t)len, "%s", r ? "no INFO replication" : c->err.msg);
		goto out;
	}
	if (info_field(r->str, "role", role, sizeof(role)) == 0 && strcmp(role, "master") == 0) {
		rc = 1;
	} else if (info_field(r->str, "master_link_status", link, sizeof(link)) < 0 || strcmp(link, "up") != 0) {
		snprintf(why, (size_t)len, "master_link_status:down");
		rc = 0;
	} else if (info_field(r->str, "master_sync_in_progress", sync, sizeof(sync)) == 0 && strcmp(sync, "0") != 0) {
		snprintf(why, (size_t)len, "master_sync_in_progress:1");
		rc = 0;
	} else {
		rc = 1;
	}
out:
	if (r)
		freeReplyObject(r);
	return rc;
}

/* A string element equal to `word` (any case) anywhere in r. */
static int reply_has_word(const redisReply *r, const char *word, int depth)
{
	if (!r || depth > 8)
		return 0;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		return strcasecmp(r->str, word) == 0;
	if (r->type != REDIS_REPLY_ARRAY)
		return 0;
	for (size_t i = 0; i < r->elements; i++)
		if (reply_has_word(r->element[i], word, depth + 1))
			return 1;
	return 0;
}

int node_setslot_timeout(struct conn *c)
{
	redisReply *r = conn_command(c, "COMMAND DOCS cluster|setslot");
	int yes = r && r->type != REDIS_REPLY_ERROR && reply_has_word(r, "timeout", 0);

	if (r)
		freeReplyObject(r);
	return yes;
}

int node_bus_port(struct conn *c, int port)
{
	redisReply *r = conn_command(c, "CLUSTER NODES");
	struct view v = { 0 };
	struct sc_err e;
	int cport = port + 10000;

	if (r && r->type == REDIS_REPLY_STRING && view_parse(&v, r->str, &e) == 0 && v.self >= 0 &&
	    v.e[v.self].cport > 0)
		cport = v.e[v.self].cport;
	view_release(&v);
	if (r)
		freeReplyObject(r);
	return cport;
}

int node_has_command(struct conn *c, const char *cmd, struct sc_err *e)
{
	redisReply *r = conn_command(c, "COMMAND INFO %s", cmd);
	char desc[300];
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
		rc = r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements > 0;
	else
		err_set(e, ERR_FAIL, "'COMMAND INFO %s' on '%s' answered %s", cmd, c->name,
			reply_describe(r, desc, sizeof(desc)));
	freeReplyObject(r);
	return rc;
}

int node_config_get(struct conn *c, const char *name, char *out, int len, struct sc_err *e)
{
	redisReply *r = conn_command(c, "CONFIG GET %s", name);
	char desc[300];
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	out[0] = '\0';
	if (r->type == REDIS_REPLY_ARRAY && (r->elements == 0 || r->elements == 2)) {
		if (r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING)
			snprintf(out, (size_t)len, "%s", r->element[1]->str);
		rc = 0;
	} else {
		err_set(e, ERR_FAIL, "'CONFIG GET %s' on '%s' answered %s", name, c->name,
			reply_describe(r, desc, sizeof(desc)));
	}
	freeReplyObject(r);
	return rc;
}

int node_failover(struct conn *c, struct sc_err *e)
{
	redisReply *r = conn_command(c, "CLUSTER FAILOVER");
	char desc[300];
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (reply_is_status(r, "OK"))
		rc = 0;
	else if (reply_class(r) == RC_MASTER_DOWN)
		rc = 1;
	else
		err_set(e, ERR_FAIL, "'CLUSTER FAILOVER' on '%s' failed: %s", c->name,
			reply_describe(r, desc, sizeof(desc)));
	freeReplyObject(r);
	return rc;
}

int node_promote(struct conn *c, long long deadline, int reask_ms, int *refused, struct sc_err *e)
{
	long long asked = 0, now;

	*refused = 0;
	while (!node_is_master(c)) {
		if (c->broken) {
			*e = c->err;
			return -1;
		}
		if ((now = clock_now_ms()) >= deadline)
			return 1;
		if (!asked || (*refused && now - asked >= 1000) || (reask_ms > 0 && now - asked >= reask_ms)) {
			if ((*refused = node_failover(c, e)) < 0)
				return -1;
			asked = now;
		}
		clock_sleep_ms(NODE_POLL_MS);
	}
	return 0;
}

int node_server(struct conn *c, struct server_kind *k, struct sc_err *e)
{
	redisReply *r = conn_command(c, "INFO server");
	char desc[300];
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type != REDIS_REPLY_STRING)
		err_set(e, ERR_FAIL, "'INFO server' on '%s' answered %s", c->name, reply_describe(r, desc, sizeof(desc)));
	else if (server_kind_parse(k, r->str) < 0)
		err_set(e, ERR_FAIL, "cannot tell which server '%s' runs (INFO server names no version)", c->name);
	else
		rc = 0;
	freeReplyObject(r);
	return rc;
}

int node_self_slots(struct conn *c, unsigned char *owned, int *nopen, int *open_first, struct sc_err *e)
{
	redisReply *r = conn_command(c, "CLUSTER NODES");
	struct view v = { 0 };
	char desc[300];
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type != REDIS_REPLY_STRING) {
		err_set(e, ERR_FAIL, "'CLUSTER NODES' on '%s' answered %s", c->name,
			reply_describe(r, desc, sizeof(desc)));
		goto out;
	}
	if (view_parse(&v, r->str, e) < 0)
		goto out;
	if (v.self < 0) {
		err_set(e, ERR_FAIL, "'CLUSTER NODES' on '%s' has no myself line", c->name);
		goto out;
	}
	if (owned) {
		memset(owned, 0, CLUSTER_SLOTS);
		for (int i = 0; i < v.e[v.self].nranges; i++)
			for (int s = v.e[v.self].ranges[i].first; s <= v.e[v.self].ranges[i].last; s++)
				if (s >= 0 && s < CLUSTER_SLOTS)
					owned[s] = 1;
	}
	*nopen = v.e[v.self].nopen;
	if (open_first && v.e[v.self].nopen)
		*open_first = v.e[v.self].open[0].slot;
	rc = 0;
out:
	view_release(&v);
	freeReplyObject(r);
	return rc;
}

int node_config_set(struct conn *c, const char *name, const char *value)
{
	redisReply *r = conn_command(c, "CONFIG SET %s %s", name, value);
	int ok = reply_is_status(r, "OK");

	if (r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}
