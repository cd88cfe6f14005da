#!/usr/bin/env bash
# roll-ephemeral.sh - a rolling restart with persistence off (persistence.
# enabled=false: /data is an emptyDir, so a restarted pod comes back empty
# with a new node id), without Kubernetes (TESTING.md, layer 4; the
# emulation is tests/lifecycle/lib/lifecycle.bash, shardctl from the built
# image).  On a 4x1 cluster with data, a config change (extraConfig) rolls
# every pod in the StatefulSet's order with a client reading and writing:
# the sidecar's preStop handoff moves a master's role to its in-sync replica
# before the pod stops; the restarted pod is not Ready (shardctl ready
# --nodes-file, as rendered: it takes a member's place) until the heal
# sidecar rejoined it as a replica of its shard and it finished its full
# sync, so the next pod waits.  No key is lost: helm test passes and every
# key is verified; the client's errors are counted and stated (none
# allowed).  NOTES.txt states what a pod-template change risks without
# persistence.
LC_SET=(--set persistence.enabled=false)
source "$(dirname "$0")/lib/lifecycle.bash"

lc_install 4 1
t_eq emptyDir "$(cat "$K/data-volume")" "persistence off: /data is an emptyDir"
template_change "rolling restart, persistence off" 2 4 1 --set-string extraConfig='hz 11'
t_eq 8 "$ROLL_REJOINED" "rolling restart, persistence off: 8 pods came back empty, each rejoined by its heal sidecar"
t_eq 11 "$(rcli 0 config get hz | tail -n 1)" "rolling restart, persistence off: the new redis.conf is in force"
t_eq "" "$(rcli 0 cluster nodes | grep -E 'fail|noaddr')" "rolling restart, persistence off: no failed or forgotten-to-forget member left"

# what NOTES says before such a change (helm renders NOTES on install/upgrade)
notes=$("$HELM" install "$REL" "$CHART" -n "$NS" --dry-run=client -f "$T_DIR/values.yaml" "${LC_SET[@]}" \
	--set shards=4 --set replicasPerShard=1 2>&1 | sed -n '/^NOTES:/,$p')
t_contains "$notes" "persistence is off" "NOTES: warns that persistence is off"
t_contains "$notes" "replicasPerShard 0" "NOTES: says what a restart risks without replicas"

t_done
