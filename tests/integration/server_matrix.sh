#!/usr/bin/env bash
# server_matrix.sh - every resize scenario on every server of the matrix
# (MATRIX_SERVERS: names of scripts/servers.sh, default every one but
# redis-7.0, which the rest of the suite runs on), each on one cluster of
# 12 nodes holding SC_KEYS (20000) keys, with an append-only file (a killed
# node keeps its data; appendfsync always only for (e): it makes every
# move several times slower) and a quick failover (cluster-node-timeout
# 3000),
# in turn (lib/scenarios.bash):
#  (a, b) 4x1 -> 5x1 -> 4x1 and replicas 1 -> 2 -> 1 while a client reads
#     and writes (no error, nothing lost), each reconcile succeeding the
#     first time;
#  (c) reconcile --evacuate-only with a master and its replica left out of
#     --nodes: its slots move off, both stay members, and the drained
#     master never becomes a replica (no sync) on the way; then 3x1;
#  (d) a reconcile SIGKILLed in the middle of a move (3x1 -> 4x1), then
#     rerun to success;
#  (f) a reconcile to 3x1 SIGKILLed in the middle of a move, then
#     `shardctl fix`, then reconcile;
#  (e) the source master of a move (3x1 -> 4x1) SIGKILLed once its first
#     keys reached the target; its replica takes over, the node is started
#     again; reconcile converges.
# After each: shardctl check healthy of the expected shape, even slots, no
# importing/migrating mark on any node (replicas included), every key
# verified one by one.  On Valkey 8.0 also a migrating mark left on a
# replica only (a NOREPLICAS, research/server-generations.md A3): check
# names it and reconcile clears it.  Slots move the way `--migration auto`
# picks: atomic on Valkey 9.1 and Redis 8.6 (each its own family), legacy
# elsewhere.
# deadline: 600 (tests/run.sh)
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
source "$(dirname "$0")/lib/node_kill.bash"
source "$(dirname "$0")/lib/scenarios.bash"
NK_TIMEOUT=3000

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

matrix_on() {
	local name=$1 t0=$SECONDS t p
	T_REDIS_SERVER=$2 T_REDIS_CLI=$3 T_SERVER_NAME=$(basename "$2")
	T_NODES=()
	SC_NAME=$name
	echo "# $name: $("$T_REDIS_SERVER" --version | head -c 60)"
	cluster_up 12 4 1 "$SC_KEYS" --cluster-node-timeout "$NK_TIMEOUT" \
		--appendonly yes --repl-diskless-sync-delay 0
	t=$SECONDS
	sc_scale_with_client
	echo "# $name: 4 -> 5 -> 4 shards and 1 -> 2 -> 1 replicas with a client: $((SECONDS - t)) s"
	[ "$name" = valkey-8.0 ] && stale_mark "$name"
	t=$SECONDS
	sc_evacuate
	echo "# $name: evacuate-only, then 3x1: $((SECONDS - t)) s"
	t=$SECONDS
	sc_kill_and_rerun
	echo "# $name: reconcile killed and rerun: $((SECONDS - t)) s"
	t=$SECONDS
	sc_fix_after_kill
	echo "# $name: fix after a killed move: $((SECONDS - t)) s"
	t=$SECONDS
	sc_node_killed
	echo "# $name: source node killed mid-move: $((SECONDS - t)) s"
	echo "# $name: all scenarios: $((SECONDS - t0)) s"
	for p in "${T_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	T_PIDS=()
}

lines=$(SERVERS_DIR=${SERVERS_DIR:-} "$T_ROOT/scripts/servers.sh" 2>"$T_DIR/servers.err")
t_eq 0 "$?" "scripts/servers.sh lists the matrix ($(tail -n 2 "$T_DIR/servers.err"))"
for name in ${MATRIX_SERVERS:-$(awk '$1 != "redis-7.0" { print $1 }' <<<"$lines")}; do
	line=$(grep "^$name " <<<"$lines")
	[ -n "$line" ] || { t_not_ok "$name is in the matrix"; continue; }
	read -r _ server client <<<"$line"
	matrix_on "$name" "$server" "$client"
done
t_done
