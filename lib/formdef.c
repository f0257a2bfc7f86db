#include "formdef.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistr.h>

#include "seal.h"
#include "formdef_int.h"
#include "ytree.h"


/* ------------------------------------------------------------------ */
/* Field types */

static const char *const type_names[] = {
	[FT_TEXT] = "text", [FT_TEXTAREA] = "textarea", [FT_KANA] = "kana",
	[FT_POSTAL] = "postal", [FT_TEL] = "tel", [FT_EMAIL] = "email", [FT_DATE] = "date",
	[FT_NUMBER] = "number", [FT_RADIO] = "radio", [FT_SELECT] = "select",
	[FT_CHECKBOX] = "checkbox", [FT_MONTH_DAY] = "month_day",
};

const char *
formdef_type_name(enum field_type t)
{
	if ((size_t)t >= NELEM(type_names))
		return "unknown";
	return type_names[t];
}

int
is_choice_type(enum field_type t)
{
	return t == FT_RADIO || t == FT_SELECT || t == FT_CHECKBOX;
}

/* ------------------------------------------------------------------ */
/* Choices */

enum { C_VALUE, C_LABEL, C_PLACES, C_N };

static const char *const choice_keys[C_N] = { [C_VALUE] = "value", [C_LABEL] = "label", [C_PLACES] = "places" };

#define MAX_PLACES	1000000

static void
load_choice(struct ctx *c, const struct ynode *m, struct choice *ch)
{
	const struct ynode *key[C_N], *val[C_N];

	if (ytree_slots(&c->e, m, "a choice", " in a choice", choice_keys, C_N, key, val) == -1)
		return;
	if (ytree_need(&c->e, m, val[C_VALUE], "value", " in this choice") == 0)
		ytree_name(&c->e, key[C_VALUE], val[C_VALUE], value_ok,
		    "1 to 32 of a-z, 0-9, '_' and '-'", &ch->value);
	if (ytree_need(&c->e, m, val[C_LABEL], "label", " in this choice") == 0)
		get_text(c, key[C_LABEL], val[C_LABEL], YTREE_REQUIRED, YTREE_ONE_LINE, &ch->label);
	if (val[C_PLACES] != NULL)
		ytree_long(&c->e, key[C_PLACES], val[C_PLACES], 1, MAX_PLACES, &ch->places);
}

/* Places are all or none of a field's choices, and only where one choice is picked. */
static void
choice_places(struct ctx *c, const struct ynode *v, struct field *f)
{
	size_t i, with = 0;

	for (i = 0; i < f->nchoices; i++)
		with += f->choices[i].places > 0;
	if (with == 0)
		return;
	if (f->type == FT_CHECKBOX) {
		ytree_err(&c->e, v->line, v->col, "'places' applies only to the choices of a radio or select "
		    "field (one choice per application), not to a checkbox field");
		return;
	}
	for (i = 0; i < f->nchoices && with < f->nchoices; i++)
		if (f->choices[i].places == 0) {
			ytree_err(&c->e, v->kid[i]->line, v->kid[i]->col, "this choice has no 'places'; "
			    "give every choice of '%s' its places, or none", f->key ? f->key : "this field");
			return;
		}
	f->has_places = 1;
}

static void
load_choices(struct ctx *c, const struct ynode *v, struct field *f)
{
	size_t i, j;

	if (v->kind == Y_BAD)
		return;
	if (v->kind != Y_SEQ || v->nkid == 0) {
		ytree_err(&c->e, v->line, v->col, "'choices' must be a list of at least one choice "
		    "(- value: ... / label: ...), not %s", v->kind == Y_SEQ ? "an empty list" :
		    ytree_kind_name(v));
		return;
	}
	if (v->nkid > MAX_CHOICES) {
		ytree_err(&c->e, v->kid[MAX_CHOICES]->line, v->kid[MAX_CHOICES]->col,
		    "too many choices (at most %d)", MAX_CHOICES);
		return;
	}
	if ((f->choices = calloc(v->nkid, sizeof(*f->choices))) == NULL) {
		c->e.oom = 1;
		return;
	}
	f->nchoices = v->nkid;
	for (i = 0; i < v->nkid; i++) {
		load_choice(c, v->kid[i], &f->choices[i]);
		for (j = 0; j < i && f->choices[i].value != NULL; j++)
			if (f->choices[j].value != NULL &&
			    strcmp(f->choices[i].value, f->choices[j].value) == 0)
				ytree_err(&c->e, v->kid[i]->line, v->kid[i]->col,
				    "duplicate choice value '%s' (also choice %zu)",
				    f->choices[i].value, j + 1);
	}
	choice_places(c, v, f);
}

/* ------------------------------------------------------------------ */
/* Fields */

enum {
	F_KEY, F_TYPE, F_LABEL, F_HELP, F_REQUIRED, F_MAXLENGTH, F_MIN, F_MAX, F_MIN_AGE,
	F_MAX_AGE, F_NOT_FUTURE, F_AUTOCOMPLETE, F_CHOICES, F_MAX_SELECT, F_SHOW_IF, F_SUMMARY,
	F_AFTER, F_AT_LEAST, F_AT_MOST, F_N
};

