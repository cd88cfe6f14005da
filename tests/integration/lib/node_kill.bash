# node_kill.bash - helpers of reconcile_node_kill*.sh (sourced after test-lib.bash):
# a cluster of redis-server processes on 127.0.38.1-3 whose nodes fail over
# quickly (cluster-node-timeout NK_TIMEOUT ms) and keep their data across a
# SIGKILL and restart (appendonly with appendfsync always: every write is in
# the file before its reply leaves; with everysec, NK_FSYNC=everysec, Redis
# postpones writing the log while a background fsync is slow but still
# replies, and a killed process loses what it acknowledged meanwhile -
# measured, see docs/RELIABILITY.md), killed and restarted by the test in
# the middle of a reconcile.

NK_LOAD=$SHARDCTL_TOOLS/sc-load
[ -x "$NK_LOAD" ] || NK_LOAD=$T_ROOT/build/sc-load
NK_TIMEOUT=${NK_TIMEOUT:-1500}

nk_host() { echo "127.0.38.$(($1 % 3 + 1))"; }
nk_addr() { echo "$(nk_host "$1"):$((NK_BASE + $1))"; }
# nk_list I J ...: "h:p,h:p" of the nodes given by index
nk_list() {
	local i out=""
	for i in "$@"; do out="$out,$(nk_addr "$i")"; done
	echo "${out#,}"
}
nk_cli() { # nk_cli I args...
	local i=$1
	shift
	redis-cli -h "$(nk_host "$i")" -p $((NK_BASE + i)) "$@"
}
# nk_start I: node I, started (or restarted: same folder, nodes.conf, AOF)
nk_start() {
	t_start_node "$(nk_host "$1")" $((NK_BASE + $1)) --cluster-node-timeout "$NK_TIMEOUT" \
		--appendonly yes --appendfsync "${NK_FSYNC:-always}" --repl-diskless-sync-delay 0
}
nk_id() { nk_cli "$1" cluster myid; }
nk_role() { nk_cli "$1" role 2>/dev/null | head -1; }
nk_index_of_id() { # the index (0..NK_N-1) of the node with this id
	local i
	for ((i = 0; i < NK_N; i++)); do
		[ "$(nk_id $i 2>/dev/null)" = "$1" ] && { echo $i; return 0; }
	done
	return 1
}
# nk_open_on I: the open slots in node I's own line ("[s->-id]" ...)
nk_open_on() { nk_cli "$1" cluster nodes 2>/dev/null | grep myself | grep -o '\[[^]]*\]' | tr '\n' ' '; }
nk_open_all() {
	local i
	for ((i = 0; i < NK_N; i++)); do nk_open_on $i; done
}
# nk_slot_counts I: slot counts of the masters owning slots, sorted (I's view)
nk_slot_counts() {
	nk_cli "$1" cluster nodes | awk '
	$3 ~ /master/ && $3 !~ /fail/ { n = 0
		for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue
			split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1) }
		if (n > 0) print n }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
