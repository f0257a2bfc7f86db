/*
 * The mail outbox: a mail is queued in the transaction that causes it (its
 * clear text for the application's contact envelope, or sealed whole to the
 * mailer's key), retried, and deleted once delivered; the mail log keeps a
 * record of each delivery without personal data.  And the contact
 * envelopes themselves.
 */
#include "db_int.h"

#include <string.h>

int
dbi_outbox_add(struct db *db, const char *receipt, const struct db_outbox_item *m)
{
	sqlite3_stmt *s = dbi_prep(db, ST_OUTBOX_ADD);

	sqlite3_bind_text(s, 1, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, m->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, m->section_id, -1, SQLITE_STATIC);
	if ((m->text == NULL) == (m->sealed == NULL))
		return -1;
	if (m->sealed != NULL)
		sqlite3_bind_blob(s, 5, m->sealed, (int)m->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)m->at);
	if (m->text != NULL)
		sqlite3_bind_text(s, 7, m->text, -1, SQLITE_STATIC);
	return dbi_exec(db, s);
}

/* One outbox row, as it is handed to the caller's callback. */
static int
mail_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb	*cb = arg;
	struct db_mail	 m = {
		.id = sqlite3_column_int64(s, 0),
		.kind = (const char *)sqlite3_column_text(s, 1),
		.receipt = (const char *)sqlite3_column_text(s, 2),
		.procedure_id = (const char *)sqlite3_column_text(s, 3),
		.section_id = (const char *)sqlite3_column_text(s, 4),
		.sealed = sqlite3_column_blob(s, 5),
		.sealed_len = (size_t)sqlite3_column_bytes(s, 5),
		.state = (const char *)sqlite3_column_text(s, 6),
		.attempts = sqlite3_column_int(s, 7),
		.next_at = (time_t)sqlite3_column_int64(s, 8),
		.last_error = (const char *)sqlite3_column_text(s, 9),
		.created_at = (time_t)sqlite3_column_int64(s, 10),
		.text = (const char *)sqlite3_column_text(s, 11),
	};

	if (!m.kind || !m.receipt || !m.procedure_id || !m.section_id || (m.sealed == NULL) == (m.text == NULL) ||
	    !m.state || !m.last_error)
		return -1;
	return cb->fn.mail(&m, cb->arg);
}

int
db_outbox_due(struct db *db, time_t now, int limit, int (*fn)(const struct db_mail *, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_OUTBOX_DUE);
	struct dbi_cb	 cb = { .fn.mail = fn, .arg = arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int(s, 2, limit);
	return dbi_each(db, s, mail_row, &cb);
}

int
db_outbox_of_receipt(struct db *db, const char *receipt, int (*fn)(const struct db_mail *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.mail = fn, .arg = arg };

	return dbi_each(db, dbi_prep_text(db, ST_OUTBOX_OF_RECEIPT, receipt), mail_row, &cb);
}

int
db_outbox_failed_each(struct db *db, int (*fn)(const struct db_mail *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.mail = fn, .arg = arg };

	return dbi_each(db, dbi_prep(db, ST_OUTBOX_FAILED), mail_row, &cb);
}

/* A statement on one outbox row. */
static sqlite3_stmt *
prep_id(struct db *db, enum stmt which, int64_t id)
{
	sqlite3_stmt *s = dbi_prep(db, which);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return s;
}

int
db_outbox_delivered(struct db *db, int64_t id, time_t now)
{
	sqlite3_stmt	*s;
	int		 ok;

	if (db_begin(db) == -1)
		return -1;
	s = prep_id(db, ST_MAIL_LOG_ADD, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	ok = dbi_exec(db, s) == 0 && dbi_exec(db, prep_id(db, ST_OUTBOX_DELETE, id)) == 0;
	return dbi_end(db, ok);
}

/* One more failed try of a queued mail (outbox or staff mail: which). */
static int
retry(struct db *db, enum stmt which, int64_t id, time_t next_at, const char *error, int failed)
{
	sqlite3_stmt *s = dbi_prep(db, which);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)next_at);
	sqlite3_bind_text(s, 3, error, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, failed ? 1 : 0);
	return dbi_exec(db, s);
}

