#!/usr/bin/env bash
# mixed_refusal.sh - keys never flow to an older DUMP format.  A 3x0
# cluster on Valkey 9.1 (DUMP format 80) and an empty Redis 7.0 node
# (format 10) listed as a 4th shard: `reconcile` and `plan` refuse (exit 2),
# naming both nodes with their servers and formats, and change nothing; so
# does making that node a replica of a Valkey 9.1 master (replicas 0 -> 1).
# The other way, a 3x0 Redis 7.0 cluster and a Valkey 9.1 node joining as
# the 4th shard, is a rolling upgrade: reconcile moves the slots, every key
# is verified one by one, and `status` shows both servers.  The servers are
# scripts/servers.sh's redis-7.0 and valkey-9.1 (T_REDIS_SERVER is not
# used; redis-cli 7.0 talks to both).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
KEYS=3000

R70=$("$T_ROOT/scripts/servers.sh" redis-7.0 | awk '{print $2}')
V91=$("$T_ROOT/scripts/servers.sh" valkey-9.1 | awk '{print $2}')
[ -x "$R70" ] && [ -x "$V91" ] || { t_not_ok "scripts/servers.sh gives redis-7.0 and valkey-9.1 ('$R70' '$V91')"; t_done; }

# server_of NODE: "valkey X.Y.Z" or "redis X.Y.Z", as its INFO server says
server_of() {
	local i v
	i=$(cli "$1" info server | tr -d '\r')
	v=$(sed -n 's/^valkey_version://p' <<<"$i")
	if [ -n "$v" ]; then echo "valkey $v"; else echo "redis $(sed -n 's/^redis_version://p' <<<"$i")"; fi
}

# extra_node BINARY: one more cluster node (the next number) on that server
extra_node() {
	local h
	h=$(node_host ${#T_NODES[@]})
	T_REDIS_SERVER=$1 t_start_node "$h" "$(t_free_ports 1 "$h")" --cluster-node-timeout 5000
}

# 1. Valkey 9.1 cluster, Redis 7.0 node: refused, nothing changed
T_REDIS_SERVER=$V91 cluster_up 3 3 0 $KEYS
extra_node "$R70" || { t_not_ok "redis 7.0 node started"; t_done; }
NEW=$(node 3)
SV=$(server_of 0) SR=$(server_of 3)
t_eq "valkey 9.1" "$(echo "$SV" | cut -d. -f1-2)" "the cluster runs Valkey 9.1 ($SV)"
t_eq "redis 7.0" "$(echo "$SR" | cut -d. -f1-2)" "the new node runs Redis 7.0 ($SR)"
want="' ($SV, DUMP format 80) to '$NEW' ($SR, DUMP format 10): their keys would be refused (\"DUMP payload version or checksum are wrong\"); move onto servers at least as new, or upgrade '$NEW' first"
for cmd in reconcile plan; do
	refused_unchanged "$cmd onto an older server" "$SHARDCTL" $cmd --nodes "$(node_list 0-3)" --shards 4 --replicas 0
	t_contains "$T_ERR" "shardctl $cmd: error: cannot move slots from '" "$cmd: the refusal"
	t_contains "$T_ERR" "$want" "$cmd: names both nodes, their servers and DUMP formats"
done
t_eq "5461 5461 5462" "$(slot_counts)" "refused: the three masters keep their slots"
t_eq 1 "$(members 3)" "refused: the Redis 7.0 node was not joined"
verify_keys "refused" $KEYS
# ... and as replicas (a full sync is an RDB of the master's format)
extra_node "$R70" && extra_node "$R70" || t_not_ok "two more redis 7.0 nodes started"
refused_unchanged "replicas on an older server" "$SHARDCTL" reconcile --nodes "$(node_list 0-5)" --shards 3 --replicas 1
t_contains "$T_ERR" "a replica of '" "replica: the refusal"
t_contains "$T_ERR" "'$NEW' ($SR, data format 10) a replica of '" "replica: names the replica, its server and format"
t_contains "$T_ERR" "($SV, data format 80): its full sync would be refused" "replica: names the master's server and format"
t_eq "1 1 1" "$(members 3) $(members 4) $(members 5)" "refused: no Redis 7.0 node was made a replica"

# 2. Redis 7.0 cluster, Valkey 9.1 node: allowed (older to newer)
T_NODES=() # a second cluster: node numbers start again
T_REDIS_SERVER=$R70 cluster_up 3 3 0 $KEYS
extra_node "$V91" || { t_not_ok "valkey 9.1 node started"; t_done; }
start=$(date +%s%N)
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-3)" --shards 4 --replicas 0
echo "reconcile 3 -> 4 shards onto Valkey 9.1 took $((($(date +%s%N) - start) / 1000000)) ms"
t_eq 0 "$T_RC" "reconcile onto a newer server succeeds: $T_ERR"
t_wait 30 healthy "" 4 0
t_healthy "redis 7.0 + valkey 9.1" "" 4 0
t_eq "$(even_counts 4)" "$(slot_counts)" "4 masters with 4096 slots each"
t_eq 4096 "$(cli 3 cluster nodes | awk '/myself/ { n = 0; for (i = 9; i <= NF; i++) { split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n }')" \
	"the Valkey 9.1 node owns 4096 slots"
verify_keys "moved onto Valkey 9.1" $KEYS
t_run "$SHARDCTL" status "$(node 0)"
t_contains "$(printf '%s\n' "$T_OUT" | grep -F " $(node 3) ")" " $(server_of 3) " "status: the new node's server"
t_contains "$(printf '%s\n' "$T_OUT" | grep -F " $(node 0) ")" " $(server_of 0) " "status: an old node's server"
t_done
