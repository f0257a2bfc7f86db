/*
 * Applications: stored once per submit key under a fresh receipt (one at a
 * time or in the batching writer's group commits, sealed per batch),
 * counted against the send limits, and read back for residents (status)
 * and staff (lists, one application, its events).
 */
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow.h"

/* Twelve random digits; grouped for reading aloud over the phone. */
static void
receipt_draw(char out[DB_RECEIPT_LEN + 1])
{
	uint32_t g[3];

	seal_uniform_n(10000, g, 3);
	snprintf(out, DB_RECEIPT_LEN + 1, "%04u-%04u-%04u", g[0], g[1], g[2]);
}

static int
receipt_taken(struct db *db, const char *receipt)
{
	return dbi_exists(db, dbi_prep_text(db, ST_APP_RECEIPT_EXISTS, receipt));
}

/* The Luhn check digit of n digits: what makes one wrong or two swapped digits show. */
static char
luhn_digit(const char *d, size_t n)
{
	unsigned	sum = 0, v;
	size_t		i;

	for (i = 0; i < n; i++) {
		v = (unsigned)(d[n - 1 - i] - '0');
		if (i % 2 == 0 && (v *= 2) > 9)
			v -= 9;
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/*
 * "<prefix>-dddd-dddd-dddc": 11 random digits, so that one participant's ID
 * says nothing of another's, and a check digit for IDs read out or typed.
 */
static void
participant_draw(const char *prefix, char out[DB_PARTICIPANT_LEN + 1])
{
	uint32_t	r[11];
	char		d[12];
	int		i;

	seal_uniform_n(10, r, 11);
	for (i = 0; i < 11; i++)
		d[i] = (char)('0' + r[i]);
	d[11] = luhn_digit(d, 11);
	snprintf(out, DB_PARTICIPANT_LEN + 1, "%.8s-%.4s-%.4s-%.4s", prefix, d, d + 4, d + 8);
}

int
db_participant_ok(const char *id)
{
	const char	*dash = id != NULL ? strchr(id, '-') : NULL;
	char		 d[12];
	size_t		 n = 0, plen;

	if (dash == NULL || (plen = (size_t)(dash - id)) < 1 || plen > 8 ||
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != plen || strlen(dash) != 15)
		return 0;
	for (dash++; *dash != '\0'; dash++) {
		if ((n == 4 || n == 8) && *dash == '-' && dash[-1] != '-')
			continue;
		if (*dash < '0' || *dash > '9' || n == sizeof(d))
			return 0;
		d[n++] = *dash;
	}
	return n == sizeof(d) && luhn_digit(d, 11) == d[11];
}

static int
participant_taken(struct db *db, const char *id)
{
	return dbi_exists(db, dbi_prep_text(db, ST_APP_PARTICIPANT_EXISTS, id));
}

static int
get_receipt(sqlite3_stmt *s, void *receipt)
{
	return dbi_col_text(s, 0, receipt, DB_RECEIPT_LEN + 1);
}

static int
app_by_submit(struct db *db, const unsigned char hash[SEAL_MAC_LEN], char receipt[DB_RECEIPT_LEN + 1])
{
	sqlite3_stmt *s = dbi_prep(db, ST_APP_BY_SUBMIT);

	sqlite3_bind_blob(s, 1, hash, SEAL_MAC_LEN, SQLITE_STATIC);
	return dbi_lookup(db, s, get_receipt, receipt);
}

int
db_app_by_participant(struct db *db, const char *procedure_id, const char *participant,
    char receipt[DB_RECEIPT_LEN + 1])
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_APP_BY_PARTICIPANT, participant);

	sqlite3_bind_text(s, 2, procedure_id, -1, SQLITE_STATIC);
	return dbi_lookup(db, s, get_receipt, receipt);
}

