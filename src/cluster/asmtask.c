/* asmtask.c - see asmtask.h. */
#include "cluster/asmtask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum asmtask_state state_of(const char *s)
{
	if (strcmp(s, "completed") == 0)
		return ASMTASK_COMPLETED;
	if (strcmp(s, "failed") == 0)
		return ASMTASK_FAILED;
	if (strcmp(s, "canceled") == 0)
		return ASMTASK_CANCELED;
	return ASMTASK_RUNNING;
}

/* One entry: a flat array of name, value, name, value ... */
static int entry_parse(const redisReply *r, void *out)
{
	struct asmtask *t = out;

	memset(t, 0, sizeof(*t));
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
		return -1;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		char op[16];

		if (k->type != REDIS_REPLY_STRING && k->type != REDIS_REPLY_STATUS)
			return -1;
		if (strcmp(k->str, "retries") == 0 && v->type == REDIS_REPLY_INTEGER)
			t->retries = v->integer;
		else if (strcmp(k->str, "id") == 0)
			reply_copy_str(v, t->id, sizeof(t->id));
		else if (strcmp(k->str, "slots") == 0)
			t->slots_cut = reply_copy_str(v, t->slots, sizeof(t->slots));
		else if (strcmp(k->str, "source") == 0)
			reply_copy_str(v, t->source, sizeof(t->source));
		else if (strcmp(k->str, "dest") == 0)
			reply_copy_str(v, t->dest, sizeof(t->dest));
		else if (strcmp(k->str, "operation") == 0) {
			reply_copy_str(v, op, sizeof(op));
			t->import = strcmp(op, "import") == 0;
		} else if (strcmp(k->str, "state") == 0)
			reply_copy_str(v, t->state, sizeof(t->state));
		else if (strcmp(k->str, "last_error") == 0)
			reply_copy_str(v, t->last_error, sizeof(t->last_error));
	}
	if (!t->state[0] || !t->id[0])
		return -1;
	t->st = state_of(t->state);
	return 0;
}

int asmtask_read(struct conn *c, const char *id, struct asmtask **v, int *n, struct sc_err *e)
{
	redisReply *r = id ? conn_command(c, "CLUSTER MIGRATION STATUS ID %s", id)
			   : conn_command(c, "CLUSTER MIGRATION STATUS ALL");

	return conn_reply_list(c, r, "CLUSTER MIGRATION STATUS", "a task", sizeof(**v), entry_parse, (void **)v,
			       n, e);
}

int asmtask_import(struct conn *c, const struct slot_range *r, int nr, char *id, int idlen, char *why, int whylen,
		   struct sc_err *e)
{
	const char **argv = calloc((size_t)nr * 2 + 3, sizeof(*argv));
	size_t *lens = calloc((size_t)nr * 2 + 3, sizeof(*lens));
	char (*num)[8] = calloc((size_t)nr * 2 + 1, sizeof(*num));
	redisReply *x = NULL;
	int argc = 0, rc = -1;

	id[0] = why[0] = '\0';
	if (!argv || !lens || !num) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	argv[argc++] = "CLUSTER";
	argv[argc++] = "MIGRATION";
	argv[argc++] = "IMPORT";
	for (int k = 0; k < nr; k++) {
		snprintf(num[2 * k], sizeof(num[0]), "%d", r[k].first);
		snprintf(num[2 * k + 1], sizeof(num[0]), "%d", r[k].last);
		argv[argc++] = num[2 * k];
		argv[argc++] = num[2 * k + 1];
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (!(x = conn_command_argv(c, argc, argv, lens))) {
		*e = c->err;
		goto out;
	}
	if ((x->type == REDIS_REPLY_STRING || x->type == REDIS_REPLY_STATUS) && x->len > 0) {
		reply_copy_str(x, id, (size_t)idlen);
		rc = 0;
	} else {
		reply_describe(x, why, whylen);
		rc = reply_class(x) == RC_ASM_BUSY ? 2 : 1;
	}
out:
	if (x)
		freeReplyObject(x);
	free(argv);
	free(lens);
	free(num);
	return rc;
}

int asmtask_cancel(struct conn *c, const char *id, struct sc_err *e)
{
	redisReply *r = conn_command(c, "CLUSTER MIGRATION CANCEL ID %s", id);
	char desc[300];
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type == REDIS_REPLY_INTEGER)
		rc = (int)r->integer;
	else
		err_set(e, ERR_FAIL, "'CLUSTER MIGRATION CANCEL' on '%s' answered %s", c->name,
			reply_describe(r, desc, sizeof(desc)));
	freeReplyObject(r);
	return rc;
}

int asmtask_running(struct conn *c, char *what, int len, struct sc_err *e)
{
	struct asmtask *v;
	int n, run = 0;

	if (asmtask_read(c, NULL, &v, &n, e) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (v[i].st == ASMTASK_COMPLETED || v[i].st == ASMTASK_CANCELED)
			continue;
		if (v[i].st == ASMTASK_FAILED && asmtask_cancel(c, v[i].id, e) < 0) {
			free(v);
			return -1;
		}
		if (!run++)
			snprintf(what, (size_t)len, "%s of slots %s%s (%s%s%s)", v[i].import ? "import" : "export",
				 v[i].slots, v[i].slots_cut ? "..." : "", v[i].state,
				 v[i].st == ASMTASK_FAILED ? ", cancelled: " : "",
				 v[i].st == ASMTASK_FAILED ? v[i].last_error : "");
	}
	free(v);
	return run;
}
