/*
 * db: opening a database, transactions, and the helpers every query in
 * lib/db*.c goes through (db_int.h).  The statements are in db_sql.c.
 */
#include "db_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Beyond sqlite's own busy timeout, a few more tries before giving up. */
#define BUSY_TRIES	5
#define BUSY_TIMEOUT_MS	2000

int
dbi_step(struct db *db, sqlite3_stmt *s)
{
	int rc, tries;

	for (tries = 0; tries < BUSY_TRIES; tries++) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		sqlite3_reset(s);
		usleep(10000u << tries);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		log_msg(LOG_ERR, "sqlite: %s", sqlite3_errmsg(db->h));
	return rc;
}

sqlite3_stmt *
dbi_prep(struct db *db, enum stmt which)
{
	sqlite3_stmt *s = db->st[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

sqlite3_stmt *
dbi_prep_text(struct db *db, enum stmt which, const char *text)
{
	sqlite3_stmt *s = dbi_prep(db, which);

	sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	return s;
}

int
dbi_exec(struct db *db, sqlite3_stmt *s)
{
	int rc = dbi_step(db, s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
dbi_exec_one(struct db *db, sqlite3_stmt *s)
{
	return dbi_exec(db, s) == 0 && sqlite3_changes(db->h) == 1 ? 0 : -1;
}

int
db_begin(struct db *db)
{
	return dbi_exec(db, dbi_prep(db, ST_BEGIN));
}

int
db_commit(struct db *db)
{
	return dbi_exec(db, dbi_prep(db, ST_COMMIT));
}

void
db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h) == 0)
		(void)dbi_exec(db, dbi_prep(db, ST_ROLLBACK));
}

int
dbi_end(struct db *db, int ok)
{
	if (ok && db_commit(db) == 0)
		return 0;
	db_rollback(db);
	return -1;
}

int
db_end(struct db *db, int ok)
{
	return dbi_end(db, ok);
}

int
dbi_script(struct db *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_msg(LOG_ERR, "sqlite: %s", err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
db_bulk_load_mode(struct db *db)
{
	return dbi_script(db, "PRAGMA synchronous = OFF");
}

static int
prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
		return 0;
	log_msg(LOG_ERR, "sqlite prepare \"%.60s\": %s", sql, sqlite3_errmsg(db->h));
	return -1;
}

int
db_open(const char *path, struct db **out)
{
	struct db	*db;
	int		 i;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -1;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_msg(LOG_ERR, "cannot open database %s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	/*
	 * secure_delete: what is deleted is overwritten with zeros, in the page
	 * written to the WAL and so, at the next checkpoint, in the file (an
	 * erasure must leave no bytes behind: db_expired_erase).  temp_store:
	 * sorts and temporary tables stay in memory, never in a file of /tmp.
	 */
	if (dbi_script(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;") == -1 ||
	    dbi_migrate(db) == -1)
		goto fail;
	for (i = 0; i < ST__COUNT; i++)
		if (prepare(db, dbi_sql[i], &db->st[i]) == -1)
			goto fail;
	if ((db->erase = calloc(dbi_erase_count, sizeof(*db->erase))) == NULL)
		goto fail;
	for (i = 0; (size_t)i < dbi_erase_count; i++)
		if (prepare(db, dbi_erase_sql[i], &db->erase[i]) == -1)
			goto fail;
	*out = db;
	return 0;
fail:
	db_close(db);
	return -1;
}

void
db_close(struct db *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(db->st[i]);
	for (i = 0; db->erase != NULL && (size_t)i < dbi_erase_count; i++)
		sqlite3_finalize(db->erase[i]);
	free(db->erase);
	sqlite3_close(db->h);
	free(db);
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt	*s;
	int		 v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
dbi_col_text(sqlite3_stmt *s, int col, char *out, size_t outlen)
{
	const unsigned char	*t = sqlite3_column_text(s, col);
	size_t			 n = (size_t)sqlite3_column_bytes(s, col);

	if (t == NULL || n >= outlen)
		return -1;
	memcpy(out, t, n + 1);
	return 0;
}

const char *
dbi_col_text_or_empty(sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	if (t == NULL && sqlite3_column_type(s, col) == SQLITE_NULL)
		return "";
	return t;
}

int
dbi_col_blob(sqlite3_stmt *s, int col, void *out, size_t len)
{
	const void *b = sqlite3_column_blob(s, col);

	if (b == NULL || (size_t)sqlite3_column_bytes(s, col) != len)
		return -1;
	memcpy(out, b, len);
	return 0;
}

int
dbi_lookup(struct db *db, sqlite3_stmt *s, int (*get)(sqlite3_stmt *s, void *arg), void *arg)
{
	int rc, ret = -1;

	rc = dbi_step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW)
		ret = get(s, arg);
	sqlite3_reset(s);
	return ret;
}

int
dbi_each(struct db *db, sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg), void *arg)
{
	int rc, r;

	while ((rc = dbi_step(db, s)) == SQLITE_ROW) {
		if ((r = row(s, arg)) != 0) {
			rc = r < 0 ? SQLITE_ERROR : SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
dbi_exists(struct db *db, sqlite3_stmt *s)
{
	int rc = dbi_step(db, s);

	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
dbi_text_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb	*cb = arg;
	const char	*t = (const char *)sqlite3_column_text(s, 0);

	return t != NULL ? cb->fn.text(t, cb->arg) : -1;
}

int
dbi_count(struct db *db, sqlite3_stmt *s, int64_t *out)
{
	int rc = dbi_step(db, s);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_copy_into(struct db *db, const char *path)
{
	return dbi_exec(db, dbi_prep_text(db, ST_COPY_INTO, path));
}

static int
integrity_row(sqlite3_stmt *s, void *arg)
{
	const char	*t = (const char *)sqlite3_column_text(s, 0);
	struct buf	*why = arg;

	if (t == NULL)
		return -1;
	if (strcmp(t, "ok") != 0)
		buf_printf(why, "%s\n", t);
	return 0;
}

int
db_integrity(struct db *db, struct buf *why)
{
	size_t before = why->len;

	if (dbi_each(db, dbi_prep(db, ST_INTEGRITY), integrity_row, why) == -1)
		return -1;
	return why->len > before ? 1 : 0;
}

int
db_unknown_keys(struct db *db, int64_t *applications, int64_t *notes)
{
	return dbi_count(db, dbi_prep(db, ST_UNKNOWN_KEY_APPS), applications) == 0 &&
	    dbi_count(db, dbi_prep(db, ST_UNKNOWN_KEY_NOTES), notes) == 0 ? 0 : -1;
}

int
db_write_probe(struct db *db, int wait_ms)
{
	int rc;

	/* One try with its own short wait, not dbi_step's retries: a probe must not hold up its caller. */
	sqlite3_busy_timeout(db->h, wait_ms);
	rc = sqlite3_step(dbi_prep(db, ST_BEGIN));
	sqlite3_reset(db->st[ST_BEGIN]);
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	if (rc == SQLITE_DONE) {
		db_rollback(db);
		return 0;
	}
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? DB_BUSY : -1;
}