static const char *const field_keys[F_N] = {
	[F_KEY] = "key", [F_TYPE] = "type", [F_LABEL] = "label", [F_HELP] = "help",
	[F_REQUIRED] = "required", [F_MAXLENGTH] = "maxlength", [F_MIN] = "min", [F_MAX] = "max",
	[F_MIN_AGE] = "min_age", [F_MAX_AGE] = "max_age", [F_NOT_FUTURE] = "not_future",
	[F_AUTOCOMPLETE] = "autocomplete", [F_CHOICES] = "choices", [F_MAX_SELECT] = "max_select",
	[F_SHOW_IF] = "show_if", [F_SUMMARY] = "summary", [F_AFTER] = "after",
	[F_AT_LEAST] = "at_least", [F_AT_MOST] = "at_most",
};

#define TM(t)		(1u << (t))
#define TEXTLIKE	(TM(FT_TEXT) | TM(FT_TEXTAREA) | TM(FT_KANA) | TM(FT_TEL) | TM(FT_EMAIL))
#define CHOICES		(TM(FT_RADIO) | TM(FT_SELECT) | TM(FT_CHECKBOX))

/* Keys that only make sense for some types. */
static const struct {
	int		 key;
	unsigned	 types;
	const char	*which;
} only_for[] = {
	{ F_MAXLENGTH,	TEXTLIKE,	"text, textarea, kana, tel and email" },
	{ F_MIN,	TM(FT_NUMBER),	"number" },
	{ F_MAX,	TM(FT_NUMBER),	"number" },
	{ F_MIN_AGE,	TM(FT_DATE),	"date" },
	{ F_MAX_AGE,	TM(FT_DATE),	"date" },
	{ F_NOT_FUTURE,	TM(FT_DATE),	"date" },
	{ F_CHOICES,	CHOICES,	"radio, select and checkbox" },
	{ F_MAX_SELECT,	TM(FT_CHECKBOX), "checkbox" },
	{ F_AFTER,	TM(FT_DATE),	"date" },
	{ F_AT_LEAST,	TM(FT_NUMBER),	"number" },
	{ F_AT_MOST,	TM(FT_NUMBER),	"number" },
	/* A group of radio buttons or checkboxes has no one control to fill in. */
	{ F_AUTOCOMPLETE, ~(TM(FT_RADIO) | TM(FT_CHECKBOX)), "text, textarea, kana, postal, tel, email, date, "
	    "number, select and month_day" },
};

static int
get_type(struct ctx *c, const struct ynode *k, const struct ynode *v, enum field_type *t)
{
	size_t i;

	if (ytree_want_scalar(&c->e, k, v, "a field type") == -1)
		return -1;
	for (i = 0; i < NELEM(type_names); i++)
		if (strcmp(v->s, type_names[i]) == 0 && strlen(type_names[i]) == v->slen) {
			*t = (enum field_type)i;
			return 0;
		}
	ytree_unknown(&c->e, v, "field type", "", type_names, NELEM(type_names));
	return -1;
}

/* Drops (and reports) keys the field's type does not use. */
static void
type_keys(struct ctx *c, enum field_type t, const struct ynode **key, const struct ynode **val)
{
	size_t i;

	for (i = 0; i < NELEM(only_for); i++) {
		if (key[only_for[i].key] == NULL || (only_for[i].types & TM(t)))
			continue;
		ytree_err(&c->e, key[only_for[i].key]->line, key[only_for[i].key]->col,
		    "'%s' applies only to %s fields, not to a %s field",
		    field_keys[only_for[i].key], only_for[i].which, type_names[t]);
		key[only_for[i].key] = val[only_for[i].key] = NULL;
	}
}

static void
field_numbers(struct ctx *c, const struct ynode **key, const struct ynode **val, struct field *f)
{
	long	n = 0;
	int	ok_min, ok_max;

	if (val[F_MAXLENGTH] != NULL &&
	    ytree_long(&c->e, key[F_MAXLENGTH], val[F_MAXLENGTH], 1, 2000, &n) == 0)
		f->maxlength = (size_t)n;
	ok_min = val[F_MIN] != NULL &&
	    ytree_long(&c->e, key[F_MIN], val[F_MIN], -1000000000L, 1000000000L, &f->min) == 0;
	ok_max = val[F_MAX] != NULL &&
	    ytree_long(&c->e, key[F_MAX], val[F_MAX], -1000000000L, 1000000000L, &f->max) == 0;
	f->has_min = ok_min;
	f->has_max = ok_max;
	if (ok_min && ok_max && f->min > f->max)
		ytree_err(&c->e, val[F_MAX]->line, val[F_MAX]->col, "'max' (%ld) is less than 'min' (%ld)",
		    f->max, f->min);
	if (val[F_MAX_SELECT] != NULL &&
	    ytree_long(&c->e, key[F_MAX_SELECT], val[F_MAX_SELECT], 1, MAX_CHOICES, &n) == 0) {
		f->max_select = (unsigned)n;
		if (f->nchoices > 0 && n > (long)f->nchoices)
			ytree_err(&c->e, val[F_MAX_SELECT]->line, val[F_MAX_SELECT]->col,
			    "'max_select' (%ld) is more than the number of choices (%zu)",
			    n, f->nchoices);
	}
}

