/* Unit tests for lib/db*.c on a temporary database: opening, the schema, applications, limits, throttle. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "db_int.h"
#include "t.h"
#include "t_db.h"
#include "t_mem.h"

static void
sample_app(struct db_app *a, const unsigned char *sealed, unsigned char tag)
{
	memset(a, 0, sizeof(*a));
	a->procedure_id = "e2e-open";
	a->section_id = "sec-a";
	a->form_hash = "00";
	a->key_id = "0123456789abcdef";
	a->sealed = sealed;
	a->sealed_len = 4;
	memset(a->submit_hash, tag, SEAL_MAC_LEN);
	memset(a->inquiry_hash, 7, SEAL_MAC_LEN);
	a->received_at = 1795000000;
}

static void
open_creates_schema_wal(void)
{
	struct db *db;
	sqlite3 *h;
	sqlite3_stmt *s;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(db_schema_version(db) == DB_SCHEMA_VERSION);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK);
	T_CHECK(sqlite3_step(s) == SQLITE_ROW);
	T_STREQ((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
}

static void
newer_schema_refused(void)
{
	struct db *db;
	sqlite3 *h;

	T_CHECK(t_db_fresh(&db) == 0);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == -1);
}

static void
sections_and_keys(void)
{
	unsigned char pk[SEAL_PK_LEN] = { 1 }, pk2[SEAL_PK_LEN] = { 2 }, got[SEAL_PK_LEN];
	char id[SEAL_KEYID_LEN + 1];
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(db_section_add(db, "sec-a", "テスト課", 1) == 0);
	T_CHECK(db_section_add(db, "sec-a", "again", 2) == DB_EXISTS);
	T_CHECK(db_section_exists(db, "sec-a") == 1 && db_section_exists(db, "nope") == 0);
	T_CHECK(db_key_current(db, "sec-a", id, got) == DB_NOTFOUND);
	T_CHECK(db_key_add(db, "sec-a", "1111111111111111", pk, "w", 1, 10) == 0);
	T_CHECK(db_key_add(db, "sec-a", "2222222222222222", pk2, "w", 1, 20) == 0);
	T_CHECK(db_key_current(db, "sec-a", id, got) == 0);
	T_STREQ(id, "2222222222222222");	/* the newest key seals new applications */
	T_CHECK(memcmp(got, pk2, SEAL_PK_LEN) == 0);
	db_close(db);
}

static void
store_once_per_submit(void)
{
	unsigned char sealed[4] = { 9, 8, 7, 6 };
	char r1[DB_RECEIPT_LEN + 1], r2[DB_RECEIPT_LEN + 1], kid[SEAL_KEYID_LEN + 1];
	struct db_app a;
	struct db *db;
	struct buf b;
	int64_t n;
	int i;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	sample_app(&a, sealed, 1);
	T_CHECK(db_app_store(db, &a, r1) == 0);
	T_CHECK(strlen(r1) == 14 && r1[4] == '-' && r1[9] == '-');
	for (i = 0; i < 14; i++)
		T_CHECK(i == 4 || i == 9 || (r1[i] >= '0' && r1[i] <= '9'));
	T_CHECK(db_app_store(db, &a, r2) == DB_EXISTS);
	T_STREQ(r1, r2);
	T_CHECK(db_app_count(db, &n) == 0 && n == 1);
	sample_app(&a, sealed, 2);
	T_CHECK(db_app_store(db, &a, r2) == 0 && strcmp(r1, r2) != 0);
	T_CHECK(db_app_sealed(db, r1, kid, &b) == 0 && b.len == 4 && memcmp(b.data, sealed, 4) == 0);
	buf_free(&b);
	db_close(db);
}

/* n requests for one batch, submit hashes tag, tag+1, ...; receipts drawn distinct. */
static void
batch_of(struct db_store_req *r, size_t n, const unsigned char *sealed, unsigned char tag)
{
	size_t i;

	memset(r, 0, n * sizeof(*r));
	for (i = 0; i < n; i++) {
		sample_app(&r[i].app, sealed, (unsigned char)(tag + i));
		snprintf(r[i].receipt, sizeof(r[i].receipt), "0000-0000-%04u", (unsigned)(i + 1) % 10000);
	}
}

static void
batch_stores_all(void)
{
	unsigned char		sealed[4] = { 1, 2, 3, 4 };
	struct db_store_req	r[3];
	struct db_outbox_item	m = { "arrival", "e2e-open", "sec-a", sealed, 4, 5, NULL, NULL };
	struct db		*db;
	int64_t			n;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch_of(r, 3, sealed, 10);
	r[1].mail = &m;
	T_CHECK(db_app_store_batch(db, r, 3) == 3);
	T_CHECK(r[0].result == 0 && r[1].result == 0 && r[2].result == 0);
	T_CHECK(db_app_count(db, &n) == 0 && n == 3);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 1);
	T_STREQ(r[2].receipt, "0000-0000-0003");
	db_close(db);
}

static void
batch_same_submit_twice_stores_once(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_store_req	r[2];
	struct db		*db;
	int64_t			n;

	/* a double click whose two sends land in one batch */
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch_of(r, 2, sealed, 20);
	memset(r[1].app.submit_hash, 20, SEAL_MAC_LEN);
	T_CHECK(db_app_store_batch(db, r, 2) == 1);
	T_CHECK(r[0].result == 0 && r[1].result == DB_EXISTS);
	T_STREQ(r[1].receipt, r[0].receipt);
	T_CHECK(db_app_count(db, &n) == 0 && n == 1);
	db_close(db);
}

static void
batch_taken_receipt_alone_refused(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_store_req	r[3];
	struct db		*db;
	int64_t			n;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch_of(r, 3, sealed, 30);
	memcpy(r[2].receipt, r[0].receipt, sizeof(r[0].receipt));
	T_CHECK(db_app_store_batch(db, r, 3) == 2);
	T_CHECK(r[0].result == 0 && r[1].result == 0 && r[2].result == DB_TAKEN);
	T_CHECK(db_app_count(db, &n) == 0 && n == 2);
	db_close(db);
}

/* A participant ID in use is refused like a receipt in use (draw again); the others in the batch are stored. */
static void
batch_taken_participant_alone_refused(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_store_req	r[3];
	struct db_app_status	st;
	struct db		*db;
	int64_t			n;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch_of(r, 3, sealed, 35);
	strcpy(r[0].participant, "ECO-1111-2222-3333");
	strcpy(r[2].participant, "ECO-1111-2222-3333");
	T_CHECK(db_app_store_batch(db, r, 3) == 2);
	T_CHECK(r[0].result == 0 && r[1].result == 0 && r[2].result == DB_TAKEN);
	T_CHECK(db_app_count(db, &n) == 0 && n == 2);
	T_CHECK(db_app_status(db, r[0].receipt, &st) == 0);
	T_STREQ(st.participant, "ECO-1111-2222-3333");
	T_CHECK(db_app_status(db, r[1].receipt, &st) == 0);
	T_STREQ(st.participant, "");
	db_close(db);
}

