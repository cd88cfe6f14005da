/* ccli.c - see ccli.h */
#include "lib/ccli.h"
#include "base/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFRESH_MIN_US 100000 /* re-read the map at most every 100 ms */

uint64_t ccli_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int ccli_node_index(struct ccli *c, const struct addr *a)
{
	struct ccli_node *tmp;

	for (int i = 0; i < c->nnodes; i++)
		if (addr_equal(&c->node[i].addr, a))
			return i;
	if (c->nnodes == c->cap) {
		int cap = c->cap ? c->cap * 2 : 8;
		tmp = realloc(c->node, sizeof(*tmp) * (size_t)cap);
		if (!tmp)
			return -1;
		c->node = tmp;
		c->cap = cap;
	}
	memset(&c->node[c->nnodes], 0, sizeof(c->node[0]));
	c->node[c->nnodes].addr = *a;
	addr_format(a, c->node[c->nnodes].name, sizeof(c->node[0].name));
	return c->nnodes++;
}

struct conn *ccli_conn(struct ccli *c, int i, struct sc_err *e)
{
	if (i < 0 || i >= c->nnodes) {
		err_set(e, ERR_FAIL, "no such node %d", i);
		return NULL;
	}
	if (c->node[i].conn && c->node[i].conn->broken)
		ccli_drop(c, i);
	if (!c->node[i].conn) {
		c->node[i].conn = conn_open(&c->node[i].addr, &c->opts, e);
		if (c->node[i].conn && c->db != 0 && conn_ok(c->node[i].conn, e, "SELECT %d", c->db) < 0)
			ccli_drop(c, i);
	}
	return c->node[i].conn;
}

void ccli_select(struct ccli *c, int db)
{
	for (int i = 0; i < c->nnodes; i++)
		ccli_drop(c, i);
	c->db = db;
}

void ccli_drop(struct ccli *c, int i)
{
	if (i < 0 || i >= c->nnodes)
		return;
	conn_free(c->node[i].conn);
	c->node[i].conn = NULL;
}

int ccli_parse_slots(struct ccli *c, int from, const redisReply *r, int16_t *owner)
{
	int covered = 0;

	for (int s = 0; s < CLUSTER_SLOTS; s++)
		owner[s] = -1;
	if (!r || r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *ent = r->element[i], *m;
		struct addr a;
		long long first, last;
		int idx;

		if (!ent || ent->type != REDIS_REPLY_ARRAY || ent->elements < 3)
			return -1;
		if (ent->element[0]->type != REDIS_REPLY_INTEGER ||
		    ent->element[1]->type != REDIS_REPLY_INTEGER)
			return -1;
		first = ent->element[0]->integer;
		last = ent->element[1]->integer;
		if (first < 0 || last >= CLUSTER_SLOTS || first > last)
			return -1;
		m = ent->element[2];
		if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
		    m->element[0]->type != REDIS_REPLY_STRING ||
		    m->element[1]->type != REDIS_REPLY_INTEGER)
			return -1;
		if (strcmp(m->element[0]->str, "?") == 0)
			continue; /* endpoint unknown to this node */
		/* an empty endpoint means "the address you reached me at" */
		if (m->element[0]->len == 0)
			a = c->node[from].addr;
		else if (m->element[0]->len >= sizeof(a.host))
			return -1;
		else
			snprintf(a.host, sizeof(a.host), "%s", m->element[0]->str);
		if (m->element[1]->integer < 1 || m->element[1]->integer > 65535)
			return -1;
		a.port = (int)m->element[1]->integer;
		idx = ccli_node_index(c, &a);
		if (idx < 0)
			return -1;
		for (long long s = first; s <= last; s++) {
			if (owner[s] < 0)
				covered++;
			owner[s] = (int16_t)idx;
		}
	}
	return covered;
}

int ccli_refresh(struct ccli *c, struct sc_err *e)
{
	int16_t *owner = malloc(sizeof(int16_t) * CLUSTER_SLOTS);
	int best = -1, tried = 0, rc = -1;
	struct sc_err last = { 0 };

	if (!owner)
		return err_set(e, ERR_FAIL, "out of memory");
	c->stats.refreshes++;
	/* nodes with an open connection first, then the others */
	for (int pass = 0; pass < 2 && best < CLUSTER_SLOTS; pass++) {
		for (int i = 0; i < c->nnodes && best < CLUSTER_SLOTS; i++) {
			struct conn *conn;
			redisReply *r;
			int covered;

			if ((pass == 0) != (c->node[i].conn != NULL && !c->node[i].conn->broken))
				continue;
			tried++;
			conn = ccli_conn(c, i, &last);
			if (!conn)
				continue;
			r = conn_command(conn, "CLUSTER SLOTS");
			if (!r) {
				last = conn->err;
				ccli_drop(c, i);
				continue;
			}
			covered = ccli_parse_slots(c, i, r, owner);
			if (covered < 0)
				err_set(&last, ERR_FAIL, "unexpected CLUSTER SLOTS reply from '%s'",
					c->node[i].name);
			freeReplyObject(r);
			if (covered > best) {
				best = covered;
				memcpy(c->owner, owner, sizeof(int16_t) * CLUSTER_SLOTS);
			}
		}
	}
	if (best < 0) {
		if (tried == 0)
			err_set(e, ERR_FAIL, "no cluster node known");
		else
			*e = last;
		goto out;
	}
	c->stale = 0;
	c->refreshed_us = ccli_now_us();
	rc = 0;
out:
	free(owner);
	return rc;
}

