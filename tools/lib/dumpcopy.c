/* dumpcopy.c - see dumpcopy.h */
#include "lib/dumpcopy.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct copy_job {
	struct addr src, dst;
	const struct conn_opts *opts;
	int *slots, nslots, pipeline;
	long long *starts;  /* migrate: kv index where each slot's keys begin */
	long long keys, bytes;
	struct sc_err err;
	int failed;
};

struct keyvec {
	char **k;
	size_t *len;
	long long n, cap;
};

static void keyvec_release(struct keyvec *v)
{
	for (long long i = 0; i < v->n; i++)
		free(v->k[i]);
	free(v->k);
	free(v->len);
}

static int keyvec_push(struct keyvec *v, const char *k, size_t len)
{
	if (v->n == v->cap) {
		long long cap = v->cap ? v->cap * 2 : 1024;
		char **tk = realloc(v->k, sizeof(*tk) * (size_t)cap);
		size_t *tl;
		if (!tk)
			return -1;
		v->k = tk;
		tl = realloc(v->len, sizeof(*tl) * (size_t)cap);
		if (!tl)
			return -1;
		v->len = tl;
		v->cap = cap;
	}
	v->k[v->n] = malloc(len ? len : 1);
	if (!v->k[v->n])
		return -1;
	memcpy(v->k[v->n], k, len);
	v->len[v->n++] = len;
	return 0;
}

/* The keys of the job's slots, 64 GETKEYSINSLOT in flight at a time. */
static int copy_list_keys(struct conn *src, struct copy_job *j, struct keyvec *kv)
{
	char d[300];

	for (int s = 0; s < j->nslots; s += 64) {
		int m = j->nslots - s < 64 ? j->nslots - s : 64;
		for (int x = 0; x < m; x++)
			conn_append(src, "CLUSTER GETKEYSINSLOT %d %d", j->slots[s + x], 100000000);
		for (int x = 0; x < m; x++) {
			redisReply *r = conn_read(src);
			if (!r) {
				j->err = src->err;
				return -1;
			}
			if (r->type != REDIS_REPLY_ARRAY) {
				err_set(&j->err, ERR_FAIL, "'CLUSTER GETKEYSINSLOT' on '%s' failed: %s",
					src->name, reply_describe(r, d, sizeof(d)));
				freeReplyObject(r);
				return -1;
			}
			if (j->starts)
				j->starts[s + x] = kv->n;
			for (size_t k = 0; k < r->elements; k++)
				if (r->element[k]->type == REDIS_REPLY_STRING &&
				    keyvec_push(kv, r->element[k]->str, r->element[k]->len) < 0) {
					freeReplyObject(r);
					return err_set(&j->err, ERR_FAIL, "out of memory");
				}
			freeReplyObject(r);
		}
	}
	if (j->starts)
		j->starts[j->nslots] = kv->n;
	return 0;
}

static void copy_send_dumps(struct conn *src, const struct keyvec *kv, long long from, long long to)
{
	for (long long i = from; i < to; i++) {
		const char *argv[2] = { "DUMP", kv->k[i] };
		size_t lens[2] = { 4, kv->len[i] };
		conn_append_argv(src, 2, argv, lens);
	}
	conn_flush(src);
}

/* Thread body: DUMP group g+1 is in flight on the source while group g is
 * restored on the target. */
