#!/usr/bin/env bash
# asm.sh - atomic slot migration driven by shardctl, on ASM_SERVER of
# scripts/servers.sh: valkey-9.1 (default, Valkey's CLUSTER MIGRATESLOTS)
# or redis-8.6 (Redis's CLUSTER MIGRATION: asm_redis.sh), with a client reading and
# writing through every atomic move (sc-load run: no error, no ASK, nothing lost):
# local scale 4x1 -> 5x1 -> 5x2 -> 5x1 -> 4x1 (the 5 -> 4 through the
# evacuate-only half), every key verified, no job, open slot or paused
# client left; a SIGINT during the moves (jobs cancelled, cluster
# consistent, exit 1) then a rerun; a SIGKILL during the moves then a rerun
# (it waits for the jobs left on the servers); cancelled attempts (30,000
# keys in their slots) retried, then the legacy method for the rest; with a password (Valkey: primaryauth
# needed; Redis: nothing to set); Redis: a mixed Valkey/Redis node list
# refused for atomic; and on redis-7.0 '--migration atomic' refused (exit
# 2, nothing changed) while auto plans legacy.
# The target killed mid-job: asm_target_kill.sh; several databases:
# asm_multidb_server.sh and multidb.sh.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
H=127.0.16.1
D=$T_DIR/c
KEYS=20000

ASM_SERVER=${ASM_SERVER:-valkey-9.1}
servers() { SERVERS_DIR=${SERVERS_DIR:-$T_ROOT/build/servers} "$T_ROOT/scripts/servers.sh" "$1" 2>/dev/null; }
read -r _ VSERVER VCLI < <(servers "$ASM_SERVER")
read -r _ RSERVER _ < <(servers redis-7.0)
[ -x "${VSERVER:-}" ] && [ -x "${RSERVER:-}" ] ||
	{ t_not_ok "$ASM_SERVER and redis-7.0 from scripts/servers.sh (set SERVERS_DIR)"; t_done; }
T_REDIS_CLI=$VCLI
# the family's words: the jobs' listing and its terminal states, the state
# a cancelled job ends in
if [ "$ASM_SERVER" = redis-8.6 ]; then
	# (a failed task is not over: an import is retried by its server, a
	# migrate holds its slots against SETSLOT until cancelled)
	REDIS=1 LISTING="cluster migration status all" TERMINAL='completed|canceled' CANCELLED=canceled
else
	REDIS= LISTING="cluster getslotmigrations" TERMINAL='success|failed|cancelled' CANCELLED=cancelled
fi

base=$(t_free_ports 15 $H) || exit 1
A=$H:$base
C_SEED=$A
nodes() { local i out=""; for ((i = 0; i < $1; i++)); do out="$out,$H:$((base + i))"; done; echo "${out#,}"; }
each() { local i; for ((i = 0; i < 15; i++)); do cli $H:$((base + i)) "$@" 2>/dev/null; done; }
# jobs still in progress on any node (states not terminal)
jobs_running() { each $LISTING | awk -v t="^($TERMINAL)\$" 'p { if ($0 !~ t) n++; p = 0 } /^state$/ { p = 1 } END { print n + 0 }'; }
# nodes pausing clients (Valkey: INFO clients paused_actions; Redis 8.6
# reports no pause in INFO: 0, the client's errors and timings cover it)
paused() { [ "${ASM_SERVER:-}" = redis-8.6 ] && { echo 0; return; }; each info clients | tr -d '\r' | grep '^paused_actions:' | grep -vc ':none$'; }
masters() { cli $A cluster nodes | awk '$3 ~ /master/ && NF >= 9 { print $2 }' | sed 's/@.*//'; }
clean() {
	t_eq "" "$(open_slots $(masters) $(nodes 15 | tr , ' '))" "$1: no open slot on any node"
	t_eq 0 "$(jobs_running)" "$1: no slot migration job in progress"
	t_eq 0 "$(paused)" "$1: no node pauses clients"
}
shape() {
	t_wait 30 healthy $A "$1" "$2"
	t_eq 0 $? "$1x$2: healthy (shardctl check and redis-cli check)"
	t_eq "$(even_counts "$1")" "$(slot_counts $A)" "$1x$2: even slot counts"
	verify_keys "$1x$2" $KEYS
	clean "$1x$2"
}

