/*
 * backup: a backup restores the database and the key files; a wrong
 * passphrase, a file cut off anywhere, a changed byte, bytes added, another
 * file and a target that is not empty are refused, and each refusal leaves
 * the target as it was and no temporary directory behind.  Cheap Argon2id
 * costs: the format carries them, and these tests are about the format.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "backup.h"
#include "db.h"
#include "t.h"
#include "t_db.h"

static const struct backup_costs cheap = { 1, 8192 };
static char data[256], out[300], parent[300], target[400];
static unsigned char keys[6][SEAL_KEY_LEN];
static const char *const key_files[6] = { "apply-mac.key", "staff-mac.key", "audit.key", "inquiry.key", "mailer.sk",
    "mailer.pk" };

/* A data directory (db/ and keys/) holding a database with one section, and a backup of it in out. */
static int
make_backup(void)
{
	struct db	*db;
	struct buf	 why;
	char		 p[1024];
	uint64_t	 bytes;
	int		 i, rc;

	snprintf(data, sizeof(data), "%s/data", t_db_dir);
	snprintf(out, sizeof(out), "%s/backup.bak", t_db_dir);
	snprintf(parent, sizeof(parent), "%s/restores", t_db_dir);
	snprintf(target, sizeof(target), "%s/new", parent);
	snprintf(p, sizeof(p), "rm -rf %s/data %s/backup.bak %s/restores && mkdir -p %s/data/db %s/data/keys"
	    " %s/restores", t_db_dir, t_db_dir, t_db_dir, t_db_dir, t_db_dir, t_db_dir);
	if (system(p) != 0)
		return -1;
	for (i = 0; i < 6; i++) {
		seal_random(keys[i], SEAL_KEY_LEN);
		snprintf(p, sizeof(p), "%s/keys/%s", data, key_files[i]);
		if (seal_key_write(p, keys[i]) == -1)
			return -1;
	}
	snprintf(p, sizeof(p), "%s/db/platform.sqlite", data);
	if (db_open(p, &db) == -1 || db_section_add(db, "sec-a", "テスト課", 1) != 0)
		return -1;
	buf_init(&why);
	rc = backup_create(db, data, "correct horse battery", &cheap, out, &bytes, &why);
	if (rc != 0)
		printf("# %s\n", buf_cstr(&why));
	buf_free(&why);
	db_close(db);
	return rc;
}

static int
restore(const char *file, const char *pass)
{
	struct buf	why;
	int		rc;

	buf_init(&why);
	rc = backup_restore(file, pass, target, &why);
	buf_free(&why);
	return rc;
}

