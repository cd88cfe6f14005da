# test-lib.bash - shared helpers for every test script (source it first).
#
# Each test script runs in its own process (tests/run.sh gives it a deadline),
# starts its own redis-server processes on free ports, and tears them down on
# exit whatever happens.  Assertions print both values.  The script ends with
# t_done, which prints "NAME: N passed, N failed" and sets the exit status.

set -uo pipefail
T_NAME=$(basename "$0" .sh)
T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SHARDCTL=${SHARDCTL:-$T_ROOT/build/shardctl}
SHARDCTL_TOOLS=${SHARDCTL_TOOLS:-$T_ROOT/build}
T_DIR=$(mktemp -d "/tmp/shardctl-$T_NAME.XXXXXX")
T_PASS=0
T_FAIL=0
T_PIDS=()

t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	# redis-server processes started by shardctl itself (local mode) leave
	# a pid file in their folder under T_DIR
	while IFS= read -r f; do
		p=$(cat "$f" 2>/dev/null) && [ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done < <(find "$T_DIR" -name '*.pid' 2>/dev/null)
	[ -n "${T_KEEP:-}" ] || rm -rf "$T_DIR"
}
trap t_cleanup EXIT

t_ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
t_not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }

# t_eq WANT GOT WHAT
t_eq() {
	if [ "$1" = "$2" ]; then t_ok "$3"; else t_not_ok "$3: got '$2', want '$1'"; fi
}
# t_contains HAYSTACK NEEDLE WHAT
t_contains() {
	case "$1" in
	*"$2"*) t_ok "$3" ;;
	*) t_not_ok "$3: '$2' not found in: $(printf '%s' "$1" | head -c 600)" ;;
	esac
}
t_not_contains() {
	case "$1" in
	*"$2"*) t_not_ok "$3: '$2' unexpectedly found in: $(printf '%s' "$1" | head -c 600)" ;;
	*) t_ok "$3" ;;
	esac
}

# t_run CMD... : runs it, keeps T_OUT, T_ERR and T_RC.
t_run() {
	"$@" >"$T_DIR/.out" 2>"$T_DIR/.err"
	T_RC=$?
	T_OUT=$(cat "$T_DIR/.out")
	T_ERR=$(cat "$T_DIR/.err")
}

# t_port_free PORT [HOST]: nothing listens on PORT or PORT+10000 (the cluster
# bus) at HOST (default 127.0.0.1).
t_port_free() {
	local h=${2:-127.0.0.1}
	! (exec 3<>"/dev/tcp/$h/$1") 2>/dev/null && ! (exec 3<>"/dev/tcp/$h/$(($1 + 10000))") 2>/dev/null
}

# t_free_ports N [HOST]: prints a base port B such that B..B+N-1 and their
# bus ports are all free at HOST (default 127.0.0.1).  Ports stay within 12000..22767 so that the bus ports
# (+10000) stay below Linux's ephemeral range (32768-60999), where outgoing
# client connections would otherwise take them.  Scripts running at the same
# time are spread by T_PORT_BASE (its thousands digit picks a band) and a
# per-process pseudo-random offset.
t_free_ports() {
	local n=$1 band=$(( (${T_PORT_BASE:-20000} / 1000) % 10 )) tries=0 i ok base
	base=$((12000 + band * 1000 + (RANDOM % 40) * 20))
	while [ $tries -lt 600 ]; do
		[ $((base + n)) -gt 22767 ] && base=12000
		ok=1
		for ((i = 0; i < n; i++)); do
			t_port_free $((base + i)) "${2:-127.0.0.1}" || { ok=0; break; }
		done
		[ $ok -eq 1 ] && { echo "$base"; return 0; }
		base=$((base + n + 1))
		tries=$((tries + 1))
	done
	echo "no free ports" >&2
	return 1
}

# t_start_node HOST PORT [redis-server args...]: a cluster-enabled node with
# its own folder under T_DIR; waits (deadline 10 s) until it answers PING.
t_start_node() {
	local host=$1 port=$2 d="$T_DIR/node-$1-$2"
	shift 2
	mkdir -p "$d"
	redis-server --bind "$host" --port "$port" --cluster-enabled yes \
		--cluster-config-file "$d/nodes.conf" --dir "$d" --save "" --appendonly no \
		--cluster-announce-ip "$host" --logfile "$d/redis.log" --daemonize no "$@" &
	T_PIDS+=($!)
	disown $! 2>/dev/null # teardown kills it; no "Killed" job notice
	t_wait 10 redis-cli -h "$host" -p "$port" ping || { echo "node $host:$port did not start" >&2; return 1; }
}

# t_wait SECONDS CMD...: retries CMD (quietly) until it succeeds or the
# deadline passes; returns CMD's last status.
t_wait() {
	local deadline=$(($(date +%s) + $1))
	shift
	while true; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

t_done() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
	exit $?
}
