#include "formview.h"

#include <stdio.h>
#include <string.h>

#include "lang.h"

/* One of the definition's texts in l (formdef_text); Japanese without a language. */
static const char *
text(const struct procedure *p, const struct lang *l, const char *t)
{
	return formdef_text(p, l != NULL ? l->tag : NULL, t);
}

static const char *
input_type(enum field_type t)
{
	switch (t) {
	case FT_TEL:	return "tel";
	case FT_EMAIL:	return "email";
	default:	return "text";
	}
}

static const char *
input_mode(enum field_type t)
{
	switch (t) {
	case FT_POSTAL:
	case FT_NUMBER:	return "numeric";
	case FT_TEL:	return "tel";
	case FT_EMAIL:	return "email";
	default:	return "";
	}
}

static const char *
width_class(const struct field *f)
{
	switch (f->type) {
	case FT_POSTAL:	return "w-postal";
	case FT_TEL:
	case FT_NUMBER:
	case FT_DATE:
	case FT_MONTH_DAY:	return "w-short";
	case FT_EMAIL:
	case FT_KANA:	return "w-medium";
	default:	return f->maxlength != 0 && f->maxlength <= 20 ? "w-medium" : "w-long";
	}
}

static const char *
type_flag(enum field_type t)
{
	switch (t) {
	case FT_TEXTAREA:	return "t_textarea";
	case FT_RADIO:
	case FT_CHECKBOX:	return "t_choices";
	case FT_SELECT:		return "t_select";
	default:		return "t_input";
	}
}

/* A choice's places: 残りN人 or 満員 beside it; a choice closed to new applications cannot be picked. */
static int
choice_places(const struct procedure *p, const struct lang *l, const struct places_view *v,
    const struct field *f, size_t i, struct tvars *cv)
{
	struct buf	text;
	int		rc;

	if (v == NULL || !f->has_places)
		return 0;
	buf_init(&text);
	rc = places_choice_text(p, v, i, l, &text);
	if (rc == 0 && text.len > 0)
		rc = tvars_set(cv, "places", buf_cstr(&text));
	if (rc == 0 && places_choice_closed(p, v, i))
		rc = tvars_set(cv, "disabled", "1");
	buf_free(&text);
	return rc;
}

static int
field_choices(struct tvars *fv, const struct procedure *p, const struct lang *l, const struct answer *a,
    const struct places_view *v)
{
	const struct field	*f = a->field;
	size_t			 i;
	int			 rc = 0, on;

	for (i = 0; i < f->nchoices; i++) {
		struct tvars *cv = tvars_add(fv, "choices");

		if (cv == NULL)
			return -1;
		on = f->type == FT_CHECKBOX ? (a->picked != NULL && a->picked[i]) :
		    strcmp(buf_cstr(&a->value), f->choices[i].value) == 0;
		rc |= tvars_set(cv, "value", f->choices[i].value);
		rc |= tvars_set(cv, "label", text(p, l, f->choices[i].label));
		rc |= tvars_setf(cv, "cid", "f-%s-%zu", f->key, i);
		if (on)
			rc |= tvars_set(cv, "checked", "1");
		rc |= choice_places(p, l, v, f, i, cv);
	}
	return rc;
}

static int
show_if_text(const struct procedure *p, const struct lang *l, const struct field *f, struct buf *out)
{
	const struct field	*ctl;
	const struct choice	*ch;

	if (f->show_if_field == NULL)
		return 0;
	if ((ctl = formdef_field(p, f->show_if_field)) == NULL ||
	    (ch = answers_choice(ctl, f->show_if_value)) == NULL)
		return 0;
	return lang_format(l, out, N_("form.show_if"), "field", text(p, l, ctl->label), "choice", text(p, l, ch->label),
	    (const char *)NULL);
}

