#!/usr/bin/env bash
# create.sh - `shardctl create` on real nodes: 3x0 on one host, 4x1 and 5x2
# spread over three loopback "hosts" (127.0.2.1-3).  Checks the result with
# redis-cli --cluster check (and shardctl check when it is built), the slots
# of every master (floor/ceil of 16384/S), the replicas of every master and
# that no replica sits on its master's host.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

# shape HOST:PORT: one line per master "ADDR SLOTS NREPLICAS SAMEHOST" where
# SAMEHOST counts its replicas on its own host, sorted by address.
shape() {
	cli "$1" cluster nodes | awk '
	{
		id = $1; addr = $2; sub(/@.*/, "", addr); host = addr; sub(/:[0-9]+$/, "", host)
		if ($3 ~ /master/) {
			n = 0
			for (i = 9; i <= NF; i++) {
				if ($i ~ /^\[/) continue
				split($i, rg, "-"); n += (rg[2] == "" ? 1 : rg[2] - rg[1] + 1)
			}
			maddr[id] = addr; mhost[id] = host; slots[id] = n
		} else { rmaster[id] = $4; rhost[id] = host }
	}
	END {
		for (r in rmaster) { reps[rmaster[r]]++; if (rhost[r] == mhost[rmaster[r]]) same[rmaster[r]]++ }
		for (m in maddr) printf "%s %d %d %d\n", maddr[m], slots[m], reps[m] + 0, same[m] + 0
	}' | sort
}

# created SEED SHARDS REPLICAS [spread]: the checks of one created cluster
created() {
	local seed=$1 s=$2 r=$3 lo=$((16384 / $2)) out line bad=0
	t_healthy "$s x $r" "$seed" "$s" "$r"
	t_not_contains "$(cli_cluster check "$seed" 2>&1)" "[WARNING]" "$s x $r: no warning in redis-cli check"
	out=$(shape "$seed")
	t_eq "$s" "$(printf '%s\n' "$out" | grep -c .)" "$s x $r: $s masters"
	while read -r addr n reps same; do
		if [ "$n" -ne "$lo" ] && [ "$n" -ne $((lo + 1)) ]; then bad=1; echo "master $addr owns $n slots"; fi
		if [ "$reps" -ne "$r" ]; then bad=1; echo "master $addr has $reps replicas"; fi
		if [ "$same" -ne 0 ] && [ "${4:-}" = spread ]; then bad=1; echo "master $addr has a replica on its host"; fi
	done <<<"$out"
	t_eq 0 "$bad" "$s x $r: every master owns $lo or $((lo + 1)) slots and has $r replicas"
}

# every node of the list reports cluster_state:ok and knows all the others
all_know() {
	local n=$1 bad=0 a
	shift
	for a in "$@"; do
		info=$(cli "$a" cluster info)
		case "$info" in *"cluster_known_nodes:$n"*) ;; *) bad=1; echo "$a: $(echo "$info" | grep known)";; esac
		case "$info" in *"cluster_state:ok"*) ;; *) bad=1; echo "$a: not ok";; esac
	done
	t_eq 0 "$bad" "all $n nodes know each other and report cluster_state:ok"
}

# one range for the whole script, free on the three hosts
all=$(t_free_ports 29 127.0.2.1 127.0.2.2 127.0.2.3)

# --- 3 shards, no replicas, one host
base=$all
nodes=()
for i in 0 1 2; do
	t_start_node 127.0.2.1 $((base + i)) --cluster-node-timeout 5000
	nodes+=("127.0.2.1:$((base + i))")
done
t_run "$SHARDCTL" create --nodes "$(IFS=,; echo "${nodes[*]}")" --shards 3 --replicas 0
t_eq 0 "$T_RC" "create 3x0 succeeds ($T_ERR)"
t_contains "$T_OUT" "cluster created: 3 shards, 0 replicas each" "create 3x0 says so"
created "${nodes[0]}" 3 0
all_know 3 "${nodes[@]}"
# slots contiguous, in list order
t_eq "5461 5461 5462" "$(shape "${nodes[0]}" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')" "3x0: 5461, 5461, 5462 slots"
t_eq 1 "$(cli 127.0.2.1:"$base" cluster nodes | grep -cE '^[0-9a-f]{40} [^ ]+ myself,master - 0 [0-9]+ 1 connected 0-5460$')" "3x0: first node owns 0-5460 with config epoch 1"

