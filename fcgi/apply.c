/*
 * apply: the resident-facing FastCGI program.
 *
 * It lists the open procedures, shows and checks forms, shows the
 * confirmation page, stores each application sealed to its section's public
 * key, and answers status look-ups.  It holds no key that opens a stored
 * application: only section public keys and its own MAC key.
 *
 * Request gate, in this order and before any page code runs:
 * read (413/400) -> method (405) -> route (404) -> method for route (405) ->
 * body type (415) -> declared keys (400) -> CSRF (403) -> page.
 *
 * Process model: a master opens the socket, then forks workers that accept
 * on it.  SIGHUP reloads forms and templates in every worker between
 * requests; SIGTERM lets each worker finish its request and exit.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "answers.h"
#include "buf.h"
#include "db.h"
#include "esc.h"
#include "formdef.h"
#include "formset.h"
#include "guess.h"
#include "http.h"
#include "jnorm.h"
#include "jst.h"
#include "kv.h"
#include "log.h"
#include "writer.h"
#include "mail.h"
#include "seal.h"
#include "tmpl.h"
#include "prefork.h"
#include "web.h"

#define MAX_BODY	(64 * 1024)
#define MAX_PAIRS	256
#define CONFIRM_TTL	(3 * 60 * 60)	/* a confirmation page stays sendable this long */
#define NONCE_LEN	16
#define STAMP_LEN	(NONCE_LEN + 8)	/* a token's nonce and expiry */
#define INQUIRY_LEN	10
#define MAX_SECTIONS	64

/* Limits on residents' sends (db_set_limits); the options override them (scripts/run.sh). */
#define SEND_LIMIT	20		/* applications per client address and procedure ... */
#define SEND_WINDOW	(60 * 60)	/* ... within this many seconds */
#define MAIL_LIMIT	10		/* arrival mails per recipient address within DB_MAIL_WINDOW */
#define LIMIT_MAX	1000000000

/*
 * Status look-up: guesses of an inquiry key in sliding windows (lib/guess.h):
 * 5 an hour per receipt from one address; a receipt with 5 stays open to
 * addresses without failures, so its owner still gets in; an address with
 * 10 in 10 minutes is kept from the receipts it failed on.
 */
#define THROTTLE_ADDR_LIMIT	10
#define THROTTLE_ADDR_WINDOW	(10 * 60)
#define THROTTLE_RECEIPT_LIMIT	5
#define THROTTLE_RECEIPT_WINDOW	(60 * 60)

enum page {
	PAGE_INDEX,
	PAGE_FORM,
	PAGE_STATUS
};

static const struct route routes[] = {
	{ "/", HTTP_GET | HTTP_HEAD, PAGE_INDEX, 0, 0 },
	{ "/f/", HTTP_GET | HTTP_HEAD | HTTP_POST, PAGE_FORM, 0, 0 },
	{ "/status", HTTP_GET | HTTP_HEAD | HTTP_POST, PAGE_STATUS, 0, 0 },
};

