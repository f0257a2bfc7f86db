/*
 * Written by hand: no Debian C library offers a template engine that escapes
 * every value for its output context with no unescaped form (mustach
 * escapes one way only and has a raw form).  Templates are parsed once at
 * load into a flat node list per file; rendering walks it.  Recursion is
 * bounded: sections nest at most NEST_MAX deep in one file, and includes at
 * most INCLUDE_MAX levels (checked at load, and again while rendering).
 */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistr.h>

#include "dirlist.h"
#include "esc.h"

#define NAME_MAX_LEN	128
#define NEST_MAX	16
#define INCLUDE_MAX	8
#define FILE_MAX	(1024 * 1024)

/* ------------------------------------------------------------ values */

struct tvar {
	char		 *key;
	size_t		  klen;
	char		 *val;		/* NULL when the entry is a list */
	size_t		  len;
	struct tvars	**kids;
	size_t		  nkids, cap;
};

struct tvars {
	struct tvar	*v;
	size_t		 n, cap;
};

static int
is_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

struct tvars *
tvars_new(void)
{
	return calloc(1, sizeof(struct tvars));
}

/* Values are wiped before they are freed: they can be personal. */
static void
val_clear(struct tvar *e)
{
	if (e->val != NULL) {
		sodium_memzero(e->val, e->len);
		free(e->val);
		e->val = NULL;
		e->len = 0;
	}
}

/* Empty an entry; the key stays. */
static void
tvar_clear(struct tvar *e)
{
	size_t i;

	val_clear(e);
	for (i = 0; i < e->nkids; i++)
		tvars_free(e->kids[i]);
	free(e->kids);
	e->kids = NULL;
	e->nkids = e->cap = 0;
}

void
tvars_free(struct tvars *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		tvar_clear(&v->v[i]);
		free(v->v[i].key);
	}
	free(v->v);
	free(v);
}

static struct tvar *
find(const struct tvars *v, const char *key, size_t klen)
{
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (v->v[i].klen == klen && memcmp(v->v[i].key, key, klen) == 0)
			return &v->v[i];
	return NULL;
}

/* The entry for key, appended (empty) when absent; *added says which. */
static struct tvar *
slot(struct tvars *v, const char *key, int *added)
{
	struct tvar	*e, *nv;
	size_t		 klen = strlen(key), ncap;

	*added = 0;
	if ((e = find(v, key, klen)) != NULL)
		return e;
	if (v->n == v->cap) {
		ncap = v->cap ? v->cap * 2 : 8;
		if ((nv = realloc(v->v, ncap * sizeof(*nv))) == NULL)
			return NULL;
		v->v = nv;
		v->cap = ncap;
	}
	e = &v->v[v->n];
	memset(e, 0, sizeof(*e));
	if ((e->key = strdup(key)) == NULL)
		return NULL;
	e->klen = klen;
	v->n++;
	*added = 1;
	return e;
}

/* Undo a slot() that added an entry, when filling it failed. */
static void
unslot(struct tvars *v, int added)
{
	if (!added)
		return;
	v->n--;
	tvar_clear(&v->v[v->n]);
	free(v->v[v->n].key);
}

int
tvars_setn(struct tvars *v, const char *key, const char *val, size_t n)
{
	struct tvar	*e;
	char		*copy;
	int		 added;

	if (v == NULL || key == NULL || val == NULL || n == SIZE_MAX ||
	    !valid_name(key, strlen(key)))
		return -1;
	if ((copy = malloc(n + 1)) == NULL)
		return -1;
	memcpy(copy, val, n);
	copy[n] = '\0';
	if ((e = slot(v, key, &added)) == NULL) {
		sodium_memzero(copy, n);
		free(copy);
		return -1;
	}
	tvar_clear(e);
	e->val = copy;
	e->len = n;
	return 0;
}

