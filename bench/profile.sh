#!/bin/bash
# Profiles nebula-plugind under the create-at-64 load and prints a Markdown
# summary for bench/results.md: read/write syscalls per request (from
# /proc/PID/io), perf's cpu-clock samples of daemon and worker (kernel
# included) when perf can sample here, and callgrind's instruction counts
# of both, which work where hardware counters do not (this is run.sh's
# helper; it expects BENCH_BUILDDIR and BENCH_SCRATCH).

set -u

BUILDDIR=${BENCH_BUILDDIR:?}
SCRATCH=${BENCH_SCRATCH:?}
PORT=${BENCH_PORT:-18420}
SECS=${BENCH_PROFILE_SECONDS:-5}
DAEMON=$BUILDDIR/supervisor/nebula-plugind
ECHO=$BUILDDIR/plugins/echo/nebula-echo
DIR=$SCRATCH/profile
URL=http://127.0.0.1:$PORT/plugins/v1/echo/v1
PID=

log() {
	printf 'profile: %s\n' "$*" >&2
}

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
}

# wait_ready SECONDS
wait_ready() {
	local i

	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' \
		    "http://127.0.0.1:$PORT/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	log "daemon not ready"
	return 1
}

# stop_daemon SECONDS
stop_daemon() {
	local i

	kill "$PID" 2>/dev/null
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}

# ticks PID: utime+stime in clock ticks.
ticks() {
	awk '{ sub(/.*\) /, ""); split($0, a, " "); print a[12] + a[13] }' \
	    "/proc/$1/stat" 2>/dev/null
}

# requests: the request count in wrk's output on stdin.
requests() {
	sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p'
}

SYSCALLS="read write readv writev recvfrom sendto recvmsg sendmsg epoll_wait epoll_pwait epoll_ctl accept4"

# syscall_table DAEMON_CSV WORKER_CSV REQUESTS: perf stat's counts as a
# Markdown table of calls per request.
syscall_table() {
	echo "| system call | daemon per request | echo worker per request |"
	echo "|---|---:|---:|"
	awk -F, -v n="$3" '
	    FNR == 1 { f++ }
	    /sys_enter/ {
		name = $3; sub(/.*:(sys_enter_)?/, "", name)
		if (name == "sys_enter") name = "all"
		c[f, name] = $1 + 0; seen[name] = 1
		if (!(name in order)) { order[name] = ++k; names[k] = name }
	    }
	    END {
		for (i = 1; i <= k; i++) {
			s = names[i]
			if (c[1, s] + c[2, s] == 0) continue
			printf "| %s | %.3f | %.3f |\n", s, c[1, s] / n, c[2, s] / n
		}
	    }' "$1" "$2"
}

native() {
	local worker d0 d1 w0 w1 out n perfok=0 statok=0 pids=() events s tck

	"$DAEMON" -l "127.0.0.1:$PORT" 2>"$DIR/native.log" &
	PID=$!
	wait_ready 30 || return 1
	worker=$(ps -o pid=,comm= --ppid "$PID" | awk '/nebula-echo/ { print $1 }')
	if perf record -e cpu-clock -o "$DIR/probe.data" true >/dev/null 2>&1; then
		perfok=1
	fi
	events=raw_syscalls:sys_enter
	for s in $SYSCALLS; do
		events=$events,syscalls:sys_enter_$s
	done
	if perf stat -e "$events" -o /dev/null true >/dev/null 2>&1; then
		statok=1
	fi
	wrk -t2 -c64 -d1s -s "$SCRATCH/create.lua" "$URL" >/dev/null
	d0=$(ticks "$PID")
	w0=$(ticks "$worker")
	if [ "$perfok" = 1 ]; then
		perf record -e cpu-clock -g -o "$DIR/perf.data" \
		    -p "$PID,$worker" -- sleep "$((SECS - 1))" \
		    >/dev/null 2>&1 &
		pids+=($!)
	fi
	if [ "$statok" = 1 ]; then
		perf stat -x, -e "$events" -o "$DIR/stat.daemon" -p "$PID" \
		    -- sleep "$SECS" >/dev/null 2>&1 &
		pids+=($!)
		perf stat -x, -e "$events" -o "$DIR/stat.worker" -p "$worker" \
		    -- sleep "$SECS" >/dev/null 2>&1 &
		pids+=($!)
	fi
	out=$(wrk -t2 -c64 -d"${SECS}s" -s "$SCRATCH/create.lua" "$URL")
	d1=$(ticks "$PID")
	w1=$(ticks "$worker")
	[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}"
	n=$(printf '%s\n' "$out" | requests)
	n=${n:-0}
	tck=$(getconf CLK_TCK)
	echo "### Native run: create at 64 for ${SECS} s, $n requests"
	echo
	awk -v d="$((d1 - d0))" -v w="$((w1 - w0))" -v n="$n" -v t="$tck" \
	    'BEGIN { if (n) printf "CPU per request: daemon %.1f us, echo " \
		"worker %.1f us (together %.3f s per 10,000).\n",
		d / t / n * 1e6, w / t / n * 1e6, (d + w) / t / n * 1e4 }'
	echo "perf is attached during this run (syscall tracepoints, sampling),"
	echo "which inflates these CPU figures; the side-by-side table has the"
	echo "clean ones."
	echo
	if [ "$statok" = 1 ] && [ "$n" -gt 0 ]; then
		echo "System calls per request (perf stat, syscall tracepoints;"
		echo "the calls overlap the wrk run, so read them as ratios):"
		echo
		syscall_table "$DIR/stat.daemon" "$DIR/stat.worker" "$n"
		echo
	fi
	if [ "$perfok" = 1 ]; then
		echo "perf, cpu-clock samples of daemon and echo worker (kernel"
		echo "included), by process and library:"
		echo
		echo '```'
		perf report -i "$DIR/perf.data" --stdio --no-children \
		    --sort comm,dso -g none --percent-limit 1 2>/dev/null |
		    grep '%' | head -n 15
		echo '```'
		echo
		echo "Top symbols:"
		echo
		echo '```'
		perf report -i "$DIR/perf.data" --stdio --no-children \
		    --sort comm,dso,sym -g none --percent-limit 0.7 2>/dev/null |
		    grep '%' | head -n 30
		echo '```'
		echo
	else
		echo "(perf cannot sample here: no perf section.)"
		echo
	fi
	stop_daemon 10
}