static void
field_dates(struct ctx *c, const struct ynode **key, const struct ynode **val, struct field *f)
{
	int ok_min, ok_max;

	ok_min = val[F_MIN_AGE] != NULL &&
	    ytree_int(&c->e, key[F_MIN_AGE], val[F_MIN_AGE], 0, 150, &f->min_age) == 0;
	ok_max = val[F_MAX_AGE] != NULL &&
	    ytree_int(&c->e, key[F_MAX_AGE], val[F_MAX_AGE], 0, 150, &f->max_age) == 0;
	if (ok_min && ok_max && f->min_age > f->max_age)
		ytree_err(&c->e, val[F_MAX_AGE]->line, val[F_MAX_AGE]->col,
		    "'max_age' (%d) is less than 'min_age' (%d)", f->max_age, f->min_age);
	if (!c->has_event_date && (key[F_MIN_AGE] != NULL || key[F_MAX_AGE] != NULL)) {
		const struct ynode *k = key[F_MIN_AGE] ? key[F_MIN_AGE] : key[F_MAX_AGE];

		ytree_err(&c->e, k->line, k->col, "'%s' needs the procedure's 'event_date' "
		    "(ages are counted on that day)", k->s);
	}
	ytree_bool(&c->e, key[F_NOT_FUTURE], val[F_NOT_FUTURE], &f->not_future);
}

/* What a field says about other fields: judged once every field is loaded, to tell "later" from "unknown". */
struct later {
	const struct ynode	*show_if, *after;
	const struct ynode	*key[2], *val[2];	/* at_least, at_most */
};

/* Returns whether the type is known, which later show_if checks rely on. */
static int
load_field(struct ctx *c, const struct ynode *m, struct field *f, struct later *l)
{
	const struct ynode	*key[F_N], *val[F_N];
	int			 typed = 0;

	f->line = m->line;
	f->column = m->col;
	if (ytree_slots(&c->e, m, "a field", " in a field", field_keys, F_N, key, val) == -1)
		return 0;
	if (ytree_need(&c->e, m, val[F_KEY], "key", " in this field") == 0)
		ytree_name(&c->e, key[F_KEY], val[F_KEY], key_ok,
		    "a lower-case letter then up to 31 of a-z, 0-9 and '_'", &f->key);
	if (ytree_need(&c->e, m, val[F_TYPE], "type", " in this field") == 0)
		typed = get_type(c, key[F_TYPE], val[F_TYPE], &f->type) == 0;
	c->has_email |= typed && f->type == FT_EMAIL;
	if (ytree_need(&c->e, m, val[F_LABEL], "label", " in this field") == 0)
		get_text(c, key[F_LABEL], val[F_LABEL], YTREE_REQUIRED, YTREE_ONE_LINE, &f->label);
	get_text(c, key[F_HELP], val[F_HELP], YTREE_OPTIONAL, YTREE_MULTI_LINE, &f->help);
	ytree_bool(&c->e, key[F_REQUIRED], val[F_REQUIRED], &f->required);
	ytree_bool(&c->e, key[F_SUMMARY], val[F_SUMMARY], &f->summary);
	if (!typed)
		return 0;	/* the type-specific keys cannot be judged */
	type_keys(c, f->type, key, val);
	if (get_autocomplete(c, key[F_AUTOCOMPLETE], val[F_AUTOCOMPLETE], &f->autocomplete) == 0 &&
	    f->autocomplete != NULL && f->type != FT_TEXTAREA && autocomplete_multiline(f->autocomplete))
		ytree_err(&c->e, val[F_AUTOCOMPLETE]->line, val[F_AUTOCOMPLETE]->col,
		    "'street-address' fills several lines: use it on a textarea field, "
		    "or 'address-line1' on a one-line field");
	if (is_choice_type(f->type) && ytree_need(&c->e, m, val[F_CHOICES], "choices",
	    f->type == FT_RADIO ? " for a radio field" : f->type == FT_SELECT ?
	    " for a select field" : " for a checkbox field") == 0)
		load_choices(c, val[F_CHOICES], f);
	field_numbers(c, key, val, f);
	field_dates(c, key, val, f);
	l->show_if = val[F_SHOW_IF];
	l->after = val[F_AFTER];
	l->key[0] = key[F_AT_LEAST];
	l->val[0] = val[F_AT_LEAST];
	l->key[1] = key[F_AT_MOST];
	l->val[1] = val[F_AT_MOST];
	return 1;
}

