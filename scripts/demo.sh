#!/usr/bin/env bash
# demo.sh - the whole story of shardctl on this machine (`make demo`):
# a local cluster of 4 shards x 1 replica (plain redis-server processes),
# keys loaded, scaled to 5 shards online while a cluster-aware client reads
# and writes, the slot spread shown (each master 3276 or 3277 slots), every
# key verified, scaled back to 4, verified again, and torn down.  Whatever
# happens, the processes it started are stopped at the end.
#
# Environment: DEMO_KEYS (default 200000), DEMO_PORT (first port; default:
# the first free block from 19001, so that the cluster bus ports (+10000)
# stay below the ephemeral port range), SHARDCTL, SC_LOAD (binaries to use).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SHARDCTL=${SHARDCTL:-$root/build/shardctl}
SC_LOAD=${SC_LOAD:-$root/build/sc-load}
KEYS=${DEMO_KEYS:-200000}
HOST=127.0.0.1
NODES_MAX=10 # 5 shards x (1 + 1 replica)

if [ -t 1 ]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B= G= R= N=; fi
step_no=0
step() { step_no=$((step_no + 1)); printf '\n%s[%d] %s%s\n' "$B" "$step_no" "$*" "$N"; }
say() { printf '    %s\n' "$*"; }
die() { printf '%sdemo failed: %s%s\n' "$R" "$*" "$N" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

for bin in "$SHARDCTL" "$SC_LOAD"; do
	[ -x "$bin" ] || die "'$bin' is not built (run make)"
done

port_free() {
	! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null && ! (exec 3<>"/dev/tcp/$HOST/$(($1 + 10000))") 2>/dev/null
}
find_ports() {
	local base=$1 i ok
	while [ "$base" -lt 50000 ]; do
		ok=1
		for ((i = 0; i < NODES_MAX; i++)); do port_free $((base + i)) || { ok=0; break; }; done
		[ $ok -eq 1 ] && { echo "$base"; return 0; }
		base=$((base + NODES_MAX))
	done
	return 1
}
PORT=${DEMO_PORT:-$(find_ports 19001)} || die "no $NODES_MAX free ports (and bus ports) found"
SEED=$HOST:$PORT
DIR=$(mktemp -d /tmp/shardctl-demo.XXXXXX)
runpid=

cleanup() {
	local rc=$? f p
	trap - EXIT INT TERM
	[ -n "$runpid" ] && kill "$runpid" 2>/dev/null
	printf '\n%s[end] tearing down%s\n' "$B" "$N"
	"$SHARDCTL" local down --dir "$DIR" 2>&1 | sed 's/^/    /' || true
	# whatever local down could not stop: the pid files of the nodes
	while IFS= read -r f; do
		p=$(cat "$f" 2>/dev/null) && [ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done < <(find "$DIR" -name '*.pid' 2>/dev/null)
	rm -rf "$DIR"
	if [ $rc -eq 0 ]; then
		printf '%sdemo passed: every key survived 4 -> 5 -> 4 shards, no client error%s\n' "$G" "$N"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# slot counts of the masters owning slots, "host:port count" per line
slot_counts() {
	redis-cli -h $HOST -p "$PORT" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ {
		n = 0
		for (i = 9; i <= NF; i++) {
			if ($i ~ /^\[/) continue
			k = split($i, a, "-")
			n += (k == 2 ? a[2] - a[1] + 1 : 1)
		}
		split($2, ad, "@")
		if (n > 0) print ad[1], n
	}' | sort
}

# expect_even S: S masters, each owning floor or ceil of 16384/S slots
expect_even() {
	local s=$1 lo=$((16384 / $1)) hi=$(((16384 + $1 - 1) / $1)) counts n bad
	counts=$(slot_counts)
	n=$(wc -l <<<"$counts")
	bad=$(awk -v lo=$lo -v hi=$hi '$2 < lo || $2 > hi' <<<"$counts")
	say "masters and their slots:"
	sed 's/^/      /' <<<"$counts"
	[ "$n" -eq "$s" ] || die "expected $s masters owning slots, found $n"
	[ -z "$bad" ] || die "uneven spread, expected $lo or $hi slots each: $bad"
	if [ $lo -eq $hi ]; then say "${G}$s masters, each owning $lo slots${N}"
	else say "${G}$s masters, each owning $lo or $hi slots${N}"; fi
}

verify() {
	local out t0
	t0=$(now)
	out=$("$SC_LOAD" verify --seed "$SEED" --keys "$KEYS") || { say "$out"; die "keys lost or changed"; }
	say "$out"
	say "${G}all $KEYS keys present with their exact values${N} ($(since "$t0"))"
}

# with_load CMD...: runs CMD while sc-load run reads and writes; shows what
# the client saw, fails on any client error
with_load() {
	local out rc t0
	"$SC_LOAD" run --seed "$SEED" --seconds 3600 --rate 500 --keys "$KEYS" >"$DIR/run.out" 2>"$DIR/run.err" &
	runpid=$!
	t0=$(now)
	"$@" 2>&1 | sed 's/^/    | /'
	rc=${PIPESTATUS[0]}
	say "took $(since "$t0")"
	kill -TERM "$runpid"
	wait "$runpid" && out=0 || out=$?
	runpid=
	[ "$rc" -eq 0 ] || die "'$*' failed (exit $rc)"
	say "client during the change: $(cat "$DIR/run.out")"
	[ "$out" -eq 0 ] || { sed 's/^/    /' "$DIR/run.err"; die "the client saw errors"; }
	say "${G}the client saw no error${N}"
}

printf '%sshardctl demo%s: a local Redis Cluster resized online, 4 -> 5 -> 4 shards\n' "$B" "$N"
say "folder $DIR, ports $PORT..$((PORT + NODES_MAX - 1)) on $HOST, $KEYS keys of 100 bytes"

step "start 4 shards x 1 replica: shardctl local up --shards 4 --replicas 1"
t0=$(now)
"$SHARDCTL" local up --dir "$DIR" --shards 4 --replicas 1 --port "$PORT" 2>&1 | sed 's/^/    | /'
[ "${PIPESTATUS[0]}" -eq 0 ] || die "local up failed"
say "took $(since "$t0")"
expect_even 4

step "load $KEYS keys (sc-load fill: pipelined, one pipeline per master)"
out=$("$SC_LOAD" fill --seed "$SEED" --keys "$KEYS") || { say "$out"; die "fill failed"; }
say "$out"

step "scale out to 5 shards: shardctl local scale --shards 5 (sc-load run reading and writing meanwhile)"
with_load "$SHARDCTL" local scale --dir "$DIR" --shards 5

step "the cluster now: shardctl status"
"$SHARDCTL" status "$SEED" 2>&1 | sed 's/^/    | /'
expect_even 5
"$SHARDCTL" check "$SEED" --shards 5 --replicas 1 >/dev/null || die "shardctl check says the cluster is unhealthy"
say "${G}shardctl check: healthy, 5 shards x 1 replica${N}"

step "verify every key after 4 -> 5"
verify

step "scale back in to 4 shards: the departing shard is drained first"
with_load "$SHARDCTL" local scale --dir "$DIR" --shards 4
expect_even 4
"$SHARDCTL" check "$SEED" --shards 4 --replicas 1 >/dev/null || die "shardctl check says the cluster is unhealthy"
say "${G}shardctl check: healthy, 4 shards x 1 replica${N}"

step "verify every key after 5 -> 4"
verify
