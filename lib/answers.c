#include "answers.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

/* Bytes per character in the worst case of UTF-8, for byte limits from character limits. */
#define UTF8_MAX	4
#define FIELD_PREFIX	"f_"

static enum jn_type
jn_type_of(enum field_type t)
{
	switch (t) {
	case FT_TEXTAREA:	return JN_TEXTAREA;
	case FT_KANA:		return JN_KANA;
	case FT_POSTAL:		return JN_POSTAL;
	case FT_TEL:		return JN_TEL;
	case FT_EMAIL:		return JN_EMAIL;
	case FT_DATE:		return JN_DATE;
	case FT_NUMBER:		return JN_NUMBER;
	case FT_MONTH_DAY:	return JN_MONTH_DAY;
	default:		return JN_TEXT;
	}
}

static int
is_choice(enum field_type t)
{
	return t == FT_RADIO || t == FT_SELECT || t == FT_CHECKBOX;
}

/* The raw byte bound a field accepts before normalisation (generous: NFKC can shrink). */
static size_t
byte_limit(const struct field *f)
{
	size_t chars = f->maxlength ? f->maxlength : (f->type == FT_TEXTAREA ? 2000 : 200);

	if (is_choice(f->type))
		return 64;
	return chars * UTF8_MAX * 2;
}

int
formkeys_build(struct formkeys *k, const struct procedure *p, const struct kv_decl *control,
    size_t ncontrol)
{
	size_t	 i, namelen = 0, off = 0;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < p->nfields; i++)
		namelen += strlen(FIELD_PREFIX) + strlen(p->fields[i].key) + 1;
	k->n = ncontrol + p->nfields;
	k->decls = calloc(k->n, sizeof(*k->decls));
	k->names = malloc(namelen + 1);
	if (k->decls == NULL || k->names == NULL) {
		formkeys_free(k);
		return -1;
	}
	if (ncontrol > 0)
		memcpy(k->decls, control, ncontrol * sizeof(*control));
	k->first_field = ncontrol;
	for (i = 0; i < p->nfields; i++) {
		const struct field	*f = &p->fields[i];
		struct kv_decl		*d = &k->decls[ncontrol + i];

		d->name = k->names + off;
		off += (size_t)sprintf(k->names + off, FIELD_PREFIX "%s", f->key) + 1;
		d->maxlen = byte_limit(f);
		d->maxcount = f->type == FT_CHECKBOX ? (unsigned)f->nchoices : 1;
		d->valid = NULL;
	}
	return 0;
}

void
formkeys_free(struct formkeys *k)
{
	free(k->decls);
	free(k->names);
	memset(k, 0, sizeof(*k));
}

const struct choice *
answers_choice(const struct field *f, const char *value)
{
	size_t i;

	for (i = 0; i < f->nchoices; i++)
		if (strcmp(f->choices[i].value, value) == 0)
			return &f->choices[i];
	return NULL;
}

static int
set_error(struct answer *a, const char *fmt_label_suffix)
{
	buf_reset(&a->error);
	buf_puts(&a->error, a->field->label);
	buf_puts(&a->error, fmt_label_suffix);
	return a->error.oom ? -1 : 0;
}

static int
read_choice(struct answer *a, const struct kv_slot *slot)
{
	const struct field	*f = a->field;
	const struct choice	*c;
	unsigned		 i, given = 0;

	for (i = 0; i < slot->n; i++) {
		/* "" is the select's 「選択してください」 line, or an unanswered hidden field: no choice. */
		if (slot->v[i].len == 0)
			continue;
		given++;
		if ((c = answers_choice(f, slot->v[i].p)) == NULL)
			return set_error(a, "は表示されている選択肢から選んでください");
		if (f->type == FT_CHECKBOX)
			a->picked[c - f->choices] = 1;
		else if (buf_puts(&a->value, c->value) == -1)
			return -1;
	}
	if (f->type == FT_CHECKBOX) {
		size_t n = 0;

		for (i = 0; i < f->nchoices; i++)
			n += a->picked[i];
		if (f->max_select > 0 && n > f->max_select) {
			buf_reset(&a->error);
			buf_printf(&a->error, "%sは%u個まで選んでください", f->label, f->max_select);
			return a->error.oom ? -1 : 0;
		}
		if (n == 0 && f->required)
			return set_error(a, "を選んでください");
		return 0;
	}
	if (given == 0 && f->required)
		return set_error(a, "を選んでください");
	return 0;
}

