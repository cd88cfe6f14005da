/* sc-seqmove - the plainest legacy slot move, a baseline for benchmarks
 * (bench/seqmove.sh): what the migrator's rounds are measured against.
 *
 *   sc-seqmove SRC DST FIRST-LAST [OTHER_MASTER...]
 *
 * Every slot of FIRST-LAST is opened at once (IMPORTING on DST, then
 * MIGRATING on SRC, one pipeline each), then its keys move one call at a
 * time: CLUSTER GETKEYSINSLOT s N, MIGRATE of those keys, again until the
 * slot is empty, slot after slot; then NODE goes to DST, SRC and every
 * OTHER_MASTER, one pipeline each.  N is SEQ_KEYS (default 40).  Every reply
 * is checked: the first refusal stops it (exit 1, the slots left open for
 * `shardctl fix`).  SRC must own every slot of the range.  Prints
 * "moved K keys of S slots in X s, C calls".  Not for users: no retries,
 * no latency budget, no databases but 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/keyslot.h"
#include "cluster/conn.h"
#include "cluster/node.h"

struct end {
	struct addr addr;
	struct conn *c;
	char id[NODE_ID_LEN + 1];
};

static int fail(const char *what, const struct end *n, const redisReply *r)
{
	char desc[300];

	fprintf(stderr, "sc-seqmove: error: %s on '%s' %s: %s\n", what, n->c->name,
		r ? "refused" : "failed", r ? reply_describe(r, desc, sizeof(desc)) : n->c->err.msg);
	return -1;
}

static int open_end(struct end *n, const char *text, const struct conn_opts *co)
{
	struct sc_err e;

	if (addr_parse(&n->addr, text, &e) < 0 || !(n->c = conn_open(&n->addr, co, &e)) ||
	    node_id(n->c, n->id, &e) < 0) {
		fprintf(stderr, "sc-seqmove: error: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* CLUSTER SETSLOT s HOW ID for every slot of [a, b] on n, one pipeline. */
static int setslot_all(struct end *n, int a, int b, const char *how, const char *id)
{
	int rc = 0;

	for (int s = a; s <= b; s++)
		conn_append(n->c, "CLUSTER SETSLOT %d %s %s", s, how, id);
	for (int s = a; s <= b; s++) {
		redisReply *r = conn_read(n->c);
		if (rc == 0 && (!r || !reply_is_status(r, "OK")))
			rc = fail("CLUSTER SETSLOT", n, r);
		if (r)
			freeReplyObject(r);
		if (!r)
			return -1;
	}
	return rc;
}

/* Move every key of slot s, SEQ_KEYS at a time.  Keys moved, or -1. */
static long long drain(struct end *src, const struct end *dst, int s, int per, long long *calls)
{
	char slot[16], cnt[16], port[16];
	long long moved = 0;

	snprintf(slot, sizeof(slot), "%d", s);
	snprintf(cnt, sizeof(cnt), "%d", per);
	snprintf(port, sizeof(port), "%d", dst->addr.port);
	for (;;) {
		redisReply *k = conn_command(src->c, "CLUSTER GETKEYSINSLOT %s %s", slot, cnt), *r;
		const char **argv;
		size_t *lens;
		int argc = 0;

		if (!k || k->type != REDIS_REPLY_ARRAY) {
			fail("CLUSTER GETKEYSINSLOT", src, k);
			if (k)
				freeReplyObject(k);
			return -1;
		}
		if (k->elements == 0) {
			freeReplyObject(k);
			return moved;
		}
		argv = malloc(sizeof(*argv) * (k->elements + 7));
		lens = malloc(sizeof(*lens) * (k->elements + 7));
		if (!argv || !lens) {
			fprintf(stderr, "sc-seqmove: error: out of memory\n");
			exit(1);
		}
		const char *head[] = { "MIGRATE", dst->addr.host, port, "", "0", "10000", "KEYS" };
		for (int i = 0; i < 7; i++, argc++) {
			argv[argc] = head[i];
			lens[argc] = strlen(head[i]);
		}
		for (size_t i = 0; i < k->elements; i++, argc++) {
			argv[argc] = k->element[i]->str;
			lens[argc] = k->element[i]->len;
		}
		r = conn_command_argv(src->c, argc, argv, lens);
		free(argv);
		free(lens);
		(*calls)++;
		if (!r || (!reply_is_status(r, "OK") && !reply_is_status(r, "NOKEY"))) {
			fail("MIGRATE", src, r);
			if (r)
				freeReplyObject(r);
			freeReplyObject(k);
			return -1;
		}
		moved += (long long)k->elements;
		freeReplyObject(r);
		freeReplyObject(k);
	}
}

int main(int argc, char **argv)
{
	struct conn_opts co;
	struct end n[64];
	int nn = 0, a, b, per = getenv("SEQ_KEYS") ? atoi(getenv("SEQ_KEYS")) : 40, rc = 1;
	long long keys = 0, calls = 0, got, t0;
	struct sc_err e;

	memset(n, 0, sizeof(n));
	conn_opts_init(&co);
	if (argc < 4 || argc > 64 || sscanf(argv[3], "%d-%d", &a, &b) != 2 || a < 0 || b < a ||
	    b >= CLUSTER_SLOTS || per < 1) {
		fprintf(stderr, "usage: sc-seqmove SRC DST FIRST-LAST [OTHER_MASTER...] (SEQ_KEYS: keys per call)\n");
		return 2;
	}
	if (conn_opts_load_password(&co, NULL, &e) < 0) {
		fprintf(stderr, "sc-seqmove: error: %s\n", e.msg);
		goto out;
	}
	for (int i = 1; i < argc; i++)
		if (i != 3 && open_end(&n[nn++], argv[i], &co) < 0)
			goto out;
	t0 = clock_now_us();
	if (setslot_all(&n[1], a, b, "IMPORTING", n[0].id) < 0 || setslot_all(&n[0], a, b, "MIGRATING", n[1].id) < 0)
		goto out;
	for (int s = a; s <= b; s++) {
		if ((got = drain(&n[0], &n[1], s, per, &calls)) < 0)
			goto out;
		keys += got;
	}
	for (int i = 0; i < nn; i++) /* the target, the source, the others */
		if (setslot_all(&n[i == 0 ? 1 : i == 1 ? 0 : i], a, b, "NODE", n[1].id) < 0)
			goto out;
	printf("moved %lld keys of %d slots in %.2f s, %lld calls\n", keys, b - a + 1,
	       (double)(clock_now_us() - t0) / 1e6, calls);
	rc = 0;
out:
	for (int i = 0; i < nn; i++)
		conn_free(n[i].c);
	conn_opts_release(&co);
	return rc;
}
