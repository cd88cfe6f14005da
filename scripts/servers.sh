#!/usr/bin/env bash
# servers.sh [NAME] - the server matrix the tests run against, built from
# Debian's archive and cached under build/servers/ (SERVERS_DIR overrides).
# Prints one line per server on stdout, in this order:
#
#   NAME SERVER-BINARY CLI-BINARY        (absolute paths)
#
#   redis-7.0   Debian 12's own redis-server/redis-cli (packages redis-server,
#               redis-tools; 7.0.15), installed with apt-get when missing.
#   valkey-8.0  valkey-server/valkey-tools from bookworm-backports (8.0.1 when
#               this was written), fetched with a private apt configuration
#               (the system's sources are not touched) and unpacked with
#               dpkg -x into valkey-8.0/root.  The binaries are built for
#               Debian 12 and use the host's libraries (those of redis-server).
#   redis-8.0   Debian forky (Redis 8.0.6, Valkey 9.1.2 when this was
#   valkey-9.1  written): one debootstrap'd tree in forky/ (~270 MB, 70 s on
#               an idle machine, 4 min on a busy one), from which each
#               binary is copied to NAME/bin/ under its own name (so the
#               process is called redis-server or
#               valkey-server: in the tree both are symlinks to *-check-rdb,
#               and Valkey picks its mode from argv[0]) with its ELF
#               interpreter and RPATH pointed into the tree.
#   redis-8.6   redis-tools from Debian's experimental suite (Redis 8.6.3
#               when this was written: the first Redis with CLUSTER
#               MIGRATION in Debian), fetched like valkey-8.0 and unpacked
#               into redis-8.6/root; its binaries are copied to NAME/bin/
#               and pointed at the forky tree's loader and libraries (built
#               for sid, they need what forky has: libc6 >= 2.38,
#               libssl3t64, ...).
#
# Each --version must name the expected family and major.minor: when the
# archive moves on (say backports serves Valkey 8.1), the script fails and
# says so rather than hand out a server under the wrong name.
#
# Everything is built in a temporary folder next to its final place and
# renamed when complete, with a NAME/.ok stamp, so a killed run never leaves
# a half tree that a later run trusts.  A run with everything present does no
# network work (it runs each binary's --version).  Building needs root
# (apt-get, debootstrap); otherwise the command to run is printed.  Progress
# goes to stderr.  NAME prints that server's line only (building only it).
set -euo pipefail

NAMES=(redis-7.0 valkey-8.0 redis-8.0 valkey-9.1 redis-8.6)
MIRROR=http://deb.debian.org/debian

say() { echo "servers.sh: $*" >&2; }
die() { say "$*"; exit 1; }

want=()
if [ $# -gt 1 ]; then
	echo "usage: servers.sh [$(IFS="|"; echo "${NAMES[*]}")]" >&2
	exit 2
elif [ $# -eq 1 ]; then
	case " ${NAMES[*]} " in
	*" $1 "*) want=("$1") ;;
	*) echo "servers.sh: unknown server '$1' (one of: ${NAMES[*]})" >&2; exit 2 ;;
	esac
else
	want=("${NAMES[@]}")
fi

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SERVERS_DIR:-$root/build/servers}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
is_root() { [ "$(id -u)" -eq 0 ]; }

# read-only, so that a user who did not build the cache can still use it
[ -e "$dir/.lock" ] || : >"$dir/.lock"
exec 9<"$dir/.lock"
flock -w 1200 9 || die "another run holds $dir/.lock"

# rm_tree DIR: removes a (possibly half-built) tree; unmounts first whatever
# a killed debootstrap left mounted inside it (proc, sys), never crossing
# into another file system.
rm_tree() {
	local m
	[ -e "$1" ] || return 0
	awk -v p="$1/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$1"
}
for t in "$dir"/.tmp-*; do [ -e "$t" ] && rm_tree "$t"; done

