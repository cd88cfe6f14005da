/* The pure parts of sc-load: key names, deterministic values, latency
 * percentiles (checked against exact nearest-rank percentiles of sorted
 * samples). */
#include <stdlib.h>

#include "lib/ccli.h"
#include "lib/dataset.h"
#include "lib/dumpcopy.h"
#include "base/keyslot.h"
#include "lib/latency.h"
#include "unit.h"

static void test_keys(void)
{
	char buf[DATASET_KEY_MAX];

	CHECK_INT(dataset_key(buf, sizeof(buf), "k", 0), 3);
	CHECK_STR(buf, "k:0");
	CHECK_INT(dataset_key(buf, sizeof(buf), "run", 1234567), 11);
	CHECK_STR(buf, "run:1234567");
	CHECK_INT(dataset_key(buf, 5, "k", 12345), -1);
}

static int printable(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] < 33 || v[i] > 126)
			return 0;
	return 1;
}

static void test_values(void)
{
	static const size_t sizes[] = { 0, 1, 3, 4, 5, 16, 100, 4096, 5000 };
	char *a = malloc(6000), *b = malloc(6000);

	/* head is readable and exact */
	dataset_value(a, 10, 0, 7, 0);
	CHECK(memcmp(a, "7.0.", 4) == 0);
	dataset_value(a, 3, 0, 12345, 0);
	CHECK(memcmp(a, "123", 3) == 0);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		memset(a, 0, 6000);
		memset(b, 0, 6000);
		dataset_value(a, n, 42, 99, 3);
		dataset_value(b, n, 42, 99, 3);
		CHECK(memcmp(a, b, n) == 0);            /* deterministic */
		CHECK_INT(a[n], 0);                     /* exactly n bytes written */
		CHECK(printable(a, n));
		CHECK_INT(dataset_value_equal(a, n, n, 42, 99, 3), 1);
		if (n >= 16) {
			dataset_value(b, n, 43, 99, 3);  /* other seed */
			CHECK(memcmp(a, b, n) != 0);
			dataset_value(b, n, 42, 98, 3);  /* other index */
			CHECK(memcmp(a, b, n) != 0);
			dataset_value(b, n, 42, 99, 4);  /* other version */
			CHECK(memcmp(a, b, n) != 0);
			CHECK_INT(dataset_value_equal(a, n - 1, n, 42, 99, 3), 0);
			a[n - 1] ^= 1;                   /* one bit off at the end */
			CHECK_INT(dataset_value_equal(a, n, n, 42, 99, 3), 0);
			a[n - 1] ^= 1;
			a[n / 2] ^= 0x20;
			CHECK_INT(dataset_value_equal(a, n, n, 42, 99, 3), 0);
		}
	}
	/* the tail is not trivially repetitive: 100 bytes use many letters */
	{
		int seen[256] = { 0 }, distinct = 0;
		dataset_value(a, 100, 0, 1, 0);
		for (int i = 0; i < 100; i++)
			if (!seen[(unsigned char)a[i]]++)
				distinct++;
		CHECK(distinct > 30);
	}
	free(a);
	free(b);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* exact nearest rank of sorted v[0..n) */
static uint64_t exact(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)((p * (double)n + 99.999999) / 100.0);
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static void test_buckets(void)
{
	uint64_t lo, hi, prev_hi = 0;

	for (int i = 0; i < LATENCY_BUCKETS; i++) {
		latency_bucket_range(i, &lo, &hi);
		if (i > 0 && lo != prev_hi + 1) {
			fprintf(stderr, "bucket %d starts at %llu after %llu\n", i,
				(unsigned long long)lo, (unsigned long long)prev_hi);
			CHECK(0);
			break;
		}
		if (latency_bucket_of(lo) != i || latency_bucket_of(hi) != i) {
			fprintf(stderr, "bucket %d [%llu,%llu] not its own\n", i,
				(unsigned long long)lo, (unsigned long long)hi);
			CHECK(0);
			break;
		}
		/* width within 1/64 of the low end */
		CHECK(i < LATENCY_EXACT || (hi - lo + 1) * 64 <= lo);
		prev_hi = hi;
	}
	CHECK_INT(prev_hi, (1ULL << LATENCY_MAX_EXP) - 1);
	CHECK_INT(latency_bucket_of(1ULL << 50), LATENCY_BUCKETS - 1);
}

