#!/usr/bin/env python3
"""node_kill.py LOG WHICH [WHEN [SECONDS]] - kill (SIGKILL) a node of the
first slot move a running `shardctl reconcile` starts (or, WHICH "pid:N",
the process N: the reconcile itself, killed in the middle of its move), at the moment its
first keys have reached the target (WHEN "keys", the default), or once the
target owns a slot it took in this move while it still imports others
(WHEN "owns": a replica takes over only from a master that owns slots).

LOG is the reconcile's output; its first line "moving N slots from 'S' to
'T'" names the move (moves sharing a node run one after another: the first
line is the first move started).  WHICH is "source" or "target": the node
killed.  The target's DBSIZE is polled every 0.5 ms from the moment the
line appears; the node is killed as soon as it grows, so the kill lands
while the first window of slots is open with keys partly moved, not after
the move (a poll with redis-cli every few ms misses a window of small
slots); an atomic move ("(atomic)" on the line: Valkey 9 runs it on the
servers, often faster than a first poll) is killed at once.  Prints "HOST:PORT KEYS MS": the node killed, the target's key
count seen, the ms since the move line.  Exit 1 on the deadline, 3 when the
process to kill had ended already."""
import os
import re
import signal
import socket
import sys
import time


def command(f, s, *args):
    s.sendall(b"".join([b"*%d\r\n" % len(args)] +
                       [b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args]))
    line = f.readline()
    if line[:1] == b":":
        return int(line[1:])
    if line[:1] == b"$":
        data = f.read(int(line[1:]) + 2)
        return data[:-2].decode()
    raise RuntimeError(line.decode().strip())


def log_line_atomic(log, m):
    with open(log) as f:
        text = f.read()
    end = text.find("\n", m.end())
    return text[m.end():end if end >= 0 else len(text)].strip() == "(atomic)"


def kill(pid, victim, n, t0):
    """SIGKILL pid and print what was killed; exit 3 when the process had
    ended already (a loaded machine scheduled this script too late: the
    caller may undo what the run did and try again)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        print("%s:%d had ended before the kill" % victim, file=sys.stderr)
        sys.exit(3)
    print("%s:%d %d %.0f" % (victim[0], victim[1], n, (time.time() - t0) * 1000))


def main():
    log, which = sys.argv[1], sys.argv[2]
    when = sys.argv[3] if len(sys.argv) > 3 else "keys"
    deadline = time.time() + (float(sys.argv[4]) if len(sys.argv) > 4 else 30)
    pat = re.compile(r"moving \d+ slots from '([^']+):(\d+)' to '([^']+):(\d+)'")
    m = None
    while m is None:
        if time.time() > deadline:
            sys.exit(1)
        try:
            with open(log) as f:
                m = pat.search(f.read())
        except OSError:
            pass
        if m is None:
            time.sleep(0.0005)
    t0 = time.time()
    src, dst = (m.group(1), int(m.group(2))), (m.group(3), int(m.group(4)))
    # an atomic move (Valkey 9 CLUSTER MIGRATESLOTS, Redis 8.4 CLUSTER
    # MIGRATION) runs on the servers
    # and may be over before a first DBSIZE: the kill lands at once, the
    # jobs started
    atomic = log_line_atomic(log, m)
    if which.startswith("pid:"):
        victim, pid = ("pid", int(which[4:])), int(which[4:])
        if atomic:
            kill(pid, victim, 0, t0)
            return
    else:
        victim = src if which == "source" else dst
        vs = socket.create_connection(victim)
        vf = vs.makefile("rb")
        info = command(vf, vs, "INFO", "server")
        pid = int(re.search(r"process_id:(\d+)", info).group(1))
    ts = socket.create_connection(dst)
    tf = ts.makefile("rb")
    first = command(tf, ts, "DBSIZE")
    rf = rs = None
    if when == "owns":
        # the target's replica must see it own the slot too: it takes over
        # only the slots it knows its master has
        tid = command(tf, ts, "CLUSTER", "MYID")
        while rs is None and time.time() < deadline:
            r = re.search(r"^\S+ ([^:\s]+):(\d+)@\S* \S*slave " + tid, command(tf, ts, "CLUSTER", "NODES"), re.M)
            if r:
                rs = socket.create_connection((r.group(1), int(r.group(2))))
                rf = rs.makefile("rb")
            else:
                time.sleep(0.0005)
    while time.time() < deadline:
        n = command(tf, ts, "DBSIZE")
        if when == "owns":
            me = [l for l in command(tf, ts, "CLUSTER", "NODES").split("\n") if "myself" in l][0]
            fields = me.split()[8:]
            # owns a slot of the move and still imports others: slots are
            # open when the kill lands (a window of small slots can be
            # finished between two polls)
            grew = any(f[0].isdigit() for f in fields) and any("-<-" in f for f in fields)
            if grew:
                seen = [l for l in command(rf, rs, "CLUSTER", "NODES").split("\n") if l.startswith(tid)]
                grew = bool(seen) and any(f[0].isdigit() for f in seen[0].split()[8:])
        else:
            grew = n > first
        if grew or atomic:
            kill(pid, victim, n, t0)
            return
        time.sleep(0.0005)
    sys.exit(1)


main()