/* Issued IDs: the prefix, 11 random digits and a Luhn check digit; all different; a replay gets none anew. */
static void
participant_ids_issued(void)
{
	unsigned char		sealed[4] = { 0 };
	char			r[DB_RECEIPT_LEN + 1], first[DB_RECEIPT_LEN + 1];
	char			id[DB_PARTICIPANT_LEN + 1], ids[200][DB_PARTICIPANT_LEN + 1];
	struct db_app		a;
	struct db_app_row	row;
	struct db		*db;
	struct buf		b;
	int			i, k;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	for (i = 0; i < 200; i++) {
		sample_app(&a, sealed, 0);
		a.submit_hash[0] = (unsigned char)i;
		a.submit_hash[1] = (unsigned char)(i >> 8);
		a.participant_prefix = "ECO";
		a.participant = ids[i];
		T_CHECK(db_app_store(db, &a, r) == 0);
		T_CHECK(strlen(ids[i]) == 18 && strncmp(ids[i], "ECO-", 4) == 0 && db_participant_ok(ids[i]));
		for (k = 0; k < i; k++)
			T_CHECK(strcmp(ids[k], ids[i]) != 0);
		if (i == 0)
			memcpy(first, r, sizeof(first));
	}
	buf_reset(&b);
	T_CHECK(db_app_get(db, first, &row, &b) == 0);
	T_STREQ(row.participant, ids[0]);
	T_CHECK(db_app_by_participant(db, "e2e-open", ids[0], r) == 0 && strcmp(r, first) == 0);
	T_CHECK(db_app_by_participant(db, "other", ids[0], r) == DB_NOTFOUND);
	sample_app(&a, sealed, 0);	/* the first one's submit key again: its receipt, no new ID */
	a.participant_prefix = "ECO";
	a.participant = id;
	T_CHECK(db_app_store(db, &a, r) == DB_EXISTS && strcmp(r, first) == 0 && id[0] == '\0');
	db_close(db);
	buf_free(&b);
}

static void
participant_check_digit(void)
{
	/* Luhn's own example: 7992739871 has the check digit 3; 79927398713 has 8 (Python, independently) */
	T_CHECK(db_participant_ok("ECO-7992-7398-7138"));
	T_CHECK(!db_participant_ok("ECO-7992-7398-7139"));	/* a wrong check digit */
	T_CHECK(!db_participant_ok("ECO-7992-7938-7138"));	/* two digits swapped */
	T_CHECK(!db_participant_ok("ECO-7992-7398-713"));
	T_CHECK(!db_participant_ok("ECO-79927398-71388"));
	T_CHECK(!db_participant_ok("eco-7992-7398-7138"));
	T_CHECK(!db_participant_ok("-7992-7398-7138"));
	T_CHECK(!db_participant_ok("ABCDEFGHI-7992-7398-7138"));
	T_CHECK(!db_participant_ok("7992-7398-7138"));
	T_CHECK(!db_participant_ok(NULL));
}

static void
batch_failed_request_leaves_others(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_store_req	r[3];
	struct db_outbox_item	bad = { "arrival", "e2e-open", "sec-a", sealed, 4, 5, NULL, NULL };
	struct db		*db;
	int64_t			n;

	/* the middle one's mail breaks a constraint after its application row went in: both undone */
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch_of(r, 3, sealed, 40);
	bad.kind = NULL;	/* NOT NULL */
	r[1].mail = &bad;
	T_CHECK(db_app_store_batch(db, r, 3) == 2);
	T_CHECK(r[0].result == 0 && r[1].result == -1 && r[2].result == 0);
	T_CHECK(db_app_count(db, &n) == 0 && n == 2);
	T_CHECK(db_app_status(db, r[1].receipt, &(struct db_app_status){ 0 }) == DB_NOTFOUND);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 0);
	db_close(db);
}

static void
stale_key_stores_nothing(void)
{
	unsigned char	sealed[4] = { 0 }, pk2[SEAL_PK_LEN] = { 2 };
	char		r[DB_RECEIPT_LEN + 1];
	struct db_app	a;
	struct db	*db;
	int64_t		n;

	/* a worker that still has the key from before a rotation */
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	T_CHECK(db_key_add(db, "sec-a", "fedcba9876543210", pk2, "w", 1, 2) == 0);
	sample_app(&a, sealed, 50);
	T_CHECK(db_app_store(db, &a, r) == DB_STALE_KEY);
	T_STREQ(r, "");
	T_CHECK(db_app_count(db, &n) == 0 && n == 0);
	a.key_id = "fedcba9876543210";
	T_CHECK(db_app_store(db, &a, r) == 0);
	T_CHECK(db_app_count(db, &n) == 0 && n == 1);
	db_close(db);
}

static void
batch_stale_key_alone_refused(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_store_req	r[3];
	struct db_outbox_item	m = { "arrival", "e2e-open", "sec-a", sealed, 4, 5, NULL, NULL };
	struct db		*db;
	int64_t			n;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch_of(r, 3, sealed, 60);
	r[1].app.key_id = "ffffffffffffffff";	/* no such key: not current either */
	r[1].mail = &m;
	T_CHECK(db_app_store_batch(db, r, 3) == 2);
	T_CHECK(r[0].result == 0 && r[1].result == DB_STALE_KEY && r[2].result == 0);
	T_CHECK(db_app_count(db, &n) == 0 && n == 2);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 0);
	db_close(db);
}

/* ---- sealing in the storing transaction: plaintexts, one ephemeral key per batch and recipient ---- */

static unsigned char	sec_pk[SEAL_PK_LEN], sec_sk[SEAL_SK_LEN], mail_pk[SEAL_PK_LEN], mail_sk[SEAL_SK_LEN];
static char		sec_key_id[SEAL_KEYID_LEN + 1];

/* sec-a with a real key pair (sec_pk, sec_sk), and the mailer's (mail_pk, mail_sk) as the contact key. */
static int
with_real_keys(struct db *db)
{
	if (seal_keypair(sec_pk, sec_sk) == -1 || seal_keypair(mail_pk, mail_sk) == -1 ||
	    seal_key_id(sec_pk, sec_key_id) == -1)
		return -1;
	db_set_contact_key(db, mail_pk);
	return db_section_add(db, "sec-a", "テスト課", 1) == 0 &&
	    db_key_add(db, "sec-a", sec_key_id, sec_pk, "w", 1, 1) == 0 ? 0 : -1;
}

/* The plaintexts of a batch: "app N" for request N, and its contact "to N". */
struct plains {
	char	app[8][16], to[8][16];
};

/* n requests (n <= 8) with plaintexts, a contact for each one whose bit is set in contacts. */
static void
plain_batch(struct db_store_req *r, size_t n, unsigned char tag, unsigned contacts, struct plains *p)
{
	size_t i;

	batch_of(r, n, NULL, tag);
	for (i = 0; i < n; i++) {
		snprintf(p->app[i], sizeof(p->app[i]), "app %u", (unsigned)(tag + i));
		snprintf(p->to[i], sizeof(p->to[i]), "to %u", (unsigned)(tag + i));
		r[i].app.key_id = NULL;
		r[i].app.sealed = NULL;
		r[i].app.sealed_len = 0;
		r[i].app.plain = p->app[i];
		r[i].app.plain_len = strlen(p->app[i]);
		if (contacts & 1u << i) {
			r[i].app.contact = p->to[i];
			r[i].app.contact_len = strlen(p->to[i]);
		}
	}
}

