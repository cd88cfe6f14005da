#!/usr/bin/env bash
# resize.sh - shardctl against redis-cli --cluster on the same resize, in the
# same run, on fresh identical clusters (`make bench`; by hand, not a test).
#
# Scenario: 4 shards x 1 replica made by `redis-cli --cluster create`, KEYS
# keys of SIZE bytes loaded with sc-load, then scaled to 5 shards x 1
# replica and back to 4, by each tool on its own fresh cluster:
#   shardctl      shardctl reconcile --nodes ... --shards 5|4 --replicas 1
#                 (its default --max-latency)
#   shardctl-nolimit  the same with --max-latency 0 (no latency budget: the
#                 speed the budget trades away)
#   shardctl-latN the same with --max-latency N (other budgets, side by side)
#   redis-cli     add-node (master, then its replica), wait for agreement,
#                 rebalance --cluster-use-empty-masters; 5 -> 4: rebalance
#                 --cluster-weight <id>=0, then del-node replica and master
#   redis-cli-p100  the same with --cluster-pipeline 100
#   floor         sc-load copy: pipelined DUMP of the keys of the same slots
#                 from their owners, RESTORE into a plain redis-server
#   floor-migrate sc-load copy --migrate: MIGRATE ... COPY of the same keys
#                 into a plain redis-server, one source after another
# During every move `sc-load run` reads and writes (errors, p50/p99, and the
# p99 over the slot moves alone: shardctl's moves, redis-cli's rebalance,
# from its --ops-log); after
# every move every key is verified byte for byte.  Peak RSS via
# /usr/bin/time -v.  Then the 4 -> 5 move alone at other key counts for the
# plot of move time against key count.
#
# Output: a table on screen and in bench/results/resize.txt, raw rows in
# bench/results/resize.csv and scale.csv, the plot bench/results/scale.png.
# Environment: BENCH_KEYS (1000000), BENCH_SIZE (100), BENCH_SCALE_KEYS
# ("100000 1000000 3000000"; empty: no plot), BENCH_RATE (client ops/s,
# 1000), BENCH_OUT (bench/results), BENCH_SERVER (a name of scripts/servers.sh,
# default redis-7.0: the servers of every cluster and floor, and the cli whose
# --cluster rebalance is measured; results of another server go to
# bench/results/NAME), BENCH_TOOLS (the tools compared, "shardctl
# shardctl-nolimit redis-cli redis-cli-p100"; shardctl first: the ratios are
# against it).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SHARDCTL=${SHARDCTL:-$root/build/shardctl}
SC_LOAD=${SC_LOAD:-$root/build/sc-load}
KEYS=${BENCH_KEYS:-1000000}
SIZE=${BENCH_SIZE:-100}
SCALE_KEYS=${BENCH_SCALE_KEYS-100000 1000000 3000000}
RATE=${BENCH_RATE:-1000}
TOOLS=${BENCH_TOOLS:-shardctl shardctl-nolimit redis-cli redis-cli-p100}
BENCH_SERVER=${BENCH_SERVER:-redis-7.0}
read -r _ SERVER CLI <<<"$("$root/scripts/servers.sh" "$BENCH_SERVER")" || true
[ -n "${CLI:-}" ] || { echo "bench: error: no server '$BENCH_SERVER' (scripts/servers.sh)" >&2; exit 1; }
if [ "$BENCH_SERVER" = redis-7.0 ]; then OUT=${BENCH_OUT:-$root/bench/results}; else OUT=${BENCH_OUT:-$root/bench/results/$BENCH_SERVER}; fi
PORT=${BENCH_PORT:-18500} # bus ports (+10000) below the ephemeral range 32768-
NODES=10 # nodes 0-7: the 4x1 cluster; 8, 9: the fifth shard
WORK=$(mktemp -d /tmp/shardctl-bench.XXXXXX)
PIDS=()
runpid=
host_no=20 # every cluster on its own loopback address 127.0.4.N
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

for bin in "$SHARDCTL" "$SC_LOAD" /usr/bin/time "$SERVER" "$CLI"; do
	command -v "$bin" >/dev/null || die "'$bin' not found (make; scripts/deps.sh bench)"
done
mkdir -p "$OUT/logs"

# ---- clusters -------------------------------------------------------------

# replica_known REPLICA MASTER_ID NODES...: every node sees REPLICA as a
# replica of MASTER_ID (rebalance would otherwise count it as a master)
replica_known() {
	local r=$1 id=$2 a
	shift 2
	for a in "$@"; do
		cli_at "$a" cluster nodes | grep " ${r}@" | grep -q "slave $id" || return 1
	done
}