static void
rules_for(const struct field *f, const struct procedure *p, struct jn_date today, struct jn_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->maxlength = f->maxlength;
	r->has_min = f->has_min;
	r->has_max = f->has_max;
	r->min = f->min;
	r->max = f->max;
	r->min_age = f->min_age;
	r->max_age = f->max_age;
	r->age_on.y = p->event_y;
	r->age_on.m = p->event_m;
	r->age_on.d = p->event_d;
	r->not_future = f->not_future;
	r->today = today;
}

static int
read_value(struct answer *a, const struct kv_slot *slot, const struct procedure *p, struct jn_date today)
{
	const struct field	*f = a->field;
	struct jn_rules		 rules;
	enum jn_err		 err;
	enum jn_type		 t = jn_type_of(f->type);

	rules_for(f, p, today, &rules);
	err = slot->n == 0 ? JN_EMPTY :
	    jn_normalize(t, slot->v[0].p, slot->v[0].len, &rules, &a->value);
	if (err == JN_NOMEM)
		return -1;
	if (err == JN_EMPTY) {
		buf_reset(&a->value);
		if (!f->required)
			return 0;
	}
	if (err == JN_OK)
		return 0;
	/* Keep what the resident typed so the form shows it back for correction. */
	buf_reset(&a->value);
	if (slot->n > 0 && buf_put(&a->value, slot->v[0].p, slot->v[0].len) == -1)
		return -1;
	buf_reset(&a->error);
	return jn_message(err, f->label, t, &rules, &a->error);
}

/* show_if: the controlling field comes earlier, so its answer is already read. */
static int
is_shown(const struct answers *as, size_t i)
{
	const struct field	*f = as->a[i].field;
	size_t			 j;

	if (f->show_if_field == NULL)
		return 1;
	for (j = 0; j < i; j++) {
		const struct answer *c = &as->a[j];

		if (strcmp(c->field->key, f->show_if_field) != 0)
			continue;
		if (!c->shown)
			return 0;
		if (c->field->type == FT_CHECKBOX) {
			const struct choice *ch = answers_choice(c->field, f->show_if_value);

			return ch != NULL && c->picked[ch - c->field->choices];
		}
		return strcmp(buf_cstr(&c->value), f->show_if_value) == 0;
	}
	return 0;
}

/* ---- rules between fields, once every answer is read ---- */

/* The name of the ward whose residents a definition's `residence` admits. */
#define WARD "新宿区"

static struct answer *
answer_of(const struct answers *as, const char *key)
{
	size_t i;

	for (i = 0; i < as->n; i++)
		if (strcmp(as->a[i].field->key, key) == 0)
			return &as->a[i];
	return NULL;
}

/* An answer a rule can judge: shown, given and well-formed; NULL otherwise (the rule waits). */
static struct answer *
judged(const struct answers *as, const char *key)
{
	struct answer *a = key != NULL ? answer_of(as, key) : NULL;

	return a != NULL && a->shown && a->value.len > 0 && a->error.len == 0 ? a : NULL;
}

/* "Xは" then what follows, as this answer's message. */
static int
rule_error(struct answers *as, struct answer *a, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
rule_error(struct answers *as, struct answer *a, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&a->error);
	buf_printf(&a->error, "%sは", a->field->label);
	va_start(ap, fmt);
	buf_vprintf(&a->error, fmt, ap);
	va_end(ap);
	as->nerrors++;
	return a->error.oom ? -1 : 0;
}

