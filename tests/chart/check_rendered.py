#!/usr/bin/env python3
"""check_rendered.py CHART_DIR SCENARIO RELEASE NAMESPACE < rendered.yaml

Assertions on the objects `helm template RELEASE CHART -n NAMESPACE -f SCENARIO`
rendered.  The expectations are computed here from the chart's values.yaml
merged with the scenario, independently of the templates: pod count, node
lists, hook commands, labels, probes, persistence, auth.  Prints one
"ok - ..." or "not ok - ..." line per assertion (tests/chart/render.sh counts
them).
"""
import re
import sys

import yaml

chart_dir, scenario, release, ns = sys.argv[1:5]
results = []


def check(cond, what, detail=""):
    results.append((bool(cond), what if cond or not detail else f"{what}: {detail}"))


def eq(want, got, what):
    check(want == got, what, f"got {got!r}, want {want!r}")


def merge(base, over):
    out = dict(base)
    for k, v in (over or {}).items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


values = merge(yaml.safe_load(open(f"{chart_dir}/values.yaml")), yaml.safe_load(open(scenario)) or {})
chart = yaml.safe_load(open(f"{chart_dir}/Chart.yaml"))

# Split the stream keeping each object's "# Source:" template file.
text = sys.stdin.read()
objs = []
for doc in re.split(r"^---\s*$", text, flags=re.M):
    m = re.search(r"^# Source: (\S+)", doc, flags=re.M)
    body = yaml.safe_load(doc)
    if body:
        objs.append((m.group(1) if m else "?", body))

S, R = values["shards"], values["replicasPerShard"]
port, domain = values["port"], values["clusterDomain"]
full = values["fullnameOverride"] or (release if chart["name"] in release else f"{release}-{chart['name']}")
headless = f"{full}-headless"
pods = S * (1 + R)
node_list = ",".join(f"{full}-{i}.{headless}.{ns}.svc.{domain}:{port}" for i in range(pods))
auth = values["auth"]
password_file = "/etc/redis-cluster-auth/password"
auth_args = ["--password-file", password_file] if auth["enabled"] else []
# the word CLUSTER as a command ("cluster info"), not inside "redis-cluster"
CLUSTER_CMD = re.compile(r"(?<![-\w/.])cluster\b", re.I)
selector = {"app.kubernetes.io/name": chart["name"], "app.kubernetes.io/instance": release}


def by_kind(kind):
    return [(src, o) for src, o in objs if o["kind"] == kind]


def one(kind, name=None):
    found = [o for _, o in by_kind(kind) if name is None or o["metadata"]["name"] == name]
    check(len(found) == 1, f"exactly one {kind} {name or ''}".rstrip(), f"found {len(found)}")
    return found[0] if found else {}


# --- every object: one per template file named after its kind, labels, namespace
file_kind = {
    "statefulset.yaml": "StatefulSet", "service.yaml": "Service", "service-headless.yaml": "Service",
    "configmap.yaml": "ConfigMap", "secret.yaml": "Secret", "pdb.yaml": "PodDisruptionBudget",
    "pod-test.yaml": "Pod",
}
sources = [src for src, _ in objs]
for src, o in objs:
    base = src.rsplit("/", 1)[-1]
    want_kind = "Job" if base.startswith("job-") else file_kind.get(base)
    eq(want_kind, o["kind"], f"{src} holds a {want_kind}")
    eq(1, sources.count(src), f"{src} holds one object")
    labels = o["metadata"].get("labels", {})
    for k, v in [("app.kubernetes.io/name", chart["name"]), ("app.kubernetes.io/instance", release),
                 ("app.kubernetes.io/managed-by", "Helm"), ("app.kubernetes.io/version", str(chart["appVersion"])),
                 ("helm.sh/chart", f"{chart['name']}-{chart['version']}")]:
        eq(v, labels.get(k), f"{o['kind']} {o['metadata']['name']} label {k}")
    eq(ns, o["metadata"].get("namespace"), f"{o['kind']} {o['metadata']['name']} namespace")
    check(len(o["metadata"]["name"]) <= 63, f"{o['kind']} name within 63 characters", o["metadata"]["name"])

