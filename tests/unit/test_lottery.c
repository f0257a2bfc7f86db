/*
 * Unit tests for the lottery: the pure draw (lib/lottery.c) against an
 * independent recomputation of its documented encoding, its edges (more
 * places than applicants, a group at the cut-off, no reserves), and the
 * draw as the database records it (lib/db_lottery.c).
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "audit.h"
#include "draw.h"
#include "dups.h"
#include "lottery.h"
#include "places.h"
#include "t.h"
#include "t_db.h"

#define NMAX	64

static struct lottery_entry e[NMAX];
static unsigned char seed[LOTTERY_SEED_LEN];

/* n applications 0000-0000-0001.. of one person each, and the seed bytes 0, 1, ..., 31. */
static void
entries(size_t n)
{
	size_t i;

	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++) {
		snprintf(e[i].receipt, sizeof(e[i].receipt), "0000-0000-%04u", (unsigned)(i + 1) % 10000);
		e[i].people = 1;
	}
	t_counting_bytes(seed, sizeof(seed));
}

/* Which entry comes k-th (0 first) in the seed's order: drawn for 1 place with every other a reserve. */
static size_t
nth(size_t n, long k)
{
	struct lottery_entry	c[NMAX];
	size_t			i;

	memcpy(c, e, sizeof(c));
	for (i = 0; i < n; i++)
		c[i].people = 1;
	if (lottery_draw(seed, c, n, 1, (long)n, NULL) == -1)
		return n;
	for (i = 0; i < n; i++)
		if ((k == 0 && c[i].result == LOTTERY_WON) || (k > 0 && c[i].number == k))
			return i;
	return n;
}

/* The hashes and results Python's hashlib gives for the encoding lottery.h documents. */
static void
vector_matches_the_documented_encoding(void)
{
	static const char *const want[8] = { "lost", "lost", "won", "reserve", "won", "lost", "won", "reserve" };
	struct lottery_counts	c;
	char			list[65], result[65];
	size_t			i;

	entries(8);
	e[2].people = 2;
	e[5].people = 3;
	T_CHECK(lottery_list_hash(e, 8, list) == 0);
	T_STREQ(list, "f0e282cd30aa3ed7e0958aeb3e032794d7820234361c12d4d76717a4e8bcbbae");
	T_CHECK(lottery_draw(seed, e, 8, 4, 2, &c) == 0);
	for (i = 0; i < 8; i++)
		T_STREQ(lottery_result_code(e[i].result), want[i]);
	T_CHECK(e[3].number == 1 && e[7].number == 2);
	T_CHECK(c.applications == 8 && c.people == 11 && c.won == 3 && c.won_people == 4 && c.reserve == 2 &&
	    c.lost == 3);
	T_CHECK(lottery_result_hash(e, 8, result) == 0);
	T_STREQ(result, "01fc80511c8d87efaa3996f2fc18921b6fc75cc5ff6ecababf17dd584fb55ad6");
}

static void
more_places_than_applicants_all_win(void)
{
	struct lottery_counts	c;
	size_t			i;

	entries(5);
	e[1].people = 3;
	T_CHECK(lottery_draw(seed, e, 5, 280, 10, &c) == 0);
	for (i = 0; i < 5; i++)
		T_CHECK(e[i].result == LOTTERY_WON && e[i].number == 0);
	T_CHECK(c.won == 5 && c.won_people == 7 && c.reserve == 0 && c.lost == 0);
}

/* A group of 2 with 1 place left is passed over, not split; the single after it wins; it is 補欠1. */
static void
group_at_the_cut_off_is_passed_over(void)
{
	struct lottery_counts	c;
	size_t			first, second, third;

	entries(10);
	first = nth(10, 0);
	second = nth(10, 1);
	third = nth(10, 2);
	T_CHECK(first < 10 && second < 10 && third < 10);
	e[second].people = 2;
	T_CHECK(lottery_draw(seed, e, 10, 2, 3, &c) == 0);
	T_CHECK(e[first].result == LOTTERY_WON);
	T_CHECK(e[second].result == LOTTERY_RESERVE && e[second].number == 1);
	T_CHECK(e[third].result == LOTTERY_WON);
	T_CHECK(c.won == 2 && c.won_people == 2 && c.reserve == 3 && c.lost == 5);
}

