/* progress.h - progress of a long slot migration for people and Job logs.
 *
 * On a terminal: one line redrawn in place (a bar, slots, keys, rate, ETA),
 * at most ~10 times a second.  Otherwise: a plain line every `every_ms`
 * (default 5 s), so a Kubernetes Job log shows steady, greppable progress:
 *   progress: 1200/3277 slots, 73412/200011 keys, 51230 keys/s, eta 2s
 * ETA comes from the key rate when the total of keys is known (keys_total
 * > 0), else from the slot rate.
 */
#ifndef SHARDCTL_PROGRESS_H
#define SHARDCTL_PROGRESS_H

#include <stdio.h>

struct progress {
	FILE *f;           /* NULL: silent */
	int tty;
	int every_ms;
	long long start_ms, last_ms;
	int drawn;         /* a bar is on screen (tty) */
};

void progress_init(struct progress *p, FILE *f, int tty);
/* Report the current counters; prints only when it is time to. */
void progress_update(struct progress *p, int slots_done, int slots_total, long long keys_done,
		     long long keys_total);
/* Final line (always printed when f is set): totals and elapsed time. */
void progress_end(struct progress *p, int slots_done, int slots_total, long long keys_done);

#endif
