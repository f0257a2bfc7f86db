/*
 * staff: the FastCGI program for section staff, admins and auditors, under
 * /staff/.  It is the only process that opens applications, and only with
 * the section keys a logged-in member's session holds (lib/custody.h).
 *
 * Every request passes the gate (lib/gate.h) with the route table below:
 * each route's methods, the role it needs and the keys its page reads.  An
 * anonymous request goes to the login page (a POST is refused), a page of
 * another role is 404.  Pages then answer 404 for any procedure or
 * application outside the member's sections, exactly as for one that does
 * not exist.  The pages are in staff_*.c (staff.h).
 *
 * Every login, failure, logout, view, change and export is appended to the
 * audit log (lib/audit.h).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "audit.h"
#include "custody.h"
#include "jnorm.h"
#include "log.h"
#include "prefork.h"
#include "mail.h"
#include "staff.h"
#include "web.h"

/* As large as a resident's form may be (apply.c): staff enter the same forms from paper. */
#define MAX_BODY	(64 * 1024)
#define MAX_PAIRS	256

static int valid_date(const char *v, size_t len);
static int valid_opt_token(const char *v, size_t len);
static int valid_login(const char *v, size_t len);
static int valid_cursor(const char *v, size_t len);
static int valid_receipt(const char *v, size_t len);

static const struct kv_decl cookie_keys[C__COUNT] = {
	[C_CSRF] = { "staff_csrf", 64, 1, kv_valid_b64url },
	[C_CSRF_HOST] = { "__Host-staff_csrf", 64, 1, kv_valid_b64url },
	[C_SESSION] = { "staff_session", 64, 1, kv_valid_b64url },
	[C_SESSION_HOST] = { "__Host-staff_session", 64, 1, kv_valid_b64url },
};

/*
 * Every route declares its own query and body keys (the route table
 * below): a table as long as the enum (staff.h), naming only the keys its
 * page reads.
 */
#define QUERY_M		[Q_M] = { "m", 16, 1, kv_valid_token }
#define QUERY_STATUS	[Q_STATUS] = { "status", 16, 1, valid_opt_token }
#define QUERY_FROM	[Q_FROM] = { "from", 10, 1, valid_date }
#define QUERY_TO	[Q_TO] = { "to", 10, 1, valid_date }
#define QUERY_PAGE	[Q_PAGE] = { "page", 6, 1, kv_valid_digits }
#define QUERY_ENCODING	[Q_ENCODING] = { "encoding", 16, 1, valid_opt_token }
#define QUERY_ACTION	[Q_ACTION] = { "action", 32, 1, valid_opt_token }
#define QUERY_AT	[Q_AT] = { "at", 40, 1, valid_cursor }
#define QUERY_PID	[Q_PID] = { "pid", 80, 1, NULL }	/* a participant ID as typed: staff_list.c reads it */
#define QUERY_PROCEDURE	[Q_PROCEDURE] = { "procedure", 40, 1, kv_valid_token }
#define BODY_CSRF	[B_CSRF] = { "csrf", 64, 1, kv_valid_b64url }
/* An export's purpose and recipient (管理簿): asked with every export, as query or body keys. */
#define LEDGER_TEXT(i, name) [i] = { name, LEDGER_TEXT_CHARS * 4, 1, ledger_text_ok }

/* ---- helpers of every page ---- */

static int
valid_date(const char *v, size_t len)
{
	struct jn_date d;

	return len == 0 || (len == 10 && jn_date_parse(v, &d) == 0);
}

/* Filter links carry empty values ("status=&from=") for "any". */
static int
valid_opt_token(const char *v, size_t len)
{
	return len == 0 || kv_valid_token(v, len);
}

static int
valid_login(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return 0;
	return 1;
}

