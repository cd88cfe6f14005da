#!/usr/bin/env bash
# resume_kill.sh - `shardctl reconcile` 4 -> 5 shards and back (1 replica per
# shard, a few thousand keys), killed with SIGKILL at >= 30 points: at the
# executor's own steps (as it announces them: joining, waiting, moving,
# moved, making a replica, removing) and at random times, each followed by a
# rerun.  After every kill every key is verified one by one (the cluster is
# half-way then: the reader follows MOVED/ASK); after every run that
# finishes, `shardctl check` must pass for its target; at the end the cluster
# is checked by shardctl and redis-cli.  KILLS=N changes the number of kills.
#
# Run by hand (5-10 minutes on 2 cores, more than the integration suite can give):
#   SHARDCTL=build/asan/shardctl bash tests/stress/resume_kill.sh
#
# A run that was not killed and still failed (reconcile could not resume by
# itself: see docs/RELIABILITY.md for the known cases) is followed by
# `shardctl fix`, which must repair what was left, and counted; with
# RESUME_STRICT=1 such a run is a failure instead.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/../integration/lib/cluster.bash"

KILLS=${KILLS:-32}
NKEYS=4000
P=$(t_free_ports 1) || exit 1
NET=127.0.13
[ -x "$SC_LOAD" ] || { t_not_ok "sc-load not built ($SC_LOAD)"; t_done; }
C_SEED=$NET.1:$P
C_WRAP=(timeout 60)

for i in $(seq 1 10); do t_start_node $NET.$i "$P" --cluster-node-timeout 5000 || { t_not_ok "start $NET.$i"; t_done; }; done
L4=$(for i in $(seq 1 8); do printf '%s.%d:%d,' $NET "$i" "$P"; done)
L4=${L4%,}
L5=$L4,$NET.9:$P,$NET.10:$P
list() { if [ "$1" = 5 ]; then echo "$L5"; else echo "$L4"; fi; }

t_run "$SHARDCTL" reconcile --nodes "$L4" --shards 4 --replicas 1 --wait 30
t_eq 0 "$T_RC" "fixture: 4 x 1 cluster created ($(echo "$T_ERR" | tail -n 1))"
fill_keys $NKEYS

verify() { verify_keys "$1" $NKEYS; } # verify WHAT

# Kill points, used in turn: step:PATTERN:NTH:DELAY_MS kills DELAY_MS after
# the NTH log line containing PATTERN; time:MS kills MS after the start
# (time:rand picks 0..3999 ms).
points=(
	"step:moving :1:0" "time:rand" "step:joining ':1:0" "step:moving :2:30" "time:rand"
	"step:waiting for every node to agree:1:0" "step:moving :1:400" "time:rand" "step:moved :1:0"
	"step:making ':1:0" "time:rand" "step:removing ':1:0" "step:moving :3:0" "time:rand"
	"step:joining ':2:0" "step:moving :1:150" "step:removing ':2:0" "time:rand"
	"step:waiting for every node to agree:2:0" "step:moving :4:10" "time:rand"
)
log="$T_DIR/reconcile.log"
show_nodes() { # diagnostics: every node's role and open slots
	local i
	for i in $(seq 1 10); do echo "# $NET.$i: $(role $NET.$i:$P) $(open_slots $NET.$i:$P | cut -d' ' -f1-5)"; done
}
run() { # run TARGET POINT: reconcile toward TARGET shards, killed at POINT ("" = never)
	local kind pat nth delay ms pid start
	"$SHARDCTL" reconcile --nodes "$(list "$1")" --shards "$1" --replicas 1 --wait 20 >"$log" 2>&1 &
	pid=$!
	KILLED=0
	IFS=: read -r kind pat nth delay <<<"$2"
	if [ "$kind" = time ]; then
		[ "$pat" = rand ] && ms=$((RANDOM % 4000)) || ms=$pat
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	elif [ "$kind" = step ]; then
		start=$(date +%s)
		while kill -0 "$pid" 2>/dev/null && [ "$(grep -cF -- "$pat" "$log")" -lt "$nth" ] &&
			[ $(($(date +%s) - start)) -lt 30 ]; do sleep 0.01; done
		[ "$delay" -gt 0 ] && sleep "$(printf '0.%03d' "$delay")"
	fi
	if [ -n "$kind" ] && kill -9 "$pid" 2>/dev/null; then KILLED=1; fi
	wait "$pid"
	RC=$?
	# the run first told a node the owners of slots it imported unknowingly
	grep -q "sees unassigned" "$log" && repaired=$((repaired + 1))
}

