/*
 * alerts: each rule on a scratch audit log — exports above the threshold
 * and outside office hours (edges at 08:30 and 18:00, weekends), a burst
 * of views reported once and again after a quiet window, repeated login
 * failures per account and per address, key operations and denials, and
 * the office-hours option; and a normal day, which raises none.
 */
#include "alerts.h"
#include "audit.h"
#include "jst.h"
#include "t.h"
#include "t_db.h"

static unsigned char key[SEAL_KEY_LEN];
static char got[64][128];
static int ngot;

/* 2027-01-13 is a Wednesday, 2027-01-16 a Saturday. */
#define WED(h, m)	jst_time(2027, 1, 13, h, m)
#define SAT(h, m)	jst_time(2027, 1, 16, h, m)

static int
add(struct db *db, time_t at, const char *actor, const char *action, const char *detail, const char *addr)
{
	struct audit_entry e = { at, actor, action, "t", detail, addr };

	return audit_append(db, key, &e);
}

static int
keep(const struct alert *a, void *arg)
{
	(void)arg;
	if (ngot < 64)
		snprintf(got[ngot++], sizeof(got[0]), "%s %s", a->kind, a->actor);
	return 0;
}

/* The alerts of the whole log, as "kind actor" lines in got. */
static int
scan(struct db *db, const struct alerts_conf *c)
{
	ngot = 0;
	return alerts_scan(db, c, 0, INT32_MAX, keep, NULL);
}

static void
exports_large_and_off_hours(void)
{
	struct alerts_conf	c;
	struct db		*db;

	alerts_defaults(&c);
	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(add(db, WED(10, 0), "big", "export", "rows=101 sha256=00", "") == 0);
	T_CHECK(add(db, WED(10, 0), "fine", "export", "rows=100 sha256=00", "") == 0);
	T_CHECK(add(db, WED(8, 29), "early", "export", "rows=1", "") == 0);
	T_CHECK(add(db, WED(8, 30), "fine", "export", "rows=1", "") == 0);
	T_CHECK(add(db, WED(17, 59), "fine", "export", "rows=1", "") == 0);
	T_CHECK(add(db, WED(18, 0), "late", "export", "rows=1", "") == 0);
	T_CHECK(add(db, SAT(11, 0), "weekend", "export", "rows=1", "") == 0);
	T_CHECK(scan(db, &c) == 0 && ngot == 4);
	T_STREQ(got[0], "export_large big");
	T_STREQ(got[1], "export_off_hours early");
	T_STREQ(got[2], "export_off_hours late");
	T_STREQ(got[3], "export_off_hours weekend");
	c.export_rows = 50;
	T_CHECK(alerts_office_hours(&c, "08:00-20:00") == 0);
	T_CHECK(scan(db, &c) == 0 && ngot == 3 && strcmp(got[1], "export_large fine") == 0);
	db_close(db);
}

static void
views_burst_once_then_after_quiet(void)
{
	struct alerts_conf	c;
	struct db		*db;
	int			i;

	alerts_defaults(&c);
	T_CHECK(t_db_fresh(&db) == 0);
	for (i = 0; i < 29; i++)	/* 29 in ten minutes: below */
		T_CHECK(add(db, WED(9, 0) + i * 20, "calm", "view", "", "") == 0);
	for (i = 0; i < 60; i++)	/* 60 in two minutes: one burst */
		T_CHECK(add(db, WED(11, 0) + i * 2, "busy", "view", "", "") == 0);
	for (i = 0; i < 30; i++)	/* an hour later: a new one */
		T_CHECK(add(db, WED(12, 0) + i, "busy", "view", "", "") == 0);
	T_CHECK(scan(db, &c) == 0 && ngot == 2);
	T_STREQ(got[0], "views_burst busy");
	T_STREQ(got[1], "views_burst busy");
	db_close(db);
}

static void
login_failures_per_account_and_address(void)
{
	struct alerts_conf	c;
	struct db		*db;
	char			addr[32];
	int			i;

	alerts_defaults(&c);
	T_CHECK(t_db_fresh(&db) == 0);
	for (i = 0; i < 5; i++) {	/* one account from five addresses */
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		T_CHECK(add(db, WED(9, 0) + i, "ito", "login_failed", "", addr) == 0);
	}
	for (i = 0; i < 5; i++)		/* one address on five accounts */
		T_CHECK(add(db, WED(10, 0) + i, i % 2 ? "a" : "b", "login_failed", "", "198.51.100.7") == 0);
	for (i = 0; i < 4; i++)		/* four: below */
		T_CHECK(add(db, WED(14, 0) + i * 60, "ueno", "login_failed", "", "203.0.113.9") == 0);
	T_CHECK(scan(db, &c) == 0 && ngot == 2);
	T_STREQ(got[0], "login_failures ito");
	T_CHECK(strncmp(got[1], "login_failures", 14) == 0);
	db_close(db);
}

