#!/usr/bin/env bash
# asm.sh - atomic slot migration on Valkey 9.1 (or, with
# BENCH_SERVER=redis-8.6, Redis 8.6's CLUSTER MIGRATION): shardctl against
# the other ways of the same 4x1 -> 5x1 resize, in the same run, each on its
# own fresh identical cluster (by hand, not a test; about 30 minutes with 3M
# keys).
#
# Every row starts from 4 shards x 1 replica made by valkey-cli --cluster
# create, KEYS keys of SIZE bytes written by sc-load fill; two more nodes
# are the fifth shard:
#   shardctl-auto    shardctl reconcile --nodes <10> --shards 5 --replicas 1
#                    (auto: atomic on Valkey 9)
#   shardctl-legacy  the same with --migration legacy
#   valkey-cli       add-node (master, then its replica), rebalance
#                    --cluster-use-empty-masters
#   valkey-cli-asm   the same with --cluster-use-atomic-slot-migration
#   raw-migrateslots the nodes joined by hand (MEET, REPLICATE, agreement),
#                    then CLUSTER MIGRATESLOTS of the ranges shardctl plans,
#                    sent to the four sources at once, GETSLOTMIGRATIONS
#                    polled every 20 ms until all succeed: the floor
# With BENCH_SERVER=redis-8.6 the rows are shardctl-auto (atomic: Redis's
# CLUSTER MIGRATION), shardctl-legacy, redis-cli (add-node, rebalance; it
# has no atomic mode in 8.6) and raw-migration: the nodes joined by hand,
# then CLUSTER MIGRATION IMPORT of each move shardctl plans on its target,
# one task at a time (the server allows one per node, and every move of a
# 4 -> 5 goes into the new node), STATUS ID polled every 20 ms.
# "total" is the whole command (joins included), "moves" the slot moves
# alone (shardctl's final "moved ... in T s" line; the raw row's own
# clock; for valkey-cli the rebalance step).  During each resize `sc-load
# run` reads and writes at RATE ops/s: errors, ASK redirects, p50, p99 and
# max latency.  After each, every key is verified.  Peak RSS: /usr/bin/time
# -v, the largest process of the tool (valkey-cli: of its invocations; the
# raw row runs only valkey-cli, not counted).
#
# Output: the table on screen and in bench/results/asm.txt, raw rows in
# bench/results/asm.csv, logs in bench/results/logs/asm-*.log, the plot of
# move time against keys bench/results/asm.png (gnuplot); for redis-8.6
# under bench/results/redis-8.6/.
# Environment: SERVERS_DIR (scripts/servers.sh), BENCH_SERVER (valkey-9.1
# or redis-8.6), BENCH_KEYS ("100000 1000000 3000000"), BENCH_SIZE (100),
# BENCH_RATE (1000), BENCH_OUT, BENCH_PORT (18700), BENCH_TOOLS (the rows,
# all of the server's by default).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SHARDCTL=${SHARDCTL:-$root/build/shardctl}
SC_LOAD=${SC_LOAD:-$root/build/sc-load}
KEYSETS=${BENCH_KEYS:-100000 1000000 3000000}
BSERVER=${BENCH_SERVER:-valkey-9.1}
case $BSERVER in
valkey-9.1) DEFTOOLS="shardctl-auto shardctl-legacy raw-migrateslots valkey-cli valkey-cli-asm" SUB= ;;
redis-8.6) DEFTOOLS="shardctl-auto shardctl-legacy raw-migration redis-cli" SUB=/redis-8.6 ;;
*) echo "BENCH_SERVER: valkey-9.1 or redis-8.6" >&2; exit 2 ;;
esac
TOOLS=${BENCH_TOOLS:-$DEFTOOLS}
SIZE=${BENCH_SIZE:-100}
RATE=${BENCH_RATE:-1000}
ROW_TIMEOUT=${BENCH_ROW_TIMEOUT:-900}
OUT=${BENCH_OUT:-$root/bench/results$SUB}
PORT=${BENCH_PORT:-18700}
NODES=10 # nodes 0-7: the 4x1 cluster; 8, 9: the fifth shard
WORK=$(mktemp -d /tmp/shardctl-bench-asm.XXXXXX)
PIDS=()
runpid=
host_no=40
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

