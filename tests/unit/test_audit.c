/*
 * Unit tests for lib/audit.c: the MAC chain, tampering of every kind (each
 * on a fresh database, by an attacker with the file but not the key), the
 * report and the labels.
 */
#include <inttypes.h>
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
	if (add(*db, 100, "sato", "login", "") == -1 || add(*db, 110, "sato", "view", "") == -1 ||
	    add(*db, 120, "sato", "export", "rows=12 sha256=00") == -1 ||
	    add(*db, 130, "-", "login_failed", "x") == -1 || add(*db, 140, "sato", "logout", "") == -1) {
		db_close(*db);
		return -1;
	}
	return 0;
}

/* What an attacker with the file (but not the key) can do: drop the append-only guards and run SQL. */
static int
tamper_file(const char *sql)
{
	sqlite3	*h;
	int	 rc;

	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;", NULL, NULL, NULL) ==
	    SQLITE_OK && sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK && sqlite3_changes(h) > 0 ? 0 : -1;
	sqlite3_close(h);
	return rc;
}

static int
reopen_verify(struct audit_check *c)
{
	struct db	*db;
	int		 rc;

	if (db_open(path, &db) == -1)
		return -2;
	rc = audit_verify(db, key, c);
	db_close(db);
	return rc;
}

/* Five entries, tampered with by sql, then verified: audit_verify's result, or -2 when the set-up failed. */
static int
tampered(const char *sql, struct audit_check *c)
{
	struct db *db;

	if (five(&db) == -1)
		return -2;
	db_close(db);
	if (tamper_file(sql) == -1)
		return -2;
	return reopen_verify(c);
}

static void
intact_chain_verifies(void)
{
	struct db		*db;
	struct audit_check	 c;

	T_CHECK(five(&db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 0);
	T_CHECK(c.entries == 5 && c.head_seq == 5 && c.bad_seq == 0 && strlen(c.head_mac) == 64);
	T_STREQ(c.problem, "");
	db_close(db);
}

static void
empty_log_verifies(void)
{
	struct db		*db;
	struct audit_check	 c;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 0 && c.entries == 0 && c.head_seq == 0 && c.bad_seq == 0);
	db_close(db);
}

static void
edited_detail_found(void)
{
	struct audit_check c;

	T_CHECK(tampered("UPDATE audit SET detail = 'rows=0 sha256=00' WHERE seq = 3", &c) == 1);
	T_CHECK(c.bad_seq == 3 && c.entries == 2 && strstr(c.problem, "changed") != NULL);
}

static void
edited_actor_found(void)
{
	struct audit_check c;

	T_CHECK(tampered("UPDATE audit SET actor = 'ito' WHERE seq = 2", &c) == 1 && c.bad_seq == 2);
}

static void
null_text_in_rebuilt_table_found(void)
{
	struct audit_check c;

	/* NOT NULL columns can only hold NULL in a table rebuilt without the constraint */
	T_CHECK(tampered("CREATE TABLE a2 AS SELECT * FROM audit; DROP TABLE audit; "
	    "ALTER TABLE a2 RENAME TO audit; UPDATE audit SET detail = NULL WHERE seq = 3", &c) == 1);
	T_CHECK(c.bad_seq == 3 && strstr(c.problem, "changed") != NULL);
}

static void
removed_middle_entry_found(void)
{
	struct audit_check c;

	T_CHECK(tampered("DELETE FROM audit WHERE seq = 3", &c) == 1);
	T_CHECK(c.bad_seq == 4 && strstr(c.problem, "missing") != NULL);
}

static void
removed_first_entry_found(void)
{
	struct audit_check c;

	T_CHECK(tampered("DELETE FROM audit WHERE seq = 1", &c) == 1 && c.bad_seq == 2 && c.entries == 0);
}

static void
removed_and_renumbered_found(void)
{
	struct audit_check c;

	/* closing the gap in the numbers does not help: entry 4 (now 3) names the wrong predecessor */
	T_CHECK(tampered("DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3", &c) == 1);
	T_CHECK(c.bad_seq == 3);
}

static void
swapped_entries_found(void)
{
	struct audit_check c;

	/* the contents of entries 2 and 4 change places, their sequence numbers stay */
	T_CHECK(tampered("UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4;"
	    " UPDATE audit SET seq = 4 WHERE seq = -2;", &c) == 1);
	T_CHECK(c.bad_seq == 2);
}

static void
forged_entry_found(void)
{
	struct audit_check c;

	/* appended with the last MAC as prev, but a MAC made without the key */
	T_CHECK(tampered("INSERT INTO audit (seq, at, actor, action, target, detail, addr, prev, mac)"
	    " SELECT 6, 150, 'sato', 'view', 'x', '', '', mac, randomblob(32) FROM audit WHERE seq = 5", &c) == 1);
	T_CHECK(c.bad_seq == 6 && c.entries == 5);
}

