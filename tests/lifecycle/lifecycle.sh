#!/usr/bin/env bash
# lifecycle.sh - the chart's lifecycle without Kubernetes (TESTING.md, layer 4).
#
# Each release revision is rendered by helm; k8s.py reads the rendered
# manifests and plays the kubelet: the StatefulSet's pods run as redis-server
# processes started by the chart's own start.sh with the rendered redis.conf
# and environment, each pod on its own loopback address (127.0.5.x, ...; only
# paths, the bind address and the pod IP are supplied, as Kubernetes would),
# pod DNS names resolve through nss_wrapper (for the pods and the Jobs alike),
# and the hook Jobs' containers (init containers first) run the rendered
# commands, in Helm's order:
#   pre-upgrade hook (old pods, old ConfigMap and Secret) -> objects applied
#   (StatefulSet scaled: pods started, or stopped and their volume deleted as
#   whenScaled: Delete says) -> post-upgrade hook.
# Steps: install 4x1 with data, upgrade to 5 shards, back to 4, replicas 1 ->
# 2, the same upgrade twice, helm test, every pod restarted on a new address
# (healed by the heal sidecar's rendered command), helm rollback to 5x1 and
# then to 4x1.  After each step the rendered `helm test` (shardctl check
# --shards S --replicas R) passes and every key is verified by sc-load;
# during the shard changes a cluster-aware client reads and writes and must
# see no error.  Then a server image change, redis:7.0.15 -> valkey/valkey:9.1.3,
# rolled pod by pod in the StatefulSet controller's order with the rendered
# preStop handoff and readiness, a client running; then the way back refused
# by the pre-upgrade hook.  LIFECYCLE_KEYS sets the data set size (default 20000).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/../integration/lib/cluster.bash"
source "$(dirname "$0")/../chart/lib/chart.bash"

NKEYS=${LIFECYCLE_KEYS:-20000}
NS=shop
REL=rc
K8S=$T_ROOT/tests/lifecycle/k8s.py
NSS=$(for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do [ -f "$d/libnss_wrapper.so" ] && echo "$d/libnss_wrapper.so" && break; done)
[ -n "$NSS" ] || { t_not_ok "libnss_wrapper.so not found (apt-get install libnss-wrapper)"; t_done; }
[ -x "$SC_LOAD" ] || { t_not_ok "sc-load not built ($SC_LOAD): make tools"; t_done; }
P=$(t_free_ports 1) || { t_not_ok "no free port"; t_done; }

# Two images, as in the chart: the server containers see only the server
# image's binaries (the matrix binaries standing in for the official images:
# redis:7.0.15 -> redis-7.0, valkey/valkey:9.1.3 -> valkey-9.1, under their
# own names, valkey-* or redis-*), the shardctl containers only shardctl (the
# ASan build, not the image's root filesystem: chroot + nss_wrapper per
# container is left out).  Each gets the system's /usr/bin for sh, sed, awk.
mkdir -p "$T_DIR/shardctl-image" "$T_DIR/pods" "$T_DIR/k8s"
ln -s "$SHARDCTL" "$T_DIR/shardctl-image/shardctl"
SC_PATH=$T_DIR/shardctl-image:/usr/bin:/bin
image_path() { # image_path IMAGE: PATH of a server container running IMAGE
	local name srv cli d=$T_DIR/images/${1//[\/:]/_}
	if [ ! -d "$d" ]; then
		case "$1" in
		redis:7.0.15) name=redis-7.0 ;;
		valkey/valkey:9.1.3) name=valkey-9.1 ;;
		*) echo "no stand-in for image $1" >&2; return 1 ;;
		esac
		read -r _ srv cli < <("$T_ROOT/scripts/servers.sh" | grep "^$name ") || return 1
		mkdir -p "$d"
		ln -s "$srv" "$d/$(basename "$srv")"
		ln -s "$cli" "$d/$(basename "$cli")"
	fi
	echo "$d:/usr/bin:/bin"
}
K=$T_DIR/k8s # the objects of the revision applied last (ConfigMap, Secret...)