read -r _ SERVER CLI < <("$root/scripts/servers.sh" "$BSERVER") || die "no $BSERVER (scripts/servers.sh; SERVERS_DIR)"
for bin in "$SHARDCTL" "$SC_LOAD" "$SERVER" "$CLI" /usr/bin/time python3; do
	command -v "$bin" >/dev/null || die "'$bin' not found (make; scripts/deps.sh bench)"
done
mkdir -p "$OUT/logs"

load_start() {
	"$SC_LOAD" run --seed "${N[0]}" --seconds 3600 --rate "$RATE" --keys "$KEYS" --size "$SIZE" --run-keys 5000 \
		--json >"$WORK/run.json" 2>"$WORK/run.err" &
	runpid=$!
	sleep 1
}
load_stop() { # sets L_ERR L_ASK L_P50 L_P99 L_MAX (ms)
	kill -TERM "$runpid" 2>/dev/null
	wait "$runpid" 2>/dev/null
	runpid=
	read -r L_ERR L_ASK L_P50 L_P99 L_MAX < <(python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(j["errors"] + j["wrong"] + j["lost"], j["ask"], "%.2f" % (j["p50_us"] / 1000), "%.2f" % (j["p99_us"] / 1000), "%.2f" % (j["max_us"] / 1000))
' "$WORK/run.json" 2>/dev/null || echo "? ? ? ? ?")
}

# the raw rows' join by hand (MEET, REPLICATE, agreement), then shardctl's
# plan of the moves in $WORK/plan.json
raw_join() {
	local id8
	cli_at "${N[8]}" cluster meet "$H" $((PORT)) >/dev/null
	cli_at "${N[9]}" cluster meet "$H" $((PORT)) >/dev/null
	wait_for 60 cluster_ok "${N[@]}" || die "raw: the join did not converge"
	id8=$(cli_at "${N[8]}" cluster myid)
	wait_for 30 cli_at "${N[9]}" cluster replicate "$id8"
	"$SHARDCTL" plan --nodes "$(IFS=,; echo "${N[*]}")" --shards 5 --replicas 1 --json >"$WORK/plan.json" ||
		die "raw: plan failed"
}

# the raw floor: join by hand, then MIGRATESLOTS of shardctl's planned ranges
raw_resize() {
	local s a groups pids=()
	raw_join
	# "source-address SLOTSRANGE a b ... NODE target-id" per source
	python3 - "$WORK/plan.json" >"$WORK/groups" <<-'EOF'
	import json, sys
	p = json.load(open(sys.argv[1]))
	by = {}
	for s in p["steps"]:
	    if s["kind"] != "move":
	        continue
	    g = by.setdefault(s["node"], [])
	    g += ["SLOTSRANGE"] + [str(x) for r in s["ranges"] for x in r] + ["NODE", s["peer_id"]]
	for src, g in by.items():
	    print(src, " ".join(g))
	EOF
	[ -s "$WORK/groups" ] || die "raw: no move planned"
	s=$(now)
	while read -r a groups; do
		# shellcheck disable=SC2086
		cli_at "$a" cluster migrateslots $groups >/dev/null &
		pids+=($!)
	done <"$WORK/groups"
	wait "${pids[@]}" # not the load client
	for a in $(cut -d' ' -f1 "$WORK/groups"); do
		until [ "$(cli_at "$a" cluster getslotmigrations | awk 'p { print; exit } /^state$/ { p = 1 }')" = success ]; do
			sleep 0.02
		done
	done
	MOVES=$(elapsed "$s")
}

# Redis's floor: join by hand, then CLUSTER MIGRATION IMPORT of each
# planned move on its target, one task at a time
raw_redis_resize() {
	local s tgt ranges id st
	raw_join
	python3 - "$WORK/plan.json" >"$WORK/imports" <<-'EOF'
	import json, sys
	for s in json.load(open(sys.argv[1]))["steps"]:
	    if s["kind"] == "move":
	        print(s["peer"], " ".join(str(x) for r in s["ranges"] for x in r))
	EOF
	[ -s "$WORK/imports" ] || die "raw: no move planned"
	s=$(now)
	while read -r tgt ranges; do
		# shellcheck disable=SC2086
		id=$(cli_at "$tgt" cluster migration import $ranges)
		until st=$(cli_at "$tgt" cluster migration status id "$id" | awk 'p { print; exit } /^state$/ { p = 1 }') &&
			[ "$st" = completed ]; do
			case $st in canceled) die "raw: task $id canceled" ;; esac
			sleep 0.02
		done
	done <"$WORK/imports"
	MOVES=$(elapsed "$s")
}