# check NAME SERVER CLI: both run and their --version names the family and
# major.minor of NAME ("Redis server v=8.0.6 ...", "redis-cli 8.0.6")
check() {
	local fam=${1%-*} mm=${1#*-} Fam out re
	case $fam in redis) Fam=Redis ;; valkey) Fam=Valkey ;; esac
	mm=${mm//./\\.}
	[ -x "$2" ] && [ -x "$3" ] || return 1
	re="^$Fam server v=$mm\\.[0-9]+ "
	out=$("$2" --version 2>/dev/null) && [[ $out =~ $re ]] || return 1
	re="^$fam-cli $mm\\.[0-9]+"
	out=$("$3" --version 2>/dev/null) && [[ $out =~ $re ]]
}
explain() { # NAME SERVER CLI: why check failed
	die "$1: expected $1 but got: $("$2" --version 2>&1 | head -n 1) / $("$3" --version 2>&1 | head -n 1)"
}

# finish TMP FINAL: the complete tree TMP becomes FINAL
finish() {
	rm_tree "$2"
	mv -T "$1" "$2"
}

apt_install() { # PACKAGE...
	if ! is_root; then
		die "missing packages; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $*"
	fi
	say "installing $*"
	# no service may start from the install: a policy-rc.d that refuses
	# (101) unless the system already has one
	local policy=/usr/sbin/policy-rc.d ours=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		ours=1
	fi
	local rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 || {
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
	} || rc=$?
	[ -z "$ours" ] || rm -f "$policy"
	return $rc
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need_pkgs() { # PACKAGE...: installs those not installed
	local p missing=()
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

# stop_in_tree TREE: kills processes running a program of TREE (a package's
# maintainer script may start one; nothing else runs from a fresh tree)
stop_in_tree() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case $exe in "$1"/*) say "stopping ${p#/proc/} ($exe)"; kill -9 "${p#/proc/}" 2>/dev/null || true ;; esac
	done
}

# ---- redis-7.0: the system's packages
redis70() {
	local s=/usr/bin/redis-server c=/usr/bin/redis-cli
	if check redis-7.0 $s $c; then
		echo "redis-7.0 $s $c"
		return
	fi
	if ! installed redis-server || ! installed redis-tools; then
		apt_install redis-server redis-tools
		# a system without policy-rc.d handling may still have started one
		pgrep -x -u redis redis-server >/dev/null 2>&1 && { say "stopping the packaged redis-server service"; service redis-server stop >&2 || true; }
	fi
	check redis-7.0 $s $c || explain redis-7.0 $s $c
	echo "redis-7.0 $s $c"
}

# fetch_debs SUITE TMP PACKAGE...: the packages of SUITE downloaded into
# TMP/debs and unpacked into TMP/root, with an apt state of its own in
# TMP/apt (removed after; the system's sources are not touched)
fetch_debs() {
	local suite=$1 tmp=$2 p
	shift 2
	mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial" "$tmp/debs" "$tmp/root"
	echo "deb $MIRROR $suite main" >"$tmp/apt/sources.list"
	local apt=(-o "Dir::Etc::sourcelist=$tmp/apt/sources.list" -o Dir::Etc::sourceparts=/dev/null
		-o "Dir::State::Lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache"
		-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User="$(id -un)")
	apt-get "${apt[@]}" -qq update >&2
	local pkgs=()
	for p in "$@"; do pkgs+=("$p/$suite"); done
	(cd "$tmp/debs" && apt-get "${apt[@]}" -qq download "${pkgs[@]}" >&2)
	for p in "$tmp"/debs/*.deb; do dpkg -x "$p" "$tmp/root"; done
	rm -rf "$tmp/apt"
}

# ---- valkey-8.0: bookworm-backports, private apt state
valkey80() {
	local final=$dir/valkey-8.0 s c
	s=$final/root/usr/bin/valkey-server
	c=$final/root/usr/bin/valkey-cli
	if [ -f "$final/.ok" ] && check valkey-8.0 "$s" "$c"; then
		echo "valkey-8.0 $s $c"
		return
	fi
	say "valkey-8.0: fetching valkey-server and valkey-tools from bookworm-backports"
	local tmp
	tmp=$(mktemp -d "$dir/.tmp-valkey-8.0.XXXXXX")
	chmod 755 "$tmp"
	fetch_debs bookworm-backports "$tmp" valkey-server valkey-tools
	local deb libs=()
	for deb in "$tmp"/debs/*.deb; do
		# the shared libraries it depends on, from the host's Debian 12
		mapfile -t -O ${#libs[@]} libs < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' |
			sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep -E '^lib')
	done
	need_pkgs "${libs[@]}"
	if LD_TRACE_LOADED_OBJECTS=1 "$tmp/root/usr/bin/valkey-check-rdb" | grep -q 'not found'; then
		die "valkey-8.0: libraries missing: $(LD_TRACE_LOADED_OBJECTS=1 "$tmp/root/usr/bin/valkey-check-rdb" | grep 'not found' | tr -s '\t\n' ' ')"
	fi
	rm -rf "$tmp/debs"
	check valkey-8.0 "$tmp/root/usr/bin/valkey-server" "$tmp/root/usr/bin/valkey-cli" ||
		explain valkey-8.0 "$tmp/root/usr/bin/valkey-server" "$tmp/root/usr/bin/valkey-cli"
	"$tmp/root/usr/bin/valkey-server" --version | head -n 1 >"$tmp/.ok"
	finish "$tmp" "$final"
	check valkey-8.0 "$s" "$c" || explain valkey-8.0 "$s" "$c"
	echo "valkey-8.0 $s $c"
}

# ---- forky: one debootstrap'd tree for redis-8.0 and valkey-9.1
forky_tree() {
	local final=$dir/forky
	[ -f "$final/.ok" ] && return 0
	if ! is_root; then
		die "building the forky tree needs root (debootstrap); run: sudo $0"
	fi
	need_pkgs debootstrap patchelf
	local tmp
	tmp=$(mktemp -d "$dir/.tmp-forky.XXXXXX")
	chmod 755 "$tmp"
	say "forky: debootstrap into $final (70 s to 4 min, 270 MB; log in $dir/forky-debootstrap.log)"
	local t0=$SECONDS
	# debootstrap checks the Release signature but not its Valid-Until, so a
	# clock past the archive's validity is no obstacle here.
	if ! debootstrap --variant=minbase --include=valkey-server,valkey-tools,redis-server,redis-tools \
		forky "$tmp/root" "$MIRROR" /usr/share/debootstrap/scripts/sid >"$dir/forky-debootstrap.log" 2>&1; then
		stop_in_tree "$tmp/root"
		tail -n 20 "$dir/forky-debootstrap.log" >&2
		die "forky: debootstrap failed (log: $dir/forky-debootstrap.log)"
	fi
	stop_in_tree "$tmp/root"
	say "forky: tree ready in $((SECONDS - t0)) s"
	# the tree's own record of what it holds, for the stamp and the report
	dpkg-query --admindir="$tmp/root/var/lib/dpkg" -W -f='${Package} ${Version}\n' \
		redis-server valkey-server >"$tmp/.ok"
	echo "built $(date -u +%FT%TZ)" >>"$tmp/.ok"
	finish "$tmp" "$final"
}

# into_forky NAME SRC DEST: the program SRC (a symlink is followed) copied
# to DEST and pointed at the forky tree's loader and libraries
into_forky() {
	local name=$1 src tree=$dir/forky/root
	src=$(readlink -f "$2")
	[ -f "$src" ] || die "$name: $2 is missing"
	cp "$src" "$3"
	# RPATH, not RUNPATH: it also covers the libraries' own needs
	# (libsystemd's libzstd...), which would otherwise come from the host
	patchelf --set-interpreter "$tree/lib64/ld-linux-x86-64.so.2" --force-rpath \
		--set-rpath "$tree/lib/x86_64-linux-gnu:$tree/usr/lib/x86_64-linux-gnu" "$3"
	if LD_TRACE_LOADED_OBJECTS=1 "$3" | grep -v -e linux-vdso -e "$tree/" | grep -q .; then
		die "$name: ${3##*/} loads libraries from outside the tree: $(LD_TRACE_LOADED_OBJECTS=1 "$3" | grep -v -e linux-vdso -e "$tree/" | tr -s '\t\n' ' ')"
	fi
	if LD_TRACE_LOADED_OBJECTS=1 "$3" | grep -q 'not found'; then
		die "$name: ${3##*/} needs libraries the forky tree lacks: $(LD_TRACE_LOADED_OBJECTS=1 "$3" | grep 'not found' | tr -s '\t\n' ' ')"
	fi
}

