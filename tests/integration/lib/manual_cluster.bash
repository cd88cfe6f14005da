# manual_cluster.bash - builds a cluster with plain redis-cli commands, not
# with shardctl (for tests of status/check that must not depend on shardctl's
# own create).  Source it after cluster.bash.

# mc_create HOST BASE M R [redis-server args...]: M masters on HOST:BASE..,
# then M*R replicas, replica j following master j % M.  Slots: MC_SLOTS
# (one space-separated entry per master, each "a-b[,c-d...]") or an even
# split.  Every node: cluster-node-timeout 1000 for fast failure detection.
# Sets MC_PORTS (all), MC_MASTERS, MC_REPLICAS.  Waits (deadlines) until
# every node knows every other, reports cluster_state:ok, and every replica
# is linked.
mc_create() {
	local host=$1 base=$2 m=$3 r=$4 i j n spec range
	shift 4
	n=$((m * (1 + r)))
	MC_PORTS=() MC_MASTERS=() MC_REPLICAS=()
	for ((i = 0; i < n; i++)); do
		t_start_node "$host" $((base + i)) --cluster-node-timeout 1000 \
			--repl-diskless-sync-delay 0 "$@" || return 1
		MC_PORTS+=($((base + i)))
		if [ "$i" -lt "$m" ]; then MC_MASTERS+=($((base + i))); else MC_REPLICAS+=($((base + i))); fi
	done
	local specs=(${MC_SLOTS:-})
	for ((i = 0; i < m; i++)); do
		spec=${specs[$i]:-}
		if [ -z "$spec" ]; then
			spec="$((i * 16384 / m))-$(((i + 1) * 16384 / m - 1))"
		fi
		for range in ${spec//,/ }; do
			cli "$host":"${MC_MASTERS[$i]}" cluster addslotsrange \
				"${range%-*}" "${range#*-}" >/dev/null || return 1
		done
	done
	for ((i = 0; i < n; i++)); do
		cli "$host":"${MC_PORTS[$i]}" cluster set-config-epoch $((i + 1)) >/dev/null
	done
	for ((i = 1; i < n; i++)); do
		cli "$host":"${MC_PORTS[$i]}" cluster meet "$host" "$base" >/dev/null
	done
	t_wait 20 mc_converged "$host" "$n" || { echo "cluster did not converge" >&2; return 1; }
	for ((j = 0; j < ${#MC_REPLICAS[@]}; j++)); do
		local mid
		mid=$(cli "$host":"${MC_MASTERS[$((j % m))]}" cluster myid)
		cli "$host":"${MC_REPLICAS[$j]}" cluster replicate "$mid" >/dev/null || return 1
	done
	t_wait 20 mc_linked "$host" "${#MC_REPLICAS[@]}" || { echo "replicas did not link" >&2; return 1; }
}

# every node knows N nodes and says cluster_state:ok
mc_converged() {
	local host=$1 n=$2 p info
	for p in "${MC_PORTS[@]}"; do
		info=$(cli "$host":"$p" cluster info) || return 1
		case "$info" in *cluster_state:ok*) ;; *) return 1 ;; esac
		case "$info" in *"cluster_known_nodes:$n"*) ;; *) return 1 ;; esac
	done
}

# every replica is linked to its master and every node sees R replicas
mc_linked() {
	local host=$1 want=$2 p
	for p in "${MC_REPLICAS[@]}"; do
		cli "$host":"$p" info replication | grep -q master_link_status:up || return 1
	done
	for p in "${MC_PORTS[@]}"; do
		[ "$(cli "$host":"$p" cluster nodes | grep -c slave)" = "$want" ] || return 1
	done
}

# the pid of the node listening on HOST:PORT
mc_pid() {
	cli "$1":"$2" info server | tr -d '\r' | awk -F: '/^process_id/ {print $2}'
}