valkey_cli_resize() { # [extra rebalance options]
	local id8 s
	measured "$CLI" --cluster add-node "${N[8]}" "${N[0]}" >>"$LOGF" 2>&1 || return 1
	wait_for 60 cluster_ok "${N[@]:0:9}" || return 1
	id8=$(cli_at "${N[8]}" cluster myid)
	measured "$CLI" --cluster add-node "${N[9]}" "${N[0]}" --cluster-slave --cluster-master-id "$id8" \
		>>"$LOGF" 2>&1 || return 1
	wait_for 60 cluster_ok "${N[@]}" || return 1
	s=$(now)
	measured timeout "$ROW_TIMEOUT" "$CLI" --cluster rebalance "${N[0]}" --cluster-use-empty-masters "$@" \
		>>"$LOGF" 2>&1 || return 1
	MOVES=$(elapsed "$s")
}

row() { # TOOL
	local tool=$1 s rc=0 total ok
	LOGF=$OUT/logs/asm-$tool-$KEYS.log
	: >"$LOGF"
	log "$tool, $KEYS keys: starting a fresh cluster"
	start_cluster
	fill "$KEYS" "$SIZE"
	load_start
	MOVES=
	s=$(now)
	# a row that hangs (a legacy move on a loaded machine) is cut at ROW_TIMEOUT
	case $tool in
	shardctl-auto) measured "$SHARDCTL" reconcile --nodes "$(join "${N[@]}")" --shards 5 --replicas 1 \
		>"$LOGF" 2>&1 || rc=$? ;;
	shardctl-legacy) measured timeout "$ROW_TIMEOUT" "$SHARDCTL" reconcile --nodes "$(join "${N[@]}")" --shards 5 \
		--replicas 1 --migration legacy >"$LOGF" 2>&1 || rc=$? ;;
	valkey-cli | redis-cli) valkey_cli_resize || rc=1 ;;
	raw-migration) raw_redis_resize >"$LOGF" 2>&1 || rc=1 ;;
	valkey-cli-asm) valkey_cli_resize --cluster-use-atomic-slot-migration || rc=1 ;;
	raw-migrateslots) raw_resize >"$LOGF" 2>&1 || rc=1 ;;
	esac
	total=$(elapsed "$s")
	rss_read
	case $tool in shardctl-*) MOVES=$(sed -n 's/^moved .* in \([0-9.]*\) s.*/\1/p' "$LOGF" | tail -1) ;; esac
	wait_for 60 cluster_ok "${N[@]}"
	load_stop
	ok=$("$SC_LOAD" verify --seed "${N[0]}" --keys "$KEYS" --size "$SIZE" 2>&1 | tail -1 | sed -n 's/.*: \([0-9]*\) ok.*/\1/p')
	echo "$tool,$KEYS,$rc,$total,${MOVES:-},$L_ERR,$L_ASK,$L_P50,$L_P99,$L_MAX,${ok:-0},$T_RSS_KB,$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/asm.csv"
	log "$tool: rc $rc, total $total s, moves ${MOVES:-?} s, client errors $L_ERR, ask $L_ASK, keys ok ${ok:-0}/$KEYS, peak RSS $T_RSS_KB kB"
	stop_cluster
}