static void
key_operations_and_denials_each(void)
{
	struct alerts_conf	c;
	struct db		*db;

	alerts_defaults(&c);
	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(add(db, WED(9, 0), "formctl:root", "grant", "sec by recovery key", "") == 0);
	T_CHECK(add(db, WED(9, 1), "formctl:root", "rotate", "", "") == 0);
	T_CHECK(add(db, WED(9, 2), "sato", "login", "", "") == 0);
	T_CHECK(add(db, WED(9, 3), "sato", "denied", "another section's application", "") == 0);
	T_CHECK(add(db, WED(9, 4), "formctl:root", "key_retire", "", "") == 0);
	T_CHECK(scan(db, &c) == 0 && ngot == 4);
	T_STREQ(got[0], "key_operation formctl:root");
	T_STREQ(got[2], "denied sato");
	T_STREQ(alerts_label("denied"), "権限外への要求");
	db_close(db);
}

/* A working day as it should be: logins, a mistyped password, views at a reading pace, status
 * changes, notes, small exports in office hours, a password change, a ledger entry closed. */
static void
a_normal_day_raises_no_alert(void)
{
	struct alerts_conf	c;
	struct db		*db;
	const char		*who[] = { "sato", "ito", "ueno" };
	int			i, k;

	alerts_defaults(&c);
	T_CHECK(t_db_fresh(&db) == 0);
	for (k = 0; k < 3; k++) {
		T_CHECK(add(db, WED(8, 40) + k, who[k], "login", "", "192.0.2.10") == 0);
		for (i = 0; i < 80; i++)	/* one every 30 s: 20 within any ten minutes */
			T_CHECK(add(db, WED(9, 0) + k + i * 30, who[k], "view", "", "192.0.2.10") == 0);
		T_CHECK(add(db, WED(11, 0) + k, who[k], "status", "received -> accepted", "192.0.2.10") == 0);
		T_CHECK(add(db, WED(11, 1) + k, who[k], "note", "", "192.0.2.10") == 0);
		T_CHECK(add(db, WED(17, 30) + k, who[k], "logout", "", "192.0.2.10") == 0);
	}
	for (i = 0; i < 4; i++)		/* four mistyped passwords, then in */
		T_CHECK(add(db, WED(13, 0) + i * 10, "sato", "login_failed", "", "192.0.2.11") == 0);
	T_CHECK(add(db, WED(13, 1), "sato", "login", "", "192.0.2.11") == 0);
	T_CHECK(add(db, WED(10, 0), "ito", "export", "rows=100 sha256=00", "") == 0);
	T_CHECK(add(db, WED(16, 0), "ito", "ledger_close", "1 returned", "") == 0);
	T_CHECK(add(db, WED(15, 0), "ueno", "password", "", "") == 0);
	T_CHECK(add(db, WED(3, 0), "formctl:root", "backup", "", "") == 0);
	T_CHECK(add(db, WED(3, 1), "formctl:root", "purge", "nothing to erase", "") == 0);
	T_CHECK(scan(db, &c) == 0);
	T_CHECK(ngot == 0);
	db_close(db);
}

static void
office_hours_option(void)
{
	struct alerts_conf c;

	alerts_defaults(&c);
	T_CHECK(c.office_start == 510 && c.office_end == 1080);
	T_CHECK(alerts_office_hours(&c, "09:00-17:15") == 0 && c.office_start == 540 && c.office_end == 1035);
	T_CHECK(alerts_office_hours(&c, "18:00-08:30") == -1);
	T_CHECK(alerts_office_hours(&c, "25:00-26:00") == -1);
	T_CHECK(alerts_office_hours(&c, "09:00-17:15x") == -1);
	T_CHECK(alerts_office_hours(&c, "9-17") == -1);
	T_CHECK(c.office_start == 540);	/* a refused value changes nothing */
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	seal_random(key, sizeof(key));
	T_RUN(exports_large_and_off_hours);
	T_RUN(views_burst_once_then_after_quiet);
	T_RUN(login_failures_per_account_and_address);
	T_RUN(key_operations_and_denials_each);
	T_RUN(a_normal_day_raises_no_alert);
	T_RUN(office_hours_option);
	return t_db_teardown(T_DONE());
}
