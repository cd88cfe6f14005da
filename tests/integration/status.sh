#!/usr/bin/env bash
# status.sh - `shardctl status` on a real 3x1 cluster built with plain
# redis-cli commands, with uneven ranges (one master owns two) and announced
# hostnames: the table's ranges, slot counts and keys, the slot map, --json
# (parsed, and compared key count by key count with DBSIZE), a killed node,
# the server column (what INFO server says each node runs), and usage errors.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
source "$(dirname "$0")/lib/manual_cluster.bash"
H=127.0.1.9
P=$(t_free_ports 6) || exit 1
MC_SLOTS="0-5000,10000-12000 5001-9999 12001-16383" mc_create "$H" "$P" 3 1 \
	--cluster-announce-hostname "pod.example" || { t_not_ok "cluster built"; t_done; }
S=$H:$P
py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# 300 keys through the cluster (redis-cli -c follows MOVED)
for i in $(seq 1 300); do cli $H:"$P" -c set "key:$i" "v$i" >/dev/null; done
keys() { cli $H:"$1" dbsize; }
synced() { [ "$(keys $((P + 3)))" = "$(keys "$P")" ] && [ "$(keys $((P + 4)))" = "$(keys $((P + 1)))" ] &&
	[ "$(keys $((P + 5)))" = "$(keys $((P + 2)))" ]; }
t_wait 10 synced

t_run "$SHARDCTL" status "$S"
t_eq 0 "$T_RC" "status: exit 0"
t_contains "$T_OUT" "cluster: 6 nodes (6 reachable), 3 shards, 16384/16384 slots covered, all views agree" "status: summary"
row() { printf '%s\n' "$T_OUT" | grep -E "^$1 +master +$H:$2 "; }
t_contains "$(row A "$P")" " 7002 " "shard A: 7002 slots"
t_contains "$(row A "$P")" "0-5000 10000-12000" "shard A: two ranges"
t_contains "$(row A "$P")" " $(keys "$P") " "shard A: keys = DBSIZE"
t_contains "$(row B $((P + 1)))" " 4999 " "shard B: 4999 slots"
t_contains "$(row B $((P + 1)))" "5001-9999" "shard B: range"
t_contains "$(row C $((P + 2)))" " 4383 " "shard C: 4383 slots"
t_contains "$(row C $((P + 2)))" "12001-16383" "shard C: range"
t_contains "$(row C $((P + 2)))" " ok " "shard C: link ok"
# the server: valkey_version when present, else redis_version, as INFO says
server_of() {
	local i v
	i=$(cli $H:"$1" info server | tr -d '\r')
	v=$(sed -n 's/^valkey_version://p' <<<"$i")
	if [ -n "$v" ]; then echo "valkey $v"; else echo "redis $(sed -n 's/^redis_version://p' <<<"$i")"; fi
}
SV=$(server_of "$P")
t_contains "$(printf '%s\n' "$T_OUT" | grep -E '^SHARD ')" " SERVER " "server column shown"
t_contains "$(row A "$P")" " $SV " "shard A: server $SV"
t_contains "$(printf '%s\n' "$T_OUT" | grep -E "^ +replica +$H:$((P + 3)) ")" " $(server_of $((P + 3))) " \
	"A's replica: its server"
t_contains "$T_OUT" "HOSTNAME" "hostname column shown"
t_contains "$T_OUT" "pod.example" "announced hostname shown"
t_eq 3 "$(printf '%s\n' "$T_OUT" | grep -cE '^ +replica ')" "three replica rows"
# replica rows sit right under their master
t_contains "$(printf '%s\n' "$T_OUT" | grep -A1 -E "^A +master" | tail -1)" "replica $H:$((P + 3))" "A's replica under A"
# the slot map: cells of 128 slots
map=$(printf '%s\n' "$T_OUT" | grep -E '^ +(0|8192) [A-C.]{64}$' | awk '{print $2}' | tr -d '\n')
t_eq 128 "${#map}" "slot map: 128 cells"
t_eq A "${map:0:1}" "slot map: cell 0 is A"
t_eq B "${map:50:1}" "slot map: cell 50 (slot 6400) is B"
t_eq A "${map:80:1}" "slot map: cell 80 (slot 10240) is A"
t_eq C "${map:127:1}" "slot map: last cell is C"
t_contains "$T_OUT" "legend: A=$H:$P B=$H:$((P + 1)) C=$H:$((P + 2))" "legend"
t_contains "$T_OUT" "total: 300 keys on the masters, " "total keys"

# --json: the same data
t_run "$SHARDCTL" status "$S" --json
t_eq 0 "$T_RC" "--json: exit 0"
t_eq "3 6 True" "$(printf '%s' "$T_OUT" | py 'print(d["shards_count"], d["nodes"], d["agree"])')" "--json: counts"
t_eq "[[0, 5000], [10000, 12000]] [[5001, 9999]] [[12001, 16383]]" \
	"$(printf '%s' "$T_OUT" | py 'print(*[s["ranges"] for s in d["shards"]])')" "--json: ranges"
