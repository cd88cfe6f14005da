#!/usr/bin/env bash
# k8s-schema.sh - every object rendered for every scenario is valid against
# Kubernetes' own OpenAPI schema (npm kubernetes-models, validate-k8s.cjs) and
# has no field Kubernetes does not know (strict-fields.cjs).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/chart.bash"

for f in "$CHART"/ci/*.yaml; do
	name=$(basename "$f" .yaml)
	echo "# $name"
	"$HELM" template rc "$CHART" -n shop -f "$f" | to_json >"$T_DIR/$name.json"
	t_import node "$T_ROOT/tests/chart/validate-k8s.cjs" "$MODELS_DIR" <"$T_DIR/$name.json"
done

# The validator does reject: a StatefulSet with a string replica count.
echo '[{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"x"},"spec":{"replicas":"3","selector":{},"template":{}}}]' >"$T_DIR/bad.json"
t_run node "$T_ROOT/tests/chart/validate-k8s.cjs" "$MODELS_DIR" <"$T_DIR/bad.json"
t_eq 1 "$T_RC" "validator rejects a bad object"
t_contains "$T_OUT" "replicas must be integer" "validator says why"

# ... and unknown fields, also deep inside the pod template.
cat >"$T_DIR/typos.json" <<'EOF2'
[{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "h"},
  "spec": {"clusterIP": "None", "publishNotReadyAddress": true, "ports": [{"port": 6379}]}},
 {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
  "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "redis",
   "readinessProbe": {"exec": {"command": ["true"]}, "periodSecond": 5},
   "env": [{"name": "P", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}]}},
   "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"storageClass": "x"}}]}}]
EOF2
t_run node "$T_ROOT/tests/chart/validate-k8s.cjs" "$MODELS_DIR" <"$T_DIR/typos.json"
t_eq 1 "$T_RC" "validator rejects unknown fields"
t_contains "$T_OUT" "unknown fields: spec.publishNotReadyAddress" "a Service field typo is named"
t_contains "$T_OUT" "spec.template.spec.containers[0].readinessProbe.periodSecond" "a typo deep in the pod template is named"
t_contains "$T_OUT" "spec.volumeClaimTemplates[0].spec.storageClass" "a typo in a volume claim template is named"

t_done