# plot: move time against keys, per tool (linear axes from 0: a straight
# line through the origin is a cost linear in keys), and the whole
# operation (log axes); only the tools that have rows
plot() {
	local t moves="" whole="" c n=0
	command -v gnuplot >/dev/null || { log "no gnuplot: no plot"; return 0; }
	for t in $TOOLS; do
		n=$((n + 1)) # one colour per tool in both panels
		awk -F, -v t="$t" 'NR > 1 && $1 == t && $3 == 0 { print $2, $4, ($5 == "" ? "NaN" : $5) }' "$OUT/asm.csv" |
			sort -n >"$WORK/$t.dat"
		[ -s "$WORK/$t.dat" ] || continue
		c="\"$WORK/$t.dat\" using %s with linespoints lw 2 lc $n title \"$t\""
		whole="$whole${whole:+, }$(printf "$c" 1:2)"
		case $t in shardctl-auto | raw-migrateslots | raw-migration | valkey-cli-asm) moves="$moves${moves:+, }$(printf "$c" '($1/1e6):3')" ;; esac
	done
	[ -n "$whole" ] || return 0
	gnuplot <<-GP
	set terminal pngcairo size 1300,560 font "sans,10" noenhanced
	set output "$OUT/asm.png"
	set multiplot layout 1,2 title "4x1 -> 5x1 on $BSERVER, $SIZE-byte keys, sc-load run at $RATE ops/s"
	set grid
	set key top left
	set title "the slot moves alone, atomic rows (linear axes)"
	set xlabel "keys in the cluster (millions)"
	set ylabel "seconds"
	set xrange [0:*]
	set yrange [0:*]
	${moves:+plot $moves}
	set title "the whole operation (log axes)"
	set xlabel "keys in the cluster"
	set format x "%.0s%c"
	set ylabel "seconds (log)"
	set autoscale
	set logscale xy
	plot $whole
	unset multiplot
	GP
	log "plot: $OUT/asm.png"
}

echo "tool,keys,rc,total_s,moves_s,client_errors,ask,p50_ms,p99_ms,max_ms,keys_ok,peak_rss_kb,load" >"$OUT/asm.csv"
for KEYS in $KEYSETS; do
	for tool in $TOOLS; do
		row "$tool"
	done
done
plot
{
	echo "4x1 -> 5x1 on ${BSERVER%-*} $("$SERVER" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'), keys of $SIZE bytes, client at $RATE ops/s; $(nproc) cores; $(date -u +%Y-%m-%d); shardctl $(git -C "$root" rev-parse --short HEAD 2>/dev/null)"
	echo
	printf '| %-16s | %8s | %4s | %8s | %8s | %6s | %4s | %6s | %6s | %7s | %8s | %8s | %5s |\n' tool keys exit total_s moves_s errors ask p50_ms p99_ms max_ms keys_ok rss_kb load
	printf '|%s|\n' "------------------|----------|------|----------|----------|--------|------|--------|--------|---------|----------|----------|-------"
	tail -n +2 "$OUT/asm.csv" | while IFS=, read -r t k rc tot mv er ask p50 p99 mx ok rss ld; do
		printf '| %-16s | %8s | %4s | %8s | %8s | %6s | %4s | %6s | %6s | %7s | %8s | %8s | %5s |\n' "$t" "$k" "$rc" "$tot" "$mv" "$er" "$ask" "$p50" "$p99" "$mx" "$ok" "$rss" "$ld"
	done
	echo
	echo "rss_kb: peak RSS of the tool (/usr/bin/time -v; valkey-cli/redis-cli: its largest invocation; raw: not measured);"
	echo "load: 1-minute load average when the row ended; moves_s: the slot moves alone (shardctl: its final line;"
	echo "valkey-cli/redis-cli: its rebalance; raw: from sending MIGRATESLOTS until every source reports success,"
	echo "or for Redis from the first CLUSTER MIGRATION IMPORT until the last task is completed)"
} | tee "$OUT/asm.txt"