/* The application a, sealed to key_id as sealed (len bytes), under receipt, with its participant ID. */
static int
app_insert(struct db *db, const struct db_app *a, const char *key_id, const void *sealed, size_t len,
    const char *receipt, const char *participant)
{
	sqlite3_stmt *s = dbi_prep(db, ST_APP_INSERT);

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->form_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, sealed, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, a->submit_hash, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, a->inquiry_hash, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)a->received_at);
	if (a->channel != NULL)
		sqlite3_bind_text(s, 10, a->channel, -1, SQLITE_STATIC);
	if (*participant != '\0')
		sqlite3_bind_text(s, 11, participant, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, a->lang != NULL ? a->lang : LANG_DEFAULT, -1, SQLITE_STATIC);
	return dbi_exec(db, s);
}

/* db_app_store's way to a commit: a batch of one on this connection. */
static int
store_here(struct db_store_req *r, void *arg)
{
	return db_app_store_batch(arg, r, 1) == -1 ? -1 : 0;
}

int
db_app_store(struct db *db, const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1])
{
	return db_app_store_via(app, receipt, store_here, db);
}

int
db_app_store_at(struct db *db, const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1], long *position)
{
	return db_app_store_via_at(app, receipt, position, store_here, db);
}

/* One try under a freshly drawn receipt, with the arrival mail that names it. */
static int
try_receipt(struct db_store_req *r, int (*store)(struct db_store_req *, void *), void *arg)
{
	const struct db_app	*app = &r->app;
	struct db_outbox_item	 m;
	int			 rc;

	receipt_draw(r->receipt);
	r->participant[0] = '\0';
	if (app->participant_prefix != NULL)
		participant_draw(app->participant_prefix, r->participant);
	memset(&m, 0, sizeof(m));
	r->mail = NULL;
	if (app->mail != NULL) {
		if ((rc = app->mail(r->receipt, r->participant, &m, app->mail_arg)) == -1)
			return -1;
		if (rc == 0)	/* DB_NOTFOUND: no mail for this one */
			r->mail = &m;
	}
	rc = store(r, arg) == -1 ? -1 : r->result;
	if (m.release != NULL)
		m.release(&m, app->mail_arg);
	r->mail = NULL;
	return rc;
}

int
db_app_store_via(const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1],
    int (*store)(struct db_store_req *, void *), void *arg)
{
	long position;

	return db_app_store_via_at(app, receipt, &position, store, arg);
}

int
db_app_store_via_at(const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1], long *position,
    int (*store)(struct db_store_req *, void *), void *arg)
{
	struct db_store_req	r;
	int			tries, rc = -1;

	*position = 0;
	memset(&r, 0, sizeof(r));
	r.app = *app;
	/* 10^12 receipts: a collision is rare, a long run of them means a broken RNG. */
	for (tries = 0; tries < 20; tries++)
		if ((rc = try_receipt(&r, store, arg)) != DB_TAKEN)
			break;
	if (rc == 0 || rc == DB_EXISTS || rc == DB_MAIL_HELD) {
		memcpy(receipt, r.receipt, DB_RECEIPT_LEN + 1);
		*position = r.position;
	} else
		receipt[0] = '\0';
	if (app->participant != NULL)
		snprintf(app->participant, DB_PARTICIPANT_LEN + 1, "%s", rc == 0 || rc == DB_MAIL_HELD ?
		    r.participant : "");
	return rc == 0 || rc == DB_EXISTS || rc == DB_STALE_KEY || rc == DB_LIMITED || rc == DB_MAIL_HELD ||
	    rc == DB_FULL ? rc : -1;
}

/*
 * Workers remember a section's key between requests; checking it here, in
 * the transaction that stores, makes a rotation take effect at once: 1 when
 * key_id is the section's current key, 0 when not, -1 on error.
 */
static int
key_is_current(struct db *db, const char *section_id, const char *key_id)
{
	unsigned char	pk[SEAL_PK_LEN];
	char		current[SEAL_KEYID_LEN + 1];
	int		rc = db_key_current(db, section_id, current, pk);

	if (rc == -1)
		return -1;
	return rc == 0 && strcmp(current, key_id) == 0;
}

void
db_set_limits(struct db *db, const struct db_limits *limits)
{
	db->limits = *limits;
}

void
db_set_waitlist_text(struct db *db, db_waitlist_fn fn, void *arg)
{
	db->waitlist_text = fn;
	db->waitlist_arg = arg;
}

