#!/usr/bin/env bash
# asm.sh - atomic slot migration on Valkey 9.1: shardctl against the other
# ways of the same 4x1 -> 5x1 resize, in the same run, each on its own fresh
# identical cluster (by hand, not a test; a few minutes).
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
# "total" is the whole command (joins included), "moves" the slot moves
# alone (shardctl's final "moved ... in T s" line; the raw row's own
# clock; for valkey-cli the rebalance step).  During each resize `sc-load
# run` reads and writes at RATE ops/s: errors, ASK redirects, p50, p99 and
# max latency.  After each, every key is verified.
#
# Output: the table on screen and in bench/results/asm.txt, raw rows in
# bench/results/asm.csv, logs in bench/results/logs/asm-*.log.
# Environment: SERVERS_DIR (scripts/servers.sh), BENCH_KEYS ("100000
# 1000000"), BENCH_SIZE (100), BENCH_RATE (1000), BENCH_OUT, BENCH_PORT.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SHARDCTL=${SHARDCTL:-$root/build/shardctl}
SC_LOAD=${SC_LOAD:-$root/build/sc-load}
KEYSETS=${BENCH_KEYS:-100000 1000000}
SIZE=${BENCH_SIZE:-100}
RATE=${BENCH_RATE:-1000}
ROW_TIMEOUT=${BENCH_ROW_TIMEOUT:-900}
OUT=${BENCH_OUT:-$root/bench/results}
PORT=${BENCH_PORT:-18700}
WORK=$(mktemp -d /tmp/shardctl-bench-asm.XXXXXX)
PIDS=()
runpid=
host_no=40

