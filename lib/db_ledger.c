/* The hand-over ledger (管理簿): every export, until its return or erasure is confirmed. */
#include "db_int.h"

int
db_ledger_add(struct db *db, struct db_ledger *e)
{
	sqlite3_stmt *s = dbi_prep(db, ST_LEDGER_ADD);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)e->at);
	sqlite3_bind_text(s, 2, e->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)e->rows);
	sqlite3_bind_text(s, 6, e->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, e->form, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, e->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, e->recipient, -1, SQLITE_STATIC);
	if (dbi_exec(db, s) == -1)
		return -1;
	e->id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int
db_ledger_close(struct db *db, int64_t id, time_t at, const char *how, const char *by, const char *actor)
{
	sqlite3_stmt *s = dbi_prep(db, ST_LEDGER_CLOSE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)at);
	sqlite3_bind_text(s, 3, how, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, actor, -1, SQLITE_STATIC);
	if (dbi_exec(db, s) == -1)
		return -1;
	return sqlite3_changes(db->h) == 1 ? 0 : DB_NOTFOUND;
}

static int
ledger_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb		*cb = arg;
	struct db_ledger	 e = {
		.id = sqlite3_column_int64(s, 0),
		.at = (time_t)sqlite3_column_int64(s, 1),
		.actor = (const char *)sqlite3_column_text(s, 2),
		.procedure_id = (const char *)sqlite3_column_text(s, 3),
		.section_id = (const char *)sqlite3_column_text(s, 4),
		.rows = sqlite3_column_int64(s, 5),
		.sha256 = (const char *)sqlite3_column_text(s, 6),
		.form = (const char *)sqlite3_column_text(s, 7),
		.purpose = (const char *)sqlite3_column_text(s, 8),
		.recipient = (const char *)sqlite3_column_text(s, 9),
		.closed_at = (time_t)sqlite3_column_int64(s, 10),
		.closed_how = (const char *)sqlite3_column_text(s, 11),
		.closed_by = (const char *)sqlite3_column_text(s, 12),
		.closed_actor = (const char *)sqlite3_column_text(s, 13),
	};

	if (!e.actor || !e.procedure_id || !e.section_id || !e.sha256 || !e.form || !e.purpose || !e.recipient ||
	    !e.closed_how || !e.closed_by || !e.closed_actor)
		return -1;
	return cb->fn.ledger(&e, cb->arg);
}

int
db_ledger_get(struct db *db, int64_t id, int (*fn)(const struct db_ledger *, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_LEDGER_GET);
	struct dbi_cb	 cb = { .fn.ledger = fn, .arg = arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return dbi_lookup(db, s, ledger_row, &cb);
}

/* The filter's ?1 (a session's hash, or NULL: all) and ?2 (still out only). */
static sqlite3_stmt *
ledger_filter(struct db *db, enum stmt which, const unsigned char *session_hash, int open_only)
{
	sqlite3_stmt *s = dbi_prep(db, which);

	if (session_hash != NULL)
		sqlite3_bind_blob(s, 1, session_hash, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, open_only ? 1 : 0);
	return s;
}

int
db_ledger_each(struct db *db, const unsigned char *session_hash, int open_only, int64_t limit, int64_t offset,
    int (*fn)(const struct db_ledger *, void *), void *arg)
{
	sqlite3_stmt	*s = ledger_filter(db, ST_LEDGER_LIST, session_hash, open_only);
	struct dbi_cb	 cb = { .fn.ledger = fn, .arg = arg };

	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)offset);
	return dbi_each(db, s, ledger_row, &cb);
}

int
db_ledger_count(struct db *db, const unsigned char *session_hash, int open_only, int64_t *out)
{
	return dbi_count(db, ledger_filter(db, ST_LEDGER_COUNT, session_hash, open_only), out);
}
