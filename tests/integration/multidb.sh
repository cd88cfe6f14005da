#!/usr/bin/env bash
# multidb.sh - Valkey 9 with cluster-databases 16: keys in databases 0, 1
# and 15 move with their slots.  4 -> 5 shards with a client running in all
# three databases, then 5 -> 4 killed (SIGKILL) in the middle of its moves
# and run again.  After each: every key of every database read back, no
# slot left open, no node that deleted keys of a "dirty slot" (what a slot
# handed over with keys left in another database leads to), check healthy.
# The server: valkey-9.1 of scripts/servers.sh (SERVERS_DIR).
# The moves run the legacy method (--migration legacy), whose per-database
# walk (SELECT, GETKEYSINSLOT, MIGRATE, the SLOT-STATS count) this tests: on
# 9.1 `auto` would pick atomic slot migration, where the server itself moves
# every database and the source drops a moved slot's keys by the dirty-slot
# path, which the no_dirty check below rightly flags for the legacy method.
# MULTIDB_REPLICAS (default 0) sets the replicas per shard: with 1, each
# change takes minutes here (Valkey 8+ waits for the replicas on every
# SETSLOT) and a killed run leaves marks on replicas that reconcile does not
# resume yet, so the default keeps to masters.
# MULTIDB_MIGRATION (default legacy) sets the method of every reconcile:
# with atomic the server moves the databases (and the source drops a moved
# slot's keys by the dirty-slot path, so that check is skipped); on 9.1.2
# the client then loses writes (a server fault: docs/ENGINE.md "Databases").
source "$(dirname "$0")/../lib/test-lib.bash"
read -r _ T_REDIS_SERVER T_REDIS_CLI < <("$T_ROOT/scripts/servers.sh" valkey-9.1) ||
	{ t_not_ok "valkey-9.1 from scripts/servers.sh (SERVERS_DIR)"; t_done; }
T_SERVER_NAME=$(basename "$T_REDIS_SERVER")
source "$(dirname "$0")/lib/cluster.bash"

K=20000 DBS=0,1,15 R=${MULTIDB_REPLICAS:-0} M=${MULTIDB_MIGRATION:-legacy}
cluster_up $((5 * (1 + R))) 4 $R 0 --cluster-node-timeout 5000 --cluster-databases 16
fill_keys $K --dbs $DBS
for d in 0 1 15; do
	n=0
	for ((i = 0; i < 4 * (1 + R); i++)); do n=$((n + $(cli $i -n $d dbsize 2>/dev/null || echo 0))); done
	t_eq $((K * (1 + R))) "$n" "database $d holds its keys"
done

# no_dirty WHAT: no node's log says it deleted keys of a slot it lost
no_dirty() {
	local hits
	[ "$M" = legacy ] || return 0
	hits=$(grep -l "Deleting keys in dirty slot" "$T_DIR"/node-*/redis.log 2>/dev/null | xargs)
	t_eq "" "$hits" "$1: no node deleted keys of a dirty slot"
}

# settled WHAT SHARDS: even masters, no open slot, every key of every
# database, no dirty-slot deletion, check healthy
settled() {
	t_eq "$(even_counts "$2")" "$(slot_counts)" "$1: $2 even masters"
	t_eq "" "$(open_slots)" "$1: no open slot"
	verify_keys "$1" $K --dbs $DBS
	no_dirty "$1"
	t_run "$SHARDCTL" check "$(node 0)" --shards "$2" --replicas $R
	t_eq 0 "$T_RC" "$1: check healthy: $(tail -2 <<<"$T_OUT$T_ERR")"
}

# by default keys of several databases take the legacy path (Valkey's atomic
# slot migration can put a write into another database: docs/ENGINE.md,
# asm_multidb_server.sh)
t_run "$SHARDCTL" plan --nodes "$(node_list 0-$((5 * (1 + R) - 1)))" --shards 5 --replicas $R
t_eq 0 "$T_RC" "plan 4 -> 5 with keys in several databases: $T_ERR"
t_contains "$T_OUT$T_ERR" "holds keys in several databases" "auto keeps several databases on the legacy path"

# 4 -> 5 with sc-load reading and writing in the three databases
"$SC_LOAD" run --seed "$(node 0)" --seconds 600 --rate 300 --dbs $DBS --keys $K >"$T_DIR/run.out" 2>&1 &
load=$!
t_run "$SHARDCTL" reconcile --migration $M --nodes "$(node_list 0-$((5 * (1 + R) - 1)))" --shards 5 --replicas $R
t_eq 0 "$T_RC" "4 -> 5: reconcile: $(tail -1 <<<"$T_ERR")"
kill -INT $load 2>/dev/null
wait $load
t_eq 0 $? "4 -> 5: the client saw no error, nothing wrong or lost: $(tail -1 "$T_DIR/run.out")"
settled "4 -> 5" 5

# 5 -> 4 killed in the middle of its moves, then run again
list4=$(node_list 0-$((4 * (1 + R) - 1)))
"$SHARDCTL" reconcile --migration $M --nodes "$list4" --shards 4 --replicas $R >"$T_DIR/k.out" 2>&1 &
p=$!
t_wait 30 grep -q "moving" "$T_DIR/k.out"
sleep 2
kill -9 $p 2>/dev/null
wait $p 2>/dev/null
echo "open slots after the kill: $(open_slots | wc -w)"
verify_keys "killed in 5 -> 4" $K --dbs $DBS
t_run "$SHARDCTL" reconcile --migration $M --nodes "$list4" --shards 4 --replicas $R
t_eq 0 "$T_RC" "5 -> 4 run again after the kill: $(tail -1 <<<"$T_ERR")"
settled "5 -> 4 after the kill" 4

# status counts the keys of every database (the data set, and what the
# client wrote in its own namespace)
all=0
for ((i = 0; i < 4 * (1 + R); i++)); do
	role_is $i master || continue
	all=$((all + $(cli $i info keyspace | tr -d '\r' | sed -n 's/^db[0-9]*:keys=\([0-9]*\).*/\1/p' | paste -sd+ | bc)))
done
t_run "$SHARDCTL" status "$(node 0)" --json
t_eq "$all" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"])' <<<"$T_OUT")" \
	"status: keys of every database ($all, of which $((3 * K)) the data set)"

# verify tells the databases apart: a key moved out of database 1 is
# missing there, database 15's value copied over a key of database 1 is
# wrong there
cli 0 -c -n 1 move k:5 2 >/dev/null
cli 0 -c -n 15 copy k:7 k:7 db 1 replace >/dev/null
t_run "$SC_LOAD" verify --seed "$(node 0)" --keys $K --dbs $DBS
t_eq 1 "$T_RC" "verify after a key left database 1 and another was overwritten from 15: exit 1"
t_contains "$T_OUT" "$((3 * K - 2)) ok, 1 missing, 1 wrong" "verify counts exactly those two"
t_done
