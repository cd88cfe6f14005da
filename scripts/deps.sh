#!/usr/bin/env bash
# deps.sh STAGE - make sure what STAGE needs is installed.
#   build: compiler, make, pkg-config, hiredis, redis-server/redis-cli
#   test:  build + what the test layers use (debootstrap and patchelf for
#          scripts/servers.sh)
#   bench: build + gnuplot and GNU time (peak RSS)
# As root, missing Debian packages are installed with apt-get; otherwise the
# exact command to run is printed and the script fails.
set -euo pipefail
stage=${1:-build}

# Each entry is a Debian package, or PACKAGE:COMMAND when having COMMAND on
# PATH is enough (node and npm may come from another build of Node.js).
need=(gcc make pkg-config libhiredis-dev redis-server redis-tools)
case "$stage" in
build) ;;
test) need+=(libnss-wrapper python3 python3-yaml nodejs:node npm:npm unzip debootstrap patchelf) ;;
bench) need+=(gnuplot-nox time) ;;
*) echo "deps.sh: unknown stage '$stage' (build, test, bench)" >&2; exit 2 ;;
esac

missing=()
for entry in "${need[@]}"; do
	p=${entry%%:*}
	cmd=${entry#*:}
	if [ "$cmd" != "$entry" ] && command -v "$cmd" >/dev/null 2>&1; then
		continue
	fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages: ${missing[*]}" >&2
	echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
