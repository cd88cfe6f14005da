#!/usr/bin/env python3
"""engine_keys.py - write or verify N known keys in a cluster, key by key.

  engine_keys.py write  HOST:PORT N [PREFIX]   SET PREFIX:i = value(i)
  engine_keys.py verify HOST:PORT N [PREFIX]   every key on its slot's owner
                                               (by the owner's own CLUSTER
                                               SLOTS), with the right value
  engine_keys.py dbsize HOST:PORT              keys summed over masters

A test helper of the reconcile tests (the project's load tool replaces it
where it is available).  Loopback only; pipelined; exits 1 on any mismatch.
"""
import socket
import sys


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def slot_of(key):
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) % 16384


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=30)
        self.f = self.s.makefile("rb")

    def send(self, cmds):
        out = []
        for c in cmds:
            out.append(b"*%d\r\n" % len(c))
            for a in c:
                if isinstance(a, str):
                    a = a.encode()
                out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return Exception(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            d = self.f.read(n + 2)
            return d[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def cmd(self, *a):
        self.send([a])
        return self.read()


def owners(seed):
    h, p = seed.rsplit(":", 1)
    c = Conn(h, int(p))
    masters = set()
    for e in c.cmd("CLUSTER", "NODES").decode().splitlines():
        f = e.split()
        if "master" in f[2] and "fail" not in f[2] and f[1].split("@")[0] != ":0":
            masters.add(f[1].split("@")[0])
    own = [None] * 16384
    for m in sorted(masters):
        h, p = m.rsplit(":", 1)
        cm = Conn(h, int(p))
        # each master's own view of its own slots
        for e in cm.cmd("CLUSTER", "NODES").decode().splitlines():
            f = e.split()
            if "myself" in f[2]:
                for r in f[8:]:
                    if r.startswith("["):
                        continue
                    a, _, b = r.partition("-")
                    for s in range(int(a), int(b or a) + 1):
                        own[s] = m
    return own, masters


def value(prefix, i):
    return ("v%d-%s-" % (i, prefix)).encode() + b"x" * 40


def main():
    what, seed = sys.argv[1], sys.argv[2]
    own, masters = owners(seed)
    conns = {}

    def conn(m):
        if m not in conns:
            h, p = m.rsplit(":", 1)
            conns[m] = Conn(h, int(p))
        return conns[m]

    if what == "dbsize":
        print(sum(conn(m).cmd("DBSIZE") for m in masters))
        return 0
    n = int(sys.argv[3])
    prefix = sys.argv[4] if len(sys.argv) > 4 else "k"
    bad = 0
    step = 5000
    for lo in range(0, n, step):
        per = {}
        for i in range(lo, min(n, lo + step)):
            k = ("%s:%d" % (prefix, i)).encode()
            m = own[slot_of(k)]
            if m is None:
                print("slot %d of key %s has no owner" % (slot_of(k), k.decode()))
                return 1
            per.setdefault(m, []).append((i, k))
        for m, ks in per.items():
            c = conn(m)
            if what == "write":
                c.send([("SET", k, value(prefix, i)) for i, k in ks])
            else:
                c.send([("GET", k) for i, k in ks])
            for i, k in ks:
                r = c.read()
                want = "OK" if what == "write" else value(prefix, i)
                if r != want:
                    bad += 1
                    if bad <= 5:
                        print("key %s on %s: got %r" % (k.decode(), m, r))
    if bad:
        print("%d of %d keys wrong" % (bad, n))
        return 1
    print("%d keys %s" % (n, "written" if what == "write" else "verified"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
