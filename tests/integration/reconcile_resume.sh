#!/usr/bin/env bash
# reconcile_resume.sh - a reconcile killed (SIGKILL) in the middle of its
# slot moves loses no key; the next reconcile finishes the open slots and
# the job.  Repeated at a few different instants.
T_PORT_BASE=31000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

B=$(t_free_ports 5) || exit 1
rc_start "$B" 5 || exit 1
seed=$(rc_host 0):$B
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 2)" --shards 3 --replicas 0
t_eq 0 "$T_RC" "3x0 created: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 100000
t_eq 0 "$T_RC" "100000 keys written"

kill_during_moves() { # kill_during_moves LIST SHARDS DELAY
	"$SHARDCTL" reconcile --nodes "$1" --shards "$2" --replicas 0 >"$T_DIR/k.out" 2>&1 &
	local p=$!
	t_wait 30 grep -q "moving" "$T_DIR/k.out"
	sleep "$3"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
}
open_seen=0
for d in 0.2; do
	kill_during_moves "$(rc_list $B 0 3)" 4 $d
	[ "$(rc_open_slots $seed)" -gt 0 ] && open_seen=1
	rc_verify "$seed" 100000
	kill_during_moves "$(rc_list $B 0 2)" 3 $d
	[ "$(rc_open_slots $seed)" -gt 0 ] && open_seen=1
	rc_verify "$seed" 100000
done
echo "open slots seen after a kill: $open_seen"
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 4)" --shards 5 --replicas 0
t_eq 0 "$T_RC" "the next reconcile finishes the job: $T_ERR"
t_eq "3276 3277 3277 3277 3277" "$(rc_slot_counts $seed)" "5 masters, even slots"
t_eq 0 "$(rc_open_slots $seed)" "no open slot"
rc_verify "$seed" 100000

# killed between SETSLOT NODE on the target and on the source: the target
# owns the slot, the source still shows it MIGRATING.  Crafted by hand on an
# empty slot of node 0: reconcile closes it, then balances again.
own0=$(rc_cli $B 0 cluster nodes | grep myself | awk '{print $9}')
s=${own0%%-*}
id0=$(rc_cli $B 0 cluster myid)
id1=$(rc_cli $B 1 cluster myid)
for k in $(rc_cli $B 0 cluster getkeysinslot $s 1000); do rc_cli $B 0 del "$k" >/dev/null; done
rc_cli $B 1 cluster setslot $s importing $id0 >/dev/null
rc_cli $B 0 cluster setslot $s migrating $id1 >/dev/null
rc_cli $B 1 cluster setslot $s node $id1 >/dev/null
t_contains "$(rc_cli $B 0 cluster nodes | grep myself)" "[$s->-$id1]" "slot $s left migrating on node 0"
t_run "$SHARDCTL" plan --nodes "$(rc_list $B 0 4)" --shards 5 --replicas 0
t_eq 0 "$T_RC" "plan with an open slot: exit 0 ($T_ERR)"
t_contains "$T_OUT" "reconcile would first finish 1 slot(s) left open" "plan says reconcile finishes it first"
t_contains "$(rc_cli $B 0 cluster nodes | grep myself)" "[$s->-$id1]" "plan changed nothing"
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 4)" --shards 5 --replicas 0
t_eq 0 "$T_RC" "a slot owned by its target is closed: $T_ERR"
t_contains "$T_OUT" "finishing 1 slot(s) left open" "says it finished the open slot"
t_not_contains "$(rc_cli $B 0 cluster nodes | grep myself)" "[" "node 0 has no open slot"
t_eq "3276 3277 3277 3277 3277" "$(rc_slot_counts $seed)" "5 masters, even slots again"
t_done
