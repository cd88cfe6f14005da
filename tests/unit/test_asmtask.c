/* cluster/asmtask.c: Redis's CLUSTER MIGRATION tasks read from a fake node
 * that answers with Redis 8.6.3's RESP2 shape (captured: flat name/value
 * arrays of 12 fields, integers for retries and the times), every state
 * class, an unknown id (empty list), a reply of another shape refused;
 * IMPORT answering an id or a refusal; CANCEL's count; asmtask_running
 * counting tasks in progress and cancelling a failed import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/asmtask.h"
#include "support/fake_node.h"
#include "unit.h"

#define ID "16c6ccbf41c6b8215607dd757a4775db869aec1a"
#define SRC "2df9e45355e2d04522d7a846ae3fa79da5af385e"
#define DST "8c856696901749858b3aa5acdf28ac7ade01c338"
/* a task as 8.6.3 sends it: OP "import"/"migrate", STATE, ERR, RETRIES */
#define TASK(op, oplen, state, statelen, err, errlen, retries)                                        \
	"*24\r\n$2\r\nid\r\n$40\r\n" ID "\r\n$5\r\nslots\r\n$12\r\n0-99 200-299\r\n$6\r\nsource\r\n$40\r\n" \
	SRC "\r\n$4\r\ndest\r\n$40\r\n" DST "\r\n$9\r\noperation\r\n$" oplen "\r\n" op "\r\n"             \
	"$5\r\nstate\r\n$" statelen "\r\n" state "\r\n$10\r\nlast_error\r\n$" errlen "\r\n" err "\r\n"     \
	"$7\r\nretries\r\n:" retries "\r\n$11\r\ncreate_time\r\n:1796219880763\r\n"                        \
	"$10\r\nstart_time\r\n:1796219880763\r\n$8\r\nend_time\r\n:1796219880767\r\n"                      \
	"$14\r\nwrite_pause_ms\r\n:0\r\n"

static void test_read(void)
{
	struct conn_opts co;
	struct fake_node *f;
	struct conn *c;
	struct asmtask *v = NULL;
	struct sc_err e = { 0 };
	int n = -1;

	fake_reset();
	f = fake_add("1111111111111111111111111111111111111111");
	fake_rule(f, "CLUSTER MIGRATION STATUS ID", 1, "*1\r\n" TASK("import", "6", "completed", "9", "", "0", "0"));
	fake_rule(f, "CLUSTER MIGRATION STATUS ID", 2, "*0\r\n");
	fake_rule(f, "CLUSTER MIGRATION STATUS ALL", 1,
		  "*3\r\n" TASK("import", "6", "failed", "6", "Another ASM task is already in progress", "39", "2")
		  TASK("migrate", "7", "canceled", "8", "", "0", "0")
		  TASK("import", "6", "wait-stream-eof", "15", "", "0", "0"));
	fake_rule(f, "CLUSTER MIGRATION STATUS ALL", 2, "-ERR unknown subcommand\r\n");
	fake_rule(f, "CLUSTER MIGRATION STATUS ALL", 3, "*1\r\n*2\r\n$2\r\nid\r\n$1\r\nx\r\n");
	conn_opts_init(&co);
	fake_start();
	c = fake_connect(f, &co);
	CHECK(c != NULL);
	CHECK_INT(asmtask_read(c, ID, &v, &n, &e), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].id, ID);
		CHECK(v[0].import);
		CHECK_STR(v[0].slots, "0-99 200-299");
		CHECK_STR(v[0].source, SRC);
		CHECK_STR(v[0].dest, DST);
		CHECK_INT(v[0].st, ASMTASK_COMPLETED);
		CHECK(v[0].retries == 0);
	}
	free(v);
	CHECK_INT(asmtask_read(c, ID, &v, &n, &e), 0);
	CHECK_INT(n, 0); /* an unknown id */
	free(v);
	CHECK_INT(asmtask_read(c, NULL, &v, &n, &e), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(v[0].st, ASMTASK_FAILED);
		CHECK(v[0].retries == 2);
		CHECK_STR(v[0].last_error, "Another ASM task is already in progress");
		CHECK(!v[1].import);
		CHECK_INT(v[1].st, ASMTASK_CANCELED);
		CHECK_INT(v[2].st, ASMTASK_RUNNING);
		CHECK_STR(v[2].state, "wait-stream-eof");
	}
	free(v);
	CHECK_INT(asmtask_read(c, NULL, &v, &n, &e), -1);
	CHECK(strstr(e.msg, "'CLUSTER MIGRATION STATUS' on ") != NULL);
	CHECK_INT(asmtask_read(c, NULL, &v, &n, &e), -1);
	CHECK(strstr(e.msg, "entry 0 is not a task") != NULL);
	CHECK(v == NULL && n == 0);
	conn_free(c);
	fake_stop();
	conn_opts_release(&co);
}

static void test_import_cancel_running(void)
{
	struct slot_range r[2] = { { 0, 99 }, { 200, 299 } };
	struct conn_opts co;
	struct fake_node *f;
	struct conn *c;
	struct sc_err e = { 0 };
	char id[48], why[300], what[400] = "";

	fake_reset();
	f = fake_add("1111111111111111111111111111111111111111");
	fake_rule(f, "CLUSTER MIGRATION IMPORT 0 99 200 299", 1, "$40\r\n" ID "\r\n");
	fake_rule(f, "CLUSTER MIGRATION IMPORT 0 99 200 299", 2, "-ERR another ASM task is already in progress\r\n");
	fake_rule(f, "CLUSTER MIGRATION IMPORT 0 99 200 299", 3, "-ERR slots belong to different source nodes\r\n");
	fake_rule(f, "CLUSTER MIGRATION CANCEL ID", 0, ":1\r\n");
	fake_rule(f, "CLUSTER MIGRATION STATUS ALL", 0,
		  "*3\r\n" TASK("import", "6", "failed", "6", "Connection lost", "15", "7")
		  TASK("migrate", "7", "failed", "6", "", "0", "0")
		  TASK("import", "6", "completed", "9", "", "0", "0"));
	conn_opts_init(&co);
	fake_start();
	c = fake_connect(f, &co);
	CHECK(c != NULL);
	CHECK_INT(asmtask_import(c, r, 2, id, sizeof(id), why, sizeof(why), &e), 0);
	CHECK_STR(id, ID);
	CHECK_INT(asmtask_import(c, r, 2, id, sizeof(id), why, sizeof(why), &e), 2);
	CHECK(strstr(why, "another ASM task is already in progress") != NULL);
	CHECK_INT(asmtask_import(c, r, 2, id, sizeof(id), why, sizeof(why), &e), 1);
	CHECK(strstr(why, "slots belong to different source nodes") != NULL);
	CHECK_INT(asmtask_cancel(c, ID, &e), 1);
	/* a failed import (its server retries it) and a failed migrate (it
	 * holds its slots against SETSLOT) are in progress and get cancelled;
	 * a completed import is over */
	CHECK_INT(asmtask_running(c, what, sizeof(what), &e), 2);
	CHECK(strstr(what, "import of slots 0-99 200-299 (failed, cancelled: Connection lost)") != NULL);
	CHECK_INT(fake_count(f, "CLUSTER MIGRATION CANCEL ID " ID), 3);
	conn_free(c);
	fake_stop();
	conn_opts_release(&co);
}

int main(void)
{
	test_read();
	test_import_cancel_running();
	return UNIT_DONE("asmtask");
}