void
db_set_contact_key(struct db *db, const unsigned char pk[SEAL_PK_LEN])
{
	memcpy(db->contact_pk, pk, SEAL_PK_LEN);
	db->has_contact_pk = 1;
}

/*
 * The keys one batch seals with: each section's current key, read once in
 * the storing transaction (no rotation can come between), and the mailer's
 * for contact envelopes; to each, one ephemeral key pair (seal.h).  The
 * array is made once for the batch, never moved (a realloc would leave the
 * shared keys behind in freed memory), and wiped when the batch ends.
 */
struct batch_key {
	const char		*section_id;	/* NULL: the contact key */
	char			 key_id[SEAL_KEYID_LEN + 1];
	struct seal_batch	 sb;
};

struct batch_seal {
	struct batch_key	*keys;
	size_t			 n, cap;	/* cap: the batch's requests and the contact key */
	struct buf		 box;		/* the box being stored */
};

/* The batch's key for section_id (NULL: the contact key), begun on first use; NULL on failure. */
static struct batch_key *
batch_key(struct db *db, struct batch_seal *bs, const char *section_id)
{
	unsigned char		 pk[SEAL_PK_LEN];
	struct batch_key	*k;
	size_t			 i;

	for (i = 0; i < bs->n; i++) {
		k = &bs->keys[i];
		if (section_id == NULL ? k->section_id == NULL :
		    k->section_id != NULL && strcmp(k->section_id, section_id) == 0)
			return k;
	}
	if (bs->keys == NULL && (bs->keys = calloc(bs->cap, sizeof(*bs->keys))) == NULL)
		return NULL;
	if (bs->n == bs->cap)
		return NULL;
	k = &bs->keys[bs->n];
	k->section_id = section_id;
	if (section_id == NULL) {
		if (!db->has_contact_pk)
			return NULL;
		memcpy(pk, db->contact_pk, SEAL_PK_LEN);
	} else if (db_key_current(db, section_id, k->key_id, pk) != 0)
		return NULL;
	if (seal_batch_begin(&k->sb, pk) == -1)
		return NULL;
	bs->n++;
	return k;
}

/* msg sealed with the batch's key for section_id (NULL: the contact key) into bs->box; the key, or NULL. */
static const struct batch_key *
batch_box(struct db *db, struct batch_seal *bs, const char *section_id, const void *msg, size_t len)
{
	struct batch_key *k = batch_key(db, bs, section_id);

	buf_reset(&bs->box);
	return k != NULL && seal_batch_box(&k->sb, msg, len, &bs->box) == 0 ? k : NULL;
}

static void
batch_seal_end(struct batch_seal *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++)
		seal_batch_end(&bs->keys[i].sb);
	free(bs->keys);
	buf_free(&bs->box);
}

/* The start of now's tenth of window: counts are kept per tenth, so a window slides in tenths. */
static time_t
count_slot(time_t now, int window)
{
	time_t len = window >= 10 ? window / 10 : 1;

	return now - now % len;
}

/* 1 when key has limit sends or more in the window that ends at now, 0 when not, -1 on error. */
static int
over_limit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now, int limit, int window)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_SEND_COUNT);
	int64_t		 hits = 0;
	int		 rc;

	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)(now - window));
	rc = dbi_step(db, s);
	if (rc == SQLITE_ROW)
		hits = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return -1;
	return hits >= limit;
}

static int
count_send(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now, int window)
{
	sqlite3_stmt *s = dbi_prep(db, ST_SEND_HIT);

	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)count_slot(now, window));
	return dbi_exec(db, s);
}

/*
 * Is this send within its limit (0: no limit)?  1 yes, counted; 0 over the
 * limit, not counted; -1 on error.
 */
static int
within_limit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now, int limit, int window)
{
	int over;

	if (limit <= 0)
		return 1;
	if ((over = over_limit(db, key, now, limit, window)) != 0)
		return over == 1 ? 0 : -1;
	return count_send(db, key, now, window) == 0 ? 1 : -1;
}

