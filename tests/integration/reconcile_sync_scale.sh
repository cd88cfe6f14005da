#!/usr/bin/env bash
# reconcile_sync_scale.sh - 4x1 with 50000 keys -> 5x1: right after
# reconcile returns, the new master's replica reports master_link_status:up
# and as many keys as its master (it was attached to the empty new master
# before the moves; the run waits for its sync to finish).  Before the sync
# wait, that replica was typically 'down' with 0 keys at this point.  The
# settings lowered for the join (fastjoin.h) are back afterwards.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

C_NET=127.0.12
cluster_up 10 4 1 50000

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-9)" --shards 5 --replicas 1

res=$(replicas_report "" nonempty)
echo "$res" | grep '^#'
t_eq 0 "$T_RC" "4x1 -> 5x1: $T_ERR"
t_eq "5 0" "$(echo "$res" | tail -1)" "right after reconcile: 5 replicas, all link up with their master's key count"
t_eq "3276 3277 3277 3277 3277" "$(slot_counts)" "5 masters, even slots"
verify_keys "5x1" 50000

# the joining nodes ran their join with a 0.5 s node timeout and no diskless
# sync delay (fastjoin.h); both are back to what the nodes were started with
for i in 8 9; do
	t_eq "5000 5" "$(cli $i config get cluster-node-timeout | tail -1) $(cli $i config get repl-diskless-sync-delay | tail -1)" \
		"node $i: cluster-node-timeout and repl-diskless-sync-delay restored after its join"
done

# what a run killed during a join leaves (node 8 at 500 / 0 while every
# other member has 5000 / 5): the next reconcile puts it back, and still
# has nothing else to do
cli 8 config set cluster-node-timeout 500 >/dev/null
cli 8 config set repl-diskless-sync-delay 0 >/dev/null
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-9)" --shards 5 --replicas 1
t_eq 0 "$T_RC" "converged reconcile after a join left its settings: $T_ERR"
t_contains "$T_OUT" "putting back cluster-node-timeout 5000 on '$(node 8)' (left at 500 by an interrupted join" "the node timeout is put back, said"
t_contains "$T_OUT" "putting back repl-diskless-sync-delay 5 on '$(node 8)'" "the sync delay is put back, said"
t_contains "$T_OUT" "nothing to do" "and nothing else is done"
t_eq "5000 5" "$(cli 8 config get cluster-node-timeout | tail -1) $(cli 8 config get repl-diskless-sync-delay | tail -1)" "node 8: settings back"
t_done
