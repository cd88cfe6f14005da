#!/usr/bin/env bash
# servers.sh - bench/resize.sh on each server of the test matrix, one after
# another in one run (by hand, not a test): the same 4x1 -> 5x1 -> 4x1 at
# BENCH_KEYS keys with the client running, shardctl beside the server's own
# cli (`redis-cli`/`valkey-cli --cluster rebalance`) and the floors, on each
# server's own binaries (scripts/servers.sh).  Then one table across the
# servers: shardctl's moves on each server against Redis 7.0's in the same
# run, and against that server's cli.
#
# Output: bench/results/servers/NAME/ (each server's resize.txt, .csv and
# logs) and bench/results/servers.txt (the table).  Environment:
# BENCH_SERVERS (default: every server scripts/servers.sh lists),
# BENCH_KEYS (1000000), BENCH_RATE, BENCH_PORT, BENCH_OUT (bench/results);
# the rest as bench/resize.sh.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$root/bench/results}
SERVERS=${BENCH_SERVERS:-$("$root/scripts/servers.sh" | awk '{print $1}' | tr '\n' ' ')}
[ -n "$SERVERS" ] || { echo "bench: error: scripts/servers.sh lists no server" >&2; exit 1; }
mkdir -p "$OUT/servers"
failed=()
for s in $SERVERS; do
	printf '[%s] == %s\n' "$(date +%H:%M:%S)" "$s" >&2
	BENCH_SERVER=$s BENCH_SCALE_KEYS= BENCH_OUT=$OUT/servers/$s "$root/bench/resize.sh" >&2 || failed+=("$s")
done

# the table: one row per server and move, from each server's resize.csv
python3 - "$OUT/servers" $SERVERS >"$OUT/servers.txt" <<'PY'
import csv, re, sys
base, names = sys.argv[1], sys.argv[2:]
rows = {}
for n in names:
    try:
        for r in csv.DictReader(open(f"{base}/{n}/resize.csv")):
            rows[(n, r["move"], r["tool"])] = r
    except OSError:
        pass

def moves(r):
    """shardctl's moves alone, or the cli's rebalance alone, in seconds"""
    m = re.search(r"(moves|rebalance) alone ([0-9.]+) s", r["detail"] if r else "")
    return float(m.group(2)) if m else None

def ms(us):
    return f"{int(us) / 1000:.2f}" if us and us.isdigit() else "-"

ref = {mv: moves(rows.get(("redis-7.0", mv, "shardctl"))) for mv in ("4->5", "5->4")}
print("shardctl and the server's own cli on each server of the matrix, in one run")
print("(bench/servers.sh; each server's table: bench/results/servers/NAME/resize.txt)")
print()
hdr = ("server", "move", "shardctl s", "moves s", "vs redis-7.0", "p99 ms", "moves p99", "errors", "lost",
       "cli s", "rebalance s", "cli/shardctl", "cli p99 ms", "rebal. p99", "p99 ratio")
fmt = "%-11s %-5s %10s %8s %12s %7s %9s %6s %5s %8s %11s %12s %10s %10s %9s"
print(fmt % hdr)
for n in names:
    for mv in ("4->5", "5->4"):
        s, c = rows.get((n, mv, "shardctl")), rows.get((n, mv, "redis-cli"))
        if not s:
            print("%-11s %-5s %10s" % (n, mv, "no result"))
            continue
        sm, cm = moves(s), moves(c)
        vs = f"{sm / ref[mv]:.2f}x" if sm and ref.get(mv) else "-"
        ratio = f"{cm / sm:.1f}x" if sm and cm else "-"
        sw, cw = s.get("p99_moves_us") or "", (c.get("p99_moves_us") or "") if c else ""
        pr = f"{int(sw) / int(cw):.1f}x" if sw.isdigit() and cw.isdigit() and int(cw) else "-"
        print(fmt % (
            n, mv, s["seconds"], f"{sm:.1f}" if sm else "-", vs, ms(s["p99_us"]), ms(sw), s["client_errors"],
            s["lost"], c["seconds"] if c else "-", f"{cm:.1f}" if cm else "-", ratio,
            ms(c["p99_us"]) if c else "-", ms(cw), pr))
print()
print("moves s: shardctl's slot moves alone; vs redis-7.0: those against Redis 7.0's in this run")
print("rebalance s: the cli's rebalance alone; cli/shardctl: rebalance / shardctl's moves")
print("p99 ms: the client over the whole command; moves p99 / rebal. p99: over the moves alone (shardctl's")
print("  moves, the cli's rebalance); p99 ratio: shardctl's moves p99 / the cli's rebalance p99")
print("On Valkey 9.1 shardctl moves slots with atomic slot migration (--migration auto).")
PY
cat "$OUT/servers.txt"
[ ${#failed[@]} -eq 0 ] || { echo "bench: error: failed on: ${failed[*]}" >&2; exit 1; }