/* Where a list's page starts (staff_list.c: list_cursor): "last", or o|n, seconds, '_', a receipt. */
static int
valid_cursor(const char *v, size_t len)
{
	size_t digits = len > 1 ? strspn(v + 1, "0123456789") : 0;

	if (len == 4 && memcmp(v, "last", 4) == 0)
		return 1;
	return len > 1 && (v[0] == 'o' || v[0] == 'n') && digits >= 1 && digits <= 18 &&
	    len == 1 + digits + 1 + DB_RECEIPT_LEN && v[1 + digits] == '_' &&
	    strspn(v + 2 + digits, "0123456789-") == DB_RECEIPT_LEN;
}

/* A receipt number as drawn: "1234-5678-9012". */
static int
valid_receipt(const char *v, size_t len)
{
	return len == DB_RECEIPT_LEN && strspn(v, "0123456789-") == DB_RECEIPT_LEN && v[4] == '-' && v[9] == '-';
}

/* Is code a status staff may filter by? */
int
status_offered(const char *code)
{
	enum wf_status s;

	return wf_status_parse(code, &s) == 0 && wf_status_offered(s);
}

int
status_rows(struct ctx *c, const struct procedure *p, const char *marked, const char *mark)
{
	enum wf_status	s;
	char		item[24];

	for (s = 0; s < WF__STATUSES; s++) {
		struct tvars *v;

		/* a lottery's results only where there is a lottery */
		if (!wf_status_offered(s) || (!p->lottery && (s == WF_WON || s == WF_LOST || s == WF_RESERVE)))
			continue;
		if ((v = tvars_add(c->g.w.vars, "statuses")) == NULL)
			return -1;
		snprintf(item, sizeof(item), ",%s,", wf_status_code(s));
		tvars_set(v, "value", wf_status_code(s));
		tvars_set(v, "label", wf_staff_label(s));
		if (strstr(marked, item) != NULL)
			tvars_set(v, mark, "1");
	}
	return 0;
}

void
staff_bind(const struct ctx *c, const struct procedure *p, struct confirm_bind *b)
{
	b->key = c->app->mac_key;
	b->procedure = p->id;
	b->form_hash = p->hash;
	b->browser = c->g.w.csrf_cookie;
}

/* The staff label of a stored status; the code itself when it names none. */
const char *
status_text(const char *code)
{
	const char *label = wf_staff_label_of(code);

	return label != NULL ? label : code;
}

int
status_var(struct tvars *v, const char *name, const char *code, long number)
{
	struct buf	b;
	int		rc;

	buf_init(&b);
	rc = wf_label_of(code, number, &b) == 0 && !b.oom ? tvars_set(v, name, buf_cstr(&b)) : -1;
	buf_free(&b);
	return rc;
}

int
holds_section(const struct ctx *c, const char *section)
{
	size_t i;

	for (i = 0; i < c->nsections; i++)
		if (strcmp(c->sections[i], section) == 0)
			return 1;
	return 0;
}

const char *
section_name(struct ctx *c, const char *id, char *buf, size_t len)
{
	if (db_section_name(c->app->site.db, id, buf, len) != 0)
		snprintf(buf, len, "%s", id);
	return buf;
}

/* Who did it: the member, or for a failed login the account tried (when it exists). */
void
audit_as(struct ctx *c, const char *actor, const char *action, const char *target, const char *detail)
{
	struct audit_entry e;

	memset(&e, 0, sizeof(e));
	e.at = c->g.w.now;
	e.actor = actor;
	e.action = action;
	e.target = target;
	e.detail = detail;
	e.addr = c->g.w.req.remote_addr;
	/* An unrecorded access must not happen: the page fails if its entry cannot be written. */
	if (audit_append(c->app->site.db, c->app->audit_key, &e) == -1)
		c->g.w.req.status = 500;
}

void
audit(struct ctx *c, const char *action, const char *target, const char *detail)
{
	audit_as(c, c->member ? c->staff.login : "-", action, target, detail);
}

int
audit_ok(struct ctx *c, const char *action, const char *target, const char *detail)
{
	audit(c, action, target, detail);
	return c->g.w.req.status == 500 ? -1 : 0;
}