static void
zero_reserves(void)
{
	struct lottery_counts	c;
	size_t			i;

	entries(10);
	T_CHECK(lottery_draw(seed, e, 10, 3, 0, &c) == 0);
	for (i = 0; i < 10; i++)
		T_CHECK(e[i].result != LOTTERY_RESERVE && e[i].number == 0);
	T_CHECK(c.won == 3 && c.reserve == 0 && c.lost == 7);
}

static void
reserves_beyond_applicants(void)
{
	struct lottery_counts c;

	entries(4);
	T_CHECK(lottery_draw(seed, e, 4, 1, 10, &c) == 0);
	T_CHECK(c.won == 1 && c.reserve == 3 && c.lost == 0);
}

static void
same_seed_same_result(void)
{
	char a[65], b[65];

	entries(40);
	T_CHECK(lottery_draw(seed, e, 40, 10, 5, NULL) == 0 && lottery_result_hash(e, 40, a) == 0);
	entries(40);
	T_CHECK(lottery_draw(seed, e, 40, 10, 5, NULL) == 0 && lottery_result_hash(e, 40, b) == 0);
	T_STREQ(a, b);
}

static void
changed_seed_changes_order(void)
{
	size_t	before[5], i, same = 0;

	entries(40);
	for (i = 0; i < 5; i++)
		before[i] = nth(40, (long)i);
	seed[0] ^= 1;
	for (i = 0; i < 5; i++)
		same += nth(40, (long)i) == before[i];
	T_CHECK(same < 5);
}

static void
bad_entries_refused(void)
{
	char hex[65];

	entries(3);
	e[1].people = 0;
	T_CHECK(lottery_draw(seed, e, 3, 2, 0, NULL) == -1);
	T_CHECK(lottery_list_hash(e, 3, hex) == -1);
	e[1].people = LOTTERY_PEOPLE_MAX + 1;
	T_CHECK(lottery_draw(seed, e, 3, 2, 0, NULL) == -1);
	e[1].people = 1;
	strcpy(e[2].receipt, "0000");
	T_CHECK(lottery_draw(seed, e, 3, 2, 0, NULL) == -1);
	entries(3);
	T_CHECK(lottery_draw(seed, e, 3, -1, 0, NULL) == -1);
}

static void
empty_list(void)
{
	struct lottery_counts	c;
	char			hex[65];

	T_CHECK(lottery_draw(seed, e, 0, 5, 5, &c) == 0 && c.applications == 0 && c.won == 0);
	T_CHECK(lottery_list_hash(e, 0, hex) == 0);
}

/* ---- the draw as the database records it ---- */

#define CLOSES	(proc->closes_at)
static const char def_yaml[] =
    "id: draw-test\n"
    "title: 抽選テスト\n"
    "section: sec-a\n"
    "opens_at: 2026-01-01 09:00\n"
    "closes_at: 2026-09-21 00:00\n"
    "capacity: 5\n"
    "lottery: true\n"
    "group_size: party\n"
    "retention_days: 30\n"
    "contact: テスト課\n"
    "mail:\n"
    "  arrival: {subject: 届きました, body: \"{{receipt}}\"}\n"
    "  promotion: {subject: 繰上げ当選, body: \"繰上げ {{receipt}}\"}\n"
    "  won: {subject: 当選, body: \"当選 {{receipt}}\"}\n"
    "  lost: {subject: 落選, body: \"落選 {{receipt}}\"}\n"
    "  reserve: {subject: 補欠, body: \"補欠{{reserve_number}}番 {{receipt}}\"}\n"
    "fields:\n"
    "  - {key: mail, type: email, label: メール}\n"
    "  - key: party\n"
    "    type: radio\n"
    "    label: 人数\n"
    "    choices: [{value: \"1\", label: 1人}, {value: \"2\", label: 2人}, {value: \"3\", label: 3人}]\n";

