#!/usr/bin/env bash
# reconcile_unseen_owner.sh - the state a reconcile killed right after a join
# can leave: a new node imports slots whose owner it never learned (Redis
# ignores gossip and UPDATE messages about slots a node imports), so it
# reports cluster_state:fail and refuses every MIGRATE with "CLUSTERDOWN Hash
# slot not served", while the owner still shows the slot MIGRATING with some
# keys already moved.  Crafted by hand on 3 masters + 1 new node; then
# `shardctl reconcile` alone (no fix) must tell the node the owners, finish
# the open moves, balance to 4 shards and keep every key.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

# masters A, B, C and the new node N (node numbers of nodes_start)
A=0 B=1 C=2 N=3
NKEYS=20000
C_NET=127.0.13 C_HOSTS=4
nodes_start 4 || exit 1
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-2)" --shards 3 --replicas 0
t_eq 0 "$T_RC" "fixture: 3 x 0 created ($T_ERR)"
fill_keys $NKEYS
ID_A=$(cli $A cluster myid) ID_B=$(cli $B cluster myid) ID_N=$(cli $N cluster myid)
NH=$(node_host $N) NP=$((C_BASE + N)) # N's host and port, for MIGRATE

# N joins and learns the map (so that DELSLOTS below has something to forget)
cli $A cluster meet "$NH" "$NP" >/dev/null
t_wait 20 state_is $N ok
t_eq 1 "$(state_is $N ok && echo 1)" "fixture: the new node knows the slot map"

# SA: A's first slot with at least 2 keys (half of them go to N);
# SB: B's first slot (no key moved)
SA=""
for s in $(seq 0 5460); do
	[ "$(owner_of $A "$s")" = "$ID_A" ] || continue
	[ "$(cli $A cluster countkeysinslot "$s")" -ge 2 ] && { SA=$s; break; }
done
SB=$(cli $B cluster nodes | grep myself | awk '{print $9}')
SB=${SB%%-*}
t_eq 1 "$([ -n "$SA" ] && [ -n "$SB" ] && echo 1)" "fixture: slots $SA (A) and $SB (B) picked"
NA=$(cli $A cluster countkeysinslot "$SA")
cli $N cluster setslot "$SA" importing "$ID_A" >/dev/null
cli $A cluster setslot "$SA" migrating "$ID_N" >/dev/null
keys=$(cli $A cluster getkeysinslot "$SA" 1000 | head -n $((NA / 2)))
# shellcheck disable=SC2086
t_eq OK "$(cli $A migrate "$NH" "$NP" "" 0 5000 keys $keys)" "fixture: $((NA / 2)) of $NA keys of slot $SA moved to N"
cli $N cluster setslot "$SB" importing "$ID_B" >/dev/null
cli $B cluster setslot "$SB" migrating "$ID_N" >/dev/null
# N forgets both owners and imports again at once (DELSLOTS clears the
# import; one pipeline, so no gossip comes in between); importing, it then
# ignores what gossip says about them
printf 'CLUSTER DELSLOTS %s %s\nCLUSTER SETSLOT %s IMPORTING %s\nCLUSTER SETSLOT %s IMPORTING %s\n' \
	"$SA" "$SB" "$SA" "$ID_A" "$SB" "$ID_B" | cli $N >/dev/null
sleep 1
t_eq "" "$(owner_of $N "$SA")" "fixture: N does not know the owner of slot $SA"
t_eq "" "$(owner_of $N "$SB")" "fixture: N does not know the owner of slot $SB"
t_contains "$(cli $N cluster nodes | grep myself)" "[$SA-<-$ID_A]" "fixture: N still imports slot $SA"
t_contains "$(cli $N cluster info | head -n 1)" "cluster_state:fail" "fixture: N reports cluster_state:fail"
k=$(cli $A cluster getkeysinslot "$SA" 1 | head -n 1)
t_contains "$(cli $A migrate "$NH" "$NP" "$k" 0 5000)" "CLUSTERDOWN" "fixture: MIGRATE to N fails with CLUSTERDOWN"
# (a full verify cannot read the moved key now: N answers CLUSTERDOWN)
t_eq "$((NA / 2)) $((NA - NA / 2))" "$(cli $N cluster countkeysinslot "$SA") $(cli $A cluster countkeysinslot "$SA")" \
	"fixture: slot $SA's keys split between N and A"

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-3)" --shards 4 --replicas 0 --wait 30
t_eq 0 "$T_RC" "reconcile alone converges ($(echo "$T_ERR" | tail -n 2))"
t_contains "$T_OUT" "the owners of 2 slots it sees unassigned" "reconcile says it told N the owners"
t_contains "$T_OUT" "finishing 2 slot(s) left open" "then finishes the open moves"
t_eq "4096 4096 4096 4096" "$(slot_counts)" "4 masters, 4096 slots each"
t_eq "" "$(open_slots $A)" "no open slot (A's view)"
t_eq "" "$(open_slots $N)" "no open slot (N's view)"
t_contains "$(cli $N cluster info | head -n 1)" "cluster_state:ok" "N reports cluster_state:ok"
t_eq "$ID_N" "$(owner_of $A "$SA")" "slot $SA now on N"
t_eq "$NA" "$(cli $N cluster countkeysinslot "$SA")" "all $NA keys of slot $SA on N"
verify_keys "4 shards" $NKEYS
t_run "$SHARDCTL" check "$(node $A)" --shards 4 --replicas 0
t_eq 0 "$T_RC" "shardctl check passes ($T_OUT $T_ERR)"
t_done
