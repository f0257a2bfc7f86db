/* Unit tests for lib/db*.c on a temporary database: staff, sections and keys, grants, sessions, audit rows. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "t.h"
#include "t_db.h"

/* A staff row with recognisable dummy bytes (nothing here is opened). */
static void
dummy_staff(struct db_staff *st, const char *login, const char *role, unsigned char tag)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->login, sizeof(st->login), "%s", login);
	snprintf(st->role, sizeof(st->role), "%s", role);
	memset(st->public_key, tag, SEAL_PK_LEN);
	memset(st->secret_wrapped, tag + 1, DB_WRAPPED_SK_LEN);
	memset(st->pw_salt, tag + 2, DB_SALT_LEN);
	st->pw_ops = 2;
	st->pw_mem = 67108864;
}

static void
staff_add_and_lookup(void)
{
	struct db_staff a, b, got;
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0);
	dummy_staff(&a, "sato", "staff", 1);
	dummy_staff(&b, "ito", "admin", 2);
	T_CHECK(db_staff_add(db, &a, 1) == 0 && db_staff_add(db, &b, 1) == 0 && a.id != b.id);
	T_CHECK(db_staff_by_login(db, "sato", &got) == 0);
	/* every field back as stored */
	T_CHECK(got.id == a.id && got.pw_ops == a.pw_ops && got.pw_mem == a.pw_mem && got.disabled == 0);
	T_CHECK(memcmp(got.public_key, a.public_key, SEAL_PK_LEN) == 0 &&
	    memcmp(got.secret_wrapped, a.secret_wrapped, DB_WRAPPED_SK_LEN) == 0 &&
	    memcmp(got.pw_salt, a.pw_salt, DB_SALT_LEN) == 0);
	T_STREQ(got.login, "sato");
	T_STREQ(got.role, "staff");
	T_CHECK(db_staff_by_id(db, b.id, &got) == 0);
	T_STREQ(got.login, "ito");
	T_STREQ(got.role, "admin");
	T_CHECK(db_staff_by_login(db, "kato", &got) == DB_NOTFOUND);
	T_CHECK(db_staff_by_id(db, 999, &got) == DB_NOTFOUND);
	db_close(db);
}

static void
staff_login_taken(void)
{
	struct db_staff a;
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0);
	dummy_staff(&a, "sato", "staff", 1);
	T_CHECK(db_staff_add(db, &a, 1) == 0);
	dummy_staff(&a, "sato", "admin", 3);
	T_CHECK(db_staff_add(db, &a, 2) == DB_EXISTS);
	db_close(db);
}

static void
staff_bad_role_is_error(void)
{
	struct db_staff a;
	struct db *db;

	/* the schema's CHECK refuses it, and that is not "login taken" */
	T_CHECK(t_db_fresh(&db) == 0);
	dummy_staff(&a, "sato", "root", 1);
	T_CHECK(db_staff_add(db, &a, 1) == -1);
	db_close(db);
}

static int
staff_logins(const struct db_staff *st, void *arg)
{
	struct buf *b = arg;

	return buf_printf(b, "%s,", st->login);
}

static void
staff_updates(void)
{
	struct db_staff a, got;
	struct db *db;
	struct buf b;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0);
	dummy_staff(&a, "sato", "staff", 1);
	T_CHECK(db_staff_add(db, &a, 1) == 0);
	memset(a.public_key, 9, SEAL_PK_LEN);
	memset(a.secret_wrapped, 8, DB_WRAPPED_SK_LEN);
	memset(a.pw_salt, 7, DB_SALT_LEN);
	a.pw_ops = 3;
	T_CHECK(db_staff_set_secret(db, &a, 2) == 0);
	T_CHECK(db_staff_set_disabled(db, a.id, 1, 3) == 0);
	T_CHECK(db_staff_set_role(db, a.id, "auditor", 4) == 0);
	T_CHECK(db_staff_set_role(db, a.id, "root", 5) == -1);
	T_CHECK(db_staff_by_id(db, a.id, &got) == 0);
	T_CHECK(got.disabled == 1 && got.pw_ops == 3 && memcmp(got.public_key, a.public_key, SEAL_PK_LEN) == 0 &&
	    memcmp(got.secret_wrapped, a.secret_wrapped, DB_WRAPPED_SK_LEN) == 0 &&
	    memcmp(got.pw_salt, a.pw_salt, DB_SALT_LEN) == 0);
	T_STREQ(got.role, "auditor");
	dummy_staff(&a, "abe", "staff", 4);
	T_CHECK(db_staff_add(db, &a, 6) == 0);
	T_CHECK(db_staff_each(db, staff_logins, &b) == 0);
	T_STREQ(buf_cstr(&b), "abe,sato,");	/* by login */
	buf_free(&b);
	db_close(db);
}