# forky_copy NAME FAMILY: NAME/bin/FAMILY-server and FAMILY-cli, copied out
# of the forky tree and pointed at its loader and libraries
forky_copy() {
	local name=$1 fam=$2 final=$dir/$1 tree=$dir/forky/root
	local s=$final/bin/$fam-server c=$final/bin/$fam-cli
	if [ -f "$final/.ok" ] && [ -f "$dir/forky/.ok" ] && cmp -s "$final/.ok" "$dir/forky/.ok" &&
		check "$name" "$s" "$c"; then
		echo "$name $s $c"
		return
	fi
	forky_tree
	command -v patchelf >/dev/null 2>&1 || need_pkgs patchelf
	say "$name: copying $fam-server and $fam-cli out of the forky tree"
	local tmp b src
	tmp=$(mktemp -d "$dir/.tmp-$name.XXXXXX")
	chmod 755 "$tmp"
	mkdir -p "$tmp/bin"
	for b in server cli; do
		# redis-server and valkey-server are symlinks to *-check-rdb there
		into_forky "$name" "$tree/usr/bin/$fam-$b" "$tmp/bin/$fam-$b"
	done
	check "$name" "$tmp/bin/$fam-server" "$tmp/bin/$fam-cli" || explain "$name" "$tmp/bin/$fam-server" "$tmp/bin/$fam-cli"
	cp "$dir/forky/.ok" "$tmp/.ok"
	finish "$tmp" "$final"
	check "$name" "$s" "$c" || explain "$name" "$s" "$c"
	echo "$name $s $c"
}

