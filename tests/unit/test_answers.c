/*
 * Unit tests for lib/answers.c: a submission read and checked against a
 * definition, its messages and display in Japanese and in English (the
 * catalogues the build compiled).
 */
#include <stdlib.h>

#include "answers.h"
#include "places.h"
#include "mo_build.h"
#include "t.h"

static const char yaml[] =
    "id: t\ntitle: テスト\nsection: s\nopens_at: 2020-01-01 09:00\nretention_days: 1\n"
    "contact: 係\nevent_date: 2030-06-01\nfields:\n"
    "  - key: name\n    type: text\n    label: {ja: 氏名, en: Full name}\n    required: true\n    maxlength: 10\n"
    "  - key: tel\n    type: tel\n    label: 電話番号\n    required: true\n"
    "  - key: postal\n    type: postal\n    label: 郵便番号\n"
    "  - key: birth\n    type: date\n    label: 生年月日\n"
    "  - key: course\n    type: radio\n    label: コース\n    required: true\n"
    "    choices:\n      - {value: a, label: Aコース}\n      - {value: b, label: Bコース}\n"
    "  - key: diag\n    type: date\n    label: 診断日\n    required: true\n"
    "    show_if: {field: course, value: b}\n"
    "  - key: topics\n    type: checkbox\n    label: テーマ\n    max_select: 2\n"
    "    choices:\n      - {value: food, label: {ja: 食事, en: Food}}\n      - {value: walk, label: 運動}\n"
    "      - {value: read, label: 読書}\n"
    "  - key: kana\n    type: kana\n    label: {ja: 氏名（カナ）, en: Name in katakana}\n";

/* Rules between fields: residence in the ward (or in work or study there), a loan's span, a count's bounds. */
static const char rules_yaml[] =
    "id: r\ntitle: テスト\nsection: s\nopens_at: 2020-01-01 09:00\nretention_days: 1\ncontact: 係\n"
    "residence:\n  address: address\n  unless: {field: residency, values: [work, study]}\nfields:\n"
    "  - key: address\n    type: text\n    label: 住所\n    required: true\n"
    "  - key: residency\n    type: radio\n    label: 在住・在勤・在学の別\n"
    "    choices:\n      - {value: live, label: 新宿区在住}\n      - {value: work, label: 新宿区在勤}\n"
    "      - {value: study, label: 新宿区在学}\n"
    "  - key: loan\n    type: date\n    label: 借用希望日\n"
    "  - key: back\n    type: date\n    label: 返却予定日\n    after: {field: loan, max_days: 14}\n"
    "  - key: children\n    type: number\n    label: うち子どもの人数\n    at_most: people\n    at_least: staff\n"
    "  - key: people\n    type: number\n    label: 参加人数\n"
    "  - key: staff\n    type: number\n    label: 引率者の人数\n"
    "  - key: birthday\n    type: month_day\n    label: 誕生月日\n"
    "  - key: same\n    type: date\n    label: 同日可の日\n    after: {field: loan, min_days: 0}\n";

static struct procedure *proc, *rules;
static struct formkeys keys, rules_keys;
static struct langset *langs;
static const struct lang *reader;	/* the language read_body reads in */

static int
any_section(const char *id, void *arg)
{
	(void)id;
	(void)arg;
	return 1;
}

/* Parse body and read the answers of p; 0 on success. */
static int
read_for(struct procedure *p, const struct formkeys *k, const char *body, struct kv_form *f, struct answers *as)
{
	struct jn_date today = { 2026, 11, 22 };

	if (kv_parse_urlencoded(f, k->decls, k->n, body, strlen(body), 64) == -1)
		return -1;
	return answers_read(as, p, f, k, today, reader);
}

static int
read_body(const char *body, struct kv_form *f, struct answers *as)
{
	return read_for(proc, &keys, body, f, as);
}

/* The message of field i after reading body against the rules procedure ("" for none); nerrors in *n. */
static const char *
rules_error(const char *body, size_t i, size_t *n)
{
	static char	 msg[512];
	struct kv_form	 f;
	struct answers	 as;

	msg[0] = '\0';
	*n = (size_t)-1;
	if (read_for(rules, &rules_keys, body, &f, &as) == 0) {
		snprintf(msg, sizeof(msg), "%s", buf_cstr(&as.a[i].error));
		*n = as.nerrors;
	}
	answers_free(&as);
	kv_free(&f);
	return msg;
}