/* Form keys the program itself uses; "f_<key>" field keys follow them. */
enum { K_CSRF, K_ACTION, K_TOKEN, K__CONTROL };
static const struct kv_decl control_keys[K__CONTROL] = {
	[K_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[K_ACTION] = { "action", 16, 1, kv_valid_token },
	[K_TOKEN] = { "token", 256, 1, kv_valid_b64url },
};

enum { S_CSRF, S_RECEIPT, S_INQUIRY, S__COUNT };
static const struct kv_decl status_keys[S__COUNT] = {
	[S_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[S_RECEIPT] = { "receipt", 80, 1, NULL },
	[S_INQUIRY] = { "inquiry", 80, 1, NULL },
};

enum { C_CSRF, C_CSRF_HOST, C__COUNT };
static const struct kv_decl cookie_keys[C__COUNT] = {
	[C_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[C_CSRF_HOST] = { "__Host-csrf", 64, 1, kv_valid_b64url },
};

/*
 * A section and, once an application of it was sealed, its current key:
 * remembered so that a submit does not read the database for it.  The
 * writer stores only applications sealed to the current key (DB_STALE_KEY
 * otherwise), so a rotation is never missed; a reload forgets the key too.
 */
struct section {
	char		id[64];
	char		name[256];
	char		key_id[SEAL_KEYID_LEN + 1];	/* "" until read */
	unsigned char	pk[SEAL_PK_LEN];
};

/*
 * The empty form of one procedure, rendered once with the CSRF token left
 * open (tmpl.h: tpage): a GET then costs a MAC and a copy.  Everything the
 * page shows comes from the definition, the sections and the templates, so
 * reload() drops them all.
 */
struct fresh_form {
	const struct procedure	*proc;	/* valid until the next reload */
	struct tpage		*page;	/* NULL until the first GET renders it */
};

/* Per-request state, reset on every FastCGI iteration. */
struct app;

struct ctx {
	struct web		 w;
	struct app		*app;
	struct kv_form		 form;
	struct formkeys		 keys;
	const struct procedure	*proc;
};

/* Process-wide state: read-only while a request runs, replaced on reload. */
struct app {
	const char	*data_dir;
	const char	*forms_dir;
	const char	*tmpl_dir;
	char		 db_path[1024];
	struct formset	*forms;
	struct tset	*tmpl;
	struct db	*db;
	unsigned char	 mac_key[SEAL_KEY_LEN];
	unsigned char	 mailer_pk[SEAL_PK_LEN];	/* queued mails are sealed to it */
	struct section	 sections[MAX_SECTIONS];
	size_t		 nsections;
	struct db_limits limits;		/* the writer's */
	char		 writer_path[1024];	/* the batching writer's socket (writer.h) */
	int		 writer_fd;		/* its listening socket: the master's and the writer's */
	struct writer_client writer;		/* a worker's connection to it */
	struct fresh_form *fresh;	/* one per procedure of forms, made on reload */
	size_t		 nfresh;
	struct ctx	 ctx;		/* the worker's one request context */
};


/* ---- sections and reload ---- */

static int
section_collect(const char *id, const char *name, void *arg)
{
	struct app	*app = arg;
	struct section	*s;

	if (app->nsections == MAX_SECTIONS)
		return 1;
	s = &app->sections[app->nsections++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->name, sizeof(s->name), "%s", name);
	return 0;
}

static struct section *
section_find(struct app *app, const char *id)
{
	size_t i;

	for (i = 0; i < app->nsections; i++)
		if (strcmp(app->sections[i].id, id) == 0)
			return &app->sections[i];
	return NULL;
}

static int
section_known(const char *id, void *arg)
{
	return section_find(arg, id) != NULL;
}

static const char *
section_name(struct app *app, const char *id)
{
	const struct section *s = section_find(app, id);

	return s != NULL ? s->name : id;
}

static void
fresh_clear(struct app *app)
{
	size_t i;

	for (i = 0; i < app->nfresh; i++)
		tpage_free(app->fresh[i].page);
	free(app->fresh);
	app->fresh = NULL;
	app->nfresh = 0;
}

/* An empty slot per procedure; none when memory ran out (a GET then answers 503). */
static void
fresh_make(struct app *app)
{
	size_t i, n = formset_count(app->forms);

	if (n == 0 || (app->fresh = calloc(n, sizeof(*app->fresh))) == NULL)
		return;
	for (i = 0; i < n; i++)
		app->fresh[i].proc = formset_at(app->forms, i);
	app->nfresh = n;
}

/* Reload sections, forms and templates; what fails keeps its previous version. */
static void
reload(struct app *app)
{
	struct buf	 err;
	int		 broken;

	fresh_clear(app);	/* before the procedures they point to can go */
	app->nsections = 0;
	if (db_section_each(app->db, section_collect, app) == -1)
		log_msg(LOG_ERR, "cannot read sections");
	buf_init(&err);
	broken = formset_reload(app->forms, app->forms_dir, section_known, app, &err);
	if (broken != 0)
		web_log_lines("form refused, previous version kept: ", &err);
	buf_free(&err);
	(void)web_load_templates(app->tmpl_dir, &app->tmpl);
	fresh_make(app);
	log_msg(LOG_INFO, "reloaded: %zu procedures, %d refused", formset_count(app->forms),
	    broken < 0 ? 0 : broken);
}

/* ---- rendering ---- */

static int
render(struct ctx *c, const char *name)
{
	return web_render(&c->w, name);
}

static void
error_page(struct ctx *c, int status, const char *heading, const char *message)
{
	web_error_page(&c->w, status, heading, message);
}

static void
system_error(struct ctx *c)
{
	error_page(c, 503, "ただいま受付できません",
	    "システムが混み合っているか、障害が発生しています。入力内容は保存されていません。"
	    "しばらく時間をおいてから、もう一度お試しください。");
}

/* ---- the procedure list ---- */

static int
deadline_text(const struct procedure *p, struct buf *out)
{
	if (p->closes_at == 0)
		return buf_puts(out, "随時受付");
	if (jst_format(p->closes_at, 1, out) == -1)
		return -1;
	return buf_puts(out, "まで");
}

static int
index_item(struct ctx *c, const struct procedure *p, const char *list, int state)
{
	struct tvars	*item = tvars_add(c->w.vars, list);
	struct buf	 when;
	int		 rc;

	if (item == NULL)
		return -1;
	buf_init(&when);
	if (state < 0) {
		jst_format(p->opens_at, 1, &when);
		buf_puts(&when, "から受付");
	} else if (state > 0) {
		jst_format(p->closes_at, 1, &when);
		buf_puts(&when, "に受付終了");
	} else
		deadline_text(p, &when);
	rc = tvars_set(item, "id", p->id) | tvars_set(item, "title", p->title) |
	    tvars_set(item, "section", section_name(c->app, p->section)) |
	    tvars_set(item, "when", buf_cstr(&when));
	rc |= when.oom ? -1 : 0;
	buf_free(&when);
	return rc;
}

static void
page_index(struct ctx *c)
{
	static const char *const lists[] = { "upcoming", "open", "closed" };
	size_t	 i;
	int	 state;

	tvars_set(c->w.vars, "title", "申請できる手続き");
	for (i = 0; i < formset_count(c->app->forms); i++) {
		const struct procedure *p = formset_at(c->app->forms, i);

		state = formdef_state(p, c->w.now);
		if (index_item(c, p, lists[state + 1], state) == -1) {
			system_error(c);
			return;
		}
	}
	(void)render(c, "index.html");
}

/* ---- the form ---- */

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
	case FT_DATE:	return "w-short";
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

static int
field_choices(struct tvars *fv, const struct answer *a)
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
		rc |= tvars_set(cv, "label", f->choices[i].label);
		rc |= tvars_setf(cv, "cid", "f-%s-%zu", f->key, i);
		if (on)
			rc |= tvars_set(cv, "checked", "1");
	}
	return rc;
}

static int
show_if_text(const struct procedure *p, const struct field *f, struct buf *out)
{
	const struct field	*ctl;
	const struct choice	*ch;

	if (f->show_if_field == NULL)
		return 0;
	if ((ctl = formdef_field(p, f->show_if_field)) == NULL ||
	    (ch = answers_choice(ctl, f->show_if_value)) == NULL)
		return 0;
	return buf_printf(out, "「%s」で「%s」を選んだ方のみ入力してください。", ctl->label, ch->label);
}

static int
field_vars(struct ctx *c, const struct answer *a, int with_errors)
{
	const struct field	*f = a->field;
	struct tvars		*fv = tvars_add(c->w.vars, "fields");
	struct buf		 desc, cond;
	int			 rc = 0;

	if (fv == NULL)
		return -1;
	buf_init(&desc);
	buf_init(&cond);
	rc |= tvars_set(fv, "key", f->key);
	rc |= tvars_setf(fv, "fid", "f-%s", f->key);
	rc |= tvars_setf(fv, "name", "f_%s", f->key);
	rc |= tvars_set(fv, "label", f->label);
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
		rc |= tvars_set(fv, "help", f->help);
		buf_printf(&desc, "f-%s-help", f->key);
	}
	rc |= show_if_text(c->proc, f, &cond);
	if (cond.len > 0) {
		rc |= tvars_set(fv, "condition", buf_cstr(&cond));
		buf_printf(&desc, "%sf-%s-cond", desc.len ? " " : "", f->key);
	}
	if (with_errors && a->error.len > 0) {
		rc |= tvars_set(fv, "error", buf_cstr(&a->error));
		buf_printf(&desc, "%sf-%s-error", desc.len ? " " : "", f->key);
	}
	rc |= tvars_set(fv, "describedby", buf_cstr(&desc));
	rc |= field_choices(fv, a);
	rc |= desc.oom || cond.oom ? -1 : 0;
	buf_free(&desc);
	buf_free(&cond);
	return rc;
}

