#!/bin/sh
# The production set-up: `make install` into a scratch prefix puts every file in its place, keeps
# an admin's definitions, and each systemd unit passes `systemd-analyze verify` (without a word on
# stderr: warnings count) and, offline, `systemd-analyze security` with an exposure of 2.0 or less.
# Prints TAP.  Usage: tests/deploy/test_units.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
T=$(mktemp -d /tmp/shinjuku-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
result() {	# ok, name, details
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; printf '%s\n' "$3" | sed 's/^/#   /' | head -20; fi
}
install_into() {
	make --no-print-directory install BUILD="$BUILD" PREFIX="$T" CONFDIR="$T/etc" NGINXDIR="$T/nginx" \
	    UNITDIR="$T/units" >"$T/install.log" 2>&1
}

install_into
rc=$?
out=$(cat "$T/install.log")
for f in sbin/formctl lib/shinjuku/apply lib/shinjuku/staff lib/shinjuku/mailer lib/shinjuku/setup-data \
    lib/shinjuku/backup-rotate share/shinjuku/templates/form.html share/shinjuku/static/style.css \
    share/shinjuku/static/errors/429.en.html share/shinjuku/locale/en.mo etc/forms/hiking.yaml nginx/shinjuku-http.conf \
    nginx/shinjuku-server.conf nginx/shinjuku-fastcgi.conf nginx/shinjuku-languages.conf units/shinjuku-.service.d/hardening.conf; do
	[ -e "$T/$f" ] || out="$out
missing $f"
done
grep -q '@[A-Z_]*@' "$T"/units/*.service "$T"/nginx/*.conf && out="$out
a placeholder left: $(grep -l '@[A-Z_]*@' "$T"/units/*.service "$T"/nginx/*.conf)"
[ $rc -eq 0 ] && [ "$(printf '%s' "$out" | grep -c '^missing \|^a placeholder left')" -eq 0 ]
result $? "make install puts programs, templates, static, definitions, units and nginx snippets in place" "$out"

echo "# edited by the admin" >> "$T/etc/forms/hiking.yaml"
install_into
grep -q "edited by the admin" "$T/etc/forms/hiking.yaml"
result $? "make install again keeps an admin's definitions" "$(cat "$T/install.log")"

for u in apply staff mailer purge backup digest; do
	out=$(SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify "shinjuku-$u.service" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ]
	result $? "systemd-analyze verify shinjuku-$u.service" "$out"
	out=$(SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze security --offline=true --threshold=20 \
	    "shinjuku-$u.service" 2>&1)
	rc=$?
	echo "# shinjuku-$u.service: exposure $(printf '%s' "$out" | sed -n 's/.*exposure level for [^:]*: //p')"
	result $rc "systemd-analyze security shinjuku-$u.service: exposure 2.0 or less" \
	    "$(printf '%s' "$out" | grep -E '✗' | head -10)"
done
for t in purge backup digest; do
	out=$(SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify "shinjuku-$t.timer" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ]
	result $? "systemd-analyze verify shinjuku-$t.timer" "$out"
done
echo "1..$n"
exit $failed
