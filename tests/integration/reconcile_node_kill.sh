#!/usr/bin/env bash
# reconcile_node_kill.sh - the SOURCE master of a slot move is killed
# (SIGKILL) in the middle of a reconcile, as soon as its first keys reached
# the target (tests/integration/node_kill.py):
#  1. 3x1 -> 4x1, its replica takes over (Redis failover): the running
#     reconcile fails naming the node; a reconcile while the old master is
#     still down tells the target the new owner of the slots it imports
#     (until then it reports cluster_state:fail), finishes the open slots
#     from the replica that took over and refuses the unreachable listed
#     node by name; once the old master is back (a replica now), reconcile
#     converges;
#  2. 4x1 -> 5x1, no replica takes over (replicas told not to; the node
#     comes back with its nodes.conf and its append-only file): while it is
#     down reconcile names the open slot and the node and changes nothing;
#     once it is back, reconcile converges.
# A source killed after the target stored a MIGRATE batch and before it
# deleted its own copies leaves those keys on both sides: reconcile stops
# on BUSYKEY (nothing overwritten) and `shardctl fix` removes the source's
# identical copies (lib/node_kill.bash: nk_reconcile).  Every key is verified one
# by one; none may be lost (written before the move: replicas had them).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
source "$(dirname "$0")/lib/node_kill.bash"

nk_setup 10

# --- 1. source killed, its replica takes over: the source of the first
# move is killed as soon as its first keys reached the target
nk_ids
start=$(date +%s.%N)
nk_reconcile_bg "$(node_list 0-7)" 4 1
nk_kill_in_move source
t_eq 0 $? "source node $NK_KILLED killed $NK_KILL_MS ms into the move, the target holding $NK_KILL_KEYS keys"
src=$NK_KILLED src_id=${NK_ID[$NK_KILLED]} tgt=$NK_DST
killed_at=$(date +%s.%N)
rep=$(nk_replica_of "$src_id")
wait $NK_BG
rc=$?
out=$(cat "$T_DIR/bg.out")
echo "$out" | sed 's/^/  | /' | tail -5
t_eq 1 "$rc" "the reconcile whose source died fails"
t_contains "$out" "lost connection to '$(node "$src")'" "its message names the killed node"
t_contains "$(cat "$T_DIR/bg.out")" "the slots it was moving are left open: run reconcile again once the node is back or its replica has taken over" "and says what is left and when to go on"
open=$(open_slots)
t_contains "$open" "-<-$src_id]" "slots are left importing from the killed node"
t_wait 20 role_is "$rep" master
t_eq 0 $? "node $rep (its replica) took over"
echo "  failover $(echo "$(date +%s.%N) - $killed_at" | bc) s after the kill"
# Redis ignores news about slots a node imports: the target still sees
# them owned by the failed node, reports cluster_state:fail and refuses
# clients for all its slots until told the new owner (the next reconcile)
t_wait 10 state_is "$tgt" fail
t_eq 0 $? "the target (node $tgt) reports cluster_state:fail"

# while the old master is down: the open slots are finished from the node
# that took over; the unreachable listed node is refused by name
nk_reconcile "$(node "$rep")" "$(node_list 0-7)" 4 1
t_eq 2 "$T_RC" "reconcile with the killed node listed and down: refused"
t_contains "$NK_FIRST_OUT" "tell '$(node "$tgt")' the owners of" "tells the target the new owner of the slots it imports"
t_contains "$NK_FIRST_OUT" "one of whose nodes failed over; finishing them from '$(node "$rep")'" \
	"says it finishes the open slots from the replica that took over"
t_contains "$T_ERR" "cannot reach listed node '$(node "$src")'; start it or remove it from --nodes" \
	"names the unreachable node"
t_eq "" "$(open_slots)" "no slot left open"
C_SEED="$rep" verify_keys "node down" "$KEYS"

