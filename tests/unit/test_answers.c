/*
 * Unit tests for lib/answers.c: a submission read and checked against a
 * definition, its messages and display in Japanese and in English (the
 * catalogues the build compiled).
 */
#include <stdlib.h>

#include "answers.h"
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

static struct procedure *proc;
static struct formkeys keys;
static struct langset *langs;
static const struct lang *reader;	/* the language read_body reads in */

static int
any_section(const char *id, void *arg)
{
	(void)id;
	(void)arg;
	return 1;
}

/* Parse body and read the answers; 0 on success. */
static int
read_body(const char *body, struct kv_form *f, struct answers *as)
{
	struct jn_date today = { 2026, 11, 22 };

	if (kv_parse_urlencoded(f, keys.decls, keys.n, body, strlen(body), 64) == -1)
		return -1;
	return answers_read(as, proc, f, &keys, today, reader);
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
	if (formkeys_build(&keys, proc, NULL, 0) == -1)
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
	rc = T_DONE();
	formkeys_free(&keys);
	formdef_free(proc);
	langset_free(langs);
	buf_free(&err);
	return rc;
}
