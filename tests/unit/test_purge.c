/*
 * purge: retention enforced on a scratch database — what goes and what
 * stays, everything derived from an application with it, the erasure
 * report and its audit entry, a dry run, a run killed inside its
 * transaction and run again, the bytes gone from the file and its WAL,
 * and destroying a key nothing is sealed to any more.
 */
#include <signal.h>
#include <unistd.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "audit.h"
#include "custody.h"
#include "db.h"
#include "formdef.h"
#include "guess.h"
#include "purge.h"
#include "t.h"
#include "t_db.h"

#define DAY	(24 * 60 * 60)
#define T0	1800000000	/* when the old applications came */

static unsigned char audit_key[SEAL_KEY_LEN], mac_key[SEAL_KEY_LEN];
static char key_id[SEAL_KEYID_LEN + 1];
static int reported;

/* A definition kept 10 days from receipt, or (closes) from its close on T0 + 1 day. */
static struct procedure *
definition(int closes)
{
	char		 y[512];
	struct buf	 errs;
	struct procedure *p;

	snprintf(y, sizeof(y), "id: p\ntitle: テスト手続き\nsection: sec-a\nopens_at: 2020-01-01 09:00\n%s"
	    "retention_days: 10\ncontact: c\nfields:\n  - {key: a, type: text, label: A}\n",
	    closes ? "closes_at: 2027-01-16 17:00\n" : "");
	buf_init(&errs);
	p = formdef_load_mem("p.yaml", y, strlen(y), NULL, NULL, &errs);
	if (p == NULL)
		printf("# %s", buf_cstr(&errs));
	buf_free(&errs);
	return p;
}

static int
world(struct db **db)
{
	char			 printable[SEAL_RECOVERY_LEN];
	unsigned char		 pk[SEAL_PK_LEN];

	seal_random(audit_key, sizeof(audit_key));
	seal_random(mac_key, sizeof(mac_key));
	if (t_db_fresh(db) != 0 || custody_section_create(*db, "sec-a", "テスト課", 1, printable) != 0 ||
	    db_key_current(*db, "sec-a", key_id, pk) != 0)
		return -1;
	db_set_contact_key(*db, pk);	/* any key: the envelopes are only counted */
	return 0;
}

static int
queue_mail(const char *receipt, const char *participant, struct db_outbox_item *m, void *arg)
{
	(void)receipt;
	(void)participant;
	memset(m, 0, sizeof(*m));
	m->kind = "arrival";
	m->procedure_id = "p";
	m->section_id = "sec-a";
	m->sealed = arg;
	m->sealed_len = 48;
	m->at = T0;
	return 0;
}

/* An application received at t with a sealed blob of 48 bytes, its contact envelope and arrival mail, a
 * note and a guess. */
static int
store(struct db *db, time_t t, const unsigned char *sealed, char receipt[DB_RECEIPT_LEN + 1])
{
	struct db_app		a;
	struct db_event		ev;
	struct guess_keys	k;
	const unsigned char	*keys[1];

	memset(&a, 0, sizeof(a));
	a.procedure_id = "p";
	a.section_id = "sec-a";
	a.form_hash = "00";
	a.key_id = key_id;
	a.sealed = sealed;
	a.sealed_len = 48;
	seal_random(a.submit_hash, sizeof(a.submit_hash));
	a.received_at = t;
	a.contact = "{\"v\":1,\"to\":\"dummy@example.jp\"}";
	a.contact_len = strlen(a.contact);
	a.mail = queue_mail;
	a.mail_arg = (void *)sealed;
	if (db_app_store(db, &a, receipt) != 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.receipt = receipt;
	ev.at = t + 1;
	ev.actor = "alice";
	ev.from_status = ev.to_status = "received";
	ev.key_id = key_id;
	ev.note_sealed = sealed;
	ev.note_len = 48;
	if (db_app_event(db, &ev) != 0 || guess_keys(mac_key, GUESS_DOMAIN_STATUS, receipt, "", &k) == -1)
		return -1;
	keys[0] = k.subject;
	return db_throttle_record(db, keys, 1, T0 + 10 * DAY);	/* within its window when the purges run */
}

static void
conf_of(struct purge_conf *c, struct db *db, time_t now)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->audit_key = audit_key;
	c->apply_mac_key = mac_key;
	c->actor = "formctl:test";
	c->command = "formctl purge";
	c->now = now;
}

