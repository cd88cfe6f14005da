#!/usr/bin/env bash
# lifecycle.bash - the chart's lifecycle without Kubernetes (TESTING.md,
# layer 4), shared by the scripts of tests/lifecycle/ (each tells one story;
# the runner runs them as separate tests).  Source it first.
#
# Each release revision is rendered by helm (render); k8s.py reads the
# rendered manifests and plays the kubelet: the StatefulSet's pods run as
# server processes started by the chart's own start.sh with the rendered
# redis.conf and environment, each pod on its own loopback address
# (127.0.5.x, ...; only paths, the bind address and the pod IP are supplied,
# as Kubernetes would), pod DNS names resolve through nss_wrapper (for the
# pods and the Jobs alike), and the hook Jobs' containers (init containers
# first) run the rendered commands, in Helm's order (upgrade):
#   pre-upgrade hook (old pods, old ConfigMap and Secret) -> objects applied
#   (StatefulSet scaled: pods started, or stopped and their volume deleted as
#   whenScaled: Delete says) -> post-upgrade hook.
# A change of the pod template rolls the pods (roll) in the StatefulSet
# controller's order: highest ordinal first; for each pod both preStop hooks
# as rendered, at once (the sidecar's shardctl handoff, the server's wait for
# its marker), SIGTERM, the pod started again with the new template (a new
# IP; its volume kept, or with persistence off an emptyDir: a new, empty data
# folder), then its readiness probe as rendered until Ready, and only then
# the next pod.  With persistence off the heal sidecar's loop takes its look
# (HEAL_ONCE) while the restarted pod is not Ready (the real loop waits up to
# heal.intervalSeconds * 1.5 first).
#
LC_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$LC_LIB/../../lib/test-lib.bash"
source "$LC_LIB/../../lib/image.bash"
source "$LC_LIB/../../integration/lib/cluster.bash"
source "$LC_LIB/../../chart/lib/chart.bash"

NKEYS=${LIFECYCLE_KEYS:-20000}
NS=shop
REL=rc
K8S=$LC_LIB/k8s.py
LC_SET=(${LC_SET[@]+"${LC_SET[@]}"})
NSS=$(for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do [ -f "$d/libnss_wrapper.so" ] && echo "$d/libnss_wrapper.so" && break; done)
[ -n "$NSS" ] || { t_not_ok "libnss_wrapper.so not found (apt-get install libnss-wrapper)"; t_done; }
[ -x "$SC_LOAD" ] || { t_not_ok "sc-load not built ($SC_LOAD): make tools"; t_done; }
P=$(t_free_ports 1) || { t_not_ok "no free port"; t_done; }

# The shardctl containers: the image's root filesystem (W: the emulated
# cluster's folders, inside it; IN: the same seen from inside), or the ASan
# build on the host (W = IN).
if [ "${LIFECYCLE_SHARDCTL:-image}" = asan ]; then
	W=$T_DIR/lc IN=$T_DIR/lc
	mkdir -p "$W/shardctl-image"
	ln -s "$SHARDCTL" "$W/shardctl-image/shardctl"
	SC_NSS_LIB=$NSS
	SC_PREFIX=(env -i PATH="$W/shardctl-image:/usr/bin:/bin")
	SC_ON="the ASan build"
else
	[ "$(id -u)" -eq 0 ] || { t_not_ok "shardctl from the image runs under chroot: needs root (or LIFECYCLE_SHARDCTL=asan)"; t_done; }
	image_archive || { t_not_ok "the shardctl image builds: $IMAGE_BUILD_LOG"; t_done; }
	ROOT=$T_DIR/root
	image_unpack "$IMAGE_ARCHIVE" "$ROOT" || { t_not_ok "the image unpacks"; t_done; }
	rm -rf "$ROOT.oci"
	W=$ROOT/lc IN=/lc
	mkdir -p "$W"
	cp "$NSS" "$ROOT/usr/local/lib/libnss_wrapper.so"
	SC_NSS_LIB=/usr/local/lib/libnss_wrapper.so
	SC_PREFIX=(chroot --userspec=1001:1001 "$ROOT" env -i PATH=/usr/local/bin:/usr/bin:/bin)
	SC_ON="the image ($IMAGE_REF), as uid 1001"
