#!/usr/bin/env bash
# reconcile_sync.sh - replicas attached by reconcile are in sync when it
# returns: 4x1 with 50000 keys -> 4x2, and right after reconcile every
# replica reports master_link_status:up and holds as many keys as its
# master (a failover at that moment must not lose the shard).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

C_NET=127.0.12
cluster_up 12 4 1 50000

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-11)" --shards 4 --replicas 2
res=$(replicas_report "" nonempty)
t_eq 0 "$T_RC" "4x1 -> 4x2: $T_ERR"
# how many of the 4 are still syncing when the run ends depends on timing
# (Redis delays a diskless sync by 5 s); at least one always is
if echo "$T_OUT" | grep -Eq "waiting for ([0-9]+ replicas|replica '[^']+') to sync"; then
	t_ok "the sync wait is shown"
else
	t_not_ok "the sync wait is shown: $(echo "$T_OUT" | tail -n 5)"
fi
echo "$res" | grep '^#'
t_eq "8 0" "$(echo "$res" | tail -1)" "right after reconcile: 8 replicas, all link up with their master's key count"
verify_keys "4x2" 50000

# a deadline that cannot be met names the replica and fails (exit 1)
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "4x2 -> 4x1: $T_ERR"
for ((i = 0; i < 12; i++)); do cli $i config set repl-diskless-sync-delay 30 >/dev/null; done
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-11)" --shards 4 --replicas 2 --wait 8
t_eq 1 "$T_RC" "a sync slower than --wait fails"
t_contains "$T_ERR" "is not in sync with its master after 8 s" "the failure says why: $T_ERR"
t_contains "$T_ERR" "run again to continue" "and what to do"
for ((i = 0; i < 12; i++)); do cli $i config set repl-diskless-sync-delay 0 >/dev/null; done
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-11)" --shards 4 --replicas 2
res=$(replicas_report "" nonempty)
t_eq 0 "$T_RC" "run again: $T_ERR"
echo "$res" | grep '^#'
t_eq "8 0" "$(echo "$res" | tail -1)" "the run again waited: 8 replicas in sync"
verify_keys "4x2 after the run again" 50000
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-11)" --shards 4 --replicas 2
t_contains "$T_OUT" "nothing to do" "converged: nothing to do"
t_not_contains "$T_OUT" "waiting for" "no sync wait shown when all are in sync"
t_done
