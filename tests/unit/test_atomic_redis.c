/* The atomic method with Redis's family (engine/atomic_redis.c under
 * migrate_atomic.c's core) against scripted fake nodes: an IMPORT refused
 * because the target runs another task is tried again without counting an
 * attempt; a task that keeps failing (the server retries it) is cancelled
 * on the target after the bound and judged by ownership (the target owns
 * the slots: moved); a target busy past retry_ms counts as failed
 * attempts, and after 3 the legacy method moves the slot (said on the
 * log); a stop cancels the task on the target. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/stop.h"
#include "engine/migrate.h"
#include "support/fake_node.h"
#include "unit.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define TASK_ID "16c6ccbf41c6b8215607dd757a4775db869aec1a"
#define TASK(state, statelen, retries)                                                                   \
	"*1\r\n*24\r\n$2\r\nid\r\n$40\r\n" TASK_ID "\r\n$5\r\nslots\r\n$3\r\n0-1\r\n$6\r\nsource\r\n$40\r\n"  \
	ID_A "\r\n$4\r\ndest\r\n$40\r\n" ID_B "\r\n$9\r\noperation\r\n$6\r\nimport\r\n"                        \
	"$5\r\nstate\r\n$" statelen "\r\n" state "\r\n$10\r\nlast_error\r\n$9\r\nno source\r\n"                \
	"$7\r\nretries\r\n:" retries "\r\n$11\r\ncreate_time\r\n:1\r\n$10\r\nstart_time\r\n:1\r\n"           \
	"$8\r\nend_time\r\n:0\r\n$14\r\nwrite_pause_ms\r\n:0\r\n"
#define BUSY "-ERR another ASM task is already in progress\r\n"

static char nodes_a[200], nodes_b[200], nodes_b_owns[200];

/* CLUSTER NODES as a bulk reply: the node's myself line, owning `slots` */
static void myself(char *out, size_t len, const char *id, const char *slots)
{
	char line[160];

	snprintf(line, sizeof(line), "%s 127.0.0.1:1@2 myself,master - 0 0 1 connected%s%s\n", id,
		 slots[0] ? " " : "", slots);
	snprintf(out, len, "$%zu\r\n%s\r\n", strlen(line), line);
}

/* A owns slots 0-1 and holds a key of slot 0; B (returned) owns nothing,
 * and with `b_nodes` says so to every CLUSTER NODES. */
static struct fake_node *setup(int b_nodes)
{
	fake_reset();
	fake_add(ID_A);
	fake_add(ID_B);
	fake_key(&fake_nodes[0], "{06S}x"); /* slot 0 */
	myself(nodes_a, sizeof(nodes_a), ID_A, "0-1");
	myself(nodes_b, sizeof(nodes_b), ID_B, "");
	myself(nodes_b_owns, sizeof(nodes_b_owns), ID_B, "0-1");
	fake_rule(&fake_nodes[0], "CLUSTER NODES", 0, nodes_a);
	if (b_nodes)
		fake_rule(&fake_nodes[1], "CLUSTER NODES", 0, nodes_b);
	return &fake_nodes[1];
}

/* Move slots 0-1 from A to B, atomically with Redis's family; the log in
 * *logtext (free it), the counters in *p.  With `stop`, a SIGINT arrives
 * before the run (migrate_run sees it after its first step; the flag
 * stays set: the last test). */
static int run(int retry_ms, int stop, char **logtext, struct migrate_progress *p, struct sc_err *e)
{
	static const int slots[2] = { 0, 1 };
	struct conn_opts co;
	struct migrate_opts mo;
	struct migrate_node nodes[2];
	struct migrate_move mv = { 0, 1, slots, 2 };
	struct migrate *m;
	size_t len;
	int rc, steps = 0;

	*logtext = NULL;
	fake_start();
	conn_opts_init(&co);
	co.command_timeout_ms = 2000;
	memset(nodes, 0, sizeof(nodes));
	for (int i = 0; i < 2; i++) {
		snprintf(nodes[i].addr.host, sizeof(nodes[i].addr.host), "127.0.0.1");
		nodes[i].addr.port = fake_nodes[i].port;
		snprintf(nodes[i].id, sizeof(nodes[i].id), "%s", fake_nodes[i].id);
		nodes[i].master = 1;
	}
	migrate_opts_init(&mo, &co);
	mo.method = MIGRATE_ATOMIC;
	mo.family = ATOMIC_REDIS;
	mo.retry_ms = retry_ms;
	mo.poll_ms = 10;
	mo.log = open_memstream(logtext, &len);
	m = migrate_init(nodes, 2, &mv, 1, &mo, e);
	CHECK(m != NULL);
	if (stop) {
		struct migrate_run_opts ro = { NULL, 0, 30 };
		stop_install();
		raise(SIGINT);
		rc = migrate_run(m, &ro, p, e);
	} else {
		while (migrate_step(m, 50) == 0 && steps++ < 1000)
			;
		migrate_progress(m, p);
		rc = migrate_finish(m, e);
	}
	fclose(mo.log);
	fake_stop();
	conn_opts_release(&co);
	return rc;
}

