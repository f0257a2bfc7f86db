/*
 * Staff accounts, their grants (section keys sealed to a member), their
 * sessions (only a hash of the cookie's token is stored, with the section
 * keys the session holds), and the throttle that counts guesses.
 */
#include "db_int.h"

#include <string.h>

/* ---- staff ---- */

static int
get_staff(sqlite3_stmt *s, void *arg)
{
	struct db_staff *st = arg;

	memset(st, 0, sizeof(*st));
	st->id = sqlite3_column_int64(s, 0);
	st->pw_ops = (uint64_t)sqlite3_column_int64(s, 6);
	st->pw_mem = (uint64_t)sqlite3_column_int64(s, 7);
	st->disabled = sqlite3_column_int(s, 8);
	return dbi_col_text(s, 1, st->login, sizeof(st->login)) == 0 &&
	    dbi_col_text(s, 2, st->role, sizeof(st->role)) == 0 &&
	    dbi_col_blob(s, 3, st->public_key, SEAL_PK_LEN) == 0 &&
	    dbi_col_blob(s, 4, st->secret_wrapped, DB_WRAPPED_SK_LEN) == 0 &&
	    dbi_col_blob(s, 5, st->pw_salt, DB_SALT_LEN) == 0 ? 0 : -1;
}

static void
bind_secret(sqlite3_stmt *s, int first, const struct db_staff *st)
{
	sqlite3_bind_blob(s, first, st->public_key, SEAL_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, first + 1, st->secret_wrapped, DB_WRAPPED_SK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, first + 2, st->pw_salt, DB_SALT_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 3, (sqlite3_int64)st->pw_ops);
	sqlite3_bind_int64(s, first + 4, (sqlite3_int64)st->pw_mem);
}

int
db_staff_add(struct db *db, struct db_staff *st, time_t now)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_STAFF_ADD);
	int		 rc;

	sqlite3_bind_text(s, 1, st->login, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, st->role, -1, SQLITE_STATIC);
	bind_secret(s, 3, st);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)now);
	rc = dbi_step(db, s);
	/* Only the login's uniqueness means "taken"; a refused role (CHECK) is an error. */
	if (rc == SQLITE_CONSTRAINT)
		rc = sqlite3_extended_errcode(db->h);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return DB_EXISTS;
	if (rc != SQLITE_DONE)
		return -1;
	st->id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int
db_staff_by_login(struct db *db, const char *login, struct db_staff *out)
{
	return dbi_lookup(db, dbi_prep_text(db, ST_STAFF_BY_LOGIN, login), get_staff, out);
}

int
db_staff_by_id(struct db *db, int64_t id, struct db_staff *out)
{
	sqlite3_stmt *s = dbi_prep(db, ST_STAFF_BY_ID);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return dbi_lookup(db, s, get_staff, out);
}

static int
staff_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb	*cb = arg;
	struct db_staff	 st;
	int		 r;

	if (get_staff(s, &st) == -1)
		return -1;
	r = cb->fn.staff(&st, cb->arg);
	seal_wipe(&st, sizeof(st));
	return r;
}

int
db_staff_each(struct db *db, int (*fn)(const struct db_staff *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.staff = fn, .arg = arg };

	return dbi_each(db, dbi_prep(db, ST_STAFF_LIST), staff_row, &cb);
}

int
db_staff_set_secret(struct db *db, const struct db_staff *st, time_t now)
{
	sqlite3_stmt *s = dbi_prep(db, ST_STAFF_SET_SECRET);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)st->id);
	bind_secret(s, 2, st);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

