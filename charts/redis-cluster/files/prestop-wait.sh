#!/bin/sh
# prestop-wait.sh SECONDS - the server container's preStop (sh of the server
# image): waits until the sidecar's handoff wrote HANDOFF_DIR/done, at most
# SECONDS, so that a master is not stopped before its replica took over.
# Bounded: a pod whose sidecar is gone (or a container restarted alone after
# a failed liveness probe, when the sidecar's preStop does not run) stops
# after SECONDS.
set -u
dir=${HANDOFF_DIR:-/run/redis-cluster-handoff}
n=0
while [ ! -f "$dir/done" ] && [ "$n" -lt "${1:-45}" ]; do
	sleep 1
	n=$((n + 1))
done
[ -f "$dir/done" ] && cat "$dir/done" || echo "no handoff marker after ${1:-45} s"
exit 0
