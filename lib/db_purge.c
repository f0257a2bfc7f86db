/*
 * Retention and erasure: the applications past their retention, erased
 * with everything derived from them (db_int.h: what hangs off an
 * application), the erasure reports that outlive them, section keys
 * destroyed once nothing sealed to them is left, and the checkpoint that
 * takes the overwritten bytes out of the WAL and the file.
 */
#include "db_int.h"

#include <string.h>

static int
procedure_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb	*cb = arg;
	const char	*id = (const char *)sqlite3_column_text(s, 0);

	return id != NULL ? cb->fn.procedure(id, sqlite3_column_int64(s, 1), cb->arg) : -1;
}

int
db_app_procedures(struct db *db, int (*fn)(const char *, int64_t, void *), void *arg)
{
	struct dbi_cb cb = { .fn.procedure = fn, .arg = arg };

	return dbi_each(db, dbi_prep(db, ST_APP_PROCEDURES), procedure_row, &cb);
}

/* A statement on one procedure's applications received before a time (EXPIRED in db_sql.c). */
static sqlite3_stmt *
bind_expired(sqlite3_stmt *s, const char *procedure_id, time_t before)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_text(s, 1, procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)before);
	return s;
}

static int
expired_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb		*cb = arg;
	struct db_expired	 x;

	memset(&x, 0, sizeof(x));
	x.applications = sqlite3_column_int64(s, 1);
	x.received_first = (time_t)sqlite3_column_int64(s, 4);
	x.received_last = (time_t)sqlite3_column_int64(s, 5);
	if (dbi_col_text(s, 0, x.section_id, sizeof(x.section_id)) == -1 ||
	    dbi_col_text(s, 2, x.receipt_first, sizeof(x.receipt_first)) == -1 ||
	    dbi_col_text(s, 3, x.receipt_last, sizeof(x.receipt_last)) == -1 ||
	    dbi_col_text(s, 6, x.key_ids, sizeof(x.key_ids)) == -1)
		return -1;
	return cb->fn.expired(&x, cb->arg);
}

int
db_expired_each(struct db *db, const char *procedure_id, time_t before,
    int (*fn)(const struct db_expired *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.expired = fn, .arg = arg };

	return dbi_each(db, bind_expired(db->st[ST_EXPIRED_SUMMARY], procedure_id, before), expired_row, &cb);
}

int
db_expired_receipts(struct db *db, const char *procedure_id, time_t before,
    int (*fn)(const char *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.text = fn, .arg = arg };

	return dbi_each(db, bind_expired(db->st[ST_EXPIRED_RECEIPTS], procedure_id, before), dbi_text_row, &cb);
}

int
db_expired_erase(struct db *db, const char *procedure_id, time_t before, int64_t *erased)
{
	size_t i;

	*erased = 0;
	for (i = 0; i < dbi_erase_count; i++)
		if (dbi_exec(db, bind_expired(db->erase[i], procedure_id, before)) == -1)
			return -1;
	*erased = sqlite3_changes(db->h);	/* of the last: the applications */
	return 0;
}

int
db_erasure_add(struct db *db, struct db_erasure *r)
{
	sqlite3_stmt *s = dbi_prep(db, ST_ERASURE_ADD);

	sqlite3_bind_text(s, 1, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)r->at);
	sqlite3_bind_text(s, 3, r->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->command, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->procedure_title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, r->rule, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)r->applications);
	sqlite3_bind_text(s, 10, r->receipt_first, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, r->receipt_last, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)r->received_first);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)r->received_last);
	sqlite3_bind_text(s, 14, r->key_ids, -1, SQLITE_STATIC);
	if (dbi_exec(db, s) == -1)
		return -1;
	r->id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

static int
erasure_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb		*cb = arg;
	struct db_erasure	 r = {
		.id = sqlite3_column_int64(s, 0),
		.kind = (const char *)sqlite3_column_text(s, 1),
		.at = (time_t)sqlite3_column_int64(s, 2),
		.actor = (const char *)sqlite3_column_text(s, 3),
		.command = (const char *)sqlite3_column_text(s, 4),
		.procedure_id = (const char *)sqlite3_column_text(s, 5),
		.procedure_title = (const char *)sqlite3_column_text(s, 6),
		.section_id = (const char *)sqlite3_column_text(s, 7),
		.rule = (const char *)sqlite3_column_text(s, 8),
		.applications = sqlite3_column_int64(s, 9),
		.receipt_first = (const char *)sqlite3_column_text(s, 10),
		.receipt_last = (const char *)sqlite3_column_text(s, 11),
		.received_first = (time_t)sqlite3_column_int64(s, 12),
		.received_last = (time_t)sqlite3_column_int64(s, 13),
		.key_ids = (const char *)sqlite3_column_text(s, 14),
	};

	if (!r.kind || !r.actor || !r.command || !r.procedure_id || !r.procedure_title || !r.section_id ||
	    !r.rule || !r.receipt_first || !r.receipt_last || !r.key_ids)
		return -1;
	return cb->fn.erasure(&r, cb->arg);
}

int
db_erasure_each(struct db *db, int64_t limit, int64_t offset, int (*fn)(const struct db_erasure *, void *),
    void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_ERASURE_LIST);
	struct dbi_cb	 cb = { .fn.erasure = fn, .arg = arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)offset);
	return dbi_each(db, s, erasure_row, &cb);
}

int
db_erasure_get(struct db *db, int64_t id, int (*fn)(const struct db_erasure *, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_ERASURE_GET);
	struct dbi_cb	 cb = { .fn.erasure = fn, .arg = arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return dbi_lookup(db, s, erasure_row, &cb);
}

int
db_erasure_count(struct db *db, int64_t *out)
{
	return dbi_count(db, dbi_prep(db, ST_ERASURE_COUNT), out);
}

int
db_key_uses(struct db *db, const char *key_id, int64_t *applications, int64_t *notes)
{
	return dbi_count(db, dbi_prep_text(db, ST_KEY_APPS, key_id), applications) == 0 &&
	    dbi_count(db, dbi_prep_text(db, ST_KEY_NOTES, key_id), notes) == 0 ? 0 : -1;
}

int
db_key_erase(struct db *db, const char *key_id)
{
	return dbi_exec(db, dbi_prep_text(db, ST_KEY_DROP_GRANTS, key_id)) == 0 &&
	    dbi_exec(db, dbi_prep_text(db, ST_KEY_DROP_SESSIONS, key_id)) == 0 &&
	    dbi_exec(db, dbi_prep_text(db, ST_KEY_DROP, key_id)) == 0 ? 0 : -1;
}

int
db_checkpoint(struct db *db)
{
	int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return DB_BUSY;
	return rc == SQLITE_OK ? 0 : -1;
}
