#!/bin/sh
# heal-loop.sh CMD... - the heal loop of the shardctl sidecar (sh, awk and
# sleep of the shardctl image).  Every HEAL_INTERVAL_SECONDS (plus a random
# part, so that pods restarted together do not act in lockstep) it runs
#     CMD --if-broken 127.0.0.1:PORT --nodes LIST
# with LIST read from the chart's ConfigMap (REDIS_CONF_DIR/nodes;
# Kubernetes updates it on upgrade without restarting the pod).  CMD is
# `shardctl heal ...`: with --if-broken it looks at this pod's node first
# and heals (membership only, it never moves slots) only when the node was
# a member and sees its cluster failing, a peer failing or a link down; a
# new pod that knows no other node is left alone (joining it is the
# post-upgrade hook's job).  With HEAL_ENABLED=false it only sleeps (the
# sidecar still serves the readiness probe and the preStop handoff).
# HEAL_ONCE=1 looks once, without waiting, and exits with CMD's status (for
# tests).
set -u
conf_dir=${REDIS_CONF_DIR:-/etc/redis-cluster}
interval=${HEAL_INTERVAL_SECONDS:-30}
node=${REDIS_HOST:-127.0.0.1}:${REDIS_PORT:-6379}

while :; do
	if [ -z "${HEAL_ONCE:-}" ]; then
		sleep $((interval + $(awk -v n="$interval" 'BEGIN { srand(); print int(rand() * (n / 2 + 1)) }')))
	fi
	rc=0
	if [ "${HEAL_ENABLED:-true}" = true ]; then
		"$@" --if-broken "$node" --nodes "$(cat "$conf_dir/nodes")" || {
			rc=$?
			echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') heal failed (exit $rc), will look again"
		}
	fi
	[ -z "${HEAL_ONCE:-}" ] || exit $rc
done