t_eq "7002 4999 4383" "$(printf '%s' "$T_OUT" | py 'print(*[s["slots"] for s in d["shards"]])')" "--json: slot counts"
t_eq "$(keys "$P") $(keys $((P + 1))) $(keys $((P + 2)))" \
	"$(printf '%s' "$T_OUT" | py 'print(*[s["master"]["keys"] for s in d["shards"]])')" "--json: keys per master = DBSIZE"
t_eq 300 "$(printf '%s' "$T_OUT" | py 'print(sum(s["master"]["keys"] for s in d["shards"]))')" "--json: 300 keys in all"
t_eq "300 True" "$(printf '%s' "$T_OUT" | py 'print(d["keys"], d["totals_complete"])')" "--json: total keys"
t_eq "1 1 1" "$(printf '%s' "$T_OUT" | py 'print(*[len(s["replicas"]) for s in d["shards"]])')" "--json: one replica each"
t_eq "True" "$(printf '%s' "$T_OUT" | py 'print(all(r["replication_link_up"] for s in d["shards"] for r in s["replicas"]))')" "--json: replication links up"
t_eq "pod.example" "$(printf '%s' "$T_OUT" | py 'print(d["shards"][0]["master"]["hostname"])')" "--json: hostname"
t_eq "$map" "$(printf '%s' "$T_OUT" | py 'print(d["slot_map"]["cells_owner"])')" "--json: same slot map"
t_eq "$SV" "$(printf '%s' "$T_OUT" | py 's=d["shards"][0]["master"]["server"]; print(s["family"], s["version"])')" \
	"--json: the master's server"
t_eq "6 True" "$(printf '%s' "$T_OUT" | py 'n=[m for s in d["shards"] for m in [s["master"]] + s["replicas"]]
print(len(n), all(m["server"]["dump_format"] in (10, 11, 12, 13, 80) for m in n))')" "--json: every node's DUMP format"

# an open slot and a killed replica show up
dst=$(cli $H:$((P + 1)) cluster myid)
cli $H:"$P" cluster setslot 42 migrating "$dst" >/dev/null
kill -9 "$(mc_pid $H $((P + 5)))"
t_run "$SHARDCTL" status "$S"
t_eq 0 "$T_RC" "status of a troubled cluster: still exit 0"
t_contains "$T_OUT" "6 nodes (5 reachable)" "killed replica: 5 reachable"
t_contains "$T_OUT" "slot 42 migrating to ${dst:0:8}" "open slot shown"
t_contains "$(printf '%s\n' "$T_OUT" | grep -E "replica +$H:$((P + 5)) ")" "unreachable" "killed replica: link unreachable"
t_eq 1 "$(printf '%s\n' "$T_OUT" | grep -cE "replica +$H:$((P + 5)) .* - +unreachable")" "killed replica: server unknown (-)"
t_contains "$T_OUT" "cannot connect to '$H:$((P + 5))'" "killed replica: why"
t_run "$SHARDCTL" status "$S" --json
t_eq "False migrating None" "$(printf '%s' "$T_OUT" | py 'r=d["shards"][2]["replicas"][0]; print(r["reachable"], d["shards"][0]["master"]["open_slots"][0]["state"], r["server"])')" "--json: troubles"

# IPv6: a 3x0 cluster on ::1, addresses written [::1]:port
V=$(t_free_ports 3) || exit 1
mc_create ::1 "$V" 3 0 || t_not_ok "IPv6 cluster built"
t_wait 10 "$SHARDCTL" check "[::1]:$V" --shards 3 --replicas 0 && t_ok "IPv6: healthy" || t_not_ok "IPv6: healthy"
t_run "$SHARDCTL" status "[::1]:$V"
t_contains "$T_OUT" "cluster: 3 nodes (3 reachable), 3 shards, 16384/16384 slots covered" "IPv6: summary"
t_contains "$T_OUT" "legend: A=[::1]:$V B=[::1]:$((V + 1)) C=[::1]:$((V + 2))" "IPv6: addresses bracketed"
t_run "$SHARDCTL" status "[::1]:$V" --json
t_eq "[::1]:$V" "$(printf '%s' "$T_OUT" | py 'print(d["shards"][0]["master"]["address"])')" "IPv6: JSON address"

# usage
t_run "$SHARDCTL" status
t_eq 2 "$T_RC" "no address: exit 2"
t_run "$SHARDCTL" status "$S" extra
t_eq 2 "$T_RC" "two addresses: exit 2"
t_run "$SHARDCTL" status "$S" --timeout -5
t_eq 2 "$T_RC" "bad --timeout: exit 2"
t_run "$SHARDCTL" status --help
t_eq 0 "$T_RC" "--help: exit 0"
t_contains "$T_OUT" "--password-file FILE" "--help: common options"
t_run "$SHARDCTL" status "127.0.1.8:$P"
t_eq 1 "$T_RC" "nothing listening: exit 1"
t_contains "$T_ERR" "shardctl status: error: cannot connect to '127.0.1.8:$P'" "nothing listening: said"
t_done
