#!/bin/sh
# nebula-example.sh: a whole nebula-plugind worker in POSIX shell, serving
# task type "example-sh", version v1, one request at a time.  create keeps
# the job's inputs in its resource_meta, get answers SUCCEEDED with those
# inputs as outputs, delete has nothing to clean up.  The line protocol is
# described in nebula-plugin-protocol(7).
#
# JSON is picked apart by the small awk scanner below, which is enough for
# this: it finds a member of an object wherever it is on the line and
# returns its raw JSON text, but it does not decode strings or check syntax.
# A real worker in shell would use jq(1).

# get KEY...: the raw JSON text of $line's member KEY (then of KEY2 inside
# that, and so on), or nothing.  Strings keep their quotes.
get() {
	printf '%s\n' "$line" | awk -v path="$*" '
	# The value at the start of s, as text: up to its end, no further.
	function value(s,   n, i, c, d, q) {
		sub(/^[ \t]*/, "", s)
		n = length(s)
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (q) {
				if (c == "\\")
					i++
				else if (c == "\"") {
					q = 0
					if (d == 0)
						return substr(s, 1, i)
				}
			} else if (c == "\"")
				q = 1
			else if (c == "{" || c == "[")
				d++
			else if (c == "}" || c == "]") {
				if (d-- == 0)
					break
				if (d == 0)
					return substr(s, 1, i)
			} else if (c == "," && d == 0)
				break
		}
		s = substr(s, 1, i - 1)
		sub(/[ \t]*$/, "", s)
		return s
	}
	# The value of member k of the object s, skipping nested ones.
	function member(s, k,   n, i, c, d, q, rest) {
		n = length(s)
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (q) {
				if (c == "\\") i++
				else if (c == "\"") q = 0
			} else if (c == "{" || c == "[")
				d++
			else if (c == "}" || c == "]")
				d--
			else if (c == "\"") {
				rest = substr(s, i + length(k) + 2)
				if (d == 1 && index(substr(s, i), "\"" k "\"") == 1 &&
				    match(rest, /^[ \t]*:/))
					return value(substr(rest, RLENGTH + 1))
				q = 1
			}
		}
		return ""
	}
	{
		n = split(path, keys, " ")
		v = $0
		for (j = 1; j <= n && v != ""; j++)
			v = member(v, keys[j])
		print v
	}'
}

# The handshake: who we are and how many requests we take at once.
printf '%s\n' '{"hello":{"protocol":1,"name":"example-sh","task_types":[{"type":"example-sh","versions":["v1"]}],"concurrency":1}}'

# One request a line until stdin closes; stderr is our log.
while IFS= read -r line; do
	id=$(get id)
	op=$(get op)
	case $id in
	''|*[!0-9]*)
		echo "dropping a line without an id" >&2
		continue ;;
	esac
	echo "request id=$id op=$op request_id=$(get request_id)" >&2
	case $op in
	'"create"')
		in=$(get inputs)
		printf '{"id":%s,"resource_meta":{"inputs":%s}}\n' "$id" "${in:-{\}}" ;;
	'"get"')
		out=$(get resource_meta inputs)
		printf '{"id":%s,"resource":{"phase":"SUCCEEDED","outputs":%s}}\n' \
		    "$id" "${out:-{\}}" ;;
	'"delete"')
		printf '{"id":%s}\n' "$id" ;;
	*)
		printf '{"id":%s,"error":{"code":"INVALID_ARGUMENT","message":"%s"}}\n' \
		    "$id" "unknown op" ;;
	esac
done
echo "stdin closed, exiting" >&2
