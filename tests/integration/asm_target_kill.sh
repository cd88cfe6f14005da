#!/usr/bin/env bash
# asm_target_kill.sh - the target of atomic slot migration jobs (Valkey 9
# CLUSTER MIGRATESLOTS, valkey-9.1 of scripts/servers.sh; or, with
# ASM_SERVER=redis-8.6, Redis's CLUSTER MIGRATION tasks, which run one per
# node: asm_target_kill_redis.sh) killed with
# SIGKILL while the jobs run, 4x1 -> 5x1, a client reading and writing
# throughout:
#  a. nodes 8 and 9 the fifth shard; its replica takes over (the target is
#     killed once one job has handed
#     it slots, with the other sources' snapshots slowed: a replica fails
#     over only a master that owns slots).  The running reconcile reports
#     the failed jobs with the server's reason and stops; once the old
#     target is back (a replica of its successor) a rerun moves the rest to
#     the successor and converges.
#  b. back to 4x1, then nodes 10 and 11 the fifth shard; no takeover (every
#     replica told not to): the target is restarted on its port with its
#     nodes.conf and append-only file; the same.  (Fresh nodes: valkey 9.1.2
#     restarted on an append-only file that holds an earlier import of the
#     same slots, then CLUSTER RESET, then this one, fails an assertion
#     while loading it, kvstore.c:958; seen with nodes 8 and 9 reused.)
# After each: check healthy, no open slot, no job in progress, no paused
# client, every key verified (keys lost to asynchronous replication in a,
# counted, only in the slots that were the killed target's), the client's
# errors counted.  The nodes are those of node_kill.bash (append-only file
# with fsync always, quick failover).  reconcile_node_kill_target.sh is the
# legacy method's version of this.
source "$(dirname "$0")/../lib/test-lib.bash"
ASM_SERVER=${ASM_SERVER:-valkey-9.1}
read -r _ T_REDIS_SERVER T_REDIS_CLI < <("$T_ROOT/scripts/servers.sh" "$ASM_SERVER") ||
	{ t_not_ok "$ASM_SERVER from scripts/servers.sh (SERVERS_DIR)"; t_done; }
source "$(dirname "$0")/lib/cluster.bash"
source "$(dirname "$0")/lib/node_kill.bash"

KEYS=20000
cluster_up 12 4 1 $KEYS --cluster-node-timeout "$NK_TIMEOUT" \
	--appendonly yes --appendfsync always --repl-diskless-sync-delay 0
nk_ids

each() { local i; for i in "${!T_NODES[@]}"; do cli "$i" "$@" 2>/dev/null; done; }
# jobs in progress (GETSLOTMIGRATIONS states not terminal) on any node
if [ "$ASM_SERVER" = redis-8.6 ]; then
	# tasks in progress (a failed one too: an import is retried by its
	# server, a migrate holds its slots against SETSLOT until cancelled)
	jobs_running() { each cluster migration status all | awk 'p { if ($0 !~ /^(completed|canceled)$/) n++; p = 0 } /^state$/ { p = 1 } END { print n + 0 }'; }
	# target_of_jobs: TGT = the node with an import task in progress
	target_of_jobs() {
		local i
		for i in "${!T_NODES[@]}"; do
			cli "$i" cluster migration status all 2>/dev/null | awk 'k == "operation" { op = $0 }
				k == "state" && op == "import" && $0 !~ /^(completed|canceled|failed)$/ { f = 1 }
				{ k = $0 } END { exit !f }' && { TGT=$i; return 0; }
		done
		return 1
	}
	# the run's words when its target dies: the task cannot be read
	DIED="cannot connect to\|lost connection to\|Connection refused\|connection reset\|Connection reset"
