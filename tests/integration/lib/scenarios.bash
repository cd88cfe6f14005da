# scenarios.bash - the resize scenarios every server of the matrix goes
# through (tests/integration/server_matrix.sh), written once (sourced after
# cluster.bash and node_kill.bash).  Each ends in the same checks
# (sc_settled): shardctl check healthy of the expected shape, even slots, no
# importing/migrating mark on any node (replicas included), every key of the
# data set (SC_KEYS) verified one by one.  SC_NAME prefixes every assertion.

SC_KEYS=${SC_KEYS:-20000}
SC_NAME=${SC_NAME:-}

# sc_settled WHAT SHARDS REPLICAS: the cluster is done and whole
sc_settled() {
	local what=$1 s=$2 r=$3
	t_wait 30 healthy "" "$s" "$r"
	t_run "$SHARDCTL" check "$(node "${C_SEED:-0}")" --shards "$s" --replicas "$r"
	t_eq 0 "$T_RC" "$what: shardctl check --shards $s --replicas $r: healthy ($T_OUT)"
	t_eq "$(even_counts "$s")" "$(slot_counts)" "$what: $s masters, even slots"
	t_eq "" "$(open_slots)" "$what: no open mark on any node, replicas included"
	verify_keys "$what" "$SC_KEYS"
}

# sc_reconcile_to WHAT LIST SHARDS REPLICAS: the first reconcile succeeds,
# then sc_settled
sc_reconcile_to() {
	local what="$SC_NAME $1" t0=$SECONDS
	t_run "$SHARDCTL" reconcile --nodes "$(node_list $2)" --shards "$3" --replicas "$4"
	t_eq 0 "$T_RC" "$what: reconcile exits 0 the first time ($((SECONDS - t0)) s): $(tail -n 3 <<<"$T_ERR")"
	grep -h 'moved .* slots' <<<"$T_OUT$T_ERR" | sed "s/^/# $what: /"
	sc_settled "$what" "$3" "$4"
}

# sc_kill_reconcile LIST SHARDS REPLICAS BACK SHARDS0: a reconcile SIGKILLed
# in the middle of its first move, once its first keys reached the target
# (node_kill.py); its output in $T_DIR/k.out.  An atomic move can be over
# before a loaded machine schedules the killer: then the run is undone (a
# reconcile to SHARDS0 x REPLICAS on the node numbers BACK) and tried again,
# up to 3 times.  Fails the test when the kill did not land during a run.
sc_kill_reconcile() {
	local p out rc try
	for try in 1 2 3; do
		"$SHARDCTL" reconcile --nodes "$1" --shards "$2" --replicas "$3" >"$T_DIR/k.out" 2>&1 &
		p=$!
		out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/node_kill.py" "$T_DIR/k.out" "pid:$p" keys 60 2>"$T_DIR/kill.err")
		rc=$?
		wait $p 2>/dev/null
		[ $rc -eq 3 ] && [ $try -lt 3 ] || break
		echo "# $SC_NAME: the reconcile ended before the kill (try $try: $(tail -n 1 "$T_DIR/k.out")); undone, again"
		t_run "$SHARDCTL" reconcile --nodes "$(node_list $4)" --shards "$5" --replicas "$3"
		[ "$T_RC" -eq 0 ] || break
	done
	t_eq 0 $rc "$SC_NAME: reconcile killed in the middle of its first move ($out$(tail -n 1 "$T_DIR/kill.err"))"
}

# sc_scale_with_client: 4x1 -> 5x1 -> 4x1 and replicas 1 -> 2 -> 1 on nodes
# 0-11 (cluster_up 12 4 1 made nodes 0-7 the 4x1), a client reading and
# writing throughout, no error
sc_scale_with_client() {
	client_start "$(node_list 0-3)"
	sc_reconcile_to "4x1 -> 5x1" 0-9 5 1
	sc_reconcile_to "5x1 -> 4x1" 0-7 4 1
	sc_reconcile_to "4x1 -> 4x2" 0-11 4 2
	sc_reconcile_to "4x2 -> 4x1" 0-7 4 1
	client_stop "$SC_NAME 4x1 -> 5x1 -> 4x1 -> 4x2 -> 4x1"
}

