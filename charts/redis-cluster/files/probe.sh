#!/bin/sh
# probe.sh ready|alive - the redis container's probes.  Neither looks at
# cluster membership: a new pod must become Ready before the post-upgrade hook
# can add it to the cluster (waiting for membership would deadlock
# `helm upgrade --wait` and the hook).
#   ready: redis-server answers PING with PONG
#   alive: PONG, or LOADING (a large dataset being loaded is alive)
set -u
if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
	REDISCLI_AUTH=$(head -n 1 "$REDIS_PASSWORD_FILE")
	export REDISCLI_AUTH
fi
reply=$(redis-cli --no-auth-warning -h "${REDIS_HOST:-127.0.0.1}" -p "${REDIS_PORT:-6379}" ping 2>&1)
case "${1:-}:$reply" in
ready:PONG | alive:PONG | alive:LOADING*) exit 0 ;;
esac
echo "redis-server answered PING with: $reply"
exit 1
