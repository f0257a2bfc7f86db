#include "db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Each migration moves the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE sections ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE section_keys ("
	"  key_id TEXT PRIMARY KEY,"
	"  section_id TEXT NOT NULL REFERENCES sections(id),"
	"  public_key BLOB NOT NULL,"
	"  recovery_wrapped BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX section_keys_section ON section_keys(section_id, created_at);"
	"CREATE TABLE applications ("
	"  id INTEGER PRIMARY KEY,"
	"  receipt TEXT NOT NULL UNIQUE,"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL REFERENCES sections(id),"
	"  form_hash TEXT NOT NULL,"
	"  key_id TEXT NOT NULL REFERENCES section_keys(key_id),"
	"  sealed BLOB NOT NULL,"
	"  submit_hash BLOB NOT NULL UNIQUE,"
	"  inquiry_hash BLOB NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'received',"
	"  received_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX applications_procedure ON applications(procedure_id, received_at);"
	"CREATE TABLE throttle ("
	"  key BLOB NOT NULL,"
	"  window INTEGER NOT NULL,"
	"  hits INTEGER NOT NULL,"
	"  PRIMARY KEY (key, window)) WITHOUT ROWID;",
};

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SECTION_ADD,
	ST_SECTION_EXISTS,
	ST_SECTION_LIST,
	ST_KEY_ADD,
	ST_KEY_CURRENT,
	ST_KEY_GET,
	ST_APP_BY_SUBMIT,
	ST_APP_RECEIPT_EXISTS,
	ST_APP_INSERT,
	ST_APP_STATUS,
	ST_APP_SEALED,
	ST_APP_COUNT,
	ST_THROTTLE_HIT,
	ST_THROTTLE_GET,
	ST_THROTTLE_PURGE,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SECTION_ADD] = "INSERT INTO sections (id, name, created_at) VALUES (?1, ?2, ?3)",
	[ST_SECTION_EXISTS] = "SELECT 1 FROM sections WHERE id = ?1",
	[ST_SECTION_LIST] = "SELECT id, name FROM sections ORDER BY id",
	[ST_KEY_ADD] = "INSERT INTO section_keys (key_id, section_id, public_key, recovery_wrapped,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_KEY_CURRENT] = "SELECT key_id, public_key FROM section_keys WHERE section_id = ?1"
	    " ORDER BY created_at DESC, rowid DESC LIMIT 1",
	[ST_KEY_GET] = "SELECT section_id, public_key, recovery_wrapped FROM section_keys"
	    " WHERE key_id = ?1",
	[ST_APP_BY_SUBMIT] = "SELECT receipt FROM applications WHERE submit_hash = ?1",
	[ST_APP_RECEIPT_EXISTS] = "SELECT 1 FROM applications WHERE receipt = ?1",
	[ST_APP_INSERT] = "INSERT INTO applications (receipt, procedure_id, section_id, form_hash,"
	    " key_id, sealed, submit_hash, inquiry_hash, status, received_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'received', ?9, ?9)",
	[ST_APP_STATUS] = "SELECT procedure_id, status, received_at, inquiry_hash FROM applications"
	    " WHERE receipt = ?1",
	[ST_APP_SEALED] = "SELECT key_id, sealed FROM applications WHERE receipt = ?1",
	[ST_APP_COUNT] = "SELECT count(*) FROM applications",
	[ST_THROTTLE_HIT] = "INSERT INTO throttle (key, window, hits) VALUES (?1, ?2, 1)"
	    " ON CONFLICT (key, window) DO UPDATE SET hits = hits + 1 RETURNING hits",
	[ST_THROTTLE_GET] = "SELECT hits FROM throttle WHERE key = ?1 AND window = ?2",
	[ST_THROTTLE_PURGE] = "DELETE FROM throttle WHERE window < ?1",
};

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST__COUNT];
};

/* Beyond sqlite's own busy timeout, a few more tries before giving up. */
#define BUSY_TRIES	5
#define BUSY_TIMEOUT_MS	2000

static int
step(struct db *db, sqlite3_stmt *s)
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