static void
section_create_in_one_transaction(void)
{
	unsigned char rpk[SEAL_PK_LEN] = { 5 }, pk[SEAL_PK_LEN] = { 6 }, got[SEAL_PK_LEN];
	char id[SEAL_KEYID_LEN + 1], name[64], small[4];
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(db_section_create(db, "sec-a", "テスト課", rpk, "1111111111111111", pk, "sealed", 6, 1) == 0);
	T_CHECK(db_section_name(db, "sec-a", name, sizeof(name)) == 0);
	T_STREQ(name, "テスト課");
	T_CHECK(db_section_name(db, "sec-a", small, sizeof(small)) == -1);	/* no silent truncation */
	T_CHECK(db_section_name(db, "sec-x", name, sizeof(name)) == DB_NOTFOUND);
	T_CHECK(db_section_recovery_pk(db, "sec-a", got) == 0 && memcmp(got, rpk, SEAL_PK_LEN) == 0);
	T_CHECK(db_key_current(db, "sec-a", id, got) == 0 && memcmp(got, pk, SEAL_PK_LEN) == 0);
	T_STREQ(id, "1111111111111111");
	/* a second create of the same id changes nothing */
	T_CHECK(db_section_create(db, "sec-a", "again", rpk, "2222222222222222", pk, "sealed", 6, 2) == DB_EXISTS);
	T_CHECK(db_key_current(db, "sec-a", id, got) == 0);
	T_STREQ(id, "1111111111111111");
	/* a key id already used elsewhere fails the whole create, section included */
	T_CHECK(db_section_create(db, "sec-b", "別の課", rpk, "1111111111111111", pk, "sealed", 6, 3) == -1);
	T_CHECK(db_section_exists(db, "sec-b") == 0);
	db_close(db);
}

static void
recovery_pk_absent_before_schema2(void)
{
	unsigned char rpk[SEAL_PK_LEN] = { 5 }, got[SEAL_PK_LEN];
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(db_section_add(db, "sec-a", "テスト課", 1) == 0);	/* as schema 1 made them: NULL */
	T_CHECK(db_section_recovery_pk(db, "sec-a", got) == DB_NOTFOUND);
	T_CHECK(db_section_recovery_pk(db, "sec-x", got) == DB_NOTFOUND);
	T_CHECK(db_section_set_recovery_pk(db, "sec-a", rpk) == 0);
	T_CHECK(db_section_recovery_pk(db, "sec-a", got) == 0 && memcmp(got, rpk, SEAL_PK_LEN) == 0);
	db_close(db);
}

static int
key_ids(const char *key_id, const unsigned char *pk, const void *rec, size_t len, void *arg)
{
	struct buf *b = arg;

	(void)pk;
	return buf_printf(b, "%s/%.*s,", key_id, (int)len, (const char *)rec);
}

static void
key_each_oldest_first(void)
{
	unsigned char pk[SEAL_PK_LEN] = { 1 };
	struct db *db;
	struct buf b;

	buf_init(&b);
	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(db_section_add(db, "sec-a", "テスト課", 1) == 0 && db_section_add(db, "sec-b", "別", 1) == 0);
	/* the same second: insertion order decides */
	T_CHECK(db_key_add(db, "sec-a", "bbbbbbbbbbbbbbbb", pk, "x", 1, 10) == 0);
	T_CHECK(db_key_add(db, "sec-a", "aaaaaaaaaaaaaaaa", pk, "y", 1, 10) == 0);
	T_CHECK(db_key_add(db, "sec-b", "cccccccccccccccc", pk, "z", 1, 5) == 0);
	T_CHECK(db_key_add(db, "sec-a", "dddddddddddddddd", pk, "w", 1, 11) == 0);
	T_CHECK(db_key_each(db, "sec-a", key_ids, &b) == 0);
	T_STREQ(buf_cstr(&b), "bbbbbbbbbbbbbbbb/x,aaaaaaaaaaaaaaaa/y,dddddddddddddddd/w,");
	buf_reset(&b);
	T_CHECK(db_key_each(db, "sec-x", key_ids, &b) == 0 && b.len == 0);
	T_CHECK(db_key_add(db, "sec-x", "eeeeeeeeeeeeeeee", pk, "v", 1, 12) == -1);	/* no such section */
	buf_free(&b);
	db_close(db);
}

