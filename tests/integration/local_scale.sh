#!/usr/bin/env bash
# local_scale.sh - `shardctl local scale` runs the Helm upgrade sequence on
# local processes: 3x0 -> 4x0 (scale out) -> 4x1 (replicas) -> 5x1, every
# key verified after each step, every shape checked, busy ports for new
# nodes refused before anything changes.  (Scale in: local_scale_in.sh.)
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
H=127.0.2.1
D=$T_DIR/c
LOAD=$SHARDCTL_TOOLS/sc-load
KEYS=20000

base=$(t_free_ports 10)
t_run "$SHARDCTL" local up --dir "$D" --shards 3 --port "$base" --host $H --redis-server "$T_REDIS_SERVER"
t_eq 0 "$T_RC" "local up 3x0 ($T_ERR)"
t_run "$LOAD" fill --seed $H:"$base" --keys $KEYS
t_eq 0 "$T_RC" "$KEYS keys written ($T_ERR)"

# shape S R: masters own floor/ceil of 16384/S, R replicas each, all healthy
shape() {
	local s=$1 r=$2 out lo=$((16384 / $1))
	out=$(cli_cluster check $H:"$base" 2>&1)
	t_contains "$out" "[OK] All 16384 slots covered." "${s}x$r: slots covered"
	t_not_contains "$out" "[ERR]" "${s}x$r: redis-cli check finds no error"
	t_eq "$s" "$(printf '%s\n' "$out" | grep -cE "\(($lo|$((lo + 1))) slots\) master")" "${s}x$r: $s masters with $lo or $((lo + 1)) slots"
	t_eq "$((s * (1 + r)))" "$(cli $H:"$base" cluster nodes | grep -vc 'fail\|handshake')" "${s}x$r: $((s * (1 + r))) nodes in the cluster"
	if [ "$r" -gt 0 ]; then
		t_eq "$s" "$(printf '%s\n' "$out" | grep -c "$r additional replica(s)")" "${s}x$r: $r replicas per master"
	fi
	t_run "$SHARDCTL" check $H:"$base" --shards "$s" --replicas "$r"
	t_eq 0 "$T_RC" "${s}x$r: shardctl check healthy ($T_ERR)"
	t_run "$LOAD" verify --seed $H:"$base" --keys $KEYS
	t_eq 0 "$T_RC" "${s}x$r: every key verified ($T_ERR)"
}

# busy port for a new node: refused before anything changes
nc_pid=
python3 -c "
import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$H', $((base + 3)))); s.listen(1); print('ready', flush=True); time.sleep(60)" >"$T_DIR/busy.out" &
nc_pid=$!
T_PIDS+=("$nc_pid")
t_wait 5 grep -q ready "$T_DIR/busy.out"
t_run "$SHARDCTL" local scale --dir "$D" --shards 4 --redis-server "$T_REDIS_SERVER"
t_eq 2 "$T_RC" "scale onto a busy port: exit status 2"
t_contains "$T_ERR" "port $((base + 3)) on $H is busy" "scale onto a busy port: message"
t_contains "$(cat "$D/cluster.state")" "shards 3" "scale onto a busy port: state unchanged"
kill "$nc_pid" 2>/dev/null
wait "$nc_pid" 2>/dev/null

t_run "$SHARDCTL" local scale --dir "$D" --shards 2 --redis-server "$T_REDIS_SERVER"
t_eq 2 "$T_RC" "scale to 2 shards: exit status 2"
t_contains "$T_ERR" "too few shards: 2" "scale to 2 shards: message"

for step in "4 0" "4 1" "5 1"; do
	set -- $step
	start=$(date +%s%N)
	t_run "$SHARDCTL" local scale --dir "$D" --shards "$1" --replicas "$2" --redis-server "$T_REDIS_SERVER"
	echo "scale to $1x$2 took $((($(date +%s%N) - start) / 1000000)) ms"
	t_eq 0 "$T_RC" "scale to $1x$2 ($T_ERR)"
	t_contains "$T_OUT" "pre-upgrade: reconcile --evacuate-only" "scale to $1x$2: evacuation first"
	t_contains "$T_OUT" "post-upgrade: reconcile" "scale to $1x$2: full reconcile after"
	t_contains "$T_OUT" "$(($1 * (1 + $2))) of $(($1 * (1 + $2))) node processes running" "scale to $1x$2: node processes"
	shape "$1" "$2"
done

t_run "$SHARDCTL" local down --dir "$D"
t_eq 0 "$T_RC" "local down"
t_eq "" "$(pgrep -f "$T_SERVER_NAME $H:$base")" "no process left"
t_done