int
tvars_set(struct tvars *v, const char *key, const char *val)
{
	if (val == NULL)
		return -1;
	return tvars_setn(v, key, val, strlen(val));
}

int
tvars_setf(struct tvars *v, const char *key, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	int		 rc;

	buf_init(&b);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = tvars_setn(v, key, buf_cstr(&b), b.len);
	buf_wipe(&b);
	return rc;
}

struct tvars *
tvars_add(struct tvars *v, const char *key)
{
	struct tvar	 *e;
	struct tvars	 *kid, **nk;
	size_t		  ncap;
	int		  added;

	if (v == NULL || key == NULL || !valid_name(key, strlen(key)))
		return NULL;
	if ((kid = tvars_new()) == NULL)
		return NULL;
	if ((e = slot(v, key, &added)) == NULL) {
		free(kid);
		return NULL;
	}
	if (e->nkids == e->cap) {
		ncap = e->cap ? e->cap * 2 : 4;
		if ((nk = realloc(e->kids, ncap * sizeof(*nk))) == NULL) {
			free(kid);
			unslot(v, added);
			return NULL;
		}
		e->kids = nk;
		e->cap = ncap;
	}
	val_clear(e);		/* a string held here becomes the list */
	e->kids[e->nkids++] = kid;
	return kid;
}

/* ------------------------------------------------------------ templates */

enum nkind { N_TEXT, N_VAR, N_URL, N_LIST, N_IF, N_IFNOT, N_INCLUDE };

struct node {
	enum nkind	 kind;
	size_t		 off, len;	/* literal text, or the name, in tpl->text */
	size_t		 end;		/* sections: index just past the last child */
	size_t		 ref;		/* includes: the target's index in the set */
	unsigned	 line;
};

struct tpl {
	char		*name;
	int		 plain;		/* .txt: esc_text_plain; .html: HTML */
	char		*text;
	size_t		 len;
	struct node	*nodes;
	size_t		 n, cap;
};

struct tset {
	struct tpl	*t;
	size_t		 n;
};

static void report(struct buf *, const char *, unsigned, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* "file:line: message\n"; line 0 for problems with the whole file. */
static void
report(struct buf *err, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	if (line > 0)
		buf_printf(err, "%s:%u: ", file, line);
	else
		buf_printf(err, "%s: ", file);
	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
	buf_putc(err, '\n');
}

/* A bad tag quoted for an error line: printable ASCII kept, the rest \xHH. */
static const char *
quote(struct buf *q, const char *s, size_t n)
{
	size_t i;

	buf_reset(q);
	for (i = 0; i < n && i < 40; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7F)
			buf_putc(q, s[i]);
		else
			buf_printf(q, "\\x%02X", (unsigned char)s[i]);
	}
	if (i < n)
		buf_puts(q, "...");
	return buf_cstr(q);
}

static unsigned
count_nl(const char *s, size_t n)
{
	unsigned	 k = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			k++;
	return k;
}

static int
has_suffix(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n > k && memcmp(s + n - k, suf, k) == 0;
}

/* 1 for .txt, 0 for .html, -1 for neither. */
static int
kind_of(const char *name, size_t n)
{
	if (has_suffix(name, n, ".txt"))
		return 1;
	if (has_suffix(name, n, ".html"))
		return 0;
	return -1;
}

static void
tpl_free(struct tpl *t)
{
	free(t->name);
	free(t->text);
	free(t->nodes);
}

static int
add_node(struct tpl *t, enum nkind kind, size_t off, size_t len, unsigned line)
{
	struct node	*nn;
	size_t		 ncap;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 32;
		if ((nn = realloc(t->nodes, ncap * sizeof(*nn))) == NULL)
			return -1;
		t->nodes = nn;
		t->cap = ncap;
	}
	memset(&t->nodes[t->n], 0, sizeof(*nn));
	t->nodes[t->n].kind = kind;
	t->nodes[t->n].off = off;
	t->nodes[t->n].len = len;
	t->nodes[t->n].line = line;
	t->n++;
	return 0;
}

