#!/usr/bin/env bash
# render.sh - helm template of every scenario in charts/redis-cluster/ci/ with
# assertions on the rendered objects (check_rendered.py): hooks and weights,
# commands and node lists, labels, pod count, probes, persistence, auth.
# Plus: the pod template does not depend on shards or replicasPerShard (a
# resize restarts no pod), and the same values render the same output.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/chart.bash"

for f in "$CHART"/ci/*.yaml; do
	name=$(basename "$f" .yaml)
	if ! "$HELM" template rc "$CHART" -n shop -f "$f" >"$T_DIR/$name.yaml" 2>"$T_DIR/$name.err"; then
		t_not_ok "$name: helm template failed: $(cat "$T_DIR/$name.err")"
		continue
	fi
	t_ok "$name: rendered"
	echo "# $name"
	t_import "$PYTHON" "$T_ROOT/tests/chart/check_rendered.py" "$CHART" "$f" rc shop <"$T_DIR/$name.yaml"
done

# Release names: one containing the chart name is not doubled; fullnameOverride wins.
"$HELM" template my-redis-cluster "$CHART" -n shop >"$T_DIR/named.yaml"
t_contains "$(cat "$T_DIR/named.yaml")" "name: my-redis-cluster-headless" "release name containing the chart name is used as is"
"$HELM" template rc "$CHART" -n shop --set fullnameOverride=cache >"$T_DIR/override.yaml"
t_contains "$(cat "$T_DIR/override.yaml")" "cache-0.cache-headless.shop.svc.cluster.local:6379" "fullnameOverride names the pods"

# The pod template is the same whatever the shape: resizing restarts nothing.
pod_template() {
	"$HELM" template rc "$CHART" -n shop "$@" | "$PYTHON" -c '
import json, sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == "StatefulSet":
        print(json.dumps(d["spec"]["template"], sort_keys=True))'
}
base=$(pod_template --set shards=4 --set replicasPerShard=1)
t_eq "$base" "$(pod_template --set shards=5 --set replicasPerShard=1)" "pod template unchanged by shards 4 -> 5"
t_eq "$base" "$(pod_template --set shards=4 --set replicasPerShard=2)" "pod template unchanged by replicas 1 -> 2"
t_not_contains "$base" "shards" "pod template mentions no shard count"

# Deterministic: the same values render byte for byte the same manifests.
a=$("$HELM" template rc "$CHART" -n shop --set shards=5 | sha256sum)
b=$("$HELM" template rc "$CHART" -n shop --set shards=5 | sha256sum)
t_eq "$a" "$b" "rendering is deterministic"

# On upgrade the hooks get the NEW values' node list: 5 shards x 1 = 10 pods.
up=$("$HELM" template rc "$CHART" -n shop --set shards=5 --show-only templates/job-pre-upgrade.yaml)
t_contains "$up" "rc-redis-cluster-9.rc-redis-cluster-headless.shop.svc.cluster.local:6379\"" "pre-upgrade lists pod 9 of 10"
t_not_contains "$up" "rc-redis-cluster-10." "pre-upgrade lists no pod beyond 10"
t_contains "$up" '"--evacuate-only"' "pre-upgrade evacuates only"

t_done