t_run "$SHARDCTL" local up --dir "$D" --shards 4 --replicas 1 --port "$base" --host $H --redis-server "$VSERVER"
t_eq 0 "$T_RC" "local up 4x1 on $ASM_SERVER ($T_ERR)"
t_run "$SC_LOAD" fill --seed $A --keys $KEYS
t_eq 0 "$T_RC" "$KEYS keys written"

"$SC_LOAD" run --seed $A --seconds 300 --rate 1500 --keys $KEYS --run-keys 2000 --json >"$T_DIR/run.json" 2>"$T_DIR/run.err" &
loadpid=$!

scale() {
	t_run "$SHARDCTL" local scale --dir "$D" --shards "$1" --replicas "$2" --redis-server "$VSERVER"
	t_eq 0 "$T_RC" "local scale to $1x$2 ($T_ERR $(tail -3 <<<"$T_OUT"))"
}
scale 5 1
t_contains "$T_OUT" "slots move by atomic slot migration" "4x1 -> 5x1: the plan says atomic"
t_contains "$T_OUT" "moved 3276/3276 slots" "4x1 -> 5x1: the final line counts every slot"
t_not_contains "$T_OUT" "legacy" "4x1 -> 5x1: no legacy move"
shape 5 1

N4=$(nodes 8)
t_run "$SHARDCTL" plan --nodes "$N4" --shards 4 --replicas 1 --evacuate-only --json
t_contains "$T_OUT" '"method":"atomic"' "plan --json: the moves are atomic"
t_not_contains "$T_OUT" '"method":"legacy"' "plan --json: no legacy move"

# SIGINT, then SIGKILL, while the jobs of an evacuation run: the sources
# slowed down (rdb-key-save-delay, per key of the snapshot), the signal
# sent once a source reports its export
slow() { for m in $(masters); do cli "$m" config set rdb-key-save-delay "$1" >/dev/null; done; }
exporting() { # (no grep -q at the end of a pipe: pipefail)
	local s
	s=$(for m in $(masters); do cli "$m" $LISTING; done)
	if [ -n "$REDIS" ]; then
		grep -qx 'send-bulk-and-stream\|wait-bgsave-start\|wait-rdbchannel\|send-stream\|accumulate-buffer' <<<"$s"
	else
		grep -qx 'snapshotting\|waiting-to-snapshot\|connecting\|replicating' <<<"$s"
	fi
}
evacuate_killed() { # SIGNAL
	"$SHARDCTL" reconcile --nodes "$N4" --shards 4 --replicas 1 --evacuate-only >"$T_DIR/int.out" 2>"$T_DIR/int.err" &
	pid=$!
	t_wait 20 exporting
	t_eq 0 $? "$1: a source is exporting"
	kill -"$1" $pid
	wait $pid
	rc=$?
}
slow 1000
evacuate_killed INT
t_eq 1 "$rc" "SIGINT: exit 1"
t_contains "$(cat "$T_DIR/int.err")" "interrupted by SIGINT" "SIGINT: says so"
t_contains "$(cat "$T_DIR/int.out")" "cancelling the atomic slot migration jobs" "SIGINT: jobs cancelled"
t_eq 0 "$(jobs_running)" "SIGINT: no job left running"
t_eq "" "$(open_slots $(nodes 10 | tr , ' '))" "SIGINT: no open slot"
t_healthy "SIGINT" $A
verify_keys "after SIGINT" $KEYS

evacuate_killed KILL
t_run "$SHARDCTL" reconcile --nodes "$N4" --shards 4 --replicas 1 --evacuate-only
t_eq 0 "$T_RC" "rerun after SIGKILL ($T_ERR)"
t_contains "$T_OUT" "atomic slot migration job(s) are still in progress (left by an earlier run" "rerun after SIGKILL: waits for the jobs left running"
slow 0
t_healthy "after SIGKILL" $A
verify_keys "after SIGKILL" $KEYS
clean "after SIGKILL"

