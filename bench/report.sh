#!/usr/bin/env bash
# report.sh [DIR] - the table and plot of bench/resize.sh from its raw
# results (DIR/resize.csv, DIR/scale.csv, DIR/env.txt): prints the table and
# writes DIR/resize.txt and DIR/scale.png (gnuplot).
set -uo pipefail
dir=${1:-$(cd "$(dirname "$0")" && pwd)/results}
csv=$dir/resize.csv
[ -f "$csv" ] || { echo "report: no $csv" >&2; exit 1; }

{
	[ -f "$dir/env.txt" ] && cat "$dir/env.txt"
	echo
	awk -F, '
	NR == 1 { next }
	{
		if (!($1 in seenk)) { seenk[$1] = 1; ks[++nk] = $1 }
		if (!(($1, $2) in seen)) { seen[$1, $2] = 1; moves[$1, ++nm[$1]] = $2 }
		# shardctl rows first (other budgets in the order run), then the
		# others; a tool of its own row each
		if (!($3 in ord))
			ord[$3] = $3 == "shardctl" ? 1 : $3 == "shardctl-nolimit" ? 2 : $3 ~ /^shardctl-/ ? 3 + nlat++ : \
				$3 == "redis-cli" ? 20 : $3 == "redis-cli-p100" ? 21 : $3 == "floor" ? 22 : \
				$3 == "floor-migrate" ? 23 : 24 + nother++
		o = ord[$3]
		row[$1, $2, o] = $0
		if ($3 == "shardctl") {
			base[$1, $2] = $4
			if (match($12, /moves alone [0-9.]+/)) {
				split(substr($12, RSTART, RLENGTH), w, " ")
				bmove[$1, $2] = w[3]
			}
		}
	}
	function ms(us) { return us == "" ? "-" : sprintf("%.2f ms", us / 1000) }
	function rss(kb) { return kb == "-" || kb == "" || kb == 0 ? "-" : sprintf("%.1f MB", kb / 1024) }
	END {
		for (kk = 1; kk <= nk; kk++) {
			k = ks[kk]
			printf "%s keys\n", k
			printf "%-6s %-16s %10s %7s %7s %9s %9s %10s %9s %5s %9s %6s  %s\n", "move", "tool", "time", \
				"ratio", "errors", "p50", "p99", "p99 moves", "max", "lost", "peak RSS", "load", "note"
			for (m = 1; m <= nm[k]; m++) {
				mv = moves[k, m]
				b = base[k, mv]
				for (i = 1; i <= 40; i++) {
					if (!((k, mv, i) in row)) continue
					split(row[k, mv, i], f, ",")
					t = f[4] == "failed" ? "failed" : sprintf("%.2f s", f[4])
					r = (f[4] == "failed" || b == "" || b == "failed" || b + 0 == 0) ? "-" : \
						sprintf("%.1fx", f[4] / b)
					note = f[12]
					bm = bmove[k, mv]
					if (match(note, /rebalance alone [0-9.]+ s/) && bm + 0 > 0) {
						split(substr(note, RSTART, RLENGTH), w, " ")
						note = substr(note, 1, RSTART - 1) \
							sprintf("rebalance alone %.2f s (%.1fx shardctl'"'"'s moves alone)", w[3], w[3] / bm) \
							substr(note, RSTART + RLENGTH)
					}
					printf "%-6s %-16s %10s %7s %7s %9s %9s %10s %9s %5s %9s %6s  %s\n", mv, f[3], t, r, \
						f[5], ms(f[6]), ms(f[7]), ms(f[13]), ms(f[8]), f[9], rss(f[10]), f[11], note
				}
			}
			print ""
		}
		print "ratio: time of the tool / time of shardctl for the same move (higher: shardctl faster)"
		print "errors: replies sc-load run could not turn into success after redirects, plus wrong or lost values"
		print "lost: keys missing or changed when every key was verified after the move"
		print "p99: the client over the whole command; p99 moves: over the slot moves alone (see note), the"
		print "     window in which tools are compared (redis-cli'"'"'s whole command also holds its add-node waits)"
		print "shardctl: its default --max-latency; shardctl-latN: --max-latency N; shardctl-nolimit: --max-latency 0"
		print "          (no latency budget)"
		print "floor: pipelined DUMP + RESTORE of the same slots'"'"' keys into a plain redis-server (copy only),"
		print "       one thread per source node at once"
		print "floor-migrate: MIGRATE ... COPY of the same keys into a plain redis-server, slot by slot, one source"
		print "       after another, 16 calls in flight: what MIGRATE itself costs, without DEL, SETSLOT or replicas"
		print "time: the whole operation (redis-cli: add-node, waits for agreement, rebalance, del-node)"
		print "note: the slot moves alone (redis-cli: its rebalance command; shardctl: its \"moved ... in X s\" line);"
		print "      cpu: user + system time of the tool itself (the rest of its time it waits on the servers)"
		print "load: 1-minute load average of the machine when the move ended (2 cores; other work skews times)"
		print "peak RSS: /usr/bin/time -v, largest process of the tool (redis-cli: largest of its invocations)"
	}' "$csv"
} | tee "$dir/resize.txt"

