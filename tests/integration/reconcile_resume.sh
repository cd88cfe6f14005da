#!/usr/bin/env bash
# reconcile_resume.sh - a reconcile killed (SIGKILL) in the middle of its
# slot moves loses no key; the next reconcile finishes the open slots and
# the job.  Repeated at a few different instants.
T_PORT_BASE=31000
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/reconcile.inc"

B=$(t_free_ports 5) || exit 1
rc_start "$B" 5 || exit 1
seed=$(rc_host 0):$B
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 2)" --shards 3 --replicas 0
t_eq 0 "$T_RC" "3x0 created: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 150000
t_eq 0 "$T_RC" "150000 keys written"

kill_during_moves() { # kill_during_moves LIST SHARDS DELAY
	"$SHARDCTL" reconcile --nodes "$1" --shards "$2" --replicas 0 >"$T_DIR/k.out" 2>&1 &
	local p=$!
	t_wait 30 grep -q "moving" "$T_DIR/k.out"
	sleep "$3"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
}
open_seen=0
for d in 0.05 0.3; do
	kill_during_moves "$(rc_list $B 0 3)" 4 $d
	[ "$(rc_open_slots $seed)" -gt 0 ] && open_seen=1
	rc_verify "$seed" 150000
	kill_during_moves "$(rc_list $B 0 2)" 3 $d
	[ "$(rc_open_slots $seed)" -gt 0 ] && open_seen=1
	rc_verify "$seed" 150000
done
echo "open slots seen after a kill: $open_seen"
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 4)" --shards 5 --replicas 0
t_eq 0 "$T_RC" "the next reconcile finishes the job: $T_ERR"
t_eq "3276 3277 3277 3277 3277" "$(rc_slot_counts $seed)" "5 masters, even slots"
t_eq 0 "$(rc_open_slots $seed)" "no open slot"
rc_verify "$seed" 150000
t_done
