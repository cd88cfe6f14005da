#!/usr/bin/env bash
# redis-upgrade.sh - the way most Redis users go: a server image change from
# redis:7.0.15 to redis:8.6.3, then resizes on the new server, without
# Kubernetes (TESTING.md, layer 4; the emulation is tests/lifecycle/lib/
# lifecycle.bash, shardctl from the built image).  On a 4x1 cluster with
# data:
#   1. the image change, rolled in the StatefulSet's order with the preStop
#      handoff (a Redis 8.6 replica syncs from a Redis 7.0 master on the way;
#      never the other way, which Redis 7.0 cannot read: RDB 13);
#   2. 4 -> 5 shards and back to 4 through the chart's hooks, now on
#      Redis 8.6 only: the hooks' reconcile (--migration auto) moves the
#      slots by Redis's own atomic slot migration (CLUSTER MIGRATION).
# After each step helm test passes and every key is verified; a client reads
# and writes during each, its errors counted and stated (none allowed).
source "$(dirname "$0")/lib/lifecycle.bash"

# versions_are STEP VERSION: every pod's INFO server says redis_version:VERSION
# and no valkey_version
versions_are() {
	local i n=0 info
	for i in "${!POD_PID[@]}"; do
		info=$(rcli "$i" info server | tr -d '\r')
		grep -qx "redis_version:$2" <<<"$info" && ! grep -q '^valkey_version:' <<<"$info" || n=$((n + 1))
	done
	t_eq 0 "$n" "$1: every pod runs Redis $2"
}

lc_install 4 1
versions_are install 7.0.15
template_change "image change to redis 8.6" 2 4 1 --set image.tag=8.6.3
versions_are "image change to redis 8.6" 8.6.3
resize_step "4->5 shards on redis 8.6" 3 5 1 --set image.tag=8.6.3
t_contains "$(cat "$T_DIR/hook-4->5 shards on redis 8.6-post-upgrade.log")" "(Redis CLUSTER MIGRATION)" \
	"4->5 shards on redis 8.6: the post-upgrade hook moved the slots by Redis's atomic slot migration"
resize_step "5->4 shards on redis 8.6" 4 4 1 --set image.tag=8.6.3
t_contains "$(cat "$T_DIR/hook-5->4 shards on redis 8.6-pre-upgrade.log")" "(Redis CLUSTER MIGRATION)" \
	"5->4 shards on redis 8.6: the pre-upgrade hook drained by Redis's atomic slot migration"
versions_are "5->4 shards on redis 8.6" 8.6.3

t_done
