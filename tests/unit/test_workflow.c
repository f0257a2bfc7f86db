/* Unit tests for lib/workflow.c, and the schema's CHECK on applications.status that mirrors it. */
#include <sqlite3.h>

#include "workflow.h"
#include "t.h"
#include "t_db.h"

static void
codes_round_trip(void)
{
	enum wf_status	s, back;
	enum wf_role	r, rback;

	for (s = 0; s < WF__STATUSES; s++) {
		T_CHECK(wf_status_parse(wf_status_code(s), &back) == 0 && back == s);
		T_CHECK(*wf_staff_label(s) != '\0' && strncmp(wf_resident_msgid(s), "state.", 6) == 0);
		T_STREQ(wf_staff_label_of(wf_status_code(s)), wf_staff_label(s));
	}
	for (r = WF_ROLE_STAFF; r < WF__ROLES; r++)
		T_CHECK(wf_role_parse(wf_role_code(r), &rback) == 0 && rback == r && *wf_role_label(r) != '\0');
}

static void
unknown_codes_refused(void)
{
	enum wf_status	s = WF_DONE;
	enum wf_role	r = WF_ROLE_ADMIN;

	T_CHECK(wf_status_parse("", &s) == -1 && wf_status_parse("Received", &s) == -1 &&
	    wf_status_parse("received ", &s) == -1 && wf_status_parse("到達", &s) == -1);
	T_CHECK(s == WF_DONE);
	T_CHECK(wf_staff_label_of("nonsense") == NULL);
	T_CHECK(wf_role_parse("", &r) == -1 && wf_role_parse("Admin", &r) == -1 &&
	    wf_role_parse("root", &r) == -1 && wf_role_parse("staff ", &r) == -1);
	T_CHECK(r == WF_ROLE_ADMIN);
}

static void
labels_as_staff_and_residents_read_them(void)
{
	T_STREQ(wf_staff_label(WF_RECEIVED), "到達");
	T_STREQ(wf_staff_label(WF_RETURNED), "差戻し");
	T_STREQ(wf_resident_msgid(WF_ACCEPTED), "state.accepted");
	T_STREQ(wf_staff_label(WF_WON), "当選");
	T_STREQ(wf_staff_label(WF_LOST), "落選");
	T_STREQ(wf_staff_label(WF_RESERVE), "補欠");
	T_STREQ(wf_staff_label(WF_WAITLISTED), "キャンセル待ち");
	T_STREQ(wf_role_label(WF_ROLE_AUDITOR), "監査担当");
	T_STREQ(wf_mail_label("acceptance"), "受付完了メール");
	T_STREQ(wf_mail_label("unknown-kind"), "unknown-kind");
}

static void
reserve_carries_its_number(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(wf_status_numbered(WF_RESERVE) && !wf_status_numbered(WF_WON));
	T_CHECK(wf_label_numbered(WF_RESERVE, 3, &b) == 0);
	T_STREQ(buf_cstr(&b), "補欠（3番）");
	buf_free(&b);
}

static void
transitions_and_their_mails(void)
{
	const struct wf_transition *t;

	T_CHECK((t = wf_transition(WF_RECEIVED, WF_ACCEPTED)) != NULL && strcmp(t->mail, "acceptance") == 0);
	T_CHECK((t = wf_transition(WF_ACCEPTED, WF_RETURNED)) != NULL && strcmp(t->mail, "return") == 0);
	T_CHECK((t = wf_transition(WF_ACCEPTED, WF_DONE)) != NULL && t->mail == NULL);
	T_CHECK(wf_transition(WF_ACCEPTED, WF_RECEIVED) == NULL);	/* no way back but from 差戻し */
	T_CHECK(wf_transition(WF_DONE, WF_WITHDRAWN) == NULL);		/* 完了 is final */
	T_CHECK(wf_transition(WF_RECEIVED, WF_RECEIVED) == NULL);
}

/* The lottery statuses are named and labelled, but nothing leads to or from them yet. */
/* Nothing staff do leads to a lottery's results: only the draw and a reserve moving up do. */
static void
lottery_results_reached_only_by_the_draw(void)
{
	const struct wf_transition	*t;
	size_t				 i, n;

	t = wf_transitions(&n);
	T_CHECK(n == 12);
	for (i = 0; i < n; i++)
		T_CHECK(t[i].to != WF_WON && t[i].to != WF_LOST && t[i].to != WF_RESERVE);
	T_CHECK(wf_transition(WF_WON, WF_WITHDRAWN) != NULL && wf_transition(WF_WON, WF_DONE) != NULL);
	T_CHECK(wf_transition(WF_RESERVE, WF_WITHDRAWN) != NULL && wf_transition(WF_LOST, WF_WITHDRAWN) == NULL);
}

static void
label_of_a_stored_code(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(wf_label_of("reserve", 2, &b) == 0 && wf_label_of("won", 0, &b) == 0 && wf_label_of("odd", 1, &b) == 0);
	T_STREQ(buf_cstr(&b), "補欠（2番）当選odd");
	buf_free(&b);
}

