/* fuzz_view.h - the body of the CLUSTER NODES fuzz target, shared with the
 * unit test that replays the regression inputs (tests/unit/test_fuzz.c). */
#ifndef SHARDCTL_FUZZ_VIEW_H
#define SHARDCTL_FUZZ_VIEW_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fix_plan.h"
#include "engine/heal.h"
#include "core/topo.h"

/* Returns view_parse's result (0 / -1); aborts on a broken contract. */
static inline int fuzz_view_one(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct view v;
	struct topo t;
	struct sc_err e;
	int rc;

	if (!text)
		return -1;
	memcpy(text, data, size);
	text[size] = '\0';
	e.msg[0] = '\0';
	rc = view_parse(&v, text, &e);
	if (rc < 0) {
		if (!e.msg[0])
			abort(); /* an error must say what is wrong */
		free(text);
		return rc;
	}
	if (v.self >= 0 && topo_build(&t, &v, 1, &e) == 0) {
		struct slot_range r[64];
		struct heal_node h;
		struct heal_plan hp;
		struct fix_plan fp;
		struct fix_keys fk = { NULL, 0, NULL };
		int *slots = NULL, n;

		for (int i = 0; i < t.n; i++)
			topo_member_ranges(&t, i, r, 64);
		topo_count_masters(&t);
		n = fix_slots_needed(&t, &slots, &e);
		if (n > 0) {
			long long *keys = calloc((size_t)n * (size_t)t.n + 1, sizeof(*keys));
			if (keys) {
				fk.slots = slots;
				fk.nslots = n;
				fk.keys = keys;
				if (fix_plan_build(&fp, &t, &fk, &e) == 0)
					fix_plan_release(&fp);
				free(keys);
			}
		}
		free(slots);
		topo_release(&t);
		memset(&h, 0, sizeof(h));
		memcpy(h.id, v.e[v.self].id, sizeof(h.id));
		h.view = v;
		if (heal_plan_build(&hp, &h, 1, &e) == 0)
			heal_plan_release(&hp);
	}
	view_release(&v);
	free(text);
	return 0;
}

#endif
