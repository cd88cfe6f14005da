/* loadrun.c - see loadrun.h */
#include "lib/loadrun.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/keyslot.h"
#include "lib/dataset.h"
#include "lib/latency.h"

struct run_state {
	int64_t *ver; /* per run key: version written, 0 never, -1 unknown (a write failed) */
	long long ops, reads, writes, errors, wrong, lost, checked;
	struct latency lat;
	struct sc_err first;
	uint64_t rng;
	FILE *ops_log;       /* --ops-log: one line per operation, or NULL */
	int64_t epoch_us;    /* the wall clock less ccli_now_us() */
};

/* An operation that started at `start` (ccli_now_us) just ended: its
 * latency goes into the histogram and, with --ops-log, a line "START-US
 * LATENCY-US" (START on the wall clock, microseconds since the epoch), so
 * that percentiles over any window can be computed afterwards. */
static void run_record(struct run_state *st, uint64_t start)
{
	uint64_t us = ccli_now_us() - start;

	latency_record(&st->lat, us);
	if (st->ops_log)
		fprintf(st->ops_log, "%" PRId64 " %" PRIu64 "\n", (int64_t)start + st->epoch_us, us);
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void run_error(struct run_state *st, uint64_t t0, const char *what, const char *key,
		      const struct sc_err *e)
{
	st->errors++;
	if (!st->first.msg[0])
		err_set(&st->first, ERR_FAIL, "%s '%s': %s", what, key, e->msg);
	if (st->errors <= 5)
		fprintf(stderr, "sc-load run: at %.3f s: %s '%s': %s\n",
			(double)(ccli_now_us() - t0) / 1e6, what, key, e->msg);
}

/* Check a GET reply against the expected version (0: must not exist). */
static int value_ok(const struct loadrun_opts *o, uint64_t seed, const redisReply *r, long long i, int64_t ver)
{
	if (ver == 0)
		return r->type == REDIS_REPLY_NIL;
	return r->type == REDIS_REPLY_STRING &&
	       dataset_value_equal(r->str, r->len, (size_t)o->size, seed ^ 0x5255u, i, (uint64_t)ver);
}

/* One operation, in one database of --dbs picked at random (its own
 * client, its own value seed, its own versions). */
static void run_one(struct ccli **cl, const struct loadrun_opts *o, struct run_state *st, char *val,
		    uint64_t t0)
{
	char key[DATASET_KEY_MAX];
	const char *argv[3];
	size_t lens[3];
	struct sc_err e = { 0 };
	uint64_t pick = rng_next(&st->rng), start;
	int d = o->ndbs > 1 ? (int)((pick >> 48) % (uint64_t)o->ndbs) : 0;
	uint64_t seed = dataset_db_seed(o->data_seed, o->dbs[d]);
	struct ccli *c = cl[d];
	int64_t *ver = st->ver + (size_t)d * (size_t)o->run_keys;
	int write = (int)(pick % 100) < o->write_pct, from_data;
	long long i;
	redisReply *r;

	from_data = !write && o->keys > 0 && (pick >> 8) % 2;
	i = (long long)((pick >> 16) % (uint64_t)(from_data ? o->keys : o->run_keys));
	dataset_key(key, sizeof(key), from_data ? o->prefix : o->run_prefix, i);
	argv[0] = write ? "SET" : "GET";
	lens[0] = 3;
	argv[1] = key;
	lens[1] = strlen(key);
	if (write) {
		int64_t next = (ver[i] > 0 ? ver[i] : 0) + 1;
		dataset_value(val, (size_t)o->size, seed ^ 0x5255u, i, (uint64_t)next);
		argv[2] = val;
		lens[2] = (size_t)o->size;
		start = ccli_now_us();
		r = ccli_command_argv(c, keyslot_of(key, lens[1]), 3, argv, lens, &e);
		run_record(st, start);
		st->ops++;
		st->writes++;
		if (!r || !reply_is_status(r, "OK")) {
			if (r)
				err_set(&e, ERR_FAIL, "unexpected reply");
			ver[i] = -1; /* it may or may not have been applied */
			run_error(st, t0, "cannot write", key, &e);
		} else {
			ver[i] = next;
		}
		if (r)
			freeReplyObject(r);
		return;
	}
	start = ccli_now_us();
	r = ccli_command_argv(c, keyslot_of(key, lens[1]), 2, argv, lens, &e);
	run_record(st, start);
	st->ops++;
	st->reads++;
	if (!r) {
		run_error(st, t0, "cannot read", key, &e);
		return;
	}
	if (from_data ? !(r->type == REDIS_REPLY_STRING &&
			  dataset_value_equal(r->str, r->len, (size_t)o->size, seed, i, 0))
		      : (ver[i] >= 0 && !value_ok(o, seed, r, i, ver[i]))) {
		st->wrong++;
		if (st->wrong <= 5)
			fprintf(stderr, "sc-load run: at %.3f s: wrong value for '%s'\n",
				(double)(ccli_now_us() - t0) / 1e6, key);
	}
	freeReplyObject(r);
}

/* run_check in one database (db, named when a write is lost). */
static void run_check_db(struct ccli *c, const struct loadrun_opts *o, int db, const int64_t *ver,
			 struct run_state *st, uint64_t t0)
{
	char key[DATASET_KEY_MAX];
	const char *argv[2] = { "GET", key };
	size_t lens[2] = { 3, 0 };

	for (long long i = 0; i < o->run_keys; i++) {
		struct sc_err e = { 0 };
		redisReply *r;

		if (ver[i] <= 0)
			continue;
		lens[1] = (size_t)dataset_key(key, sizeof(key), o->run_prefix, i);
		r = ccli_command_argv(c, keyslot_of(key, lens[1]), 2, argv, lens, &e);
		st->checked++;
		if (!r) {
			run_error(st, t0, "cannot read back", key, &e);
			continue;
		}
		if (!value_ok(o, dataset_db_seed(o->data_seed, db), r, i, ver[i])) {
			st->lost++;
			if (st->lost <= 5)
				fprintf(stderr, "sc-load run: '%s' (database %d) lost its last write\n", key, db);
		}
		freeReplyObject(r);
	}
}

/* After the run: every key written must hold its last version. */
static void run_check(struct ccli **cl, const struct loadrun_opts *o, struct run_state *st, uint64_t t0)
{
	for (int d = 0; d < o->ndbs; d++)
		run_check_db(cl[d], o, o->dbs[d], st->ver + (size_t)d * (size_t)o->run_keys, st, t0);
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int loadrun(struct ccli *c, const struct loadrun_opts *o)
{
	struct run_state st;
	struct sigaction sa;
	struct ccli_stats sum = { 0 };
	uint64_t t0, end, due;
	double secs;
	char *val = malloc((size_t)o->size + 1);
	struct ccli **cl = calloc((size_t)o->ndbs, sizeof(*cl));
	int rc = 1, opened = 1;

	memset(&st, 0, sizeof(st));
	latency_init(&st.lat);
	st.rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
	st.ver = calloc((size_t)o->run_keys * (size_t)o->ndbs, sizeof(*st.ver));
	if (!val || !st.ver || !cl) {
		fprintf(stderr, "sc-load run: error: out of memory\n");
		goto out;
	}
	if (o->ops_log) {
		struct timespec ts;
		if (!(st.ops_log = fopen(o->ops_log, "w"))) {
			fprintf(stderr, "sc-load run: error: cannot write '%s': %s\n", o->ops_log, strerror(errno));
			rc = 2;
			goto out;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		st.epoch_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - (int64_t)ccli_now_us();
	}
	cl[0] = c;
	ccli_select(c, o->dbs[0]);
	for (; opened < o->ndbs; opened++) {
		struct sc_err e = { 0 };
		if (!(cl[opened] = calloc(1, sizeof(**cl))) ||
		    ccli_init(cl[opened], o->seeds, o->conn, &e) < 0) {
			fprintf(stderr, "sc-load run: error: %s\n", e.msg[0] ? e.msg : "unknown error");
			rc = err_exit_status(&e);
			opened++;
			goto out;
		}
		ccli_select(cl[opened], o->dbs[opened]);
	}
	t0 = ccli_now_us();
	end = t0 + (uint64_t)o->seconds * 1000000u;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* bounded: by the deadline, or earlier by a signal.  Paced at --rate;
	 * after a stall (a slow retry) the schedule restarts instead of
	 * bursting to catch up */
	due = t0;
	while (!stop_requested) {
		uint64_t now = ccli_now_us();
		if (now >= end)
			break;
		if (o->rate > 0) {
			if (due > now) {
				uint64_t nap = due - now < 10000 ? due - now : 10000;
				struct timespec ts = { 0, (long)nap * 1000 };
				nanosleep(&ts, NULL);
				continue;
			}
			due = (now > due + 100000 ? now : due) + 1000000u / (uint64_t)o->rate;
		}
		run_one(cl, o, &st, val, t0);
	}
	secs = (double)(ccli_now_us() - t0) / 1e6;
	run_check(cl, o, &st, t0);
	for (int d = 0; d < o->ndbs; d++) {
		sum.moved += cl[d]->stats.moved;
		sum.ask += cl[d]->stats.ask;
		sum.tryagain += cl[d]->stats.tryagain;
		sum.clusterdown += cl[d]->stats.clusterdown;
		sum.loading += cl[d]->stats.loading;
		sum.io += cl[d]->stats.io;
	}
	if (o->json) {
		printf("{\"ops\":%lld,\"reads\":%lld,\"writes\":%lld,\"errors\":%lld,\"wrong\":%lld,"
		       "\"lost\":%lld,\"checked\":%lld,\"seconds\":%.3f,\"p50_us\":%" PRIu64
		       ",\"p99_us\":%" PRIu64 ",\"p999_us\":%" PRIu64 ",\"max_us\":%" PRIu64
		       ",\"moved\":%lld,\"ask\":%lld,\"tryagain\":%lld,\"clusterdown\":%lld,"
		       "\"loading\":%lld,\"io\":%lld,\"first_error\":",
		       st.ops, st.reads, st.writes, st.errors, st.wrong, st.lost, st.checked, secs,
		       latency_percentile(&st.lat, 50), latency_percentile(&st.lat, 99),
		       latency_percentile(&st.lat, 99.9), st.lat.max, sum.moved, sum.ask,
		       sum.tryagain, sum.clusterdown, sum.loading, sum.io);
		json_str(stdout, st.first.msg);
		printf("}\n");
	} else {
		printf("run: %lld ops in %.1f s (%lld reads, %lld writes): %lld errors, %lld wrong, "
		       "%lld lost of %lld written keys; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
		       "redirects %lld moved, %lld ask; retries %lld tryagain, %lld clusterdown, %lld "
		       "connection\n",
		       st.ops, secs, st.reads, st.writes, st.errors, st.wrong, st.lost, st.checked,
		       (double)latency_percentile(&st.lat, 50) / 1000,
		       (double)latency_percentile(&st.lat, 99) / 1000, (double)st.lat.max / 1000,
		       sum.moved, sum.ask, sum.tryagain, sum.clusterdown,
		       sum.io);
	}
	rc = st.errors || st.wrong || st.lost ? 1 : 0;
out:
	for (int d = 1; cl && d < opened; d++) {
		ccli_release(cl[d]);
		free(cl[d]);
	}
	free(cl);
	free(st.ver);
	free(val);
	if (st.ops_log && fclose(st.ops_log) != 0) {
		fprintf(stderr, "sc-load run: error: cannot write '%s': %s\n", o->ops_log, strerror(errno));
		rc = 2;
	}
	return rc;
}

