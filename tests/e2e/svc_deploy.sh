#!/bin/sh
# The deployment files are sound: every manifest under deploy/ parses, the
# Kubernetes objects have what the RFC asks (probes on /readyz and
# /healthz, resource requests, non-root, a NetworkPolicy, an HPA, Services
# that select their Deployments, every mounted volume declared), each
# nebula-plugind configuration embedded in a ConfigMap or baked into an
# image passes `nebula-plugind -T` (syntax only: programs and secrets are not on the test machine) (with -p for one-plugin Deployments),
# and the Dockerfiles are multi-stage, non-root, with a health check.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "# python3-yaml is missing; skipped"
	exit 77
fi
deploy="$top_srcdir/deploy"

# A Python helper checks the manifests and writes every embedded
# configuration to $E2E_TMP/conf-N.yaml, with the -p names that use it
# in conf-N.plugins, its secret paths moved under $E2E_TMP/root.
python3 - "$deploy" "$E2E_TMP" >"$E2E_TMP/manifests.out" <<'EOF'
import glob
import hashlib
import os
import sys

import yaml

deploy, tmp = sys.argv[1], sys.argv[2]
root = os.path.join(tmp, "root")
nconf = 0
objnames = {}


def ok(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name)
    if not cond and detail:
        print("#   " + detail)


def relocate(conf):
    """Moves absolute file paths under root and creates the files."""
    def fix(path, content):
        new = root + path
        os.makedirs(os.path.dirname(new), exist_ok=True)
        with open(new, "w") as f:
            f.write(content)
        return new
    auth = conf.get("auth") or {}
    if "tokens_file" in auth:
        auth["tokens_file"] = fix(auth["tokens_file"], "token-1\n")
    if "resource_id_key_file" in conf:
        conf["resource_id_key_file"] = fix(conf["resource_id_key_file"],
                                           "k" * 44 + "\n")
    for p in conf.get("plugins") or []:
        for s in (p.get("secrets") or {}).values():
            s["file"] = fix(s["file"], "secret\n")
        if "tokens_file" in p:
            p["tokens_file"] = fix(p["tokens_file"], "token-1\n")
    return conf


def save(conf, plugins):
    global nconf
    nconf += 1
    base = os.path.join(tmp, "conf-%d" % nconf)
    with open(base + ".yaml", "w") as f:
        yaml.safe_dump(relocate(conf), f)
    with open(base + ".plugins", "w") as f:
        f.write(" ".join(plugins))


# The Helm chart's templates are not YAML until rendered: svc_helm.sh.
files = sorted(f for f in glob.glob(os.path.join(deploy, "**", "*.yaml"),
                                    recursive=True)
               if not os.path.relpath(f, deploy).startswith("helm/"))