node_id() { cli_at "$1" cluster myid; }
# the master among nodes 8 and 9 that owns slots; its slot ranges
fifth_master() {
	local a
	for a in "${N[8]}" "${N[9]}"; do
		cli_at "$a" role | head -1 | grep -q master &&
			[ "$(slots_of "$a")" != "" ] && { echo "$a"; return 0; }
	done
	return 1
}
slots_of() {
	cli_at "$1" cluster nodes | awk '$3 ~ /myself/ {
		s = ""; for (i = 9; i <= NF; i++) if ($i !~ /^\[/) s = s (s ? "," : "") $i; print s }'
}

# ---- one timed move ---------------------------------------------------------

# timed NAME CMD...: runs CMD (a shell function or program) under
# /usr/bin/time -v with sc-load run going; sets T_SECS, T_RSS_KB, T_RUN
# (run's JSON) and T_RC
timed() {
	local name=$1 t0
	shift
	"$SC_LOAD" run --seed "${N[0]}" --seconds 7200 --rate "$RATE" --keys "$KEYS_NOW" \
		--size "$SIZE" --run-prefix "run-$name" --ops-log "$WORK/ops.log" --json >"$WORK/run.json" 2>"$WORK/run.err" &
	runpid=$!
	sleep 0.5
	t0=$(now)
	rm -f "$WORK/detail" "$WORK/window"
	"$@" 2>&1 | stamp "$t0" >"$WORK/$name.log"
	T_RC=${PIPESTATUS[0]}
	T_SECS=$(elapsed "$t0")
	T_LOAD=$(cut -d' ' -f1 /proc/loadavg) # other work on the machine skews times
	sleep 0.5
	kill -TERM "$runpid"
	wait "$runpid"
	runpid=
	T_RUN=$(cat "$WORK/run.json")
	T_DETAIL=$(cat "$WORK/detail" 2>/dev/null)
	cp "$WORK/$name.log" "$OUT/logs/$KEYS_NOW-$name.log" 2>/dev/null
	rss_read
	[ "$T_RC" -eq 0 ] || { log "$name failed (exit $T_RC):"; tail -20 "$WORK/$name.log" >&2; }
	if [ -z "$T_DETAIL" ] && [ "${name%%-*}" = shardctl ]; then
		T_DETAIL=$(move_only "$name")
		T_DETAIL=${T_DETAIL:+moves alone $T_DETAIL s}
		shardctl_window "$name" "$t0"
	fi
	T_P99_MOVES=$(window_p99)
	# the tool's own CPU time (user + system): the rest is waiting on servers
	[ "${name%%-*}" = floor ] || T_DETAIL="${T_DETAIL:+$T_DETAIL; }cpu ${T_CPU:-?} s"
}

# stamp [T0]: each line prefixed with the seconds since T0 (epoch seconds,
# default: when stamp started; where the time goes); no process per line
stamp() {
	local l s=${EPOCHREALTIME/./} d
	[ -z "${1:-}" ] || s=$(awk -v t="$1" 'BEGIN { printf "%.0f", t * 1000000 }')
	while IFS= read -r l; do
		d=$((${EPOCHREALTIME/./} - s))
		printf '%4d.%02d %s\n' $((d / 1000000)) $((d % 1000000 / 10000)) "$l"
	done
}

# shardctl_to5 / shardctl_to4 [OPTION...]: extra reconcile options
shardctl_to5() { measured "$SHARDCTL" reconcile --nodes "$(join "${N[@]}")" --shards 5 --replicas 1 "$@"; }
shardctl_to4() { measured "$SHARDCTL" reconcile --nodes "$(join "${N[@]:0:8}")" --shards 4 --replicas 1 "$@"; }

# redis-cli's way to 5 shards x 1 replica; $1: extra rebalance options.
# Both nodes join as masters, and the replica is attached once every node
# knows both: `add-node --cluster-slave` right after the first add-node, and
# rebalance before every node knows every node, fail with "Unknown node" on
# this machine (seen), so an operator has to wait between the steps.
rcli_to5() {
	local id t
	measured "$CLI" --cluster add-node "${N[8]}" "${N[0]}" || return 1
	# the next add-node refuses while nodes disagree ("Nodes don't agree")
	wait_for 60 cluster_ok "${N[@]:0:9}" || return 1
	measured "$CLI" --cluster add-node "${N[9]}" "${N[0]}" || return 1
	wait_for 60 cluster_ok "${N[@]}" || return 1
	id=$(node_id "${N[8]}")
	cli_at "${N[9]}" cluster replicate "$id" | grep -qx OK || return 1
	wait_for 60 replica_known "${N[9]}" "$id" "${N[@]}" || return 1
	wait_for 60 cluster_ok "${N[@]}" || return 1
	t=$(now)
	# shellcheck disable=SC2086
	measured "$CLI" --cluster rebalance "${N[0]}" --cluster-use-empty-masters $1 || return 1
	echo "rebalance alone $(elapsed "$t") s" >"$WORK/detail"
	echo "$t $(now)" >"$WORK/window"
}
# redis-cli's way to empty a node and remove it with its replica
rcli_to4() {
	local m r t
	m=$(fifth_master) || return 1
	[ "$m" = "${N[8]}" ] && r=${N[9]} || r=${N[8]}
	t=$(now)
	# shellcheck disable=SC2086
	measured "$CLI" --cluster rebalance "${N[0]}" --cluster-weight "$(node_id "$m")=0" $1 || return 1
	echo "rebalance alone $(elapsed "$t") s" >"$WORK/detail"
	echo "$t $(now)" >"$WORK/window"
	measured "$CLI" --cluster del-node "${N[0]}" "$(node_id "$r")" || return 1
	measured "$CLI" --cluster del-node "${N[0]}" "$(node_id "$m")" || return 1
}