void
system_error(struct ctx *c)
{
	gate_refuse(&c->g, GATE_FAILED);
}

void
not_found(struct ctx *c)
{
	gate_refuse(&c->g, GATE_NOT_FOUND);
}

/* Something that exists but is not the member's: audited (why), and answered like a missing one. */
int
denied(struct ctx *c, const char *target, const char *why)
{
	return audit_ok(c, "denied", target, why);
}

void
deny(struct ctx *c, const char *target, const char *why)
{
	if (denied(c, target, why) == 0)
		not_found(c);
	else
		system_error(c);
}

void
redirect(struct ctx *c, const char *location)
{
	c->g.w.req.status = 303;
	(void)http_header(&c->g.w.req, "Location", location);
	buf_reset(&c->g.w.req.out);
}

/* Variables every logged-in page's header needs. */
int
member_vars(struct ctx *c, const char *title)
{
	return tvars_set(c->g.w.vars, "title", title) == 0 && web_csrf_vars(&c->g.w) == 0 &&
	    (!c->member || (tvars_set(c->g.w.vars, "user", c->staff.login) == 0 &&
	    tvars_set(c->g.w.vars, "role_label", wf_role_label(c->g.role)) == 0 &&
	    (c->g.role != WF_ROLE_AUDITOR || tvars_set(c->g.w.vars, "is_auditor", "1") == 0) &&
	    (!wf_role_meets(c->g.role, WF_NEED_OVERSIGHT) || tvars_set(c->g.w.vars, "is_oversight", "1") == 0))) ?
	    0 : -1;
}

/* 前のページ / 次のページ links, only when there is more than one page. */
int
pager_vars(struct ctx *c, int64_t page, int64_t total)
{
	int64_t pages = (total + PAGE_ROWS - 1) / PAGE_ROWS;

	if (pages <= 1)
		return 0;
	tvars_setf(c->g.w.vars, "pages", "%lld", (long long)pages);
	tvars_setf(c->g.w.vars, "page", "%lld", (long long)page);
	if (page > 1)
		tvars_setf(c->g.w.vars, "prev", "%lld", (long long)(page - 1));
	if (page < pages)
		tvars_setf(c->g.w.vars, "next", "%lld", (long long)(page + 1));
	return 0;
}

int
path_number(const char *s, int64_t *out)
{
	char *end;

	if (*s < '1' || *s > '9')
		return -1;
	*out = strtoll(s, &end, 10);
	return *end == '\0' && *out >= 1 && *out < INT64_MAX ? 0 : -1;
}

/* ---- the gate ---- */

/* Anonymous requests never reach a page other than the login: GET goes to it, POST is refused. */
static void
to_login(void *arg)
{
	struct ctx *c = arg;

	if (c->g.w.req.method == HTTP_POST)
		web_error_page(&c->g.w, 403, "ログインしてください",
		    "ログインの有効期限が切れたか、ログインしていません。もう一度ログインしてから操作してください。");
	else
		redirect(c, c->expired ? "/staff/login?m=expired" : "/staff/login");
}

/* A page of another role: audited, and answered like one that does not exist. */
static void
not_for_role(void *arg, const struct gate_route *rt)
{
	static const char *const why[] = {
		[WF_NEED_STAFF] = "not staff", [WF_NEED_ADMIN] = "not an admin", [WF_NEED_AUDITOR] = "not an auditor",
		[WF_NEED_OVERSIGHT] = "neither an admin nor an auditor",
	};
	struct ctx *c = arg;

	deny(c, c->g.w.req.path, why[rt->need] != NULL ? why[rt->need] : "role refused");
}

