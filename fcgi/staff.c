/*
 * staff: the FastCGI program for section staff, admins and auditors, under
 * /staff/.  It is the only process that opens applications, and only with
 * the section keys a logged-in member's session holds (lib/custody.h).
 *
 * Request gate, in this order and before any page code runs:
 * read (413/400) -> method (405) -> route (404) -> method for route (405) ->
 * body type (415) -> session (anonymous: to the login page) -> role (404) ->
 * declared keys (400) -> CSRF (403) -> page.  Pages then answer 404 for any
 * procedure or application outside the member's sections, exactly as for
 * one that does not exist.
 *
 * Every login, failure, logout, view, change and export is appended to the
 * audit log (lib/audit.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>
#include <unistr.h>

#include "audit.h"
#include "buf.h"
#include "custody.h"
#include "db.h"
#include "esc.h"
#include "export.h"
#include "formdef.h"
#include "formset.h"
#include "guess.h"
#include "http.h"
#include "jnorm.h"
#include "jst.h"
#include "kv.h"
#include "log.h"
#include "mail.h"
#include "opener.h"
#include "payload.h"
#include "prefork.h"
#include "seal.h"
#include "slots.h"
#include "tmpl.h"
#include "web.h"

#define MAX_BODY	(32 * 1024)
#define MAX_PAIRS	64
#define PAGE_ROWS	50
#define MAX_SECTIONS	64
#define SESSION_MAX	(12 * 60 * 60)	/* a session ends after a working day, however active */
#define NOTE_MAX_CHARS	2000

/*
 * Password guesses, at login and as the current password of a change, in
 * sliding 15-minute windows (lib/guess.h): 5 per account from one address;
 * an account with 5 failures stays open to addresses without failures; an
 * address with 30 failures is kept from the accounts it failed on.
 */
#define LOGIN_WINDOW		(15 * 60)
#define LOGIN_PAIR_LIMIT	5
#define LOGIN_ACCOUNT_LIMIT	5
#define LOGIN_ADDR_LIMIT	30
static const struct guess_limits login_limits = {
	LOGIN_WINDOW, LOGIN_PAIR_LIMIT, LOGIN_ACCOUNT_LIMIT, LOGIN_WINDOW, LOGIN_ADDR_LIMIT
};

enum page { P_LOGIN, P_LOGOUT, P_HOME, P_PASSWORD, P_FORMS, P_APP, P_AUDIT };
enum auth { AUTH_NONE, AUTH_MEMBER, AUTH_AUDITOR };

static const struct route routes[] = {
	{ "/staff/login", HTTP_GET | HTTP_HEAD | HTTP_POST, P_LOGIN, 1, AUTH_NONE },
	{ "/staff/logout", HTTP_POST, P_LOGOUT, 1, AUTH_MEMBER },
	{ "/staff/", HTTP_GET | HTTP_HEAD, P_HOME, 1, AUTH_MEMBER },
	{ "/staff/password", HTTP_GET | HTTP_HEAD | HTTP_POST, P_PASSWORD, 1, AUTH_MEMBER },
	{ "/staff/forms/", HTTP_GET | HTTP_HEAD | HTTP_POST, P_FORMS, 0, AUTH_MEMBER },
	{ "/staff/apps/", HTTP_GET | HTTP_HEAD | HTTP_POST, P_APP, 0, AUTH_MEMBER },
	{ "/staff/audit", HTTP_GET | HTTP_HEAD, P_AUDIT, 1, AUTH_AUDITOR },
};

static int valid_date(const char *v, size_t len);
static int valid_opt_token(const char *v, size_t len);
static int valid_login(const char *v, size_t len);

enum { C_CSRF, C_CSRF_HOST, C_SESSION, C_SESSION_HOST, C__COUNT };
static const struct kv_decl cookie_keys[C__COUNT] = {
	[C_CSRF] = { "staff_csrf", 64, 1, kv_valid_b64url },
	[C_CSRF_HOST] = { "__Host-staff_csrf", 64, 1, kv_valid_b64url },
	[C_SESSION] = { "staff_session", 64, 1, kv_valid_b64url },
	[C_SESSION_HOST] = { "__Host-staff_session", 64, 1, kv_valid_b64url },
};

/* Query keys (GET) of every page; a page reads only its own. */
enum { Q_M, Q_STATUS, Q_FROM, Q_TO, Q_PAGE, Q_ENCODING, Q_ACTION, Q__COUNT };
static const struct kv_decl query_keys[Q__COUNT] = {
	[Q_M] = { "m", 16, 1, kv_valid_token },
	[Q_STATUS] = { "status", 16, 1, valid_opt_token },
	[Q_FROM] = { "from", 10, 1, valid_date },
	[Q_TO] = { "to", 10, 1, valid_date },
	[Q_PAGE] = { "page", 6, 1, kv_valid_digits },
	[Q_ENCODING] = { "encoding", 16, 1, valid_opt_token },
	[Q_ACTION] = { "action", 32, 1, valid_opt_token },
};