/* Counts older than every window go, at most once an hour: the table stays as small as a day's sends. */
static int
purge_counts(struct db *db, time_t now)
{
	sqlite3_stmt	*s;
	int		 longest = db->limits.send_window > DB_MAIL_WINDOW ? db->limits.send_window :
			    DB_MAIL_WINDOW;

	if (now - db->counts_purged < 60 * 60 && now >= db->counts_purged)
		return 0;
	s = dbi_prep(db, ST_SEND_PURGE);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(now - longest));
	if (dbi_exec(db, s) == -1)
		return -1;
	db->counts_purged = now;
	return 0;
}

/* The application itself: as its caller sealed it, or sealed here with the batch's key for its section. */
static int
insert_app(struct db *db, struct batch_seal *bs, const struct db_store_req *r)
{
	const struct db_app	*a = &r->app;
	const struct batch_key	*k;

	if (a->sealed != NULL)
		return app_insert(db, a, a->key_id, a->sealed, a->sealed_len, r->receipt, r->participant);
	if ((k = batch_box(db, bs, a->section_id, a->plain, a->plain_len)) == NULL)
		return -1;
	return app_insert(db, a, k->key_id, bs->box.data, bs->box.len, r->receipt, r->participant);
}

static int	set_status(struct db *db, const struct db_event *ev);

/*
 * The stored application takes its places, or waits (its status becomes
 * キャンセル待ち), or is over them: 0, DB_FULL (its savepoint is rolled
 * back: nothing stays), -1.
 */
static int
join_places(struct db *db, struct db_store_req *r)
{
	struct db_event	ev;
	int		rc;

	if ((rc = dbi_place_join(db, r->receipt, r->app.procedure_id, &r->app.places, &r->position)) != 1)
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.receipt = r->receipt;
	ev.at = r->app.received_at;
	ev.from_status = "received";
	ev.to_status = "waitlisted";
	return set_status(db, &ev) == 0 ? 0 : -1;
}

/* The arrival mail; a waitlisted application's says its turn (db_set_waitlist_text). */
static int
queue_arrival(struct db *db, const struct db_store_req *r)
{
	struct db_outbox_item	m = *r->mail;
	struct buf		text;
	int			rc;

	if (r->position == 0 || db->waitlist_text == NULL || m.text == NULL)
		return dbi_outbox_add(db, r->receipt, r->mail);
	buf_init(&text);
	rc = db->waitlist_text(db->waitlist_arg, m.text, r->position, r->app.lang != NULL ? r->app.lang : LANG_DEFAULT,
	    &text) == 0 && !text.oom ? 0 : -1;
	m.text = buf_cstr(&text);
	if (rc == 0)
		rc = dbi_outbox_add(db, r->receipt, &m);
	buf_free(&text);
	return rc;
}

/*
 * A new application under the receipt its sender drew: 0, DB_MAIL_HELD,
 * DB_TAKEN, DB_STALE_KEY, DB_LIMITED or -1.  The limits are checked last,
 * so that a send answered "draw again" or "seal again" is not counted.
 */
static int
insert_new(struct db *db, struct batch_seal *bs, struct db_store_req *r)
{
	const struct db_limits	*l = &db->limits;
	const struct db_app	*a = &r->app;
	int			 current, taken, ok;

	/* A mail with text is sent to the envelope's address: it needs one. */
	if ((a->sealed == NULL && a->plain == NULL) ||
	    (r->mail != NULL && r->mail->text != NULL && a->contact == NULL))
		return -1;
	if (a->sealed != NULL && (current = key_is_current(db, a->section_id, a->key_id)) != 1)
		return current == 0 ? DB_STALE_KEY : -1;
	taken = receipt_taken(db, r->receipt);
	if (taken == 0 && r->participant[0] != '\0')
		taken = participant_taken(db, r->participant);
	if (taken != 0)
		return taken == 1 ? DB_TAKEN : -1;
	if ((ok = within_limit(db, a->sender_key, a->received_at, l->send_limit, l->send_window)) != 1)
		return ok == 0 ? DB_LIMITED : -1;
	if (insert_app(db, bs, r) == -1)
		return -1;
	if ((ok = join_places(db, r)) != 0)
		return ok;
	if (a->contact != NULL && (batch_box(db, bs, NULL, a->contact, a->contact_len) == NULL ||
	    dbi_envelope_add(db, r->receipt, bs->box.data, bs->box.len) == -1))
		return -1;
	if (r->mail == NULL)
		return 0;
	if ((ok = within_limit(db, a->recipient_key, a->received_at, l->mail_limit, DB_MAIL_WINDOW)) != 1)
		return ok == 0 ? DB_MAIL_HELD : -1;
	return queue_arrival(db, r);
}