static const struct kv_decl login_query[Q__COUNT] = { QUERY_M };
static const struct kv_decl login_body[B__COUNT] = {
	BODY_CSRF,
	[B_LOGIN] = { "login", 64, 1, valid_login },
	[B_PASSWORD] = { "password", CUSTODY_PASSWORD_MAX, 1, NULL },
};
static const struct kv_decl csrf_body[B__COUNT] = { BODY_CSRF };
static const struct kv_decl password_body[B__COUNT] = {
	BODY_CSRF,
	[B_CURRENT] = { "current", CUSTODY_PASSWORD_MAX, 1, NULL },
	[B_NEW] = { "new", CUSTODY_PASSWORD_MAX, 1, NULL },
	[B_CONFIRM] = { "confirm", CUSTODY_PASSWORD_MAX, 1, NULL },
};
/* A procedure's list, its CSV export and its ZIP export. */
static const struct kv_decl forms_query[Q__COUNT] = {
	QUERY_STATUS, QUERY_FROM, QUERY_TO, QUERY_PAGE, QUERY_ENCODING, QUERY_AT, QUERY_PID,
	LEDGER_TEXT(Q_PURPOSE, "purpose"), LEDGER_TEXT(Q_RECIPIENT, "recipient"),
};
static const struct kv_decl forms_body[B__COUNT] = {
	BODY_CSRF,
	[B_ZIP_PASSWORD] = { "zip_password", CUSTODY_PASSWORD_MAX, 1, NULL },
	LEDGER_TEXT(B_PURPOSE, "purpose"), LEDGER_TEXT(B_RECIPIENT, "recipient"),
};
static const struct kv_decl app_query[Q__COUNT] = { QUERY_M };
static const struct kv_decl app_body[B__COUNT] = {
	BODY_CSRF,
	[B_FROM] = { "from", 16, 1, kv_valid_token },
	[B_TO] = { "to", 16, 1, kv_valid_token },
	[B_NOTE] = { "note", NOTE_MAX_CHARS * 4, 1, NULL },
};
/* Likely duplicates of a procedure, and a decision on one of them. */
static const struct kv_decl dups_query[Q__COUNT] = { QUERY_M, QUERY_PROCEDURE };
static const struct kv_decl dups_body[B__COUNT] = {
	BODY_CSRF,
	[B_RECEIPT] = { "receipt", DB_RECEIPT_LEN, 1, valid_receipt },
	[B_DECISION] = { "decision", 16, 1, kv_valid_token },
	[B_NOTE] = { "note", NOTE_MAX_CHARS * 4, 1, NULL },
};
/* The list for notices by post, and its CSV (with the ledger's purpose and recipient). */
static const struct kv_decl postal_query[Q__COUNT] = {
	QUERY_PROCEDURE, QUERY_STATUS, QUERY_ENCODING,
	LEDGER_TEXT(Q_PURPOSE, "purpose"), LEDGER_TEXT(Q_RECIPIENT, "recipient"),
};
/* A bulk change: the list's filter as the query, what to change as the body (staff_bulk.c). */
static const struct kv_decl bulk_query[Q__COUNT] = { QUERY_STATUS, QUERY_FROM, QUERY_TO };
static const struct kv_decl bulk_body[B__COUNT] = {
	BODY_CSRF,
	[B_TO] = { "to", 16, 1, kv_valid_token },
	[B_NOTE] = { "note", NOTE_MAX_CHARS * 4, 1, NULL },
	[B_ACTION] = { "action", 16, 1, kv_valid_token },
	[B_SCOPE] = { "scope", 16, 1, kv_valid_token },
	[B_RECEIPT] = { "r", DB_RECEIPT_LEN, PAGE_ROWS, valid_receipt },
	[B_TOKEN] = { "token", 128, 1, kv_valid_b64url },
};
/* An announcement: its subject (one line, checked by the page for a clear message), text and statuses. */
static const struct kv_decl announce_query[Q__COUNT] = { QUERY_M };
static const struct kv_decl announce_body[B__COUNT] = {
	BODY_CSRF,
	[B_ACTION] = { "action", 16, 1, kv_valid_token },
	[B_SUBJECT] = { "subject", 100 * 4, 1, NULL },
	[B_TEXT] = { "text", 4000 * 4 + 4000, 1, NULL },	/* a "\r" more per line */
	[B_STATUSES] = { "st", 16, WF__STATUSES, kv_valid_token },
	[B_TOKEN] = { "token", 128, 1, kv_valid_b64url },
};
static const struct kv_decl audit_query[Q__COUNT] = { QUERY_FROM, QUERY_TO, QUERY_PAGE, QUERY_ACTION };
static const struct kv_decl page_query[Q__COUNT] = { QUERY_PAGE };
static const struct kv_decl ledger_query[Q__COUNT] = {
	QUERY_M, QUERY_PAGE, [Q_OPEN] = { "open", 1, 1, kv_valid_digits },
};
static const struct kv_decl ledger_body[B__COUNT] = {
	BODY_CSRF,
	[B_HOW] = { "how", 16, 1, kv_valid_token },
	LEDGER_TEXT(B_BY, "by"),
};
/* A lottery's draw page: the reserves, the step (confirm, draw) and "draw anyway" past a warning. */
static const struct kv_decl lottery_query[Q__COUNT] = { QUERY_M };
static const struct kv_decl lottery_body[B__COUNT] = {
	BODY_CSRF,
	[B_ACTION] = { "action", 16, 1, kv_valid_token },
	[B_RESERVES] = { "reserves", 5, 1, kv_valid_digits },
	[B_ANYWAY] = { "anyway", 1, 1, kv_valid_digits },
};

