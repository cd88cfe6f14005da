#!/usr/bin/env bash
# create_refusals.sh - `shardctl create` refuses, with exit status 2, a clear
# message and nothing changed: fewer than 3 shards, too few nodes, an
# unreachable node, a node that is not cluster-enabled, holds keys, already
# knows another node or already owns slots.  The offending node is listed
# last, so a create that changed nodes before probing all of them would be
# caught: every good node must still know only itself, own no slot and keep
# config epoch 0.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
H=127.0.2.1

base=$(t_free_ports 13)
good=()
for i in 0 1 2 3 4 5; do
	t_start_node $H $((base + i)) --cluster-node-timeout 5000
	good+=("$H:$((base + i))")
done
list=$(IFS=,; echo "${good[*]}")

# what must not change: the good nodes (the offending ones are asserted
# one by one; two of them meet each other)
SNAP_NODES=("${good[@]}")
refused_create() { # refused_create WHAT MESSAGE ARGS...: refused, and no claim of success
	local what=$1 msg=$2
	shift 2
	refused "$what" "shardctl create: error: $msg" "$SHARDCTL" create "$@"
	t_not_contains "$T_OUT" "cluster created" "$what: does not claim success"
}

refused_create "2 shards" "too few shards: 2 (a cluster needs at least 3 masters; use --shards 3 or more)" \
	--nodes "$list" --shards 2
refused_create "too few nodes" "too few nodes: 4 shards with 1 replica each need 8 nodes, 6 given" \
	--nodes "$list" --shards 4 --replicas 1
refused_create "unreachable" "cannot connect to '$H:$((base + 11))'" \
	--nodes "$list,$H:$((base + 11))" --shards 7
t_contains "$T_ERR" "(start the node or leave it out of --nodes)" "unreachable: says what to do"

# not cluster-enabled
t_start_node $H $((base + 6)) --cluster-enabled no
refused_create "not cluster-enabled" "'$H:$((base + 6))' is not cluster-enabled (start it with 'cluster-enabled yes')" \
	--nodes "$list,$H:$((base + 6))" --shards 7

# holds keys: a key written while the node owned its slot, then the slot
# given up (the key stays)
t_start_node $H $((base + 7)) --cluster-node-timeout 5000 --cluster-require-full-coverage no
cli $H:$((base + 7)) cluster addslots 12182 >/dev/null
key_written() { cli $H:$((base + 7)) set foo bar | grep -q OK; }
t_wait 10 key_written
cli $H:$((base + 7)) cluster delslots 12182 >/dev/null
t_eq 1 "$(cli $H:$((base + 7)) dbsize)" "a node holding one key is ready"
refused_create "holds keys" "'$H:$((base + 7))' holds 1 key (a new cluster needs empty nodes: flush it or use another node)" \
	--nodes "$list,$H:$((base + 7))" --shards 7
t_eq 1 "$(cli $H:$((base + 7)) dbsize)" "holds keys: the key is still there"

# already knows another node
t_start_node $H $((base + 8)) --cluster-node-timeout 5000
t_start_node $H $((base + 9)) --cluster-node-timeout 5000
cli $H:$((base + 8)) cluster meet $H $((base + 9)) >/dev/null
t_wait 10 eval '[ "$(members $H:$((base + 8)))" = 2 ]'
refused_create "knows another node" "'$H:$((base + 8))' already knows 1 other node (it belongs to a cluster" \
	--nodes "$list,$H:$((base + 8))" --shards 7
t_contains "$(cli $H:$((base + 8)) cluster info)" "cluster_known_nodes:2" "knows another node: still knows it"

# already owns slots
t_start_node $H $((base + 10)) --cluster-node-timeout 5000
cli $H:$((base + 10)) cluster addslotsrange 100 199 >/dev/null
refused_create "owns slots" "'$H:$((base + 10))' already owns 100 slots (it belongs to a cluster" \
	--nodes "$list,$H:$((base + 10))" --shards 7
t_contains "$(cli $H:$((base + 10)) cluster info)" "cluster_slots_assigned:100" "owns slots: still owns them"

# a config epoch this create would not give it (a node reset softly)
t_start_node $H $((base + 12)) --cluster-node-timeout 5000
cli $H:$((base + 12)) cluster set-config-epoch 5 >/dev/null
refused_create "config epoch" "'$H:$((base + 12))' has config epoch 5 (it was part of a cluster: CLUSTER RESET HARD the node)" \
	--nodes "$list,$H:$((base + 12))" --shards 7
# slots other than the ones create would give it
cli $H:$((base + 12)) cluster reset hard >/dev/null
cli $H:$((base + 12)) cluster addslotsrange 0 99 >/dev/null
refused_create "other slots" "'$H:$((base + 12))' already owns 100 slots" --nodes "$H:$((base + 12)),$list" --shards 7

# after all those refusals the good nodes still make a cluster; nodes
# beyond S*(1+R) are left alone
t_run "$SHARDCTL" create --nodes "$list,127.0.0.1:1" --shards 3 --replicas 1
t_eq 0 "$T_RC" "extra unused nodes beyond S*(1+R) are ignored ($T_ERR)"

# bad usage
t_run "$SHARDCTL" create --shards 3
t_eq 2 "$T_RC" "missing --nodes: exit status 2"
t_contains "$T_ERR" "--nodes is required" "missing --nodes: message"
t_run "$SHARDCTL" create --nodes "$list" --shards three
t_eq 2 "$T_RC" "non-numeric --shards: exit status 2"
t_contains "$T_ERR" "option '--shards' expects a whole number, got 'three'" "non-numeric --shards: message"
t_run "$SHARDCTL" create --help
t_eq 0 "$T_RC" "--help: exit status 0"
t_contains "$T_OUT" "usage: shardctl create --nodes LIST --shards S" "--help: usage"

t_done
