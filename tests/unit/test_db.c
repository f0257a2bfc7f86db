/* Unit tests for lib/db.c on a temporary database. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "t.h"
#include "t_db.h"


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

static int
with_key(struct db *db)
{
	unsigned char pk[SEAL_PK_LEN] = { 1 };

	return db_section_add(db, "sec-a", "テスト課", 1) == 0 &&
	    db_key_add(db, "sec-a", "0123456789abcdef", pk, "w", 1, 1) == 0 ? 0 : -1;
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
	T_CHECK(t_db_fresh(&db) == 0 && with_key(db) == 0);
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

static void
status_lookup(void)
{
	unsigned char sealed[4] = { 0 };
	char r[DB_RECEIPT_LEN + 1];
	struct db_app a;
	struct db_app_status st;
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0 && with_key(db) == 0);
	sample_app(&a, sealed, 3);
	T_CHECK(db_app_store(db, &a, r) == 0);
	T_CHECK(db_app_status(db, r, &st) == 0);
	T_STREQ(st.procedure_id, "e2e-open");
	T_STREQ(st.status, "received");
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
	T_CHECK(db_throttle_hit(db, k1, 36600, 600, &n) == 0 && n == 1);	/* next window */
	/* a short-window hit must not purge a long-window counter */
	T_CHECK(db_throttle_hit(db, k2, 36000, 3600, &n) == 0 && n == 1);
	T_CHECK(db_throttle_hit(db, k1, 37300, 600, &n) == 0);
	T_CHECK(db_throttle_count(db, k2, 37300, 3600, &n) == 0 && n == 1);
	T_CHECK(db_throttle_hit(db, k1, 37300, DB_THROTTLE_MAX_WINDOW + 1, &n) == -1);
	db_close(db);
}

static int
count_row(const struct db_app_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void
list_filters_and_pages(void)
{
	unsigned char sealed[4] = { 0 };
	char r[DB_RECEIPT_LEN + 1];
	struct db_app a;
	struct db_app_filter f;
	struct db *db;
	int64_t n;
	int i, rows;

	T_CHECK(t_db_fresh(&db) == 0 && with_key(db) == 0);
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
	rows = 0;
	T_CHECK(db_app_list(db, &f, count_row, &rows) == 0 && rows == 2);
	f.offset = 4;
	rows = 0;
	T_CHECK(db_app_list(db, &f, count_row, &rows) == 0 && rows == 1);
	f.from = 1150;
	f.to = 1350;		/* [from, to): the apps at 1200 and 1300 */
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 2);
	f.section_id = "sec-b";	/* another section sees nothing of it */
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 0);
	f.section_id = "sec-a";
	f.status = "accepted";
	T_CHECK(db_app_count_filtered(db, &f, &n) == 0 && n == 0);
	db_close(db);
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
	T_CHECK(t_db_fresh(&db) == 0 && with_key(db) == 0);
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
	T_CHECK(row.updated_at == 5 && row.sealed_len == 4);
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
	T_RUN(events_move_status_once);
	T_RUN(newer_schema_refused);
	T_RUN(sections_and_keys);
	T_RUN(store_once_per_submit);
	T_RUN(status_lookup);
	T_RUN(throttle_windows);
	rc = T_DONE();
	return t_db_teardown(rc);
}
