#!/bin/sh
# prestop-handoff.sh CMD... - the shardctl sidecar's preStop: runs CMD
# (`shardctl handoff 127.0.0.1:PORT --wait S`: a master hands its slots to
# its best in-sync replica) and then writes HANDOFF_DIR/done, holding CMD's
# exit status and last lines, which the server container's preStop
# (prestop-wait.sh) waits for before the server gets SIGTERM.  The marker is
# written whatever CMD's outcome: the pod is going away either way, and a
# failed handoff only means the cluster fails over by itself.
set -u
dir=${HANDOFF_DIR:-/run/redis-cluster-handoff}
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
{
	echo "exit $rc"
	printf '%s\n' "$out" | tail -n 5
} >"$dir/done.tmp" && mv "$dir/done.tmp" "$dir/done"
exit 0