/* Two sections with a key each, and two members. */
static int
custody_fixture(struct db **db, struct db_staff *a, struct db_staff *b)
{
	unsigned char pk[SEAL_PK_LEN] = { 1 };

	dummy_staff(a, "sato", "staff", 1);
	dummy_staff(b, "ito", "staff", 2);
	return t_db_fresh(db) == 0 && db_section_add(*db, "sec-a", "テスト課", 1) == 0 &&
	    db_section_add(*db, "sec-b", "別の課", 1) == 0 &&
	    db_key_add(*db, "sec-a", "aaaaaaaaaaaaaaaa", pk, "w", 1, 1) == 0 &&
	    db_key_add(*db, "sec-b", "bbbbbbbbbbbbbbbb", pk, "w", 1, 1) == 0 &&
	    db_staff_add(*db, a, 1) == 0 && db_staff_add(*db, b, 1) == 0 ? 0 : -1;
}

static int
grant_list(const char *key_id, const char *section_id, const void *sealed, size_t len, void *arg)
{
	return buf_printf(arg, "%s:%s:%.*s,", section_id, key_id, (int)len, (const char *)sealed);
}

static int
grantee_list(int64_t staff_id, const char *login, const unsigned char *pk, void *arg)
{
	(void)staff_id;
	(void)pk;
	return buf_printf(arg, "%s,", login);
}

static void
grants_add_list_revoke(void)
{
	struct db_staff a, b;
	struct db *db;
	struct buf l;

	buf_init(&l);
	T_CHECK(custody_fixture(&db, &a, &b) == 0);
	T_CHECK(db_grant_add(db, a.id, "aaaaaaaaaaaaaaaa", "sec-a", "s1", 2, 2) == 0);
	T_CHECK(db_grant_add(db, a.id, "aaaaaaaaaaaaaaaa", "sec-a", "s2", 2, 3) == 0);	/* replaces */
	T_CHECK(db_grant_add(db, a.id, "bbbbbbbbbbbbbbbb", "sec-b", "s3", 2, 3) == 0);
	T_CHECK(db_grant_add(db, b.id, "aaaaaaaaaaaaaaaa", "sec-a", "s4", 2, 3) == 0);
	T_CHECK(db_grant_add(db, a.id, "ffffffffffffffff", "sec-a", "s5", 2, 3) == -1);	/* no such key */
	T_CHECK(db_grant_add(db, 999, "aaaaaaaaaaaaaaaa", "sec-a", "s6", 2, 3) == -1);	/* no such member */
	T_CHECK(db_grant_each(db, a.id, grant_list, &l) == 0);
	T_STREQ(buf_cstr(&l), "sec-a:aaaaaaaaaaaaaaaa:s2,sec-b:bbbbbbbbbbbbbbbb:s3,");
	buf_reset(&l);
	T_CHECK(db_grantees_each(db, "sec-a", grantee_list, &l) == 0);
	T_STREQ(buf_cstr(&l), "sato,ito,");
	T_CHECK(db_grant_revoke(db, a.id, "sec-a") == 0);
	T_CHECK(db_grant_has(db, a.id, "sec-a") == 0 && db_grant_has(db, a.id, "sec-b") == 1);
	T_CHECK(db_grant_has(db, b.id, "sec-a") == 1);
	T_CHECK(db_grant_revoke_all(db, a.id) == 0 && db_grant_has(db, a.id, "sec-b") == 0);
	T_CHECK(db_grant_has(db, b.id, "sec-a") == 1);
	buf_free(&l);
	db_close(db);
}