static void
load_fields(struct ctx *c, const struct ynode *v, struct procedure *p)
{
	struct later		 *later;
	const struct field	 *first;
	unsigned char		 *typed;
	size_t			  i;

	if (v->kind == Y_BAD)
		return;
	if (v->kind != Y_SEQ || v->nkid == 0) {
		ytree_err(&c->e, v->line, v->col, "'fields' must be a list of at least one field "
		    "(- key: ...), not %s", v->kind == Y_SEQ ? "an empty list" : ytree_kind_name(v));
		return;
	}
	if (v->nkid > MAX_FIELDS) {
		ytree_err(&c->e, v->kid[MAX_FIELDS]->line, v->kid[MAX_FIELDS]->col,
		    "too many fields (at most %d)", MAX_FIELDS);
		return;
	}
	p->fields = calloc(v->nkid, sizeof(*p->fields));
	later = calloc(v->nkid, sizeof(*later));
	typed = calloc(v->nkid, 1);
	if (p->fields == NULL || later == NULL || typed == NULL) {
		free(later);
		free(typed);
		c->e.oom = 1;
		return;
	}
	p->nfields = v->nkid;
	for (i = 0; i < v->nkid; i++) {
		typed[i] = (unsigned char)load_field(c, v->kid[i], &p->fields[i], &later[i]);
		if (p->fields[i].key != NULL &&
		    (first = field_by_key(p, i, p->fields[i].key)) != NULL)
			ytree_err(&c->e, v->kid[i]->line, v->kid[i]->col,
			    "duplicate field key '%s' (first defined at line %d)", first->key,
			    first->line);
	}
	for (i = 0; i < v->nkid; i++) {
		if (later[i].show_if != NULL)
			load_show_if(c, p, i, later[i].show_if, typed);
		if (later[i].after != NULL)
			load_after(c, p, &p->fields[i], later[i].after, typed);
		load_bound(c, p, &p->fields[i], later[i].key[0], later[i].val[0], &p->fields[i].at_least_field, typed);
		load_bound(c, p, &p->fields[i], later[i].key[1], later[i].val[1], &p->fields[i].at_most_field, typed);
	}
	free(later);
	free(typed);
}

/* ------------------------------------------------------------------ */
/* Mail texts */

enum { M_ARRIVAL, M_ACCEPTANCE, M_RETURN, M_PROMOTION, M_WON, M_LOST, M_RESERVE, M_N };

static const char *const mail_keys[M_N] = {
	[M_ARRIVAL] = "arrival", [M_ACCEPTANCE] = "acceptance", [M_RETURN] = "return",
	[M_PROMOTION] = "promotion", [M_WON] = "won", [M_LOST] = "lost", [M_RESERVE] = "reserve",
};

enum { T_SUBJECT, T_BODY, T_N };

static const char *const text_keys[T_N] = { [T_SUBJECT] = "subject", [T_BODY] = "body" };

static void
load_mailtext(struct ctx *c, const struct ynode *k, const struct ynode *m, struct mailtext *t)
{
	const struct ynode	*key[T_N], *val[T_N];
	char			 name[64], where[64];

	snprintf(name, sizeof(name), "'mail.%s'", k->s);
	snprintf(where, sizeof(where), " in mail.%s", k->s);
	if (ytree_slots(&c->e, m, name, where, text_keys, T_N, key, val) == -1)
		return;
	if (ytree_need(&c->e, m, val[T_SUBJECT], "subject", where) == 0)
		get_text(c, key[T_SUBJECT], val[T_SUBJECT], YTREE_REQUIRED, YTREE_ONE_LINE, &t->subject);
	if (ytree_need(&c->e, m, val[T_BODY], "body", where) == 0)
		get_text(c, key[T_BODY], val[T_BODY], YTREE_REQUIRED, YTREE_MULTI_LINE, &t->body);
}

static void
load_mail(struct ctx *c, const struct ynode *m, struct procedure *p)
{
	const struct ynode	*key[M_N], *val[M_N];
	struct mailtext		*t[M_N] = { &p->mail_arrival, &p->mail_acceptance, &p->mail_return,
				    &p->mail_promotion, &p->mail_won, &p->mail_lost, &p->mail_reserve };
	size_t			 i;

	if (ytree_slots(&c->e, m, "'mail'", " in mail", mail_keys, M_N, key, val) == -1)
		return;
	for (i = 0; i < M_N; i++)
		if (val[i] != NULL)
			load_mailtext(c, key[i], val[i], t[i]);
}

/* ------------------------------------------------------------------ */
/* Participant IDs */

enum { P_PREFIX, P_N };

static const char *const participant_keys[P_N] = { [P_PREFIX] = "prefix" };

