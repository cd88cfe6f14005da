/* sc-load - the cluster-aware load and verify client of the project, used by
 * tests, `make demo` and bench/.  It talks to a cluster as real cluster
 * clients do (src/ccli.c: slot map, MOVED, ASK, retries with a deadline).
 *
 *   sc-load fill   --seed H:P --keys N [--size B] [--prefix P] [--data-seed S]
 *   sc-load verify --seed H:P --keys N [--size B] [--prefix P] [--data-seed S]
 *   sc-load run    --seed H:P --seconds T [--rate R] ...   reads and writes
 *   sc-load copy   --seed H:P --to H:P --slots RANGES      DUMP/RESTORE floor
 *
 * Key i is "P:i"; its value is derived from (data seed, database, i)
 * (src/dataset.c), so verify needs no record of what fill wrote.  With
 * --db / --dbs (Valkey 9 cluster-databases) the same key names live in
 * every database given, each with values of its own, so a key that lands
 * in another database is found wrong, not right.  Exit status: 0 success,
 * 1 any error / missing / wrong key, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ccli.h"
#include "cmd/cli.h"
#include "lib/dataset.h"
#include "lib/dumpcopy.h"
#include "base/keyslot.h"
#include "lib/loadrun.h"

static const char usage_text[] =
	"usage: sc-load fill|verify|run|copy --seed HOST:PORT[,HOST:PORT...] [options]\n"
	"\n"
	"  fill     write keys P:0 .. P:N-1 with their deterministic values (pipelined per node)\n"
	"  verify   read every key back and compare it byte for byte; exit 1 on any mismatch\n"
	"  run      reads and writes for --seconds T (or until SIGINT/SIGTERM) in the key\n"
	"           namespace --run-prefix; verifies what it wrote at the end; reports ops,\n"
	"           errors and latency percentiles\n"
	"  copy     the floor of a slot move: pipelined DUMP of every key of --slots from their\n"
	"           owners (one thread per owner) and RESTORE into --to (a plain redis-server);\n"
	"           with --migrate: MIGRATE ... COPY of the same keys into --to, slot by slot,\n"
	"           one owner after another, 16 calls in flight (the floor of a MIGRATE move)\n"
	"\n"
	"options:\n"
	"      --seed LIST          cluster nodes to start from\n"
	"      --keys N             data set size (fill, verify; run reads it too when given)\n"
	"      --size B             value size in bytes (default 100)\n"
	"      --prefix P           key prefix of the data set (default 'k')\n"
	"      --data-seed S        seed of the value derivation (default 0)\n"
	"      --db N               work in database N (SELECT on each connection: cluster mode\n"
	"                           on Valkey 9 with cluster-databases > N; default 0)\n"
	"      --dbs LIST           the same in each database of LIST (e.g. 0,1,15): fill and\n"
	"                           verify every one; run spreads its operations over them\n"
	"      --batch N            keys per pipelined round (default 10000)\n"
	"      --show N             bad keys listed by verify (default 10)\n"
	"      --seconds T          run: duration (default 10)\n"
	"      --rate R             run: operations per second, 0 unlimited (default 1000)\n"
	"      --run-keys N         run: keys in its namespace (default 1000)\n"
	"      --run-prefix P       run: namespace (default 'run.PID')\n"
	"      --write-pct N        run: percentage of writes (default 50)\n"
	"      --ops-log FILE       run: a line per operation, 'START-US LATENCY-US' (START:\n"
	"                           microseconds since the epoch), for percentiles over windows\n"
	"      --to HOST:PORT       copy: target\n"
	"      --slots RANGES       copy: slots, e.g. 0-819,4096-4915\n"
	"      --pipeline N         copy: keys per DUMP/RESTORE round (default 1000)\n"
	"      --migrate            copy: with MIGRATE ... COPY instead (see copy)\n"
	"      --json               one JSON object on stdout\n" CLI_COMMON_HELP;

enum {
	OPT_SEED = OPT_OWN, OPT_KEYS, OPT_SIZE, OPT_PREFIX, OPT_DATA_SEED, OPT_BATCH, OPT_SHOW,
	OPT_SECONDS, OPT_RATE, OPT_RUN_KEYS, OPT_RUN_PREFIX, OPT_WRITE_PCT, OPT_TO, OPT_SLOTS,
	OPT_PIPELINE, OPT_MIGRATE, OPT_DB, OPT_DBS, OPT_OPS_LOG,
};

#define MAX_DBS 64

struct opts {
	const char *cmd;
	struct cli_common common;
	struct addr_list seeds;
	long long keys;
	int size, batch, show, rate, run_keys, write_pct, pipeline, seconds;
	const char *prefix, *run_prefix, *slots, *ops_log;
	char run_prefix_buf[64];
	uint64_t data_seed;
	struct addr to;
	int have_to, migrate;
	int dbs[MAX_DBS];   /* databases to work in (default: 0) */
	int ndbs;
};