static void
sessions_add_touch_delete(void)
{
	unsigned char h1[SEAL_MAC_LEN] = { 1 }, h2[SEAL_MAC_LEN] = { 2 };
	struct db_staff a, b;
	struct db_session s;
	struct db *db;

	T_CHECK(custody_fixture(&db, &a, &b) == 0);
	T_CHECK(db_session_add(db, h1, a.id, 100) == 0 && db_session_add(db, h2, b.id, 100) == 0);
	T_CHECK(db_session_add(db, h1, b.id, 101) == -1);	/* a token hash is one session */
	T_CHECK(db_session_get(db, h1, &s) == 0 && s.staff_id == a.id && s.created_at == 100 && s.last_seen == 100);
	T_CHECK(db_session_touch(db, h1, 150) == 0);
	T_CHECK(db_session_get(db, h1, &s) == 0 && s.created_at == 100 && s.last_seen == 150);
	T_CHECK(db_session_delete(db, h1) == 0 && db_session_get(db, h1, &s) == DB_NOTFOUND);
	T_CHECK(db_session_get(db, h2, &s) == 0);
	T_CHECK(db_session_delete_staff(db, b.id) == 0 && db_session_get(db, h2, &s) == DB_NOTFOUND);
	db_close(db);
}

static int
section_none(const char *section_id, void *arg)
{
	(void)section_id;
	(void)arg;
	return -1;	/* a key left behind */
}

/* A password change ends the member's other sessions, and only theirs. */
static void
session_delete_others(void)
{
	unsigned char h1[SEAL_MAC_LEN] = { 1 }, h2[SEAL_MAC_LEN] = { 2 }, h3[SEAL_MAC_LEN] = { 3 };
	struct db_staff a, b;
	struct db_session s;
	struct db *db;

	T_CHECK(custody_fixture(&db, &a, &b) == 0);
	T_CHECK(db_session_add(db, h1, a.id, 100) == 0 && db_session_add(db, h2, a.id, 100) == 0 &&
	    db_session_add(db, h3, b.id, 100) == 0);
	T_CHECK(db_session_key_add(db, h2, "aaaaaaaaaaaaaaaa", "sec-a", "w", 1) == 0);
	T_CHECK(db_session_delete_others(db, a.id, h1) == 0);
	T_CHECK(db_session_get(db, h1, &s) == 0 && db_session_get(db, h2, &s) == DB_NOTFOUND);
	T_CHECK(db_session_get(db, h3, &s) == 0);
	T_CHECK(db_session_sections(db, h2, section_none, NULL) == 0);
	db_close(db);
}

static int
section_list(const char *section_id, void *arg)
{
	return buf_printf(arg, "%s,", section_id);
}

static void
session_keys_go_with_session(void)
{
	unsigned char h1[SEAL_MAC_LEN] = { 1 };
	struct db_staff a, b;
	char section[64];
	struct db *db;
	struct buf w, l;

	buf_init(&w);
	buf_init(&l);
	T_CHECK(custody_fixture(&db, &a, &b) == 0);
	T_CHECK(db_session_add(db, h1, a.id, 100) == 0);
	T_CHECK(db_session_key_add(db, h1, "aaaaaaaaaaaaaaaa", "sec-a", "wrapped-a", 9) == 0);
	T_CHECK(db_session_key_add(db, h1, "bbbbbbbbbbbbbbbb", "sec-b", "wrapped-b", 9) == 0);
	T_CHECK(db_session_key_get(db, h1, "bbbbbbbbbbbbbbbb", section, &w) == 0);
	T_STREQ(section, "sec-b");
	T_CHECK(w.len == 9 && memcmp(w.data, "wrapped-b", 9) == 0);
	T_CHECK(db_session_key_get(db, h1, "cccccccccccccccc", section, &w) == DB_NOTFOUND);
	T_CHECK(db_session_sections(db, h1, section_list, &l) == 0);
	T_STREQ(buf_cstr(&l), "sec-a,sec-b,");
	T_CHECK(db_session_delete(db, h1) == 0);
	T_CHECK(db_session_key_get(db, h1, "aaaaaaaaaaaaaaaa", section, &w) == DB_NOTFOUND);	/* cascaded */
	buf_free(&w);
	buf_free(&l);
	db_close(db);
}

