/* The review of likely duplicates before a draw (lib/dups.h): what staff decided, never what was compared. */
#include "db_int.h"

#include <string.h>

int
db_dup_review_put(struct db *db, const char *procedure_id, const struct db_dup_review *r,
    const char *const *receipts, const size_t *groups, size_t n)
{
	sqlite3_stmt	*s;
	size_t		 i;
	int		 ok;

	if (db_begin(db) == -1)
		return -1;
	ok = dbi_exec(db, dbi_prep_text(db, ST_DUP_MEMBERS_CLEAR, procedure_id)) == 0;
	for (i = 0; ok && i < n; i++) {
		s = dbi_prep_text(db, ST_DUP_MEMBER_ADD, procedure_id);
		sqlite3_bind_text(s, 2, receipts[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)groups[i]);
		ok = dbi_exec(db, s) == 0;
	}
	if (ok) {
		s = dbi_prep_text(db, ST_DUP_REVIEW_PUT, procedure_id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)r->at);
		sqlite3_bind_text(s, 3, r->actor, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)r->eligible);
		sqlite3_bind_text(s, 5, r->eligible_sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, r->fingerprint, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, (sqlite3_int64)r->groups);
		sqlite3_bind_int64(s, 8, (sqlite3_int64)r->members);
		ok = dbi_exec(db, s) == 0;
	}
	return dbi_end(db, ok);
}

static int
review_row(sqlite3_stmt *s, void *arg)
{
	struct db_dup_review *r = arg;

	r->at = (time_t)sqlite3_column_int64(s, 0);
	r->eligible = sqlite3_column_int64(s, 2);
	r->groups = sqlite3_column_int64(s, 5);
	r->members = sqlite3_column_int64(s, 6);
	return dbi_col_text(s, 1, r->actor, sizeof(r->actor)) == 0 &&
	    dbi_col_text(s, 3, r->eligible_sha256, sizeof(r->eligible_sha256)) == 0 &&
	    dbi_col_text(s, 4, r->fingerprint, sizeof(r->fingerprint)) == 0 ? 0 : -1;
}

int
db_dup_review_get(struct db *db, const char *procedure_id, struct db_dup_review *out)
{
	memset(out, 0, sizeof(*out));
	return dbi_lookup(db, dbi_prep_text(db, ST_DUP_REVIEW_GET, procedure_id), review_row, out);
}

int
db_dup_eligible_each(struct db *db, const char *procedure_id, int (*fn)(const char *receipt, void *arg), void *arg)
{
	struct dbi_cb cb = { .fn.text = fn, .arg = arg };

	return dbi_each(db, dbi_prep_text(db, ST_DUP_ELIGIBLE, procedure_id), dbi_text_row, &cb);
}

int
db_dup_undecided(struct db *db, const char *procedure_id, int64_t *out)
{
	return dbi_count(db, dbi_prep_text(db, ST_DUP_UNDECIDED, procedure_id), out);
}

int
db_dup_is_member(struct db *db, const char *procedure_id, const char *receipt)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_DUP_IS_MEMBER, procedure_id);

	sqlite3_bind_text(s, 2, receipt, -1, SQLITE_STATIC);
	return dbi_exists(db, s);
}

int
db_dup_decide(struct db *db, const char *procedure_id, const char *receipt, const char *decision,
    const char *actor, time_t at)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_DUP_DECIDE, receipt);

	sqlite3_bind_text(s, 2, procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, decision, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)at);
	return dbi_exec(db, s);
}

struct decision {
	char	*decision, *actor;
	time_t	*at;
};

static int
decision_row(sqlite3_stmt *s, void *arg)
{
	struct decision *d = arg;

	*d->at = (time_t)sqlite3_column_int64(s, 2);
	return dbi_col_text(s, 0, d->decision, 16) == 0 && dbi_col_text(s, 1, d->actor, 64) == 0 ? 0 : -1;
}

int
db_dup_decision(struct db *db, const char *receipt, char decision[16], char actor[64], time_t *at)
{
	struct decision d = { decision, actor, at };

	return dbi_lookup(db, dbi_prep_text(db, ST_DUP_DECISION, receipt), decision_row, &d);
}
