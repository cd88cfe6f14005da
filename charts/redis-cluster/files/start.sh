#!/bin/sh
# start.sh [REDIS-SERVER-ARGS...] - the redis container's entrypoint.
#
# Starts redis-server with the chart's redis.conf plus what only the pod
# knows, written to a runtime file included after it:
#   cluster-announce-ip        POD_IP (peers record the pod's own address,
#                              also right after a restart with a new IP)
#   cluster-announce-hostname  REDIS_ANNOUNCE_HOSTNAME, the pod's DNS name
#                              (how shardctl heal finds members again)
#   requirepass, masterauth    from REDIS_PASSWORD_FILE when set: the password
#                              goes to a file only this user reads, never to
#                              a command line
# Extra arguments are passed on to redis-server.
set -eu
conf_dir=${REDIS_CONF_DIR:-/etc/redis-cluster}
run_dir=${REDIS_RUN_DIR:-/run/redis-cluster}
: "${POD_IP:?POD_IP is not set}"
: "${REDIS_ANNOUNCE_HOSTNAME:?REDIS_ANNOUNCE_HOSTNAME is not set}"

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
exec redis-server "$conf_dir/redis.conf" --include "$run_dir/runtime.conf" "$@"