int
db_staff_set_disabled(struct db *db, int64_t id, int disabled, time_t now)
{
	sqlite3_stmt *s = dbi_prep(db, ST_STAFF_SET_DISABLED);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int(s, 2, disabled ? 1 : 0);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

int
db_staff_set_role(struct db *db, int64_t id, const char *role, time_t now)
{
	sqlite3_stmt *s = dbi_prep(db, ST_STAFF_SET_ROLE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_text(s, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

/* ---- grants ---- */

int
db_grant_add(struct db *db, int64_t staff_id, const char *key_id, const char *section_id,
    const void *sealed, size_t len, time_t now)
{
	sqlite3_stmt *s = dbi_prep(db, ST_GRANT_ADD);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_text(s, 2, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, sealed, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

/* A statement on one member's rows for one section. */
static int
exec_member_section(struct db *db, enum stmt which, int64_t staff_id, const char *section_id)
{
	sqlite3_stmt *s = dbi_prep(db, which);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	return dbi_exec(db, s);
}

int
db_grant_revoke(struct db *db, int64_t staff_id, const char *section_id)
{
	if (db_begin(db) == -1)
		return -1;
	return dbi_end(db, exec_member_section(db, ST_GRANT_REVOKE, staff_id, section_id) == 0 &&
	    exec_member_section(db, ST_SESSION_KEY_DROP_SECTION, staff_id, section_id) == 0);
}

int
db_grant_revoke_all(struct db *db, int64_t staff_id)
{
	sqlite3_stmt *s = dbi_prep(db, ST_GRANT_REVOKE_ALL);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	return dbi_exec(db, s);
}

static int
grant_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb *cb = arg;

	return cb->fn.grant((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
	    sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), cb->arg);
}

int
db_grant_each(struct db *db, int64_t staff_id,
    int (*fn)(const char *, const char *, const void *, size_t, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_GRANT_LIST);
	struct dbi_cb	 cb = { .fn.grant = fn, .arg = arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	return dbi_each(db, s, grant_row, &cb);
}

int
db_grant_has(struct db *db, int64_t staff_id, const char *section_id)
{
	sqlite3_stmt *s = dbi_prep(db, ST_GRANT_HAS);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	return dbi_exists(db, s);
}

static int
grantee_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb *cb = arg;

	if (sqlite3_column_bytes(s, 2) != SEAL_PK_LEN)
		return -1;
	return cb->fn.grantee(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
	    sqlite3_column_blob(s, 2), cb->arg);
}

int
db_grantees_each(struct db *db, const char *section_id,
    int (*fn)(int64_t, const char *, const unsigned char *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.grantee = fn, .arg = arg };

	return dbi_each(db, dbi_prep_text(db, ST_GRANTEES, section_id), grantee_row, &cb);
}

/* ---- sessions ---- */

static sqlite3_stmt *
prep_hash(struct db *db, enum stmt which, const unsigned char hash[SEAL_MAC_LEN])
{
	sqlite3_stmt *s = dbi_prep(db, which);

	sqlite3_bind_blob(s, 1, hash, SEAL_MAC_LEN, SQLITE_STATIC);
	return s;
}

int
db_session_add(struct db *db, const unsigned char hash[SEAL_MAC_LEN], int64_t staff_id, time_t now)
{
	sqlite3_stmt *s = prep_hash(db, ST_SESSION_ADD, hash);

	sqlite3_bind_int64(s, 2, (sqlite3_int64)staff_id);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

static int
get_session(sqlite3_stmt *s, void *arg)
{
	struct db_session *out = arg;

	out->staff_id = sqlite3_column_int64(s, 0);
	out->created_at = (time_t)sqlite3_column_int64(s, 1);
	out->last_seen = (time_t)sqlite3_column_int64(s, 2);
	return 0;
}

int
db_session_get(struct db *db, const unsigned char hash[SEAL_MAC_LEN], struct db_session *out)
{
	return dbi_lookup(db, prep_hash(db, ST_SESSION_GET, hash), get_session, out);
}

int
db_session_touch(struct db *db, const unsigned char hash[SEAL_MAC_LEN], time_t now)
{
	sqlite3_stmt *s = prep_hash(db, ST_SESSION_TOUCH, hash);

	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

int
db_session_delete(struct db *db, const unsigned char hash[SEAL_MAC_LEN])
{
	return dbi_exec(db, prep_hash(db, ST_SESSION_DELETE, hash));
}

int
db_session_delete_staff(struct db *db, int64_t staff_id)
{
	sqlite3_stmt *s = dbi_prep(db, ST_SESSION_DELETE_STAFF);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	return dbi_exec(db, s);
}

int
db_session_delete_others(struct db *db, int64_t staff_id, const unsigned char keep[SEAL_MAC_LEN])
{
	sqlite3_stmt *s = dbi_prep(db, ST_SESSION_DELETE_OTHERS);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_blob(s, 2, keep, SEAL_MAC_LEN, SQLITE_STATIC);
	return dbi_exec(db, s);
}

int
db_session_purge(struct db *db, time_t idle_before, time_t created_before)
{
	sqlite3_stmt *s = dbi_prep(db, ST_SESSION_PURGE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)idle_before);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)created_before);
	return dbi_exec(db, s);
}

int
db_session_key_add(struct db *db, const unsigned char hash[SEAL_MAC_LEN], const char *key_id,
    const char *section_id, const void *wrapped, size_t len)
{
	sqlite3_stmt *s = prep_hash(db, ST_SESSION_KEY_ADD, hash);

	sqlite3_bind_text(s, 2, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, wrapped, (int)len, SQLITE_STATIC);
	return dbi_exec(db, s);
}

struct session_key_out { char *section_id; struct buf *wrapped; };

static int
get_session_key(sqlite3_stmt *s, void *arg)
{
	struct session_key_out *o = arg;

	return dbi_col_text(s, 0, o->section_id, 64) == 0 &&
	    buf_put(o->wrapped, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) == 0 ? 0 : -1;
}

int
db_session_key_get(struct db *db, const unsigned char hash[SEAL_MAC_LEN], const char *key_id,
    char section_id[64], struct buf *wrapped)
{
	sqlite3_stmt		*s = prep_hash(db, ST_SESSION_KEY_GET, hash);
	struct session_key_out	 o = { section_id, wrapped };

	sqlite3_bind_text(s, 2, key_id, -1, SQLITE_STATIC);
	return dbi_lookup(db, s, get_session_key, &o);
}

int
db_session_sections(struct db *db, const unsigned char hash[SEAL_MAC_LEN],
    int (*fn)(const char *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.text = fn, .arg = arg };

	return dbi_each(db, prep_hash(db, ST_SESSION_SECTIONS, hash), dbi_text_row, &cb);
}

/* ---- throttle ---- */

int
db_throttle_forget(struct db *db, time_t before)
{
	sqlite3_stmt *s = dbi_prep(db, ST_THROTTLE_PURGE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	return dbi_exec(db, s);
}

/* A throttle statement with its key (?1) and a second (?2). */
static sqlite3_stmt *
throttle_prep(struct db *db, enum stmt which, const unsigned char key[SEAL_MAC_LEN], time_t at)
{
	sqlite3_stmt *s = dbi_prep(db, which);

	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)at);
	return s;
}

int
db_throttle_record(struct db *db, const unsigned char *const *keys, size_t n, time_t now)
{
	size_t	i;
	int	ok;

	if (db_begin(db) == -1)
		return -1;
	/* Keys use windows of different lengths: purge only what no allowed window reaches. */
	ok = db_throttle_forget(db, now - DB_THROTTLE_MAX_WINDOW) == 0;
	for (i = 0; ok && i < n; i++)
		ok = dbi_exec(db, throttle_prep(db, ST_THROTTLE_HIT, keys[i], now)) == 0;
	return dbi_end(db, ok);
}

int
db_throttle_hit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t *hits)
{
	const unsigned char *keys[1] = { key };

	if (window_seconds < 1 || window_seconds > DB_THROTTLE_MAX_WINDOW ||
	    db_throttle_record(db, keys, 1, now) == -1)
		return -1;
	return db_throttle_count(db, key, now, window_seconds, hits);
}

int
db_throttle_count(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t *hits)
{
	sqlite3_stmt	*s = throttle_prep(db, ST_THROTTLE_GET, key, now - window_seconds);
	int		 rc = dbi_step(db, s);

	*hits = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_throttle_wait(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t limit, int *seconds)
{
	sqlite3_stmt	*s;
	int64_t		 left;
	int		 rc = SQLITE_DONE;

	*seconds = 0;
	if (db_throttle_count(db, key, now, window_seconds, &left) == -1)
		return -1;
	/* Oldest first: the hits of second t leave the window at t + window_seconds. */
	s = throttle_prep(db, ST_THROTTLE_SCAN, key, now - window_seconds);
	while (left >= limit && (rc = dbi_step(db, s)) == SQLITE_ROW) {
		left -= sqlite3_column_int64(s, 1);
		*seconds = (int)(sqlite3_column_int64(s, 0) + window_seconds - now);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
db_throttle_clear(struct db *db, const unsigned char key[SEAL_MAC_LEN])
{
	return dbi_exec(db, throttle_prep(db, ST_THROTTLE_CLEAR, key, 0));
}

int
db_staff_set_email(struct db *db, int64_t id, const char *email, time_t now)
{
	sqlite3_stmt *s = dbi_prep(db, ST_STAFF_SET_EMAIL);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	if (email != NULL)
		sqlite3_bind_text(s, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	if (dbi_exec(db, s) == -1)
		return -1;
	return sqlite3_changes(db->h) == 1 ? 0 : DB_NOTFOUND;
}

int
db_auditor_emails(struct db *db, int (*fn)(const char *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.text = fn, .arg = arg };

	return dbi_each(db, dbi_prep(db, ST_AUDITOR_EMAILS), dbi_text_row, &cb);
}