static void
cut_tail_shows_in_head(void)
{
	struct db		*db;
	struct audit_check	 before, after;

	/* the chain alone cannot see the newest entries cut off; the head an admin noted can */
	T_CHECK(five(&db) == 0);
	T_CHECK(audit_verify(db, key, &before) == 0);
	db_close(db);
	T_CHECK(tamper_file("DELETE FROM audit WHERE seq = 5") == 0);
	T_CHECK(reopen_verify(&after) == 0);
	T_CHECK(after.head_seq == 4 && strcmp(after.head_mac, before.head_mac) != 0);
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
	struct db		*db;
	struct audit_check	 c;
	sqlite3			*h;

	T_CHECK(five(&db) == 0);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "UPDATE audit SET detail = 'x' WHERE seq = 3", NULL, NULL, NULL) == SQLITE_CONSTRAINT);
	T_CHECK(sqlite3_exec(h, "DELETE FROM audit WHERE seq = 5", NULL, NULL, NULL) == SQLITE_CONSTRAINT);
	T_CHECK(sqlite3_exec(h, "DELETE FROM audit", NULL, NULL, NULL) == SQLITE_CONSTRAINT);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0);
	T_CHECK(audit_verify(db, key, &c) == 0 && c.entries == 5);
	db_close(db);
}

static void
append_continues_chain(void)
{
	struct db		*db;
	struct audit_check	 c;
	struct audit_entry	 e = { 150, "sato", "note", NULL, NULL, NULL };	/* NULLs stored as "" */

	T_CHECK(five(&db) == 0);
	db_close(db);
	T_CHECK(db_open(path, &db) == 0);	/* after reopening, the chain goes on from the last entry */
	T_CHECK(audit_append(db, key, &e) == 0);
	T_CHECK(audit_verify(db, key, &c) == 0 && c.entries == 6 && c.head_seq == 6);
	db_close(db);
}

/* ---- the report ---- */

/* The report as a string (caller frees), or NULL. */
static char *
report(struct db *db, time_t from, time_t to)
{
	FILE	*f = tmpfile();
	char	*out = NULL;
	long	 n;

	if (f == NULL)
		return NULL;
	if (audit_report(db, from, to, f) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (out = calloc(1, (size_t)n + 1)) != NULL && fread(out, 1, (size_t)n, f) != (size_t)n) {
		free(out);
		out = NULL;
	}
	fclose(f);
	return out;
}

/* The seven counts of actor's line: logins, failed, logouts, views, changes, exports, rows. */
static int
row_of(const char *out, const char *actor, int64_t n[7])
{
	char		 who[64];
	const char	*line;

	for (line = out; line != NULL && *line != '\0'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (sscanf(line, "%63s %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64
		    " %" SCNd64, who, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6]) == 8 &&
		    strcmp(who, actor) == 0)
			return 0;
	return -1;
}

static void
report_counts_per_person(void)
{
	struct db	*db;
	char		*out;
	int64_t		 n[7];

	T_CHECK(five(&db) == 0);
	T_CHECK(add(db, 125, "ito", "export", "rows=3 sha256=11") == 0);
	T_CHECK(add(db, 126, "ito", "export", "rows=4 sha256=22") == 0);
	T_CHECK(add(db, 127, "ito", "status", "") == 0 && add(db, 128, "ito", "note", "") == 0);
	T_CHECK((out = report(db, 100, 200)) != NULL);
	db_close(db);
	T_CHECK(strstr(out, "person") != NULL);
	T_CHECK(row_of(out, "sato", n) == 0);
	T_CHECK(n[0] == 1 && n[1] == 0 && n[2] == 1 && n[3] == 1 && n[4] == 0 && n[5] == 1 && n[6] == 12);
	T_CHECK(row_of(out, "ito", n) == 0);
	T_CHECK(n[0] == 0 && n[4] == 2 && n[5] == 2 && n[6] == 7);
	T_CHECK(row_of(out, "-", n) == 0 && n[1] == 1 && n[0] == 0);
	free(out);
}

static void
report_reads_only_the_rows_word(void)
{
	struct db	*db;
	char		*out;
	int64_t		 n[7];

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(add(db, 100, "ito", "export", "arrows=50 sha256=00") == 0);
	T_CHECK(add(db, 101, "ito", "export", "note=rows=9 rows=2") == 0);
	T_CHECK((out = report(db, 100, 200)) != NULL);
	db_close(db);
	T_CHECK(row_of(out, "ito", n) == 0 && n[5] == 2 && n[6] == 2);
	free(out);
}

