#!/bin/sh
# heal-loop.sh CMD... - the heal sidecar.  Every HEAL_INTERVAL_SECONDS (plus
# a random part, so that pods restarted together do not act in lockstep) it
# asks this pod's redis-server how the cluster looks; when the node was a
# member (it knows other nodes) and reports a cluster state other than ok, or
# sees a peer failing (fail, fail?, noaddr) or its link to a peer down (after
# every pod restarted with new IPs the states may all still say ok), it runs
#     CMD --nodes LIST
# with LIST read from the chart's ConfigMap (REDIS_CONF_DIR/nodes; Kubernetes
# updates it on upgrade without restarting the pod).  CMD is
# `shardctl heal ...`: membership only, it never moves slots.  A new pod that
# knows no other node is left alone: joining it is the post-upgrade hook's job.
# HEAL_ONCE=1 looks once, without waiting, and exits with CMD's status (for
# tests).
set -u
conf_dir=${REDIS_CONF_DIR:-/etc/redis-cluster}
interval=${HEAL_INTERVAL_SECONDS:-30}
if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
	REDISCLI_AUTH=$(head -n 1 "$REDIS_PASSWORD_FILE")
	export REDISCLI_AUTH
fi
cli() { redis-cli --no-auth-warning -h "${REDIS_HOST:-127.0.0.1}" -p "${REDIS_PORT:-6379}" "$@"; }

needs_heal() {
	info=$(cli cluster info 2>/dev/null) || return 1
	state=$(printf '%s\n' "$info" | tr -d '\r' | sed -n 's/^cluster_state://p')
	known=$(printf '%s\n' "$info" | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
	[ "${known:-1}" -gt 1 ] || return 1
	[ "$state" = ok ] || return 0
	cli cluster nodes 2>/dev/null | awk '$3 !~ /myself/ && ($3 ~ /fail|noaddr/ || $8 == "disconnected") { f = 1 }
		END { exit !f }'
}

while :; do
	if [ -z "${HEAL_ONCE:-}" ]; then
		sleep $((interval + $(awk -v n="$interval" 'BEGIN { srand(); print int(rand() * (n / 2 + 1)) }')))
	fi
	rc=0
	if needs_heal; then
		echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') cluster_state:${state:-?}, running: $* --nodes LIST"
		"$@" --nodes "$(cat "$conf_dir/nodes")" || {
			rc=$?
			echo "heal failed (exit $rc), will look again"
		}
	fi
	[ -z "${HEAL_ONCE:-}" ] || exit $rc
done
