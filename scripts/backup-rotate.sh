#!/bin/sh
# The daily backup (deploy/systemd/shinjuku-backup.service): formctl backup into BACKUP_DIR, the
# passphrase read from the unit's credential on a descriptor (never an argument), then only the
# newest KEEP backups are kept.  Environment: DATA_DIR, BACKUP_DIR, KEEP (default 7), FORMCTL
# (default formctl), CREDENTIALS_DIRECTORY (systemd's, holding backup-passphrase).
set -eu
: "${DATA_DIR:?}" "${BACKUP_DIR:?}"
KEEP=${KEEP:-7}
FORMCTL=${FORMCTL:-formctl}
pass="${CREDENTIALS_DIRECTORY:?no credential: the unit's LoadCredential=backup-passphrase}/backup-passphrase"
case $KEEP in ''|*[!0-9]*|0) echo "backup-rotate: KEEP must be a whole number of 1 or more" >&2; exit 2 ;; esac
umask 077
"$FORMCTL" --data "$DATA_DIR" backup "$BACKUP_DIR/shinjuku-$(date +%Y%m%d-%H%M%S).bak" --passphrase-fd 3 3<"$pass"
# Names sort by date: all but the newest KEEP go.
ls -1 "$BACKUP_DIR" | grep -E '^shinjuku-[0-9]{8}-[0-9]{6}\.bak$' | sort -r | tail -n +"$((KEEP + 1))" |
while read -r old; do
	rm -f -- "$BACKUP_DIR/$old"
	echo "removed $BACKUP_DIR/$old (older than the newest $KEEP)"
done
