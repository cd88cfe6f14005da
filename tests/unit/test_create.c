/* test_create.c - the pure layout of cluster creation (layout.h), on several
 * mixes of hosts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "unit.h"

/* nodes from a host pattern: "aabbcc" gives 127.0.2.1 x2, .2 x2, .3 x2 */
static int make_nodes(struct addr *v, const char *pattern)
{
	int n = 0;

	for (const char *p = pattern; *p; p++, n++) {
		snprintf(v[n].host, sizeof(v[n].host), "127.0.2.%d", *p - 'a' + 1);
		v[n].port = 7000 + n;
	}
	return n;
}

/* Invariants every layout keeps; returns the number of violations. */
static int check_invariants(const struct layout *l, const struct addr *v)
{
	int bad = 0, *members = calloc((size_t)l->shards, sizeof(int));
	long slots = 0;

	for (int i = 0; i < l->n; i++) {
		int s = l->shard[i];
		if (s < 0 || s >= l->shards) {
			bad++;
			continue;
		}
		members[s]++;
		if (l->master[i] < 0 && l->shard_master[s] != i)
			bad++;
		if (l->master[i] >= 0 && l->master[i] != l->shard_master[s])
			bad++;
	}
	for (int s = 0; s < l->shards; s++) {
		int cnt = l->slots[s].last - l->slots[s].first + 1;
		if (members[s] != 1 + l->replicas)
			bad++;
		if (cnt != 16384 / l->shards && cnt != 16384 / l->shards + 1)
			bad++;
		if (s > 0 && l->slots[s].first != l->slots[s - 1].last + 1)
			bad++;
		if (s > 0 && l->shard_master[s] <= l->shard_master[s - 1])
			bad++; /* shards in list order of their masters */
		slots += cnt;
	}
	if (slots != 16384 || l->slots[0].first != 0)
		bad++;
	(void)v;
	free(members);
	return bad;
}

/* Masters on the busiest host minus masters on the least busy host that
 * still had a node to spare: spreading means at most 1. */
static int master_skew(const struct layout *l, const struct addr *v)
{
	int per[26] = { 0 }, nodes[26] = { 0 }, hi = 0, lo = 1 << 30;

	for (int i = 0; i < l->n; i++) {
		int h = v[i].host[strlen(v[i].host) - 1] - '1';
		nodes[h]++;
		if (l->master[i] < 0)
			per[h]++;
	}
	for (int h = 0; h < 26; h++) {
		if (per[h] > hi)
			hi = per[h];
		if (nodes[h] > per[h] && per[h] < lo)
			lo = per[h];
	}
	return lo == 1 << 30 ? 0 : hi - lo;
}

struct mix {
	const char *hosts;
	int shards, replicas;
	int same_host;   /* replicas on their master's host expected */
	int spread;      /* every shard's nodes on distinct hosts expected */
};

static const struct mix mixes[] = {
	{ "aaa", 3, 0, 0, 0 },
	{ "aaaaaaaa", 4, 1, 4, 0 },       /* one host: unavoidable */
	{ "abc", 3, 0, 0, 1 },
	{ "aabbcc", 3, 1, 0, 1 },
	{ "abcabc", 3, 1, 0, 1 },
	{ "aaabbb", 3, 1, 0, 1 },
	{ "aaaabbbb", 4, 1, 0, 1 },
	{ "abababab", 4, 1, 0, 1 },
	{ "aaaaabbbbbccccc", 5, 2, 0, 1 }, /* 5x2 on three hosts */
	{ "abcabcabcabcabc", 5, 2, 0, 1 },
	{ "aaaabc", 3, 1, 1, 0 },          /* 4 of 6 on one host: one unavoidable */
	{ "abcddd", 3, 1, 0, 1 },
	{ "aabbccdd", 4, 1, 0, 1 },
	{ "aaaaaaabbbbbbbcccccccddddddd", 7, 3, 0, 1 },
	{ "abcdefgh", 4, 1, 0, 1 },
	{ "aaabbbccc", 3, 2, 0, 1 },
	{ "aabbccddeeff", 3, 3, 0, 0 },    /* spread is a preference only */
};

