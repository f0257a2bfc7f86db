/* Sections and their keys: each key's public half, and its secret sealed for recovery. */
#include "db_int.h"

int
db_section_add(struct db *db, const char *id, const char *name, time_t now)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_SECTION_ADD);
	int		 rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	rc = dbi_step(db, s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return DB_EXISTS;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_section_exists(struct db *db, const char *id)
{
	return dbi_exists(db, dbi_prep_text(db, ST_SECTION_EXISTS, id));
}

/* Any value but 0 from fn stops the walk, successfully. */
static int
section_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb *cb = arg;

	return cb->fn.section((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
	    cb->arg) != 0;
}

int
db_section_each(struct db *db, int (*fn)(const char *, const char *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.section = fn, .arg = arg };

	return dbi_each(db, dbi_prep(db, ST_SECTION_LIST), section_row, &cb);
}

int
db_key_add(struct db *db, const char *section_id, const char key_id[SEAL_KEYID_LEN + 1],
    const unsigned char pk[SEAL_PK_LEN], const void *wrapped, size_t wrapped_len, time_t now)
{
	sqlite3_stmt *s = dbi_prep(db, ST_KEY_ADD);

	sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, pk, SEAL_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, wrapped, (int)wrapped_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

/* A key's row: a text (its id, or its section's), its public key, and its wrapped secret when asked. */
struct key_out {
	char		*text;
	size_t		 textlen;
	unsigned char	*pk;
	struct buf	*wrapped;	/* NULL: not asked */
};

static int
get_key(sqlite3_stmt *s, void *arg)
{
	struct key_out *k = arg;

	return dbi_col_text(s, 0, k->text, k->textlen) == 0 && dbi_col_blob(s, 1, k->pk, SEAL_PK_LEN) == 0 &&
	    (k->wrapped == NULL ||
	    buf_put(k->wrapped, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2)) == 0) ? 0 : -1;
}

int
db_key_current(struct db *db, const char *section_id, char key_id[SEAL_KEYID_LEN + 1],
    unsigned char pk[SEAL_PK_LEN])
{
	struct key_out k = { key_id, SEAL_KEYID_LEN + 1, pk, NULL };

	return dbi_lookup(db, dbi_prep_text(db, ST_KEY_CURRENT, section_id), get_key, &k);
}

int
db_key_get(struct db *db, const char *key_id, char section_id[64], unsigned char pk[SEAL_PK_LEN],
    struct buf *wrapped)
{
	struct key_out k = { section_id, 64, pk, wrapped };

	return dbi_lookup(db, dbi_prep_text(db, ST_KEY_GET, key_id), get_key, &k);
}

struct text_out { char *p; size_t len; };

static int
get_text0(sqlite3_stmt *s, void *arg)
{
	struct text_out *t = arg;

	return dbi_col_text(s, 0, t->p, t->len);
}

int
db_section_name(struct db *db, const char *id, char *name, size_t namelen)
{
	struct text_out t = { name, namelen };

	return dbi_lookup(db, dbi_prep_text(db, ST_SECTION_NAME, id), get_text0, &t);
}

/* NULL for a section made under schema 1. */
static int
get_recovery_pk(sqlite3_stmt *s, void *arg)
{
	if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		return DB_NOTFOUND;
	return dbi_col_blob(s, 0, arg, SEAL_PK_LEN);
}

int
db_section_recovery_pk(struct db *db, const char *id, unsigned char pk[SEAL_PK_LEN])
{
	return dbi_lookup(db, dbi_prep_text(db, ST_SECTION_RECOVERY_PK, id), get_recovery_pk, pk);
}

int
db_section_set_recovery_pk(struct db *db, const char *id, const unsigned char pk[SEAL_PK_LEN])
{
	sqlite3_stmt *s = dbi_prep(db, ST_SECTION_SET_RECOVERY_PK);

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, pk, SEAL_PK_LEN, SQLITE_STATIC);
	return dbi_exec(db, s);
}

int
db_section_create(struct db *db, const char *id, const char *name,
    const unsigned char recovery_pk[SEAL_PK_LEN], const char key_id[SEAL_KEYID_LEN + 1],
    const unsigned char pk[SEAL_PK_LEN], const void *recovery_sealed, size_t len, time_t now)
{
	int rc;

	if (db_begin(db) == -1)
		return -1;
	if ((rc = db_section_add(db, id, name, now)) != 0) {
		db_rollback(db);
		return rc;
	}
	return dbi_end(db, db_section_set_recovery_pk(db, id, recovery_pk) == 0 &&
	    db_key_add(db, id, key_id, pk, recovery_sealed, len, now) == 0);
}

static int
key_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb *cb = arg;

	if (sqlite3_column_bytes(s, 1) != SEAL_PK_LEN)
		return -1;
	return cb->fn.key((const char *)sqlite3_column_text(s, 0), sqlite3_column_blob(s, 1),
	    sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), cb->arg);
}

int
db_key_each(struct db *db, const char *section_id,
    int (*fn)(const char *, const unsigned char *, const void *, size_t, void *), void *arg)
{
	struct dbi_cb cb = { .fn.key = fn, .arg = arg };

	return dbi_each(db, dbi_prep_text(db, ST_KEY_EACH, section_id), key_row, &cb);
}