/* ", databases 0,1,15" for lines about several (or another) databases. */
static const char *dbs_note(const struct opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (o->ndbs == 1 && o->dbs[0] == 0)
		return buf;
	n += (size_t)snprintf(buf, len, o->ndbs == 1 ? " (database " : " (databases ");
	for (int i = 0; i < o->ndbs && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%d", i ? "," : "", o->dbs[i]);
	if (n < len)
		snprintf(buf + n, len - n, ")");
	return buf;
}

static int fail(const char *cmd, const struct sc_err *e)
{
	fprintf(stderr, "sc-load %s: error: %s\n", cmd, e->msg[0] ? e->msg : "unknown error");
	return err_exit_status(e);
}

/* ---- fill and verify: pipelined rounds, one pipeline per node ---------- */

struct tally {
	long long ok, missing, wrong, errors, shown;
	struct sc_err first;
	int gave_up;  /* a key could not be reached within ccli's retry
			 deadline: every later key that needs a retry counts
			 as an error at once (a slot or a node nobody serves
			 would otherwise cost the deadline per key, for
			 hours); the run still fails, naming the first */
};

struct round {
	long long **idx; /* per node: key indexes sent, in order */
	int *n, *cap;
	int nodes;
	long long *slow; /* keys done one by one through ccli_command_argv */
	int nslow, capslow;
};

static void round_release(struct round *r)
{
	for (int i = 0; i < r->nodes; i++)
		free(r->idx[i]);
	free(r->idx);
	free(r->n);
	free(r->cap);
	free(r->slow);
	memset(r, 0, sizeof(*r));
}

static int push(long long **v, int *n, int *cap, long long x)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 256;
		long long *tmp = realloc(*v, sizeof(*tmp) * (size_t)nc);
		if (!tmp)
			return -1;
		*v = tmp;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return 0;
}

/* Make room for node indexes up to c->nnodes-1. */
static int round_grow(struct round *r, int nodes)
{
	long long **ti;
	int *tn, *tc;

	if (nodes <= r->nodes)
		return 0;
	ti = realloc(r->idx, sizeof(*ti) * (size_t)nodes);
	if (!ti)
		return -1;
	r->idx = ti;
	tn = realloc(r->n, sizeof(*tn) * (size_t)nodes);
	if (!tn)
		return -1;
	r->n = tn;
	tc = realloc(r->cap, sizeof(*tc) * (size_t)nodes);
	if (!tc)
		return -1;
	r->cap = tc;
	for (int i = r->nodes; i < nodes; i++) {
		r->idx[i] = NULL;
		r->n[i] = r->cap[i] = 0;
	}
	r->nodes = nodes;
	return 0;
}

static void note_bad(const struct opts *o, struct tally *t, const char *what, const char *key,
		     const redisReply *r)
{
	char d[300];

	if (t->shown++ >= o->show)
		return;
	if (r)
		fprintf(stderr, "%s '%s': %s\n", what, key, reply_describe(r, d, sizeof(d)));
	else
		fprintf(stderr, "%s '%s'\n", what, key);
}

/* Judge one reply for key i (fill: +OK; verify: the exact value). */
static void judge(const struct opts *o, int verify, long long i, const redisReply *r,
		  struct tally *t)
{
	char key[DATASET_KEY_MAX];

