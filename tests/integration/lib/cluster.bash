# cluster.bash - the cluster facts of the integration tests, written once
# (sourced after tests/lib/test-lib.bash).
#
# Nodes are numbered in the order the script first started them (T_NODES);
# a NODE argument is that number or an address "host:port" ("[v6]:port").
# The nodes of nodes_start / cluster_up sit on the loopback "hosts"
# C_NET.1 .. C_NET.C_HOSTS, node I on host I % C_HOSTS + 1, port C_BASE + I.
# Every server start and cli call goes through T_REDIS_SERVER / T_REDIS_CLI.

C_NET=${C_NET:-127.0.3}
C_HOSTS=${C_HOSTS:-3}
C_BASE=
C_ARGS=()  # the server arguments of nodes_start, for node_start's restarts
C_SEED=${C_SEED:-} # the node fill_keys / verify_keys / the counts ask (default node 0)
C_WRAP=()  # a command the load tool runs under (e.g. an nss_wrapper env)
SC_LOAD=$SHARDCTL_TOOLS/sc-load
[ -x "$SC_LOAD" ] || SC_LOAD=$T_ROOT/build/sc-load

# node_host I: the host of node I of nodes_start
node_host() { echo "$C_NET.$(($1 % C_HOSTS + 1))"; }

# node NODE: its address
node() {
	case "$1" in
	*:*) echo "$1" ;;
	*) [ -n "${T_NODES[$1]:-}" ] && echo "${T_NODES[$1]}" || t_addr "$(node_host "$1")" $((C_BASE + $1)) ;;
	esac
}

# node_index ADDR: the number of the node at ADDR
node_index() {
	local i
	for i in "${!T_NODES[@]}"; do [ "${T_NODES[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
	return 1
}

# node_list NODE|A-B ...: "h:p,h:p,..." of the nodes given (ranges of numbers allowed)
node_list() {
	local x i out=""
	for x in "$@"; do
		case "$x" in
		*:*) out="$out,$x" ;;
		*-*) for ((i = ${x%-*}; i <= ${x#*-}; i++)); do out="$out,$(node $i)"; done ;;
		*) out="$out,$(node "$x")" ;;
		esac
	done
	echo "${out#,}"
}

# cli NODE args...: T_REDIS_CLI on that node (cli options such as -c may
# come before the command)
cli() {
	local a h
	a=$(node "$1")
	shift
	h=${a%:*} h=${h#[} h=${h%]}
	"$T_REDIS_CLI" -h "$h" -p "${a##*:}" "$@"
}

# cli_cluster SUBCOMMAND args...: redis-cli --cluster (create, check, ...)
cli_cluster() { "$T_REDIS_CLI" --cluster "$@"; }

# nodes_start N [server args...]: N new cluster nodes 0..N-1 (C_BASE,
# C_ARGS; the arguments default to --cluster-node-timeout 5000)
nodes_start() {
	local n=$1 i hosts=()
	shift
	[ $# -gt 0 ] || set -- --cluster-node-timeout 5000
	C_ARGS=("$@")
	for ((i = 0; i < n && i < C_HOSTS; i++)); do hosts+=("$(node_host $i)"); done
	C_BASE=$(t_free_ports "$n" "${hosts[@]}") || return 1
	for ((i = 0; i < n; i++)); do node_start $i || return 1; done
}

# node_start I: node I of nodes_start started, or restarted with its folder
# (nodes.conf, data) and the same arguments
node_start() { t_start_node "$(node_host "$1")" $((C_BASE + $1)) "${C_ARGS[@]}"; }

# cluster_up NODES SHARDS REPLICAS KEYS [server args...]: NODES nodes
# started (nodes_start), the first SHARDS x (1 + REPLICAS) made a cluster by
# shardctl reconcile, KEYS keys of the sc-load data set written, then waits
# until it is healthy and every replica holds its master's keys.
cluster_up() {
	local n=$1 s=$2 r=$3 k=$4
	shift 4
	nodes_start "$n" "$@" || { t_not_ok "$n nodes started"; t_done; }
	t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-$((s * (1 + r) - 1)))" --shards "$s" --replicas "$r"
	t_eq 0 "$T_RC" "${s}x$r created: $T_ERR"
	[ "$k" -gt 0 ] && fill_keys "$k"
	t_wait 60 healthy "" "$s" "$r" && t_wait 60 replicas_in_sync
	t_eq 0 $? "${s}x$r with $k keys: healthy, every replica has its master's keys"
}

# fill_keys KEYS [sc-load options...]: the sc-load data set written through C_SEED
fill_keys() {
	local k=$1
	shift
	t_run "${C_WRAP[@]}" "$SC_LOAD" fill --seed "$(node "${C_SEED:-0}")" --keys "$k" "$@"
	t_eq 0 "$T_RC" "$k keys written: $T_OUT $T_ERR"
}

# verify_keys WHAT KEYS [sc-load options...]: every key of the data set read
# back through C_SEED, one by one, byte for byte; sets V_MISSING, V_WRONG
verify_keys() {
	local what=$1 k=$2
	shift 2
	t_run "${C_WRAP[@]}" "$SC_LOAD" verify --seed "$(node "${C_SEED:-0}")" --keys "$k" "$@"
	V_MISSING=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) missing.*/\1/p' | tail -1)
	V_WRONG=$(echo "$T_OUT" | sed -n 's/.* \([0-9]*\) wrong.*/\1/p' | tail -1)
	t_eq 0 "$T_RC" "$what: all $k keys verified one by one: $(echo "$T_OUT" | tail -1) $T_ERR"
}

# client_start SEEDS [sc-load run options...]: a cluster-aware client
# reading and writing in a key namespace of its own until client_stop
client_start() {
	local seeds=$1
	shift
	C_CLIENTS=$((${C_CLIENTS:-0} + 1))
	"${C_WRAP[@]}" "$SC_LOAD" run --seed "$seeds" --seconds 600 --rate 500 --run-prefix "live$C_CLIENTS" \
		"$@" >"$T_DIR/client.out" 2>&1 &
	C_CLIENT=$!
	T_PIDS+=($C_CLIENT)
}

# client_stop WHAT: stops the client; it must have seen no error and lost no
# write (sc-load run verifies what it wrote)
client_stop() {
	local rc
	kill -TERM "$C_CLIENT"
	t_wait 30 bash -c "! kill -0 $C_CLIENT" || kill -9 "$C_CLIENT"
	wait "$C_CLIENT"
	rc=$?
	t_eq 0 "$rc" "$1: a client reading and writing throughout saw no error: $(grep '^run:' "$T_DIR/client.out")"
	[ "$rc" -eq 0 ] || tail -n 8 "$T_DIR/client.out" | sed 's/^/    | /'
}

# slot_counts [NODE]: slots of each master, ascending, as NODE (default
# C_SEED) sees them; failed masters left out, a master without slots is a 0
slot_counts() {
	cli "${1:-${C_SEED:-0}}" cluster nodes | awk '
	$3 ~ /master/ && $3 !~ /fail/ { n = 0
		for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue
			split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1) }
		print n }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# even_counts S: what slot_counts says of S even masters (floor or ceil of 16384/S)