# --- StatefulSet
sts = one("StatefulSet", full)
spec = sts.get("spec", {})
eq(pods, spec.get("replicas"), f"StatefulSet replicas = shards*(1+replicasPerShard) = {S}*(1+{R})")
eq("Parallel", spec.get("podManagementPolicy"), "podManagementPolicy Parallel")
eq(headless, spec.get("serviceName"), "serviceName is the headless Service")
eq(selector, spec.get("selector", {}).get("matchLabels"), "StatefulSet selector")
tpl = spec.get("template", {})
tlabels = tpl.get("metadata", {}).get("labels", {})
check(all(tlabels.get(k) == v for k, v in selector.items()), "pod labels match the selector")
pspec = tpl.get("spec", {})
psc = pspec.get("securityContext", {})
check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0, "pods run as non-root", str(psc))
containers = {c["name"]: c for c in pspec.get("containers", [])}
redis = containers.get("redis", {})
check(redis, "a redis container")
for c in pspec.get("containers", []):
    sc = c.get("securityContext", {})
    check(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True,
          f"container {c['name']}: no privilege escalation, read-only root", str(sc))
eq(["/bin/sh", "/etc/redis-cluster/start.sh"], redis.get("command"), "redis runs start.sh")
ports = {p["name"]: p["containerPort"] for p in redis.get("ports", [])}
eq({"redis": port, "bus": port + 10000}, ports, "redis and cluster bus ports")
env = redis.get("env", [])
env_names = [e["name"] for e in env]
envd = {e["name"]: e for e in env}
eq("metadata.name", envd.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath"),
   "POD_NAME from the pod's name")
