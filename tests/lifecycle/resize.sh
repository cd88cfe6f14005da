#!/usr/bin/env bash
# resize.sh - the chart's resizes without Kubernetes (TESTING.md, layer 4;
# the emulation is tests/lifecycle/lib/lifecycle.bash, shardctl from the
# built image).  Steps: install 4x1 with data, upgrade to 5 shards, back to
# 4, replicas 1 -> 2, the same upgrade twice, helm test, every pod restarted
# at once on a new address (healed by the heal sidecar's rendered command),
# helm rollback to 5x1 and then to 4x1.  After each step the rendered `helm
# test` (shardctl check --shards S --replicas R) passes and every key is
# verified by sc-load; during the shard changes a cluster-aware client reads
# and writes, and its errors are counted (none allowed).  Nothing here
# changes the pod template: no pod restarts but the one full restart.
source "$(dirname "$0")/lib/lifecycle.bash"

# --- install: 4 shards x 1 replica, then data
lc_install 4 1

# --- upgrade to 5 shards: pre-upgrade (nothing leaves), 2 pods more, post-upgrade
resize_step "4->5 shards" 2 5 1

# --- back to 4 shards: pre-upgrade drains pods 8 and 9, then they go
resize_step "5->4 shards" 3 4 1

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
	sidecar_heal "$i" || break
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


t_done
