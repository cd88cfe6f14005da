#!/usr/bin/env bash
# local.sh - `shardctl local up|status|down`: a 4x1 cluster of redis-server
# processes that redis-cli --cluster check (and shardctl check, once built)
# calls healthy with 4096 slots per master; busy ports and a busy DIR are
# refused before anything starts; `down` leaves no process behind.
# Runs on 127.0.2.1 (bus ports of 127.0.0.1 collide with other tests'
# ephemeral ports on this machine).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
H=127.0.2.1
D=$T_DIR/c

base=$(t_free_ports 8)
start=$(date +%s%N)
t_run "$SHARDCTL" local up --dir "$D" --shards 4 --replicas 1 --port "$base" --host $H --redis-server "$T_REDIS_SERVER"
echo "local up 4x1 took $((($(date +%s%N) - start) / 1000000)) ms"
t_eq 0 "$T_RC" "local up 4x1 succeeds ($T_ERR)"
t_contains "$T_OUT" "8 of 8 node processes running" "local up reports 8 running nodes"
out=$(cli_cluster check $H:"$base" 2>&1)
t_contains "$out" "[OK] All nodes agree about slots configuration." "redis-cli check: nodes agree"
t_contains "$out" "[OK] All 16384 slots covered." "redis-cli check: slots covered"
t_not_contains "$out" "[ERR]" "redis-cli check: no error"
t_eq 4 "$(printf '%s\n' "$out" | grep -c '(4096 slots) master')" "4 masters with 4096 slots each"
t_eq 4 "$(printf '%s\n' "$out" | grep -c '1 additional replica(s)')" "each master has one replica"
if "$SHARDCTL" check --help >/dev/null 2>&1; then # once check is built
	t_run "$SHARDCTL" check $H:"$base" --shards 4 --replicas 1
	t_eq 0 "$T_RC" "shardctl check calls it healthy ($T_ERR)"
fi

# each node: its own folder, config, pid file naming a live redis-server
pids=()
for i in $(seq 0 7); do
	n=$D/node-$((base + i))
	for f in redis.conf nodes.conf redis.log redis.pid; do
		[ -f "$n/$f" ] || t_not_ok "node $i has $f"
	done
	p=$(cat "$n/redis.pid")
	pids+=("$p")
	grep -q "cluster-announce-ip $H" "$n/redis.conf" || t_not_ok "node $i announces $H"
done
t_eq 8 "$(for p in "${pids[@]}"; do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$T_SERVER_NAME" ] && echo; done | grep -c '')" \
	"8 pid files name live redis-server processes"
t_contains "$(cat "$D/cluster.state")" "shards 4" "state file records the shards"

# status
t_run "$SHARDCTL" local status --dir "$D"
t_contains "$T_OUT" "4 shards, 1 replica each, $H:$base-$((base + 7))" "status: shape and ports"
t_contains "$T_OUT" "$H:$base" "status: lists the first node"
t_contains "$T_OUT" "${pids[0]}" "status: shows its pid"
if ! "$SHARDCTL" status --help 2>&1 | grep -q "not implemented"; then # once status is built
	t_contains "$T_OUT" "16384/16384 slots covered" "status: shardctl status of the cluster follows"
fi

# refusals, nothing started: the same DIR again, busy ports
t_run "$SHARDCTL" local up --dir "$D" --shards 3 --port "$(t_free_ports 3 $H)" --host $H --redis-server "$T_REDIS_SERVER"
t_eq 2 "$T_RC" "up on a DIR with a running cluster: exit status 2"
t_contains "$T_ERR" "already holds a running cluster" "up on a busy DIR: message"
t_run "$SHARDCTL" local up --dir "$T_DIR/other" --shards 3 --port $((base + 5)) --host $H --redis-server "$T_REDIS_SERVER"
t_eq 2 "$T_RC" "up on busy ports: exit status 2"
t_contains "$T_ERR" "port $((base + 5)) on $H is busy (node 1 of 3 needs it): choose another --port or stop what uses it" \
	"up on busy ports: message"
t_eq "" "$(ls "$T_DIR/other" 2>/dev/null | grep node-)" "up on busy ports: no node folder made"
# a busy cluster bus port only: the port whose bus port (+10000) is node 2's
# data port (below the band on purpose: refused before anything binds)
t_run "$SHARDCTL" local up --dir "$T_DIR/other" --shards 3 --port $((base - 10000 + 2)) --host $H --redis-server "$T_REDIS_SERVER"
t_eq 2 "$T_RC" "up on a busy bus port: exit status 2"
t_contains "$T_ERR" "port $((base + 2)) on $H is busy (the cluster bus port of node 1 of 3, port $((base - 10000 + 2)))" \
	"up on a busy bus port: message"
