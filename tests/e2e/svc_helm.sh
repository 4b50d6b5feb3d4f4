#!/bin/sh
# The Helm chart deploy/helm/nebula-plugind renders both layouts: all
# plugins in one Deployment (plugin Secrets optional, readiness that one
# plugin cannot take away, a startup probe on /readyz) and one Deployment
# per plugin (its own image, -p, replicas, HPA, mandatory Secret); names
# differ between layouts and releases; the config checksum annotation is
# the hash of the ConfigMap it rolls on; the port follows `port`; the
# NetworkPolicy admits the metrics scraper; every rendered configuration
# passes `nebula-plugind -T` (syntax only: programs and secrets are not on the test machine).  Rendering uses helm (lint and template) when
# installed, else tests/lint/helm-render.go built with Debian's Go and
# sprig; every rendered object and every manifest under deploy/kubernetes
# is validated against the Kubernetes schemas with the npm package
# kubernetes-models when it is installed (scripts/install-deps).
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

chart="$top_srcdir/deploy/helm/nebula-plugind"
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "# python3-yaml is missing; skipped"
	exit 77
fi
if command -v helm >/dev/null 2>&1; then
	check "helm lint passes" helm lint "$chart"
	render() {
		name=$1
		shift
		helm template "$name" "$chart" "$@"
	}
elif command -v go >/dev/null 2>&1 &&
    [ -d /usr/share/gocode/src/github.com/Masterminds/sprig ]; then
	echo "# helm not found: rendering with tests/lint/helm-render.go" \
	    "(text/template and sprig, as helm does)"
	gp="$E2E_TMP/gopath"
	mkdir -p "$gp/src/github.com/Masterminds/sprig" \
	    "$gp/src/github.com/Masterminds/semver" "$E2E_TMP/render"
	ln -s /usr/share/gocode/src/github.com/Masterminds/sprig \
	    "$gp/src/github.com/Masterminds/sprig/v3"
	ln -s /usr/share/gocode/src/github.com/Masterminds/semver \
	    "$gp/src/github.com/Masterminds/semver/v3"
	cp "$top_srcdir/tests/lint/helm-render.go" "$E2E_TMP/render/main.go"
	if ! (cd "$E2E_TMP/render" && GOPATH="$gp:/usr/share/gocode" \
	    GO111MODULE=off GOFLAGS="" GOCACHE="$E2E_TMP/gocache" \
	    go build -o "$E2E_TMP/helm-render" .) >"$E2E_TMP/go.log" 2>&1; then
		sed 's/^/#   /' "$E2E_TMP/go.log"
		fail "tests/lint/helm-render.go builds"
		finish
	fi
	render() {
		name=$1
		shift
		"$E2E_TMP/helm-render" -n "$name" "$@" "$chart"
	}
else
	echo "# neither helm nor Go with sprig (golang-go," \
	    "golang-github-masterminds-sprig-dev): skipped"
	exit 77
fi

cat >"$E2E_TMP/per-plugin.yaml" <<'EOC'
layout: per-plugin
EOC
cat >"$E2E_TMP/variant.yaml" <<'EOC'
port: 9000
auth: {tokensSecret: ""}
all: {readiness: every-plugin}
plugins:
  databricks: {enabled: false}
EOC
cat >"$E2E_TMP/bad.yaml" <<'EOC'
layout: sideways
EOC
ok=1
render nebula >"$E2E_TMP/all.out" 2>"$E2E_TMP/err" || ok=0
render nebula -f "$E2E_TMP/per-plugin.yaml" >"$E2E_TMP/per.out" \
    2>>"$E2E_TMP/err" || ok=0
render other -f "$E2E_TMP/variant.yaml" >"$E2E_TMP/variant.out" \
    2>>"$E2E_TMP/err" || ok=0
render other -f "$E2E_TMP/variant.yaml" -f "$E2E_TMP/per-plugin.yaml" \
    >"$E2E_TMP/variant-per.out" 2>>"$E2E_TMP/err" || ok=0
[ "$ok" = 1 ] || sed 's/^/#   /' "$E2E_TMP/err"
check "the chart renders both layouts and a variant" test "$ok" = 1
if render nebula -f "$E2E_TMP/bad.yaml" >/dev/null 2>&1; then
	fail "an unknown layout fails the render"
else
	pass "an unknown layout fails the render"
fi

python3 - "$E2E_TMP" >"$E2E_TMP/checks.out" <<'EOF'
import hashlib
import json
import os
import sys

import yaml

tmp = sys.argv[1]