/* Whether box is a batch's box from eph (NULL: any) that opens with (pk, sk) to want. */
static int
opens_to(const struct buf *box, const unsigned char *eph, const unsigned char *pk, const unsigned char *sk,
    const char *want)
{
	struct buf	m;
	int		ok;

	buf_init(&m);
	ok = box->len > SEAL_BATCH_OVERHEAD && (unsigned char)box->data[0] == SEAL_BATCH_TAG &&
	    (eph == NULL || memcmp(box->data + 1, eph, SEAL_PK_LEN) == 0) &&
	    seal_open(pk, sk, box->data, box->len, &m) == 0 && strcmp(buf_cstr(&m), want) == 0;
	buf_free(&m);
	return ok;
}

static void
batch_sealed_with_one_key_per_recipient(void)
{
	struct db_store_req	r[5];
	struct plains		p;
	struct db		*db;
	struct buf		b;
	unsigned char		eph[SEAL_PK_LEN], env_eph[SEAL_PK_LEN], first_eph[SEAL_PK_LEN];
	char			kid[SEAL_KEYID_LEN + 1];
	size_t			i;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0 && with_real_keys(db) == 0);
	plain_batch(r, 5, 10, 0x5, &p);		/* contacts on the first and third */
	T_CHECK(db_app_store_batch(db, r, 5) == 5);
	for (i = 0; i < 5; i++) {
		buf_reset(&b);
		T_CHECK(r[i].result == 0 && db_app_sealed(db, r[i].receipt, kid, &b) == 0);
		T_STREQ(kid, sec_key_id);
		if (i == 0)
			memcpy(eph, b.data + 1, SEAL_PK_LEN);
		T_CHECK(opens_to(&b, eph, sec_pk, sec_sk, p.app[i]));	/* all five from one ephemeral key */
		buf_reset(&b);
		T_CHECK(db_envelope_get(db, r[i].receipt, &b) == (i == 0 || i == 2 ? 0 : DB_NOTFOUND));
		T_CHECK(db_envelope_has(db, r[i].receipt) == (i == 0 || i == 2));
		if (i == 0)
			memcpy(env_eph, b.data + 1, SEAL_PK_LEN);
		if (i == 0 || i == 2)
			T_CHECK(opens_to(&b, env_eph, mail_pk, mail_sk, p.to[i]));
	}
	T_CHECK(memcmp(eph, env_eph, SEAL_PK_LEN) != 0);
	/* the next batch: another ephemeral key */
	memcpy(first_eph, eph, SEAL_PK_LEN);
	plain_batch(r, 1, 20, 0, &p);
	snprintf(r[0].receipt, sizeof(r[0].receipt), "0000-0000-0009");
	T_CHECK(db_app_store_batch(db, r, 1) == 1);
	buf_reset(&b);
	T_CHECK(db_app_sealed(db, r[0].receipt, kid, &b) == 0 && opens_to(&b, NULL, sec_pk, sec_sk, p.app[0]));
	T_CHECK(memcmp(b.data + 1, first_eph, SEAL_PK_LEN) != 0);
	buf_free(&b);
	db_close(db);
}

static void
rotation_takes_effect_with_the_next_batch(void)
{
	unsigned char		pk2[SEAL_PK_LEN], sk2[SEAL_SK_LEN];
	char			id2[SEAL_KEYID_LEN + 1], kid[SEAL_KEYID_LEN + 1];
	struct db_store_req	r[2];
	struct plains		p;
	struct db		*db;
	struct buf		b;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0 && with_real_keys(db) == 0);
	plain_batch(r, 1, 30, 0, &p);
	T_CHECK(db_app_store_batch(db, r, 1) == 1);
	T_CHECK(seal_keypair(pk2, sk2) == 0 && seal_key_id(pk2, id2) == 0);
	T_CHECK(db_key_add(db, "sec-a", id2, pk2, "w", 1, 2) == 0);	/* formctl key rotate */
	plain_batch(r + 1, 1, 31, 0, &p);
	snprintf(r[1].receipt, sizeof(r[1].receipt), "0000-0000-0009");
	T_CHECK(db_app_store_batch(db, r + 1, 1) == 1 && r[1].result == 0);
	T_CHECK(db_app_sealed(db, r[0].receipt, kid, &b) == 0 && strcmp(kid, sec_key_id) == 0);
	T_CHECK(opens_to(&b, NULL, sec_pk, sec_sk, "app 30"));
	buf_reset(&b);
	T_CHECK(db_app_sealed(db, r[1].receipt, kid, &b) == 0 && strcmp(kid, id2) == 0);
	T_CHECK(opens_to(&b, NULL, pk2, sk2, "app 31") && !opens_to(&b, NULL, sec_pk, sec_sk, "app 31"));
	buf_free(&b);
	db_close(db);
}

/*
 * The shared keys a batch sealed with are nowhere in this process's memory
 * once it returns, neither the section's nor the mailer's (the stack is not
 * looked at: the test's own copies, and libsodium's, are there).
 */
static void
batch_keys_wiped(void)
{
	struct db_store_req	r[3];
	struct plains		p;
	struct seal_cache	app_key, env_key;
	struct db		*db;
	struct buf		b, m;

	if (!T_MEM_CAN_SCAN)
		T_SKIP("the memory scan cannot run under a sanitizer or valgrind");
	memset(&app_key, 0, sizeof(app_key));
	memset(&env_key, 0, sizeof(env_key));
	buf_init(&b);
	buf_init(&m);
	T_CHECK(t_db_fresh(&db) == 0 && with_real_keys(db) == 0);
	plain_batch(r, 3, 40, 0x7, &p);
	T_CHECK(db_app_store_batch(db, r, 3) == 3);
	/* the shared keys, derived again from the stored boxes into the caches (on the stack) */
	T_CHECK(db_app_sealed(db, r[1].receipt, (char[SEAL_KEYID_LEN + 1]){ 0 }, &b) == 0);
	T_CHECK(seal_open_cached(&app_key, sec_pk, sec_sk, b.data, b.len, &m) == 0 && app_key.have);
	buf_reset(&b);
	T_CHECK(db_envelope_get(db, r[1].receipt, &b) == 0);
	T_CHECK(seal_open_cached(&env_key, mail_pk, mail_sk, b.data, b.len, &m) == 0 && env_key.have);
	T_CHECK(t_in_memory(app_key.shared, 16, app_key.shared + 16, 16, 0) == 0);
	T_CHECK(t_in_memory(env_key.shared, 16, env_key.shared + 16, 16, 0) == 0);
	seal_cache_wipe(&app_key);
	seal_cache_wipe(&env_key);
	buf_free(&b);
	buf_wipe(&m);
	db_close(db);
}

/* Two requests in one batch, each with an arrival mail of text and a contact where contacts says. */
static int
two_with_mail(struct db *db, struct db_store_req r[2], struct plains *p, unsigned char tag, unsigned contacts)
{
	static const struct db_outbox_item m = { "arrival", "e2e-open", "sec-a", NULL, 0, 5, NULL, "{\"v\":1}" };

	plain_batch(r, 2, tag, contacts, p);
	r[0].mail = r[1].mail = &m;
	return db_app_store_batch(db, r, 2);
}

