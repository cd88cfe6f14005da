#!/usr/bin/env bash
# valkey_scale.sh - the legacy slot move on Valkey 8.0 and 9.1, which
# replicate every CLUSTER SETSLOT to the primary's replicas and block the
# caller until they acknowledge (research/server-generations.md A1-A7):
# 4x1 -> 5x1 -> 4x1 with 50k keys while a client reads and writes, each
# reconcile succeeding the first time, then healthy of the right shape, no
# importing/migrating mark left on any node (replicas included), every key
# verified and the client seeing no error.  On Valkey 9.1 also replicas
# 1 -> 2 -> 1.  Each server of the matrix in turn (VALKEY_SCALE_SERVERS:
# names of scripts/servers.sh, default "valkey-8.0 valkey-9.1").
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
KEYS=50000

# load_start: a client reading the data set and writing its own keys until
# load_stop, which asserts it saw no error
load_start() {
	"$SC_LOAD" run --seed "$(node_list 0-3)" --keys $KEYS --seconds 600 --rate 2000 --json \
		>"$T_DIR/load.json" 2>"$T_DIR/load.err" &
	LOAD_PID=$!
}
load_stop() {
	kill -TERM "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID"
	local rc=$? out
	out=$(cat "$T_DIR/load.json")
	t_eq 0 "$rc" "$1: the client exits 0 ($(head -c 300 "$T_DIR/load.err"))"
	t_contains "$out" '"errors":0,"wrong":0,"lost":0' "$1: the client saw no error"
}

# reconcile_to WHAT NODES SHARDS REPLICAS: the first run succeeds, and the
# cluster then has that shape, no open mark anywhere, every key
reconcile_to() {
	local what=$1 list=$2 s=$3 r=$4 t0=$SECONDS
	t_run "$SHARDCTL" reconcile --nodes "$(node_list "$list")" --shards "$s" --replicas "$r"
	t_eq 0 "$T_RC" "$what: reconcile exits 0 the first time ($((SECONDS - t0)) s): $(tail -n 3 <<<"$T_ERR")"
	grep -h 'moved .* slots' <<<"$T_OUT$T_ERR" | sed "s/^/# $what: /"
	t_run "$SHARDCTL" check "$(node 0)" --shards "$s" --replicas "$r"
	t_eq 0 "$T_RC" "$what: shardctl check --shards $s --replicas $r: healthy ($T_OUT)"
	t_eq "" "$(open_slots)" "$what: no open mark on any node, replicas included"
	verify_keys "$what" $KEYS
}

# stale_mark NAME: a migrating mark on a replica only, as a NOREPLICAS
# leaves it (the replica stopped while its primary waits for it, research
# A3): shardctl check names it, and the next reconcile clears it through the
# primary (CLUSTER SETSLOT s STABLE) and succeeds
stale_mark() {
	local name=$1 line p r pid slot other
	line=$(cli 0 cluster nodes | awk '$3 ~ /slave/ { print $2, $4; exit }')
	r=${line%% *} r=${r%@*}
	p=$(cli 0 cluster nodes | awk -v id="${line#* }" '$1 == id { print $2 }') p=${p%@*}
	other=$(cli 0 cluster nodes | awk -v id="${line#* }" '$3 ~ /master/ && $1 != id && NF >= 9 { print $1; exit }')
	slot=$(cli "$p" cluster nodes | awk '$3 ~ /myself/ { split($9, a, "-"); print a[1] }')
	pid=$(cli "$r" info server | tr -d '\r' | sed -n 's/^process_id://p')
	kill -STOP "$pid"
	t_contains "$(cli "$p" cluster setslot "$slot" migrating "$other" timeout 300)" NOREPLICAS \
		"$name: SETSLOT with the replica stopped answers NOREPLICAS"
	kill -CONT "$pid"
	t_wait 10 bash -c "[ -n \"\$('$T_REDIS_CLI' -h ${r%:*} -p ${r##*:} cluster nodes | grep myself | grep -o '\[$slot->-')\" ]"
	t_eq "[$slot->-$other]" "$(open_slots)" "$name: the mark is on the replica only"
	t_run "$SHARDCTL" check "$(node 0)"
	t_eq 1 "$T_RC" "$name: check: a mark on a replica is a problem"
	t_contains "$T_OUT" "slot $slot is open: migrating from '$r'" "$name: check names the replica"
	t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7)" --shards 4 --replicas 1
	t_eq 0 "$T_RC" "$name: reconcile with a stale replica mark exits 0: $(tail -n 2 <<<"$T_ERR")"
	t_contains "$T_OUT$T_ERR" "clearing 1 stale importing/migrating mark(s) (the first: slot $slot) on replica '$r'" \
		"$name: reconcile says it clears it"
	t_eq "" "$(open_slots)" "$name: no mark left"
}

scale_on() {
	local name=$1
	T_REDIS_SERVER=$2 T_REDIS_CLI=$3 T_SERVER_NAME=$(basename "$2")
	T_NODES=()
	echo "# $name: $("$T_REDIS_SERVER" --version | head -c 60)"
	cluster_up 12 4 1 $KEYS
	load_start
	reconcile_to "$name 4x1 -> 5x1" 0-9 5 1
	reconcile_to "$name 5x1 -> 4x1" 0-7 4 1
	if [ "$name" = valkey-9.1 ]; then
		reconcile_to "$name 4x1 -> 4x2" 0-11 4 2
		reconcile_to "$name 4x2 -> 4x1" 0-7 4 1
	fi
	load_stop "$name"
	[ "$name" = valkey-8.0 ] && stale_mark "$name"
	for p in "${T_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	T_PIDS=()
}

lines=$(SERVERS_DIR=${SERVERS_DIR:-} "$T_ROOT/scripts/servers.sh" 2>"$T_DIR/servers.err")
t_eq 0 "$?" "scripts/servers.sh lists the matrix ($(tail -n 2 "$T_DIR/servers.err"))"
for name in ${VALKEY_SCALE_SERVERS:-valkey-8.0 valkey-9.1}; do
	line=$(grep "^$name " <<<"$lines")
	[ -n "$line" ] || { t_not_ok "$name is in the matrix"; continue; }
	read -r _ server client <<<"$line"
	scale_on "$name" "$server" "$client"
done
t_done
