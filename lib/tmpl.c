/*
 * Written by hand: no Debian C library offers a template engine that escapes
 * every value for its output context with no unescaped form (mustach
 * escapes one way only and has a raw form).  Templates are parsed once at
 * load into a flat node list per file (tmpl_parse.c); rendering walks it.
 * Recursion is bounded: sections nest at most NEST_MAX deep in one file,
 * and includes at most INCLUDE_MAX levels (checked at load, and again while
 * rendering).
 */
#include "tmpl_int.h"

#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "lang.h"
#include "seal.h"

struct scope {
	const struct tvars	*v;
	const struct scope	*up;
};

struct rctx {
	const struct tset	*s;
	const struct lang	*lang;	/* the language of {{@id}}; NULL: none may be rendered */
	struct buf		*out;
	struct buf		*err;
	const struct tvar	*hole;	/* tpage_render: the entry left open, else NULL */
	struct tpage		*page;
};

static const struct tvar *
lookup(const struct scope *sc, const char *name, size_t n)
{
	const struct tvar *e;

	for (; sc != NULL; sc = sc->up)
		if ((e = tmpl_find_var(sc->v, name, n)) != NULL)
			return e;
	return NULL;
}

static int
truthy(const struct tvar *e)
{
	return e != NULL && (e->val != NULL ? e->len > 0 : e->nkids > 0);
}

static int
rerr(const struct rctx *r, const struct tpl *t, const struct node *nd,
    const char *what)
{
	tmpl_report(r->err, t->name, nd->line, "%s%.*s%s: %s",
	    nd->kind == N_LIST ? "{{#" : nd->kind == N_INCLUDE ? "{{>" : nd->kind == N_MSG ? "{{@" : "{{",
	    (int)nd->len, t->text + nd->off, nd->kind == N_URL ? "|url}}" : "}}",
	    what);
	return -1;
}

/* The one way a value reaches output: escaped for the template's kind, |url first when asked. */
int
tmpl_put_value(struct buf *out, int plain, int url, const char *s, size_t n)
{
	struct buf	 u;
	int		 rc;

	if (!url)
		return plain ? esc_text_plain(out, s, n) : esc_html_text(out, s, n);
	buf_init(&u);
	rc = esc_url_component(&u, s, n);
	if (rc == 0)
		rc = tmpl_put_value(out, plain, 0, buf_cstr(&u), u.len);
	buf_wipe(&u);
	return rc;
}

static int
render_var(const struct rctx *r, const struct tpl *t, const struct node *nd,
    const struct scope *sc)
{
	const struct tvar *e;

	if ((e = lookup(sc, t->text + nd->off, nd->len)) == NULL)
		return rerr(r, t, nd, "not set");
	if (e->val == NULL)
		return rerr(r, t, nd, "is a list, not a string");
	if (e == r->hole)
		return tpage_mark(r->page, r->out, t->plain, nd->kind == N_URL);
	return tmpl_put_value(r->out, t->plain, nd->kind == N_URL, e->val, e->len);
}

/* A message's text and its named values, for lang_walk. */
struct msg_walk {
	const struct rctx	*r;
	const struct tpl	*t;
	const struct node	*nd;
	const struct scope	*sc;
};

static int
msg_text(void *arg, const char *s, size_t n)
{
	struct msg_walk *m = arg;

	return tmpl_put_value(m->r->out, m->t->plain, 0, s, n);
}

/* A named value in a message: a variable of the scope, like {{name}}. */
static int
msg_value(void *arg, const char *name, size_t n)
{
	struct msg_walk		*m = arg;
	const struct tvar	*e;

	if ((e = lookup(m->sc, name, n)) == NULL || e->val == NULL) {
		tmpl_report(m->r->err, m->t->name, m->nd->line, "{{@%.*s}}: its value {%.*s} is %s",
		    (int)m->nd->len, m->t->text + m->nd->off, (int)n, name, e == NULL ? "not set" : "a list");
		return -1;
	}
	if (e == m->r->hole)
		return tpage_mark(m->r->page, m->r->out, m->t->plain, 0);
	return tmpl_put_value(m->r->out, m->t->plain, 0, e->val, e->len);
}