def ok(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name)
    if not cond and detail:
        print("#   " + str(detail))


def load(name):
    with open(os.path.join(tmp, name + ".out")) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


renders = {n: load(n) for n in ("all", "per", "variant", "variant-per")}
objs = []
nconf = 0
for rname, docs in renders.items():
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    ok("%s: object names are unique" % rname, len(names) == len(set(names)),
       names)
    port = 9000 if rname.startswith("variant") else 8000
    cms = {c["metadata"]["name"]: c for c in by_kind(docs, "ConfigMap")}
    for d in by_kind(docs, "Deployment"):
        n = d["metadata"]["name"]
        pod = d["spec"]["template"]
        c = pod["spec"]["containers"][0]
        vols = {v["name"]: v for v in pod["spec"]["volumes"]}
        cm = cms.get(vols["config"]["configMap"]["name"])
        ok("%s: %s reads a ConfigMap of this release" % (rname, n),
           cm is not None)
        if cm is None:
            continue
        text = cm["data"]["nebula-plugind.yaml"]
        want = hashlib.sha256(text.rstrip("\n").encode()).hexdigest()
        ok("%s: %s config checksum is the ConfigMap's hash" % (rname, n),
           pod["metadata"]["annotations"].get("checksum/config") == want)
        ok("%s: %s port follows the values" % (rname, n),
           c["ports"][0]["containerPort"] == port and
           pod["metadata"]["annotations"]["prometheus.io/port"] == str(port))
        conf = yaml.safe_load(text)
        ok("%s: %s configuration listens on the port" % (rname, n),
           conf["listen"] == "0.0.0.0:%d" % port)
        names = [p["name"] for p in conf["plugins"]]
        ok("%s: production configuration has no echo or sleep" % rname,
           "echo" not in names and "sleep" not in names)
        only = c["args"][c["args"].index("-p") + 1] if "-p" in c["args"] \
            else None
        secrets = [v for v in vols.values() if "secret" in v and
                   v["name"] not in ("api-tokens", "rid-key")]
        if only is None:
            ok("%s: %s plugin Secrets are optional" % (rname, n),
               secrets and all(v["secret"].get("optional") is True
                               for v in secrets))
            probe = c["readinessProbe"]["httpGet"]["path"]
            if rname == "variant":
                ok("%s: readiness every-plugin uses /readyz" % rname,
                   probe == "/readyz" and "startupProbe" not in c)
            else:
                ok("%s: one plugin down does not make the pod unready" %
                   rname, probe == "/healthz" and
                   c["startupProbe"]["httpGet"]["path"] == "/readyz")
        else:
            img = [p["image"] for p in conf["plugins"] if p["name"] == only]
            ok("%s: %s runs its plugin's own image" % (rname, n),
               img == [c["image"]], (img, c["image"]))
            ok("%s: %s mounts only its own mandatory Secret" % (rname, n),
               [v["secret"]["secretName"] for v in secrets] ==
               ["nebula-" + only] and
               secrets[0]["secret"].get("optional") is False)
            ok("%s: %s readiness is /readyz" % (rname, n),
               c["readinessProbe"]["httpGet"]["path"] == "/readyz")
        nconf += 1
        with open(os.path.join(tmp, "conf-%d.yaml" % nconf), "w") as f:
            f.write(text)
        with open(os.path.join(tmp, "conf-%d.plugins" % nconf), "w") as f:
            f.write(only or "")
    for s in by_kind(docs, "Service"):
        sel = s["spec"]["selector"]
        ok("%s: Service %s selects one Deployment" % (
            rname, s["metadata"]["name"]), len([
                d for d in by_kind(docs, "Deployment") if all(
                    d["spec"]["template"]["metadata"]["labels"].get(k) == v
                    for k, v in sel.items())]) == 1)
        ok("%s: Service %s port follows the values" % (
            rname, s["metadata"]["name"]),
           s["spec"]["ports"][0]["port"] == port)
    deps = [d["metadata"]["name"] for d in by_kind(docs, "Deployment")]
    for h in by_kind(docs, "HorizontalPodAutoscaler"):
        ok("%s: HPA %s scales a Deployment of the render" % (
            rname, h["metadata"]["name"]),
           h["spec"]["scaleTargetRef"]["name"] in deps)
    ok("%s: one HPA per Deployment" % rname,
       len(by_kind(docs, "HorizontalPodAutoscaler")) == len(deps))
    for np in by_kind(docs, "NetworkPolicy"):
        frm = [f["namespaceSelector"]["matchLabels"]
               ["kubernetes.io/metadata.name"]
               for r in np["spec"]["ingress"] for f in r["from"]]
        ok("%s: NetworkPolicy admits the orchestrator and the scraper" %
           rname, "flyte" in frm and "monitoring" in frm, frm)
        pods = [d for d in by_kind(docs, "Deployment") if all(
            d["spec"]["template"]["metadata"]["labels"].get(k) == v
            for k, v in np["spec"]["podSelector"]["matchLabels"].items())]
        ok("%s: NetworkPolicy selects every Deployment" % rname,
           len(pods) == len(deps))
    objs += docs

