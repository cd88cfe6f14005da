#!/usr/bin/env bash
# reconcile_peers.sh - a source that does not know its move's target (it
# lags behind gossip: seen after a failover on Valkey 9.1, emulated here
# with CLUSTER FORGET, which also keeps gossip from teaching it back for
# 60 s): the move waits until both nodes know each other, having the
# lagging one MEET the other (cluster/peers.h), instead of failing half way
# with "Unknown node".  On Redis 7.0, where a FORGET stays on its node
# (Valkey >= 8 spreads it to every node: no longer a lagging node).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

# knows I ID: node I lists node ID with an address, out of handshake
knows() {
	cli "$1" cluster nodes | awk -v id="$2" '$1 == id && $3 !~ /handshake|noaddr/ { f = 1 } END { exit !f }'
}
knows_all() { # knows_all ID: every node of 0-7 knows it
	local i
	for i in 0 1 2 3 4 5 6 7; do knows "$i" "$1" || return 1; done
}
settled() { # node 4 a master, and nodes 0 and 4 see 4 masters of 4096 slots
	[ "$(cli 4 role | head -n 1)" = master ] &&
		[ "$(slot_counts 0)" = "0 0 4096 4096 4096 4096" ] && [ "$(slot_counts 4)" = "4096 4096 4096 4096" ]
}

lagging_source() {
	local name=$1 id8 id9 a8 a9
	cluster_up 10 4 1 8000
	# nodes 8 and 9: members owning no slot, known by every node (so that
	# the run has no join, and no wait for agreement before its moves)
	id8=$(cli 8 cluster myid) id9=$(cli 9 cluster myid)
	a8=$(node 8) a9=$(node 9)
	cli 0 cluster meet "${a8%:*}" "${a8##*:}" >/dev/null
	cli 0 cluster meet "${a9%:*}" "${a9##*:}" >/dev/null
	t_wait 20 knows_all "$id8" && t_wait 20 knows_all "$id9"
	t_eq 0 $? "$name: every node knows nodes 8 and 9 (members without slots)"
	# node 4, a replica, forgets both (either may become the new master)
	# and takes over from its master
	t_eq slave "$(cli 4 role | head -n 1)" "$name: node 4 is a replica"
	t_eq OK "$(cli 4 cluster forget "$id8")" "$name: node 4 forgets node 8"
	t_eq OK "$(cli 4 cluster forget "$id9")" "$name: node 4 forgets node 9"
	t_eq OK "$(cli 4 cluster failover)" "$name: node 4 fails over"
	t_wait 30 settled
	t_eq 0 $? "$name: node 4 is a master, the failover settled"
	knows 4 "$id8" || knows 4 "$id9"
	t_eq 1 $? "$name: node 4 knows neither"
	# 4x1 -> 5x1: node 4 gives the new master (node 8 or 9) slots
	t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-9)" --shards 5 --replicas 1 --wait 30
	t_eq 0 "$T_RC" "$name: reconcile exits 0: $(tail -n 2 <<<"$T_ERR")"
	t_contains "$T_OUT$T_ERR" "waiting for the nodes of the moves to know each other: '$(node 4)' does not know" \
		"$name: it waited for node 4 to know the new master"
	t_not_contains "$T_OUT$T_ERR" "trying again" "$name: no atomic job failed"
	t_eq "3276 3277 3277 3277 3277" "$(slot_counts)" "$name: 5 masters, even slots"
	verify_keys "$name: 5x1" 8000
}

lagging_source redis-7.0
t_done