/* {{@id}}: the text of message id in the page's language, escaped like a value, its {names} filled in. */
static int
render_msg(const struct rctx *r, const struct tpl *t, const struct node *nd, const struct scope *sc)
{
	struct msg_walk	 m = { r, t, nd, sc };
	char		 id[NAME_MAX_LEN + 1];

	if (r->lang == NULL)
		return rerr(r, t, nd, "no language to render a message in");
	memcpy(id, t->text + nd->off, nd->len);
	id[nd->len] = '\0';
	return lang_walk(lang_msg(r->lang, id), msg_text, msg_value, &m);
}

static int render_range(const struct rctx *, const struct tpl *, size_t,
    size_t, const struct scope *, int);

static int
render_list(const struct rctx *r, const struct tpl *t, size_t i,
    const struct scope *sc, int depth)
{
	const struct node	*nd = &t->nodes[i];
	const struct tvar	*e;
	struct scope		 in;
	size_t			 k;

	if ((e = lookup(sc, t->text + nd->off, nd->len)) == NULL)
		return 0;
	if (e->val != NULL)
		return rerr(r, t, nd, "is a string, not a list");
	in.up = sc;
	for (k = 0; k < e->nkids; k++) {
		in.v = e->kids[k];
		if (render_range(r, t, i + 1, nd->end, &in, depth) == -1)
			return -1;
	}
	return 0;
}

static int
render_range(const struct rctx *r, const struct tpl *t, size_t i, size_t to,
    const struct scope *sc, int depth)
{
	const struct node	*nd;
	const struct tpl	*inc;
	int			 rc, yes;

	while (i < to) {
		nd = &t->nodes[i];
		switch (nd->kind) {
		case N_TEXT:
			rc = buf_put(r->out, t->text + nd->off, nd->len);
			break;
		case N_VAR:
		case N_URL:
			rc = render_var(r, t, nd, sc);
			break;
		case N_MSG:
			rc = render_msg(r, t, nd, sc);
			break;
		case N_LIST:
			rc = render_list(r, t, i, sc, depth);
			break;
		case N_IF:
		case N_IFNOT:
			yes = truthy(lookup(sc, t->text + nd->off, nd->len));
			rc = yes == (nd->kind == N_IF) ?
			    render_range(r, t, i + 1, nd->end, sc, depth) : 0;
			break;
		case N_INCLUDE:
			if (depth >= INCLUDE_MAX)
				return rerr(r, t, nd, "includes nested too deep");
			inc = &r->s->t[nd->ref];
			rc = render_range(r, inc, 0, inc->n, sc, depth + 1);
			break;
		default:
			abort();
		}
		if (rc == -1)
			return -1;
		i = nd->kind == N_LIST || nd->kind == N_IF || nd->kind == N_IFNOT ?
		    nd->end : i + 1;
	}
	return 0;
}

/* Cut out back to start after a failure: never leave half a page (with personal values in it) behind. */
void
tmpl_unwind(struct buf *out, size_t start, int oom)
{
	if (out->data != NULL) {
		seal_wipe(out->data + start, out->len - start);
		out->data[start] = '\0';
	}
	out->len = start;
	out->oom = oom;
}

/* tset_render_lang, with hole (may be NULL) left open and recorded in page. */
int
tmpl_render(const struct tset *s, const char *name, const struct tvars *v, const struct lang *lang,
    const struct tvar *hole, struct tpage *page, struct buf *out, struct buf *err)
{
	const struct tpl	*t;
	struct rctx		 r;
	struct scope		 top;
	size_t			 start = out->len;
	int			 oom = out->oom;

	if (s == NULL || name == NULL ||
	    (t = tmpl_find(s, name, strlen(name))) == NULL) {
		tmpl_report(err, name != NULL ? name : "(null)", 0, "no such template");
		return -1;
	}
	r.s = s;
	r.lang = lang;
	r.out = out;
	r.err = err;
	r.hole = hole;
	r.page = page;
	top.v = v;
	top.up = NULL;
	if (render_range(&r, t, 0, t->n, &top, 0) == 0 && !out->oom)
		return 0;
	if (out->oom && !oom)
		tmpl_report(err, name, 0, "output too large or out of memory");
	tmpl_unwind(out, start, oom);
	return -1;
}

int
tset_render(const struct tset *s, const char *name, const struct tvars *v,
    struct buf *out, struct buf *err)
{
	return tmpl_render(s, name, v, NULL, NULL, NULL, out, err);
}

int
tset_render_lang(const struct tset *s, const char *name, const struct tvars *v, const struct lang *lang,
    struct buf *out, struct buf *err)
{
	return tmpl_render(s, name, v, lang, NULL, NULL, out, err);
}
