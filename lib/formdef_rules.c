/* The definition loader's rules between fields (show_if, after, bounds) and residence in the ward. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formdef_int.h"

enum { S_FIELD, S_VALUE, S_N };

static const char *const show_if_keys[S_N] = { [S_FIELD] = "field", [S_VALUE] = "value" };

const struct field *
field_by_key(const struct procedure *p, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p->fields[i].key != NULL && strcmp(p->fields[i].key, key) == 0)
			return &p->fields[i];
	return NULL;
}

static int
has_choice(const struct field *f, const char *value)
{
	size_t i;

	for (i = 0; i < f->nchoices; i++)
		if (f->choices[i].value != NULL && strcmp(f->choices[i].value, value) == 0)
			return 1;
	return 0;
}

/* show_if is checked once every field is loaded, to tell "later" from "unknown". */
void
load_show_if(struct ctx *c, struct procedure *p, size_t idx, const struct ynode *m,
    const unsigned char *typed)
{
	const struct ynode	*key[S_N], *val[S_N];
	const struct field	*target;
	struct field		*f = &p->fields[idx];

	if (ytree_slots(&c->e, m, "'show_if'", " in show_if", show_if_keys, S_N, key, val) == -1)
		return;
	if (ytree_need(&c->e, m, val[S_FIELD], "field", " in show_if") == -1 ||
	    ytree_need(&c->e, m, val[S_VALUE], "value", " in show_if") == -1 ||
	    ytree_name(&c->e, key[S_FIELD], val[S_FIELD], key_ok, "a field key", &f->show_if_field) ||
	    ytree_name(&c->e, key[S_VALUE], val[S_VALUE], value_ok, "a choice value", &f->show_if_value))
		return;
	if ((target = field_by_key(p, p->nfields, f->show_if_field)) == NULL)
		ytree_err(&c->e, val[S_FIELD]->line, val[S_FIELD]->col,
		    "show_if refers to unknown field '%s'", f->show_if_field);
	else if (target >= f)
		ytree_err(&c->e, val[S_FIELD]->line, val[S_FIELD]->col,
		    "show_if must refer to a field defined earlier; '%s' %s", f->show_if_field,
		    target == f ? "is this field itself" : "comes later");
	else if (!typed[target - p->fields]) {
		/* its own error is already reported */
	} else if (!is_choice_type(target->type))
		ytree_err(&c->e, val[S_FIELD]->line, val[S_FIELD]->col,
		    "show_if field '%s' is a %s field; it must be radio, select or checkbox",
		    f->show_if_field, formdef_type_name(target->type));
	else if (target->nchoices > 0 && !has_choice(target, f->show_if_value))
		ytree_err(&c->e, val[S_VALUE]->line, val[S_VALUE]->col,
		    "show_if value '%s' is not one of the choices of '%s'", f->show_if_value,
		    f->show_if_field);
	else
		return;
	free(f->show_if_field);
	free(f->show_if_value);
	f->show_if_field = f->show_if_value = NULL;
}

/*
 * The field another key of field f names (at k:v): NULL when it is unknown,
 * f itself, or not of type t (each reported, rule saying which key).
 */
static const struct field *
other_field(struct ctx *c, const struct procedure *p, const struct field *f, const struct ynode *v,
    const char *name, const char *rule, enum field_type t, const unsigned char *typed)
{
	const struct field *o = field_by_key(p, p->nfields, name);

	if (o == NULL)
		ytree_err(&c->e, v->line, v->col, "'%s' refers to unknown field '%s'", rule, name);
	else if (o == f)
		ytree_err(&c->e, v->line, v->col, "'%s' cannot refer to this field itself", rule);
	else if (!typed[o - p->fields])
		return NULL;	/* its own error is already reported */
	else if (o->type != t)
		ytree_err(&c->e, v->line, v->col, "'%s' field '%s' is a %s field; it must be a %s field",
		    rule, name, formdef_type_name(o->type), formdef_type_name(t));
	else
		return o;
	return NULL;
}

enum { A_FIELD, A_MIN_DAYS, A_MAX_DAYS, A_N };

static const char *const after_keys[A_N] = {
	[A_FIELD] = "field", [A_MIN_DAYS] = "min_days", [A_MAX_DAYS] = "max_days",
};

/* after: {field: <date field>, min_days: 0.., max_days: ..}: this date that many days after the other. */
void
load_after(struct ctx *c, struct procedure *p, struct field *f, const struct ynode *m, const unsigned char *typed)
{
	const struct ynode	*key[A_N], *val[A_N];
	char			*name = NULL;

	f->after_min_days = 1;
	if (ytree_slots(&c->e, m, "'after'", " in after", after_keys, A_N, key, val) == -1 ||
	    ytree_need(&c->e, m, val[A_FIELD], "field", " in after") == -1 ||
	    ytree_name(&c->e, key[A_FIELD], val[A_FIELD], key_ok, "a field key", &name) == -1)
		return;
	ytree_int(&c->e, key[A_MIN_DAYS], val[A_MIN_DAYS], 0, 3650, &f->after_min_days);
	if (ytree_int(&c->e, key[A_MAX_DAYS], val[A_MAX_DAYS], 1, 3650, &f->after_max_days) == 0 &&
	    val[A_MAX_DAYS] != NULL && f->after_max_days < f->after_min_days)
		ytree_err(&c->e, val[A_MAX_DAYS]->line, val[A_MAX_DAYS]->col,
		    "'max_days' (%d) is less than 'min_days' (%d)", f->after_max_days, f->after_min_days);
	if (other_field(c, p, f, val[A_FIELD], name, "after", FT_DATE, typed) != NULL)
		f->after_field = name;
	else
		free(name);
}

