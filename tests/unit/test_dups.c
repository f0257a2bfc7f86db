/*
 * Unit tests for lib/dups.c: each relation, their union into groups,
 * normalisation (full and half width, hiragana and katakana, spaces, phone
 * hyphens, mail case), who takes part, which fields a definition gives,
 * and the review's state read from the database alone.  Dummy data only.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "dups.h"
#include "t.h"
#include "t_db.h"

#define PROC	"e2e-dups"

#define ROW(r, name, birth, tel, mail) { r, "received", name, birth, tel, mail }

/* The groups of rows, as "1 0 1 ..." (each row's group). */
static const char *
groups_of(const struct dups_row *rows, size_t n, struct dups_result *res)
{
	static char	out[256];
	size_t		i, len = 0;

	out[0] = '\0';
	if (dups_find(rows, n, res) == -1)
		return "(failed)";
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%zu", i ? " " : "", res->group[i]);
	return out;
}

static void
name_and_birth_together(void)
{
	const struct dups_row rows[] = {
		ROW("0000-0000-0001", "シンジュク ハナコ", "1960-04-01", "0300000001", "a@example.jp"),
		ROW("0000-0000-0002", "シンジュク ハナコ", "1960-04-01", "0300000002", "b@example.jp"),
		ROW("0000-0000-0003", "シンジュク ハナコ", "1961-04-01", "0300000003", "c@example.jp"),
		ROW("0000-0000-0004", "ヨツヤ タロウ", "1960-04-01", "0300000004", "d@example.jp"),
	};
	struct dups_result r;

	T_STREQ(groups_of(rows, 4, &r), "1 1 0 0");
	T_CHECK(r.ngroups == 1 && r.members == 2 && r.eligible == 4);
	T_CHECK(r.why[0] == DUPS_NAME_BIRTH && r.why[1] == DUPS_NAME_BIRTH && r.why[2] == 0);
	dups_result_free(&r);
}

static void
name_width_kana_and_spaces_normalised(void)
{
	const struct dups_row rows[] = {
		ROW("0000-0000-0001", "シンジュク　ハナコ", "1960-04-01", NULL, NULL),
		ROW("0000-0000-0002", "しんじゅく はなこ", "1960/4/1", NULL, NULL),
		ROW("0000-0000-0003", "ｼﾝｼﾞｭｸﾊﾅｺ", "昭和35年4月1日", NULL, NULL),
		ROW("0000-0000-0004", "シンジュクハナエ", "1960-04-01", NULL, NULL),
	};
	struct dups_result r;

	T_STREQ(groups_of(rows, 4, &r), "1 1 1 0");
	dups_result_free(&r);
}

static void
phone_digits_only(void)
{
	const struct dups_row rows[] = {
		ROW("0000-0000-0001", "ア", "1950-01-01", "03-3209-1111", NULL),
		ROW("0000-0000-0002", "イ", "1950-01-02", "０３（３２０９）１１１１", NULL),
		ROW("0000-0000-0003", "ウ", "1950-01-03", "0332091111", NULL),
		ROW("0000-0000-0004", "エ", "1950-01-04", "03-3209-1112", NULL),
		ROW("0000-0000-0005", "オ", "1950-01-05", "", NULL),
		ROW("0000-0000-0006", "カ", "1950-01-06", "", NULL),
	};
	struct dups_result r;

	T_STREQ(groups_of(rows, 6, &r), "1 1 1 0 0 0");
	T_CHECK(r.why[0] == DUPS_TEL && r.why[4] == 0);
	dups_result_free(&r);
}

static void
mail_domain_case_and_trim(void)
{
	const struct dups_row rows[] = {
		ROW("0000-0000-0001", NULL, NULL, NULL, "Hanako@Example.JP"),
		ROW("0000-0000-0002", NULL, NULL, NULL, " Hanako@example.jp　"),
		ROW("0000-0000-0003", NULL, NULL, NULL, "hanako@example.jp"),
	};
	struct dups_result r;

	/* The local part's case is the mailbox's own: only the domain is compared without case. */
	T_STREQ(groups_of(rows, 3, &r), "1 1 0");
	T_CHECK(r.why[1] == DUPS_MAIL);
	dups_result_free(&r);
}