	if (!verify) {
		if (reply_is_status(r, "OK"))
			t->ok++;
		else {
			t->errors++;
			dataset_key(key, sizeof(key), o->prefix, i);
			note_bad(o, t, "cannot write", key, r);
		}
		return;
	}
	if (r->type == REDIS_REPLY_STRING &&
	    dataset_value_equal(r->str, r->len, (size_t)o->size, o->data_seed, i, 0)) {
		t->ok++;
		return;
	}
	dataset_key(key, sizeof(key), o->prefix, i);
	if (r->type == REDIS_REPLY_NIL) {
		t->missing++;
		note_bad(o, t, "missing", key, NULL);
	} else {
		t->wrong++;
		note_bad(o, t, "wrong", key, r);
	}
}

/* Build the command for key i into argv (key and value buffers given). */
static int key_command(const struct opts *o, int verify, long long i, char *key, char *val,
		       const char **argv, size_t *lens)
{
	int kl = dataset_key(key, DATASET_KEY_MAX, o->prefix, i);

	argv[0] = verify ? "GET" : "SET";
	lens[0] = 3;
	argv[1] = key;
	lens[1] = (size_t)kl;
	if (verify)
		return 2;
	dataset_value(val, (size_t)o->size, o->data_seed, i, 0);
	argv[2] = val;
	lens[2] = (size_t)o->size;
	return 3;
}

static int do_round(struct ccli *c, const struct opts *o, int verify, long long from,
		    long long to, struct round *rd, char *val, struct tally *t, struct sc_err *e)
{
	char key[DATASET_KEY_MAX];
	struct sc_err scratch = { 0 }; /* failures here only send keys the slow way */
	const char *argv[3];
	size_t lens[3];
	int argc;

	for (int i = 0; i < rd->nodes; i++)
		rd->n[i] = 0;
	rd->nslow = 0;
	for (long long i = from; i < to; i++) {
		struct conn *conn;
		int node;

		argc = key_command(o, verify, i, key, val, argv, lens);
		node = c->owner[keyslot_of(key, lens[1])];
		conn = node >= 0 ? ccli_conn(c, node, &scratch) : NULL;
		if (round_grow(rd, c->nnodes) < 0)
			return err_set(e, ERR_FAIL, "out of memory");
		if (!conn || conn_append_argv(conn, argc, argv, lens) < 0) {
			if (push(&rd->slow, &rd->nslow, &rd->capslow, i) < 0)
				return err_set(e, ERR_FAIL, "out of memory");
			continue;
		}
		if (push(&rd->idx[node], &rd->n[node], &rd->cap[node], i) < 0)
			return err_set(e, ERR_FAIL, "out of memory");
	}
	/* every node works on its pipeline at once */
	for (int n = 0; n < rd->nodes; n++)
		if (rd->n[n] && c->node[n].conn)
			conn_flush(c->node[n].conn);
	for (int n = 0; n < rd->nodes; n++) {
		for (int j = 0; j < rd->n[n]; j++) {
			redisReply *r = c->node[n].conn ? conn_read(c->node[n].conn) : NULL;
			enum reply_class rc;

			if (!r) {
				/* the rest of this pipeline is lost: redo one by one */
				ccli_drop(c, n);
				c->stale = 1;
				for (; j < rd->n[n]; j++)
					if (push(&rd->slow, &rd->nslow, &rd->capslow, rd->idx[n][j]) < 0)
						return err_set(e, ERR_FAIL, "out of memory");
				break;
			}
			rc = reply_class(r);
			if (rc == RC_MOVED || rc == RC_ASK || reply_class_retryable(rc)) {
				if (rc == RC_MOVED)
					c->stale = 1;
				if (push(&rd->slow, &rd->nslow, &rd->capslow, rd->idx[n][j]) < 0) {
					freeReplyObject(r);
					return err_set(e, ERR_FAIL, "out of memory");
				}
			} else {
				judge(o, verify, rd->idx[n][j], r, t);
			}
			freeReplyObject(r);
		}
	}
	if (rd->nslow && c->stale)
		ccli_refresh(c, &scratch); /* best effort; ccli_command_argv retries anyway */
	for (int j = 0; j < rd->nslow; j++) {
		struct sc_err ce = { 0 };
		redisReply *r;

		argc = key_command(o, verify, rd->slow[j], key, val, argv, lens);
		if (t->gave_up) {
			t->errors++;
			continue;
		}
		r = ccli_command_argv(c, keyslot_of(key, lens[1]), argc, argv, lens, &ce);
		if (!r) {
			t->gave_up = 1;
			t->errors++;
			if (!t->first.msg[0])
				t->first = ce;
			if (t->shown++ < o->show)
				fprintf(stderr, "cannot access '%s': %s\n", key, ce.msg);
			continue;
		}
		judge(o, verify, rd->slow[j], r, t);
		freeReplyObject(r);
	}
	return 0;
}

