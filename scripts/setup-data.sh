#!/bin/sh
# Least privilege for a data directory (README, Decisions: "Each program its own user"). As root:
# makes the group shinjuku and the users shinjuku-apply, shinjuku-staff and shinjuku-mailer when
# they are missing (system users, no home, no shell), then gives DATA_DIR its owners and modes:
#   DATA_DIR            root:shinjuku 0750
#   db/                 root:shinjuku 2770  the three programs write the database (and its -wal, -shm)
#   db/platform.sqlite* group shinjuku 0660
#   keys/               root:shinjuku 0750
#   keys/apply-mac.key  shinjuku-apply 0600
#   keys/staff-mac.key, keys/audit.key  shinjuku-staff 0600
#   keys/mailer.sk      shinjuku-mailer 0600
#   keys/mailer.pk      root:shinjuku 0640  (public: apply and staff seal mails to it)
#   keys/inquiry.key    root:shinjuku-inquiry 0640  (the one secret apply and staff share; only
#                       they are in that group)
# formctl runs as root and reads what it needs.  Idempotent: make run calls it at every start;
# in production run it after formctl init and after a restore.
# Usage: sh scripts/setup-data.sh DATA_DIR
set -eu
DIR=${1:?usage: setup-data.sh DATA_DIR}
[ "$(id -u)" -eq 0 ] || { echo "setup-data.sh: run as root" >&2; exit 1; }
[ -d "$DIR/db" ] && [ -d "$DIR/keys" ] || { echo "setup-data.sh: $DIR is not a data directory (formctl init)" >&2; exit 1; }
GROUP=shinjuku
getent group "$GROUP" >/dev/null || groupadd --system "$GROUP"
for u in shinjuku-apply shinjuku-staff shinjuku-mailer; do
	id -u "$u" >/dev/null 2>&1 ||
	    useradd --system --gid "$GROUP" --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
done
getent group shinjuku-inquiry >/dev/null || groupadd --system shinjuku-inquiry
for u in shinjuku-apply shinjuku-staff; do
	id -nG "$u" | tr ' ' '\n' | grep -qx shinjuku-inquiry || usermod -a -G shinjuku-inquiry "$u"
done

# set OWNER MODE PATH...: for those that exist.
set_() {
	owner=$1 mode=$2; shift 2
	for p in "$@"; do
		[ -e "$p" ] || continue
		chown "$owner" "$p"
		chmod "$mode" "$p"
	done
}
set_ "root:$GROUP" 0750 "$DIR" "$DIR/keys"
set_ "root:$GROUP" 2770 "$DIR/db"
for f in "$DIR"/db/platform.sqlite "$DIR"/db/platform.sqlite-wal "$DIR"/db/platform.sqlite-shm; do
	[ -e "$f" ] || continue
	chgrp "$GROUP" "$f"
	chmod 0660 "$f"
done
set_ "shinjuku-staff:$GROUP" 0600 "$DIR/db/staff-hash.lock" "$DIR/keys/staff-mac.key" "$DIR/keys/audit.key"
set_ "shinjuku-mailer:$GROUP" 0600 "$DIR/db/mailer.lock" "$DIR/keys/mailer.sk"
set_ "shinjuku-apply:$GROUP" 0600 "$DIR/keys/apply-mac.key"
set_ "root:$GROUP" 0640 "$DIR/keys/mailer.pk"
set_ root:shinjuku-inquiry 0640 "$DIR/keys/inquiry.key"