# --- 4 shards x 1 replica over three hosts (3 + 3 + 2 nodes)
base=$((all + 3))
nodes=()
hosts=(127.0.2.1 127.0.2.1 127.0.2.1 127.0.2.2 127.0.2.2 127.0.2.2 127.0.2.3 127.0.2.3)
for i in "${!hosts[@]}"; do
	t_start_node "${hosts[$i]}" $((base + i)) --cluster-node-timeout 5000
	nodes+=("${hosts[$i]}:$((base + i))")
done
start=$(date +%s%N)
t_run "$SHARDCTL" create --nodes "$(IFS=,; echo "${nodes[*]}")" --shards 4 --replicas 1
echo "create 4x1 took $((($(date +%s%N) - start) / 1000000)) ms"
t_eq 0 "$T_RC" "create 4x1 succeeds ($T_ERR)"
created "${nodes[0]}" 4 1 spread
all_know 8 "${nodes[@]}"
t_eq "" "$(shape "${nodes[0]}" | awk '$4 != 0')" "4x1: no replica on its master's host"
# masters spread: every host has at least one master
for h in 127.0.2.1 127.0.2.2 127.0.2.3; do
	t_contains "$(shape "${nodes[0]}")" "$h:" "4x1: host $h has a master"
done
# create ran with a 0.5 s node timeout and no diskless-sync delay on every
# node (fastjoin.h), waited for the replicas to sync, then put both back
insync=0 conf=""
for a in "${nodes[@]}"; do
	info=$(cli "$a" info replication | tr -d '\r')
	grep -q '^role:slave' <<<"$info" && grep -q '^master_link_status:up' <<<"$info" &&
		grep -q '^master_sync_in_progress:0' <<<"$info" && insync=$((insync + 1))
	conf="$conf $(cli "$a" config get cluster-node-timeout | tail -1)/$(cli "$a" config get repl-diskless-sync-delay | tail -1)"
done
t_eq 4 "$insync" "4x1: right after create, all 4 replicas are in sync"
t_eq "$(printf ' 5000/5%.0s' 1 2 3 4 5 6 7 8)" "$conf" "4x1: node timeout and diskless-sync delay back to the started values"

# --- 5 shards x 2 replicas over three hosts (5 nodes each, listed host by host)
base=$((all + 11))
nodes=()
for i in $(seq 0 14); do
	h=127.0.2.$((i / 5 + 1))
	t_start_node "$h" $((base + i)) --cluster-node-timeout 5000
	nodes+=("$h:$((base + i))")
done
t_run "$SHARDCTL" create --nodes "$(IFS=,; echo "${nodes[*]}")" --shards 5 --replicas 2
t_eq 0 "$T_RC" "create 5x2 succeeds ($T_ERR)"
created "${nodes[0]}" 5 2 spread
all_know 15 "${nodes[@]}"
t_eq "" "$(shape "${nodes[0]}" | awk '$4 != 0')" "5x2: no replica on its master's host"
t_eq "3276 3277 3277 3277 3277" "$(shape "${nodes[0]}" | awk '{print $2}' | sort -n | tr '\n' ' ' | sed 's/ $//')" "5x2: 3276 or 3277 slots per master"
# every shard on three different hosts (the layout spreads replicas too)
spread=$(cli 127.0.2.1:"$base" cluster nodes | awk '
	{ a = $2; sub(/:.*/, "", a); if ($3 ~ /master/) { s[$1] = $1; h[$1] = a } else { s[$1] = $4; h[$1] = a } }
	END { for (n in s) hs[s[n] " " h[n]]++; for (k in hs) { split(k, p, " "); c[p[1]]++ } for (m in c) print c[m] }' | sort -u)
t_eq 3 "$spread" "5x2: every shard spans three hosts"

# --- an interrupted create (killed after some slots and epochs were set,
# before the meet) is finished by running create again
base=$((all + 26))
nodes=()
for i in 0 1 2; do
	t_start_node 127.0.2.1 $((base + i)) --cluster-node-timeout 5000
	nodes+=("127.0.2.1:$((base + i))")
done
cli "${nodes[0]}" cluster addslotsrange 0 5460 >/dev/null
cli "${nodes[0]}" cluster set-config-epoch 1 >/dev/null
cli "${nodes[1]}" cluster addslotsrange 5461 10921 >/dev/null
t_run "$SHARDCTL" create --nodes "$(IFS=,; echo "${nodes[*]}")" --shards 3
t_eq 0 "$T_RC" "create again after an interruption ($T_ERR)"
t_contains "$T_OUT" "'${nodes[0]}' already has its slots and config epoch from an interrupted create: resuming" "says it resumes node 0"
t_contains "$T_OUT" "'${nodes[1]}' already has its slots from an interrupted create: resuming" "says it resumes node 1"
created "${nodes[0]}" 3 0

t_done