static void
envelope_kept_when_the_mail_is_held(void)
{
	struct db_store_req	r[2];
	struct plains		p;
	struct db		*db;
	int64_t			n;

	/* one arrival mail per recipient: the second application is stored with its envelope, not its mail */
	T_CHECK(t_db_fresh(&db) == 0 && with_real_keys(db) == 0);
	db_set_limits(db, &(struct db_limits){ 0, 600, 1 });
	T_CHECK(two_with_mail(db, r, &p, 50, 0x3) == 2);
	T_CHECK(r[0].result == 0 && r[1].result == DB_MAIL_HELD);
	T_CHECK(db_envelope_has(db, r[0].receipt) == 1 && db_envelope_has(db, r[1].receipt) == 1);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 1);
	db_close(db);
}

static void
text_mail_without_envelope_refused(void)
{
	struct db_store_req	r[2];
	struct plains		p;
	struct db		*db;
	int64_t			n;

	/* a mail whose address would come from an envelope the application does not have */
	T_CHECK(t_db_fresh(&db) == 0 && with_real_keys(db) == 0);
	T_CHECK(two_with_mail(db, r, &p, 60, 0x2) == 1);
	T_CHECK(r[0].result == -1 && r[1].result == 0);
	T_CHECK(db_app_count(db, &n) == 0 && n == 1);
	db_close(db);
}

static void
contact_without_key_refused(void)
{
	struct db_store_req	r[1];
	struct plains		p;
	struct db		*db;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);	/* no db_set_contact_key */
	plain_batch(r, 1, 70, 0x1, &p);
	T_CHECK(db_app_store_batch(db, r, 1) == 0 && r[0].result == -1);
	db_close(db);
}

struct mails_seen {
	int	text, sealed;
};

static int
mail_seen(const struct db_mail *m, void *arg)
{
	struct mails_seen *s = arg;

	if (m->text != NULL && m->sealed == NULL && strcmp(m->text, "{\"v\":1,\"subject\":\"s\"}") == 0)
		s->text++;
	if (m->text == NULL && m->sealed_len == 4)
		s->sealed++;
	return 0;
}

/* Both kinds of outbox rows, queued with a change and read back for the mailer. */
static void
outbox_text_and_sealed_rows(void)
{
	unsigned char		sealed[4] = { 1, 2, 3, 4 };
	struct db_outbox_item	t = { "acceptance", "e2e-open", "sec-a", NULL, 0, 5, NULL, "{\"v\":1,\"subject\":\"s\"}" };
	struct db_outbox_item	o = { "return", "e2e-open", "sec-a", sealed, 4, 6, NULL, NULL };
	struct db_outbox_item	both = { "return", "e2e-open", "sec-a", sealed, 4, 6, NULL, "{}" };
	struct mails_seen	seen = { 0, 0 };
	struct db_event		ev;
	struct db_store_req	r[1];
	struct plains		p;
	struct db		*db;

	T_CHECK(t_db_fresh(&db) == 0 && with_real_keys(db) == 0);
	plain_batch(r, 1, 80, 0x1, &p);
	T_CHECK(db_app_store_batch(db, r, 1) == 1);
	memset(&ev, 0, sizeof(ev));
	ev.receipt = r[0].receipt;
	ev.actor = "sato";
	ev.from_status = ev.to_status = "received";
	ev.key_id = "";
	ev.mail = &t;
	T_CHECK(db_app_event(db, &ev) == 0);
	ev.mail = &o;
	T_CHECK(db_app_event(db, &ev) == 0);
	ev.mail = &both;	/* one or the other */
	T_CHECK(db_app_event(db, &ev) == -1);
	T_CHECK(db_outbox_due(db, 100, 10, mail_seen, &seen) == 0);
	T_CHECK(seen.text == 1 && seen.sealed == 1);
	db_close(db);
}

/*
 * A database of schema 5 with a mail queued sealed: migrated to the last
 * schema, the row is still there as it was (the mailer sends it as
 * before), and envelopes can be stored.  The schema-5 outbox is made here
 * as schema 5 made it, and the later migrations' columns go.
 */
static void
migration_keeps_sealed_mails(void)
{
	struct mails_seen	seen = { 0, 0 };
	struct db		*db;
	sqlite3			*h;
	sqlite3_stmt		*st;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	/* back to schema 5: what migrations 6 and later made goes */
	T_CHECK(sqlite3_exec(h, "PRAGMA foreign_keys = OFF; BEGIN; DROP TABLE envelopes; DROP TABLE outbox;"
	    "DROP TABLE lottery; DROP TABLE lottery_entries; ALTER TABLE applications DROP COLUMN status_number;"
	    "DROP TABLE app_places; DROP TABLE places; ALTER TABLE applications DROP COLUMN lang;"
	    "DROP TABLE erasure_reports; DROP TABLE export_ledger; DROP TABLE staff_mail;"
	    "ALTER TABLE staff DROP COLUMN email;"
	    "ALTER TABLE applications DROP COLUMN channel; DROP INDEX applications_participant;"
	    "ALTER TABLE applications DROP COLUMN participant_id;"
	    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	    "  receipt TEXT NOT NULL REFERENCES applications(receipt), procedure_id TEXT NOT NULL,"
	    "  section_id TEXT NOT NULL, sealed BLOB NOT NULL,"
	    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),"
	    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',"
	    "  created_at INTEGER NOT NULL);"
	    "INSERT INTO applications (receipt, procedure_id, section_id, form_hash, key_id, sealed, submit_hash,"
	    "  inquiry_hash, received_at, updated_at) VALUES ('0000-0000-0001', 'e2e-open', 'sec-a', '00',"
	    "  '0123456789abcdef', x'00', x'01', x'02', 1, 1);"
	    "INSERT INTO outbox (id, kind, receipt, procedure_id, section_id, sealed, attempts, next_at, created_at)"
	    "  VALUES (7, 'arrival', '0000-0000-0001', 'e2e-open', 'sec-a', x'01020304', 2, 5, 3);"
	    "PRAGMA user_version = 5; COMMIT;", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0 && db_schema_version(db) == DB_SCHEMA_VERSION);
	T_CHECK(db_outbox_due(db, 100, 10, mail_seen, &seen) == 0 && seen.sealed == 1 && seen.text == 0);
	T_CHECK(db_envelope_has(db, "0000-0000-0001") == 0);
	db_close(db);
	/* the same id and creation time: the same Message-ID */
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_prepare_v2(h, "SELECT count(*) FROM outbox WHERE id = 7 AND attempts = 2 AND created_at = 3"
	    " AND sealed = x'01020304' AND text IS NULL", -1, &st, NULL) == SQLITE_OK);
	T_CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* An outbox row seen for one receipt: its id and the receipt it was read with. */
struct outbox_seen {
	int64_t	id;
	char	receipt[DB_RECEIPT_LEN + 1];
	int	n;
};

static int
outbox_row_seen(const struct db_mail *m, void *arg)
{
	struct outbox_seen *o = arg;

	o->id = m->id;
	snprintf(o->receipt, sizeof(o->receipt), "%s", m->receipt);
	o->n++;
	return 0;
}