static void *copy_thread(void *arg)
{
	struct copy_job *j = arg;
	struct keyvec kv = { 0 };
	struct conn *src = NULL, *dst = NULL;
	redisReply **dumps = NULL;
	char d[300];

	src = conn_open(&j->src, j->opts, &j->err);
	if (!src)
		goto out;
	dst = conn_open(&j->dst, j->opts, &j->err);
	if (!dst)
		goto out;
	if (copy_list_keys(src, j, &kv) < 0)
		goto out;
	dumps = calloc((size_t)j->pipeline, sizeof(*dumps));
	if (!dumps) {
		err_set(&j->err, ERR_FAIL, "out of memory");
		goto out;
	}
	if (kv.n)
		copy_send_dumps(src, &kv, 0, kv.n < j->pipeline ? kv.n : j->pipeline);
	for (long long g = 0; g < kv.n; g += j->pipeline) {
		long long m = kv.n - g < j->pipeline ? kv.n - g : j->pipeline, next = g + m;
		for (long long x = 0; x < m; x++) {
			dumps[x] = conn_read(src);
			if (!dumps[x]) {
				j->err = src->err;
				goto out;
			}
			if (dumps[x]->type != REDIS_REPLY_STRING) {
				err_set(&j->err, ERR_FAIL, "'DUMP' on '%s' failed: %s", src->name,
					reply_describe(dumps[x], d, sizeof(d)));
				goto out;
			}
		}
		if (next < kv.n)
			copy_send_dumps(src, &kv, next, next + j->pipeline < kv.n ? next + j->pipeline : kv.n);
		for (long long x = 0; x < m; x++) {
			const char *argv[4] = { "RESTORE", kv.k[g + x], "0", dumps[x]->str };
			size_t lens[4] = { 7, kv.len[g + x], 1, dumps[x]->len };
			conn_append_argv(dst, 4, argv, lens);
			j->bytes += (long long)dumps[x]->len;
		}
		conn_flush(dst);
		for (long long x = 0; x < m; x++) {
			redisReply *r = conn_read(dst);
			freeReplyObject(dumps[x]);
			dumps[x] = NULL;
			if (!r) {
				j->err = dst->err;
				goto out;
			}
			if (!reply_is_status(r, "OK")) {
				err_set(&j->err, ERR_FAIL, "'RESTORE' on '%s' failed: %s", dst->name,
					reply_describe(r, d, sizeof(d)));
				freeReplyObject(r);
				goto out;
			}
			freeReplyObject(r);
			j->keys++;
		}
	}
out:
	j->failed = j->err.msg[0] != 0;
	if (dumps)
		for (int x = 0; x < j->pipeline; x++)
			if (dumps[x])
				freeReplyObject(dumps[x]);
	free(dumps);
	keyvec_release(&kv);
	conn_free(src);
	conn_free(dst);
	return NULL;
}

int dumpcopy_parse_slots(const char *text, char *mark, struct sc_err *e)
{
	const char *p = text;

	while (*p) {
		char *end;
		long a, b;

		if (*p == ',' || *p == ' ') {
			p++;
			continue;
		}
		a = strtol(p, &end, 10);
		if (end == p)
			return err_set(e, ERR_REFUSED, "bad slot list '%s'", text);
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p)
				return err_set(e, ERR_REFUSED, "bad slot list '%s'", text);
		}
		if (a < 0 || b >= CLUSTER_SLOTS || a > b)
			return err_set(e, ERR_REFUSED, "bad slot range %ld-%ld", a, b);
		for (long s = a; s <= b; s++)
			mark[s] = 1;
		p = end;
	}
	return 0;
}

/* One job per owner of some marked slot, into jobs[] (nnodes + 1 long,
 * zeroed); `starts`: with the per-slot key offsets migrate_job needs.
 * Returns how many, or -1 (e). */
static int jobs_build(const struct ccli *c, const char *mark, const struct addr *to, int pipeline,
		      int starts, struct copy_job *jobs, struct sc_err *e)
{
	int nj = 0;

	for (int s = 0; s < CLUSTER_SLOTS; s++)
		if (mark[s] && c->owner[s] < 0)
			return err_set(e, ERR_FAIL, "slot %d is not served by any node", s);
	for (int n = 0; n < c->nnodes; n++) {
		struct copy_job *j = &jobs[nj];
		for (int s = 0; s < CLUSTER_SLOTS; s++) {
			if (!mark[s] || c->owner[s] != n)
				continue;
			if (!j->slots && (!(j->slots = malloc(sizeof(int) * CLUSTER_SLOTS)) ||
					  (starts && !(j->starts = malloc(sizeof(long long) * (CLUSTER_SLOTS + 1))))))
				return err_set(e, ERR_FAIL, "out of memory");
			j->slots[j->nslots++] = s;
		}
		if (!j->nslots)
			continue;
		j->src = c->node[n].addr;
		j->dst = *to;
		j->opts = &c->opts;
		j->pipeline = pipeline;
		nj++;
	}
	return nj;
}

static void jobs_release(struct copy_job *jobs, int nnodes)
{
	for (int i = 0; jobs && i <= nnodes; i++) {
		free(jobs[i].slots);
		free(jobs[i].starts);
	}
	free(jobs);
}

int dumpcopy_run(const struct ccli *c, const char *mark, const struct addr *to, int pipeline,
		 struct dumpcopy_result *res, struct sc_err *e)
{
	struct copy_job *jobs = calloc((size_t)c->nnodes + 1, sizeof(*jobs));
	pthread_t *th = calloc((size_t)c->nnodes + 1, sizeof(*th));
	uint64_t start;
	int rc = -1, nj = 0, started = 0;

