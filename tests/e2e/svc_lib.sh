# shellcheck shell=sh disable=SC2034,SC2154
# Helpers of the service plugin tests (svc_*.sh), on top of lib.sh: start a
# local stand-in of BigQuery or Databricks (tests/standins/), talk to its
# admin API, poll a job until a terminal phase.

BIGQUERY_PLUGIN="$top_builddir/plugins/bigquery/nebula-bigquery"
DATABRICKS_PLUGIN="$top_builddir/plugins/databricks/nebula-databricks"
STANDINS="$top_srcdir/tests/standins"
SI_PID=
SI_PORT=
SI_URL=

si_cleanup() {
	if [ -n "$SI_PID" ]; then
		kill "$SI_PID" 2>/dev/null
		wait "$SI_PID" 2>/dev/null
	fi
	SI_PID=
	e2e_cleanup
}
trap si_cleanup EXIT

# start_standin NAME [ARGS...]: runs tests/standins/NAME.py on a free port;
# sets SI_PID, SI_PORT, SI_URL.
start_standin() {
	name=$1
	shift
	si_log="$E2E_TMP/standin-$name.log"
	python3 "$STANDINS/$name.py" "$@" >"$si_log" 2>"$E2E_TMP/standin-$name.err" &
	SI_PID=$!
	SI_PORT=
	i=0
	while [ $i -lt 300 ]; do
		SI_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$si_log")
		[ -n "$SI_PORT" ] && break
		kill -0 "$SI_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$SI_PORT" ]; then
		sed 's/^/#   /' "$E2E_TMP/standin-$name.err"
		return 1
	fi
	SI_URL="http://127.0.0.1:$SI_PORT"
}

stop_standin() {
	[ -n "$SI_PID" ] || return 0
	kill "$SI_PID" 2>/dev/null
	wait "$SI_PID" 2>/dev/null
	SI_PID=
}

# si_admin WHAT [JSON]: POSTs to the stand-in's admin API (GET without JSON).
si_admin() {
	if [ $# -ge 2 ]; then
		curl -s -X POST -H 'Content-Type: application/json' \
		    --data-binary "$2" "$SI_URL/_admin/$1"
	else
		curl -s "$SI_URL/_admin/$1"
	fi
}

# si_stat NAME: one of the stand-in's counters (0 if never counted).
si_stat() {
	si_admin stats | jq -r ".$1 // 0"
}

# poll_until_done TYPE RID: polls until a terminal phase; sets BODY, STATUS.
poll_terminal() {
	req GET "/plugins/v1/$1/v1/$2"
	case $(jget .phase) in
	SUCCEEDED|FAILED|ABORTED|RETRYABLE_FAILED) return 0 ;;
	esac
	return 1
}
poll_until_done() {
	wait_for 300 poll_terminal "$1" "$2"
}

# have_client: the client is built and knows `check`.
have_client() {
	[ -x "$NEBULA_PLUGIN" ] &&
	    "$NEBULA_PLUGIN" -h 2>&1 | grep -q 'check'
}

# matches STRING BASIC_REGEX: expr(1) anchored at the start, quietly.
matches() {
	expr "$1" : "$2" >/dev/null
}
