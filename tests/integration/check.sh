#!/usr/bin/env bash
# check.sh - `shardctl check` on a real 3x1 cluster built with plain redis-cli
# commands: healthy (and redis-cli --cluster check agrees), wrong shape, an
# open slot, an uncovered slot with the slot-map disagreement it causes, a
# killed node (unreachable, then marked failed), recovery, a node-set
# disagreement (CLUSTER FORGET), --json, and usage errors.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"
source "$(dirname "$0")/lib/manual_cluster.bash"
H=127.0.1.5
P=$(t_free_ports 6) || exit 1
mc_create "$H" "$P" 3 1 || { t_not_ok "cluster built"; t_done; }
S=$H:$P

rcli_check() { cli_cluster check "$S" 2>&1; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- healthy
t_wait 10 healthy
t_run "$SHARDCTL" check "$S" --shards 3 --replicas 1
t_eq 0 "$T_RC" "healthy cluster: exit 0"
t_contains "$T_OUT" "healthy" "healthy cluster: says healthy"
t_contains "$T_OUT" "checked 6 nodes (6 reachable), 3 masters owning slots" "healthy cluster: counts"
out=$(rcli_check)
t_contains "$out" "[OK] All nodes agree about slots configuration." "redis-cli agrees: slots configuration"
t_contains "$out" "[OK] All 16384 slots covered." "redis-cli agrees: coverage"
t_not_contains "$out" "[ERR]" "redis-cli agrees: no error"
t_not_contains "$out" "[WARNING]" "redis-cli agrees: no warning"
t_run "$SHARDCTL" check "$S" --json
t_eq 0 "$T_RC" "--json healthy: exit 0"
t_eq "True 0 6" "$(printf '%s' "$T_OUT" | json_field 'd["healthy"], len(d["problems"]), d["nodes"]')" "--json healthy parses"
# a seed list, options before the address
t_run "$SHARDCTL" check --replicas 1 "$H:$((P + 4)),$H:$((P + 1))"
t_eq 0 "$T_RC" "seed list, options first: exit 0"

# --- wrong shape
t_run "$SHARDCTL" check "$S" --shards 4
t_eq 1 "$T_RC" "--shards 4 on 3: exit 1"
t_contains "$T_OUT" "problem: 3 masters own slots, expected 4" "--shards 4 on 3: says so"
t_run "$SHARDCTL" check "$S" --shards 3 --replicas 2 --json
t_eq 1 "$T_RC" "--replicas 2 on 1: exit 1"
t_eq "False 3 replicas" "$(printf '%s' "$T_OUT" | json_field 'd["healthy"], len(d["problems"]), d["problems"][0]["kind"]')" "--replicas 2: three masters said"
t_contains "$T_OUT" "has 1 working replica, expected 2" "--replicas 2: message"

# --- an open slot
src=$(cli $H:"$P" cluster myid)
dst=$(cli $H:$((P + 1)) cluster myid)
cli $H:"$P" cluster setslot 100 migrating "$dst" >/dev/null
t_run "$SHARDCTL" check "$S"
t_eq 1 "$T_RC" "open slot: exit 1"
t_contains "$T_OUT" "problem: slot 100 is open: migrating from '$H:$P' to '$H:$((P + 1))'" "open slot: named"
t_contains "$T_OUT" "unhealthy: 1 problem" "open slot: the only problem"
t_contains "$(rcli_check)" "migrating state" "open slot: redis-cli agrees"
cli $H:$((P + 1)) cluster setslot 100 importing "$src" >/dev/null
t_run "$SHARDCTL" check "$S" --json
t_eq "2 open_slot" "$(printf '%s' "$T_OUT" | json_field 'len(d["problems"]), d["problems"][1]["kind"]')" "importing side too: two open slots in JSON"
t_contains "$T_OUT" "importing into '$H:$((P + 1))' from '$H:$P'" "importing side named"
cli $H:"$P" cluster setslot 100 stable >/dev/null
cli $H:$((P + 1)) cluster setslot 100 stable >/dev/null
t_wait 10 healthy "$S" && t_ok "stable again: healthy" || t_not_ok "stable again: healthy"

# --- an uncovered slot: the owner drops it; the others still think it owns it
owner=$((P + 2)) # masters own 0-5460, 5461-10921, 10922-16383
cli $H:$owner cluster delslots 16000 >/dev/null
t_run "$SHARDCTL" check "$S"
t_eq 1 "$T_RC" "uncovered slot: exit 1"
t_contains "$T_OUT" "problem: 1 slot is not covered by any master: 16000" "uncovered slot: named"
t_contains "$T_OUT" "problem: nodes disagree on the cluster layout: " "uncovered slot: disagreement found"
t_contains "$T_OUT" "sees slot 16000 at '$H:$owner', no node claims it" "uncovered slot: first disagreement described"
t_contains "$(rcli_check)" "[ERR] Not all 16384 slots are covered" "uncovered slot: redis-cli agrees"
cli $H:$owner cluster addslots 16000 >/dev/null
t_wait 10 healthy "$S" && t_ok "slot given back: healthy" || t_not_ok "slot given back: healthy"

# --- a handshake that cannot complete (MEET where nothing listens; it lasts
# about one node timeout, so meet again until check has seen it)
nobody=$(t_free_ports 1)
seen=0
for try in 1 2 3 4 5; do
	cli $H:"$P" cluster meet 127.0.1.8 "$nobody" >/dev/null
	t_run "$SHARDCTL" check "$S"
	case "$T_OUT" in *"is a handshake that has not completed"*) seen=1; break ;; esac
