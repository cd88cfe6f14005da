#!/usr/bin/env bash
# k8s-schema.sh - every object rendered for every scenario is valid against
# Kubernetes' own OpenAPI schema (npm kubernetes-models, validate-k8s.cjs).
T_PORT_BASE=41000
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/chart-lib.bash"

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

t_done
