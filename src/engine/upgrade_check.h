/* upgrade_check.h - before a server image change (helm upgrade or rollback
 * changing image.*), refuse a target server that cannot read the data the
 * running nodes wrote (core/server_version.h has the rules).
 *
 * Every member of the cluster the listed nodes belong to (cluster/survey.h)
 * is asked INFO server; a listed node that is not a member (a fresh pod) is
 * asked too.  Nodes that cannot be reached are skipped (a pod of the new
 * size that does not exist yet), and say so.  A target whose version cannot
 * be told from its image (a digest, "latest", a private name) is allowed
 * with a warning: the check is a guard, not a gate on naming.
 */
#ifndef SHARDCTL_UPGRADE_CHECK_H
#define SHARDCTL_UPGRADE_CHECK_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"

struct upgrade_check_req {
	const struct addr_list *nodes;
	const struct conn_opts *conn;
	const char *image;  /* REPO[:TAG][@DIGEST] of the server image to run */
	const char *flavor; /* "valkey", "redis", or NULL/"": from the repository */
	FILE *out;          /* a line per node, and the verdict */
};

/* 0 when the change is safe (or cannot be judged: warned); -1 with e:
 * ERR_REFUSED naming the first node whose data the target cannot read,
 * ERR_FAIL / ERR_IO when a reachable node gives no usable INFO server. */
int upgrade_check_run(const struct upgrade_check_req *r, struct sc_err *e);

#endif