# nk_fill I N: N keys of the data set, through node I
nk_fill() {
	t_run "$NK_LOAD" fill --seed "$(nk_addr "$1")" --keys "$2"
	t_eq 0 "$T_RC" "$2 keys written: $T_OUT"
}
# nk_verify I N WHAT: every key of the data set read back, byte for byte;
# sets NK_MISSING / NK_WRONG (what was lost), asserts none
nk_verify() {
	t_run "$NK_LOAD" verify --seed "$(nk_addr "$1")" --keys "$2"
	NK_MISSING=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) missing.*/\1/p' | tail -1)
	NK_WRONG=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) wrong.*/\1/p' | tail -1)
	t_eq 0 "$T_RC" "$3: all $2 keys verified one by one: $(echo "$T_OUT" | tail -1)"
}
# nk_reconcile_bg LIST SHARDS REPLICAS: a reconcile in the background,
# output in $T_DIR/bg.out, pid in NK_BG
nk_reconcile_bg() {
	"$SHARDCTL" reconcile --nodes "$1" --shards "$2" --replicas "$3" --wait 30 >"$T_DIR/bg.out" 2>&1 &
	NK_BG=$!
}
# nk_wait_master I: node I reports role master (a failover happened)
nk_wait_master() { t_wait "${2:-20}" bash -c "[ \"\$(redis-cli -h $(nk_host "$1") -p $((NK_BASE + $1)) role | head -1)\" = master ]"; }
# nk_replica_of ID: index of a replica of the master with node id ID (asked
# of the replicas themselves: works while that master is down)
nk_replica_of() {
	local i
	for ((i = 0; i < NK_N; i++)); do
		nk_cli $i cluster nodes 2>/dev/null | grep myself | awk -v m="$1" '$4 == m { f = 1 } END { exit !f }' && { echo $i; return 0; }
	done
	return 1
}
# nk_ids: NK_IDX[id] = index and NK_ID[index] = id, for every node
declare -A NK_IDX
NK_ID=()
nk_ids() {
	local i
	for ((i = 0; i < NK_N; i++)); do
		NK_ID[$i]=$(nk_id $i)
		NK_IDX[${NK_ID[$i]}]=$i
	done
}
# nk_kill_in_move WHICH [WHEN]: kills the source or the target of the
# background reconcile's first move once its first keys reached the target
# (WHEN keys) or once the target owns a slot (owns) (node_kill.py); sets
# NK_KILLED (index), NK_SRC, NK_DST (indices of the move), NK_KILL_KEYS (the
# target's keys then), NK_KILL_MS
nk_kill_in_move() {
	local out
	out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/node_kill.py" "$T_DIR/bg.out" "$1" "${2:-keys}" 30) || return 1
	read -r NK_KILLED NK_KILL_KEYS NK_KILL_MS <<<"$out"
	NK_KILLED=$((${NK_KILLED##*:} - NK_BASE))
	out=$(grep -m1 -o "moving [0-9]* slots from '[^']*' to '[^']*'" "$T_DIR/bg.out" | tr -d "'")
	out=${out#*from }
	NK_SRC=${out%% to *}
	NK_SRC=$((${NK_SRC##*:} - NK_BASE))
	NK_DST=${out##* to }
	NK_DST=$((${NK_DST##*:} - NK_BASE))
	t_wait 10 bash -c "! redis-cli -h $(nk_host "$NK_KILLED") -p $((NK_BASE + NK_KILLED)) ping"
}
# nk_wait_in_sync: every replica holds as many keys as its master (the
# data set was written before the test kills anything: no write is in
# flight, so replicas with their master's key count are in sync)
nk_in_sync() {
	local i id m
	for ((i = 0; i < NK_N; i++)); do
		m=$(nk_cli $i cluster nodes 2>/dev/null | awk '/myself/ && $3 ~ /slave/ { print $4 }')
		[ -n "$m" ] || continue
		id=$(nk_index_of_id "$m") || return 1
		[ "$(nk_cli $i dbsize)" = "$(nk_cli "$id" dbsize)" ] || return 1
	done
}
nk_wait_in_sync() { t_wait "${1:-30}" nk_in_sync; }
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
# nk_verify_loss I N WHAT SLOTS...: like nk_verify, but keys missing in the
# given slots (ranges "a-b" or single slots) are counted as lost to
# asynchronous replication (NK_MISSING) instead of failing; a key missing
# elsewhere, or any wrong value, fails
nk_verify_loss() {
	local i=$1 n=$2 what=$3 outside
	shift 3
	t_run "$NK_LOAD" verify --seed "$(nk_addr "$i")" --keys "$n" --show "$n"
	NK_MISSING=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) missing.*/\1/p' | tail -1)
	NK_WRONG=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) wrong.*/\1/p' | tail -1)
	t_eq 0 "${NK_WRONG:-?}" "$what: no key has a wrong value: $(echo "$T_OUT" | tail -1)"
	outside=$(echo "$T_ERR" | sed -n "s/^missing '\(.*\)'$/\1/p" | while read -r k; do
		echo "CLUSTER KEYSLOT $k"; done | nk_cli "$i" | awk -v set="$*" '
		BEGIN { n = split(set, r, " ")
			for (j = 1; j <= n; j++) { split(r[j], ab, "-"); lo[j] = ab[1]; hi[j] = (ab[2] == "" ? ab[1] : ab[2]) } }
		{ ok = 0; for (j = 1; j <= n; j++) if ($1 >= lo[j] && $1 <= hi[j]) ok = 1; if (!ok) bad++ }
		END { print bad + 0 }')
	t_eq 0 "$outside" "$what: no key missing outside the slots moving to the killed node (${NK_MISSING:-?} missing in them)"
}
# nk_inflight I ID: the slots moving from node I to the node with id ID, as
# I sees them: those ID owns already, and those I migrates to it
nk_inflight() {
	nk_cli "$1" cluster nodes | awk -v t="$2" '
	$1 == t { for (i = 9; i <= NF; i++) print $i }
	/myself/ { for (i = 9; i <= NF; i++) if (index($i, "->-" t)) { s = $i; sub(/^\[/, "", s); sub(/-.*/, "", s); print s } }'
}

# nk_setup N: N nodes on 127.0.38.x (NK_N, NK_BASE), nodes 0-5 made a 3x1
# cluster holding $KEYS keys (default 100000), every replica in sync
nk_setup() {
	local i
	NK_N=$1
	NK_BASE=$(t_free_ports "$NK_N" 127.0.38.1) || exit 1
	KEYS=${KEYS:-100000}
	for ((i = 0; i < NK_N; i++)); do nk_start $i || exit 1; done
	t_run "$SHARDCTL" reconcile --nodes "$(nk_list 0 1 2 3 4 5)" --shards 3 --replicas 1
	t_eq 0 "$T_RC" "3x1 created: $T_ERR"
	nk_fill 0 "$KEYS"
	nk_wait_in_sync
	t_eq 0 $? "every replica has its master's keys"
}