	memset(res, 0, sizeof(*res));
	if (!jobs || !th) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	if ((nj = jobs_build(c, mark, to, pipeline, 0, jobs, e)) < 0)
		goto out;
	start = ccli_now_us();
	for (; started < nj; started++)
		if (pthread_create(&th[started], NULL, copy_thread, &jobs[started]) != 0) {
			err_set(e, ERR_FAIL, "cannot start a thread");
			break;
		}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	res->seconds = (double)(ccli_now_us() - start) / 1e6;
	res->sources = nj;
	if (started < nj)
		goto out;
	for (int i = 0; i < nj; i++) {
		res->keys += jobs[i].keys;
		res->bytes += jobs[i].bytes;
		if (jobs[i].failed) {
			*e = jobs[i].err;
			goto out;
		}
	}
	rc = 0;
out:
	jobs_release(jobs, c->nnodes);
	free(th);
	return rc;
}

/* Read `n` MIGRATE replies: OK (or NOKEY: nothing left to move). */
static int migrate_replies(struct conn *src, int n, struct sc_err *e)
{
	char d[300];
	int rc = 0;

	for (int i = 0; i < n; i++) {
		redisReply *r = conn_read(src);
		if (!r) {
			*e = src->err;
			return -1;
		}
		if (!reply_is_status(r, "OK") && !reply_is_status(r, "NOKEY") && rc == 0)
			rc = err_set(e, ERR_FAIL, "'MIGRATE' on '%s' failed: %s", src->name,
				     reply_describe(r, d, sizeof(d)));
		freeReplyObject(r);
	}
	return rc;
}

/* One source: every slot's keys in MIGRATE ... COPY KEYS calls of at most
 * 1000 keys (shardctl's batch), `depth` calls in flight. */
static int migrate_job(struct copy_job *j, int depth)
{
	struct keyvec kv = { 0 };
	struct conn *src = conn_open(&j->src, j->opts, &j->err);
	const char **argv = NULL;
	size_t *lens = NULL;
	char port[16];
	int inflight = 0;

	if (!src || conn_set_timeout(src, 60000) < 0 || copy_list_keys(src, j, &kv) < 0)
		goto out;
	argv = malloc(sizeof(*argv) * 1010);
	lens = malloc(sizeof(*lens) * 1010);
	if (!argv || !lens) {
		err_set(&j->err, ERR_FAIL, "out of memory");
		goto out;
	}
	snprintf(port, sizeof(port), "%d", j->dst.port);
	for (int s = 0; s < j->nslots; s++) {
		for (long long k = j->starts[s]; k < j->starts[s + 1]; k += 1000) {
			long long end = j->starts[s + 1] - k > 1000 ? k + 1000 : j->starts[s + 1];
			const char *head[8] = { "MIGRATE", j->dst.host, port, "", "0", "10000", "COPY", "KEYS" };
			int argc = 0;
			for (; argc < 8; argc++) {
				argv[argc] = head[argc];
				lens[argc] = strlen(head[argc]);
			}
			for (long long x = k; x < end; x++, argc++) {
				argv[argc] = kv.k[x];
				lens[argc] = kv.len[x];
			}
			conn_append_argv(src, argc, argv, lens);
			j->keys += end - k;
			if (++inflight == depth) {
				if (migrate_replies(src, inflight, &j->err) < 0)
					goto out;
				inflight = 0;
			}
		}
	}
	(void)migrate_replies(src, inflight, &j->err);
out:
	j->failed = j->err.msg[0] != 0;
	free(argv);
	free(lens);
	keyvec_release(&kv);
	conn_free(src);
	return j->failed ? -1 : 0;
}

int dumpcopy_migrate(const struct ccli *c, const char *mark, const struct addr *to, int depth,
		     struct dumpcopy_result *res, struct sc_err *e)
{
	struct copy_job *jobs = calloc((size_t)c->nnodes + 1, sizeof(*jobs));
	uint64_t start;
	int rc = -1, nj;

	memset(res, 0, sizeof(*res));
	if (!jobs) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	if ((nj = jobs_build(c, mark, to, 0, 1, jobs, e)) < 0)
		goto out;
	start = ccli_now_us();
	/* one source at a time, as shardctl moves into one target */
	for (int i = 0; i < nj; i++) {
		if (migrate_job(&jobs[i], depth < 1 ? 1 : depth) < 0) {
			*e = jobs[i].err;
			goto out;
		}
		res->keys += jobs[i].keys;
	}
	res->seconds = (double)(ccli_now_us() - start) / 1e6;
	res->sources = nj;
	rc = 0;
out:
	jobs_release(jobs, c->nnodes);
	return rc;
}
