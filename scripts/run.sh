#!/bin/sh
# make run: create the demo data directory if absent, start the apply and
# staff programs and nginx on 127.0.0.1:$PORT, and stop them all cleanly on
# Ctrl-C or SIGTERM.
# Environment: DATA_DIR (default ./var), PORT (default 8080), FORMS_DIR (default ./forms),
# STAFF_NETWORKS (addresses allowed to reach /staff/, default "127.0.0.1 ::1"),
# IDLE_MINUTES (staff session idle timeout, default 30), LOGIN_RATE (nginx's limit on
# /staff/login per address, default 60r/m: a whole office may share one address),
# SMTP_URL (the mail relay; unset: a local sink writes mails to DATA_DIR/mail/), SMTP_STARTTLS=1,
# SMTP_CAFILE (passed on to the mailer through the environment),
# MAIL_FROM, MAIL_MAX_TRIES (default 8), MAIL_BACKOFF (seconds before the first retry, default 60),
# WORKERS (apply's FastCGI workers, default 32: a submit waits for a shared fsync, so more
# requests than cores must be in flight for commits to share one, and up to a quarter of them
# may sit on connections nginx keeps open), STAFF_WORKERS (default 4: two can hash a password
# at once on two cores while the others serve members already logged in).
# Limits on residents' sends (README, Decisions): SEND_LIMIT applications per client address and
# procedure within SEND_WINDOW seconds (default 20 in 3600; 0: none), ARRIVAL_MAIL_LIMIT arrival mails
# per recipient address in 24 hours (default 10; 0: none), SUBMIT_RATE and SUBMIT_BURST (nginx's limit
# on POSTs to /f/ per client address, default 60r/m with a burst of 120).
# PURGE_INTERVAL: seconds between retention purges (formctl purge; default 86400, a day; the first
# one that long after the start).
set -eu
# What this script and the programs make (logs, pid files, the run directory, the database) is for
# the service's own users only: the logs hold client addresses.
umask 027
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PORT=${PORT:-8080}
DATA_DIR=${DATA_DIR:-$ROOT/var}
FORMS_DIR=${FORMS_DIR:-$ROOT/forms}
WORKERS=${WORKERS:-32}
STAFF_WORKERS=${STAFF_WORKERS:-4}
STAFF_NETWORKS=${STAFF_NETWORKS:-127.0.0.1 ::1}
IDLE_MINUTES=${IDLE_MINUTES:-30}
LOGIN_RATE=${LOGIN_RATE:-60r/m}
SMTP_URL=${SMTP_URL:-}
MAIL_FROM=${MAIL_FROM:-新宿区 電子申請 <no-reply@shinsei.localhost>}
MAIL_MAX_TRIES=${MAIL_MAX_TRIES:-8}
MAIL_BACKOFF=${MAIL_BACKOFF:-60}
MAIL_POLL=${MAIL_POLL:-2}
SEND_LIMIT=${SEND_LIMIT:-20}
SEND_WINDOW=${SEND_WINDOW:-3600}
ARRIVAL_MAIL_LIMIT=${ARRIVAL_MAIL_LIMIT:-10}
SUBMIT_RATE=${SUBMIT_RATE:-60r/m}
SUBMIT_BURST=${SUBMIT_BURST:-120}
PURGE_INTERVAL=${PURGE_INTERVAL:-86400}
mkdir -p "$DATA_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd)
FORMS_DIR=$(cd "$FORMS_DIR" && pwd)
FORMCTL="$BUILD/formctl --data $DATA_DIR --forms $FORMS_DIR --messages $BUILD/locale"

# The password line formctl prints for a new account.
password_of() { sed -n 's/^password (give it to the member; shown only once): //p'; }

# The demo's sections and the member who holds each one's key.
DEMO_SECTIONS="yotsuya-hc 四谷保健センター yotsuya
gomi-genryo ごみ減量リサイクル課 gomi
chiiki-care 地域包括ケア推進課 chiiki"

demo_sections() {
	keys="$DATA_DIR/demo-recovery-keys.txt"
	(umask 077 && : > "$keys")
	echo "$DEMO_SECTIONS" | while read -r id name login; do
		out=$($FORMCTL section add "$id" "$name")
		echo "$out" | head -1
		printf '%s %s %s\n' "$id" "$name" "$(echo "$out" | tail -1)" >> "$keys"
	done
	echo "demo recovery keys (demo only; in production they are printed once and kept on paper): $keys"
}

