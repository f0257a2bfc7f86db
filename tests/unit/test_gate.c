/*
 * Unit tests for lib/gate.c: one case per refusal, each checking that the
 * page did not run, and the requests that do reach their page.
 */
#include <unistd.h>

#include "gate.h"
#include "mo_build.h"
#include "seal.h"
#include "t.h"

static unsigned char key[SEAL_KEY_LEN];
static struct tset *templates;

/* The test program's context: what the gate's callbacks saw and did. */
struct tctx {
	struct gate	 g;
	enum wf_role	 role;		/* what authenticate finds */
	int		 auth_fails;
	int		 pages, anonymous, forbidden, resolved;
	const char	*name;		/* a body key's value, as the page read it */
};

enum { Q_Q, Q__COUNT };
static const struct kv_decl query_keys[Q__COUNT] = { [Q_Q] = { "q", 8, 1, NULL } };
enum { B_CSRF = GATE_CSRF, B_NAME, B__COUNT };
static const struct kv_decl body_keys[B__COUNT] = {
	[B_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[B_NAME] = { "name", 16, 1, NULL },
};
static const struct kv_decl built_keys[B__COUNT] = {
	[B_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[B_NAME] = { "f_built", 16, 1, NULL },
};
enum { C_CSRF, C_CSRF_HOST, C__COUNT };
static const struct kv_decl cookie_keys[C__COUNT] = {
	[C_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[C_CSRF_HOST] = { "__Host-csrf", 64, 1, kv_valid_b64url },
};

static void
page(void *arg)
{
	struct tctx *t = arg;

	t->pages++;
	t->name = gate_body_text(&t->g, B_NAME);
}

static int
resolve(void *arg)
{
	struct tctx *t = arg;

	t->resolved++;
	return strcmp(t->g.w.req.path, "/thing/known") == 0 ? 0 : -1;
}

static int
keys_at_run_time(void *arg, const struct kv_decl **decls, size_t *n)
{
	*decls = built_keys;
	*n = B__COUNT;
	return 0;
}

static int
authenticate(void *arg, enum wf_role *role)
{
	struct tctx *t = arg;

	if (t->auth_fails)
		return -1;
	*role = t->role;
	return 0;
}

static void
anonymous(void *arg)
{
	struct tctx *t = arg;

	t->anonymous++;
	t->g.w.req.status = 303;
}

static void
forbidden(void *arg, const struct gate_route *rt)
{
	struct tctx *t = arg;

	t->forbidden++;
	gate_refuse(&t->g, GATE_NOT_FOUND);
}

#define GHP (HTTP_GET | HTTP_HEAD | HTTP_POST)
static const struct gate_route routes[] = {
	{ "/open", 1, HTTP_GET | HTTP_HEAD, GATE_NO_BODY, WF_NEED_NONE, NULL, 0, NULL, 0, NULL, NULL, page },
	{ "/form", 1, GHP, GATE_FORM, WF_NEED_NONE, query_keys, Q__COUNT, body_keys, B__COUNT, NULL, NULL, page },
	{ "/members/", 0, GHP, GATE_FORM, WF_NEED_MEMBER, NULL, 0, body_keys, B__COUNT, NULL, NULL, page },
	{ "/audit", 1, HTTP_GET, GATE_NO_BODY, WF_NEED_AUDITOR, NULL, 0, NULL, 0, NULL, NULL, page },
	{ "/thing/", 0, HTTP_GET, GATE_NO_BODY, WF_NEED_NONE, NULL, 0, NULL, 0, NULL, resolve, page },
	{ "/built", 1, HTTP_POST, GATE_FORM, WF_NEED_NONE, NULL, 0, NULL, 0, keys_at_run_time, NULL, page },
};

static const struct gate_answer answers[GATE__REFUSALS] = {
	[GATE_TOO_LARGE] = { 413, "too-large", "m" }, [GATE_UNREADABLE] = { 400, "unreadable", "m" },
	[GATE_NOT_FOUND] = { 404, "not-found", "m" }, [GATE_BAD_TYPE] = { 415, "bad-type", "m" },
	[GATE_KEYS_TOO_LONG] = { 400, "too-long", "m" }, [GATE_KEYS_BAD] = { 400, "bad-keys", "m" },
	[GATE_BAD_CSRF] = { 403, "bad-csrf", "m" }, [GATE_METHOD] = { 405, "method", "m" },
	[GATE_FAILED] = { 503, "failed", "m" },
};

static const struct gate_conf conf = {
	.routes = routes, .nroutes = sizeof(routes) / sizeof(routes[0]),
	.cookies = cookie_keys, .ncookies = C__COUNT, .csrf_plain = C_CSRF, .csrf_tls = C_CSRF_HOST,
	.lang_cookie = -1, .csrf_cookie_plain = "csrf", .csrf_cookie_tls = "__Host-csrf", .csrf_path = "/",
	.error_template = "error.html", .max_body = 1024, .max_pairs = 16, .answers = answers,
	.authenticate = authenticate, .anonymous = anonymous, .forbidden = forbidden,
};

/* The browser's CSRF cookie, and the token the form carries for it. */
static const char cookie_value[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
static char csrf_token[64], cookie_header[80];

static int
make_token(void)
{
	unsigned char	mac[SEAL_MAC_LEN];
	struct buf	b;

	buf_init(&b);
	if (seal_mac(key, "csrf", cookie_value, strlen(cookie_value), mac) == -1 ||
	    seal_b64url(mac, sizeof(mac), &b) == -1)
		return -1;
	snprintf(csrf_token, sizeof(csrf_token), "%s", buf_cstr(&b));
	snprintf(cookie_header, sizeof(cookie_header), "csrf=%s", cookie_value);
	buf_free(&b);
	return 0;
}

static void
start(struct tctx *t)
{
	memset(t, 0, sizeof(*t));
	gate_init(&t->g, &conf, key);
	t->g.w.tmpl = templates;
}

/* A request as http_read leaves it; body is copied (the request owns and wipes it). */
static void
request(struct tctx *t, enum http_method m, const char *path, const char *query, const char *body)
{
	struct http_req *r = &t->g.w.req;

	r->method = m;
	r->path = path;
	r->query = query;
	r->cookie = cookie_header;
	if (body != NULL) {
		r->content_type = "application/x-www-form-urlencoded";
		r->body = strdup(body);
		r->body_len = strlen(body);
	}
}

/* A new request through the gate, as http_read left it (status 0). */
static void
handle(struct tctx *t, enum http_method m, const char *path, const char *query, const char *body)
{
	gate_reset(&t->g);
	request(t, m, path, query, body);
	gate_handle(&t->g, t, 0);
}

/* A body with the right CSRF token first, then rest ("name=x"); valid until the next call. */
static const char *
with_csrf(const char *rest)
{
	static char body[160];

	snprintf(body, sizeof(body), "csrf=%s&%s", csrf_token, rest);
	return body;
}

/* The answer's status, when the page did not run and the heading is the refusal's. */
static int
refused(struct tctx *t, const char *heading)
{
	if (t->pages != 0 || strstr(buf_cstr(&t->g.w.req.out), heading) == NULL)
		return -1;
	return t->g.w.req.status;
}

static void
finish(struct tctx *t)
{
	gate_free(&t->g);
}

/* A request the gate answers with heading: its status, or -1 when the page ran or the heading is not there. */
static int
refusal(int read_status, enum http_method m, const char *path, const char *query, const char *body,
    const char *heading)
{
	struct tctx	t;
	int		st;

	start(&t);
	request(&t, m, path, query, body);
	gate_handle(&t.g, &t, read_status);
	st = refused(&t, heading);
	finish(&t);
	return st;
}

/* Does a request reach its page, answered 200?  What the page read as "name" is copied to name. */
static int
reaches_page(enum http_method m, const char *path, const char *query, const char *body, char name[32])
{
	struct tctx	t;
	int		ok;

	start(&t);
	handle(&t, m, path, query, body);
	ok = t.pages == 1 && t.g.w.req.status == 200;
	snprintf(name, 32, "%s", ok ? t.name : "");
	finish(&t);
	return ok;
}

static void
read_too_large_413(void)
{
	T_CHECK(refusal(413, HTTP_POST, "/form", "", NULL, "too-large") == 413);
}

static void
read_unreadable_400(void)
{
	T_CHECK(refusal(400, HTTP_POST, "/form", "", NULL, "unreadable") == 400);
}

/* 405 with Allow: the methods of the whole table, or of the route. */
static void
method_405_with_allow(void)
{
	struct tctx t;

	start(&t);
	handle(&t, HTTP_OTHER, "/open", "", NULL);
	T_CHECK(t.pages == 0 && t.g.w.req.status == 405);
	T_CHECK(strstr(buf_cstr(&t.g.w.req.headers), "Allow: GET, HEAD, POST\r\n") != NULL);
	handle(&t, HTTP_POST, "/open", "", "a=1");
	T_CHECK(t.pages == 0 && t.g.w.req.status == 405);
	T_CHECK(strstr(buf_cstr(&t.g.w.req.headers), "Allow: GET, HEAD\r\n") != NULL);
	finish(&t);
}

static void
unknown_path_404(void)
{
	T_CHECK(refusal(0, HTTP_GET, "/nowhere", "", NULL, "not-found") == 404);
	T_CHECK(refusal(0, HTTP_GET, "/members/", "", NULL, "not-found") == 404);	/* a prefix alone */
}

/* The resolver runs before the method check: an unknown thing is 404 whatever the method. */
static void
resolver_404_before_method(void)
{
	struct tctx t;

	T_CHECK(refusal(0, HTTP_POST, "/thing/unknown", "", "a=1", "not-found") == 404);
	start(&t);
	handle(&t, HTTP_GET, "/thing/known", "", NULL);
	T_CHECK(t.resolved == 1 && t.pages == 1 && t.g.w.req.status == 200);
	finish(&t);
}

static void
wrong_content_type_415(void)
{
	struct tctx t;

	start(&t);
	request(&t, HTTP_POST, "/form", "", "name=x");
	t.g.w.req.content_type = "text/plain";
	gate_handle(&t.g, &t, 0);
	T_CHECK(refused(&t, "bad-type") == 415);
	finish(&t);
}

static void
anonymous_gets_the_programs_answer(void)
{
	struct tctx t;

	start(&t);
	handle(&t, HTTP_GET, "/members/list", "", NULL);
	T_CHECK(t.anonymous == 1 && t.forbidden == 0 && t.pages == 0 && t.g.w.req.status == 303);
	finish(&t);
}

static void
role_not_admitted(void)
{
	struct tctx t;

	start(&t);
	t.role = WF_ROLE_STAFF;
	handle(&t, HTTP_GET, "/audit", "", NULL);
	T_CHECK(t.forbidden == 1 && t.anonymous == 0 && refused(&t, "not-found") == 404);
	t.role = WF_ROLE_AUDITOR;
	handle(&t, HTTP_GET, "/audit", "", NULL);
	T_CHECK(t.pages == 1 && t.g.role == WF_ROLE_AUDITOR);
	t.pages = 0;
	t.auth_fails = 1;	/* who is asking cannot be told: the program's failure */
	handle(&t, HTTP_GET, "/open", "", NULL);
	T_CHECK(refused(&t, "failed") == 503);
	finish(&t);
}

static void
repeated_query_key_400_before_page(void)
{
	T_CHECK(refusal(0, HTTP_GET, "/form", "q=a&q=b", NULL, "bad-keys") == 400);
}

static void
repeated_body_key_400_before_page(void)
{
	T_CHECK(refusal(0, HTTP_POST, "/form", "", with_csrf("name=a&name=b"), "bad-keys") == 400);
}

static void
overlong_value_400(void)
{
	T_CHECK(refusal(0, HTTP_GET, "/form", "q=123456789", NULL, "too-long") == 400);
}

/* A route without query keys never reads its query string, malformed or not. */
static void
undeclared_query_never_read(void)
{
	char name[32];

	T_CHECK(reaches_page(HTTP_GET, "/open", "%ZZ=1&x=1&x=2", NULL, name));
}

static void
post_without_csrf_403(void)
{
	T_CHECK(refusal(0, HTTP_POST, "/form", "", "name=x", "bad-csrf") == 403);
	T_CHECK(refusal(0, HTTP_POST, "/form", "", "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&name=x",
	    "bad-csrf") == 403);
}

static void
post_with_csrf_reaches_page(void)
{
	struct tctx t;

	start(&t);
	handle(&t, HTTP_POST, "/form", "q=a", with_csrf("name=%E5%90%8D"));
	T_CHECK(t.pages == 1 && t.g.w.req.status == 200);
	T_STREQ(t.name, "名");
	T_STREQ(gate_query_text(&t.g, Q_Q), "a");
	finish(&t);
}

static void
body_keys_built_at_run_time(void)
{
	char name[32];

	T_CHECK(reaches_page(HTTP_POST, "/built", "", with_csrf("f_built=v&name=ignored"), name));
	T_STREQ(name, "v");
}

static void
head_served_by_get_route(void)
{
	char name[32];

	T_CHECK(reaches_page(HTTP_HEAD, "/open", "", NULL, name));
}

/* Nothing of one request is there for the next. */
static void
reset_forgets_the_request(void)
{
	struct tctx t;

	start(&t);
	t.role = WF_ROLE_STAFF;
	handle(&t, HTTP_POST, "/members/x", "", with_csrf("name=secret"));
	T_CHECK(t.pages == 1 && t.g.role == WF_ROLE_STAFF);
	gate_reset(&t.g);
	T_STREQ(gate_body_text(&t.g, B_NAME), "");
	T_CHECK(t.g.role == WF_ROLE_NONE && t.g.route == NULL && t.g.w.req.body == NULL &&
	    t.g.w.req.out.len == 0 && t.g.w.req.status == 200);
	finish(&t);
}

/* A program with languages: its cookie's, else the browser's Accept-Language, else Japanese; refusals too. */
static const struct kv_decl lang_cookies[] = {
	{ "csrf", 64, 1, kv_valid_b64url }, { "__Host-csrf", 64, 1, kv_valid_b64url },
	{ "lang", LANG_TAG_MAX, 1, lang_tag_ok },
};

static const char *
lang_of(struct langset *langs, int read_status, const char *cookie, const char *accept, const char *want)
{
	static char	 got[64];
	struct gate_conf c = conf;
	struct tctx	 t;

	c.cookies = lang_cookies;
	c.ncookies = 3;
	c.lang_cookie = 2;
	memset(&t, 0, sizeof(t));
	gate_init(&t.g, &c, key);
	t.g.w.tmpl = templates;
	t.g.w.langs = langs;
	request(&t, HTTP_GET, "/nowhere", "", NULL);
	t.g.w.req.cookie = cookie;
	t.g.w.req.accept_language = accept;
	gate_handle(&t.g, &t, read_status);
	snprintf(got, sizeof(got), "%s %s", t.g.w.lang ? t.g.w.lang->tag : "-",
	    strstr(buf_cstr(&t.g.w.req.out), want) != NULL ? "said" : "not said");
	gate_free(&t.g);
	return got;
}

static void
reader_language(void)
{
	static const struct pair ja[] = { { "", HEADER }, { "lang.name", "日本語" }, { "not-found", "ない" } };
	static const struct pair en[] = { { "", HEADER }, { "lang.name", "English" }, { "not-found", "Gone" },
		{ "too-large", "Big" } };
	char		 dir[] = "/tmp/test_gate.XXXXXX", path[64];
	struct langset	*langs;

	T_CHECK(mkdtemp(dir) != NULL && mo_write(dir, "ja.mo", ja, 3) == 0 && mo_write(dir, "en.mo", en, 4) == 0);
	langs = langset_load(dir, NULL);
	snprintf(path, sizeof(path), "%s/ja.mo", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/en.mo", dir);
	unlink(path);
	rmdir(dir);
	T_CHECK(langs != NULL);
	T_STREQ(lang_of(langs, 0, "lang=en", "ja", "Gone|"), "en said");
	T_STREQ(lang_of(langs, 0, "csrf=x; lang=ja", "en", "ない|"), "ja said");
	T_STREQ(lang_of(langs, 0, "", "fr, en;q=0.5", "Gone|"), "en said");
	T_STREQ(lang_of(langs, 0, "lang=fr", "", "ない|"), "ja said");
	T_STREQ(lang_of(langs, 0, "lang=x<y", "en", "Gone|"), "en said");	/* a bad cookie: none */
	T_STREQ(lang_of(langs, 413, "lang=en", "", "Big|"), "en said");	/* before the route */
	T_STREQ(lang_of(NULL, 0, "lang=en", "en", "not-found|"), "- said");	/* no languages: texts */
	langset_free(langs);
}

int
main(void)
{
	static const char error_page[] = "{{heading}}|{{message}}";
	struct buf err;

	buf_init(&err);
	if (seal_init() == -1 ||
	    (templates = tset_load_mem("error.html", error_page, strlen(error_page), &err)) == NULL)
		return 1;
	t_counting_bytes(key, sizeof(key));
	if (make_token() == -1)
		return 1;
	T_RUN(read_too_large_413);
	T_RUN(read_unreadable_400);
	T_RUN(method_405_with_allow);
	T_RUN(unknown_path_404);
	T_RUN(resolver_404_before_method);
	T_RUN(wrong_content_type_415);
	T_RUN(anonymous_gets_the_programs_answer);
	T_RUN(role_not_admitted);
	T_RUN(repeated_query_key_400_before_page);
	T_RUN(repeated_body_key_400_before_page);
	T_RUN(overlong_value_400);
	T_RUN(undeclared_query_never_read);
	T_RUN(post_without_csrf_403);
	T_RUN(post_with_csrf_reaches_page);
	T_RUN(body_keys_built_at_run_time);
	T_RUN(head_served_by_get_route);
	T_RUN(reset_forgets_the_request);
	T_RUN(reader_language);
	tset_free(templates);
	buf_free(&err);
	return T_DONE();
}
