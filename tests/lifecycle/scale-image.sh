#!/usr/bin/env bash
# scale-image.sh - a server image change right after a scale-out, without
# Kubernetes (TESTING.md, layer 4; the emulation is tests/lifecycle/lib/
# lifecycle.bash, shardctl from the built image).  A 4x1 cluster with data
# (redis:7.0.15) grows to 5 shards (helm upgrade --set shards=5: the rendered
# pre-upgrade hook, two new pods, the post-upgrade hook joining them and
# spreading the slots), then, as a step of its own, changes the server image
# to valkey/valkey:9.1.3: the pods (the new ones too) roll in the
# StatefulSet's order with the preStop handoff and readiness as rendered.
# After each step helm test passes and every key is verified; a client reads
# and writes during both, its errors counted and stated (none allowed).
source "$(dirname "$0")/lib/lifecycle.bash"

lc_install 4 1
client_start
upgrade "4->5 shards" 2 5 1 || t_done
client_stop "4->5 shards"
t_eq 10 "${#POD_PID[@]}" "4->5 shards: 10 pods"
helm_test "4->5 shards"
verify_step "4->5 shards"
t_eq "$(even_counts 5)" "$(auth slot_counts "$(pod0)")" "4->5 shards: every master owns 3276 or 3277 slots"

template_change "image change after 4->5" 3 5 1 --set image.repository=valkey/valkey --set image.tag=9.1.3
servers_are "image change after 4->5" valkey

t_done