/* Staff may only withdraw a waiting application: it moves up by a freed place alone. */
static void
waitlist_left_only_by_withdrawal_or_a_place(void)
{
	size_t	i, n;
	const struct wf_transition *t = wf_transitions(&n);

	T_CHECK(wf_transition(WF_WAITLISTED, WF_WITHDRAWN) != NULL);
	T_CHECK(wf_transition(WF_WAITLISTED, WF_RECEIVED) == NULL);
	for (i = 0; i < n; i++)
		T_CHECK(t[i].to != WF_WAITLISTED);
	T_CHECK(wf_status_holds_place(WF_RECEIVED) && wf_status_holds_place(WF_RETURNED) &&
	    wf_status_holds_place(WF_WON));
	T_CHECK(!wf_status_holds_place(WF_WITHDRAWN) && !wf_status_holds_place(WF_WAITLISTED) &&
	    !wf_status_holds_place(WF_LOST) && !wf_status_holds_place(WF_RESERVE));
	T_CHECK(wf_status_holds_place_code("accepted") && !wf_status_holds_place_code("bogus"));
	T_STREQ(wf_mail_label("promotion"), "繰上げ当選のお知らせ");
	T_CHECK(wf_resident_may_withdraw(WF_RECEIVED) && wf_resident_may_withdraw(WF_WAITLISTED) &&
	    wf_resident_may_withdraw(WF_RETURNED) && !wf_resident_may_withdraw(WF_DONE) &&
	    !wf_resident_may_withdraw(WF_WITHDRAWN) && wf_resident_may_withdraw(WF_WON) &&
	    wf_resident_may_withdraw(WF_RESERVE) && !wf_resident_may_withdraw(WF_LOST));
}

static void
channels_round_trip(void)
{
	enum wf_channel ch, back;

	for (ch = 0; ch < WF__CHANNELS; ch++) {
		T_CHECK(wf_channel_parse(wf_channel_code(ch), &back) == 0 && back == ch);
		T_STREQ(wf_channel_label_of(wf_channel_code(ch)), wf_channel_label(ch));
	}
	T_STREQ(wf_channel_label(WF_CHANNEL_WEB), "オンライン");
	T_STREQ(wf_channel_label(WF_CHANNEL_POST), "郵送");
	T_STREQ(wf_channel_label(WF_CHANNEL_FAX), "FAX");
	T_STREQ(wf_channel_label(WF_CHANNEL_COUNTER), "窓口");
	T_CHECK(wf_channel_parse("", &ch) == -1 && wf_channel_parse("Post", &ch) == -1);
	T_STREQ(wf_channel_label_of("telegram"), "telegram");
}

static void
roles_meet_needs(void)
{
	T_CHECK(wf_role_meets(WF_ROLE_NONE, WF_NEED_NONE));
	T_CHECK(!wf_role_meets(WF_ROLE_NONE, WF_NEED_MEMBER));
	T_CHECK(wf_role_meets(WF_ROLE_STAFF, WF_NEED_MEMBER) && wf_role_meets(WF_ROLE_AUDITOR, WF_NEED_MEMBER));
	T_CHECK(wf_role_meets(WF_ROLE_AUDITOR, WF_NEED_AUDITOR));
	T_CHECK(!wf_role_meets(WF_ROLE_ADMIN, WF_NEED_AUDITOR) && !wf_role_meets(WF_ROLE_STAFF, WF_NEED_AUDITOR));
	T_CHECK(!wf_role_meets(WF_ROLE_AUDITOR, WF_NEED_STAFF) && wf_role_meets(WF_ROLE_STAFF, WF_NEED_STAFF));
	T_CHECK(!wf_role_meets(WF_ROLE_STAFF, WF_NEED_ADMIN) && wf_role_meets(WF_ROLE_ADMIN, WF_NEED_ADMIN));
	T_CHECK(wf_role_meets(WF_ROLE_ADMIN, WF_NEED_OVERSIGHT) && wf_role_meets(WF_ROLE_AUDITOR, WF_NEED_OVERSIGHT));
	T_CHECK(!wf_role_meets(WF_ROLE_STAFF, WF_NEED_OVERSIGHT) && !wf_role_meets(WF_ROLE_NONE, WF_NEED_OVERSIGHT));
}

/* ---- the schema ---- */

static const char one_app[] =
	"INSERT INTO sections (id, name, created_at) VALUES ('sec-a', 'テスト課', 1);"
	"INSERT INTO section_keys VALUES ('0123456789abcdef', 'sec-a', zeroblob(32), zeroblob(72), 1);"
	"INSERT INTO applications (receipt, procedure_id, section_id, form_hash, key_id, sealed, submit_hash,"
	"  inquiry_hash, received_at, updated_at) VALUES ('1234-5678-9012', 'p', 'sec-a', '00',"
	"  '0123456789abcdef', x'00', x'01', x'02', 1, 1);";