/* One request of a batch, inside its own savepoint so that its failure leaves the others alone. */
static int
store_one(struct db *db, struct batch_seal *bs, struct db_store_req *r)
{
	int rc;

	if (dbi_exec(db, dbi_prep(db, ST_SAVEPOINT)) == -1)
		return -1;
	r->position = 0;
	rc = app_by_submit(db, r->app.submit_hash, r->receipt);
	if (rc == 0) {
		rc = DB_EXISTS;
		if (db_app_wait_position(db, r->receipt, &r->position) == -1)
			rc = -1;
	} else if (rc == DB_NOTFOUND)
		rc = insert_new(db, bs, r);
	if (rc == -1 || rc == DB_FULL) {
		(void)dbi_exec(db, dbi_prep(db, ST_ROLLBACK_TO));
		r->position = 0;
	}
	if (dbi_exec(db, dbi_prep(db, ST_RELEASE)) == -1)
		return -1;
	return rc;
}

int
db_app_store_batch(struct db *db, struct db_store_req *reqs, size_t n)
{
	struct batch_seal	bs;
	size_t			i, stored = 0;

	memset(&bs, 0, sizeof(bs));
	bs.cap = n + 1;
	buf_init(&bs.box);
	if (db_begin(db) == -1 || (n > 0 && purge_counts(db, reqs[0].app.received_at) == -1))
		goto fail;
	for (i = 0; i < n; i++)
		if ((reqs[i].result = store_one(db, &bs, &reqs[i])) == 0 || reqs[i].result == DB_MAIL_HELD)
			stored++;
	if (db_commit(db) == -1)
		goto fail;
	batch_seal_end(&bs);
	return (int)stored;
fail:
	db_rollback(db);
	batch_seal_end(&bs);
	for (i = 0; i < n; i++)
		reqs[i].result = -1;
	return -1;
}

/* The participant ID column, NULL read as "". */
static int
participant_col(sqlite3_stmt *s, int col, char out[DB_PARTICIPANT_LEN + 1])
{
	const char *v = dbi_col_text_or_empty(s, col);

	if (v == NULL || strlen(v) > DB_PARTICIPANT_LEN)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int
get_status(sqlite3_stmt *s, void *arg)
{
	struct db_app_status *out = arg;

	out->received_at = (time_t)sqlite3_column_int64(s, 2);
	out->number = (long)sqlite3_column_int64(s, 7);
	return dbi_col_text(s, 0, out->procedure_id, sizeof(out->procedure_id)) == 0 &&
	    dbi_col_text(s, 1, out->status, sizeof(out->status)) == 0 &&
	    dbi_col_blob(s, 3, out->inquiry_hash, SEAL_MAC_LEN) == 0 &&
	    dbi_col_text(s, 4, out->channel, sizeof(out->channel)) == 0 &&
	    participant_col(s, 5, out->participant) == 0 &&
	    dbi_col_text(s, 6, out->lang, sizeof(out->lang)) == 0 ? 0 : -1;
}

int
db_app_status(struct db *db, const char *receipt, struct db_app_status *out)
{
	return dbi_lookup(db, dbi_prep_text(db, ST_APP_STATUS, receipt), get_status, out);
}

struct sealed_out { char *key_id; struct buf *sealed; };

static int
get_sealed(sqlite3_stmt *s, void *arg)
{
	struct sealed_out *o = arg;

	return dbi_col_text(s, 0, o->key_id, SEAL_KEYID_LEN + 1) == 0 &&
	    buf_put(o->sealed, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) == 0 ? 0 : -1;
}

int
db_app_sealed(struct db *db, const char *receipt, char key_id[SEAL_KEYID_LEN + 1], struct buf *sealed)
{
	struct sealed_out o = { key_id, sealed };

	return dbi_lookup(db, dbi_prep_text(db, ST_APP_SEALED, receipt), get_sealed, &o);
}

int
db_app_count(struct db *db, int64_t *out)
{
	return dbi_count(db, dbi_prep(db, ST_APP_COUNT), out);
}

/* ---- applications for staff ---- */

/* The filter's statement: one for any status, one for a status (see db_sql.c). */
static sqlite3_stmt *
filter_stmt(struct db *db, const struct db_app_filter *f, enum stmt any, enum stmt one)
{
	int		 by_status = f->status != NULL && *f->status != '\0';
	sqlite3_stmt	*s = dbi_prep(db, by_status ? one : any);

	sqlite3_bind_text(s, 1, f->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->section_id, -1, SQLITE_STATIC);
	if (by_status)
		sqlite3_bind_text(s, 3, f->status, -1, SQLITE_STATIC);
	return s;
}

/*
 * A page's bounds as one row value each way: where the rows start is the
 * later of the filter's edge and the last row shown ((from, "") is before
 * every row of from, (to, "") after every row before to); the other edge
 * stays a plain bound.  Receipts are never "", so no row equals an edge.
 */
static void
bind_page(sqlite3_stmt *s, const struct db_app_filter *f)
{
	time_t		 at = f->oldest_first ? f->from : f->to, end = f->oldest_first ? f->to : f->from;
	const char	*receipt = "";

	if (f->after_receipt != NULL &&
	    (f->oldest_first ? f->after_at >= at : f->after_at < at)) {
		at = f->after_at;
		receipt = f->after_receipt;
	}
	sqlite3_bind_int64(s, 4, (sqlite3_int64)at);
	sqlite3_bind_text(s, 5, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)end);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)f->limit);
}

