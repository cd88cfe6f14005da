#!/usr/bin/env bash
# move_cluster.sh - a whole cluster moved onto new nodes online (reconcile
# --cluster): a Redis 7.0 cluster of 3 shards x 1 replica moved onto three
# Valkey 9.1 nodes that share no member with it (3 shards x 0 replicas: on
# Valkey 8+ every SETSLOT on a master with a replica waits for the replica's
# acknowledgement, which docs/ENGINE.md covers), a client reading and writing
# throughout, every key verified; the old members leave the cluster reset
# and empty.  A --cluster that names no live cluster is refused, changing
# nothing.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

read -r _ VALKEY VALKEY_CLI < <("$T_ROOT/scripts/servers.sh" valkey-9.1) || { t_not_ok "valkey-9.1 from scripts/servers.sh"; t_done; }
cluster_up 6 3 1 20000
old=$(node_list 0-5)
# three new nodes on Valkey 9.1
NEW_BASE=$(t_free_ports 3 "$(node_host 0)") || exit 1
for i in 0 1 2; do
	T_REDIS_SERVER=$VALKEY t_start_node "$(node_host 0)" $((NEW_BASE + i)) --cluster-node-timeout 5000 ||
		t_not_ok "valkey node $i starts"
done
new=$(for i in 0 1 2; do printf '%s,' "$(node_host 0):$((NEW_BASE + i))"; done)
new=${new%,}
t_contains "$(T_REDIS_CLI=$VALKEY_CLI cli "$(node_host 0):$NEW_BASE" info server)" "valkey_version:9.1" "the new nodes run Valkey 9.1"

# --cluster must name a node of a live cluster: an empty node is refused
SNAP_NODES=(0 1 2 3 4 5)
refused "--cluster naming an empty node" "is not a member of a cluster that serves slots" \
	"$SHARDCTL" reconcile --nodes "$new" --shards 3 --replicas 0 --cluster "$(node_host 0):$NEW_BASE"

# plan: the new nodes join, every slot moves to them, the old members leave
t_run "$SHARDCTL" plan --nodes "$new" --shards 3 --replicas 0 --cluster "$(node 0)"
t_eq 0 "$T_RC" "plan with --cluster: $T_ERR"
t_contains "$T_OUT" "16384 slots to move" "plan: every slot moves"
t_contains "$T_OUT" "3 nodes joining, 6 leaving" "plan: three join, six leave"

client_start "$(node 0),$new"
t_run timeout 150 "$SHARDCTL" reconcile --nodes "$new" --shards 3 --replicas 0 --cluster "$(node 0)" --wait 60
t_eq 0 "$T_RC" "reconcile --cluster moves the cluster onto the new nodes: $T_ERR"
client_stop "moving the cluster"
C_SEED=$(node "$(node_host 0):$NEW_BASE")
OLD_CLI=$T_REDIS_CLI T_REDIS_CLI=$VALKEY_CLI
t_eq "5461 5461 5462" "$(slot_counts)" "three new masters, even slots"
t_eq 3 "$(members)" "only the new nodes are members"
t_eq "" "$(open_slots "${new//,/ }")" "no open slot on any new node"
verify_keys "after the move" 20000
t_run "$SHARDCTL" check "$C_SEED" --shards 3 --replicas 0
t_eq 0 "$T_RC" "check: healthy ($T_OUT)"
T_REDIS_CLI=$OLD_CLI
for i in 0 3; do
	t_eq 1 "$(cli $i cluster nodes | grep -c .)" "old node $i was reset"
	t_eq 0 "$(cli $i dbsize)" "old node $i holds no key"
done
t_done