die() { echo "bench: error: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

cleanup() {
	local p
	[ -n "$runpid" ] && kill "$runpid" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r _ VSERVER VCLI < <("$root/scripts/servers.sh" valkey-9.1) || die "no valkey-9.1 (scripts/servers.sh; SERVERS_DIR)"
for bin in "$SHARDCTL" "$SC_LOAD" "$VSERVER" "$VCLI" python3; do
	command -v "$bin" >/dev/null || die "'$bin' not found (make)"
done
mkdir -p "$OUT/logs"
vc() { local a=$1; shift; "$VCLI" -h "${a%:*}" -p "${a##*:}" "$@"; }

wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# every node given: cluster_state:ok, knows exactly these nodes, and the
# cluster check finds every node agreeing
agreed() {
	local a info
	for a in "$@"; do
		info=$(vc "$a" cluster info | tr -d '\r')
		grep -q cluster_state:ok <<<"$info" || return 1
		grep -qx "cluster_known_nodes:$#" <<<"$info" || return 1
	done
	vc "$1" --cluster check "$1" 2>&1 | grep -q 'All nodes agree' || return 1
}

# start_cluster: 10 fresh nodes on a new loopback address, 0-7 made a 4x1
# cluster by valkey-cli, KEYS keys written; sets N[0..9]
start_cluster() {
	local i d
	host_no=$((host_no + 1))
	H=127.0.4.$host_no
	N=()
	for ((i = 0; i < 10; i++)); do
		N[i]=$H:$((PORT + i))
		d=$WORK/$H-$i
		mkdir -p "$d"
		"$VSERVER" --bind "$H" --port $((PORT + i)) --cluster-enabled yes --cluster-config-file "$d/nodes.conf" \
			--dir "$d" --save "" --appendonly no --cluster-announce-ip "$H" --logfile "$d/server.log" \
			--daemonize no &
		PIDS+=($!)
	done
	for ((i = 0; i < 10; i++)); do wait_for 10 vc "${N[i]}" ping || die "node $i did not start"; done
	vc "${N[0]}" --cluster create "${N[@]:0:8}" --cluster-replicas 1 --cluster-yes >"$WORK/create.log" 2>&1 ||
		die "create failed: $(tail -3 "$WORK/create.log")"
	wait_for 30 agreed "${N[@]:0:8}" || die "the 4x1 cluster did not converge"
	"$SC_LOAD" fill --seed "${N[0]}" --keys "$KEYS" --size "$SIZE" >"$WORK/fill.log" 2>&1 || die "fill failed"
}

stop_cluster() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	rm -rf "$WORK"/127.0.4.*
}

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

# the raw floor: join by hand, then MIGRATESLOTS of shardctl's planned ranges
raw_resize() {
	local id8 s a groups pids=()
	vc "${N[8]}" cluster meet "$H" $((PORT)) >/dev/null
	vc "${N[9]}" cluster meet "$H" $((PORT)) >/dev/null
	wait_for 60 agreed "${N[@]}" || die "raw: the join did not converge"
	id8=$(vc "${N[8]}" cluster myid)
	wait_for 30 vc "${N[9]}" cluster replicate "$id8"
	"$SHARDCTL" plan --nodes "$(IFS=,; echo "${N[*]}")" --shards 5 --replicas 1 --json >"$WORK/plan.json" ||
		die "raw: plan failed"
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
		vc "$a" cluster migrateslots $groups >/dev/null &
		pids+=($!)
	done <"$WORK/groups"
	wait "${pids[@]}" # not the load client
	for a in $(cut -d' ' -f1 "$WORK/groups"); do
		until [ "$(vc "$a" cluster getslotmigrations | awk 'p { print; exit } /^state$/ { p = 1 }')" = success ]; do
			sleep 0.02
		done
	done
	MOVES=$(elapsed "$s")
}

valkey_cli_resize() { # [extra rebalance options]
	local id8 s
	vc "${N[0]}" --cluster add-node "${N[8]}" "${N[0]}" >>"$LOGF" 2>&1 || return 1
	wait_for 60 agreed "${N[@]:0:9}" || return 1
	id8=$(vc "${N[8]}" cluster myid)
	vc "${N[0]}" --cluster add-node "${N[9]}" "${N[0]}" --cluster-slave --cluster-master-id "$id8" >>"$LOGF" 2>&1 || return 1
	wait_for 60 agreed "${N[@]}" || return 1
	s=$(now)
	timeout "$ROW_TIMEOUT" "$VCLI" -h "$H" -p "$PORT" --cluster rebalance "${N[0]}" --cluster-use-empty-masters "$@" \
		>>"$LOGF" 2>&1 || return 1
	MOVES=$(elapsed "$s")
}

row() { # TOOL
	local tool=$1 s rc=0 total ok
	LOGF=$OUT/logs/asm-$tool-$KEYS.log
	: >"$LOGF"
	log "$tool, $KEYS keys: starting a fresh cluster"
	start_cluster
	load_start
	MOVES=
	s=$(now)
	# a row that hangs (a legacy move on a loaded machine) is cut at ROW_TIMEOUT
	case $tool in
	shardctl-auto) "$SHARDCTL" reconcile --nodes "$(IFS=,; echo "${N[*]}")" --shards 5 --replicas 1 >"$LOGF" 2>&1 || rc=$? ;;
	shardctl-legacy) timeout "$ROW_TIMEOUT" "$SHARDCTL" reconcile --nodes "$(IFS=,; echo "${N[*]}")" --shards 5 --replicas 1 \
		--migration legacy >"$LOGF" 2>&1 || rc=$? ;;
	valkey-cli) valkey_cli_resize || rc=1 ;;
	valkey-cli-asm) valkey_cli_resize --cluster-use-atomic-slot-migration || rc=1 ;;
	raw-migrateslots) raw_resize >"$LOGF" 2>&1 || rc=1 ;;
	esac
	total=$(elapsed "$s")
	case $tool in shardctl-*) MOVES=$(sed -n 's/^moved .* in \([0-9.]*\) s.*/\1/p' "$LOGF" | tail -1) ;; esac
	wait_for 60 agreed "${N[@]}"
	load_stop
	ok=$("$SC_LOAD" verify --seed "${N[0]}" --keys "$KEYS" --size "$SIZE" 2>&1 | tail -1 | sed -n 's/.*: \([0-9]*\) ok.*/\1/p')
	echo "$tool,$KEYS,$rc,$total,${MOVES:-},$L_ERR,$L_ASK,$L_P50,$L_P99,$L_MAX,${ok:-0},$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/asm.csv"
	log "$tool: rc $rc, total $total s, moves ${MOVES:-?} s, client errors $L_ERR, ask $L_ASK, keys ok ${ok:-0}/$KEYS"
	stop_cluster
}

echo "tool,keys,rc,total_s,moves_s,client_errors,ask,p50_ms,p99_ms,max_ms,keys_ok,load" >"$OUT/asm.csv"
for KEYS in $KEYSETS; do
	for tool in shardctl-auto shardctl-legacy raw-migrateslots valkey-cli valkey-cli-asm; do
		row "$tool"
	done
done
{
	echo "4x1 -> 5x1 on Valkey $("$VSERVER" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'), keys of $SIZE bytes, client at $RATE ops/s; $(nproc) cores; $(date -u +%Y-%m-%d)"
	echo
	printf '| %-16s | %8s | %7s | %8s | %8s | %6s | %5s | %7s | %7s | %8s | %9s |\n' tool keys exit total_s moves_s errors ask p50_ms p99_ms max_ms keys_ok
	printf '|%s|\n' "------------------|----------|---------|----------|----------|--------|-------|---------|---------|----------|-----------"
	tail -n +2 "$OUT/asm.csv" | while IFS=, read -r t k rc tot mv er ask p50 p99 mx ok _; do
		printf '| %-16s | %8s | %7s | %8s | %8s | %6s | %5s | %7s | %7s | %8s | %9s |\n' "$t" "$k" "$rc" "$tot" "$mv" "$er" "$ask" "$p50" "$p99" "$mx" "$ok"
	done
} | tee "$OUT/asm.txt"
