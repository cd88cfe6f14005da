#!/usr/bin/env bash
# bad_input.sh - reconcile refuses bad input with a clear message and exit
# status 2, and the live cluster is left exactly as it was: malformed
# addresses, empty lists and items, out-of-range or missing numbers, unknown
# and contradicting options, a node that is not cluster-enabled, a node of
# another cluster, a list with too few nodes.
T_PORT_BASE=37000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"

B=$(t_free_ports 8) || exit 1
rc_start "$B" 6 || exit 1
seed=$(rc_host 0):$B
L=$(rc_list $B 0 2)
t_run "$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 0 --wait 30
t_eq 0 "$T_RC" "3x0 created: $T_ERR"
# nodes 3 and 4 form another cluster of their own (a slot each, met)
rc_cli $B 3 cluster addslots 0 >/dev/null
rc_cli $B 4 cluster meet "$(rc_host 3)" $((B + 3)) >/dev/null
# a plain redis-server without cluster support
plain=127.0.3.1:$((B + 7))
redis-server --bind 127.0.3.1 --port $((B + 7)) --save "" --daemonize no --logfile "$T_DIR/plain.log" &
T_PIDS+=($!)
disown $! 2>/dev/null
t_wait 10 redis-cli -h 127.0.3.1 -p $((B + 7)) ping

snapshot() { # slot map and membership of the cluster, as its nodes say
	local i
	for i in 0 1 2; do rc_cli $B $i cluster nodes | awk '{print $1, $3, $9, $10}' | sort; done | md5sum
}
before=$(snapshot)

refused() { # refused WHAT MESSAGE ARGS...
	local what=$1 msg=$2
	shift 2
	t_run "$SHARDCTL" reconcile "$@"
	t_eq 2 "$T_RC" "$what: exit status 2"
	t_contains "$T_ERR" "$msg" "$what: message"
}
refused "a malformed address" "malformed address 'bad' (expected host:port)" --nodes "$L,bad" --shards 3 --replicas 0
refused "a port out of range" "port must be 1..65535" --nodes "$L,127.0.0.1:99999" --shards 3 --replicas 0
refused "an IPv6 address without brackets" "write IPv6 as [addr]:port" --nodes "$L,::1:7000" --shards 3 --replicas 0
refused "an empty list" "empty node list" --nodes "" --shards 3 --replicas 0
refused "an empty item" "empty item in node list" --nodes "$L,,$seed" --shards 3 --replicas 0
refused "a node listed twice" "appears twice" --nodes "$L,$seed" --shards 3 --replicas 0
refused "fewer than 3 shards" "--shards must be at least 3" --nodes "$L" --shards 2 --replicas 0
refused "negative replicas" "--replicas must be between 0 and 100" --nodes "$L" --shards 3 --replicas -1
refused "shards not a number" "--shards must be a whole number, not 'x'" --nodes "$L" --shards x --replicas 0
refused "a missing option" "--nodes, --shards and --replicas are required" --nodes "$L" --replicas 0
refused "an unknown option" "unknown option" --nodes "$L" --shards 3 --replicas 0 --bogus
refused "options that contradict" "--json is only for 'shardctl plan'" --nodes "$L" --shards 3 --replicas 0 --json
refused "too few nodes" "3 shards x (1 + 1 replicas) needs 6 nodes, --nodes lists 3" --nodes "$L" --shards 3 --replicas 1
refused "a node that is not cluster-enabled" "is not cluster-enabled" --nodes "$L,$plain" --shards 4 --replicas 0
refused "a node of another cluster" "belong to different clusters" \
	--nodes "$L,$(rc_host 3):$((B + 3))" --shards 4 --replicas 0
t_eq "$before" "$(snapshot)" "after every refusal the cluster is exactly as it was"

# an unreachable listed master is a failure to act on, not a silent skip
rc_cli $B 2 shutdown nosave >/dev/null 2>&1
t_wait 10 bash -c "! redis-cli -h $(rc_host 2) -p $((B + 2)) ping"
t_run "$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 0 --wait 5
t_eq 1 "$([ "$T_RC" -ne 0 ] && echo 1 || echo 0)" "an unreachable master owning slots stops the run (exit $T_RC)"
t_contains "$T_ERR" "$(rc_host 2):$((B + 2))" "the message names the unreachable node"
t_done