eq("status.podIP", envd.get("POD_IP", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath"),
   "POD_IP from the pod's IP")
eq(f"$(POD_NAME).{headless}.{ns}.svc.{domain}", envd.get("REDIS_ANNOUNCE_HOSTNAME", {}).get("value"),
   "announced hostname is the pod's DNS name")
check("POD_NAME" in env_names and "REDIS_ANNOUNCE_HOSTNAME" in env_names
      and env_names.index("POD_NAME") < env_names.index("REDIS_ANNOUNCE_HOSTNAME"),
      "POD_NAME defined before its $(POD_NAME) use")
server_image = f"{values['image']['repository']}:{values['image']['tag']}"
sc_image = f"{values['shardctl']['image']['repository']}:{values['shardctl']['image']['tag'] or chart['appVersion']}"
eq(server_image, redis.get("image"), "the server container runs image.*")
local = f"127.0.0.1:{port}"
cmd = redis.get("livenessProbe", {}).get("exec", {}).get("command", [])
eq(["/bin/sh", "/etc/redis-cluster/probe.sh", "alive"], cmd, "livenessProbe runs probe.sh alive")
check("readinessProbe" not in redis, "readiness is the sidecar's (pod Ready = every container Ready)")
cm = one("ConfigMap", full)
data = cm.get("data", {})
probe_code = [ln for ln in data.get("probe.sh", "").splitlines() if not ln.lstrip().startswith("#")]
check(not any(CLUSTER_CMD.search(ln) for ln in probe_code), "probe.sh calls no cluster command")
check(any("PONG | LOADING*" in ln for ln in probe_code), "liveness: PONG, or LOADING")
# what the server container runs must exist in the official images: sh and
# valkey-* or redis-*, picked with command -v, never one name alone
for f in ("start.sh", "probe.sh"):
    code = "\n".join(ln for ln in data.get(f, "").splitlines() if not ln.lstrip().startswith("#"))
    check("command -v valkey-" in code and "|| command -v redis-" in code, f"{f} picks valkey-* or redis-* binaries")
    check("shardctl" not in code, f"{f} (server image) does not call shardctl")
anno = tpl.get("metadata", {}).get("annotations", {})
check(re.fullmatch(r"[0-9a-f]{64}", anno.get("checksum/config", "")), "pods carry a config checksum")
eq({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}, spec.get("updateStrategy"),
   "rolling updates one pod at a time")
side = containers.get("shardctl", {})
eq(sc_image, side.get("image"), "the sidecar runs shardctl.image.*")
eq(["/bin/sh", "/etc/redis-cluster/heal-loop.sh", "shardctl", "heal"] + auth_args, side.get("command"),
   "sidecar runs heal-loop.sh shardctl heal")
senv = {e["name"]: e.get("value") for e in side.get("env", [])}
eq(str(values["heal"]["intervalSeconds"]), senv.get("HEAL_INTERVAL_SECONDS"), "heal interval")
eq(str(values["heal"]["enabled"]).lower(), senv.get("HEAL_ENABLED"), "heal.enabled reaches the loop")
eq(["shardctl", "ready", local, "--nodes-file", "/etc/redis-cluster/nodes"] + auth_args,
   side.get("readinessProbe", {}).get("exec", {}).get("command"),
   "readiness: shardctl ready on the pod's own server, with the ConfigMap's node list")
hs = values["rollingRestart"]["handoffSeconds"]
eq(["/bin/sh", "/etc/redis-cluster/prestop-handoff.sh", "shardctl", "handoff", local, "--wait", str(hs)] + auth_args,
   side.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command"), "sidecar preStop: shardctl handoff")
eq(["/bin/sh", "/etc/redis-cluster/prestop-wait.sh", str(hs + 5)],
   redis.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command"),
   "server preStop waits (bounded) for the handoff marker")
check(hs + 10 <= pspec.get("terminationGracePeriodSeconds", 0), "the handoff fits in the grace period")
hmounts = [{m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}.get("handoff") for c in (redis, side)]
check(hmounts[0] and hmounts[0] == hmounts[1], "server and sidecar share the handoff folder", str(hmounts))
check(pspec.get("volumes") and any(v["name"] == "handoff" and "emptyDir" in v for v in pspec["volumes"]),
      "the handoff folder is an emptyDir")
check("heal" not in containers, "no container named heal (the sidecar is shardctl)")
eq(node_list, data.get("nodes"), "ConfigMap node list (read by heal-loop.sh)")
vols = {v["name"]: v for v in pspec.get("volumes", [])}
if values["persistence"]["enabled"]:
    vct = spec.get("volumeClaimTemplates", [])
    eq(["data"], [v["metadata"]["name"] for v in vct], "a data volume claim per pod")
    vspec = vct[0]["spec"] if vct else {}
    eq(values["persistence"]["size"], vspec.get("resources", {}).get("requests", {}).get("storage"), "volume size")
    sc_val = values["persistence"]["storageClass"]
    if sc_val:
        eq("" if sc_val == "-" else sc_val, vspec.get("storageClassName"), "storage class")
    else:
        check("storageClassName" not in vspec, "the cluster's default storage class")
    eq(values["persistence"]["retentionPolicy"], spec.get("persistentVolumeClaimRetentionPolicy"),
       "volume retention policy (whenScaled: Delete by default)")
    check("data" not in vols, "no emptyDir for data when persistent")
else:
    check("volumeClaimTemplates" not in spec, "no volume claims without persistence")
    check("emptyDir" in vols.get("data", {}), "data is an emptyDir without persistence")
mounts = {m["name"]: m["mountPath"] for m in redis.get("volumeMounts", [])}
eq("/data", mounts.get("data"), "data mounted at /data")

# --- redis.conf
conf = data.get("redis.conf", "")
conf_lines = {ln.split(None, 1)[0]: ln.split(None, 1)[1] if " " in ln else "" for ln in conf.splitlines()
              if ln and not ln.startswith("#")}
eq("yes", conf_lines.get("cluster-enabled"), "redis.conf cluster-enabled yes")
eq(str(port), conf_lines.get("port"), "redis.conf port")
eq("yes", conf_lines.get("appendonly"), "redis.conf persistence (appendonly yes)")
eq(values["clusterPreferredEndpointType"], conf_lines.get("cluster-preferred-endpoint-type"),
   "redis.conf cluster-preferred-endpoint-type")
eq(str(values["clusterNodeTimeout"]), conf_lines.get("cluster-node-timeout"), "redis.conf cluster-node-timeout")
check("requirepass" not in conf, "no password in redis.conf")

# --- Services
svc_h = one("Service", headless)
eq("None", svc_h.get("spec", {}).get("clusterIP"), "headless Service")
eq(True, svc_h.get("spec", {}).get("publishNotReadyAddresses"), "headless Service publishes not-ready pods")
eq(selector, svc_h.get("spec", {}).get("selector"), "headless Service selector")
eq({port, port + 10000}, {p["port"] for p in svc_h.get("spec", {}).get("ports", [])}, "headless Service ports")
svc = one("Service", full)
eq(values["service"]["type"], svc.get("spec", {}).get("type"), "client Service type")
eq([port], [p["port"] for p in svc.get("spec", {}).get("ports", [])], "client Service port")

# --- PodDisruptionBudget
pdbs = by_kind("PodDisruptionBudget")
if values["podDisruptionBudget"]["enabled"]:
    pdb = one("PodDisruptionBudget")
    eq(values["podDisruptionBudget"]["maxUnavailable"], pdb.get("spec", {}).get("maxUnavailable"), "PDB maxUnavailable")
    eq(selector, pdb.get("spec", {}).get("selector", {}).get("matchLabels"), "PDB selector")
else:
    eq(0, len(pdbs), "no PDB when disabled")

# --- auth
secrets = by_kind("Secret")
if auth["enabled"]:
    secret_name = auth["existingSecret"] or full
    key = auth["existingSecretPasswordKey"] if auth["existingSecret"] else "password"
    eq(0 if auth["existingSecret"] else 1, len(secrets), "a Secret only when the chart holds the password")
    eq({"secretName": secret_name, "defaultMode": 0o440, "items": [{"key": key, "path": "password"}]},
       vols.get("auth", {}).get("secret"), "pods mount the password Secret as a file")
    eq(password_file, envd.get("REDIS_PASSWORD_FILE", {}).get("value"), "start.sh reads the password file")
else:
    eq(0, len(secrets), "no Secret without auth")
    check("auth" not in vols and "REDIS_PASSWORD_FILE" not in envd, "no password file without auth")


def strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node


if auth["enabled"] and auth["password"]:
    leaks = [o["kind"] + " " + o["metadata"]["name"] for _, o in objs if o["kind"] != "Secret"
             and any(auth["password"] in s for s in strings(o))]
    eq([], leaks, "the password appears in no object but its Secret")
for _, o in objs:
    if o["kind"] in ("Job", "Pod", "StatefulSet"):
        pod = o["spec"]["template"]["spec"] if o["kind"] != "Pod" else o["spec"]
        for c in pod.get("initContainers", []) + pod.get("containers", []):
            args = c.get("command", []) + c.get("args", [])
            check(not any(re.match(r"^(-a|--pass|--password|--requirepass|--masterauth)$", a) for a in args),
                  f"{o['metadata']['name']}/{c['name']}: no password option on the command line")

# --- hook Jobs
reconcile = ["shardctl", "reconcile", "--nodes", node_list, "--shards", str(S), "--replicas", str(R)]
# hooks.maxLatencyMs: passed on only when set (null: shardctl's default)
max_latency = (values.get("hooks") or {}).get("maxLatencyMs")
if max_latency is not None:
    reconcile += ["--max-latency", str(max_latency)]
hooks = {
    "post-install": reconcile + auth_args,
    "pre-upgrade": reconcile + ["--evacuate-only"] + auth_args,
    "post-upgrade": reconcile + auth_args,
    "pre-rollback": reconcile + ["--evacuate-only"] + auth_args,
    "post-rollback": reconcile + auth_args,
}
jobs = {o["metadata"].get("annotations", {}).get("helm.sh/hook"): o for _, o in by_kind("Job")}
eq(sorted(hooks), sorted(jobs), "one Job per lifecycle hook")
for hook, cmd in hooks.items():
    job = jobs.get(hook, {"metadata": {}, "spec": {"template": {"spec": {}}}})
    a = job["metadata"].get("annotations", {})
    check(re.fullmatch(r"-?[0-9]+", a.get("helm.sh/hook-weight", "")), f"{hook}: explicit hook weight")
    eq("before-hook-creation,hook-succeeded", a.get("helm.sh/hook-delete-policy"), f"{hook}: delete policy")
    eq(values["hooks"]["deadlineSeconds"], job["spec"].get("activeDeadlineSeconds"), f"{hook}: deadline")
    eq(values["hooks"]["backoffLimit"], job["spec"].get("backoffLimit"), f"{hook}: backoffLimit")
    jpod = job["spec"]["template"]["spec"]
    eq("Never", jpod.get("restartPolicy"), f"{hook}: restartPolicy Never")
    main = jpod.get("containers", [{}])
    eq(1, len(main), f"{hook}: one container")
    for c in main + jpod.get("initContainers", []):
        eq(sc_image, c.get("image"), f"{hook}/{c.get('name')}: the shardctl image")
    eq(cmd, main[0].get("command", []) + main[0].get("args", []), f"{hook}: shardctl command and node list")
    inits = jpod.get("initContainers", [])
    if hook.startswith("post-"):
        eq(["wait-for-nodes"], [c["name"] for c in inits], f"{hook}: waits for every pod first")
        eq(["shardctl", "ready", node_list, "--wait", str(values["hooks"]["deadlineSeconds"])] + auth_args,
           inits[0].get("command") if inits else None, f"{hook}: shardctl ready waits for the same node list")
    else:
        eq(["upgrade-check"], [c["name"] for c in inits], f"{hook}: checks the server image first, waits for no pod")
        flavor = ["--flavor", values["image"]["flavor"]] if values["image"].get("flavor") else []
        eq(["shardctl", "upgrade-check", "--nodes", node_list, "--to-image", server_image] + flavor + auth_args,
           inits[0].get("command") if inits else None, f"{hook}: upgrade-check against the server image")
    if auth["enabled"]:
        check(any(m["mountPath"] == "/etc/redis-cluster-auth" for m in main[0].get("volumeMounts", [])),
              f"{hook}: password file mounted")

# --- helm test
test = one("Pod", f"{full}-test")
eq(sc_image, test.get("spec", {}).get("containers", [{}])[0].get("image"), "helm test runs the shardctl image")
# no container of the shardctl image calls redis-cli / valkey-cli
for _, o in objs:
    if o["kind"] in ("Job", "Pod", "StatefulSet"):
        pod = o["spec"]["template"]["spec"] if o["kind"] != "Pod" else o["spec"]
        for c in pod.get("initContainers", []) + pod.get("containers", []):
            if c.get("image") == sc_image:
                words = " ".join(c.get("command", []) + c.get("args", []))
                check("redis-cli" not in words and "valkey-cli" not in words,
                      f"{o['metadata']['name']}/{c['name']}: no redis-cli in the shardctl image")
heal_code = "\n".join(ln for ln in data.get("heal-loop.sh", "").splitlines() if not ln.lstrip().startswith("#"))
check("redis-cli" not in heal_code and "valkey-cli" not in heal_code, "heal-loop.sh needs no redis-cli")
ta = test.get("metadata", {}).get("annotations", {})
eq("test", ta.get("helm.sh/hook"), "test Pod is a test hook")
check(re.fullmatch(r"-?[0-9]+", ta.get("helm.sh/hook-weight", "")), "test: explicit hook weight")
tc = test.get("spec", {}).get("containers", [{}])[0]
eq(["shardctl", "check", f"{full}.{ns}.svc.{domain}:{port}", "--shards", str(S), "--replicas", str(R)] + auth_args,
   tc.get("command", []) + tc.get("args", []), "helm test runs shardctl check with the expected shape")

# --- placement
tsc = pspec.get("topologySpreadConstraints", [])
eq(len(values["topologySpreadConstraints"]), len(tsc), "topology spread constraints rendered")
for c in tsc:
    eq(selector, c.get("labelSelector", {}).get("matchLabels"), "spread constraint selects the pods by default")
if values["affinity"]:
    eq(values["affinity"], pspec.get("affinity"), "affinity passed through")

for ok, what in results:
    print(("ok - " if ok else "not ok - ") + what)
sys.exit(0 if all(ok for ok, _ in results) else 1)
