/* progress.c - see progress.h */
#include "base/progress.h"

#include <string.h>

#include "base/clock.h"

void progress_init(struct progress *p, FILE *f, int tty)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->tty = tty;
	p->every_ms = 5000;
	p->start_ms = p->last_ms = clock_now_ms();
}

static void eta_text(char *buf, int len, long long secs)
{
	if (secs < 0)
		snprintf(buf, (size_t)len, "?");
	else if (secs < 120)
		snprintf(buf, (size_t)len, "%llds", secs);
	else
		snprintf(buf, (size_t)len, "%lldm%02llds", secs / 60, secs % 60);
}

void progress_update(struct progress *p, int slots_done, int slots_total, long long keys_done,
		     long long keys_total)
{
	long long t = clock_now_ms(), el = t - p->start_ms, eta = -1, rate;
	char etab[32], bar[31];
	double frac;

	if (!p->f || t - p->last_ms < (p->tty ? 100 : p->every_ms))
		return;
	p->last_ms = t;
	rate = el > 0 ? keys_done * 1000 / el : 0;
	if (keys_total > 0 && keys_done > 0 && keys_done < keys_total)
		eta = (keys_total - keys_done) * el / keys_done / 1000;
	else if (slots_done > 0 && slots_total > slots_done)
		eta = (long long)(slots_total - slots_done) * el / slots_done / 1000;
	else if (slots_done >= slots_total)
		eta = 0;
	eta_text(etab, sizeof(etab), eta);
	if (!p->tty) {
		char total[32] = "";
		if (keys_total > 0)
			snprintf(total, sizeof(total), "/%lld", keys_total);
		fprintf(p->f, "progress: %d/%d slots, %lld%s keys, %lld keys/s, eta %s\n", slots_done,
			slots_total, keys_done, total, rate, etab);
		fflush(p->f);
		return;
	}
	frac = slots_total > 0 ? (double)slots_done / slots_total : 1.0;
	for (int i = 0; i < 30; i++)
		bar[i] = i < (int)(frac * 30) ? '#' : '.';
	bar[30] = '\0';
	fprintf(p->f, "\r[%s] %3d%% %d/%d slots %lld keys %lld/s eta %s\033[K", bar, (int)(frac * 100),
		slots_done, slots_total, keys_done, rate, etab);
	fflush(p->f);
	p->drawn = 1;
}

void progress_end(struct progress *p, int slots_done, int slots_total, long long keys_done)
{
	long long el = clock_now_ms() - p->start_ms;

	if (!p->f)
		return;
	if (p->drawn)
		fprintf(p->f, "\r\033[K");
	fprintf(p->f, "moved %d/%d slots, %lld keys in %lld.%01lld s (%lld keys/s)\n", slots_done, slots_total,
		keys_done, el / 1000, (el % 1000) / 100, el > 0 ? keys_done * 1000 / el : 0);
	fflush(p->f);
	p->drawn = 0;
}