/* Body keys (POST) of every page. */
enum { B_CSRF, B_LOGIN, B_PASSWORD, B_CURRENT, B_NEW, B_CONFIRM, B_FROM, B_TO, B_NOTE, B_ZIP_PASSWORD, B__COUNT };
static const struct kv_decl body_keys[B__COUNT] = {
	[B_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[B_LOGIN] = { "login", 64, 1, valid_login },
	[B_PASSWORD] = { "password", CUSTODY_PASSWORD_MAX, 1, NULL },
	[B_CURRENT] = { "current", CUSTODY_PASSWORD_MAX, 1, NULL },
	[B_NEW] = { "new", CUSTODY_PASSWORD_MAX, 1, NULL },
	[B_CONFIRM] = { "confirm", CUSTODY_PASSWORD_MAX, 1, NULL },
	[B_FROM] = { "from", 16, 1, kv_valid_token },
	[B_TO] = { "to", 16, 1, kv_valid_token },
	[B_NOTE] = { "note", NOTE_MAX_CHARS * 4, 1, NULL },
	[B_ZIP_PASSWORD] = { "zip_password", CUSTODY_PASSWORD_MAX, 1, NULL },
};

/* The statuses in workflow order; their Japanese labels come from export_status_label(). */
static const char *const statuses[] = { "received", "accepted", "done", "returned", "withdrawn" };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

/* The workflow: which status may follow which. */
static const struct transition {
	const char *from, *to;
} transitions[] = {
	{ "received", "accepted" }, { "received", "returned" }, { "received", "withdrawn" },
	{ "accepted", "done" }, { "accepted", "returned" }, { "accepted", "withdrawn" },
	{ "returned", "received" }, { "returned", "withdrawn" },
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
	unsigned char	 audit_key[SEAL_KEY_LEN];
	unsigned char	 mailer_pk[SEAL_PK_LEN];	/* acceptance and return mails are sealed to it */
	int		 idle_seconds;
	/*
	 * Argon2id runs at once across the workers (--hash-slots): fewer than
	 * the workers, so that a flood of logins leaves a worker for the
	 * members already logged in; a login finding none free gets 429.
	 */
	int		 nslots;
	struct slots	 hash_slots;
};

/* Per-request state, reset on every FastCGI iteration. */
struct ctx {
	struct web		 w;
	struct app		*app;
	struct kv_form		 query;
	struct kv_form		 form;
	int			 member;		/* a valid session */
	int			 expired;		/* a session cookie that no longer works */
	struct db_staff		 staff;
	char			 session[64];		/* the cookie's token, needed to open the session's keys */
	unsigned char		 session_hash[SEAL_MAC_LEN];
	char			 sections[MAX_SECTIONS][64];	/* sections whose keys the session holds */
	size_t			 nsections;
};

/* ---- small helpers ---- */

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

static const char *
status_label(const char *value)
{
	return export_status_label(value);
}

static int
transition_ok(const char *from, const char *to)
{
	size_t i;

	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (strcmp(transitions[i].from, from) == 0 && strcmp(transitions[i].to, to) == 0)
			return 1;
	return 0;
}

static const char *
role_label(const char *role)
{
	if (strcmp(role, "admin") == 0)
		return "管理者";
	if (strcmp(role, "auditor") == 0)
		return "監査担当";
	return "職員";
}

static const char *
qget(const struct ctx *c, size_t i)
{
	const struct kv_value *v = kv_get(&c->query, i);

	return v != NULL ? v->p : "";
}

static const char *
bget(const struct ctx *c, size_t i)
{
	const struct kv_value *v = kv_get(&c->form, i);

	return v != NULL ? v->p : "";
}

static int
holds_section(const struct ctx *c, const char *section)
{
	size_t i;

	for (i = 0; i < c->nsections; i++)
		if (strcmp(c->sections[i], section) == 0)
			return 1;
	return 0;
}

static const char *
section_name(struct ctx *c, const char *id, char *buf, size_t len)
{
	if (db_section_name(c->app->db, id, buf, len) != 0)
		snprintf(buf, len, "%s", id);
	return buf;
}

/* Who did it: the member, or for a failed login the account tried (when it exists). */
static void
audit_as(struct ctx *c, const char *actor, const char *action, const char *target, const char *detail)
{
	struct audit_entry e;

	memset(&e, 0, sizeof(e));
	e.at = c->w.now;
	e.actor = actor;
	e.action = action;
	e.target = target;
	e.detail = detail;
	e.addr = c->w.req.remote_addr;
	/* An unrecorded access must not happen: the page fails if its entry cannot be written. */
	if (audit_append(c->app->db, c->app->audit_key, &e) == -1)
		c->w.req.status = 500;
}

static void
audit(struct ctx *c, const char *action, const char *target, const char *detail)
{
	audit_as(c, c->member ? c->staff.login : "-", action, target, detail);
}

static int
audit_ok(struct ctx *c, const char *action, const char *target, const char *detail)
{
	audit(c, action, target, detail);
	return c->w.req.status == 500 ? -1 : 0;
}

static void
system_error(struct ctx *c)
{
	web_error_page(&c->w, 500, "システムエラー",
	    "処理を完了できませんでした。時間をおいてもう一度お試しください。"
	    "続く場合はシステム管理者に連絡してください。");
}

static void
not_found(struct ctx *c)
{
	web_error_page(&c->w, 404, "ページが見つかりません",
	    "お探しのページは見つからないか、閲覧する権限がありません。");
}

/* Something that exists but is not the member's: audited (why), and answered like a missing one. */
static int
denied(struct ctx *c, const char *target, const char *why)
{
	return audit_ok(c, "denied", target, why);
}

static void
deny(struct ctx *c, const char *target, const char *why)
{
	if (denied(c, target, why) == 0)
		not_found(c);
	else
		system_error(c);
}

static void
redirect(struct ctx *c, const char *location)
{
	c->w.req.status = 303;
	(void)http_header(&c->w.req, "Location", location);
	buf_reset(&c->w.req.out);
}

/* Variables every logged-in page's header needs. */
static int
member_vars(struct ctx *c, const char *title)
{
	return tvars_set(c->w.vars, "title", title) == 0 && web_csrf_vars(&c->w) == 0 &&
	    (!c->member || (tvars_set(c->w.vars, "user", c->staff.login) == 0 &&
	    tvars_set(c->w.vars, "role_label", role_label(c->staff.role)) == 0 &&
	    (strcmp(c->staff.role, "auditor") != 0 || tvars_set(c->w.vars, "is_auditor", "1") == 0))) ? 0 : -1;
}

/* 前のページ / 次のページ links, only when there is more than one page. */
static int
pager_vars(struct ctx *c, int64_t page, int64_t total)
{
	int64_t pages = (total + PAGE_ROWS - 1) / PAGE_ROWS;

	if (pages <= 1)
		return 0;
	tvars_setf(c->w.vars, "pages", "%lld", (long long)pages);
	tvars_setf(c->w.vars, "page", "%lld", (long long)page);
	if (page > 1)
		tvars_setf(c->w.vars, "prev", "%lld", (long long)(page - 1));
	if (page < pages)
		tvars_setf(c->w.vars, "next", "%lld", (long long)(page + 1));
	return 0;
}

/* ---- cookies ---- */

static const char *
session_cookie_name(const struct ctx *c)
{
	return c->w.req.https ? "__Host-staff_session" : "staff_session";
}

static int
set_session_cookie(struct ctx *c, const char *value, int max_age)
{
	struct buf	h;
	int		rc;

	buf_init(&h);
	/* __Host- needs Secure and Path=/; without TLS (the demo) the cookie is kept to /staff/. */
	buf_printf(&h, "%s=%s; Path=%s; HttpOnly; SameSite=Strict%s%s", session_cookie_name(c), value,
	    c->w.req.https ? "/" : "/staff/", c->w.req.https ? "; Secure" : "", max_age == 0 ? "; Max-Age=0" : "");
	rc = h.oom ? -1 : http_header(&c->w.req, "Set-Cookie", buf_cstr(&h));
	buf_wipe(&h);
	return rc;
}

/* ---- sessions ---- */

static int
collect_section(const char *section_id, void *arg)
{
	struct ctx *c = arg;

	if (c->nsections == MAX_SECTIONS)
		return 1;
	snprintf(c->sections[c->nsections++], sizeof(c->sections[0]), "%s", section_id);
	return 0;
}

static void
end_session(struct ctx *c, const char *why)
{
	(void)db_session_delete(c->app->db, c->session_hash);
	audit(c, "logout", c->staff.login, why);
	c->member = 0;
	c->expired = 1;
	(void)set_session_cookie(c, "", 0);
}

/* Find the member behind the session cookie; anonymous when there is none or it ended. */
static int
authenticate(struct ctx *c)
{
	const struct kv_value	*v = kv_get(&c->w.cookies, c->w.req.https ? C_SESSION_HOST : C_SESSION);
	struct db_session	 s;
	int			 rc;

	if (v == NULL || v->len >= sizeof(c->session) || custody_session_hash(v->p, c->session_hash) == -1)
		return 0;
	if ((rc = db_session_get(c->app->db, c->session_hash, &s)) == DB_NOTFOUND) {
		c->expired = 1;
		return 0;
	}
	if (rc != 0 || db_staff_by_id(c->app->db, s.staff_id, &c->staff) != 0)
		return -1;
	memcpy(c->session, v->p, v->len + 1);
	c->member = 1;
	if (c->staff.disabled)
		end_session(c, "account disabled");
	else if (c->w.now - s.last_seen > c->app->idle_seconds)
		end_session(c, "idle timeout");
	else if (c->w.now - s.created_at > SESSION_MAX)
		end_session(c, "session too old");
	if (!c->member)
		return c->w.req.status == 500 ? -1 : 0;
	if (db_session_touch(c->app->db, c->session_hash, c->w.now) == -1 ||
	    db_session_sections(c->app->db, c->session_hash, collect_section, c) == -1)
		return -1;
	return 0;
}

/* ---- login and logout ---- */

/* A failed password: it counts against the guess limits and is audited as who (the account, or "-"). */
static int
login_failed(struct ctx *c, const struct guess_keys *k, const char *who, const char *why)
{
	if (guess_failed(c->app->db, k, c->w.now) == -1)
		return -1;
	audit_as(c, who, "login_failed", who, why);
	return c->w.req.status == 500 ? -1 : 0;
}

/*
 * Before a password for login is hashed (at login, or the current one of a
 * change): 0 to go on, holding a hashing slot (given back after the hash,
 * and by ctx_reset at the latest); 1 refused, with 429, Retry-After and the
 * reason for the member in msg; -1 on error.
 */
static int
password_gate(struct ctx *c, const char *login, int change, struct guess_keys *k, char *msg, size_t len)
{
	int r, wait;

	if (guess_keys(c->app->mac_key, "staff-password", login, c->w.req.remote_addr, k) == -1 ||
	    (r = guess_check(c->app->db, &login_limits, k, c->w.now, &wait)) == -1)
		return -1;
	if (r == 1) {
		audit(c, "login_failed", c->member ? c->staff.login : "-", "throttled");
		if (c->w.req.status == 500)
			return -1;
		snprintf(msg, len, "%sが続いたため、一時的に%sできません。%d分ほどたってから、もう一度お試しください。",
		    change ? "現在のパスワードの誤り" : "ログインの失敗", change ? "パスワードを変更" : "ログイン",
		    (wait + 59) / 60);
	} else if ((r = slots_take(&c->app->hash_slots)) != 0) {
		return r == 1 ? 0 : -1;
	} else {
		wait = 1;
		snprintf(msg, len, "ただいま処理が混み合っています。数秒待ってから、もう一度お試しください。");
	}
	return http_too_many(&c->w.req, wait) == 0 ? 1 : -1;
}

static void
show_login(struct ctx *c, int status, const char *error, const char *login)
{
	const char *m = qget(c, Q_M);

	c->w.req.status = status;
	if (member_vars(c, "職員ログイン") == -1 || tvars_set(c->w.vars, "login", login) == -1 ||
	    (error != NULL && (tvars_set(c->w.vars, "l_error", error) == -1 ||
	    tvars_set(c->w.vars, "page_error", "1") == -1))) {
		system_error(c);
		return;
	}
	if (strcmp(m, "expired") == 0 || (c->expired && error == NULL))
		tvars_set(c->w.vars, "notice", "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。");
	else if (strcmp(m, "logout") == 0)
		tvars_set(c->w.vars, "notice", "ログアウトしました。");
	(void)web_render(&c->w, "staff_login.html");
}

/* Run Argon2id for an unknown login too, so the answer time does not tell which logins exist. */
static void
burn_password_time(const char *password)
{
	struct db_staff	dummy;
	unsigned char	sk[SEAL_SK_LEN];

	memset(&dummy, 0, sizeof(dummy));
	dummy.pw_ops = SEAL_PW_OPS;
	dummy.pw_mem = SEAL_PW_MEM;
	(void)custody_staff_unlock(&dummy, password, sk);
	seal_wipe(sk, sizeof(sk));
}

static void
do_login(struct ctx *c)
{
	static const char wrong[] = "ログインIDまたはパスワードが正しくありません。";
	const char		*login = bget(c, B_LOGIN), *password = bget(c, B_PASSWORD);
	struct guess_keys	 k;
	unsigned char		 sk[SEAL_SK_LEN];
	char			 cookie[64], refusal[256];
	int			 r, found;

	if ((r = password_gate(c, login, 0, &k, refusal, sizeof(refusal))) != 0) {
		if (r == -1)
			goto fail;
		show_login(c, 429, refusal, login);
		return;
	}
	if ((found = db_staff_by_login(c->app->db, login, &c->staff)) == -1)
		goto fail;
	if (found == DB_NOTFOUND) {
		burn_password_time(password);
		slots_give(&c->app->hash_slots);
		if (login_failed(c, &k, "-", "unknown login") == -1)
			goto fail;
		show_login(c, 200, wrong, login);
		return;
	}
	r = custody_staff_unlock(&c->staff, password, sk);
	slots_give(&c->app->hash_slots);
	if (r == -1)
		goto fail;
	if (r == CUSTODY_DENIED || c->staff.disabled) {
		if (login_failed(c, &k, c->staff.login, c->staff.disabled ? "account disabled" :
		    "wrong password") == -1)
			goto fail;
		show_login(c, 200, wrong, login);
		goto done;
	}
	if (guess_succeeded(c->app->db, &k) == -1)
		goto fail;
	(void)db_session_purge(c->app->db, c->w.now - c->app->idle_seconds, c->w.now - SESSION_MAX);
	if (custody_session_open(c->app->db, &c->staff, sk, c->w.now, cookie) == -1)
		goto fail;
	c->member = 1;
	if (set_session_cookie(c, cookie, -1) == -1 || web_csrf_renew(&c->w) == -1 ||
	    audit_ok(c, "login", c->staff.login, "") == -1)
		goto fail;
	redirect(c, "/staff/");
	goto done;
fail:
	system_error(c);
done:
	seal_wipe(sk, sizeof(sk));
	seal_wipe(cookie, sizeof(cookie));
}

static void
page_login(struct ctx *c)
{
	if (c->member && c->w.req.method != HTTP_POST) {
		redirect(c, "/staff/");
		return;
	}
	if (c->w.req.method == HTTP_POST)
		do_login(c);
	else
		show_login(c, 200, NULL, "");
}

static void
page_logout(struct ctx *c)
{
	if (db_session_delete(c->app->db, c->session_hash) == -1 ||
	    audit_ok(c, "logout", c->staff.login, "") == -1) {
		system_error(c);
		return;
	}
	if (set_session_cookie(c, "", 0) == -1 || web_csrf_renew(&c->w) == -1) {
		system_error(c);
		return;
	}
	redirect(c, "/staff/login?m=logout");
}

/* ---- home: the member's procedures with counts per status ---- */

struct counts {
	int64_t	n[NSTATUS];
	int64_t	total;
};

static int
add_count(const char *status, int64_t n, void *arg)
{
	struct counts	*k = arg;
	size_t		 i;

	for (i = 0; i < NSTATUS; i++)
		if (strcmp(statuses[i], status) == 0)
			k->n[i] = n;
	k->total += n;
	return 0;
}

static int
home_row(struct ctx *c, const struct procedure *p)
{
	struct tvars	*row;
	struct counts	 k;
	char		 name[256];
	size_t		 i;

	memset(&k, 0, sizeof(k));
	if (db_app_status_counts(c->app->db, p->id, p->section, add_count, &k) == -1 ||
	    (row = tvars_add(c->w.vars, "procs")) == NULL)
		return -1;
	tvars_set(row, "id", p->id);
	tvars_set(row, "title", p->title);
	tvars_set(row, "section", section_name(c, p->section, name, sizeof(name)));
	for (i = 0; i < NSTATUS; i++) {
		char key[32];

		snprintf(key, sizeof(key), "n_%s", statuses[i]);
		tvars_setf(row, key, "%lld", (long long)k.n[i]);
	}
	return tvars_setf(row, "n_total", "%lld", (long long)k.total);
}

static void
page_home(struct ctx *c)
{
	size_t i;

	if (member_vars(c, "手続き一覧") == -1)
		goto fail;
	for (i = 0; i < formset_count(c->app->forms); i++) {
		const struct procedure *p = formset_at(c->app->forms, i);

		if (holds_section(c, p->section) && home_row(c, p) == -1)
			goto fail;
	}
	if (c->nsections == 0 && strcmp(c->staff.role, "auditor") != 0)
		tvars_set(c->w.vars, "no_grant", "1");
	(void)web_render(&c->w, "staff_home.html");
	return;
fail:
	system_error(c);
}

/* ---- opening applications ---- */

/*
 * The key pair of key_id when the member's session holds it and it is the
 * key of the section the session got it for; arg is the struct ctx (an
 * opener_key_fn, opener.h).
 */
static int
session_key(void *arg, const char *key_id, unsigned char pk[SEAL_PK_LEN], unsigned char sk[SEAL_SK_LEN])
{
	struct ctx	*c = arg;
	char		 section[64], key_section[64];
	struct buf	 recovery;
	int		 rc = -1;

	buf_init(&recovery);
	if (custody_session_key(c->app->db, c->session, key_id, section, sk) == 0 &&
	    db_key_get(c->app->db, key_id, key_section, pk, &recovery) == 0 && strcmp(section, key_section) == 0)
		rc = 0;
	else
		seal_wipe(sk, SEAL_SK_LEN);
	buf_free(&recovery);
	return rc;
}

/* The sealed payload's JSON, opened with the key the session holds; -1 when it cannot be opened. */
static int
open_sealed(struct ctx *c, const char *key_id, const void *sealed, size_t len, struct buf *plain)
{
	unsigned char	sk[SEAL_SK_LEN], pk[SEAL_PK_LEN];
	int		rc = -1;

	if (session_key(c, key_id, pk, sk) == 0)
		rc = seal_open(pk, sk, sealed, len, plain);
	seal_wipe(sk, sizeof(sk));
	return rc;
}

/* The "answers" object of an opened payload; the caller puts the returned root. */
static json_object *
payload_answers(const struct buf *plain, json_object **root)
{
	return payload_json(NULL, buf_cstr(plain), root);
}

/* ---- the list of one procedure ---- */

struct filter {
	const char	*status;
	time_t		 from, to;
	int64_t		 page;
	struct buf	 query;		/* the same filter as a query string, for links */
	const char	*error;
};

static int
read_filter(struct ctx *c, struct filter *f)
{
	struct jn_date	d;
	const char	*from = qget(c, Q_FROM), *to = qget(c, Q_TO);

	memset(f, 0, sizeof(*f));
	buf_init(&f->query);
	f->status = qget(c, Q_STATUS);
	f->from = 0;
	f->to = (time_t)INT64_MAX / 2;
	f->page = *qget(c, Q_PAGE) != '\0' ? strtoll(qget(c, Q_PAGE), NULL, 10) : 1;
	if (f->page < 1)
		f->page = 1;
	if (*f->status != '\0' && status_label(f->status) == NULL)
		f->error = "状態の指定が正しくありません。";
	if (*from != '\0' && jn_date_parse(from, &d) == 0)
		f->from = jst_time(d.y, d.m, d.d, 0, 0);
	if (*to != '\0' && jn_date_parse(to, &d) == 0)
		f->to = jst_time(d.y, d.m, d.d, 0, 0) + 24 * 60 * 60;
	if (f->to <= f->from)
		f->error = "受付日の「まで」が「から」より前になっています。";
	buf_puts(&f->query, "status=");
	esc_url_component(&f->query, f->status, strlen(f->status));
	buf_printf(&f->query, "&from=%s&to=%s", from, to);	/* dates passed valid_date: digits and '-' */
	return f->query.oom ? -1 : 0;
}

struct list_arg {
	struct ctx		*c;
	const struct procedure	*p;
	int			 failed;
};

static int
list_cells(struct list_arg *a, struct tvars *row, const struct db_app_row *r)
{
	json_object	*root = NULL, *answers;
	struct buf	 plain, v;
	size_t		 i;
	int		 rc = -1;

	buf_init(&plain);
	buf_init(&v);
	if (open_sealed(a->c, r->key_id, r->sealed, r->sealed_len, &plain) == -1 ||
	    (answers = payload_answers(&plain, &root)) == NULL) {
		a->failed++;
		rc = tvars_set(row, "status", "（この申請を開く鍵がありません）");
		goto done;
	}
	for (i = 0; i < a->p->nfields; i++) {
		struct tvars *cell;

		if (!a->p->fields[i].summary)
			continue;
		buf_reset(&v);
		if ((cell = tvars_add(row, "cells")) == NULL ||
		    export_cell(&a->p->fields[i], answers, &v) == -1 ||
		    tvars_set(cell, "value", buf_cstr(&v)) == -1)
			goto done;
	}
	rc = 0;
done:
	json_object_put(root);
	buf_wipe(&plain);
	buf_wipe(&v);
	return rc;
}

static int
list_row(const struct db_app_row *r, void *arg)
{
	struct list_arg	*a = arg;
	struct tvars	*row = tvars_add(a->c->w.vars, "rows");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(r->received_at, &when) == -1)
		return -1;
	rc = tvars_set(row, "receipt", r->receipt) == 0 && tvars_set(row, "received", buf_cstr(&when)) == 0 &&
	    tvars_set(row, "status", status_label(r->status) ? status_label(r->status) : r->status) == 0 &&
	    list_cells(a, row, r) == 0 ? 0 : -1;
	buf_free(&when);
	return rc;
}

