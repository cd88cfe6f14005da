#!/usr/bin/env bash
# reconcile_unseen_owner.sh - the state a reconcile killed right after a join
# can leave: a new node imports slots whose owner it never learned (Redis
# ignores gossip and UPDATE messages about slots a node imports), so it
# reports cluster_state:fail and refuses every MIGRATE with "CLUSTERDOWN Hash
# slot not served", while the owner still shows the slot MIGRATING with some
# keys already moved.  Crafted by hand on 3 masters + 1 new node; then
# `shardctl reconcile` alone (no fix) must tell the node the owners, finish
# the open moves, balance to 4 shards and keep every key.
T_PORT_BASE=35000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

NET=127.0.13
NKEYS=20000
P=$(t_free_ports 1 $NET.21) || exit 1
for i in 21 22 23 24; do t_start_node $NET.$i "$P" --cluster-node-timeout 5000 || exit 1; done
A=$NET.21 B=$NET.22 C=$NET.23 N=$NET.24
cli() { local h=$1; shift; redis-cli -h "$h" -p "$P" "$@"; }
owner_in() { # owner_in NODE SLOT: the owner id NODE's own view gives
	cli "$1" cluster nodes | awk -v s="$2" '{ for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue
		n = split($i, r, "-"); lo = r[1]; hi = (n == 2 ? r[2] : r[1]); if (s >= lo && s <= hi) print $1 } }'
}
seed=$A:$P

t_run "$SHARDCTL" reconcile --nodes "$A:$P,$B:$P,$C:$P" --shards 3 --replicas 0
t_eq 0 "$T_RC" "fixture: 3 x 0 created ($T_ERR)"
t_run "$RC_LOAD" fill --seed "$seed" --keys $NKEYS
t_eq 0 "$T_RC" "fixture: $NKEYS keys written"
ID_A=$(cli $A cluster myid) ID_B=$(cli $B cluster myid) ID_N=$(cli $N cluster myid)

# N joins and learns the map (so that DELSLOTS below has something to forget)
cli $A cluster meet $N "$P" >/dev/null
n_knows_all() { [ "$(cli $N cluster info | tr -d '\r' | grep -c '^cluster_state:ok')" = 1 ]; }
t_wait 20 n_knows_all
t_eq 1 "$(n_knows_all && echo 1)" "fixture: the new node knows the slot map"

# SA: A's first slot with at least 2 keys (half of them go to N);
# SB: B's first slot (no key moved)
SA=""
for s in $(seq 0 5460); do
	[ "$(owner_in $A "$s")" = "$ID_A" ] || continue
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
t_eq OK "$(cli $A migrate $N "$P" "" 0 5000 keys $keys)" "fixture: $((NA / 2)) of $NA keys of slot $SA moved to N"
cli $N cluster setslot "$SB" importing "$ID_B" >/dev/null
cli $B cluster setslot "$SB" migrating "$ID_N" >/dev/null
# N forgets both owners and imports again at once (DELSLOTS clears the
# import; one pipeline, so no gossip comes in between); importing, it then
# ignores what gossip says about them
printf 'CLUSTER DELSLOTS %s %s\nCLUSTER SETSLOT %s IMPORTING %s\nCLUSTER SETSLOT %s IMPORTING %s\n' \
	"$SA" "$SB" "$SA" "$ID_A" "$SB" "$ID_B" | cli $N >/dev/null
sleep 1
t_eq "" "$(owner_in $N "$SA")" "fixture: N does not know the owner of slot $SA"
t_eq "" "$(owner_in $N "$SB")" "fixture: N does not know the owner of slot $SB"
t_contains "$(cli $N cluster nodes | grep myself)" "[$SA-<-$ID_A]" "fixture: N still imports slot $SA"
t_contains "$(cli $N cluster info | head -n 1)" "cluster_state:fail" "fixture: N reports cluster_state:fail"
k=$(cli $A cluster getkeysinslot "$SA" 1 | head -n 1)
t_contains "$(cli $A migrate $N "$P" "$k" 0 5000)" "CLUSTERDOWN" "fixture: MIGRATE to N fails with CLUSTERDOWN"
# (a full verify cannot read the moved key now: N answers CLUSTERDOWN)
t_eq "$((NA / 2)) $((NA - NA / 2))" "$(cli $N cluster countkeysinslot "$SA") $(cli $A cluster countkeysinslot "$SA")" \
	"fixture: slot $SA's keys split between N and A"

t_run "$SHARDCTL" reconcile --nodes "$A:$P,$B:$P,$C:$P,$N:$P" --shards 4 --replicas 0 --wait 30
t_eq 0 "$T_RC" "reconcile alone converges ($(echo "$T_ERR" | tail -n 2))"
t_contains "$T_OUT" "the owners of 2 slots it sees unassigned" "reconcile says it told N the owners"
t_contains "$T_OUT" "finishing 2 slot(s) left open" "then finishes the open moves"
t_eq "4096 4096 4096 4096" "$(rc_slot_counts "$seed")" "4 masters, 4096 slots each"
t_eq 0 "$(rc_open_slots "$seed")" "no open slot (A's view)"
t_eq 0 "$(rc_open_slots "$N:$P")" "no open slot (N's view)"
t_contains "$(cli $N cluster info | head -n 1)" "cluster_state:ok" "N reports cluster_state:ok"
t_eq "$ID_N" "$(owner_in $A "$SA")" "slot $SA now on N"
t_eq "$NA" "$(cli $N cluster countkeysinslot "$SA")" "all $NA keys of slot $SA on N"
rc_verify "$seed" $NKEYS
t_run "$SHARDCTL" check "$seed" --shards 4 --replicas 0
t_eq 0 "$T_RC" "shardctl check passes ($T_OUT $T_ERR)"
t_done