static void
valid_input_canonical_json(void)
{
	struct kv_form f;
	struct answers as;
	struct buf j;

	buf_init(&j);
	T_CHECK(read_body("f_name=%E8%A9%A6%E9%A8%93&f_tel=%EF%BC%90%EF%BC%93-1234-5678"
	    "&f_postal=1600022&f_birth=1960%2F4%2F1&f_course=a&f_diag=xx&f_topics=walk&f_topics=food",
	    &f, &as) == 0);
	T_CHECK(as.nerrors == 0);
	T_CHECK(answers_json(&as, &j) == 0);
	/* diag is not shown (course a), checkbox values in definition order */
	T_STREQ(buf_cstr(&j), "{\"name\":\"試験\",\"tel\":\"03-1234-5678\",\"postal\":\"160-0022\","
	    "\"birth\":\"1960-04-01\",\"course\":\"a\",\"topics\":[\"food\",\"walk\"],\"kana\":\"\"}");
	buf_free(&j);
	answers_free(&as);
	kv_free(&f);
}

static void
missing_required_names_label(void)
{
	struct kv_form f;
	struct answers as;

	T_CHECK(read_body("f_tel=0312345678&f_course=a", &f, &as) == 0);
	T_CHECK(as.nerrors == 1);
	T_CHECK(strstr(buf_cstr(&as.a[0].error), "氏名") != NULL);
	answers_free(&as);
	kv_free(&f);
}

static void
unknown_choice_is_error(void)
{
	struct kv_form f;
	struct answers as;

	T_CHECK(read_body("f_name=x&f_tel=0312345678&f_course=z", &f, &as) == 0);
	T_CHECK(as.nerrors == 1 && as.a[4].error.len > 0);
	answers_free(&as);
	kv_free(&f);
}

/* An optional choice sent empty (the select's blank line, a hidden field on the confirmation page) is no choice. */
static void
empty_choice_is_no_choice(void)
{
	struct kv_form f;
	struct answers as;

	T_CHECK(read_body("f_name=x&f_tel=0312345678&f_course=a&f_topics=", &f, &as) == 0);
	T_CHECK(as.nerrors == 0);
	answers_free(&as);
	kv_free(&f);
	/* but an empty required one is still missing */
	T_CHECK(read_body("f_name=x&f_tel=0312345678&f_course=", &f, &as) == 0);
	T_CHECK(as.nerrors == 1 && strstr(buf_cstr(&as.a[4].error), "を選んでください") != NULL);
	answers_free(&as);
	kv_free(&f);
}

static void
shown_conditional_field_is_checked(void)
{
	struct kv_form f;
	struct answers as;

	T_CHECK(read_body("f_name=x&f_tel=0312345678&f_course=b", &f, &as) == 0);
	T_CHECK(as.a[5].shown && as.nerrors == 1);
	T_CHECK(strstr(buf_cstr(&as.a[5].error), "診断日") != NULL);
	answers_free(&as);
	kv_free(&f);
}

static void
bad_value_kept_for_correction(void)
{
	struct kv_form f;
	struct answers as;

	T_CHECK(read_body("f_name=x&f_tel=12ab&f_course=a", &f, &as) == 0);
	T_CHECK(as.nerrors == 1);
	T_STREQ(buf_cstr(&as.a[1].value), "12ab");
	answers_free(&as);
	kv_free(&f);
}

