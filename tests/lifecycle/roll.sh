#!/usr/bin/env bash
# roll.sh - rolling restarts with persistence on, without Kubernetes
# (TESTING.md, layer 4; the emulation is tests/lifecycle/lib/lifecycle.bash,
# shardctl from the built image).  On a 4x1 cluster with data (redis:7.0.15):
#   1. a config change (extraConfig): every pod rolled in the StatefulSet's
#      order, each master handing off before it stops, each pod Ready
#      (a replica: synced) before the next goes, a client reading and writing;
#   2. a server image change, redis:7.0.15 -> valkey/valkey:9.1.3, rolled the
#      same way (during the roll a Valkey replica syncs from a Redis master);
#   3. the way back, valkey 9.1 -> redis 7.0, refused by the pre-upgrade hook's
#      upgrade-check (Redis 7.0 cannot read RDB 80) before any pod restarts.
# After each step helm test passes and every key is verified; the client's
# errors are counted and stated (none allowed).
source "$(dirname "$0")/lib/lifecycle.bash"

lc_install 4 1
template_change "config change" 2 4 1 --set-string extraConfig='hz 11'
t_eq 11 "$(rcli 0 config get hz | tail -n 1)" "config change: the new redis.conf is in force"
template_change "image change" 3 4 1 --set-string extraConfig='hz 11' \
	--set image.repository=valkey/valkey --set image.tag=9.1.3
servers_are "image change" valkey

# --- back to redis:7.0.15: the pre-upgrade hook refuses it before any pod restarts
render 4 4 1 --set-string extraConfig='hz 11'
before=$(auth slot_map "$(pod0)")
pids="${POD_PID[*]}"
template=$(cat "$K/pod-template.json")
job_dir
container "hook:pre-upgrade" upgrade-check "$REL-pre-upgrade" 127.0.0.1 "$W/job" || t_done
t_run "${SC[@]}" "${ENVS[@]}" "${CMD[@]}"
t_eq 2 "$T_RC" "valkey 9.1 -> redis 7.0: the pre-upgrade hook's upgrade-check refuses (the Job fails, Helm stops)"
t_contains "$T_ERR" "redis 7.0.15 cannot read the data of" "valkey 9.1 -> redis 7.0: says why"
t_eq "$before" "$(auth slot_map "$(pod0)")" "valkey 9.1 -> redis 7.0: the slot map did not change"
t_eq "$pids" "${POD_PID[*]}" "valkey 9.1 -> redis 7.0: no pod restarted"
t_eq "$template" "$(cat "$K/pod-template.json")" "valkey 9.1 -> redis 7.0: the StatefulSet was not changed"
servers_are "valkey 9.1 -> redis 7.0 refused" valkey
helm_test "valkey 9.1 -> redis 7.0 refused"
verify_step "valkey 9.1 -> redis 7.0 refused"

t_done
