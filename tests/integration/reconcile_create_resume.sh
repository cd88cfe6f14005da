#!/usr/bin/env bash
# reconcile_create_resume.sh - the chart's post-install hook runs reconcile,
# not create: a create killed between ADDSLOTSRANGE and the meet leaves lone
# nodes that each own slots, and reconcile must finish that create instead
# of refusing them as nodes of different clusters.  Lone nodes whose slots
# are not the layout's are still refused, and nothing changes.
T_PORT_BASE=33000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"
rc_host() { echo "127.0.12.$(($1 % 3 + 1))"; }

N=6
B=$(t_free_ports $N) || exit 1
rc_start "$B" $N || exit 1
seed=$(rc_host 0):$B
list=$(rc_list $B 0 5)

# healthy WHAT: every slot covered, nodes agree, shardctl check says 3x1
healthy() {
	local out
	out=$(redis-cli --cluster check "$seed" 2>&1)
	t_contains "$out" "[OK] All 16384 slots covered." "$1: all slots covered"
	t_contains "$out" "[OK] All nodes agree about slots configuration." "$1: nodes agree"
	t_run "$SHARDCTL" check "$seed" --shards 3 --replicas 1
	t_eq 0 "$T_RC" "$1: shardctl check says healthy: $T_OUT $T_ERR"
}
reset_all() {
	local i
	for ((i = 0; i < N; i++)); do rc_cli "$B" $i cluster reset hard >/dev/null; done
}
# the layout of 3x1 over these 6 nodes (3 hosts): masters 0, 1, 2
S0="0 5460" S1="5461 10921" S2="10922 16383"

# --- killed after the slots of every master, and one epoch
rc_cli "$B" 0 cluster addslotsrange $S0 >/dev/null
rc_cli "$B" 0 cluster set-config-epoch 1 >/dev/null
rc_cli "$B" 1 cluster addslotsrange $S1 >/dev/null
rc_cli "$B" 2 cluster addslotsrange $S2 >/dev/null
t_run "$SHARDCTL" plan --nodes "$list" --shards 3 --replicas 1
t_eq 0 "$T_RC" "plan: $T_ERR"
t_contains "$T_OUT" "would finish an interrupted create of 3 shards x 1 replicas" "plan says reconcile would finish the create"
t_eq 1 "$(rc_cli "$B" 0 cluster info | tr -d '\r' | grep -c 'cluster_known_nodes:1')" "plan changed nothing"
t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_eq 0 "$T_RC" "reconcile finishes the interrupted create: $T_ERR"
t_contains "$T_OUT" "interrupted create of 3 shards x 1 replicas: finishing it" "says so"
t_contains "$T_OUT" "already has its slots and config epoch from an interrupted create: resuming" "node 0 taken as it is"
healthy "all masters had slots"
t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_contains "$T_OUT" "nothing to do" "then nothing to do"

# --- killed after the first node only (one lone node with slots)
reset_all
rc_cli "$B" 0 cluster addslotsrange $S0 >/dev/null
t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_eq 0 "$T_RC" "one node with its slots: reconcile finishes the create: $T_ERR"
healthy "one master had slots"

# --- lone nodes whose slots are not the layout's: really other clusters
reset_all
rc_cli "$B" 0 cluster addslotsrange 0 100 >/dev/null
rc_cli "$B" 1 cluster addslotsrange 200 300 >/dev/null
t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 1
t_eq 2 "$T_RC" "slots not of the layout: refused"
t_contains "$T_ERR" "belong to different clusters" "named as different clusters: $T_ERR"
t_eq "0-100" "$(rc_cli "$B" 0 cluster nodes | awk '/myself/ {print $9}')" "node 0 unchanged"
t_eq "200-300" "$(rc_cli "$B" 1 cluster nodes | awk '/myself/ {print $9}')" "node 1 unchanged"
for i in 0 1 2 3 4 5; do
	t_eq 1 "$(rc_cli "$B" $i cluster nodes | wc -l | tr -d ' ')" "node $i still alone"
done

t_done