static void test_mixes(void)
{
	struct addr v[64];
	struct sc_err e;

	for (size_t k = 0; k < sizeof(mixes) / sizeof(mixes[0]); k++) {
		const struct mix *m = &mixes[k];
		struct layout l, l2;
		int n = make_nodes(v, m->hosts);

		CHECK_INT(layout_build(&l, v, n, m->shards, m->replicas, &e), 0);
		if (!l.n)
			continue;
		CHECK_INT(l.n, m->shards * (1 + m->replicas));
		CHECK_INT(check_invariants(&l, v), 0);
		CHECK_INT(layout_same_host_replicas(&l, v), m->same_host);
		CHECK(master_skew(&l, v) <= 1);
		if (m->spread)
			for (int s = 0; s < l.shards; s++)
				for (int i = 0; i < l.n; i++)
					for (int j = i + 1; j < l.n; j++)
						if (l.shard[i] == s && l.shard[j] == s &&
						    !strcmp(v[i].host, v[j].host)) {
							fprintf(stderr, "mix %s: shard %d has %d and %d on one host\n",
								m->hosts, s, i, j);
							CHECK(0);
						}
		/* same input, same layout */
		CHECK_INT(layout_build(&l2, v, n, m->shards, m->replicas, &e), 0);
		CHECK(!memcmp(l.master, l2.master, sizeof(int) * (size_t)l.n));
		CHECK(!memcmp(l.shard, l2.shard, sizeof(int) * (size_t)l.n));
		layout_release(&l2);
		layout_release(&l);
	}
}

static void test_one_host(void)
{
	struct addr v[16];
	struct layout l;
	struct sc_err e;
	int n = make_nodes(v, "aaaaaaaaaaaa");

	/* one host: masters are the first S nodes, replicas follow in order */
	CHECK_INT(layout_build(&l, v, n, 4, 1, &e), 0);
	for (int s = 0; s < 4; s++) {
		CHECK_INT(l.shard_master[s], s);
		CHECK_INT(l.master[4 + s], s);
		CHECK_INT(l.slots[s].first, s * 4096);
		CHECK_INT(l.slots[s].last, s * 4096 + 4095);
	}
	layout_release(&l);

	CHECK_INT(layout_build(&l, v, n, 3, 0, &e), 0);
	CHECK_INT(l.slots[0].last, 5460);
	CHECK_INT(l.slots[1].first, 5461);
	CHECK_INT(l.slots[1].last, 10921);
	CHECK_INT(l.slots[2].last, 16383);
	layout_release(&l);

	/* 5 shards: 3276 or 3277 slots each; 2 replicas each */
	CHECK_INT(layout_build(&l, v, n, 4, 2, &e), 0);
	CHECK_INT(check_invariants(&l, v), 0);
	layout_release(&l);
}

static void test_refusals(void)
{
	struct addr v[16];
	struct layout l;
	struct sc_err e;
	int n = make_nodes(v, "aaaaaa");

	err_clear(&e);
	CHECK_INT(layout_build(&l, v, n, 2, 0, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK(strstr(e.msg, "too few shards: 2") != NULL);
	CHECK_INT(layout_build(&l, v, n, 4, 1, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK_STR(e.msg, "too few nodes: 4 shards with 1 replica each need 8 nodes, 6 given");
	CHECK_INT(layout_build(&l, v, n, 3, -1, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK_INT(l.n, 0);
	layout_release(&l); /* released twice is fine */
	/* extra nodes beyond S*(1+R) are not used */
	CHECK_INT(layout_build(&l, v, n, 3, 0, &e), 0);
	CHECK_INT(l.n, 3);
	layout_release(&l);
}

/* Generated mixes: H hosts of equal size with S a multiple of H, so masters
 * split evenly and a layout with no replica on its master's host exists. */
static void test_generated(void)
{
	struct addr v[200];
	struct sc_err e;
	char pat[201];

	for (int h = 2; h <= 6; h++)
		for (int s = 3; s <= 12; s++)
			for (int r = 0; r <= 3; r++) {
				int n = s * (1 + r), ok = 1;
				struct layout l;
				if (n % h || s % h)
					continue;
				for (int i = 0; i < n; i++)
					pat[i] = (char)('a' + (i * h) / n); /* host-major order */
				pat[n] = '\0';
				make_nodes(v, pat);
				if (layout_build(&l, v, n, s, r, &e) < 0) {
					CHECK(0);
					continue;
				}
				if (check_invariants(&l, v) || layout_same_host_replicas(&l, v) ||
				    master_skew(&l, v) > 1)
					ok = 0;
				if (!ok)
					fprintf(stderr, "generated %s S=%d R=%d: same host %d, skew %d\n", pat,
						s, r, layout_same_host_replicas(&l, v), master_skew(&l, v));
				CHECK(ok);
				layout_release(&l);
			}
}

int main(void)
{
	test_refusals();
	test_one_host();
	test_mixes();
	test_generated();
	return UNIT_DONE("create");
}