scale=$dir/scale.csv
if [ -f "$scale" ] && [ "$(wc -l <"$scale")" -gt 1 ] && command -v gnuplot >/dev/null; then
	for t in shardctl redis-cli redis-cli-p100 floor floor-migrate; do
		awk -F, -v t="$t" 'NR > 1 && $2 == t && $3 != "failed" { print $1, $3, ($4 == "" ? "NaN" : $4) }' "$scale" |
			sort -n >"$dir/.scale-$t.dat"
	done
	gnuplot <<GP
set terminal pngcairo size 1300,560 font "sans,10" noenhanced
set output "$dir/scale.png"
set multiplot layout 1,2 title "4 -> 5 shards (x1 replica), 100-byte keys, sc-load run at the same time"
set xlabel "keys in the cluster"
set ylabel "seconds (log)"
set logscale xy
set format x "%.0s%c"
set grid
set key top left
set xrange [70000:4000000]
set yrange [0.05:200]
set title "the whole operation (joins, waits, moves, replica)"
plot "$dir/.scale-redis-cli.dat" using 1:2 with linespoints lw 2 pt 7 title "redis-cli --cluster rebalance (defaults)", \
     "$dir/.scale-redis-cli-p100.dat" using 1:2 with linespoints lw 2 pt 5 title "redis-cli ... --cluster-pipeline 100", \
     "$dir/.scale-shardctl.dat" using 1:2 with linespoints lw 2 pt 9 title "shardctl reconcile", \
     "$dir/.scale-floor.dat" using 1:2 with linespoints lw 1 dt 2 pt 1 title "floor: pipelined DUMP/RESTORE copy", \
     "$dir/.scale-floor-migrate.dat" using 1:2 with linespoints lw 1 dt 3 pt 2 title "floor: MIGRATE COPY, one source at a time"
set title "the slot moves alone (redis-cli: rebalance; shardctl: its moves)"
plot "$dir/.scale-redis-cli.dat" using 1:3 with linespoints lw 2 pt 7 title "redis-cli --cluster rebalance (defaults)", \
     "$dir/.scale-redis-cli-p100.dat" using 1:3 with linespoints lw 2 pt 5 title "redis-cli ... --cluster-pipeline 100", \
     "$dir/.scale-shardctl.dat" using 1:3 with linespoints lw 2 pt 9 title "shardctl reconcile", \
     "$dir/.scale-floor.dat" using 1:3 with linespoints lw 1 dt 2 pt 1 title "floor: pipelined DUMP/RESTORE copy", \
     "$dir/.scale-floor-migrate.dat" using 1:3 with linespoints lw 1 dt 3 pt 2 title "floor: MIGRATE COPY, one source at a time"
unset multiplot
GP
	rm -f "$dir"/.scale-*.dat
	echo "plot: $dir/scale.png"
fi