/* What a procedure's pages say about it; the same for every request. */
static int
proc_text_vars(struct ctx *c)
{
	const struct procedure	*p = c->proc;
	struct buf		 when;
	int			 rc = 0;

	buf_init(&when);
	rc |= tvars_set(c->w.vars, "proc_title", p->title);
	rc |= tvars_set(c->w.vars, "proc_id", p->id);
	rc |= tvars_set(c->w.vars, "section", section_name(c->app, p->section));
	rc |= tvars_set(c->w.vars, "contact", p->contact);
	if (p->description != NULL)
		rc |= tvars_set(c->w.vars, "description", p->description);
	rc |= deadline_text(p, &when);
	rc |= tvars_set(c->w.vars, "deadline", buf_cstr(&when));
	buf_free(&when);
	return rc;
}

static int
proc_vars(struct ctx *c)
{
	return proc_text_vars(c) == 0 ? web_csrf_vars(&c->w) : -1;
}

/* Everything form.html shows but the CSRF token. */
static int
form_vars(struct ctx *c, const struct answers *as, int with_errors)
{
	size_t	 i;
	int	 rc = 0;

	rc |= tvars_setf(c->w.vars, "title", "%s", c->proc->title);
	rc |= proc_text_vars(c);
	for (i = 0; i < as->n; i++) {
		if (with_errors && as->a[i].error.len > 0) {
			struct tvars *e = tvars_add(c->w.vars, "errors");

			rc |= e == NULL ? -1 : 0;
			if (e != NULL) {
				rc |= tvars_setf(e, "href", "#f-%s", as->a[i].field->key);
				rc |= tvars_set(e, "text", buf_cstr(&as->a[i].error));
			}
		}
		rc |= field_vars(c, &as->a[i], with_errors);
	}
	if (with_errors && as->nerrors > 0) {
		rc |= tvars_set(c->w.vars, "page_error", "1");
		c->w.req.status = 422;
	}
	return rc;
}

/* The form with the resident's input, and any errors. */
static void
show_form(struct ctx *c, const struct answers *as, int with_errors)
{
	if (form_vars(c, as, with_errors) != 0 || web_csrf_vars(&c->w) != 0) {
		system_error(c);
		return;
	}
	(void)render(c, "form.html");
}

/* The procedure's slot in the fresh-form cache; NULL when fresh_make ran out of memory. */
static struct fresh_form *
fresh_slot(struct app *app, const struct procedure *p)
{
	size_t i;

	for (i = 0; i < app->nfresh; i++)
		if (app->fresh[i].proc == p)
			return &app->fresh[i];
	return NULL;
}

/* Render the empty form once, exactly as show_form would, with the token (tok) left open. */
static struct tpage *
fresh_render(struct ctx *c, const char *tok)
{
	struct kv_form	 none;
	struct answers	 as;
	struct tpage	*pg = NULL;

	/* The answers of an empty body, read against the procedure's keys like a POST's. */
	memset(&none, 0, sizeof(none));
	memset(&as, 0, sizeof(as));
	if (formkeys_build(&c->keys, c->proc, control_keys, K__CONTROL) == 0 &&
	    kv_parse_urlencoded(&none, c->keys.decls, c->keys.n, "", 0, MAX_PAIRS) == 0 &&
	    answers_read(&as, c->proc, &none, &c->keys, jst_date(c->w.now)) == 0 &&
	    form_vars(c, &as, 0) == 0 && tvars_set(c->w.vars, "csrf", tok) == 0)
		pg = web_page_render(&c->w, "form.html", "csrf");
	answers_free(&as);
	kv_free(&none);
	return pg;
}

/* The empty form (GET, HEAD): from the cache, with this request's token filled in. */
static void
show_fresh_form(struct ctx *c)
{
	struct fresh_form	*f;
	struct buf		 tok;

	buf_init(&tok);
	if (web_csrf_token(&c->w, &tok) == -1 || (f = fresh_slot(c->app, c->proc)) == NULL) {
		system_error(c);
		goto done;
	}
	if (f->page == NULL)
		f->page = fresh_render(c, buf_cstr(&tok));
	(void)web_page_fill(&c->w, f->page, buf_cstr(&tok), tok.len);
done:
	buf_free(&tok);
}

/*
 * token = nonce || expiry || MAC(procedure, definition hash, CSRF cookie,
 * nonce, expiry, answers).  The cookie binds the page to the browser it was
 * shown in: copied into another browser (another cookie, and the CSRF token
 * that goes with it), it cannot be sent.
 */