done
t_eq 1 "$seen" "handshake: reported"
t_eq 1 "$T_RC" "handshake: exit 1"
t_contains "$T_OUT" "problem: '127.0.1.8:$nobody' is a handshake that has not completed" "handshake: named"
t_contains "$T_OUT" "unhealthy: 1 problem" "handshake: the only problem (not a disagreement)"
t_wait 10 healthy "$S" && t_ok "handshake dropped: healthy" || t_not_ok "handshake dropped: healthy"

# --- a killed replica: unreachable at once, then failed by its peers
victim=$((P + 5))
vid=$(cli $H:$victim cluster myid)
kill -9 "$(mc_pid $H $victim)"
t_run "$SHARDCTL" check "$S"
t_eq 1 "$T_RC" "killed replica: exit 1"
t_contains "$T_OUT" "problem: '$H:$victim' (${vid:0:8}, replica) is unreachable: cannot connect to '$H:$victim'" "killed replica: unreachable"
marked() { # (no pipe into grep -q: with pipefail, SIGPIPE would fail it)
	local out
	out=$("$SHARDCTL" check "$S")
	case "$out" in *"its peers mark it failed"*) return 0 ;; esac
	return 1
}
t_wait 15 marked && t_ok "killed replica: marked failed (fail flag)" || t_not_ok "killed replica: marked failed"
t_run "$SHARDCTL" check "$S" --replicas 1 --json
t_eq "['unreachable', 'replicas']" "$(printf '%s' "$T_OUT" | json_field '[p["kind"] for p in d["problems"]]')" "killed replica: JSON kinds, and its master lacks a replica"
t_contains "$(rcli_check)" "Could not connect to Redis at $H:$victim" "killed replica: redis-cli also notices"
# the same node comes back with its nodes.conf: healthy again
t_spawn_node $H $victim --cluster-node-timeout 1000 --repl-diskless-sync-delay 0
t_wait 20 "$SHARDCTL" check "$S" --replicas 1 && t_ok "restarted replica: healthy again" || t_not_ok "restarted replica: healthy again"

# --- a replica whose link to its master is down (it cannot authenticate to
# its master any more): named, and its master lacks a working replica
rp=$(for i in 3 4 5; do cli $H:$((P + i)) role | head -1 | grep -q slave && echo $((P + i)) && break; done)
cli $H:"$rp" config set masteruser nosuchuser >/dev/null
cli $H:"$rp" config set masterauth nopass >/dev/null
cli $H:"$rp" client kill type master >/dev/null
linkdown() { cli $H:"$rp" info replication | grep -q 'master_link_status:down'; }
t_wait 10 linkdown
t_run "$SHARDCTL" check "$S" --replicas 1 --json
t_eq 1 "$T_RC" "replica link down: exit 1"
t_eq "['repl-down', 'replicas']" "$(printf '%s' "$T_OUT" | json_field '[p["kind"] for p in d["problems"]]')" "replica link down: JSON kinds, and its master lacks a working replica"
t_run "$SHARDCTL" check "$S"
t_contains "$T_OUT" "problem: replica '$H:$rp' is not linked to its master (master_link_status:down)" "replica link down: named"
cli $H:"$rp" config set masteruser "" >/dev/null
cli $H:"$rp" config set masterauth "" >/dev/null
t_wait 20 "$SHARDCTL" check "$S" --replicas 1 && t_ok "replica link back: healthy again" || t_not_ok "replica link back: healthy again"

# --- three hung replicas (SIGSTOP: connections accepted, no answer): each
# is unreachable by timeout, and the timeouts overlap (nodes are read in
# parallel), so the check takes about one --timeout, not three
hung=($(mc_pid $H $((P + 3))) $(mc_pid $H $((P + 4))) $(mc_pid $H $((P + 5))))
kill -STOP "${hung[@]}"
start=$(date +%s%N)
t_run "$SHARDCTL" check "$S" --timeout 1000
ms=$((($(date +%s%N) - start) / 1000000))
kill -CONT "${hung[@]}"
t_eq 1 "$T_RC" "hung replicas: exit 1"
t_eq 3 "$(printf '%s\n' "$T_OUT" | grep -c "is unreachable: lost connection to '$H:.*': timed out")" "hung replicas: three timed out"
[ "$ms" -lt 2500 ] && t_ok "hung replicas: one timeout, not three (${ms} ms)" || t_not_ok "hung replicas: took ${ms} ms"
t_wait 20 "$SHARDCTL" check "$S" --replicas 1 && t_ok "resumed replicas: healthy again" || t_not_ok "resumed replicas: healthy again"