/* r[0] and r[2] have their envelopes, r[0] holds a place and r[1] waits first, r[0] and r[2] have a mail each. */
static void
rows_found_by_receipt(struct db *db, char (*r)[DB_RECEIPT_LEN + 1])
{
	struct outbox_seen	o;
	struct buf		env;
	long			pos = 0;

	buf_init(&env);
	T_CHECK(db_envelope_get(db, r[0], &env) == 0 && env.len == 1 && (unsigned char)env.data[0] == 0xe1);
	env.len = 0;
	T_CHECK(db_envelope_get(db, r[2], &env) == 0 && env.len == 1 && (unsigned char)env.data[0] == 0xe3);
	T_CHECK(db_envelope_has(db, r[1]) == 0);
	buf_free(&env);
	T_CHECK(db_app_wait_position(db, r[1], &pos) == 0 && pos == 1);
	T_CHECK(db_app_wait_position(db, r[0], &pos) == DB_NOTFOUND);	/* holds its place */
	T_CHECK(db_app_wait_position(db, r[2], &pos) == DB_NOTFOUND);	/* counts for nothing */
	memset(&o, 0, sizeof(o));
	T_CHECK(db_outbox_of_receipt(db, r[0], outbox_row_seen, &o) == 0 && o.n == 1 && o.id == 7);
	T_STREQ(o.receipt, r[0]);
	memset(&o, 0, sizeof(o));
	T_CHECK(db_outbox_of_receipt(db, r[2], outbox_row_seen, &o) == 0 && o.n == 1 && o.id == 8);
	T_STREQ(o.receipt, r[2]);
	memset(&o, 0, sizeof(o));
	T_CHECK(db_outbox_of_receipt(db, r[1], outbox_row_seen, &o) == 0 && o.n == 0);
}

/*
 * A database of the schema before the id keys (DB_SCHEMA_VERSION - 1),
 * whose envelopes, places and outbox rows are keyed by receipts, made here
 * as the schema before made them: migrated, every row is found by its
 * application's receipt, and the migration runs again over the database set
 * back.
 */
#define SCHEMA_BEFORE_APP_IDS	15	/* the last schema whose derived rows were keyed by receipt */

static void
migration_keys_rows_by_app_id(void)
{
	unsigned char	 sealed[4] = { 0 };
	char		 r[3][DB_RECEIPT_LEN + 1], sql[2048];
	struct db_app	 a;
	struct db	*db;
	sqlite3		*h;
	int		 i;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	for (i = 0; i < 3; i++) {
		sample_app(&a, sealed, (unsigned char)(60 + i));
		T_CHECK(db_app_store(db, &a, r[i]) == 0);
	}
	db_close(db);
	snprintf(sql, sizeof(sql), "BEGIN; DROP TABLE envelopes; DROP TABLE app_places; DROP TABLE outbox;"
	    "CREATE TABLE envelopes (receipt TEXT PRIMARY KEY REFERENCES applications(receipt),"
	    "  sealed BLOB NOT NULL) WITHOUT ROWID;"
	    "CREATE TABLE app_places (receipt TEXT PRIMARY KEY REFERENCES applications(receipt),"
	    "  procedure_id TEXT NOT NULL, choice TEXT NOT NULL, people INTEGER NOT NULL CHECK (people >= 1),"
	    "  wait_seq INTEGER) WITHOUT ROWID;"
	    "CREATE INDEX app_places_waiting ON app_places(procedure_id, wait_seq) WHERE wait_seq IS NOT NULL;"
	    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	    "  receipt TEXT NOT NULL REFERENCES applications(receipt), procedure_id TEXT NOT NULL,"
	    "  section_id TEXT NOT NULL, sealed BLOB, text TEXT,"
	    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),"
	    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',"
	    "  created_at INTEGER NOT NULL, CHECK ((sealed IS NULL) <> (text IS NULL)));"
	    "CREATE INDEX outbox_due ON outbox(state, next_at); CREATE INDEX outbox_receipt ON outbox(receipt);"
	    "INSERT INTO envelopes VALUES ('%s', x'e1'), ('%s', x'e3');"
	    "INSERT INTO app_places VALUES ('%s', 'e2e-open', '', 1, NULL), ('%s', 'e2e-open', '', 2, 1);"
	    "INSERT INTO outbox (id, kind, receipt, procedure_id, section_id, sealed, text, next_at, created_at)"
	    "  VALUES (7, 'arrival', '%s', 'e2e-open', 'sec-a', NULL, '{}', 5, 3),"
	    "  (8, 'return', '%s', 'e2e-open', 'sec-a', x'01020304', NULL, 6, 4);"
	    "PRAGMA user_version = %d; COMMIT;", r[0], r[2], r[0], r[1], r[0], r[2], SCHEMA_BEFORE_APP_IDS);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0 && db_schema_version(db) == DB_SCHEMA_VERSION);
	rows_found_by_receipt(db, r);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_BEFORE_APP_IDS);
	T_CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0 && db_schema_version(db) == DB_SCHEMA_VERSION);
	rows_found_by_receipt(db, r);
	db_close(db);
}

/* One request of key sender at t (submit hash tag), alone in its batch: its result. */
static int
send_at(struct db *db, const unsigned char *sealed, unsigned char tag, unsigned char sender, time_t t,
    const struct db_outbox_item *mail, unsigned char recipient)
{
	struct db_store_req r;

	batch_of(&r, 1, sealed, tag);
	snprintf(r.receipt, sizeof(r.receipt), "0000-0001-%04u", tag);
	memset(r.app.sender_key, sender, SEAL_MAC_LEN);
	memset(r.app.recipient_key, recipient, SEAL_MAC_LEN);
	r.app.received_at = t;
	r.mail = mail;
	return db_app_store_batch(db, &r, 1) == -1 ? -1 : r.result;
}

/* A fresh database with sec-a's key, storing under limits l. */
static int
limited_db(struct db **db, struct db_limits l)
{
	if (t_db_fresh(db) == -1 || t_db_with_key(*db) == -1)
		return -1;
	db_set_limits(*db, &l);
	return 0;
}

static void
send_limit_refuses_and_slides(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db		*db;
	int64_t			n;

	/* 3 in 600 s, counted in tenths (60 s): the sends at 1000-1019 count in the tenth from 960 */
	T_CHECK(limited_db(&db, (struct db_limits){ 3, 600, 0 }) == 0);
	T_CHECK(send_at(db, sealed, 1, 0xaa, 1000, NULL, 0) == 0);
	T_CHECK(send_at(db, sealed, 2, 0xaa, 1010, NULL, 0) == 0);
	T_CHECK(send_at(db, sealed, 3, 0xaa, 1019, NULL, 0) == 0);
	T_CHECK(send_at(db, sealed, 4, 0xaa, 1100, NULL, 0) == DB_LIMITED);
	T_CHECK(db_app_count(db, &n) == 0 && n == 3);
	/* the first send again is a replay, not a send: its receipt, even over the limit */
	T_CHECK(send_at(db, sealed, 1, 0xaa, 1100, NULL, 0) == DB_EXISTS);
	/* refused sends are not counted; the window passes the tenth from 960 at 1560 */
	T_CHECK(send_at(db, sealed, 4, 0xaa, 1559, NULL, 0) == DB_LIMITED);
	T_CHECK(send_at(db, sealed, 4, 0xaa, 1560, NULL, 0) == 0);
	T_CHECK(send_at(db, sealed, 5, 0xaa, 1561, NULL, 0) == 0);
	T_CHECK(send_at(db, sealed, 6, 0xaa, 1562, NULL, 0) == 0);
	T_CHECK(send_at(db, sealed, 7, 0xaa, 1563, NULL, 0) == DB_LIMITED);
	T_CHECK(db_app_count(db, &n) == 0 && n == 6);
	db_close(db);
}

