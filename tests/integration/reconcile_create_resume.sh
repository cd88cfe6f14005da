#!/usr/bin/env bash
# reconcile_create_resume.sh - the chart's post-install hook runs reconcile,
# not create: a create killed between ADDSLOTSRANGE and the meet leaves lone
# nodes that each own slots, and reconcile must finish that create instead
# of refusing them as nodes of different clusters.  Lone nodes whose slots
# are not the layout's are still refused, and nothing changes.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

C_NET=127.0.12
nodes_start 6 || exit 1
list=$(node_list 0-5)

reset_all() {
	local i
	for ((i = 0; i < 6; i++)); do cli $i cluster reset hard >/dev/null; done
}
# the layout of 3x1 over these 6 nodes (3 hosts): masters 0, 1, 2
S0="0 5460" S1="5461 10921" S2="10922 16383"

# --- killed after the slots of every master, and one epoch
cli 0 cluster addslotsrange $S0 >/dev/null
cli 0 cluster set-config-epoch 1 >/dev/null
cli 1 cluster addslotsrange $S1 >/dev/null
cli 2 cluster addslotsrange $S2 >/dev/null
t_run "$SHARDCTL" plan --nodes "$list" --shards 3 --replicas 1
t_eq 0 "$T_RC" "plan: $T_ERR"
t_contains "$T_OUT" "would finish an interrupted create of 3 shards x 1 replicas" "plan says reconcile would finish the create"
t_eq 1 "$(members 0)" "plan changed nothing"
t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_eq 0 "$T_RC" "reconcile finishes the interrupted create: $T_ERR"
t_contains "$T_OUT" "interrupted create of 3 shards x 1 replicas: finishing it" "says so"
t_contains "$T_OUT" "already has its slots and config epoch from an interrupted create: resuming" "node 0 taken as it is"
t_healthy "all masters had slots" 0 3 1
t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_contains "$T_OUT" "nothing to do" "then nothing to do"

# --- killed after the first node only (one lone node with slots)
reset_all
cli 0 cluster addslotsrange $S0 >/dev/null
t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_eq 0 "$T_RC" "one node with its slots: reconcile finishes the create: $T_ERR"
t_healthy "one master had slots" 0 3 1

# --- lone nodes whose slots are not the layout's: really other clusters
reset_all
cli 0 cluster addslotsrange 0 100 >/dev/null
cli 1 cluster addslotsrange 200 300 >/dev/null
refused "slots not of the layout" "belong to different clusters" "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_eq "0-100" "$(cli 0 cluster nodes | awk '/myself/ {print $9}')" "node 0 unchanged"
t_eq "200-300" "$(cli 1 cluster nodes | awk '/myself/ {print $9}')" "node 1 unchanged"
for i in 0 1 2 3 4 5; do
	t_eq 1 "$(members $i)" "node $i still alone"
done

t_done