int ccli_init(struct ccli *c, const struct addr_list *seeds, const struct conn_opts *o,
	      struct sc_err *e)
{
	memset(c, 0, sizeof(*c));
	c->opts = *o;
	c->max_redirects = 16;
	c->retry_ms = 5000;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		c->owner[s] = -1;
	for (int i = 0; i < seeds->n; i++)
		if (ccli_node_index(c, &seeds->v[i]) < 0)
			return err_set(e, ERR_FAIL, "out of memory");
	return ccli_refresh(c, e);
}

void ccli_release(struct ccli *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nnodes; i++)
		conn_free(c->node[i].conn);
	free(c->node);
	c->node = NULL;
	c->nnodes = c->cap = 0;
}

/* One attempt at node i: the reply, or NULL (connection lost, e filled). */
static redisReply *attempt(struct ccli *c, int i, int asking, int argc, const char **argv,
			   const size_t *lens, struct sc_err *e)
{
	struct conn *conn = ccli_conn(c, i, e);
	redisReply *r;

	if (!conn)
		return NULL;
	if (asking) {
		if (conn_append(conn, "ASKING") < 0 || conn_append_argv(conn, argc, argv, lens) < 0)
			goto broken;
		r = conn_read(conn);
		if (!r)
			goto broken;
		/* ASKING answers +OK; anything else is carried to the caller as
		 * the failure of this attempt after draining the command's reply */
		if (!reply_is_status(r, "OK")) {
			char d[200];
			err_set(e, ERR_FAIL, "'ASKING' on '%s' failed: %s", conn->name,
				reply_describe(r, d, sizeof(d)));
			freeReplyObject(r);
			r = conn_read(conn);
			if (r)
				freeReplyObject(r);
			return NULL;
		}
		freeReplyObject(r);
		r = conn_read(conn);
	} else {
		r = conn_command_argv(conn, argc, argv, lens);
	}
	if (r)
		return r;
broken:
	*e = conn->err;
	ccli_drop(c, i);
	return NULL;
}

redisReply *ccli_command_argv(struct ccli *c, int slot, int argc, const char **argv,
			      const size_t *lens, struct sc_err *e)
{
	uint64_t deadline = ccli_now_us() + (uint64_t)c->retry_ms * 1000u, backoff = 1000;
	int redirects = 0, ask_node = -1;
	struct sc_err why = { 0 };
	redisReply *r = NULL;
	char desc[300];

	if (slot < 0 || slot >= CLUSTER_SLOTS) {
		err_set(e, ERR_FAIL, "slot %d out of range", slot);
		return NULL;
	}
	for (;;) {
		int node, asking = ask_node >= 0, moved_to;
		struct addr to;
		enum reply_class rc;

		if (c->stale && ccli_now_us() - c->refreshed_us >= REFRESH_MIN_US)
			ccli_refresh(c, &why); /* a failure shows up below */
		node = asking ? ask_node : c->owner[slot];
		ask_node = -1;
		if (node < 0) {
			err_set(&why, ERR_FAIL, "slot %d is not served by any node", slot);
			goto retry;
		}
		r = attempt(c, node, asking, argc, argv, lens, &why);
		if (!r) {
			c->stats.io++;
			c->stale = 1;
			goto retry;
		}
		rc = reply_class(r);
		if (rc == RC_OK)
			return r;
		if (rc == RC_MOVED || rc == RC_ASK) {
			if (rc == RC_MOVED)
				c->stats.moved++;
			else
				c->stats.ask++;
			if (++redirects > c->max_redirects) {
				err_set(e, ERR_FAIL, "'%.*s' on slot %d: too many redirects, last %s",
					(int)lens[0], argv[0], slot, reply_describe(r, desc, sizeof(desc)));
				goto fail;
			}
			if (reply_redirect(r, &moved_to, &to) < 0 || moved_to != slot) {
				err_set(e, ERR_FAIL, "'%.*s' on slot %d: malformed redirect %s",
					(int)lens[0], argv[0], slot, reply_describe(r, desc, sizeof(desc)));
				goto fail;
			}
			node = ccli_node_index(c, &to);
			if (node < 0) {
				err_set(e, ERR_FAIL, "out of memory");
				goto fail;
			}
			if (rc == RC_MOVED) {
				c->owner[slot] = (int16_t)node;
				c->stale = 1;
			} else {
				ask_node = node;
			}
			freeReplyObject(r);
			r = NULL;
			continue;
		}
		if (!reply_class_retryable(rc)) {
			err_set(e, ERR_FAIL, "'%.*s' on '%s' failed: %s", (int)lens[0], argv[0],
				c->node[node].name, reply_describe(r, desc, sizeof(desc)));
			goto fail;
		}
		if (rc == RC_TRYAGAIN)
			c->stats.tryagain++;
		else if (rc == RC_CLUSTERDOWN)
			c->stats.clusterdown++;
		else
			c->stats.loading++;
		c->stale = 1;
		err_set(&why, ERR_FAIL, "'%.*s' on '%s' failed: %s", (int)lens[0], argv[0],
			c->node[node].name, reply_describe(r, desc, sizeof(desc)));
		freeReplyObject(r);
		r = NULL;
retry:
		if (ccli_now_us() + backoff > deadline) {
			*e = why;
			err_prefix(e, "gave up after %d ms", c->retry_ms);
			goto fail;
		}
		sleep_us(backoff);
		if (backoff < 100000)
			backoff *= 2;
	}
fail:
	if (r)
		freeReplyObject(r);
	return NULL;
}
