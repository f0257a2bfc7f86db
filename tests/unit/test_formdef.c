/*
 * formdef and formset: every refusal with its exact position, the values of
 * a good definition, the opening window, reloading, and the nine real forms.
 * Fixtures live in tests/unit/formdef_fixtures/ (dummy data only).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formdef.h"
#include "formset.h"
#include "t.h"

static char	 srcdir[512];	/* the repository root, from __FILE__ */
static char	 fixpath[1024];
static struct buf errs;

static void
find_srcdir(void)
{
	const char	*f = __FILE__, *cut = strstr(f, "tests/unit/");
	size_t		 n = cut ? (size_t)(cut - f) : 0;

	if (n == 0 || n >= sizeof(srcdir))
		strcpy(srcdir, ".");
	else {
		memcpy(srcdir, f, n - 1);
		srcdir[n - 1] = '\0';
	}
}

static int
sections(const char *id, void *arg)
{
	(void)arg;
	return strcmp(id, "yotsuya-hc") == 0 || strcmp(id, "gomi-genryo") == 0 ||
	    strcmp(id, "chiiki-care") == 0;
}

static struct procedure *
fixture(const char *name)
{
	snprintf(fixpath, sizeof(fixpath), "%s/tests/unit/formdef_fixtures/%s", srcdir, name);
	buf_reset(&errs);
	return formdef_load_file(fixpath, sections, NULL, &errs);
}