floor_copy() { # floor_copy SLOTS [--migrate]
	"$CLI" -h "$H" -p "$FLOOR_PORT" flushall >/dev/null
	"$SC_LOAD" copy --seed "${N[0]}" --to "$H:$FLOOR_PORT" --slots "$1" --json ${2:-}
}

start_floor_target() {
	local d=$WORK/$H-floor
	FLOOR_PORT=$((PORT + NODES))
	mkdir -p "$d"
	"$SERVER" --bind "$H" --port "$FLOOR_PORT" --save "" --appendonly no --dir "$d" \
		--logfile "$d/server.log" --daemonize no &
	PIDS+=($!)
	wait_for 10 "$CLI" -h "$H" -p "$FLOOR_PORT" ping || die "floor target did not start"
}

verify_all() { # prints "lost" count (missing + wrong + unreadable)
	local out
	out=$("$SC_LOAD" verify --seed "${N[0]}" --keys "$KEYS_NOW" --size "$SIZE" --json --show 5 2>"$WORK/verify.err")
	sed -E 's/.*"missing":([0-9]+),"wrong":([0-9]+),"errors":([0-9]+).*/\1 \2 \3/' <<<"$out" |
		awk '{ print $1 + $2 + $3 }'
}

# The moves' window (epoch seconds "START END" in $WORK/window): the client's
# p99 over the slot moves alone, for every tool alike (the whole command's
# also covers redis-cli's add-node waits, when nothing moves).  redis-cli:
# its rebalance command; shardctl: its "moved ... in X s" line's time less X.
shardctl_window() { # shardctl_window NAME T0
	awk -v t0="$2" '/moved [0-9]+\/[0-9]+ slots, [0-9]+ keys in [0-9.]+ s/ {
		for (i = 1; i <= NF; i++) if ($i == "in" && $(i + 2) == "s") x = $(i + 1)
		end = t0 + $1; line = sprintf("%.6f %.6f", end - x, end) }
		END { if (line != "") print line }' "$WORK/$1.log" >"$WORK/window"
}
window_p99() { # the client's p99 (us) over $WORK/window, from its ops log
	[ -s "$WORK/window" ] && [ -s "$WORK/ops.log" ] || return 0
	read -r ws we <"$WORK/window"
	ops_p99 "$WORK/ops.log" "$ws" "$we"
}

# move_only NAME: seconds spent moving slots alone, from the last timed
# command: redis-cli's rebalance; shardctl's own "moved ... in X s" line
move_only() {
	if [ -n "$T_DETAIL" ] && [ "${T_DETAIL#rebalance}" != "$T_DETAIL" ]; then
		awk '{ print $3 }' <<<"$T_DETAIL"
	else
		sed -nE 's/.*moved [0-9]+\/[0-9]+ slots, [0-9]+ keys in ([0-9.]+) s.*/\1/p' "$WORK/$1.log" | tail -1
	fi
}

jnum() { sed -E "s/.*\"$1\":([0-9]+).*/\\1/" <<<"$2"; }

# record MOVE TOOL LOST: appends a row to the results
record() {
	local errs p50 p99 max
	errs=$(($(jnum errors "$T_RUN") + $(jnum wrong "$T_RUN") + $(jnum lost "$T_RUN")))
	p50=$(jnum p50_us "$T_RUN")
	p99=$(jnum p99_us "$T_RUN")
	max=$(jnum max_us "$T_RUN")
	[ "$T_RC" -eq 0 ] || T_SECS=failed
	echo "$KEYS_NOW,$1,$2,$T_SECS,$errs,$p50,$p99,$max,$3,$T_RSS_KB,$T_LOAD,$T_DETAIL,${T_P99_MOVES:-}" >>"$CSV"
	log "$1 $2: ${T_SECS} s${T_DETAIL:+ ($T_DETAIL)}, client errors $errs, p50 ${p50} us, p99 ${p99} us (moves alone: ${T_P99_MOVES:--} us), max ${max} us, lost $3, peak RSS ${T_RSS_KB} kB, load $T_LOAD"
}