# Values of every revision: this test's port (each pod has its own address),
# a short node timeout, a password with spaces, quotes and a backslash.
cat >"$T_DIR/values.yaml" <<EOF
port: $P
clusterNodeTimeout: 3000
auth:
  enabled: true
  password: 'life cycle "pw" \\ 1'
hooks:
  deadlineSeconds: 150
image:
  repository: redis
  tag: 7.0.15
rollingRestart:
  handoffSeconds: 20
terminationGracePeriodSeconds: 30
EOF

# nss_wrapper: the cluster DNS (pod names of the headless Service, the
# client Service) as a hosts file, rewritten when pods come and go.
echo "root:x:0:0:root:/root:/bin/sh" >"$T_DIR/passwd"
echo "root:x:0:" >"$T_DIR/group"
: >"$T_DIR/hosts"
NSS_ENV=(LD_PRELOAD="$NSS" NSS_WRAPPER_HOSTS="$T_DIR/hosts" NSS_WRAPPER_PASSWD="$T_DIR/passwd"
	NSS_WRAPPER_GROUP="$T_DIR/group" NSS_WRAPPER_DISABLE_DEEPBIND=1
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}")
nss() { env "${NSS_ENV[@]}" "$@"; }

declare -a POD_IP POD_PID
CLIENTS=0
NEXT_IP=0
new_ip() { # a pod IP never used before: 127.0.5.10, 127.0.5.11, ... 127.0.9.249
	IP=127.0.$((5 + NEXT_IP / 240)).$((10 + NEXT_IP % 240))
	NEXT_IP=$((NEXT_IP + 1))
}

render() { # render REV SHARDS REPLICAS [HELM-ARGS...]: the manifests of a revision
	"$HELM" template "$REL" "$CHART" -n "$NS" -f "$T_DIR/values.yaml" \
		--set shards="$2" --set replicasPerShard="$3" "${@:4}" >"$T_DIR/rev-$1.yaml" ||
		{ t_not_ok "helm template of revision $1"; t_done; }
	REV=$T_DIR/rev-$1.yaml
}

# The StatefulSet's names, from the applied objects.
sts_names() { read -r STS HEADLESS _ <"$K/statefulset"; }
pod_name() { echo "$STS-$1"; }
pod_fqdn() { echo "$STS-$1.$HEADLESS.$NS.svc.cluster.local"; }
client_service() { awk '$2 == "client" { print $1 }' "$K/services"; }

hosts_update() { # DNS: running pods by name; the client Service -> a running pod
	local i first=
	for i in "${!POD_PID[@]}"; do
		echo "${POD_IP[$i]} $(pod_fqdn "$i")"
		[ -n "$first" ] || first=${POD_IP[$i]}
	done >"$T_DIR/hosts.new"
	[ -n "$first" ] && echo "$first $(client_service).$NS.svc.cluster.local" >>"$T_DIR/hosts.new"
	mv "$T_DIR/hosts.new" "$T_DIR/hosts"
}

mounts() { # mounts POD-DIR: volume name -> host folder
	printf '{"data": "%s/data", "run": "%s/run", "tmp": "%s/tmp", "config": "%s/config", "auth": "%s/secret", "handoff": "%s/handoff"}' \
		"$1" "$1" "$1" "$1" "$K" "$1"
}

