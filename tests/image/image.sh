#!/usr/bin/env bash
# image.sh - the shardctl image (image/Dockerfile, built by scripts/image.sh
# into an OCI archive, cached): its config runs as 1001:1001 with no
# entrypoint; its root filesystem, unpacked from the archive's layers
# (tests/lib/image.bash), runs shardctl as uid 1001 against hiredis 1.x from
# the image; and that shardctl, against the matrix's redis-server: checks a
# lone node (unhealthy: uncovered slots) that `ready` calls serving (it
# ignores membership), creates a 3x1 cluster and calls it healthy; `ready`
# answers 0 for masters and synced replicas; `handoff` of a master moves its
# role to its replica; a node restarted empty in the old master's place (same
# announced hostname, new id) is not ready with --nodes-file until `heal
# --if-broken` rejoined it; a node loading its dataset (key-load-delay) is not
# ready until loaded.  Containers are not started (no runtime works here): the
# image's programs run under chroot, in this network namespace, so 127.0.0.1
# is the host's loopback.  Needs root.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/../lib/image.bash"

if [ "$(id -u)" -ne 0 ]; then
	t_not_ok "runs as root (chroot, and the image build)"
	t_done
fi

# the build (minutes the first time; `make test` runs `make image` first)
image_archive
t_eq 0 "$?" "scripts/image.sh builds the image ($IMAGE_BUILD_LOG)"
archive=$IMAGE_ARCHIVE
if [ ! -s "$archive" ]; then
	t_not_ok "the archive exists: '$archive'"
	t_done
fi
version=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}[[:space:]]*$/\1/p' \
	"$T_ROOT/charts/redis-cluster/Chart.yaml")
t_eq "shardctl-$version.oci.tar" "$(basename "$archive")" "the archive is named by the chart's appVersion"

# the OCI layout (index.json -> manifest -> config and layers), and the root
# filesystem: layers applied in order, OCI whiteouts honoured
ROOT=$T_DIR/root
image_unpack "$archive" "$ROOT" || t_not_ok "the archive unpacks into a root filesystem"
t_eq "1.0.0" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["imageLayoutVersion"])' \
	"$ROOT.oci/oci-layout" 2>&1)" "an OCI image layout"
t_eq "ghcr.io/shardctl/shardctl:$version" "$IMAGE_REF" "the archive names the image"
config=$IMAGE_CONFIG
cfg() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps(c["config"].get(sys.argv[2])))' "$config" "$1"; }
t_eq '"1001:1001"' "$(cfg User)" "the image runs as user and group 1001"
t_eq '["shardctl", "--help"]' "$(cfg Cmd)" "the default command is shardctl --help"
t_eq 'null' "$(cfg Entrypoint)" "no entrypoint: the chart sets the command plainly"
t_eq '"linux/amd64"' "$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps(c["os"]+"/"+c["architecture"]))' "$config")" \
	"os and architecture"
nl=$IMAGE_LAYERS
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

# Real servers (T_REDIS_SERVER, the matrix's redis-server) on ports of this
# script's band, each announcing a hostname of its own (what a pod's DNS
# name is to the chart): six for a 3x1 cluster, a fresh one that restarts
# empty in a member's place, one that loads a dataset slowly.
base=$(t_free_ports 8) || exit 1
host() { echo "n$1.image.test"; }
for i in 0 1 2 3 4 5; do
	t_start_node 127.0.0.1 $((base + i)) --cluster-announce-hostname "$(host "$i")" ||
		t_not_ok "node $((base + i)) starts"
done

t_run in_image shardctl check 127.0.0.1:$base
t_eq 1 "$T_RC" "check of a lone node with no slots: unhealthy ($T_ERR)"
t_contains "$T_OUT$T_ERR" "16384 slots are not covered by any master" "check names the uncovered slots"
# readiness ignores membership (its --help): a node in no cluster serves
t_run in_image shardctl ready 127.0.0.1:$base
t_eq 0 "$T_RC" "ready: a node not in a cluster yet serves (exit 0: $T_OUT)"

nodes=$(for i in 0 1 2 3 4 5; do printf '127.0.0.1:%d,' $((base + i)); done)
nodes=${nodes%,}
t_run in_image shardctl create --nodes "$nodes" --shards 3 --replicas 1 --wait 30
t_eq 0 "$T_RC" "create 3x1 from the image ($T_ERR)"
t_run in_image shardctl check 127.0.0.1:$base --shards 3 --replicas 1
t_eq 0 "$T_RC" "check from the image: healthy ($T_OUT $T_ERR)"
t_run in_image shardctl status 127.0.0.1:$base
t_eq 0 "$T_RC" "status from the image ($T_ERR)"
t_contains "$T_OUT" "16384/16384 slots covered" "status: every slot covered"
t_contains "$("$T_REDIS_CLI" -p $base cluster info)" "cluster_state:ok" "redis-cli agrees: cluster_state ok"