static int
field_vars(struct tvars *vars, const struct procedure *p, const struct lang *l, const struct answer *a,
    int with_errors, const struct places_view *places)
{
	const struct field	*f = a->field;
	struct tvars		*fv = tvars_add(vars, "fields");
	struct buf		 desc, cond;
	int			 rc = 0;

	if (fv == NULL)
		return -1;
	buf_init(&desc);
	buf_init(&cond);
	rc |= tvars_set(fv, "key", f->key);
	rc |= tvars_setf(fv, "fid", "f-%s", f->key);
	rc |= tvars_setf(fv, "name", "f_%s", f->key);
	rc |= tvars_set(fv, "label", text(p, l, f->label));
	rc |= tvars_set(fv, type_flag(f->type), "1");
	rc |= tvars_set(fv, "input_type", input_type(f->type));
	rc |= tvars_set(fv, "choice_type", f->type == FT_CHECKBOX ? "checkbox" : "radio");
	rc |= tvars_set(fv, "inputmode", input_mode(f->type));
	rc |= tvars_set(fv, "width", width_class(f));
	rc |= tvars_set(fv, "autocomplete", f->autocomplete ? f->autocomplete : "off");
	rc |= tvars_setf(fv, "maxlength", "%zu", f->maxlength ? f->maxlength :
	    (f->type == FT_TEXTAREA ? 2000 : 200));
	rc |= tvars_setn(fv, "value", a->value.len ? a->value.data : "", a->value.len);
	if (f->required)
		rc |= tvars_set(fv, "required", "1");
	if (f->help != NULL) {
		rc |= tvars_set(fv, "help", text(p, l, f->help));
		buf_printf(&desc, "f-%s-help", f->key);
	}
	rc |= show_if_text(p, l, f, &cond);
	if (cond.len > 0) {
		rc |= tvars_set(fv, "condition", buf_cstr(&cond));
		buf_printf(&desc, "%sf-%s-cond", desc.len ? " " : "", f->key);
	}
	if (with_errors && a->error.len > 0) {
		rc |= tvars_set(fv, "error", buf_cstr(&a->error));
		buf_printf(&desc, "%sf-%s-error", desc.len ? " " : "", f->key);
	}
	rc |= tvars_set(fv, "describedby", buf_cstr(&desc));
	rc |= field_choices(fv, p, l, a, places);
	rc |= desc.oom || cond.oom ? -1 : 0;
	buf_free(&desc);
	buf_free(&cond);
	return rc;
}

int
formview_fields(struct tvars *vars, const struct answers *as, const struct lang *l, int with_errors,
    const struct places_view *places)
{
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < as->n; i++) {
		if (with_errors && as->a[i].error.len > 0) {
			struct tvars *e = tvars_add(vars, "errors");

			rc |= e == NULL ? -1 : 0;
			if (e != NULL) {
				rc |= tvars_setf(e, "href", "#f-%s", as->a[i].field->key);
				rc |= tvars_set(e, "text", buf_cstr(&as->a[i].error));
			}
		}
		rc |= field_vars(vars, as->proc, l, &as->a[i], with_errors, places);
	}
	if (with_errors && as->nerrors > 0)
		rc |= tvars_set(vars, "page_error", "1");
	return rc;
}

/* Hidden copies of the normalised answers: a checkbox's picks one each. */
static int
hidden_vars(struct tvars *vars, const struct answer *a)
{
	const struct field	*f = a->field;
	struct tvars		*h;
	size_t			 i;

	if (f->type != FT_CHECKBOX) {
		if ((h = tvars_add(vars, "hidden")) == NULL)
			return -1;
		return tvars_setf(h, "name", "f_%s", f->key) |
		    tvars_setn(h, "value", a->value.len ? a->value.data : "", a->value.len);
	}
	for (i = 0; i < f->nchoices; i++) {
		if (!a->picked[i])
			continue;
		if ((h = tvars_add(vars, "hidden")) == NULL)
			return -1;
		if ((tvars_setf(h, "name", "f_%s", f->key) | tvars_set(h, "value", f->choices[i].value)) != 0)
			return -1;
	}
	return 0;
}

int
formview_confirm(struct tvars *vars, const struct answers *as, const struct lang *l, const char *form_path)
{
	struct buf	 disp;
	size_t		 i;
	int		 rc;

	buf_init(&disp);
	rc = tvars_set(vars, "form_path", form_path);
	for (i = 0; i < as->n && rc == 0; i++) {
		const struct answer	*a = &as->a[i];
		struct tvars		*row;

		rc |= hidden_vars(vars, a);
		if (!a->shown)
			continue;
		if ((row = tvars_add(vars, "rows")) == NULL) {
			rc = -1;
			break;
		}
		buf_reset(&disp);
		rc |= answers_display(as, a, l, &disp);
		rc |= tvars_set(row, "label", text(as->proc, l, a->field->label));
		rc |= tvars_set(row, "display", disp.len ? buf_cstr(&disp) : lang_msg(l, N_("confirm.empty")));
		rc |= tvars_set(row, "key", a->field->key);
	}
	buf_wipe(&disp);
	return rc;
}
