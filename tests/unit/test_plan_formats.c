/* The planner and the servers' data formats (planner.h, plan_formats.c):
 * keys never go to a node whose DUMP format is older than their owner's,
 * neither in a move nor in finishing a move a killed run left open; mixed
 * clusters that are safe (older -> newer) plan as usual. */
#include "fixture.h"
#include "support/plan_world.h"
#include "unit.h"

static void set_server(struct world *w, int i, const char *info)
{
	CHECK_INT(server_kind_parse(&w->n[i].server, info), 0);
}

#define VALKEY_91 "redis_version:7.2.4\r\nvalkey_version:9.1.2\r\n"
#define VALKEY_80 "redis_version:7.2.4\r\nvalkey_version:8.0.1\r\n"
#define REDIS_70 "redis_version:7.0.15\r\n"
#define REDIS_80 "redis_version:8.0.6\r\n"

/* Plan on the world as it is; -1 with e filled when refused (p empty). */
static int plan_world(const int *list, int n, int S, int R, int evac, struct sc_err *e)
{
	struct input in;
	struct plan p;
	int rc;

	pw_input_build(&in, &pw_world, list, n);
	rc = pw_build(&p, &in, S, R, evac, e);
	if (rc < 0)
		CHECK_INT(p.nsteps, 0);
	plan_release(&p);
	pw_input_release(&in);
	return rc;
}

/* A 3x0 cluster whose masters run `old` and `nnew` empty nodes running
 * `fresh` (h1, h2, ...), all listed in list; returns how many are listed,
 * the last new node in *x. */
static int mixed(int *masters, int *list, const char *old, int nnew, const char *fresh, int *x)
{
	static const char *hosts[] = { "h1", "h2", "h3" };
	int n;

	pw_cluster(&pw_world, 3, 0, masters);
	for (int k = 0; k < 3; k++)
		set_server(&pw_world, masters[k], old);
	n = pw_list_members(&pw_world, list);
	for (int k = 0; k < nnew && k < 3; k++) {
		list[n++] = *x = pw_new(&pw_world, hosts[k]);
		set_server(&pw_world, *x, fresh);
	}
	return n;
}