static int
prefix_ok(const char *s, size_t len)
{
	return name_ok(s, len, 8, NULL, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

/* participant_id: {prefix: ECO} */
static void
load_participant(struct ctx *c, const struct ynode *m, struct procedure *p)
{
	const struct ynode *key[P_N], *val[P_N];

	if (ytree_slots(&c->e, m, "'participant_id'", " in participant_id", participant_keys, P_N, key, val) == -1 ||
	    ytree_need(&c->e, m, val[P_PREFIX], "prefix", " in participant_id") == -1)
		return;
	ytree_name(&c->e, key[P_PREFIX], val[P_PREFIX], prefix_ok, "1 to 8 capital letters A-Z",
	    &p->participant_prefix);
}

/* ------------------------------------------------------------------ */
/* The procedure */

enum {
	K_ID, K_TITLE, K_SECTION, K_DESCRIPTION, K_OPENS_AT, K_CLOSES_AT, K_EVENT_DATE,
	K_CAPACITY, K_LOTTERY, K_WAITLIST, K_RETENTION_DAYS, K_RETENTION_FROM, K_CONTACT, K_COMPLETE_MESSAGE, K_MAIL,
	K_FIELDS, K_RESIDENCE, K_PARTICIPANT_ID, K_GROUP_SIZE, K_N
};

static const char *const top_keys[K_N] = {
	[K_ID] = "id", [K_TITLE] = "title", [K_SECTION] = "section",
	[K_DESCRIPTION] = "description", [K_OPENS_AT] = "opens_at", [K_CLOSES_AT] = "closes_at",
	[K_EVENT_DATE] = "event_date", [K_CAPACITY] = "capacity", [K_LOTTERY] = "lottery",
	[K_WAITLIST] = "waitlist",
	[K_RETENTION_DAYS] = "retention_days", [K_RETENTION_FROM] = "retention_from", [K_CONTACT] = "contact",
	[K_COMPLETE_MESSAGE] = "complete_message", [K_MAIL] = "mail", [K_FIELDS] = "fields",
	[K_RESIDENCE] = "residence", [K_PARTICIPANT_ID] = "participant_id", [K_GROUP_SIZE] = "group_size",
};

static const int top_required[] = {
	K_ID, K_TITLE, K_SECTION, K_OPENS_AT, K_RETENTION_DAYS, K_CONTACT, K_FIELDS,
};

/* The file name without directories and without ".yaml". */
static void
stem(const char *path, const char **s, size_t *len)
{
	const char *slash = strrchr(path, '/');

	*s = slash ? slash + 1 : path;
	*len = strlen(*s);
	if (*len > 5 && strcmp(*s + *len - 5, ".yaml") == 0)
		*len -= 5;
}

static void
load_id(struct ctx *c, const struct ynode *k, const struct ynode *v, struct procedure *p)
{
	const char	*s;
	size_t		 len;

	if (ytree_name(&c->e, k, v, id_ok, "1 to 40 of a-z, 0-9 and '-'", &p->id) == -1 || p->id == NULL)
		return;
	stem(c->e.path, &s, &len);
	if (strlen(p->id) != len || memcmp(p->id, s, len) != 0)
		ytree_err(&c->e, v->line, v->col, "id '%s' does not match the file name (expected '%s.yaml')",
		    p->id, ytree_quote(s, len).s);
}

static void
load_section(struct ctx *c, const struct ynode *k, const struct ynode *v, struct procedure *p,
    formdef_section_fn known, void *arg)
{
	if (ytree_name(&c->e, k, v, id_ok, "a section id (a-z, 0-9 and '-')", &p->section) == -1 ||
	    p->section == NULL || known == NULL)
		return;
	if (known(p->section, arg) != 1)
		ytree_err(&c->e, v->line, v->col, "unknown section '%s' (sections are created with formctl)",
		    p->section);
}

static void
load_schedule(struct ctx *c, const struct ynode **key, const struct ynode **val,
    struct procedure *p)
{
	int ok_open, ok_close;

	ok_open = val[K_OPENS_AT] != NULL && ytree_time(&c->e, key[K_OPENS_AT], val[K_OPENS_AT],
	    &p->opens_at) == 0;
	ok_close = val[K_CLOSES_AT] != NULL && !ytree_is_null(val[K_CLOSES_AT]) &&
	    ytree_time(&c->e, key[K_CLOSES_AT], val[K_CLOSES_AT], &p->closes_at) == 0;
	if (ok_open && ok_close && p->closes_at <= p->opens_at)
		ytree_err(&c->e, val[K_CLOSES_AT]->line, val[K_CLOSES_AT]->col,
		    "'closes_at' must be after 'opens_at'");
	c->has_event_date = val[K_EVENT_DATE] != NULL;
	ytree_date(&c->e, key[K_EVENT_DATE], val[K_EVENT_DATE], &p->event_y, &p->event_m, &p->event_d);
}

static const char *const retention_names[] = {
	[RETAIN_FROM_CLOSE] = "close", [RETAIN_FROM_RECEIPT] = "receipt",
};

const char *
formdef_retention_name(enum retention_from r)
{
	return (size_t)r < NELEM(retention_names) ? retention_names[r] : "unknown";
}

/*
 * A procedure without closes_at never ends, so its retention can only count
 * from each receipt; "close" there would keep everything for ever.
 */
static void
load_retention_from(struct ctx *c, const struct ynode *k, const struct ynode *v, const struct ynode *closes,
    struct procedure *p)
{
	size_t i;

	p->retention_from = p->closes_at != 0 ? RETAIN_FROM_CLOSE : RETAIN_FROM_RECEIPT;
	if (v == NULL || ytree_want_scalar(&c->e, k, v, "close or receipt") == -1)
		return;
	for (i = 0; i < NELEM(retention_names); i++)
		if (strcmp(v->s, retention_names[i]) == 0 && strlen(retention_names[i]) == v->slen)
			break;
	if (i == NELEM(retention_names)) {
		ytree_unknown(&c->e, v, "retention_from value", "", retention_names, NELEM(retention_names));
		return;
	}
	p->retention_from = (enum retention_from)i;
	if (p->retention_from == RETAIN_FROM_CLOSE && (closes == NULL || ytree_is_null(closes)))
		ytree_err(&c->e, v->line, v->col, "'retention_from: close' needs 'closes_at' (a procedure without "
		    "a closing date never ends: count from 'receipt')");
}

static void
load_options(struct ctx *c, const struct ynode **key, const struct ynode **val, struct procedure *p)
{
	ytree_long(&c->e, key[K_CAPACITY], val[K_CAPACITY], 1, 1000000, &p->capacity);
	if (ytree_bool(&c->e, key[K_LOTTERY], val[K_LOTTERY], &p->lottery) == 0 && p->lottery &&
	    val[K_CAPACITY] == NULL)
		ytree_err(&c->e, key[K_LOTTERY]->line, key[K_LOTTERY]->col,
		    "'lottery: true' needs 'capacity' (the number of places to draw)");
	else if (p->lottery && (val[K_CLOSES_AT] == NULL || ytree_is_null(val[K_CLOSES_AT])))
		ytree_err(&c->e, key[K_LOTTERY]->line, key[K_LOTTERY]->col,
		    "'lottery: true' needs 'closes_at' (lots are drawn once applications have closed)");
	ytree_bool(&c->e, key[K_WAITLIST], val[K_WAITLIST], &p->waitlist);
	ytree_int(&c->e, key[K_RETENTION_DAYS], val[K_RETENTION_DAYS], 1, 3650, &p->retention_days);
	load_retention_from(c, key[K_RETENTION_FROM], val[K_RETENTION_FROM], val[K_CLOSES_AT], p);
}

/* Is s a whole number of people a group may be: "1" to "9"?  NULL: a choice already refused. */
static int
group_value_ok(const char *s)
{
	return s != NULL && s[0] >= '1' && s[0] <= '0' + FORMDEF_GROUP_MAX && s[1] == '\0';
}

/*
 * group_size: the key of the field saying how many people an application
 * counts for (the applicant included): a radio or select whose every
 * choice value is a whole number 1..9, or a number field with min >= 1 and
 * max <= 9.
 */
static void
load_group_size(struct ctx *c, const struct ynode *k, const struct ynode *v, struct procedure *p)
{
	const struct field	*f;
	char			*name = NULL;
	size_t			 i;
	int			 ok;

	if (ytree_str(&c->e, k, v, YTREE_REQUIRED, YTREE_ONE_LINE, &name) == -1 || name == NULL)
		goto done;
	if ((f = formdef_field(p, name)) == NULL) {
		ytree_err(&c->e, v->line, v->col, "'group_size' names no field ('%s')", name);
		goto done;
	}
	if (f->type == FT_RADIO || f->type == FT_SELECT) {
		for (ok = f->nchoices > 0, i = 0; i < f->nchoices; i++)
			ok &= group_value_ok(f->choices[i].value);
	} else
		ok = f->type == FT_NUMBER && f->has_min && f->min >= 1 && f->has_max && f->max <= FORMDEF_GROUP_MAX;
	if (!ok) {
		ytree_err(&c->e, v->line, v->col, "'group_size' field '%s' must be a radio or select whose choice "
		    "values are whole numbers 1 to %d, or a number with min >= 1 and max <= %d", name,
		    FORMDEF_GROUP_MAX, FORMDEF_GROUP_MAX);
		goto done;
	}
	p->group_field = f;
done:
	free(name);
}

/*
 * A lottery's result mails: required where the procedure sends mails (as
 * mail.promotion is, for its reserves moving up); refused without one.
 */
static void
check_lottery_mail(struct ctx *c, const struct ynode **key, struct procedure *p)
{
	static const char *const kinds[] = { "won", "lost", "reserve", "promotion" };
	const struct mailtext	*t[] = { &p->mail_won, &p->mail_lost, &p->mail_reserve, &p->mail_promotion };
	size_t			 i;

	for (i = 0; i < NELEM(kinds); i++) {
		if (p->lottery && c->has_email && p->mail_arrival.subject != NULL && t[i]->subject == NULL)
			ytree_err(&c->e, key[K_LOTTERY]->line, key[K_LOTTERY]->col, "'lottery: true' needs "
			    "'mail.%s', since this procedure sends mails", kinds[i]);
		else if (!p->lottery && i < 3 && t[i]->subject != NULL)
			ytree_err(&c->e, key[K_MAIL]->line, key[K_MAIL]->col, "'mail.%s' is a lottery's result: "
			    "only with 'lottery: true'", kinds[i]);
	}
}

/* What places need, once the fields and mails are loaded. */
static void
check_places(struct ctx *c, const struct ynode **key, struct procedure *p)
{
	const struct field	*pf = NULL;
	size_t			 i;

	for (i = 0; i < p->nfields; i++) {
		if (!p->fields[i].has_places)
			continue;
		if (pf != NULL)
			ytree_err(&c->e, p->fields[i].line, p->fields[i].column, "only one field's choices may "
			    "carry 'places' ('%s' already does)", pf->key);
		else if (p->lottery)
			ytree_err(&c->e, p->fields[i].line, p->fields[i].column, "choices with 'places' are "
			    "first come, first served: not with 'lottery: true'");
		pf = &p->fields[i];
	}
	if (!p->waitlist || key[K_WAITLIST] == NULL)
		return;
	if (p->lottery)
		ytree_err(&c->e, key[K_WAITLIST]->line, key[K_WAITLIST]->col, "'waitlist: true' is for first "
		    "come, first served; a lottery has reserves instead");
	else if (p->capacity == 0 && pf == NULL)
		ytree_err(&c->e, key[K_WAITLIST]->line, key[K_WAITLIST]->col, "'waitlist: true' needs places "
		    "to wait for: 'capacity', or choices with 'places'");
	else if (c->has_email && p->mail_arrival.subject != NULL && p->mail_promotion.subject == NULL)
		ytree_err(&c->e, key[K_WAITLIST]->line, key[K_WAITLIST]->col, "'waitlist: true' needs "
		    "'mail.promotion' (繰上げ当選のお知らせ), since this procedure sends mails");
}

static void
load_top(struct ctx *c, const struct ynode *root, struct procedure *p, formdef_section_fn known,
    void *arg)
{
	const struct ynode	*key[K_N], *val[K_N];
	size_t			 i;

	if (root->kind != Y_MAP) {
		if (root->kind != Y_BAD)
			ytree_err(&c->e, root->line, root->col, "the file must be a mapping of keys "
			    "(id: ..., title: ..., fields: ...), not %s", ytree_kind_name(root));
		return;
	}
	ytree_slots(&c->e, root, "the file", " at the top level", top_keys, K_N, key, val);
	for (i = 0; i < NELEM(top_required); i++)
		ytree_need(&c->e, root, val[top_required[i]], top_keys[top_required[i]], "");
	load_id(c, key[K_ID], val[K_ID], p);
	get_text(c, key[K_TITLE], val[K_TITLE], YTREE_REQUIRED, YTREE_ONE_LINE, &p->title);
	load_section(c, key[K_SECTION], val[K_SECTION], p, known, arg);
	get_text(c, key[K_DESCRIPTION], val[K_DESCRIPTION], YTREE_OPTIONAL, YTREE_MULTI_LINE, &p->description);
	load_schedule(c, key, val, p);
	load_options(c, key, val, p);
	get_text(c, key[K_CONTACT], val[K_CONTACT], YTREE_REQUIRED, YTREE_MULTI_LINE, &p->contact);
	get_text(c, key[K_COMPLETE_MESSAGE], val[K_COMPLETE_MESSAGE], YTREE_OPTIONAL, YTREE_MULTI_LINE,
	    &p->complete_message);
	if (val[K_MAIL] != NULL && !ytree_is_null(val[K_MAIL]))
		load_mail(c, val[K_MAIL], p);
	if (val[K_FIELDS] != NULL)
		load_fields(c, val[K_FIELDS], p);
	if (val[K_RESIDENCE] != NULL && p->nfields > 0)
		load_residence(c, val[K_RESIDENCE], p);
	if (val[K_PARTICIPANT_ID] != NULL)
		load_participant(c, val[K_PARTICIPANT_ID], p);
	if (val[K_GROUP_SIZE] != NULL)
		load_group_size(c, key[K_GROUP_SIZE], val[K_GROUP_SIZE], p);
	check_places(c, key, p);
	check_lottery_mail(c, key, p);
}

/* ------------------------------------------------------------------ */
/* Entry points */

/* Refusals that come before YAML parsing: size, encoding, emptiness. */
static int
precheck(struct ctx *c, const char *data, size_t len)
{
	const uint8_t	*bad;
	int		 line, col;

	if (len > MAX_FILE) {
		ytree_err(&c->e, 1, 1, "file is larger than %d KiB", MAX_FILE / 1024);
		return -1;
	}
	if ((bad = u8_check((const uint8_t *)data, len)) != NULL) {
		ytree_position(data, len, (size_t)(bad - (const uint8_t *)data), &line, &col);
		ytree_err(&c->e, line, col, "invalid UTF-8 (save the file as UTF-8)");
		return -1;
	}
	if (len == 0) {
		ytree_err(&c->e, 1, 1, "file is empty");
		return -1;
	}
	return 0;
}

static struct procedure *
load(struct ctx *c, const char *data, size_t len, formdef_section_fn known, void *arg)
{
	struct procedure	*p;
	struct ynode		*root;
	int			 empty;

	if (precheck(c, data, len) == -1)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->path = strdup(c->e.path)) == NULL ||
	    seal_sha256_hex(data, len, p->hash) == -1) {
		c->e.oom = 1;
		return p;
	}
	/* libyaml only skips a byte order mark when it guesses the encoding
	 * itself, and it must not guess: the input is UTF-8 or refused. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	root = ytree_parse(&c->e, data, len, &empty);
	if (root != NULL && ytree_is_null(root))
		empty = 1;
	c->p = p;
	if (empty)
		ytree_err(&c->e, 1, 1, "file is empty (no YAML content)");
	else if (root != NULL)
		load_top(c, root, p, known, arg);
	ytree_free(root);
	index_texts(c, p);
	return p;
}

struct procedure *
formdef_load_mem(const char *path, const char *data, size_t len, formdef_section_fn known_section,
    void *arg, struct buf *errs)
{
	struct ctx		 c;
	struct procedure	*p;

	memset(&c, 0, sizeof(c));
	c.e.path = path;
	c.e.out = errs;
	p = load(&c, data, len, known_section, arg);
	if (c.e.oom) {
		c.e.n = 0;	/* always say why, even past the error limit */
		ytree_err(&c.e, 1, 1, "out of memory");
	}
	if (p == NULL || c.e.n > 0) {
		formdef_free(p);
		return NULL;
	}
	return p;
}

