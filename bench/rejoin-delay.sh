#!/usr/bin/env bash
# rejoin-delay.sh - how long a new master takes to report cluster_state:ok
# after joining a 4x1 cluster (every member sends it CLUSTER MEET), with the
# default cluster-node-timeout and with 1000 ms set on the joining node only.
# Redis 7.0 holds a master that was alone ("in a minority") in
# cluster_state:fail for min(cluster-node-timeout, 5 s) after it joins: that
# wait bounds every tool's 4 -> 5 (bench/results/analysis.md).
set -uo pipefail
H=${REJOIN_HOST:-127.0.4.96} P=${REJOIN_PORT:-18800}
W=$(mktemp -d /tmp/shardctl-rejoin.XXXXXX)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; rm -rf "$W"' EXIT
for i in $(seq 0 9); do
	mkdir -p "$W/$i"
	redis-server --bind $H --port $((P + i)) --cluster-enabled yes --cluster-config-file "$W/$i/nodes.conf" \
		--dir "$W/$i" --save "" --appendonly no --cluster-announce-ip $H --logfile "$W/$i/log" --daemonize no &
	pids+=($!)
done
for i in $(seq 0 9); do
	for k in $(seq 1 100); do redis-cli -h $H -p $((P + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create $(for i in $(seq 0 7); do echo $H:$((P + i)); done) --cluster-replicas 1 \
	--cluster-yes >/dev/null || { echo "cluster create failed" >&2; exit 1; }
for k in $(seq 1 300); do redis-cli -h $H -p $P cluster info | grep -q cluster_state:ok && break; sleep 0.1; done
sleep 3 # let the fresh cluster settle
for n in 8 9; do
	[ $n = 9 ] && redis-cli -h $H -p $((P + n)) config set cluster-node-timeout 1000 >/dev/null
	t0=${EPOCHREALTIME/./}
	for i in $(seq 0 7); do redis-cli -h $H -p $((P + i)) cluster meet $H $((P + n)) >/dev/null; done
	for k in $(seq 1 1000); do
		redis-cli -h $H -p $((P + n)) cluster info | grep -q cluster_state:ok && break
		sleep 0.02
	done
	echo "new master $H:$((P + n)), cluster-node-timeout $(redis-cli -h $H -p $((P + n)) config get cluster-node-timeout | tail -1) ms:" \
		"cluster_state:ok $(((${EPOCHREALTIME/./} - t0) / 1000)) ms after the meets"
done