# the old master comes back (same nodes.conf): a replica of its successor
node_start "$src"
t_wait 20 role_is "$src" slave
t_eq 0 $? "the old master is back as a replica"
nk_reconcile "$(node "$rep")" "$(node_list 0-7)" 4 1
t_eq 0 "$T_RC" "reconcile converges once the node is back: $T_ERR"
t_run "$SHARDCTL" check "$(node 0)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "check: healthy 4x1 ($T_OUT)"
t_eq "4096 4096 4096 4096" "$(slot_counts 0)" "4 masters, 4096 slots each"
C_SEED=0 verify_keys "source killed, replica took over" "$KEYS"
echo "scenario 1: $KEYS keys, ${V_MISSING:-?} missing, ${V_WRONG:-?} wrong, $NK_DUPS fix runs for keys left on both sides, $(( $(date +%s) - ${start%.*} )) s"

# --- 2. source killed, no replica takes over (every replica is told not
# to fail over): 4x1 -> 5x1 with nodes 8 and 9; the node comes back with
# its nodes.conf (its MIGRATING slots) and its append-only file
start=$(date +%s)
NK_DUPS=0
nk_no_failover
nk_ids
nk_reconcile_bg "$(node_list 0-9)" 5 1
nk_kill_in_move source
t_eq 0 $? "source node $NK_KILLED killed $NK_KILL_MS ms into the move, the target holding $NK_KILL_KEYS keys"
src=$NK_KILLED src_id=${NK_ID[$NK_KILLED]}
rep=$(nk_replica_of "$src_id")
wait $NK_BG
t_eq 1 $? "the reconcile whose source died fails"
t_contains "$(cat "$T_DIR/bg.out")" "lost connection to '$(node "$src")'" "its message names the killed node"
t_contains "$(cat "$T_DIR/bg.out")" "the slots it was moving are left open: run reconcile again once the node is back or its replica has taken over" "and says what is left and when to go on"
sed 's/^/  | /' "$T_DIR/bg.out" | tail -3
# the kill lands while slots are open (the target importing from the
# source), or right after the target took the last window's slots over
# (SETSLOT NODE sent to the target, not yet to the source)
# slot_counts leaves failed masters out: read the map once the killed node
# is seen as failed, or a FAIL flag landing meanwhile looks like a change
t_wait 15 eval "cli $rep cluster nodes | grep '^$src_id' | grep -q fail"
before=$(open_slots)
map=$(slot_counts "$rep")
# while it is down: named, nothing changed
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-9)" --shards 5 --replicas 1 --wait 30
case "$before" in
*"-<-$src_id]"*)
	echo "  slots left importing from the killed source: $(echo "$before" | wc -w)"
	t_eq 1 "$T_RC" "reconcile while the source is down fails"
	t_contains "$T_ERR" "is importing it from '$(node "$src")', which cannot be reached; bring '$(node "$src")' back or let its replica take over" \
		"names the open slot and the unreachable node: $T_ERR" ;;
*)
	echo "  no slot left importing: the target had taken them over"
	t_eq 2 "$T_RC" "reconcile while the source is down is refused"
	t_contains "$T_ERR" "cannot reach listed node '$(node "$src")'; start it or remove it from --nodes" \
		"names the unreachable node: $T_ERR" ;;
esac
t_eq "$before" "$(open_slots)" "nothing changed: the same slots open"
t_eq "$map" "$(slot_counts "$rep")" "nothing changed: the same slot map"
t_eq slave "$(role "$rep")" "its replica did not take over"
node_start "$src"
t_wait 20 state_is "$src" ok
t_eq 0 $? "the source is back (cluster_state:ok)"
nk_reconcile "$(node "$rep")" "$(node_list 0-9)" 5 1
t_eq 0 "$T_RC" "reconcile converges once the node is back: $T_ERR"
t_contains "$NK_FIRST_OUT" "finishing" "it finished the open slots first"
t_run "$SHARDCTL" check "$(node 0)" --shards 5 --replicas 1
t_eq 0 "$T_RC" "check: healthy 5x1 ($T_OUT)"
t_eq "3276 3277 3277 3277 3277" "$(slot_counts 0)" "5 masters, even slots"
C_SEED=0 verify_keys "source killed, no failover, restarted" "$KEYS"
echo "scenario 2: $KEYS keys, ${V_MISSING:-?} missing, ${V_WRONG:-?} wrong, $NK_DUPS fix runs for keys left on both sides, $(( $(date +%s) - start )) s"
t_done