struct parser {
	struct tpl	*t;
	struct buf	*err;
	struct buf	 q;		/* scratch for quoting bad tags */
	size_t		 pos;		/* next byte to scan */
	size_t		 lit;		/* start of the pending literal text */
	unsigned	 line;		/* line of pos */
	size_t		 open[NEST_MAX];	/* node indices of open sections */
	size_t		 nopen;
};

static int
perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report at the current line; always -1, so callers can return it. */
static int
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err == NULL)
		return -1;
	buf_printf(p->err, "%s:%u: ", p->t->name, p->line);
	va_start(ap, fmt);
	buf_vprintf(p->err, fmt, ap);
	va_end(ap);
	buf_putc(p->err, '\n');
	return -1;
}

static int
flush_lit(struct parser *p, size_t upto)
{
	if (upto <= p->lit)
		return 0;
	if (add_node(p->t, N_TEXT, p->lit, upto - p->lit, p->line) == -1)
		return perr(p, "out of memory");
	return 0;
}

/*
 * A tag alone on its line (only blanks around it) takes the whole line with
 * it: *from is where the line starts, *next just past its newline.  p->lit
 * not at a line start means another tag precedes it on the line.
 */
static int
standalone(const struct parser *p, size_t start, size_t after, size_t *from,
    size_t *next)
{
	const char	*s = p->t->text;
	size_t		 i = start, k = after, len = p->t->len;

	while (i > p->lit && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	if (i > 0 && s[i - 1] != '\n')
		return 0;
	while (k < len && (s[k] == ' ' || s[k] == '\t'))
		k++;
	if (k + 1 < len && s[k] == '\r' && s[k + 1] == '\n')
		k++;
	if (k < len && s[k] != '\n')
		return 0;
	*from = i;
	*next = k < len ? k + 1 : k;
	return 1;
}

static char
sect_char(enum nkind k)
{
	return k == N_LIST ? '#' : k == N_IF ? '?' : '^';
}

static int
open_section(struct parser *p, enum nkind kind, size_t off, size_t len)
{
	if (!valid_name(p->t->text + off, len))
		return perr(p, "bad name in {{%c%s}}", sect_char(kind),
		    quote(&p->q, p->t->text + off, len));
	if (p->nopen == NEST_MAX)
		return perr(p, "sections nested more than %d deep", NEST_MAX);
	if (add_node(p->t, kind, off, len, p->line) == -1)
		return perr(p, "out of memory");
	p->open[p->nopen++] = p->t->n - 1;
	return 0;
}

static int
close_section(struct parser *p, size_t off, size_t len)
{
	struct node	*o;
	const char	*s = p->t->text;

	if (!valid_name(s + off, len))
		return perr(p, "bad name in {{/%s}}", quote(&p->q, s + off, len));
	if (p->nopen == 0)
		return perr(p, "{{/%.*s}} closes no open section", (int)len, s + off);
	o = &p->t->nodes[p->open[p->nopen - 1]];
	if (o->len != len || memcmp(s + o->off, s + off, len) != 0)
		return perr(p, "{{/%.*s}} does not match {{%c%.*s}} of line %u",
		    (int)len, s + off, sect_char(o->kind), (int)o->len,
		    s + o->off, o->line);
	o->end = p->t->n;
	p->nopen--;
	return 0;
}

static int
include(struct parser *p, size_t off, size_t len)
{
	const char	*s = p->t->text + off;
	int		 kind;

	if (!valid_name(s, len))
		return perr(p, "bad name in {{>%s}}", quote(&p->q, s, len));
	if ((kind = kind_of(s, len)) == -1)
		return perr(p, "{{>%.*s}}: not a .html or .txt template",
		    (int)len, s);
	if (kind != p->t->plain)
		return perr(p, "{{>%.*s}}: a .%s template can only include .%s ones",
		    (int)len, s, p->t->plain ? "txt" : "html",
		    p->t->plain ? "txt" : "html");
	if (add_node(p->t, N_INCLUDE, off, len, p->line) == -1)
		return perr(p, "out of memory");
	return 0;
}

static int
variable(struct parser *p, size_t off, size_t len)
{
	const char	*s = p->t->text + off, *bar;
	size_t		 nlen = len;
	enum nkind	 kind = N_VAR;

	if ((bar = memchr(s, '|', len)) != NULL) {
		nlen = (size_t)(bar - s);
		if (len - nlen - 1 != 3 || memcmp(bar + 1, "url", 3) != 0)
			return perr(p, "unknown filter in {{%s}}",
			    quote(&p->q, s, len));
		kind = N_URL;
	}
	if (!valid_name(s, nlen))
		return perr(p, "bad name in {{%s}}", quote(&p->q, s, len));
	if (add_node(p->t, kind, off, nlen, p->line) == -1)
		return perr(p, "out of memory");
	return 0;
}

/* Where "}}" starts at or after i, or SIZE_MAX; stop at a newline if asked. */
static size_t
find_close(const char *s, size_t i, size_t len, int stop_at_nl)
{
	for (; i + 1 < len; i++) {
		if (stop_at_nl && s[i] == '\n')
			break;
		if (s[i] == '}' && s[i + 1] == '}')
			return i;
	}
	return SIZE_MAX;
}

/* The tag whose "{{" is at start; p->line is that line. */
static int
parse_tag(struct parser *p, size_t start)
{
	const char	*s = p->t->text;
	size_t		 b = start + 2, e, after, from, next;
	char		 c = b < p->t->len ? s[b] : '\0';
	int		 rc, alone = 0;

	if ((e = find_close(s, b, p->t->len, c != '!')) == SIZE_MAX)
		return perr(p, c == '!' ? "unterminated comment" :
		    "unterminated tag (no }} on this line)");
	after = e + 2;
	if (c == '!' || c == '#' || c == '?' || c == '^' || c == '/')
		alone = standalone(p, start, after, &from, &next);
	if (flush_lit(p, alone ? from : start) == -1)
		return -1;
	switch (c) {
	case '!':
		rc = 0;
		break;
	case '#':
		rc = open_section(p, N_LIST, b + 1, e - b - 1);
		break;
	case '?':
		rc = open_section(p, N_IF, b + 1, e - b - 1);
		break;
	case '^':
		rc = open_section(p, N_IFNOT, b + 1, e - b - 1);
		break;
	case '/':
		rc = close_section(p, b + 1, e - b - 1);
		break;
	case '>':
		rc = include(p, b + 1, e - b - 1);
		break;
	default:
		if (e == b)
			return perr(p, "empty tag {{}}");
		if (!is_name_char((unsigned char)c))
			return perr(p, "unknown tag kind in {{%s}}",
			    quote(&p->q, s + b, e - b));
		rc = variable(p, b, e - b);
		break;
	}
	if (rc == -1)
		return -1;
	p->pos = p->lit = alone ? next : after;
	p->line += count_nl(s + start, p->pos - start);
	return 0;
}

static size_t
find_open(const char *s, size_t i, size_t len)
{
	const char *q;

	while (i + 1 < len) {
		if ((q = memchr(s + i, '{', len - i - 1)) == NULL)
			return SIZE_MAX;
		i = (size_t)(q - s);
		if (s[i + 1] == '{')
			return i;
		i++;
	}
	return SIZE_MAX;
}

static int
parse(struct tpl *t, struct buf *err)
{
	struct parser	 p;
	size_t		 start;
	int		 rc = 0;

	memset(&p, 0, sizeof(p));
	p.t = t;
	p.err = err;
	p.line = 1;
	buf_init(&p.q);
	while (rc == 0 &&
	    (start = find_open(t->text, p.pos, t->len)) != SIZE_MAX) {
		p.line += count_nl(t->text + p.pos, start - p.pos);
		p.pos = start;
		rc = parse_tag(&p, start);
	}
	if (rc == 0)
		rc = flush_lit(&p, t->len);
	if (rc == 0 && p.nopen > 0) {
		p.line = t->nodes[p.open[p.nopen - 1]].line;
		rc = perr(&p, "{{%c%.*s}} is never closed",
		    sect_char(t->nodes[p.open[p.nopen - 1]].kind),
		    (int)t->nodes[p.open[p.nopen - 1]].len,
		    t->text + t->nodes[p.open[p.nopen - 1]].off);
	}
	buf_free(&p.q);
	return rc;
}

/* Take text (owned from now on) as template name; check and parse it. */
static int
tpl_init(struct tpl *t, const char *name, char *text, size_t len,
    struct buf *err)
{
	const uint8_t	*bad;
	const char	*nul;

	memset(t, 0, sizeof(*t));
	t->text = text;
	t->len = len;
	if ((t->name = strdup(name)) == NULL) {
		report(err, name, 0, "out of memory");
		return -1;
	}
	if (!valid_name(name, strlen(name)) ||
	    (t->plain = kind_of(name, strlen(name))) == -1) {
		report(err, name, 0, "bad template name (want [A-Za-z0-9_.-]+ "
		    "ending in .html or .txt)");
		return -1;
	}
	if ((bad = u8_check((const uint8_t *)text, len)) != NULL) {
		report(err, name, 1 + count_nl(text, (size_t)((const char *)bad - text)),
		    "invalid UTF-8");
		return -1;
	}
	if ((nul = memchr(text, '\0', len)) != NULL) {
		report(err, name, 1 + count_nl(text, (size_t)(nul - text)),
		    "NUL byte");
		return -1;
	}
	return parse(t, err);
}

static const struct tpl *
find_tpl(const struct tset *s, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->t[i].name) == n && memcmp(s->t[i].name, name, n) == 0)
			return &s->t[i];
	return NULL;
}

