#!/usr/bin/env bash
# sc-load, the cluster-aware load and verify client, on a 3-master cluster
# made with redis-cli --cluster create (a fixture independent of shardctl):
# fill and verify, exact reporting of a missing and a changed key, a run with
# no errors on a stable cluster, and MOVED / ASK followed while slots are
# moved by hand (CLUSTER SETSLOT + MIGRATE) under a running load.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
LOAD=$SHARDCTL_TOOLS/sc-load
H=127.0.4.1
[ -x "$LOAD" ] || { t_not_ok "sc-load not built at $LOAD"; t_done; }

base=$(t_free_ports 3) || exit 1
for i in 0 1 2; do t_start_node $H $((base + i)) || exit 1; done
A=$H:$base B=$H:$((base + 1)) C=$H:$((base + 2))
rc() { cli $H:"$1" "${@:2}"; }
cli_cluster create $A $B $C --cluster-yes >"$T_DIR/create.log" 2>&1 ||
	{ t_not_ok "cluster create: $(tail -3 "$T_DIR/create.log")"; t_done; }
t_wait 20 healthy $A ||
	{ t_not_ok "cluster did not become ok"; t_done; }

N=20000
t_run "$LOAD" fill --seed $A --keys $N --size 100
t_eq 0 "$T_RC" "fill exits 0"
t_contains "$T_OUT" "filled $N keys of 100 bytes" "fill reports the count"
t_eq "$N" "$(( $(rc $base dbsize) + $(rc $((base + 1)) dbsize) + $(rc $((base + 2)) dbsize) ))" "the cluster holds exactly N keys"
t_contains "$(cli $H:$base -c get k:7)" "7.0." "values carry their index"

t_run "$LOAD" verify --seed $B --keys $N --size 100 --json
t_eq 0 "$T_RC" "verify exits 0 on intact data"
t_contains "$T_OUT" "\"ok\":$N,\"missing\":0,\"wrong\":0,\"errors\":0" "verify counts every key ok"

