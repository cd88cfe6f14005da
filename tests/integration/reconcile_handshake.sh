#!/usr/bin/env bash
# reconcile_handshake.sh - a new node with a MEET still in flight (a run
# killed during a join leaves one: the node lists a peer in handshake under a
# temporary id) is still an empty node to join, not "another cluster".
T_PORT_BASE=34000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

B=$(t_free_ports 6) || exit 1
rc_start "$B" 5 || exit 1
seed=$(rc_host 0):$B

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 3)" --shards 4 --replicas 0 --wait 30
t_eq 0 "$T_RC" "4x0 created: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 5000
t_eq 0 "$T_RC" "5000 keys written"

# node 4 meets an address where nothing answers: the entry stays in handshake
rc_cli $B 4 cluster meet 127.0.3.9 $((B + 5)) >/dev/null
t_contains "$(rc_cli $B 4 cluster nodes)" "handshake" "node 4 lists a peer in handshake"

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 4)" --shards 5 --replicas 0 --wait 30
t_eq 0 "$T_RC" "reconcile joins the node with a handshake in flight: $T_ERR"
t_not_contains "$T_ERR" "different clusters" "not taken for another cluster"
t_eq "3276 3277 3277 3277 3277" "$(rc_slot_counts $seed)" "5 masters, even slots"
rc_verify "$seed" 5000
t_done
