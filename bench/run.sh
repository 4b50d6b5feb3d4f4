#!/bin/bash
# `make bench`: nebula-plugind side by side with nginx (a fixed JSON answer,
# no worker hop) and the FastAPI peer (as shipped, and with TCP_NODELAY
# fixed), alternating A B C D A B C D so that machine drift cancels out, on
# the seed's tiny create, a poll, and Flyte-shaped creates of 3.7 and 16 KB
# (bench/bodies.py); gRPC CreateTask at 64 streams (h2load) against a
# flytekit-style grpcio peer (bench/grpc_peer.py); then scale figures
# (instances, a slow worker's concurrency, idle keep-alive connections,
# clients that pipeline and never read: bench/noread.py) and a profile of
# the daemon.  It installs nothing: it says what is missing.
# Results go to bench/results.md.
#
# Environment: BENCH_BUILDDIR (the build tree; default: the current
# directory), BENCH_SECONDS (per run, default 10), BENCH_ROUNDS (default 3),
# BENCH_SCALE=0 (skip the scale figures), BENCH_PROFILE=0 (skip the
# profile), BENCH_PROFILE_SECONDS (default 5), BENCH_IDLE_CONNS (default
# 10000), BENCH_NGINX_WORKERS (default 1), BENCH_WRK_THREADS (default 2),
# BENCH_PORT (first of the ports used, default 18400), BENCH_KEEP=1 (keep
# the scratch directory with the raw figures and profiles), BENCH_PYTHON
# (default /usr/bin/python3, for Debian's fastapi and uvicorn), PEER_DIR
# (where fastapi_plugin.py is; default ../shared/peers beside the source
# tree), BENCH_RESULTS (default bench/results.md in the source tree),
# BENCH_GRPC=0 (skip gRPC), BENCH_ALSO ("label=/path/to/nebula-plugind ...":
# other builds of the daemon, such as the tree before a change, run in the
# same alternation on the 64-connection workloads and gRPC; each finds its
# plugins in its own build tree).