static int cmd_fill_verify(struct ccli *c, const struct opts *o, int verify)
{
	struct round rd = { 0 };
	struct tally t = { 0 };
	struct sc_err e = { 0 };
	uint64_t start = ccli_now_us();
	double secs;
	char *val = malloc((size_t)o->size + 1), note[300];
	long long keys = o->keys * o->ndbs;
	int rc = 1;

	if (!val) {
		err_set(&e, ERR_FAIL, "out of memory");
		goto out;
	}
	/* each database in turn, every key of it */
	for (int d = 0; d < o->ndbs; d++) {
		struct opts od = *o;

		od.data_seed = dataset_db_seed(o->data_seed, o->dbs[d]);
		if (o->dbs[d] != c->db)
			ccli_select(c, o->dbs[d]);
		for (long long from = 0; from < o->keys; from += o->batch) {
			long long to = from + o->batch < o->keys ? from + o->batch : o->keys;
			if (do_round(c, &od, verify, from, to, &rd, val, &t, &e) < 0)
				goto out;
		}
	}
	secs = (double)(ccli_now_us() - start) / 1e6;
	dbs_note(o, note, sizeof(note));
	if (o->common.json) {
		printf("{\"command\":\"%s\",\"keys\":%lld,\"ok\":%lld,\"missing\":%lld,\"wrong\":%lld,"
		       "\"errors\":%lld,\"seconds\":%.3f,\"moved\":%lld,\"ask\":%lld}\n",
		       o->cmd, keys, t.ok, t.missing, t.wrong, t.errors, secs, c->stats.moved,
		       c->stats.ask);
	} else if (verify) {
		printf("verified %lld keys%s in %.2f s: %lld ok, %lld missing, %lld wrong, %lld errors\n",
		       keys, note, secs, t.ok, t.missing, t.wrong, t.errors);
	} else {
		printf("filled %lld keys of %d bytes%s in %.2f s (%.0f keys/s), %lld errors\n", keys,
		       o->size, note, secs, secs > 0 ? (double)keys / secs : 0.0, t.errors);
	}
	rc = t.ok == keys ? 0 : 1;
out:
	if (e.msg[0])
		rc = fail(o->cmd, &e);
	round_release(&rd);
	free(val);
	return rc;
}

/* ---- run: reads and writes during an operation (lib/loadrun.c) ----------- */

/* c works in the first database of --dbs, a client of its own in each
 * other one. */
static int cmd_run(struct ccli *c, const struct opts *o)
{
	struct loadrun_opts r = {
		&o->seeds, &o->common.conn, o->keys, o->prefix, o->run_prefix, o->run_keys, o->size,
		o->write_pct, o->data_seed, o->dbs, o->ndbs, o->seconds, o->rate, o->ops_log, o->common.json,
	};

	return loadrun(c, &r);
}

/* ---- copy: the floor of a slot move (src/dumpcopy.c) --------------------- */

static int cmd_copy(struct ccli *c, const struct opts *o)
{
	struct dumpcopy_result res = { 0 };
	struct sc_err e = { 0 };
	char *mark = calloc(CLUSTER_SLOTS, 1);
	int rc = 1;

	if (!mark) {
		err_set(&e, ERR_FAIL, "out of memory");
		goto out;
	}
	if (dumpcopy_parse_slots(o->slots, mark, &e) < 0 ||
	    (o->migrate ? dumpcopy_migrate(c, mark, &o->to, 16, &res, &e)
			: dumpcopy_run(c, mark, &o->to, o->pipeline, &res, &e)) < 0)
		goto out;
	if (o->common.json)
		printf("{\"keys\":%lld,\"bytes\":%lld,\"sources\":%d,\"seconds\":%.3f}\n", res.keys,
		       res.bytes, res.sources, res.seconds);
	else if (o->migrate)
		printf("copied %lld keys with MIGRATE ... COPY from %d nodes in %.2f s (%.0f keys/s)\n", res.keys,
		       res.sources, res.seconds, res.seconds > 0 ? (double)res.keys / res.seconds : 0.0);
	else
		printf("copied %lld keys (%lld bytes of DUMP payload) from %d nodes in %.2f s "
		       "(%.0f keys/s)\n", res.keys, res.bytes, res.sources, res.seconds,
		       res.seconds > 0 ? (double)res.keys / res.seconds : 0.0);
	rc = 0;
out:
	if (e.msg[0])
		rc = fail(o->cmd, &e);
	free(mark);
	return rc;
}

