#!/usr/bin/env bash
# helm3.sh - the chart with Helm 3 (3.17): lint, every scenario rendered with
# the same assertions as render.sh, the schema refusing bad values (Helm 3
# words its messages differently), and Helm 3 rendering what Helm 4 renders.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/chart.bash"

t_contains "$("$HELM3" version --short)" "v3." "helm 3 available"
t_run "$HELM3" lint --strict "$CHART"
t_eq 0 "$T_RC" "helm 3 lint --strict"

for f in "$CHART"/ci/*.yaml; do
	name=$(basename "$f" .yaml)
	if ! "$HELM3" template rc "$CHART" -n shop -f "$f" >"$T_DIR/$name.yaml" 2>"$T_DIR/$name.err"; then
		t_not_ok "$name: helm 3 template failed: $(cat "$T_DIR/$name.err")"
		continue
	fi
	echo "# $name"
	t_import "$PYTHON" "$T_ROOT/tests/chart/check_rendered.py" "$CHART" "$f" rc shop <"$T_DIR/$name.yaml"
	# Same objects as Helm 4 (compared as data: the two order keys alike
	# but not necessarily comments).
	"$HELM" template rc "$CHART" -n shop -f "$f" | to_json >"$T_DIR/$name.v4.json"
	to_json <"$T_DIR/$name.yaml" >"$T_DIR/$name.v3.json"
	t_eq "$(sha256sum <"$T_DIR/$name.v4.json")" "$(sha256sum <"$T_DIR/$name.v3.json")" "$name: helm 3 renders what helm 4 renders"
done

refused() { # refused WHAT MESSAGE-PART HELM-ARGS...
	local what=$1 part=$2
	shift 2
	t_run "$HELM3" template rc "$CHART" -n shop "$@"
	t_eq 1 "$T_RC" "helm 3, $what: refused"
	t_eq "" "$T_OUT" "helm 3, $what: nothing rendered"
	t_contains "$T_ERR" "$part" "helm 3, $what: message"
}
refused "shards 2" "shards: Must be greater than or equal to 3" --set shards=2
refused "replicasPerShard -1" "replicasPerShard: Must be greater than or equal to 0" --set replicasPerShard=-1
refused "shards \"four\"" "shards: Invalid type. Expected: integer, given: string" --set shards=four
refused "a typo (shard)" "Additional property shard is not allowed" --set shard=5
refused "auth without a password" "neither auth.password nor auth.existingSecret is set" --set auth.enabled=true

t_done
