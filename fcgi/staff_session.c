/*
 * staff_session.c: who is asking (the session cookie, its idle and
 * absolute limits), login and logout, and the password change; password
 * guesses are limited before any password is hashed (lib/guess.h,
 * lib/slots.h).
 */
#include <stdio.h>
#include <string.h>

#include "custody.h"
#include "guess.h"
#include "staff.h"
#include "web.h"

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

/* ---- cookies ---- */

static const char *
session_cookie_name(const struct ctx *c)
{
	return c->g.w.req.https ? "__Host-staff_session" : "staff_session";
}

static int
set_session_cookie(struct ctx *c, const char *value, int max_age)
{
	struct buf	h;
	int		rc;

	buf_init(&h);
	/* __Host- needs Secure and Path=/; without TLS (the demo) the cookie is kept to /staff/. */
	buf_printf(&h, "%s=%s; Path=%s; HttpOnly; SameSite=Strict%s%s", session_cookie_name(c), value,
	    c->g.w.req.https ? "/" : "/staff/", c->g.w.req.https ? "; Secure" : "", max_age == 0 ? "; Max-Age=0" : "");
	rc = h.oom ? -1 : http_header(&c->g.w.req, "Set-Cookie", buf_cstr(&h));
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
	(void)db_session_delete(c->app->site.db, c->session_hash);
	audit(c, "logout", c->staff.login, why);
	c->member = 0;
	c->expired = 1;
	(void)set_session_cookie(c, "", 0);
}

/*
 * Find the member behind the session cookie and their role; anonymous
 * (WF_ROLE_NONE) when there is none or it ended.  The gate's authenticate.
 */
int
authenticate(void *arg, enum wf_role *role)
{
	struct ctx		*c = arg;
	const struct kv_value	*v = kv_get(&c->g.w.cookies, c->g.w.req.https ? C_SESSION_HOST : C_SESSION);
	struct db_session	 s;
	enum wf_role		 r;
	int			 rc;

	if (v == NULL || v->len >= sizeof(c->session) || custody_session_hash(v->p, c->session_hash) == -1)
		return 0;
	if ((rc = db_session_get(c->app->site.db, c->session_hash, &s)) == DB_NOTFOUND) {
		c->expired = 1;
		return 0;
	}
	if (rc != 0 || db_staff_by_id(c->app->site.db, s.staff_id, &c->staff) != 0 ||
	    wf_role_parse(c->staff.role, &r) == -1)
		return -1;
	memcpy(c->session, v->p, v->len + 1);
	c->member = 1;
	if (c->staff.disabled)
		end_session(c, "account disabled");
	else if (c->g.w.now - s.last_seen > c->app->idle_seconds)
		end_session(c, "idle timeout");
	else if (c->g.w.now - s.created_at > SESSION_MAX)
		end_session(c, "session too old");
	if (!c->member)
		return c->g.w.req.status == 500 ? -1 : 0;
	if (db_session_touch(c->app->site.db, c->session_hash, c->g.w.now) == -1 ||
	    db_session_sections(c->app->site.db, c->session_hash, collect_section, c) == -1)
		return -1;
	*role = r;
	return 0;
}

/* ---- login and logout ---- */

