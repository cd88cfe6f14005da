#!/usr/bin/env bash
# reconcile_node_kill_target.sh - the TARGET master of a slot move is killed
# (SIGKILL) in the middle of a reconcile:
#  1. 3x1 -> 4x1, its replica takes over (the target is killed once it owns
#     a slot: Redis fails over only a master that owns slots).  The keys the
#     target had stored and acknowledged but not yet sent to its replica
#     are what asynchronous replication loses: counted, and allowed only in
#     the slots that were moving to the killed target.  The running
#     reconcile fails naming the node; a reconcile while it is down names
#     the open slot and the node and changes nothing; once the old target
#     is back (a replica of its successor), reconcile goes on with the
#     successor and converges.
#  2. 4x1 -> 5x1, no replica takes over (every replica told not to): the
#     target comes back with its nodes.conf and append-only file, and
#     reconcile converges with every key.
# reconcile_node_kill_gone.sh: the old target never comes back.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
source "$(dirname "$0")/lib/node_kill.bash"

nk_setup 10

# --- 1. target killed, its replica takes over
nk_ids
start=$(date +%s)
nk_reconcile_bg "$(node_list 0-7)" 4 1
nk_kill_in_move target owns
t_eq 0 $? "target node $NK_KILLED killed $NK_KILL_MS ms into the move, holding $NK_KILL_KEYS keys"
tgt=$NK_KILLED tgt_id=${NK_ID[$NK_KILLED]} src=$NK_SRC
killed_at=$(date +%s.%N)
rep=$(nk_replica_of "$tgt_id")
inflight=$(nk_inflight "$src" "$tgt_id")
wait $NK_BG
rc=$?
sed 's/^/  | /' "$T_DIR/bg.out" | tail -3
t_eq 1 "$rc" "the reconcile whose target died fails"
t_contains "$(cat "$T_DIR/bg.out")" "lost connection to '$(node "$tgt")'" "its message names the killed node"
t_contains "$(cat "$T_DIR/bg.out")" "the slots it was moving are left open: run reconcile again once the node is back or its replica has taken over" "and says what is left and when to go on"
before=$(open_slots)
t_contains "$before" "->-$tgt_id]" "slots are left migrating to the killed node"
t_wait 20 role_is "$rep" master
t_eq 0 $? "node $rep (its replica) took over"
echo "  failover $(echo "$(date +%s.%N) - $killed_at" | bc) s after the kill"
t_wait 10 nk_sees_owner "$src" "${NK_ID[$rep]}"
t_eq 0 $? "the source sees node $rep owning the killed target's slots"
# while the old target is down: the open slot and the node are named,
# nothing changes
map=$(slot_counts "$src")
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7)" --shards 4 --replicas 1 --wait 30
t_eq 1 "$T_RC" "reconcile while the target is down fails"
t_contains "$T_ERR" "is left open: '$(node "$src")' is migrating it to '$(node "$tgt")', which cannot be reached; bring '$(node "$tgt")' back" \
	"names the open slot and the unreachable node: $T_ERR"
t_eq "$before" "$(open_slots)" "nothing changed: the same slots open"
t_eq "$map" "$(slot_counts "$src")" "nothing changed: the same slot map"
# the old target comes back: a replica of its successor
node_start "$tgt"
t_wait 20 role_is "$tgt" slave
t_eq 0 $? "the old target is back as a replica"
nk_reconcile "$(node "$rep")" "$(node_list 0-7)" 4 1
t_eq 0 "$T_RC" "reconcile converges once the node is back: $T_ERR"
t_contains "$NK_FIRST_OUT" "one of whose nodes failed over; finishing them from '$(node "$src")' to '$(node "$rep")'" \
	"says it finishes the open slots with the replica that took over"
t_run "$SHARDCTL" check "$(node 0)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "check: healthy 4x1 ($T_OUT)"
t_eq "4096 4096 4096 4096" "$(slot_counts 0)" "4 masters, 4096 slots each"
nk_verify_loss 0 "$KEYS" "target killed, replica took over" $inflight
echo "scenario 3a: $KEYS keys, ${V_MISSING:-?} lost (acknowledged by the killed target, not yet replicated), ${V_WRONG:-?} wrong, $NK_DUPS fix runs, $(( $(date +%s) - start )) s"

# --- 2. target killed, no replica takes over: 4x1 -> 5x1 (nodes 8, 9)
start=$(date +%s)
nk_no_failover
nk_ids
NK_DUPS=0
nk_reconcile_bg "$(node_list 0-9)" 5 1
nk_kill_in_move target
t_eq 0 $? "target node $NK_KILLED killed $NK_KILL_MS ms into the move, holding $NK_KILL_KEYS keys"
tgt=$NK_KILLED tgt_id=${NK_ID[$NK_KILLED]} src=$NK_SRC
inflight3b=$(nk_inflight "$src" "$tgt_id")
wait $NK_BG
t_eq 1 $? "the reconcile whose target died fails"
sed 's/^/  | /' "$T_DIR/bg.out" | tail -2
t_contains "$(cat "$T_DIR/bg.out")" "lost connection to '$(node "$tgt")'" "its message names the killed node"
t_contains "$(cat "$T_DIR/bg.out")" "the slots it was moving are left open: run reconcile again once the node is back or its replica has taken over" "and says what is left and when to go on"
before=$(open_slots)
t_contains "$before" "->-$tgt_id]" "slots are left migrating to the killed node"
map=$(slot_counts "$src")
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-9)" --shards 5 --replicas 1 --wait 30
t_eq 1 "$T_RC" "reconcile while the target is down fails"
t_contains "$T_ERR" "is left open: '$(node "$src")' is migrating it to '$(node "$tgt")', which cannot be reached; bring '$(node "$tgt")' back" \
	"names the open slot and the unreachable node: $T_ERR"
t_eq "$before" "$(open_slots)" "nothing changed: the same slots open"
t_eq "$map" "$(slot_counts "$src")" "nothing changed: the same slot map"
node_start "$tgt"
t_wait 20 state_is "$tgt" ok
t_eq 0 $? "the target is back (cluster_state:ok)"
t_eq master "$(role "$tgt")" "still a master: no replica took over"
nk_reconcile "$(node "$src")" "$(node_list 0-9)" 5 1
t_eq 0 "$T_RC" "reconcile converges once the node is back: $T_ERR"
t_contains "$NK_FIRST_OUT" "finishing" "it finished the open slots first"
t_run "$SHARDCTL" check "$(node 0)" --shards 5 --replicas 1
t_eq 0 "$T_RC" "check: healthy 5x1 ($T_OUT)"
t_eq "3276 3277 3277 3277 3277" "$(slot_counts 0)" "5 masters, even slots"
lost3a=$V_MISSING
nk_verify_loss 0 "$KEYS" "target killed, no failover, restarted" $inflight $inflight3b
t_eq "$lost3a" "$V_MISSING" "no key lost in this scenario (only the ${lost3a} of the failover above are missing)"
echo "scenario 3b: $KEYS keys, ${V_MISSING:-?} missing, ${V_WRONG:-?} wrong, $NK_DUPS fix runs, $(( $(date +%s) - start )) s"

t_done
