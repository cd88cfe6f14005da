#!/usr/bin/env bash
# run.sh [unit|integration|all] - runs the test layers and prints one closing
# line "N passed, N failed".  Unit binaries run in both the plain and the
# ASan/UBSan build; every script under tests/integration, tests/chart,
# tests/image and tests/lifecycle runs in its own process with a deadline,
# against the ASan/UBSan build of shardctl (a leak or UB exits 86/87, never
# mistaken for the 1 of "unhealthy"; tests/image runs the image's own), on a
# port band of its own (T_PORT_BASE).  The servers are T_REDIS_SERVER /
# T_REDIS_CLI (default redis-server / redis-cli).  A test that cannot run
# fails; none is skipped.
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
	# each script its own band of T_PORT_SPAN ports (tests/lib/test-lib.bash):
	# data ports in [11000, 21000), their bus ports (+10000) in [21000, 31000)
	span=200 band=0
	for t in tests/integration/*.sh tests/chart/*.sh tests/image/*.sh tests/lifecycle/*.sh; do
		[ -f "$t" ] || continue
		start=$(date +%s)
		T_PORT_BASE=$((11000 + (band % (10000 / span)) * span)) T_PORT_SPAN=$span \
			timeout --kill-after=10 "${TEST_TIMEOUT:-300}" bash "$t" >"$log" 2>&1
		rc=$?
		band=$((band + 1))
		count "$t" "$log" $rc
		echo "[$t] $(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) ($(( $(date +%s) - start ))s)"
		if [ $rc -ne 0 ]; then
			[ $rc -eq 124 ] && echo "  timed out after ${TEST_TIMEOUT:-300}s"
			sed 's/^/  | /' "$log" | tail -n 60
		fi
	done
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