/* The scratch database with one application in it, open with sqlite3 itself. */
static int
raw_db(sqlite3 **h)
{
	struct db *db;

	if (t_db_fresh(&db) == -1)
		return -1;
	db_close(db);
	if (sqlite3_open(path, h) != SQLITE_OK)
		return -1;
	return sqlite3_exec(*h, one_app, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int
set_status(sqlite3 *h, const char *code)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "UPDATE applications SET status = '%s'", code);
	return sqlite3_exec(h, sql, NULL, NULL, NULL);
}

static void
schema_takes_every_status(void)
{
	sqlite3		*h;
	enum wf_status	 s;

	T_CHECK(raw_db(&h) == 0);
	for (s = 0; s < WF__STATUSES; s++)
		T_CHECK(set_status(h, wf_status_code(s)) == SQLITE_OK);
	sqlite3_close(h);
}

static void
schema_refuses_other_statuses(void)
{
	sqlite3 *h;

	T_CHECK(raw_db(&h) == 0);
	T_CHECK(set_status(h, "bogus") == SQLITE_CONSTRAINT);
	T_CHECK(set_status(h, "Received") == SQLITE_CONSTRAINT);
	T_CHECK(set_status(h, "") == SQLITE_CONSTRAINT);
	T_CHECK(sqlite3_exec(h, "INSERT INTO applications (receipt, procedure_id, section_id, form_hash, key_id,"
	    " sealed, submit_hash, inquiry_hash, status, received_at, updated_at) VALUES ('1234-5678-9013', 'p',"
	    " 'sec-a', '00', '0123456789abcdef', x'00', x'03', x'02', 'bogus', 1, 1)", NULL, NULL, NULL) ==
	    SQLITE_CONSTRAINT);
	sqlite3_close(h);
}

/* applications.channel takes every channel code and nothing else; rows stored before it came online. */
static void
schema_channels(void)
{
	sqlite3		*h;
	enum wf_channel	 ch;
	char		 sql[128];

	T_CHECK(raw_db(&h) == 0);
	for (ch = 0; ch < WF__CHANNELS; ch++) {
		snprintf(sql, sizeof(sql), "UPDATE applications SET channel = '%s'", wf_channel_code(ch));
		T_CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	}
	T_CHECK(sqlite3_exec(h, "UPDATE applications SET channel = 'mail'", NULL, NULL, NULL) == SQLITE_CONSTRAINT);
	T_CHECK(sqlite3_exec(h, "UPDATE applications SET channel = NULL", NULL, NULL, NULL) == SQLITE_CONSTRAINT);
	sqlite3_close(h);
}

/* A database of schema 4 migrates when its rows hold statuses, and is refused when one does not. */
static void
migration_checks_existing_rows(void)
{
	struct db	*db;
	sqlite3		*h;

	T_CHECK(raw_db(&h) == 0);
	/* back to schema 4: the later migrations' tables go too, and the outbox is schema 3's again */
	T_CHECK(sqlite3_exec(h, "DROP TRIGGER applications_status_insert; DROP TRIGGER applications_status_update;"
	    "DROP TABLE lottery; DROP TABLE lottery_entries; ALTER TABLE applications DROP COLUMN status_number;"	/* schema 15's */
	    "DROP TABLE outbox; CREATE TABLE outbox (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	    "  receipt TEXT NOT NULL REFERENCES applications(receipt), procedure_id TEXT NOT NULL,"
	    "  section_id TEXT NOT NULL, sealed BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
	    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',"
	    "  created_at INTEGER NOT NULL);"
	    "ALTER TABLE applications DROP COLUMN lang;"	/* what schema 11 added */
	    "ALTER TABLE applications DROP COLUMN channel;"
	    "DROP INDEX applications_participant; ALTER TABLE applications DROP COLUMN participant_id;"
	    "DROP TABLE envelopes; DROP TABLE app_places; DROP TABLE places; DROP TABLE erasure_reports; DROP TABLE export_ledger; DROP TABLE staff_mail;"
	    "ALTER TABLE staff DROP COLUMN email; UPDATE applications SET status = 'bogus'; PRAGMA user_version = 4;",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == -1);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "UPDATE applications SET status = 'accepted'", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0 && db_schema_version(db) == DB_SCHEMA_VERSION);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(set_status(h, "bogus") == SQLITE_CONSTRAINT);
	sqlite3_close(h);
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	T_RUN(codes_round_trip);
	T_RUN(unknown_codes_refused);
	T_RUN(labels_as_staff_and_residents_read_them);
	T_RUN(reserve_carries_its_number);
	T_RUN(transitions_and_their_mails);
	T_RUN(lottery_results_reached_only_by_the_draw);
	T_RUN(label_of_a_stored_code);
	T_RUN(waitlist_left_only_by_withdrawal_or_a_place);
	T_RUN(roles_meet_needs);
	T_RUN(channels_round_trip);
	T_RUN(schema_takes_every_status);
	T_RUN(schema_refuses_other_statuses);
	T_RUN(migration_checks_existing_rows);
	T_RUN(schema_channels);
	return t_db_teardown(T_DONE());
}