static size_t
error_lines(void)
{
	const char	*s = buf_cstr(&errs);
	size_t		 n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Is there a line "<path>:<pos>: ...msg..." in errs? */
static int
has_error(const char *path, const char *pos, const char *msg)
{
	char		 head[1200], one[2048];
	const char	*line = buf_cstr(&errs), *end;
	size_t		 hl, len;

	snprintf(head, sizeof(head), "%s:%s: ", path, pos);
	hl = strlen(head);
	for (; *line != '\0'; line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			return 0;
		if ((len = (size_t)(end - line)) >= sizeof(one) || strncmp(line, head, hl) != 0)
			continue;
		memcpy(one, line, len);
		one[len] = '\0';
		if (strstr(one + hl, msg) != NULL)
			return 1;
	}
	return 0;
}

/* The fixture is refused with exactly nerr messages, one of them msg at pos. */
static int
refused(const char *name, const char *pos, const char *msg, size_t nerr)
{
	struct procedure	*p = fixture(name);
	int			 ok;

	ok = p == NULL && has_error(fixpath, pos, msg) && error_lines() == nerr;
	if (!ok)
		printf("#   %s: got:\n%s", name, buf_cstr(&errs));
	formdef_free(p);
	return ok;
}

#define BAD(fn, file, pos, msg)		BADN(fn, file, pos, msg, 1)
#define BADN(fn, file, pos, msg, n)					\
static void								\
fn(void)								\
{									\
	T_CHECK(refused(file, pos, msg, n));				\
}

/* ------------------------------------------------------------------ */
/* Refusals, one per mistake an admin can make. */

/* A number field from 1 to 3 as the group's size. */
static void
good_group_number(void)
{
	struct procedure *p = fixture("good-group.yaml");

	T_CHECK(p != NULL && p->group_field != NULL && strcmp(p->group_field->key, "party") == 0);
	formdef_free(p);
}

BAD(bad_group_field, "bad-group-field.yaml", "7:13", "'group_size' names no field ('party')")
BAD(bad_group_type, "bad-group-type.yaml", "7:13", "'group_size' field 'name' must be a radio or select whose "
    "choice values are whole numbers 1 to 9, or a number with min >= 1 and max <= 9")
BAD(bad_group_values, "bad-group-values.yaml", "7:13", "'group_size' field 'party' must be a radio or select")
/* A choice whose value was refused leaves no value to judge: the group key is refused, nothing read. */
BADN(bad_group_no_value, "bad-group-no-value.yaml", "7:13", "'group_size' field 'party' must be a radio or select",
    2)
BAD(bad_group_number, "bad-group-number.yaml", "7:13", "'group_size' field 'party' must be a radio or select")
BAD(bad_lottery_open, "bad-lottery-open.yaml", "8:1", "'lottery: true' needs 'closes_at' (lots are drawn once "
    "applications have closed)")
BAD(bad_lottery_mail, "bad-lottery-mail.yaml", "9:1", "'lottery: true' needs 'mail.reserve', since this "
    "procedure sends mails")
BAD(bad_won_first_come, "bad-won-first-come.yaml", "8:1", "'mail.won' is a lottery's result: only with "
    "'lottery: true'")
BAD(bad_lang_tag, "bad-lang-tag.yaml", "10:21", "'label': 'EN' is not a language tag (ja, en, zh-hant ...)")
BAD(bad_lang_no_ja, "bad-lang-no-ja.yaml", "10:12", "'label' in several languages needs its Japanese ('ja: ...')")
BAD(bad_lang_twice, "bad-lang-twice.yaml", "10:31", "'label': 'en' given twice")
BAD(bad_lang_empty, "bad-lang-empty.yaml", "10:25", "'label.en' must not be empty")
BAD(bad_lang_line_break, "bad-lang-line-break.yaml", "10:25",
    "'label.en' contains a control character or line break (use one line)")
BAD(bad_lang_nested, "bad-lang-nested.yaml", "10:17", "'label.ja' must be text, not a mapping")
BAD(bad_syntax, "bad-syntax.yaml", "11:1", "YAML syntax error: found unexpected end of stream")
BAD(bad_not_mapping, "bad-not-mapping.yaml", "1:1", "the file must be a mapping")
BAD(bad_unknown_key, "bad-unknown-key.yaml", "7:1",
    "unknown key 'titel' at the top level (did you mean 'title'?)")
BAD(bad_unknown_field_key, "bad-unknown-field-key.yaml", "11:5",
    "unknown key 'requred' in a field (did you mean 'required'?)")
BADN(bad_unknown_choice_key, "bad-unknown-choice-key.yaml", "13:9",
    "unknown key 'lable' in a choice (did you mean 'label'?)", 2)
BAD(bad_duplicate_key, "bad-duplicate-key.yaml", "7:1",
    "duplicate key 'title' at the top level (first given at line 2)")
BAD(bad_duplicate_field_attr, "bad-duplicate-field-attr.yaml", "11:5",
    "duplicate key 'label' in a field (first given at line 10)")
BAD(bad_missing_id, "bad-missing-id.yaml", "1:1", "missing required key 'id'")
BAD(bad_missing_title, "bad-missing-title.yaml", "1:1", "missing required key 'title'")
BAD(bad_missing_section, "bad-missing-section.yaml", "1:1", "missing required key 'section'")
BAD(bad_missing_opens_at, "bad-missing-opens-at.yaml", "1:1", "missing required key 'opens_at'")
BAD(bad_missing_retention, "bad-missing-retention.yaml", "1:1",
    "missing required key 'retention_days'")
BAD(bad_missing_contact, "bad-missing-contact.yaml", "1:1", "missing required key 'contact'")
BAD(bad_missing_fields, "bad-missing-fields.yaml", "1:1", "missing required key 'fields'")
BAD(bad_missing_field_key, "bad-missing-field-key.yaml", "8:5",
    "missing required key 'key' in this field")
BAD(bad_missing_field_type, "bad-missing-field-type.yaml", "8:5",
    "missing required key 'type' in this field")
BAD(bad_missing_field_label, "bad-missing-field-label.yaml", "8:5",
    "missing required key 'label' in this field")
BAD(bad_id_mismatch, "bad-id-mismatch.yaml", "1:5",
    "id 'other-name' does not match the file name (expected 'bad-id-mismatch.yaml')")
BAD(bad_id_syntax, "bad-id-syntax.yaml", "1:5", "'id' must be 1 to 40 of a-z, 0-9 and '-', not 'Bad_Id'")
BAD(bad_key_syntax, "bad-key-syntax.yaml", "8:10", "'key' must be a lower-case letter")
BAD(bad_duplicate_field, "bad-duplicate-field.yaml", "11:5",
    "duplicate field key 'name' (first defined at line 8)")
BAD(bad_field_type, "bad-field-type.yaml", "9:11", "unknown field type 'txt' (did you mean 'text'?)")
BAD(bad_field_type_far, "bad-field-type-far.yaml", "9:11",
    "unknown field type 'string'; known: text, textarea, kana, postal, tel, email, date, number, "
    "radio, select, checkbox, month_day")
BAD(bad_date, "bad-date.yaml", "4:11", "'2026-02-30 09:00' is not a valid date and time: "
    "there is no such day in that month")
BAD(bad_time, "bad-time.yaml", "4:11", "the hour must be 00 to 23")
BAD(bad_date_format, "bad-date-format.yaml", "4:11",
    "'opens_at' must be a date and time like 2026-04-01 09:00 (JST), not 'April 1, 2026'")
BAD(bad_event_date, "bad-event-date.yaml", "7:13",
    "'event_date': '2027-02-29' is not a valid date: there is no such day in that month")
BAD(bad_closes_before, "bad-closes-before.yaml", "7:12", "'closes_at' must be after 'opens_at'")
BAD(bad_section, "bad-section.yaml", "3:10", "unknown section 'kusho'")
BAD(bad_choices_missing, "bad-choices-missing.yaml", "8:5",
    "missing required key 'choices' for a radio field")
BAD(bad_choices_empty, "bad-choices-empty.yaml", "11:14", "not an empty list")
BAD(bad_choices_duplicate, "bad-choices-duplicate.yaml", "14:9", "duplicate choice value 'a'")
BAD(bad_choices_on_text, "bad-choices-on-text.yaml", "11:5",
    "'choices' applies only to radio, select and checkbox fields, not to a text field")
BAD(bad_choice_value, "bad-choice-value.yaml", "12:16", "'value' must be 1 to 32 of a-z")
BAD(bad_min_on_text, "bad-min-on-text.yaml", "11:5",
    "'min' applies only to number fields, not to a text field")
BAD(bad_min_gt_max, "bad-min-gt-max.yaml", "12:10", "'max' (5) is less than 'min' (10)")
BAD(bad_min_age_no_event, "bad-min-age-no-event.yaml", "11:5",
    "'min_age' needs the procedure's 'event_date'")
BAD(bad_max_age, "bad-max-age.yaml", "13:14", "'max_age' (50) is less than 'min_age' (60)")
BAD(bad_max_select, "bad-max-select.yaml", "11:17",
    "'max_select' (3) is more than the number of choices (2)")
BAD(bad_show_if_unknown, "bad-show-if-unknown.yaml", "18:14", "show_if refers to unknown field 'cours'")
BAD(bad_show_if_later, "bad-show-if-later.yaml", "12:14",
    "show_if must refer to a field defined earlier; 'course' comes later")
BAD(bad_show_if_value, "bad-show-if-value.yaml", "19:14",
    "show_if value 'b' is not one of the choices of 'course'")
BAD(bad_show_if_not_choice, "bad-show-if-not-choice.yaml", "15:14",
    "show_if field 'name' is a text field; it must be radio, select or checkbox")
BAD(bad_after_unknown, "bad-after-unknown.yaml", "15:14", "'after' refers to unknown field 'lone'")
BAD(bad_after_type, "bad-after-type.yaml", "15:14",
    "'after' field 'loan' is a text field; it must be a date field")
BAD(bad_after_on_text, "bad-after-on-text.yaml", "14:5",
    "'after' applies only to date fields, not to a text field")
BAD(bad_after_self, "bad-after-self.yaml", "12:14", "'after' cannot refer to this field itself")
BAD(bad_after_max_days, "bad-after-max-days.yaml", "17:17", "'max_days' (3) is less than 'min_days' (7)")
BAD(bad_after_unknown_key, "bad-after-unknown-key.yaml", "16:7",
    "unknown key 'max_day' in after (did you mean 'max_days'?)")
BAD(bad_at_most_type, "bad-at-most-type.yaml", "14:14",
    "'at_most' field 'people' is a date field; it must be a number field")
BAD(bad_at_least_unknown, "bad-at-least-unknown.yaml", "14:15", "'at_least' refers to unknown field 'peeple'")
BAD(bad_residence_unknown, "bad-residence-unknown.yaml", "8:12", "'residence' refers to unknown field 'adress'")
BAD(bad_residence_type, "bad-residence-type.yaml", "8:12",
    "residence field 'postal' is a postal field; it must be a text or textarea field")
BAD(bad_residence_optional, "bad-residence-optional.yaml", "8:12",
    "residence field 'address' must be required and always shown")
BAD(bad_residence_unless_value, "bad-residence-unless-value.yaml", "11:20",
    "unless value 'school' is not one of the choices of 'residency'")
BAD(bad_residence_unless_type, "bad-residence-unless-type.yaml", "10:12",
    "unless field 'residency' is a checkbox field; it must be a radio or select field")

BAD(bad_maxlength, "bad-maxlength.yaml", "11:16", "'maxlength' must be between 1 and 2000, not 2001")
BAD(bad_maxlength_zero, "bad-maxlength-zero.yaml", "11:16", "'maxlength' must be between 1 and 2000, not 0")
BAD(bad_retention, "bad-retention.yaml", "5:17", "'retention_days' must be between 1 and 3650, not 3651")
BAD(bad_retention_zero, "bad-retention-zero.yaml", "5:17", "between 1 and 3650, not 0")
BAD(bad_autocomplete, "bad-autocomplete.yaml", "11:19",
    "unknown autocomplete token 'postal_code' (did you mean 'postal-code'?)")
BAD(bad_autocomplete_order, "bad-autocomplete-order.yaml", "11:19",
    "unknown autocomplete token 'tel work'")
BAD(bad_autocomplete_multiline, "bad-autocomplete-multiline.yaml", "11:19",
    "'street-address' fills several lines: use it on a textarea field, or 'address-line1' on a one-line field")
BAD(bad_autocomplete_radio, "bad-autocomplete-radio.yaml", "11:5",
    "'autocomplete' applies only to text, textarea, kana, postal, tel, email, date, number, select and "
    "month_day fields, not to a radio field")

static void
good_autocomplete_textarea(void)
{
	struct procedure	*p = fixture("good-autocomplete-textarea.yaml");

	T_CHECK(p != NULL);
	T_STREQ(formdef_field(p, "address")->autocomplete, "shipping street-address");
	formdef_free(p);
}

BAD(bad_kind, "bad-kind.yaml", "3:3", "'title' must be text, not a sequence (list)")
BAD(bad_kind_fields, "bad-kind-fields.yaml", "8:3", "'fields' must be a list of at least one field")
BAD(bad_required_bool, "bad-required-bool.yaml", "11:15", "'required' must be true or false")
BAD(bad_required_quoted, "bad-required-quoted.yaml", "11:15", "must be true or false (lower case, no quotes)")
BADN(bad_anchor, "bad-alias.yaml", "6:10", "YAML anchors (&c) are not allowed", 2)
BADN(bad_alias, "bad-alias.yaml", "7:19", "YAML aliases (*c) are not allowed", 2)
BAD(bad_tag, "bad-tag.yaml", "2:8", "YAML tags (tag:yaml.org,2002:binary) are not allowed")
BAD(bad_empty, "bad-empty.yaml", "1:1", "file is empty")
BAD(bad_comments_only, "bad-comments-only.yaml", "1:1", "file is empty")
BAD(bad_invalid_utf8, "bad-invalid-utf8.yaml", "10:12", "invalid UTF-8")
BAD(bad_control_char, "bad-control-char.yaml", "10:12", "control characters are not allowed")
BAD(bad_control_in_title, "bad-control-in-title.yaml", "2:8", "'title' contains a control character")
BAD(bad_multi_doc, "bad-multi-doc.yaml", "11:1", "only one YAML document is allowed")
BAD(bad_lottery, "bad-lottery.yaml", "7:1", "'lottery: true' needs 'capacity'")
BAD(bad_deep, "bad-deep.yaml", "11:24", "nested too deeply")
BAD(bad_waitlist_no_places, "bad-waitlist-no-places.yaml", "7:1", "'waitlist: true' needs places to wait for")
BAD(bad_waitlist_lottery, "bad-waitlist-lottery.yaml", "10:1", "'waitlist: true' is for first come")
BAD(bad_waitlist_no_mail, "bad-waitlist-no-mail.yaml", "8:1", "'waitlist: true' needs 'mail.promotion'")
BAD(bad_places_partial, "bad-places-partial.yaml", "15:9",
    "this choice has no 'places'; give every choice of 'course' its places, or none")
BAD(bad_places_checkbox, "bad-places-checkbox.yaml", "12:7",
    "'places' applies only to the choices of a radio or select field")
BAD(bad_places_zero, "bad-places-zero.yaml", "14:17", "'places' must be between 1 and 1000000, not 0")
BAD(bad_places_two, "bad-places-two.yaml", "15:5", "only one field's choices may carry 'places'")

static void
good_places(void)
{
	struct procedure	*p = fixture("good-places.yaml");
	const struct field	*f;

	T_CHECK(p != NULL);
	T_CHECK(p->capacity == 5 && p->waitlist && !p->lottery && formdef_first_come(p));
	T_CHECK((f = formdef_places_field(p)) != NULL && f == formdef_field(p, "course"));
	T_CHECK(f->choices[0].places == 3 && f->choices[1].places == 4);
	T_STREQ(p->mail_promotion.subject, "繰上げ");
	formdef_free(p);
}

/* Loading goes on after the first mistake. */
static void
bad_several(void)
{
	struct procedure *p = fixture("bad-several.yaml");

	T_CHECK(p == NULL);
	T_CHECK(error_lines() == 3);
	T_CHECK(has_error(fixpath, "7:1", "unknown key 'capcity' at the top level (did you mean 'capacity'?)"));
	T_CHECK(has_error(fixpath, "4:11", "'2026-04-31 09:00' is not a valid date and time"));
	T_CHECK(has_error(fixpath, "13:11", "unknown field type 'phone'"));
}

static const char minimal[] =
    "id: big\ntitle: t\nsection: gomi-genryo\nopens_at: 2026-04-01 09:00\nretention_days: 1\n"
    "contact: c\nfields:\n  - key: name\n    type: text\n    label: 氏名\n";

/* A file of exactly `size` bytes: the minimal definition padded with comments. */
static char *
padded(size_t size)
{
	char	*s;
	size_t	 i;

	if ((s = malloc(size)) == NULL)
		return NULL;
	memcpy(s, minimal, sizeof(minimal) - 1);
	for (i = 0; i < size - (sizeof(minimal) - 1); i++)
		s[sizeof(minimal) - 1 + i] = i % 64 == 0 ? '#' : (i % 64 == 63 ? '\n' : 'x');
	s[size - 1] = '\n';
	return s;
}

static void
bad_too_large(void)
{
	struct procedure	*p;
	char			*s = padded(256 * 1024 + 1);

	T_CHECK(s != NULL);
	buf_reset(&errs);
	p = formdef_load_mem("forms/big.yaml", s, 256 * 1024 + 1, sections, NULL, &errs);
	free(s);
	T_CHECK(p == NULL);
	T_STREQ(buf_cstr(&errs), "forms/big.yaml:1:1: file is larger than 256 KiB\n");
}

static void
good_largest(void)
{
	struct procedure	*p;
	char			*s = padded(256 * 1024);

	T_CHECK(s != NULL);
	buf_reset(&errs);
	p = formdef_load_mem("forms/big.yaml", s, 256 * 1024, sections, NULL, &errs);
	free(s);
	T_CHECK(p != NULL);
	formdef_free(p);
}

static void
bad_no_file(void)
{
	struct procedure *p = fixture("no-such-file.yaml");

	T_CHECK(p == NULL);
	T_CHECK(has_error(fixpath, "1:1", "cannot open"));
}

static void
bad_directory(void)
{
	struct procedure *p;

	buf_reset(&errs);
	p = formdef_load_file("/tmp", sections, NULL, &errs);
	T_CHECK(p == NULL);
	T_STREQ(buf_cstr(&errs), "/tmp:1:1: not a regular file\n");
}

/* Messages quote file content only in a cleaned, shortened form. */
static void
bad_hostile_key(void)
{
	static const char y[] = "\"\\e[31mevil\\x07\": 1\n";
	struct procedure *p;

	buf_reset(&errs);
	p = formdef_load_mem("x.yaml", y, sizeof(y) - 1, sections, NULL, &errs);
	T_CHECK(p == NULL);
	T_CHECK(strchr(buf_cstr(&errs), '\x1b') == NULL);
	T_CHECK(strchr(buf_cstr(&errs), '\x07') == NULL);
	T_CHECK(has_error("x.yaml", "1:1", "unknown key '?[31mevil?'"));
}

/* A UTF-8 byte order mark, as some Windows editors write, is accepted. */
static void
good_bom(void)
{
	static const char	y[] = "\xef\xbb\xbfid: bom\ntitle: t\nsection: gomi-genryo\n"
	    "opens_at: 2026-04-01 09:00\nretention_days: 1\ncontact: c\nfields:\n"
	    "  - {key: a, type: text, label: A}\n";
	struct procedure	*p;

	buf_reset(&errs);
	p = formdef_load_mem("bom.yaml", y, sizeof(y) - 1, sections, NULL, &errs);
	T_CHECK(p != NULL);
	T_STREQ(p->id, "bom");
	formdef_free(p);
}

static void
errs_may_be_null(void)
{
	T_CHECK(formdef_load_mem("x.yaml", "[", 1, NULL, NULL, NULL) == NULL);
}

/* ------------------------------------------------------------------ */
/* A good definition */

static void
good_values(void)
{
	struct procedure	*p = fixture("good.yaml");

	T_CHECK(p != NULL);
	T_CHECK(error_lines() == 0);
	T_STREQ(p->id, "good");
	T_STREQ(p->title, "テスト手続き");
	T_STREQ(p->section, "gomi-genryo");
	T_STREQ(p->description, "説明の1行目\n説明の2行目\n");
	T_CHECK(p->opens_at == 1775001600);	/* 2026-04-01 00:00 UTC */
	T_CHECK(p->closes_at == 1777537800);	/* 2026-04-30 08:30 UTC, written with 'T' */
	T_CHECK(p->event_y == 2026 && p->event_m == 5 && p->event_d == 30);
	T_CHECK(p->capacity == 100 && p->lottery == 1 && p->retention_days == 365);
	T_STREQ(p->contact, "テスト課 電話 03-0000-0000");
	T_STREQ(p->complete_message, "ありがとうございました。");
	T_STREQ(p->mail_arrival.subject, "{{title}}が届きました（{{receipt}}）");
	T_STREQ(p->mail_arrival.body, "受付番号：{{receipt}}\n{{contact}}\n");
	T_STREQ(p->mail_acceptance.body, "受け付けました。");
	T_CHECK(p->mail_return.subject == NULL && p->mail_return.body == NULL);
	T_STREQ(p->path, fixpath);
	formdef_free(p);
}

static void
good_fields(void)
{
	struct procedure	*p = fixture("good.yaml");
	const struct field	*f;

	T_CHECK(p != NULL && p->nfields == 8);
	f = &p->fields[0];
	T_CHECK(f->type == FT_RADIO && f->required && f->nchoices == 2);
	T_CHECK(f->line == 26 && f->column == 5);
	T_STREQ(f->choices[1].value, "survivors");
	T_STREQ(f->choices[1].label, "体験者の会");
	f = formdef_field(p, "diagnosed_on");
	T_CHECK(f == &p->fields[1] && f->type == FT_DATE && f->not_future && f->required);
	T_STREQ(f->show_if_field, "course");
	T_STREQ(f->show_if_value, "survivors");
	f = formdef_field(p, "name");
	T_CHECK(f->maxlength == 40 && f->summary && !f->required && f->show_if_field == NULL);
	T_STREQ(f->help, "全角で入力してください。");
	T_STREQ(f->autocomplete, "name");
	T_STREQ(formdef_field(p, "tel")->autocomplete, "work tel");
	f = formdef_field(p, "age");
	T_CHECK(f->type == FT_NUMBER && f->has_min && f->has_max && f->min == 18 && f->max == 120);
	f = formdef_field(p, "birth");
	T_CHECK(f->min_age == 60 && f->max_age == 120);
	f = formdef_field(p, "topics");
	T_CHECK(f->type == FT_CHECKBOX && f->max_select == 2 && f->nchoices == 3);
	T_CHECK(formdef_field(p, "comment")->type == FT_TEXTAREA);
	T_CHECK(formdef_field(p, "nope") == NULL);
	formdef_free(p);
}

static void
good_hash(void)
{
	static const char	y[] = "id: h\ntitle: t\nsection: s\nopens_at: 2026-04-01 09:00\n"
	    "retention_days: 1\ncontact: c\nfields:\n  - {key: a, type: text, label: A}\n";
	unsigned char		h[crypto_hash_sha256_BYTES];
	char			hex[65];
	struct procedure	*p;

	buf_reset(&errs);
	p = formdef_load_mem("dir/h.yaml", y, sizeof(y) - 1, NULL, NULL, &errs);
	T_CHECK(p != NULL);
	crypto_hash_sha256(h, (const unsigned char *)y, sizeof(y) - 1);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	T_STREQ(p->hash, hex);
	T_STREQ(p->path, "dir/h.yaml");
	formdef_free(p);
}

/* ------------------------------------------------------------------ */
/* Retention: what retention_days count from */

#define RET_HEAD "id: r\ntitle: t\nsection: s\nopens_at: 2026-04-01 09:00\nretention_days: 10\ncontact: c\n" \
    "fields:\n  - {key: a, type: text, label: A}\n"

static struct procedure *
retention_def(const char *extra)
{
	char y[512];

	snprintf(y, sizeof(y), "%s%s", RET_HEAD, extra);
	buf_reset(&errs);
	return formdef_load_mem("r.yaml", y, strlen(y), NULL, NULL, &errs);
}

/* Without the key: from the close when there is one, else from each receipt. */
static void
retention_from_defaults(void)
{
	struct procedure *p = retention_def("");

	T_CHECK(p != NULL && p->retention_from == RETAIN_FROM_RECEIPT);
	formdef_free(p);
	p = retention_def("closes_at: 2026-05-01 00:00\n");
	T_CHECK(p != NULL && p->retention_from == RETAIN_FROM_CLOSE);
	formdef_free(p);
	p = retention_def("closes_at: 2026-05-01 00:00\nretention_from: receipt\n");
	T_CHECK(p != NULL && p->retention_from == RETAIN_FROM_RECEIPT);
	T_STREQ(formdef_retention_name(p->retention_from), "receipt");
	formdef_free(p);
}

static void
bad_retention_from_close_without_closes_at(void)
{
	T_CHECK(retention_def("retention_from: close\n") == NULL);
	T_CHECK(has_error("r.yaml", "9:17", "'retention_from: close' needs 'closes_at'"));
}

static void
bad_retention_from_unknown(void)
{
	T_CHECK(retention_def("closes_at: 2026-05-01 00:00\nretention_from: event\n") == NULL);
	T_CHECK(has_error("r.yaml", "10:17", "unknown retention_from value 'event'"));
	T_CHECK(retention_def("retention_from: [close]\n") == NULL);
	T_CHECK(has_error("r.yaml", "9:17", "close or receipt"));
}

/* Expired: received retention_days or more before now; from the close, all on the same day. */
static void
retention_expired_edges(void)
{
	struct procedure	*p = retention_def("");
	time_t			 before, now = 1800000000, days = 10 * 24 * 60 * 60;

	T_CHECK(p != NULL);
	formdef_expired(p, now, &before);
	T_CHECK(before == now - days + 1);	/* received exactly 10 days ago: erased; a second later: kept */
	formdef_free(p);
	p = retention_def("closes_at: 2026-05-01 00:00\n");
	T_CHECK(p != NULL);
	formdef_expired(p, p->closes_at + days - 1, &before);
	T_CHECK(before == 0);
	formdef_expired(p, p->closes_at + days, &before);
	T_CHECK(before > p->closes_at + days);
	formdef_free(p);
}

/* Without a section callback, any well-formed section id is accepted. */
static void
good_no_section_check(void)
{
	struct procedure *p;

	snprintf(fixpath, sizeof(fixpath), "%s/tests/unit/formdef_fixtures/bad-section.yaml", srcdir);
	p = formdef_load_file(fixpath, NULL, NULL, NULL);
	T_CHECK(p != NULL);
	T_STREQ(p->section, "kusho");
	formdef_free(p);
}

static void
type_names(void)
{
	T_STREQ(formdef_type_name(FT_TEXT), "text");
	T_STREQ(formdef_type_name(FT_KANA), "kana");
	T_STREQ(formdef_type_name(FT_CHECKBOX), "checkbox");
	T_STREQ(formdef_type_name((enum field_type)99), "unknown");
}

/* ------------------------------------------------------------------ */
/* The opening window */

static void
state_window(void)
{
	struct procedure *p = fixture("good.yaml");

	T_CHECK(p != NULL);
	T_CHECK(formdef_state(p, p->opens_at - 1) == -1);
	T_CHECK(formdef_state(p, p->opens_at) == 0);
	T_CHECK(formdef_state(p, p->closes_at - 1) == 0);
	T_CHECK(formdef_state(p, p->closes_at) == 1);
	T_CHECK(formdef_state(p, p->closes_at + 86400 * 365) == 1);
	formdef_free(p);
}

static void
state_no_closing(void)
{
	struct procedure *p = fixture("minimal.yaml");

	T_CHECK(p != NULL && p->closes_at == 0);
	T_CHECK(formdef_state(p, p->opens_at - 60) == -1);
	T_CHECK(formdef_state(p, p->opens_at) == 0);
	T_CHECK(formdef_state(p, p->opens_at + 86400LL * 365 * 50) == 0);
	formdef_free(p);
}

/* ------------------------------------------------------------------ */
/* formset */

static char tmpdir[64];

static int
write_file(const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;
	int	 rc;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) == 0 ? rc : -1;
}