static void
session_purge_idle_and_old(void)
{
	unsigned char h1[SEAL_MAC_LEN] = { 1 }, h2[SEAL_MAC_LEN] = { 2 }, h3[SEAL_MAC_LEN] = { 3 };
	struct db_staff a, b;
	struct db_session s;
	char section[64];
	struct db *db;
	struct buf w;

	buf_init(&w);
	T_CHECK(custody_fixture(&db, &a, &b) == 0);
	T_CHECK(db_session_add(db, h1, a.id, 100) == 0);	/* idle since 100 */
	T_CHECK(db_session_add(db, h2, a.id, 100) == 0 && db_session_touch(db, h2, 500) == 0);	/* old, busy */
	T_CHECK(db_session_add(db, h3, b.id, 400) == 0 && db_session_touch(db, h3, 500) == 0);
	T_CHECK(db_session_key_add(db, h1, "aaaaaaaaaaaaaaaa", "sec-a", "w", 1) == 0);
	T_CHECK(db_session_purge(db, 200, 0) == 0);
	T_CHECK(db_session_get(db, h1, &s) == DB_NOTFOUND && db_session_get(db, h2, &s) == 0);
	T_CHECK(db_session_key_get(db, h1, "aaaaaaaaaaaaaaaa", section, &w) == DB_NOTFOUND);
	T_CHECK(db_session_purge(db, 200, 300) == 0);	/* an absolute lifetime too */
	T_CHECK(db_session_get(db, h2, &s) == DB_NOTFOUND && db_session_get(db, h3, &s) == 0);
	buf_free(&w);
	db_close(db);
}

static void
revoke_drops_only_that_members_section(void)
{
	unsigned char h1[SEAL_MAC_LEN] = { 1 }, h2[SEAL_MAC_LEN] = { 2 };
	struct db_staff a, b;
	char section[64];
	struct db *db;
	struct buf w;

	buf_init(&w);
	T_CHECK(custody_fixture(&db, &a, &b) == 0);
	T_CHECK(db_grant_add(db, a.id, "aaaaaaaaaaaaaaaa", "sec-a", "s", 1, 2) == 0);
	T_CHECK(db_session_add(db, h1, a.id, 100) == 0 && db_session_add(db, h2, b.id, 100) == 0);
	T_CHECK(db_session_key_add(db, h1, "aaaaaaaaaaaaaaaa", "sec-a", "w", 1) == 0);
	T_CHECK(db_session_key_add(db, h1, "bbbbbbbbbbbbbbbb", "sec-b", "w", 1) == 0);
	T_CHECK(db_session_key_add(db, h2, "aaaaaaaaaaaaaaaa", "sec-a", "w", 1) == 0);
	T_CHECK(db_grant_revoke(db, a.id, "sec-a") == 0);
	T_CHECK(db_session_key_get(db, h1, "aaaaaaaaaaaaaaaa", section, &w) == DB_NOTFOUND);
	T_CHECK(db_session_key_get(db, h1, "bbbbbbbbbbbbbbbb", section, &w) == 0);
	T_CHECK(db_session_key_get(db, h2, "aaaaaaaaaaaaaaaa", section, &w) == 0);
	T_CHECK(db_session_get(db, h1, &(struct db_session){ 0, 0, 0 }) == 0);	/* the session itself stays */
	buf_free(&w);
	db_close(db);
}

/* The schema as version 1 left it, with one section and its secretbox-wrapped key. */
static const char schema1[] =
	"CREATE TABLE sections (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE section_keys (key_id TEXT PRIMARY KEY, section_id TEXT NOT NULL REFERENCES sections(id),"
	"  public_key BLOB NOT NULL, recovery_wrapped BLOB NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX section_keys_section ON section_keys(section_id, created_at);"
	"CREATE TABLE applications (id INTEGER PRIMARY KEY, receipt TEXT NOT NULL UNIQUE,"
	"  procedure_id TEXT NOT NULL, section_id TEXT NOT NULL REFERENCES sections(id),"
	"  form_hash TEXT NOT NULL, key_id TEXT NOT NULL REFERENCES section_keys(key_id),"
	"  sealed BLOB NOT NULL, submit_hash BLOB NOT NULL UNIQUE, inquiry_hash BLOB NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'received', received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE INDEX applications_procedure ON applications(procedure_id, received_at);"
	"CREATE TABLE throttle (key BLOB NOT NULL, window INTEGER NOT NULL, hits INTEGER NOT NULL,"
	"  PRIMARY KEY (key, window)) WITHOUT ROWID;"
	"INSERT INTO sections VALUES ('sec-old', '旧課', 1);"
	"INSERT INTO section_keys VALUES ('1111111111111111', 'sec-old', zeroblob(32), zeroblob(72), 1);"
	"PRAGMA user_version = 1;";

