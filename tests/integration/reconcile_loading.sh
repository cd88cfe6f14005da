#!/usr/bin/env bash
# reconcile_loading.sh - a member still loading its data set (a restarted pod,
# a replica right after its first sync) answers LOADING; reconcile waits for
# it instead of failing.  key-load-delay (a Redis debug setting) makes the
# loading last a few seconds; values of 4 kB make the data set large enough
# that the loading node answers (LOADING) between its 2 MB loading chunks.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

cluster_up 3 3 0 0
fill_keys 6000 --size 4000

# node 2 saves, stops, and comes back loading ~2000 keys at 2 ms each
cli 2 save >/dev/null
cli 2 shutdown nosave >/dev/null 2>&1
t_wait 10 down 2
t_spawn_node "$(node_host 2)" $((C_BASE + 2)) "${C_ARGS[@]}" --key-load-delay 2000
loading() { cli 2 ping 2>&1 | grep -q LOADING; }
if t_wait 10 loading; then
	t_ok "node 2 is loading"
else
	t_not_ok "node 2 is loading: $(cli 2 ping)"
fi

t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-2)" --shards 3 --replicas 0 --wait 30
t_eq 0 "$T_RC" "reconcile waits for the loading node: $T_ERR"
t_not_contains "$T_ERR" "LOADING" "no LOADING error"
t_contains "$T_OUT" "nothing to do" "the cluster already matches"
verify_keys "after the loading" 6000 --size 4000
t_done
