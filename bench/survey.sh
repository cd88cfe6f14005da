#!/usr/bin/env bash
# survey.sh [N] - how long reading a cluster takes: `shardctl status`,
# `shardctl check` and, for comparison, `redis-cli --cluster check`, on a
# real cluster of N nodes (N/2 masters, one replica each; default 60) made
# by `redis-cli --cluster create` on 127.0.1.20 (by hand, not a test).
# Prints hyperfine's table (mean of 10 runs each) and shardctl's peak RSS.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SHARDCTL=${SHARDCTL:-$root/build/shardctl}
source "$root/tests/lib/test-lib.bash"
n=${1:-60}
H=127.0.1.20
P=$(t_free_ports "$n") || exit 1
for ((i = 0; i < n; i++)); do
	t_start_node $H $((P + i)) --cluster-node-timeout 5000 >/dev/null || exit 1
done
"$T_REDIS_CLI" --cluster create $(for ((i = 0; i < n; i++)); do printf '%s:%d ' $H $((P + i)); done) \
	--cluster-replicas 1 --cluster-yes >/dev/null || exit 1
t_wait 120 "$SHARDCTL" check "$H:$P" --shards $((n / 2)) --replicas 1 ||
	{ echo "cluster of $n did not become healthy" >&2; exit 1; }
echo "cluster: $n nodes ($((n / 2)) masters x 1 replica), redis-server $("$T_REDIS_SERVER" --version | awk '{print $3}')"
hyperfine -N -w 2 -r 10 --style basic \
	"$SHARDCTL status $H:$P" \
	"$SHARDCTL check $H:$P" \
	"redis-cli --cluster check $H:$P" 2>&1 | grep -E 'Benchmark|Time'
/usr/bin/time -v "$SHARDCTL" status $H:$P 2>&1 >/dev/null | awk -F: '/Maximum resident/ {print "shardctl status peak RSS:" $2 " KB"}'
