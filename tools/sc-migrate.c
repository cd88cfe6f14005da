/* sc-migrate - a developer's driver of the slot migrator (migrate.h), used by
 * tests and benchmarks to move slot ranges between two masters directly:
 *
 *   sc-migrate SRC DST FIRST-LAST[,FIRST-LAST...] [OTHER_MASTER...]
 *
 * Node ids are read with CLUSTER MYID.  Prints progress on stderr (a bar on
 * a terminal, else a line every 5 s; then "moved N/M slots, ...") and exits
 * 0 when every slot moved, 1 otherwise (the error on stderr).  Knobs of
 * migrate_opts from the environment: SC_BATCH (batch_keys), SC_WINDOW
 * (window), SC_MAX_LATENCY (max_latency_us, written in ms like --max-latency:
 * "1.5"; 0: no limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/millis.h"
#include "cluster/conn.h"
#include "engine/migrate.h"

static int node_id(struct migrate_node *n, const struct conn_opts *o, struct sc_err *e)
{
	struct conn *c = conn_open(&n->addr, o, e);
	redisReply *r = c ? conn_command(c, "CLUSTER MYID") : NULL;
	int rc = -1;

	if (c && !r)
		*e = c->err;
	else if (r && r->type == REDIS_REPLY_STRING && r->len == NODE_ID_LEN) {
		memcpy(n->id, r->str, NODE_ID_LEN + 1);
		rc = 0;
	} else if (r)
		err_set(e, ERR_FAIL, "'%s' did not give its node id", c->name);
	if (r)
		freeReplyObject(r);
	conn_free(c);
	return rc;
}

int main(int argc, char **argv)
{
	struct conn_opts co;
	struct migrate_opts mo;
	struct migrate_node nodes[64];
	struct migrate_move mv;
	struct migrate_run_opts run;
	struct sc_err e = { 0 };
	struct migrate *m = NULL;
	int *slots = calloc(CLUSTER_SLOTS, sizeof(int)), ns = 0, nn = 0, rc = 1;
	char *ranges = NULL, *tok, *save;

	conn_opts_init(&co);
	if (argc < 4 || argc > 64 || !slots) {
		fprintf(stderr, "usage: sc-migrate SRC DST FIRST-LAST[,...] [OTHER_MASTER...]\n");
		goto out;
	}
	if (conn_opts_load_password(&co, NULL, &e) < 0)
		goto fail;
	for (int i = 1; i < argc; i++) {
		if (i == 3)
			continue;
		memset(&nodes[nn], 0, sizeof(nodes[nn]));
		if (addr_parse(&nodes[nn].addr, argv[i], &e) < 0 || node_id(&nodes[nn], &co, &e) < 0)
			goto fail;
		nodes[nn++].master = 1;
	}
	ranges = strdup(argv[3]);
	for (tok = strtok_r(ranges, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int a, b;
		if (sscanf(tok, "%d-%d", &a, &b) != 2)
			a = b = atoi(tok);
		for (int s = a; s <= b && s >= 0 && s < CLUSTER_SLOTS && ns < CLUSTER_SLOTS; s++)
			slots[ns++] = s;
	}
	mv = (struct migrate_move){ 0, 1, slots, ns };
	migrate_opts_init(&mo, &co);
	if (getenv("SC_BATCH"))
		mo.batch_keys = atoi(getenv("SC_BATCH"));
	if (getenv("SC_WINDOW"))
		mo.window = atoi(getenv("SC_WINDOW"));
	if (getenv("SC_MAX_LATENCY")) {
		long long us;
		if (millis_parse(getenv("SC_MAX_LATENCY"), &us) < 0 || us < 0 || us > 60000000) {
			fprintf(stderr, "sc-migrate: error: SC_MAX_LATENCY expects milliseconds like 1.5\n");
			return 2;
		}
		mo.max_latency_us = (int)us;
	}
	if (!(m = migrate_init(nodes, nn, &mv, 1, &mo, &e)))
		goto fail;
	run = (struct migrate_run_opts){ stderr, isatty(STDERR_FILENO), 1000 };
	rc = migrate_run(m, &run, NULL, &e) < 0 ? 1 : 0;
	m = NULL;
	if (rc)
		goto fail;
	goto out;
fail:
	fprintf(stderr, "sc-migrate: error: %s\n", e.msg);
	rc = 1;
out:
	migrate_finish(m, NULL);
	free(ranges);
	free(slots);
	conn_opts_release(&co);
	return rc;
}