/* A bulk change counts one change per application it changed, not one for the entry. */
static void
report_counts_each_application_of_a_bulk_change(void)
{
	struct db	*db;
	char		*out;
	int64_t		 n[7];

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(add(db, 100, "ito", "bulk_status", "to=accepted changed=3 skipped=1 mails=2 note=no "
	    "changed:0000-0000-0001,0000-0000-0002,0000-0000-0003 skipped:0000-0000-0004(done)") == 0);
	T_CHECK(add(db, 101, "ito", "status", "received->accepted") == 0);
	T_CHECK(add(db, 102, "ito", "announce", "subject=changed=9 text_sha256=00 queued=9") == 0);
	T_CHECK((out = report(db, 100, 200)) != NULL);
	db_close(db);
	T_CHECK(row_of(out, "ito", n) == 0 && n[4] == 4 && n[6] == 0);
	free(out);
}

static void
report_excludes_outside_range(void)
{
	struct db	*db;
	char		*out;
	int64_t		 n[7];

	T_CHECK(five(&db) == 0);
	T_CHECK(add(db, 99, "sato", "login", "") == 0);		/* before from */
	T_CHECK(add(db, 200, "sato", "export", "rows=500") == 0);	/* at to: excluded */
	T_CHECK(add(db, 300, "kato", "login", "") == 0);
	T_CHECK((out = report(db, 100, 200)) != NULL);
	db_close(db);
	T_CHECK(row_of(out, "sato", n) == 0 && n[0] == 1 && n[5] == 1 && n[6] == 12);
	T_CHECK(row_of(out, "kato", n) == -1);
	free(out);
}

static void
report_empty_range(void)
{
	struct db	*db;
	char		*out;

	T_CHECK(five(&db) == 0);
	T_CHECK((out = report(db, 1000, 2000)) != NULL);
	db_close(db);
	T_CHECK(strstr(out, "(no entries)") != NULL);
	free(out);
}

/*
 * Reference vector, computed outside this code (tests/unit/crypto_vectors.py):
 * each entry's MAC is keyed BLAKE2b-256 of "audit\0", then seq and at as 8-byte
 * big-endian integers, actor, action, target, detail and addr each after its
 * 8-byte big-endian length, then the previous MAC (32 zero bytes before the
 * first).  Key bytes(range(32)); the head after two entries.
 */
static void
mac_reference_vector(void)
{
	unsigned char		 fixed[SEAL_KEY_LEN];
	struct audit_entry	 e1 = { 100, "sato", "login", "e2e-open", "", "127.0.0.1" };
	struct audit_entry	 e2 = { 110, "sato", "view", "e2e-open", "", "127.0.0.1" };
	struct audit_check	 c;
	struct db		*db;

	t_counting_bytes(fixed, sizeof(fixed));
	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(audit_append(db, fixed, &e1) == 0 && audit_append(db, fixed, &e2) == 0);
	T_CHECK(audit_verify(db, fixed, &c) == 0);
	db_close(db);
	T_CHECK(c.head_seq == 2);
	T_STREQ(c.head_mac, "511ba2234427366297bcf1fa8fed654115c6d85ace5743d828cb8432c5011c54");
}

static void
labels(void)
{
	T_STREQ(audit_action_label("export"), "CSV出力");
	T_STREQ(audit_action_label("login_failed"), "ログイン失敗");
	T_STREQ(audit_action_label("something_new"), "something_new");
	T_STREQ(audit_action_label(""), "");
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	seal_random(key, sizeof(key));
	T_RUN(intact_chain_verifies);
	T_RUN(empty_log_verifies);
	T_RUN(edited_detail_found);
	T_RUN(edited_actor_found);
	T_RUN(null_text_in_rebuilt_table_found);
	T_RUN(removed_middle_entry_found);
	T_RUN(removed_first_entry_found);
	T_RUN(removed_and_renumbered_found);
	T_RUN(swapped_entries_found);
	T_RUN(forged_entry_found);
	T_RUN(cut_tail_shows_in_head);
	T_RUN(wrong_key_fails);
	T_RUN(sql_cannot_update_or_delete);
	T_RUN(append_continues_chain);
	T_RUN(report_counts_per_person);
	T_RUN(report_reads_only_the_rows_word);
	T_RUN(report_counts_each_application_of_a_bulk_change);
	T_RUN(report_excludes_outside_range);
	T_RUN(report_empty_range);
	T_RUN(labels);
	T_RUN(mac_reference_vector);
	return t_db_teardown(T_DONE());
}
