/* Unit tests for lib/audit.c: the MAC chain, tampering of every kind, the report. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit.h"
#include "t.h"
#include "t_db.h"

static unsigned char key[SEAL_KEY_LEN];

static int
add(struct db *db, time_t at, const char *actor, const char *action, const char *detail)
{
	struct audit_entry e = { at, actor, action, "e2e-open", detail, "127.0.0.1" };

	return audit_append(db, key, &e);
}

/* A fresh database with five entries. */
static int
five(struct db **db)
{
	if (t_db_fresh(db) == -1)
		return -1;
	return add(*db, 100, "sato", "login", "") | add(*db, 110, "sato", "view", "") |
	    add(*db, 120, "sato", "export", "rows=12 sha256=00") | add(*db, 130, "-", "login_failed", "x") |
	    add(*db, 140, "sato", "logout", "");
}

/* What an attacker with the file (but not the key) can do: drop the guards and run SQL. */
static int
tamper(const char *sql)
{
	sqlite3	*h;
	int	 rc;

	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;", NULL, NULL, NULL) ==
	    SQLITE_OK && sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(h);
	return rc;
}

static void
intact_chain_verifies(void)
{
	struct db		*db;
	struct audit_check	 c;

	T_CHECK(five(&db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 0);
	T_CHECK(c.entries == 5 && c.head_seq == 5 && c.bad_seq == 0 && strlen(c.head_mac) == 64);
	db_close(db);
}

static void
edited_entry_found(void)
{
	struct db		*db;
	struct audit_check	 c;

	T_CHECK(five(&db) == 0);
	db_close(db);
	T_CHECK(tamper("UPDATE audit SET detail = 'rows=0' WHERE seq = 3") == 0);
	T_CHECK(db_open(path, &db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 1 && c.bad_seq == 3 && strstr(c.problem, "changed") != NULL);
	db_close(db);
}

static void
removed_entry_found(void)
{
	struct db		*db;
	struct audit_check	 c;

	T_CHECK(five(&db) == 0);
	db_close(db);
	T_CHECK(tamper("DELETE FROM audit WHERE seq = 2") == 0);
	T_CHECK(db_open(path, &db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 1 && c.bad_seq == 3);
	db_close(db);
}

static void
removed_first_entry_found(void)
{
	struct db		*db;
	struct audit_check	 c;

	T_CHECK(five(&db) == 0);
	db_close(db);
	T_CHECK(tamper("DELETE FROM audit WHERE seq = 1") == 0);
	T_CHECK(db_open(path, &db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 1 && c.bad_seq == 2);
	db_close(db);
}

static void
reordered_entries_found(void)
{
	struct db		*db;
	struct audit_check	 c;

	T_CHECK(five(&db) == 0);
	db_close(db);
	/* swap the content of entries 2 and 4, keeping their sequence numbers */
	T_CHECK(tamper("UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4;"
	    " UPDATE audit SET seq = 4 WHERE seq = -2;") == 0);
	T_CHECK(db_open(path, &db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 1 && c.bad_seq == 2);
	db_close(db);
}

static void
wrong_key_fails(void)
{
	struct db		*db;
	struct audit_check	 c;
	unsigned char		 other[SEAL_KEY_LEN];

	T_CHECK(five(&db) == 0);
	seal_random(other, sizeof(other));
	T_CHECK(audit_verify(db, other, &c) == 1 && c.bad_seq == 1);
	db_close(db);
}

static void
sql_cannot_update_or_delete(void)
{
	struct db	*db;
	sqlite3		*h;

	T_CHECK(five(&db) == 0);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "UPDATE audit SET detail = 'x'", NULL, NULL, NULL) != SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "DELETE FROM audit", NULL, NULL, NULL) != SQLITE_OK);
	sqlite3_close(h);
}

static void
report_counts_per_person(void)
{
	struct db	*db;
	char		 out[2048];
	FILE		*f;
	size_t		 n;

	T_CHECK(five(&db) == 0);
	T_CHECK(add(db, 500, "sato", "export", "rows=3 sha256=11") == 0);
	T_CHECK((f = tmpfile()) != NULL);
	T_CHECK(audit_report(db, 100, 200, f) == 0);	/* the export at 500 is outside */
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	/* person, logins, failed, logouts, views, changes, exports, rows */
	T_CHECK(strstr(out, "sato                       1       0       1       1       0       1        12") != NULL);
	T_CHECK(strstr(out, "-                          0       1       0       0       0       0         0") != NULL);
	db_close(db);
}

static void
labels(void)
{
	T_STREQ(audit_action_label("export"), "CSV出力");
	T_STREQ(audit_action_label("login_failed"), "ログイン失敗");
	T_STREQ(audit_action_label("something_new"), "something_new");
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	seal_random(key, sizeof(key));
	T_RUN(intact_chain_verifies);
	T_RUN(edited_entry_found);
	T_RUN(removed_entry_found);
	T_RUN(removed_first_entry_found);
	T_RUN(reordered_entries_found);
	T_RUN(wrong_key_fails);
	T_RUN(sql_cannot_update_or_delete);
	T_RUN(report_counts_per_person);
	T_RUN(labels);
	return t_db_teardown(T_DONE());
}
