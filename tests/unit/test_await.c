/* test_await.c - await_check(), the pure half of await.h: which cluster
 * states count as settled, on topologies merged from hand-made views. */
#include <stdio.h>
#include <string.h>

#include "cluster/await.h"
#include "unit.h"

#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define C "cccccccccccccccccccccccccccccccccccccccc"
#define R "dddddddddddddddddddddddddddddddddddddddd"

/* One node's CLUSTER NODES: three masters and, with `rep_flags`, a replica
 * of A whose flags are rep_flags ("slave", "slave,fail", "handshake"...). */
static void view_text(char *out, size_t len, char self, const char *rep_flags)
{
	snprintf(out, len,
		 A " 127.0.0.1:7000@17000 %smaster - 0 0 1 connected 0-5460\n"
		 B " 127.0.0.1:7001@17001 %smaster - 0 0 2 connected 5461-10921\n"
		 C " 127.0.0.1:7002@17002 %smaster - 0 0 3 connected 10922-16383\n"
		 "%s%s%s%s",
		 self == 'a' ? "myself," : "", self == 'b' ? "myself," : "", self == 'c' ? "myself," : "",
		 rep_flags ? R " 127.0.0.1:7003@17003 " : "", rep_flags ? rep_flags : "",
		 rep_flags ? " " A " 0 0 1 " : "",
		 rep_flags ? (strstr(rep_flags, "fail") ? "disconnected\n" : "connected\n") : "");
}

/* A topo as survey would read it: the three masters answer, the replica
 * (when there is one) does not; stats filled with `state_ok` / counts. */
static void build(struct topo *t, const char *rep_flags, int state_ok)
{
	struct view v[3];
	struct sc_err e;
	char text[1024];

	for (int i = 0; i < 3; i++) {
		view_text(text, sizeof(text), (char)('a' + i), rep_flags);
		memset(&v[i], 0, sizeof(v[i]));
		CHECK_INT(view_parse(&v[i], text, &e), 0);
	}
	CHECK_INT(topo_build(t, v, 3, &e), 0);
	for (int i = 0; i < t->n; i++)
		if (t->m[i].reachable) {
			t->m[i].state_ok = state_ok;
			t->m[i].known_nodes = t->n;
		}
	for (int i = 0; i < 3; i++)
		view_release(&v[i]);
}

static const char ids_all[4][NODE_ID_LEN + 1] = { A, B, C, R };
static const char ids_masters[3][NODE_ID_LEN + 1] = { A, B, C };

static int check(const struct topo *t, const char (*ids)[NODE_ID_LEN + 1], int nids, char *why)
{
	struct await_req r;

	memset(&r, 0, sizeof(r));
	r.ids = ids;
	r.nids = nids;
	why[0] = '\0';
	return await_check(&r, t, why, 400);
}

int main(void)
{
	struct topo t;
	char why[400];

	/* three masters, all ok */
	build(&t, NULL, 1);
	CHECK_INT(check(&t, ids_masters, 3, why), 1);
	CHECK_INT(check(&t, NULL, 0, why), 1);
	/* a member still missing */
	CHECK_INT(check(&t, ids_all, 4, why), 0);
	CHECK_STR(why, "node dddddddd is not known yet");
	/* one member not ok yet */
	t.m[1].state_ok = 0;
	CHECK_INT(check(&t, ids_masters, 3, why), 0);
	CHECK_STR(why, "'127.0.0.1:7001' does not report cluster_state:ok yet");
	t.m[1].state_ok = 1;
	t.m[2].known_nodes = 2;
	CHECK_INT(check(&t, ids_masters, 3, why), 0);
	CHECK_STR(why, "'127.0.0.1:7002' knows 2 of 3 nodes");
	topo_release(&t);

	/* a replica that does not answer, not failed yet: a listed one is
	 * waited for; an unlisted one (departing) is not */
	build(&t, "slave", 1);
	CHECK_INT(check(&t, ids_all, 4, why), 0);
	CHECK_STR(why, "'127.0.0.1:7003' does not answer");
	CHECK_INT(check(&t, ids_masters, 3, why), 1);
	CHECK_INT(check(&t, NULL, 0, why), 0); /* no ids: everyone must answer */
	topo_release(&t);

	/* failed by the cluster, slotless, gone: never waited for */
	build(&t, "slave,fail", 1);
	CHECK_INT(check(&t, ids_all, 4, why), 1);
	CHECK_INT(check(&t, NULL, 0, why), 1);
	topo_release(&t);

	/* a handshake is never settled */
	build(&t, "handshake", 1);
	CHECK_INT(check(&t, ids_masters, 3, why), 0);
	CHECK(strstr(why, "handshake") != NULL);
	topo_release(&t);

	return UNIT_DONE("await");
}
