#!/bin/sh
# The whole suite, as `make test` runs it: unit tests (normal build, ASan+UBSan
# build, valgrind), a short smoke run of every fuzz harness, the end-to-end
# suites through the real nginx (resident, staff, mail, limits; normal and ASan+UBSan
# builds), the crash test, the browser test and the fault test; first, the
# message catalogues against the code (tests/msgcheck.py).  Every part
# prints TAP; this script checks each part's plan ("1..N") against the results
# it printed, counts them, says how long each part took, and closes with
# "N cases, M runs: P passed, F failed, S skipped" (a case is a distinct name
# across builds: the same unit case in the normal, ASan and valgrind runs is one
# case and three runs; "# SKIP" results are counted apart from passes).
# TEST_PARTS=regex runs only the parts whose name matches (grep -E), e.g. 'e2e-' or '^unit-'.
set -u
cd "$(dirname "$0")/.."
out=build/test-output
mkdir -p "$out"
# As root the stack's programs run as their own users (scripts/run.sh): ASan writes their reports here.
chmod 1777 "$out"
: > "$out/all.tap"
: > "$out/times"
rm -f "$out"/asan-*
rc=0
began=$(date +%s)

now() { date +%s.%N; }

# A failure found by this script rather than by a case: a run of its own.
fail() {	# message
	echo "not ok - $1" >> "$out/all.tap"
	rc=1
}

selected() {	# name
	echo "$1" | grep -qE "${TEST_PARTS:-.}"
}

# Run a part: its TAP to NAME.tap, its stderr to NAME.err, its exit status and start and end times beside.
execute() {	# name, command...
	name=$1; shift
	now > "$out/$name.start"
	"$@" > "$out/$name.tap" 2>"$out/$name.err"
	echo $? > "$out/$name.rc"
	now > "$out/$name.end"
}

run() {	# name, command...
	selected "$1" || return 0
	execute "$@"
	account "$1"
}

# Most of a mail suite's time is waiting (for the mailer's polls, retries, a server that was
# stopped): it runs in the background beside a part that keeps one core busy (valgrind, fuzzing),
# on a stack, port and directory of its own.  collect waits for it and counts it.
start() {	# name, command...
	selected "$1" || return 0
	execute "$@" &
	echo $! > "$out/$1.pid"
}

collect() {	# name
	selected "$1" || return 0
	wait "$(cat "$out/$1.pid")"
	account "$1"
}

# Count a part's results into all.tap and check them.
account() {	# name
	name=$1
	if [ "$(cat "$out/$name.rc")" -ne 0 ]; then
		rc=1
		grep -q '^not ok' "$out/$name.tap" || fail "$name exited with an error"
	fi
	secs=$(awk -v a="$(cat "$out/$name.start")" -v b="$(cat "$out/$name.end")" 'BEGIN { printf "%.1f", b - a }')
	echo "$name $secs" >> "$out/times"
	echo "== $name ($secs s)"
	grep -E '^(not )?ok ' "$out/$name.tap" |
	    sed "s/^\(\(not \)\{0,1\}ok\) [0-9]* -/\1 - $name:/" >> "$out/all.tap"
	grep -E '^not ok|^#|^Bail out!' "$out/$name.tap" | head -40
	# The plan: exactly one "1..N", and N results.  A part that stopped early (a crash, a hang
	# killed, a case that never printed its line) prints fewer results than it planned, or no plan.
	plans=$(grep -cE '^1\.\.[0-9]+' "$out/$name.tap")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out/$name.tap" | head -1)
	results=$(grep -cE '^(not )?ok ' "$out/$name.tap")
	if [ "$plans" -ne 1 ]; then
		fail "$name: $plans TAP plans (1..N lines), 1 expected"
	elif [ "$planned" -ne "$results" ]; then
		fail "$name: TAP plan 1..$planned but $results results"
	fi
	! grep -q '^Bail out!' "$out/$name.tap" || fail "$name: bailed out"
	# sanitizer and valgrind reports go to stderr: any report is a failure
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== ' "$out/$name.err"; then
		fail "$name: sanitizer report (see $out/$name.err)"
		grep -E -A5 'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== ' "$out/$name.err" | head -20
	fi
}

# Under ASan the programs' own stderr lands in the stack's logs, which the e2e
# scripts read (a UBSan report or a worker that died and was restarted fails
# their last case); ASan's reports go to log_path, and any there fails the run.
asan_e2e() {	# suite: the environment of its ASan run
	echo "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:log_path=$PWD/$out/asan-$1"
}
asan_reports() {	# suite
	if selected "e2e-asan-$1" && ls "$out"/asan-$1.* >/dev/null 2>&1; then
		fail "e2e-asan-$1: sanitizer reports in $out/asan-$1.*"
		head -30 "$out"/asan-$1.*
	fi
}