# shorten: shorter paths in callgrind_annotate's lines.
shorten() {
	sed -e 's#/usr/lib/x86_64-linux-gnu/##g' \
	    -e 's#\./[a-z-]*/\./[^: ]*/##' -e 's#\./[^: ]*/##' \
	    -e 's#[^ []*/\(supervisor\|protocol\|plugins\|bench\)/#\1/#g'
}

# callgrind_top FILE: top functions, exclusive and inclusive.
callgrind_top() {
	echo "Exclusive (self) instruction counts, top 25:"
	echo
	echo '```'
	callgrind_annotate --inclusive=no --threshold=100 --auto=no "$1" \
	    2>/dev/null | grep '^ *[0-9,]* ([ 0-9.]*%)' |
	    grep -v -e 'PROGRAM TOTALS' -e '(100.0%)' -e '(99\.' |
	    head -n 25 | shorten
	echo '```'
	echo
	echo "Inclusive, top 25:"
	echo
	echo '```'
	callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" \
	    2>/dev/null | grep '^ *[0-9,]* ([ 0-9.]*%)' |
	    grep -v -e 'PROGRAM TOTALS' -e '(100.0%)' -e '(99\.' |
	    head -n 25 | shorten
	echo '```'
	echo
}

# callgrind WORKLOAD: instruction counts of daemon and worker under
# WORKLOAD (create, or flyte3k: the Flyte-shaped 3.7 KB create).
callgrind() {
	local vg cfg=$DIR/callgrind.yaml worker out n total w=$1

	vg=$(command -v valgrind) || {
		echo "(valgrind not installed: no callgrind section.)"
		return 0
	}
	cat >"$cfg" <<EOF
listen: 127.0.0.1:$PORT
plugins:
  - name: echo
    command: [$vg, -q, --tool=callgrind, --callgrind-out-file=$DIR/callgrind.worker, $ECHO]
    task_types: [{type: echo, versions: [v1]}]
    timeouts: {start: 60s, stop: 30s}
EOF
	valgrind -q --tool=callgrind --callgrind-out-file="$DIR/callgrind.daemon" \
	    "$DAEMON" -c "$cfg" 2>"$DIR/callgrind.log" &
	PID=$!
	wait_ready 120 || return 1
	worker=$(ps -o pid= --ppid "$PID" | head -n 1)
	# Warm up, then count only the measured load.
	wrk -t2 -c64 -d1s -s "$SCRATCH/$w.lua" "$URL" >/dev/null
	callgrind_control -z "$PID" >/dev/null 2>&1
	# shellcheck disable=SC2086
	[ -n "$worker" ] && callgrind_control -z $worker >/dev/null 2>&1
	out=$(wrk -t2 -c64 -d"${SECS}s" -s "$SCRATCH/$w.lua" "$URL")
	n=$(printf '%s\n' "$out" | requests)
	stop_daemon 60
	sleep 1
	echo "### callgrind ($w at 64 for ${SECS} s under valgrind, ${n:-0} requests)"
	echo
	echo "Both processes run about 50 times slower under valgrind, so more"
	echo "events pile up per loop turn than in a native run; instruction"
	echo "counts per request are what to read.  libjansson has no symbols"
	echo "here (addresses shown; install libjansson4-dbgsym to name them)."
	echo
	for f in daemon worker; do
		[ -r "$DIR/callgrind.$f" ] || continue
		total=$(callgrind_annotate "$DIR/callgrind.$f" 2>/dev/null |
		    sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
		echo "#### $w, $f: ${total:-?} instructions, $(awk -v t="${total:-0}" \
		    -v n="${n:-0}" 'BEGIN { if (n) printf "%.0f", t / n; else print "?" }') per request"
		echo
		callgrind_top "$DIR/callgrind.$f"
	done
}

main() {
	mkdir -p "$DIR"
	trap cleanup EXIT
	echo "## Profile of the daemon under PUT create at 64 connections"
	echo
	if perf stat -e instructions true 2>&1 | grep -q 'not supported'; then
		echo "perf has no hardware counters here (\`perf stat -e instructions\`"
		echo "says not supported); it can still sample the cpu-clock."
		echo
	fi
	native || log "native run failed"
	callgrind create || log "callgrind run failed"
	callgrind flyte3k || log "callgrind run failed"
}

main "$@"