# One member per section, granted with the section's recovery key, plus an admin and an auditor.
demo_staff() {
	keys="$DATA_DIR/demo-recovery-keys.txt"
	logins="$DATA_DIR/demo-logins.txt"
	others="$DATA_DIR/demo-other-logins.txt"
	(umask 077 && : > "$logins" && : > "$others")
	echo "$DEMO_SECTIONS" | while read -r id name login; do
		rkey=$(awk -v id="$id" '$1 == id { print $3 }' "$keys")
		[ -n "$rkey" ] || continue
		pass=$($FORMCTL staff add "$login" staff | password_of)
		echo "$rkey" | $FORMCTL grant "$login" "$id" --recovery >/dev/null
		printf '%s %s %s\n' "$name" "$login" "$pass" >> "$logins"
	done
	for role in admin auditor; do
		printf '%s %s %s\n' "$role" "demo-$role" "$($FORMCTL staff add "demo-$role" "$role" | password_of)" >> "$others"
	done
}

new_data=0
[ -f "$DATA_DIR/db/platform.sqlite" ] || new_data=1
# init is idempotent: it also migrates an older data directory and adds key files it lacks.
$FORMCTL init
[ $new_data -eq 0 ] || demo_sections
# A demo directory from before staff accounts gets its demo members too.
if [ ! -f "$DATA_DIR/demo-logins.txt" ] && [ -f "$DATA_DIR/demo-recovery-keys.txt" ] &&
    [ -z "$($FORMCTL staff list)" ]; then
	demo_staff
fi
mkdir -p "$DATA_DIR/log" "$DATA_DIR/run"
# A data directory from before the umask above keeps its logs and database from others too.
chmod 750 "$DATA_DIR/log" "$DATA_DIR/run"
find "$DATA_DIR/log" "$DATA_DIR/run" -type f -exec chmod g-wx,o-rwx {} +
find "$DATA_DIR/db" -maxdepth 1 -name 'platform.sqlite*' -exec chmod o-rwx {} +

# As root, each program runs as its own user (scripts/setup-data.sh makes them and gives the data
# directory their owners): apply cannot read staff's or the mailer's keys, and none keeps root.
# They must reach the data directory, the definitions, the templates and the binaries: where a
# directory on the way is closed (the checkout under /root, a private temporary directory), the
# group shinjuku is let through it (an ACL granting search, not reading), and this is said.
AS_ROOT=""
if [ "$(id -u)" -eq 0 ]; then
	AS_ROOT=1
	sh "$ROOT/scripts/setup-data.sh" "$DATA_DIR"
fi

# as USER COMMAND...: become the command, run as that service user (as root) or as this user.  It
# execs, so call it in a subshell: "( as ... )", or in the background, where $! is then the program.
as() {
	u=$1; shift
	# The database's -wal and -shm are made by whichever program opens it first, for all three: with
	# umask 027 they would be 0640 for an instant, and a program opening one then would get it
	# read-only (SQLite falls back to that).
	umask 007
	[ -n "$AS_ROOT" ] || exec "$@"
	exec setpriv --reuid="$u" --regid=shinjuku --init-groups --no-new-privs --inh-caps=-all \
	    --bounding-set=-all -- "$@"
}

# reach PATH: every directory above PATH searchable by the service's group (as root).
reach() {
	[ -n "$AS_ROOT" ] || return 0
	d=$(dirname "$1") dirs=""
	while [ "$d" != "/" ]; do dirs="$d $dirs"; d=$(dirname "$d"); done
	for d in $dirs; do
		if ! (as shinjuku-mailer test -x "$d"); then
			setfacl -m g:shinjuku:x "$d"
			echo "let the group shinjuku through $d (search only; undo: setfacl -x g:shinjuku $d)"
		fi
	done
	for u in shinjuku-apply shinjuku-staff shinjuku-mailer; do
		if ! (as "$u" test -r "$1"); then
			echo "$u cannot read $1: make it readable by the group shinjuku, or run as another user" >&2
			exit 1
		fi
	done
}
for p in "$DATA_DIR" "$FORMS_DIR" "$ROOT/templates" "$BUILD/apply" "$BUILD/staff" "$BUILD/mailer"; do
	reach "$p"
done

# As root, nginx's workers run as www-data (or nobody): their group is the only
# one let in to the run directory and the FastCGI sockets.  Otherwise every
# program runs as this user, and the sockets are the user's alone.
USER_LINE="" SOCKET_GROUP=""
if [ "$(id -u)" -eq 0 ]; then
	if id www-data >/dev/null 2>&1; then
		USER_LINE="user www-data;" SOCKET_GROUP=www-data
	else
		USER_LINE="user nobody nogroup;" SOCKET_GROUP=nogroup
	fi