# copy, the floors of the benchmark: DUMP/RESTORE and MIGRATE ... COPY of
# slots 0-9999 into a plain node; the cluster keeps its keys
fbase=$(t_free_ports 1) || exit 1
t_start_plain $H "$fbase"
# the keys of slots 0-9999, counted on their owners
for p in $base $((base + 1)) $((base + 2)); do
	own=$(rc $p cluster nodes | awk '$3 ~ /myself/ { for (i = 9; i <= NF; i++) print $i }')
	for r in $own; do
		lo=${r%-*} hi=${r#*-}
		[ "$hi" -gt 9999 ] && hi=9999
		for ((x = lo; x <= hi; x++)); do echo "CLUSTER COUNTKEYSINSLOT $x"; done
	done | rc $p | awk '{ n += $1 } END { print n + 0 }' >>"$T_DIR/counts"
done
inslots=$(awk '{ n += $1 } END { print n }' "$T_DIR/counts")
for mode in "" --migrate; do
	rc "$fbase" flushall >/dev/null
	t_run "$LOAD" copy $mode --seed $A --to $H:$fbase --slots 0-9999
	t_eq 0 "$T_RC" "copy $mode exits 0 ($T_ERR)"
	t_contains "$T_OUT" "copied $inslots keys" "copy $mode reports the keys of slots 0-9999"
	t_eq "$inslots" "$(rc "$fbase" dbsize)" "copy $mode: the target holds exactly those keys"
	k=$(rc "$fbase" randomkey)
	t_eq "$(cli $H:$base -c get "$k")" "$(rc "$fbase" get "$k")" "copy $mode: '$k' has its value"
done
t_eq "$N" "$(( $(rc $base dbsize) + $(rc $((base + 1)) dbsize) + $(rc $((base + 2)) dbsize) ))" "the cluster still holds N keys after the copies"
cli $H:"$fbase" shutdown nosave >/dev/null 2>&1

# one key deleted, one changed by a single byte, one with another size
cli $H:$base -c del k:123 >/dev/null
v=$(cli $H:$base -c get k:4567)
cli $H:$base -c set k:4567 "${v:0:50}X${v:51}" >/dev/null
cli $H:$base -c set k:19999 short >/dev/null
t_run "$LOAD" verify --seed $A --keys $N --size 100
t_eq 1 "$T_RC" "verify exits 1 on a mismatch"
t_contains "$T_OUT" "$((N - 3)) ok, 1 missing, 2 wrong, 0 errors" "verify counts exactly the damage"
t_eq "missing 'k:123'" "$(grep k:123 <<<"$T_ERR")" "the missing key is named"
t_contains "$T_ERR" "wrong 'k:4567'" "the changed key is named"
t_contains "$T_ERR" "wrong 'k:19999'" "the resized key is named"
t_eq 3 "$(wc -l <<<"$T_ERR")" "no other key is named"
t_run "$LOAD" verify --seed $A --keys $N --size 100 --data-seed 1
t_contains "$T_OUT" "0 ok" "another data seed matches nothing"
"$LOAD" fill --seed $A --keys $N --size 100 >/dev/null
t_run "$LOAD" verify --seed $A --keys $N
t_eq 0 "$T_RC" "refill repairs the damage"

# databases: usage checked first; in cluster mode only Valkey 9 with
# cluster-databases has more than database 0 (tests/integration/multidb.sh)
for bad in "--db x" "--dbs 0,1,1" "--dbs ," "--db -1"; do
	t_run "$LOAD" verify --seed $A --keys 10 $bad
	t_eq 2 "$T_RC" "verify $bad is a usage error ($T_ERR)"
done
t_run "$LOAD" fill --seed $A --keys 10 --db 0
t_eq 0 "$T_RC" "--db 0 is the default database ($T_ERR)"
t_run "$LOAD" fill --seed $A --keys 10 --db 1
t_eq 1 "$T_RC" "--db 1 where SELECT is refused: exit 1"
t_contains "$T_ERR" "SELECT" "--db 1 where SELECT is refused: the refusal is named"

t_run "$LOAD" verify --seed $A --keys 10 --frobnicate
t_eq 2 "$T_RC" "unknown option is a usage error"
t_run "$LOAD" fill --keys 10
t_eq 2 "$T_RC" "missing --seed is a usage error"
t_contains "$T_ERR" "--seed HOST:PORT is required" "and says so"

# a stable cluster: a run sees no error at all
t_run "$LOAD" run --seed $C --seconds 2 --rate 2000 --keys $N --json
t_eq 0 "$T_RC" "run exits 0 on a stable cluster"
t_contains "$T_OUT" '"errors":0,"wrong":0,"lost":0' "run: no errors, nothing wrong or lost"
ops=$(sed -E 's/.*"ops":([0-9]+).*/\1/' <<<"$T_OUT")
[ "${ops:-0}" -gt 1000 ] && t_ok "run did work ($ops ops)" || t_not_ok "run did too little: $T_OUT"

# slots moved by hand from A to B under load: IMPORTING/MIGRATING for 300
# slots at once, keys migrated slot by slot (so the client meets ASK), then
# the slots given to B (so it meets MOVED).
idA=$(rc $base cluster myid) idB=$(rc $((base + 1)) cluster myid)
slots=$(seq 100 399) # A owns 0-5460 after create
"$LOAD" run --seed $A --seconds 40 --rate 2000 --keys $N --run-keys 2000 --json \
	>"$T_DIR/run.json" 2>"$T_DIR/run.err" &
runpid=$!
sleep 0.5
for s in $slots; do echo "CLUSTER SETSLOT $s IMPORTING $idA"; done | rc $((base + 1)) >/dev/null
for s in $slots; do echo "CLUSTER SETSLOT $s MIGRATING $idB"; done | rc $base >/dev/null
# half-way state: some slots migrated, others not; a verify meets ASK
for s in $(seq 100 249); do
	keys=$(rc $base cluster getkeysinslot $s 1000)
	[ -n "$keys" ] && rc $base migrate $H $((base + 1)) "" 0 5000 keys $keys >/dev/null
done
t_run "$LOAD" verify --seed $A --keys $N --json
t_eq 0 "$T_RC" "verify passes with slots half migrated"
ask=$(sed -E 's/.*"ask":([0-9]+).*/\1/' <<<"$T_OUT")
[ "${ask:-0}" -gt 0 ] && t_ok "verify followed ASK ($ask)" || t_not_ok "no ASK seen: $T_OUT"
sleep 1
for s in $(seq 250 399); do
	keys=$(rc $base cluster getkeysinslot $s 1000)
	[ -n "$keys" ] && rc $base migrate $H $((base + 1)) "" 0 5000 keys $keys >/dev/null
done
# finish: target first, then source, then the other master
for p in $((base + 1)) $base $((base + 2)); do
	for s in $slots; do echo "CLUSTER SETSLOT $s NODE $idB"; done | rc $p >/dev/null
done
sleep 1.5
kill -TERM $runpid
wait $runpid
runrc=$?
out=$(cat "$T_DIR/run.json")
t_eq 0 "$runrc" "run under a manual slot move exits 0 ($(cat "$T_DIR/run.err" | head -3))"
t_contains "$out" '"errors":0,"wrong":0,"lost":0' "run: zero errors during the move"
moved=$(sed -E 's/.*"moved":([0-9]+).*/\1/' <<<"$out")
ask=$(sed -E 's/.*"ask":([0-9]+).*/\1/' <<<"$out")
[ "${moved:-0}" -gt 0 ] && t_ok "run followed MOVED ($moved)" || t_not_ok "run saw no MOVED: $out"
[ "${ask:-0}" -gt 0 ] && t_ok "run followed ASK ($ask)" || t_not_ok "run saw no ASK: $out"
t_eq 0 "$(rc $base cluster countkeysinslot 150)" "slot 150 left A"
t_run "$LOAD" verify --seed $C --keys $N --json
t_eq 0 "$T_RC" "every key intact after the move"
t_contains "$T_OUT" '"missing":0,"wrong":0,"errors":0' "verify after the move"
t_done