static void
relations_joined_into_one_group(void)
{
	/* 1 and 2 share a phone, 2 and 3 a mail, 4 and 5 a name and birth date: two groups. */
	const struct dups_row rows[] = {
		ROW("0000-0000-0001", "ア", "1950-01-01", "0300000001", "x@example.jp"),
		ROW("0000-0000-0002", "イ", "1950-01-02", "0300000001", "y@example.jp"),
		ROW("0000-0000-0003", "ウ", "1950-01-03", "0300000003", "y@example.jp"),
		ROW("0000-0000-0004", "エ", "1950-01-04", "0300000004", "z@example.jp"),
		ROW("0000-0000-0005", "エ", "1950-01-04", "0300000005", "w@example.jp"),
		ROW("0000-0000-0006", "オ", "1950-01-06", "0300000006", "v@example.jp"),
	};
	struct dups_result r;

	T_STREQ(groups_of(rows, 6, &r), "1 1 1 2 2 0");
	T_CHECK(r.ngroups == 2 && r.members == 5);
	T_CHECK(r.why[1] == (DUPS_TEL | DUPS_MAIL) && r.why[0] == DUPS_TEL && r.why[2] == DUPS_MAIL);
	dups_result_free(&r);
}

static void
only_applications_in_the_draw(void)
{
	struct dups_row rows[] = {
		ROW("0000-0000-0001", "ア", "1950-01-01", "0300000001", NULL),
		ROW("0000-0000-0002", "イ", "1950-01-02", "0300000001", NULL),
		ROW("0000-0000-0003", "ウ", "1950-01-03", "0300000001", NULL),
	};
	struct dups_result r;

	rows[1].status = "withdrawn";
	rows[2].status = "accepted";
	T_STREQ(groups_of(rows, 3, &r), "1 0 1");
	T_CHECK(r.eligible == 2);
	dups_result_free(&r);
	rows[2].status = "waitlisted";
	T_STREQ(groups_of(rows, 3, &r), "0 0 0");
	T_CHECK(r.ngroups == 0 && r.members == 0 && r.eligible == 1);
	dups_result_free(&r);
}

static void
name_without_birth_or_invalid_answers_compare_nothing(void)
{
	const struct dups_row rows[] = {
		ROW("0000-0000-0001", "シンジュク ハナコ", NULL, NULL, NULL),
		ROW("0000-0000-0002", "シンジュク ハナコ", NULL, NULL, NULL),
		ROW("0000-0000-0003", "新宿花子", "1960-04-01", NULL, NULL),
		ROW("0000-0000-0004", "新宿花子", "1960-04-01", NULL, NULL),
		ROW("0000-0000-0005", "　", "1960-04-01", "―", NULL),
		ROW("0000-0000-0006", " ", "1960-04-01", "-", NULL),
	};
	struct dups_result r;

	T_STREQ(groups_of(rows, 6, &r), "0 0 0 0 0 0");
	dups_result_free(&r);
	T_CHECK(dups_find(rows, 0, &r) == 0 && r.ngroups == 0 && r.group == NULL);
}

static void
fingerprint_follows_receipts_and_groups(void)
{
	struct dups_row rows[] = {
		ROW("0000-0000-0002", "ア", "1950-01-01", "0300000001", NULL),
		ROW("0000-0000-0001", "イ", "1950-01-02", "0300000001", NULL),
		ROW("0000-0000-0003", "ウ", "1950-01-03", "0300000003", NULL),
	};
	struct dups_row swapped[3] = { rows[1], rows[0], rows[2] };
	const char *sorted[] = { "0000-0000-0001", "0000-0000-0002", "0000-0000-0003" };
	struct dups_result r;
	char a[65], b[65], c[65], list[65];

	T_CHECK(dups_find(rows, 3, &r) == 0 && dups_fingerprint(rows, 3, &r, a) == 0);
	dups_result_free(&r);
	/* The same list in another order: the same fingerprint. */
	T_CHECK(dups_find(swapped, 3, &r) == 0 && dups_fingerprint(swapped, 3, &r, b) == 0);
	dups_result_free(&r);
	T_STREQ(a, b);
	/* Another group: another fingerprint, though the receipts are the same. */
	rows[2].tel = "0300000001";
	T_CHECK(dups_find(rows, 3, &r) == 0 && dups_fingerprint(rows, 3, &r, c) == 0);
	dups_result_free(&r);
	T_CHECK(strcmp(a, c) != 0);
	/* The receipts' hash: SHA-256 of "r\n" lines (sha256sum of the same text). */
	T_CHECK(dups_receipts_sha256(sorted, 3, list) == 0);
	T_STREQ(list, "2e6bf4c7e1f5680e6c05684a27616f45f6e3534b25e8592978dba30743a32f2e");
}