# ---- the scenario -------------------------------------------------------------

CSV=$OUT/resize.csv
echo "keys,move,tool,seconds,client_errors,p50_us,p99_us,max_us,lost,peak_rss_kb,loadavg,detail,p99_moves_us" >"$CSV"
SCALE_CSV=$OUT/scale.csv
echo "keys,tool,seconds,move_seconds" >"$SCALE_CSV"

# scenario KEYS FULL: 4->5 (and 5->4 when FULL) by every tool.  The floor
# runs once per move, on the first fresh cluster in the right layout: for
# 4 -> 5 the slots the fifth shard got from the first tool that succeeded,
# copied from their owners in the initial layout; for 5 -> 4 the slots of the
# fifth shard before it is emptied.
scenario() {
	local full=$2 tool lost m moved_slots="" floor5=0 floor4=0
	KEYS_NOW=$1
	for tool in $TOOLS; do
		log "== $tool, $KEYS_NOW keys: fresh cluster"
		start_cluster
		fill "$KEYS_NOW" "$SIZE"
		if [ $floor5 = 0 ] && [ -n "$moved_slots" ]; then
			start_floor_target
			timed floor-to5 floor_copy "$moved_slots"
			T_RSS_KB=-
			record "4->5" floor "-"
			echo "$KEYS_NOW,floor,$T_SECS,$T_SECS" >>"$SCALE_CSV"
			timed floor-migrate-to5 floor_copy "$moved_slots" --migrate
			T_RSS_KB=-
			record "4->5" floor-migrate "-"
			echo "$KEYS_NOW,floor-migrate,$T_SECS,$T_SECS" >>"$SCALE_CSV"
			floor5=1
		fi
		case $tool in
		shardctl) timed "$tool-to5" shardctl_to5 ;;
		shardctl-nolimit) timed "$tool-to5" shardctl_to5 --max-latency 0 ;;
		shardctl-lat*) timed "$tool-to5" shardctl_to5 --max-latency "${tool#shardctl-lat}" ;;
		redis-cli) timed "$tool-to5" rcli_to5 "" ;;
		redis-cli-p100) timed "$tool-to5" rcli_to5 "--cluster-pipeline 100" ;;
		esac
		lost=$(verify_all)
		record "4->5" "$tool" "$lost"
		echo "$KEYS_NOW,$tool,$T_SECS,$(move_only "$tool-to5")" >>"$SCALE_CSV"
		if [ "$T_RC" -eq 0 ] && [ -z "$moved_slots" ] && m=$(fifth_master); then
			moved_slots=$(slots_of "$m")
			log "$tool gave the fifth shard ($m): $moved_slots"
		fi
		[ "$full" = 1 ] && [ "$T_RC" -eq 0 ] || { stop_cluster; continue; }
		if [ $floor4 = 0 ] && m=$(fifth_master); then
			start_floor_target
			timed floor-to4 floor_copy "$(slots_of "$m")"
			T_RSS_KB=-
			record "5->4" floor "-"
			timed floor-migrate-to4 floor_copy "$(slots_of "$m")" --migrate
			T_RSS_KB=-
			record "5->4" floor-migrate "-"
			floor4=1
		fi
		case $tool in
		shardctl) timed "$tool-to4" shardctl_to4 ;;
		shardctl-nolimit) timed "$tool-to4" shardctl_to4 --max-latency 0 ;;
		shardctl-lat*) timed "$tool-to4" shardctl_to4 --max-latency "${tool#shardctl-lat}" ;;
		redis-cli) timed "$tool-to4" rcli_to4 "" ;;
		redis-cli-p100) timed "$tool-to4" rcli_to4 "--cluster-pipeline 100" ;;
		esac
		lost=$(verify_all)
		record "5->4" "$tool" "$lost"
		stop_cluster
	done
}

log "bench: 4x1 -> 5x1 -> 4x1, $KEYS keys of $SIZE bytes, client at $RATE ops/s; $(nproc) cores"
scenario "$KEYS" 1
for k in $SCALE_KEYS; do
	[ "$k" = "$KEYS" ] && continue
	scenario "$k" 0
done

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), shardctl $(git -C "$root" rev-parse --short HEAD 2>/dev/null)"
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $BENCH_SERVER ($("$SERVER" --version | sed -E 's/.*v=([0-9.]+).*/\1/'))"
	echo "scenario: 4 shards x 1 replica -> 5 x 1 -> 4 x 1, $KEYS keys of $SIZE bytes, sc-load run at $RATE ops/s during each move"
} >"$OUT/env.txt"
"$root/bench/report.sh" "$OUT"