/* Reads at most MAX_FILE + 1 bytes, so that a file growing meanwhile is still caught. */
static int
read_file(int fd, struct buf *b)
{
	unsigned char	*dst;
	ssize_t		 n;
	size_t		 chunk = 65536;

	for (;;) {
		if ((dst = buf_append_space(b, chunk)) == NULL)
			return -1;
		b->len -= chunk;
		n = read(fd, dst, chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if (n == 0 || b->len > MAX_FILE)
			return 0;
	}
}

struct procedure *
formdef_load_file(const char *path, formdef_section_fn known_section, void *arg, struct buf *errs)
{
	struct procedure	*p = NULL;
	struct buf		 b;
	struct stat		 st;
	int			 fd;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: not a regular file\n", path);
	} else if (st.st_size > MAX_FILE) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: file is larger than %d KiB\n", path, MAX_FILE / 1024);
	} else if (read_file(fd, &b) == -1) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: cannot read: %s\n", path,
			    b.oom ? "out of memory" : strerror(errno));
	} else
		p = formdef_load_mem(path, b.data ? b.data : "", b.len, known_section, arg, errs);
	close(fd);
	buf_free(&b);
	return p;
}

static void
field_free(struct field *f)
{
	size_t i;

	for (i = 0; i < f->nchoices; i++) {
		free(f->choices[i].value);
		free(f->choices[i].label);
	}
	free(f->choices);
	free(f->key);
	free(f->label);
	free(f->help);
	free(f->autocomplete);
	free(f->show_if_field);
	free(f->show_if_value);
	free(f->after_field);
	free(f->at_least_field);
	free(f->at_most_field);
}