else
	jobs_running() { each cluster getslotmigrations | awk 'p { if ($0 !~ /^(success|failed|cancelled)$/) n++; p = 0 } /^state$/ { p = 1 } END { print n + 0 }'; }
	# target_of_jobs: TGT = number of the node the exports in progress go to
	target_of_jobs() {
		local id
		# an EXPORT in progress (a target replica's tracking entry has
		# no target_node: never take the one of the entry before it)
		id=$(each cluster getslotmigrations | awk 'k == "name" { t = ""; op = "" }
			k == "operation" { op = $0 } k == "target_node" { t = $0 }
			k == "state" && op == "EXPORT" && $0 !~ /^(success|failed|cancelled)$/ { print t; exit } { k = $0 }')
		[ -n "$id" ] && TGT=${NK_IDX[$id]:-}
		[ -n "$TGT" ]
	}
	DIED="ended (failed: Connection lost to target"
fi
# nodes pausing clients (Valkey: INFO clients paused_actions; Redis 8.6
# reports no pause in INFO: 0, the client's errors and timings cover it)
paused() { [ "$ASM_SERVER" = redis-8.6 ] && { echo 0; return; }; each info clients | tr -d '\r' | grep '^paused_actions:' | grep -vc ':none$'; }
owns_slots() { cli "$1" cluster nodes | awk '/myself/ { exit !(NF >= 9) }'; }
# mid_job [owns]: exports in progress to TGT (which owns slots already, with
# "owns")
mid_job() { target_of_jobs && { [ "${1:-}" != owns ] || owns_slots "$TGT"; }; }
slow() { # DELAY_US [NODE...]: the snapshots of these masters slowed, per key
	local d=$1 i
	shift
	for i in "$@"; do cli "$i" config set rdb-key-save-delay "$d" >/dev/null; done
}
masters4() { local i; for i in 0 1 2 3 4 5 6 7; do role_is $i master && echo $i; done; }
pid_of() { cli "$1" info server | tr -d '\r' | sed -n 's/^process_id://p'; }

# the client: counts of its run line
client_counts() { sed -n 's/.* \([0-9]*\) errors, \([0-9]*\) wrong, \([0-9]*\) lost .*/\1 \2 \3/p' "$T_DIR/client.out" | tail -1; }
client_end() { # WHAT: stops the client, reports its counts; sets C_ERR C_WRONG C_LOST
	kill -TERM "$C_CLIENT"
	wait "$C_CLIENT"
	read -r C_ERR C_WRONG C_LOST < <(client_counts)
	t_eq 0 "${C_WRONG:-?}" "$1: the client read no wrong value ($(grep '^run:' "$T_DIR/client.out"))"
	echo "  $1: client errors ${C_ERR:-?}, writes lost ${C_LOST:-?}"
}

# settled WHAT: healthy 5x1, even, no open slot, no job, no pause
settled() {
	t_run "$SHARDCTL" check "$(node 0)" --shards 5 --replicas 1
	t_eq 0 "$T_RC" "$1: check healthy 5x1 ($(tail -1 <<<"$T_OUT$T_ERR"))"
	t_eq "$(even_counts 5)" "$(slot_counts 0)" "$1: 5 masters, even slots"
	t_eq "" "$(open_slots)" "$1: no open slot"
	t_eq 0 "$(jobs_running)" "$1: no slot migration job in progress"
	t_eq 0 "$(paused)" "$1: no node pauses clients"
}

# --- a. target killed once it owns slots, its replica takes over
client_start "$(node 0)" --rate 300
m4=$(masters4)
slow 2000 $(sed 1d <<<"$m4") # one source quick, three slowed: ~2 s a snapshot
"$SHARDCTL" reconcile --nodes "$(node_list 0-9)" --shards 5 --replicas 1 --wait 30 >"$T_DIR/a.out" 2>&1 &
bg=$!
TGT=
t_wait 60 mid_job owns
t_eq 0 $? "a: jobs in progress to node ${TGT:-?}, which owns slots already"
tgt=$TGT
rep=$(nk_replica_of "${NK_ID[$tgt]}")
inflight=$(cli "$tgt" cluster nodes | awk '/myself/ { for (i = 9; i <= NF; i++) print $i }')
kill -9 "$(pid_of "$tgt")"
t_wait 10 down "$tgt"
wait $bg
rc=$?
slow 0 $m4
sed 's/^/  | /' "$T_DIR/a.out" | tail -4
t_eq 1 "$rc" "a: the reconcile whose target died fails"
grep -q "$DIED" "$T_DIR/a.out"
t_eq 0 $? "a: it reports the failed job with the reason ($DIED)"
t_contains "$(cat "$T_DIR/a.out")" "atomic jobs leave no slot open" "a: and that no slot is left open"
t_contains "$(cat "$T_DIR/a.out")" "'$(node "$tgt")'" "a: and names the killed target"
t_wait 30 role_is "$rep" master
t_eq 0 $? "a: node $rep (its replica) took over"
t_wait 30 test "$(jobs_running)" = 0
t_eq 0 $? "a: the jobs left on the servers end by themselves"
node_start "$tgt"
t_wait 30 role_is "$tgt" slave
t_eq 0 $? "a: the old target is back as a replica"
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-9)" --shards 5 --replicas 1 --wait 30
t_eq 0 "$T_RC" "a: reconcile again converges ($(tail -1 <<<"$T_ERR"))"
t_contains "$T_OUT" "atomic slot migration" "a: the rerun moves atomically"
settled "a"
nk_verify_loss 0 $KEYS "a" $inflight
client_end "a"

# --- b. back to 4x1, then 4x1 -> 5x1 again with the target killed and
# restarted, no replica taking over
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7)" --shards 4 --replicas 1 --wait 30
t_eq 0 "$T_RC" "b: 5x1 -> 4x1 first ($(tail -1 <<<"$T_ERR"))"
nk_no_failover
for i in 10 11; do cli $i config set cluster-replica-no-failover yes >/dev/null; done
nk_ids
client_start "$(node 0)" --rate 300
m4=$(masters4)
slow 2000 $m4
"$SHARDCTL" reconcile --nodes "$(node_list 0-7 10 11)" --shards 5 --replicas 1 --wait 30 >"$T_DIR/b.out" 2>&1 &
bg=$!
TGT=
t_wait 60 mid_job
t_eq 0 $? "b: jobs in progress to node ${TGT:-?}"
tgt=$TGT
kill -9 "$(pid_of "$tgt")"
t_wait 10 down "$tgt"
node_start "$tgt"
wait $bg
rc=$?
slow 0 $m4
sed 's/^/  | /' "$T_DIR/b.out" | tail -4
t_eq 1 "$rc" "b: the reconcile whose target died fails"
t_contains "$(cat "$T_DIR/b.out")" "'$(node "$tgt")'" "b: it names the killed target"
[ "$ASM_SERVER" = redis-8.6 ] || DIED="ended (failed: "
grep -q "$DIED" "$T_DIR/b.out"
t_eq 0 $? "b: it reports the failed job with the reason ($DIED)"
t_wait 30 state_is "$tgt" ok
t_eq 0 $? "b: the target is back (cluster_state:ok)"
t_eq master "$(role "$tgt")" "b: still a master: no replica took over"
t_wait 30 test "$(jobs_running)" = 0
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-7 10 11)" --shards 5 --replicas 1 --wait 30
t_eq 0 "$T_RC" "b: reconcile again converges ($(tail -1 <<<"$T_ERR"))"
settled "b"
lost_a=$V_MISSING
nk_verify_loss 0 $KEYS "b" $inflight
t_eq "$lost_a" "$V_MISSING" "b: no key lost here (only the ${lost_a} of a are missing)"
client_end "b"
t_eq 0 "${C_LOST:-?}" "b: the client lost no write (append-only file, fsync always)"
t_done