/* at_least / at_most: the key of another number field. */
void
load_bound(struct ctx *c, struct procedure *p, struct field *f, const struct ynode *k, const struct ynode *v,
    char **out, const unsigned char *typed)
{
	char *name = NULL;

	if (v == NULL || ytree_name(&c->e, k, v, key_ok, "a field key", &name) == -1)
		return;
	if (other_field(c, p, f, v, name, k->s, FT_NUMBER, typed) != NULL)
		*out = name;
	else
		free(name);
}

/* ------------------------------------------------------------------ */
/* Residence in the ward */

enum { R_ADDRESS, R_UNLESS, R_N };

static const char *const residence_keys[R_N] = { [R_ADDRESS] = "address", [R_UNLESS] = "unless" };

enum { U_FIELD, U_VALUES, U_N };

static const char *const unless_keys[U_N] = { [U_FIELD] = "field", [U_VALUES] = "values" };

/* The address field: a required text field everyone is shown, or the rule could be passed by. */
static void
load_residence_field(struct ctx *c, const struct procedure *p, const struct ynode *k, const struct ynode *v,
    struct residence *r)
{
	const struct field *f;

	if (ytree_name(&c->e, k, v, key_ok, "a field key", &r->field) == -1)
		return;
	if ((f = field_by_key(p, p->nfields, r->field)) == NULL)
		ytree_err(&c->e, v->line, v->col, "'residence' refers to unknown field '%s'", r->field);
	else if (f->type != FT_TEXT && f->type != FT_TEXTAREA)
		ytree_err(&c->e, v->line, v->col, "residence field '%s' is a %s field; "
		    "it must be a text or textarea field (the address)", r->field, formdef_type_name(f->type));
	else if (!f->required || f->show_if_field != NULL)
		ytree_err(&c->e, v->line, v->col, "residence field '%s' must be required and "
		    "always shown (no show_if): otherwise the rule could be passed by", r->field);
	else
		return;
	free(r->field);
	r->field = NULL;
}

/* unless: {field: <radio or select>, values: [<its choice values>]} */
static void
load_unless(struct ctx *c, const struct procedure *p, const struct ynode *m, struct residence *r)
{
	const struct ynode	*key[U_N], *val[U_N], *list;
	const struct field	*f = NULL;
	size_t			 i;

	if (ytree_slots(&c->e, m, "'unless'", " in residence.unless", unless_keys, U_N, key, val) == -1 ||
	    ytree_need(&c->e, m, val[U_FIELD], "field", " in residence.unless") == -1 ||
	    ytree_need(&c->e, m, val[U_VALUES], "values", " in residence.unless") == -1 ||
	    ytree_name(&c->e, key[U_FIELD], val[U_FIELD], key_ok, "a field key", &r->unless_field) == -1)
		return;
	if ((f = field_by_key(p, p->nfields, r->unless_field)) == NULL)
		ytree_err(&c->e, val[U_FIELD]->line, val[U_FIELD]->col, "'unless' refers to unknown field '%s'",
		    r->unless_field);
	else if (f->type != FT_RADIO && f->type != FT_SELECT) {
		ytree_err(&c->e, val[U_FIELD]->line, val[U_FIELD]->col, "unless field '%s' is a %s field; "
		    "it must be a radio or select field", r->unless_field, formdef_type_name(f->type));
		f = NULL;
	}
	list = val[U_VALUES];
	if (list->kind != Y_SEQ || list->nkid == 0) {
		if (list->kind != Y_BAD)
			ytree_err(&c->e, list->line, list->col, "'values' must be a list of at least one choice value, "
			    "not %s", list->kind == Y_SEQ ? "an empty list" : ytree_kind_name(list));
		return;
	}
	if ((r->unless_values = calloc(list->nkid, sizeof(*r->unless_values))) == NULL) {
		c->e.oom = 1;
		return;
	}
	r->nunless = list->nkid;
	for (i = 0; i < list->nkid; i++) {
		const struct ynode *item = list->kid[i];

		if (ytree_name(&c->e, key[U_VALUES], item, value_ok, "a choice value", &r->unless_values[i]) == 0 &&
		    f != NULL && f->nchoices > 0 && !has_choice(f, r->unless_values[i]))
			ytree_err(&c->e, item->line, item->col, "unless value '%s' is not one of the choices of '%s'",
			    r->unless_values[i], r->unless_field);
	}
}

/* residence: {address: <field>, unless: {...}}, read once the fields are loaded. */
void
load_residence(struct ctx *c, const struct ynode *m, struct procedure *p)
{
	const struct ynode *key[R_N], *val[R_N];

	if (ytree_slots(&c->e, m, "'residence'", " in residence", residence_keys, R_N, key, val) == -1 ||
	    ytree_need(&c->e, m, val[R_ADDRESS], "address", " in residence") == -1)
		return;
	load_residence_field(c, p, key[R_ADDRESS], val[R_ADDRESS], &p->residence);
	if (val[R_UNLESS] != NULL)
		load_unless(c, p, val[R_UNLESS], &p->residence);
}