static int
get_app_row(sqlite3_stmt *s, struct db_app_row *r)
{
	memset(r, 0, sizeof(*r));
	r->received_at = (time_t)sqlite3_column_int64(s, 4);
	r->number = (long)sqlite3_column_int64(s, 11);
	r->updated_at = (time_t)sqlite3_column_int64(s, 5);
	r->sealed = sqlite3_column_blob(s, 7);
	r->sealed_len = (size_t)sqlite3_column_bytes(s, 7);
	return dbi_col_text(s, 0, r->receipt, sizeof(r->receipt)) == 0 &&
	    dbi_col_text(s, 1, r->procedure_id, sizeof(r->procedure_id)) == 0 &&
	    dbi_col_text(s, 2, r->section_id, sizeof(r->section_id)) == 0 &&
	    dbi_col_text(s, 3, r->status, sizeof(r->status)) == 0 &&
	    dbi_col_text(s, 6, r->key_id, sizeof(r->key_id)) == 0 &&
	    dbi_col_text(s, 8, r->channel, sizeof(r->channel)) == 0 &&
	    participant_col(s, 9, r->participant) == 0 &&
	    dbi_col_text(s, 10, r->lang, sizeof(r->lang)) == 0 && r->sealed != NULL ? 0 : -1;
}

static int
app_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb		*cb = arg;
	struct db_app_row	 r;

	if (get_app_row(s, &r) == -1)
		return -1;
	return cb->fn.app(&r, cb->arg);
}

int
db_app_list(struct db *db, const struct db_app_filter *f,
    int (*fn)(const struct db_app_row *, void *), void *arg)
{
	sqlite3_stmt	*s = f->oldest_first ?
			    filter_stmt(db, f, ST_APP_LIST_OLDEST_FIRST, ST_APP_LIST_STATUS_OLDEST_FIRST) :
			    filter_stmt(db, f, ST_APP_LIST_NEWEST_FIRST, ST_APP_LIST_STATUS_NEWEST_FIRST);
	struct dbi_cb	 cb = { .fn.app = fn, .arg = arg };

	bind_page(s, f);
	return dbi_each(db, s, app_row, &cb);
}

int
db_app_count_filtered(struct db *db, const struct db_app_filter *f, int64_t *out)
{
	sqlite3_stmt *s = filter_stmt(db, f, ST_APP_COUNT_FILTERED, ST_APP_COUNT_STATUS);

	sqlite3_bind_int64(s, 4, (sqlite3_int64)f->from);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)f->to);
	return dbi_count(db, s, out);
}

