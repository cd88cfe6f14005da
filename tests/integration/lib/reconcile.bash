# reconcile.bash - helpers of the reconcile_*.sh tests (sourced after test-lib.bash).
# Nodes live on the loopback "hosts" 127.0.3.1-3 (the engine tests' range).

RC_LOAD=$SHARDCTL_TOOLS/sc-load
[ -x "$RC_LOAD" ] || RC_LOAD=$T_ROOT/build/sc-load

# rc_start BASE N: N empty nodes, ports BASE.., spread over 127.0.3.1-3
rc_start() {
	local i
	for ((i = 0; i < $2; i++)); do
		t_start_node "$(rc_host $i)" $(($1 + i)) --cluster-node-timeout 5000 || return 1
	done
}
rc_host() { echo "127.0.3.$(($1 % 3 + 1))"; }
# rc_list BASE FROM TO: "h:p,h:p,..." of nodes FROM..TO
rc_list() {
	local i out=""
	for ((i = $2; i <= $3; i++)); do out="$out,$(rc_host $i):$(($1 + i))"; done
	echo "${out#,}"
}
rc_cli() { # rc_cli BASE I args...
	local b=$1 i=$2
	shift 2
	redis-cli -h "$(rc_host $i)" -p $((b + i)) "$@"
}
# rc_slot_counts HOST:PORT: slot counts of the masters owning slots, sorted
rc_slot_counts() {
	redis-cli -h "${1%:*}" -p "${1#*:}" cluster nodes | awk '
	$3 ~ /master/ { n = 0
		for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue
			split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1) }
		if (n > 0) print n }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
# rc_replica_counts HOST:PORT: replicas of each master owning slots, sorted
rc_replica_counts() {
	redis-cli -h "${1%:*}" -p "${1#*:}" cluster nodes | awk '
	$3 ~ /master/ && NF >= 9 { m[$1] = 0 }
	$3 ~ /slave/ { r[$4]++ }
	END { for (k in m) print r[k] + 0 }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
rc_members() { redis-cli -h "${1%:*}" -p "${1#*:}" cluster nodes | wc -l | tr -d ' '; }
rc_open_slots() { redis-cli -h "${1%:*}" -p "${1#*:}" cluster nodes | grep -c '\[' ; }
# rc_verify HOST:PORT N: every key of the data set, byte for byte
rc_verify() {
	t_run "$RC_LOAD" verify --seed "$1" --keys "$2"
	t_eq 0 "$T_RC" "all $2 keys verified: $(echo "$T_OUT" | tail -1)"
}