static int
resolve(struct tset *s, struct buf *err)
{
	const struct tpl	*to;
	struct tpl		*t;
	struct node		*nd;
	size_t			 i, k;
	int			 rc = 0;

	for (i = 0; i < s->n; i++) {
		t = &s->t[i];
		for (k = 0; k < t->n; k++) {
			nd = &t->nodes[k];
			if (nd->kind != N_INCLUDE)
				continue;
			if ((to = find_tpl(s, t->text + nd->off, nd->len)) == NULL) {
				report(err, t->name, nd->line, "{{>%.*s}}: no such "
				    "template", (int)nd->len, t->text + nd->off);
				rc = -1;
			} else
				nd->ref = (size_t)(to - s->t);
		}
	}
	return rc;
}

enum { V_NEW, V_PATH, V_DONE, V_FAILED };

struct walk {
	const struct tset	*s;
	struct buf		*err;
	unsigned char		*state;
	int			*height;	/* include levels below, when V_DONE */
	size_t			 path[INCLUDE_MAX + 1];
};

static void
report_cycle(struct walk *w, size_t depth, size_t j, const struct tpl *t,
    const struct node *nd)
{
	struct buf	 b;
	size_t		 d = 0;

	buf_init(&b);
	while (w->path[d] != j)
		d++;
	for (; d <= depth; d++)
		buf_printf(&b, "%s -> ", w->s->t[w->path[d]].name);
	buf_puts(&b, w->s->t[j].name);
	report(w->err, t->name, nd->line, "include cycle: %s", buf_cstr(&b));
	buf_free(&b);
}

