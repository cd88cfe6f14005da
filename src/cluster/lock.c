/* lock.c - see lock.h */
#include "cluster/lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"

#define LOCK_PREFIX "shardctl-lock-"

struct cluster_lock {
	struct conn **c;
	int n;
};

void lock_release(struct cluster_lock *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n; i++)
		conn_free(l->c[i]);
	free(l->c);
	free(l);
}

/* Find, in a CLIENT LIST reply, a shardctl-lock client other than `self`
 * with an id lower than `self`.  Copies its name into holder.  1 / 0. */
static int lower_holder(const char *list, long long self, const char *me, char *holder, int len)
{
	const char *line = list;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *p;
		long long id = -1;
		char name[128] = "";

		if ((p = strstr(line, "id=")) == line)
			id = atoll(p + 3);
		p = strstr(line, " name=");
		if (p && (!end || p < end)) {
			size_t n = strcspn(p + 6, " \r\n");
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, p + 6, n);
			name[n] = '\0';
		}
		/* our own name at a lower id is a connection of an earlier
		 * attempt of ours, closed but not yet noticed by the server */
		if (id >= 0 && id < self && strncmp(name, LOCK_PREFIX, strlen(LOCK_PREFIX)) == 0 &&
		    strcmp(name, me) != 0) {
			snprintf(holder, (size_t)len, "%s", name);
			return 1;
		}
		line = end ? end + 1 : NULL;
	}
	return 0;
}

/* One attempt.  Returns 1 held, 0 someone else holds it (holder/where
 * filled), -1 error (e). */
static int attempt(struct cluster_lock *l, const struct addr *masters, int n, const struct conn_opts *o,
		   char *holder, int hlen, char *where, int wlen, struct sc_err *e)
{
	long long *ids = calloc((size_t)n + 1, sizeof(*ids));
	char name[64];
	redisReply *r = NULL;
	int rc = -1;

	if (!ids)
		return err_set(e, ERR_FAIL, "out of memory");
	snprintf(name, sizeof(name), LOCK_PREFIX "%ld", (long)getpid());
	/* register everywhere before looking anywhere (see lock.h) */
	for (int i = 0; i < n; i++) {
		if (!(l->c[i] = conn_open(&masters[i], o, e)))
			goto out;
		if (conn_ok(l->c[i], e, "CLIENT SETNAME %s", name) < 0)
			goto out;
		if (!(r = conn_command(l->c[i], "CLIENT ID"))) {
			*e = l->c[i]->err;
			goto out;
		}
		if (r->type != REDIS_REPLY_INTEGER) {
			err_set(e, ERR_FAIL, "'CLIENT ID' on '%s' gave no id", l->c[i]->name);
			goto out;
		}
		ids[i] = r->integer;
		freeReplyObject(r);
		r = NULL;
	}
	for (int i = 0; i < n; i++) {
		if (!(r = conn_command(l->c[i], "CLIENT LIST TYPE normal"))) {
			*e = l->c[i]->err;
			goto out;
		}
		if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
			err_set(e, ERR_FAIL, "'CLIENT LIST' on '%s' failed", l->c[i]->name);
			goto out;
		}
		if (lower_holder(r->str, ids[i], name, holder, hlen)) {
			snprintf(where, (size_t)wlen, "%s", l->c[i]->name);
			rc = 0;
			goto out;
		}
		freeReplyObject(r);
		r = NULL;
	}
	rc = 1;
out:
	if (r)
		freeReplyObject(r);
	free(ids);
	return rc;
}

struct cluster_lock *lock_acquire(const struct addr *masters, int n, const struct conn_opts *o,
				  int wait_ms, struct sc_err *e)
{
	struct cluster_lock *l = calloc(1, sizeof(*l));
	long long deadline = clock_now_ms() + wait_ms;
	char holder[128] = "", where[300] = "";
	unsigned seed = (unsigned)getpid() ^ (unsigned)clock_now_ms();
	int rc;

	if (!l || !(l->c = calloc((size_t)n + 1, sizeof(*l->c)))) {
		err_set(e, ERR_FAIL, "out of memory");
		lock_release(l);
		return NULL;
	}
	l->n = n;
	for (;;) {
		rc = attempt(l, masters, n, o, holder, sizeof(holder), where, sizeof(where), e);
		if (rc == 1)
			return l;
		for (int i = 0; i < n; i++) {
			conn_free(l->c[i]);
			l->c[i] = NULL;
		}
		if (rc < 0)
			break;
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "another reconcile holds the cluster lock (client '%s' on '%s'); "
				"wait for it to finish, or stop it (its lock dies with it)", holder, where);
			break;
		}
		/* random pause, so two losers do not keep colliding */
		clock_sleep_ms(100 + (int)(rand_r(&seed) % 400));
	}
	lock_release(l);
	return NULL;
}

int lock_held(struct cluster_lock *l)
{
	for (int i = 0; l && i < l->n; i++) {
		redisReply *r = conn_command(l->c[i], "PING");
		int ok = reply_is_status(r, "PONG");
		if (r)
			freeReplyObject(r);
		if (!ok)
			return 0;
	}
	return l != NULL;
}