set -u

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=$(cd "${BENCH_BUILDDIR:-.}" && pwd)
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
SCALE=${BENCH_SCALE:-1}
PROFILE=${BENCH_PROFILE:-1}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
NGINX_WORKERS=${BENCH_NGINX_WORKERS:-1}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
PORT=${BENCH_PORT:-18400}
PYTHON=${BENCH_PYTHON:-/usr/bin/python3}
PEER_DIR=${PEER_DIR:-$SRCDIR/../shared/peers}
RESULTS=${BENCH_RESULTS:-$SRCDIR/bench/results.md}
NGINX=${BENCH_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
DAEMON=$BUILDDIR/supervisor/nebula-plugind
GRPC=${BENCH_GRPC:-1}
GRPC_PATH=/flyteidl.service.AsyncAgentService/CreateTask
ALSO=${BENCH_ALSO:-}
CREATE_BODY='{"task_template":{"type":"echo","custom":{"sql":"select 1"}},"inputs":{"x":1},"output_prefix":"s3://bucket/prefix"}'

SCRATCH=
PIDS=()

log() {
	printf 'bench: %s\n' "$*" >&2
}

# --- what is needed -------------------------------------------------------

check_deps() {
	local missing=()

	command -v wrk >/dev/null || missing+=("wrk (package wrk)")
	[ -x "$NGINX" ] || missing+=("nginx (package nginx-light or nginx)")
	command -v curl >/dev/null || missing+=("curl (package curl)")
	command -v ps >/dev/null || missing+=("ps (package procps)")
	if ! "$PYTHON" -c 'import fastapi, uvicorn' 2>/dev/null; then
		missing+=("$PYTHON with fastapi and uvicorn (packages python3-fastapi python3-uvicorn)")
	fi
	[ -r "$PEER_DIR/fastapi_plugin.py" ] ||
	    missing+=("the FastAPI peer: $PEER_DIR/fastapi_plugin.py (set PEER_DIR)")
	[ -x "$DAEMON" ] || missing+=("$DAEMON (run make first)")
	[ -x "$BUILDDIR/bench/slowworker" ] ||
	    missing+=("$BUILDDIR/bench/slowworker (make bench builds it)")
	[ -x "$BUILDDIR/bench/idleconns" ] ||
	    missing+=("$BUILDDIR/bench/idleconns (make bench builds it)")
	if [ "$GRPC" = 1 ]; then
		command -v h2load >/dev/null ||
		    missing+=("h2load (package nghttp2-client), or BENCH_GRPC=0")
		"$PYTHON" -c 'import grpc, grpc_tools, google.protobuf' \
		    2>/dev/null || missing+=("$PYTHON with grpc, grpc_tools and protobuf (packages python3-grpcio python3-grpc-tools python3-protobuf), or BENCH_GRPC=0")
	fi
	if [ "$PROFILE" = 1 ] && ! command -v valgrind >/dev/null; then
		log "valgrind not found (package valgrind): no callgrind profile"
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		log "missing:"
		printf '  - %s\n' "${missing[@]}" >&2
		log "on Debian: apt-get install wrk nginx-light curl procps python3-fastapi python3-uvicorn valgrind nghttp2-client python3-grpcio python3-grpc-tools"
		exit 1
	fi
}

# --- processes ------------------------------------------------------------

cleanup() {
	local p

	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait_gone "$p" 10 || kill -9 "$p" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "kept $SCRATCH"
	elif [ -n "$SCRATCH" ]; then
		rm -rf "$SCRATCH"
	fi
}

# wait_gone PID SECONDS: 0 once the process is gone.
wait_gone() {
	local i

	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# stop PID: SIGTERM, then SIGKILL after 10 s; forgets it.
stop() {
	local p keep=()

	kill "$1" 2>/dev/null
	wait_gone "$1" 10 || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# tree PID: the process and all its descendants.
tree() {
	ps -e -o pid= -o ppid= | awk -v root="$1" '
	    { kids[$2] = kids[$2] " " $1 }
	    END {
		n = 1; q[1] = root
		for (i = 1; i <= n; i++) {
			print q[i]
			m = split(kids[q[i]], k, " ")
			for (j = 1; j <= m; j++)
				q[++n] = k[j]
		}
	    }'
}

# tree_cpu PID: utime+stime of the tree, in clock ticks.
tree_cpu() {
	local p t=0 rest

	for p in $(tree "$1"); do
		rest=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		rest=${rest##*) }
		# shellcheck disable=SC2086
		set -- $rest
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# rss PID...: the sum of VmRSS in kB.
rss() {
	local p kb t=0

	for p in "$@"; do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		t=$((t + ${kb:-0}))
	done
	echo "$t"
}

# tree_rss PID: VmRSS of the tree in kB.
tree_rss() {
	# shellcheck disable=SC2046
	rss $(tree "$1")
}

# wait_http URL SECONDS [STATUS]: 0 once URL answers (STATUS if given).
wait_http() {
	local i code

	for ((i = 0; i < $2 * 10; i++)); do
		code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1")
		if [ -n "${3:-}" ]; then
			[ "$code" = "$3" ] && return 0
		elif [ "$code" != 000 ]; then
			return 0
		fi
		sleep 0.1
	done
	log "no answer from $1"
	return 1
}

# --- servers --------------------------------------------------------------

# start_daemon NAME PORT [CONFIG [BINARY]]: sets PID_<NAME>.
start_daemon() {
	local args=(-l "127.0.0.1:$2") pid

	[ -n "${3:-}" ] && args+=(-c "$3")
	"${4:-$DAEMON}" "${args[@]}" 2>>"$SCRATCH/$1.log" &
	pid=$!
	PIDS+=("$pid")
	printf -v "PID_$1" '%s' "$pid"
	wait_http "http://127.0.0.1:$2/readyz" 30 200
}

start_nginx() {
	local dir=$SCRATCH/nginx pid

	mkdir -p "$dir"
	sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$2|g" \
	    -e "s|@WORKERS@|$NGINX_WORKERS|g" \
	    "$SRCDIR/bench/nginx.conf" >"$dir/nginx.conf"
	"$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
	    2>>"$SCRATCH/$1.log" &
	pid=$!
	PIDS+=("$pid")
	printf -v "PID_$1" '%s' "$pid"
	wait_http "http://127.0.0.1:$2/healthz" 30 200
}

# start_peer NAME PORT shipped|nodelay
start_peer() {
	local dir=$SCRATCH/peer pid run=(-m uvicorn)

	mkdir -p "$dir"
	cp "$PEER_DIR/fastapi_plugin.py" "$dir/"
	[ "$3" = nodelay ] && run=("$SRCDIR/bench/uvicorn_nodelay.py")
	PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "${run[@]}" fastapi_plugin:app \
	    --app-dir "$dir" --host 127.0.0.1 --port "$2" --workers 2 \
	    --log-level warning 2>>"$SCRATCH/$1.log" &
	pid=$!
	PIDS+=("$pid")
	printf -v "PID_$1" '%s' "$pid"
	wait_http "http://127.0.0.1:$2/plugins/v1/echo/v1/x" 60
}

# start_grpc_peer NAME PORT: the flytekit-style grpcio agent.
start_grpc_peer() {
	local pid i

	PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$SRCDIR/bench/grpc_peer.py" \
	    serve "$2" "$SCRATCH/stubs" 2>>"$SCRATCH/$1.log" &
	pid=$!
	PIDS+=("$pid")
	printf -v "PID_$1" '%s' "$pid"
	for ((i = 0; i < 30; i++)); do
		grpc_check "$2" 2>/dev/null && return 0
		sleep 1
	done
	log "$1: no gRPC answer"
	return 1
}

# grpc_check PORT: one CreateTask with a real gRPC client, status OK.
grpc_check() {
	"$PYTHON" "$SRCDIR/bench/grpc_peer.py" check "127.0.0.1:$1" \
	    "$SCRATCH/stubs" "$SCRATCH/grpc_create.bin"
}

# create_rid PORT: a resource_id from the server on PORT.
create_rid() {
	curl -s -X PUT -H 'Content-Type: application/json' -d "$CREATE_BODY" \
	    "http://127.0.0.1:$1/plugins/v1/echo/v1" |
	    sed -n 's/.*"resource_id": *"\([^"]*\)".*/\1/p'
}

# --- one measurement ------------------------------------------------------

# measure LABEL PID SCRIPT CONNS URL: appends a line to $SCRATCH/raw.tsv:
# label, conns, requests, duration_us, p50_us, p99_us, errors, non2xx,
# cpu ticks of the server's tree, its RSS in kB at mid-run.
measure() {
	local label=$1 pid=$2 script=$3 conns=$4 url=$5 threads c0 c1 out line
	local half sampler

	threads=$WRK_THREADS
	[ "$conns" -lt "$threads" ] && threads=$conns
	half=$(awk -v s="$SECONDS_PER_RUN" 'BEGIN { print s / 2 }')
	rm -f "$SCRATCH/rss.mid"
	(sleep "$half"; tree_rss "$pid" >"$SCRATCH/rss.mid") &
	sampler=$!
	c0=$(tree_cpu "$pid")
	out=$(wrk -t"$threads" -c"$conns" -d"${SECONDS_PER_RUN}s" --latency \
	    -s "$SCRATCH/$script.lua" "$url" 2>&1)
	c1=$(tree_cpu "$pid")
	wait "$sampler"
	line=$(printf '%s\n' "$out" | sed -n 's/^BENCH //p')
	if [ -z "$line" ]; then
		log "$label: wrk said: $out"
		return 1
	fi
	# "requests=1 duration_us=2 ..." -> "1 2 ..."
	line=$(printf '%s\n' "$line" | sed 's/[a-z0-9_]*=//g')
	printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$conns" \
	    "$(printf '%s' "$line" | tr ' ' '\t')" "$((c1 - c0))" \
	    "$(cat "$SCRATCH/rss.mid" 2>/dev/null || echo 0)" \
	    >>"$SCRATCH/raw.tsv"
	log "$label c=$conns: $line cpu_ticks=$((c1 - c0))"
}

# measure_h2 LABEL PID STREAMS PORT: gRPC CreateTask with h2load (the body
# of bench/bodies.py, 4 connections of STREAMS/4 streams); appends to
# raw.tsv like measure.  h2load counts HTTP statuses, and a gRPC error is an
# HTTP 200, so grpc_check calls once before and after with a real client.
measure_h2() {
	local label=$1 pid=$2 streams=$3 port=$4 c0 c1 out half sampler
	local ok total failed lat

	half=$(awk -v s="$SECONDS_PER_RUN" 'BEGIN { print s / 2 }')
	rm -f "$SCRATCH/rss.mid" "$SCRATCH/h2.log"
	grpc_check "$port" || return 1
	(sleep "$half"; tree_rss "$pid" >"$SCRATCH/rss.mid") &
	sampler=$!
	c0=$(tree_cpu "$pid")
	out=$(h2load -t 2 -c 4 -m $((streams / 4)) -D "$SECONDS_PER_RUN" \
	    -d "$SCRATCH/grpc_create.bin" -H 'content-type: application/grpc' \
	    -H 'te: trailers' --log-file="$SCRATCH/h2.log" \
	    "http://127.0.0.1:$port$GRPC_PATH" 2>&1)
	c1=$(tree_cpu "$pid")
	wait "$sampler"
	grpc_check "$port" || return 1
	# "requests: 10 total, 10 started, 10 done, 10 succeeded, 0 failed,
	# 0 errored, 0 timeout"
	read -r total ok failed < <(printf '%s\n' "$out" | sed -n \
	    's/^requests: \([0-9]*\) total.* \([0-9]*\) succeeded, \([0-9]*\) failed, \([0-9]*\) errored.*/\1 \2 \3/p')
	if [ -z "$ok" ] || [ "$ok" = 0 ]; then
		log "$label: h2load said: $out"
		return 1
	fi
	# The log: start time, status, duration in us, one request a line.
	lat=$(awk '{ print $3 }' "$SCRATCH/h2.log" | sort -n | awk '
	    { v[NR] = $1 }
	    END { print v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1] }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" \
	    "$streams" "$ok" "$((SECONDS_PER_RUN * 1000000))" \
	    "${lat% *}" "${lat#* }" "$failed" "$((total - ok - failed))" \
	    "$((c1 - c0))" "$(cat "$SCRATCH/rss.mid" 2>/dev/null || echo 0)" \
	    >>"$SCRATCH/raw.tsv"
	log "$label streams=$streams: ok=$ok total=$total p50/p99_us=$lat cpu_ticks=$((c1 - c0))"
}

# --- the parts ------------------------------------------------------------

SERVERS=(nebula nginx peer peer_nodelay)
# The workloads of the side-by-side part, SCRIPT:CONNECTIONS; BENCH_ALSO's
# daemons run those at 64 connections.
WORKLOADS=(create:1 create:64 get:64 flyte3k:64 flyte16k:64 create16k:64)
RUNNING_BODY='{"task_template":{"type":"sleep","custom":{"seconds":86400}}}'

# also_servers: the labels of BENCH_ALSO, as server names nebula@LABEL.
also_servers() {
	local a

	for a in $ALSO; do
		printf '%s\n' "nebula@${a%%=*}"
	done
}

# also_binary LABEL: the daemon BENCH_ALSO names LABEL.
also_binary() {
	local a

	for a in $ALSO; do
		[ "${a%%=*}" = "$1" ] && printf '%s\n' "${a#*=}"
	done
}

# start_server NAME PORT: any of the servers, by name; sets RID_<name>,
# the resource_id the poll workload asks for (a running sleep job for a
# daemon, echo's for the others).
start_server() {
	local s=$1 v=${1//@/_} port=$2 rid bin url

	case $s in
	nebula)	start_daemon "$v" "$port" || return 1 ;;
	nebula@*) bin=$(also_binary "${s#nebula@}")
		start_daemon "$v" "$port" "" "$bin" || return 1 ;;
	nginx)	start_nginx "$v" "$port" || return 1 ;;
	peer)	start_peer "$v" "$port" shipped || return 1 ;;
	peer_nodelay) start_peer "$v" "$port" nodelay || return 1 ;;
	grpc_peer) start_grpc_peer "$v" "$port" || return 1; return 0 ;;
	esac
	rid=$(create_rid "$port")
	url=http://127.0.0.1:$port/plugins/v1/echo/v1
	case $s in
	nebula*)
		url=http://127.0.0.1:$port/plugins/v1/sleep/v1
		rid=$(curl -s -X PUT -H 'Content-Type: application/json' \
		    -d "$RUNNING_BODY" "$url" |
		    sed -n 's/.*"resource_id": *"\([^"]*\)".*/\1/p') ;;
	esac
	if [ -z "$rid" ]; then
		log "$s: create answered no resource_id"
		return 1
	fi
	printf -v "RID_$v" '%s' "$rid"
	printf -v "URL_$v" '%s' "$url"
	curl -s -o /dev/null "$url/$rid"
}