even_counts() {
	local s=$1 i
	for ((i = 0; i < s; i++)); do echo $((16384 / s + (i >= s - 16384 % s ? 1 : 0))); done | tr '\n' ' ' | sed 's/ $//'
}

# replica_counts [NODE]: replicas of each master owning slots, ascending
replica_counts() {
	cli "${1:-${C_SEED:-0}}" cluster nodes | awk '
	$3 ~ /master/ && NF >= 9 { m[$1] = 0 }
	$3 ~ /slave/ { r[$4]++ }
	END { for (k in m) print r[k] + 0 }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# members [NODE]: how many nodes NODE knows, itself included
members() { cli "${1:-${C_SEED:-0}}" cluster nodes | grep -c .; }

# open_slots [NODE...]: the open slots of each node (default: every node
# started), replicas included, from its own line: "[s->-id]" (migrating),
# "[s-<-id]" (importing), space-separated; nothing when every slot is closed
open_slots() {
	local n out=""
	[ $# -gt 0 ] || set -- "${T_NODES[@]}"
	for n in "$@"; do
		out="$out $(cli "$n" cluster nodes 2>/dev/null | grep myself | grep -o '\[[^]]*\]' | tr '\n' ' ')"
	done
	echo "$out" | tr -s ' ' | sed 's/^ //; s/ $//'
}

# slot_map [NODE]: "id slots..." of every master that has not failed,
# sorted: what a change of addresses must never change
slot_map() {
	cli "${1:-${C_SEED:-0}}" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ { s = ""; for (i = 9; i <= NF; i++) s = s " " $i; print $1 s }' | sort
}

# owner_of NODE SLOT: the id of the master owning SLOT, as NODE sees it
owner_of() {
	cli "$1" cluster nodes | awk -v s="$2" '{ for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue
		n = split($i, r, "-"); lo = r[1]; hi = (n == 2 ? r[2] : r[1]); if (s >= lo && s <= hi) print $1 } }'
}

# role NODE: master or slave (what ROLE says)
role() { cli "$1" role 2>/dev/null | head -1; }
role_is() { [ "$(role "$1")" = "$2" ]; }
# state_is NODE ok|fail: its cluster_state
state_is() { [ "$(cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')" = "$2" ]; }
# down NODE: nothing answers there
down() { ! cli "$1" ping >/dev/null 2>&1; }

