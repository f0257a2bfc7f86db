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

enum { C_CSRF, C_CSRF_HOST, C__COUNT };
static const struct kv_decl cookie_keys[C__COUNT] = {
	[C_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[C_CSRF_HOST] = { "__Host-csrf", 64, 1, kv_valid_b64url },
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
	size_t i;

	for (i = 0; i < app->nempty; i++)
		tpage_free(app->empty[i].page);
	free(app->empty);
	app->empty = NULL;
	app->nempty = 0;
}

/* A slot per procedure, its page rendered at its first GET; none when memory ran out (GETs answer 503). */
static void
empty_forms_make(struct app *app)
{
	size_t i, n = formset_count(app->site.forms);

	if (n == 0 || (app->empty = calloc(n, sizeof(*app->empty))) == NULL)
		return;
	for (i = 0; i < n; i++)
		app->empty[i].proc = formset_at(app->site.forms, i);
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

void
system_error(struct ctx *c)
{
	gate_refuse(&c->g, GATE_FAILED);
}

/* ---- the gate ---- */

#define GET_HEAD_POST (HTTP_GET | HTTP_HEAD | HTTP_POST)

/*
 * No page reads a query string: none is declared.  Columns: path, exact,
 * methods, body, need, query keys, body keys, body keys built at run time,
 * resolver, page.
 */
static const struct gate_route routes[] = {
	{ "/", 0, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_NONE, NULL, 0, NULL, 0, NULL, NULL, page_index },
	{ "/f/", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_NONE, NULL, 0, NULL, 0, form_keys, form_proc, page_form },
	{ "/status", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_NONE, NULL, 0, status_keys, S__COUNT, NULL, NULL,
	  page_status },
	{ "/health", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_NONE, NULL, 0, NULL, 0, NULL, NULL, page_health },
};

static const struct gate_answer answers[GATE__REFUSALS] = {
	[GATE_TOO_LARGE] = { 413, "送信できる大きさを超えています",
	    "入力された内容が多すぎます。文字数を減らして、もう一度お試しください。" },
	[GATE_UNREADABLE] = { 400, "送信内容を読み取れませんでした",
	    "通信が途中で切れた可能性があります。もう一度お試しください。" },
	[GATE_NOT_FOUND] = { 404, "ページが見つかりません",
	    "お探しのページは見つかりませんでした。URLをご確認いただくか、トップページから手続きを選んでください。" },
	[GATE_BAD_TYPE] = { 415, "送信形式が正しくありません", "フォームから送信してください。" },
	[GATE_KEYS_TOO_LONG] = { 400, "送信内容に問題があります",
	    "入力された内容が長すぎます。文字数を減らして、もう一度お試しください。" },
	[GATE_KEYS_BAD] = { 400, "送信内容に問題があります",
	    "送信された内容に使えない文字や形式の誤りがあります。お手数ですが、最初から入力し直してください。" },
	[GATE_BAD_CSRF] = { 403, "ページの有効期限が切れました",
	    "安全のため、この操作を受け付けられませんでした。Cookieを有効にしたうえで、"
	    "もう一度フォームを開いて入力してください。" },
	[GATE_FAILED] = { 503, "ただいま受付できません",
	    "システムが混み合っているか、障害が発生しています。入力内容は保存されていません。"
	    "しばらく時間をおいてから、もう一度お試しください。" },
};

/* Nobody logs in: every route is open to anyone. */
static const struct gate_conf gate_conf = {
	.routes = routes, .nroutes = sizeof(routes) / sizeof(routes[0]),
	.cookies = cookie_keys, .ncookies = C__COUNT, .csrf_plain = C_CSRF, .csrf_tls = C_CSRF_HOST,
	.csrf_cookie_plain = "csrf", .csrf_cookie_tls = "__Host-csrf", .csrf_path = "/",
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
	if (app->site.tmpl == NULL) {
		log_msg(LOG_ERR, "no usable templates in %s", app->site.tmpl_dir);
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
	int		 rc;

	seal_wipe(app->mac_key, sizeof(app->mac_key));
	seal_wipe(app->inquiry_key, sizeof(app->inquiry_key));
	if (db_open(app->site.db_path, &db) == -1)
		return 1;
	db_set_limits(db, &app->limits);
	db_set_contact_key(db, app->mailer_pk);
	db_set_waitlist_text(db, mail_text_waitlisted);
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
	    &app.limits) == -1)
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