/* ---- options and dispatch ------------------------------------------------- */

static int parse_ll(const char *arg, long long min, long long max, const char *what,
		    long long *out, struct sc_err *e)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (!*arg || *end || errno)
		return err_set(e, ERR_REFUSED, "%s must be a whole number, not '%s'", what, arg);
	if (v < min || v > max)
		return err_set(e, ERR_REFUSED, "%s must be between %lld and %lld, not %lld", what,
			       min, max, v);
	*out = v;
	return 0;
}

/* "N" or "N,M,...": distinct databases, at most MAX_DBS. */
static int parse_dbs(struct opts *o, const char *arg, const char *what, struct sc_err *e)
{
	char buf[512], *save = NULL, *tok;
	long long v;

	snprintf(buf, sizeof(buf), "%s", arg);
	o->ndbs = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_ll(tok, 0, 1000000, what, &v, e) < 0)
			return -1;
		if (o->ndbs == MAX_DBS)
			return err_set(e, ERR_REFUSED, "%s takes at most %d databases", what, MAX_DBS);
		for (int i = 0; i < o->ndbs; i++)
			if (o->dbs[i] == v)
				return err_set(e, ERR_REFUSED, "%s names database %lld twice", what, v);
		o->dbs[o->ndbs++] = (int)v;
	}
	if (!o->ndbs)
		return err_set(e, ERR_REFUSED, "%s needs a database number", what);
	return 0;
}