static void test_busy_then_completed(void)
{
	struct fake_node *b;
	struct migrate_progress p;
	struct sc_err e = { 0 };
	char *log;

	b = setup(1);
	fake_rule(b, "CLUSTER MIGRATION IMPORT 0 1", 1, BUSY);
	fake_rule(b, "CLUSTER MIGRATION IMPORT 0 1", 2, BUSY);
	fake_rule(b, "CLUSTER MIGRATION IMPORT 0 1", 3, "$40\r\n" TASK_ID "\r\n");
	fake_rule(b, "CLUSTER MIGRATION STATUS ID " TASK_ID, 1, TASK("send-syncslots", "14", "0"));
	fake_rule(b, "CLUSTER MIGRATION STATUS ID " TASK_ID, 0, TASK("completed", "9", "0"));
	CHECK_INT(run(5000, 0, &log, &p, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(fake_count(b, "CLUSTER MIGRATION IMPORT 0 1"), 3);
	CHECK_INT(fake_count(b, "CLUSTER MIGRATION CANCEL"), 0);
	CHECK_INT(fake_count(&fake_nodes[0], "CLUSTER MIGRATION"), 0); /* the source is never asked */
	CHECK_INT(p.slots_done, 2);
	CHECK(p.keys_moved == 1);
	CHECK(strstr(log, "trying again") == NULL);
	free(log);
}

static void test_failed_cancelled_judged_by_owner(void)
{
	struct fake_node *b;
	struct migrate_progress p;
	struct sc_err e = { 0 };
	char *log;

	b = setup(0);
	fake_rule(b, "CLUSTER NODES", 1, nodes_b);
	fake_rule(b, "CLUSTER NODES", 2, nodes_b_owns);
	fake_rule(b, "CLUSTER MIGRATION IMPORT 0 1", 0, "$40\r\n" TASK_ID "\r\n");
	fake_rule(b, "CLUSTER MIGRATION STATUS ID " TASK_ID, 1, TASK("failed", "6", "1"));
	fake_rule(b, "CLUSTER MIGRATION STATUS ID " TASK_ID, 0, TASK("failed", "6", "5"));
	fake_rule(b, "CLUSTER MIGRATION CANCEL ID " TASK_ID, 0, ":1\r\n");
	CHECK_INT(run(5000, 0, &log, &p, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(fake_count(b, "CLUSTER MIGRATION IMPORT 0 1"), 1);
	CHECK_INT(fake_count(b, "CLUSTER MIGRATION CANCEL ID " TASK_ID), 1);
	CHECK_INT(p.slots_done, 2);
	free(log);
}

static void test_busy_forever_then_legacy(void)
{
	struct fake_node *a, *b;
	struct migrate_progress p;
	struct sc_err e = { 0 };
	char *log;

	b = setup(1);
	a = &fake_nodes[0];
	fake_rule(b, "CLUSTER MIGRATION IMPORT", 0, BUSY);
	CHECK_INT(run(100, 0, &log, &p, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK(fake_count(b, "CLUSTER MIGRATION IMPORT 0 1") >= 3);
	CHECK(log && strstr(log, "ended: error 'ERR another ASM task is already in progress'; trying again (2 of 3)"));
	CHECK(log && strstr(log, "failed 3 times") && strstr(log, "remaining slots with the legacy method"));
	CHECK(fake_has(b, "{06S}x") && !fake_has(a, "{06S}x"));
	CHECK(fake_count(b, "CLUSTER SETSLOT 0 IMPORTING") >= 1);
	free(log);
}

static void test_stop_cancels_on_target(void)
{
	struct fake_node *b;
	struct migrate_progress p;
	struct sc_err e = { 0 };
	char *log;

	b = setup(1);
	fake_rule(b, "CLUSTER MIGRATION IMPORT 0 1", 0, "$40\r\n" TASK_ID "\r\n");
	/* running, then (once cancelled) canceled: the first rule that
	 * matches answers */
	for (int k = 1; k <= 4; k++) /* polls of the first 30 ms step, at most 3 */
		fake_rule(b, "CLUSTER MIGRATION STATUS ID " TASK_ID, k, TASK("accumulate-buffer", "17", "0"));
	fake_rule(b, "CLUSTER MIGRATION STATUS ID " TASK_ID, 0, TASK("canceled", "8", "0"));
	fake_rule(b, "CLUSTER MIGRATION CANCEL ID " TASK_ID, 0, ":1\r\n");
	CHECK_INT(run(5000, 1, &log, &p, &e), -1);
	CHECK(strstr(e.msg, "interrupted by SIGINT") != NULL);
	CHECK_INT(fake_count(b, "CLUSTER MIGRATION CANCEL ID " TASK_ID), 1);
	CHECK_INT(fake_count(b, "CLUSTER MIGRATION IMPORT"), 1);
	CHECK(log && strstr(log, "cancelling the atomic slot migration jobs on 1 target(s)"));
	free(log);
}

int main(void)
{
	test_busy_then_completed();
	test_failed_cancelled_judged_by_owner();
	test_busy_forever_then_legacy();
	test_stop_cancels_on_target();
	return UNIT_DONE("atomic_redis");
}