/* What is in parent: the names, so that a left-over temporary directory is seen. */
static int
entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
round_trip(void)
{
	struct db	*db;
	unsigned char	 k[SEAL_KEY_LEN];
	char		 p[1024], name[64];
	struct stat	 sb;
	int		 i;

	T_CHECK(make_backup() == 0);
	T_CHECK(stat(out, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	T_CHECK(entries(data) == 2 && entries(parent) == 0);	/* no copy of the database left beside it */
	T_CHECK(restore(out, "correct horse battery") == 0);
	for (i = 0; i < 6; i++) {
		snprintf(p, sizeof(p), "%s/keys/%s", target, key_files[i]);
		T_CHECK(seal_key_read(p, k) == 0 && memcmp(k, keys[i], SEAL_KEY_LEN) == 0);
	}
	snprintf(p, sizeof(p), "%s/db/platform.sqlite", target);
	T_CHECK(db_open(p, &db) == 0);
	T_CHECK(db_section_name(db, "sec-a", name, sizeof(name)) == 0);
	T_STREQ(name, "テスト課");
	db_close(db);
	T_CHECK(entries(parent) == 1);
}

static void
into_an_empty_directory(void)
{
	char p[1024];

	T_CHECK(make_backup() == 0 && mkdir(target, 0700) == 0);
	T_CHECK(restore(out, "correct horse battery") == 0);
	snprintf(p, sizeof(p), "%s/db/platform.sqlite", target);
	T_CHECK(access(p, R_OK) == 0 && entries(target) == 2 && entries(parent) == 1);
}

static void
bad_not_empty(void)
{
	char p[1024];
	int  fd;

	T_CHECK(make_backup() == 0 && mkdir(target, 0700) == 0);
	snprintf(p, sizeof(p), "%s/notes.txt", target);
	T_CHECK((fd = open(p, O_WRONLY | O_CREAT, 0600)) != -1 && close(fd) == 0);
	T_CHECK(restore(out, "correct horse battery") == BACKUP_NOT_EMPTY);
	T_CHECK(entries(target) == 1 && entries(parent) == 1);
}

/* The refusals: the target never made, nothing left in its parent. */
#define UNTOUCHED() T_CHECK(access(target, F_OK) == -1 && entries(parent) == 0)

static void
bad_wrong_passphrase(void)
{
	T_CHECK(make_backup() == 0);
	T_CHECK(restore(out, "correct horse batterY") == BACKUP_WRONG_PASSPHRASE);
	UNTOUCHED();
}

/* Rewrite the backup as its first len bytes, or with one byte changed at off. */
static int
mangle(long len, long off)
{
	FILE		*f = fopen(out, "r+b");
	struct stat	 sb;
	int		 c, rc = -1;

	if (f == NULL || stat(out, &sb) == -1)
		goto done;
	if (len >= 0)
		rc = truncate(out, len);
	else {
		if (off < 0)
			off += sb.st_size;
		if (fseek(f, off, SEEK_SET) == 0 && (c = fgetc(f)) != EOF && fseek(f, off, SEEK_SET) == 0 &&
		    fputc(c ^ 0x01, f) != EOF)
			rc = 0;
	}
done:
	if (f != NULL)
		fclose(f);
	return rc;
}

static void
bad_truncated_anywhere(void)
{
	struct stat	sb;
	long		size, cut[] = { 40, 65, 70, 200, 5000, -1, -17, -22 };
	size_t		i;

	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		T_CHECK(make_backup() == 0 && stat(out, &sb) == 0);
		size = (long)sb.st_size;
		/* negative: that many bytes short of the end (-22: the whole end message and its length) */
		T_CHECK(mangle(cut[i] > 0 ? cut[i] : size + cut[i], 0) == 0);
		T_CHECK(restore(out, "correct horse battery") == BACKUP_TRUNCATED);
		UNTOUCHED();
	}
}

static void
bad_tampered(void)
{
	struct stat	sb;
	long		at[] = { 30, 100, 0, -2 };	/* the salt, the first message, the middle, the end message */
	size_t		i;
	int		want[] = { BACKUP_WRONG_PASSPHRASE, BACKUP_WRONG_PASSPHRASE, BACKUP_DAMAGED, BACKUP_DAMAGED };

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		T_CHECK(make_backup() == 0 && stat(out, &sb) == 0);
		T_CHECK(mangle(-1, at[i] != 0 ? at[i] : (long)sb.st_size / 2) == 0);
		T_CHECK(restore(out, "correct horse battery") == want[i]);
		UNTOUCHED();
	}
}

static void
bad_bytes_after_the_end(void)
{
	FILE *f;

	T_CHECK(make_backup() == 0 && (f = fopen(out, "ab")) != NULL);
	fputs("more", f);
	fclose(f);
	T_CHECK(restore(out, "correct horse battery") == BACKUP_DAMAGED);
	UNTOUCHED();
}

static void
bad_not_a_backup(void)
{
	char p[1024];

	T_CHECK(make_backup() == 0);
	snprintf(p, sizeof(p), "%s/db/platform.sqlite", data);
	T_CHECK(restore(p, "correct horse battery") == BACKUP_NOT_BACKUP);
	UNTOUCHED();
}

static void
bad_backup_never_replaces_a_file(void)
{
	struct db	*db;
	struct buf	 why;
	char		 p[1024];
	uint64_t	 bytes;

	T_CHECK(make_backup() == 0);
	snprintf(p, sizeof(p), "%s/db/platform.sqlite", data);
	T_CHECK(db_open(p, &db) == 0);
	buf_init(&why);
	T_CHECK(backup_create(db, data, "correct horse battery", &cheap, out, &bytes, &why) == -1);
	T_CHECK(strstr(buf_cstr(&why), "exists") != NULL);
	buf_free(&why);
	db_close(db);
	T_CHECK(restore(out, "correct horse battery") == 0);
}

int
main(void)
{
	(void)t_db_fresh;	/* each case makes its own database */
	if (t_db_setup() == -1)
		return 1;
	T_RUN(round_trip);
	T_RUN(into_an_empty_directory);
	T_RUN(bad_not_empty);
	T_RUN(bad_wrong_passphrase);
	T_RUN(bad_truncated_anywhere);
	T_RUN(bad_tampered);
	T_RUN(bad_bytes_after_the_end);
	T_RUN(bad_not_a_backup);
	T_RUN(bad_backup_never_replaces_a_file);
	return t_db_teardown(T_DONE());
}
