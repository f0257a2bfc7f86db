#!/bin/sh
# make check: run the unit test programs given as arguments, show their
# failures, and end with one line of counts.  Programs' log output (stderr)
# is kept in build/test-output/check-*.err for when a case fails.
set -u
out=build/test-output
mkdir -p "$out"
passed=0 failed=0 rc=0
for t in "$@"; do
	name=$(basename "$t")
	"$t" > "$out/check-$name.tap" 2> "$out/check-$name.err" || rc=1
	p=$(grep -c '^ok ' "$out/check-$name.tap")
	f=$(grep -c '^not ok ' "$out/check-$name.tap")
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" -eq 0 ] || grep -A3 '^not ok ' "$out/check-$name.tap"
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