static void
migrates_from_schema1(void)
{
	unsigned char got[SEAL_PK_LEN];
	char section[64], name[64], wal[160];
	struct db *db;
	sqlite3 *h;
	struct buf w;

	buf_init(&w);
	T_CHECK(t_db_fresh(&db) == 0);
	db_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	(void)unlink(wal);
	T_CHECK(unlink(path) == 0);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, schema1, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0 && db_schema_version(db) == DB_SCHEMA_VERSION);
	T_CHECK(db_section_name(db, "sec-old", name, sizeof(name)) == 0);
	T_STREQ(name, "旧課");
	T_CHECK(db_section_recovery_pk(db, "sec-old", got) == DB_NOTFOUND);
	T_CHECK(db_key_get(db, "1111111111111111", section, got, &w) == 0 && w.len == DB_WRAPPED_SK_LEN);
	T_STREQ(section, "sec-old");
	buf_free(&w);
	db_close(db);
}

/* A stand-in for audit.c's MAC: the sequence number in every byte. */
static int
fake_chain(struct db_audit *e, void *arg)
{
	(void)arg;
	memset(e->mac, (int)e->seq, SEAL_MAC_LEN);
	return 0;
}

static int
audit_fail_chain(struct db_audit *e, void *arg)
{
	(void)e;
	(void)arg;
	return -1;
}

static int
audit_list(const struct db_audit *e, void *arg)
{
	return buf_printf(arg, "%lld:%s:%d,", (long long)e->seq, e->action, e->prev[0]);
}

static int
audit_row(struct db *db, time_t at, const char *action)
{
	struct db_audit e;

	memset(&e, 0, sizeof(e));
	e.at = at;
	e.actor = "sato";
	e.action = action;
	e.target = e.detail = e.addr = "";
	return db_audit_append(db, &e, fake_chain, NULL);
}

static void
audit_rows_chain_and_ranges(void)
{
	struct db_audit e;
	struct db *db;
	struct buf l;
	int64_t n;

	buf_init(&l);
	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(audit_row(db, 100, "login") == 0 && audit_row(db, 110, "view") == 0 &&
	    audit_row(db, 120, "view") == 0 && audit_row(db, 130, "logout") == 0);
	/* a failing chain function writes nothing */
	memset(&e, 0, sizeof(e));
	e.actor = e.action = e.target = e.detail = e.addr = "";
	T_CHECK(db_audit_append(db, &e, audit_fail_chain, NULL) == -1);
	/* each entry names the MAC of the one before (zero for the first) */
	T_CHECK(db_audit_each(db, audit_list, &l) == 0);
	T_STREQ(buf_cstr(&l), "1:login:0,2:view:1,3:view:2,4:logout:3,");
	buf_reset(&l);
	T_CHECK(db_audit_range(db, 110, 130, audit_list, &l) == 0);	/* [from, to) */
	T_STREQ(buf_cstr(&l), "2:view:1,3:view:2,");
	buf_reset(&l);
	T_CHECK(db_audit_page(db, "", 0, 1000, 2, 1, audit_list, &l) == 0);	/* newest first */
	T_STREQ(buf_cstr(&l), "3:view:2,2:view:1,");
	buf_reset(&l);
	T_CHECK(db_audit_page(db, "view", 0, 1000, 10, 0, audit_list, &l) == 0);
	T_STREQ(buf_cstr(&l), "3:view:2,2:view:1,");
	T_CHECK(db_audit_count(db, "", 0, 1000, &n) == 0 && n == 4);
	T_CHECK(db_audit_count(db, "view", 0, 115, &n) == 0 && n == 1);
	buf_free(&l);
	db_close(db);
}

int
main(void)
{
	int rc;

	if (t_db_setup() == -1)
		return 1;
	T_RUN(staff_add_and_lookup);
	T_RUN(staff_login_taken);
	T_RUN(staff_bad_role_is_error);
	T_RUN(staff_updates);
	T_RUN(section_create_in_one_transaction);
	T_RUN(recovery_pk_absent_before_schema2);
	T_RUN(key_each_oldest_first);
	T_RUN(grants_add_list_revoke);
	T_RUN(sessions_add_touch_delete);
	T_RUN(session_delete_others);
	T_RUN(session_keys_go_with_session);
	T_RUN(session_purge_idle_and_old);
	T_RUN(revoke_drops_only_that_members_section);
	T_RUN(migrates_from_schema1);
	T_RUN(audit_rows_chain_and_ranges);
	rc = T_DONE();
	return t_db_teardown(rc);
}