# replicas_in_sync [NODE]: every replica NODE knows is in sync (replicas_report)
replicas_in_sync() { [ "$(replicas_report "${1:-}" | tail -1 | cut -d' ' -f2)" = 0 ]; }

# replicas_report [NODE] [nonempty]: "N BAD" - the replicas NODE knows, and
# how many of them are not in sync: master link down, a sync in progress,
# or a key count other than their master's (with nonempty: or a master
# without keys); a "# replica ..." line before it for each of those
replicas_report() {
	local nodes a m ma info rk mk n=0 bad=0
	nodes=$(cli "${1:-${C_SEED:-0}}" cluster nodes)
	while read -r a m; do
		a=${a%@*}
		ma=$(echo "$nodes" | awk -v m="$m" '$1 == m { print $2 }')
		ma=${ma%@*}
		info=$(cli "$a" info replication | tr -d '\r')
		rk=$(cli "$a" dbsize) mk=$(cli "$ma" dbsize)
		n=$((n + 1))
		if ! grep -q '^master_link_status:up' <<<"$info" || ! grep -q '^master_sync_in_progress:0' <<<"$info" ||
			[ "$rk" != "$mk" ] || { [ -n "${2:-}" ] && [ "$mk" = 0 ]; }; then
			echo "# replica $a: $(grep -E 'master_link_status|master_sync_in_progress' <<<"$info" | tr '\n' ' ')keys $rk, master $ma keys $mk"
			bad=$((bad + 1))
		fi
	done < <(echo "$nodes" | awk '$3 ~ /slave/ && $3 !~ /fail/ { print $2, $4 }')
	echo "$n $bad"
}

# healthy [NODE [SHARDS REPLICAS]]: shardctl check calls the cluster healthy
# (of that shape), and redis-cli --cluster check agrees: every slot covered,
# the nodes agree, no error
healthy() {
	local seed out
	seed=$(node "${1:-${C_SEED:-0}}")
	"$SHARDCTL" check "$seed" ${2:+--shards "$2"} ${3:+--replicas "$3"} >/dev/null 2>&1 || return 1
	out=$(cli_cluster check "$seed" 2>&1)
	case "$out" in *"[ERR]"*) return 1 ;; esac
	case "$out" in *"[OK] All 16384 slots covered."*) ;; *) return 1 ;; esac
	case "$out" in *"[OK] All nodes agree about slots configuration."*) ;; *) return 1 ;; esac
}

# t_healthy WHAT [NODE [SHARDS REPLICAS]]: healthy, one assertion per opinion
t_healthy() {
	local what=$1 seed out
	seed=$(node "${2:-${C_SEED:-0}}")
	out=$(cli_cluster check "$seed" 2>&1)
	t_contains "$out" "[OK] All 16384 slots covered." "$what: all slots covered"
	t_contains "$out" "[OK] All nodes agree about slots configuration." "$what: nodes agree"
	t_not_contains "$out" "[ERR]" "$what: no error in redis-cli check"
	t_run "$SHARDCTL" check "$seed" ${3:+--shards "$3"} ${4:+--replicas "$4"}
	t_eq 0 "$T_RC" "$what: shardctl check says healthy: $T_OUT $T_ERR"
}

# snapshot: what a refused command must not change, on every node started
# (or on the nodes of SNAP_NODES, when a script sets it):
# its view (ids, roles, masters, slots and open slots; no link states), its
# config epoch and current epoch, its key count
snapshot() {
	local n set=("${T_NODES[@]}")
	[ -z "${SNAP_NODES+x}" ] || set=("${SNAP_NODES[@]}")
	for n in "${set[@]}"; do
		echo "== $n"
		cli "$n" cluster nodes 2>/dev/null | awk '{ r = ($3 ~ /master/ ? "master" : ($3 ~ /slave/ ? "slave" : $3))
			s = ""; for (i = 9; i <= NF; i++) s = s " " $i; print $1, r, $4, $7 s }' | sort
		cli "$n" cluster info 2>/dev/null | tr -d '\r' | grep '^cluster_current_epoch:'
		cli "$n" dbsize 2>/dev/null
	done
}

# refused_unchanged WHAT CMD...: CMD exits 2 (a refusal) and changes nothing
# (snapshot before and after); T_OUT, T_ERR, T_RC are CMD's
refused_unchanged() {
	local what=$1 before
	shift
	before=$(snapshot)
	t_run "$@"
	t_eq 2 "$T_RC" "$what: exit status 2"
	local out=$T_OUT err=$T_ERR rc=$T_RC
	t_eq "$before" "$(snapshot)" "$what: nothing changed"
	T_OUT=$out T_ERR=$err T_RC=$rc
}

# refused WHAT MESSAGE CMD...: refused_unchanged, and stderr says MESSAGE
refused() {
	local what=$1 msg=$2
	shift 2
	refused_unchanged "$what" "$@"
	t_contains "$T_ERR" "$msg" "$what: message"
}
