/* cluster/slotmig.c: CLUSTER GETSLOTMIGRATIONS read from a fake node that
 * answers with Valkey 9.1.2's RESP2 shape (captured: flat name/value arrays,
 * 12 fields; 10 on a target replica's tracking entry), terminal and running
 * states, a reply of another shape refused; and the slot_ranges wording. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/slotmig.h"
#include "support/fake_node.h"
#include "unit.h"

/* one EXPORT that failed (the fields and order 9.1.2 sends)
 */
#define ID_T "a1917d14da5d18373b756639c83752c3513600e9"
#define ID_S "0ed2af39d597e36cbf9bf80cb9464ea448cd5ae0"
#define ENTRY_EXPORT                                                                                    \
	"*24\r\n$4\r\nname\r\n$40\r\nf2bce644e04347f8d5f3527bd82f6ce4ff652efe\r\n$9\r\noperation\r\n$6\r\n" \
	"EXPORT\r\n$11\r\nslot_ranges\r\n$12\r\n0-99 200-299\r\n$11\r\ntarget_node\r\n$40\r\n" ID_T "\r\n"  \
	"$11\r\nsource_node\r\n$40\r\n" ID_S "\r\n$11\r\ncreate_time\r\n:1796185055\r\n"                    \
	"$16\r\nlast_update_time\r\n:1796185055\r\n$13\r\nlast_ack_time\r\n:1796185055\r\n"                 \
	"$5\r\nstate\r\n$6\r\nfailed\r\n$7\r\nmessage\r\n$16\r\nConnection lost.\r\n"                       \
	"$8\r\ncow_size\r\n:0\r\n$19\r\nremaining_repl_size\r\n:0\r\n"
/* a tracking entry (target replica): no target_node / source_node */
#define ENTRY_TRACK                                                                                      \
	"*20\r\n$4\r\nname\r\n$40\r\n548644c451e00c8e912cd1bf8bb6453fe1a858c8\r\n$9\r\noperation\r\n$6\r\n"  \
	"IMPORT\r\n$11\r\nslot_ranges\r\n$5\r\n0-999\r\n$11\r\ncreate_time\r\n:1796185504\r\n"              \
	"$16\r\nlast_update_time\r\n:1796185504\r\n$13\r\nlast_ack_time\r\n:1796185504\r\n"                 \
	"$5\r\nstate\r\n$20\r\noccurring-on-primary\r\n$7\r\nmessage\r\n$0\r\n\r\n"                          \
	"$8\r\ncow_size\r\n:0\r\n$19\r\nremaining_repl_size\r\n:0\r\n"

static void test_read(void)
{
	struct conn_opts co;
	struct fake_node *f;
	struct conn *c;
	struct slotmig *v = NULL;
	struct sc_err e = { 0 };
	int n = -1;

	fake_reset();
	f = fake_add("1111111111111111111111111111111111111111");
	fake_rule(f, "CLUSTER GETSLOTMIGRATIONS", 1, "*2\r\n" ENTRY_EXPORT ENTRY_TRACK);
	fake_rule(f, "CLUSTER GETSLOTMIGRATIONS", 2, "*0\r\n");
	fake_rule(f, "CLUSTER GETSLOTMIGRATIONS", 3, "-ERR unknown subcommand\r\n");
	fake_rule(f, "CLUSTER GETSLOTMIGRATIONS", 4, "*1\r\n*2\r\n$4\r\nname\r\n$1\r\nx\r\n");
	conn_opts_init(&co);
	fake_start();
	c = fake_connect(f, &co);
	CHECK(c != NULL);
	CHECK_INT(slotmig_read(c, &v, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK(v[0].export);
		CHECK_STR(v[0].ranges, "0-99 200-299");
		CHECK_STR(v[0].target, ID_T);
		CHECK_STR(v[0].source, ID_S);
		CHECK_STR(v[0].name, "f2bce644e04347f8d5f3527bd82f6ce4ff652efe");
		CHECK(v[0].create_time == 1796185055LL);
		CHECK_INT(v[0].st, SLOTMIG_FAILED);
		CHECK_STR(v[0].message, "Connection lost.");
		CHECK(!v[1].export);
		CHECK_STR(v[1].target, "");
		CHECK_INT(v[1].st, SLOTMIG_RUNNING);
		CHECK_STR(v[1].state, "occurring-on-primary");
	}
	free(v);
	CHECK_INT(slotmig_read(c, &v, &n, &e), 0);
	CHECK_INT(n, 0);
	free(v);
	CHECK_INT(slotmig_read(c, &v, &n, &e), -1);
	CHECK(strstr(e.msg, "'CLUSTER GETSLOTMIGRATIONS' on ") != NULL);
	CHECK_INT(slotmig_read(c, &v, &n, &e), -1);
	CHECK(strstr(e.msg, "entry 0 is not a job") != NULL);
	CHECK(v == NULL && n == 0);
	conn_free(c);
	fake_stop();
	conn_opts_release(&co);
}

static void test_ranges(void)
{
	struct slot_range r[3] = { { 0, 99 }, { 150, 150 }, { 16000, 16383 } };
	char buf[64], tiny[8];

	CHECK_INT(slotmig_format_ranges(r, 3, buf, sizeof(buf)), 24);
	CHECK_STR(buf, "0-99 150-150 16000-16383");
	CHECK_INT(slotmig_format_ranges(r, 0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	CHECK_INT(slotmig_format_ranges(r, 3, tiny, sizeof(tiny)), -1);
}

int main(void)
{
	test_read();
	test_ranges();
	return UNIT_DONE("slotmig");
}
