#!/usr/bin/env bash
# reconcile_auth.sh - a password-protected cluster (requirepass/masterauth):
# reconcile creates it and scales it 3 -> 4 -> 3 with the password from
# REDISCLI_AUTH (MIGRATE carries AUTH), never printing it; keys verified.
T_PORT_BASE=31000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

B=$(t_free_ports 8) || exit 1
for ((i = 0; i < 8; i++)); do
	t_start_node "$(rc_host $i)" $((B + i)) --requirepass s3cret-pw --masterauth s3cret-pw || exit 1
done 2>/dev/null
export REDISCLI_AUTH=s3cret-pw
seed=$(rc_host 0):$B

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "3x1 created with a password: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 20000
t_eq 0 "$T_RC" "20000 keys written"
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "3 -> 4 shards with a password: $T_ERR"
t_not_contains "$T_OUT$T_ERR" "s3cret-pw" "the password is never printed"
t_eq "4096 4096 4096 4096" "$(rc_slot_counts $seed)" "4 masters of 4096 slots"
rc_verify "$seed" 20000
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "4 -> 3 shards with a password: $T_ERR"
t_eq "5461 5461 5462" "$(rc_slot_counts $seed)" "3 masters again"
rc_verify "$seed" 20000
unset REDISCLI_AUTH
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 5)" --shards 3 --replicas 1
t_eq 1 "$T_RC" "without the password: exit 1"
t_contains "$T_ERR" "NOAUTH" "without the password: says authentication is needed"
t_done