static void
send_limit_per_sender(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_store_req	r[3];
	struct db		*db;

	/* two sends of one sender in one batch: the second meets the first's count */
	T_CHECK(limited_db(&db, (struct db_limits){ 1, 600, 0 }) == 0);
	batch_of(r, 3, sealed, 10);
	memset(r[0].app.sender_key, 1, SEAL_MAC_LEN);
	memset(r[1].app.sender_key, 1, SEAL_MAC_LEN);
	memset(r[2].app.sender_key, 2, SEAL_MAC_LEN);
	T_CHECK(db_app_store_batch(db, r, 3) == 2);
	T_CHECK(r[0].result == 0 && r[1].result == DB_LIMITED && r[2].result == 0);
	T_STREQ(r[1].receipt, "0000-0000-0002");	/* a limited request keeps its receipt unused */
	T_CHECK(db_app_status(db, r[1].receipt, &(struct db_app_status){ 0 }) == DB_NOTFOUND);
	db_close(db);
}

static void
mail_limit_holds_only_the_mail(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_outbox_item	m = { "arrival", "e2e-open", "sec-a", sealed, 4, 5, NULL, NULL };
	struct db		*db;
	int64_t			n;

	T_CHECK(limited_db(&db, (struct db_limits){ 0, 600, 2 }) == 0);
	T_CHECK(send_at(db, sealed, 1, 1, 1000, &m, 0x77) == 0);
	T_CHECK(send_at(db, sealed, 2, 2, 2000, &m, 0x77) == 0);
	T_CHECK(send_at(db, sealed, 3, 3, 3000, &m, 0x77) == DB_MAIL_HELD);
	T_CHECK(db_app_count(db, &n) == 0 && n == 3);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 2);
	/* another recipient gets its mail; the held one's count frees up a day later */
	T_CHECK(send_at(db, sealed, 4, 4, 3000, &m, 0x78) == 0);
	T_CHECK(send_at(db, sealed, 5, 5, 1000 + DB_MAIL_WINDOW + DB_MAIL_WINDOW / 10, &m, 0x77) == 0);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 4);
	db_close(db);
}

/* Rows in send_counts, read beside the program's connection. */
static int
count_rows(void)
{
	sqlite3		*h;
	sqlite3_stmt	*s;
	int		 n = -1;

	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, "SELECT count(*) FROM send_counts", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

static void
old_counts_purged(void)
{
	unsigned char		sealed[4] = { 0 };
	struct db_outbox_item	m = { "arrival", "e2e-open", "sec-a", sealed, 4, 5, NULL, NULL };
	struct db		*db;

	/* a day after the longest window, the counts of then are gone: the table stays small */
	T_CHECK(limited_db(&db, (struct db_limits){ 5, 600, 5 }) == 0);
	T_CHECK(send_at(db, sealed, 1, 1, 1000, &m, 0x77) == 0);
	T_CHECK(send_at(db, sealed, 2, 2, 1000, NULL, 0) == 0);
	T_CHECK(count_rows() == 3);
	T_CHECK(send_at(db, sealed, 3, 3, 1000 + DB_MAIL_WINDOW + 3600, NULL, 0) == 0);
	T_CHECK(count_rows() == 1);
	db_close(db);
}

static void
status_lookup(void)
{
	unsigned char sealed[4] = { 0 };
	char r[DB_RECEIPT_LEN + 1];
	struct db_app a;
	struct db_app_status st;
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	sample_app(&a, sealed, 3);
	T_CHECK(db_app_store(db, &a, r) == 0);
	T_CHECK(db_app_status(db, r, &st) == 0);
	T_STREQ(st.procedure_id, "e2e-open");
	T_STREQ(st.status, "received");
	T_STREQ(st.channel, "web");
	T_CHECK(st.received_at == 1795000000);
	T_CHECK(db_app_status(db, "0000-0000-0000", &st) == DB_NOTFOUND);
	db_close(db);
}

static void
throttle_windows(void)
{
	unsigned char k1[SEAL_MAC_LEN] = { 1 }, k2[SEAL_MAC_LEN] = { 2 };
	struct db *db;
	int64_t n;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(db_throttle_hit(db, k1, 36000, 600, &n) == 0 && n == 1);
	T_CHECK(db_throttle_hit(db, k1, 36001, 600, &n) == 0 && n == 2);
	T_CHECK(db_throttle_count(db, k1, 36002, 600, &n) == 0 && n == 2);
	T_CHECK(db_throttle_hit(db, k1, 36600, 600, &n) == 0 && n == 2);	/* 36000 left, 36001 stays */
	/* a short-window hit must not purge a long-window counter */
	T_CHECK(db_throttle_hit(db, k2, 36000, 3600, &n) == 0 && n == 1);
	T_CHECK(db_throttle_hit(db, k1, 37300, 600, &n) == 0);
	T_CHECK(db_throttle_count(db, k2, 37300, 3600, &n) == 0 && n == 1);
	T_CHECK(db_throttle_hit(db, k1, 37300, DB_THROTTLE_MAX_WINDOW + 1, &n) == -1);
	db_close(db);
}

/* Hits just before a clock quarter still count just after it: no burst fits around a boundary. */
static void
throttle_window_slides(void)
{
	unsigned char k[SEAL_MAC_LEN] = { 3 };
	const unsigned char *keys[1] = { k };
	struct db *db;
	int64_t n;
	int i, wait;

	T_CHECK(t_db_fresh(&db) == 0);
	for (i = 0; i < 5; i++)
		T_CHECK(db_throttle_record(db, keys, 1, 900 * 40 - 1) == 0);
	T_CHECK(db_throttle_count(db, k, 900 * 40, 900, &n) == 0 && n == 5);
	T_CHECK(db_throttle_count(db, k, 900 * 41 - 2, 900, &n) == 0 && n == 5);
	T_CHECK(db_throttle_count(db, k, 900 * 41 - 1, 900, &n) == 0 && n == 0);
	/* how long until fewer than a limit are left: the oldest hits leave first */
	T_CHECK(db_throttle_record(db, keys, 1, 900 * 40 + 100) == 0);
	T_CHECK(db_throttle_wait(db, k, 900 * 40 + 100, 900, 5, &wait) == 0 && wait == 799);
	T_CHECK(db_throttle_wait(db, k, 900 * 40 + 100, 900, 6, &wait) == 0 && wait == 799);
	T_CHECK(db_throttle_wait(db, k, 900 * 40 + 100, 900, 1, &wait) == 0 && wait == 900);
	T_CHECK(db_throttle_wait(db, k, 900 * 40 + 100, 900, 7, &wait) == 0 && wait == 0);
	T_CHECK(db_throttle_clear(db, k) == 0);
	T_CHECK(db_throttle_count(db, k, 900 * 40 + 100, 900, &n) == 0 && n == 0);
	db_close(db);
}

/* The receipts a list gives, in its order, joined with spaces. */
static int
join_row(const struct db_app_row *r, void *arg)
{
	struct buf *b = arg;

	return buf_printf(b, "%s%ld", b->len ? " " : "", (long)r->received_at);
}

static const char *
page(struct db *db, const struct db_app_filter *f, struct buf *b)
{
	buf_reset(b);
	return db_app_list(db, f, join_row, b) == 0 ? buf_cstr(b) : "error";
}

/* The last row of a page as the next page's start: its time and receipt. */
static int
last_row(const struct db_app_row *r, void *arg)
{
	struct db_app_row *last = arg;

	*last = *r;
	return 0;
}

static void
list_filters_and_pages(void)
{
	unsigned char sealed[4] = { 0 };
	char r[DB_RECEIPT_LEN + 1];
	struct db_app a;
	struct db_app_filter f;
	struct db_app_row last;
	struct db *db;
	struct buf b;
	int64_t n;
	int i;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	for (i = 0; i < 5; i++) {
		sample_app(&a, sealed, (unsigned char)(10 + i));
		a.received_at = 1000 + i * 100;
		T_CHECK(db_app_store(db, &a, r) == 0);
	}
	memset(&f, 0, sizeof(f));
	f.procedure_id = "e2e-open";
	f.section_id = "sec-a";
	f.status = "";
	f.to = 100000;
	f.limit = 2;
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 5);
	T_STREQ(page(db, &f, &b), "1400 1300");
	T_CHECK(db_app_list(db, &f, last_row, &last) == 0);
	f.after_at = last.received_at;
	f.after_receipt = last.receipt;
	T_STREQ(page(db, &f, &b), "1200 1100");
	f.after_at = 999;	/* past the last row: nothing */
	T_STREQ(page(db, &f, &b), "");
	f.oldest_first = 1;	/* the other way from the same row: the page before it */
	f.after_at = last.received_at;
	T_STREQ(page(db, &f, &b), "1400");
	f.after_receipt = NULL;
	T_STREQ(page(db, &f, &b), "1000 1100");
	f.oldest_first = 0;
	f.from = 1150;
	f.to = 1350;		/* [from, to): the apps at 1200 and 1300 */
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 2);
	T_STREQ(page(db, &f, &b), "1300 1200");
	f.after_at = 99999;	/* a start beyond the window is the window's edge */
	f.after_receipt = "9999-9999-9999";
	T_STREQ(page(db, &f, &b), "1300 1200");
	f.oldest_first = 1;
	f.after_at = 0;
	T_STREQ(page(db, &f, &b), "1200 1300");
	f.after_receipt = NULL;
	f.section_id = "sec-b";	/* another section sees nothing of it */
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 0);
	T_STREQ(page(db, &f, &b), "");
	f.section_id = "sec-a";
	f.status = "accepted";
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 0);
	f.status = "received";
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 2);
	T_STREQ(page(db, &f, &b), "1200 1300");
	db_close(db);
	buf_free(&b);
}

