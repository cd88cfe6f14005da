#!/usr/bin/env bash
# reconcile_evacuate.sh - --evacuate-only (the pre-upgrade half) moves slots
# off members not listed and waits for no missing listed node; the full
# reconcile then removes them.  Then every refusal, each asserting its
# message, exit status 2 and that nothing changed.
T_PORT_BASE=31000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

B=$(t_free_ports 13) || exit 1
rc_start "$B" 12 || exit 1
seed=$(rc_host 0):$B

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "4x1 created: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 20000
t_eq 0 "$T_RC" "20000 keys written"

# going to 3x1 on nodes 0-5 and a node that does not exist yet (port B+12)
missing=$(rc_host 12):$((B + 12))
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 5),$missing" --shards 3 --replicas 1 --evacuate-only
t_eq 0 "$T_RC" "evacuate-only with a listed node missing: $T_ERR"
for i in 6 7; do
	t_eq "" "$(rc_cli $B $i cluster nodes | grep myself | awk '{print $9}')" "departing node $i owns no slot"
done
t_eq 8 "$(rc_members $seed)" "departing nodes are still members"
t_eq 0 "$(rc_open_slots $seed)" "no open slot"
rc_verify "$seed" 20000
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 5),$missing" --shards 3 --replicas 1 --evacuate-only
t_eq 0 "$T_RC" "evacuate-only again: exit 0"
t_not_contains "$T_OUT" "moving" "evacuate-only again moves nothing"

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "post-upgrade reconcile to 3x1: $T_ERR"
t_eq "5461 5461 5462" "$(rc_slot_counts $seed)" "3 masters, even slots"
t_eq "1 1 1" "$(rc_replica_counts $seed)" "one replica each"
t_eq 6 "$(rc_members $seed)" "departing nodes forgotten"
rc_verify "$seed" 20000

# refusals: nothing may change
snapshot() { echo "$(rc_slot_counts $seed)|$(rc_replica_counts $seed)|$(rc_members $seed)|$(rc_cli $B 0 cluster myid)"; }
before=$(snapshot)
refused() { # refused WHAT NEEDLE ARGS...
	local what=$1 needle=$2
	shift 2
	t_run "$SHARDCTL" reconcile "$@"
	t_eq 2 "$T_RC" "$what: exit 2"
	t_contains "$T_ERR" "$needle" "$what: message"
	t_eq "$before" "$(snapshot)" "$what: nothing changed"
}
refused "fewer than 3 shards" "--shards must be at least 3" --nodes "$(rc_list $B 0 5)" --shards 2 --replicas 1
refused "too few nodes" "too few nodes: 3 shards x (1 + 2 replicas) needs 9 nodes" \
	--nodes "$(rc_list $B 0 5)" --shards 3 --replicas 2

# a new node holding keys (8): slot 0 given, a key written, slot taken back
rc_cli $B 8 config set cluster-require-full-coverage no >/dev/null
rc_cli $B 8 cluster addslots 0 >/dev/null
t_wait 10 sh -c "redis-cli -h $(rc_host 8) -p $((B + 8)) set '{06S}k' v | grep -q OK"
rc_cli $B 8 cluster delslots 0 >/dev/null
t_eq 1 "$(rc_cli $B 8 dbsize)" "node 8 holds a key and no slot"
refused "a new node holding keys" "$(rc_host 8):$((B + 8))" --nodes "$(rc_list $B 0 5),$(rc_host 8):$((B + 8))" \
	--shards 3 --replicas 1
t_eq 1 "$(rc_cli $B 8 dbsize)" "node 8 still holds its key"

# nodes 9 and 10 form another cluster
rc_cli $B 9 cluster meet "$(rc_host 10)" $((B + 10)) >/dev/null
t_wait 10 sh -c "redis-cli -h $(rc_host 9) -p $((B + 9)) cluster info | grep -q known_nodes:2"
# a peer still in handshake ties a node to no cluster (probe.c): wait for the real id
t_wait 10 sh -c "! redis-cli -h $(rc_host 9) -p $((B + 9)) cluster nodes | grep -q handshake"
refused "a node of another cluster" "belong to different clusters" \
	--nodes "$(rc_list $B 0 5),$(rc_host 9):$((B + 9))" --shards 3 --replicas 1
t_run "$SHARDCTL" plan --nodes "$(rc_list $B 0 5),$(rc_host 9):$((B + 9))" --shards 3 --replicas 1
t_eq 2 "$T_RC" "plan refuses the same: exit 2"
refused "bad option combination" "--json is only for 'shardctl plan'" --nodes "$(rc_list $B 0 5)" --shards 3 \
	--replicas 1 --json
t_done