# ---- redis-8.6: experimental's redis-tools, run on the forky tree's libraries
redis86() {
	local final=$dir/redis-8.6 s c
	s=$final/bin/redis-server
	c=$final/bin/redis-cli
	if [ -f "$final/.ok" ] && [ -f "$dir/forky/.ok" ] && [ "$(sed 1d "$final/.ok")" = "$(cat "$dir/forky/.ok")" ] &&
		check redis-8.6 "$s" "$c"; then
		echo "redis-8.6 $s $c"
		return
	fi
	forky_tree
	command -v patchelf >/dev/null 2>&1 || need_pkgs patchelf
	say "redis-8.6: fetching redis-tools from experimental"
	local tmp
	tmp=$(mktemp -d "$dir/.tmp-redis-8.6.XXXXXX")
	chmod 755 "$tmp"
	fetch_debs experimental "$tmp" redis-tools
	mkdir -p "$tmp/bin"
	# the package's redis-server is a symlink to redis-check-rdb
	into_forky redis-8.6 "$tmp/root/usr/bin/redis-check-rdb" "$tmp/bin/redis-server"
	into_forky redis-8.6 "$tmp/root/usr/bin/redis-cli" "$tmp/bin/redis-cli"
	rm -rf "$tmp/root" "$tmp/debs"
	check redis-8.6 "$tmp/bin/redis-server" "$tmp/bin/redis-cli" || explain redis-8.6 "$tmp/bin/redis-server" "$tmp/bin/redis-cli"
	{ "$tmp/bin/redis-server" --version | head -n 1; cat "$dir/forky/.ok"; } >"$tmp/.ok"
	finish "$tmp" "$final"
	check redis-8.6 "$s" "$c" || explain redis-8.6 "$s" "$c"
	echo "redis-8.6 $s $c"
}

for n in "${want[@]}"; do
	case $n in
	redis-7.0) redis70 ;;
	valkey-8.0) valkey80 ;;
	redis-8.0) forky_copy redis-8.0 redis ;;
	valkey-9.1) forky_copy valkey-9.1 valkey ;;
	redis-8.6) redis86 ;;
	esac
done