# sc_evacuate: from 4x1 on nodes 0-7, the last master among them and its
# replica are left out of --nodes: reconcile --evacuate-only moves every
# slot off that master (straight to the staying masters: no replica of its
# own stays to take over) and leaves both members; then the full reconcile
# makes 3x1 and removes them.  Sets SC_STAY (numbers of the 6 staying nodes,
# space-separated) and SC_OUT (the 2 removed).
sc_evacuate() {
	local what="$SC_NAME evacuate-only" m rep mid i pre
	mid=$(cli 0 cluster nodes | awk '$3 ~ /master/ && NF >= 9 { print $1 }' | while read -r id; do nk_index_of_id "$id"; done | sort -n | tail -1)
	m=$mid
	rep=$(nk_replica_of "$(cli "$m" cluster myid)")
	SC_OUT="$m $rep" SC_STAY=""
	for i in 0 1 2 3 4 5 6 7; do [ "$i" = "$m" ] || [ "$i" = "$rep" ] || SC_STAY="$SC_STAY $i"; done
	SC_STAY=${SC_STAY# }
	pre=$(grep -cE 'myself as a replica|<-> REPLICA sync started' \
		"$T_DIR/node-$(node "$m" | tr : -)/redis.log")
	t_run "$SHARDCTL" reconcile --nodes "$(node_list $SC_STAY)" --shards 3 --replicas 1 --evacuate-only
	t_eq 0 "$T_RC" "$what (master $m and its replica $rep left out): exit 0: $(tail -n 2 <<<"$T_ERR")"
	t_eq "" "$(cli "$m" cluster nodes | grep myself | awk '{print $9}')" "$what: the departing master $m owns no slot"
	t_eq 8 "$(members)" "$what: the departing nodes are still members"
	t_eq "" "$(open_slots)" "$what: no open mark on any node, replicas included"
	t_eq "5461 5461 5462" "$(slot_counts | sed 's/^0 //')" "$what: the 3 staying masters own every slot, evenly"
	t_eq "$pre" "$(grep -cE 'myself as a replica|<-> REPLICA sync started' \
		"$T_DIR/node-$(node "$m" | tr : -)/redis.log")" "$what: the drained master never started a sync as a replica"
	verify_keys "$what" "$SC_KEYS"
	sc_reconcile_to "evacuated -> 3x1" "$SC_STAY" 3 1
	t_eq 6 "$(members)" "$SC_NAME 3x1: the departing nodes are forgotten"
}

# sc_kill_and_rerun: from 3x1 (SC_STAY), reconcile to 4x1 on nodes 0-7
# killed mid-move; every key still readable; the rerun converges
sc_kill_and_rerun() {
	sc_kill_reconcile "$(node_list 0-7)" 4 1 "$SC_STAY" 3
	verify_keys "$SC_NAME reconcile killed mid-move" "$SC_KEYS"
	sc_reconcile_to "rerun after the kill" 0-7 4 1
}

# sc_fix_after_kill: from 4x1, reconcile to 3x1 (SC_STAY) killed mid-move;
# shardctl fix leaves no open mark, every slot covered, every key; then
# reconcile finishes the 3x1
sc_fix_after_kill() {
	local what="$SC_NAME fix after a killed move"
	sc_kill_reconcile "$(node_list $SC_STAY)" 3 1 0-7 4
	echo "# $what: open after the kill: $(open_slots | wc -w) mark(s)"
	t_run "$SHARDCTL" fix "$(node 0)"
	t_eq 0 "$T_RC" "$what: fix exits 0: $(tail -n 2 <<<"$T_ERR") $(grep -m 2 STOP <<<"$T_OUT$T_ERR")"
	grep -E 'stale|done' <<<"$T_OUT$T_ERR" | sed "s/^/# $what: /"
	t_eq "" "$(open_slots)" "$what: no open mark on any node, replicas included"
	t_wait 30 healthy
	t_eq 0 $? "$what: healthy (every slot covered, no open slot, the nodes agree)"
	verify_keys "$what" "$SC_KEYS"
	sc_reconcile_to "reconcile after fix" "$SC_STAY" 3 1
}

# sc_node_killed: from 3x1 (SC_STAY), reconcile to 4x1 on nodes 0-7; the
# SOURCE master of its first move is SIGKILLed once its first keys reached
# the target (every node with appendfsync always, node_kill.bash); its
# replica takes over; the killed node is started again (a
# replica of its successor); reconcile converges (a key left on both sides
# by the kill: fix and again, nk_reconcile)
sc_node_killed() {
	local what="$SC_NAME source killed mid-move" src rep i
	for i in "${!T_NODES[@]}"; do cli "$i" config set appendfsync always >/dev/null; done
	nk_ids
	nk_reconcile_bg "$(node_list 0-7)" 4 1
	if ! nk_kill_in_move source; then
		t_not_ok "$what: no move to kill a node in: $(tail -n 3 "$T_DIR/bg.out")"
		wait $NK_BG
		return
	fi
	t_ok "$what: node $NK_KILLED killed $NK_KILL_MS ms into the move, the target holding $NK_KILL_KEYS keys"
	src=$NK_KILLED
	wait $NK_BG
	t_eq 1 $? "$what: the running reconcile fails: $(tail -n 1 "$T_DIR/bg.out")"
	rep=$(nk_replica_of "${NK_ID[$src]}")
	t_wait 60 role_is "$rep" master
	t_eq 0 $? "$what: node $rep (its replica) took over"
	node_start "$src"
	t_wait 30 role_is "$src" slave
	t_eq 0 $? "$what: the killed node is back as a replica"
	NK_DUPS=0
	nk_reconcile "$(node "$rep")" "$(node_list 0-7)" 4 1
	t_eq 0 "$T_RC" "$what: reconcile converges ($NK_DUPS fix run(s) for keys on both sides): $(tail -n 2 <<<"$T_ERR")"
	sc_settled "$what" 4 1
}
