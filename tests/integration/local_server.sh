#!/usr/bin/env bash
# local_server.sh - local mode remembers its server.  `local up` with
# Valkey 8.0's binary records it in DIR/cluster.state; `local scale` 3 -> 4
# without --redis-server starts the new node on Valkey 8.0 too (its INFO
# server says so); `local scale` 4 -> 5 with Valkey 9.1's binary starts the
# new node on 9.1 and records it (a local rolling upgrade), every key
# verified; 5 -> 4 would move the 9.1 node's keys back to 8.0 (DUMP format
# 80 to 11) and is refused, nothing changed; `local status` and `local down`
# find and stop valkey-server processes, none left behind.  The servers
# are scripts/servers.sh's valkey-8.0 and valkey-9.1.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
H=127.0.2.7
D=$T_DIR/c
KEYS=2000

V80=$("$T_ROOT/scripts/servers.sh" valkey-8.0 | awk '{print $2}')
V91=$("$T_ROOT/scripts/servers.sh" valkey-9.1 | awk '{print $2}')
[ -x "$V80" ] && [ -x "$V91" ] || { t_not_ok "scripts/servers.sh gives valkey-8.0 and valkey-9.1 ('$V80' '$V91')"; t_done; }

# valkey_version PORT: what INFO server of the node on that port says
valkey_version() { cli "$H:$1" info server | tr -d '\r' | sed -n 's/^valkey_version://p'; }
# pids: the pid of every node process under D
pids() { cat "$D"/node-*/redis.pid 2>/dev/null | xargs; }

base=$(t_free_ports 5 $H) || exit 1
t_run "$SHARDCTL" local up --dir "$D" --shards 3 --port "$base" --host $H --redis-server "$V80"
t_eq 0 "$T_RC" "local up 3x0 on Valkey 8.0 ($T_ERR)"
t_contains "$(cat "$D/cluster.state")" "server $V80" "the state records the server"
t_contains "$T_OUT" "new nodes start with: $V80" "up: says which server new nodes start with"
t_eq 8.0 "$(valkey_version "$base" | cut -d. -f1-2)" "node 0 runs Valkey 8.0"
t_run "$SC_LOAD" fill --seed "$H:$base" --keys $KEYS
t_eq 0 "$T_RC" "$KEYS keys written ($T_ERR)"

# 3 -> 4 without --redis-server: the recorded server
t_run "$SHARDCTL" local scale --dir "$D" --shards 4
t_eq 0 "$T_RC" "scale 3 -> 4 without --redis-server ($T_ERR)"
t_eq 8.0 "$(valkey_version $((base + 3)) | cut -d. -f1-2)" "the new node runs the recorded Valkey 8.0"
t_eq "valkey-server" "$(cat /proc/"$(cat "$D/node-$((base + 3))/redis.pid")"/comm)" "its process is a valkey-server"
t_contains "$(cat "$D/cluster.state")" "server $V80" "the state still records Valkey 8.0"

# 4 -> 5 with another server: started with it, and recorded
t_run "$SHARDCTL" local scale --dir "$D" --shards 5 --redis-server "$V91"
t_eq 0 "$T_RC" "scale 4 -> 5 onto Valkey 9.1 ($T_ERR)"
t_contains "$T_OUT" "new nodes run $V91 (until now: $V80)" "scale: says the server changes"
t_eq 9.1 "$(valkey_version $((base + 4)) | cut -d. -f1-2)" "the new node runs Valkey 9.1"
t_eq 8.0 "$(valkey_version "$base" | cut -d. -f1-2)" "the old nodes still run Valkey 8.0"
t_contains "$(cat "$D/cluster.state")" "server $V91" "the state records Valkey 9.1 now"
t_run "$SC_LOAD" verify --seed "$H:$base" --keys $KEYS
t_eq 0 "$T_RC" "5 shards on two servers: every key verified ($T_OUT $T_ERR)"
t_eq "$(even_counts 5)" "$(slot_counts "$H:$base")" "5 masters, even slots"

# 5 -> 4: the 9.1 node's keys would go to 8.0 nodes: refused
t_run "$SHARDCTL" local scale --dir "$D" --shards 4
t_eq 2 "$T_RC" "scale 5 -> 4 back onto Valkey 8.0: refused"
t_contains "$T_ERR" "(valkey $(valkey_version $((base + 4))), DUMP format 80) to '" "refused: names the 9.1 node's format"
t_contains "$T_ERR" "DUMP format 11)" "refused: names the 8.0 node's format"
t_contains "$(cat "$D/cluster.state")" "shards 5" "refused: the state still says 5 shards"
t_eq "$(even_counts 5)" "$(slot_counts "$H:$base")" "refused: the slots did not move"

# status and down find the valkey-server processes
t_run "$SHARDCTL" local status --dir "$D"
t_contains "$T_OUT" "5 of 5 node processes running" "status: 5 valkey-server processes running"
t_contains "$T_OUT" "valkey $(valkey_version $((base + 4)))" "status: the cluster table shows Valkey 9.1"
p=$(pids)
t_eq 5 "$(wc -w <<<"$p")" "5 pid files"
t_run "$SHARDCTL" local down --dir "$D"
t_eq 0 "$T_RC" "local down ($T_ERR)"
t_contains "$T_OUT" "stopped 5 node processes" "down: stopped all 5"
alive=0
for x in $p; do
	[ -d /proc/"$x" ] && [ "$(awk '{print $3}' /proc/"$x"/stat 2>/dev/null)" != Z ] && alive=$((alive + 1))
done
t_eq 0 "$alive" "no valkey-server process left"
t_done
