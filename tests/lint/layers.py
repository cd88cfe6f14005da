#!/usr/bin/env python3
"""layers.py BUILD - the house's rules, checked on the tree and its objects.

1. Each folder of src/ includes only from itself and the folders below it
   (base < core < cluster < engine < local < cmd < main.c); tools/ may include
   src/ and tools/lib/, src/ never tools/.
2. src/core/ is pure: no hiredis, no socket, nothing from cluster/engine/
   local/cmd.
3. No circles between files: from the objects under BUILD/obj, file A calls
   file B when A uses a symbol that only B defines; no two files (and no
   longer ring) may reach each other that way.
Prints one line per check and closes with "N passed, N failed".
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAYERS = ["base", "core", "cluster", "engine", "local", "cmd"]
RANK = {name: i for i, name in enumerate(LAYERS)}
RANK["main"] = len(LAYERS)
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
CORE_BANNED = ("hiredis", "sys/socket.h", "netdb.h", "arpa/inet.h", "netinet/")

passed = failed = 0


def result(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)


def sources():
    for folder in LAYERS:
        d = os.path.join(ROOT, "src", folder)
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield folder, os.path.join("src", folder, name)
    yield "main", "src/main.c"


def check_includes():
    for folder, rel in sources():
        bad = []
        with open(os.path.join(ROOT, rel)) as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                kind, path = m.groups()
                if folder == "core" and any(b in path for b in CORE_BANNED):
                    bad.append("%d: <%s> in the pure core" % (n, path))
                    continue
                if kind != '"':
                    continue
                top = path.split("/")[0]
                if top not in RANK or top == "main":
                    bad.append("%d: \"%s\" does not name a folder of src/" % (n, path))
                elif RANK[top] > RANK[folder]:
                    bad.append("%d: \"%s\" is above %s/" % (n, path, folder))
        result(not bad, "%s includes only from below%s" % (rel, "".join("\n     " + b for b in bad)))


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDRB":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def check_circles(build):
    objdir = os.path.join(build, "obj")
    objs = {}
    for folder in LAYERS:
        d = os.path.join(objdir, folder)
        if not os.path.isdir(d):
            result(False, "objects of src/%s/ exist under %s (run make first)" % (folder, objdir))
            return
        for name in sorted(os.listdir(d)):
            if name.endswith(".o"):
                objs["%s/%s" % (folder, name[:-2])] = symbols(os.path.join(d, name))
    owner = {}
    for room, (defined, _) in objs.items():
        for s in defined:
            owner[s] = room
    calls = {room: sorted({owner[s] for s in used if s in owner and owner[s] != room})
             for room, (_, used) in objs.items()}
    # Tarjan's strongly connected components: any component of two or more
    # rooms is a circle.
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in calls[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(calls):
        if v not in index:
            visit(v)
    rings = [c for c in comps if len(c) > 1]
    result(not rings, "no two files call each other (%d files)%s" %
           (len(objs), "".join("\n     circle: " + " <-> ".join(c) for c in rings)))
    # Calls follow the folders too: a call into a higher folder is an arrow up.
    up = ["%s -> %s" % (a, b) for a in sorted(calls) for b in calls[a]
          if RANK[b.split("/")[0]] > RANK[a.split("/")[0]]]
    result(not up, "no call runs up a folder%s" % "".join("\n     " + u for u in up))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    check_includes()
    check_circles(build)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