/* Depth-first over includes: cycles, and chains deeper than INCLUDE_MAX. */
static int
visit(struct walk *w, size_t i, size_t depth)
{
	const struct tpl	*t = &w->s->t[i];
	const struct node	*nd;
	size_t			 k, j;
	int			 h;

	if (w->state[i] == V_DONE)
		return w->height[i];
	if (w->state[i] == V_FAILED)
		return -1;
	w->state[i] = V_PATH;
	w->path[depth] = i;
	w->height[i] = 0;
	for (k = 0; k < t->n; k++) {
		nd = &t->nodes[k];
		if (nd->kind != N_INCLUDE)
			continue;
		j = nd->ref;
		if (w->state[j] == V_PATH) {
			report_cycle(w, depth, j, t, nd);
			break;
		}
		/* Past the limit the chain is too deep whatever j holds:
		 * stop there, which also bounds this recursion. */
		h = depth + 1 > INCLUDE_MAX ? INCLUDE_MAX : visit(w, j, depth + 1);
		if (h == -1)
			break;
		if (h + 1 > INCLUDE_MAX) {
			report(w->err, t->name, nd->line, "includes nested more "
			    "than %d deep (from %s)", INCLUDE_MAX,
			    w->s->t[w->path[0]].name);
			break;
		}
		if (h + 1 > w->height[i])
			w->height[i] = h + 1;
	}
	w->state[i] = k == t->n ? V_DONE : V_FAILED;
	return k == t->n ? w->height[i] : -1;
}

