#!/usr/bin/env bash
# run.sh [unit|integration|all] - runs the test layers and prints one closing
# line "N passed, N failed".  Unit binaries run in both the plain and the
# ASan/UBSan build; every script under tests/integration, tests/chart,
# tests/image and tests/lifecycle runs in its own process with a deadline
# (TEST_TIMEOUT, default 300 s, or longer where the script has a
# "# deadline: SECONDS" line), against the ASan/UBSan build of shardctl (a
# leak or UB exits 86/87, never mistaken for the 1 of "unhealthy";
# tests/image runs the image's own), on a port band of its own
# (T_PORT_BASE), with its output kept apart and shown when it fails.
# TEST_JOBS scripts (default 2) run at a time, the longest of the last run
# (build/test-times) first; tests/integration/server_matrix.sh runs once per
# server of the matrix but redis-7.0 (MATRIX_SERVERS).  The servers of the
# other scripts are T_REDIS_SERVER / T_REDIS_CLI (default redis-server /
# redis-cli).  A script that dies, times out or runs no check fails; none is
# skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
passed=0 failed=0
failures=()

count() { # count NAME OUTPUT_FILE RC
	local p f
	p=$(grep -Eo '[0-9]+ passed' "$2" | awk '{s+=$1} END {print s+0}')
	f=$(grep -Eo '[0-9]+ failed' "$2" | awk '{s+=$1} END {print s+0}')
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # died before reporting: a failure, never a silent pass
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1 # ran no check at all
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$1")
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ "$what" = unit ] || [ "$what" = all ]; then
	for t in build/tests/test_* build/asan/tests/test_*; do
		[ -x "$t" ] || continue
		timeout 60 "$t" >"$log" 2>&1
		rc=$?
		count "$t" "$log" $rc
		tail -n 1 "$log" | sed "s|^|[$(dirname "$(dirname "$t")")] |"
		[ $rc -eq 0 ] || cat "$log"
	done
	# the house's rules (folders, pure core, no call circles), read off the
	# sources and the plain build's objects
	python3 tests/lint/layers.py build >"$log" 2>&1
	rc=$?
	count tests/lint/layers.py "$log" $rc
	echo "[lint] $(tail -n 1 "$log")"
	[ $rc -eq 0 ] || grep -v '^ok' "$log"
fi