ok("deploy/ has YAML files", len(files) >= 5, str(files))
for path in files:
    rel = os.path.relpath(path, deploy)
    try:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        ok("%s parses" % rel, False, str(e))
        continue
    ok("%s parses" % rel, True)
    if not rel.startswith("kubernetes/"):
        # A configuration baked into an image.
        plugins = [p["name"] for p in docs[0].get("plugins", [])]
        save(docs[0], plugins if len(plugins) == 1 else [])
        continue
    kinds = {}
    for d in docs:
        ok("%s: %s has apiVersion, kind, metadata.name" % (
            rel, d.get("kind")), all(k in d for k in (
                "apiVersion", "kind", "metadata")) and
           "name" in d["metadata"])
        kinds.setdefault(d["kind"], []).append(d)
    for k in ("ConfigMap", "Deployment", "Service", "NetworkPolicy",
              "HorizontalPodAutoscaler"):
        ok("%s has a %s" % (rel, k), k in kinds)
    maps = {c["metadata"]["name"]: c for c in kinds.get("ConfigMap", [])}
    deps = {d["metadata"]["name"]: d for d in kinds.get("Deployment", [])}
    for name, d in deps.items():
        spec = d["spec"]["template"]["spec"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        ok("%s: %s selector matches its pods" % (rel, name), all(
            labels.get(k) == v for k, v in
            d["spec"]["selector"]["matchLabels"].items()))
        ok("%s: %s runs as non-root" % (rel, name),
           spec.get("securityContext", {}).get("runAsNonRoot") is True)
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            cn = "%s: %s/%s" % (rel, name, c["name"])
            # A pod of several plugins is ready while the daemon serves,
            # once every plugin came up (startup probe on /readyz).
            ready = c.get("readinessProbe", {}).get("httpGet", {})
            start = c.get("startupProbe", {}).get("httpGet", {})
            ok(cn + " readiness probe is /readyz, or /healthz after a "
               "startup probe on /readyz", ready.get("path") == "/readyz" or
               (ready.get("path") == "/healthz" and
                start.get("path") == "/readyz"))
            ok(cn + " liveness probe is /healthz",
               c.get("livenessProbe", {}).get("httpGet", {}).get("path")
               == "/healthz")
            req = c.get("resources", {}).get("requests", {})
            ok(cn + " requests cpu and memory", "cpu" in req and
               "memory" in req)
            mounts = c.get("volumeMounts", [])
            ok(cn + " mounts only declared volumes", all(
                m["name"] in vols for m in mounts),
               str([m["name"] for m in mounts]))
            secrets = [v for v in vols.values() if "secret" in v]
            ok(cn + " mounts its credentials from Secrets", len(secrets) > 0)
            args = c.get("args", [])
            ok(cn + " runs with -c", "-c" in args)
            cpath = args[args.index("-c") + 1] if "-c" in args else ""
            cm = None
            for m in mounts:
                if cpath.startswith(m["mountPath"] + "/") and \
                        "configMap" in vols[m["name"]]:
                    cm = maps.get(vols[m["name"]]["configMap"]["name"])
            ok(cn + " reads its configuration from a ConfigMap",
               cm is not None)
            if cm is None:
                continue
            key = os.path.basename(cpath)
            conf = yaml.safe_load(cm["data"][key])
            names = [p["name"] for p in conf.get("plugins", [])]
            only = [args[i + 1] for i, a in enumerate(args) if a == "-p"]
            ok(cn + " -p names configured plugins", all(
                p in names for p in only), "%s not in %s" % (only, names))
            for p in conf.get("plugins", []):
                if only and p["name"] not in only:
                    continue
                if "image" in p:
                    ok(cn + " runs the image plugin %s names" % p["name"],
                       p["image"] == c["image"],
                       "%s != %s" % (p["image"], c["image"]))
            save(conf, only)
    for name, d in deps.items():
        pod = d["spec"]["template"]
        cms = [maps.get(v["configMap"]["name"])
               for v in pod["spec"].get("volumes", []) if "configMap" in v]
        want = [hashlib.sha256(c["data"]["nebula-plugind.yaml"].rstrip(
            "\n").encode()).hexdigest() for c in cms if c]
        ok("%s: %s checksum/config is its ConfigMap's sha256 (pods roll "
           "when it changes)" % (rel, name),
           pod["metadata"].get("annotations", {}).get("checksum/config")
           in want, want)
    for k in kinds:
        for d in kinds[k]:
            if k != "Namespace":
                objnames.setdefault((k, d["metadata"]["name"]), []).append(rel)
    for s in kinds.get("Service", []):
        sel = s["spec"]["selector"]
        ok("%s: Service %s selects a Deployment" % (
            rel, s["metadata"]["name"]), any(
                all(d["spec"]["template"]["metadata"]["labels"].get(k) == v
                    for k, v in sel.items()) for d in deps.values()))
    for n in kinds.get("NetworkPolicy", []):
        frm = [f for r in n["spec"].get("ingress", [])
               for f in r.get("from", [])]
        ok("%s: NetworkPolicy %s admits only namespaces" % (
            rel, n["metadata"]["name"]), len(frm) > 0 and all(
                list(f) == ["namespaceSelector"] for f in frm))
    for h in kinds.get("HorizontalPodAutoscaler", []):
        ok("%s: HPA %s scales a Deployment of this file" % (
            rel, h["metadata"]["name"]),
           h["spec"]["scaleTargetRef"]["name"] in deps)
clash = {k: v for k, v in objnames.items() if len(v) > 1}
ok("no two files define the same object (both layouts can be applied)",
   not clash, clash)
EOF
while IFS= read -r line; do
	case $line in
	"ok - "*) pass "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$E2E_TMP/manifests.out"

# Every configuration passes nebula-plugind -T, with its -p names.
n=0
for conf in "$E2E_TMP"/conf-*.yaml; do
	[ -f "$conf" ] || continue
	n=$((n + 1))
	set --
	read -r plist <"${conf%.yaml}.plugins" || plist=
	for p in $plist; do
		set -- "$@" -p "$p"
	done
	out=$("$NEBULA_PLUGIND" -T -c "$conf" "$@")
	rc=$?
	expect "configuration $n ($*) passes nebula-plugind -T" "0 ok" "$rc $out"
done
check "the manifests hold configurations" test "$n" -ge 5

# The Dockerfiles.
for df in "$deploy"/docker/*/Dockerfile; do
	img=$(basename "$(dirname "$df")")
	check "$img Dockerfile builds on Debian slim in a stage" \
	    grep -q '^FROM debian:bookworm-slim AS build' "$df"
	check "$img Dockerfile runs on Debian slim" \
	    test "$(grep -c '^FROM debian:bookworm-slim' "$df")" -eq 2
	check "$img Dockerfile builds with the project's scripts" \
	    grep -q 'scripts/build' "$df"
	check "$img Dockerfile runs as a non-root user" \
	    grep -q '^USER 10001' "$df"
	# The health check script and the ports: svc_docker.sh.
	check "$img Dockerfile has a health check" grep -q '^HEALTHCHECK' "$df"
	# shellcheck disable=SC2016 # the inner script expands its own $1, $2
	check "$img Dockerfile copies files that exist" sh -c '
	    for f in $(sed -n "s/^COPY \([^-][^ ]*\) .*/\1/p" "$1"); do
		test -e "$2/$f" || exit 1
	    done' sh "$df" "$top_srcdir"
	if [ "$img" != all ]; then
		check "$img Dockerfile serves only $img" \
		    grep -q "CMD .*\"-p\", \"$img\"" "$df"
	fi
done

if command -v yamllint >/dev/null; then
	check "deploy/ passes yamllint -s" \
	    yamllint -s -c "$top_srcdir/.yamllint" "$deploy"
fi
finish