static void
mailtext_free(struct mailtext *t)
{
	free(t->subject);
	free(t->body);
}

void
formdef_free(struct procedure *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfields; i++)
		field_free(&p->fields[i]);
	free(p->fields);
	free(p->id);
	free(p->title);
	free(p->section);
	free(p->description);
	free(p->contact);
	free(p->complete_message);
	mailtext_free(&p->mail_arrival);
	mailtext_free(&p->mail_acceptance);
	mailtext_free(&p->mail_return);
	mailtext_free(&p->mail_promotion);
	mailtext_free(&p->mail_won);
	mailtext_free(&p->mail_lost);
	mailtext_free(&p->mail_reserve);
	for (i = 0; i < p->ntexts; i++) {
		for (j = 0; j < p->texts[i].ntr; j++)
			free(p->texts[i].tr[j].text);
		free(p->texts[i].tr);
	}
	free(p->texts);
	free(p->text_index);
	for (i = 0; i < p->residence.nunless; i++)
		free(p->residence.unless_values[i]);
	free(p->residence.unless_values);
	free(p->residence.field);
	free(p->residence.unless_field);
	free(p->participant_prefix);
	free(p->path);
	free(p);
}

const struct field *
formdef_field(const struct procedure *p, const char *key)
{
	return field_by_key(p, p->nfields, key);
}