if [ "$what" = integration ] || [ "$what" = all ]; then
	export SHARDCTL=${SHARDCTL:-$PWD/build/asan/shardctl}
	export SHARDCTL_TOOLS=${SHARDCTL_TOOLS:-$PWD/build}
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}
	# each running script a band of T_PORT_SPAN ports of its own
	# (tests/lib/test-lib.bash): data ports in [T_PORT_LO, T_PORT_HI),
	# default [11000, 21000), their bus ports (+10000) above; a band is
	# handed to the next script only once the script holding it has ended,
	# and as late as possible (bands rotate)
	export T_PORT_LO=${T_PORT_LO:-11000} T_PORT_HI=${T_PORT_HI:-21000}
	span=${T_PORT_SPAN:-200}
	nbands=$(((T_PORT_HI - T_PORT_LO) / span))
	jobs_max=${TEST_JOBS:-2}
	[ "$jobs_max" -ge 1 ] && [ "$jobs_max" -le "$nbands" ] ||
		{ echo "TEST_JOBS=$jobs_max: from 1 to $nbands (the port bands of T_PORT_LO..T_PORT_HI)"; exit 2; }
	logdir=$(mktemp -d)
	trap 'rm -f "$log"; rm -rf "$logdir"' EXIT
	# seconds each script took in the last run (longest first next time;
	# a script never timed goes first); tests/times, a run's times kept in
	# the tree, orders a fresh checkout's first run
	times=build/test-times
	# server_matrix.sh runs once per server of the matrix but redis-7.0
	# (MATRIX_SERVERS), each run a script of its own: "NAME[server]"
	matrix=${MATRIX_SERVERS:-$(scripts/servers.sh 2>/dev/null | awk '$1 != "redis-7.0" { print $1 }')}
	entries=()
	for t in tests/integration/*.sh tests/chart/*.sh tests/image/*.sh tests/lifecycle/*.sh; do
		[ -f "$t" ] || continue
		if [ "$t" = tests/integration/server_matrix.sh ] && [ -n "$matrix" ]; then
			for m in $matrix; do entries+=("$t[$m]"); done
		else
			entries+=("$t")
		fi
	done
	order=$(for e in "${entries[@]}"; do
		echo "$(awk -v n="$e" '$1 == n { t = $2 } END { print t }' tests/times $([ ! -f "$times" ] || echo "$times") |
			grep . || echo 999999) $e"
	done | sort -k1,1nr -k2,2 | cut -d' ' -f2-)
	declare -A job_entry job_start job_band job_log
	band_pid=()
	running=0 next_band=0 t_all=$(date +%s)
	: >"$logdir/times"

	start_job() { # start_job ENTRY BAND
		local e=$1 t=${1%%\[*} srv="" deadline lf pid
		case "$e" in *"["*) srv=${e#*[} srv=${srv%]} ;; esac
		# a script may ask for a longer deadline: a "# deadline: SECONDS" line
		deadline=$(sed -n 's/^# deadline: \([0-9]*\)$/\1/p' "$t" | head -n 1)
		[ "${deadline:-0}" -gt "${TEST_TIMEOUT:-300}" ] || deadline=${TEST_TIMEOUT:-300}
		lf="$logdir/$(printf '%s' "$e" | tr '/[]' '___')"
		(
			[ -z "$srv" ] || export MATRIX_SERVERS=$srv
			T_PORT_BASE=$((T_PORT_LO + $2 * span)) T_PORT_SPAN=$span \
				timeout --kill-after=10 "$deadline" bash "$t"
			rc=$?
			date +%s >"$lf.end" # the moment it ended (reap may come later)
			exit $rc
		) >"$lf" 2>&1 &
		pid=$!
		job_entry[$pid]=$e job_start[$pid]=$(date +%s) job_band[$pid]=$2 job_log[$pid]=$lf
		band_pid[$2]=$pid
		running=$((running + 1))
	}
	reap() { # waits for one script to end and reports it
		local pid rc e lf secs
		wait -n -p pid "${!job_entry[@]}"
		rc=$?
		e=${job_entry[$pid]} lf=${job_log[$pid]}
		secs=$(($(cat "$lf.end" 2>/dev/null || date +%s) - job_start[$pid]))
		count "$e" "$lf" $rc
		echo "[$e] $(grep -E '[0-9]+ passed, [0-9]+ failed' "$lf" | tail -n 1) (${secs}s)"
		if [ $rc -ne 0 ] || { [ ${#failures[@]} -gt 0 ] && [ "${failures[-1]}" = "$e" ]; }; then
			[ $rc -eq 124 ] && echo "  timed out"
			sed 's/^/  | /' "$lf" | tail -n 60
		fi
		echo "$e $secs" >>"$logdir/times"
		unset "band_pid[${job_band[$pid]}]" "job_entry[$pid]" "job_start[$pid]" "job_band[$pid]" "job_log[$pid]"
		running=$((running - 1))
	}
	for e in $order; do
		while [ $running -ge "$jobs_max" ]; do reap; done
		while [ -n "${band_pid[next_band % nbands]:-}" ]; do next_band=$((next_band + 1)); done
		start_job "$e" $((next_band % nbands))
		next_band=$((next_band + 1))
	done
	while [ $running -gt 0 ]; do reap; done
	echo "[integration] ${#entries[@]} scripts, $jobs_max at a time: $(($(date +%s) - t_all))s"
	# keep the times of this run, and those of scripts it did not run
	mkdir -p build
	{ cat "$logdir/times"; [ ! -f "$times" ] || awk 'NR == FNR { seen[$1] = 1; next } !seen[$1]' "$logdir/times" "$times"; } \
		>"$times.new" && mv "$times.new" "$times"
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
