# image.bash - the shardctl image's root filesystem for tests (source after
# test-lib.bash).  Containers cannot be started here (no runtime works), so
# the image's programs run under chroot on its root filesystem, unpacked
# from the OCI archive scripts/image.sh builds (and skips while it is up to
# date): tests/image checks the image itself, tests/lifecycle runs the
# chart's shardctl containers in it.  Needs root (chroot).

# image_archive: builds the archive if needed; IMAGE_ARCHIVE (absolute path)
# and IMAGE_BUILD_LOG (the build's last lines).  0 / 1 (the build failed).
image_archive() {
	local out rc
	out=$("$T_ROOT/scripts/image.sh" 2>"$T_DIR/image-build.err")
	rc=$?
	IMAGE_BUILD_LOG=$(tail -n 3 "$T_DIR/image-build.err")
	IMAGE_ARCHIVE=$(printf '%s\n' "$out" | tail -n 1)
	case "$IMAGE_ARCHIVE" in /*) ;; ?*) IMAGE_ARCHIVE=$T_ROOT/$IMAGE_ARCHIVE ;; esac
	[ "$rc" -eq 0 ] && [ -s "$IMAGE_ARCHIVE" ]
}

# image_unpack ARCHIVE ROOT: the OCI layout into ROOT.oci, the layers
# applied in order into ROOT (OCI whiteouts honoured).  Sets IMAGE_REF (the
# ref name), IMAGE_CONFIG (the config blob's path) and IMAGE_LAYERS (how
# many).  0 / 1 (what failed on stderr).
image_unpack() {
	local oci=$2.oci blobs layer e d
	mkdir -p "$oci" "$2"
	tar -xf "$1" -C "$oci" || { echo "cannot unpack $1" >&2; return 1; }
	# the ref name, the config blob, then the layer blobs in order
	blobs=$(python3 - "$oci" <<'PY'
import json, sys
d = sys.argv[1]
blob = lambda dg: d + "/blobs/" + dg.replace(":", "/", 1)
m = json.load(open(d + "/index.json"))["manifests"][0]
print(m.get("annotations", {}).get("org.opencontainers.image.ref.name", ""))
man = json.load(open(blob(m["digest"])))
print(blob(man["config"]["digest"]))
for l in man["layers"]:
    print(blob(l["digest"]))
PY
) || return 1
	IMAGE_REF=$(sed -n 1p <<<"$blobs")
	IMAGE_CONFIG=$(sed -n 2p <<<"$blobs")
	IMAGE_LAYERS=0
	while IFS= read -r layer; do
		IMAGE_LAYERS=$((IMAGE_LAYERS + 1))
		while IFS= read -r e; do
			e=${e#./}
			case "${e##*/}" in
			.wh..wh..opq) d=$2/$(dirname "$e"); find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf {} + ;;
			.wh.*) rm -rf "$2/$(dirname "$e")/$(basename "$e" | cut -c5-)" ;;
			esac
		done < <(tar -tf "$layer" | grep '\.wh\.')
		tar -xf "$layer" -C "$2" --exclude='.wh.*' --numeric-owner -p ||
			{ echo "layer $IMAGE_LAYERS does not unpack" >&2; return 1; }
	done < <(sed -n '3,$p' <<<"$blobs")
}