static void test_percentiles(void)
{
	static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 100 };
	struct latency l, m;
	uint64_t *v = malloc(sizeof(*v) * 20000);
	unsigned seed = 7;

	latency_init(&l);
	CHECK_INT(latency_percentile(&l, 50), 0);
	latency_record(&l, 250);
	CHECK_INT(latency_percentile(&l, 50), 250);
	CHECK_INT(latency_percentile(&l, 99), 250);
	CHECK_INT(latency_percentile(&l, 0), 250);

	/* small values are exact: 1..100 */
	latency_init(&l);
	for (int i = 100; i >= 1; i--)
		latency_record(&l, (uint64_t)i);
	CHECK_INT(latency_percentile(&l, 50), 50);
	CHECK_INT(latency_percentile(&l, 99), 99);
	CHECK_INT(latency_percentile(&l, 99.5), 100);
	CHECK_INT(latency_percentile(&l, 1), 1);
	CHECK_INT(latency_percentile(&l, 100), 100);
	CHECK_INT(l.max, 100);
	CHECK_INT(l.min, 1);

	/* skewed random samples up to seconds: never below the truth, at most
	 * 1/64 above it, never above the maximum */
	for (int round = 0; round < 5; round++) {
		size_t n = 1000 + (size_t)round * 4000;
		latency_init(&l);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			uint64_t x = (seed >> 8) % 1000;
			v[i] = round % 2 ? x * x * x + 3 : x * 37 + 1; /* heavy tail or flat */
			latency_record(&l, v[i]);
		}
		qsort(v, n, sizeof(*v), cmp_u64);
		for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			uint64_t want = exact(v, n, ps[k]), got = latency_percentile(&l, ps[k]);
			if (got < want || got > want + want / 64 || got > v[n - 1]) {
				fprintf(stderr, "round %d p%g: got %llu, exact %llu\n", round, ps[k],
					(unsigned long long)got, (unsigned long long)want);
				CHECK(0);
			} else {
				CHECK(1);
			}
		}
		CHECK_INT(latency_percentile(&l, 100), v[n - 1]);
	}

	/* merge equals recording everything in one */
	latency_init(&l);
	latency_init(&m);
	for (uint64_t i = 0; i < 1000; i++)
		latency_record(i % 2 ? &l : &m, i * 13);
	latency_merge(&l, &m);
	CHECK_INT(l.count, 1000);
	CHECK_INT(l.min, 0);
	CHECK_INT(l.max, 999 * 13);
	CHECK_INT(latency_percentile(&l, 100), 999 * 13);
	free(v);
}

static int marked(const char *mark)
{
	int n = 0;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		n += mark[s] != 0;
	return n;
}

static void test_slot_lists(void)
{
	static const char *bad[] = { "x", "1-", "-5", "5-1", "16384", "0-16384", "1,,a" };
	char mark[CLUSTER_SLOTS];
	struct sc_err e = { 0 };

	memset(mark, 0, sizeof(mark));
	CHECK_INT(dumpcopy_parse_slots("0-819,4096-4915 8192-9011,12288-13107", mark, &e), 0);
	CHECK_INT(marked(mark), 4 * 820);
	CHECK(mark[0] && mark[819] && !mark[820] && mark[13107] && !mark[13108]);
	memset(mark, 0, sizeof(mark));
	CHECK_INT(dumpcopy_parse_slots("16383,7,7", mark, &e), 0);
	CHECK_INT(marked(mark), 2);
	CHECK_INT(dumpcopy_parse_slots("", mark, &e), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		CHECK_INT(dumpcopy_parse_slots(bad[i], mark, &e), -1);
		CHECK_INT(e.kind, ERR_REFUSED);
	}
}