static int
count_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb *cb = arg;

	return cb->fn.count((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), cb->arg);
}

int
db_app_status_counts(struct db *db, const char *procedure_id, const char *section_id,
    int (*fn)(const char *, int64_t, void *), void *arg)
{
	sqlite3_stmt	*s = dbi_prep(db, ST_APP_STATUS_COUNTS);
	struct dbi_cb	 cb = { .fn.count = fn, .arg = arg };

	sqlite3_bind_text(s, 1, procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	return dbi_each(db, s, count_row, &cb);
}

struct app_get_arg { struct db_app_row *row; struct buf *sealed; };

static int
get_app(sqlite3_stmt *s, void *arg)
{
	struct app_get_arg	*a = arg;
	size_t			 start = a->sealed->len;

	if (get_app_row(s, a->row) == -1 || buf_put(a->sealed, a->row->sealed, a->row->sealed_len) == -1)
		return -1;
	a->row->sealed = a->sealed->data + start;
	return 0;
}

int
db_app_get(struct db *db, const char *receipt, struct db_app_row *row, struct buf *sealed)
{
	struct app_get_arg a = { row, sealed };

	return dbi_lookup(db, dbi_prep_text(db, ST_APP_GET, receipt), get_app, &a);
}

static int
event_insert(struct db *db, const struct db_event *ev)
{
	sqlite3_stmt *s = dbi_prep(db, ST_EVENT_ADD);

	sqlite3_bind_text(s, 1, ev->receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)ev->at);
	sqlite3_bind_text(s, 3, ev->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, ev->from_status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, ev->to_status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, ev->key_id, -1, SQLITE_STATIC);
	if (ev->note_sealed != NULL)
		sqlite3_bind_blob(s, 7, ev->note_sealed, (int)ev->note_len, SQLITE_STATIC);
	return dbi_exec(db, s);
}

/* 0, or DB_NOTFOUND when the application is no longer in ev->from_status. */
static int
set_status(struct db *db, const struct db_event *ev)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_APP_SET_STATUS, ev->receipt);

	sqlite3_bind_text(s, 2, ev->from_status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ev->to_status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)ev->at);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)ev->number);
	if (dbi_exec(db, s) == -1)
		return -1;
	return sqlite3_changes(db->h) == 1 ? 0 : DB_NOTFOUND;
}

/* One waiting application moved up by ev's actor, if its people fit: 0 (or 1 when it did), -1. */
static int
promote_one(struct db *db, const struct db_event *ev, struct db_promote *pr, const char *receipt,
    const char *choice)
{
	struct db_places	pl;
	struct db_event		up;
	int			moved;

	memset(&pl, 0, sizeof(pl));
	if (pr->rules(choice, &pl, pr->arg) == -1 || dbi_place_move_up(db, receipt, &pl, &moved) == -1)
		return -1;
	if (!moved)
		return 0;
	memset(&up, 0, sizeof(up));
	up.receipt = receipt;
	up.at = ev->at;
	up.actor = ev->actor;
	up.from_status = "waitlisted";
	up.to_status = "received";
	up.key_id = "";
	if (set_status(db, &up) != 0 || event_insert(db, &up) == -1 || dbi_promoted(db, pr, receipt) == -1)
		return -1;
	return 1;
}

int
dbi_promoted(struct db *db, struct db_promote *pr, const char *receipt)
{
	struct db_outbox_item	m;
	int			rc;

	memset(&m, 0, sizeof(m));
	rc = pr->mail != NULL ? pr->mail(receipt, &m, pr->arg) : DB_NOTFOUND;
	if (rc == 0)
		rc = dbi_outbox_add(db, receipt, &m);
	if (m.release != NULL)
		m.release(&m, pr->arg);
	if (rc == -1)
		return -1;
	if (pr->n < DB_PROMOTE_MAX)
		memcpy(pr->promoted[pr->n++], receipt, DB_RECEIPT_LEN + 1);
	return 0;
}