static void
fields_from_the_definition(void)
{
	static const char yaml[] =
	    "id: e2e-dups\ntitle: t\nsection: sec-a\nopens_at: 2020-01-01 09:00\nretention_days: 30\ncontact: c\n"
	    "fields:\n"
	    "  - {key: name, type: text, label: 氏名, autocomplete: name}\n"
	    "  - {key: with, type: radio, label: 同行, choices: [{value: 'n', label: なし}, {value: 'y', label: あり}]}\n"
	    "  - {key: other_kana, type: kana, label: 同行者, show_if: {field: with, value: 'y'}}\n"
	    "  - {key: kana, type: kana, label: カナ}\n"
	    "  - {key: loan, type: date, label: 貸出日}\n"
	    "  - {key: birth, type: date, label: 生年月日, autocomplete: bday}\n"
	    "  - {key: tel, type: tel, label: 電話}\n"
	    "  - {key: mail, type: email, label: メール}\n";
	struct buf		 errs;
	struct procedure	*p;
	struct dups_fields	 f;

	buf_init(&errs);
	p = formdef_load_mem("e2e-dups.yaml", yaml, sizeof(yaml) - 1, NULL, NULL, &errs);
	if (p == NULL)
		printf("#   %s", buf_cstr(&errs));
	buf_free(&errs);
	T_CHECK(p != NULL);
	dups_fields(p, &f);
	T_CHECK(f.name != NULL && f.birth != NULL && f.tel != NULL && f.mail != NULL);
	T_STREQ(f.name->key, "kana");
	T_STREQ(f.birth->key, "birth");
	formdef_free(p);
}

/* ---- the review's state, from the database ---- */

static const unsigned char sealed[4] = { 1, 2, 3, 4 };

static int
store(struct db *db, const char *receipt, unsigned char tag)
{
	struct db_store_req r;
	struct db_app *a = &r.app;

	memset(&r, 0, sizeof(r));
	a->procedure_id = PROC;
	a->section_id = "sec-a";
	a->form_hash = "00";
	a->key_id = "0123456789abcdef";
	a->sealed = sealed;
	a->sealed_len = sizeof(sealed);
	memset(a->submit_hash, tag, SEAL_MAC_LEN);
	a->received_at = 1795000000;
	snprintf(r.receipt, sizeof(r.receipt), "%s", receipt);
	return db_app_store_batch(db, &r, 1) == 1 ? 0 : -1;
}

/* A review as the page stores it: rows' receipts in the draw, their groups. */
static int
review(struct db *db, const struct dups_row *rows, size_t n)
{
	struct dups_result	 r;
	struct db_dup_review	 rv;
	const char		*eligible[8], *members[8];
	size_t			 groups[8], i, k = 0, m = 0;
	int			 rc;

	memset(&rv, 0, sizeof(rv));
	if (n > 8 || dups_find(rows, n, &r) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (dups_eligible(rows[i].status))
			eligible[k++] = rows[i].receipt;
		if (r.group[i] != 0) {
			members[m] = rows[i].receipt;
			groups[m++] = r.group[i];
		}
	}
	rv.at = 1795000100;
	snprintf(rv.actor, sizeof(rv.actor), "yotsuya");
	rv.eligible = (int64_t)k;
	rv.groups = (int64_t)r.ngroups;
	rv.members = (int64_t)r.members;
	rc = dups_receipts_sha256(eligible, k, rv.eligible_sha256) == 0 &&
	    dups_fingerprint(rows, n, &r, rv.fingerprint) == 0 &&
	    db_dup_review_put(db, PROC, &rv, members, groups, m) == 0 ? 0 : -1;
	dups_result_free(&r);
	return rc;
}

static enum dups_state
state(struct db *db, int64_t *undecided)
{
	struct dups_review_info info;

	if (dups_review_state(db, PROC, &info) == -1)
		return (enum dups_state)-1;
	if (undecided != NULL)
		*undecided = info.undecided;
	return info.state;
}