/* hand-built replies, as hiredis would hand them over */
static redisReply *mk_int(long long v)
{
	redisReply *r = calloc(1, sizeof(*r));
	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

static redisReply *mk_str(const char *s)
{
	redisReply *r = calloc(1, sizeof(*r));
	r->type = REDIS_REPLY_STRING;
	r->str = strdup(s);
	r->len = strlen(s);
	return r;
}

static redisReply *mk_arr(size_t n, redisReply **v)
{
	redisReply *r = calloc(1, sizeof(*r));
	r->type = REDIS_REPLY_ARRAY;
	r->elements = n;
	r->element = calloc(n ? n : 1, sizeof(*r->element));
	for (size_t i = 0; i < n; i++)
		r->element[i] = v[i];
	return r;
}

static redisReply *range(long long a, long long b, const char *ip, long long port)
{
	redisReply *ep[] = { mk_str(ip), mk_int(port), mk_str("0123456789012345678901234567890123456789") };
	redisReply *v[] = { mk_int(a), mk_int(b), mk_arr(3, ep) };
	return mk_arr(3, v);
}

static void test_cluster_slots(void)
{
	struct ccli c;
	struct addr seed = { "127.0.0.9", 7000 };
	int16_t owner[CLUSTER_SLOTS];
	redisReply *r;

	memset(&c, 0, sizeof(c));
	CHECK_INT(ccli_node_index(&c, &seed), 0);
	{
		redisReply *v[] = { range(0, 5460, "127.0.0.1", 7001), range(5461, 10922, "", 7000),
				    range(10923, 16383, "127.0.0.1", 7003) };
		r = mk_arr(3, v);
	}
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), CLUSTER_SLOTS);
	CHECK_INT(c.nnodes, 3);
	CHECK_INT(owner[0], 1);
	CHECK_INT(owner[5461], 0); /* empty endpoint: the node asked */
	CHECK_INT(owner[16383], 2);
	CHECK_STR(c.node[2].name, "127.0.0.1:7003");
	freeReplyObject(r);
	{
		redisReply *v[] = { range(0, 99, "?", 7001), range(100, 199, "127.0.0.1", 7001) };
		r = mk_arr(2, v);
	}
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), 100); /* unknown endpoint skipped */
	CHECK_INT(owner[0], -1);
	CHECK_INT(owner[150], 1);
	freeReplyObject(r);
	/* wrong shapes are errors, not crashes */
	r = mk_int(3);
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), -1);
	freeReplyObject(r);
	{
		redisReply *v[] = { range(10, 5, "127.0.0.1", 7001) };
		r = mk_arr(1, v);
	}
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), -1);
	freeReplyObject(r);
	{
		redisReply *v[] = { range(0, 16384, "127.0.0.1", 7001) };
		r = mk_arr(1, v);
	}
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), -1);
	freeReplyObject(r);
	{
		redisReply *v[] = { range(0, 10, "127.0.0.1", 70000) };
		r = mk_arr(1, v);
	}
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), -1);
	freeReplyObject(r);
	{
		redisReply *v[] = { mk_int(0), mk_int(10) };
		redisReply *w[] = { mk_arr(2, v) };
		r = mk_arr(1, w);
	}
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), -1);
	freeReplyObject(r);
	{
		redisReply *ep[] = { mk_int(1), mk_int(7001) };
		redisReply *v[] = { mk_int(0), mk_int(10), mk_arr(2, ep) };
		redisReply *w[] = { mk_arr(3, v) };
		r = mk_arr(1, w);
	}
	CHECK_INT(ccli_parse_slots(&c, 0, r, owner), -1);
	freeReplyObject(r);
	ccli_release(&c);
}

int main(void)
{
	test_cluster_slots();
	test_slot_lists();
	test_keys();
	test_values();
	test_buckets();
	test_percentiles();
	return UNIT_DONE("load");
}