static int parse_opts(struct opts *o, int argc, char **argv, struct sc_err *e)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "data-seed", required_argument, NULL, OPT_DATA_SEED },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "show", required_argument, NULL, OPT_SHOW },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "run-keys", required_argument, NULL, OPT_RUN_KEYS },
		{ "run-prefix", required_argument, NULL, OPT_RUN_PREFIX },
		{ "write-pct", required_argument, NULL, OPT_WRITE_PCT },
		{ "to", required_argument, NULL, OPT_TO },
		{ "slots", required_argument, NULL, OPT_SLOTS },
		{ "pipeline", required_argument, NULL, OPT_PIPELINE },
		{ "migrate", no_argument, NULL, OPT_MIGRATE },
		{ "db", required_argument, NULL, OPT_DB },
		{ "dbs", required_argument, NULL, OPT_DBS },
		{ "ops-log", required_argument, NULL, OPT_OPS_LOG },
		{ NULL, 0, NULL, 0 },
	};
	long long ll;
	int opt, have_seed = 0;

	o->size = 100;
	o->batch = 10000;
	o->show = 10;
	o->seconds = 10;
	o->rate = 1000;
	o->run_keys = 1000;
	o->write_pct = 50;
	o->pipeline = 1000;
	o->prefix = "k";
	o->ndbs = 1; /* database 0 */
	snprintf(o->run_prefix_buf, sizeof(o->run_prefix_buf), "run.%d.%ld", (int)getpid(),
		 (long)time(NULL));
	o->run_prefix = o->run_prefix_buf;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int r = cli_common_option(&o->common, opt, optarg, e);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		switch (opt) {
		case OPT_SEED:
			if (addr_list_parse(&o->seeds, optarg, e) < 0)
				return -1;
			have_seed = 1;
			break;
		case OPT_KEYS:
			if (parse_ll(optarg, 0, 1000000000LL, "--keys", &o->keys, e) < 0)
				return -1;
			break;
		case OPT_SIZE:
			if (cli_parse_int(optarg, 1, 64 << 20, "--size", &o->size, e) < 0)
				return -1;
			break;
		case OPT_PREFIX:
			o->prefix = optarg;
			break;
		case OPT_DATA_SEED:
			if (parse_ll(optarg, 0, 1LL << 62, "--data-seed", &ll, e) < 0)
				return -1;
			o->data_seed = (uint64_t)ll;
			break;
		case OPT_BATCH:
			if (cli_parse_int(optarg, 1, 1000000, "--batch", &o->batch, e) < 0)
				return -1;
			break;
		case OPT_SHOW:
			if (cli_parse_int(optarg, 0, 1000000, "--show", &o->show, e) < 0)
				return -1;
			break;
		case OPT_SECONDS:
			if (cli_parse_int(optarg, 1, 86400, "--seconds", &o->seconds, e) < 0)
				return -1;
			break;
		case OPT_RATE:
			if (cli_parse_int(optarg, 0, 10000000, "--rate", &o->rate, e) < 0)
				return -1;
			break;
		case OPT_RUN_KEYS:
			if (cli_parse_int(optarg, 1, 100000000, "--run-keys", &o->run_keys, e) < 0)
				return -1;
			break;
		case OPT_RUN_PREFIX:
			o->run_prefix = optarg;
			break;
		case OPT_WRITE_PCT:
			if (cli_parse_int(optarg, 0, 100, "--write-pct", &o->write_pct, e) < 0)
				return -1;
			break;
		case OPT_TO:
			if (addr_parse(&o->to, optarg, e) < 0)
				return -1;
			o->have_to = 1;
			break;
		case OPT_SLOTS:
			o->slots = optarg;
			break;
		case OPT_OPS_LOG:
			o->ops_log = optarg;
			break;
		case OPT_PIPELINE:
			if (cli_parse_int(optarg, 1, 1000000, "--pipeline", &o->pipeline, e) < 0)
				return -1;
			break;
		case OPT_MIGRATE:
			o->migrate = 1;
			break;
		case OPT_DB:
		case OPT_DBS:
			if (parse_dbs(o, optarg, opt == OPT_DBS ? "--dbs" : "--db", e) < 0)
				return -1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			return err_set(e, ERR_REFUSED, "unknown option; see 'sc-load --help'");
		}
	}
	if (optind < argc)
		return err_set(e, ERR_REFUSED, "unexpected argument '%s'", argv[optind]);
	if (!have_seed)
		return err_set(e, ERR_REFUSED, "--seed HOST:PORT is required");
	if ((!strcmp(o->cmd, "fill") || !strcmp(o->cmd, "verify")) && o->keys == 0)
		return err_set(e, ERR_REFUSED, "--keys N is required");
	if (!strcmp(o->cmd, "copy") && (!o->have_to || !o->slots))
		return err_set(e, ERR_REFUSED, "copy needs --to HOST:PORT and --slots RANGES");
	if (!strcmp(o->cmd, "copy") && (o->ndbs != 1 || o->dbs[0] != 0))
		return err_set(e, ERR_REFUSED, "copy works in database 0 only");
	return cli_common_finish(&o->common, e);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct ccli c;
	struct sc_err e = { 0 };
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	o.cmd = argv[1];
	if (strcmp(o.cmd, "fill") && strcmp(o.cmd, "verify") && strcmp(o.cmd, "run") &&
	    strcmp(o.cmd, "copy")) {
		fprintf(stderr, "sc-load: error: unknown command '%s'\n%s", o.cmd, usage_text);
		return 2;
	}
	cli_common_init(&o.common);
	if (parse_opts(&o, argc - 1, argv + 1, &e) < 0) {
		rc = fail(o.cmd, &e);
		goto out;
	}
	if (ccli_init(&c, &o.seeds, &o.common.conn, &e) < 0) {
		rc = fail(o.cmd, &e);
		goto out;
	}
	if (!strcmp(o.cmd, "fill"))
		rc = cmd_fill_verify(&c, &o, 0);
	else if (!strcmp(o.cmd, "verify"))
		rc = cmd_fill_verify(&c, &o, 1);
	else if (!strcmp(o.cmd, "run"))
		rc = cmd_run(&c, &o);
	else
		rc = cmd_copy(&c, &o);
out:
	ccli_release(&c);
	addr_list_release(&o.seeds);
	cli_common_release(&o.common);
	return rc;
}
