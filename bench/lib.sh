# lib.sh - what the benchmarks share, sourced by resize.sh and asm.sh: the
# clock, fresh clusters on loopback addresses of their own, waits, and
# /usr/bin/time -v around a tool (peak RSS, CPU).
#
# The caller sets SERVER and CLI (scripts/servers.sh), PORT (the first
# node's port), NODES (nodes per cluster; 0-7 become the 4x1 cluster), WORK
# (a scratch directory), host_no (clusters get 127.0.4.<host_no + 1>, ...)
# and clears PIDS and runpid (the load client).

die() { echo "bench: error: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
join() { local IFS=,; echo "$*"; }
# ops_p99 LOG START END: the p99 latency (us) of the operations of LOG
# (`sc-load run --ops-log`: "START-US LATENCY-US" a line) that started in
# [START, END] (epoch seconds); nothing when none did
ops_p99() {
	awk -v a="$2" -v b="$3" 'BEGIN { a *= 1000000; b *= 1000000 } $1 >= a && $1 <= b { print $2 }' "$1" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) { r = int(0.99 * NR); if (r < 0.99 * NR) r++; print v[r] } }'
}
# ops_max LOG START END: the longest of those operations (us)
ops_max() {
	awk -v a="$2" -v b="$3" 'BEGIN { a *= 1000000; b *= 1000000 } $1 >= a && $1 <= b && $2 > m { m = $2 }
		END { if (m) print m }' "$1"
}
# cli_at HOST:PORT ARGS...
cli_at() { local a=$1; shift; "$CLI" -h "${a%:*}" -p "${a##*:}" "$@"; }

cleanup() {
	local p
	[ -n "$runpid" ] && kill "$runpid" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# every node given reports cluster_state:ok and knows exactly the nodes
# given, and the cli's check finds the cluster consistent (all agree on the
# slot map, no open slot)
cluster_ok() {
	local a info
	for a in "$@"; do
		info=$(cli_at "$a" cluster info | tr -d '\r')
		grep -q cluster_state:ok <<<"$info" || return 1
		grep -qx "cluster_known_nodes:$#" <<<"$info" || return 1
	done
	info=$("$CLI" --cluster check "$1" 2>&1)
	grep -q 'All nodes agree' <<<"$info" && ! grep -qE '^\[(ERR|WARNING)\]' <<<"$info"
}

# every replica among the nodes given has its link up and no sync running
replicas_synced() {
	local a info
	for a in "$@"; do
		info=$(cli_at "$a" info replication | tr -d '\r')
		grep -q '^role:slave' <<<"$info" || continue
		grep -q '^master_link_status:up' <<<"$info" || return 1
		grep -q '^master_sync_in_progress:0' <<<"$info" || return 1
	done
}

# start_cluster: NODES fresh nodes on a new loopback address, nodes 0-7 made
# a 4x1 cluster by the cli; sets H (host) and the node addresses N[]
start_cluster() {
	local i d
	host_no=$((host_no + 1))
	H=127.0.4.$host_no
	N=()
	for ((i = 0; i < NODES; i++)); do
		N[i]=$H:$((PORT + i))
		d=$WORK/$H-$i
		mkdir -p "$d"
		"$SERVER" --bind "$H" --port $((PORT + i)) --cluster-enabled yes \
			--cluster-config-file "$d/nodes.conf" --dir "$d" --save "" --appendonly no \
			--cluster-announce-ip "$H" --logfile "$d/server.log" --daemonize no &
		PIDS+=($!)
	done
	for ((i = 0; i < NODES; i++)); do wait_for 10 cli_at "${N[i]}" ping || die "node $i did not start"; done
	"$CLI" --cluster create "${N[@]:0:8}" --cluster-replicas 1 --cluster-yes >"$WORK/create.log" 2>&1 ||
		die "cluster create failed: $(tail -5 "$WORK/create.log")"
	wait_for 30 cluster_ok "${N[@]:0:8}" || die "cluster did not converge"
}

stop_cluster() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	rm -rf "$WORK"/127.0.4.*
}

# fill KEYS SIZE: the data set, then the setup's replicas finish their
# first sync (the cli's create leaves the 5 s diskless-sync delay running)
# before any tool is timed: a tool that waits for replicas in sync would
# otherwise pay for the setup
fill() {
	local out
	out=$("$SC_LOAD" fill --seed "${N[0]}" --keys "$1" --size "$2") || die "fill failed: $out"
	log "$out"
	wait_for 120 replicas_synced "${N[@]:0:8}" || die "replicas did not sync"
}

# measured CMD...: a program run under /usr/bin/time -v, its report kept
# for rss_read
rss_no=0
measured() {
	rss_no=$((rss_no + 1))
	/usr/bin/time -v -o "$WORK/rss.$rss_no" "$@"
}
# rss_read: T_RSS_KB (largest peak RSS of the programs measured since the
# last call, "-" when none) and T_CPU (their user + system seconds)
rss_read() {
	T_RSS_KB=$(awk -F': ' '/Maximum resident set size/ { m = $2 > m ? $2 : m; n++ }
		END { print n ? m : "-" }' "$WORK"/rss.* 2>/dev/null)
	T_CPU=$(awk -F': ' '/User time|System time/ { c += $2 } END { printf "%.2f", c }' "$WORK"/rss.* 2>/dev/null)
	T_RSS_KB=${T_RSS_KB:--}
	rm -f "$WORK"/rss.*
}
