#!/usr/bin/env bash
# reconcile_lock.sh - one reconcile at a time: a held lock makes reconcile
# wait, then refuse naming the holder, changing nothing; a holder that dies
# frees the lock at once; two reconciles started together never both move:
# the second waits and then finds nothing to do.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

cluster_up 4 3 0 20000

# a lock holder: a named connection on every master, kept open
python3 - "$(node_list 0-2)" "$T_DIR/holder.ready" <<'PY' &
import socket, sys, time
conns = []
for a in sys.argv[1].split(","):
    h, p = a.rsplit(":", 1)
    s = socket.create_connection((h, int(p)))
    s.sendall(b"CLIENT SETNAME shardctl-lock-99999\r\n")
    s.recv(100)
    conns.append(s)
open(sys.argv[2], "w").close()
time.sleep(60)
PY
holder=$!
t_wait 10 test -f "$T_DIR/holder.ready"
t_run "$SHARDCTL" reconcile --nodes "$(node_list 0-3)" --shards 4 --replicas 0 --wait 2
t_eq 1 "$T_RC" "a held lock: reconcile gives up after its wait"
t_contains "$T_ERR" "another reconcile holds the cluster lock (client 'shardctl-lock-99999'" "message names the holder"
t_eq "5461 5461 5462" "$(slot_counts)" "nothing changed"
t_eq 1 "$(members 3)" "the new node was not joined"
kill -9 $holder
wait $holder 2>/dev/null

# two at once
"$SHARDCTL" reconcile --nodes "$(node_list 0-3)" --shards 4 --replicas 0 >"$T_DIR/r1.out" 2>&1 &
p1=$!
"$SHARDCTL" reconcile --nodes "$(node_list 0-3)" --shards 4 --replicas 0 >"$T_DIR/r2.out" 2>&1 &
p2=$!
wait $p1
rc1=$?
wait $p2
rc2=$?
t_eq "0 0" "$rc1 $rc2" "both runs succeed: $(cat "$T_DIR/r1.out" "$T_DIR/r2.out" | grep error)"
movers=$(grep -l "moving" "$T_DIR/r1.out" "$T_DIR/r2.out" | wc -l | tr -d ' ')
t_eq 1 "$movers" "exactly one run moved slots"
t_eq 1 "$(grep -l "nothing to do" "$T_DIR/r1.out" "$T_DIR/r2.out" | wc -l | tr -d ' ')" "the other found nothing to do"
t_eq "4096 4096 4096 4096" "$(slot_counts)" "4 masters of 4096 slots"
verify_keys "4 shards" 20000
t_done
