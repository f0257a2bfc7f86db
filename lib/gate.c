#include "gate.h"

#include <string.h>
#include <time.h>

#include "log.h"

/* Cookies a program reads are few; more pairs than this in one header are not ours. */
#define MAX_COOKIES 32

void
gate_init(struct gate *g, const struct gate_conf *conf, const unsigned char *mac_key)
{
	memset(g, 0, sizeof(*g));
	g->conf = conf;
	web_init(&g->w);
	g->w.mac_key = mac_key;
	g->w.csrf_cookie_plain = conf->csrf_cookie_plain;
	g->w.csrf_cookie_tls = conf->csrf_cookie_tls;
	g->w.csrf_path = conf->csrf_path;
	g->w.csrf_decl_plain = conf->csrf_plain;
	g->w.csrf_decl_tls = conf->csrf_tls;
	g->w.error_template = conf->error_template;
}

void
gate_reset(struct gate *g)
{
	web_reset(&g->w);
	kv_free(&g->query);
	kv_free(&g->form);
	g->route = NULL;
	g->role = WF_ROLE_NONE;
}

void
gate_free(struct gate *g)
{
	gate_reset(g);
	buf_free(&g->w.req.out);
	buf_free(&g->w.req.headers);
}

static void
answer(struct gate *g, int status, enum gate_refusal why)
{
	const struct gate_answer *a = &g->conf->answers[why];

	web_error_page(&g->w, status, web_text(&g->w, a->heading), web_text(&g->w, a->message));
}

void
gate_refuse(struct gate *g, enum gate_refusal why)
{
	static const int status[GATE__REFUSALS] = {
		[GATE_TOO_LARGE] = 413, [GATE_UNREADABLE] = 400, [GATE_NOT_FOUND] = 404, [GATE_BAD_TYPE] = 415,
		[GATE_KEYS_TOO_LONG] = 400, [GATE_KEYS_BAD] = 400, [GATE_BAD_CSRF] = 403, [GATE_METHOD] = 405,
	};

	answer(g, why == GATE_FAILED ? g->conf->answers[why].status : status[why], why);
}

void
gate_refuse_method(struct gate *g, unsigned methods)
{
	char allow[64];

	http_allow(methods, allow, sizeof(allow));
	(void)http_header(&g->w.req, "Allow", allow);
	gate_refuse(g, GATE_METHOD);
}

const char *
gate_query_text(const struct gate *g, size_t i)
{
	const struct kv_value *v = kv_get(&g->query, i);

	return v != NULL ? v->p : "";
}

const char *
gate_body_text(const struct gate *g, size_t i)
{
	const struct kv_value *v = kv_get(&g->form, i);

	return v != NULL ? v->p : "";
}

static int
route_matches(const struct gate_route *rt, const char *path)
{
	size_t n = strlen(rt->path);

	if (!rt->exact && n > 1 && rt->path[n - 1] == '/')
		return strncmp(rt->path, path, n) == 0 && path[n] != '\0';
	return strcmp(rt->path, path) == 0;
}

static const struct gate_route *
route_find(const struct gate_conf *conf, const char *path)
{
	size_t i;

	for (i = 0; i < conf->nroutes; i++)
		if (route_matches(&conf->routes[i], path))
			return &conf->routes[i];
	return NULL;
}

static unsigned
all_methods(const struct gate_conf *conf)
{
	unsigned	m = 0;
	size_t		i;

	for (i = 0; i < conf->nroutes; i++)
		m |= conf->routes[i].methods;
	return m;
}

