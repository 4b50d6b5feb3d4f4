#!/bin/sh
# A static check of the Dockerfiles under deploy/docker (the images cannot
# be built here: no base image can be pulled), that catches a wrong path or
# port: every COPY source is in the tree, every file copied from the build
# stage is one `make install` lays down (at the same place relative to the
# prefix), EXPOSE is the port the baked configuration listens on, CMD reads
# the configuration where it is copied and -p names one of its plugins,
# every plugin command is in the image, and the HEALTHCHECK script (which
# follows the configured port) answers 0 against a running daemon and not
# 0 once it stopped or on another port.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

dest="$E2E_TMP/dest"
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! make -s -C "$top_builddir" install DESTDIR="$dest" \
    >"$E2E_TMP/install.log" 2>&1; then
	sed 's/^/#   /' "$E2E_TMP/install.log"
	fail "make install DESTDIR=... succeeds"
	finish
fi
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")

python3 - "$top_srcdir" "$dest$prefix" >"$E2E_TMP/docker.out" <<'EOF'
import glob
import json
import os
import re
import sys

top, installed = sys.argv[1], sys.argv[2]


def ok(name, cond, detail=""):
    print(("ok - " if cond else "not ok - ") + name)
    if not cond and detail:
        print("#   " + str(detail))


def instructions(path):
    """(INSTRUCTION, argument text) per line, continuations joined."""
    out, cur = [], ""
    for line in open(path):
        line = line.rstrip("\n")
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out


def listen_port(conf):
    m = re.search(r'^listen:\s*"?\[?"?[^\n"]*:(\d+)', conf, re.M)
    return int(m.group(1)) if m else 8000


for df in sorted(glob.glob(os.path.join(top, "deploy/docker/*/Dockerfile"))):
    img = os.path.basename(os.path.dirname(df))
    ins = instructions(df)
    copied = {}          # image path -> tree path (for files from the tree)
    image_files = set()
    stage = 0
    for word, arg in ins:
        if word == "FROM":
            stage += 1
        if word == "RUN" and stage == 1 and "scripts/build" in arg:
            ok("%s: the build stage installs with --prefix=/usr" % img,
               "--prefix=/usr" in arg and "DESTDIR=/out" in arg)
        if word != "COPY":
            continue
        parts = arg.split()
        frm = [p for p in parts if p.startswith("--from=")]
        parts = [p for p in parts if not p.startswith("--")]
        srcs, dst = parts[:-1], parts[-1]
        for s in srcs:
            if frm:
                rel = s[len("/out/usr/"):] if s.startswith("/out/usr/") \
                    else None
                ok("%s: COPY --from %s is a file make install lays down" % (
                    img, s), rel is not None and
                   os.path.exists(os.path.join(installed, rel)), rel)
            else:
                ok("%s: COPY %s exists in the tree" % (img, s),
                   os.path.exists(os.path.join(top, s)))
            target = dst + os.path.basename(s) if dst.endswith("/") else dst
            if stage == 2:
                image_files.add(target)
                if not frm:
                    copied[target] = os.path.join(top, s)
    cmd = entry = []
    for word, arg in ins:
        if word == "CMD":
            cmd = json.loads(arg)
        if word == "ENTRYPOINT":
            entry = json.loads(arg)
    ok("%s: ENTRYPOINT is the daemon, copied into the image" % img,
       entry == ["nebula-plugind"] and "/usr/bin/nebula-plugind"
       in image_files)
    cpath = cmd[cmd.index("-c") + 1] if "-c" in cmd else None
    ok("%s: CMD reads a configuration copied into the image" % img,
       cpath in copied, cpath)
    if cpath not in copied:
        continue
    conf = open(copied[cpath]).read()
    names = re.findall(r"^  - name: (\S+)", conf, re.M)
    only = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-p"]
    ok("%s: CMD -p names plugins of the configuration" % img,
       all(p in names for p in only), (only, names))
    for c in re.findall(r"^    command: \[([^],]+)", conf, re.M):
        ok("%s: plugin command %s is in the image" % (img, c),
           "/usr/libexec/nebula/" + c in image_files or
           "/usr/bin/" + c in image_files or c in image_files)
    expose = [int(a.split("/")[0]) for w, a in ins if w == "EXPOSE"]
    ok("%s: EXPOSE is the configured port" % img,
       expose == [listen_port(conf)], (expose, listen_port(conf)))
    hc = [a for w, a in ins if w == "HEALTHCHECK"]
    hcmd = json.loads(hc[0].split("CMD", 1)[1]) if hc and "CMD [" in hc[0] \
        else []
    ok("%s: HEALTHCHECK runs the health check script copied in" % img,
       len(hcmd) == 1 and copied.get(hcmd[0], "").endswith(
           "deploy/docker/healthcheck"), hc)
    ok("%s: the image names no test plugin" % img,
       "echo" not in names and "sleep" not in names, names)
EOF
while IFS= read -r line; do
	case $line in
	"ok - "*) pass "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$E2E_TMP/docker.out"

# The health check script against a running daemon, through a copy of a
# configuration that names the daemon's port with a wildcard host.
hc="$top_srcdir/deploy/docker/healthcheck"
start_daemon "" || fail "the daemon starts"
wait_ready
printf 'listen: 0.0.0.0:%s\n' "$PORT" >"$E2E_TMP/hc.yaml"
check "healthcheck follows the configured port of a live daemon" \
    "$hc" "$E2E_TMP/hc.yaml"
printf 'listen: ["127.0.0.1:%s", "[::1]:%s"]\n' "$PORT" "$PORT" \
    >"$E2E_TMP/hc-list.yaml"
check "healthcheck takes the first address of a list" \
    "$hc" "$E2E_TMP/hc-list.yaml"
printf 'listen: 127.0.0.1:%s\n' "$((PORT == 1 ? 2 : PORT - 1))" \
    >"$E2E_TMP/hc-other.yaml"
if "$hc" "$E2E_TMP/hc-other.yaml" 2>/dev/null; then
	# Something else may answer /healthz on that port; not a failure of ours.
	echo "# another port answered; the negative case is not checked"
else
	pass "healthcheck fails on a port the daemon does not listen on"
fi
stop_daemon
if "$hc" "$E2E_TMP/hc.yaml" 2>/dev/null; then
	fail "healthcheck fails once the daemon stopped"
else
	pass "healthcheck fails once the daemon stopped"
fi
finish