# back to 5 shards (the evacuated nodes take slots again), replicas 1 -> 2
# -> 1, then 5 -> 4 the Helm way (evacuate-only, then reconcile)
scale 5 2
shape 5 2
scale 5 1
shape 5 1
scale 4 1
t_contains "$T_OUT" "pre-upgrade: reconcile --evacuate-only" "5x1 -> 4x1: evacuated first"
t_contains "$T_OUT" "moved 3276/3276 slots" "5x1 -> 4x1: the departing master's slots moved"
shape 4 1

kill -TERM $loadpid
wait $loadpid
lrc=$?
out=$(cat "$T_DIR/run.json")
t_eq 0 "$lrc" "the client ran through it all ($(head -3 "$T_DIR/run.err"))"
t_contains "$out" '"errors":0,"wrong":0,"lost":0' "client: no error, nothing wrong or lost"
t_contains "$out" '"ask":0' "client: never redirected with ASK by the atomic moves"

# three cancelled attempts (the test hook cancels them on the server), then
# the legacy method for what is left (after the client: the legacy method
# redirects with ASK)
idB=$(cli $H:$((base + 1)) cluster myid)
if [ -n "$REDIS" ]; then
	cli $H:$((base + 1)) cluster migration import 0 9 >/dev/null
else
	cli $A cluster migrateslots slotsrange 0 9 node "$idB" >/dev/null
fi
t_wait 10 test "$(owner_of $A 5)" = "$idB"
# 30,000 more keys in those slots: the job must outlast the moment between
# its start and the hook's cancel (12 keys were moved before the cancel
# came once, under CI's load)
keys_0_9() { for s in 0 1 2 3 4 5 6 7 8 9; do cli $H:$((base + 1)) cluster countkeysinslot $s; done | awk '{ n += $1 } END { print n }'; }
before=$(keys_0_9)
python3 - "$T_ROOT/tests/integration" <<'PY' | cli $H:$((base + 1)) --pipe >/dev/null
import sys
sys.path.insert(0, sys.argv[1])
from engine_keys import slot_of
tags, i = {}, 0
while len(tags) < 10:
    t = str(i).encode()
    s = slot_of(t)
    if s < 10 and s not in tags:
        tags[s] = t
    i += 1
out = sys.stdout.buffer
v = b"x" * 100
for n in range(30000):
    k = b"pad:{" + tags[n % 10] + b"}:" + str(n).encode()
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
t_eq 30000 "$(($(keys_0_9) - before))" "30000 keys added to slots 0-9"
SHARDCTL_TEST_ASM_CANCEL=3 t_run "$SHARDCTL" reconcile --nodes "$N4" --shards 4 --replicas 1
t_eq 0 "$T_RC" "cancelled 3 times: reconcile still succeeds ($T_ERR)"
t_contains "$T_OUT" "ended: $CANCELLED" "cancelled: the attempt ended so"
t_contains "$T_OUT" "trying again (2 of 3)" "cancelled: tried again"
t_contains "$T_OUT" "remaining slots with the legacy method" "cancelled 3 times: the legacy method moves the rest"
t_contains "$T_OUT" "moved 10/10 slots" "cancelled 3 times: every slot moved"
shape 4 1

if [ -n "$REDIS" ]; then
	# with a password: Redis's nodes use the cluster's own secret, nothing
	# to set: 3x0 -> 4x0 atomic; a Valkey node in the list: atomic refused
	pbase=$(t_free_ports 5 $H) || exit 1
	P=$H:$pbase
	export REDISCLI_AUTH=sesame
	t_run "$SHARDCTL" local up --dir "$T_DIR/p" --shards 3 --port "$pbase" --host $H --redis-server "$VSERVER"
	t_eq 0 "$T_RC" "$ASM_SERVER 3x0 with a password ($T_ERR)"
	t_run "$SC_LOAD" fill --seed $P --keys 2000
	t_run "$SHARDCTL" local scale --dir "$T_DIR/p" --shards 4 --migration atomic
	t_eq 0 "$T_RC" "with a password: 3x0 -> 4x0 atomic ($T_ERR)"
	t_contains "$T_OUT" "(Redis CLUSTER MIGRATION)" "with a password: the moves are Redis's atomic ones"
	t_contains "$T_OUT" "moved 4096/4096 slots" "with a password: every slot moved"
	t_healthy "with a password" $P
	C_SEED=$P verify_keys "with a password" 2000
	read -r _ V9 _ < <(servers valkey-9.1)
	T_REDIS_SERVER=$V9 t_start_node $H $((pbase + 4)) --requirepass sesame
	PN="$P,$H:$((pbase + 1)),$H:$((pbase + 2)),$H:$((pbase + 3)),$H:$((pbase + 4))"
	t_run "$SHARDCTL" plan --nodes "$PN" --shards 5 --replicas 0 --migration atomic
	t_eq 2 "$T_RC" "a Valkey node among Redis ones: atomic refused"
	t_contains "$T_ERR" "has Valkey's (CLUSTER MIGRATESLOTS) while" "the refusal names both families ($T_ERR)"
	t_run "$SHARDCTL" plan --nodes "$PN" --shards 5 --replicas 0
	t_contains "$T_OUT$T_ERR" "slots move the legacy way: '$H:$((pbase + 4))' has Valkey's" "auto says why it is legacy"
	unset REDISCLI_AUTH
