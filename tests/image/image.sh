#!/usr/bin/env bash
# image.sh - the shardctl image (image/Dockerfile, built by scripts/image.sh
# into an OCI archive, cached): its config runs as 1001:1001 with no
# entrypoint; its root filesystem, unpacked from the archive's layers, runs
# shardctl as uid 1001 against hiredis 1.x from the image; and that shardctl
# checks a lone node (unhealthy: uncovered slots), creates a 3-shard cluster
# of Debian's redis-server and calls it healthy.  Containers are not started
# (no runtime works here): the image's programs run under chroot, in this
# network namespace, so 127.0.0.1 is the host's loopback.  Needs root.
source "$(dirname "$0")/../lib/test-lib.bash"

if [ "$(id -u)" -ne 0 ]; then
	t_not_ok "runs as root (chroot, and the image build)"
	t_done
fi

# the build (minutes the first time; `make test` runs `make image` first)
t_run "$T_ROOT/scripts/image.sh"
archive=$(printf '%s\n' "$T_OUT" | tail -n 1)
t_eq 0 "$T_RC" "scripts/image.sh builds the image ($(printf '%s' "$T_ERR" | tail -n 3))"
case "$archive" in /*) ;; *) archive=$T_ROOT/$archive ;; esac
if [ ! -s "$archive" ]; then
	t_not_ok "the archive exists: '$archive'"
	t_done
fi
version=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}[[:space:]]*$/\1/p' \
	"$T_ROOT/charts/redis-cluster/Chart.yaml")
t_eq "shardctl-$version.oci.tar" "$(basename "$archive")" "the archive is named by the chart's appVersion"

# the OCI layout: index.json -> manifest -> config and layers
oci=$T_DIR/oci
mkdir -p "$oci"
tar -xf "$archive" -C "$oci" || t_not_ok "the archive unpacks"
t_eq "1.0.0" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["imageLayoutVersion"])' \
	"$oci/oci-layout" 2>&1)" "an OCI image layout"
# prints: the ref name, the config blob, then the layer blobs in order
blobs=$(python3 - "$oci" <<'EOF'
import json, sys
d = sys.argv[1]
blob = lambda dg: d + "/blobs/" + dg.replace(":", "/", 1)
m = json.load(open(d + "/index.json"))["manifests"][0]
print(m.get("annotations", {}).get("org.opencontainers.image.ref.name", ""))
man = json.load(open(blob(m["digest"])))
print(blob(man["config"]["digest"]))
for l in man["layers"]:
    print(blob(l["digest"]))
EOF
)
t_eq "ghcr.io/shardctl/shardctl:$version" "$(sed -n 1p <<<"$blobs")" "the archive names the image"
config=$(sed -n 2p <<<"$blobs")
cfg() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps(c["config"].get(sys.argv[2])))' "$config" "$1"; }
t_eq '"1001:1001"' "$(cfg User)" "the image runs as user and group 1001"
t_eq '["shardctl", "--help"]' "$(cfg Cmd)" "the default command is shardctl --help"
t_eq 'null' "$(cfg Entrypoint)" "no entrypoint: the chart sets the command plainly"
t_eq '"linux/amd64"' "$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps(c["os"]+"/"+c["architecture"]))' "$config")" \
	"os and architecture"

# the root filesystem: layers applied in order, OCI whiteouts honoured
ROOT=$T_DIR/root
mkdir -p "$ROOT"
nl=0
while IFS= read -r layer; do
	nl=$((nl + 1))
	while IFS= read -r e; do
		e=${e#./}
		case "${e##*/}" in
		.wh..wh..opq) d=$ROOT/$(dirname "$e"); find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf {} + ;;
		.wh.*) rm -rf "$ROOT/$(dirname "$e")/$(basename "$e" | cut -c5-)" ;;
		esac
	done < <(tar -tf "$layer" | grep '\.wh\.')
	tar -xf "$layer" -C "$ROOT" --exclude='.wh.*' --numeric-owner -p || t_not_ok "layer $nl unpacks"
