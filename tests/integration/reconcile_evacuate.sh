#!/usr/bin/env bash
# reconcile_evacuate.sh - --evacuate-only (the pre-upgrade half) moves slots
# off members not listed and waits for no missing listed node; the full
# reconcile then removes them.  Then every refusal, each asserting its
# message, exit status 2 and that nothing changed.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

cluster_up 12 4 1 20000

# going to 3x1 on nodes 0-5 and a node that does not exist yet
missing=127.0.3.1:$(t_free_ports 1 127.0.3.1)
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5),$missing" --shards 3 --replicas 1 --evacuate-only
t_eq 0 "$T_RC" "evacuate-only with a listed node missing: $T_ERR"
for i in 6 7; do
	t_eq "" "$(cli $i cluster nodes | grep myself | awk '{print $9}')" "departing node $i owns no slot"
done
t_eq 8 "$(members)" "departing nodes are still members"
t_eq "" "$(open_slots)" "no open slot"
verify_keys "evacuated" 20000
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5),$missing" --shards 3 --replicas 1 --evacuate-only
t_eq 0 "$T_RC" "evacuate-only again: exit 0"
t_not_contains "$T_OUT" "moving" "evacuate-only again moves nothing"

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_eq 0 "$T_RC" "post-upgrade reconcile to 3x1: $T_ERR"
t_eq "5461 5461 5462" "$(slot_counts)" "3 masters, even slots"
t_eq "1 1 1" "$(replica_counts)" "one replica each"
t_eq 6 "$(members)" "departing nodes forgotten"
verify_keys "3x1" 20000

# refusals: nothing may change (on the cluster and on node 8, the one
# holding a key; nodes 9 and 10 are another cluster, still settling)
SNAP_NODES=(0 1 2 3 4 5 8)
refused "fewer than 3 shards" "option '--shards' expects a number from 3 to 16384, got '2'" \
	"$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 2 --replicas 1
refused "too few nodes" "too few nodes: 3 shards x (1 + 2 replicas) needs 9 nodes" \
	"$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 2

# a new node holding keys (8): slot 0 given, a key written, slot taken back
cli 8 config set cluster-require-full-coverage no >/dev/null
cli 8 cluster addslots 0 >/dev/null
key_written() { cli 8 set '{06S}k' v | grep -q OK; }
t_wait 10 key_written
cli 8 cluster delslots 0 >/dev/null
t_eq 1 "$(cli 8 dbsize)" "node 8 holds a key and no slot"
refused "a new node holding keys" "$(node 8)" \
	"$SHARDCTL" reconcile --nodes "$(node_list 0-5 8)" --shards 3 --replicas 1
t_eq 1 "$(cli 8 dbsize)" "node 8 still holds its key"

# nodes 9 and 10 form another cluster
cli 9 cluster meet "$(node_host 10)" $((C_BASE + 10)) >/dev/null
t_wait 10 eval '[ "$(members 9)" = 2 ]'
# a peer still in handshake ties a node to no cluster (probe.c): wait for the real id
t_wait 10 eval '! cli 9 cluster nodes | grep -q handshake'
refused "a node of another cluster" "belong to different clusters" \
	"$SHARDCTL" reconcile --nodes "$(node_list 0-5 9)" --shards 3 --replicas 1
t_run "$SHARDCTL" plan --nodes "$(node_list 0-5 9)" --shards 3 --replicas 1
t_eq 2 "$T_RC" "plan refuses the same: exit 2"
refused "bad option combination" "--json is only for 'shardctl plan'" \
	"$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1 --json
t_done