else
# with a password the source authenticates to its target with primaryauth:
	# set by local up (masterauth); a node without it: atomic refused, auto legacy
	pbase=$(t_free_ports 3 $H) || exit 1
	P=$H:$pbase PN="$H:$pbase,$H:$((pbase + 1)),$H:$((pbase + 2))"
	export REDISCLI_AUTH=sesame
	t_run "$SHARDCTL" local up --dir "$T_DIR/p" --shards 3 --port "$pbase" --host $H --redis-server "$VSERVER"
	t_eq 0 "$T_RC" "valkey-9.1 3x0 with a password ($T_ERR)"
	t_run "$SHARDCTL" plan --nodes "$PN" --shards 3 --replicas 0 --migration atomic
	t_eq 0 "$T_RC" "password and primaryauth everywhere: atomic accepted ($T_ERR)"
	cli $H:$((pbase + 1)) config set primaryauth "" >/dev/null
	t_run "$SHARDCTL" plan --nodes "$PN" --shards 3 --replicas 0 --migration atomic
	t_eq 2 "$T_RC" "a node without primaryauth: atomic refused"
	t_contains "$T_ERR" "'$H:$((pbase + 1))' has none; set it" "the refusal names the node and primaryauth ($T_ERR)"
	t_run "$SHARDCTL" plan --nodes "$PN" --shards 3 --replicas 0
	t_eq 0 "$T_RC" "a node without primaryauth: auto plans"
	t_contains "$T_OUT$T_ERR" "slots move the legacy way: '$H:$((pbase + 1))' has no 'primaryauth'" "auto says why it is legacy"
	unset REDISCLI_AUTH
	
fi

# redis-7.0: atomic refused before any change, auto plans legacy
rbase=$(t_free_ports 4 $H) || exit 1
R=$H:$rbase
t_run "$SHARDCTL" local up --dir "$T_DIR/r" --shards 3 --port "$rbase" --host $H --redis-server "$RSERVER"
t_eq 0 "$T_RC" "redis-7.0 3x0 ($T_ERR)"
T_REDIS_SERVER=$RSERVER t_start_node $H $((rbase + 3))
T_REDIS_CLI=redis-cli
RN="$R,$H:$((rbase + 1)),$H:$((rbase + 2)),$H:$((rbase + 3))"
SNAP_NODES=("$R" "$H:$((rbase + 1))" "$H:$((rbase + 2))" "$H:$((rbase + 3))")
refused "redis-7.0: reconcile --migration atomic" "needs atomic slot migration" \
	"$SHARDCTL" reconcile --nodes "$RN" --shards 4 --replicas 0 --migration atomic
refused "redis-7.0: plan --migration atomic" "and '$H:$rbase' has neither" \
	"$SHARDCTL" plan --nodes "$RN" --shards 4 --replicas 0 --migration atomic
t_run "$SHARDCTL" plan --nodes "$RN" --shards 4 --replicas 0 --json
t_contains "$T_OUT" '"method":"legacy"' "redis-7.0: auto plans legacy moves"
t_not_contains "$T_OUT" '"method":"atomic"' "redis-7.0: no atomic move"
t_done
