#!/usr/bin/env bash
# image.sh - builds the shardctl image (image/Dockerfile) into the OCI archive
# build/image/shardctl-VERSION.oci.tar, VERSION being the chart's appVersion.
# Progress goes to stderr; the archive's path is the last line on stdout.
#
# With a reachable Docker daemon, `docker build` from debian:trixie-slim and
# `docker save` (Docker 25 and later write an OCI image layout).  Otherwise
# buildah, which needs no daemon and no registry: a Debian minbase made by
# debootstrap (cached in build/image/rootfs-RELEASE) is imported as the base,
# and the Dockerfile is built with --isolation chroot.  buildah's storage is
# kept in build/image/ too (vfs driver), so nothing is left in the machine's
# container storage; `make clean` removes it all.
#
# Skipped when the archive is newer than every input (the Dockerfile and its
# ignore file, Makefile, src/, tools/, this script); IMAGE_REBUILD=1 forces it.
#
# Settings (environment):
#   IMAGE_NAME      repository name given to the image (ghcr.io/shardctl/shardctl)
#   IMAGE_DEBIAN    Debian release of the base (trixie)
#   IMAGE_MIRROR    Debian mirror for debootstrap (http://deb.debian.org/debian)
#   IMAGE_APT_OPTS  apt-get options for the build (default: accept Release
#                   files past their Valid-Until, as this machine's clock
#                   needs); passed as a build argument, never stored in the image
#   IMAGE_ENGINE    docker or buildah (default: docker when `docker info` works)
#   IMAGE_REBUILD   1: build even when the archive is up to date
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

start=$(date +%s)
say() { echo "image.sh: [$(($(date +%s) - start)) s] $*" >&2; }
die() { say "$*"; exit 1; }

version=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}[[:space:]]*$/\1/p' \
	charts/redis-cluster/Chart.yaml)
[ -n "$version" ] || die "no appVersion in charts/redis-cluster/Chart.yaml"
name=${IMAGE_NAME:-ghcr.io/shardctl/shardctl}
ref=$name:$version
release=${IMAGE_DEBIAN:-trixie}
mirror=${IMAGE_MIRROR:-http://deb.debian.org/debian}
apt_opts=${IMAGE_APT_OPTS--o Acquire::Check-Valid-Until=false}
out=build/image
archive=$out/shardctl-$version.oci.tar
inputs=(image/Dockerfile image/Dockerfile.dockerignore Makefile src tools scripts/image.sh)

if [ "${IMAGE_REBUILD:-0}" != 1 ] && [ -s "$archive" ] &&
	[ -z "$(find "${inputs[@]}" -newer "$archive" -print -quit)" ]; then
	say "$ref: $archive is up to date (IMAGE_REBUILD=1 rebuilds it)"
	echo "$archive"
	exit 0
fi
mkdir -p "$out"

engine=${IMAGE_ENGINE:-}
if [ -z "$engine" ]; then
	if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine=docker; else engine=buildah; fi
fi

# apt_install PACKAGE...: installs what is missing (as root), or says how.
apt_install() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
	say "installing ${missing[*]}"
	# another apt may hold the lock for a while: wait for it
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
		--no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get -qq update >&2 && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
			install -y -qq --no-install-recommends "${missing[@]}" >&2; }
}

if [ "$engine" = docker ]; then
	say "building $ref with docker"
	args=()
	[ -n "${IMAGE_APT_OPTS:-}" ] && args+=(--build-arg "APT_OPTS=$IMAGE_APT_OPTS")
	docker build -f image/Dockerfile --build-arg "DEBIAN=$release" "${args[@]}" -t "$ref" . >&2
	docker save -o "$archive.tmp" "$ref" >&2
	mv "$archive.tmp" "$archive"
	say "built in $(($(date +%s) - start)) s: $ref ($(du -h "$archive" | cut -f1))"
	echo "$archive"
	exit 0
fi
[ "$engine" = buildah ] || die "IMAGE_ENGINE: docker or buildah, not '$engine'"

# buildah with --isolation chroot needs no runtime (runc, crun), and the vfs
# driver needs no fuse-overlayfs; debootstrap makes the base.  uidmap comes
# with buildah.
apt_install buildah debootstrap
[ "$(id -u)" -eq 0 ] || die "the buildah build runs as root (debootstrap, chroot); run: sudo make image"