/* Freed places move the waitlist of ev's procedure up, in turn (db_promote). */
static int
promote(struct db *db, const struct db_event *ev, struct db_promote *pr, const char *procedure_id)
{
	char	receipts[DB_PROMOTE_MAX][DB_RECEIPT_LEN + 1], choices[DB_PROMOTE_MAX][64];
	size_t	i, n;

	if (pr->lottery)
		return dbi_lottery_promote(db, ev, pr, procedure_id);
	if (dbi_place_waiting(db, procedure_id, receipts, choices, DB_PROMOTE_MAX, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (promote_one(db, ev, pr, receipts[i], choices[i]) == -1)
			return -1;
	return 0;
}

/* The change's places: leaving a status that holds them (or the waitlist) gives them back. */
static int
event_places(struct db *db, const struct db_event *ev)
{
	struct db_app_status	st;
	int			freed, rc;

	if (strcmp(ev->from_status, ev->to_status) == 0 || wf_status_holds_place_code(ev->to_status) ||
	    (!wf_status_holds_place_code(ev->from_status) && strcmp(ev->from_status, "waitlisted") != 0))
		return 0;
	if (ev->promote != NULL && (rc = db_app_status(db, ev->receipt, &st)) != 0)
		return rc == DB_NOTFOUND ? 0 : -1;
	if ((rc = dbi_place_leave(db, ev->receipt, &freed)) != 0)
		return rc == DB_NOTFOUND ? 0 : -1;
	return freed && ev->promote != NULL ? promote(db, ev, ev->promote, st.procedure_id) : 0;
}

/* One change of db_app_event inside the caller's transaction (db_int.h): 0, DB_NOTFOUND (nothing done) or -1. */
int
dbi_app_change(struct db *db, const struct db_event *ev)
{
	int rc;

	if (strcmp(ev->from_status, ev->to_status) != 0 && (rc = set_status(db, ev)) != 0)
		return rc;
	return event_insert(db, ev) == 0 && event_places(db, ev) == 0 &&
	    (ev->mail == NULL || dbi_outbox_add(db, ev->receipt, ev->mail) == 0) ? 0 : -1;
}

int
db_app_event(struct db *db, const struct db_event *ev)
{
	int rc;

	if (ev->promote != NULL)
		ev->promote->n = 0;
	if (db_begin(db) == -1)
		return -1;
	if ((rc = dbi_app_change(db, ev)) == DB_NOTFOUND) {
		db_rollback(db);
		return rc;
	}
	return dbi_end(db, rc == 0);
}

int
db_app_event_many(struct db *db, const struct db_event *ev, size_t n, int *result,
    int (*after)(size_t i, void *arg), int (*done)(void *arg), void *arg)
{
	size_t	i;
	int	ok = 1;

	if (db_begin(db) == -1)
		return -1;
	for (i = 0; i < n && ok; i++) {
		if (ev[i].promote != NULL)
			ev[i].promote->n = 0;
		if ((result[i] = dbi_app_change(db, &ev[i])) == -1 || (after != NULL && after(i, arg) == -1))
			ok = 0;
	}
	return dbi_end(db, ok && (done == NULL || done(arg) == 0));
}

static int
event_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb	*cb = arg;
	struct db_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.receipt = cb->receipt;
	ev.at = (time_t)sqlite3_column_int64(s, 0);
	ev.actor = (const char *)sqlite3_column_text(s, 1);
	ev.from_status = (const char *)sqlite3_column_text(s, 2);
	ev.to_status = (const char *)sqlite3_column_text(s, 3);
	ev.key_id = (const char *)sqlite3_column_text(s, 4);
	if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
		ev.note_sealed = sqlite3_column_blob(s, 5);
		ev.note_len = (size_t)sqlite3_column_bytes(s, 5);
	}
	if (ev.actor == NULL || ev.from_status == NULL || ev.to_status == NULL || ev.key_id == NULL)
		return -1;
	return cb->fn.event(&ev, cb->arg);
}

int
db_app_events(struct db *db, const char *receipt, int (*fn)(const struct db_event *, void *), void *arg)
{
	struct dbi_cb cb = { .fn.event = fn, .arg = arg, .receipt = receipt };

	return dbi_each(db, dbi_prep_text(db, ST_EVENT_LIST, receipt), event_row, &cb);
}
