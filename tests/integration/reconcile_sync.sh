#!/usr/bin/env bash
# reconcile_sync.sh - replicas attached by reconcile are in sync when it
# returns: 4x1 with 50000 keys -> 4x2, and right after reconcile every
# replica reports master_link_status:up and holds as many keys as its
# master (a failover at that moment must not lose the shard).
T_PORT_BASE=33000
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/reconcile.bash"
rc_host() { echo "127.0.12.$(($1 % 3 + 1))"; }

B=$(t_free_ports 12) || exit 1
rc_start "$B" 12 || exit 1
seed=$(rc_host 0):$B

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "4x1 created: $T_ERR"
t_run "$RC_LOAD" fill --seed "$seed" --keys 50000
t_eq 0 "$T_RC" "50000 keys written"

# every replica: link up, no sync in progress, DBSIZE of its master
check_replicas() {
	local nodes line id addr master mline maddr rinfo bad=0 n=0
	nodes=$(redis-cli -h "${seed%:*}" -p "${seed#*:}" cluster nodes)
	while read -r line; do
		set -- $line
		addr=${2%@*}
		master=$4
		mline=$(echo "$nodes" | awk -v m="$master" '$1 == m')
		maddr=$(echo "$mline" | awk '{print $2}')
		maddr=${maddr%@*}
		rinfo=$(redis-cli -h "${addr%:*}" -p "${addr##*:}" info replication | tr -d '\r')
		local rk mk
		rk=$(redis-cli -h "${addr%:*}" -p "${addr##*:}" dbsize)
		mk=$(redis-cli -h "${maddr%:*}" -p "${maddr##*:}" dbsize)
		n=$((n + 1))
		if ! echo "$rinfo" | grep -q '^master_link_status:up' ||
			! echo "$rinfo" | grep -q '^master_sync_in_progress:0' || [ "$rk" != "$mk" ] || [ "$mk" = 0 ]; then
			echo "# replica $addr: $(echo "$rinfo" | grep -E 'master_link_status|master_sync_in_progress' | tr '\n' ' ')keys $rk, master $maddr keys $mk"
			bad=$((bad + 1))
		fi
	done < <(echo "$nodes" | awk '$3 ~ /slave/')
	echo "$n $bad"
}

t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 11)" --shards 4 --replicas 2
res=$(check_replicas)
t_eq 0 "$T_RC" "4x1 -> 4x2: $T_ERR"
# how many of the 4 are still syncing when the run ends depends on timing
# (Redis delays a diskless sync by 5 s); at least one always is
if echo "$T_OUT" | grep -Eq "waiting for ([0-9]+ replicas|replica '[^']+') to sync"; then
	t_ok "the sync wait is shown"
else
	t_not_ok "the sync wait is shown: $(echo "$T_OUT" | tail -n 5)"
fi
echo "$res" | grep '^#'
t_eq "8 0" "$(echo "$res" | tail -1)" "right after reconcile: 8 replicas, all link up with their master's key count"
rc_verify "$seed" 50000

# a deadline that cannot be met names the replica and fails (exit 1)
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 7)" --shards 4 --replicas 1
t_eq 0 "$T_RC" "4x2 -> 4x1: $T_ERR"
for ((i = 0; i < 12; i++)); do rc_cli "$B" $i config set repl-diskless-sync-delay 30 >/dev/null; done
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 11)" --shards 4 --replicas 2 --wait 8
t_eq 1 "$T_RC" "a sync slower than --wait fails"
t_contains "$T_ERR" "is not in sync with its master after 8 s" "the failure says why: $T_ERR"
t_contains "$T_ERR" "run again to continue" "and what to do"
for ((i = 0; i < 12; i++)); do rc_cli "$B" $i config set repl-diskless-sync-delay 0 >/dev/null; done
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 11)" --shards 4 --replicas 2
res=$(check_replicas)
t_eq 0 "$T_RC" "run again: $T_ERR"
echo "$res" | grep '^#'
t_eq "8 0" "$(echo "$res" | tail -1)" "the run again waited: 8 replicas in sync"
rc_verify "$seed" 50000
t_run "$SHARDCTL" reconcile --nodes "$(rc_list $B 0 11)" --shards 4 --replicas 2
t_contains "$T_OUT" "nothing to do" "converged: nothing to do"
t_not_contains "$T_OUT" "waiting for" "no sync wait shown when all are in sync"
t_done