# Everything buildah keeps, in build/image: images and layers (storage), locks
# and mounts (run), temporary files (tmp).
B=(buildah --root "$top/$out/storage" --runroot "$top/$out/run" --storage-driver vfs)
export TMPDIR=$top/$out/tmp
mkdir -p "$TMPDIR"
# working containers an interrupted run left behind
"${B[@]}" rm --all >/dev/null 2>&1 || true

# The base: a Debian minbase by debootstrap, slimmed like Debian's -slim
# images (no manuals, documentation other than copyright files, or
# translations), with the release's updates and security suites in its apt
# sources and their updates installed when it is imported.  Made once; delete
# build/image/rootfs-RELEASE to remake it.
rootfs=$out/rootfs-$release
base=localhost/shardctl-base:$release
if [ ! -f "$rootfs/.complete" ]; then
	say "making a $release minbase with debootstrap in $rootfs (about a minute)"
	rm -rf "$rootfs"
	debootstrap --variant=minbase "$release" "$rootfs" "$mirror" >"$out/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$out/debootstrap.log" >&2; die "debootstrap failed; log: $out/debootstrap.log"; }
	(
		cd "$rootfs"
		rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* dev/* \
			usr/share/man/* usr/share/info/* usr/share/locale/* var/log/*.log
		find usr/share/doc -mindepth 1 -not -type d -not -name copyright -delete
		find usr/share/doc -mindepth 1 -type d -empty -delete
		: >etc/resolv.conf
		: >etc/hostname
		rm -f etc/apt/sources.list
		cat >etc/apt/sources.list.d/debian.sources <<-EOF
			Types: deb
			URIs: $mirror
			Suites: $release $release-updates
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

			Types: deb
			URIs: ${mirror%/debian}/debian-security
			Suites: $release-security
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		cat >etc/dpkg/dpkg.cfg.d/slim <<-'EOF'
			# as in Debian's -slim images: what later installs leave out
			path-exclude /usr/share/doc/*
			path-include /usr/share/doc/*/copyright
			path-exclude /usr/share/man/*
			path-exclude /usr/share/info/*
			path-exclude /usr/share/locale/*
			path-exclude /usr/share/groff/*
			path-exclude /usr/share/lintian/*
			path-exclude /usr/share/linda/*
		EOF
	)
	touch "$rootfs/.complete"
	"${B[@]}" rmi -f "$base" >/dev/null 2>&1 || true
fi
if ! "${B[@]}" inspect --type image "$base" >/dev/null 2>&1; then
	say "importing $rootfs as $base"
	ctr=$("${B[@]}" from scratch)
	mnt=$("${B[@]}" mount "$ctr")
	tar -C "$rootfs" --exclude=./.complete -cf - . | tar -C "$mnt" -xpf -
	"${B[@]}" umount "$ctr" >/dev/null
	say "installing $release-updates and $release-security updates in the base"
	"${B[@]}" run --isolation chroot "$ctr" -- sh -c "apt-get $apt_opts -qq update &&
		DEBIAN_FRONTEND=noninteractive apt-get $apt_opts -qq -y upgrade && apt-get clean &&
		rm -rf /var/lib/apt/lists/*" >"$out/base.log" 2>&1 ||
		{ tail -n 20 "$out/base.log" >&2; die "updating the base failed; log: $out/base.log"; }
	"${B[@]}" config --os linux --arch "$(dpkg --print-architecture)" \
		--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--cmd bash "$ctr"
	"${B[@]}" commit --quiet --rm "$ctr" "$base" >/dev/null
fi

say "building $ref from $base with buildah"
"${B[@]}" bud --isolation chroot --pull=never --layers=false \
	--ignorefile image/Dockerfile.dockerignore \
	--build-arg "BASE=$base" --build-arg "APT_OPTS=$apt_opts" \
	-f image/Dockerfile -t "$ref" . >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "buildah bud failed; log: $out/build.log"; }
rm -f "$archive.tmp"
"${B[@]}" push --quiet "$ref" "oci-archive:$top/$archive.tmp:$ref" >&2
mv "$archive.tmp" "$archive"
# images of earlier builds under the same name, now untagged
"${B[@]}" rmi --prune >/dev/null 2>&1 || true
say "built in $(($(date +%s) - start)) s: $ref ($(du -h "$archive" | cut -f1)), log: $out/build.log"
echo "$archive"
