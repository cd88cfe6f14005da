#!/usr/bin/env bash
# local_scale_in.sh - `shardctl local scale` down, the Helm way: the
# departing nodes run during the pre-upgrade evacuation, then stop (as the
# StatefulSet deletes their pods), then the post-upgrade reconcile must
# forget them while they are gone.  4x1 -> 3x1 -> 3x0, every key verified,
# no departed process left.  3x1 -> 3x0 fails over to the master emptied by
# 4x1 -> 3x1: without exec.c's fresh_view (a Redis 7.0 bug, redis#12564)
# that failover left a slot unassigned, its keys dropped, in ~1 of 5 runs.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
H=127.0.2.1
D=$T_DIR/c
LOAD=$SHARDCTL_TOOLS/sc-load
KEYS=20000

base=$(t_free_ports 8)
t_run "$SHARDCTL" local up --dir "$D" --shards 4 --replicas 1 --port "$base" --host $H --redis-server "$T_REDIS_SERVER"
t_eq 0 "$T_RC" "local up 4x1 ($T_ERR)"
t_run "$LOAD" fill --seed $H:"$base" --keys $KEYS
t_eq 0 "$T_RC" "$KEYS keys written ($T_ERR)"

for step in "3 1" "3 0"; do
	set -- $step
	n=$(($1 * (1 + $2)))
	start=$(date +%s%N)
	t_run "$SHARDCTL" local scale --dir "$D" --shards "$1" --replicas "$2" --wait 30 --redis-server "$T_REDIS_SERVER"
	printf "%s\n" "$T_OUT" | grep -v "^  *[0-9]*\. \|^[0-9A-Z:]* *[0-9]* *running\|NODE" ; echo "scale to $1x$2 took $((($(date +%s%N) - start) / 1000000)) ms"
	t_eq 0 "$T_RC" "scale to $1x$2 ($T_ERR)"
	t_contains "$T_OUT" "$n of $n node processes running" "scale to $1x$2: $n node processes"
	t_run "$SHARDCTL" check $H:"$base" --shards "$1" --replicas "$2"
	t_eq 0 "$T_RC" "$1x$2: shardctl check healthy ($T_ERR)"
	t_eq "$n" "$(cli $H:"$base" cluster nodes | grep -c .)" "$1x$2: departed nodes forgotten"
	t_run "$LOAD" verify --seed $H:"$base" --keys $KEYS
	t_eq 0 "$T_RC" "$1x$2: every key verified ($T_ERR)"
done
left=0
for p in 3 4 5 6 7; do
	[ -e "$D/node-$((base + p))/redis.pid" ] && left=$((left + 1))
	pgrep -f "$T_SERVER_NAME $H:$((base + p))" >/dev/null && left=$((left + 1))
done
t_eq 0 "$left" "departed nodes stopped"

t_run "$SHARDCTL" local down --dir "$D"
t_eq 0 "$T_RC" "local down"
t_done
