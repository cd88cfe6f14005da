#!/usr/bin/env bash
# reconcile_loading.sh - a member still loading its data set (a restarted pod,
# a replica right after its first sync) answers LOADING; reconcile waits for
# it instead of failing.  key-load-delay (a Redis debug setting) makes the
# loading last a few seconds; values of 4 kB make the data set large enough
# that the loading node answers (LOADING) between its 2 MB loading chunks.
T_PORT_BASE=34000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

B=$(t_free_ports 3) || exit 1
rc_start "$B" 3 || exit 1
seed=$(rc_host 0):$B
list=$(rc_list $B 0 2)

t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 0 --wait 30
t_eq 0 "$T_RC" "3x0 created: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 6000 --size 4000
t_eq 0 "$T_RC" "6000 keys written"

# node 2 saves, stops, and comes back loading ~2000 keys at 2 ms each
h2=$(rc_host 2) p2=$((B + 2))
rc_cli $B 2 save >/dev/null
rc_cli $B 2 shutdown nosave >/dev/null 2>&1
t_wait 10 bash -c "! redis-cli -h $h2 -p $p2 ping"
d="$T_DIR/node-$h2-$p2"
redis-server --bind "$h2" --port "$p2" --cluster-enabled yes --cluster-config-file "$d/nodes.conf" \
	--dir "$d" --save "" --appendonly no --cluster-announce-ip "$h2" --cluster-node-timeout 5000 \
	--logfile "$d/redis.log" --key-load-delay 2000 --daemonize no &
T_PIDS+=($!)
disown $! 2>/dev/null
if t_wait 10 bash -c "redis-cli -h $h2 -p $p2 ping | grep -q LOADING"; then
	t_ok "node 2 is loading"
else
	t_not_ok "node 2 is loading: $(redis-cli -h "$h2" -p "$p2" ping)"
fi

t_run "$SHARDCTL" reconcile --nodes "$list" --shards 3 --replicas 0 --wait 30
t_eq 0 "$T_RC" "reconcile waits for the loading node: $T_ERR"
t_not_contains "$T_ERR" "LOADING" "no LOADING error"
t_contains "$T_OUT" "nothing to do" "the cluster already matches"
t_run "$RC_LOAD" verify --seed "$seed" --keys 6000 --size 4000
t_eq 0 "$T_RC" "all 6000 keys verified: $(echo "$T_OUT" | tail -1)"
t_done