/* after: this date min_days to max_days after the other one. */
static int
check_after(struct answers *as, struct answer *a)
{
	const struct field	*f = a->field;
	const struct answer	*o = judged(as, f->after_field);
	const char		*ol;
	struct jn_date		 d, od;
	long			 days;
	struct buf		 when;
	int			 rc;

	if (o == NULL || jn_date_parse(buf_cstr(&a->value), &d) == -1 ||
	    jn_date_parse(buf_cstr(&o->value), &od) == -1)
		return 0;
	days = jn_days_between(od, d);
	if (days >= f->after_min_days && (f->after_max_days == 0 || days <= f->after_max_days))
		return 0;
	ol = o->field->label;
	buf_init(&when);
	if (f->after_min_days == 0)
		buf_printf(&when, "%sと同じ日かそれより後", ol);
	else if (f->after_min_days == 1)
		buf_printf(&when, "%sより後", ol);
	else
		buf_printf(&when, "%sの%d日後以降", ol, f->after_min_days);
	if (f->after_max_days > 0)
		rc = rule_error(as, a, "%sで、%sから%d日以内の日付を入力してください", buf_cstr(&when), ol,
		    f->after_max_days);
	else
		rc = rule_error(as, a, "%sの日付を入力してください", buf_cstr(&when));
	rc |= when.oom ? -1 : 0;
	buf_free(&when);
	return rc;
}

/* at_least / at_most: this number within the answers of other number fields. */
static int
check_bounds(struct answers *as, struct answer *a)
{
	const struct field	*f = a->field;
	const struct answer	*lo = judged(as, f->at_least_field), *hi = judged(as, f->at_most_field);
	long			 v = strtol(buf_cstr(&a->value), NULL, 10), l = 0, h = 0;

	if (lo != NULL)
		l = strtol(buf_cstr(&lo->value), NULL, 10);
	if (hi != NULL)
		h = strtol(buf_cstr(&hi->value), NULL, 10);
	if ((lo == NULL || v >= l) && (hi == NULL || v <= h))
		return 0;
	if (lo != NULL && hi != NULL)
		return rule_error(as, a, "%s（%ld）以上、%s（%ld）以下で入力してください", lo->field->label, l,
		    hi->field->label, h);
	if (lo != NULL)
		return rule_error(as, a, "%s（%ld）以上で入力してください", lo->field->label, l);
	return rule_error(as, a, "%s（%ld）以下で入力してください", hi->field->label, h);
}

/* residence: the address in the ward, unless an answer says the resident works or studies there. */
static int
check_residence(struct answers *as)
{
	const struct residence	*r = &as->proc->residence;
	struct answer		*a = judged(as, r->field), *u;
	const struct field	*uf;
	const struct choice	*ch;
	size_t			 i;
	int			 in;

	if (a == NULL)
		return 0;
	if ((u = answer_of(as, r->unless_field != NULL ? r->unless_field : "")) != NULL && u->shown)
		for (i = 0; i < r->nunless; i++)
			if (strcmp(buf_cstr(&u->value), r->unless_values[i]) == 0)
				return 0;
	if ((in = jn_address_in_ward(a->value.data, a->value.len, WARD)) != 0)
		return in == 1 ? 0 : -1;
	if (u == NULL)
		return rule_error(as, a, WARD "内の住所を入力してください。この手続きは" WARD
		    "にお住まいの方が対象です（例：" WARD "歌舞伎町1-4-1）");
	uf = u->field;
	rule_error(as, a, WARD "内の住所を入力してください。" WARD "外にお住まいの方は、「%s」で", uf->label);
	for (i = 0; i < r->nunless; i++)
		if ((ch = answers_choice(uf, r->unless_values[i])) != NULL)
			buf_printf(&a->error, "%s「%s」", i > 0 ? "または" : "", ch->label);
	buf_puts(&a->error, "を選んでください");
	return a->error.oom ? -1 : 0;
}

static int
cross_rules(struct answers *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		struct answer *a = judged(as, as->a[i].field->key);

		if (a == NULL)
			continue;
		if (a->field->after_field != NULL && check_after(as, a) == -1)
			return -1;
		if ((a->field->at_least_field != NULL || a->field->at_most_field != NULL) &&
		    check_bounds(as, a) == -1)
			return -1;
	}
	return as->proc->residence.field != NULL ? check_residence(as) : 0;
}

