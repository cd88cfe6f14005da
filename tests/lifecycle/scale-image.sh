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
resize_step "4->5 shards" 2 5 1

template_change "image change after 4->5" 3 5 1 --set image.repository=valkey/valkey --set image.tag=9.1.3
servers_are "image change after 4->5" valkey

t_done