config_volume() { # config_volume POD-DIR: the kubelet refreshes the pod's ConfigMap volume
	# redis.conf's `dir /data` is the one path adapted to the pod's folder
	# (redis-server changes to it while reading the file).
	mkdir -p "$1/config"
	cp "$K"/configmap/* "$1/config/"
	sed -i "s|^dir /data\$|dir $1/data|" "$1/config/redis.conf"
}

container() { # container WHAT NAME POD-NAME POD-IP POD-DIR: fills ENVS and CMD
	local words i
	mapfile -d '' words < <("$PYTHON" "$K8S" run "$REV" "$1" "$2" "$3" "$4" "$(mounts "$5")")
	ENVS=() CMD=()
	for ((i = 0; i < ${#words[@]}; i++)); do
		[ "${words[$i]}" = -- ] && break
		ENVS+=("${words[$i]}")
	done
	CMD=("${words[@]:$((i + 1))}")
	# a pod's localhost is the pod itself: here, its own loopback address
	CMD=("${CMD[@]//127.0.0.1:/$4:}")
	[ ${#CMD[@]} -gt 0 ] || { t_not_ok "no command for $1/$2"; return 1; }
}

pod_start() { # pod_start I: the kubelet starts pod I on a new IP, volume kept
	local d=$T_DIR/pods/$1 path
	new_ip
	rm -rf "$d/run" "$d/handoff" "$d/tmp" # emptyDirs: new with each pod
	mkdir -p "$d/data" "$d/run" "$d/tmp" "$d/handoff"
	config_volume "$d"
	path=$(image_path "$("$PYTHON" "$K8S" image "$REV" redis)") || { t_not_ok "image of pod $1"; return 1; }
	container statefulset redis "$(pod_name "$1")" "$IP" "$d" || return 1
	# Paths, bind address, DNS: what Kubernetes provides (mounts, the pod's
	# own network namespace, cluster DNS: redis-server resolves names too,
	# e.g. the target of a MIGRATE); everything else as rendered.
	env -i PATH="$path" "${NSS_ENV[@]}" "${ENVS[@]}" REDIS_CONF_DIR="$d/config" REDIS_RUN_DIR="$d/run" \
		"${CMD[@]}" --bind "$IP" --logfile "$d/redis.log" --daemonize no >>"$d/stdout" 2>&1 &
	POD_PID[$1]=$!
	POD_IP[$1]=$IP
	"$PYTHON" "$K8S" image "$REV" redis >"$d/image"
	T_PIDS+=($!)
	disown $!
}

pod_stop() { # pod_stop I: SIGTERM (redis-server saves), SIGKILL after 10 s
	local pid=${POD_PID[$1]}
	kill -TERM "$pid" 2>/dev/null
	t_wait 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	unset "POD_PID[$1]" "POD_IP[$1]"
}

probe() { # probe I readiness|liveness: the rendered probe, run in pod I
	# (readiness: the shardctl sidecar's; liveness: the server container's)
	local c=shardctl path=$SC_PATH
	[ "$2" = readiness ] || { c=redis path=$(image_path "$(cat "$T_DIR/pods/$1/image")"); }
	container statefulset "$c/${2}Probe" "$(pod_name "$1")" "${POD_IP[$1]}" "$T_DIR/pods/$1" || return 1
	env -i PATH="$path" "${NSS_ENV[@]}" "${ENVS[@]}" REDIS_CONF_DIR="$T_DIR/pods/$1/config" REDIS_HOST="${POD_IP[$1]}" "${CMD[@]}"
}

pods_ready() { # every running pod passes its readiness probe (deadline 15 s)
	local i
	for i in "${!POD_PID[@]}"; do
		t_wait 15 probe "$i" readiness || { t_not_ok "$1: pod $i not Ready: $(probe "$i" readiness)"; return 1; }
	done
	t_ok "$1: every pod Ready (${#POD_PID[@]} pods)"
}

apply() { # apply STEP: the revision's objects applied, the StatefulSet scaled
	local i want stops old_template=
	[ -f "$K/pod-template.json" ] && old_template=$(cat "$K/pod-template.json")
	"$PYTHON" "$K8S" objects "$REV" "$K" || { t_not_ok "$1: objects"; return 1; }
	sts_names
	if [ -n "$old_template" ]; then
		t_eq "$old_template" "$(cat "$K/pod-template.json")" "$1: pod template unchanged (no pod restarted)"
	fi
	want=$(cat "$K/replicas")
	stops=()
	for i in "${!POD_PID[@]}"; do # Parallel: every surplus pod at once
		if [ "$i" -ge "$want" ]; then
			pod_stop "$i" &
			stops+=($!)
		fi
	done
	[ ${#stops[@]} -eq 0 ] || wait "${stops[@]}"
	for i in "${!POD_PID[@]}"; do
		if [ "$i" -ge "$want" ]; then
			unset "POD_PID[$i]" "POD_IP[$i]"
			[ "$(cat "$K/when-scaled")" = Delete ] && rm -rf "$T_DIR/pods/$i"
		fi
	done
	for i in "${!POD_PID[@]}"; do config_volume "$T_DIR/pods/$i"; done
	for ((i = 0; i < want; i++)); do
		[ -n "${POD_PID[$i]:-}" ] || pod_start "$i"
	done
	hosts_update
}

hook() { # hook STEP NAME: the Job of hook NAME, each container in order
	local c deadline log=$T_DIR/hook.log rc
	mapfile -t cs < <("$PYTHON" "$K8S" containers "$REV" "hook:$2")
	deadline=$(printf '%s\n' "${cs[@]}" | sed -n 's/^deadline //p')
	: >"$log"
	for c in "${cs[@]}"; do
		[[ $c == deadline* ]] && continue
		mkdir -p "$T_DIR/job/tmp"
		container "hook:$2" "$c" "$REL-$2" 127.0.0.1 "$T_DIR/job" || return 1
		echo "\$ ${CMD[*]}" >>"$log"
		timeout "$deadline" env -i PATH="$SC_PATH" "${NSS_ENV[@]}" "${ENVS[@]}" "${CMD[@]}" >>"$log" 2>&1
		rc=$?
		t_eq 0 "$rc" "$1: $2 hook, container $c (${CMD[*]:0:2})"
		if [ "$rc" -ne 0 ]; then
			grep -v 'waiting for every node to agree' "$log" | tail -n 25 | sed 's/^/    | /'
			grep 'waiting for every node to agree' "$log" | tail -n 3 | sed 's/^/    | /'
			echo "    cluster nodes seen from pod 0:"
			rcli 0 cluster nodes | sed 's/^/    | /'
			return 1
		fi
	done
	cp "$log" "$T_DIR/hook-$1-$2.log"
}

helm_test() { # helm_test STEP: the rendered test Pod's shardctl check
	mkdir -p "$T_DIR/job/tmp"
	container test check "$REL-test" 127.0.0.1 "$T_DIR/job" || return 1
	# Right after a hook the cluster must already be healthy; after the
	# restart (HELM_TEST_WAIT) gossip may still be settling.
	[ -z "${HELM_TEST_WAIT:-}" ] || t_wait "$HELM_TEST_WAIT" env -i PATH="$SC_PATH" "${NSS_ENV[@]}" "${ENVS[@]}" "${CMD[@]}"
	t_run env -i PATH="$SC_PATH" "${NSS_ENV[@]}" "${ENVS[@]}" "${CMD[@]}"
	t_eq 0 "$T_RC" "$1: helm test (${CMD[*]:1:1} ${CMD[*]:3:4}) $T_ERR"
}

# sc-load runs as a pod would: through the client Service's DNS name
C_WRAP=(nss)
client_seed() { echo "$(client_service).$NS.svc.cluster.local:$P"; }
verify_step() { # verify_step STEP: every key read back through the cluster
	C_SEED=$(client_seed) verify_keys "$1" "$NKEYS" --password-file "$K/secret/password"
}

client_start() { # a cluster-aware client reading and writing until client_stop
	CLIENTS=$((CLIENTS + 1)) # each in a key namespace of its own
	env "${NSS_ENV[@]}" "$SC_LOAD" run --seed "$(client_seed)" --seconds 600 --rate 500 \
		--run-prefix "live$CLIENTS" --password-file "$K/secret/password" >"$T_DIR/client.out" 2>&1 &
	CLIENT=$!
	T_PIDS+=($CLIENT)
}
client_stop() { # client_stop STEP: the client saw no error and lost no write
	local rc
	kill -TERM "$CLIENT"
	t_wait 30 bash -c "! kill -0 $CLIENT" || kill -9 "$CLIENT"
	wait "$CLIENT"
	rc=$?
	t_eq 0 "$rc" "$1: a client reading and writing throughout saw no error: $(grep '^run:' "$T_DIR/client.out")"
	[ "$rc" -eq 0 ] || tail -n 8 "$T_DIR/client.out" | sed 's/^/    | /'
}

auth() { REDISCLI_AUTH=$(cat "$K/secret/password") "$@"; } # auth CMD...: with the chart's password
rcli() { auth cli "${POD_IP[$1]}:$P" --no-auth-warning "${@:2}"; } # rcli I args...: pod I's node
pod0() { echo "${POD_IP[0]}:$P"; }

shard_map() { # each shard (its master and replicas, by node id) with its slots
	rcli 0 cluster nodes | "$PYTHON" -c '
import sys
shards = {}
lines = [l.split() for l in sys.stdin if l.strip() and "fail" not in l.split()[2]]
for f in lines:
    if f[3] == "-":
        shards.setdefault(f[0], [set(), " ".join(f[8:])])[0].add(f[0])
for f in lines:
    if f[3] != "-" and f[3] in shards:
        shards[f[3]][0].add(f[0])
for members, slots in sorted((sorted(m), sl) for m, sl in shards.values()):
    print(",".join(members), slots)'
}
departing_hold_nothing() { # STEP SHARDS REPLICAS: after the pre-* hook, the
	# pods about to go own no slot and no staying node replicates them
	local i id n ids=" " keep=$(($2 * (1 + $3)))
	for i in "${!POD_PID[@]}"; do
		[ "$i" -lt "$keep" ] || ids+="$(rcli "$i" cluster myid) "
	done
	for i in "${!POD_PID[@]}"; do
		[ "$i" -lt "$keep" ] && continue
		id=$(rcli "$i" cluster myid)
		t_eq "" "$(rcli 0 cluster nodes | awk -v id="$id" '$1 == id { for (i = 9; i <= NF; i++) printf "%s ", $i }')" \
			"$1: departing pod $i owns no slot before it is deleted"
		n=$(rcli 0 cluster nodes | awk -v id="$id" -v gone="$ids" '$4 == id && index(gone, " " $1 " ") == 0' | wc -l)
		t_eq 0 "$n" "$1: no staying node replicates departing pod $i"
		[ "$n" = 0 ] || rcli 0 cluster nodes | sed 's/^/    | /'
	done
}

upgrade() { # upgrade STEP REV SHARDS REPLICAS
	render "$2" "$3" "$4"
	hook "$1" pre-upgrade || return 1
	departing_hold_nothing "$1" "$3" "$4"
	lifecycle_apply "$1" "$3" "$4" post-upgrade
}

lifecycle_apply() { # STEP SHARDS REPLICAS POST-HOOK: objects applied, pods Ready, post hook
	local i before=" ${!POD_PID[*]} "
	apply "$1" || return 1
	pods_ready "$1" || return 1
	for i in "${!POD_PID[@]}"; do
		[[ $before == *" $i "* ]] && continue
		t_eq 1 "$(rcli "$i" cluster info | tr -d '\r' | grep -c '^cluster_known_nodes:1$')" \
			"$1: new pod $i is Ready before it is a member"
	done
	hook "$1" "$4" || return 1
}

# --- install: 4 shards x 1 replica, then data
render 1 4 1
apply install
t_eq 8 "${#POD_PID[@]}" "install: the StatefulSet runs 8 pods"
pods_ready "install (before any cluster exists: readiness ignores membership)" || t_done
t_eq 1 "$(rcli 0 cluster info | tr -d '\r' | grep -c 'cluster_known_nodes:1$')" "install: pods are not in a cluster yet"
hook install post-install || t_done
C_SEED=$(client_seed) fill_keys "$NKEYS" --password-file "$K/secret/password"
helm_test install
verify_step install

# --- upgrade to 5 shards: pre-upgrade (nothing leaves), 2 pods more, post-upgrade
client_start
upgrade "4->5 shards" 2 5 1 || t_done
client_stop "4->5 shards"
t_eq 10 "${#POD_PID[@]}" "4->5 shards: 10 pods"
helm_test "4->5 shards"
verify_step "4->5 shards"
t_eq "$(even_counts 5)" "$(auth slot_counts "$(pod0)")" "4->5 shards: every master owns 3276 or 3277 slots"

# --- back to 4 shards: pre-upgrade drains pods 8 and 9, then they go
client_start
upgrade "5->4 shards" 3 4 1 || t_done
client_stop "5->4 shards"
t_eq 8 "${#POD_PID[@]}" "5->4 shards: 8 pods"
helm_test "5->4 shards"
verify_step "5->4 shards"

# --- replicas 1 -> 2
upgrade "replicas 1->2" 4 4 2 || t_done
t_eq 12 "${#POD_PID[@]}" "replicas 1->2: 12 pods"
helm_test "replicas 1->2"
verify_step "replicas 1->2"

# --- the same upgrade again: nothing moves
before=$(auth slot_map "$(pod0)")
upgrade "same upgrade twice" 5 4 2 || t_done
t_eq "$before" "$(auth slot_map "$(pod0)")" "same upgrade twice: the slot map did not change"
t_contains "$(cat "$T_DIR/hook-same upgrade twice-post-upgrade.log")" "nothing to do" \
	"same upgrade twice: the post-upgrade hook says there is nothing to do"
helm_test "same upgrade twice"
verify_step "same upgrade twice"

# --- helm test, on its own
helm_test "helm test"

# --- every pod restarted at once on a new address (volumes kept)
before=$(shard_map)
old_ips="${POD_IP[*]}"
stops=()
for i in "${!POD_PID[@]}"; do
	pod_stop "$i" &
	stops+=($!)
done
wait "${stops[@]}"
POD_PID=() POD_IP=()
for ((i = 0; i < $(cat "$K/replicas"); i++)); do pod_start "$i"; done
hosts_update
t_not_contains "$old_ips" "${POD_IP[0]} " "restart: pod 0 has a new address"
# Readiness comes after the heal: a replica serves once its link to its
# master is up again, which takes the heal (the sidecars heal whether their
# pod is Ready or not).
# Every pod's heal sidecar takes one look (HEAL_ONCE) and heals if needed.
healed=0
for i in "${!POD_PID[@]}"; do
	container statefulset shardctl "$(pod_name "$i")" "${POD_IP[$i]}" "$T_DIR/pods/$i" || break
	t_run env -i PATH="$SC_PATH" "${NSS_ENV[@]}" "${ENVS[@]}" HEAL_ONCE=1 REDIS_CONF_DIR="$T_DIR/pods/$i/config" \
		REDIS_HOST="${POD_IP[$i]}" "${CMD[@]}"
	t_eq 0 "$T_RC" "restart: heal sidecar of pod $i"
	[ "$T_RC" -eq 0 ] || printf '%s\n%s\n' "$T_OUT" "$T_ERR" | tail -n 20 | sed 's/^/    | /'
	case "$T_OUT" in *"sees its cluster broken"*) healed=$((healed + 1)) ;; esac
done
[ "$healed" -ge 1 ] && t_ok "restart: the sidecars saw the cluster broken; $healed of them ran shardctl heal" ||
	t_not_ok "restart: no sidecar ran shardctl heal"
for i in "${!POD_PID[@]}"; do t_wait 30 probe "$i" readiness; done
pods_ready "restart (after the heal)"
HELM_TEST_WAIT=20 helm_test restart
verify_step restart
# A replica may have been promoted while the links were down (Redis's own
# failover); each shard keeps its members and its slots.
t_eq "$before" "$(shard_map)" "restart: heal moved no slot (each shard keeps its members and slots)"

# --- helm rollback: Helm renders the hooks of the revision rolled back to.
# To revision 2 (5 shards x 1: shards up and replicas down at once), then to
# revision 3 (4 x 1: a shard leaves).
rollback() { # rollback REV SHARDS REPLICAS
	local step="rollback to revision $1 (${2}x$3)"
	REV=$T_DIR/rev-$1.yaml
	hook "$step" pre-rollback || return 1
	departing_hold_nothing "$step" "$2" "$3"
	lifecycle_apply "$step" "$2" "$3" post-rollback || return 1
	t_eq $(($2 * (1 + $3))) "${#POD_PID[@]}" "$step: $(($2 * (1 + $3))) pods"
	helm_test "$step"
	verify_step "$step"
	t_eq "$(even_counts "$2")" "$(auth slot_counts "$(pod0)")" "$step: every master owns floor or ceil of 16384/$2 slots"
}
rollback 2 5 1 # a failure here is counted; revision 3 reconciles again
rollback 3 4 1 || t_done

# --- a server image change: redis:7.0.15 -> valkey/valkey:9.1.3 (helm upgrade
# changing image.*), on the 4x1 cluster that went 4 -> 5 -> 4 shards.  The
# pre-upgrade hook (upgrade-check, evacuate) runs against the old pods; the
# StatefulSet's pod template changed, so the controller rolls the pods in its
# real order: highest ordinal first, each pod: both preStop hooks as
# rendered, at once (the sidecar's shardctl handoff, the server's wait for
# its marker), SIGTERM, the pod started again with the new image (volume
# kept, a new IP), then its readiness probe as rendered until Ready, and
# only then the next pod.  A client reads and writes throughout.
prestop() { # prestop I CONTAINER PATH: the rendered preStop of one container of pod I
	container statefulset "$2/preStop" "$(pod_name "$1")" "${POD_IP[$1]}" "$T_DIR/pods/$1" || return 1
	timeout "$(($(grace) + 5))" env -i PATH="$3" "${NSS_ENV[@]}" "${ENVS[@]}" "${CMD[@]}" \
		>"$T_DIR/prestop-$2-$1.out" 2>&1
}
grace() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["spec"]["terminationGracePeriodSeconds"])' \
	"$K/pod-template.json"; }
roll() { # roll STEP: the StatefulSet's rolling update to the applied revision
	local i n=0 handed=0 t0 ready_s
	for ((i = $(cat "$K/replicas") - 1; i >= 0; i--)); do
		t0=$(date +%s%N)
		prestop "$i" shardctl "$SC_PATH" &
		local a=$!
		prestop "$i" redis "$(image_path "$(cat "$T_DIR/pods/$i/image")")"
		wait $a
		grep -q "handed off" "$T_DIR/prestop-shardctl-$i.out" && handed=$((handed + 1))
		grep -q "no in-sync replica" "$T_DIR/prestop-shardctl-$i.out" &&
			t_not_ok "$1: pod $i: $(grep "no in-sync" "$T_DIR/prestop-shardctl-$i.out")"
		t_contains "$(cat "$T_DIR/prestop-redis-$i.out")" "exit 0" "$1: pod $i: the server's preStop saw the handoff finish"
		pod_stop "$i"
		pod_start "$i" || return 1
		hosts_update
		t_wait 60 probe "$i" readiness
		t_eq 0 $? "$1: pod $i Ready again on $(cat "$T_DIR/pods/$i/image") ($(( ($(date +%s%N) - t0) / 1000000 )) ms from preStop)"
		n=$((n + 1))
	done
	t_ok "$1: $n pods rolled, $handed masters handed off their slots before stopping"
	ROLL_HANDED=$handed
}
render 6 4 1 --set image.repository=valkey/valkey --set image.tag=9.1.3
client_start
hook "image change" pre-upgrade || t_done
"$PYTHON" "$K8S" objects "$REV" "$K" || t_not_ok "image change: objects"
for i in "${!POD_PID[@]}"; do config_volume "$T_DIR/pods/$i"; done
roll "image change" || t_done
hook "image change" post-upgrade || t_done
client_stop "image change (rolling update)"
[ "$ROLL_HANDED" -ge 4 ] && t_ok "image change: every master (4) handed off" || t_not_ok "image change: only $ROLL_HANDED handoffs"
t_eq 0 "$(for i in "${!POD_PID[@]}"; do rcli "$i" info server | tr -d '\r' | grep -c '^server_name:valkey' ; done | grep -c '^0$')" \
	"image change: every pod runs valkey"
helm_test "image change"
verify_step "image change"

# --- back to redis:7.0.15: the pre-upgrade hook refuses it before any pod restarts
render 7 4 1
before=$(auth slot_map "$(pod0)")
container "hook:pre-upgrade" upgrade-check "$REL-pre-upgrade" 127.0.0.1 "$T_DIR/job" || t_done
t_run env -i PATH="$SC_PATH" "${NSS_ENV[@]}" "${ENVS[@]}" "${CMD[@]}"
t_eq 2 "$T_RC" "valkey 9.1 -> redis 7.0: the pre-upgrade hook's upgrade-check refuses"
t_contains "$T_ERR" "redis 7.0.15 cannot read the data of" "valkey 9.1 -> redis 7.0: says why"
t_eq "$before" "$(auth slot_map "$(pod0)")" "valkey 9.1 -> redis 7.0: nothing changed"

t_done