static int
confirm_mac(const struct ctx *c, const unsigned char stamp[STAMP_LEN], const struct buf *json,
    unsigned char mac[SEAL_MAC_LEN])
{
	struct buf	 m;
	int		 rc;

	buf_init(&m);
	buf_puts(&m, c->proc->id);
	buf_putc(&m, 0);
	buf_puts(&m, c->proc->hash);
	buf_putc(&m, 0);
	buf_puts(&m, c->w.csrf_cookie);
	buf_putc(&m, 0);
	buf_put(&m, stamp, STAMP_LEN);
	buf_put(&m, json->data, json->len);
	rc = m.oom ? -1 : seal_mac(c->app->mac_key, "confirm", m.data, m.len, mac);
	buf_wipe(&m);
	return rc;
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static int
confirm_token(const struct ctx *c, const struct buf *json, struct buf *out)
{
	unsigned char raw[STAMP_LEN + SEAL_MAC_LEN];

	seal_random(raw, NONCE_LEN);
	put_be64(raw + NONCE_LEN, (uint64_t)(c->w.now + CONFIRM_TTL));
	if (confirm_mac(c, raw, json, raw + STAMP_LEN) == -1)
		return -1;
	return seal_b64url(raw, sizeof(raw), out);
}

/* Hidden copies of the normalised answers, so "send" and "back" need no server-side draft. */
static int
hidden_vars(struct ctx *c, const struct answer *a)
{
	const struct field	*f = a->field;
	struct tvars		*h;
	size_t			 i;

	if (f->type != FT_CHECKBOX) {
		if ((h = tvars_add(c->w.vars, "hidden")) == NULL)
			return -1;
		return tvars_setf(h, "name", "f_%s", f->key) |
		    tvars_setn(h, "value", a->value.len ? a->value.data : "", a->value.len);
	}
	for (i = 0; i < f->nchoices; i++) {
		if (!a->picked[i])
			continue;
		if ((h = tvars_add(c->w.vars, "hidden")) == NULL)
			return -1;
		if ((tvars_setf(h, "name", "f_%s", f->key) | tvars_set(h, "value", f->choices[i].value)) != 0)
			return -1;
	}
	return 0;
}

static void
show_confirm(struct ctx *c, const struct answers *as)
{
	struct buf	 json, tok, disp;
	size_t		 i;
	int		 rc = 0;

	buf_init(&json);
	buf_init(&tok);
	buf_init(&disp);
	rc |= tvars_setf(c->w.vars, "title", "入力内容の確認（%s）", c->proc->title);
	rc |= proc_vars(c);
	rc |= answers_json(as, &json);
	rc |= confirm_token(c, &json, &tok);
	rc |= tvars_set(c->w.vars, "token", buf_cstr(&tok));
	for (i = 0; i < as->n && rc == 0; i++) {
		const struct answer	*a = &as->a[i];
		struct tvars		*row;

		rc |= hidden_vars(c, a);
		if (!a->shown)
			continue;
		if ((row = tvars_add(c->w.vars, "rows")) == NULL) {
			rc = -1;
			break;
		}
		buf_reset(&disp);
		rc |= answers_display(a, &disp);
		rc |= tvars_set(row, "label", a->field->label);
		rc |= tvars_set(row, "display", disp.len ? buf_cstr(&disp) : "（未入力）");
		rc |= tvars_set(row, "key", a->field->key);
	}
	buf_wipe(&json);
	buf_free(&tok);
	buf_wipe(&disp);
	if (rc != 0) {
		system_error(c);
		return;
	}
	(void)render(c, "confirm.html");
}

/* The inquiry key is derived from the confirmation nonce, so a replayed send shows the same key. */
static void
inquiry_key(const struct ctx *c, const unsigned char nonce[NONCE_LEN], char out[INQUIRY_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char	 mac[SEAL_MAC_LEN];
	size_t		 i;

	(void)seal_mac(c->app->mac_key, "inquiry", nonce, NONCE_LEN, mac);
	for (i = 0; i < INQUIRY_LEN; i++)
		out[i] = alphabet[mac[i] & 31];
	out[INQUIRY_LEN] = '\0';
	seal_wipe(mac, sizeof(mac));
}

static int
inquiry_hash(const struct ctx *c, const char *key, unsigned char out[SEAL_MAC_LEN])
{
	return seal_mac(c->app->mac_key, "inquiry-hash", key, strlen(key), out);
}

/*
 * The key that makes a send exactly-once (UNIQUE in the database): the
 * confirmation's expiry as it is in the token (big-endian seconds), then 24
 * bytes of a MAC of its nonce and expiry.  The same confirmation sent again
 * gives the same key.  Keys follow the order confirmations were made, so the
 * entries of one commit land on the index's last pages; with a wholly random
 * key each application wrote a page of its own to the WAL and again at the
 * checkpoint (make bench: durable submits +9%, see README).
 */
static int
submit_key(const struct ctx *c, const unsigned char stamp[STAMP_LEN], unsigned char out[SEAL_MAC_LEN])
{
	unsigned char	 mac[SEAL_MAC_LEN];

	if (seal_mac(c->app->mac_key, "submit", stamp, STAMP_LEN, mac) == -1)
		return -1;
	memcpy(out, stamp + NONCE_LEN, 8);
	memcpy(out + 8, mac, SEAL_MAC_LEN - 8);
	return 0;
}

/* The sealed record: answers plus what binds them to their clear metadata. */
static int
sealed_payload(const struct ctx *c, const struct buf *json, struct buf *out)
{
	buf_printf(out, "{\"v\":1,\"procedure\":\"%s\",\"form_hash\":\"%s\",\"received_at\":%lld,"
	    "\"answers\":", c->proc->id, c->proc->hash, (long long)c->w.now);
	buf_put(out, json->data, json->len);
	buf_putc(out, '}');
	return out->oom ? -1 : 0;
}

static void
show_done(struct ctx *c, const char *receipt, const char *inquiry, time_t received, int mail_held)
{
	struct buf	 when, key;
	int		 rc = 0;

	buf_init(&when);
	buf_init(&key);
	jst_format(received, 1, &when);
	buf_printf(&key, "%.5s-%s", inquiry, inquiry + 5);
	rc |= tvars_setf(c->w.vars, "title", "申請を受け付けました（%s）", c->proc->title);
	rc |= proc_vars(c);
	rc |= tvars_set(c->w.vars, "receipt", receipt);
	rc |= tvars_set(c->w.vars, "inquiry", buf_cstr(&key));
	rc |= tvars_set(c->w.vars, "received", buf_cstr(&when));
	if (c->proc->complete_message != NULL)
		rc |= tvars_set(c->w.vars, "complete_message", c->proc->complete_message);
	if (mail_held)
		rc |= tvars_set(c->w.vars, "mail_held", "1");
	rc |= when.oom || key.oom ? -1 : 0;
	buf_free(&when);
	buf_wipe(&key);
	if (rc != 0) {
		system_error(c);
		return;
	}
	(void)render(c, "done.html");
}

static int
token_check(const struct ctx *c, const struct buf *json, unsigned char stamp[STAMP_LEN])
{
	const struct kv_value	*t = kv_get(&c->form, K_TOKEN);
	unsigned char		 raw[STAMP_LEN + SEAL_MAC_LEN], want[SEAL_MAC_LEN];
	int			 ok;

	if (t == NULL || seal_b64url_decode(t->p, t->len, raw, sizeof(raw)) != (int)sizeof(raw))
		return -1;
	if (confirm_mac(c, raw, json, want) == -1)
		return -1;
	ok = seal_compare(want, raw + STAMP_LEN, SEAL_MAC_LEN) == 0 &&
	    get_be64(raw + NONCE_LEN) >= (uint64_t)c->w.now;
	memcpy(stamp, raw, STAMP_LEN);
	return ok ? 0 : -1;
}

struct arrival {
	struct ctx		*c;
	const struct answers	*as;
};

/* The address the arrival mail goes to: the procedure's mail field, when it was shown; "" for none. */
static const char *
arrival_to(const struct ctx *c, const struct answers *as)
{
	const struct field	*f = mail_field(c->proc);
	const char		*to = "";
	size_t			 i;

	for (i = 0; f != NULL && i < as->n; i++)
		if (as->a[i].field == f && as->a[i].shown)
			to = buf_cstr(&as->a[i].value);
	return to;
}

/* The arrival mail (申請到達メール), queued with the application once its receipt is drawn. */
static int
arrival_mail(const char *receipt, struct db_outbox_item *m, void *arg)
{
	struct arrival	*a = arg;
	int		 rc;

	rc = mail_queue_item(a->c->proc, "arrival", receipt, arrival_to(a->c, a->as), a->c->app->mailer_pk,
	    a->c->w.now, m);
	return rc == MAIL_NONE ? DB_NOTFOUND : rc;
}

/*
 * The client address as the send limit counts it: an IPv6 address by its
 * /64, which one subscriber holds whole (counting each address would let one
 * home send without limit); IPv4 and IPv4-mapped addresses as they are.
 */
static void
client_prefix(const char *addr, char out[INET6_ADDRSTRLEN])
{
	struct in6_addr a6;

	snprintf(out, INET6_ADDRSTRLEN, "%s", addr);
	if (inet_pton(AF_INET6, addr, &a6) != 1 || IN6_IS_ADDR_V4MAPPED(&a6))
		return;
	memset(a6.s6_addr + 8, 0, 8);
	if (inet_ntop(AF_INET6, &a6, out, INET6_ADDRSTRLEN) == NULL)
		snprintf(out, INET6_ADDRSTRLEN, "%s", addr);
}

/* The sender's key for the send limit: a keyed hash of the client address (prefix) and the procedure. */
static int
sender_key(const struct ctx *c, unsigned char out[SEAL_MAC_LEN])
{
	char		 prefix[INET6_ADDRSTRLEN];
	struct buf	 m;
	int		 rc;

	client_prefix(c->w.req.remote_addr, prefix);
	buf_init(&m);
	buf_puts(&m, prefix);
	buf_putc(&m, 0);
	buf_puts(&m, c->proc->id);
	rc = m.oom ? -1 : seal_mac(c->app->mac_key, "send-limit", m.data, m.len, out);
	buf_free(&m);
	return rc;
}

/*
 * The recipient's key for the arrival-mail limit: a keyed hash of the
 * address as a mailbox is reached, so that spellings of one mailbox share
 * one count: lower case, no "+tag" (sub-addressing), and for Gmail no dots
 * in the local part.
 */
static int
recipient_key(const struct ctx *c, const char *to, unsigned char out[SEAL_MAC_LEN])
{
	const char	*at = strrchr(to, '@'), *p;
	struct buf	 m;
	int		 rc, tagged = 0, gmail;

	if (at == NULL)
		at = to + strlen(to);
	gmail = strcasecmp(at, "@gmail.com") == 0 || strcasecmp(at, "@googlemail.com") == 0;
	buf_init(&m);
	for (p = to; p < at; p++) {
		tagged |= *p == '+';
		if (!tagged && !(gmail && *p == '.'))
			buf_putc(&m, (char)tolower((unsigned char)*p));
	}
	if (gmail)
		buf_puts(&m, "@gmail.com");
	else
		for (p = at; *p != '\0'; p++)
			buf_putc(&m, (char)tolower((unsigned char)*p));
	rc = m.oom ? -1 : seal_mac(c->app->mac_key, "mail-limit", m.data, m.len, out);
	buf_wipe(&m);
	return rc;
}

/* Every application is committed by the one batching writer: many share one fsync. */
static int
store_by_writer(struct db_store_req *r, void *arg)
{
	return writer_store(arg, r);
}

/* The section's current key: remembered (struct section), or read when fresh or not yet known. */
static int
section_key(struct ctx *c, int fresh, char key_id[SEAL_KEYID_LEN + 1], unsigned char pk[SEAL_PK_LEN])
{
	struct section *s = section_find(c->app, c->proc->section);

	if (s == NULL)
		return -1;
	if ((fresh || s->key_id[0] == '\0') && db_key_current(c->app->db, s->id, s->key_id, s->pk) != 0) {
		s->key_id[0] = '\0';
		return -1;
	}
	memcpy(key_id, s->key_id, sizeof(s->key_id));
	memcpy(pk, s->pk, SEAL_PK_LEN);
	return 0;
}

/*
 * Seal the payload to the section's key and store it through the writer;
 * when the key was rotated since this worker read it, once more with the
 * new one.  Returns like db_app_store.
 */
static int
seal_and_store(struct ctx *c, struct db_app *app, const struct buf *payload, char receipt[DB_RECEIPT_LEN + 1])
{
	struct buf	 sealed;
	unsigned char	 pk[SEAL_PK_LEN];
	char		 key_id[SEAL_KEYID_LEN + 1];
	int		 fresh, rc = -1;

	buf_init(&sealed);
	for (fresh = 0; fresh < 2; fresh++) {
		buf_reset(&sealed);
		if (section_key(c, fresh, key_id, pk) == -1 ||
		    seal_box(pk, payload->data, payload->len, &sealed) == -1) {
			rc = -1;
			break;
		}
		app->key_id = key_id;
		app->sealed = sealed.data;
		app->sealed_len = sealed.len;
		rc = db_app_store_via(app, receipt, store_by_writer, &c->app->writer);
		if (rc != DB_STALE_KEY)
			break;
		log_msg(LOG_INFO, "section %s has a new key: sealed again", c->proc->section);
	}
	app->key_id = NULL;
	app->sealed = NULL;
	buf_free(&sealed);
	return rc == DB_STALE_KEY ? -1 : rc;
}

static void
send_application(struct ctx *c, const struct answers *as)
{
	struct db_app	 app;
	struct buf	 json, payload;
	unsigned char	 stamp[STAMP_LEN];
	char		 receipt[DB_RECEIPT_LEN + 1], inquiry[INQUIRY_LEN + 1];
	struct db_app_status st;
	struct arrival	 arrival = { c, as };
	int		 rc;

	buf_init(&json);
	buf_init(&payload);
	memset(&app, 0, sizeof(app));
	if (answers_json(as, &json) == -1)
		goto fail;
	if (token_check(c, &json, stamp) == -1) {
		error_page(c, 400, "この確認画面からは送信できません",
		    "確認画面の有効期限（3時間）が切れたか、手続きの内容が更新されたか、"
		    "確認画面を表示したものとは別のブラウザから送信されました。"
		    "お手数ですが、このブラウザでもう一度入力してください。");
		goto done;
	}
	if (sealed_payload(c, &json, &payload) == -1)
		goto fail;
	inquiry_key(c, stamp, inquiry);
	app.procedure_id = c->proc->id;
	app.section_id = c->proc->section;
	app.form_hash = c->proc->hash;
	app.received_at = c->w.now;
	app.mail = arrival_mail;
	app.mail_arg = &arrival;
	if (submit_key(c, stamp, app.submit_hash) == -1 ||
	    inquiry_hash(c, inquiry, app.inquiry_hash) == -1 || sender_key(c, app.sender_key) == -1 ||
	    recipient_key(c, arrival_to(c, as), app.recipient_key) == -1)
		goto fail;
	rc = seal_and_store(c, &app, &payload, receipt);
	if (rc == -1)
		goto fail;
	if (rc == DB_LIMITED) {
		log_msg(LOG_WARNING, "send limit reached for %s: refused", c->proc->id);
		error_page(c, 429, "送信の回数が上限に達しました",
		    "同じ接続元から、この手続きへの申請が短い時間に続いたため、受け付けられませんでした。"
		    "この申請は保存されていません。しばらく時間をおいてから、もう一度お試しください。");
		goto done;
	}
	if (rc == DB_MAIL_HELD)
		log_msg(LOG_WARNING, "arrival mail limit reached for %s: stored without the mail", c->proc->id);
	/* A replay shows the first submission's receipt, with its own time. */
	if (rc == DB_EXISTS && db_app_status(c->app->db, receipt, &st) == 0)
		c->w.now = st.received_at;
	show_done(c, receipt, inquiry, c->w.now, rc == DB_MAIL_HELD);
	goto done;
fail:
	log_msg(LOG_ERR, "could not store an application for %s", c->proc->id);
	system_error(c);
done:
	seal_wipe(inquiry, sizeof(inquiry));
	buf_wipe(&json);
	buf_wipe(&payload);
}

static int
proc_closed_page(struct ctx *c)
{
	struct buf	 msg;
	int		 state = formdef_state(c->proc, c->w.now);

	if (state == 0)
		return 0;
	buf_init(&msg);
	if (state < 0) {
		buf_printf(&msg, "「%s」は", c->proc->title);
		jst_format(c->proc->opens_at, 1, &msg);
		buf_puts(&msg, "から受付を開始します。");
		error_page(c, 403, "受付開始前です", buf_cstr(&msg));
	} else {
		buf_printf(&msg, "「%s」の受付は", c->proc->title);
		jst_format(c->proc->closes_at, 1, &msg);
		buf_puts(&msg, "に終了しました。お問い合わせ：");
		buf_puts(&msg, c->proc->contact);
		error_page(c, 410, "受付は終了しました", buf_cstr(&msg));
	}
	buf_free(&msg);
	return -1;
}

static void
page_form(struct ctx *c)
{
	const struct kv_value	*action;
	struct answers		 as;

	if (proc_closed_page(c) == -1)
		return;
	if (c->w.req.method != HTTP_POST) {
		show_fresh_form(c);
		return;
	}
	if (answers_read(&as, c->proc, &c->form, &c->keys, jst_date(c->w.now)) == -1) {
		answers_free(&as);
		system_error(c);
		return;
	}
	action = kv_get(&c->form, K_ACTION);
	if (action == NULL || strcmp(action->p, "back") == 0)
		show_form(c, &as, 0);
	else if (as.nerrors > 0)
		show_form(c, &as, 1);
	else if (strcmp(action->p, "confirm") == 0)
		show_confirm(c, &as);
	else if (strcmp(action->p, "send") == 0)
		send_application(c, &as);
	else
		error_page(c, 400, "送信内容を確認できません",
		    "ページの操作が正しくありません。最初からやり直してください。");
	answers_free(&as);
}

/* ---- status look-up ---- */

/* Keep only the characters that matter: digits for receipts, letters+digits for keys. */
static int
lookup_code(const struct kv_value *v, int digits_only, char *out, size_t outlen)
{
	return v != NULL ? jn_lookup_code(v->p, v->len, digits_only, out, outlen) : -1;
}

/*
 * 1 (answered: 429) when this address may not try this receipt now, 0 to go
 * on.  A malformed receipt ("") has no receipt key: its failures count
 * against the address that sent it, not in one bucket everyone shares.
 */
static int
status_throttled(struct ctx *c, const char *receipt, struct guess_keys *k)
{
	static const struct guess_limits limits = { THROTTLE_RECEIPT_WINDOW, THROTTLE_RECEIPT_LIMIT,
		THROTTLE_RECEIPT_LIMIT, THROTTLE_ADDR_WINDOW, THROTTLE_ADDR_LIMIT };
	int r, wait;

	if (guess_keys(c->app->mac_key, "status-guess", receipt, c->w.req.remote_addr, k) == -1 ||
	    (r = guess_check(c->app->db, &limits, k, c->w.now, &wait)) == -1)
		return -1;
	if (r == 0)
		return 0;
	if (http_too_many(&c->w.req, wait) == -1)
		return -1;
	return tvars_set(c->w.vars, "s_error", "確認の回数が上限に達しました。"
	    "しばらく時間をおいてから、もう一度お試しください。") == 0 ? 1 : -1;
}

static const char *
status_label(const char *s)
{
	if (strcmp(s, "received") == 0)
		return "到達（担当課の確認待ち）";
	if (strcmp(s, "accepted") == 0)
		return "受付（担当課で受け付けました）";
	if (strcmp(s, "done") == 0)
		return "完了";
	if (strcmp(s, "returned") == 0)
		return "差戻し（担当課からの連絡をご確認ください）";
	if (strcmp(s, "withdrawn") == 0)
		return "取下げ";
	return "確認中";
}

static int
status_result(struct ctx *c, const struct db_app_status *st)
{
	const struct procedure	*p = formset_get(c->app->forms, st->procedure_id);
	struct buf		 when;
	int			 rc = 0;

	buf_init(&when);
	jst_format(st->received_at, 1, &when);
	rc |= tvars_set(c->w.vars, "found", "1");
	rc |= tvars_set(c->w.vars, "r_title", p ? p->title : st->procedure_id);
	rc |= tvars_set(c->w.vars, "r_received", buf_cstr(&when));
	rc |= tvars_set(c->w.vars, "r_status", status_label(st->status));
	if (p != NULL)
		rc |= tvars_set(c->w.vars, "r_contact", p->contact);
	rc |= when.oom ? -1 : 0;
	buf_free(&when);
	return rc;
}

static int
status_lookup(struct ctx *c)
{
	char			 receipt[32], inquiry[32], fmt[DB_RECEIPT_LEN + 1];
	unsigned char		 ih[SEAL_MAC_LEN];
	struct guess_keys	 k;
	struct db_app_status	 st;
	int			 ok = 0, rc;

	if (lookup_code(kv_get(&c->form, S_RECEIPT), 1, receipt, sizeof(receipt)) == -1 ||
	    strlen(receipt) != 12)
		receipt[0] = '\0';
	if (lookup_code(kv_get(&c->form, S_INQUIRY), 0, inquiry, sizeof(inquiry)) == -1)
		inquiry[0] = '\0';
	fmt[0] = '\0';
	if (receipt[0] != '\0')
		snprintf(fmt, sizeof(fmt), "%.4s-%.4s-%.4s", receipt, receipt + 4, receipt + 8);
	if ((rc = status_throttled(c, fmt, &k)) != 0) {
		seal_wipe(inquiry, sizeof(inquiry));
		return rc == 1 ? 0 : -1;
	}
	if (receipt[0] != '\0' && strlen(inquiry) == INQUIRY_LEN &&
	    db_app_status(c->app->db, fmt, &st) == 0 && inquiry_hash(c, inquiry, ih) == 0)
		ok = seal_compare(ih, st.inquiry_hash, SEAL_MAC_LEN) == 0;
	seal_wipe(inquiry, sizeof(inquiry));
	if (ok)
		return guess_succeeded(c->app->db, &k) == 0 ? status_result(c, &st) : -1;
	if (guess_failed(c->app->db, &k, c->w.now) == -1)
		return -1;
	c->w.req.status = 422;
	tvars_set(c->w.vars, "page_error", "1");
	/* One neutral message: it must not tell which of the two was wrong. */
	return tvars_set(c->w.vars, "s_error", "受付番号または問合せキーが正しくありません。"
	    "控えをご確認のうえ、もう一度入力してください。");
}

static void
page_status(struct ctx *c)
{
	int rc = 0;

	rc |= tvars_set(c->w.vars, "title", "申請状況の確認");
	rc |= web_csrf_vars(&c->w);
	if (rc == 0 && c->w.req.method == HTTP_POST)
		rc = status_lookup(c);
	if (rc != 0) {
		system_error(c);
		return;
	}
	(void)render(c, "status.html");
}

/* ---- the gate ---- */

static int
form_proc(struct ctx *c)
{
	const char *id = c->w.req.path + strlen("/f/");

	c->proc = formset_get(c->app->forms, id);
	return c->proc != NULL ? 0 : -1;
}

static void
bad_input(struct ctx *c, const struct kv_form *f)
{
	log_msg(LOG_WARNING, "rejected input: %s (key %s)", kv_strerror(f->err), f->errkey);
	error_page(c, 400, "送信内容に問題があります",
	    f->err == KV_TOO_LONG ? "入力された内容が長すぎます。文字数を減らして、もう一度お試しください。" :
	    "送信された内容に使えない文字や形式の誤りがあります。"
	    "お手数ですが、最初から入力し直してください。");
}

static int
parse_body(struct ctx *c, const struct kv_decl *decls, size_t n)
{
	const char *body = c->w.req.method == HTTP_POST ? c->w.req.body : "";

	return kv_parse_urlencoded(&c->form, decls, n, body, c->w.req.method == HTTP_POST ?
	    c->w.req.body_len : 0, MAX_PAIRS);
}

/* Declare and parse the page's keys, then check CSRF on POST. 0 to go on. */
static int
gate_input(struct ctx *c, const struct route *rt)
{
	int rc;

	/* A GET or HEAD has no body, and the query string is never read: it declares no keys. */
	if (rt->page == PAGE_FORM && c->w.req.method == HTTP_POST) {
		if (formkeys_build(&c->keys, c->proc, control_keys, K__CONTROL) == -1) {
			system_error(c);
			return -1;
		}
		rc = parse_body(c, c->keys.decls, c->keys.n);
	} else if (rt->page == PAGE_STATUS)
		rc = parse_body(c, status_keys, S__COUNT);
	else
		rc = parse_body(c, NULL, 0);
	if (rc == -1) {
		bad_input(c, &c->form);
		return -1;
	}
	if (c->w.req.method == HTTP_POST &&
	    !web_csrf_ok(&c->w, kv_get(&c->form, rt->page == PAGE_FORM ? K_CSRF : S_CSRF))) {
		error_page(c, 403, "ページの有効期限が切れました",
		    "安全のため、この操作を受け付けられませんでした。Cookieを有効にしたうえで、"
		    "もう一度フォームを開いて入力してください。");
		return -1;
	}
	return 0;
}

static void
handle(struct ctx *c)
{
	const struct route	*rt;
	int			 allowed, st;

	c->w.now = time(NULL);
	if ((c->w.vars = tvars_new()) == NULL) {
		c->w.req.status = 500;
		return;
	}
	if (c->w.req.method == HTTP_OTHER) {
		web_method_not_allowed(&c->w, HTTP_GET | HTTP_HEAD | HTTP_POST);
		return;
	}
	rt = http_route(routes, sizeof(routes) / sizeof(routes[0]), c->w.req.path, c->w.req.method, &allowed);
	if (rt == NULL || (rt->page == PAGE_FORM && form_proc(c) == -1)) {
		error_page(c, 404, "ページが見つかりません",
		    "お探しのページは見つかりませんでした。URLをご確認いただくか、"
		    "トップページから手続きを選んでください。");
		return;
	}
	if (!allowed) {
		web_method_not_allowed(&c->w, rt->methods);
		return;
	}
	if (c->w.req.method == HTTP_POST && !web_content_type_ok(c->w.req.content_type)) {
		error_page(c, 415, "送信形式が正しくありません", "フォームから送信してください。");
		return;
	}
	if (kv_parse_cookies(&c->w.cookies, cookie_keys, C__COUNT, c->w.req.cookie, 32) == -1)
		kv_free(&c->w.cookies);	/* a broken cookie is treated as none */
	if (web_csrf_prepare(&c->w) == -1 || (st = gate_input(c, rt)) == -1)
		return;
	switch (rt->page) {
	case PAGE_INDEX:
		page_index(c);
		break;
	case PAGE_FORM:
		page_form(c);
		break;
	case PAGE_STATUS:
		page_status(c);
		break;
	default:
		abort();
	}
}

static void
ctx_reset(struct ctx *c)
{
	web_reset(&c->w);
	kv_free(&c->form);
	formkeys_free(&c->keys);
	c->proc = NULL;
}

static void
serve(struct ctx *c, FCGX_Request *fr)
{
	int rc = http_read(&c->w.req, fr, MAX_BODY);

	if (rc == 413)
		error_page(c, 413, "送信できる大きさを超えています",
		    "入力された内容が多すぎます。文字数を減らして、もう一度お試しください。");
	else if (rc != 0)
		error_page(c, rc, "送信内容を読み取れませんでした",
		    "通信が途中で切れた可能性があります。もう一度お試しください。");
	else
		handle(c);
	if (http_send(&c->w.req, NULL) == -1)
		log_msg(LOG_WARNING, "client went away");
}

/* ---- processes ---- */

static int
worker_start(void *arg)
{
	struct app *app = arg;

	close(app->writer_fd);
	writer_client_init(&app->writer, app->writer_path);
	if ((app->forms = formset_new()) == NULL || db_open(app->db_path, &app->db) == -1)
		return 1;
	reload(app);
	if (app->tmpl == NULL) {
		log_msg(LOG_ERR, "no usable templates in %s", app->tmpl_dir);
		return 1;
	}
	memset(&app->ctx, 0, sizeof(app->ctx));
	app->ctx.app = app;
	web_init(&app->ctx.w);
	app->ctx.w.mac_key = app->mac_key;
	app->ctx.w.csrf_cookie_plain = "csrf";
	app->ctx.w.csrf_cookie_tls = "__Host-csrf";
	app->ctx.w.csrf_path = "/";
	app->ctx.w.csrf_decl_plain = C_CSRF;
	app->ctx.w.csrf_decl_tls = C_CSRF_HOST;
	app->ctx.w.error_template = "error.html";
	return 0;
}

static void
worker_reload(void *arg)
{
	reload(arg);
}

static void
worker_serve(void *arg, FCGX_Request *fr)
{
	struct app *app = arg;

	app->ctx.w.tmpl = app->tmpl;
	serve(&app->ctx, fr);
	ctx_reset(&app->ctx);
}

static void
worker_stop(void *arg)
{
	struct app *app = arg;

	web_reset(&app->ctx.w);
	buf_free(&app->ctx.w.req.out);
	buf_free(&app->ctx.w.req.headers);
	fresh_clear(app);
	formset_free(app->forms);
	tset_free(app->tmpl);
	db_close(app->db);
	writer_client_close(&app->writer);
	seal_wipe(app->mac_key, sizeof(app->mac_key));
}

/* The batching writer: it handles sealed applications only and needs no key. */
static int
writer_main(void *arg)
{
	struct app	*app = arg;
	struct db	*db;
	int		 rc;

	seal_wipe(app->mac_key, sizeof(app->mac_key));
	if (db_open(app->db_path, &db) == -1)
		return 1;
	db_set_limits(db, &app->limits);
	rc = writer_serve(app->writer_fd, db);
	db_close(db);
	return rc == 0 ? 0 : 1;
}

static const struct prefork_ops ops = { worker_start, worker_reload, worker_serve, worker_stop, writer_main,
	"apply-writer" };

static void
usage(void)
{
	fprintf(stderr, "usage: apply --data DIR --forms DIR --templates DIR --socket PATH"
	    " [--socket-group GROUP] [--workers N]\n"
	    "       [--send-limit N] [--send-window SECONDS] [--mail-limit N]   (0: no limit)\n");
	exit(2);
}

/* A limit option: a whole number from min to LIMIT_MAX, or usage. */
static int
limit_arg(const char *arg, int min)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > LIMIT_MAX)
		usage();
	return (int)v;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "forms", required_argument, NULL, 'f' },
		{ "templates", required_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "send-limit", required_argument, NULL, 'L' },
		{ "send-window", required_argument, NULL, 'W' },
		{ "mail-limit", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	struct app	 app;
	const char	*sock = NULL, *group = NULL;
	int		 ch, nworkers = 2, rc;

	memset(&app, 0, sizeof(app));
	app.limits.send_limit = SEND_LIMIT;
	app.limits.send_window = SEND_WINDOW;
	app.limits.mail_limit = MAIL_LIMIT;
	log_init("apply");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': app.data_dir = optarg; break;
		case 'f': app.forms_dir = optarg; break;
		case 't': app.tmpl_dir = optarg; break;
		case 's': sock = optarg; break;
		case 'g': group = optarg; break;
		case 'w': nworkers = atoi(optarg); break;
		case 'L': app.limits.send_limit = limit_arg(optarg, 0); break;
		case 'W': app.limits.send_window = limit_arg(optarg, 1); break;
		case 'M': app.limits.mail_limit = limit_arg(optarg, 0); break;
		default: usage();
		}
	}
	if (app.data_dir == NULL || app.forms_dir == NULL || app.tmpl_dir == NULL || sock == NULL ||
	    nworkers < 1 || nworkers > 64)
		usage();
	/*
	 * No fastbins: a request frees many small blocks, and libfcgi's 8 KB
	 * stream buffers allocated at the next accept then made malloc merge
	 * them all (malloc_consolidate) on every request.  Without fastbins,
	 * freed blocks go to the tcache or are merged as they are freed.
	 */
	if (mallopt(M_MXFAST, 0) != 1)
		log_msg(LOG_WARNING, "mallopt(M_MXFAST) refused; going on");
	if (seal_init() == -1)
		return 1;
	snprintf(app.db_path, sizeof(app.db_path), "%s/db/platform.sqlite", app.data_dir);
	if (seal_key_load(app.data_dir, "keys/apply-mac.key", app.mac_key) == -1 ||
	    seal_key_load(app.data_dir, "keys/mailer.pk", app.mailer_pk) == -1)
		return 1;
	snprintf(app.writer_path, sizeof(app.writer_path), "%s.writer", sock);
	if ((app.writer_fd = writer_listen(app.writer_path)) == -1)
		return 1;
	rc = prefork_run(sock, group, nworkers, &ops, &app) == 0 ? 0 : 1;
	close(app.writer_fd);
	unlink(app.writer_path);
	seal_wipe(app.mac_key, sizeof(app.mac_key));
	log_msg(LOG_INFO, "stopped");
	return rc;
}
