/* local_scale.c - `shardctl local scale`.  Placeholder until reconcile.c is
 * merged (the real sequence is written against reconcile.h and follows). */
#include "local.h"

int local_scale(const struct local_opts *o, struct sc_err *e)
{
	(void)o;
	return err_set(e, ERR_FAIL, "local scale is not available yet: it needs 'shardctl reconcile'");
}