static const unsigned char sealed[4] = { 1, 2, 3, 4 };
static unsigned char audit_key[SEAL_KEY_LEN] = { 7 };
static struct procedure *proc;

/* Receipts of the stored applications: 0000-0000-0001 .. n. */
static char rcpt[16][DB_RECEIPT_LEN + 1];

/* n applications of people[i] each, a contact for every one; then statuses set as given (NULL: received). */
static int
store(struct db *db, size_t n, const long *people, const char *const *status)
{
	struct db_store_req	r[16];
	unsigned char		pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
	sqlite3			*h;
	char			sql[512];
	size_t			i;
	int			ok = 1;

	if (t_db_with_key(db) == -1 || seal_keypair(pk, sk) == -1)
		return -1;
	db_set_contact_key(db, pk);
	memset(r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		struct db_app *a = &r[i].app;

		a->procedure_id = "draw-test";
		a->section_id = "sec-a";
		a->form_hash = "00";
		a->key_id = "0123456789abcdef";
		a->sealed = sealed;
		a->sealed_len = sizeof(sealed);
		a->contact = "{\"v\":1,\"to\":\"a@example.jp\"}";
		a->contact_len = strlen(a->contact);
		memset(a->submit_hash, (int)i + 1, SEAL_MAC_LEN);
		a->received_at = CLOSES - 1000;
		places_rules(proc, NULL, people != NULL ? people[i] : 1, &a->places);
		snprintf(r[i].receipt, sizeof(r[i].receipt), "0000-0000-%04u", (unsigned)(i + 1) % 10000);
		memcpy(rcpt[i], r[i].receipt, sizeof(rcpt[i]));
	}
	if (db_app_store_batch(db, r, n) != (int)n || sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	for (i = 0; status != NULL && i < n; i++) {
		if (status[i] == NULL)
			continue;
		snprintf(sql, sizeof(sql), "UPDATE applications SET status = '%s' WHERE receipt = '%s'", status[i],
		    rcpt[i]);
		ok &= sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK;
	}
	sqlite3_close(h);
	return ok ? 0 : -1;
}

static int
draw_as(struct db *db, long reserves, time_t now, int confirmed, struct db_lottery *rec, enum draw_refusal *why)
{
	struct draw_req r;

	memset(&r, 0, sizeof(r));
	r.p = proc;
	r.actor = "tanaka";
	r.addr = "";
	r.reserves = reserves;
	r.now = now;
	r.audit_key = audit_key;
	r.confirmed = confirmed;
	return draw_run(db, &r, rec, why);
}

/* A draw past the duplicate review (confirmed): draw_waits_for_the_duplicate_review tests the review. */
static int
run_draw(struct db *db, long reserves, time_t now, struct db_lottery *rec, enum draw_refusal *why)
{
	return draw_as(db, reserves, now, 1, rec, why);
}

static int
sql(const char *q)
{
	sqlite3	*h;
	int	 rc;

	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, q, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(h);
	return rc;
}

static int64_t
count(const char *q)
{
	sqlite3		*h;
	sqlite3_stmt	*s;
	int64_t		 n = -1;

	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, q, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

static const char *
status_of(struct db *db, const char *receipt, long *number)
{
	static struct db_app_status st;

	if (db_app_status(db, receipt, &st) != 0)
		return "(none)";
	*number = st.number;
	return st.status;
}

/* 8 drawn (groups of 2 and 3 among them), one 差戻し held back, one withdrawn left out. */
static const long people8[10] = { 1, 2, 1, 3, 1, 1, 2, 1, 1, 1 };
static const char *const status8[10] = { NULL, NULL, "accepted", NULL, NULL, NULL, NULL, NULL, "returned", "withdrawn" };

static int
drawn(struct db **db, struct db_lottery *rec)
{
	enum draw_refusal why;

	return t_db_fresh(db) == 0 && store(*db, 10, people8, status8) == 0 &&
	    run_draw(*db, 2, CLOSES, rec, &why) == 0 ? 0 : -1;
}

static void
draw_records_all_in_one_transaction(void)
{
	struct db_lottery	rec, again;
	struct buf		report;
	struct db		*db;
	long			number = -1, won_people = 0;
	size_t			i;

	T_CHECK(drawn(&db, &rec) == 0);
	T_CHECK(rec.applications == 8 && rec.people == 12 && rec.held_back == 1 && rec.capacity == 5 &&
	    rec.reserves == 2 && rec.won + rec.reserve + rec.lost == 8 && rec.reserve == 2);
	T_CHECK(rec.won_people <= 5 && strlen(rec.list_sha256) == 64 && strlen(rec.result_sha256) == 64);
	T_CHECK(db_lottery_get(db, "draw-test", &again) == 0 && memcmp(again.seed, rec.seed, 32) == 0 &&
	    strcmp(again.result_sha256, rec.result_sha256) == 0 && strcmp(again.actor, "tanaka") == 0);
	T_CHECK(count("SELECT count(*) FROM lottery_entries") == 8);
	T_CHECK(count("SELECT count(*) FROM applications WHERE status IN ('won', 'reserve', 'lost')") == 8);
	T_STREQ(status_of(db, rcpt[8], &number), "returned");
	T_STREQ(status_of(db, rcpt[9], &number), "withdrawn");
	for (i = 0; i < 8; i++)
		if (strcmp(status_of(db, rcpt[i], &number), "won") == 0)
			won_people += people8[i];
	T_CHECK(won_people == rec.won_people);
	T_CHECK(count("SELECT count(*) FROM applications WHERE status = 'reserve' AND status_number = 1") == 1);
	T_CHECK(count("SELECT count(*) FROM applications WHERE status = 'reserve' AND status_number = 2") == 1);
	/* a mail each, in the kind of its result; the reserve's with its number */
	T_CHECK(count("SELECT count(*) FROM outbox WHERE kind IN ('won', 'lost', 'reserve')") == 8);
	T_CHECK(count("SELECT count(*) FROM outbox o JOIN applications a ON a.id = o.app_id"
	    " WHERE o.kind = 'reserve' AND a.status_number = 2 AND o.text LIKE '%補欠2番%'") == 1);
	T_CHECK(count("SELECT count(*) FROM app_events WHERE actor = 'tanaka' AND to_status IN ('won', 'lost',"
	    " 'reserve')") == 8);
	/* places: the winners and the one held back hold theirs (the withdrawn one was set so by hand) */
	T_CHECK(count("SELECT taken FROM places WHERE procedure_id = 'draw-test' AND choice = ''") ==
	    rec.won_people + people8[8] + people8[9]);
	T_CHECK(count("SELECT count(*) FROM audit WHERE action = 'lottery_draw' AND target = 'draw-test'") == 1);
	buf_init(&report);
	T_CHECK(draw_verify(db, "draw-test", audit_key, &report) == 0);
	T_CHECK(report.len == 0);
	buf_free(&report);
	db_close(db);
}

static void
second_draw_refused(void)
{
	struct db_lottery	rec, second;
	struct db_lottery_draw	d;
	enum draw_refusal	why;
	struct db		*db;
	unsigned char		s[32] = { 9 };

	T_CHECK(drawn(&db, &rec) == 0);
	T_CHECK(run_draw(db, 2, CLOSES + 10, &second, &why) == 1 && why == DRAW_DRAWN);
	memset(&d, 0, sizeof(d));
	d.procedure_id = "draw-test";
	d.section_id = "sec-a";
	d.actor = "x";
	d.seed = s;
	d.capacity = 5;
	T_CHECK(db_lottery_draw(db, &d, &second) == DB_EXISTS);
	T_CHECK(count("SELECT count(*) FROM lottery_entries") == 8);
	T_CHECK(count("SELECT count(*) FROM audit WHERE action = 'lottery_draw'") == 1);
	db_close(db);
}

struct receipts {
	char	 r[8][DB_RECEIPT_LEN + 1];
	size_t	 n;
};

static int
add_receipt(const char *receipt, void *arg)
{
	struct receipts *l = arg;

	if (l->n == 8)
		return -1;
	snprintf(l->r[l->n++], sizeof(l->r[0]), "%s", receipt);
	return 0;
}

static void
draw_waits_for_the_duplicate_review(void)
{
	struct db_lottery	 rec;
	struct db_dup_review	 rv;
	struct receipts		 l;
	const char		*ptr[8];
	enum draw_refusal	 why;
	struct db		*db;
	size_t			 i;

	memset(&rv, 0, sizeof(rv));
	memset(&l, 0, sizeof(l));
	T_CHECK(t_db_fresh(&db) == 0 && store(db, 3, NULL, NULL) == 0);
	/* Never reviewed: refused unless confirmed. */
	T_CHECK(draw_as(db, 0, CLOSES, 0, &rec, &why) == 1 && why == DRAW_UNCONFIRMED);
	T_CHECK(count("SELECT count(*) FROM lottery") == 0);
	/* A review of exactly today's list, no group in it: the draw starts without a confirmation. */
	T_CHECK(db_dup_eligible_each(db, proc->id, add_receipt, &l) == 0 && l.n == 3);
	for (i = 0; i < l.n; i++)
		ptr[i] = l.r[i];
	rv.at = CLOSES;
	snprintf(rv.actor, sizeof(rv.actor), "tanaka");
	rv.eligible = (int64_t)l.n;
	snprintf(rv.fingerprint, sizeof(rv.fingerprint), "00");
	T_CHECK(dups_receipts_sha256(ptr, l.n, rv.eligible_sha256) == 0);
	T_CHECK(db_dup_review_put(db, proc->id, &rv, NULL, NULL, 0) == 0);
	T_CHECK(draw_as(db, 0, CLOSES, 0, &rec, &why) == 0 && rec.applications == 3);
	db_close(db);
}

static void
draw_before_closing_refused(void)
{
	struct db_lottery	rec;
	enum draw_refusal	why;
	struct db		*db;

	T_CHECK(t_db_fresh(&db) == 0 && store(db, 3, NULL, NULL) == 0);
	T_CHECK(run_draw(db, 0, CLOSES - 1, &rec, &why) == 1 && why == DRAW_NOT_CLOSED);
	T_CHECK(count("SELECT count(*) FROM lottery") == 0);
	T_CHECK(count("SELECT count(*) FROM applications WHERE status = 'received'") == 3);
	db_close(db);
}

/* verify after a change made behind its back: it says what differs, and exits 1. */
static void
verify_tampered(const char *change, const char *says)
{
	struct db_lottery	rec;
	struct buf		report;
	struct db		*db;

	T_CHECK(drawn(&db, &rec) == 0);
	T_CHECK(sql(change) == 0);
	buf_init(&report);
	T_CHECK(draw_verify(db, "draw-test", audit_key, &report) == 1);
	if (strstr(buf_cstr(&report), says) == NULL)
		printf("#   report: %s\n", buf_cstr(&report));
	T_CHECK(strstr(buf_cstr(&report), says) != NULL);
	buf_free(&report);
	db_close(db);
}

static void
verify_tampered_entry(void)
{
	verify_tampered("UPDATE lottery_entries SET result = 'won', number = 0 WHERE result = 'lost'"
	    " AND receipt = (SELECT min(receipt) FROM lottery_entries WHERE result = 'lost')", "the seed gives lost");
}

static void
verify_tampered_seed(void)
{
	verify_tampered("UPDATE lottery SET seed = zeroblob(32)", "audit: 1 lottery_draw entries for draw-test, 0");
}

static void
verify_tampered_audit(void)
{
	verify_tampered("DROP TRIGGER audit_no_update; UPDATE lottery SET capacity = 6;"
	    " UPDATE audit SET detail = replace(detail, 'capacity=5', 'capacity=6')", "chain is broken");
}

static void
verify_status_changed_behind_its_back(void)
{
	verify_tampered("UPDATE applications SET status = 'won', status_number = 0 WHERE status = 'lost'",
	    "recorded changes lead to 'lost'");
}

/* A 当選 withdrawn frees its places: 補欠1 moves up if its group fits, with the 繰上げ mail; verify agrees. */
static void
withdrawn_winner_moves_reserve_up(void)
{
	static const long ones[6] = { 1, 1, 1, 1, 1, 1 };
	struct places_promoting	pm;
	struct db_promote	pr;
	struct db_lottery	rec;
	struct db_event		ev;
	enum draw_refusal	why;
	struct buf		report;
	struct db		*db;
	char			won[DB_RECEIPT_LEN + 1] = "", first[DB_RECEIPT_LEN + 1] = "";
	long			number = 0;
	size_t			i;

	T_CHECK(t_db_fresh(&db) == 0 && store(db, 6, ones, NULL) == 0);
	T_CHECK(run_draw(db, 2, CLOSES, &rec, &why) == 0 && rec.won == 5 && rec.reserve == 1);
	for (i = 0; i < 6; i++) {
		const char *st = status_of(db, rcpt[i], &number);

		if (strcmp(st, "won") == 0 && *won == '\0')
			memcpy(won, rcpt[i], sizeof(won));
		if (strcmp(st, "reserve") == 0 && number == 1)
			memcpy(first, rcpt[i], sizeof(first));
	}
	T_CHECK(*won != '\0' && *first != '\0');
	T_CHECK(places_promote_init(&pr, &pm, db, proc, CLOSES + 100) == 1 && pr.lottery);
	memset(&ev, 0, sizeof(ev));
	ev.receipt = won;
	ev.at = CLOSES + 100;
	ev.actor = "resident";
	ev.from_status = "won";
	ev.to_status = "withdrawn";
	ev.key_id = "";
	ev.promote = &pr;
	T_CHECK(db_app_event(db, &ev) == 0);
	T_CHECK(pr.n == 1 && strcmp(pr.promoted[0], first) == 0);
	T_STREQ(status_of(db, first, &number), "won");
	T_CHECK(number == 0);
	T_CHECK(count("SELECT count(*) FROM outbox WHERE kind = 'promotion'") == 1);
	T_CHECK(count("SELECT taken FROM places WHERE procedure_id = 'draw-test' AND choice = ''") == 5);
	buf_init(&report);
	T_CHECK(draw_verify(db, "draw-test", audit_key, &report) == 0);
	buf_free(&report);
	db_close(db);
}

/* The application i withdrawn by staff, freed places moving reserves up: how many moved. */
static size_t
withdraw(struct db *db, size_t i, time_t at)
{
	struct places_promoting	pm;
	struct db_promote	pr;
	struct db_event		ev;

	if (places_promote_init(&pr, &pm, db, proc, at) != 1)
		return 99;
	memset(&ev, 0, sizeof(ev));
	ev.receipt = rcpt[i];
	ev.at = at;
	ev.actor = "suzuki";
	ev.from_status = "won";
	ev.to_status = "withdrawn";
	ev.key_id = "";
	ev.promote = &pr;
	return db_app_event(db, &ev) == 0 ? pr.n : 99;
}

/*
 * 5 places for groups of 1, 2, 2, 2: whatever the seed, the single and two
 * pairs win and the third pair is 補欠1.  The single withdrawn frees 1
 * place: the pair does not fit and stays; a pair withdrawn frees 2: it moves up.
 */
static void
reserve_group_moves_up_only_when_it_fits(void)
{
	static const long groups[4] = { 1, 2, 2, 2 };
	struct db_lottery	rec;
	enum draw_refusal	why;
	struct buf		report;
	struct db		*db;
	long			number = 0;
	size_t			i, reserve = 4, pair = 4;

	T_CHECK(t_db_fresh(&db) == 0 && store(db, 4, groups, NULL) == 0);
	T_CHECK(run_draw(db, 1, CLOSES, &rec, &why) == 0 && rec.won == 3 && rec.won_people == 5 && rec.reserve == 1);
	for (i = 1; i < 4; i++) {
		if (strcmp(status_of(db, rcpt[i], &number), "reserve") == 0)
			reserve = i;
		else
			pair = i;
	}
	T_STREQ(status_of(db, rcpt[0], &number), "won");
	T_CHECK(reserve < 4 && pair < 4);
	T_CHECK(withdraw(db, 0, CLOSES + 5) == 0);
	T_STREQ(status_of(db, rcpt[reserve], &number), "reserve");
	T_CHECK(count("SELECT count(*) FROM outbox WHERE kind = 'promotion'") == 0);
	T_CHECK(withdraw(db, pair, CLOSES + 6) == 1);
	T_STREQ(status_of(db, rcpt[reserve], &number), "won");
	T_CHECK(count("SELECT taken FROM places WHERE procedure_id = 'draw-test' AND choice = ''") == 4);
	buf_init(&report);
	T_CHECK(draw_verify(db, "draw-test", audit_key, &report) == 0);
	buf_free(&report);
	db_close(db);
}

static void
purge_erases_entries_and_keeps_the_record(void)
{
	struct db_lottery	rec;
	struct buf		report;
	struct db		*db;
	int64_t			erased = 0;

	T_CHECK(drawn(&db, &rec) == 0);
	T_CHECK(db_begin(db) == 0 && db_expired_erase(db, "draw-test", CLOSES, &erased) == 0 && db_commit(db) == 0);
	T_CHECK(erased == 10);
	T_CHECK(count("SELECT count(*) FROM lottery_entries") == 0);
	T_CHECK(count("SELECT count(*) FROM lottery") == 1);
	buf_init(&report);
	T_CHECK(draw_verify(db, "draw-test", audit_key, &report) == 0);
	T_CHECK(strstr(buf_cstr(&report), "erased with their applications") != NULL);
	buf_free(&report);
	db_close(db);
}

static void
verify_not_drawn(void)
{
	struct buf	report;
	struct db	*db;

	T_CHECK(t_db_fresh(&db) == 0);
	buf_init(&report);
	T_CHECK(draw_verify(db, "draw-test", audit_key, &report) == 1);
	T_CHECK(strstr(buf_cstr(&report), "not drawn") != NULL);
	buf_free(&report);
	db_close(db);
}

int
main(void)
{
	int rc;

	if (t_db_setup() == -1 ||
	    (proc = formdef_load_mem("draw-test.yaml", def_yaml, sizeof(def_yaml) - 1, NULL, NULL, NULL)) == NULL)
		return 1;
	T_RUN(vector_matches_the_documented_encoding);
	T_RUN(more_places_than_applicants_all_win);
	T_RUN(group_at_the_cut_off_is_passed_over);
	T_RUN(zero_reserves);
	T_RUN(reserves_beyond_applicants);
	T_RUN(same_seed_same_result);
	T_RUN(changed_seed_changes_order);
	T_RUN(bad_entries_refused);
	T_RUN(empty_list);
	T_RUN(draw_records_all_in_one_transaction);
	T_RUN(second_draw_refused);
	T_RUN(draw_before_closing_refused);
	T_RUN(draw_waits_for_the_duplicate_review);
	T_RUN(verify_tampered_entry);
	T_RUN(verify_tampered_seed);
	T_RUN(verify_tampered_audit);
	T_RUN(verify_status_changed_behind_its_back);
	T_RUN(withdrawn_winner_moves_reserve_up);
	T_RUN(reserve_group_moves_up_only_when_it_fits);
	T_RUN(purge_erases_entries_and_keeps_the_record);
	T_RUN(verify_not_drawn);
	formdef_free(proc);
	rc = T_DONE();
	return t_db_teardown(rc);
}