done < <(sed -n '3,$p' <<<"$blobs")
t_eq 1 "$([ "$nl" -ge 2 ] && echo 1)" "$nl layers (the base and shardctl's)"
size=$(du -sm "$ROOT" | cut -f1)
echo "root filesystem: ${size} MiB, archive: $(du -h "$archive" | cut -f1)"
t_eq 1 "$([ "$size" -lt 150 ] && echo 1)" "the root filesystem stays small: ${size} MiB"
t_contains "$(cat "$ROOT/etc/os-release")" 'VERSION_CODENAME=trixie' "Debian trixie"
t_eq "shardctl:x:1001:1001:" "$(grep '^shardctl:' "$ROOT/etc/passwd" | cut -d: -f1-5)" "user shardctl is 1001:1001"
t_eq "root:root 755" "$(stat -c '%U:%G %a' "$ROOT/usr/local/bin/shardctl")" "/usr/local/bin/shardctl: root's, not writable by 1001"
t_eq "" "$(ls "$ROOT/usr/bin" | grep -E '^(gcc|cc|make|pkg-config)$')" "no compiler or build tool in the image"
t_eq "" "$(ls "$ROOT/var/lib/apt/lists" | grep -v -e '^lock$' -e '^partial$')" "no apt lists left"
t_eq "" "$(ls "$ROOT/var/cache/apt/archives" | grep '\.deb$')" "no .deb left"
# nothing of the build's apt options stored in the image
t_eq "" "$(grep -rl 'Check-Valid-Until' "$ROOT/etc/apt" 2>/dev/null)" "no apt option of the build in /etc/apt"

# shardctl runs from the image as uid 1001, against the image's hiredis 1.x
in_image() { chroot --userspec=1001:1001 "$ROOT" "$@"; }
t_run in_image /usr/local/bin/shardctl --help
t_eq 0 "$T_RC" "shardctl --help as 1001 ($T_ERR)"
t_contains "$T_OUT$T_ERR" "usage: shardctl COMMAND" "shardctl --help shows the usage"
t_run in_image shardctl --version
t_eq 0 "$T_RC" "shardctl --version by PATH"
t_eq "shardctl $version" "$T_OUT" "shardctl --version is the chart's appVersion"
t_run chroot "$ROOT" ldd /usr/local/bin/shardctl
t_eq 0 "$T_RC" "ldd in the image ($T_ERR)"
t_contains "$T_OUT" "libhiredis.so.1.1.0 => /lib/" "hiredis 1.x resolved in the image"
t_not_contains "$T_OUT" "not found" "every library resolved in the image"
t_contains "$(ls "$ROOT"/usr/share/doc)" "libhiredis1.1.0" "libhiredis1.1.0 installed (its copyright file)"

# a real server (T_REDIS_SERVER) on three ports of this script's band
base=$(t_free_ports 3) || exit 1
for i in 0 1 2; do t_start_node 127.0.0.1 $((base + i)) || t_not_ok "node $((base + i)) starts"; done

t_run in_image shardctl check 127.0.0.1:$base
t_eq 1 "$T_RC" "check of a lone node with no slots: unhealthy ($T_ERR)"
t_contains "$T_OUT$T_ERR" "16384 slots are not covered by any master" "check names the uncovered slots"

nodes=127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))
t_run in_image shardctl create --nodes "$nodes" --shards 3 --replicas 0 --wait 30
t_eq 0 "$T_RC" "create 3x0 from the image ($T_ERR)"
t_run in_image shardctl check 127.0.0.1:$base --shards 3 --replicas 0
t_eq 0 "$T_RC" "check from the image: healthy ($T_OUT $T_ERR)"
t_run in_image shardctl status 127.0.0.1:$base
t_eq 0 "$T_RC" "status from the image ($T_ERR)"
t_contains "$T_OUT" "16384/16384 slots covered" "status: every slot covered"
t_contains "$("$T_REDIS_CLI" -p $base cluster info)" "cluster_state:ok" "redis-cli agrees: cluster_state ok"

t_done
