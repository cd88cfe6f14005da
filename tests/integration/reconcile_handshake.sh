#!/usr/bin/env bash
# reconcile_handshake.sh - a new node with a MEET still in flight (a run
# killed during a join leaves one: the node lists a peer in handshake under a
# temporary id) is still an empty node to join, not "another cluster".
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

cluster_up 5 4 0 5000

# node 4 meets an address where nothing answers: the entry stays in handshake
cli 4 cluster meet 127.0.3.9 "$(t_free_ports 1 127.0.3.9)" >/dev/null
t_contains "$(cli 4 cluster nodes)" "handshake" "node 4 lists a peer in handshake"

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-4)" --shards 5 --replicas 0 --wait 30
t_eq 0 "$T_RC" "reconcile joins the node with a handshake in flight: $T_ERR"
t_not_contains "$T_ERR" "different clusters" "not taken for another cluster"
t_eq "3276 3277 3277 3277 3277" "$(slot_counts)" "5 masters, even slots"
verify_keys "5 shards" 5000
t_done
