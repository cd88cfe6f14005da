#!/usr/bin/env bash
# asm_multidb_server.sh - what valkey-9.1 itself does with a write made in
# database 0 while CLUSTER MIGRATESLOTS snapshots a slot whose keys sit in
# database 15 (no shardctl involved; the reason `--migration auto` keeps
# keys of several databases on the legacy path, docs/ENGINE.md
# "Databases").
#
# The source streams the writes made during the move after its snapshot,
# with a SELECT only when a write's database differs from the one its
# export client last selected, which starts at 0; the snapshot itself ends
# with a SELECT of the last database it held keys in.  So a first write in
# database 0 is applied in that database on the target: the write is gone
# from database 0 once the target owns the slot.
#
# This checks the fault is still there.  When a server in scripts/servers.sh
# fixes it, the check fails: then the write is where it belongs, and
# migration_method.c may let auto move several databases atomically on
# that version.
source "$(dirname "$0")/../lib/test-lib.bash"
read -r _ T_REDIS_SERVER T_REDIS_CLI < <("$T_ROOT/scripts/servers.sh" valkey-9.1) ||
	{ t_not_ok "valkey-9.1 from scripts/servers.sh (SERVERS_DIR)"; t_done; }
source "$(dirname "$0")/lib/cluster.bash"

nodes_start 2 --cluster-node-timeout 5000 --cluster-databases 16
cli 0 cluster addslotsrange 0 16383 >/dev/null
cli 0 cluster meet "$(node_host 1)" $((C_BASE + 1)) >/dev/null
idB=$(cli 1 cluster myid)
t_wait 30 bash -c "'$T_REDIS_CLI' -h $(node_host 0) -p $C_BASE cluster nodes | grep -q '^$idB .* connected'"
t_eq 0 $? "two nodes: the first knows the second"
t_wait 30 state_is 0 ok && t_wait 30 state_is 1 ok
t_eq 0 $? "both nodes: cluster_state ok"
slot=$(cli 0 cluster keyslot '{t}a')
t_eq OK/OK "$(cli 0 -n 15 set '{t}a' in15)/$(cli 0 -n 15 set '{t}b' in15)" "two keys of slot $slot in database 15"
cli 0 config set rdb-key-save-delay 1000000 >/dev/null # the snapshot takes 1 s per key

t_eq OK "$(cli 0 cluster migrateslots slotsrange "$slot" "$slot" node "$idB")" "MIGRATESLOTS of slot $slot"
snapshotting() { cli 0 cluster getslotmigrations | grep -qx snapshotting; }
t_wait 10 snapshotting
t_eq 0 $? "the source snapshots the slot"
t_eq OK "$(cli 0 -n 0 set '{t}new' written-in-0)" "a write in database 0 during the snapshot"
done_() { cli 0 cluster getslotmigrations | grep -qx success; }
t_wait 30 done_
t_eq 0 $? "the job succeeds"
t_eq "in15" "$(cli 1 -n 15 get '{t}a')" "the target holds the snapshot's keys in database 15"
in0=$(cli 1 -n 0 get '{t}new')
in15=$(cli 1 -n 15 get '{t}new')
t_eq "/written-in-0" "$in0/$in15" "valkey-9.1 fault: the database-0 write is in database 15 on the target, not in 0 (got '$in0' in 0, '$in15' in 15)"
t_done
