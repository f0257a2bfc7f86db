/* The audit log's rows, append-only; the MAC chain over them is audit.c's. */
#include "db_int.h"

#include <string.h>

static int
get_audit_last(sqlite3_stmt *s, void *arg)
{
	struct db_audit *e = arg;

	e->seq = sqlite3_column_int64(s, 0) + 1;
	return dbi_col_blob(s, 1, e->prev, SEAL_MAC_LEN);
}

static int
audit_insert(struct db *db, const struct db_audit *e)
{
	sqlite3_stmt *s = dbi_prep(db, ST_AUDIT_ADD);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)e->at);
	sqlite3_bind_text(s, 3, e->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, e->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, e->detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, e->addr, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, e->prev, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, e->mac, SEAL_MAC_LEN, SQLITE_STATIC);
	return dbi_exec(db, s);
}

int
db_audit_append_in(struct db *db, struct db_audit *e, int (*chain)(struct db_audit *, void *), void *arg)
{
	int rc;

	rc = dbi_lookup(db, dbi_prep(db, ST_AUDIT_LAST), get_audit_last, e);
	if (rc == DB_NOTFOUND) {
		e->seq = 1;
		memset(e->prev, 0, sizeof(e->prev));
	}
	return (rc == 0 || rc == DB_NOTFOUND) && chain(e, arg) != -1 && audit_insert(db, e) != -1 ? 0 : -1;
}

int
db_audit_append(struct db *db, struct db_audit *e, int (*chain)(struct db_audit *, void *), void *arg)
{
	if (db_begin(db) == -1)
		return -1;
	return dbi_end(db, db_audit_append_in(db, e, chain, arg) == 0);
}

static int
audit_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb	*cb = arg;
	struct db_audit	 e;

	memset(&e, 0, sizeof(e));
	e.seq = sqlite3_column_int64(s, 0);
	e.at = (time_t)sqlite3_column_int64(s, 1);
	/*
	 * A damaged row (NULL text, short hashes: only possible by rebuilding the table) is handed over
	 * with empty text and zeroed hashes so that verification reports it rather than stopping.
	 */
	e.actor = dbi_col_text_or_empty(s, 2);
	e.action = dbi_col_text_or_empty(s, 3);
	e.target = dbi_col_text_or_empty(s, 4);
	e.detail = dbi_col_text_or_empty(s, 5);
	e.addr = dbi_col_text_or_empty(s, 6);
	(void)dbi_col_blob(s, 7, e.prev, SEAL_MAC_LEN);
	(void)dbi_col_blob(s, 8, e.mac, SEAL_MAC_LEN);
	if (e.actor == NULL || e.action == NULL || e.target == NULL || e.detail == NULL || e.addr == NULL)
		return -1;
	return cb->fn.audit(&e, cb->arg);
}

int
db_audit_each(struct db *db, int (*fn)(const struct db_audit *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.audit = fn, .arg = arg };

	return dbi_each(db, dbi_prep(db, ST_AUDIT_ALL), audit_row, &cb);
}

int
db_audit_range(struct db *db, time_t from, time_t to, int (*fn)(const struct db_audit *, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_AUDIT_RANGE);
	struct dbi_cb	 cb = { .fn.audit = fn, .arg = arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)to);
	return dbi_each(db, s, audit_row, &cb);
}

int
db_audit_page(struct db *db, const char *action, time_t from, time_t to, int64_t limit, int64_t offset,
    int (*fn)(const struct db_audit *, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_AUDIT_PAGE);
	struct dbi_cb	 cb = { .fn.audit = fn, .arg = arg };

	sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)to);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)limit);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)offset);
	return dbi_each(db, s, audit_row, &cb);
}

int
db_audit_count(struct db *db, const char *action, time_t from, time_t to, int64_t *out)
{
	sqlite3_stmt *s = dbi_prep(db, ST_AUDIT_COUNT);

	sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)to);
	return dbi_count(db, s, out);
}

int
db_audit_find(struct db *db, const char *action, const char *target, int (*fn)(const struct db_audit *, void *),
    void *arg)
{
	sqlite3_stmt	*s = dbi_prep_text(db, ST_AUDIT_FIND, action);
	struct dbi_cb	 cb = { .fn.audit = fn, .arg = arg };

	sqlite3_bind_text(s, 2, target, -1, SQLITE_STATIC);
	return dbi_each(db, s, audit_row, &cb);
}