static int
check_includes(const struct tset *s, struct buf *err)
{
	struct walk	 w;
	size_t		 i;
	int		 rc = 0;

	if (s->n == 0)
		return 0;
	memset(&w, 0, sizeof(w));
	w.s = s;
	w.err = err;
	w.state = calloc(s->n, 1);
	w.height = calloc(s->n, sizeof(int));
	if (w.state == NULL || w.height == NULL) {
		report(err, "templates", 0, "out of memory");
		rc = -1;
	}
	for (i = 0; w.state != NULL && w.height != NULL && i < s->n; i++)
		if (w.state[i] == V_NEW && visit(&w, i, 0) == -1)
			rc = -1;
	free(w.state);
	free(w.height);
	return rc;
}

void
tset_free(struct tset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		tpl_free(&s->t[i]);
	free(s->t);
	free(s);
}

/* Resolve and check includes of a fully parsed set; frees it on failure. */
static struct tset *
finish(struct tset *s, int rc, struct buf *err)
{
	if (rc == 0)
		rc = resolve(s, err);
	if (rc == 0)
		rc = check_includes(s, err);
	if (rc == 0)
		return s;
	tset_free(s);
	return NULL;
}

struct tset *
tset_load_mem(const char *name, const char *text, size_t len, struct buf *err)
{
	struct tset	*s;
	char		*copy;
	int		 rc;

	if (name == NULL || (text == NULL && len > 0))
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->t = calloc(1, sizeof(*s->t))) == NULL ||
	    (copy = malloc(len + 1)) == NULL) {
		report(err, name, 0, "out of memory");
		tset_free(s);
		return NULL;
	}
	if (len > 0)
		memcpy(copy, text, len);
	copy[len] = '\0';
	s->n = 1;
	rc = tpl_init(&s->t[0], name, copy, len, err);
	return finish(s, rc, err);
}

/* Hidden files are skipped: editors keep their backups and swap files there. */
static int
wanted(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && kind_of(name, n) != -1;
}

/* Read a whole regular file of at most FILE_MAX bytes, NUL-terminated. */
static int
read_file(const char *path, char **out, size_t *len, const char **why)
{
	struct stat	 st;
	char		*p;
	size_t		 n = 0;
	ssize_t		 r = 0;
	int		 fd;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		*why = "not a regular file of at most 1 MiB";
		close(fd);
		return -1;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, p + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n != (size_t)st.st_size) {
		if (r == 0)
			*why = "file changed while read";
		free(p);
		return -1;
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	return 0;
}

