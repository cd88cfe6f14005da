#!/usr/bin/env bash
# fix.sh - each kind of damage an interrupted migration leaves, made by hand
# with redis-cli on a 3-master cluster, then `shardctl fix`: a half-done move
# with keys partly moved, a lone MIGRATING or IMPORTING state, a key on both
# sides with different contents (stop, nothing overwritten; fixed after the
# user decides), an identical copy on both sides, uncovered slots with keys
# on one master, on none, and on two (stop).  Every key is verified.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

P=$(t_free_ports 1) || exit 1
A=127.0.12.1 B=127.0.12.2 C=127.0.12.3
for h in $A $B $C; do t_start_node $h "$P" --cluster-node-timeout 3000 || { t_not_ok "start $h"; t_done; }; done
cli_cluster create $A:"$P" $B:"$P" $C:"$P" --cluster-yes >/dev/null 2>&1
t_eq 0 $? "fixture: redis-cli --cluster create"
rc() { cli "$1:$P" "${@:2}"; } # rc HOST args...: the node on HOST
t_wait 20 healthy $A:"$P"
ID_A=$(rc $A cluster myid) ID_B=$(rc $B cluster myid) ID_C=$(rc $C cluster myid)

# tags whose keys land in A's range (0-5460), first ones found
mapfile -t SL < <(for i in $(seq 1 400); do echo "CLUSTER KEYSLOT t$i"; done | rc $A)
tags=()
for i in $(seq 1 400); do
	s=${SL[$((i - 1))]}
	[ "$s" -le 5460 ] && tags+=("t$i:$s")
	[ ${#tags[@]} -ge 8 ] && break
done
tag() { echo "${tags[$1]%%:*}"; }
slot() { echo "${tags[$1]##*:}"; }

declare -A WANT # key -> value every key must still have
put() { # put NODE KEY VALUE [asking]
	if [ "${4:-}" = asking ]; then printf 'ASKING\nSET %s %s\n' "$2" "$3" | rc "$1" >/dev/null
	else rc "$1" set "$2" "$3" >/dev/null; fi
}
load() { # load CASE N: N keys of case CASE's tag on the slot's owner A
	local k
	for ((k = 0; k < $2; k++)); do
		put $A "{$(tag "$1")}:$k" "v$1-$k"
		WANT["{$(tag "$1")}:$k"]="v$1-$k"
	done
}
verify() { # every key of WANT (this script's own keys, in the slots of its
	# cases: not sc-load's data set), one by one, through redirections
	local bad=0 k got
	for k in "${!WANT[@]}"; do
		got=$(rc $A -c get "$k" 2>&1)
		[ "$got" = "${WANT[$k]}" ] || { bad=$((bad + 1)); echo "  key $k: got '$got', want '${WANT[$k]}'"; }
	done
	t_eq 0 "$bad" "$1: all ${#WANT[@]} keys verified one by one"
}
migrate_keys() { # migrate_keys FROM TO CASE FIRST LAST [COPY]
	local keys=() k
	for ((k = $4; k <= $5; k++)); do keys+=("{$(tag "$3")}:$k"); done
	rc "$1" migrate "$2" "$P" "" 0 5000 ${6:-} KEYS "${keys[@]}" >/dev/null
}

fix() { t_run "$SHARDCTL" fix $A:"$P" --wait 30 "$@"; }

# background data, not to be touched
for ((k = 0; k < 300; k++)); do echo "SET bg:$k b$k"; WANT["bg:$k"]="b$k"; done >/dev/null
for ((k = 0; k < 300; k++)); do echo "SET bg:$k b$k"; done | rc $A -c >/dev/null

fix
t_eq 0 "$T_RC" "healthy cluster: exit 0"
t_contains "$T_OUT" "nothing to fix" "healthy cluster: nothing to fix"

# 1. both halves set, half the keys moved
S1=$(slot 0)
load 0 20
rc $B cluster setslot "$S1" importing "$ID_A" >/dev/null
rc $A cluster setslot "$S1" migrating "$ID_B" >/dev/null
migrate_keys $A $B 0 0 9
fix --dry-run
t_eq 0 "$T_RC" "dry run exits 0"
t_contains "$T_OUT" "would move slot $S1: finishing its move from '$A:$P' to '$B:$P' (10 keys left on the source, 10 already on the target)" "dry run says what it would move"
t_eq "$ID_A" "$(owner_of $A:$P "$S1")" "dry run changed nothing: slot still on A"
t_contains "$(open_slots)" "[$S1->-$ID_B]" "dry run changed nothing: slot still migrating"
fix
t_eq 0 "$T_RC" "half-done move: fix exits 0 ($T_ERR)"
t_eq "$ID_B" "$(owner_of $A:$P "$S1")" "half-done move finished: B owns slot $S1 (seen by A)"
t_eq "$ID_B" "$(owner_of $C:$P "$S1")" "half-done move finished: B owns slot $S1 (seen by C)"
t_eq 0 "$(rc $A cluster countkeysinslot "$S1")" "no key of slot $S1 left on A"
t_eq 20 "$(rc $B cluster countkeysinslot "$S1")" "all 20 keys of slot $S1 on B"
t_eq " " "$(open_slots) " "no open slot left"
verify "after case 1"

# 2. only MIGRATING set, nothing moved: closed, stays with A
S2=$(slot 1)
load 1 5
rc $A cluster setslot "$S2" migrating "$ID_C" >/dev/null
# 3. only IMPORTING set, target empty: closed
S3=$(slot 2)
load 2 5
rc $C cluster setslot "$S3" importing "$ID_A" >/dev/null
fix
t_eq 0 "$T_RC" "lone half states: fix exits 0"
t_contains "$T_OUT" "close slot $S2: only MIGRATING on the source was set" "lone MIGRATING closed, said why"
t_contains "$T_OUT" "close slot $S3: only IMPORTING on the target was set" "lone IMPORTING closed, said why"
t_eq "$ID_A" "$(owner_of $B:$P "$S2")" "slot $S2 stays with A"
t_eq "$ID_A" "$(owner_of $B:$P "$S3")" "slot $S3 stays with A"
t_eq " " "$(open_slots) " "no open slot left"
verify "after cases 2-3"

# 4. a key on both sides with different contents: stop, nothing overwritten
S4=$(slot 3)
load 3 10
rc $B cluster setslot "$S4" importing "$ID_A" >/dev/null
rc $A cluster setslot "$S4" migrating "$ID_B" >/dev/null
migrate_keys $A $B 3 0 3
put $B "{$(tag 3)}:7" "other-copy" asking
fix
t_eq 1 "$T_RC" "conflicting copies: fix exits 1"
t_contains "$T_OUT" "STOP slot $S4: key '{$(tag 3)}:7' exists on both '$A:$P' (source) and '$B:$P' (target) with different contents" "stop names slot, key and both nodes"
t_contains "$T_OUT" "Decide which copy is right" "stop says what to decide"
t_contains "$T_ERR" "1 slot needs a decision" "error line counts the slots needing a decision"
t_eq "v3-7" "$(rc $A get "{$(tag 3)}:7")" "source copy untouched"
t_eq "other-copy" "$(printf 'ASKING\nGET {%s}:7\n' "$(tag 3)" | rc $B | tail -n 1)" "target copy untouched"
t_contains "$(open_slots)" "[$S4->-$ID_B]" "the conflicting slot is left open"
# the user decides: the source's copy is right, the target's goes
printf 'ASKING\nDEL {%s}:7\n' "$(tag 3)" | rc $B >/dev/null
fix
t_eq 0 "$T_RC" "after the decision fix finishes the move"
t_eq "$ID_B" "$(owner_of $A:$P "$S4")" "slot $S4 now on B"
verify "after case 4"

# 5. an identical copy on both sides (MIGRATE COPY): removed from the source
S5=$(slot 4)
load 4 6
rc $B cluster setslot "$S5" importing "$ID_A" >/dev/null
rc $A cluster setslot "$S5" migrating "$ID_B" >/dev/null
migrate_keys $A $B 4 0 2 COPY
fix
t_eq 0 "$T_RC" "identical copies: fix exits 0"
t_contains "$T_OUT" "with the same contents: removed from the source" "identical copy removed from the source, said so"
t_eq "$ID_B" "$(owner_of $C:$P "$S5")" "slot $S5 now on B"
t_eq 6 "$(rc $B cluster countkeysinslot "$S5")" "all 6 keys of slot $S5 on B"
verify "after case 5"

# 6. uncovered, keys on A only; 7. uncovered, keys nowhere
S6=$(slot 5)
load 5 8
S7=$(slot 6)
for h in $A $B $C; do rc $h cluster delslots "$S6" "$S7" >/dev/null; done
t_eq "" "$(owner_of $A:$P "$S6")" "fixture: slot $S6 uncovered"
fix
t_eq 0 "$T_RC" "uncovered slots: fix exits 0"
t_contains "$T_OUT" "assign slot $S6 to '$A:$P': owned by no node, its keys are on '$A:$P' only" "uncovered slot with keys goes to their holder"
t_contains "$T_OUT" "assign slot $S7 to" "uncovered empty slot assigned"
t_contains "$T_OUT" "the master with fewest slots" "the choice for the empty slot is explained"
t_eq "$ID_A" "$(owner_of $C:$P "$S6")" "slot $S6 owned by A"
t_not_contains "$(owner_of $C:$P "$S7")" " " "slot $S7 owned by one master"
t_eq 1 "$(owner_of $C:$P "$S7" | grep -c .)" "slot $S7 covered"
verify "after cases 6-7"

# 8. uncovered, keys on two masters: stop
S8=$(slot 7)
load 7 4
rc $B cluster setslot "$S8" importing "$ID_A" >/dev/null
put $B "{$(tag 7)}:b" "on-b" asking
rc $B cluster setslot "$S8" stable >/dev/null
for h in $A $B $C; do rc $h cluster delslots "$S8" >/dev/null; done
fix
t_eq 1 "$T_RC" "keys on two masters: fix exits 1"
t_contains "$T_OUT" "STOP slot $S8 is owned by no node and its keys are on several masters (" "stop for keys on two masters"
t_contains "$T_OUT" "'$A:$P': 4 keys" "stop names A and its key count"
t_contains "$T_OUT" "'$B:$P': 1 key" "stop names B and its key count"
t_contains "$T_OUT" "decide which master keeps it" "stop says what to decide"
t_eq "" "$(owner_of $A:$P "$S8")" "the ambiguous slot is left unassigned"
t_eq 4 "$(rc $A cluster countkeysinslot "$S8")" "A's keys untouched"
t_eq 1 "$(rc $B cluster countkeysinslot "$S8")" "B's key untouched"
# the user decides for A, as the stop line says: A gets the slot, B's
# stray key goes
rc $A cluster addslots "$S8" >/dev/null
b_sees_a() { [ "$(owner_of $B:$P "$S8")" = "$ID_A" ]; }
t_wait 10 b_sees_a
rc $B cluster setslot "$S8" importing "$ID_A" >/dev/null
printf 'ASKING\nDEL {%s}:b\n' "$(tag 7)" | rc $B >/dev/null
rc $B cluster setslot "$S8" stable >/dev/null
t_eq 0 "$(rc $B cluster countkeysinslot "$S8")" "the steps the stop line gives remove the stray key"
fix
t_eq 0 "$T_RC" "after the decision fix exits 0"
c_sees_a() { [ "$(owner_of $C:$P "$S8")" = "$ID_A" ]; }
t_wait 10 c_sees_a
t_eq "$ID_A" "$(owner_of $C:$P "$S8")" "slot $S8 owned by A"
verify "at the end"

# 9. many slots left alike (a killed migration): one line for the run
for s in 100 101 102 104; do
	rc $C cluster setslot $s importing "$ID_A" >/dev/null
	rc $A cluster setslot $s migrating "$ID_C" >/dev/null
done
fix
t_eq 0 "$T_RC" "many open slots: fix exits 0"
t_contains "$T_OUT" "move slots 100-102,104 (4 slots): finishing their move from '$A:$P' to '$C:$P'" "slots left alike share one line"
t_eq "$ID_C" "$(owner_of $B:$P 104)" "slot 104 now on C"
verify "after case 9"

# 11. the target imports slots whose owner it does not know (it began
# importing right after it joined, before gossip told it; Redis ignores
# gossip about slots a node imports): it is in cluster_state:fail and every
# RESTORE there fails with "Hash slot not served" until it is told the owner
S11=$(slot 1) S12=$(slot 2)
# (the DELSLOTS and the IMPORTINGs reach C in one write, so no gossip of A's
# is read between them to teach C the owner again; a busy machine did that)
printf 'CLUSTER DELSLOTS %s %s\r\nCLUSTER SETSLOT %s IMPORTING %s\r\nCLUSTER SETSLOT %s IMPORTING %s\r\n' \
	"$S11" "$S12" "$S11" "$ID_A" "$S12" "$ID_A" | rc $C --pipe >/dev/null
for s in $S11 $S12; do
	rc $A cluster setslot "$s" migrating "$ID_C" >/dev/null
done
migrate_keys $A $C 1 0 0 2>/dev/null
t_eq 5 "$(rc $A cluster countkeysinslot "$S11")" "fixture: MIGRATE to a target that does not know the owner fails"
fix
t_eq 0 "$T_RC" "target unaware of the owners: fix exits 0 ($(echo "$T_OUT" | grep STOP | head -n 1))"
t_contains "$T_OUT" "the owners of 2 slots it sees unassigned" "fix says it told the target the owners"
t_eq "$ID_C" "$(owner_of $B:$P "$S11")" "slot $S11 now on C"
t_eq "$ID_C" "$(owner_of $B:$P "$S12")" "slot $S12 now on C"
t_eq 5 "$(rc $C cluster countkeysinslot "$S11")" "its 5 keys on C"
verify "after case 11"

# 10. a key on a master that does not own its slot (slot not open): stop
S10=$(slot 0)
rc $A cluster setslot "$S10" importing "$ID_B" >/dev/null
put $A "{$(tag 0)}:stray" "lost" asking
rc $A cluster setslot "$S10" stable >/dev/null
fix
t_eq 1 "$T_RC" "a stray key: fix exits 1"
t_contains "$T_OUT" "STOP slot $S10: '$A:$P' holds 1 key of it but does not own it ('$B:$P' does)" "the stray key is reported with both nodes"
t_eq 1 "$(rc $A cluster countkeysinslot "$S10")" "the stray key is left alone"
rc $A cluster setslot "$S10" importing "$ID_B" >/dev/null
printf 'ASKING\nDEL {%s}:stray\n' "$(tag 0)" | rc $A >/dev/null
rc $A cluster setslot "$S10" stable >/dev/null
verify "after case 10"

t_run cli_cluster check $A:"$P"
t_not_contains "$T_OUT" "[ERR]" "redis-cli --cluster check: no error"
t_contains "$T_OUT" "[OK] All 16384 slots covered." "redis-cli --cluster check: all slots covered"
if "$SHARDCTL" check --help >/dev/null 2>&1; then
	t_run "$SHARDCTL" check $A:"$P"
	t_eq 0 "$T_RC" "shardctl check passes: $T_OUT $T_ERR"
fi
fix
t_contains "$T_OUT" "nothing to fix" "fix again: nothing to fix"
t_done
