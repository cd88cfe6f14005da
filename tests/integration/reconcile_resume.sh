#!/usr/bin/env bash
# reconcile_resume.sh - a reconcile killed (SIGKILL) in the middle of its
# slot moves loses no key; the next reconcile finishes the open slots and
# the job.  Repeated at a few different instants.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

cluster_up 5 3 0 100000

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
	kill_during_moves "$(node_list 0-3)" 4 $d
	[ -n "$(open_slots)" ] && open_seen=1
	verify_keys "killed toward 4 shards" 100000
	kill_during_moves "$(node_list 0-2)" 3 $d
	[ -n "$(open_slots)" ] && open_seen=1
	verify_keys "killed toward 3 shards" 100000
done
echo "open slots seen after a kill: $open_seen"
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-4)" --shards 5 --replicas 0
t_eq 0 "$T_RC" "the next reconcile finishes the job: $T_ERR"
t_eq "3276 3277 3277 3277 3277" "$(slot_counts)" "5 masters, even slots"
t_eq "" "$(open_slots)" "no open slot"
verify_keys "5 shards" 100000

# killed between SETSLOT NODE on the target and on the source: the target
# owns the slot, the source still shows it MIGRATING.  Crafted by hand on an
# empty slot of node 0: reconcile closes it, then balances again.
own0=$(cli 0 cluster nodes | grep myself | awk '{print $9}')
s=${own0%%-*}
id0=$(cli 0 cluster myid)
id1=$(cli 1 cluster myid)
for k in $(cli 0 cluster getkeysinslot $s 1000); do cli 0 del "$k" >/dev/null; done
cli 1 cluster setslot $s importing $id0 >/dev/null
cli 0 cluster setslot $s migrating $id1 >/dev/null
cli 1 cluster setslot $s node $id1 >/dev/null
t_contains "$(cli 0 cluster nodes | grep myself)" "[$s->-$id1]" "slot $s left migrating on node 0"
t_run "$SHARDCTL" plan --nodes "$(node_list 0-4)" --shards 5 --replicas 0
t_eq 0 "$T_RC" "plan with an open slot: exit 0 ($T_ERR)"
t_contains "$T_OUT" "reconcile would first finish 1 slot(s) left open" "plan says reconcile finishes it first"
t_contains "$(cli 0 cluster nodes | grep myself)" "[$s->-$id1]" "plan changed nothing"
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-4)" --shards 5 --replicas 0
t_eq 0 "$T_RC" "a slot owned by its target is closed: $T_ERR"
t_contains "$T_OUT" "finishing 1 slot(s) left open" "says it finished the open slot"
t_not_contains "$(cli 0 cluster nodes | grep myself)" "[" "node 0 has no open slot"
t_eq "3276 3277 3277 3277 3277" "$(slot_counts)" "5 masters, even slots again"
t_done
