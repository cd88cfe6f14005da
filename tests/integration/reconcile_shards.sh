#!/usr/bin/env bash
# reconcile_shards.sh - 3 -> 4 -> 6 -> 3 shards (1 replica each) with every
# key verified after each change; creation from empty nodes; a reconcile of a
# converged cluster changes nothing and says so; removed nodes are reset.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

nodes_start 12 || exit 1

t_run "$SHARDCTL" plan --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "plan on empty nodes"
t_contains "$T_OUT" "create" "the plan says a cluster would be created"
t_eq 1 "$(members)" "plan changed nothing"

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "reconcile creates 3x1: $T_ERR"
t_eq "5461 5461 5462" "$(slot_counts)" "3 masters, even slots"
fill_keys 20000

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "converged: exit 0"
t_contains "$T_OUT" "nothing to do" "converged: says so"
t_not_contains "$T_OUT" "moving" "converged: moves nothing"

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "3 -> 4 shards: $T_ERR"
t_eq "4096 4096 4096 4096" "$(slot_counts)" "4 masters of 4096 slots"
t_eq "1 1 1 1" "$(replica_counts)" "one replica each"
t_contains "$T_OUT" "moved 4096/4096 slots" "only the surplus moved (4096 slots)"
verify_keys "4 shards" 20000

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-11)" --shards 6 --replicas 1
t_eq 0 "$T_RC" "4 -> 6 shards: $T_ERR"
t_eq "2730 2730 2731 2731 2731 2731" "$(slot_counts)" "6 masters, floor/ceil of 16384/6"
t_eq "1 1 1 1 1 1" "$(replica_counts)" "one replica each"
verify_keys "6 shards" 20000

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "6 -> 3 shards: $T_ERR"
t_eq "5461 5461 5462" "$(slot_counts)" "3 masters again"
t_eq "1 1 1" "$(replica_counts)" "one replica each"
t_eq 6 "$(members)" "the 6 removed nodes are forgotten"
t_eq "" "$(open_slots)" "no open slot"
verify_keys "3 shards" 20000
for i in 6 9 11; do
	t_eq 1 "$(members $i)" "removed node $i was reset"
	t_eq 0 "$(cli $i dbsize)" "removed node $i holds no key"
done

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_contains "$T_OUT" "nothing to do" "converged again: nothing to do"
t_done