static int
list_vars(struct ctx *c, const struct procedure *p, const struct filter *f, int64_t total)
{
	char	name[256];
	size_t	i;

	tvars_set(c->w.vars, "proc_id", p->id);
	tvars_set(c->w.vars, "proc_title", p->title);
	tvars_set(c->w.vars, "section", section_name(c, p->section, name, sizeof(name)));
	tvars_set(c->w.vars, "from", qget(c, Q_FROM));
	tvars_set(c->w.vars, "to", qget(c, Q_TO));
	tvars_set(c->w.vars, "filter_query", buf_cstr(&f->query));
	tvars_setf(c->w.vars, "count_text", "%lld件", (long long)total);
	for (i = 0; i < NSTATUS; i++) {
		struct tvars *s = tvars_add(c->w.vars, "statuses");

		if (s == NULL)
			return -1;
		tvars_set(s, "value", statuses[i]);
		tvars_set(s, "label", status_label(statuses[i]));
		if (strcmp(statuses[i], f->status) == 0)
			tvars_set(s, "selected", "1");
	}
	for (i = 0; i < p->nfields; i++) {
		struct tvars *col;

		if (!p->fields[i].summary)
			continue;
		if ((col = tvars_add(c->w.vars, "columns")) == NULL)
			return -1;
		tvars_set(col, "label", p->fields[i].label);
	}
	return pager_vars(c, f->page, total);
}

