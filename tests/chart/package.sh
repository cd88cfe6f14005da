#!/usr/bin/env bash
# package.sh - helm lint of the chart and of every scenario; the chart packaged
# and indexed as `make chart` does, served over plain HTTP from a loopback
# address, and installed from there (helm template --repo).
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/chart.bash"

t_run "$HELM" lint --strict "$CHART"
t_eq 0 "$T_RC" "helm lint --strict"
for f in "$CHART"/ci/*.yaml; do
	t_run "$HELM" lint --strict "$CHART" -f "$f"
	t_eq 0 "$T_RC" "helm lint --strict -f ci/$(basename "$f") $T_ERR"
done

version=$(sed -n 's/^version: *//p' "$CHART/Chart.yaml")
repo=$T_DIR/chart-repo
mkdir -p "$repo"
t_run "$HELM" package "$CHART" -d "$repo"
t_eq 0 "$T_RC" "helm package"
t_run "$HELM" repo index "$repo"
t_eq 0 "$T_RC" "helm repo index"
t_contains "$(cat "$repo/index.yaml")" "redis-cluster-$version.tgz" "index.yaml lists the package"

# A static web server on a port the kernel picks (it writes the port down).
"$PYTHON" -c '
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
open(sys.argv[2], "w").write(str(srv.server_address[1]))
srv.serve_forever()' "$repo" "$T_DIR/http.port" >"$T_DIR/http.log" 2>&1 &
http_pid=$!
T_PIDS+=($http_pid)
t_wait 10 test -s "$T_DIR/http.port" || cat "$T_DIR/http.log"
port=$(cat "$T_DIR/http.port")
t_run "$HELM" template rc redis-cluster --repo "http://127.0.0.1:$port" --version "$version" -n shop --set shards=4
t_eq 0 "$T_RC" "chart installed from the plain HTTP repository $T_ERR"
t_contains "$T_OUT" "replicas: 8" "the served chart renders 4 shards x 1 replica"
kill "$http_pid" && wait "$http_pid" 2>/dev/null

# The k3s example sets values the schema accepts (numbers unquoted).
"$PYTHON" - "$T_ROOT/deploy/k3s/helmchart.yaml" >"$T_DIR/k3s-values.yaml" <<'PY'
import sys, yaml
hc = yaml.safe_load(open(sys.argv[1]))
assert hc["apiVersion"] == "helm.cattle.io/v1" and hc["kind"] == "HelmChart"
spec = hc["spec"]
print("# failurePolicy:", spec["failurePolicy"])
vals = yaml.safe_load(spec.get("valuesContent") or "{}")
for k, v in spec["set"].items():  # dotted keys, as --set takes them
    d = vals
    *path, last = k.split(".")
    for p in path:
        d = d.setdefault(p, {})
    d[last] = v
print(yaml.safe_dump(vals))
PY
t_contains "$(cat "$T_DIR/k3s-values.yaml")" "failurePolicy: abort" "k3s HelmChart: failurePolicy abort"
t_run "$HELM" template redis-cluster "$CHART" -n redis -f "$T_DIR/k3s-values.yaml"
t_eq 0 "$T_RC" "k3s HelmChart values accepted by the chart $T_ERR"
t_contains "$T_OUT" 'storageClassName: "local-path"' "k3s example: local-path volumes"
t_contains "$T_OUT" '"--shards"
            - "4"' "k3s example: 4 shards"

t_done