fi
inside() { echo "${1/#$W/$IN}"; } # inside PATH: a host path as shardctl sees it
mkdir -p "$W/pods" "$W/k8s"
chmod 755 "$W" "$W/pods" "$W/k8s"
image_path() { # image_path IMAGE: PATH of a server container running IMAGE
	local name srv cli d=$T_DIR/images/${1//[\/:]/_}
	if [ ! -d "$d" ]; then
		case "$1" in
		redis:7.0.15) name=redis-7.0 ;;
		valkey/valkey:9.1.3) name=valkey-9.1 ;;
		redis:8.6.3) name=redis-8.6 ;;
		*) echo "no stand-in for image $1" >&2; return 1 ;;
		esac
		read -r _ srv cli < <("$T_ROOT/scripts/servers.sh" | grep "^$name ") || return 1
		mkdir -p "$d"
		ln -s "$srv" "$d/$(basename "$srv")"
		ln -s "$cli" "$d/$(basename "$cli")"
	fi
	echo "$d:/usr/bin:/bin"
}
K=$W/k8s # the objects of the revision applied last (ConfigMap, Secret...)

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
[ ${#LC_SET[@]} -eq 0 ] || echo "every revision: ${LC_SET[*]}"

# nss_wrapper: the cluster DNS (pod names of the headless Service, the
# client Service) as a hosts file, rewritten when pods come and go.
printf 'root:x:0:0:root:/root:/bin/sh\nshardctl:x:1001:1001::/nonexistent:/bin/sh\n' >"$W/passwd"
printf 'root:x:0:\nshardctl:x:1001:\n' >"$W/group"
: >"$W/hosts"
NSS_ENV=(LD_PRELOAD="$NSS" NSS_WRAPPER_HOSTS="$W/hosts" NSS_WRAPPER_PASSWD="$W/passwd"
	NSS_WRAPPER_GROUP="$W/group" NSS_WRAPPER_DISABLE_DEEPBIND=1
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}")
nss() { env "${NSS_ENV[@]}" "$@"; }
# SC: how a shardctl container starts (then its environment and command)
SC=("${SC_PREFIX[@]}" LD_PRELOAD="$SC_NSS_LIB" NSS_WRAPPER_HOSTS="$(inside "$W/hosts")"
	NSS_WRAPPER_PASSWD="$(inside "$W/passwd")" NSS_WRAPPER_GROUP="$(inside "$W/group")" NSS_WRAPPER_DISABLE_DEEPBIND=1
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}")
echo "shardctl containers run $SC_ON"

declare -a POD_IP POD_PID
CLIENTS=0
NEXT_IP=0
new_ip() { # a pod IP never used before: 127.0.5.10, 127.0.5.11, ... 127.0.9.249
	IP=127.0.$((5 + NEXT_IP / 240)).$((10 + NEXT_IP % 240))
	NEXT_IP=$((NEXT_IP + 1))
}

render() { # render REV SHARDS REPLICAS [HELM-ARGS...]: the manifests of a revision
	"$HELM" template "$REL" "$CHART" -n "$NS" -f "$T_DIR/values.yaml" "${LC_SET[@]}" \
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
	done >"$W/hosts.new"
	[ -n "$first" ] && echo "$first $(client_service).$NS.svc.cluster.local" >>"$W/hosts.new"
	chmod 644 "$W/hosts.new"
	mv "$W/hosts.new" "$W/hosts"
}

mounts() { # mounts POD-DIR K-DIR: volume name -> host folder
	printf '{"data": "%s/data", "run": "%s/run", "tmp": "%s/tmp", "config": "%s/config", "auth": "%s/secret", "handoff": "%s/handoff"}' \
		"$1" "$1" "$1" "$1" "$2" "$1"
}

config_volume() { # config_volume POD-DIR: the kubelet refreshes the pod's ConfigMap volume
	# redis.conf's `dir /data` is the one path adapted to the pod's folder
	# (redis-server changes to it while reading the file).
	mkdir -p "$1/config"
	cp "$K"/configmap/* "$1/config/"
	sed -i "s|^dir /data\$|dir $1/data|" "$1/config/redis.conf"
}

container() { # container WHAT NAME POD-NAME POD-IP POD-DIR: fills ENVS and CMD
	# (paths as the container sees them: a shardctl container's inside W)
	local words i m
	case "$1/$2" in
	statefulset/redis*) m=$(mounts "$5" "$K") ;;
	*) m=$(mounts "$(inside "$5")" "$(inside "$K")") ;;
	esac
	mapfile -d '' words < <("$PYTHON" "$K8S" run "$REV" "$1" "$2" "$3" "$4" "$m")
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
	local d=$W/pods/$1 path
	new_ip
	rm -rf "$d/run" "$d/handoff" "$d/tmp" # emptyDirs: new with each pod
	# the data volume: kept (a claim), or an emptyDir (persistence off)
	[ "$(cat "$K/data-volume")" = claim ] || rm -rf "$d/data"
	mkdir -p "$d/data" "$d/run" "$d/tmp" "$d/handoff"
	chmod 755 "$d"
	chmod 1777 "$d/tmp" "$d/handoff" # emptyDirs are world-writable
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
	local d=$W/pods/$1
	if [ "$2" = readiness ]; then
		container statefulset "shardctl/${2}Probe" "$(pod_name "$1")" "${POD_IP[$1]}" "$d" || return 1
		"${SC[@]}" "${ENVS[@]}" REDIS_CONF_DIR="$(inside "$d/config")" REDIS_HOST="${POD_IP[$1]}" "${CMD[@]}"
		return
	fi
	container statefulset "redis/${2}Probe" "$(pod_name "$1")" "${POD_IP[$1]}" "$d" || return 1
	env -i PATH="$(image_path "$(cat "$d/image")")" "${NSS_ENV[@]}" "${ENVS[@]}" REDIS_CONF_DIR="$d/config" \
		REDIS_HOST="${POD_IP[$1]}" "${CMD[@]}"
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
			[ "$(cat "$K/when-scaled")" = Delete ] && rm -rf "$W/pods/$i"
		fi
	done
	for i in "${!POD_PID[@]}"; do config_volume "$W/pods/$i"; done
	for ((i = 0; i < want; i++)); do
		[ -n "${POD_PID[$i]:-}" ] || pod_start "$i"
	done
	hosts_update
}

job_dir() { mkdir -p "$W/job/tmp" && chmod 755 "$W/job" && chmod 1777 "$W/job/tmp"; }
hook() { # hook STEP NAME: the Job of hook NAME, each container in order
	local c deadline log=$T_DIR/hook.log rc
	mapfile -t cs < <("$PYTHON" "$K8S" containers "$REV" "hook:$2")
	deadline=$(printf '%s\n' "${cs[@]}" | sed -n 's/^deadline //p')
	: >"$log"
	for c in "${cs[@]}"; do
		[[ $c == deadline* ]] && continue
		job_dir
		container "hook:$2" "$c" "$REL-$2" 127.0.0.1 "$W/job" || return 1
		echo "\$ ${CMD[*]}" >>"$log"
		timeout "$deadline" "${SC[@]}" "${ENVS[@]}" "${CMD[@]}" >>"$log" 2>&1
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
	job_dir
	container test check "$REL-test" 127.0.0.1 "$W/job" || return 1
	# Right after a hook the cluster must already be healthy; after the
	# restart (HELM_TEST_WAIT) gossip may still be settling.
	[ -z "${HELM_TEST_WAIT:-}" ] || t_wait "$HELM_TEST_WAIT" "${SC[@]}" "${ENVS[@]}" "${CMD[@]}"
	t_run "${SC[@]}" "${ENVS[@]}" "${CMD[@]}"
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
	C_CLIENT=$! # client_stop (integration/lib/cluster.bash): no error, no write lost
	T_PIDS+=($C_CLIENT)
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

upgrade() { # upgrade STEP REV SHARDS REPLICAS [HELM-ARGS...]
	render "$2" "$3" "$4" "${@:5}"
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

prestop() { # prestop I CONTAINER [PATH]: the rendered preStop of one container of pod I
	container statefulset "$2/preStop" "$(pod_name "$1")" "${POD_IP[$1]}" "$W/pods/$1" || return 1
	if [ "$2" = shardctl ]; then
		timeout "$(($(grace) + 5))" "${SC[@]}" "${ENVS[@]}" "${CMD[@]}" >"$T_DIR/prestop-$2-$1.out" 2>&1
	else
		timeout "$(($(grace) + 5))" env -i PATH="$3" "${NSS_ENV[@]}" "${ENVS[@]}" "${CMD[@]}" \
			>"$T_DIR/prestop-$2-$1.out" 2>&1
	fi
}
grace() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["spec"]["terminationGracePeriodSeconds"])' \
	"$K/pod-template.json"; }
roll() { # roll STEP: the StatefulSet's rolling update to the applied revision
	local i n=0 handed=0 t0
	for ((i = $(cat "$K/replicas") - 1; i >= 0; i--)); do
		t0=$(date +%s%N)
		prestop "$i" shardctl &
		local a=$!
		prestop "$i" redis "$(image_path "$(cat "$W/pods/$i/image")")"
		wait $a
		grep -q "handed off" "$T_DIR/prestop-shardctl-$i.out" && handed=$((handed + 1))
		grep -q "no in-sync replica" "$T_DIR/prestop-shardctl-$i.out" &&
			t_not_ok "$1: pod $i: $(grep "no in-sync" "$T_DIR/prestop-shardctl-$i.out")"
		t_contains "$(cat "$T_DIR/prestop-redis-$i.out")" "exit 0" "$1: pod $i: the server's preStop saw the handoff finish"
		pod_stop "$i"
		pod_start "$i" || return 1
		hosts_update
		[ "$(cat "$K/data-volume")" = claim ] || rejoin "$1" "$i" || return 1
		t_wait 60 probe "$i" readiness
		t_eq 0 $? "$1: pod $i Ready again on $(cat "$W/pods/$i/image") ($(( ($(date +%s%N) - t0) / 1000000 )) ms from preStop)"
		n=$((n + 1))
	done
	t_ok "$1: $n pods rolled, $handed masters handed off their slots before stopping"
	ROLL_HANDED=$handed
}

sidecar_heal() { # sidecar_heal I: the heal sidecar of pod I takes one look (HEAL_ONCE); T_RC, T_OUT
	local d=$W/pods/$1
	container statefulset shardctl "$(pod_name "$1")" "${POD_IP[$1]}" "$d" || return 1
	t_run "${SC[@]}" "${ENVS[@]}" HEAL_ONCE=1 REDIS_CONF_DIR="$(inside "$d/config")" REDIS_HOST="${POD_IP[$1]}" "${CMD[@]}"
}
rejoin() { # rejoin STEP I: persistence off: pod I restarted empty
	# Readiness holds it (it takes a member's place) until the heal loop's
	# look has rejoined it; the StatefulSet waits.
	local out
	t_wait 10 probe "$2" liveness || { t_not_ok "$1: pod $2 does not answer after its restart"; return 1; }
	out=$(probe "$2" readiness)
	t_eq "1 restarted empty" "$? $(grep -o 'restarted empty' <<<"$out")" "$1: pod $2 restarted empty: not Ready before it rejoined (${out#not ready: })"
	sidecar_heal "$2"
	t_eq 0 "$T_RC" "$1: pod $2: its heal sidecar rejoins it ($(grep -o "restarted empty in the place of member.*" <<<"$T_OUT" | head -n 1))"
	[ "$T_RC" -eq 0 ] || printf '%s\n%s\n' "$T_OUT" "$T_ERR" | tail -n 15 | sed 's/^/    | /'
	ROLL_REJOINED=$((ROLL_REJOINED + 1))
}
ROLL_REJOINED=0

# --- steps the scripts share
lc_install() { # lc_install SHARDS REPLICAS: helm install, data, helm test, every key read back
	render 1 "$1" "$2"
	apply install
	t_eq $(($1 * (1 + $2))) "${#POD_PID[@]}" "install: the StatefulSet runs $(($1 * (1 + $2))) pods"
	pods_ready "install (before any cluster exists: readiness ignores membership)" || t_done
	t_eq 1 "$(rcli 0 cluster info | tr -d '\r' | grep -c 'cluster_known_nodes:1$')" "install: pods are not in a cluster yet"
	hook install post-install || t_done
	C_SEED=$(client_seed) fill_keys "$NKEYS" --password-file "$K/secret/password"
	helm_test install
	verify_step install
}

template_change() { # template_change STEP REV SHARDS REPLICAS HELM-ARGS...: a helm upgrade
	# changing the pod template (image, config): pre-upgrade hook against the
	# old pods, objects applied, the pods rolled with a client reading and
	# writing, post-upgrade hook; then helm test and every key read back
	local step=$1 shards=$3 replicas=$4
	render "$2" "$3" "$4" "${@:5}"
	client_start
	hook "$step" pre-upgrade || t_done
	"$PYTHON" "$K8S" objects "$REV" "$K" || t_not_ok "$step: objects"
	for i in "${!POD_PID[@]}"; do config_volume "$W/pods/$i"; done
	roll "$step" || t_done
	hook "$step" post-upgrade || t_done
	client_stop "$step (rolling update)"
	t_eq $((shards * (1 + replicas))) "${#POD_PID[@]}" "$step: $((shards * (1 + replicas))) pods"
	[ "$ROLL_HANDED" -ge "$shards" ] && t_ok "$step: every master ($shards) handed off" ||
		t_not_ok "$step: only $ROLL_HANDED handoffs for $shards masters"
	helm_test "$step"
	verify_step "$step"
	t_eq "$(even_counts "$shards")" "$(auth slot_counts "$(pod0)")" "$step: every master owns floor or ceil of 16384/$shards slots"
}

resize_step() { # resize_step STEP REV SHARDS REPLICAS [HELM-ARGS...]: a helm upgrade
	# changing the shape, a client reading and writing; then helm test, every
	# key, even slots
	client_start
	upgrade "$1" "$2" "$3" "$4" "${@:5}" || t_done
	client_stop "$1"
	t_eq $(($3 * (1 + $4))) "${#POD_PID[@]}" "$1: $(($3 * (1 + $4))) pods"
	helm_test "$1"
	verify_step "$1"
	t_eq "$(even_counts "$3")" "$(auth slot_counts "$(pod0)")" "$1: every master owns floor or ceil of 16384/$3 slots"
}

servers_are() { # servers_are STEP NAME: every pod's server is NAME (INFO server_name, or redis)
	local i n=0
	for i in "${!POD_PID[@]}"; do
		[ "$(rcli "$i" info server | tr -d '\r' | sed -n 's/^server_name://p')" = "$2" ] || n=$((n + 1))
	done
	t_eq 0 "$n" "$1: every pod runs $2"
}