# readiness: masters and synced replicas serve
t_run in_image shardctl ready "$nodes" --wait 30
t_eq 0 "$T_RC" "ready: every master and synced replica serves ($T_OUT)"
role() { "$T_REDIS_CLI" -p "$1" info replication | tr -d '\r' | sed -n 's/^role://p'; }
master=$base
[ "$(role $master)" = master ] || master=$((base + 1))
replica=$("$T_REDIS_CLI" -p $master cluster nodes | awk -v id="$("$T_REDIS_CLI" -p $master cluster myid)" \
	'$4 == id { split($2, a, "[:@]"); print a[2]; exit }')
t_eq slave "$(role "$replica")" "node $replica replicates $master"

# handoff: the master's role moves to its replica, everyone agrees
t_run in_image shardctl handoff 127.0.0.1:$master --wait 30
t_eq 0 "$T_RC" "handoff of master $master from the image ($T_OUT $T_ERR)"
t_eq "slave master" "$(role $master) $(role "$replica")" "handoff: $master is a replica now, $replica the master"
t_run in_image shardctl ready 127.0.0.1:$master --wait 30
t_eq 0 "$T_RC" "ready: the old master serves as a synced replica ($T_OUT)"
t_run in_image shardctl check 127.0.0.1:$base --shards 3 --replicas 1
t_eq 0 "$T_RC" "check after the handoff: healthy ($T_OUT $T_ERR)"

# a node that restarts empty (no persistence) in the place of the old
# master, now a replica: same hostname, new node id, new address
list=$(for i in 0 1 2 3 4 5; do [ $((base + i)) = $master ] || printf '127.0.0.1:%d,' $((base + i)); done)
list=${list}127.0.0.1:$((base + 6))
echo "$list" >"$T_DIR/nodes"
chmod 644 "$T_DIR/nodes"
"$T_REDIS_CLI" -p $master shutdown nosave >/dev/null 2>&1
t_start_node 127.0.0.1 $((base + 6)) --cluster-announce-hostname "$(host $((master - base)))" ||
	t_not_ok "the empty successor starts"
mkdir -p "$ROOT/test"
cp "$T_DIR/nodes" "$ROOT/test/nodes"
t_run in_image shardctl ready 127.0.0.1:$((base + 6)) --nodes-file /test/nodes
t_eq 1 "$T_RC" "ready --nodes-file: an empty node in a member's place does not serve"
t_contains "$T_OUT" "restarted empty in the place of member" "ready says why ($T_OUT)"
t_run in_image shardctl ready 127.0.0.1:$((base + 6))
t_eq 0 "$T_RC" "ready without --nodes-file: it serves (membership ignored)"
t_run in_image shardctl heal --if-broken 127.0.0.1:$((base + 6)) --nodes "$list" --wait 30
t_eq 0 "$T_RC" "heal --if-broken rejoins it ($(printf '%s' "$T_OUT" | grep 'restarted empty' | head -n 1)) $T_ERR"
t_eq slave "$(role $((base + 6)))" "the successor is a replica"
t_run in_image shardctl ready 127.0.0.1:$((base + 6)) --nodes-file /test/nodes --wait 30
t_eq 0 "$T_RC" "ready --nodes-file: it serves once rejoined and synced ($T_OUT)"
t_run in_image shardctl check 127.0.0.1:$((base + 6)) --shards 3 --replicas 1
t_eq 0 "$T_RC" "check: healthy, the old node id forgotten ($T_OUT $T_ERR)"

# loading: a node reading a dataset slowly (key-load-delay) does not serve
slow=$((base + 7))
t_start_node 127.0.0.1 $slow --save "" --enable-debug-command yes || t_not_ok "node $slow starts"
"$T_REDIS_CLI" -p $slow debug populate 30000 >/dev/null
"$T_REDIS_CLI" -p $slow save >/dev/null
"$T_REDIS_CLI" -p $slow shutdown nosave >/dev/null 2>&1
t_wait 10 bash -c "! '$T_REDIS_CLI' -p $slow ping" || t_not_ok "node $slow stopped"
t_spawn_node 127.0.0.1 $slow --save "" --key-load-delay 100 --loading-process-events-interval-bytes 1024
t_wait 10 bash -c "'$T_REDIS_CLI' -p $slow info persistence | grep -q '^loading:1'"
t_run in_image shardctl ready 127.0.0.1:$slow
t_eq 1 "$T_RC" "ready: a node loading its dataset does not serve"
t_contains "$T_OUT" "loading" "ready says it is loading ($T_OUT)"
t_run in_image shardctl ready 127.0.0.1:$slow --wait 60
t_eq 0 "$T_RC" "ready --wait: it serves once loaded ($T_OUT)"

t_done