/* A failed password: it counts against the guess limits and is audited as who (the account, or "-"). */
static int
login_failed(struct ctx *c, const struct guess_keys *k, const char *who, const char *why)
{
	if (guess_failed(c->app->site.db, k, c->g.w.now) == -1)
		return -1;
	audit_as(c, who, "login_failed", who, why);
	return c->g.w.req.status == 500 ? -1 : 0;
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

	if (guess_keys(c->app->mac_key, "staff-password", login, c->g.w.req.remote_addr, k) == -1 ||
	    (r = guess_check(c->app->site.db, &login_limits, k, c->g.w.now, &wait)) == -1)
		return -1;
	if (r == 1) {
		audit(c, "login_failed", c->member ? c->staff.login : "-", "throttled");
		if (c->g.w.req.status == 500)
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
	return http_too_many(&c->g.w.req, wait) == 0 ? 1 : -1;
}

static void
show_login(struct ctx *c, int status, const char *error, const char *login)
{
	const char *m = gate_query_text(&c->g, Q_M);

	c->g.w.req.status = status;
	if (member_vars(c, "職員ログイン") == -1 || tvars_set(c->g.w.vars, "login", login) == -1 ||
	    (error != NULL && (tvars_set(c->g.w.vars, "l_error", error) == -1 ||
	    tvars_set(c->g.w.vars, "page_error", "1") == -1))) {
		system_error(c);
		return;
	}
	if (strcmp(m, "expired") == 0 || (c->expired && error == NULL))
		tvars_set(c->g.w.vars, "notice", "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。");
	else if (strcmp(m, "logout") == 0)
		tvars_set(c->g.w.vars, "notice", "ログアウトしました。");
	(void)web_render(&c->g.w, "staff_login.html");
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
	const char		*login = gate_body_text(&c->g, B_LOGIN);
	const char		*password = gate_body_text(&c->g, B_PASSWORD);
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
	if ((found = db_staff_by_login(c->app->site.db, login, &c->staff)) == -1)
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
	if (guess_succeeded(c->app->site.db, &k) == -1)
		goto fail;
	(void)db_session_purge(c->app->site.db, c->g.w.now - c->app->idle_seconds, c->g.w.now - SESSION_MAX);
	if (custody_session_open(c->app->site.db, &c->staff, sk, c->g.w.now, cookie) == -1)
		goto fail;
	c->member = 1;
	if (set_session_cookie(c, cookie, -1) == -1 || web_csrf_renew(&c->g.w) == -1 ||
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

void
page_login(void *arg)
{
	struct ctx *c = arg;

	if (c->member && c->g.w.req.method != HTTP_POST) {
		redirect(c, "/staff/");
		return;
	}
	if (c->g.w.req.method == HTTP_POST)
		do_login(c);
	else
		show_login(c, 200, NULL, "");
}

void
page_logout(void *arg)
{
	struct ctx *c = arg;

	if (db_session_delete(c->app->site.db, c->session_hash) == -1 ||
	    audit_ok(c, "logout", c->staff.login, "") == -1) {
		system_error(c);
		return;
	}
	if (set_session_cookie(c, "", 0) == -1 || web_csrf_renew(&c->g.w) == -1) {
		system_error(c);
		return;
	}
	redirect(c, "/staff/login?m=logout");
}

/* ---- password change ---- */

/* What is wrong with a new password (account or archive), in Japanese; NULL when it will do. */
const char *
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

/* Store the rewrapped key and end the member's other sessions, in one transaction. */
static int
password_saved(struct ctx *c)
{
	struct db *db = c->app->site.db;

	if (db_begin(db) == -1)
		return -1;
	/* Whoever else is logged in as the member, perhaps with the old password, is logged out. */
	if (db_staff_set_secret(db, &c->staff, c->g.w.now) == -1 ||
	    db_session_delete_others(db, c->staff.id, c->session_hash) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return audit_ok(c, "password", c->staff.login, "");
}

void
page_password(void *arg)
{
	struct ctx		*c = arg;
	const char		*cur = gate_body_text(&c->g, B_CURRENT), *nw = gate_body_text(&c->g, B_NEW);
	const char		*conf = gate_body_text(&c->g, B_CONFIRM);
	struct guess_keys	 k;
	unsigned char		 sk[SEAL_SK_LEN];
	char			 refusal[256];
	const char		*error = NULL;
	int			 r;

	if (member_vars(c, "パスワード変更") == -1)
		goto fail;
	if (c->g.w.req.method != HTTP_POST)
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
	} else if (guess_succeeded(c->app->site.db, &k) == -1 || (error == NULL && password_saved(c) == -1))
		goto fail;
	if (error != NULL)
		c->g.w.req.status = 400;
show:
	if (error != NULL) {
		tvars_set(c->g.w.vars, "p_error", error);
		tvars_set(c->g.w.vars, "page_error", "1");
	} else if (c->g.w.req.method == HTTP_POST)
		tvars_set(c->g.w.vars, "p_done", "パスワードを変更しました。次回から新しいパスワードでログインしてください。"
		    "ほかの端末でのログインは終了しました。");
	seal_wipe(sk, sizeof(sk));
	(void)web_render(&c->g.w, "staff_password.html");
	return;
fail:
	seal_wipe(sk, sizeof(sk));
	system_error(c);
}

