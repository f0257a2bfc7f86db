#!/bin/sh
# The whole suite, as `make test` runs it: unit tests (normal build, ASan+UBSan
# build, valgrind), a short smoke run of every fuzz harness, the end-to-end
# suites through the real nginx (resident, staff, mail, limits; normal and ASan+UBSan
# builds), the crash test, the browser test and the fault test.  Every part
# prints TAP; this script counts the lines and closes with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
out=build/test-output
mkdir -p "$out"
: > "$out/all.tap"
rm -f "$out"/asan-*
rc=0

run() {	# name, command...
	name=$1; shift
	echo "== $name"
	if "$@" > "$out/$name.tap" 2>"$out/$name.err"; then :; else
		rc=1
		grep -q '^not ok' "$out/$name.tap" || echo "not ok - $name exited with an error" >> "$out/$name.tap"
	fi
	grep -E '^(not )?ok ' "$out/$name.tap" | sed "s/^\(\(not \)\{0,1\}ok\) [0-9]* -/\1 - $name:/" >> "$out/all.tap"
	grep -E '^not ok|^#' "$out/$name.tap" | head -40
	# sanitizer and valgrind reports go to stderr: any report is a failure
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== ' "$out/$name.err"; then
		echo "not ok - $name: sanitizer report (see $out/$name.err)" >> "$out/all.tap"
		grep -E -A5 'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== ' "$out/$name.err" | head -20
		rc=1
	fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1
for t in build/tests/test_*; do
	run "unit-$(basename "$t")" "$t"
done
for t in build/asan/tests/test_*; do
	run "asan-$(basename "$t")" "$t"
done
# valgrind (memcheck) on the normal build: uninitialised reads, invalid accesses, definite leaks.
for t in build/tests/test_*; do
	run "valgrind-$(basename "$t")" valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect "$t"
done
if [ -f tests/fuzz/run.sh ]; then
	run fuzz-smoke sh tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-10}"
fi
# End to end through nginx: the resident pages, then the staff pages and formctl, mail, the send limits.
for suite in apply staff mail limits; do
	run "e2e-$suite" /usr/bin/python3 "tests/e2e/test_$suite.py" build
done
# Crash safety: residents submit while the programs and nginx are SIGKILLed and started again.
run crash /usr/bin/python3 tests/e2e/test_crash.py build "${CRASH_SECONDS:-20}"
# A real browser: headless chromium, axe-core on every page, keyboard only, no JavaScript, the Nu checker.
run browser /usr/bin/python3 tests/browser/test_browser.py build
# A full disk and a read-only database (LD_PRELOAD shim; not with ASan, whose runtime must load first).
run e2e-faults /usr/bin/python3 tests/e2e/test_faults.py build

# Under ASan the programs' own stderr lands in the stack's logs; the e2e
# scripts fail a case when a worker dies, and sanitizer reports (written to
# log_path by every instrumented program: apply, staff, formctl) fail the run.
for suite in apply staff mail limits; do
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:log_path=$PWD/$out/asan-$suite \
		run "e2e-asan-$suite" /usr/bin/python3 "tests/e2e/test_$suite.py" build/asan
	if ls "$out"/asan-$suite.* >/dev/null 2>&1; then
		echo "not ok - e2e-asan-$suite: sanitizer reports in $out/asan-$suite.*" >> "$out/all.tap"
		head -30 "$out"/asan-$suite.*
		rc=1
	fi
done

passed=$(grep -c '^ok ' "$out/all.tap")
failed=$(grep -c '^not ok ' "$out/all.tap")
echo
[ "$failed" -eq 0 ] || grep '^not ok' "$out/all.tap"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
