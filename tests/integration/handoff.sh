#!/usr/bin/env bash
# handoff.sh - the commands of a safe rolling restart on a real 3x1 cluster:
# `shardctl ready` (a master serves; a replica serves once in sync; a node
# in no cluster serves; a stopped node does not), `shardctl handoff` (a
# replica or an empty master: nothing to do; a master: its replica takes
# over, the roles swap, every node agrees, a client reading and writing
# throughout sees no error, every key verified one by one; no in-sync
# replica: exit 1 saying so, nothing changed), and `shardctl upgrade-check`
# (a server image that cannot read the running data is refused).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

NKEYS=3000
cluster_up 7 3 1 $NKEYS --cluster-node-timeout 3000 --appendonly yes
S=$(node 0)

masters() { cli "$S" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9 { print $2 }' | sed 's/@.*//'; }
replica_of() { # replica_of ADDR: the address of ADDR's replica
	local id
	id=$(cli "$1" cluster myid)
	cli "$S" cluster nodes | awk -v m="$id" '$4 == m && $3 !~ /fail/ { print $2 }' | sed 's/@.*//' | head -1
}

# --- ready
for i in 0 1 2 3 4 5; do
	t_run "$SHARDCTL" ready "$(node $i)"
	t_eq 0 "$T_RC" "ready: node $i ($(role "$(node $i)")) serves: $T_OUT"
done
t_run "$SHARDCTL" ready "$(node 6)"
t_eq 0 "$T_RC" "ready: a node in no cluster serves (membership ignored): $T_OUT"
t_run "$SHARDCTL" ready "$(node_list 0-6)"
t_eq 0 "$T_RC" "ready: a list of 7 nodes: $T_OUT"

# --- handoff: nothing to do
M=$(masters | head -1)
R=$(replica_of "$M")
t_run "$SHARDCTL" handoff "$R"
t_eq 0 "$T_RC" "handoff of a replica: exit 0"
t_contains "$T_OUT" "is a replica: nothing to hand off" "handoff of a replica: says so"
t_run "$SHARDCTL" handoff "$(node 6)"
t_eq 0 "$T_RC" "handoff of a master owning no slot: exit 0"
t_contains "$T_OUT" "owns no slot: nothing to hand off" "handoff of an empty master: says so"

# --- handoff of a master, a client reading and writing throughout
before=$(slot_map "$S")
"$SC_LOAD" run --seed "$S" --seconds 60 --rate 300 --run-prefix live >"$T_DIR/client.out" 2>&1 &
CLIENT=$!
T_PIDS+=($CLIENT)
sleep 1
start=$(date +%s%N)
t_run "$SHARDCTL" handoff "$M" --wait 30
t_eq 0 "$T_RC" "handoff of master $M: exit 0: $T_ERR"
t_contains "$T_OUT" "handed off: '$R' is the master of" "handoff: names the new master"
echo "# handoff took $((($(date +%s%N) - start) / 1000000)) ms"
t_eq "master slave" "$(role "$R") $(role "$M")" "handoff: the roles swapped"
t_eq "$(cli "$R" cluster myid)" "$(cli "$M" cluster nodes | awk '$3 ~ /myself/ { print $4 }')" \
	"handoff: the old master replicates the new one"
for i in 0 1 2 3 4 5; do
	seen=$(cli "$(node $i)" cluster nodes | awk -v a="$R" 'index($2, a "@") == 1 { print ($3 ~ /master/ ? "master" : "other") }')
	t_eq master "$seen" "handoff: node $i already sees '$R' as master"
done
sleep 1
kill -TERM $CLIENT
wait $CLIENT
t_eq 0 $? "handoff: a client reading and writing throughout saw no error: $(grep '^run:' "$T_DIR/client.out")"
t_healthy "after handoff" "$S" 3 1
t_eq "$(echo "$before" | cut -d' ' -f2- | sort)" "$(slot_map "$S" | cut -d' ' -f2- | sort)" \
	"handoff: the same slot ranges (no slot moved between shards)"
verify_keys "after handoff" $NKEYS
t_run "$SHARDCTL" ready "$M"
t_eq 0 "$T_RC" "ready: the old master, now a replica in sync, serves"

# --- no in-sync replica: exit 1, nothing changed
M2=$(masters | grep -v "^$R\$" | head -1)
R2=$(replica_of "$M2")
cli "$R2" shutdown nosave >/dev/null 2>&1
t_wait 10 down "$R2"
t_run "$SHARDCTL" ready "$R2"
t_eq 1 "$T_RC" "ready: a stopped node does not serve"
before=$(snapshot)
t_run "$SHARDCTL" handoff "$M2" --wait 5
t_eq 1 "$T_RC" "handoff without an in-sync replica: exit 1"
t_contains "$T_ERR" "no in-sync replica can take over from '$M2'" "handoff without an in-sync replica: says so"
t_eq master "$(role "$M2")" "handoff without an in-sync replica: the master stays"

# --- upgrade-check: what the running server's data allows
ver=$(cli "$S" info server | tr -d '\r')
name=$(echo "$ver" | sed -n 's/^server_name://p')
[ "$name" = valkey ] && v=$(echo "$ver" | sed -n 's/^valkey_version://p') || v=$(echo "$ver" | sed -n 's/^redis_version://p')
echo "# servers: ${name:-redis} $v"
t_run "$SHARDCTL" upgrade-check --nodes "$(node_list 0-6)" --to-image "docker.io/library/redis:6.2.14"
t_eq 2 "$T_RC" "upgrade-check: redis 6.2 (RDB 9) over ${name:-redis} $v is refused"
t_contains "$T_ERR" "refusing the server image 'docker.io/library/redis:6.2.14'" "upgrade-check: the refusal names the image"
want=0
case "${name:-redis} $v" in redis\ 7.[4-9]* | redis\ [89]*) want=2 ;; esac
t_run "$SHARDCTL" upgrade-check --nodes "$(node 0)" --to-image valkey/valkey:9.1.3
t_eq $want "$T_RC" "upgrade-check: valkey 9.1 over ${name:-redis} $v: exit $want"
t_run "$SHARDCTL" upgrade-check --nodes "$(node_list 0 6)" --to-image valkey/valkey:latest
t_eq 0 "$T_RC" "upgrade-check: an image without a version is allowed"
t_contains "$T_OUT" "warning: cannot tell the server version" "upgrade-check: ... with a warning"
t_contains "$T_OUT" "'$R2': not reachable, skipped" "upgrade-check: the stopped node is skipped"
t_eq 6 "$(grep -c "' runs ${name:-redis} " <<<"$T_OUT")" "upgrade-check: every running member and the lone node were asked"
t_done
