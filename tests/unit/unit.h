/* unit.h - a minimal table-friendly unit test harness.  Each test binary
 * prints one line per failed assertion (with both values) and a final
 * "NAME: N passed, N failed" line; its exit status is 1 if anything failed. */
#ifndef SHARDCTL_UNIT_H
#define SHARDCTL_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (cond) {                                                       \
			unit_pass++;                                              \
		} else {                                                          \
			unit_fail++;                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,    \
				__LINE__, #cond);                                 \
		}                                                                 \
	} while (0)

#define CHECK_INT(got, want)                                                      \
	do {                                                                      \
		long long g_ = (long long)(got), w_ = (long long)(want);          \
		if (g_ == w_) {                                                   \
			unit_pass++;                                              \
		} else {                                                          \
			unit_fail++;                                              \
			fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, \
				__LINE__, #got, g_, w_);                          \
		}                                                                 \
	} while (0)

#define CHECK_STR(got, want)                                                      \
	do {                                                                      \
		const char *g_ = (got), *w_ = (want);                             \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                            \
			unit_pass++;                                              \
		} else {                                                          \
			unit_fail++;                                              \
			fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n",      \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)",     \
				w_ ? w_ : "(null)");                              \
		}                                                                 \
	} while (0)

/* Call at the end of main: prints the summary and returns the exit status. */
#define UNIT_DONE(name)                                                           \
	(printf("%s: %d passed, %d failed\n", (name), unit_pass, unit_fail),      \
	 unit_fail ? 1 : 0)

#endif