static void
show_list(struct ctx *c, const struct procedure *p)
{
	struct filter		 f;
	struct db_app_filter	 df;
	struct list_arg		 a = { c, p, 0 };
	int64_t			 total = 0, failed = 0;
	char			 detail[64];

	if (read_filter(c, &f) == -1 || member_vars(c, p->title) == -1)
		goto fail;
	memset(&df, 0, sizeof(df));
	df.procedure_id = p->id;
	df.section_id = p->section;
	df.status = f.status;
	df.from = f.from;
	df.to = f.to;
	df.limit = PAGE_ROWS;
	df.offset = (f.page - 1) * PAGE_ROWS;
	if (f.error != NULL) {
		c->w.req.status = 400;
		tvars_set(c->w.vars, "f_error", f.error);
		tvars_set(c->w.vars, "page_error", "1");
	} else if (db_app_count_filtered(c->app->db, &df, &total) == -1 ||
	    db_app_list(c->app->db, &df, list_row, &a) == -1)
		goto fail;
	if (list_vars(c, p, &f, total) == -1 || db_outbox_failed_count(c->app->db, p->id, p->section, &failed) == -1)
		goto fail;
	if (failed > 0)
		tvars_setf(c->w.vars, "mail_failed", "%lld", (long long)failed);
	snprintf(detail, sizeof(detail), "page=%lld rows=%lld", (long long)f.page,
	    (long long)(total - df.offset < PAGE_ROWS ? total - df.offset : PAGE_ROWS));
	if (f.error == NULL && total > df.offset && audit_ok(c, "list", p->id, detail) == -1)
		goto fail;
	buf_free(&f.query);
	(void)web_render(&c->w, "staff_list.html");
	return;
fail:
	buf_free(&f.query);
	system_error(c);
}

/* ---- CSV export, streamed ---- */

struct export_arg {
	struct ctx	*c;
	struct export	*e;
	int64_t		 unopened;
};

static int
stream_out(void *arg, const void *p, size_t n)
{
	return http_stream_write(arg, p, n);
}

/* Every row of the filter, opened on all cores (opener.h) and written in order. */
static int
export_rows(struct export_arg *a, const struct db_app_filter *df)
{
	struct opener_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.key = session_key;
	conf.key_arg = a->c;
	conf.row = export_row_cb;
	conf.row_arg = a->e;
	return opener_export(a->c->app->db, df, &conf, &a->unopened);
}

/* The export's filter and encoding from the query; -1 after answering 400. */
static int
export_request(struct ctx *c, const struct procedure *p, struct filter *f, struct db_app_filter *df, int *cp932)
{
	const char *enc = qget(c, Q_ENCODING);

	*cp932 = strcmp(enc, "cp932") == 0;
	if (read_filter(c, f) == -1) {
		system_error(c);
		return -1;
	}
	if (f->error != NULL || (*enc != '\0' && !*cp932 && strcmp(enc, "utf-8") != 0)) {
		web_error_page(&c->w, 400, "出力の条件に誤りがあります",
		    f->error != NULL ? f->error : "文字コードの指定が正しくありません。");
		return -1;
	}
	memset(df, 0, sizeof(*df));
	df->procedure_id = p->id;
	df->section_id = p->section;
	df->status = f->status;
	df->from = f->from;
	df->to = f->to;
	df->limit = -1;
	df->oldest_first = 1;
	return 0;
}

/* The hand-over ledger (管理簿): who, what, how many rows, and the file's hash. */
static void
export_ledger(struct ctx *c, const struct procedure *p, const struct filter *f, const struct export_summary *sum,
    int cp932, const struct export_arg *a, const char *extra)
{
	struct buf detail;

	buf_init(&detail);
	buf_printf(&detail, "rows=%zu sha256=%s encoding=%s status=%s from=%s to=%s replaced=%zu unopened=%lld%s",
	    sum->rows, sum->sha256, cp932 ? "cp932" : "utf-8", *f->status ? f->status : "all", qget(c, Q_FROM),
	    qget(c, Q_TO), sum->replaced, (long long)a->unopened, extra);
	audit(c, "export", p->id, buf_cstr(&detail));
	buf_free(&detail);
}

static int
attachment(struct ctx *c, const struct procedure *p, const char *suffix)
{
	struct buf	name, disp;
	int		rc;

	buf_init(&name);
	buf_init(&disp);
	rc = export_filename(p, c->w.now, &name) == 0 && (strcmp(suffix, ".csv") == 0 ||
	    (name.len > 4 && (name.len -= 4, buf_puts(&name, suffix) == 0))) &&
	    csv_content_disposition(buf_cstr(&name), &disp) == 0 &&
	    http_header(&c->w.req, "Content-Disposition", buf_cstr(&disp)) == 0 ? 0 : -1;
	buf_free(&name);
	buf_free(&disp);
	return rc;
}