int
db_outbox_retry(struct db *db, int64_t id, time_t next_at, const char *error, int failed)
{
	return retry(db, ST_OUTBOX_RETRY, id, next_at, error, failed);
}

int
db_staff_mail_retry(struct db *db, int64_t id, time_t next_at, const char *error, int failed)
{
	return retry(db, ST_STAFF_MAIL_RETRY, id, next_at, error, failed);
}

int
db_staff_mail_add(struct db *db, const char *kind, const void *sealed, size_t len, time_t now)
{
	sqlite3_stmt *s = dbi_prep(db, ST_STAFF_MAIL_ADD);

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, sealed, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return dbi_exec(db, s);
}

int
db_staff_mail_due(struct db *db, time_t now, int limit, int (*fn)(const struct db_mail *, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_STAFF_MAIL_DUE);
	struct dbi_cb	 cb = { .fn.mail = fn, .arg = arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int(s, 2, limit);
	return dbi_each(db, s, mail_row, &cb);
}

int
db_staff_mail_delivered(struct db *db, int64_t id, time_t now)
{
	(void)now;	/* no log of staff mail: the digest is in the audit log */
	return dbi_exec(db, prep_id(db, ST_STAFF_MAIL_DELETE, id));
}

int
db_outbox_requeue(struct db *db, int64_t id, time_t now, int64_t *changed)
{
	sqlite3_stmt *s = dbi_prep(db, ST_OUTBOX_REQUEUE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	if (dbi_exec(db, s) == -1)
		return -1;
	*changed = sqlite3_changes(db->h);
	return 0;
}

int
db_outbox_failed_count(struct db *db, const char *procedure_id, const char *section_id, int64_t *out)
{
	sqlite3_stmt *s = dbi_prep(db, ST_OUTBOX_FAILED_COUNT);

	sqlite3_bind_text(s, 1, procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	return dbi_count(db, s, out);
}

int
db_outbox_count(struct db *db, const char *state, int64_t *out)
{
	return dbi_count(db, dbi_prep_text(db, ST_OUTBOX_COUNT, state), out);
}

static int
log_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb *cb = arg;

	return cb->fn.mail_log(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
	    (time_t)sqlite3_column_int64(s, 2), sqlite3_column_int(s, 3), cb->arg);
}

int
db_mail_log_of_receipt(struct db *db, const char *receipt,
    int (*fn)(int64_t outbox_id, const char *kind, time_t delivered_at, int attempts, void *arg), void *arg)
{
	struct dbi_cb cb = { .fn.mail_log = fn, .arg = arg };

	return dbi_each(db, dbi_prep_text(db, ST_MAIL_LOG_OF_RECEIPT, receipt), log_row, &cb);
}

int
db_outbox_backlog(struct db *db, int64_t *pending, time_t *oldest)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_OUTBOX_BACKLOG);
	int		 rc = dbi_step(db, s);

	if (rc == SQLITE_ROW) {
		*pending = sqlite3_column_int64(s, 0);
		*oldest = (time_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
dbi_envelope_add(struct db *db, const char *receipt, const void *sealed, size_t len)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_ENVELOPE_ADD, receipt);

	sqlite3_bind_blob(s, 2, sealed, (int)len, SQLITE_STATIC);
	return dbi_exec_one(db, s);
}

static int
get_envelope(sqlite3_stmt *s, void *sealed)
{
	return buf_put(sealed, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
}

int
db_envelope_get(struct db *db, const char *receipt, struct buf *sealed)
{
	return dbi_lookup(db, dbi_prep_text(db, ST_ENVELOPE_GET, receipt), get_envelope, sealed);
}

int
db_envelope_has(struct db *db, const char *receipt)
{
	return dbi_exists(db, dbi_prep_text(db, ST_ENVELOPE_GET, receipt));
}

/* ---- announcements ---- */

static sqlite3_stmt *
announce_stmt(struct db *db, enum stmt which, const char *procedure_id, const char *section_id,
    const char *statuses)
{
	sqlite3_stmt *s = dbi_prep_text(db, which, procedure_id);

	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, statuses, -1, SQLITE_STATIC);
	return s;
}

struct announce_run {
	struct db		*db;
	struct db_announcement	*a;
};

static int
announce_one(sqlite3_stmt *s, void *arg)
{
	struct db_announcement	*a = ((struct announce_run *)arg)->a;
	struct db		*db = ((struct announce_run *)arg)->db;
	const char		*receipt = (const char *)sqlite3_column_text(s, 0);
	const char		*participant = (const char *)sqlite3_column_text(s, 1);
	const char		*lang = (const char *)sqlite3_column_text(s, 2);
	struct db_outbox_item	 m;
	int			 rc;

	if (receipt == NULL || participant == NULL || lang == NULL)
		return -1;
	if (sqlite3_column_int(s, 3) == 0) {
		a->no_address++;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	if ((rc = a->mail(receipt, participant, lang, &m, a->arg)) == 0 && (rc = dbi_outbox_add(db, receipt, &m)) == 0)
		a->queued++;
	if (m.release != NULL)
		m.release(&m, a->arg);
	return rc == -1 ? -1 : 0;
}

static int
announce_add(struct db *db, const struct db_announcement *a)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_ANNOUNCE_ADD, a->procedure_id);

	sqlite3_bind_text(s, 2, a->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)a->at);
	sqlite3_bind_text(s, 4, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, a->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, a->body_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, a->statuses, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, a->queued);
	sqlite3_bind_int64(s, 9, a->no_address);
	return dbi_exec(db, s);
}