compare() {
	local round s v port w conns script url rid i=0 p all also

	mapfile -t also < <(also_servers)
	all=("${SERVERS[@]}" "${also[@]}")
	for s in "${all[@]}"; do
		v=${s//@/_}
		port=$((PORT + 30 + i))
		i=$((i + 1))
		printf -v "PORT_$v" '%s' "$port"
		start_server "$s" "$port" || return 1
	done
	sleep 2
	for s in "${all[@]}"; do
		p=PID_${s//@/_}
		printf '%s\t%s\t%s\n' "$s" "$(tree_rss "${!p}")" \
		    "$(rss "${!p}")" >>"$SCRATCH/idle.tsv"
	done
	for ((round = 1; round <= ROUNDS; round++)); do
		log "round $round of $ROUNDS"
		for w in "${WORKLOADS[@]}"; do
			script=${w%%:*}
			conns=${w##*:}
			for s in "${all[@]}"; do
				[ "$s" != "${s#nebula@}" ] && [ "$conns" != 64 ] &&
				    continue
				v=${s//@/_}
				p=PORT_$v
				url=http://127.0.0.1:${!p}/plugins/v1/echo/v1
				if [ "$script" = get ]; then
					rid=RID_$v
					url=URL_$v
					url=${!url}/${!rid}
				fi
				p=PID_$v
				measure "$s:$script" "${!p}" "$script" "$conns" \
				    "$url" || return 1
			done
		done
	done
	for s in "${all[@]}"; do
		p=PID_${s//@/_}
		stop "${!p}"
	done
}

# compare_grpc: CreateTask at 64 streams, the daemon(s) and the grpcio
# peer alternately.
compare_grpc() {
	local round s v i=0 p all also port

	mapfile -t also < <(also_servers)
	all=(nebula grpc_peer "${also[@]}")
	for s in "${all[@]}"; do
		v=${s//@/_}
		printf -v "PORT_$v" '%s' $((PORT + 40 + i))
		i=$((i + 1))
		p=PORT_$v
		start_server "$s" "${!p}" || return 1
		if ! grpc_check "${!p}"; then
			log "$s: no gRPC CreateTask; left out"
			p=PID_$v
			stop "${!p}"
			continue
		fi
		printf -v "GRPC_$v" 1
	done
	for ((round = 1; round <= ROUNDS; round++)); do
		log "gRPC round $round of $ROUNDS"
		for s in "${all[@]}"; do
			v=${s//@/_}
			p=GRPC_$v
			[ -n "${!p:-}" ] || continue
			p=PORT_$v
			port=${!p}
			p=PID_$v
			measure_h2 "$s:grpc" "${!p}" 64 "$port" || return 1
		done
	done
	for s in "${all[@]}"; do
		v=${s//@/_}
		p=GRPC_$v
		[ -n "${!p:-}" ] || continue
		p=PID_$v
		stop "${!p}"
	done
}

# scale_instances: create at 64 against echo with 1, 2, 4 instances, and
# with one instance and the access log off.
scale_instances() {
	local n port=$((PORT + 10)) cfg p log label

	for n in 1 2 4 nolog; do
		log=true
		label=instances:$n
		if [ "$n" = nolog ]; then
			n=1
			log=false
			label=access_log_off:1
		fi
		cfg=$SCRATCH/instances$n$log.yaml
		cat >"$cfg" <<EOF
listen: 127.0.0.1:$port
access_log: $log
plugins:
  - name: echo
    command: [$BUILDDIR/plugins/echo/nebula-echo]
    task_types: [{type: echo, versions: [v1]}]
    instances: $n
EOF
		start_daemon "inst$n$log" "$port" "$cfg" || return 1
		p=PID_inst$n$log
		measure "$label" "${!p}" create 64 \
		    "http://127.0.0.1:$port/plugins/v1/echo/v1" || return 1
		stop "${!p}"
	done
}

# scale_fronts: create at 64 with front_processes 1, 2, 4 (each front has
# its own loop and its own echo worker).
scale_fronts() {
	local n port=$((PORT + 13)) cfg p

	for n in 1 2 4; do
		cfg=$SCRATCH/fronts$n.yaml
		cat >"$cfg" <<EOF
listen: 127.0.0.1:$port
front_processes: $n
plugins:
  - name: echo
    command: [$BUILDDIR/plugins/echo/nebula-echo]
    task_types: [{type: echo, versions: [v1]}]
EOF
		if ! "$DAEMON" -t -c "$cfg" >/dev/null 2>&1; then
			log "front_processes not supported by this daemon"
			return 0
		fi
		start_daemon "fronts$n" "$port" "$cfg" || return 1
		sleep 1		# every front ready, not just the one that answered
		p=PID_fronts$n
		measure "front_processes:$n" "${!p}" create 64 \
		    "http://127.0.0.1:$port/plugins/v1/echo/v1" || return 1
		stop "${!p}"
	done
}

# scale_concurrency: a worker that answers 20 ms late, concurrency 1/16/64.
scale_concurrency() {
	local c port=$((PORT + 11)) cfg p

	for c in 1 16 64; do
		cfg=$SCRATCH/slow$c.yaml
		cat >"$cfg" <<EOF
listen: 127.0.0.1:$port
plugins:
  - name: slow
    command: [$BUILDDIR/bench/slowworker, "1024", "20"]
    task_types: [{type: slow, versions: [v1]}]
    concurrency: $c
EOF
		start_daemon "slow$c" "$port" "$cfg" || return 1
		p=PID_slow$c
		measure "concurrency:$c" "${!p}" create 64 \
		    "http://127.0.0.1:$port/plugins/v1/slow/v1" || return 1
		stop "${!p}"
	done
}

# idle_conns LABEL PID PORT: RSS of PID (alone, and with its tree) before
# and with IDLE_CONNS idle keep-alive connections open.
idle_conns() {
	local label=$1 pid=$2 port=$3 r0 t0 r1 t1 got client i

	r0=$(rss "$pid")
	t0=$(tree_rss "$pid")
	rm -f "$SCRATCH/hold" "$SCRATCH/idle.out"
	mkfifo "$SCRATCH/hold"
	"$BUILDDIR/bench/idleconns" 127.0.0.1 "$port" "$IDLE_CONNS" \
	    <"$SCRATCH/hold" >"$SCRATCH/idle.out" 2>>"$SCRATCH/idleconns.log" &
	client=$!
	exec 9>"$SCRATCH/hold"
	for ((i = 0; i < 1200; i++)); do
		grep -q '^open' "$SCRATCH/idle.out" 2>/dev/null && break
		sleep 0.1
	done
	sleep 1
	got=$(sed -n 's/^open //p' "$SCRATCH/idle.out")
	r1=$(rss "$pid")
	t1=$(tree_rss "$pid")
	exec 9>&-
	wait "$client"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "${got:-0}" "$r0" "$r1" \
	    "$t0" "$t1" >>"$SCRATCH/conns.tsv"
	log "$label: ${got:-0} idle connections: RSS $r0 -> $r1 kB"
}

scale_conns() {
	local port=$((PORT + 12)) cfg=$SCRATCH/conns.yaml need p

	need=$((IDLE_CONNS + 100))
	if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
		ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	fi
	if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
		IDLE_CONNS=$(($(ulimit -n) - 100))
		log "ulimit -n is $(ulimit -n): measuring $IDLE_CONNS connections"
	fi
	cat >"$cfg" <<EOF
listen: 127.0.0.1:$port
limits:
  max_connections: 20000
plugins:
  - name: echo
    command: [$BUILDDIR/plugins/echo/nebula-echo]
    task_types: [{type: echo, versions: [v1]}]
EOF
	start_daemon conns "$port" "$cfg" || return 1
	p=PID_conns
	idle_conns nebula "${!p}" "$port"
	stop "${!p}"
	start_nginx conns_nginx $((port + 1)) || return 1
	p=PID_conns_nginx
	idle_conns nginx "${!p}" $((port + 1))
	stop "${!p}"
}

# noread: clients that pipeline creates and never read (1, 10 and 100
# connections, each against a fresh daemon, 5 s of writing): the daemon's
# RSS before and with them, to noread.tsv.
noread() {
	local n port=$((PORT + 14)) p r0 r1 sent client

	for n in 1 10 100; do
		start_daemon "noread$n" "$port" || return 1
		p=PID_noread$n
		r0=$(rss "${!p}")
		rm -f "$SCRATCH/hold" "$SCRATCH/noread.out"
		mkfifo "$SCRATCH/hold"
		"$PYTHON" "$SRCDIR/bench/noread.py" 127.0.0.1 "$port" "$n" 5 \
		    <"$SCRATCH/hold" >"$SCRATCH/noread.out" \
		    2>>"$SCRATCH/noread.log" &
		client=$!
		exec 9>"$SCRATCH/hold"
		sleep 7
		r1=$(rss "${!p}")
		sent=$(sed -n 's/^sent //p' "$SCRATCH/noread.out")
		exec 9>&-
		wait "$client"
		printf '%s\t%s\t%s\t%s\n' "$n" "${sent:-0}" "$r0" "$r1" \
		    >>"$SCRATCH/noread.tsv"
		log "noread $n: ${sent:-0} requests unread: RSS $r0 -> $r1 kB"
		stop "${!p}"
	done
}

machine() {
	local model

	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	printf 'cpus\t%s\n' "$(nproc)"
	printf 'model\t%s\n' "${model:-unknown}"
	printf 'kernel\t%s\n' "$(uname -sr)"
	printf 'os\t%s\n' "$(. /etc/os-release 2>/dev/null &&
	    echo "$PRETTY_NAME")"
	printf 'daemon\t%s\n' "$("$DAEMON" -V 2>&1 | head -n 1)"
	printf 'source\t%s\n' "$(git -C "$SRCDIR" describe --always --dirty \
	    2>/dev/null || echo 'not a git tree')"
	printf 'cflags\t%s\n' "$(sed -n "s/^CFLAGS = //p" "$BUILDDIR/Makefile" \
	    2>/dev/null)"
	printf 'nginx\t%s\n' "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
	printf 'wrk\t%s\n' "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
	printf 'python\t%s\n' "$("$PYTHON" -V 2>&1)"
	printf 'fastapi\t%s\n' "$("$PYTHON" -c '
import importlib.util as u
import fastapi, uvicorn, h11
print("fastapi", fastapi.__version__, "uvicorn", uvicorn.__version__,
      "h11", h11.__version__, "uvloop", "yes" if u.find_spec("uvloop") else "no",
      "httptools", "yes" if u.find_spec("httptools") else "no")' 2>&1)"
	printf 'settings\tBENCH_SECONDS=%s BENCH_ROUNDS=%s BENCH_NGINX_WORKERS=%s BENCH_WRK_THREADS=%s\n' \
	    "$SECONDS_PER_RUN" "$ROUNDS" "$NGINX_WORKERS" "$WRK_THREADS"
	printf 'load\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
}

main() {
	local w

	check_deps
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nebula-bench.XXXXXX") || exit 1
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	for w in create create16k get; do
		cat "$SRCDIR/bench/$w.lua" "$SRCDIR/bench/report.lua" \
		    >"$SCRATCH/$w.lua"
	done
	if [ "$GRPC" = 1 ]; then
		top_builddir=$BUILDDIR "$SRCDIR/tests/grpc/gen-stubs.sh" \
		    "$SCRATCH/stubs" >/dev/null || exit 1
		"$PYTHON" "$SRCDIR/bench/bodies.py" "$SCRATCH" "$SCRATCH/stubs" ||
		    exit 1
		printf 'grpc_body\t%s\n' \
		    $(($(stat -c %s "$SCRATCH/grpc_create.bin") - 5)) \
		    >>"$SCRATCH/machine.tsv"
	else
		"$PYTHON" "$SRCDIR/bench/bodies.py" "$SCRATCH" || exit 1
	fi
	for w in flyte3k flyte16k; do
		sed "s|@BODY@|$SCRATCH/$w.json|" "$SRCDIR/bench/flyte.lua" |
		    cat - "$SRCDIR/bench/report.lua" >"$SCRATCH/$w.lua"
	done
	: >"$SCRATCH/raw.tsv"
	: >"$SCRATCH/idle.tsv"
	: >"$SCRATCH/conns.tsv"
	: >"$SCRATCH/noread.tsv"
	machine >>"$SCRATCH/machine.tsv"
	log "servers: ${SERVERS[*]}; $ROUNDS rounds of ${SECONDS_PER_RUN}s runs"
	compare || exit 1
	if [ "$GRPC" = 1 ]; then
		compare_grpc || exit 1
	fi
	if [ "$SCALE" = 1 ]; then
		scale_instances || exit 1
		scale_fronts || exit 1
		scale_concurrency || exit 1
		scale_conns || exit 1
		noread || exit 1
	fi
	: >"$SCRATCH/profile.md"
	if [ "$PROFILE" = 1 ]; then
		BENCH_BUILDDIR=$BUILDDIR BENCH_SCRATCH=$SCRATCH \
		    BENCH_PORT=$((PORT + 20)) \
		    "$SHELL_FOR_PROFILE" "$SRCDIR/bench/profile.sh" \
		    >"$SCRATCH/profile.md" || log "profile failed"
	fi
	"$PYTHON" "$SRCDIR/bench/report.py" "$SCRATCH" "$RESULTS" || exit 1
	log "wrote $RESULTS"
}

SHELL_FOR_PROFILE=${BASH:-bash}
main "$@"
