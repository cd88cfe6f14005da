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

# The servers under test: every start and every cli call of the suite goes
# through these two (the same tests run against Redis and Valkey builds).
T_REDIS_SERVER=${T_REDIS_SERVER:-redis-server}
T_REDIS_CLI=${T_REDIS_CLI:-redis-cli}
T_SERVER_NAME=$(basename "$T_REDIS_SERVER") # what ps and pgrep show

# Ports.  Data ports live in [11000, 21000), so that their cluster bus ports
# (+10000) stay in [21000, 31000): below Linux's ephemeral range (32768+),
# where outgoing connections would take them, and never a data port of
# another script.  tests/run.sh gives each script a band of its own,
# T_PORT_BASE .. T_PORT_BASE+T_PORT_SPAN-1; a script run alone takes the band
# a hash of its name picks.  Scripts never write a port number themselves.
# T_PORT_LO / T_PORT_HI narrow the whole range (tests/run.sh passes them on:
# several suites on one machine each keep to a range of their own).
T_PORT_LO=${T_PORT_LO:-11000} T_PORT_HI=${T_PORT_HI:-21000}
T_PORT_SPAN=${T_PORT_SPAN:-200}
if [ -z "${T_PORT_BASE:-}" ]; then
	T_PORT_BASE=$((T_PORT_LO + ($(printf '%s' "$T_NAME" | cksum | cut -d' ' -f1) % \
		((T_PORT_HI - T_PORT_LO) / T_PORT_SPAN)) * T_PORT_SPAN))
fi

# t_port_free PORT [HOST...]: nothing listens on PORT or PORT+10000 (the
# cluster bus) at any HOST (default 127.0.0.1).
t_port_free() {
	local p=$1 h
	shift
	for h in "${@:-127.0.0.1}"; do
		(exec 3<>"/dev/tcp/$h/$p") 2>/dev/null && return 1
		(exec 3<>"/dev/tcp/$h/$((p + 10000))") 2>/dev/null && return 1
	done
	return 0
}

# t_free_ports N [HOST...]: prints the first port B of N consecutive ports,
# B..B+N-1, free (with their bus ports) at every HOST (default 127.0.0.1).
# Successive calls hand out successive ports of the script's band (the
# cursor is a file: calls run in $(...) subshells); past the band, other
# people's ports on this machine pushed it on: it goes on up to T_PORT_HI,
# then wraps to T_PORT_LO, and says so.
t_free_ports() {
	local n=$1 p i ok tries=0
	shift
	p=$(cat "$T_DIR/.port-next" 2>/dev/null || echo "$T_PORT_BASE")
	while [ $tries -lt 2000 ]; do
		[ $((p + n)) -gt $T_PORT_HI ] && p=$T_PORT_LO
		ok=1
		for ((i = 0; i < n; i++)); do
			t_port_free $((p + i)) "$@" || { ok=0; break; }
		done
		if [ $ok -eq 1 ]; then
			echo $((p + n)) >"$T_DIR/.port-next"
			[ $((p + n)) -le $((T_PORT_BASE + T_PORT_SPAN)) ] && [ "$p" -ge "$T_PORT_BASE" ] ||
				echo "t_free_ports: ports $p..$((p + n - 1)) are outside this script's band $T_PORT_BASE+$T_PORT_SPAN" >&2
			echo "$p"
			return 0
		fi
		p=$((p + i + 1))
		tries=$((tries + 1))
	done
	echo "no free ports" >&2
	return 1
}

# t_addr HOST PORT: "host:port", IPv6 in brackets.
t_addr() { case "$1" in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }

# T_NODES: the address of every cluster node this script started, in the
# order of their first start (tests/integration/lib/cluster.bash numbers
# nodes by it).
T_NODES=()

# t_spawn_node HOST PORT [server args...]: a cluster-enabled T_REDIS_SERVER
# with its own folder under T_DIR (kept across restarts: nodes.conf, data),
# started in the background without waiting; teardown kills it.
t_spawn_node() {
	local host=$1 port=$2 d="$T_DIR/node-$1-$2" a
	shift 2
	mkdir -p "$d"
	"$T_REDIS_SERVER" --bind "$host" --port "$port" --cluster-enabled yes \
		--cluster-config-file "$d/nodes.conf" --dir "$d" --save "" --appendonly no \
		--cluster-announce-ip "$host" --logfile "$d/redis.log" --daemonize no "$@" &
	T_PIDS+=($!)
	disown $! 2>/dev/null # teardown kills it; no "Killed" job notice
	a=$(t_addr "$host" "$port")
	[[ " ${T_NODES[*]} " == *" $a "* ]] || T_NODES+=("$a")
}

# t_start_node HOST PORT [server args...]: t_spawn_node, then waits
# (deadline 10 s) until the node answers PING.
t_start_node() {
	t_spawn_node "$@"
	t_wait 10 t_ping "$1" "$2" || { echo "node $1:$2 did not start" >&2; return 1; }
}

# t_start_plain HOST PORT [server args...]: a T_REDIS_SERVER without cluster
# support (not in T_NODES), answering PING when this returns.
t_start_plain() {
	local host=$1 port=$2
	shift 2
	"$T_REDIS_SERVER" --bind "$host" --port "$port" --save "" --appendonly no --dir "$T_DIR" \
		--logfile "$T_DIR/plain-$host-$port.log" --daemonize no "$@" &
	T_PIDS+=($!)
	disown $! 2>/dev/null
	t_wait 10 t_ping "$host" "$port" || { echo "server $host:$port did not start" >&2; return 1; }
}

# t_ping HOST PORT: the server answers (PONG, or an error such as NOAUTH or
# LOADING: it is up).
t_ping() { "$T_REDIS_CLI" -h "$1" -p "$2" ping >/dev/null 2>&1; }

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