#define KEYS(t) t, sizeof(t) / sizeof(t[0])
#define GET_HEAD_POST (HTTP_GET | HTTP_HEAD | HTTP_POST)

/* path, exact, methods, body, need, query keys, body keys, body keys built at run time, resolver, page */
static const struct gate_route routes[] = {
	{ "/staff/login", 1, GET_HEAD_POST, GATE_FORM, WF_NEED_NONE, KEYS(login_query), KEYS(login_body), NULL, NULL,
	  page_login },
	{ "/staff/logout", 1, HTTP_POST, GATE_FORM, WF_NEED_MEMBER, NULL, 0, KEYS(csrf_body), NULL, NULL,
	  page_logout },
	{ "/staff/", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_MEMBER, NULL, 0, NULL, 0, NULL, NULL, page_home },
	{ "/staff/password", 1, GET_HEAD_POST, GATE_FORM, WF_NEED_MEMBER, NULL, 0, KEYS(password_body), NULL, NULL,
	  page_password },
	{ "/staff/forms/", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_MEMBER, KEYS(forms_query), KEYS(forms_body), NULL,
	  NULL, page_forms },
	{ "/staff/apps/", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_MEMBER, KEYS(app_query), KEYS(app_body), NULL, NULL,
	  page_app },
	{ "/staff/bulk/", 0, HTTP_POST, GATE_FORM, WF_NEED_MEMBER, KEYS(bulk_query), KEYS(bulk_body), NULL, NULL,
	  page_bulk },
	{ "/staff/announce/", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_MEMBER, KEYS(announce_query), KEYS(announce_body),
	  NULL, NULL, page_announce },
	{ "/staff/entry/", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_MEMBER, NULL, 0, NULL, 0, entry_keys, entry_proc,
	  page_entry },
	{ "/staff/audit", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_AUDITOR, KEYS(audit_query), NULL, 0, NULL,
	  NULL, page_audit },
	{ "/staff/erasure", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_OVERSIGHT, KEYS(page_query), NULL, 0, NULL,
	  NULL, page_erasure },
	{ "/staff/erasure/", 0, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_OVERSIGHT, NULL, 0, NULL, 0, NULL, NULL,
	  page_erasure },
	{ "/staff/duplicates", 1, GET_HEAD_POST, GATE_FORM, WF_NEED_MEMBER, KEYS(dups_query), KEYS(dups_body), NULL,
	  NULL, page_duplicates },
	{ "/staff/postal", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_MEMBER, KEYS(postal_query), NULL, 0, NULL,
	  NULL, page_postal },
	{ "/staff/postal.csv", 1, HTTP_GET, GATE_NO_BODY, WF_NEED_MEMBER, KEYS(postal_query), NULL, 0, NULL, NULL,
	  page_postal },
	{ "/staff/ledger", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_MEMBER, KEYS(ledger_query), NULL, 0, NULL,
	  NULL, page_ledger },
	{ "/staff/ledger/", 0, HTTP_POST, GATE_FORM, WF_NEED_MEMBER, NULL, 0, KEYS(ledger_body), NULL, NULL,
	  page_ledger },
	{ "/staff/lottery/", 0, GET_HEAD_POST, GATE_FORM, WF_NEED_MEMBER, KEYS(lottery_query), KEYS(lottery_body), NULL,
	  NULL, page_lottery },
};