/* The route's query keys, then a POST's body keys: 0, or -1 answered. */
static int
read_keys(struct gate *g, void *ctx)
{
	const struct gate_route	*rt = g->route;
	const struct kv_decl	*decls = rt->form;
	const struct kv_form	*bad;
	size_t			 n = rt->nform;
	int			 rc = 0;

	if (rt->query != NULL)
		rc = kv_parse_urlencoded(&g->query, rt->query, rt->nquery, g->w.req.query, strlen(g->w.req.query),
		    g->conf->max_pairs);
	if (rc == 0 && g->w.req.method == HTTP_POST) {
		if (rt->form_keys != NULL && rt->form_keys(ctx, &decls, &n) == -1) {
			gate_refuse(g, GATE_FAILED);
			return -1;
		}
		rc = kv_parse_urlencoded(&g->form, decls, n, g->w.req.body, g->w.req.body_len, g->conf->max_pairs);
	}
	if (rc == 0)
		return 0;
	bad = g->query.err != KV_OK ? &g->query : &g->form;
	log_msg(LOG_WARNING, "rejected input: %s (key %s)", kv_strerror(bad->err), bad->errkey);
	gate_refuse(g, bad->err == KV_TOO_LONG ? GATE_KEYS_TOO_LONG : GATE_KEYS_BAD);
	return -1;
}

/* Who is asking, and may they: 0 to go on, -1 answered. */
static int
admit(struct gate *g, void *ctx)
{
	const struct gate_conf *conf = g->conf;

	g->role = WF_ROLE_NONE;
	if (conf->authenticate != NULL && conf->authenticate(ctx, &g->role) == -1) {
		gate_refuse(g, GATE_FAILED);
		return -1;
	}
	if (wf_role_meets(g->role, g->route->need))
		return 0;
	if (g->role == WF_ROLE_NONE)
		conf->anonymous(ctx);
	else
		conf->forbidden(ctx, g->route);
	return -1;
}

void
gate_handle(struct gate *g, void *ctx, int read_status)
{
	const struct gate_conf	*conf = g->conf;
	enum http_method	 m = g->w.req.method;

	/* Cookies first: every answer, the refusals too, is in the reader's language. */
	if (kv_parse_cookies(&g->w.cookies, conf->cookies, conf->ncookies, g->w.req.cookie, MAX_COOKIES) == -1)
		kv_free(&g->w.cookies);
	web_choose_lang(&g->w, conf->lang_cookie >= 0,
	    conf->lang_cookie >= 0 ? kv_get(&g->w.cookies, (size_t)conf->lang_cookie) : NULL);
	if (read_status != 0) {
		answer(g, read_status, read_status == 413 ? GATE_TOO_LARGE : GATE_UNREADABLE);
		return;
	}
	g->w.now = time(NULL);
	if ((g->w.vars = tvars_new()) == NULL) {
		g->w.req.status = 500;
		return;
	}
	if (m == HTTP_OTHER) {
		gate_refuse_method(g, all_methods(conf));
		return;
	}
	if ((g->route = route_find(g->conf, g->w.req.path)) == NULL ||
	    (g->route->resolve != NULL && g->route->resolve(ctx) == -1)) {
		gate_refuse(g, GATE_NOT_FOUND);
		return;
	}
	if ((g->route->methods & (unsigned)m) == 0) {
		gate_refuse_method(g, g->route->methods);
		return;
	}
	if (m == HTTP_POST && (g->route->body != GATE_FORM || !web_content_type_ok(g->w.req.content_type))) {
		gate_refuse(g, GATE_BAD_TYPE);
		return;
	}
	if (admit(g, ctx) == -1)
		return;
	if (web_csrf_prepare(&g->w) == -1) {
		gate_refuse(g, GATE_FAILED);
		return;
	}
	if (read_keys(g, ctx) == -1)
		return;
	if (m == HTTP_POST && !web_csrf_ok(&g->w, kv_get(&g->form, GATE_CSRF))) {
		gate_refuse(g, GATE_BAD_CSRF);
		return;
	}
	g->route->page(ctx);
}

void
gate_serve(struct gate *g, void *ctx, FCGX_Request *fr)
{
	gate_handle(g, ctx, http_read(&g->w.req, fr, g->conf->max_body));
	if (http_send(&g->w.req, NULL) == -1)
		log_msg(LOG_WARNING, "client went away");
}