static int
remove_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return unlink(path);
}

/* A valid definition for id with the given title and opening time. */
static char *
def(const char *id, const char *title, const char *opens)
{
	static char s[512];

	snprintf(s, sizeof(s), "id: %s\ntitle: %s\nsection: gomi-genryo\nopens_at: %s\n"
	    "retention_days: 30\ncontact: c\nfields:\n  - key: name\n    type: text\n"
	    "    label: 氏名\n", id, title, opens);
	return s;
}

static int
setup_tmp(void)
{
	strcpy(tmpdir, "/tmp/test_formdef.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static void
cleanup_tmp(const char *const *names, size_t n)
{
	while (n-- > 0)
		remove_file(names[n]);
	rmdir(tmpdir);
}

static void
formset_add_replace_remove(void)
{
	static const char *const names[] = { "a.yaml", "b.yaml", "notes.txt", ".c.yaml" };
	struct formset		*fs = formset_new();
	const struct procedure	*a;

	T_CHECK(fs != NULL && setup_tmp() == 0);
	buf_reset(&errs);
	T_CHECK(write_file("a.yaml", def("a", "最初", "2026-04-01 09:00")) == 0);
	T_CHECK(write_file("notes.txt", "not a definition") == 0);
	T_CHECK(write_file(".c.yaml", "hidden: [") == 0);
	T_CHECK(formset_reload(fs, tmpdir, sections, NULL, &errs) == 0);
	T_CHECK(formset_count(fs) == 1 && (a = formset_get(fs, "a")) != NULL);
	T_STREQ(a->title, "最初");

	/* unchanged: the very same procedure keeps serving */
	T_CHECK(formset_reload(fs, tmpdir, sections, NULL, &errs) == 0);
	T_CHECK(formset_get(fs, "a") == a);

	/* changed: replaced */
	T_CHECK(write_file("a.yaml", def("a", "二番目", "2026-04-01 09:00")) == 0);
	T_CHECK(write_file("b.yaml", def("b", "別", "2026-03-01 09:00")) == 0);
	T_CHECK(formset_reload(fs, tmpdir, sections, NULL, &errs) == 0);
	T_CHECK(formset_count(fs) == 2);
	T_STREQ(formset_get(fs, "a")->title, "二番目");
	T_STREQ(formset_at(fs, 0)->id, "b");	/* opens earlier */
	T_STREQ(formset_at(fs, 1)->id, "a");
	T_CHECK(formset_at(fs, 2) == NULL);

	/* deleted: removed */
	T_CHECK(remove_file("b.yaml") == 0);
	T_CHECK(formset_reload(fs, tmpdir, sections, NULL, &errs) == 0);
	T_CHECK(formset_count(fs) == 1 && formset_get(fs, "b") == NULL);
	T_CHECK(error_lines() == 0);
	formset_free(fs);
	cleanup_tmp(names, 4);
}

static void
formset_broken_keeps_old(void)
{
	static const char *const names[] = { "a.yaml", "b.yaml" };
	struct formset		*fs = formset_new();
	const struct procedure	*a;
	char			 path[256];

	T_CHECK(fs != NULL && setup_tmp() == 0);
	buf_reset(&errs);
	T_CHECK(write_file("a.yaml", def("a", "動いている版", "2026-04-01 09:00")) == 0);
	T_CHECK(formset_reload(fs, tmpdir, sections, NULL, &errs) == 0);
	a = formset_get(fs, "a");
	T_CHECK(write_file("a.yaml", "id: a\ntitle: [壊れた\n") == 0);
	T_CHECK(write_file("b.yaml", def("b", "t", "2026-13-01 09:00")) == 0);
	T_CHECK(formset_reload(fs, tmpdir, sections, NULL, &errs) == 2);
	T_CHECK(formset_get(fs, "a") == a);
	T_STREQ(a->title, "動いている版");
	T_CHECK(formset_get(fs, "b") == NULL && formset_count(fs) == 1);
	snprintf(path, sizeof(path), "%s/a.yaml", tmpdir);
	T_CHECK(has_error(path, "3:1", "YAML syntax error"));
	snprintf(path, sizeof(path), "%s/b.yaml", tmpdir);
	T_CHECK(has_error(path, "4:11", "there is no such month"));
	formset_free(fs);
	cleanup_tmp(names, 2);
}

/* Same opening time: ordered by id. */
static void
formset_order_ties(void)
{
	static const char *const names[] = { "m.yaml", "k.yaml", "z.yaml" };
	struct formset *fs = formset_new();

	T_CHECK(fs != NULL && setup_tmp() == 0);
	T_CHECK(write_file("m.yaml", def("m", "t", "2026-05-01 09:00")) == 0);
	T_CHECK(write_file("k.yaml", def("k", "t", "2026-05-01 09:00")) == 0);
	T_CHECK(write_file("z.yaml", def("z", "t", "2026-04-01T08:59")) == 0);
	T_CHECK(formset_reload(fs, tmpdir, sections, NULL, NULL) == 0);
	T_STREQ(formset_at(fs, 0)->id, "z");
	T_STREQ(formset_at(fs, 1)->id, "k");
	T_STREQ(formset_at(fs, 2)->id, "m");
	formset_free(fs);
	cleanup_tmp(names, 3);
}

static void
formset_no_dir(void)
{
	struct formset *fs = formset_new();

	T_CHECK(fs != NULL);
	buf_reset(&errs);
	T_CHECK(formset_reload(fs, "/nonexistent/forms", sections, NULL, &errs) == -1);
	T_CHECK(strstr(buf_cstr(&errs), "/nonexistent/forms: cannot read the directory") != NULL);
	T_CHECK(formset_count(fs) == 0);
	formset_free(fs);
}

/* participant_id: a prefix of capital letters, nothing else. */
static void
participant_id_key(void)
{
	static const char head[] = "id: p\ntitle: t\nsection: gomi-genryo\nopens_at: 2026-04-01 09:00\n"
	    "retention_days: 1\ncontact: c\nfields:\n  - {key: a, type: text, label: A}\n";
	char			 y[512];
	struct procedure	*p;

	snprintf(y, sizeof(y), "%sparticipant_id:\n  prefix: ECO\n", head);
	buf_reset(&errs);
	T_CHECK((p = formdef_load_mem("p.yaml", y, strlen(y), sections, NULL, &errs)) != NULL);
	T_STREQ(p->participant_prefix, "ECO");
	formdef_free(p);
	snprintf(y, sizeof(y), "%sparticipant_id:\n  prefix: eco\n", head);
	buf_reset(&errs);
	T_CHECK(formdef_load_mem("p.yaml", y, strlen(y), sections, NULL, &errs) == NULL);
	T_CHECK(strstr(buf_cstr(&errs), "p.yaml:10:11: 'prefix' must be 1 to 8 capital letters A-Z") != NULL);
	snprintf(y, sizeof(y), "%sparticipant_id:\n  prefix: ECOACTION\n", head);
	buf_reset(&errs);
	T_CHECK(formdef_load_mem("p.yaml", y, strlen(y), sections, NULL, &errs) == NULL);
	snprintf(y, sizeof(y), "%sparticipant_id:\n  prefx: ECO\n", head);
	buf_reset(&errs);
	T_CHECK(formdef_load_mem("p.yaml", y, strlen(y), sections, NULL, &errs) == NULL);
	T_CHECK(strstr(buf_cstr(&errs), "unknown key 'prefx' in participant_id (did you mean 'prefix'?)") != NULL);
	snprintf(y, sizeof(y), "%sparticipant_id: true\n", head);
	buf_reset(&errs);
	T_CHECK(formdef_load_mem("p.yaml", y, strlen(y), sections, NULL, &errs) == NULL);
}

/* Rules between fields and the residence rule, with their defaults; later fields may be named. */
static void
good_rules(void)
{
	struct procedure	*p = fixture("good-rules.yaml");
	const struct field	*f;

	if (p == NULL)
		printf("# %s", buf_cstr(&errs));
	T_CHECK(p != NULL);
	T_STREQ(p->residence.field, "address");
	T_STREQ(p->residence.unless_field, "residency");
	T_CHECK(p->residence.nunless == 2);
	T_STREQ(p->residence.unless_values[1], "study");
	f = formdef_field(p, "back");
	T_STREQ(f->after_field, "loan");
	T_CHECK(f->after_min_days == 0 && f->after_max_days == 14);
	f = formdef_field(p, "children");
	T_STREQ(f->at_least_field, "zero");
	T_STREQ(f->at_most_field, "people");
	T_CHECK(formdef_field(p, "birthday")->type == FT_MONTH_DAY);
	T_STREQ(formdef_type_name(FT_MONTH_DAY), "month_day");
	formdef_free(p);
}

/* ------------------------------------------------------------------ */
/* The nine real procedures */

static void
real_forms_load(void)
{
	static const char *const ids[] = {
		"women-health", "foodloss-monitor", "foodloss-shop", "fooddrive-loan",
		"smoking-plan", "smoking-report", "zero-waste-day", "hiking", "eco-action",
	};
	struct formset	*fs = formset_new();
	char		 dir[600];
	size_t		 i;

	T_CHECK(fs != NULL);
	snprintf(dir, sizeof(dir), "%s/forms", srcdir);
	buf_reset(&errs);
	T_CHECK(formset_reload(fs, dir, sections, NULL, &errs) == 0);
	if (errs.len > 0)
		printf("# %s", buf_cstr(&errs));
	T_CHECK(errs.len == 0);
	T_CHECK(formset_count(fs) == 9);
	for (i = 0; i < 9; i++)
		T_CHECK(formset_get(fs, ids[i]) != NULL);
	formset_free(fs);
}

/* Texts in several languages: each in the reader's, or the Japanese; what lacks a language, with its place. */
static void
good_languages(void)
{
	struct procedure	*p = fixture("good-languages.yaml");
	const struct field	*f;
	char			 want[4096];

	T_CHECK(p != NULL && (f = formdef_field(p, "name")) != NULL);
	T_STREQ(p->title, "言語のテスト");
	T_STREQ(formdef_text(p, "en", p->title), "A test of languages");
	T_STREQ(formdef_text(p, "ja", p->title), "言語のテスト");
	T_STREQ(formdef_text(p, NULL, p->title), "言語のテスト");
	T_STREQ(formdef_text(p, "fr", p->title), "言語のテスト");
	T_STREQ(formdef_text(p, "en", p->description), "The description.\n");
	T_STREQ(formdef_text(p, "en", p->contact), "テスト課 電話 03-0000-0000");
	T_STREQ(formdef_text(p, "en", f->label), "Full name");
	T_STREQ(formdef_text(p, "zh-hant", f->label), "姓名");
	T_STREQ(formdef_text(p, "en", f->help), "In full");
	T_STREQ(formdef_text(p, "en", p->mail_arrival.subject), "Received: {{receipt}}");
	T_STREQ(formdef_text(p, "en", p->fields[1].choices[0].label), "Course A");
	T_STREQ(formdef_text(p, "en", p->fields[1].choices[1].label), "Bコース");
	T_CHECK(formdef_text(p, "en", NULL) == NULL);
	T_CHECK(formdef_text(p, "en", "言語のテスト") == (const char *)"言語のテスト");	/* not one of p's */
	buf_reset(&errs);
	T_CHECK(formdef_missing(p, "en", &errs) == 3);
	snprintf(want, sizeof(want),
	    "%s:12:10: warning: 'contact' has no 'en' text: residents reading en see the Japanese\n"
	    "%s:24:12: warning: 'label' has no 'en' text: residents reading en see the Japanese\n"
	    "%s:29:16: warning: 'label' has no 'en' text: residents reading en see the Japanese\n",
	    fixpath, fixpath, fixpath);
	T_STREQ(buf_cstr(&errs), want);
	buf_reset(&errs);
	T_CHECK(formdef_missing(p, "zh-hant", &errs) == 9);
	formdef_free(p);
}

/* A definition written before texts had languages reads as it did, Japanese only. */
static void
plain_texts_are_japanese(void)
{
	struct procedure *p = fixture("minimal.yaml");

	T_CHECK(p != NULL);
	T_STREQ(formdef_text(p, "en", p->title), "テスト手続き");
	buf_reset(&errs);
	T_CHECK(formdef_missing(p, "en", &errs) == 3);	/* title, contact, label */
	formdef_free(p);
}

static struct procedure *
real(const char *id)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/forms/%s.yaml", srcdir, id);
	return formdef_load_file(path, sections, NULL, NULL);
}

static void
real_hiking(void)
{
	struct procedure	*p = real("hiking");
	const struct field	*f;

	T_CHECK(p != NULL);
	T_STREQ(p->section, "chiiki-care");
	T_CHECK(p->capacity == 280 && p->lottery && !p->waitlist && !formdef_first_come(p));
	T_CHECK(p->event_y == 2027 && p->event_m == 3 && p->event_d == 12);
	T_CHECK(p->opens_at == 1793491200);	/* 2026-11-01 09:00 JST */
	T_CHECK(formdef_state(p, p->opens_at) == 0 && formdef_state(p, p->closes_at) == 1);
	T_CHECK((f = formdef_field(p, "birth_date")) != NULL);
	T_CHECK(f->type == FT_DATE && f->min_age == 60 && f->not_future);
	T_CHECK(formdef_field(p, "name_kana")->type == FT_KANA);
	T_CHECK(!formdef_field(p, "email")->required);
	T_STREQ(p->residence.field, "address");
	T_CHECK(p->residence.unless_field == NULL);
	formdef_free(p);
}

/* The eco-action registration: a participant ID and a birthday without its year. */
static void
real_eco_action(void)
{
	struct procedure *p = real("eco-action");

	T_CHECK(p != NULL);
	T_STREQ(p->section, "gomi-genryo");
	T_STREQ(p->participant_prefix, "ECO");
	T_CHECK(formdef_field(p, "birthday")->type == FT_MONTH_DAY);
	T_CHECK(formdef_field(p, "nickname")->summary && formdef_field(p, "postal")->required);
	T_CHECK(strstr(p->mail_arrival.body, "{{participant_id}}") != NULL);
	formdef_free(p);
}

/* The residence rule and the loan's span, as the shipped definitions declare them. */
static void
real_rules(void)
{
	struct procedure	*p = real("foodloss-monitor");
	const struct field	*f;

	T_CHECK(p != NULL);
	T_STREQ(p->residence.field, "address");
	formdef_free(p);
	T_CHECK((p = real("fooddrive-loan")) != NULL);
	f = formdef_field(p, "return_date");
	T_STREQ(f->after_field, "loan_date");
	T_CHECK(f->after_min_days == 1 && f->after_max_days == 14);
	formdef_free(p);
}

static void
real_women_health(void)
{
	struct procedure	*p = real("women-health");
	const struct field	*f;

	T_CHECK(p != NULL);
	T_STREQ(p->section, "yotsuya-hc");
	T_CHECK((f = formdef_field(p, "diagnosed_on")) != NULL);
	T_STREQ(f->show_if_field, "course");
	T_STREQ(f->show_if_value, "survivors");
	f = formdef_field(p, "age");
	T_CHECK(f->type == FT_NUMBER && f->min == 18 && f->max == 120);
	T_CHECK(formdef_places_field(p) == formdef_field(p, "course") && p->waitlist && formdef_first_come(p));
	T_CHECK(formdef_field(p, "course")->choices[0].places == 30);
	T_CHECK(p->mail_promotion.subject != NULL);
	T_CHECK(formdef_field(p, "name")->summary);
	formdef_free(p);
}

static void
real_windows(void)
{
	static const char *const open_ended[] = {
		"foodloss-shop", "fooddrive-loan", "smoking-plan", "smoking-report",
	};
	struct procedure	*p;
	size_t			 i;

	for (i = 0; i < 4; i++) {
		T_CHECK((p = real(open_ended[i])) != NULL);
		T_CHECK(p->closes_at == 0 && p->opens_at == 1775001600);
		formdef_free(p);
	}
	T_CHECK((p = real("zero-waste-day")) != NULL);
	T_CHECK(p->opens_at == 1806537600 && p->closes_at == 1810800000);
	T_CHECK(p->event_y == 2027 && p->event_m == 5 && p->event_d == 30);
	formdef_free(p);
}

int
main(void)
{
	find_srcdir();
	buf_init(&errs);

	T_RUN(bad_lang_tag);
	T_RUN(bad_lang_no_ja);
	T_RUN(bad_lang_twice);
	T_RUN(bad_lang_empty);
	T_RUN(bad_lang_line_break);
	T_RUN(bad_lang_nested);
	T_RUN(bad_syntax);
	T_RUN(bad_not_mapping);
	T_RUN(bad_unknown_key);
	T_RUN(bad_unknown_field_key);
	T_RUN(bad_unknown_choice_key);
	T_RUN(bad_duplicate_key);
	T_RUN(bad_duplicate_field_attr);
	T_RUN(bad_missing_id);
	T_RUN(bad_missing_title);
	T_RUN(bad_missing_section);
	T_RUN(bad_missing_opens_at);
	T_RUN(bad_missing_retention);
	T_RUN(bad_missing_contact);
	T_RUN(bad_missing_fields);
	T_RUN(bad_missing_field_key);
	T_RUN(bad_missing_field_type);
	T_RUN(bad_missing_field_label);
	T_RUN(bad_id_mismatch);
	T_RUN(bad_id_syntax);
	T_RUN(bad_key_syntax);
	T_RUN(bad_duplicate_field);
	T_RUN(bad_field_type);
	T_RUN(bad_field_type_far);
	T_RUN(bad_date);
	T_RUN(bad_time);
	T_RUN(bad_date_format);
	T_RUN(bad_event_date);
	T_RUN(bad_closes_before);
	T_RUN(bad_section);
	T_RUN(bad_choices_missing);
	T_RUN(bad_choices_empty);
	T_RUN(bad_choices_duplicate);
	T_RUN(bad_choices_on_text);
	T_RUN(bad_choice_value);
	T_RUN(bad_min_on_text);
	T_RUN(bad_min_gt_max);
	T_RUN(bad_min_age_no_event);
	T_RUN(bad_max_age);
	T_RUN(bad_max_select);
	T_RUN(bad_show_if_unknown);
	T_RUN(bad_show_if_later);
	T_RUN(bad_show_if_value);
	T_RUN(bad_show_if_not_choice);
	T_RUN(bad_after_unknown);
	T_RUN(bad_after_type);
	T_RUN(bad_after_on_text);
	T_RUN(bad_after_self);
	T_RUN(bad_after_max_days);
	T_RUN(bad_after_unknown_key);
	T_RUN(bad_at_most_type);
	T_RUN(bad_at_least_unknown);
	T_RUN(bad_residence_unknown);
	T_RUN(bad_residence_type);
	T_RUN(bad_residence_optional);
	T_RUN(bad_residence_unless_value);
	T_RUN(bad_residence_unless_type);
	T_RUN(good_rules);
	T_RUN(participant_id_key);
	T_RUN(bad_maxlength);
	T_RUN(bad_maxlength_zero);
	T_RUN(bad_retention);
	T_RUN(bad_retention_zero);
	T_RUN(bad_autocomplete);
	T_RUN(bad_autocomplete_order);
	T_RUN(bad_autocomplete_multiline);
	T_RUN(bad_autocomplete_radio);
	T_RUN(good_autocomplete_textarea);
	T_RUN(bad_kind);
	T_RUN(bad_kind_fields);
	T_RUN(bad_required_bool);
	T_RUN(bad_required_quoted);
	T_RUN(bad_anchor);
	T_RUN(bad_alias);
	T_RUN(bad_tag);
	T_RUN(bad_empty);
	T_RUN(bad_comments_only);
	T_RUN(bad_invalid_utf8);
	T_RUN(bad_control_char);
	T_RUN(bad_control_in_title);
	T_RUN(bad_multi_doc);
	T_RUN(bad_lottery);
	T_RUN(bad_group_field);
	T_RUN(bad_group_type);
	T_RUN(bad_group_no_value);
	T_RUN(bad_group_values);
	T_RUN(bad_group_number);
	T_RUN(bad_lottery_open);
	T_RUN(bad_lottery_mail);
	T_RUN(bad_won_first_come);
	T_RUN(good_group_number);
	T_RUN(bad_deep);
	T_RUN(bad_waitlist_no_places);
	T_RUN(bad_waitlist_lottery);
	T_RUN(bad_waitlist_no_mail);
	T_RUN(bad_places_partial);
	T_RUN(bad_places_checkbox);
	T_RUN(bad_places_zero);
	T_RUN(bad_places_two);
	T_RUN(good_places);
	T_RUN(bad_several);
	T_RUN(bad_too_large);
	T_RUN(good_largest);
	T_RUN(bad_no_file);
	T_RUN(bad_directory);
	T_RUN(bad_hostile_key);
	T_RUN(good_bom);
	T_RUN(errs_may_be_null);
	T_RUN(good_values);
	T_RUN(good_fields);
	T_RUN(good_hash);
	T_RUN(retention_from_defaults);
	T_RUN(bad_retention_from_close_without_closes_at);
	T_RUN(bad_retention_from_unknown);
	T_RUN(retention_expired_edges);
	T_RUN(good_no_section_check);
	T_RUN(type_names);
	T_RUN(state_window);
	T_RUN(state_no_closing);
	T_RUN(formset_add_replace_remove);
	T_RUN(formset_broken_keeps_old);
	T_RUN(formset_order_ties);
	T_RUN(formset_no_dir);
	T_RUN(good_languages);
	T_RUN(plain_texts_are_japanese);
	T_RUN(real_forms_load);
	T_RUN(real_hiking);
	T_RUN(real_rules);
	T_RUN(real_eco_action);
	T_RUN(real_women_health);
	T_RUN(real_windows);
	buf_free(&errs);
	return T_DONE();
}
