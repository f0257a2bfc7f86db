/*
 * apply_form.c: the procedure list, and a procedure's pages: the form
 * (its empty version rendered once per reload), the confirmation page with
 * its token (lib/confirm.h) and the completion page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "formset.h"
#include "formview.h"
#include "jst.h"

/* Form keys the program itself uses; "f_<key>" field keys follow them. */
static const struct kv_decl control_keys[K__CONTROL] = {
	[K_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[K_ACTION] = { "action", 16, 1, kv_valid_token },
	[K_TOKEN] = { "token", 256, 1, kv_valid_b64url },
};

/* ---- the procedure list ---- */

/* A date and time in the reader's language, put into message id as {date}. */
static int
dated(const struct ctx *c, const char *id, time_t t, struct buf *out)
{
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	rc = lang_time(c->g.w.lang, t, &when) == 0 ?
	    lang_format(c->g.w.lang, out, id, "date", buf_cstr(&when), (const char *)NULL) : -1;
	buf_free(&when);
	return rc;
}

static int
deadline_text(const struct ctx *c, const struct procedure *p, struct buf *out)
{
	if (p->closes_at == 0)
		return buf_puts(out, msg(c, N_("index.always_open")));
	return dated(c, N_("index.until"), p->closes_at, out);
}

/* An open first-come procedure's places in the list: 残りN人, 満員 or 満員（キャンセル待ち受付中）. */
static int
index_places(struct ctx *c, const struct procedure *p, struct tvars *item)
{
	struct places_view	v;
	struct buf		text;
	int			rc;

	buf_init(&text);
	rc = places_read(c->app->site.db, p, &v) == 0 && places_text(p, &v, c->g.w.lang, &text) == 0 ? 0 : -1;
	if (rc == 0 && text.len > 0)
		rc = tvars_set(item, "places", buf_cstr(&text));
	buf_free(&text);
	return rc;
}

static int
index_item(struct ctx *c, const struct procedure *p, const char *list, int state)
{
	struct tvars	*item = tvars_add(c->g.w.vars, list);
	struct buf	 when;
	int		 rc;

	if (item == NULL)
		return -1;
	buf_init(&when);
	if (state < 0)
		rc = dated(c, N_("index.opens"), p->opens_at, &when);
	else if (state > 0)
		rc = dated(c, N_("index.closed_on"), p->closes_at, &when);
	else
		rc = deadline_text(c, p, &when);
	rc |= state == 0 && formdef_first_come(p) ? index_places(c, p, item) : 0;
	rc |= tvars_set(item, "id", p->id) | tvars_set(item, "title", def_text(c, p, p->title)) |
	    tvars_set(item, "section", section_name(c->app, p->section)) |
	    tvars_set(item, "when", buf_cstr(&when));
	rc |= when.oom ? -1 : 0;
	buf_free(&when);
	return rc;
}

void
page_index(void *arg)
{
	static const char *const lists[] = { "upcoming", "open", "closed" };
	struct ctx	*c = arg;
	size_t		 i;
	int		 state, rc = 0;

	tvars_set(c->g.w.vars, "title", msg(c, N_("index.heading")));
	for (i = 0; i < formset_count(c->app->site.forms) && rc == 0; i++) {
		const struct procedure *p = formset_at(c->app->site.forms, i);

		state = formdef_state(p, c->g.w.now);
		rc = index_item(c, p, lists[state + 1], state);
	}
	render(c, rc, "index.html");
}

/* ---- the form ---- */

/* What a procedure's pages say about it; the same for every request. */
static int
proc_text_vars(struct ctx *c)
{
	const struct procedure	*p = c->proc;
	struct buf		 when;
	int			 rc = 0;

	buf_init(&when);
	rc |= tvars_set(c->g.w.vars, "proc_title", def_text(c, p, p->title));
	rc |= tvars_set(c->g.w.vars, "proc_id", p->id);
	rc |= tvars_set(c->g.w.vars, "section", section_name(c->app, p->section));
	rc |= tvars_set(c->g.w.vars, "contact", def_text(c, p, p->contact));
	if (p->description != NULL)
		rc |= tvars_set(c->g.w.vars, "description", def_text(c, p, p->description));
	rc |= deadline_text(c, p, &when);
	rc |= tvars_set(c->g.w.vars, "deadline", buf_cstr(&when));
	if (c->has_places) {
		buf_reset(&when);
		rc |= places_text(p, &c->places, c->g.w.lang, &when);
		if (when.len > 0)
			rc |= tvars_set(c->g.w.vars, "places", buf_cstr(&when));
	}
	buf_free(&when);
	return rc;
}

static int
proc_vars(struct ctx *c)
{
	return proc_text_vars(c) == 0 ? web_csrf_vars(&c->g.w) : -1;
}

/* Everything form.html shows but the CSRF token. */
static int
form_vars(struct ctx *c, const struct answers *as, int with_errors)
{
	int rc = 0;

	rc |= tvars_set(c->g.w.vars, "title", def_text(c, c->proc, c->proc->title));
	rc |= proc_text_vars(c);
	rc |= formview_fields(c->g.w.vars, as, c->g.w.lang, with_errors, c->has_places ? &c->places : NULL);
	if (with_errors && as->nerrors > 0)
		c->g.w.req.status = 422;
	return rc;
}

/* The form with the resident's input, and any errors. */
static void
show_form(struct ctx *c, const struct answers *as, int with_errors)
{
	render(c, form_vars(c, as, with_errors) != 0 || web_csrf_vars(&c->g.w) != 0 ? -1 : 0, "form.html");
}

/* The procedure's empty form; NULL when empty_forms_make ran out of memory. */
static struct empty_form *
empty_form(struct app *app, const struct procedure *p)
{
	size_t i;

	for (i = 0; i < app->nempty; i++)
		if (app->empty[i].proc == p)
			return &app->empty[i];
	return NULL;
}

/* Render the empty form once, exactly as show_form would, with the token (tok) left open. */
static struct tpage *
empty_form_render(struct ctx *c, const char *tok)
{
	struct kv_form	 none;
	struct answers	 as;
	struct tpage	*pg = NULL;

	/* The answers of an empty body, read against the procedure's keys like a POST's. */
	memset(&none, 0, sizeof(none));
	memset(&as, 0, sizeof(as));
	if (formkeys_build(&c->keys, c->proc, control_keys, K__CONTROL) == 0 &&
	    kv_parse_urlencoded(&none, c->keys.decls, c->keys.n, "", 0, MAX_PAIRS) == 0 &&
	    answers_read(&as, c->proc, &none, &c->keys, jst_date(c->g.w.now), c->g.w.lang) == 0 &&
	    form_vars(c, &as, 0) == 0 && tvars_set(c->g.w.vars, "csrf", tok) == 0)
		pg = web_page_render(&c->g.w, "form.html", "csrf");
	answers_free(&as);
	kv_free(&none);
	return pg;
}

/* The empty form (GET, HEAD): rendered once, with this request's token filled in. */
static void
show_empty_form(struct ctx *c)
{
	struct empty_form	*f;
	size_t			 l;
	struct buf		 tok;

	buf_init(&tok);
	if (web_csrf_token(&c->g.w, &tok) == -1 || (f = empty_form(c->app, c->proc)) == NULL) {
		system_error(c);
		goto done;
	}
	/* Places change with every send: the pages are rendered again when the counters they show have. */
	if (c->has_places && memcmp(&f->seen, &c->places, sizeof(c->places)) != 0) {
		for (l = 0; l < c->app->nlangs; l++) {
			tpage_free(f->page[l]);
			f->page[l] = NULL;
		}
		f->seen = c->places;
	}
	if (f->page[c->g.w.lang->index] == NULL)
		f->page[c->g.w.lang->index] = empty_form_render(c, buf_cstr(&tok));
	(void)web_page_fill(&c->g.w, f->page[c->g.w.lang->index], buf_cstr(&tok), tok.len);
done:
	buf_free(&tok);
}

/* What this procedure's confirmation tokens are bound to in this browser (confirm.h). */
void
confirm_bind(const struct ctx *c, struct confirm_bind *b)
{
	b->key = c->app->mac_key;
	b->procedure = c->proc->id;
	b->form_hash = c->proc->hash;
	b->browser = c->g.w.csrf_cookie;
}

static void
show_confirm(struct ctx *c, const struct answers *as)
{
	struct buf	 json, tok, path, title;
	struct confirm_bind b;
	int		 rc = 0;

	confirm_bind(c, &b);
	buf_init(&path);
	buf_init(&json);
	buf_init(&tok);
	buf_init(&title);
	rc |= lang_format(c->g.w.lang, &title, N_("confirm.title"), "title", def_text(c, c->proc, c->proc->title),
	    (const char *)NULL);
	rc |= tvars_set(c->g.w.vars, "title", buf_cstr(&title));
	rc |= proc_vars(c);
	rc |= answers_json(as, &json);
	rc |= confirm_token(&b, c->g.w.now, &json, &tok);
	rc |= tvars_set(c->g.w.vars, "token", buf_cstr(&tok));
	rc |= buf_printf(&path, "/f/%s", c->proc->id);
	rc |= formview_confirm(c->g.w.vars, as, c->g.w.lang, buf_cstr(&path));
	buf_wipe(&json);
	buf_free(&tok);
	buf_free(&path);
	buf_free(&title);
	render(c, rc, "confirm.html");
}

void
show_done(struct ctx *c, const char *receipt, const char *inquiry, const char *participant, time_t received,
    int mail_held, long position)
{
	struct buf	 when, key, title;
	int		 rc = 0;

	buf_init(&when);
	buf_init(&key);
	buf_init(&title);
	rc |= lang_time(c->g.w.lang, received, &when);
	buf_printf(&key, "%.5s-%s", inquiry, inquiry + 5);
	rc |= lang_format(c->g.w.lang, &title, N_("done.title"), "title", def_text(c, c->proc, c->proc->title),
	    (const char *)NULL);
	rc |= tvars_set(c->g.w.vars, "title", buf_cstr(&title));
	rc |= proc_vars(c);
	rc |= tvars_set(c->g.w.vars, "receipt", receipt);
	rc |= tvars_set(c->g.w.vars, "inquiry", buf_cstr(&key));
	rc |= tvars_set(c->g.w.vars, "received", buf_cstr(&when));
	if (*participant != '\0')
		rc |= tvars_set(c->g.w.vars, "participant", participant);
	if (c->proc->complete_message != NULL)
		rc |= tvars_set(c->g.w.vars, "complete_message", def_text(c, c->proc, c->proc->complete_message));
	if (mail_held)
		rc |= tvars_set(c->g.w.vars, "mail_held", "1");
	if (position > 0)
		rc |= tvars_setf(c->g.w.vars, "waitlist_pos", "%ld", position);
	rc |= when.oom || key.oom ? -1 : 0;
	buf_free(&when);
	buf_wipe(&key);
	buf_free(&title);
	render(c, rc, "done.html");
}

static int
proc_closed_page(struct ctx *c)
{
	struct buf	 when, text;
	int		 state = formdef_state(c->proc, c->g.w.now);

	if (state == 0)
		return 0;
	buf_init(&when);
	buf_init(&text);
	if (lang_time(c->g.w.lang, state < 0 ? c->proc->opens_at : c->proc->closes_at, &when) == -1 ||
	    lang_format(c->g.w.lang, &text, state < 0 ? N_("closed.not_yet.text") : N_("closed.over.text"),
	    "title", def_text(c, c->proc, c->proc->title), "date", buf_cstr(&when),
	    "contact", def_text(c, c->proc, c->proc->contact), (const char *)NULL) == -1)
		system_error(c);
	else if (state < 0)
		error_page(c, 403, msg(c, N_("closed.not_yet")), buf_cstr(&text));
	else
		error_page(c, 410, msg(c, N_("closed.over")), buf_cstr(&text));
	buf_free(&when);
	buf_free(&text);
	return -1;
}

/*
 * Closed to this application, as the counters stand (the batching writer
 * decides again on send): a choice without places left gets its error
 * (1, nerrors counted), the whole procedure full gives 1 with no error;
 * 0 when it may go on.
 */
static int
places_closed(struct ctx *c, struct answers *as)
{
	const struct field	*f = formdef_places_field(c->proc);
	const char		*v = places_answer(as);
	size_t			 i, k;

	if (!c->proc->waitlist && places_left(c->proc, &c->places) == 0)
		return 1;
	for (i = 0; f != NULL && *v != '\0' && i < f->nchoices; i++) {
		if (strcmp(f->choices[i].value, v) != 0 || !places_choice_closed(c->proc, &c->places, i))
			continue;
		for (k = 0; k < as->n; k++)
			if (as->a[k].field == f && as->a[k].error.len == 0) {
				(void)lang_format(c->g.w.lang, &as->a[k].error, N_("full.choice_error"), "choice",
				    def_text(c, c->proc, f->choices[i].label), (const char *)NULL);
				as->nerrors++;
			}
		return 1;
	}
	return 0;
}

void
page_form(void *arg)
{
	struct ctx		*c = arg;
	const struct kv_value	*action;
	struct answers		 as;

	if (proc_closed_page(c) == -1)
		return;
	if (formdef_first_come(c->proc)) {
		if (places_read(c->app->site.db, c->proc, &c->places) == -1) {
			system_error(c);
			return;
		}
		c->has_places = 1;
	}
	if (c->g.w.req.method != HTTP_POST) {
		show_empty_form(c);
		return;
	}
	if (answers_read(&as, c->proc, &c->g.form, &c->keys, jst_date(c->g.w.now), c->g.w.lang) == -1) {
		answers_free(&as);
		system_error(c);
		return;
	}
	action = kv_get(&c->g.form, K_ACTION);
	if (action != NULL && strcmp(action->p, "back") != 0 && c->has_places && places_closed(c, &as)) {
		if (as.nerrors == 0) {
			full_page(c, "");
			answers_free(&as);
			return;
		}
		show_form(c, &as, 1);
	} else if (action == NULL || strcmp(action->p, "back") == 0)
		show_form(c, &as, 0);
	else if (as.nerrors > 0)
		show_form(c, &as, 1);
	else if (strcmp(action->p, "confirm") == 0)
		show_confirm(c, &as);
	else if (strcmp(action->p, "send") == 0)
		send_application(c, &as);
	else
		error_page(c, 400, msg(c, N_("form.bad_action")), msg(c, N_("form.bad_action.text")));
	answers_free(&as);
}

/* ---- the gate's callbacks for /f/ ---- */

/* The procedure /f/<id> names (the gate's resolver): 404 for one that does not exist. */
int
form_proc(void *arg)
{
	struct ctx *c = arg;

	c->proc = formset_get(c->app->site.forms, c->g.w.req.path + strlen("/f/"));
	return c->proc != NULL ? 0 : -1;
}

/* A form's body keys: the program's own, then one per field of the procedure. */
int
form_keys(void *arg, const struct kv_decl **decls, size_t *n)
{
	struct ctx *c = arg;

	if (formkeys_build(&c->keys, c->proc, control_keys, K__CONTROL) == -1)
		return -1;
	*decls = c->keys.decls;
	*n = c->keys.n;
	return 0;
}
