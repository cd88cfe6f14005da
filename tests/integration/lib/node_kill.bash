# node_kill.bash - helpers of reconcile_node_kill*.sh (sourced after cluster.bash):
# a cluster of redis-server processes on 127.0.38.1-3 whose nodes fail over
# quickly (cluster-node-timeout NK_TIMEOUT ms) and keep their data across a
# SIGKILL and restart (appendonly with appendfsync always: every write is in
# the file before its reply leaves; with everysec, NK_FSYNC=everysec, Redis
# postpones writing the log while a background fsync is slow but still
# replies, and a killed process loses what it acknowledged meanwhile -
# measured, see docs/RELIABILITY.md), killed and restarted by the test in
# the middle of a reconcile.

NK_TIMEOUT=${NK_TIMEOUT:-1500}
C_NET=127.0.38

# nk_index_of_id ID: the number of the node with this id
nk_index_of_id() {
	local i
	for i in "${!T_NODES[@]}"; do
		[ "$(cli $i cluster myid 2>/dev/null)" = "$1" ] && { echo $i; return 0; }
	done
	return 1
}
# nk_reconcile_bg LIST SHARDS REPLICAS: a reconcile in the background,
# output in $T_DIR/bg.out, pid in NK_BG
nk_reconcile_bg() {
	"$SHARDCTL" reconcile --nodes "$1" --shards "$2" --replicas "$3" --wait 30 >"$T_DIR/bg.out" 2>&1 &
	NK_BG=$!
}
# nk_replica_of ID: number of a replica of the master with node id ID (asked
# of the replicas themselves: works while that master is down)
nk_replica_of() {
	local i
	for i in "${!T_NODES[@]}"; do
		cli $i cluster nodes 2>/dev/null | grep myself | awk -v m="$1" '$4 == m { f = 1 } END { exit !f }' && { echo $i; return 0; }
	done
	return 1
}
# nk_ids: NK_IDX[id] = number and NK_ID[number] = id, for every node
declare -A NK_IDX
NK_ID=()
nk_ids() {
	local i
	for i in "${!T_NODES[@]}"; do
		NK_ID[$i]=$(cli $i cluster myid)
		NK_IDX[${NK_ID[$i]}]=$i
	done
}
# nk_kill_in_move WHICH [WHEN]: kills the source or the target of the
# background reconcile's first move once its first keys reached the target
# (WHEN keys) or once the target owns a slot (owns) (node_kill.py); sets
# NK_KILLED (number), NK_SRC, NK_DST (numbers of the move), NK_KILL_KEYS (the
# target's keys then), NK_KILL_MS
nk_kill_in_move() {
	local out
	out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/node_kill.py" "$T_DIR/bg.out" "$1" "${2:-keys}" 30) || return 1
	read -r NK_KILLED NK_KILL_KEYS NK_KILL_MS <<<"$out"
	NK_KILLED=$(node_index "$NK_KILLED")
	out=$(grep -m1 -o "moving [0-9]* slots from '[^']*' to '[^']*'" "$T_DIR/bg.out" | tr -d "'")
	out=${out#*from }
	NK_SRC=$(node_index "${out%% to *}")
	NK_DST=$(node_index "${out##* to }")
	t_wait 10 down "$NK_KILLED"
}
# nk_reconcile SEED LIST SHARDS REPLICAS: reconcile.  When it stops on a key
# present on both sides of a move (BUSYKEY: the source's deletion of a key
# it had migrated had not reached the replica that took over from it -
# asynchronous replication; or a source killed after the target stored a
# MIGRATE batch and before the source deleted and logged it), `shardctl fix`
# removes the identical copy from the source and reconcile runs again;
# NK_DUPS counts those.  NK_FIRST_OUT: the first reconcile's output.
NK_DUPS=0
nk_reconcile() {
	t_run "$SHARDCTL" reconcile --nodes "$2" --shards "$3" --replicas "$4" --wait 30
	NK_FIRST_OUT=$T_OUT
	case "$T_ERR" in *"(BUSYKEY)"*) ;; *) return 0 ;; esac
	NK_DUPS=$((NK_DUPS + 1))
	echo "  reconcile stopped on a key on both sides: $T_ERR"
	t_contains "$T_ERR" "nothing was overwritten and the slot is left open" "BUSYKEY: nothing overwritten, slot left open"
	t_run "$SHARDCTL" fix "$1" --wait 30
	t_eq 0 "$T_RC" "fix after BUSYKEY: $T_ERR"
	t_contains "$T_OUT" "with the same contents: removed from the source" "fix removed the identical copy from the source"
	t_run "$SHARDCTL" reconcile --nodes "$2" --shards "$3" --replicas "$4" --wait 30
}
# nk_verify_loss NODE N WHAT SLOTS...: verify_keys through NODE, but keys
# missing in the given slots (ranges "a-b" or single slots) are counted as
# lost to asynchronous replication (V_MISSING) instead of failing; a key
# missing elsewhere, or any wrong value, fails
nk_verify_loss() {
	local i=$1 n=$2 what=$3 outside
	shift 3
	t_run "$SC_LOAD" verify --seed "$(node "$i")" --keys "$n" --show "$n"
	V_MISSING=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) missing.*/\1/p' | tail -1)
	V_WRONG=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) wrong.*/\1/p' | tail -1)
	t_eq 0 "${V_WRONG:-?}" "$what: no key has a wrong value: $(echo "$T_OUT" | tail -1)"
	outside=$(echo "$T_ERR" | sed -n "s/^missing '\(.*\)'$/\1/p" | while read -r k; do
		echo "CLUSTER KEYSLOT $k"; done | cli "$i" | awk -v set="$*" '
		BEGIN { n = split(set, r, " ")
			for (j = 1; j <= n; j++) { split(r[j], ab, "-"); lo[j] = ab[1]; hi[j] = (ab[2] == "" ? ab[1] : ab[2]) } }
		{ ok = 0; for (j = 1; j <= n; j++) if ($1 >= lo[j] && $1 <= hi[j]) ok = 1; if (!ok) bad++ }
		END { print bad + 0 }')
	t_eq 0 "$outside" "$what: no key missing outside the slots moving to the killed node (${V_MISSING:-?} missing in them)"
}
# nk_inflight NODE ID: the slots moving from NODE to the node with id ID, as
# NODE sees them: those ID owns already, and those NODE migrates to it
nk_inflight() {
	cli "$1" cluster nodes | awk -v t="$2" '
	$1 == t { for (i = 9; i <= NF; i++) print $i }
	/myself/ { for (i = 9; i <= NF; i++) if (index($i, "->-" t)) { s = $i; sub(/^\[/, "", s); sub(/-.*/, "", s); print s } }'
}
# nk_no_failover: every replica told not to take over from its master
nk_no_failover() {
	local i
	for i in "${!T_NODES[@]}"; do
		role_is $i slave && cli $i config set cluster-replica-no-failover yes >/dev/null
	done
}

# nk_setup N: N nodes on 127.0.38.x, nodes 0-5 made a 3x1 cluster holding
# $KEYS keys (default 100000), every replica in sync; the nodes fail over
# quickly and keep their data across a SIGKILL (append-only file)
nk_setup() {
	KEYS=${KEYS:-100000}
	cluster_up "$1" 3 1 "$KEYS" --cluster-node-timeout "$NK_TIMEOUT" \
		--appendonly yes --appendfsync "${NK_FSYNC:-always}" --repl-diskless-sync-delay 0
}
# nk_sees_owner NODE ID: NODE sees the node with id ID connected, owning slots
nk_sees_owner() { cli "$1" cluster nodes | grep "^$2" | grep -q ' connected [0-9]'; }
