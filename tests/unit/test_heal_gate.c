/* test_heal_gate.c - when the heal sidecar's look at its own node calls for
 * `shardctl heal` (heal_gate_judge), and which member a fresh node takes
 * the place of (predecessor_fresh, predecessor_find), on captured CLUSTER
 * NODES lines. */
#include "cluster/predecessor.h"
#include "core/topo.h"
#include "engine/heal_gate.h"
#include "unit.h"

#define A "07c37dfeb235213a872192d90877d0cd55635b91"
#define B "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"

static int judge(const char *nodes, const char *info)
{
	struct view v = { 0 };
	struct sc_err e;
	char why[200];
	int rc = -1;

	if (view_parse(&v, nodes, &e) == 0)
		rc = heal_gate_judge(&v, info, why, sizeof(why));
	view_release(&v);
	return rc;
}

#define C "5d2b1a9e0c3f4a6b7c8d9e0f1a2b3c4d5e6f7a8b"

static void check_predecessor(void)
{
	struct view v = { 0 };
	struct sc_err e;

	/* a fresh node: itself only, or itself and a handshake */
	CHECK_INT(view_parse(&v, C " 10.0.0.9:6379@16379,rc-3.h myself,master - 0 0 0 connected\n"
				 A " 10.0.0.1:6379@16379 handshake - 0 0 0 disconnected\n", &e), 0);
	CHECK_INT(predecessor_fresh(&v), 1);
	view_release(&v);
	/* a member's view: rc-3's old id B (a replica of A, failing) */
	CHECK_INT(view_parse(&v, A " 10.0.0.1:6379@16379,rc-0.h myself,master - 0 0 1 connected 0-16383\n"
				 B " 10.0.0.4:6379@16379,rc-3.h slave,fail " A " 0 1 1 disconnected\n", &e), 0);
	CHECK_INT(predecessor_fresh(&v), 0);
	CHECK_INT(predecessor_find(&v, "rc-3.h", C), 1);
	CHECK_STR(v.e[1].master, A);
	/* the same id is no predecessor (nodes.conf kept), nor is a name no
	 * member announces (a new pod), nor an empty hostname */
	CHECK_INT(predecessor_find(&v, "rc-3.h", B), -1);
	CHECK_INT(predecessor_find(&v, "rc-5.h", C), -1);
	CHECK_INT(predecessor_find(&v, "", C), -1);
	view_release(&v);
}

int main(void)
{
	const char *ok = "cluster_state:ok\r\ncluster_known_nodes:2\r\n";
	const char *fail = "cluster_state:fail\r\ncluster_known_nodes:2\r\n";

	/* a lone node (a new pod, or one restarted empty): fresh, whatever its
	 * state (heal asks the node list whether it takes a member's place) */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 0 connected\n", fail), HEAL_GATE_FRESH);
	/* a lone node owning slots (a one-node cluster) is no new pod */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 0 connected 0-16383\n", fail), 0);
	/* a member, all well */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
			B " 10.0.0.2:6379@16379 master - 0 1 2 connected 8192-16383\n", ok), 0);
	/* a member reporting fail */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
			B " 10.0.0.2:6379@16379 master - 0 1 2 connected 8192-16383\n", fail), 1);
	/* state ok but the link to a peer down (every pod restarted on new IPs) */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
			B " 10.0.0.2:6379@16379 master - 0 1 2 disconnected 8192-16383\n", ok), 1);
	/* a peer suspected failing, or without address */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
			B " 10.0.0.2:6379@16379 master,fail? - 0 1 2 connected 8192-16383\n", ok), 1);
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
			B " :0@0 master,noaddr - 0 1 2 disconnected 8192-16383\n", ok), 1);
	/* a handshake in progress (being met) is not broken */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-16383\n"
			B " 10.0.0.2:6379@16379 handshake - 0 0 0 disconnected\n", ok), 0);
	/* no state at all: broken, said so */
	CHECK_INT(judge(A " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
			B " 10.0.0.2:6379@16379 master - 0 1 2 connected 8192-16383\n", ""), 1);
	check_predecessor();
	return UNIT_DONE("test_heal_gate");
}