target=5 kills=0 finished=0 runs=0 i=0 fixes=0 failed_runs=0 repaired=0 deadline=$(($(date +%s) + 600))
while [ "$kills" -lt "$KILLS" ] && [ "$(date +%s)" -lt "$deadline" ]; do
	point=${points[$((i % ${#points[@]}))]}
	i=$((i + 1))
	runs=$((runs + 1))
	run $target "$point"
	if [ "$KILLED" = 1 ]; then
		kills=$((kills + 1))
		echo "# kill $kills: toward $target shards at $point, after: $(grep -v '^ *[0-9]*\. ' "$log" | tail -n 1)"
		verify "after kill $kills ($point)"
		continue
	fi
	if [ "$RC" != 0 ] && [ -z "${RESUME_STRICT:-}" ]; then
		fixes=$((fixes + 1))
		echo "# reconcile did not finish by itself: $(tail -n 1 "$log")"
		show_nodes
		t_run "$SHARDCTL" fix $NET.1:"$P" --wait 30
		t_eq 0 "$T_RC" "shardctl fix repairs what reconcile left ($(echo "$T_OUT" | tail -n 1) $(echo "$T_ERR" | tail -n 1))"
		[ "$T_RC" = 0 ] || echo "$T_OUT" | grep STOP | sort -u | head -n 5
		verify "after fix $fixes"
		continue
	fi
	# the run ended before the kill point: it must have finished the job
	t_eq 0 "$RC" "run toward $target shards finished by itself ($(tail -n 1 "$log"))"
	if [ "$RC" != 0 ]; then
		cat "$log"
		show_nodes
		failed_runs=$((failed_runs + 1))
		[ "$failed_runs" -ge 3 ] && break
		sleep 2 # then run again: does it converge once gossip settles?
		continue
	fi
	t_run "$SHARDCTL" check $NET.1:"$P" --shards $target --replicas 1
	t_eq 0 "$T_RC" "check after reaching $target shards: $(echo "$T_OUT" | tail -n 1)"
	verify "after reaching $target shards"
	finished=$((finished + 1))
	target=$((9 - target))
done
t_eq 1 "$([ "$kills" -ge "$KILLS" ] && echo 1 || echo 0)" "killed $kills times in $runs runs ($finished targets reached, $fixes runs needed shardctl fix, $repaired runs told a node the owners first), wanted >= $KILLS"

# finish the current target, then go back: both must complete undisturbed
for t in $target $((9 - target)); do
	run $t ""
	if [ "$RC" != 0 ] && [ -z "${RESUME_STRICT:-}" ]; then
		echo "# final run did not finish by itself: $(tail -n 1 "$log"); fix, then again"
		fixes=$((fixes + 1))
		"$SHARDCTL" fix $NET.1:"$P" --wait 30 | tail -n 3
		run $t ""
	fi
	t_eq 0 "$RC" "final run toward $t shards completes ($(tail -n 1 "$log"))"
	[ "$RC" = 0 ] || { cat "$log"; show_nodes; [ -n "${RESUME_DUMP:-}" ] && for i in $(seq 1 10); do echo "## $NET.$i"; cli $NET.$i:"$P" cluster nodes; done; }
	t_run "$SHARDCTL" check $NET.1:"$P" --shards $t --replicas 1
	t_eq 0 "$T_RC" "shardctl check passes for $t x 1: $(echo "$T_OUT" | tail -n 1)"
	verify "final $t shards"
done
t_run cli_cluster check $NET.1:"$P"
t_not_contains "$T_OUT" "[ERR]" "redis-cli --cluster check: no error"
t_contains "$T_OUT" "[OK] All 16384 slots covered." "redis-cli --cluster check: all slots covered"
t_done