static int
load_one(struct tpl *t, const char *dir, const char *name, struct buf *err)
{
	struct buf	 path;
	const char	*why;
	char		*text;
	size_t		 len;
	int		 rc;

	memset(t, 0, sizeof(*t));
	buf_init(&path);
	if (buf_printf(&path, "%s/%s", dir, name) == -1) {
		report(err, name, 0, "out of memory");
		return -1;
	}
	rc = read_file(buf_cstr(&path), &text, &len, &why);
	if (rc == -1)
		report(err, name, 0, "cannot read: %s",
		    why != NULL ? why : strerror(errno));
	buf_free(&path);
	if (rc == -1)
		return -1;
	return tpl_init(t, name, text, len, err);
}

struct tset *
tset_load(const char *dir, struct buf *err)
{
	struct tset	 *s;
	char		**names;
	size_t		  n, i;
	int		  rc = 0;

	if (dirlist(dir, wanted, &names, &n) == -1) {
		report(err, dir, 0, "cannot list: %s", strerror(errno));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (n > 0 && (s->t = calloc(n, sizeof(*s->t))) == NULL)) {
		report(err, dir, 0, "out of memory");
		free(s);
		dirlist_free(names, n);
		return NULL;
	}
	s->n = n;
	for (i = 0; i < n; i++)
		if (load_one(&s->t[i], dir, names[i], err) == -1)
			rc = -1;
	dirlist_free(names, n);
	return finish(s, rc, err);
}

int
tset_has(const struct tset *s, const char *name)
{
	return s != NULL && name != NULL && find_tpl(s, name, strlen(name)) != NULL;
}

/* ------------------------------------------------------------ rendering */

struct scope {
	const struct tvars	*v;
	const struct scope	*up;
};

struct rctx {
	const struct tset	*s;
	struct buf		*out;
	struct buf		*err;
	const struct tvar	*hole;	/* tpage_render: the entry left open, else NULL */
	struct tpage		*page;
};

/* A rendered page: its text, and where (and how escaped) the hole's value goes. */
struct hole {
	size_t	 at;		/* where the value goes in text */
	int	 plain;		/* escaped as in a .txt template */
	int	 url;		/* |url: percent-encoded first */
};

struct tpage {
	char		*text;
	size_t		 len;
	struct hole	*holes;
	size_t		 n, cap;
};

static const struct tvar *
lookup(const struct scope *sc, const char *name, size_t n)
{
	const struct tvar *e;

	for (; sc != NULL; sc = sc->up)
		if ((e = find(sc->v, name, n)) != NULL)
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
	report(r->err, t->name, nd->line, "%s%.*s%s: %s",
	    nd->kind == N_LIST ? "{{#" : nd->kind == N_INCLUDE ? "{{>" : "{{",
	    (int)nd->len, t->text + nd->off, nd->kind == N_URL ? "|url}}" : "}}",
	    what);
	return -1;
}

/* The one way a value reaches output: escaped for the template's kind, |url first when asked. */
static int
put_value(struct buf *out, int plain, int url, const char *s, size_t n)
{
	struct buf	 u;
	int		 rc;

	if (!url)
		return plain ? esc_text_plain(out, s, n) : esc_html_text(out, s, n);
	buf_init(&u);
	rc = esc_url_component(&u, s, n);
	if (rc == 0)
		rc = put_value(out, plain, 0, buf_cstr(&u), u.len);
	buf_wipe(&u);
	return rc;
}