/* Message ids (po/): staff read Japanese, the catalogues' default language. */
static const struct gate_answer answers[GATE__REFUSALS] = {
	[GATE_TOO_LARGE] = { 413, N_("staff.too_large"), N_("staff.too_large.text") },
	[GATE_UNREADABLE] = { 400, N_("staff.unreadable"), N_("staff.unreadable.text") },
	[GATE_NOT_FOUND] = { 404, N_("staff.not_found"), N_("staff.not_found.text") },
	[GATE_BAD_TYPE] = { 415, N_("staff.bad_type"), N_("staff.bad_type.text") },
	[GATE_KEYS_TOO_LONG] = { 400, N_("staff.bad_keys"), N_("staff.too_long.text") },
	[GATE_KEYS_BAD] = { 400, N_("staff.bad_keys"), N_("staff.bad_keys.text") },
	[GATE_BAD_CSRF] = { 403, N_("staff.bad_csrf"), N_("staff.bad_csrf.text") },
	[GATE_METHOD] = { 405, N_("staff.method"), N_("staff.method.text") },
	[GATE_FAILED] = { 500, N_("staff.failed"), N_("staff.failed.text") },
};

static const struct gate_conf gate_conf = {
	.routes = routes, .nroutes = sizeof(routes) / sizeof(routes[0]),
	.cookies = cookie_keys, .ncookies = C__COUNT, .csrf_plain = C_CSRF, .csrf_tls = C_CSRF_HOST,
	.lang_cookie = -1, .csrf_cookie_plain = "staff_csrf", .csrf_cookie_tls = "__Host-staff_csrf", .csrf_path = "/staff/",
	.error_template = "staff_error.html", .max_body = MAX_BODY, .max_pairs = MAX_PAIRS, .answers = answers,
	.authenticate = authenticate, .anonymous = to_login, .forbidden = not_for_role,
};

static void
ctx_reset(struct ctx *c)
{
	gate_reset(&c->g);
	seal_wipe(&c->staff, sizeof(c->staff));
	seal_wipe(c->session, sizeof(c->session));
	seal_wipe(c->session_hash, sizeof(c->session_hash));
	memset(c->sections, 0, sizeof(c->sections));
	c->nsections = 0;
	c->member = 0;
	c->expired = 0;
	c->proc = NULL;
	formkeys_free(&c->keys);
	slots_give(&c->app->hash_slots);	/* a page that failed between take and give */
}

/* ---- processes ---- */

static struct ctx the_ctx;	/* the worker's one request context, reset after every request */

static int
worker_start(void *arg)
{
	struct app	*app = arg;
	char		 lock[1100];

	/* Each worker opens the lock file itself: its slots are its own open file description's locks. */
	snprintf(lock, sizeof(lock), "%s/db/staff-hash.lock", app->site.data_dir);
	if (web_site_open(&app->site) == -1 || slots_open(&app->hash_slots, lock, app->nslots) == -1)
		return 1;
	/* Paper applications' contact envelopes are sealed in staff's own storing transaction (staff_entry.c). */
	db_set_contact_key(app->site.db, app->mailer_pk);
	db_set_waitlist_text(app->site.db, mail_text_waitlisted, &app->site.langs);
	(void)web_site_reload(&app->site, NULL, NULL);
	if (app->site.tmpl == NULL || app->site.langs == NULL) {
		log_msg(LOG_ERR, "no usable templates in %s or catalogues in %s", app->site.tmpl_dir,
		    app->site.msg_dir);
		return 1;
	}
	memset(&the_ctx, 0, sizeof(the_ctx));
	the_ctx.app = app;
	gate_init(&the_ctx.g, &gate_conf, app->mac_key);
	return 0;
}