/* count(*) of a query on the test's database. */
static int64_t
count(struct db *db, const char *where)
{
	sqlite3		*h;
	sqlite3_stmt	*s;
	char		 q[256];
	int64_t		 n = -1;

	(void)db;
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", where);
	if (sqlite3_open(path, &h) == SQLITE_OK && sqlite3_prepare_v2(h, q, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(h);
	return n;
}

static int
chain_intact(struct db *db)
{
	struct audit_check c;

	return audit_verify(db, audit_key, &c) == 0;
}

static void
nothing_expired(void)
{
	struct procedure	*p = definition(0);
	struct purge_conf	 c;
	struct db		*db;
	unsigned char		 blob[48] = { 1 };
	char			 r[DB_RECEIPT_LEN + 1];
	int64_t			 n = -1;

	T_CHECK(p != NULL && world(&db) == 0);
	T_CHECK(store(db, T0, blob, r) == 0);
	conf_of(&c, db, T0 + 10 * DAY - 1);	/* a second short of 10 days */
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 0);
	T_CHECK(purge_finish(&c) == 0);
	T_CHECK(count(db, "applications") == 1 && count(db, "erasure_reports") == 0);
	T_CHECK(count(db, "audit") == 0);
	db_close(db);
	formdef_free(p);
}

/* A report copied out of its callback (whose strings live only during the call). */
struct copy {
	struct db_erasure	r;
	char			kind[16], proc[16], section[16], keys[64], rule[128], actor[32];
	char			first[DB_RECEIPT_LEN + 1], last[DB_RECEIPT_LEN + 1];
};

static int
got(const struct db_erasure *r, void *arg)
{
	struct copy *c = arg;

	c->r = *r;
	snprintf(c->kind, sizeof(c->kind), "%s", r->kind);
	snprintf(c->proc, sizeof(c->proc), "%s", r->procedure_id);
	snprintf(c->section, sizeof(c->section), "%s", r->section_id);
	snprintf(c->keys, sizeof(c->keys), "%s", r->key_ids);
	snprintf(c->rule, sizeof(c->rule), "%s", r->rule);
	snprintf(c->actor, sizeof(c->actor), "%s", r->actor);
	snprintf(c->first, sizeof(c->first), "%s", r->receipt_first);
	snprintf(c->last, sizeof(c->last), "%s", r->receipt_last);
	return 0;
}

/* Three old applications go with their events, mails, mail log and guess counts; the newer one stays. */
static void
old_ones_go_with_what_hangs_off_them(void)
{
	struct procedure	*p = definition(0);
	struct purge_conf	 c;
	struct copy		 rep;
	struct db		*db;
	unsigned char		 blob[48] = { 2 };
	char			 r[4][DB_RECEIPT_LEN + 1], *first, *last;
	int64_t			 n = -1;
	int			 i;

	T_CHECK(p != NULL && world(&db) == 0);
	for (i = 0; i < 3; i++)
		T_CHECK(store(db, T0 + i * 60, blob, r[i]) == 0);
	T_CHECK(store(db, T0 + DAY, blob, r[3]) == 0);
	T_CHECK(db_outbox_delivered(db, 1, T0 + 5) == 0);	/* one sent: its mail_log row */
	T_CHECK(count(db, "mail_log") == 1 && count(db, "throttle") == 4 && count(db, "app_events") == 4);
	T_CHECK(count(db, "envelopes") == 4 && count(db, "app_places") == 4);
	conf_of(&c, db, T0 + 120 + 10 * DAY);	/* the third is exactly 10 days old */
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 3);
	T_CHECK(purge_finish(&c) == 0);
	T_CHECK(count(db, "applications") == 1 && count(db, "outbox") == 1 && count(db, "mail_log") == 0);
	T_CHECK(count(db, "envelopes") == 1);
	/* their places go back: the counter holds the one left (db_places.c) */
	T_CHECK(count(db, "app_places") == 1 && count(db, "places WHERE choice = '' AND taken = 1") == 1);
	T_CHECK(count(db, "app_events") == 1 && count(db, "throttle") == 1);
	for (i = 0, first = last = r[0]; i < 3; i++) {
		first = strcmp(r[i], first) < 0 ? r[i] : first;
		last = strcmp(r[i], last) > 0 ? r[i] : last;
	}
	T_CHECK(db_erasure_get(db, 1, got, &rep) == 0);
	T_STREQ(rep.kind, "applications");
	T_CHECK(rep.r.applications == 3 && rep.r.received_first == T0 && rep.r.received_last == T0 + 120);
	T_CHECK(rep.r.at == c.now);
	T_STREQ(rep.proc, "p");
	T_STREQ(rep.section, "sec-a");
	T_STREQ(rep.keys, key_id);
	T_STREQ(rep.rule, "保存期間：受付日から10日");
	T_STREQ(rep.actor, "formctl:test");
	T_STREQ(rep.first, first);
	T_STREQ(rep.last, last);
	T_CHECK(count(db, "audit WHERE action = 'purge' AND target = 'p' AND detail LIKE 'report=1 %'") == 1);
	T_CHECK(chain_intact(db));
	db_close(db);
	formdef_free(p);
}

