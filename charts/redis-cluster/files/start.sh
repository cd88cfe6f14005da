#!/bin/sh
# start.sh [SERVER-ARGS...] - the server container's entrypoint (sh of the
# official Valkey or Redis image; nothing else of the image is relied on).
#
# Runs valkey-server when the image has it, else redis-server, with the
# chart's redis.conf plus what only the pod knows, written to a runtime file
# on a writable volume (the root filesystem is read-only) included after it:
#   cluster-announce-ip        POD_IP (peers record the pod's own address,
#                              also right after a restart with a new IP)
#   cluster-announce-hostname  REDIS_ANNOUNCE_HOSTNAME, the pod's DNS name
#                              (how shardctl heal finds members again)
#   requirepass, masterauth    from REDIS_PASSWORD_FILE when set: the password
#                              goes to a file only this user reads, never to
#                              a command line
# and removes a handoff marker left by an earlier run of this pod's
# containers (prestop-wait.sh must wait for a new one).
# Extra arguments are passed on to the server.
set -eu
conf_dir=${REDIS_CONF_DIR:-/etc/redis-cluster}
run_dir=${REDIS_RUN_DIR:-/run/redis-cluster}
: "${POD_IP:?POD_IP is not set}"
: "${REDIS_ANNOUNCE_HOSTNAME:?REDIS_ANNOUNCE_HOSTNAME is not set}"

server=$(command -v valkey-server || command -v redis-server) || {
	echo "start.sh: neither valkey-server nor redis-server is on PATH ($PATH)" >&2
	exit 1
}
[ -z "${HANDOFF_DIR:-}" ] || rm -f "$HANDOFF_DIR/done"

umask 077
mkdir -p "$run_dir"
{
	echo "cluster-announce-ip $POD_IP"
	echo "cluster-announce-hostname $REDIS_ANNOUNCE_HOSTNAME"
	if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
		# redis.conf quoting: backslash and double quote are escaped
		pw=$(head -n 1 "$REDIS_PASSWORD_FILE" | sed 's/\\/\\\\/g; s/"/\\"/g')
		printf 'requirepass "%s"\nmasterauth "%s"\n' "$pw" "$pw"
	fi
} >"$run_dir/runtime.conf"
exec "$server" "$conf_dir/redis.conf" --include "$run_dir/runtime.conf" "$@"