int
answers_read(struct answers *as, const struct procedure *p, const struct kv_form *f,
    const struct formkeys *k, struct jn_date today)
{
	size_t i;

	memset(as, 0, sizeof(*as));
	as->proc = p;
	if ((as->a = calloc(p->nfields, sizeof(*as->a))) == NULL)
		return -1;
	as->n = p->nfields;
	for (i = 0; i < p->nfields; i++) {
		struct answer		*a = &as->a[i];
		const struct kv_slot	*slot = &f->slots[k->first_field + i];
		int			 rc;

		a->field = &p->fields[i];
		buf_init(&a->value);
		buf_init(&a->error);
		if (a->field->type == FT_CHECKBOX &&
		    (a->picked = calloc(a->field->nchoices, 1)) == NULL)
			return -1;
		if (!(a->shown = is_shown(as, i)))
			continue;
		rc = is_choice(a->field->type) ? read_choice(a, slot) : read_value(a, slot, p, today);
		if (rc == -1)
			return -1;
		if (a->error.len > 0)
			as->nerrors++;
	}
	return cross_rules(as);
}

static json_object *
answer_json(const struct answer *a)
{
	json_object	*arr;
	size_t		 i;

	if (a->field->type != FT_CHECKBOX)
		return json_object_new_string_len(buf_cstr(&a->value), (int)a->value.len);
	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < a->field->nchoices; i++) {
		if (a->picked[i] && json_object_array_add(arr,
		    json_object_new_string(a->field->choices[i].value)) != 0) {
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

int
answers_json(const struct answers *as, struct buf *out)
{
	json_object	*obj, *v;
	const char	*s;
	size_t		 i, len;
	int		 rc = -1;

	if ((obj = json_object_new_object()) == NULL)
		return -1;
	for (i = 0; i < as->n; i++) {
		if (!as->a[i].shown)
			continue;
		if ((v = answer_json(&as->a[i])) == NULL ||
		    json_object_object_add(obj, as->a[i].field->key, v) != 0)
			goto done;
	}
	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s != NULL)
		rc = buf_put(out, s, len);
	/* json-c's own copy of the string is freed (not wiped) with obj: wipe it first. */
	if (s != NULL)
		seal_wipe((void *)s, len);
done:
	json_object_put(obj);
	return rc;
}

int
answers_display(const struct answer *a, struct buf *out)
{
	const struct field	*f = a->field;
	const struct choice	*c;
	struct jn_date		 d;
	size_t			 i, n = 0;

	switch (f->type) {
	case FT_CHECKBOX:
		for (i = 0; i < f->nchoices; i++) {
			if (!a->picked[i])
				continue;
			if (n++ > 0)
				buf_puts(out, "、");
			buf_puts(out, f->choices[i].label);
		}
		break;
	case FT_RADIO:
	case FT_SELECT:
		if ((c = answers_choice(f, buf_cstr(&a->value))) != NULL)
			buf_puts(out, c->label);
		break;
	case FT_DATE:
		if (a->value.len > 0 && jn_date_parse(buf_cstr(&a->value), &d) == 0)
			return jn_format_date_ja(d, out);
		break;
	case FT_MONTH_DAY:
		if (a->value.len > 0 && jn_month_day_parse(buf_cstr(&a->value), &d.m, &d.d) == 0)
			return jn_format_month_day_ja(d.m, d.d, out);
		break;
	case FT_POSTAL:
		if (a->value.len > 0)
			buf_puts(out, "〒");
		buf_put(out, a->value.data, a->value.len);
		break;
	default:
		buf_put(out, a->value.data, a->value.len);
		break;
	}
	return out->oom ? -1 : 0;
}

void
answers_free(struct answers *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		buf_wipe(&as->a[i].value);
		buf_free(&as->a[i].error);
		free(as->a[i].picked);
	}
	free(as->a);
	memset(as, 0, sizeof(*as));
}