/* Counted from the close: nothing a second before close + 10 days, everything at it. */
static void
from_the_close_all_on_one_day(void)
{
	struct procedure	*p = definition(1);
	struct purge_conf	 c;
	struct db		*db;
	unsigned char		 blob[48] = { 3 };
	char			 r[DB_RECEIPT_LEN + 1];
	int64_t			 n = -1;

	T_CHECK(p != NULL && world(&db) == 0);
	T_CHECK(store(db, p->closes_at - 5 * DAY, blob, r) == 0 && store(db, p->closes_at - 60, blob, r) == 0);
	conf_of(&c, db, p->closes_at + 10 * DAY - 1);
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 0);
	c.now++;
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 2);
	T_CHECK(count(db, "applications") == 0 && count(db, "erasure_reports") == 1);
	T_CHECK(count(db, "erasure_reports WHERE rule = '保存期間：受付終了（2027-01-16 17:00）から10日'") == 1);
	db_close(db);
	formdef_free(p);
}

static void
count_report(const struct db_erasure *r, void *arg)
{
	(void)arg;
	reported += r->id == 0 ? 100 : 1;
}

static void
dry_run_changes_nothing(void)
{
	struct procedure	*p = definition(0);
	struct purge_conf	 c;
	struct db		*db;
	unsigned char		 blob[48] = { 4 };
	char			 r[DB_RECEIPT_LEN + 1];
	int64_t			 n = -1;

	T_CHECK(p != NULL && world(&db) == 0);
	T_CHECK(store(db, T0, blob, r) == 0);
	conf_of(&c, db, T0 + 20 * DAY);
	c.dry_run = 1;
	c.report = count_report;
	reported = 0;
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 1 && reported == 100);
	T_CHECK(purge_finish(&c) == 0);
	T_CHECK(count(db, "applications") == 1 && count(db, "erasure_reports") == 0 && count(db, "audit") == 0);
	db_close(db);
	formdef_free(p);
}

/*
 * Stop just before the commit and wait to be SIGKILLed by the parent: a
 * kill from outside, which no handler (nor valgrind, whose leak report a
 * raise() would print) sees.
 */
static void
die(void *arg)
{
	int *ready = arg;

	if (write(*ready, "k", 1) == 1)
		for (;;)
			pause();
	_exit(1);
}