static void test_servers(void)
{
	int masters[16], list[MAXW], n, x;
	struct sc_err e;
	char want[512];

	/* a Valkey 9.1 cluster and a Redis 7.0 node joining: refused, both
	 * named with their servers and formats */
	n = mixed(masters, list, VALKEY_91, 1, REDIS_70, &x);
	CHECK_INT(plan_world(list, n, 4, 0, 0, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	snprintf(want, sizeof(want),
		 "cannot move slots from '127.0.0.1:%d' (valkey 9.1.2, DUMP format 80) to "
		 "'127.0.0.1:%d' (redis 7.0.15, DUMP format 10): their keys would be refused "
		 "(\"DUMP payload version or checksum are wrong\"); move onto servers at least as "
		 "new, or upgrade '127.0.0.1:%d' first",
		 pw_world.n[masters[0]].port, pw_world.n[x].port, pw_world.n[x].port);
	CHECK_STR(e.msg, want);
	printf("refused (older DUMP format): %s\n", e.msg);
	/* its server unknown (it did not say): not judged */
	memset(&pw_world.n[x].server, 0, sizeof(pw_world.n[x].server));
	CHECK_INT(plan_world(list, n, 4, 0, 0, &e), 0);
	/* a Valkey 9.1 node joining: same format, planned and carried out */
	set_server(&pw_world, x, VALKEY_91);
	RUN_OK(&pw_world, list, n, 4, 0, 0, NULL);

	/* the other way: a Redis 7.0 cluster and a Valkey 9.1 node (a rolling
	 * upgrade onto new servers): allowed; and so is a Redis 8.0 node
	 * joining a cluster of Valkey 8.0 and Redis 7.0 masters (11 and 10 are
	 * older than 12) */
	n = mixed(masters, list, REDIS_70, 1, VALKEY_91, &x);
	RUN_OK(&pw_world, list, n, 4, 0, 0, NULL);
	pw_cluster(&pw_world, 3, 0, masters);
	set_server(&pw_world, masters[0], VALKEY_80);
	set_server(&pw_world, masters[1], REDIS_70);
	set_server(&pw_world, masters[2], VALKEY_80);
	n = pw_list_members(&pw_world, list);
	list[n++] = x = pw_new(&pw_world, "h1");
	set_server(&pw_world, x, REDIS_80);
	RUN_OK(&pw_world, list, n, 4, 0, 0, NULL);
	/* and back to 3 shards: the Redis 8.0 node's slots would go to Valkey
	 * 8.0 (which reads up to 11): refused, naming the Redis 8.0 node */
	CHECK_INT(plan_world(list, 3, 3, 0, 0, &e), -1);
	CHECK(strstr(e.msg, "(redis 8.0.6, DUMP format 12) to '") &&
	      strstr(e.msg, "(valkey 8.0.1, DUMP format 11)"));
	printf("refused (scale in onto older): %s\n", e.msg);
	/* the same in the pre-upgrade half (--evacuate-only) */
	CHECK_INT(plan_world(list, 3, 3, 0, 1, &e), -1);
	CHECK(strstr(e.msg, "DUMP format 12"));

	/* only the steps are judged: an older master that neither gives to
	 * nor takes from a newer one is no reason to refuse.  4 -> 5 shards:
	 * every master gives to the new node, which is the newest */
	pw_cluster(&pw_world, 4, 0, masters);
	set_server(&pw_world, masters[0], REDIS_70);
	for (int k = 1; k < 4; k++)
		set_server(&pw_world, masters[k], VALKEY_91);
	n = pw_list_members(&pw_world, list);
	list[n++] = x = pw_new(&pw_world, "h2");
	set_server(&pw_world, x, VALKEY_91);
	RUN_OK(&pw_world, list, n, 5, 0, 0, NULL);

	/* the member's server (the survey's) comes before the probe's: a
	 * member the survey read as Valkey 9.1 gives to a Redis 7.0 node even
	 * when the want list knows nothing of it */
	n = mixed(masters, list, VALKEY_91, 1, REDIS_70, &x);
	{
		struct input in;
		struct plan p;
		pw_input_build(&in, &pw_world, list, n);
		for (int k = 0; k < 3; k++)
			memset(&in.want[k].server, 0, sizeof(in.want[k].server));
		CHECK_INT(pw_build(&p, &in, 4, 0, 0, &e), -1);
		CHECK(strstr(e.msg, "DUMP format 80"));
		/* and a member the survey could not judge is taken as the
		 * probe saw it */
		for (int k = 0; k < 3; k++) {
			memset(&in.t.m[k].server, 0, sizeof(in.t.m[k].server));
			in.want[k].server = pw_world.n[masters[k]].server;
		}
		CHECK_INT(pw_build(&p, &in, 4, 0, 0, &e), -1);
		CHECK(strstr(e.msg, "DUMP format 80"));
		pw_input_release(&in);
	}
}

/* A FINISH step (a killed run's open slots) is judged the same way. */
static void test_servers_finish(void)
{
	int masters[16], list[MAXW], n, src, dst;
	struct input in;
	struct plan p;
	struct sc_err e;
	struct open_slot mig = { 10, OPEN_MIGRATING, "" }, imp = { 10, OPEN_IMPORTING, "" };

	pw_cluster(&pw_world, 3, 0, masters);
	set_server(&pw_world, masters[0], VALKEY_91);
	set_server(&pw_world, masters[1], REDIS_70);
	set_server(&pw_world, masters[2], REDIS_70);
	n = pw_list_members(&pw_world, list);
	pw_input_build(&in, &pw_world, list, n);
	src = in.map[masters[0]];
	dst = in.map[masters[1]];
	memcpy(mig.peer, in.t.m[dst].n.id, NODE_ID_LEN + 1);
	memcpy(imp.peer, in.t.m[src].n.id, NODE_ID_LEN + 1);
	in.t.m[src].n.open = &mig;
	in.t.m[src].n.nopen = 1;
	in.t.m[dst].n.open = &imp;
	in.t.m[dst].n.nopen = 1;
	CHECK_INT(pw_build(&p, &in, 3, 0, 0, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK(strstr(e.msg, "cannot finish moving slots from '") && strstr(e.msg, "DUMP format 80"));
	printf("refused (finish onto older): %s\n", e.msg);
	/* from the older to the newer: finished */
	in.t.m[src].server = pw_world.n[masters[1]].server;
	in.t.m[dst].server = pw_world.n[masters[0]].server;
	CHECK_INT(pw_build(&p, &in, 3, 0, 0, &e), 0);
	CHECK_INT(pw_count_kind(&p, STEP_FINISH), 1);
	plan_release(&p);
	pw_input_release(&in);
}

/* A REPLICATE step is judged from the master to the replica: its full sync
 * is an RDB file of the master's format. */
static void test_servers_replicate(void)
{
	int masters[16], list[MAXW], n, x;
	struct sc_err e;

	/* a Valkey 9.1 cluster, replicas 0 -> 1 with Redis 7.0 nodes: refused */
	n = mixed(masters, list, VALKEY_91, 3, REDIS_70, &x);
	CHECK_INT(plan_world(list, n, 3, 1, 0, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK(strstr(e.msg, "(redis 7.0.15, data format 10) a replica of '") != NULL);
	CHECK(strstr(e.msg, "(valkey 9.1.2, data format 80): its full sync would be refused") != NULL);
	printf("refused (replica older than its master): %s\n", e.msg);
	/* the other way (Redis 7.0 masters, Valkey 9.1 replicas): allowed */
	n = mixed(masters, list, REDIS_70, 3, VALKEY_91, &x);
	RUN_OK(&pw_world, list, n, 3, 1, 0, NULL);
}

int main(void)
{
	test_servers();
	test_servers_finish();
	test_servers_replicate();
	return UNIT_DONE("plan_formats");
}