fi
GROUP_OPT=""
[ -z "$SOCKET_GROUP" ] || GROUP_OPT="--socket-group $SOCKET_GROUP"

# Sockets, nginx's files and a copy of static/ live in a fresh directory that
# nginx's unprivileged workers can reach even when the checkout is under /root.
# setgid: what is made in it belongs to nginx's group, which may read it.
RUN_DIR=$(mktemp -d /tmp/shinjuku-run.XXXXXX)
[ -z "$SOCKET_GROUP" ] || chgrp "$SOCKET_GROUP" "$RUN_DIR"
chmod 2750 "$RUN_DIR"
mkdir -p "$RUN_DIR/tmp" "$RUN_DIR/www"
# Each program makes its sockets in a directory of its own, which nginx's group may enter;
# RUN_DIR/apply.sock and RUN_DIR/staff.sock link to them for nginx and the tools.  The service's
# users may pass through the run directory to theirs (an ACL), nothing more.
[ -z "$AS_ROOT" ] || setfacl -m g:shinjuku:x "$RUN_DIR"
for p in apply staff; do
	mkdir -m 2750 "$RUN_DIR/$p"
	[ -z "$AS_ROOT" ] || chown "shinjuku-$p" "$RUN_DIR/$p"
	ln -s "$p/$p.sock" "$RUN_DIR/$p.sock"
done
cp -R "$ROOT/static" "$RUN_DIR/www/static"
# nginx's own error pages (413, 429), one per language, and the maps that choose one.
mkdir -p "$RUN_DIR/www/errors"
$FORMCTL --templates "$ROOT/templates" error-pages "$RUN_DIR/www/errors" "$RUN_DIR/languages.conf" >/dev/null
cp "$ROOT/conf/fastcgi.conf" "$RUN_DIR/fastcgi.conf"
STAFF_ALLOW=""
for net in $STAFF_NETWORKS; do STAFF_ALLOW="$STAFF_ALLOW			allow $net;"; done
# Kept connections to apply, per nginx worker: each holds an apply worker while idle, so
# together they take at most a quarter of WORKERS and never all of them (a request that needs
# a new connection must always find a worker that is not holding one).
NGINX_WORKERS=2
KEEPALIVE=$((WORKERS / 4 / NGINX_WORKERS))
APPLY_KEEPALIVE="" APPLY_KEEP_CONN=off
if [ "$KEEPALIVE" -gt 0 ]; then APPLY_KEEPALIVE="keepalive $KEEPALIVE;" APPLY_KEEP_CONN=on; fi
sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@LOG_DIR@|$DATA_DIR/log|g" -e "s|@PORT@|$PORT|g" \
    -e "s|@STATIC_ROOT@|$RUN_DIR/www|g" -e "s|@USER_LINE@|$USER_LINE|" -e "s|@STAFF_ALLOW@|$STAFF_ALLOW|" \
    -e "s|@LOGIN_RATE@|$LOGIN_RATE|" -e "s|@APPLY_KEEPALIVE@|$APPLY_KEEPALIVE|" \
    -e "s|@APPLY_KEEP_CONN@|$APPLY_KEEP_CONN|" -e "s|@NGINX_WORKERS@|$NGINX_WORKERS|" \
    -e "s|@SUBMIT_RATE@|$SUBMIT_RATE|" -e "s|@SUBMIT_BURST@|$SUBMIT_BURST|" \
    "$ROOT/conf/nginx.conf.in" > "$RUN_DIR/nginx.conf"