int
db_announce(struct db *db, struct db_announcement *a)
{
	struct announce_run run = { db, a };

	a->queued = a->no_address = 0;
	if (db_begin(db) == -1)
		return -1;
	return dbi_end(db, dbi_each(db, announce_stmt(db, ST_ANNOUNCE_RECIPIENTS, a->procedure_id, a->section_id,
	    a->statuses), announce_one, &run) == 0 && announce_add(db, a) == 0 &&
	    (a->done == NULL || a->done(a, a->arg) == 0));
}

static int
two_counts(sqlite3_stmt *s, void *arg)
{
	int64_t *n = arg;

	n[0] = sqlite3_column_int64(s, 0);
	n[1] = sqlite3_column_int64(s, 1);
	return 0;
}

int
db_announce_count(struct db *db, const char *procedure_id, const char *section_id, const char *statuses,
    int64_t *with_address, int64_t *no_address)
{
	int64_t n[2] = { 0, 0 };

	if (dbi_lookup(db, announce_stmt(db, ST_ANNOUNCE_COUNT, procedure_id, section_id, statuses), two_counts,
	    n) != 0)
		return -1;
	*with_address = n[0];
	*no_address = n[1];
	return 0;
}

static int
announcement_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb		*cb = arg;
	struct db_announcement	 a;

	memset(&a, 0, sizeof(a));
	a.procedure_id = cb->receipt;
	a.at = (time_t)sqlite3_column_int64(s, 0);
	a.actor = (const char *)sqlite3_column_text(s, 1);
	a.subject = (const char *)sqlite3_column_text(s, 2);
	a.statuses = (const char *)sqlite3_column_text(s, 3);
	a.queued = sqlite3_column_int64(s, 4);
	a.no_address = sqlite3_column_int64(s, 5);
	if (a.actor == NULL || a.subject == NULL || a.statuses == NULL)
		return -1;
	return cb->fn.announcement(&a, cb->arg);
}

int
db_announcements_each(struct db *db, const char *procedure_id, const char *section_id, int64_t limit,
    int (*fn)(const struct db_announcement *a, void *arg), void *arg)
{
	sqlite3_stmt	*s = dbi_prep_text(db, ST_ANNOUNCE_LIST, procedure_id);
	struct dbi_cb	 cb = { .fn.announcement = fn, .arg = arg, .receipt = procedure_id };

	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	return dbi_each(db, s, announcement_row, &cb);
}
