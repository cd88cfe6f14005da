#!/usr/bin/env bash
# seqmove.sh - the legacy migrator's rounds against the plainest sequential
# move (tools/sc-seqmove.c), both moving the same slots back and forth on one
# cluster while a client runs: what the engine's shape costs the clients
# (issue 10, bench/results/analysis.md).  By hand, not a test.
#
# A `shardctl local up` cluster of 4 masters x 1 replica (Redis 7.0 unless
# BENCH_SERVER names another server of scripts/servers.sh), KEYS keys of 100
# bytes, `sc-load run` at RATE ops/s with an ops log.  Slots 0-LAST go from
# their master to the master of slot 16383 and back, by each tool in turn,
# ROUNDS times:
#   engine-N  build/sc-migrate (the engine's legacy migrator) with
#             --max-latency N (decimals allowed)
#   seq-K     build/sc-seqmove: every slot opened at once, then per slot
#             GETKEYSINSLOT / MIGRATE of K keys, one call at a time, then
#             NODE everywhere at once
# After every move each key is verified and `shardctl check` must find the
# cluster healthy (the run stops otherwise).  A row per move: tool,
# direction, seconds, the client's p99 and longest operation over the
# move's window (ms).
# Environment: BENCH_KEYS (1000000), BENCH_LAST (1599), BENCH_RATE (2000),
# BENCH_ROUNDS (2), BENCH_TOOLS ("engine-1.5 engine-1 seq-40"), BENCH_SERVER
# (redis-7.0), BENCH_PORT (19100).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=$root/build
KEYS=${BENCH_KEYS:-1000000}
LAST=${BENCH_LAST:-1599}
RATE=${BENCH_RATE:-2000}
ROUNDS=${BENCH_ROUNDS:-2}
TOOLS=${BENCH_TOOLS:-engine-1.5 engine-1 seq-40}
PORT=${BENCH_PORT:-19100}
H=127.0.0.1
read -r _ SERVER CLI <<<"$("$root/scripts/servers.sh" "${BENCH_SERVER:-redis-7.0}")" || true
[ -n "${CLI:-}" ] || { echo "seqmove: error: no server '${BENCH_SERVER:-redis-7.0}'" >&2; exit 1; }
for bin in "$B/shardctl" "$B/sc-load" "$B/sc-migrate" "$B/sc-seqmove"; do
	[ -x "$bin" ] || { echo "seqmove: error: '$bin' not found (make)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/shardctl-seqmove.XXXXXX)
PIDS=()
runpid=
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
# the cluster is local mode's: stopped before lib.sh's cleanup
cleanup_local() {
	"$B/shardctl" local down --dir "$WORK/c" >/dev/null 2>&1
	cleanup
}
trap cleanup_local EXIT

# the master owning slot $1, as HOST:PORT
owner() {
	cli_at "$H:$PORT" cluster nodes | awk -v s="$1" '$3 ~ /master/ {
		for (i = 9; i <= NF; i++) { n = split($i, r, "-"); if (n == 1) r[2] = r[1];
			if (s >= r[1] && s <= r[2]) { sub(/@.*/, "", $2); print $2 } } }'
}
ms_of() { # "$1" us as ms, or - for nothing
	if [ -n "$1" ]; then awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; else echo -; fi
}

"$B/shardctl" local up --dir "$WORK/c" --shards 4 --replicas 1 --port "$PORT" --redis-server "$SERVER" \
	>/dev/null || die "the cluster did not start"
"$B/sc-load" fill --seed "$H:$PORT" --keys "$KEYS" >/dev/null || die "fill failed"
A=$(owner 0)
Z=$(owner 16383)
others=$(cli_at "$H:$PORT" cluster nodes | awk '$3 ~ /master/ { sub(/@.*/, "", $2); print $2 }' |
	grep -vx -e "$A" -e "$Z")
"$B/sc-load" run --seed "$H:$PORT" --seconds 7200 --rate "$RATE" --keys "$KEYS" --run-prefix seq \
	--ops-log "$WORK/ops.log" --json >"$WORK/run.json" 2>"$WORK/run.err" &
runpid=$!
sleep 1
echo "date: $(date -u '+%Y-%m-%d %H:%M') UTC, shardctl $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), $("$SERVER" --version | head -1 | cut -d' ' -f1-3)"
echo "seqmove: slots 0-$LAST (of $KEYS keys) between $A and $Z, client at $RATE ops/s, $(nproc) cores"
printf '%-10s %-6s %8s %10s %10s  %s\n' tool dir seconds "p99 (ms)" "max (ms)" load
for _ in $(seq "$ROUNDS"); do
	for tool in $TOOLS; do
		for dir in there back; do
			if [ $dir = there ]; then src=$A dst=$Z; else src=$Z dst=$A; fi
			[ "$(owner 0)" = "$src" ] || die "slot 0 is not on $src before $tool $dir"
			t0=$(now)
			# shellcheck disable=SC2086
			case $tool in
			engine-*) SC_MAX_LATENCY=${tool#engine-} "$B/sc-migrate" "$src" "$dst" "0-$LAST" $others \
					>"$WORK/tool.out" 2>&1 ;;
			seq-*) SEQ_KEYS=${tool#seq-} "$B/sc-seqmove" "$src" "$dst" "0-$LAST" $others \
					>"$WORK/tool.out" 2>&1 ;;
			*) die "unknown tool '$tool'" ;;
			esac || { cat "$WORK/tool.out" >&2; die "$tool $dir failed"; }
			t1=$(now)
			sleep 0.3
			printf '%-10s %-6s %8.2f %10s %10s  %s\n' "$tool" "$dir" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
				"$(ms_of "$(ops_p99 "$WORK/ops.log" "$t0" "$t1")")" \
				"$(ms_of "$(ops_max "$WORK/ops.log" "$t0" "$t1")")" "$(cut -d' ' -f1 /proc/loadavg)"
			"$B/sc-load" verify --seed "$H:$PORT" --keys "$KEYS" >"$WORK/verify.out" 2>&1 ||
				{ tail -3 "$WORK/verify.out" >&2; die "keys lost after $tool $dir"; }
			"$B/shardctl" check "$H:$PORT" >"$WORK/check.out" 2>&1 ||
				{ tail -3 "$WORK/check.out" >&2; die "not healthy after $tool $dir"; }
		done
	done
done
kill -TERM "$runpid"
wait "$runpid" || { cat "$WORK/run.err" >&2; die "the client saw errors (above)"; }
runpid=
echo "client: $(cat "$WORK/run.json")"