static sqlite3_stmt *
prep(struct db *db, enum stmt which)
{
	sqlite3_stmt *s = db->st[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Run a statement that returns no rows. */
static int
exec_done(struct db *db, sqlite3_stmt *s)
{
	int rc = step(db, s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
begin(struct db *db)
{
	return exec_done(db, prep(db, ST_BEGIN));
}

static int
commit(struct db *db)
{
	return exec_done(db, prep(db, ST_COMMIT));
}

static void
rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h) == 0)
		(void)exec_done(db, prep(db, ST_ROLLBACK));
}

static int
exec_script(struct db *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_msg(LOG_ERR, "sqlite: %s", err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
migrate(struct db *db)
{
	size_t	 v, n = sizeof(migrations) / sizeof(migrations[0]);
	char	 sql[64];
	int	 ver;

	if (exec_script(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	if ((ver = db_schema_version(db)) < 0 || (size_t)ver > n) {
		log_msg(LOG_ERR, "database schema version %d is newer than this program (%zu)", ver, n);
		goto fail;
	}
	for (v = (size_t)ver; v < n; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", v + 1);
		if (exec_script(db, migrations[v]) == -1 || exec_script(db, sql) == -1)
			goto fail;
		log_msg(LOG_INFO, "database migrated to schema version %zu", v + 1);
	}
	return exec_script(db, "COMMIT");
fail:
	(void)exec_script(db, "ROLLBACK");
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
	if (exec_script(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;") == -1 || migrate(db) == -1)
		goto fail;
	for (i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(db->h, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &db->st[i], NULL) != SQLITE_OK) {
			log_msg(LOG_ERR, "sqlite prepare %d: %s", i, sqlite3_errmsg(db->h));
			goto fail;
		}
	}
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

/* Copy a text column into a fixed buffer; too long is an error, not a truncation. */
static int
col_text(sqlite3_stmt *s, int col, char *out, size_t outlen)
{
	const unsigned char	*t = sqlite3_column_text(s, col);
	size_t			 n = (size_t)sqlite3_column_bytes(s, col);

	if (t == NULL || n >= outlen)
		return -1;
	memcpy(out, t, n + 1);
	return 0;
}

static int
col_blob(sqlite3_stmt *s, int col, void *out, size_t len)
{
	const void *b = sqlite3_column_blob(s, col);

	if (b == NULL || (size_t)sqlite3_column_bytes(s, col) != len)
		return -1;
	memcpy(out, b, len);
	return 0;
}

int
db_section_add(struct db *db, const char *id, const char *name, time_t now)
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_ADD);
	int		 rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	rc = step(db, s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return DB_EXISTS;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_section_exists(struct db *db, const char *id)
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_EXISTS);
	int		 rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = step(db, s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_section_each(struct db *db, int (*fn)(const char *, const char *, void *), void *arg)
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_LIST);
	int		 rc;

	while ((rc = step(db, s)) == SQLITE_ROW) {
		if (fn((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_key_add(struct db *db, const char *section_id, const char key_id[SEAL_KEYID_LEN + 1],
    const unsigned char pk[SEAL_PK_LEN], const void *wrapped, size_t wrapped_len, time_t now)
{
	sqlite3_stmt *s = prep(db, ST_KEY_ADD);

	sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, pk, SEAL_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, wrapped, (int)wrapped_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)now);
	return exec_done(db, s);
}

int
db_key_current(struct db *db, const char *section_id, char key_id[SEAL_KEYID_LEN + 1],
    unsigned char pk[SEAL_PK_LEN])
{
	sqlite3_stmt	*s = prep(db, ST_KEY_CURRENT);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, section_id, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, key_id, SEAL_KEYID_LEN + 1) == 0 &&
	    col_blob(s, 1, pk, SEAL_PK_LEN) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

int
db_key_get(struct db *db, const char *key_id, char section_id[64], unsigned char pk[SEAL_PK_LEN],
    struct buf *wrapped)
{
	sqlite3_stmt	*s = prep(db, ST_KEY_GET);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, section_id, 64) == 0 &&
	    col_blob(s, 1, pk, SEAL_PK_LEN) == 0 &&
	    buf_put(wrapped, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2)) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

/* Twelve random digits; grouped for reading aloud over the phone. */
static void
receipt_draw(char out[DB_RECEIPT_LEN + 1])
{
	uint32_t g[3];
	int i;

	for (i = 0; i < 3; i++)
		g[i] = randombytes_uniform(10000);
	snprintf(out, DB_RECEIPT_LEN + 1, "%04u-%04u-%04u", g[0], g[1], g[2]);
}

static int
receipt_taken(struct db *db, const char *receipt)
{
	sqlite3_stmt	*s = prep(db, ST_APP_RECEIPT_EXISTS);
	int		 rc;

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	rc = step(db, s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
app_by_submit(struct db *db, const unsigned char hash[SEAL_MAC_LEN], char receipt[DB_RECEIPT_LEN + 1])
{
	sqlite3_stmt	*s = prep(db, ST_APP_BY_SUBMIT);
	int		 rc, ret = -1;

	sqlite3_bind_blob(s, 1, hash, SEAL_MAC_LEN, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, receipt, DB_RECEIPT_LEN + 1) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

static int
app_insert(struct db *db, const struct db_app *a, const char *receipt)
{
	sqlite3_stmt *s = prep(db, ST_APP_INSERT);

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->form_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, a->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, a->sealed, (int)a->sealed_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, a->submit_hash, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, a->inquiry_hash, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)a->received_at);
	return exec_done(db, s);
}

int
db_app_store(struct db *db, const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1])
{
	int rc, tries;

	if (begin(db) == -1)
		return -1;
	rc = app_by_submit(db, app->submit_hash, receipt);
	if (rc == 0) {
		rollback(db);
		return DB_EXISTS;
	}
	if (rc == -1)
		goto fail;
	/* 10^12 receipts: a collision is rare, a long run of them means a broken RNG. */
	for (tries = 0; tries < 20; tries++) {
		receipt_draw(receipt);
		if ((rc = receipt_taken(db, receipt)) != 1)
			break;
	}
	if (rc != 0 || app_insert(db, app, receipt) == -1 || commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	receipt[0] = '\0';
	return -1;
}

int
db_app_status(struct db *db, const char *receipt, struct db_app_status *out)
{
	sqlite3_stmt	*s = prep(db, ST_APP_STATUS);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, out->procedure_id, sizeof(out->procedure_id)) == 0 &&
	    col_text(s, 1, out->status, sizeof(out->status)) == 0 &&
	    col_blob(s, 3, out->inquiry_hash, SEAL_MAC_LEN) == 0) {
		out->received_at = (time_t)sqlite3_column_int64(s, 2);
		ret = 0;
	}
	sqlite3_reset(s);
	return ret;
}

int
db_app_sealed(struct db *db, const char *receipt, char key_id[SEAL_KEYID_LEN + 1], struct buf *sealed)
{
	sqlite3_stmt	*s = prep(db, ST_APP_SEALED);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, key_id, SEAL_KEYID_LEN + 1) == 0 &&
	    buf_put(sealed, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

int
db_app_count(struct db *db, int64_t *out)
{
	sqlite3_stmt	*s = prep(db, ST_APP_COUNT);
	int		 rc;

	rc = step(db, s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
throttle_purge(struct db *db, time_t before)
{
	sqlite3_stmt *s = prep(db, ST_THROTTLE_PURGE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	return exec_done(db, s);
}

int
db_throttle_hit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t *hits)
{
	sqlite3_stmt	*s;
	time_t		 window = now - now % window_seconds;
	int		 rc;

	if (begin(db) == -1)
		return -1;
	/*
	 * Keys use windows of different lengths, so purge only what is older
	 * than the longest allowed window, not this call's window.
	 */
	if (window_seconds > DB_THROTTLE_MAX_WINDOW || throttle_purge(db, now - 2 * DB_THROTTLE_MAX_WINDOW) == -1)
		goto fail;
	s = prep(db, ST_THROTTLE_HIT);
	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)window);
	rc = step(db, s);
	if (rc == SQLITE_ROW)
		*hits = sqlite3_column_int64(s, 0);
	while (rc == SQLITE_ROW)
		rc = step(db, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE || commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return -1;
}

int
db_throttle_count(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t *hits)
{
	sqlite3_stmt	*s = prep(db, ST_THROTTLE_GET);
	time_t		 window = now - now % window_seconds;
	int		 rc;

	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)window);
	rc = step(db, s);
	*hits = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}