# The unit programs the Makefile lists (UNIT_PROGS), not whatever a build directory holds: a program
# whose source is gone must not run from an old build.
unit_programs() {	# build dir
	for p in ${UNIT_PROGS:-$(cd "$1/tests" && ls test_*)}; do echo "$1/tests/$p"; done
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1
# The message catalogues: msgfmt --check, and every message id the code and templates use in each.
run catalogues /usr/bin/python3 tests/msgcheck.py
for t in $(unit_programs build); do
	run "unit-$(basename "$t")" "$t"
done
for t in $(unit_programs build/asan); do
	run "asan-$(basename "$t")" "$t"
done
# valgrind (memcheck) on the normal build: uninitialised reads, invalid accesses, definite leaks.
# The mail suite runs beside it (see start).
start e2e-mail /usr/bin/python3 tests/e2e/test_mail.py build
for t in $(unit_programs build); do
	run "valgrind-$(basename "$t")" valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect "$t"
done
collect e2e-mail
start e2e-asan-mail env "$(asan_e2e mail)" /usr/bin/python3 tests/e2e/test_mail.py build/asan
if [ -f tests/fuzz/run.sh ]; then
	run fuzz-smoke sh tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-10}"
fi
collect e2e-asan-mail
asan_reports mail
# End to end through nginx: the resident pages, then the staff pages and formctl, the send limits,
# the data's lifecycle (purge, erasure reports, keys retired).
for suite in apply staff limits lifecycle places bulk lottery dups; do
	run "e2e-$suite" /usr/bin/python3 "tests/e2e/test_$suite.py" build
done
# The production set-up: make install, and every systemd unit checked by systemd-analyze.
run units sh tests/deploy/test_units.sh build
# Crash safety: residents submit while the programs and nginx are SIGKILLed and started again.
run crash /usr/bin/python3 tests/e2e/test_crash.py build "${CRASH_SECONDS:-20}"
# A real browser: headless chromium, axe-core on every page, keyboard only, no JavaScript, the Nu checker.
run browser /usr/bin/python3 tests/browser/test_browser.py build
# A full disk and a read-only database (LD_PRELOAD shim; not with ASan, whose runtime must load first).
run e2e-faults /usr/bin/python3 tests/e2e/test_faults.py build

for suite in apply staff limits lifecycle places bulk lottery dups; do
	run "e2e-asan-$suite" env "$(asan_e2e $suite)" /usr/bin/python3 "tests/e2e/test_$suite.py" build/asan
	asan_reports $suite
done

# Times per kind of part (the unit programs' runs together, and so on), slowest first.
echo
echo "time per part (s):"
sed -e 's/^\(unit\|asan\|valgrind\)-test_[^ ]*/\1-tests/' -e 's/^e2e-asan-[^ ]*/e2e-asan/' \
    -e 's/^e2e-\(apply\|staff\|mail\|limits\|places\|bulk\|lottery\|dups\) /e2e /' "$out/times" |
    awk '{ t[$1] += $2; all += $2 } END { for (k in t) printf "  %7.1f  %s\n", t[k], k; printf "  %7.1f  sum\n", all }' |
    sort -rn
echo "  $(($(date +%s) - began)) s in all (the mail suites run beside valgrind and the fuzzers)"
# A case's name without its build: unit-, asan- and valgrind-test_x are one program's cases, e2e-asan-x
# and e2e-x one suite's.
cases=$(sed -n 's/^\(not \)\{0,1\}ok - //p' "$out/all.tap" | sed -e 's/ # SKIP.*//' \
    -e 's/^\(unit\|asan\|valgrind\)-\(test_[^:]*:\)/\2/' -e 's/^e2e-asan-/e2e-/' | sort -u | wc -l)
runs=$(grep -cE '^(not )?ok ' "$out/all.tap")
skipped=$(grep -cE '^ok .* # SKIP' "$out/all.tap")
failed=$(grep -c '^not ok ' "$out/all.tap")
passed=$((runs - failed - skipped))
echo
[ "$failed" -eq 0 ] || grep '^not ok' "$out/all.tap"
[ "$skipped" -eq 0 ] || grep '^ok .* # SKIP' "$out/all.tap"
echo "$cases cases, $runs runs: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
