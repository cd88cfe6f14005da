/* sc-topo-bench - times the topology model on a synthetic cluster of N nodes
 * (N/2 masters with fragmented ranges, N/2 replicas): N CLUSTER NODES
 * replies of N lines each are generated one at a time, parsed (view_parse),
 * added to a topo_builder and released, as survey.c does; then the topo is
 * finished and judged (health_check).
 * Usage: sc-topo-bench [N] [RANGES_PER_MASTER]   (defaults 1000 4).
 * Prints the time of each phase and the peak resident memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/clock.h"
#include "core/health.h"
#include "core/topo.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The reply of node `self` in a cluster of n nodes. */
static char *reply(int n, int per, int self)
{
	int masters = n / 2, chunks = masters * per;
	size_t cap = (size_t)n * 200 + (size_t)chunks * 12 + 64, len = 0;
	char *s = malloc(cap);

	for (int i = 0; i < n; i++) {
		int m = i < masters;
		len += (size_t)snprintf(s + len, cap - len, "%040x 10.%d.%d.%d:6379@16379,rc-%d.rc-headless %s%s ",
					i + 1, (i >> 16) & 255, (i >> 8) & 255, i & 255, i,
					i == self ? "myself," : "", m ? "master" : "slave");
		if (m)
			len += (size_t)snprintf(s + len, cap - len, "- 0 0 %d connected", i + 1);
		else
			len += (size_t)snprintf(s + len, cap - len, "%040x 0 0 %d connected", i - masters + 1,
						i - masters + 1);
		/* master i owns chunks i, i+masters, i+2*masters, ... */
		for (int k = i; m && k < chunks; k += masters) {
			int first = (int)((long)k * 16384 / chunks), last = (int)((long)(k + 1) * 16384 / chunks) - 1;
			len += (size_t)snprintf(s + len, cap - len, first == last ? " %d" : " %d-%d", first, last);
		}
		s[len++] = '\n';
	}
	s[len] = '\0';
	return s;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, per = argc > 2 ? atoi(argv[2]) : 4;
	struct topo_builder *b = topo_builder_new();
	struct topo t;
	struct health h;
	struct health_opts ho = { n / 2, 1 };
	struct sc_err e = { 0 };
	struct rusage ru;
	double gen = 0, parse = 0, add = 0, t0, t1, t2;
	size_t bytes = 0;

	if (n < 6 || per < 1 || !b)
		return 2;
	/* as a survey does: one reply at a time, parsed, added, released */
	for (int i = 0; i < n; i++) {
		struct view v;
		double a = now(), p, q;
		char *text = reply(n, per, i);

		p = now();
		bytes += strlen(text);
		if (view_parse(&v, text, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		q = now();
		if (topo_builder_add(b, &v, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		add += now() - q;
		parse += q - p;
		gen += p - a;
		view_release(&v);
		free(text);
	}
	t0 = now();
	if (topo_builder_finish(b, &t, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	topo_builder_free(b);
	t1 = now();
	for (int i = 0; i < t.n; i++)
		t.m[i].reachable = 1;
	if (health_check(&t, &ho, &h, &e) < 0)
		return 1;
	t2 = now();
	getrusage(RUSAGE_SELF, &ru);
	printf("nodes %d, replies %.1f MB in all, masters %d, agree %d, problems %d\n", n,
	       (double)bytes / 1e6, topo_count_masters(&t), t.agree, h.n);
	printf("parse %.3f s (%.2f M lines/s), add %.3f s, finish %.3f s, health %.3f s, "
	       "peak RSS %ld MB\n",
	       parse, (double)n * n / parse / 1e6, add, t1 - t0, t2 - t1, ru.ru_maxrss / 1024);
	health_release(&h);
	topo_release(&t);
	return 0;
}
