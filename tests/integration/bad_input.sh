#!/usr/bin/env bash
# bad_input.sh - reconcile refuses bad input with a clear message and exit
# status 2, and the live cluster is left exactly as it was: malformed
# addresses, empty lists and items, out-of-range or missing numbers, unknown
# and contradicting options, a node that is not cluster-enabled, a node of
# another cluster, a list with too few nodes.  Every command words a missing
# value, an unknown option and a bad number the same way.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

cluster_up 6 3 0 0
L=$(node_list 0-2)
# nodes 3 and 4 form another cluster of their own (a slot each, met)
cli 3 cluster addslots 0 >/dev/null
cli 4 cluster meet "$(node_host 3)" $((C_BASE + 3)) >/dev/null
# a plain redis-server without cluster support
plain=127.0.3.1:$(t_free_ports 1 127.0.3.1)
t_start_plain 127.0.3.1 "${plain##*:}"

# what must not change: the cluster (nodes 3 and 4 are still meeting)
SNAP_NODES=(0 1 2)
before=$(snapshot)
refused "a malformed address" "malformed address 'bad' (expected host:port)" \
	"$SHARDCTL" reconcile --nodes "$L,bad" --shards 3 --replicas 0
refused "a port out of range" "port must be 1..65535" \
	"$SHARDCTL" reconcile --nodes "$L,127.0.0.1:99999" --shards 3 --replicas 0
refused "an IPv6 address without brackets" "write IPv6 as [addr]:port" \
	"$SHARDCTL" reconcile --nodes "$L,::1:7000" --shards 3 --replicas 0
refused "an empty list" "empty node list" "$SHARDCTL" reconcile --nodes "" --shards 3 --replicas 0
refused "an empty item" "empty item in node list" "$SHARDCTL" reconcile --nodes "$L,,$(node 0)" --shards 3 --replicas 0
refused "a node listed twice" "appears twice" "$SHARDCTL" reconcile --nodes "$L,$(node 0)" --shards 3 --replicas 0
refused "fewer than 3 shards" "option '--shards' expects a number from 3 to 16384, got '2'" "$SHARDCTL" reconcile --nodes "$L" --shards 2 --replicas 0
refused "negative replicas" "option '--replicas' expects a number from 0 to 100, got '-1'" \
	"$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas -1
refused "shards not a number" "option '--shards' expects a whole number, got 'x'" \
	"$SHARDCTL" reconcile --nodes "$L" --shards x --replicas 0
refused "a missing option" "--nodes, --shards and --replicas are required" "$SHARDCTL" reconcile --nodes "$L" --replicas 0
refused "an unknown option" "unknown option '--bogus'" "$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 0 --bogus
refused "options that contradict" "--json is only for 'shardctl plan'" \
	"$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 0 --json
refused "a negative --max-latency" "option '--max-latency' expects a number from 0 to 60000, got '-1'" \
	"$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 0 --max-latency -1
refused "--max-latency past a minute" "option '--max-latency' expects a number from 0 to 60000, got '60001'" \
	"$SHARDCTL" fix "$(node 0)" --max-latency 60001
refused "--max-latency with a decimal comma" "option '--max-latency' expects a number of milliseconds like 1.5, got '1,5'" \
	"$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 0 --max-latency 1,5
refused "--max-latency finer than a microsecond" "got '0.0005'" \
	"$SHARDCTL" fix "$(node 0)" --max-latency 0.0005
refused "too few nodes" "3 shards x (1 + 1 replicas) needs 6 nodes, --nodes lists 3" \
	"$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 1
refused "a node that is not cluster-enabled" "is not cluster-enabled" \
	"$SHARDCTL" reconcile --nodes "$L,$plain" --shards 4 --replicas 0
refused "a node of another cluster" "belong to different clusters" \
	"$SHARDCTL" reconcile --nodes "$L,$(node 3)" --shards 4 --replicas 0

# every command words a bad command line the same way (one option table
# each, src/cmd/options.h): a value missing at the end, an unknown option, a
# number that is not one; exit status 2 and the usage line, nothing run
while IFS='|' read -r cmd valopt numopt; do
	t_run "$SHARDCTL" $cmd "$valopt"
	t_eq 2 "$T_RC" "$cmd $valopt without its value: exit status 2"
	t_contains "$T_ERR" "shardctl $cmd: error: option '$valopt' needs a value" "$cmd $valopt without its value: message"
	t_contains "$T_ERR" "usage: shardctl $cmd" "$cmd $valopt without its value: usage line"
	t_run "$SHARDCTL" $cmd --frob
	t_eq 2 "$T_RC" "$cmd --frob: exit status 2"
	t_contains "$T_ERR" "shardctl $cmd: error: unknown option '--frob'" "$cmd --frob: message"
	t_run "$SHARDCTL" $cmd "$numopt" x
	t_eq 2 "$T_RC" "$cmd $numopt x: exit status 2"
	want="expects a whole number"
	[ "$numopt" = --max-latency ] && want="expects a number of milliseconds like 1.5"
	t_contains "$T_ERR" "option '$numopt' $want, got 'x'" "$cmd $numopt x: message"
done <<'EOF'
create|--nodes|--shards
status|--user|--timeout
check|--shards|--replicas
plan|--nodes|--shards
reconcile|--nodes|--shards
fix|--wait|--wait
heal|--nodes|--wait
ready|--user|--wait
handoff|--user|--wait
upgrade-check|--to-image|--timeout
local up|--dir|--shards
local scale|--dir|--replicas
local status|--dir|--timeout
local down|--dir|--wait
reconcile|--max-latency|--max-latency
fix|--max-latency|--max-latency
local scale|--max-latency|--max-latency
EOF
t_eq "$before" "$(snapshot)" "after every refusal the cluster is exactly as it was"

# an unreachable listed master is a failure to act on, not a silent skip
cli 2 shutdown nosave >/dev/null 2>&1
t_wait 10 down 2
t_run "$SHARDCTL" reconcile --nodes "$L" --shards 3 --replicas 0 --wait 5
t_eq 1 "$([ "$T_RC" -ne 0 ] && echo 1 || echo 0)" "an unreachable master owning slots stops the run (exit $T_RC)"
t_contains "$T_ERR" "$(node 2)" "the message names the unreachable node"
t_done