/* Rows of one second are ordered by receipt: paging one at a time meets each once, both ways. */
static void
list_pages_through_one_second(void)
{
	unsigned char sealed[4] = { 0 };
	char r[DB_RECEIPT_LEN + 1], seen[7][DB_RECEIPT_LEN + 1];
	struct db_app a;
	struct db_app_filter f;
	struct db_app_row last;
	struct db *db;
	int i, k, way;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	for (i = 0; i < 7; i++) {
		sample_app(&a, sealed, (unsigned char)(40 + i));
		T_CHECK(db_app_store(db, &a, r) == 0);
	}
	for (way = 0; way < 2; way++) {
		memset(&f, 0, sizeof(f));
		f.procedure_id = "e2e-open";
		f.section_id = "sec-a";
		f.status = "";
		f.to = 2000000000;
		f.limit = 1;
		f.oldest_first = way;
		for (i = 0; i < 7; i++) {
			memset(&last, 0, sizeof(last));
			T_CHECK(db_app_list(db, &f, last_row, &last) == 0 && last.receipt[0] != '\0');
			for (k = 0; k < i; k++)
				T_CHECK(strcmp(seen[k], last.receipt) != 0);
			/* newest first: receipts going down; oldest first: going up */
			T_CHECK(i == 0 || (strcmp(seen[i - 1], last.receipt) > 0) == (way == 0));
			memcpy(seen[i], last.receipt, sizeof(seen[i]));
			f.after_at = last.received_at;
			f.after_receipt = seen[i];
		}
		memset(&last, 0, sizeof(last));
		T_CHECK(db_app_list(db, &f, last_row, &last) == 0 && last.receipt[0] == '\0');
	}
	db_close(db);
}

/*
 * Every list and count statement is an index range (a covering one for
 * counts) and needs no sort: a page or a count never steps over the rows
 * before it, whichever page it is.
 */
static void
list_statements_use_their_index(void)
{
	static const enum stmt lists[] = { ST_APP_LIST_NEWEST_FIRST, ST_APP_LIST_OLDEST_FIRST,
		ST_APP_LIST_STATUS_NEWEST_FIRST, ST_APP_LIST_STATUS_OLDEST_FIRST };
	static const enum stmt counts[] = { ST_APP_COUNT_FILTERED, ST_APP_COUNT_STATUS };
	struct db	*db;
	sqlite3		*h;
	sqlite3_stmt	*s;
	char		 sql[2048], plan[2048];
	size_t		 i, len;

	T_CHECK(t_db_fresh(&db) == 0);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]) + sizeof(counts) / sizeof(counts[0]); i++) {
		int count = i >= sizeof(lists) / sizeof(lists[0]);
		enum stmt st = count ? counts[i - sizeof(lists) / sizeof(lists[0])] : lists[i];

		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", dbi_sql[st]);
		T_CHECK(sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK);
		plan[0] = '\0';
		len = 0;
		while (sqlite3_step(s) == SQLITE_ROW)
			len += (size_t)snprintf(plan + len, sizeof(plan) - len, "%s;", sqlite3_column_text(s, 3));
		sqlite3_finalize(s);
		if (strstr(plan, "SCAN") != NULL || strstr(plan, "TEMP B-TREE") != NULL ||
		    strstr(plan, count ? "USING COVERING INDEX applications_" : "USING INDEX applications_") == NULL)
			printf("#   %s: %s\n", dbi_sql[st], plan);
		T_CHECK(strstr(plan, "SCAN") == NULL && strstr(plan, "TEMP B-TREE") == NULL);
		T_CHECK(strstr(plan, count ? "USING COVERING INDEX applications_" : "USING INDEX applications_") != NULL);
	}
	/* the home page's counts per status: the few rows the triggers keep, never the applications */
	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", dbi_sql[ST_APP_STATUS_COUNTS]);
	T_CHECK(sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK);
	T_CHECK(sqlite3_step(s) == SQLITE_ROW);
	T_CHECK(strstr((const char *)sqlite3_column_text(s, 3), "SEARCH status_counts USING PRIMARY KEY") != NULL);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