/* Killed inside its transaction: nothing erased, nothing reported; run again, one report. */
static void
killed_run_then_rerun_reports_once(void)
{
	struct procedure	*p = definition(0);
	struct purge_conf	 c;
	struct db		*db;
	unsigned char		 blob[48] = { 5 };
	char			 r[DB_RECEIPT_LEN + 1];
	int64_t			 n = -1;
	pid_t			 pid;
	int			 st, ready[2];
	char			 k = 0;

	T_CHECK(p != NULL && world(&db) == 0);
	T_CHECK(store(db, T0, blob, r) == 0 && store(db, T0 + 1, blob, r) == 0);
	conf_of(&c, db, T0 + 20 * DAY);
	fflush(stdout);
	T_CHECK(pipe(ready) == 0);
	if ((pid = fork()) == 0) {
		c.before_commit = die;
		c.arg = &ready[1];
		(void)purge_procedure(&c, p, &n);
		_exit(0);
	}
	T_CHECK(pid > 0 && read(ready[0], &k, 1) == 1 && k == 'k' && kill(pid, SIGKILL) == 0);
	T_CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(ready[0]);
	close(ready[1]);
	db_close(db);
	T_CHECK(db_open(path, &db) == 0);
	c.db = db;
	T_CHECK(count(db, "applications") == 2 && count(db, "erasure_reports") == 0 && count(db, "audit") == 0);
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 2);
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 0);
	T_CHECK(count(db, "erasure_reports") == 1 && count(db, "audit WHERE action = 'purge'") == 1);
	T_CHECK(chain_intact(db));
	db_close(db);
	formdef_free(p);
}

/* Whether needle (len bytes) is anywhere in the file at path; -1 when it cannot be read. */
static int
file_has(const char *file, const void *needle, size_t len)
{
	FILE		*f = fopen(file, "rb");
	struct buf	 b;
	char		 chunk[65536];
	size_t		 k, i;
	int		 found = 0;

	if (f == NULL)
		return -1;
	buf_init(&b);
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(&b, chunk, k);
	fclose(f);
	for (i = 0; b.len >= len && i <= b.len - len && !found; i++)
		found = memcmp(b.data + i, needle, len) == 0;
	buf_free(&b);
	return found;
}

static int
in_db_or_wal(const void *needle, size_t len)
{
	char wal[200];

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return file_has(path, needle, len) == 1 || file_has(wal, needle, len) == 1;
}

/* The sealed bytes and a receipt in the middle of the range are in neither file afterwards. */
static void
bytes_gone_from_file_and_wal(void)
{
	struct procedure	*p = definition(0);
	struct purge_conf	 c;
	struct db		*db;
	unsigned char		 blob[48];
	char			 r[3][DB_RECEIPT_LEN + 1], *mid;
	int64_t			 n = -1;
	int			 i;

	seal_random(blob, sizeof(blob));
	T_CHECK(p != NULL && world(&db) == 0);
	for (i = 0; i < 3; i++)
		T_CHECK(store(db, T0 + i, blob, r[i]) == 0);
	/* the one neither first nor last: the report names those two */
	mid = strcmp(r[0], r[1]) < 0 ? (strcmp(r[1], r[2]) < 0 ? r[1] : strcmp(r[0], r[2]) < 0 ? r[2] : r[0]) :
	    (strcmp(r[0], r[2]) < 0 ? r[0] : strcmp(r[1], r[2]) < 0 ? r[2] : r[1]);
	T_CHECK(in_db_or_wal(blob, sizeof(blob)) && in_db_or_wal(mid, strlen(mid)));
	conf_of(&c, db, T0 + 20 * DAY);
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 3);
	T_CHECK(purge_finish(&c) == 0);
	T_CHECK(!in_db_or_wal(blob, sizeof(blob)));
	T_CHECK(!in_db_or_wal(mid, strlen(mid)));
	db_close(db);
	formdef_free(p);
}