static void
worker_reload(void *arg)
{
	struct app *app = arg;

	(void)web_site_reload(&app->site, NULL, NULL);
}

static void
worker_serve(void *arg, FCGX_Request *fr)
{
	struct app *app = arg;

	the_ctx.g.w.tmpl = app->site.tmpl;
	the_ctx.g.w.langs = app->site.langs;
	gate_serve(&the_ctx.g, &the_ctx, fr);
	ctx_reset(&the_ctx);
}

static void
worker_stop(void *arg)
{
	struct app *app = arg;

	ctx_reset(&the_ctx);
	gate_free(&the_ctx.g);
	web_site_close(&app->site);
	slots_close(&app->hash_slots);
	seal_wipe(app->mac_key, sizeof(app->mac_key));
	seal_wipe(app->audit_key, sizeof(app->audit_key));
	seal_wipe(app->inquiry_key, sizeof(app->inquiry_key));
}

static const struct prefork_ops ops = { worker_start, worker_reload, worker_serve, worker_stop, NULL, NULL };

/*
 * One worker fewer than there are, so that one is always free for pages,
 * and no more than the cores: each run is CPU and 64 MiB of memory, and
 * more at once than cores would only make every login slower.
 */
static int
default_slots(int nworkers)
{
	long	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int	n = nworkers - 1;

	if (ncpu > 0 && n > ncpu)
		n = (int)ncpu;
	return n < 1 ? 1 : n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: staff --data DIR --forms DIR --templates DIR --messages DIR --socket PATH"
	    " [--socket-group GROUP] [--workers N] [--idle-minutes N] [--hash-slots N]\n");
	exit(2);
}

/* --idle-minutes (1 to a day) and --hash-slots (0: the default, up to 64). */
static int
staff_option(int ch, const char *val, void *arg)
{
	struct app	*app = arg;
	int		 n = atoi(val);

	if (ch == 'i' && n >= 1 && n <= 24 * 60)
		app->idle_seconds = n * 60;
	else if (ch == 'h' && n >= 0 && n <= 64)
		app->nslots = n;
	else
		return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "idle-minutes", required_argument, NULL, 'i' },
		{ "hash-slots", required_argument, NULL, 'h' },
	};
	struct app	app;
	int		rc;

	memset(&app, 0, sizeof(app));
	app.idle_seconds = 30 * 60;
	log_init("staff");
	if (web_site_options(&app.site, argc, argv, opts, sizeof(opts) / sizeof(opts[0]), staff_option, &app) == -1 ||
	    app.site.msg_dir == NULL)
		usage();
	if (app.nslots == 0)
		app.nslots = default_slots(app.site.workers);
	if (seal_init() == -1 || web_site_check(&app.site) == -1)
		return 1;
	if (seal_key_load(app.site.data_dir, "keys/staff-mac.key", app.mac_key) == -1 ||
	    seal_key_load(app.site.data_dir, "keys/audit.key", app.audit_key) == -1 ||
	    seal_shared_load(app.site.data_dir, "keys/inquiry.key", app.inquiry_key) == -1 ||
	    seal_public_load(app.site.data_dir, "keys/mailer.pk", app.mailer_pk) == -1)
		return 1;
	rc = prefork_run(app.site.socket, app.site.socket_group, app.site.workers, &ops, &app) == 0 ? 0 : 1;
	seal_wipe(app.mac_key, sizeof(app.mac_key));
	seal_wipe(app.audit_key, sizeof(app.audit_key));
	seal_wipe(app.inquiry_key, sizeof(app.inquiry_key));
	log_msg(LOG_INFO, "stopped");
	return rc;
}