APPLY_PID=""; STAFF_PID=""; NGINX_PID=""; MAILER_PID=""; SINK_PID=""; PURGE_PID=""
stop() {
	trap - INT TERM EXIT
	[ -n "$PURGE_PID" ] && kill -TERM "$PURGE_PID" 2>/dev/null || true
	[ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null || true
	[ -n "$APPLY_PID" ] && kill -TERM "$APPLY_PID" 2>/dev/null || true
	[ -n "$STAFF_PID" ] && kill -TERM "$STAFF_PID" 2>/dev/null || true
	[ -n "$MAILER_PID" ] && kill -TERM "$MAILER_PID" 2>/dev/null || true
	[ -n "$SINK_PID" ] && kill -TERM "$SINK_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -f "$DATA_DIR/run/apply.pid" "$DATA_DIR/run/staff.pid" "$DATA_DIR/run/mailer.pid"
	rm -rf "$RUN_DIR"
	echo "stopped."
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

# wait_socket NAME PID: until the program listens, or say why it did not start.
wait_socket() {
	i=0
	while [ ! -S "$RUN_DIR/$1.sock" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "$1 did not start; see $DATA_DIR/log/$1.log" >&2
			tail -5 "$DATA_DIR/log/$1.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

as shinjuku-apply "$BUILD/apply" --data "$DATA_DIR" --forms "$FORMS_DIR" --templates "$ROOT/templates" \
    --messages "$BUILD/locale" --socket "$RUN_DIR/apply/apply.sock" $GROUP_OPT --workers "$WORKERS" \
    --send-limit "$SEND_LIMIT" --send-window "$SEND_WINDOW" --mail-limit "$ARRIVAL_MAIL_LIMIT" \
    2>>"$DATA_DIR/log/apply.log" &
APPLY_PID=$!
echo "$APPLY_PID" > "$DATA_DIR/run/apply.pid"
as shinjuku-staff "$BUILD/staff" --data "$DATA_DIR" --forms "$FORMS_DIR" --templates "$ROOT/templates" \
    --messages "$BUILD/locale" --socket "$RUN_DIR/staff/staff.sock" $GROUP_OPT --workers "$STAFF_WORKERS" \
    --idle-minutes "$IDLE_MINUTES" 2>>"$DATA_DIR/log/staff.log" &
STAFF_PID=$!
echo "$STAFF_PID" > "$DATA_DIR/run/staff.pid"
wait_socket apply "$APPLY_PID"
wait_socket staff "$STAFF_PID"

# Mail: the configured relay, or a local sink so a new user sees the mails at once.
MAIL_NOTE="mail relay: SMTP_URL (set by you)"
if [ -z "$SMTP_URL" ]; then
	/usr/bin/python3 "$ROOT/scripts/smtp_sink.py" --dir "$DATA_DIR/mail" --port-file "$RUN_DIR/sink.port" \
	    2>>"$DATA_DIR/log/smtp-sink.log" &
	SINK_PID=$!
	i=0
	until [ -f "$RUN_DIR/sink.port" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$SINK_PID" 2>/dev/null; then
			echo "the local SMTP sink did not start; see $DATA_DIR/log/smtp-sink.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	SMTP_URL="smtp://127.0.0.1:$(cat "$RUN_DIR/sink.port")"
	MAIL_NOTE="mails land in $DATA_DIR/mail/ (local sink; set SMTP_URL=smtp://host:port for a real relay)"
fi
export SMTP_URL
as shinjuku-mailer "$BUILD/mailer" --data "$DATA_DIR" --from "$MAIL_FROM" --max-tries "$MAIL_MAX_TRIES" \
    --backoff "$MAIL_BACKOFF" --poll "$MAIL_POLL" 2>>"$DATA_DIR/log/mailer.log" &
MAILER_PID=$!
echo "$MAILER_PID" > "$DATA_DIR/run/mailer.pid"
# The retention purge, as the production timer runs it (deploy/systemd/shinjuku-purge.timer): erases
# what is past its definition's retention and writes the erasure reports.
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	while :; do
		sleep "$PURGE_INTERVAL" & nap=$!
		wait "$nap"
		$FORMCTL purge --timer >>"$DATA_DIR/log/purge.log" 2>&1 || true
	done
) &
PURGE_PID=$!
nginx -e "$DATA_DIR/log/nginx-error.log" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" &
NGINX_PID=$!
sleep 0.3
if ! kill -0 "$NGINX_PID" 2>/dev/null; then
	echo "nginx did not start; see $DATA_DIR/log/nginx-error.log" >&2
	tail -5 "$DATA_DIR/log/nginx-error.log" >&2
	exit 1
fi
cat <<MSG

  新宿区 電子申請 is running:  http://127.0.0.1:$PORT/
  data directory: $DATA_DIR   logs: $DATA_DIR/log/
  staff pages:                 http://127.0.0.1:$PORT/staff/   (from: $STAFF_NETWORKS)
  $MAIL_NOTE
  admin: $BUILD/formctl --data $DATA_DIR check | reload | staff list | audit verify | ...

  demo staff logins (section, login, password; also in $DATA_DIR/demo-logins.txt):
$(sed 's/^/    /' "$DATA_DIR/demo-logins.txt" 2>/dev/null || echo "    (none: this data directory predates staff accounts; remove it to make a new demo)")
  demo admin and auditor (role, login, password; $DATA_DIR/demo-other-logins.txt):
$(sed 's/^/    /' "$DATA_DIR/demo-other-logins.txt" 2>/dev/null || echo "    (none)")
  Press Ctrl-C to stop.

MSG
wait "$NGINX_PID" || true
