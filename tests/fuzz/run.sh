#!/bin/sh
# Runs every fuzz target (or the ones named) for a bounded time on a scratch
# copy of its seed corpus, after replaying its regression inputs, and
# prints how long each ran, how fast, the coverage it reached and what it
# found.  Usage: run.sh SECONDS [target ...]   (make fuzz: FUZZ_SECONDS)
# A crash leaves its input in the scratch directory named in the output;
# keep it as tests/fuzz/regress/<target>/<name> once it is fixed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
secs=${1:-60}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- fuzz_config fuzz_h2 fuzz_http fuzz_line fuzz_rid
out="$top_builddir/tests/fuzz"
FUZZ_FLAGS=${FUZZ_FLAGS:-}

sh "$here/build.sh" "$@" || exit 1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/nebula-fuzz.XXXXXX") || exit 1
status=0
for t in "$@"; do
	bin="$out/$t"
	if [ -d "$here/regress/$t" ] &&
	    [ -n "$(ls -A "$here/regress/$t" 2>/dev/null)" ]; then
		if ! "$bin" -rss_limit_mb=2048 "$here/regress/$t"/* \
		    >"$scratch/$t.regress.log" 2>&1; then
			echo "$t: a regression input fails again:" >&2
			tail -n 30 "$scratch/$t.regress.log" >&2
			status=1
			continue
		fi
	fi
	mkdir -p "$scratch/$t.corpus" "$scratch/$t.crash"
	cp "$here/corpus/$t"/* "$scratch/$t.corpus/"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$scratch/$t.crash/" \
	    $FUZZ_FLAGS "$scratch/$t.corpus" >"$scratch/$t.log" 2>&1
	rc=$?
	end=$(date +%s)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$scratch/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/$t.log")
	cov=$(grep -E '^#[0-9]+.*(cov|ft):' "$scratch/$t.log" | tail -n 1 |
	    sed -n 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\) \(corp: [^ ]*\).*/\1 \2 \3/p')
	seeds=$(find "$here/corpus/$t" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		found="nothing"
	else
		found="CRASH (exit $rc): $(find "$scratch/$t.crash" -type f |
		    tr '\n' ' ')"
		status=1
	fi
	echo "$t: $((end - start)) s, ${runs:-?} runs, ${rate:-?} exec/s," \
	    "$cov (from $seeds seeds), found $found"
	if [ "$rc" -ne 0 ]; then
		grep -E -A 12 '^==[0-9]+==ERROR|^SUMMARY|fuzz_[a-z]+: ' \
		    "$scratch/$t.log" | head -n 40 >&2
		echo "$t: log and input in $scratch" >&2
	fi
done
if [ "$status" -eq 0 ] && [ -z "${FUZZ_KEEP:-}" ]; then
	rm -rf "$scratch"
else
	echo "run.sh: logs, corpora and crashes kept in $scratch" >&2
fi
exit "$status"