t_run "$SHARDCTL" local up --dir "$T_DIR/other" --shards 3 --host localhost --redis-server "$T_REDIS_SERVER"
t_eq 2 "$T_RC" "up with a host name: exit status 2"
t_contains "$T_ERR" "--host must be an IPv4 address, not 'localhost'" "up with a host name: message"
t_run "$SHARDCTL" local up --dir "$T_DIR/other" --shards 2 --redis-server "$T_REDIS_SERVER"
t_eq 2 "$T_RC" "up with 2 shards: exit status 2"
t_contains "$T_ERR" "too few shards: 2" "up with 2 shards: message"
t_eq 8 "$(for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && echo; done | grep -c '')" "refusals left the cluster running"

# down: nothing left behind, even a node that ignores SIGTERM (stopped):
# SIGKILL after the deadline
kill -STOP "${pids[0]}"
start=$(date +%s%N)
t_run "$SHARDCTL" local down --dir "$D" --wait 1
echo "local down took $((($(date +%s%N) - start) / 1000000)) ms"
t_eq 0 "$T_RC" "local down succeeds ($T_ERR)"
t_contains "$T_OUT" "stopped 8 node processes" "local down stopped 8 processes"
alive=0
for p in "${pids[@]}"; do
	# a server's pid, not a pid reused since by another program (a busy
	# machine recycles pids within seconds)
	[ -d /proc/"$p" ] && [ "$(awk '{print $3}' /proc/"$p"/stat 2>/dev/null)" != Z ] &&
		grep -qx "$T_SERVER_NAME" /proc/"$p"/comm 2>/dev/null && alive=$((alive + 1))
done
t_eq 0 "$alive" "no node process left after down"
t_eq "" "$(pgrep -f "$T_SERVER_NAME $H:$base" ; pgrep -f "$D/node-")" "pgrep finds no node process"
t_eq "" "$(find "$D" -name redis.pid)" "no pid file left"
t_run "$SHARDCTL" local down --dir "$D"
t_eq 0 "$T_RC" "a second down is harmless"
t_contains "$T_OUT" "stopped 0 node processes" "a second down stops nothing"

# the same DIR comes up again, fresh, on the default host 127.0.0.1
t_run "$SHARDCTL" local up --dir "$D" --shards 3 --port "$base" --redis-server "$T_REDIS_SERVER"
t_eq 0 "$T_RC" "up again in the same DIR after down ($T_ERR)"
t_contains "$(cli 127.0.0.1:"$base" cluster info)" "cluster_known_nodes:3" "the new cluster has 3 nodes, not the old 8"
t_run "$SHARDCTL" check 127.0.0.1:"$base" --shards 3 --replicas 0
t_eq 0 "$T_RC" "the default host: shardctl check healthy ($T_ERR)"
t_eq "" "$(ls -d "$D"/node-$((base + 3)) 2>/dev/null)" "folders of departed nodes were removed"
t_run "$SHARDCTL" local down --dir "$D"
t_eq 0 "$T_RC" "down again"

# a server that cannot start: a clear error, nothing left running
t_run "$SHARDCTL" local up --dir "$T_DIR/bad" --shards 3 --port "$base" --host $H --redis-server false
t_eq 1 "$T_RC" "a redis-server that exits: exit status 1"
t_contains "$T_ERR" "exited at startup (see $T_DIR/bad/node-" "a redis-server that exits: message names its log"
t_eq "" "$(find "$T_DIR/bad" -name redis.pid -o -name cluster.state)" "a failed up leaves no pid or state file"

# with a password (REDISCLI_AUTH): nodes require it, create and check use it
REDISCLI_AUTH=s3cret t_run "$SHARDCTL" local up --dir "$T_DIR/auth" --shards 3 --port "$base" --host $H --redis-server "$T_REDIS_SERVER"
t_eq 0 "$T_RC" "up with a password ($T_ERR)"
t_contains "$(cli $H:"$base" ping 2>&1)" "NOAUTH" "nodes require the password"
REDISCLI_AUTH=s3cret t_run "$SHARDCTL" check $H:"$base" --shards 3 --replicas 0
t_eq 0 "$T_RC" "check with the password: healthy ($T_ERR)"
REDISCLI_AUTH=s3cret t_run "$SHARDCTL" local down --dir "$T_DIR/auth"
t_contains "$T_OUT" "stopped 3 node processes" "down with a password"

t_done