per = renders["per"]
ok("per-plugin: one Deployment per plugin",
   sorted(d["metadata"]["name"] for d in by_kind(per, "Deployment")) ==
   ["nebula-per-plugin-bigquery", "nebula-per-plugin-databricks"])
ok("variant: a disabled plugin gets no Deployment",
   [d["metadata"]["name"] for d in by_kind(renders["variant-per"],
                                           "Deployment")] ==
   ["other-per-plugin-bigquery"])
a = {(d["kind"], d["metadata"]["name"]) for d in renders["all"]}
p = {(d["kind"], d["metadata"]["name"]) for d in per}
ok("the two layouts share no object name", not (a & p), a & p)
with open(os.path.join(tmp, "objects.json"), "w") as f:
    json.dump(objs, f)
EOF
while IFS= read -r line; do
	case $line in
	"ok - "*) pass "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$E2E_TMP/checks.out"

# Every rendered configuration passes -t, its secret files stood in for.
n=0
for conf in "$E2E_TMP"/conf-*.yaml; do
	[ -f "$conf" ] || continue
	n=$((n + 1))
	root="$E2E_TMP/root$n"
	sed "s|/var/run/secrets/|$root/|g" "$conf" >"$conf.local"
	mkdir -p "$root/nebula/api" "$root/nebula/rid"
	echo token-1 >"$root/nebula/api/tokens"
	"$NEBULA_PLUGIND" -k >"$root/nebula/rid/key"
	set --
	read -r only <"${conf%.yaml}.plugins" || only=
	[ -n "$only" ] && set -- -p "$only"
	expect "rendered configuration $n ($*) passes nebula-plugind -T" ok \
	    "$("$NEBULA_PLUGIND" -T -c "$conf.local" "$@")"
done
check "the renders hold configurations" test "$n" -ge 4

# Schema validation of the rendered objects and the static manifests.
models=
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	models="$(npm root -g 2>/dev/null)/kubernetes-models"
	[ -f "$models/package.json" ] || models=
fi
if [ -z "$models" ]; then
	echo "# npm package kubernetes-models not installed" \
	    "(scripts/install-deps): schema validation skipped"
	finish
fi
python3 - "$top_srcdir/deploy/kubernetes" "$E2E_TMP/objects.json" <<'EOF'
import glob
import json
import os
import sys

import yaml

objs = json.load(open(sys.argv[2]))
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.yaml"))):
    with open(path) as f:
        objs += [d for d in yaml.safe_load_all(f) if d]
json.dump(objs, open(sys.argv[2], "w"))
EOF
cat >"$E2E_TMP/validate.mjs" <<'EOF'
// Validates each object of a JSON array against the Kubernetes schemas of
// the kubernetes-models package: one "ok"/"not ok" line per object.
import { readFileSync } from "node:fs";
const [models, file] = process.argv.slice(2);
for (const o of JSON.parse(readFileSync(file, "utf8"))) {
	const [group, version] = o.apiVersion.includes("/") ?
	    o.apiVersion.split("/") : [null, o.apiVersion];
	const dir = group ? `${group}/${version}` : version;
	const what = `${o.kind} ${o.metadata.name} (${o.apiVersion})`;
	try {
		const mod = await import(`${models}/${dir}/${o.kind}.js`);
		new mod[o.kind](o).validate();
		console.log(`ok - ${what} is valid against the schema`);
	} catch (e) {
		console.log(`not ok - ${what} is valid against the schema`);
		console.log(`#   ${e.message}`);
	}
}
EOF
node "$E2E_TMP/validate.mjs" "$models" "$E2E_TMP/objects.json" \
    >"$E2E_TMP/schema.out" 2>&1
while IFS= read -r line; do
	case $line in
	"ok - "*) pass "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$E2E_TMP/schema.out"
check "the schema check saw objects" grep -q '^ok - ' "$E2E_TMP/schema.out"
finish
