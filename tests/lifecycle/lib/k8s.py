#!/usr/bin/env python3
"""k8s.py - the little of Kubernetes that tests/lifecycle/ needs (lifecycle.bash),
read from the manifests `helm template` rendered (never from copies).

  k8s.py objects REV.yaml DIR
      "applies" a revision: DIR/configmap/KEY for every ConfigMap key,
      DIR/secret/password (the chart's Secret, base64-decoded, as a Secret
      volume would show it), DIR/replicas, DIR/when-scaled (the StatefulSet's
      PVC retention on scale-down), DIR/pod-template.json (to see whether a
      revision would restart the pods), DIR/services (NAME ROLE lines).

  k8s.py run REV.yaml WHAT CONTAINER POD_NAME POD_IP MOUNTS
      prints, NUL-separated, the environment and command of one container,
      as the kubelet would run it: env values with $(VAR) expanded and
      fieldRefs (metadata.name, metadata.namespace, status.podIP) resolved,
      then "--", then command + args.  Every path under a volumeMount is
      rewritten to the host folder MOUNTS (JSON: volume name -> folder) gives
      for that volume.  WHAT: "statefulset", "hook:HOOK" (the Job of that
      hook) or "test" (the helm test Pod).  CONTAINER/PROBE (e.g.
      shardctl/readinessProbe) gives the probe's exec command instead, and
      CONTAINER/preStop the exec command of its preStop hook.

  k8s.py image REV.yaml CONTAINER
      the image of a StatefulSet container.

  k8s.py containers REV.yaml WHAT
      the container names of WHAT's pod in the order they run (init
      containers first), one a line, then "deadline SECONDS" for Jobs.
"""
import base64
import json
import os
import re
import sys

import yaml


def load(path):
    # The YAML is parsed once; later calls (one per pod and probe) read the
    # JSON copy kept next to it.
    cache = path + ".json"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        with open(cache) as f:
            return json.load(f)
    objs = [d for d in yaml.safe_load_all(open(path)) if d]
    with open(cache + ".tmp", "w") as f:
        json.dump(objs, f)
    os.replace(cache + ".tmp", cache)
    return objs


def pod_of(objs, what):
    for o in objs:
        if what == "statefulset" and o["kind"] == "StatefulSet":
            return o, o["spec"]["template"]["spec"]
        if what == "test" and o["kind"] == "Pod" and o["metadata"].get("annotations", {}).get("helm.sh/hook") == "test":
            return o, o["spec"]
        if what.startswith("hook:") and o["kind"] == "Job":
            if what[5:] in o["metadata"].get("annotations", {}).get("helm.sh/hook", "").split(","):
                return o, o["spec"]["template"]["spec"]
    sys.exit(f"k8s.py: no {what} in the rendered manifests")


def cmd_objects(rev, out):
    objs = load(rev)
    os.makedirs(f"{out}/configmap", exist_ok=True)
    os.makedirs(f"{out}/secret", exist_ok=True)
    services = []
    for o in objs:
        kind = o["kind"]
        if kind == "ConfigMap":
            for k, v in o.get("data", {}).items():
                with open(f"{out}/configmap/{k}", "w") as f:
                    f.write(v)
        elif kind == "Secret":
            for k, v in o.get("data", {}).items():
                with open(f"{out}/secret/{k}", "wb") as f:
                    f.write(base64.b64decode(v))
        elif kind == "StatefulSet":
            spec = o["spec"]
            with open(f"{out}/replicas", "w") as f:
                f.write(f"{spec['replicas']}\n")
            policy = spec.get("persistentVolumeClaimRetentionPolicy", {}).get("whenScaled", "Retain")
            data = "claim"
            if not spec.get("volumeClaimTemplates"):
                policy = "Delete"  # emptyDir: the data goes with the pod
                data = "emptyDir"
            with open(f"{out}/data-volume", "w") as f:
                f.write(data + "\n")
            with open(f"{out}/when-scaled", "w") as f:
                f.write(policy + "\n")
            with open(f"{out}/pod-template.json", "w") as f:
                json.dump(spec["template"], f, sort_keys=True)
            with open(f"{out}/statefulset", "w") as f:
                f.write(f"{o['metadata']['name']} {spec['serviceName']} {o['metadata']['namespace']}\n")
        elif kind == "Service":
            role = "headless" if o["spec"].get("clusterIP") == "None" else "client"
            services.append(f"{o['metadata']['name']} {role}")
    with open(f"{out}/services", "w") as f:
        f.write("\n".join(services) + "\n")


def expand(value, env):
    # Kubernetes: $(VAR) expands to VAR's value when VAR is defined before,
    # $$ is a literal $, anything else stays as written.
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), value)


def cmd_run(rev, what, cname, pod_name, pod_ip, mounts_json):
    objs = load(rev)
    owner, pod = pod_of(objs, what)
    ns = owner["metadata"]["namespace"]
    mounts = json.loads(mounts_json)
    containers = pod.get("initContainers", []) + pod.get("containers", [])
    cname, _, probe = cname.partition("/")
    c = next((c for c in containers if c["name"] == cname), None)
    if c is None:
        sys.exit(f"k8s.py: no container {cname} in {what}")
    fields = {"metadata.name": pod_name, "metadata.namespace": ns, "status.podIP": pod_ip}
    paths = []
    for m in c.get("volumeMounts", []):
        if m["name"] not in mounts:
            sys.exit(f"k8s.py: no host folder for volume {m['name']} of {what}/{cname}")
        paths.append((m["mountPath"].rstrip("/"), mounts[m["name"]]))
    paths.sort(key=lambda p: -len(p[0]))

    def host_path(s):
        for mp, host in paths:
            if s == mp or s.startswith(mp + "/"):
                return host + s[len(mp):]
        return s

    env = {}
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = host_path(expand(str(e["value"]), env))
        elif "fieldRef" in e.get("valueFrom", {}):
            env[e["name"]] = fields[e["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            sys.exit(f"k8s.py: env {e['name']} of {what}/{cname}: source not emulated")
    if probe == "preStop":
        words = c["lifecycle"]["preStop"]["exec"]["command"]
    elif probe:
        words = c[probe]["exec"]["command"]
    else:
        words = c.get("command", []) + c.get("args", [])
    argv = [host_path(expand(a, env)) for a in words]
    out = [f"{k}={v}" for k, v in env.items()] + ["--"] + argv
    sys.stdout.write("\0".join(out) + "\0")


def cmd_containers(rev, what):
    owner, pod = pod_of(load(rev), what)
    for c in pod.get("initContainers", []) + pod.get("containers", []):
        print(c["name"])
    if owner["kind"] == "Job":
        print(f"deadline {owner['spec'].get('activeDeadlineSeconds', 0)}")


def cmd_image(rev, cname):
    _, pod = pod_of(load(rev), "statefulset")
    print(next(c["image"] for c in pod["containers"] if c["name"] == cname))


if __name__ == "__main__":
    cmds = {"objects": (cmd_objects, 2), "run": (cmd_run, 6), "containers": (cmd_containers, 2),
            "image": (cmd_image, 2)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != cmds[sys.argv[1]][1] + 2:
        sys.exit(__doc__)
    cmds[sys.argv[1]][0](*sys.argv[2:])
