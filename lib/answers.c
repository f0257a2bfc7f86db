#include "answers.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
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

/* What is read, and in which language its messages are written. */
struct reading {
	const struct procedure	*p;
	const struct lang	*lang;
	struct jn_date		 today;
};

/* The field's label as the reader reads it. */
static const char *
label_of(const struct reading *r, const struct field *f)
{
	return formdef_text(r->p, r->lang->tag, f->label);
}

/* The message id about a choice field, with the label and max filled in. */
static int
set_error(const struct reading *r, struct answer *a, const char *id)
{
	char max[16];

	snprintf(max, sizeof(max), "%u", a->field->max_select);
	buf_reset(&a->error);
	return lang_format(r->lang, &a->error, id, "label", label_of(r, a->field), "max", max, (const char *)NULL);
}

static int
read_choice(const struct reading *r, struct answer *a, const struct kv_slot *slot)
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
			return set_error(r, a, N_("choice.not_offered"));
		if (f->type == FT_CHECKBOX)
			a->picked[c - f->choices] = 1;
		else if (buf_puts(&a->value, c->value) == -1)
			return -1;
	}
	if (f->type == FT_CHECKBOX) {
		size_t n = 0;

		for (i = 0; i < f->nchoices; i++)
			n += a->picked[i];
		if (f->max_select > 0 && n > f->max_select)
			return set_error(r, a, N_("choice.too_many"));
		if (n == 0 && f->required)
			return set_error(r, a, N_("choice.none"));
		return 0;
	}
	if (given == 0 && f->required)
		return set_error(r, a, N_("choice.none"));
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
read_value(const struct reading *r, struct answer *a, const struct kv_slot *slot)
{
	const struct field	*f = a->field;
	struct jn_rules		 rules;
	enum jn_err		 err;
	enum jn_type		 t = jn_type_of(f->type);

	rules_for(f, r->p, r->today, &rules);
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
	return jn_message(err, label_of(r, f), t, &rules, r->lang, &a->error);
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

/* Id's text with its named values (name, value, ..., NULL; "label" among them) as the answer's message. */
static int
rule_error(const struct reading *r, struct answers *as, struct answer *a, const char *id, ...)
{
	va_list	 ap;
	int	 rc;

	buf_reset(&a->error);
	va_start(ap, id);
	rc = lang_vformat(r->lang, &a->error, id, ap);
	va_end(ap);
	as->nerrors++;
	return rc;
}

/* after: this date min_days to max_days after the other one. */
static int
check_after(const struct reading *r, struct answers *as, struct answer *a)
{
	/* By min_days (0, 1, more) and whether max_days bounds it. */
	static const char *const ids[2][3] = {
		{ N_("rule.after_same"), N_("rule.after"), N_("rule.after_days") },
		{ N_("rule.after_same_within"), N_("rule.after_within"), N_("rule.after_days_within") },
	};
	const struct field	*f = a->field;
	const struct answer	*o = judged(as, f->after_field);
	struct jn_date		 d, od;
	long			 days;
	char			 min[16], max[16];

	if (o == NULL || jn_date_parse(buf_cstr(&a->value), &d) == -1 ||
	    jn_date_parse(buf_cstr(&o->value), &od) == -1)
		return 0;
	days = jn_days_between(od, d);
	if (days >= f->after_min_days && (f->after_max_days == 0 || days <= f->after_max_days))
		return 0;
	snprintf(min, sizeof(min), "%d", f->after_min_days);
	snprintf(max, sizeof(max), "%d", f->after_max_days);
	return rule_error(r, as, a, ids[f->after_max_days > 0][f->after_min_days > 1 ? 2 : f->after_min_days],
	    "label", label_of(r, f), "other", label_of(r, o->field), "min", min, "max", max, (const char *)NULL);
}

/* at_least / at_most: this number within the answers of other number fields. */
static int
check_bounds(const struct reading *r, struct answers *as, struct answer *a)
{
	const struct field	*f = a->field;
	const struct answer	*lo = judged(as, f->at_least_field), *hi = judged(as, f->at_most_field);
	long			 v = strtol(buf_cstr(&a->value), NULL, 10), l = 0, h = 0;
	char			 ls[24], hs[24];

	if (lo != NULL)
		l = strtol(buf_cstr(&lo->value), NULL, 10);
	if (hi != NULL)
		h = strtol(buf_cstr(&hi->value), NULL, 10);
	if ((lo == NULL || v >= l) && (hi == NULL || v <= h))
		return 0;
	snprintf(ls, sizeof(ls), "%ld", l);
	snprintf(hs, sizeof(hs), "%ld", h);
	if (lo != NULL && hi != NULL)
		return rule_error(r, as, a, N_("rule.between"), "label", label_of(r, f), "low", label_of(r, lo->field),
		    "l", ls, "high", label_of(r, hi->field), "h", hs, (const char *)NULL);
	if (lo != NULL)
		return rule_error(r, as, a, N_("rule.at_least"), "label", label_of(r, f), "low", label_of(r, lo->field),
		    "l", ls, (const char *)NULL);
	return rule_error(r, as, a, N_("rule.at_most"), "label", label_of(r, f), "high", label_of(r, hi->field),
	    "h", hs, (const char *)NULL);
}

/* residence: the address in the ward, unless an answer says the resident works or studies there. */
static int
check_residence(const struct reading *r, struct answers *as)
{
	const struct residence	*res = &as->proc->residence;
	struct answer		*a = judged(as, res->field), *u;
	const struct choice	*ch;
	struct buf		 choices;
	size_t			 i, n = 0;
	int			 in, rc;

	if (a == NULL)
		return 0;
	if ((u = answer_of(as, res->unless_field != NULL ? res->unless_field : "")) != NULL && u->shown)
		for (i = 0; i < res->nunless; i++)
			if (strcmp(buf_cstr(&u->value), res->unless_values[i]) == 0)
				return 0;
	if ((in = jn_address_in_ward(a->value.data, a->value.len, WARD)) != 0)
		return in == 1 ? 0 : -1;
	if (u == NULL)
		return rule_error(r, as, a, N_("rule.residence"), "label", label_of(r, a->field), "ward", WARD,
		    (const char *)NULL);
	buf_init(&choices);
	for (i = 0; i < res->nunless; i++) {
		if ((ch = answers_choice(u->field, res->unless_values[i])) == NULL)
			continue;
		if (n++ > 0)
			buf_puts(&choices, lang_msg(r->lang, N_("rule.or")));
		lang_format(r->lang, &choices, N_("rule.choice"), "choice",
		    formdef_text(r->p, r->lang->tag, ch->label), (const char *)NULL);
	}
	rc = choices.oom ? -1 : rule_error(r, as, a, N_("rule.residence_unless"), "label", label_of(r, a->field),
	    "ward", WARD, "field", label_of(r, u->field), "choices", buf_cstr(&choices), (const char *)NULL);
	buf_free(&choices);
	return rc;
}

static int
cross_rules(const struct reading *r, struct answers *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		struct answer *a = judged(as, as->a[i].field->key);

		if (a == NULL)
			continue;
		if (a->field->after_field != NULL && check_after(r, as, a) == -1)
			return -1;
		if ((a->field->at_least_field != NULL || a->field->at_most_field != NULL) &&
		    check_bounds(r, as, a) == -1)
			return -1;
	}
	return as->proc->residence.field != NULL ? check_residence(r, as) : 0;
}

