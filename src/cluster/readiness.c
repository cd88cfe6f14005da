/* readiness.c - see readiness.h. */
#include "cluster/readiness.h"

#include <stdio.h>
#include <string.h>

/* 1 when INFO field `name` is present and equals `want` */
static int field_is(const char *info, const char *name, const char *want)
{
	char v[64];

	return info_field(info, name, v, sizeof(v)) == 0 && strcmp(v, want) == 0;
}

int readiness_judge(const char *info, char *why, int len)
{
	char role[16];

	/* a server that gives no role is not one we can judge: not ready */
	if (info_field(info, "role", role, sizeof(role)) < 0) {
		snprintf(why, (size_t)len, "INFO has no role field");
		return 0;
	}
	if (!field_is(info, "loading", "0")) {
		snprintf(why, (size_t)len, "loading its dataset (loading:1)");
		return 0;
	}
	/* async_loading: a replica loading a new copy in the background
	 * (repl-diskless-load swapdb) still serves the old one: ready.  Only
	 * Redis >= 7 has it; its absence says nothing. */
	if (strcmp(role, "master") == 0)
		return 1;
	if (strcmp(role, "slave") != 0) {
		snprintf(why, (size_t)len, "unknown role '%s'", role);
		return 0;
	}
	if (!field_is(info, "master_link_status", "up")) {
		snprintf(why, (size_t)len, "replica: master_link_status is not up");
		return 0;
	}
	if (!field_is(info, "master_sync_in_progress", "0")) {
		snprintf(why, (size_t)len, "replica: sync with its master in progress (master_sync_in_progress:1)");
		return 0;
	}
	return 1;
}

int readiness_probe(struct conn *c, char *why, int len)
{
	/* INFO is served while loading (PING answers LOADING) */
	redisReply *r = conn_command(c, "INFO");
	char desc[200];
	int rc = -1;

	if (!r) {
		snprintf(why, (size_t)len, "%s", c->err.msg);
		return -1;
	}
	if (r->type == REDIS_REPLY_STRING)
		rc = readiness_judge(r->str, why, len);
	else
		snprintf(why, (size_t)len, "'INFO' answered %s", reply_describe(r, desc, sizeof(desc)));
	freeReplyObject(r);
	return rc;
}