static void
reports_are_append_only(void)
{
	struct procedure	*p = definition(0);
	struct purge_conf	 c;
	struct db		*db;
	sqlite3			*h;
	unsigned char		 blob[48] = { 6 };
	char			 r[DB_RECEIPT_LEN + 1];
	int64_t			 n;

	T_CHECK(p != NULL && world(&db) == 0);
	T_CHECK(store(db, T0, blob, r) == 0);
	conf_of(&c, db, T0 + 20 * DAY);
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 1);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "UPDATE erasure_reports SET applications = 0", NULL, NULL, NULL) != SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "DELETE FROM erasure_reports", NULL, NULL, NULL) != SQLITE_OK);
	T_CHECK(sqlite3_close(h) == SQLITE_OK);
	T_CHECK(count(db, "erasure_reports WHERE applications = 1") == 1);
	db_close(db);
	formdef_free(p);
}

/* A key goes only once it is not the current one and nothing sealed to it is left. */
static void
key_retired_when_nothing_is_sealed_to_it(void)
{
	struct procedure	*p = definition(0);
	struct purge_conf	 c;
	struct db		*db;
	struct db_staff		 s;
	unsigned char		 blob[48] = { 7 }, sk[SEAL_SK_LEN];
	char			 r[DB_RECEIPT_LEN + 1], old[SEAL_KEYID_LEN + 1], fresh[SEAL_KEYID_LEN + 1], q[160];
	int64_t			 n, apps, notes;

	T_CHECK(p != NULL && world(&db) == 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.login, sizeof(s.login), "alice");
	snprintf(s.role, sizeof(s.role), "staff");
	T_CHECK(seal_keypair(s.public_key, sk) == 0);	/* a rotation seals the new key to the grantee */
	T_CHECK(db_staff_add(db, &s, 1) == 0 && db_grant_add(db, s.id, key_id, "sec-a", "x", 1, 1) == 0);
	T_CHECK(store(db, T0, blob, r) == 0);
	conf_of(&c, db, T0 + 20 * DAY);
	c.command = "formctl key retire";
	T_CHECK(purge_key(&c, "ffffffffffffffff", &apps, &notes) == PURGE_KEY_UNKNOWN);
	T_CHECK(purge_key(&c, key_id, &apps, &notes) == PURGE_KEY_CURRENT);
	snprintf(old, sizeof(old), "%s", key_id);
	T_CHECK(custody_section_rotate(db, "sec-a", 2, fresh) == 0);
	T_CHECK(purge_key(&c, old, &apps, &notes) == PURGE_KEY_IN_USE && apps == 1 && notes == 1);
	c.command = "formctl purge";
	T_CHECK(purge_procedure(&c, p, &n) == 0 && n == 1);
	c.command = "formctl key retire";
	T_CHECK(purge_key(&c, old, &apps, &notes) == 0);
	T_CHECK(purge_finish(&c) == 0);
	T_CHECK(count(db, "section_keys") == 1 && count(db, "grants") == 1);	/* the new key's grant */
	snprintf(q, sizeof(q), "erasure_reports WHERE kind = 'key' AND key_ids = '%s' AND applications = 0", old);
	T_CHECK(count(db, q) == 1);
	T_CHECK(count(db, "audit WHERE action = 'key_retire' AND target = 'sec-a'") == 1);
	T_CHECK(purge_key(&c, old, &apps, &notes) == PURGE_KEY_UNKNOWN);
	T_CHECK(chain_intact(db));
	db_close(db);
	formdef_free(p);
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	T_RUN(nothing_expired);
	T_RUN(old_ones_go_with_what_hangs_off_them);
	T_RUN(from_the_close_all_on_one_day);
	T_RUN(dry_run_changes_nothing);
	T_RUN(killed_run_then_rerun_reports_once);
	T_RUN(bytes_gone_from_file_and_wal);
	T_RUN(reports_are_append_only);
	T_RUN(key_retired_when_nothing_is_sealed_to_it);
	return t_db_teardown(T_DONE());
}