int
answers_read(struct answers *as, const struct procedure *p, const struct kv_form *f,
    const struct formkeys *k, struct jn_date today, const struct lang *lang)
{
	struct reading	 r = { p, lang, today };
	size_t		 i;

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
		rc = is_choice(a->field->type) ? read_choice(&r, a, slot) : read_value(&r, a, slot);
		if (rc == -1)
			return -1;
		if (a->error.len > 0)
			as->nerrors++;
	}
	return cross_rules(&r, as);
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
answers_display(const struct answers *as, const struct answer *a, const struct lang *lang, struct buf *out)
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
				buf_puts(out, lang_msg(lang, N_("answer.list_sep")));
			buf_puts(out, formdef_text(as->proc, lang->tag, f->choices[i].label));
		}
		break;
	case FT_RADIO:
	case FT_SELECT:
		if ((c = answers_choice(f, buf_cstr(&a->value))) != NULL)
			buf_puts(out, formdef_text(as->proc, lang->tag, c->label));
		break;
	case FT_DATE:
		if (a->value.len > 0 && jn_date_parse(buf_cstr(&a->value), &d) == 0)
			return lang_date(lang, d, out);
		break;
	case FT_MONTH_DAY:
		if (a->value.len > 0 && jn_month_day_parse(buf_cstr(&a->value), &d.m, &d.d) == 0)
			return lang_month_day(lang, d.m, d.d, out);
		break;
	case FT_POSTAL:
		if (a->value.len > 0)
			return lang_format(lang, out, N_("answer.postal"), "code", buf_cstr(&a->value), (const char *)NULL);
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
