#!/usr/bin/env bash
# reconcile_replicas.sh - 4x1 -> 4x2 -> 4x1 replicas, then shards and
# replicas at once (4x1 -> 3x2), every key verified after each change.
T_PORT_BASE=31000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

B=$(t_free_ports 12) || exit 1
rc_start "$B" 12 || exit 1
seed=$(rc_host 0):$B

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "4x1 created: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 20000
t_eq 0 "$T_RC" "20000 keys written"

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 11)" --shards 4 --replicas 2
t_eq 0 "$T_RC" "4x1 -> 4x2: $T_ERR"
t_eq "4096 4096 4096 4096" "$(rc_slot_counts $seed)" "masters keep their slots"
t_eq "2 2 2 2" "$(rc_replica_counts $seed)" "two replicas each"
t_not_contains "$T_OUT" "moving" "no slot moved for replicas"
rc_verify "$seed" 20000

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "4x2 -> 4x1: $T_ERR"
t_eq "4096 4096 4096 4096" "$(rc_slot_counts $seed)" "masters keep their slots"
t_eq "1 1 1 1" "$(rc_replica_counts $seed)" "one replica each"
t_eq 8 "$(rc_members $seed)" "4 replicas forgotten"
rc_verify "$seed" 20000

# shards and replicas at once: 4x1 -> 3x2 on 9 of the nodes
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 8)" --shards 3 --replicas 2
t_eq 0 "$T_RC" "4x1 -> 3x2: $T_ERR"
t_eq "5461 5461 5462" "$(rc_slot_counts $seed)" "3 masters, even slots"
t_eq "2 2 2" "$(rc_replica_counts $seed)" "two replicas each"
t_eq 9 "$(rc_members $seed)" "9 members"
t_eq 0 "$(rc_open_slots $seed)" "no open slot"
rc_verify "$seed" 20000
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 8)" --shards 3 --replicas 2
t_contains "$T_OUT" "nothing to do" "converged: nothing to do"
t_done