static void
review_states_without_opening(void)
{
	struct dups_row rows[] = {
		ROW("0000-0000-0001", "ア", "1950-01-01", "0300000001", NULL),
		ROW("0000-0000-0002", "イ", "1950-01-02", "0300000001", NULL),
		ROW("0000-0000-0003", "ウ", "1950-01-03", "0300000003", NULL),
	};
	struct db	*db;
	struct db_event	 ev;
	int64_t		 undecided = -1;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	T_CHECK(store(db, "0000-0000-0001", 1) == 0 && store(db, "0000-0000-0002", 2) == 0 &&
	    store(db, "0000-0000-0003", 3) == 0);
	T_CHECK(state(db, NULL) == DUPS_NO_REVIEW && dups_state_warning(DUPS_NO_REVIEW) != NULL);
	T_CHECK(review(db, rows, 3) == 0);
	T_CHECK(state(db, &undecided) == DUPS_UNDECIDED && undecided == 2);
	T_CHECK(db_dup_is_member(db, PROC, "0000-0000-0001") == 1 && db_dup_is_member(db, PROC, "0000-0000-0003") == 0);
	T_CHECK(db_dup_decide(db, PROC, "0000-0000-0001", "keep", "yotsuya", 1795000200) == 0);
	T_CHECK(state(db, &undecided) == DUPS_UNDECIDED && undecided == 1);
	T_CHECK(db_dup_decide(db, PROC, "0000-0000-0002", "keep", "yotsuya", 1795000200) == 0);
	T_CHECK(state(db, &undecided) == DUPS_DECIDED && undecided == 0);
	/* Decided: nothing holds the draw back. */
	T_CHECK(dups_state_warning(DUPS_DECIDED) == NULL && dups_state_warning(DUPS_STALE) != NULL &&
	    dups_state_warning(DUPS_UNDECIDED) != NULL);
	/* A new application (a counter entry, say): the review no longer covers the list. */
	T_CHECK(store(db, "0000-0000-0004", 4) == 0);
	T_CHECK(state(db, NULL) == DUPS_STALE);
	/* Withdrawn since: stale too, though the count alone would match again. */
	memset(&ev, 0, sizeof(ev));
	ev.receipt = "0000-0000-0003";
	ev.at = 1795000300;
	ev.actor = "yotsuya";
	ev.from_status = "received";
	ev.to_status = "withdrawn";
	ev.key_id = "";
	T_CHECK(db_app_event(db, &ev) == 0);
	rows[2].receipt = "0000-0000-0004";
	T_CHECK(review(db, rows, 3) == 0);
	T_CHECK(state(db, NULL) == DUPS_DECIDED);
	db_close(db);
}

static void
decisions_erased_with_their_application(void)
{
	const struct dups_row rows[] = {
		ROW("0000-0000-0001", "ア", "1950-01-01", "0300000001", NULL),
		ROW("0000-0000-0002", "イ", "1950-01-02", "0300000001", NULL),
	};
	struct db	*db;
	int64_t		 erased = 0, n = -1;
	char		 decision[16], actor[64];
	time_t		 at;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	T_CHECK(store(db, "0000-0000-0001", 1) == 0 && store(db, "0000-0000-0002", 2) == 0);
	T_CHECK(review(db, rows, 2) == 0);
	T_CHECK(db_dup_decide(db, PROC, "0000-0000-0001", "keep", "yotsuya", 1795000200) == 0);
	T_CHECK(db_dup_decision(db, "0000-0000-0001", decision, actor, &at) == 0);
	T_STREQ(decision, "keep");
	T_CHECK(db_dup_decide(db, PROC, "0000-0000-0001", "maybe", "yotsuya", 1795000200) == -1);
	T_CHECK(db_begin(db) == 0 && db_expired_erase(db, PROC, 1795000001, &erased) == 0 && db_commit(db) == 0);
	T_CHECK(erased == 2);
	T_CHECK(db_dup_decision(db, "0000-0000-0001", decision, actor, &at) == DB_NOTFOUND);
	T_CHECK(db_dup_undecided(db, PROC, &n) == 0 && n == 0);
	T_CHECK(db_dup_is_member(db, PROC, "0000-0000-0002") == 0);
	db_close(db);
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	T_RUN(name_and_birth_together);
	T_RUN(name_width_kana_and_spaces_normalised);
	T_RUN(phone_digits_only);
	T_RUN(mail_domain_case_and_trim);
	T_RUN(relations_joined_into_one_group);
	T_RUN(only_applications_in_the_draw);
	T_RUN(name_without_birth_or_invalid_answers_compare_nothing);
	T_RUN(fingerprint_follows_receipts_and_groups);
	T_RUN(fields_from_the_definition);
	T_RUN(review_states_without_opening);
	T_RUN(decisions_erased_with_their_application);
	return t_db_teardown(T_DONE());
}
