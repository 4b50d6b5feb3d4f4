#!/bin/sh
# nebula-example.sh: a whole nebula-plugind worker in POSIX shell, serving
# task type "example-sh", version v1, one request at a time.  create keeps
# the job's inputs in its resource_meta, get answers SUCCEEDED with those
# inputs as outputs, delete has nothing to clean up.  The line protocol is
# described in nebula-plugin-protocol(7).
#
# JSON is picked apart with awk, which is enough for an example but not a
# parser: it takes the leftmost "id" and "op" of a line (the daemon writes
# them first), and inputs must be a flat object (no nested objects or arrays,
# no braces inside strings); other inputs are refused with INVALID_ARGUMENT.

# pick KEY: the leftmost number or plain string value of "KEY" on $line.
pick() {
	printf '%s\n' "$line" | awk -v re="\"$1\" *: *(\"[^\"]*\"|-?[0-9]+)" '
	match($0, re) {
		v = substr($0, RSTART, RLENGTH)
		sub(/^"[^"]*" *: */, "", v)
		gsub(/"/, "", v)
		print v
	}'
}

# inputs: the flat object after the leftmost "inputs" key, {} when there
# is no "inputs" key, nothing when it is not a flat object.
inputs() {
	printf '%s\n' "$line" | awk '
	match($0, /"inputs" *: *\{[^{}]*\}/) {
		v = substr($0, RSTART, RLENGTH)
		sub(/^"inputs" *: */, "", v)
		print v
		next
	}
	!/"inputs" *:/ { print "{}" }'
}

# The handshake: who we are and how many requests we take at once.
printf '%s\n' '{"hello":{"protocol":1,"name":"example-sh","task_types":[{"type":"example-sh","versions":["v1"]}],"concurrency":1}}'

# One request a line until stdin closes; stderr is our log.
while IFS= read -r line; do
	id=$(pick id)
	op=$(pick op)
	case $id in
	''|*[!0-9]*)
		echo "dropping a line without an id" >&2
		continue ;;
	esac
	echo "request id=$id op=$op" >&2
	case $op in
	create|get)
		in=$(inputs)
		if [ -z "$in" ]; then
			printf '{"id":%s,"error":{"code":"INVALID_ARGUMENT","message":"%s"}}\n' \
			    "$id" "example-sh takes flat inputs only"
		elif [ "$op" = create ]; then
			printf '{"id":%s,"resource_meta":{"inputs":%s}}\n' "$id" "$in"
		else
			printf '{"id":%s,"resource":{"phase":"SUCCEEDED","outputs":%s}}\n' \
			    "$id" "$in"
		fi ;;
	delete)
		printf '{"id":%s}\n' "$id" ;;
	*)
		printf '{"id":%s,"error":{"code":"INVALID_ARGUMENT","message":"unknown op"}}\n' \
		    "$id" ;;
	esac
done
echo "stdin closed, exiting" >&2