const struct field *
formdef_places_field(const struct procedure *p)
{
	size_t i;

	for (i = 0; i < p->nfields; i++)
		if (p->fields[i].has_places)
			return &p->fields[i];
	return NULL;
}

int
formdef_first_come(const struct procedure *p)
{
	return !p->lottery && (p->capacity > 0 || formdef_places_field(p) != NULL);
}

void
formdef_expired(const struct procedure *p, time_t now, time_t *before)
{
	time_t keep = (time_t)p->retention_days * 24 * 60 * 60;

	*before = 0;
	if (p->retention_from == RETAIN_FROM_RECEIPT)
		*before = now - keep + 1;	/* received at or before now - keep */
	else if (p->closes_at != 0 && now >= p->closes_at + keep)
		*before = (time_t)INT64_MAX / 2;
}

int
formdef_state(const struct procedure *p, time_t now)
{
	if (now < p->opens_at)
		return -1;
	if (p->closes_at != 0 && now >= p->closes_at)
		return 1;
	return 0;
}

const char *
formdef_text(const struct procedure *p, const char *lang, const char *text)
{
	struct ltext		 key = { .text = text }, *kp = &key, **t;
	size_t			 i;

	if (text == NULL || lang == NULL || strcmp(lang, LANG_DEFAULT) == 0 || p->text_index == NULL)
		return text;
	if ((t = bsearch(&kp, p->text_index, p->ntexts, sizeof(*p->text_index), by_text)) == NULL)
		return text;
	for (i = 0; i < (*t)->ntr; i++)
		if (strcmp((*t)->tr[i].lang, lang) == 0)
			return (*t)->tr[i].text;
	return text;
}

size_t
formdef_missing(const struct procedure *p, const char *lang, struct buf *out)
{
	size_t	i, n = 0;

	for (i = 0; i < p->ntexts; i++) {
		if (formdef_text(p, lang, p->texts[i].text) != p->texts[i].text)
			continue;
		buf_printf(out, "%s:%d:%d: warning: '%s' has no '%s' text: residents reading %s see the Japanese\n",
		    p->path, p->texts[i].line, p->texts[i].column, p->texts[i].key, lang, lang);
		n++;
	}
	return n;
}