static void
events_move_status_once(void)
{
	unsigned char sealed[4] = { 0 };
	char r[DB_RECEIPT_LEN + 1];
	struct db_app a;
	struct db_app_row row;
	struct db_event ev;
	struct db *db;
	struct buf b;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	sample_app(&a, sealed, 20);
	T_CHECK(db_app_store(db, &a, r) == 0);
	memset(&ev, 0, sizeof(ev));
	ev.receipt = r;
	ev.at = 5;
	ev.actor = "sato";
	ev.from_status = "received";
	ev.to_status = "accepted";
	ev.key_id = "";
	T_CHECK(db_app_event(db, &ev) == 0);
	/* the same move again: the application is no longer "received" */
	T_CHECK(db_app_event(db, &ev) == DB_NOTFOUND);
	T_CHECK(db_app_get(db, r, &row, &b) == 0);
	T_STREQ(row.status, "accepted");
	T_STREQ(row.lang, "ja");		/* none given: Japanese */
	T_CHECK(row.updated_at == 5 && row.sealed_len == 4);
	sample_app(&a, sealed, 21);
	a.lang = "en";
	T_CHECK(db_app_store(db, &a, r) == 0 && db_app_get(db, r, &row, &b) == 0);
	T_STREQ(row.lang, "en");
	db_close(db);
	buf_free(&b);
}

/* The counts per status follow every store, move and deletion, and are recomputed by the migration. */
struct status_tally { int64_t received, accepted, rows; };

static int
tally_status(const char *status, int64_t n, void *arg)
{
	struct status_tally *t = arg;

	t->rows++;
	if (strcmp(status, "received") == 0)
		t->received = n;
	else if (strcmp(status, "accepted") == 0)
		t->accepted = n;
	return 0;
}

static struct status_tally
tally(struct db *db)
{
	struct status_tally t = { 0, 0, 0 };

	if (db_app_status_counts(db, "e2e-open", "sec-a", tally_status, &t) == -1)
		t.rows = -1;
	return t;
}

static void
status_counts_follow_changes(void)
{
	unsigned char sealed[4] = { 0 };
	char r[3][DB_RECEIPT_LEN + 1], sql[160];
	struct status_tally t;
	struct db_app a;
	struct db_event ev;
	struct db *db;
	sqlite3 *h;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	for (int i = 0; i < 3; i++) {
		sample_app(&a, sealed, (unsigned char)(40 + i));
		T_CHECK(db_app_store(db, &a, r[i]) == 0);
	}
	t = tally(db);
	T_CHECK(t.received == 3 && t.accepted == 0 && t.rows == 1);
	memset(&ev, 0, sizeof(ev));
	ev.receipt = r[0];
	ev.at = 5;
	ev.actor = "sato";
	ev.from_status = "received";
	ev.to_status = "accepted";
	ev.key_id = "";
	T_CHECK(db_app_event(db, &ev) == 0);
	t = tally(db);
	T_CHECK(t.received == 2 && t.accepted == 1 && t.rows == 2);
	db_close(db);
	/* a deletion (as the purge makes), then a database set back to the schema before the counts */
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	snprintf(sql, sizeof(sql), "DELETE FROM applications WHERE receipt = '%s';", r[1]);
	T_CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "UPDATE status_counts SET n = 99; PRAGMA user_version = 12;" "DROP TABLE lottery; DROP TABLE lottery_entries; ALTER TABLE applications DROP COLUMN status_number;", NULL, NULL,
	    NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0 && db_schema_version(db) == DB_SCHEMA_VERSION);
	t = tally(db);
	T_CHECK(t.received == 1 && t.accepted == 1 && t.rows == 2);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	snprintf(sql, sizeof(sql), "DELETE FROM applications WHERE receipt = '%s';", r[2]);
	T_CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0);
	t = tally(db);
	T_CHECK(t.received == 0 && t.accepted == 1 && t.rows == 1);	/* a status counted 0 is not listed */
	db_close(db);
}

/* An application staff entered from paper keeps its channel; one that names none came online. */
static void
channel_stored(void)
{
	unsigned char sealed[4] = { 0 };
	char r[DB_RECEIPT_LEN + 1], web[DB_RECEIPT_LEN + 1];
	struct db_app a;
	struct db_app_row row;
	struct db_app_status st;
	struct db *db;
	struct buf b;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	sample_app(&a, sealed, 30);
	a.channel = "fax";
	T_CHECK(db_app_store(db, &a, r) == 0);
	T_CHECK(db_app_get(db, r, &row, &b) == 0);
	T_STREQ(row.channel, "fax");
	T_CHECK(db_app_status(db, r, &st) == 0);
	T_STREQ(st.channel, "fax");
	sample_app(&a, sealed, 31);
	T_CHECK(db_app_store(db, &a, web) == 0);
	buf_reset(&b);
	T_CHECK(db_app_get(db, web, &row, &b) == 0);
	T_STREQ(row.channel, "web");
	sample_app(&a, sealed, 32);
	a.channel = "pigeon";		/* not a channel: refused by the schema, nothing stored */
	T_CHECK(db_app_store(db, &a, r) == -1);
	db_close(db);
	buf_free(&b);
}

int
main(void)
{
	int rc;

	if (t_db_setup() == -1)
		return 1;
	T_RUN(open_creates_schema_wal);
	T_RUN(list_filters_and_pages);
	T_RUN(list_pages_through_one_second);
	T_RUN(list_statements_use_their_index);
	T_RUN(events_move_status_once);
	T_RUN(newer_schema_refused);
	T_RUN(sections_and_keys);
	T_RUN(store_once_per_submit);
	T_RUN(batch_stores_all);
	T_RUN(batch_same_submit_twice_stores_once);
	T_RUN(batch_taken_receipt_alone_refused);
	T_RUN(batch_failed_request_leaves_others);
	T_RUN(batch_taken_participant_alone_refused);
	T_RUN(participant_ids_issued);
	T_RUN(participant_check_digit);
	T_RUN(stale_key_stores_nothing);
	T_RUN(batch_stale_key_alone_refused);
	T_RUN(batch_sealed_with_one_key_per_recipient);
	T_RUN(rotation_takes_effect_with_the_next_batch);
	T_RUN(batch_keys_wiped);
	T_RUN(envelope_kept_when_the_mail_is_held);
	T_RUN(text_mail_without_envelope_refused);
	T_RUN(contact_without_key_refused);
	T_RUN(outbox_text_and_sealed_rows);
	T_RUN(migration_keeps_sealed_mails);
	T_RUN(migration_keys_rows_by_app_id);
	T_RUN(send_limit_refuses_and_slides);
	T_RUN(send_limit_per_sender);
	T_RUN(mail_limit_holds_only_the_mail);
	T_RUN(old_counts_purged);
	T_RUN(status_lookup);
	T_RUN(channel_stored);
	T_RUN(status_counts_follow_changes);
	T_RUN(throttle_windows);
	T_RUN(throttle_window_slides);
	rc = T_DONE();
	return t_db_teardown(rc);
}