static void
page_export(struct ctx *c, const struct procedure *p)
{
	struct filter		 f;
	struct db_app_filter	 df;
	struct export_arg	 a = { c, NULL, 0 };
	struct export_summary	 sum;
	int			 cp932, rc;

	if (export_request(c, p, &f, &df, &cp932) == -1)
		goto done;
	if (attachment(c, p, ".csv") == -1) {
		system_error(c);
		goto done;
	}
	if (http_stream_begin(&c->w.req, cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8") == -1 ||
	    (a.e = export_open(p, cp932 ? CSV_CP932 : CSV_UTF8_BOM, stream_out, &c->w.req)) == NULL) {
		audit(c, "export", p->id, "failed before the first row");
		goto done;
	}
	rc = export_rows(&a, &df);
	if (export_close(a.e, &sum) == -1)
		rc = -1;
	export_ledger(c, p, &f, &sum, cp932, &a, rc == -1 ? " incomplete" : "");
done:
	buf_free(&f.query);
}

static int
to_memory(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

/* What is wrong with a new password (account or archive), in Japanese; NULL when it will do. */
static const char *
password_problem(struct ctx *c, const char *pw, int for_zip)
{
	enum custody_pw why = custody_password_check(c->staff.login, pw);

	if (why == PW_SHORT)
		return for_zip ? "ZIPのパスワードは12文字以上にしてください。" : "新しいパスワードは12文字以上にしてください。";
	if (why == PW_HAS_LOGIN)
		return for_zip ? "ZIPのパスワードにログインIDを含めないでください。" :
		    "新しいパスワードにログインIDを含めないでください。";
	if (why != PW_OK)
		return "パスワードに使えない文字が含まれているか、同じ文字の繰り返しです。";
	return NULL;
}

static void
page_export_zip(struct ctx *c, const struct procedure *p)
{
	struct filter		 f;
	struct db_app_filter	 df;
	struct export_arg	 a = { c, NULL, 0 };
	struct export_summary	 sum;
	struct buf		 csv, name;
	const char		*problem;
	int			 cp932, rc;

	buf_init(&csv);
	buf_init(&name);
	if (export_request(c, p, &f, &df, &cp932) == -1)
		goto done;
	/* The archive password is the member's choice; it is never stored or logged. */
	if ((problem = password_problem(c, bget(c, B_ZIP_PASSWORD), 1)) != NULL) {
		web_error_page(&c->w, 400, "ZIPを作れませんでした", problem);
		goto done;
	}
	if ((a.e = export_open(p, cp932 ? CSV_CP932 : CSV_UTF8_BOM, to_memory, &csv)) == NULL)
		goto fail;
	rc = export_rows(&a, &df);
	if (export_close(a.e, &sum) == -1 || rc == -1 || export_filename(p, c->w.now, &name) == -1 ||
	    export_zip(buf_cstr(&name), csv.data, csv.len, bget(c, B_ZIP_PASSWORD), &c->w.req.out) == -1 ||
	    attachment(c, p, ".zip") == -1)
		goto fail;
	export_ledger(c, p, &f, &sum, cp932, &a, " archive");
	if (c->w.req.status != 500) {
		(void)http_send(&c->w.req, "application/zip");
		c->w.req.streamed = 1;	/* sent: serve() must not send it again as HTML */
	}
	goto done;
fail:
	buf_reset(&c->w.req.out);
	system_error(c);
done:
	buf_wipe(&csv);
	buf_free(&name);
	buf_free(&f.query);
}

static void
page_forms(struct ctx *c)
{
	const char		*rest = c->w.req.path + strlen("/staff/forms/");
	const char		*slash = strchr(rest, '/');
	char			 id[64];
	const struct procedure	*p;

	if ((slash ? (size_t)(slash - rest) : strlen(rest)) >= sizeof(id)) {
		not_found(c);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
	p = formset_get(c->app->forms, id);
	if (p == NULL || (slash != NULL &&
	    strcmp(slash, "/export.csv") != 0 && strcmp(slash, "/export.zip") != 0)) {
		not_found(c);
		return;
	}
	if (!holds_section(c, p->section)) {
		deny(c, p->id, "another section's procedure");
		return;
	}
	/* One prefix route serves three resources: each takes its own methods. */
	if (slash != NULL && strcmp(slash, "/export.zip") == 0) {
		if (c->w.req.method != HTTP_POST)
			web_method_not_allowed(&c->w, HTTP_POST);
		else
			page_export_zip(c, p);
	} else if (slash != NULL && c->w.req.method != HTTP_GET)
		web_method_not_allowed(&c->w, HTTP_GET);	/* an export is made, and audited, only when fetched */
	else if (c->w.req.method == HTTP_POST)
		web_method_not_allowed(&c->w, HTTP_GET | HTTP_HEAD);
	else if (slash != NULL)
		page_export(c, p);
	else
		show_list(c, p);
}

/* ---- one application ---- */

struct app_view {
	struct db_app_row	 row;
	struct buf		 sealed;
	const struct procedure	*p;
	char			 receipt[DB_RECEIPT_LEN + 1];
};

/* The application named by the path, if the member's sections include it; 404 otherwise. */
static int
load_app(struct ctx *c, struct app_view *v)
{
	const char	*r = c->w.req.path + strlen("/staff/apps/");
	int		 rc;

	if (strlen(r) != DB_RECEIPT_LEN)
		return DB_NOTFOUND;
	memcpy(v->receipt, r, DB_RECEIPT_LEN + 1);
	if ((rc = db_app_get(c->app->db, v->receipt, &v->row, &v->sealed)) != 0)
		return rc;
	if (!holds_section(c, v->row.section_id))
		return denied(c, v->receipt, "another section's application") == 0 ? DB_NOTFOUND : -1;
	v->p = formset_get(c->app->forms, v->row.procedure_id);
	return 0;
}

static int
answer_rows(struct ctx *c, const struct app_view *v, json_object *answers)
{
	struct buf	val;
	size_t		i;
	int		rc = 0;

	buf_init(&val);
	if (v->p == NULL) {
		/* The definition was removed: show the stored keys and values as they are. */
		json_object_object_foreach(answers, key, jv) {
			struct tvars *row = tvars_add(c->w.vars, "answers");

			if (row == NULL || tvars_set(row, "label", key) == -1 ||
			    tvars_set(row, "value", json_object_get_string(jv)) == -1)
				rc = -1;
		}
		buf_wipe(&val);
		return rc;
	}
	for (i = 0; i < v->p->nfields && rc == 0; i++) {
		struct tvars *row = tvars_add(c->w.vars, "answers");

		buf_reset(&val);
		if (row == NULL || export_cell(&v->p->fields[i], answers, &val) == -1 ||
		    tvars_set(row, "label", v->p->fields[i].label) == -1 ||
		    tvars_set(row, "value", buf_cstr(&val)) == -1)
			rc = -1;
	}
	buf_wipe(&val);
	return rc;
}

static int
event_row(const struct db_event *ev, void *arg)
{
	struct ctx	*c = arg;
	struct tvars	*row = tvars_add(c->w.vars, "events");
	struct buf	 when, note;
	int		 rc = -1;

	buf_init(&when);
	buf_init(&note);
	if (row == NULL || jst_format_numeric(ev->at, &when) == -1)
		goto done;
	if (ev->note_sealed != NULL && open_sealed(c, ev->key_id, ev->note_sealed, ev->note_len, &note) == -1) {
		buf_reset(&note);
		buf_puts(&note, "（この記録を開く鍵がありません）");
	}
	tvars_set(row, "at", buf_cstr(&when));
	tvars_set(row, "actor", ev->actor);
	if (strcmp(ev->from_status, ev->to_status) == 0)
		tvars_set(row, "change", "―");
	else
		tvars_setf(row, "change", "%s → %s", status_label(ev->from_status) ? status_label(ev->from_status) :
		    ev->from_status, status_label(ev->to_status) ? status_label(ev->to_status) : ev->to_status);
	rc = tvars_set(row, "note", buf_cstr(&note));
done:
	buf_free(&when);
	buf_wipe(&note);
	return rc;
}

static const char *
mail_kind_label(const char *kind)
{
	if (strcmp(kind, "arrival") == 0)
		return "申請到達メール";
	if (strcmp(kind, "acceptance") == 0)
		return "受付完了メール";
	if (strcmp(kind, "return") == 0)
		return "差戻しのお知らせ";
	return kind;
}

static int
mail_row(struct ctx *c, const char *kind, const char *state, time_t at, int attempts, const char *error)
{
	struct tvars	*row = tvars_add(c->w.vars, "mails");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(at, &when) == -1)
		return -1;
	tvars_set(row, "kind", mail_kind_label(kind));
	tvars_set(row, "state", state);
	tvars_set(row, "at", buf_cstr(&when));
	tvars_setf(row, "attempts", "%d", attempts);
	if (strcmp(state, "送信失敗") == 0)
		tvars_set(row, "failed", "1");
	rc = tvars_set(row, "error", error);
	buf_free(&when);
	return rc;
}

/* Queued and failed mails: "at" is the next try (pending) or when it was queued (failed). */
static int
queued_mail(const struct db_mail *m, void *arg)
{
	int failed = strcmp(m->state, "failed") == 0;

	return mail_row(arg, m->kind, failed ? "送信失敗" : "送信待ち", failed ? m->created_at : m->next_at,
	    m->attempts, m->last_error);
}

static int
delivered_mail(int64_t outbox_id, const char *kind, time_t at, int attempts, void *arg)
{
	(void)outbox_id;
	return mail_row(arg, kind, "送信済み", at, attempts, "");
}

static int
next_vars(struct ctx *c, const char *status)
{
	size_t i;

	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
		struct tvars *n;

		if (strcmp(transitions[i].from, status) != 0)
			continue;
		if ((n = tvars_add(c->w.vars, "next")) == NULL)
			return -1;
		tvars_set(n, "value", transitions[i].to);
		tvars_set(n, "label", status_label(transitions[i].to));
	}
	return 0;
}

static void
show_app(struct ctx *c, struct app_view *v, int status, const char *error)
{
	struct buf	 plain, when;
	json_object	*root = NULL, *answers, *fh;
	char		 name[256];

	buf_init(&plain);
	buf_init(&when);
	if (open_sealed(c, v->row.key_id, v->row.sealed, v->row.sealed_len, &plain) == -1) {
		web_error_page(&c->w, 403, "この申請を開けません",
		    "このログインには、この申請を開く鍵がありません（ログインの後に鍵が付与・更新された場合など）。"
		    "いったんログアウトして、もう一度ログインしてください。");
		goto done;
	}
	if ((answers = payload_answers(&plain, &root)) == NULL || member_vars(c, v->receipt) == -1 ||
	    jst_format_numeric(v->row.received_at, &when) == -1)
		goto fail;
	c->w.req.status = status;
	tvars_set(c->w.vars, "receipt", v->receipt);
	tvars_set(c->w.vars, "received", buf_cstr(&when));
	tvars_set(c->w.vars, "status", status_label(v->row.status) ? status_label(v->row.status) : v->row.status);
	tvars_set(c->w.vars, "status_value", v->row.status);
	tvars_set(c->w.vars, "section", section_name(c, v->row.section_id, name, sizeof(name)));
	tvars_set(c->w.vars, "proc_id", v->row.procedure_id);
	tvars_set(c->w.vars, "proc_title", v->p ? v->p->title : v->row.procedure_id);
	if (error != NULL) {
		tvars_set(c->w.vars, "a_error", error);
		tvars_set(c->w.vars, "page_error", "1");
	} else if (strcmp(qget(c, Q_M), "saved") == 0)
		tvars_set(c->w.vars, "a_done", "記録しました。");
	if (v->p == NULL || !json_object_object_get_ex(root, "form_hash", &fh) ||
	    strcmp(json_object_get_string(fh), v->p->hash) != 0)
		tvars_set(c->w.vars, "old_form", "1");
	if (answer_rows(c, v, answers) == -1 || db_app_events(c->app->db, v->receipt, event_row, c) == -1 ||
	    db_mail_log_of_receipt(c->app->db, v->receipt, delivered_mail, c) == -1 ||
	    db_outbox_of_receipt(c->app->db, v->receipt, queued_mail, c) == -1 ||
	    next_vars(c, v->row.status) == -1 || audit_ok(c, "view", v->receipt, "") == -1)
		goto fail;
	(void)web_render(&c->w, "staff_app.html");
	goto done;
fail:
	system_error(c);
done:
	json_object_put(root);
	buf_wipe(&plain);
	buf_free(&when);
}

/* The note sealed to the section's current key, like the application itself. */
static int
seal_note(struct ctx *c, const char *section, const char *note, char key_id[SEAL_KEYID_LEN + 1],
    struct buf *out)
{
	unsigned char pk[SEAL_PK_LEN];

	return db_key_current(c->app->db, section, key_id, pk) == 0 &&
	    seal_box(pk, note, strlen(note), out) == 0 ? 0 : -1;
}

/* The mail a status change sends the resident: 受付完了メール on 受付, the return notice on 差戻し. */
static const char *
mail_kind_for(const char *to_status)
{
	if (strcmp(to_status, "accepted") == 0)
		return "acceptance";
	if (strcmp(to_status, "returned") == 0)
		return "return";
	return NULL;
}

/* Compose the change's mail from the opened application; MAIL_NONE when none is due. */
static int
status_mail(struct ctx *c, const struct app_view *v, const char *kind, struct db_outbox_item *m)
{
	const struct field	*f = v->p != NULL ? mail_field(v->p) : NULL;
	json_object		*root = NULL, *answers, *addr;
	struct buf		 plain;
	int			 rc = -1;

	if (kind == NULL || f == NULL)
		return MAIL_NONE;
	buf_init(&plain);
	if (open_sealed(c, v->row.key_id, v->row.sealed, v->row.sealed_len, &plain) == 0 &&
	    (answers = payload_answers(&plain, &root)) != NULL)
		rc = mail_queue_item(v->p, kind, v->receipt, json_object_object_get_ex(answers, f->key, &addr) &&
		    json_object_is_type(addr, json_type_string) ? json_object_get_string(addr) : "",
		    c->app->mailer_pk, c->w.now, m);
	json_object_put(root);
	buf_wipe(&plain);
	return rc;
}

static void
change_app(struct ctx *c, struct app_view *v)
{
	const char	*from = bget(c, B_FROM), *to = bget(c, B_TO), *note = bget(c, B_NOTE);
	char		 key_id[SEAL_KEYID_LEN + 1], detail[64], loc[64];
	struct db_event	 ev;
	struct db_outbox_item mail;
	struct buf	 sealed;
	int		 rc;

	buf_init(&sealed);
	memset(&mail, 0, sizeof(mail));
	if (strcmp(from, v->row.status) != 0) {
		show_app(c, v, 409, "この申請は、画面を開いた後にほかの職員が状態を変更しました。内容を確認してから、もう一度操作してください。");
		goto done;
	}
	if (strcmp(from, to) != 0 && !transition_ok(from, to)) {
		show_app(c, v, 400, "その状態には変更できません。");
		goto done;
	}
	if (u8_mbsnlen((const uint8_t *)note, strlen(note)) > NOTE_MAX_CHARS) {
		show_app(c, v, 400, "対応記録は2000文字以内で入力してください。");
		goto done;
	}
	if (strcmp(from, to) == 0 && *note == '\0') {
		show_app(c, v, 400, "状態を選ぶか、対応記録を入力してください。");
		goto done;
	}
	memset(&ev, 0, sizeof(ev));
	ev.receipt = v->receipt;
	ev.at = c->w.now;
	ev.actor = c->staff.login;
	ev.from_status = from;
	ev.to_status = to;
	ev.key_id = "";
	if (*note != '\0') {
		if (seal_note(c, v->row.section_id, note, key_id, &sealed) == -1)
			goto fail;
		ev.key_id = key_id;
		ev.note_sealed = sealed.data;
		ev.note_len = sealed.len;
	}
	if (strcmp(from, to) != 0 && (rc = status_mail(c, v, mail_kind_for(to), &mail)) != MAIL_NONE) {
		if (rc == -1)
			goto fail;
		ev.mail = &mail;
	}
	if ((rc = db_app_event(c->app->db, &ev)) == DB_NOTFOUND) {
		show_app(c, v, 409, "この申請は、画面を開いた後にほかの職員が状態を変更しました。内容を確認してから、もう一度操作してください。");
		goto done;
	}
	snprintf(detail, sizeof(detail), "%s->%s%s%s", from, to, *note ? " with note" : "",
	    ev.mail != NULL ? " mail queued" : "");
	if (rc != 0 || audit_ok(c, strcmp(from, to) == 0 ? "note" : "status", v->receipt, detail) == -1)
		goto fail;
	snprintf(loc, sizeof(loc), "/staff/apps/%s?m=saved", v->receipt);
	redirect(c, loc);
	goto done;
fail:
	system_error(c);
done:
	if (mail.release != NULL)
		mail.release(&mail, NULL);
	buf_free(&sealed);
}

static void
page_app(struct ctx *c)
{
	struct app_view	v;
	int		rc;

	memset(&v, 0, sizeof(v));
	buf_init(&v.sealed);
	if ((rc = load_app(c, &v)) == DB_NOTFOUND)
		not_found(c);
	else if (rc != 0)
		system_error(c);
	else if (c->w.req.method == HTTP_POST)
		change_app(c, &v);
	else
		show_app(c, &v, 200, NULL);
	buf_free(&v.sealed);
}

/* ---- password change ---- */

/* Store the rewrapped key and end the member's other sessions, in one transaction. */
static int
password_saved(struct ctx *c)
{
	struct db *db = c->app->db;

	if (db_begin(db) == -1)
		return -1;
	/* Whoever else is logged in as the member, perhaps with the old password, is logged out. */
	if (db_staff_set_secret(db, &c->staff, c->w.now) == -1 ||
	    db_session_delete_others(db, c->staff.id, c->session_hash) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return audit_ok(c, "password", c->staff.login, "");
}

static void
page_password(struct ctx *c)
{
	const char		*cur = bget(c, B_CURRENT), *nw = bget(c, B_NEW), *conf = bget(c, B_CONFIRM);
	struct guess_keys	 k;
	unsigned char		 sk[SEAL_SK_LEN];
	char			 refusal[256];
	const char		*error = NULL;
	int			 r;

	if (member_vars(c, "パスワード変更") == -1)
		goto fail;
	if (c->w.req.method != HTTP_POST)
		goto show;
	if ((r = password_gate(c, c->staff.login, 1, &k, refusal, sizeof(refusal))) != 0) {
		if (r == -1)
			goto fail;
		error = refusal;
		goto show;
	}
	/* Both Argon2id runs, the check and the new wrapping, in the hashing slot. */
	r = custody_staff_unlock(&c->staff, cur, sk);
	if (r == 0 && (error = password_problem(c, nw, 0)) == NULL && strcmp(nw, conf) != 0)
		error = "新しいパスワードと確認用のパスワードが一致しません。";
	if (r == 0 && error == NULL && custody_staff_rewrap(&c->staff, sk, nw) == -1)
		r = -1;
	slots_give(&c->app->hash_slots);
	if (r == -1)
		goto fail;
	if (r == CUSTODY_DENIED) {
		error = "現在のパスワードが正しくありません。";
		if (login_failed(c, &k, c->staff.login, "wrong current password") == -1)
			goto fail;
	} else if (guess_succeeded(c->app->db, &k) == -1 || (error == NULL && password_saved(c) == -1))
		goto fail;
	if (error != NULL)
		c->w.req.status = 400;
show:
	if (error != NULL) {
		tvars_set(c->w.vars, "p_error", error);
		tvars_set(c->w.vars, "page_error", "1");
	} else if (c->w.req.method == HTTP_POST)
		tvars_set(c->w.vars, "p_done", "パスワードを変更しました。次回から新しいパスワードでログインしてください。"
		    "ほかの端末でのログインは終了しました。");
	seal_wipe(sk, sizeof(sk));
	(void)web_render(&c->w, "staff_password.html");
	return;
fail:
	seal_wipe(sk, sizeof(sk));
	system_error(c);
}

/* ---- the audit log, for auditors ---- */

static const char *const audit_actions[] = {
	"login", "login_failed", "logout", "list", "view", "status", "note", "export", "password",
	"grant", "revoke", "rotate", "reload", "staff_add", "staff_disable", "staff_enable", "staff_reset",
	"section_add", "denied",
};

static int
audit_row(const struct db_audit *e, void *arg)
{
	struct ctx	*c = arg;
	struct tvars	*row = tvars_add(c->w.vars, "entries");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(e->at, &when) == -1)
		return -1;
	tvars_setf(row, "seq", "%lld", (long long)e->seq);
	tvars_set(row, "at", buf_cstr(&when));
	tvars_set(row, "actor", e->actor);
	tvars_set(row, "action", audit_action_label(e->action));
	tvars_set(row, "target", e->target);
	tvars_set(row, "detail", e->detail);
	rc = tvars_set(row, "addr", e->addr);
	buf_free(&when);
	return rc;
}

static int
audit_vars(struct ctx *c, const char *action)
{
	struct audit_check	chk;
	size_t			i;
	int			r = audit_verify(c->app->db, c->app->audit_key, &chk);

	if (r == -1)
		return -1;
	if (r == 0)
		tvars_setf(c->w.vars, "chain", "改ざんの検査：異常なし（%lld件、最新の番号 %lld）",
		    (long long)chk.entries, (long long)chk.head_seq);
	else
		tvars_setf(c->w.vars, "chain", "改ざんの検査：異常あり（%s）。システム管理者に連絡してください。",
		    chk.problem);
	for (i = 0; i < sizeof(audit_actions) / sizeof(audit_actions[0]); i++) {
		struct tvars *a = tvars_add(c->w.vars, "actions");

		if (a == NULL)
			return -1;
		tvars_set(a, "value", audit_actions[i]);
		tvars_set(a, "label", audit_action_label(audit_actions[i]));
		if (strcmp(audit_actions[i], action) == 0)
			tvars_set(a, "selected", "1");
	}
	tvars_set(c->w.vars, "from", qget(c, Q_FROM));
	return tvars_set(c->w.vars, "to", qget(c, Q_TO));
}

static void
page_audit(struct ctx *c)
{
	struct filter	f;
	const char	*action = qget(c, Q_ACTION);
	struct buf	q;
	int64_t		total = 0;

	buf_init(&q);
	if (read_filter(c, &f) == -1 || member_vars(c, "監査ログ") == -1 || audit_vars(c, action) == -1)
		goto fail;
	buf_puts(&q, "action=");
	esc_url_component(&q, action, strlen(action));
	buf_printf(&q, "&from=%s&to=%s", qget(c, Q_FROM), qget(c, Q_TO));
	tvars_set(c->w.vars, "filter_query", buf_cstr(&q));
	if (f.to <= f.from) {
		c->w.req.status = 400;
		tvars_set(c->w.vars, "chain", "日付の「まで」が「から」より前になっています。");
	} else if (db_audit_count(c->app->db, action, f.from, f.to, &total) == -1 ||
	    db_audit_page(c->app->db, action, f.from, f.to, PAGE_ROWS, (f.page - 1) * PAGE_ROWS,
	    audit_row, c) == -1 || pager_vars(c, f.page, total) == -1)
		goto fail;
	buf_free(&q);
	buf_free(&f.query);
	(void)web_render(&c->w, "staff_audit.html");
	return;
fail:
	buf_free(&q);
	buf_free(&f.query);
	system_error(c);
}

/* ---- the gate ---- */

static int
parse_input(struct ctx *c)
{
	int rc;

	rc = kv_parse_urlencoded(&c->query, query_keys, Q__COUNT, c->w.req.query, strlen(c->w.req.query),
	    MAX_PAIRS);
	if (rc == 0 && c->w.req.method == HTTP_POST)
		rc = kv_parse_urlencoded(&c->form, body_keys, B__COUNT, c->w.req.body, c->w.req.body_len,
		    MAX_PAIRS);
	if (rc == -1) {
		const struct kv_form *bad = c->query.err != KV_OK ? &c->query : &c->form;

		log_msg(LOG_WARNING, "rejected input: %s (key %s)", kv_strerror(bad->err), bad->errkey);
		web_error_page(&c->w, 400, "送信内容に問題があります",
		    bad->err == KV_TOO_LONG ? "入力された内容が長すぎます。" :
		    "送信された内容に使えない文字や形式の誤りがあります。画面を開き直して、もう一度お試しください。");
	}
	return rc;
}

/* Anonymous requests never reach a page other than the login: GET goes to it, POST is refused. */
static void
to_login(struct ctx *c)
{
	if (c->w.req.method == HTTP_POST)
		web_error_page(&c->w, 403, "ログインしてください",
		    "ログインの有効期限が切れたか、ログインしていません。もう一度ログインしてから操作してください。");
	else
		redirect(c, c->expired ? "/staff/login?m=expired" : "/staff/login");
}

static int
gate(struct ctx *c, const struct route **out)
{
	const struct route	*rt;
	int			 allowed;

	if (c->w.req.method == HTTP_OTHER) {
		web_method_not_allowed(&c->w, HTTP_GET | HTTP_HEAD | HTTP_POST);
		return -1;
	}
	rt = http_route(routes, sizeof(routes) / sizeof(routes[0]), c->w.req.path, c->w.req.method, &allowed);
	if (rt == NULL) {
		not_found(c);
		return -1;
	}
	if (!allowed) {
		web_method_not_allowed(&c->w, rt->methods);
		return -1;
	}
	if (c->w.req.method == HTTP_POST && !web_content_type_ok(c->w.req.content_type)) {
		web_error_page(&c->w, 415, "送信形式が正しくありません", "画面のフォームから送信してください。");
		return -1;
	}
	if (kv_parse_cookies(&c->w.cookies, cookie_keys, C__COUNT, c->w.req.cookie, 32) == -1)
		kv_free(&c->w.cookies);	/* a broken cookie header counts as none */
	if (authenticate(c) == -1) {
		system_error(c);
		return -1;
	}
	if (rt->auth != AUTH_NONE && !c->member) {
		to_login(c);
		return -1;
	}
	if (rt->auth == AUTH_AUDITOR && strcmp(c->staff.role, "auditor") != 0) {
		deny(c, c->w.req.path, "not an auditor");
		return -1;
	}
	if (web_csrf_prepare(&c->w) == -1 || parse_input(c) == -1)
		return -1;
	if (c->w.req.method == HTTP_POST && !web_csrf_ok(&c->w, kv_get(&c->form, B_CSRF))) {
		web_error_page(&c->w, 403, "画面の有効期限が切れました",
		    "安全のため、この操作を受け付けませんでした。画面を開き直して、もう一度操作してください。");
		return -1;
	}
	*out = rt;
	return 0;
}

static void
handle(struct ctx *c)
{
	const struct route *rt;

	c->w.now = time(NULL);
	if ((c->w.vars = tvars_new()) == NULL) {
		c->w.req.status = 500;
		return;
	}
	if (gate(c, &rt) == -1)
		return;
	switch (rt->page) {
	case P_LOGIN:
		page_login(c);
		break;
	case P_LOGOUT:
		page_logout(c);
		break;
	case P_HOME:
		page_home(c);
		break;
	case P_PASSWORD:
		page_password(c);
		break;
	case P_FORMS:
		page_forms(c);
		break;
	case P_APP:
		page_app(c);
		break;
	case P_AUDIT:
		page_audit(c);
		break;
	default:
		abort();
	}
}

static void
ctx_reset(struct ctx *c)
{
	web_reset(&c->w);
	kv_free(&c->query);
	kv_free(&c->form);
	seal_wipe(&c->staff, sizeof(c->staff));
	seal_wipe(c->session, sizeof(c->session));
	seal_wipe(c->session_hash, sizeof(c->session_hash));
	memset(c->sections, 0, sizeof(c->sections));
	c->nsections = 0;
	c->member = 0;
	c->expired = 0;
	slots_give(&c->app->hash_slots);	/* a page that failed between take and give */
}

static void
serve(struct ctx *c, FCGX_Request *fr)
{
	int rc = http_read(&c->w.req, fr, MAX_BODY);

	if (rc == 413)
		web_error_page(&c->w, 413, "送信できる大きさを超えています", "入力された内容が多すぎます。");
	else if (rc != 0)
		web_error_page(&c->w, rc, "送信内容を読み取れませんでした", "もう一度お試しください。");
	else
		handle(c);
	if (http_send(&c->w.req, NULL) == -1)
		log_msg(LOG_WARNING, "client went away");
}

/* ---- processes ---- */

static struct ctx the_ctx;	/* the worker's one request context, reset after every request */

static void
reload(struct app *app)
{
	struct buf	err;
	int		broken;

	buf_init(&err);
	broken = formset_reload(app->forms, app->forms_dir, NULL, NULL, &err);
	if (broken != 0)
		web_log_lines("form refused, previous version kept: ", &err);
	buf_free(&err);
	(void)web_load_templates(app->tmpl_dir, &app->tmpl);
}

static int
worker_start(void *arg)
{
	struct app	*app = arg;
	char		 lock[1100];

	/* Each worker opens the lock file itself: its slots are its own open file description's locks. */
	snprintf(lock, sizeof(lock), "%s/db/staff-hash.lock", app->data_dir);
	if ((app->forms = formset_new()) == NULL || db_open(app->db_path, &app->db) == -1 ||
	    slots_open(&app->hash_slots, lock, app->nslots) == -1)
		return 1;
	reload(app);
	if (app->tmpl == NULL) {
		log_msg(LOG_ERR, "no usable templates in %s", app->tmpl_dir);
		return 1;
	}
	memset(&the_ctx, 0, sizeof(the_ctx));
	the_ctx.app = app;
	web_init(&the_ctx.w);
	the_ctx.w.mac_key = app->mac_key;
	the_ctx.w.csrf_cookie_plain = "staff_csrf";
	the_ctx.w.csrf_cookie_tls = "__Host-staff_csrf";
	the_ctx.w.csrf_path = "/staff/";
	the_ctx.w.csrf_decl_plain = C_CSRF;
	the_ctx.w.csrf_decl_tls = C_CSRF_HOST;
	the_ctx.w.error_template = "staff_error.html";
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

	the_ctx.w.tmpl = app->tmpl;
	serve(&the_ctx, fr);
	ctx_reset(&the_ctx);
}

static void
worker_stop(void *arg)
{
	struct app *app = arg;

	ctx_reset(&the_ctx);
	buf_free(&the_ctx.w.req.out);
	buf_free(&the_ctx.w.req.headers);
	formset_free(app->forms);
	tset_free(app->tmpl);
	db_close(app->db);
	slots_close(&app->hash_slots);
	seal_wipe(app->mac_key, sizeof(app->mac_key));
	seal_wipe(app->audit_key, sizeof(app->audit_key));
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
	fprintf(stderr, "usage: staff --data DIR --forms DIR --templates DIR --socket PATH"
	    " [--socket-group GROUP] [--workers N] [--idle-minutes N] [--hash-slots N]\n");
	exit(2);
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
		{ "idle-minutes", required_argument, NULL, 'i' },
		{ "hash-slots", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct app	 app;
	const char	*sock = NULL, *group = NULL;
	int		 ch, nworkers = 2, idle = 30, rc;

	memset(&app, 0, sizeof(app));
	log_init("staff");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': app.data_dir = optarg; break;
		case 'f': app.forms_dir = optarg; break;
		case 't': app.tmpl_dir = optarg; break;
		case 's': sock = optarg; break;
		case 'g': group = optarg; break;
		case 'w': nworkers = atoi(optarg); break;
		case 'i': idle = atoi(optarg); break;
		case 'h': app.nslots = atoi(optarg); break;
		default: usage();
		}
	}
	if (app.data_dir == NULL || app.forms_dir == NULL || app.tmpl_dir == NULL || sock == NULL ||
	    nworkers < 1 || nworkers > 64 || idle < 1 || idle > 24 * 60 || app.nslots < 0 || app.nslots > 64)
		usage();
	if (app.nslots == 0)
		app.nslots = default_slots(nworkers);
	app.idle_seconds = idle * 60;
	if (seal_init() == -1)
		return 1;
	snprintf(app.db_path, sizeof(app.db_path), "%s/db/platform.sqlite", app.data_dir);
	if (seal_key_load(app.data_dir, "keys/staff-mac.key", app.mac_key) == -1 ||
	    seal_key_load(app.data_dir, "keys/audit.key", app.audit_key) == -1 ||
	    seal_key_load(app.data_dir, "keys/mailer.pk", app.mailer_pk) == -1)
		return 1;
	rc = prefork_run(sock, group, nworkers, &ops, &app) == 0 ? 0 : 1;
	seal_wipe(app.mac_key, sizeof(app.mac_key));
	seal_wipe(app.audit_key, sizeof(app.audit_key));
	log_msg(LOG_INFO, "stopped");
	return rc;
}
