/*
 * gate: the one request gate of a FastCGI program, driven by the program's
 * route table (after Redis's command table).  A route declares its path,
 * methods, the body a POST sends, the role it needs, its query and body
 * keys, and its page.  Before any page code runs a request passes, in
 * this order:
 *
 *   cookies and the reader's language (web_choose_lang) ->
 *   read (413 too large, 400 unreadable) -> method (405, with Allow) ->
 *   route (404, and the route's resolver: an unknown procedure) ->
 *   method for the route (405) -> body content type (415) ->
 *   session and role (the program's authenticate; a request without the
 *   member or role the route needs gets the program's own answer) ->
 *   declared keys, query then body (400) -> CSRF on POST (403) -> page.
 *
 * A route that declares no query keys never reads its query string.  A
 * cookie header that does not parse counts as none.  The refusals are in
 * the program's own words (struct gate_answer): message ids (lang.h),
 * shown in the reader's language (or, without catalogues, as they are).
 *
 * struct gate is the per-request state (request, cookies, template
 * variables, keys read, role), embedded in the program's context, reset
 * by gate_reset after every request.  Configuration pointers are borrowed
 * and must outlive the gate.
 */
#ifndef GATE_H
#define GATE_H

#include <fcgiapp.h>
#include <stddef.h>

#include "http.h"
#include "kv.h"
#include "web.h"
#include "workflow.h"

/* Every POST route's body keys have the CSRF token at this index. */
#define GATE_CSRF 0

enum gate_body {
	GATE_NO_BODY,		/* GET and HEAD only */
	GATE_FORM		/* application/x-www-form-urlencoded */
};

struct gate_route {
	const char		*path;		/* exact, or a prefix when it ends in '/' (but is not "/") */
	int			 exact;		/* match the path only, even when it ends in '/' */
	unsigned		 methods;	/* HTTP_GET | HTTP_HEAD | HTTP_POST */
	enum gate_body		 body;
	enum wf_need		 need;
	const struct kv_decl	*query;		/* NULL: the query string is never read */
	size_t			 nquery;
	const struct kv_decl	*form;		/* a POST's body keys; GATE_CSRF is the token */
	size_t			 nform;
	/* Instead of form: the body keys, built at run time (from a definition); 0, or -1 (answered). */
	int			(*form_keys)(void *ctx, const struct kv_decl **decls, size_t *n);
	/* The thing the path names, looked up before the method is checked: 0, or -1 for 404. */
	int			(*resolve)(void *ctx);
	void			(*page)(void *ctx);
};

/* The refusals the gate answers in the program's words; handlers use them too (gate_refuse). */
enum gate_refusal {
	GATE_TOO_LARGE,		/* 413 */
	GATE_UNREADABLE,	/* the read's status: 400 */
	GATE_NOT_FOUND,		/* 404 */
	GATE_BAD_TYPE,		/* 415 */
	GATE_KEYS_TOO_LONG,	/* 400: a value over its declared length */
	GATE_KEYS_BAD,		/* 400: repeated keys, NUL, invalid UTF-8, a value its validator refused */
	GATE_BAD_CSRF,		/* 403 */
	GATE_METHOD,		/* 405 (gate_refuse_method adds Allow) */
	GATE_FAILED,		/* the program could not go on: its own status (500, or 503) */
	GATE__REFUSALS
};

struct gate_answer {
	int		 status;	/* used for GATE_FAILED; the others have theirs */
	const char	*heading;
	const char	*message;
};

struct gate_conf {
	const struct gate_route	*routes;
	size_t			 nroutes;
	const struct kv_decl	*cookies;
	size_t			 ncookies;
	size_t			 csrf_plain, csrf_tls;	/* the CSRF cookies' indexes in cookies */
	int			 lang_cookie;	/* the language cookie's index in cookies; -1: Japanese, no choice */
	const char		*csrf_cookie_plain;	/* their names, as web.h */
	const char		*csrf_cookie_tls;
	const char		*csrf_path;
	const char		*error_template;
	size_t			 max_body;	/* bytes */
	size_t			 max_pairs;	/* in a query string or a body */
	const struct gate_answer *answers;	/* GATE__REFUSALS of them */
	/*
	 * Who is asking: *role is set (WF_ROLE_NONE for nobody); -1 when it
	 * cannot be told (answered GATE_FAILED).  NULL: nobody ever logs in.
	 */
	int			(*authenticate)(void *ctx, enum wf_role *role);
	/* Answer a request from nobody to a route that needs a member. */
	void			(*anonymous)(void *ctx);
	/* Answer a member whose role the route does not admit. */
	void			(*forbidden)(void *ctx, const struct gate_route *rt);
};

struct gate {
	const struct gate_conf	*conf;
	struct web		 w;
	struct kv_form		 query;		/* the route's query keys */
	struct kv_form		 form;		/* a POST's body keys */
	const struct gate_route	*route;		/* the request's, once found */
	enum wf_role		 role;
};

/* Once per worker; mac_key (SEAL_KEY_LEN, for CSRF) is borrowed. */
void	gate_init(struct gate *g, const struct gate_conf *conf, const unsigned char *mac_key);
/* After every request: wipes and frees what it held. */
void	gate_reset(struct gate *g);
/* When the worker stops. */
void	gate_free(struct gate *g);
/* One FastCGI request: read it, pass it through the gate to its page, send the answer. */
void	gate_serve(struct gate *g, void *ctx, FCGX_Request *fr);
/* The gate on a request already read, read_status being http_read's result (for tests). */
void	gate_handle(struct gate *g, void *ctx, int read_status);
/* Answer with the program's page for a refusal. */
void	gate_refuse(struct gate *g, enum gate_refusal why);
/* 405 with the methods the page allows (Allow). */
void	gate_refuse_method(struct gate *g, unsigned methods);
/* The value of a declared query or body key, "" when absent; valid until gate_reset. */
const char *gate_query_text(const struct gate *g, size_t i);
const char *gate_body_text(const struct gate *g, size_t i);

#endif
