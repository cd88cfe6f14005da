#!/usr/bin/env bash
# reconcile_auth.sh - a password-protected cluster (requirepass/masterauth):
# reconcile creates it and scales it 3 -> 4 -> 3 with the password from
# REDISCLI_AUTH (MIGRATE carries AUTH), never printing it; keys verified.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

# the password from REDISCLI_AUTH: shardctl, sc-load and redis-cli take it
export REDISCLI_AUTH=s3cret-pw
cluster_up 8 3 1 20000 --cluster-node-timeout 5000 --requirepass s3cret-pw --masterauth s3cret-pw

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "3 -> 4 shards with a password: $T_ERR"
t_not_contains "$T_OUT$T_ERR" "s3cret-pw" "the password is never printed"
t_eq "4096 4096 4096 4096" "$(slot_counts)" "4 masters of 4096 slots"
verify_keys "4 shards" 20000
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "4 -> 3 shards with a password: $T_ERR"
t_eq "5461 5461 5462" "$(slot_counts)" "3 masters again"
verify_keys "3 shards" 20000
unset REDISCLI_AUTH
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_eq 1 "$T_RC" "without the password: exit 1"
t_contains "$T_ERR" "NOAUTH" "without the password: says authentication is needed"
t_done