# --- a killed master: its replica takes over; the old master is unreachable
# and failed, its shard is left without replica; back, it follows the new one
old=$((P + 1))
oldid=$(cli $H:$old cluster myid)
kill -9 "$(mc_pid $H $old)"
promoted() { cli $H:$((P + 4)) role | head -1 | grep -q master; }
t_wait 20 promoted && t_ok "killed master: its replica took over" || t_not_ok "killed master: no failover"
t_wait 10 marked
t_run "$SHARDCTL" check "$S" --shards 3 --replicas 1
t_eq 1 "$T_RC" "killed master: exit 1"
t_contains "$T_OUT" "problem: '$H:$old' (${oldid:0:8}, master) is unreachable" "killed master: unreachable"
t_contains "$T_OUT" "its peers mark it failed" "killed master: failed"
t_contains "$T_OUT" "problem: master '$H:$((P + 4))' has 0 working replicas, expected 1" "killed master: the promoted one lacks a replica"
t_not_contains "$T_OUT" "not covered" "killed master: every slot still covered"
t_spawn_node $H $old --cluster-node-timeout 1000 --repl-diskless-sync-delay 0
t_wait 20 "$SHARDCTL" check "$S" --shards 3 --replicas 1 && t_ok "old master back as a replica: healthy" ||
	t_not_ok "old master back: healthy"

# --- a node-set disagreement: one master forgets a replica of another shard
fid=$(cli $H:$((P + 3)) cluster myid) # follows P+0
cli $H:$((P + 1)) cluster forget "$fid" >/dev/null
t_run "$SHARDCTL" check "$S"
t_eq 1 "$T_RC" "forgotten node: exit 1"
t_contains "$T_OUT" "problem: nodes disagree on the cluster layout: '$H:$((P + 1))' does not know node ${fid:0:8} ('$H:$((P + 3))')" "forgotten node: disagreement described"
t_contains "$T_OUT" "unhealthy: 1 problem" "forgotten node: the only problem"

# --- usage and unreadable
t_run "$SHARDCTL" check
t_eq 2 "$T_RC" "no address: exit 2"
t_contains "$T_ERR" "missing HOST:PORT" "no address: said"
t_run "$SHARDCTL" check "$S" --shards zero
t_eq 2 "$T_RC" "bad --shards: exit 2"
t_contains "$T_ERR" "option '--shards' expects a whole number, got 'zero'" "bad --shards: said"
t_run "$SHARDCTL" check "$S" --frobnicate
t_eq 2 "$T_RC" "unknown option: exit 2"
t_contains "$T_ERR" "unknown option '--frobnicate'" "unknown option: said"
t_run "$SHARDCTL" check --help
t_eq 0 "$T_RC" "--help: exit 0"
t_contains "$T_OUT" "usage: shardctl check HOST:PORT" "--help: usage"
dead=$(t_free_ports 1) # on a host address nothing of this test binds
t_run "$SHARDCTL" check "127.0.1.8:$dead" --json
t_eq 1 "$T_RC" "nothing listening: exit 1"
t_contains "$T_ERR" "cannot connect to '127.0.1.8:$dead'" "nothing listening: said"
t_eq "False unreadable" "$(printf '%s' "$T_OUT" | json_field 'd["healthy"], d["problems"][0]["kind"]')" "nothing listening: JSON still printed"
plain=$(t_free_ports 1)
t_start_node 127.0.1.7 "$plain" --cluster-enabled no
t_run "$SHARDCTL" check "127.0.1.7:$plain"
t_eq 1 "$T_RC" "not cluster-enabled: exit 1"
t_contains "$T_ERR" "cluster support disabled" "not cluster-enabled: said"

# --- authentication as redis-cli does it: REDISCLI_AUTH, --password-file
A=127.0.1.10
AP=$(t_free_ports 3) || exit 1
export REDISCLI_AUTH=s3cret # redis-cli (and t_start_node's ping) use it too
mc_create "$A" "$AP" 3 0 --requirepass s3cret --masterauth s3cret || t_not_ok "auth cluster built"
t_wait 10 "$SHARDCTL" check "$A:$AP"
t_run "$SHARDCTL" check "$A:$AP" --shards 3 --replicas 0
t_eq 0 "$T_RC" "REDISCLI_AUTH: healthy"
unset REDISCLI_AUTH
t_run "$SHARDCTL" check "$A:$AP"
t_eq 1 "$T_RC" "no password: exit 1"
t_contains "$T_ERR" "NOAUTH" "no password: the server's refusal said"
printf 's3cret\n' >"$T_DIR/pw"
t_run "$SHARDCTL" check "$A:$AP" --password-file "$T_DIR/pw" --json
t_eq 0 "$T_RC" "--password-file: healthy"
t_done
