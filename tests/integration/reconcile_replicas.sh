#!/usr/bin/env bash
# reconcile_replicas.sh - 4x1 -> 4x2 -> 4x1 replicas, then shards and
# replicas at once (4x1 -> 3x2), every key verified after each change.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

cluster_up 12 4 1 20000

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-11)" --shards 4 --replicas 2
t_eq 0 "$T_RC" "4x1 -> 4x2: $T_ERR"
t_eq "4096 4096 4096 4096" "$(slot_counts)" "masters keep their slots"
t_eq "2 2 2 2" "$(replica_counts)" "two replicas each"
t_not_contains "$T_OUT" "moving" "no slot moved for replicas"
verify_keys "4x2" 20000

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "4x2 -> 4x1: $T_ERR"
t_eq "4096 4096 4096 4096" "$(slot_counts)" "masters keep their slots"
t_eq "1 1 1 1" "$(replica_counts)" "one replica each"
t_eq 8 "$(members)" "4 replicas forgotten"
verify_keys "4x1" 20000

# shards and replicas at once: 4x1 -> 3x2 on 9 of the nodes
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-8)" --shards 3 --replicas 2
t_eq 0 "$T_RC" "4x1 -> 3x2: $T_ERR"
t_eq "5461 5461 5462" "$(slot_counts)" "3 masters, even slots"
t_eq "2 2 2" "$(replica_counts)" "two replicas each"
t_eq 9 "$(members)" "9 members"
t_eq "" "$(open_slots)" "no open slot"
verify_keys "3x2" 20000
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-8)" --shards 3 --replicas 2
t_contains "$T_OUT" "nothing to do" "converged: nothing to do"
t_done