/* tpage_render: remember where the hole's value would have been written, and how. */
static int
mark_hole(const struct rctx *r, const struct tpl *t, const struct node *nd)
{
	struct tpage	*pg = r->page;
	struct hole	*nh;
	size_t		 ncap;

	if (pg->n == pg->cap) {
		ncap = pg->cap ? pg->cap * 2 : 4;
		if ((nh = realloc(pg->holes, ncap * sizeof(*nh))) == NULL) {
			r->out->oom = 1;
			return -1;
		}
		pg->holes = nh;
		pg->cap = ncap;
	}
	pg->holes[pg->n].at = r->out->len;
	pg->holes[pg->n].plain = t->plain;
	pg->holes[pg->n].url = nd->kind == N_URL;
	pg->n++;
	return 0;
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
		return mark_hole(r, t, nd);
	return put_value(r->out, t->plain, nd->kind == N_URL, e->val, e->len);
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
static void
unwind(struct buf *out, size_t start, int oom)
{
	if (out->data != NULL) {
		sodium_memzero(out->data + start, out->len - start);
		out->data[start] = '\0';
	}
	out->len = start;
	out->oom = oom;
}

/* tset_render, with hole (may be NULL) left open and recorded in page. */
static int
render_top(const struct tset *s, const char *name, const struct tvars *v,
    const struct tvar *hole, struct tpage *page, struct buf *out, struct buf *err)
{
	const struct tpl	*t;
	struct rctx		 r;
	struct scope		 top;
	size_t			 start = out->len;
	int			 oom = out->oom;

	if (s == NULL || name == NULL ||
	    (t = find_tpl(s, name, strlen(name))) == NULL) {
		report(err, name != NULL ? name : "(null)", 0, "no such template");
		return -1;
	}
	r.s = s;
	r.out = out;
	r.err = err;
	r.hole = hole;
	r.page = page;
	top.v = v;
	top.up = NULL;
	if (render_range(&r, t, 0, t->n, &top, 0) == 0 && !out->oom)
		return 0;
	if (out->oom && !oom)
		report(err, name, 0, "output too large or out of memory");
	unwind(out, start, oom);
	return -1;
}

int
tset_render(const struct tset *s, const char *name, const struct tvars *v,
    struct buf *out, struct buf *err)
{
	return render_top(s, name, v, NULL, NULL, out, err);
}

/* ------------------------------------------------------------ pages with a hole */

void
tpage_free(struct tpage *pg)
{
	if (pg == NULL)
		return;
	if (pg->text != NULL)
		sodium_memzero(pg->text, pg->len);
	free(pg->text);
	free(pg->holes);
	free(pg);
}

struct tpage *
tpage_render(const struct tset *s, const char *name, const struct tvars *v,
    const char *hole, struct buf *err)
{
	const struct tvar	*e;
	struct tpage		*pg;
	struct buf		 out;

	if (hole == NULL || (e = find(v, hole, strlen(hole))) == NULL || e->val == NULL) {
		report(err, name != NULL ? name : "(null)", 0, "hole %s: not set as a string",
		    hole != NULL ? hole : "(null)");
		return NULL;
	}
	if ((pg = calloc(1, sizeof(*pg))) == NULL) {
		report(err, name != NULL ? name : "(null)", 0, "out of memory");
		return NULL;
	}
	buf_init(&out);
	if (render_top(s, name, v, e, pg, &out, err) == -1) {
		buf_wipe(&out);
		tpage_free(pg);
		return NULL;
	}
	pg->len = out.len;
	if ((pg->text = buf_take(&out)) == NULL) {
		report(err, name, 0, "out of memory");
		tpage_free(pg);
		return NULL;
	}
	return pg;
}

int
tpage_fill(const struct tpage *pg, const char *val, size_t n, struct buf *out)
{
	size_t	 i, from = 0, start = out->len;
	int	 oom = out->oom;

	if (pg == NULL || val == NULL)
		return -1;
	for (i = 0; i < pg->n; i++) {
		if (buf_put(out, pg->text + from, pg->holes[i].at - from) == -1 ||
		    put_value(out, pg->holes[i].plain, pg->holes[i].url, val, n) == -1)
			break;
		from = pg->holes[i].at;
	}
	if (i == pg->n && buf_put(out, pg->text + from, pg->len - from) == 0)
		return 0;
	unwind(out, start, oom);
	return -1;
}
