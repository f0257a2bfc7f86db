/*
 * apply: the resident-facing FastCGI program.
 *
 * It lists the open procedures, shows and checks forms, shows the
 * confirmation page, stores each application sealed to its section's public
 * key, and answers status look-ups.  It holds no key that opens a stored
 * application: only section public keys and its own MAC key.
 *
 * Every request passes the gate (lib/gate.h) with the route table below;
 * nobody logs in.  The pages are in apply_*.c (apply.h).
 *
 * Process model: a master opens the socket, then forks workers that accept
 * on it.  SIGHUP reloads forms and templates in every worker between
 * requests; SIGTERM lets each worker finish its request and exit.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "apply.h"
#include "formset.h"
#include "log.h"
#include "mail.h"
#include "prefork.h"

#define MAX_BODY	(64 * 1024)

/* Limits on residents' sends (db_set_limits); the options override them (scripts/run.sh). */
#define SEND_LIMIT	20		/* applications per client address and procedure ... */
#define SEND_WINDOW	(60 * 60)	/* ... within this many seconds */
#define MAIL_LIMIT	10		/* arrival mails per recipient address within DB_MAIL_WINDOW */
#define LIMIT_MAX	1000000000

static const struct kv_decl status_keys[S__COUNT] = {
	[S_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[S_RECEIPT] = { "receipt", 80, 1, NULL },
	[S_INQUIRY] = { "inquiry", 80, 1, NULL },
	[S_ACTION] = { "action", 16, 1, kv_valid_token },
};

enum { C_CSRF, C_CSRF_HOST, C_LANG, C__COUNT };
static const struct kv_decl cookie_keys[C__COUNT] = {
	[C_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[C_CSRF_HOST] = { "__Host-csrf", 64, 1, kv_valid_b64url },
	[C_LANG] = { LANG_COOKIE, LANG_TAG_MAX, 1, lang_tag_ok },
};

/* The switch of language: /lang?to=en&back=/f/hiking. */
static const struct kv_decl lang_keys[L__COUNT] = {
	[L_TO] = { "to", LANG_TAG_MAX, 1, lang_tag_ok },
	[L_BACK] = { "back", 256, 1, web_back_ok },
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

struct section *
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

const char *
section_name(struct app *app, const char *id)
{
	const struct section *s = section_find(app, id);

	return s != NULL ? s->name : id;
}

static void
empty_forms_clear(struct app *app)
{
	size_t i, l;

	for (i = 0; i < app->nempty; i++) {
		for (l = 0; l < app->nlangs; l++)
			tpage_free(app->empty[i].page[l]);
		free(app->empty[i].page);
	}
	free(app->empty);
	app->empty = NULL;
	app->nempty = 0;
}

/*
 * A slot per procedure and language, its page rendered at its first GET;
 * none when memory ran out (GETs answer 503).
 */
static void
empty_forms_make(struct app *app)
{
	size_t i, n = formset_count(app->site.forms);

	app->nlangs = langset_count(app->site.langs);
	if (n == 0 || (app->empty = calloc(n, sizeof(*app->empty))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		app->empty[i].proc = formset_at(app->site.forms, i);
		if ((app->empty[i].page = calloc(app->nlangs, sizeof(*app->empty[i].page))) == NULL) {
			app->nempty = i;
			empty_forms_clear(app);
			return;
		}
	}
	app->nempty = n;
}

/* Reload sections, forms and templates; what fails keeps its previous version. */
static void
reload(struct app *app)
{
	int broken;

	empty_forms_clear(app);	/* before the procedures they point to can go */
	app->nsections = 0;
	if (db_section_each(app->site.db, section_collect, app) == -1)
		log_msg(LOG_ERR, "cannot read sections");
	broken = web_site_reload(&app->site, section_known, app);
	empty_forms_make(app);
	log_msg(LOG_INFO, "reloaded: %zu procedures, %d refused", formset_count(app->site.forms),
	    broken < 0 ? 0 : broken);
}

/* ---- rendering ---- */

/* The page name, or the system error when its variables could not all be set (rc != 0). */
void
render(struct ctx *c, int rc, const char *name)
{
	if (rc != 0)
		system_error(c);
	else
		(void)web_render(&c->g.w, name);
}

void
error_page(struct ctx *c, int status, const char *heading, const char *message)
{
	web_error_page(&c->g.w, status, heading, message);
}

const char *
msg(const struct ctx *c, const char *id)
{
	return lang_msg(c->g.w.lang, id);
}

const char *
def_text(const struct ctx *c, const struct procedure *p, const char *text)
{
	return formdef_text(p, c->g.w.lang->tag, text);
}

/* The switch of language: the choice in a cookie, then back to the page it was made on. */
static void
page_lang(void *arg)
{
	struct ctx		*c = arg;
	const struct lang	*l = langset_get(c->g.w.langs, gate_query_text(&c->g, L_TO));
	const char		*back = gate_query_text(&c->g, L_BACK);
	struct buf		 cookie;

	if (l == NULL) {
		gate_refuse(&c->g, GATE_NOT_FOUND);
		return;
	}
	c->g.w.lang = l;
	buf_init(&cookie);
	/* A year; Lax, so that it comes along when a link from elsewhere opens a page. */
	buf_printf(&cookie, LANG_COOKIE "=%s; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax%s", l->tag,
	    c->g.w.req.https ? "; Secure" : "");
	c->g.w.req.status = 303;
	if (cookie.oom || http_header(&c->g.w.req, "Set-Cookie", buf_cstr(&cookie)) == -1 ||
	    http_header(&c->g.w.req, "Location", *back != '\0' ? back : "/") == -1)
		system_error(c);
	buf_free(&cookie);
}

void
system_error(struct ctx *c)
{
	gate_refuse(&c->g, GATE_FAILED);
}

/* ---- the gate ---- */

#define GET_HEAD_POST (HTTP_GET | HTTP_HEAD | HTTP_POST)

/*
 * Only the switch of language reads a query string.  Columns: path, exact,
 * methods, body, need, query keys, body keys, body keys built at run time,
 * resolver, page.
 */
static const struct gate_route routes[] = {
	{ "/", 0, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_NONE, NULL, 0, NULL, 0, NULL, NULL, page_index },
	{ "/f/", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_NONE, NULL, 0, NULL, 0, form_keys, form_proc, page_form },
	{ "/status", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_NONE, NULL, 0, status_keys, S__COUNT, NULL, NULL,
	  page_status },
	{ "/lang", 0, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_NONE, lang_keys, L__COUNT, NULL, 0, NULL, NULL,
	  page_lang },
	{ "/health", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_NONE, NULL, 0, NULL, 0, NULL, NULL, page_health },
};

/* Message ids (po/): the reader's language. */
static const struct gate_answer answers[GATE__REFUSALS] = {
	[GATE_TOO_LARGE] = { 413, N_("refusal.too_large"), N_("refusal.too_large.text") },
	[GATE_UNREADABLE] = { 400, N_("refusal.unreadable"), N_("refusal.unreadable.text") },
	[GATE_NOT_FOUND] = { 404, N_("refusal.not_found"), N_("refusal.not_found.text") },
	[GATE_BAD_TYPE] = { 415, N_("refusal.bad_type"), N_("refusal.bad_type.text") },
	[GATE_KEYS_TOO_LONG] = { 400, N_("refusal.bad_keys"), N_("refusal.too_long.text") },
	[GATE_KEYS_BAD] = { 400, N_("refusal.bad_keys"), N_("refusal.bad_keys.text") },
	[GATE_BAD_CSRF] = { 403, N_("refusal.bad_csrf"), N_("refusal.bad_csrf.text") },
	[GATE_METHOD] = { 405, N_("refusal.method"), N_("refusal.method.text") },
	[GATE_FAILED] = { 503, N_("refusal.failed"), N_("refusal.failed.text") },
};

/* Nobody logs in: every route is open to anyone. */
static const struct gate_conf gate_conf = {
	.routes = routes, .nroutes = sizeof(routes) / sizeof(routes[0]),
	.cookies = cookie_keys, .ncookies = C__COUNT, .csrf_plain = C_CSRF, .csrf_tls = C_CSRF_HOST,
	.lang_cookie = C_LANG, .csrf_cookie_plain = "csrf", .csrf_cookie_tls = "__Host-csrf", .csrf_path = "/",
	.error_template = "error.html", .max_body = MAX_BODY, .max_pairs = MAX_PAIRS, .answers = answers,
};

static void
ctx_reset(struct ctx *c)
{
	gate_reset(&c->g);
	formkeys_free(&c->keys);
	c->proc = NULL;
	c->has_places = 0;
}

/* ---- processes ---- */

static int
worker_start(void *arg)
{
	struct app *app = arg;

	close(app->writer_fd);
	writer_client_init(&app->writer, app->writer_path);
	if (web_site_open(&app->site) == -1)
		return 1;
	reload(app);
	if (app->site.tmpl == NULL || app->site.langs == NULL) {
		log_msg(LOG_ERR, "no usable templates in %s or catalogues in %s", app->site.tmpl_dir,
		    app->site.msg_dir);
		return 1;
	}
	memset(&app->ctx, 0, sizeof(app->ctx));
	app->ctx.app = app;
	gate_init(&app->ctx.g, &gate_conf, app->mac_key);
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

	app->ctx.g.w.tmpl = app->site.tmpl;
	app->ctx.g.w.langs = app->site.langs;
	gate_serve(&app->ctx.g, &app->ctx, fr);
	ctx_reset(&app->ctx);
}

static void
worker_stop(void *arg)
{
	struct app *app = arg;

	ctx_reset(&app->ctx);
	gate_free(&app->ctx.g);
	empty_forms_clear(app);
	web_site_close(&app->site);
	writer_client_close(&app->writer);
	seal_wipe(app->mac_key, sizeof(app->mac_key));
	seal_wipe(app->inquiry_key, sizeof(app->inquiry_key));
}

/*
 * The batching writer: it seals each batch to the sections' public keys
 * and the mailer's (db_app_store_batch), and needs no secret key.
 */
static int
writer_main(void *arg)
{
	struct app	*app = arg;
	struct db	*db;
	struct langset	*langs = NULL;
	int		 rc;

	seal_wipe(app->mac_key, sizeof(app->mac_key));
	seal_wipe(app->inquiry_key, sizeof(app->inquiry_key));
	/* A waitlisted application's arrival mail says its turn in its language (mail.waitlisted). */
	if (web_load_langs(app->site.msg_dir, &langs) == -1)
		return 1;
	if (db_open(app->site.db_path, &db) == -1) {
		langset_free(langs);
		return 1;
	}
	db_set_limits(db, &app->limits);
	db_set_contact_key(db, app->mailer_pk);
	db_set_waitlist_text(db, mail_text_waitlisted, &langs);
	rc = writer_serve(app->writer_fd, db);
	db_close(db);
	langset_free(langs);
	return rc == 0 ? 0 : 1;
}

static const struct prefork_ops ops = { worker_start, worker_reload, worker_serve, worker_stop, writer_main,
	"apply-writer" };

static void
usage(void)
{
	fprintf(stderr, "usage: apply --data DIR --forms DIR --templates DIR --messages DIR --socket PATH"
	    " [--socket-group GROUP] [--workers N]\n"
	    "       [--send-limit N] [--send-window SECONDS] [--mail-limit N]   (0: no limit)\n");
	exit(2);
}

/* A limit option: a whole number from min to LIMIT_MAX; -1 otherwise. */
static int
limit_arg(const char *arg, int min, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > LIMIT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* --send-limit, --send-window, --mail-limit. */
static int
apply_option(int ch, const char *val, void *arg)
{
	struct db_limits *l = arg;

	switch (ch) {
	case 'L': return limit_arg(val, 0, &l->send_limit);
	case 'W': return limit_arg(val, 1, &l->send_window);
	case 'M': return limit_arg(val, 0, &l->mail_limit);
	default: return -1;
	}
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "send-limit", required_argument, NULL, 'L' },
		{ "send-window", required_argument, NULL, 'W' },
		{ "mail-limit", required_argument, NULL, 'M' },
	};
	struct app	app;
	int		rc;

	memset(&app, 0, sizeof(app));
	app.limits.send_limit = SEND_LIMIT;
	app.limits.send_window = SEND_WINDOW;
	app.limits.mail_limit = MAIL_LIMIT;
	log_init("apply");
	if (web_site_options(&app.site, argc, argv, opts, sizeof(opts) / sizeof(opts[0]), apply_option,
	    &app.limits) == -1 || app.site.msg_dir == NULL)
		usage();
	/*
	 * No fastbins: a request frees many small blocks, and libfcgi's 8 KB
	 * stream buffers allocated at the next accept then made malloc merge
	 * them all (malloc_consolidate) on every request.  Without fastbins,
	 * freed blocks go to the tcache or are merged as they are freed.
	 */
	if (mallopt(M_MXFAST, 0) != 1)
		log_msg(LOG_WARNING, "mallopt(M_MXFAST) refused; going on");
	if (seal_init() == -1 || web_site_check(&app.site) == -1)
		return 1;
	if (seal_key_load(app.site.data_dir, "keys/apply-mac.key", app.mac_key) == -1 ||
	    seal_shared_load(app.site.data_dir, "keys/inquiry.key", app.inquiry_key) == -1 ||
	    seal_public_load(app.site.data_dir, "keys/mailer.pk", app.mailer_pk) == -1)
		return 1;
	snprintf(app.writer_path, sizeof(app.writer_path), "%s.writer", app.site.socket);
	if ((app.writer_fd = writer_listen(app.writer_path)) == -1)
		return 1;
	rc = prefork_run(app.site.socket, app.site.socket_group, app.site.workers, &ops, &app) == 0 ? 0 : 1;
	close(app.writer_fd);
	unlink(app.writer_path);
	seal_wipe(app.mac_key, sizeof(app.mac_key));
	seal_wipe(app.inquiry_key, sizeof(app.inquiry_key));
	log_msg(LOG_INFO, "stopped");
	return rc;
}