static void
display_labels_postal_date(void)
{
	struct kv_form f;
	struct answers as;
	struct buf d;

	buf_init(&d);
	T_CHECK(read_body("f_name=x&f_tel=0312345678&f_postal=160-0022&f_birth=1960-04-01"
	    "&f_course=b&f_diag=2020-01-01&f_topics=walk", &f, &as) == 0);
	T_CHECK(as.nerrors == 0);
	T_CHECK(answers_display(&as, &as.a[2], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "〒160-0022");
	buf_reset(&d);
	T_CHECK(answers_display(&as, &as.a[3], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "1960年4月1日（金）");
	buf_reset(&d);
	T_CHECK(answers_display(&as, &as.a[4], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "Bコース");
	buf_reset(&d);
	T_CHECK(answers_display(&as, &as.a[6], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "運動");
	buf_free(&d);
	answers_free(&as);
	kv_free(&f);
}

/* The same in English: the definition's English where it has some, its Japanese where not. */
static void
display_in_english(void)
{
	struct kv_form f;
	struct answers as;
	struct buf d;

	reader = langset_get(langs, "en");
	buf_init(&d);
	T_CHECK(read_body("f_name=x&f_tel=0312345678&f_postal=160-0022&f_birth=1960-04-01"
	    "&f_course=b&f_diag=2020-01-01&f_topics=food", &f, &as) == 0);
	T_CHECK(as.nerrors == 0);
	T_CHECK(answers_display(&as, &as.a[2], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "160-0022");
	buf_reset(&d);
	T_CHECK(answers_display(&as, &as.a[3], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "Fri 1 April 1960");
	buf_reset(&d);
	T_CHECK(answers_display(&as, &as.a[4], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "Bコース");
	buf_reset(&d);
	T_CHECK(answers_display(&as, &as.a[6], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "Food");
	buf_free(&d);
	answers_free(&as);
	kv_free(&f);
	reader = langset_at(langs, 0);
}

/* Each message in the reader's language, naming the field as the reader reads it. */
static void
messages_in_english(void)
{
	struct kv_form f;
	struct answers as;

	reader = langset_get(langs, "en");
	T_CHECK(read_body("f_tel=12&f_course=z&f_topics=food&f_topics=walk&f_topics=read&f_kana=smith&f_birth=x", &f, &as) == 0);
	T_CHECK(as.nerrors == 6);
	T_STREQ(buf_cstr(&as.a[0].error), "Enter an answer for “Full name”");
	T_STREQ(buf_cstr(&as.a[1].error), "Enter “電話番号” as a Japanese phone number of 10 or 11 digits, "
	    "starting with the area code, for example 03-3209-1111");
	T_STREQ(buf_cstr(&as.a[3].error), "Enter “生年月日” as a real date, year-month-day, for example 1960-04-01");
	T_STREQ(buf_cstr(&as.a[4].error), "For “コース”, choose one of the answers shown");
	T_STREQ(buf_cstr(&as.a[6].error), "For “テーマ”, choose no more than 2");
	T_STREQ(buf_cstr(&as.a[7].error), "Enter “Name in katakana” in katakana (the Japanese phonetic script), "
	    "for example シンジュク ハナコ");
	answers_free(&as);
	kv_free(&f);
	reader = langset_at(langs, 0);
	T_CHECK(read_body("f_tel=12&f_course=z&f_topics=food&f_topics=walk&f_topics=read&f_kana=smith", &f, &as) == 0);
	T_STREQ(buf_cstr(&as.a[0].error), "氏名を入力してください");
	T_STREQ(buf_cstr(&as.a[4].error), "コースは表示されている選択肢から選んでください");
	T_STREQ(buf_cstr(&as.a[6].error), "テーマは2個まで選んでください");
	T_STREQ(buf_cstr(&as.a[7].error), "氏名（カナ）はカタカナで入力してください");
	answers_free(&as);
	kv_free(&f);
}

static void
checkbox_more_than_choices_rejected(void)
{
	struct kv_form f;
	const char *b = "f_topics=food&f_topics=walk&f_topics=read&f_topics=food";

	T_CHECK(kv_parse_urlencoded(&f, keys.decls, keys.n, b, strlen(b), 64) == -1);
	T_CHECK(f.err == KV_REPEATED);
	kv_free(&f);
}

/* ---- rules between fields ---- */

enum { R_ADDRESS, R_RESIDENCY, R_LOAN, R_BACK, R_CHILDREN, R_PEOPLE, R_STAFF, R_BIRTHDAY, R_SAME };

static void
after_day_by_day(void)
{
	size_t n;

	T_STREQ(rules_error("f_address=新宿区&f_loan=2026-12-01&f_back=2026-12-01", R_BACK, &n),
	    "返却予定日は借用希望日より後で、借用希望日から14日以内の日付を入力してください");
	T_CHECK(n == 1);
	T_STREQ(rules_error("f_address=新宿区&f_loan=2026-12-01&f_back=2026-12-02", R_BACK, &n), "");
	T_CHECK(n == 0);
	T_STREQ(rules_error("f_address=新宿区&f_loan=2026-12-01&f_back=2026-12-15", R_BACK, &n), "");
	T_CHECK(n == 0);
	T_CHECK(*rules_error("f_address=新宿区&f_loan=2026-12-01&f_back=2026-12-16", R_BACK, &n) != '\0');
	T_CHECK(n == 1);
	T_CHECK(*rules_error("f_address=新宿区&f_loan=2026-12-01&f_back=2026-11-30", R_BACK, &n) != '\0');
	/* across a month and a leap day: 2028-02-20 + 14 = 2028-03-05 */
	T_STREQ(rules_error("f_address=新宿区&f_loan=2028-02-20&f_back=2028-03-05", R_BACK, &n), "");
	T_CHECK(*rules_error("f_address=新宿区&f_loan=2028-02-20&f_back=2028-03-06", R_BACK, &n) != '\0');
}

static void
after_same_day_allowed(void)
{
	size_t n;

	T_STREQ(rules_error("f_address=新宿区&f_loan=2026-12-01&f_same=2026-12-01", R_SAME, &n), "");
	T_STREQ(rules_error("f_address=新宿区&f_loan=2026-12-01&f_same=2026-11-30", R_SAME, &n),
	    "同日可の日は借用希望日と同じ日かそれより後の日付を入力してください");
}

/* A rule waits for the other answer: missing or malformed, that one's own message says so. */
static void
after_waits_for_the_other(void)
{
	size_t n;

	T_STREQ(rules_error("f_address=新宿区&f_back=2026-12-01", R_BACK, &n), "");
	T_CHECK(n == 0);
	T_STREQ(rules_error("f_address=新宿区&f_loan=2026-13-01&f_back=2026-12-01", R_BACK, &n), "");
	T_CHECK(n == 1);
}

static void
number_between_other_answers(void)
{
	size_t n;

	T_STREQ(rules_error("f_address=新宿区&f_people=3&f_children=3", R_CHILDREN, &n), "");
	T_STREQ(rules_error("f_address=新宿区&f_people=3&f_children=4", R_CHILDREN, &n),
	    "うち子どもの人数は参加人数（3）以下で入力してください");
	T_STREQ(rules_error("f_address=新宿区&f_people=3&f_staff=2&f_children=1", R_CHILDREN, &n),
	    "うち子どもの人数は引率者の人数（2）以上、参加人数（3）以下で入力してください");
	T_STREQ(rules_error("f_address=新宿区&f_staff=2&f_children=2", R_CHILDREN, &n), "");
	T_STREQ(rules_error("f_address=新宿区&f_staff=2&f_children=1", R_CHILDREN, &n),
	    "うち子どもの人数は引率者の人数（2）以上で入力してください");
}

static void
residence_in_ward(void)
{
	size_t n;

	T_STREQ(rules_error("f_address=東京都新宿区歌舞伎町1-4-1&f_residency=live", R_ADDRESS, &n), "");
	T_CHECK(n == 0);
	T_STREQ(rules_error("f_address=%E3%80%80%E6%9D%B1%E4%BA%AC%E9%83%BD%E3%80%80%E6%96%B0%E5%AE%BF%E5%8C%BA1", R_ADDRESS,
	    &n), "");	/* 　東京都　新宿区1, full-width spaces */
	T_STREQ(rules_error("f_address=東京都中野区中野4-8-1&f_residency=live", R_ADDRESS, &n),
	    "住所は新宿区内の住所を入力してください。新宿区外にお住まいの方は、「在住・在勤・在学の別」で"
	    "「新宿区在勤」または「新宿区在学」を選んでください");
	T_CHECK(n == 1);
	T_CHECK(*rules_error("f_address=東京都中野区中野4-8-1", R_ADDRESS, &n) != '\0');
}

/* 在勤・在学: the address may be anywhere. */
static void
residence_work_or_study(void)
{
	size_t n;

	T_STREQ(rules_error("f_address=東京都中野区中野4-8-1&f_residency=work", R_ADDRESS, &n), "");
	T_STREQ(rules_error("f_address=埼玉県川口市&f_residency=study", R_ADDRESS, &n), "");
	T_CHECK(n == 0);
}

static void
month_day_read_and_shown(void)
{
	struct kv_form	 f;
	struct answers	 as;
	struct buf	 d, j;

	buf_init(&d);
	buf_init(&j);
	T_CHECK(read_for(rules, &rules_keys, "f_address=新宿区&f_birthday=%EF%BC%92%E6%9C%88%EF%BC%92%EF%BC%99%E6%97%A5",
	    &f, &as) == 0);	/* ２月２９日 */
	T_CHECK(as.nerrors == 0);
	T_STREQ(buf_cstr(&as.a[R_BIRTHDAY].value), "02-29");
	T_CHECK(answers_display(&as, &as.a[R_BIRTHDAY], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "2月29日");
	T_CHECK(answers_json(&as, &j) == 0 && strstr(buf_cstr(&j), "\"birthday\":\"02-29\"") != NULL);
	answers_free(&as);
	kv_free(&f);
	T_CHECK(read_for(rules, &rules_keys, "f_address=新宿区&f_birthday=2/30", &f, &as) == 0);
	T_CHECK(as.nerrors == 1);
	T_STREQ(buf_cstr(&as.a[R_BIRTHDAY].error), "誕生月日を月と日で入力してください（年は不要です。例：4月1日、4/1）");
	answers_free(&as);
	kv_free(&f);
	buf_free(&d);
	buf_free(&j);
}

/* The rules' messages and a month and day in English, with the ward's name as addresses write it. */
static void
rules_in_english(void)
{
	struct kv_form	 f;
	struct answers	 as;
	struct buf	 d;
	size_t		 n;

	buf_init(&d);
	reader = langset_get(langs, "en");
	T_STREQ(rules_error("f_address=東京都中野区中野4-8-1&f_residency=live", R_ADDRESS, &n),
	    "Enter an address in Shinjuku City (新宿区) for “住所”. If you live outside the city, choose "
	    "“新宿区在勤” or “新宿区在学” for “在住・在勤・在学の別”");
	T_STREQ(rules_error("f_address=新宿区&f_loan=2026-12-01&f_back=2026-12-01", R_BACK, &n),
	    "“返却予定日” must be after “借用希望日”, and no more than 14 days after it");
	T_STREQ(rules_error("f_address=新宿区&f_people=3&f_children=4", R_CHILDREN, &n),
	    "“うち子どもの人数” must be at most “参加人数” (3)");
	T_CHECK(read_for(rules, &rules_keys, "f_address=新宿区&f_birthday=2/29", &f, &as) == 0);
	T_CHECK(answers_display(&as, &as.a[R_BIRTHDAY], reader, &d) == 0);
	T_STREQ(buf_cstr(&d), "29 February");
	answers_free(&as);
	kv_free(&f);
	reader = langset_at(langs, 0);
	buf_free(&d);
}

/* The shipped hiking day's definition and its form keys. */
static struct procedure *
hiking(struct formkeys *k)
{
	char			 path[600];
	const char		*src = __FILE__, *cut = strstr(src, "tests/unit/");
	struct procedure	*p;

	snprintf(path, sizeof(path), "%.*sforms/hiking.yaml", cut ? (int)(cut - src) : 0, src);
	if ((p = formdef_load_file(path, any_section, NULL, NULL)) != NULL && formkeys_build(k, p, NULL, 0) == -1) {
		formdef_free(p);
		p = NULL;
	}
	return p;
}

/* The hiking day's 60 and over, counted on its event day (2027-03-12): a birthday that day counts. */
static void
hiking_birthday_on_event_day(void)
{
	struct procedure	*p;
	struct formkeys		 k;
	struct kv_form		 f;
	struct answers		 as;
	const char		*rest = "&f_address=新宿区&f_name_kana=シケン&f_tel=0312345678&f_party=1"
				    "&f_walking=can-walk";
	char			 body[512];

	T_CHECK((p = hiking(&k)) != NULL);
	snprintf(body, sizeof(body), "f_birth_date=1967-03-12%s", rest);
	T_CHECK(read_for(p, &k, body, &f, &as) == 0);
	T_CHECK(as.nerrors == 0);
	answers_free(&as);
	kv_free(&f);
	snprintf(body, sizeof(body), "f_birth_date=昭和42年3月13日%s", rest);
	T_CHECK(read_for(p, &k, body, &f, &as) == 0);
	T_CHECK(as.nerrors == 1);
	T_STREQ(as.a[2].field->key, "birth_date");
	T_STREQ(buf_cstr(&as.a[2].error), "この手続きは2027年3月12日（金）時点で60歳以上の方が対象です");
	answers_free(&as);
	kv_free(&f);
	formkeys_free(&k);
	formdef_free(p);
}

/* The hiking day's group: its party counts the companions, whose names and age are asked for. */
static void
hiking_party_counts_people(void)
{
	struct procedure	*p;
	struct formkeys		 k;
	struct kv_form		 f;
	struct answers		 as;
	const char		*base = "f_birth_date=1960-01-01&f_address=新宿区&f_name_kana=シケン&f_tel=0312345678"
				    "&f_walking=can-walk";
	char			 body[512];

	T_CHECK((p = hiking(&k)) != NULL);
	T_CHECK(p->group_field != NULL && strcmp(p->group_field->key, "party") == 0);
	snprintf(body, sizeof(body), "%s&f_party=3&f_companion1_kana=ドウコウ&f_companion2_kana=ドウコウ"
	    "&f_companions_age=over-60", base);
	T_CHECK(read_for(p, &k, body, &f, &as) == 0);
	T_CHECK(as.nerrors == 0 && places_people(&as) == 3);
	answers_free(&as);
	kv_free(&f);
	/* two people without the companion's name and age: refused */
	snprintf(body, sizeof(body), "%s&f_party=2", base);
	T_CHECK(read_for(p, &k, body, &f, &as) == 0);
	T_CHECK(as.nerrors == 2);
	answers_free(&as);
	kv_free(&f);
	snprintf(body, sizeof(body), "%s&f_party=1&f_companion_kana=ドウコウ", base);
	T_CHECK(read_for(p, &k, body, &f, &as) == 0);
	T_CHECK(as.nerrors == 0 && places_people(&as) == 1);
	answers_free(&as);
	kv_free(&f);
	formkeys_free(&k);
	formdef_free(p);
}

int
main(void)
{
	struct buf err;
	char dir[4096];
	int rc;

	buf_init(&err);
	proc = formdef_load_mem("t.yaml", yaml, strlen(yaml), any_section, NULL, &err);
	if (proc == NULL || t_locale_dir(dir, sizeof(dir)) == -1 || (langs = langset_load(dir, &err)) == NULL) {
		printf("# %s", buf_cstr(&err));
		return 1;
	}
	reader = langset_at(langs, 0);
	rules = formdef_load_mem("r.yaml", rules_yaml, strlen(rules_yaml), any_section, NULL, &err);
	if (rules == NULL) {
		printf("# %s", buf_cstr(&err));
		return 1;
	}
	if (formkeys_build(&keys, proc, NULL, 0) == -1 || formkeys_build(&rules_keys, rules, NULL, 0) == -1)
		return 1;
	T_RUN(valid_input_canonical_json);
	T_RUN(missing_required_names_label);
	T_RUN(unknown_choice_is_error);
	T_RUN(empty_choice_is_no_choice);
	T_RUN(shown_conditional_field_is_checked);
	T_RUN(bad_value_kept_for_correction);
	T_RUN(display_labels_postal_date);
	T_RUN(display_in_english);
	T_RUN(messages_in_english);
	T_RUN(checkbox_more_than_choices_rejected);
	T_RUN(after_day_by_day);
	T_RUN(after_same_day_allowed);
	T_RUN(after_waits_for_the_other);
	T_RUN(number_between_other_answers);
	T_RUN(residence_in_ward);
	T_RUN(residence_work_or_study);
	T_RUN(month_day_read_and_shown);
	T_RUN(rules_in_english);
	T_RUN(hiking_birthday_on_event_day);
	T_RUN(hiking_party_counts_people);
	rc = T_DONE();
	formkeys_free(&keys);
	formkeys_free(&rules_keys);
	formdef_free(proc);
	langset_free(langs);
	formdef_free(rules);
	buf_free(&err);
	return rc;
}
