#!/bin/sh
# probe.sh alive - the server container's liveness probe (sh and valkey-cli
# or redis-cli of the official image).  Alive: PING answers PONG, or LOADING
# while a large dataset loads.  Readiness is the sidecar's `shardctl ready`.
set -u
cli=$(command -v valkey-cli || command -v redis-cli) || {
	echo "probe.sh: neither valkey-cli nor redis-cli is on PATH"
	exit 1
}
if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
	REDISCLI_AUTH=$(head -n 1 "$REDIS_PASSWORD_FILE")
	VALKEYCLI_AUTH=$REDISCLI_AUTH
	export REDISCLI_AUTH VALKEYCLI_AUTH
fi
reply=$("$cli" --no-auth-warning -h "${REDIS_HOST:-127.0.0.1}" -p "${REDIS_PORT:-6379}" ping 2>&1)
case "$reply" in
PONG | LOADING*) exit 0 ;;
esac
echo "the server answered PING with: $reply"
exit 1
