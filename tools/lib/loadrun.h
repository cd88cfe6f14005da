/* loadrun.h - sc-load's `run` workload: reads and writes through a
 * cluster client while an operation runs, every write's version kept, every
 * key written checked at the end; latency percentiles and redirections
 * reported (text or one JSON object), each operation in --ops-log.
 *
 * Run keys "RUN_PREFIX:i" (i < run_keys) are written with rising versions
 * and read back; with a filled data set (keys > 0) half the reads go to
 * its keys (version 0).  Each database of `dbs` has its own client, value
 * seed (dataset_db_seed) and versions.  Ends after `seconds`, or at SIGINT
 * / SIGTERM.  Messages on stderr start "sc-load run:". */
#ifndef SHARDCTL_LOADRUN_H
#define SHARDCTL_LOADRUN_H

#include <stdint.h>

#include "lib/ccli.h"

struct loadrun_opts {
	const struct addr_list *seeds;  /* for the clients of further databases */
	const struct conn_opts *conn;
	long long keys;                 /* the filled data set's keys (0: none) */
	const char *prefix, *run_prefix;
	int run_keys, size, write_pct;  /* size: of every value, bytes */
	uint64_t data_seed;
	const int *dbs;                 /* databases to work in, ndbs >= 1 */
	int ndbs;
	int seconds, rate;              /* rate: operations per second, 0 unlimited */
	const char *ops_log;            /* "START-US LATENCY-US" a line, or NULL */
	int json;
};

/* Run on c (working in dbs[0]; a client of its own in each other one).
 * 0 when every operation succeeded and no write was lost, 1 otherwise, 2
 * when the ops log cannot be written, or a connection's exit status. */
int loadrun(struct ccli *c, const struct loadrun_opts *o);

#endif
