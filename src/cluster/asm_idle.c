/* asm_idle.c - see asm_idle.h. */
#include "cluster/asm_idle.h"

#include <stdlib.h>

#include "base/clock.h"
#include "base/log.h"

int asm_await_idle(const struct addr *a, const asm_running_fn *running, int n, const struct conn_opts *o,
		   int wait_ms, FILE *log, struct sc_err *e)
{
	struct conn **cs = calloc((size_t)n + 1, sizeof(*cs));
	long long deadline = clock_now_ms() + wait_ms;
	int first = -1, rc = -1;
	char what[400] = "", name[300];

	if (!cs)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int i = 0; i < n; i++)
		if (!(cs[i] = conn_open(&a[i], o, e)))
			goto out;
	for (;;) {
		int total = 0, busy = -1;
		for (int i = 0; i < n; i++) {
			char w[400];
			int k = running[i](cs[i], w, sizeof(w), e);
			if (k < 0)
				goto out;
			if (k > 0 && busy < 0) {
				busy = i;
				snprintf(what, sizeof(what), "%s", w);
			}
			total += k;
		}
		if (first < 0) {
			first = total;
			if (total)
				log_say(log, "%d atomic slot migration job(s) are still in progress (left by an "
					"earlier run, or started by another tool; e.g. on '%s': %s): waiting for them "
					"to end", total,
					addr_format(&a[busy], name, sizeof(name)), what);
		}
		if (!total)
			break;
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "atomic slot migration jobs still in progress after %d ms (on '%s': %s); "
				"wait, or cancel them (Valkey: CLUSTER CANCELSLOTMIGRATIONS on their source; Redis: "
				"CLUSTER MIGRATION CANCEL ALL on their target), then run again",
				wait_ms, addr_format(&a[busy], name, sizeof(name)), what);
			goto out;
		}
		clock_sleep_ms(100);
	}
	rc = first;
out:
	for (int i = 0; i < n; i++)
		conn_free(cs[i]);
	free(cs);
	return rc;
}
