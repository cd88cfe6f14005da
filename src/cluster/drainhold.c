/* drainhold.c - see drainhold.h */
#include "cluster/drainhold.h"

#include <string.h>

#include "base/log.h"
#include "cluster/node.h"

int drainhold_set(struct conn *c, struct drainhold *h)
{
	struct sc_err e;
	char v[16];

	if (h->held)
		return 1;
	if (node_config_get(c, DRAINHOLD_SETTING, v, sizeof(v), &e) < 0)
		return 0;
	if (strcmp(v, "no") == 0)
		return 1;
	if (strcmp(v, "yes") != 0 || node_config_set(c, DRAINHOLD_SETTING, "no") < 0)
		return 0;
	h->held = 1;
	return 1;
}

void drainhold_put_back(const struct addr *a, const struct conn_opts *o, struct drainhold *h, FILE *log)
{
	struct sc_err e;
	struct conn *c;
	char name[300];

	if (!h->held)
		return;
	h->held = 0;
	c = conn_open(a, o, &e);
	if (!c || node_config_set(c, DRAINHOLD_SETTING, "yes") < 0)
		log_say(log, "warning: could not put back %s yes on '%s' (held at no while it was drained): it "
			     "keeps no until it restarts", DRAINHOLD_SETTING, addr_format(a, name, sizeof(name)));
	conn_free(c);
}
