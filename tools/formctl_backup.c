/*
 * formctl backup | restore | check-db (lib/backup.h).
 *
 *   formctl backup FILE [--passphrase-fd N]
 *   formctl restore FILE --data DIR [--passphrase-fd N]
 *   formctl check-db
 *
 * The passphrase is read from standard input (asked twice for a backup
 * when it is a terminal, without echo), or from the descriptor N (the
 * daily timer passes it from a systemd credential); it is never an
 * argument and never stored.  A restore is checked with check-db before it
 * says it is done: SQLite's integrity check, the audit chain, and that
 * every application and note is sealed to a key the database has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "buf.h"
#include "db.h"
#include "formctl.h"
#include "seal.h"

#define PASSPHRASE_MAX	1024

/* One line from fd without its line end, echo off on a terminal: 0, or -1 (empty too). */
static int
read_secret_line(int fd, const char *prompt, char *out, size_t len)
{
	struct termios	old, quiet;
	int		tty = isatty(fd), quieted = 0, rc = -1;
	size_t		n = 0;
	char		c;
	ssize_t		k;

	if (tty) {
		/* Echo off (and what was typed before dropped) first, then the prompt: a line typed
		 * once the prompt shows is neither echoed nor flushed away. */
		if (tcgetattr(fd, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			quieted = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
		}
		fprintf(stderr, "%s: ", prompt);
	}
	while ((k = read(fd, &c, 1)) == 1 || (k == -1 && errno == EINTR)) {
		if (k != 1)
			continue;
		if (c == '\n')
			break;
		if (n + 1 >= len)
			goto done;
		out[n++] = c;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	rc = n > 0 ? 0 : -1;
done:
	if (quieted)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (tty)
		fputc('\n', stderr);
	return rc;
}

/* The passphrase from --passphrase-fd or standard input; twice on a terminal for a new backup. */
static int
passphrase(int fd, int twice, char *out, size_t len)
{
	char again[PASSPHRASE_MAX];
	int  rc = -1;

	if (read_secret_line(fd, "passphrase", out, len) == -1)
		fprintf(stderr, "formctl: no passphrase on %s\n", fd == STDIN_FILENO ? "standard input" :
		    "the passphrase descriptor");
	else if (twice && isatty(fd) && (read_secret_line(fd, "passphrase again", again, sizeof(again)) == -1 ||
	    strcmp(out, again) != 0))
		fprintf(stderr, "formctl: the two passphrases differ\n");
	else if (twice && strlen(out) < BACKUP_PASSPHRASE_MIN)
		fprintf(stderr, "formctl: a backup's passphrase has %d characters or more\n", BACKUP_PASSPHRASE_MIN);
	else
		rc = 0;
	seal_wipe(again, sizeof(again));
	return rc;
}

/* --passphrase-fd N at argv[i]: N into *fd, 1 when taken, 0 when not that option, -1 when bad. */
static int
fd_option(int argc, char **argv, int i, int *fd)
{
	char *end;
	long  n;

	if (strcmp(argv[i], "--passphrase-fd") != 0)
		return 0;
	if (i + 1 >= argc)
		return -1;
	n = strtol(argv[i + 1], &end, 10);
	if (*argv[i + 1] == '\0' || *end != '\0' || n < 0 || n > 1024)
		return -1;
	*fd = (int)n;
	return 1;
}

static int
cmd_backup_file(const char *out, int fd)
{
	struct backup_costs	 costs = { SEAL_FILE_PW_OPS, SEAL_FILE_PW_MEM };
	struct db		*db;
	struct buf		 why, detail;
	char			 pass[PASSPHRASE_MAX];
	uint64_t		 bytes;
	int			 rc = 1;

	buf_init(&why);
	buf_init(&detail);
	if (passphrase(fd, 1, pass, sizeof(pass)) == -1 || fc_open_db(&db) == -1) {
		seal_wipe(pass, sizeof(pass));
		return 1;
	}
	if (backup_create(db, fc_data_dir, pass, &costs, out, &bytes, &why) == -1)
		fprintf(stderr, "formctl: backup failed: %s\n", buf_cstr(&why));
	else {
		buf_printf(&detail, "bytes=%llu", (unsigned long long)bytes);
		if (fc_audit(db, "backup", out, buf_cstr(&detail)) == 0) {
			printf("backup %s written (%llu bytes); keep its passphrase apart from it\n", out,
			    (unsigned long long)bytes);
			rc = 0;
		}
	}
	seal_wipe(pass, sizeof(pass));
	buf_free(&why);
	buf_free(&detail);
	db_close(db);
	return rc;
}

int
cmd_backup(int argc, char **argv)
{
	int fd = STDIN_FILENO, i, r;

	for (i = 1; i < argc; i += 2)
		if ((r = fd_option(argc, argv, i, &fd)) != 1)
			break;
	if (argc < 1 || i < argc || *argv[0] == '-') {
		fprintf(stderr, "formctl: backup FILE [--passphrase-fd N]; the passphrase is read from standard input\n");
		return 2;
	}
	return cmd_backup_file(argv[0], fd);
}

/* The restored (or any) database checked: integrity, audit chain, key ids.  0 when all is well. */
static int
check(struct db *db)
{
	struct audit_check	c;
	struct buf		why;
	unsigned char		key[SEAL_KEY_LEN];
	int64_t			apps, notes;
	int			bad = 0, r;

	buf_init(&why);
	if ((r = db_integrity(db, &why)) != 0) {
		fprintf(stderr, "integrity check: %s\n%s", r == -1 ? "could not run" : "FAILED", buf_cstr(&why));
		bad++;
	} else
		printf("integrity check: ok\n");
	buf_free(&why);
	if (fc_key("keys/audit.key", key) == -1 || (r = audit_verify(db, key, &c)) == -1) {
		fprintf(stderr, "audit chain: could not be checked\n");
		bad++;
	} else if (r == 1) {
		fprintf(stderr, "audit chain: BROKEN at %s\n", c.problem);
		bad++;
	} else
		printf("audit chain: intact, %lld entries, head %lld %s\n", (long long)c.entries,
		    (long long)c.head_seq, c.head_mac);
	seal_wipe(key, sizeof(key));
	if (db_unknown_keys(db, &apps, &notes) == -1) {
		fprintf(stderr, "key ids: could not be checked\n");
		bad++;
	} else if (apps > 0 || notes > 0) {
		fprintf(stderr, "key ids: %lld applications and %lld notes are sealed to a key the database does not"
		    " have\n", (long long)apps, (long long)notes);
		bad++;
	} else
		printf("key ids: every application and note is sealed to a key the database has\n");
	return bad > 0 ? 1 : 0;
}

int
cmd_check_db(int argc, char **argv)
{
	struct db	*db;
	int		 rc;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "formctl: check-db\n");
		return 2;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	rc = check(db);
	db_close(db);
	return rc;
}

static const char *
restore_problem(int r)
{
	switch (r) {
	case BACKUP_NOT_BACKUP:
		return "not a backup of this program (no backup header)";
	case BACKUP_WRONG_PASSPHRASE:
		return "wrong passphrase (or the start of the file was altered)";
	case BACKUP_DAMAGED:
		return "the file was altered or damaged: a part does not verify";
	case BACKUP_TRUNCATED:
		return "the file is cut off: it ends before its final part";
	case BACKUP_NOT_EMPTY:
		return "the target directory is not empty";
	default:
		return NULL;
	}
}

static int
restore(const char *in, const char *target, int fd)
{
	struct db	*db;
	struct buf	 why;
	char		 pass[PASSPHRASE_MAX];
	int		 r, rc = 1;

	buf_init(&why);
	if (passphrase(fd, 0, pass, sizeof(pass)) == -1)
		return 1;
	r = backup_restore(in, pass, target, &why);
	seal_wipe(pass, sizeof(pass));
	if (r != 0) {
		fprintf(stderr, "formctl: restore refused: %s%s%s; nothing was written to %s\n",
		    restore_problem(r) ? restore_problem(r) : "", restore_problem(r) && why.len ? ": " : "",
		    buf_cstr(&why), target);
		buf_free(&why);
		return 1;
	}
	buf_free(&why);
	fc_data_dir = target;
	if (fc_open_db(&db) == -1)
		return 1;
	printf("restored into %s; checking it:\n", target);
	if (check(db) == 0 && fc_audit(db, "restore", in, "") == 0) {
		printf("restore complete: start the programs with --data %s\n", target);
		rc = 0;
	}
	db_close(db);
	return rc;
}

int
cmd_restore(int argc, char **argv)
{
	const char	*target = NULL;
	int		 fd = STDIN_FILENO, i, r;

	for (i = 1; i < argc; i += 2) {
		if ((r = fd_option(argc, argv, i, &fd)) == -1)
			break;
		if (r == 1)
			continue;
		if (strcmp(argv[i], "--data") != 0 || i + 1 >= argc)
			break;
		target = argv[i + 1];
	}
	if (argc < 1 || i < argc || target == NULL || *argv[0] == '-') {
		fprintf(stderr, "formctl: restore FILE --data DIR [--passphrase-fd N]; the passphrase is read from"
		    " standard input\n");
		return 2;
	}
	return restore(argv[0], target, fd);
}
