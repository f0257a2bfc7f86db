/*
 * Templates: every file of a directory (or one from memory) read, checked
 * and parsed once into a flat node list; includes resolved and checked for
 * cycles and depth.  Rendering walks the nodes (tmpl.c).
 */
#include "tmpl_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistr.h>

#include "dirlist.h"

#define FILE_MAX	(1024 * 1024)

/* "file:line: message\n"; line 0 for problems with the whole file. */
void
tmpl_report(struct buf *err, const char *file, unsigned line, const char *fmt, ...)
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
	struct node *nn;

	if ((nn = buf_grow_array(t->nodes, t->n, &t->cap, sizeof(*nn), 32)) == NULL)
		return -1;
	t->nodes = nn;
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
	if (!tmpl_valid_name(p->t->text + off, len))
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

	if (!tmpl_valid_name(s + off, len))
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

	if (!tmpl_valid_name(s, len))
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
	if (!tmpl_valid_name(s, nlen))
		return perr(p, "bad name in {{%s}}", quote(&p->q, s, len));
	if (add_node(p->t, kind, off, nlen, p->line) == -1)
		return perr(p, "out of memory");
	return 0;
}

static int
message(struct parser *p, size_t off, size_t len)
{
	if (!tmpl_valid_name(p->t->text + off, len))
		return perr(p, "bad name in {{@%s}}", quote(&p->q, p->t->text + off, len));
	if (add_node(p->t, N_MSG, off, len, p->line) == -1)
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
	case '@':
		rc = message(p, b + 1, e - b - 1);
		break;
	default:
		if (e == b)
			return perr(p, "empty tag {{}}");
		if (!tmpl_is_name_char((unsigned char)c))
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
		tmpl_report(err, name, 0, "out of memory");
		return -1;
	}
	if (!tmpl_valid_name(name, strlen(name)) ||
	    (t->plain = kind_of(name, strlen(name))) == -1) {
		tmpl_report(err, name, 0, "bad template name (want [A-Za-z0-9_.-]+ "
		    "ending in .html or .txt)");
		return -1;
	}
	if ((bad = u8_check((const uint8_t *)text, len)) != NULL) {
		tmpl_report(err, name, 1 + count_nl(text, (size_t)((const char *)bad - text)),
		    "invalid UTF-8");
		return -1;
	}
	if ((nul = memchr(text, '\0', len)) != NULL) {
		tmpl_report(err, name, 1 + count_nl(text, (size_t)(nul - text)),
		    "NUL byte");
		return -1;
	}
	return parse(t, err);
}

const struct tpl *
tmpl_find(const struct tset *s, const char *name, size_t n)
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
			if ((to = tmpl_find(s, t->text + nd->off, nd->len)) == NULL) {
				tmpl_report(err, t->name, nd->line, "{{>%.*s}}: no such "
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
	tmpl_report(w->err, t->name, nd->line, "include cycle: %s", buf_cstr(&b));
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
			tmpl_report(w->err, t->name, nd->line, "includes nested more "
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
		tmpl_report(err, "templates", 0, "out of memory");
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
		tmpl_report(err, name, 0, "out of memory");
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
		tmpl_report(err, name, 0, "out of memory");
		return -1;
	}
	rc = read_file(buf_cstr(&path), &text, &len, &why);
	if (rc == -1)
		tmpl_report(err, name, 0, "cannot read: %s",
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
		tmpl_report(err, dir, 0, "cannot list: %s", strerror(errno));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (n > 0 && (s->t = calloc(n, sizeof(*s->t))) == NULL)) {
		tmpl_report(err, dir, 0, "out of memory");
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
	return s != NULL && name != NULL && tmpl_find(s, name, strlen(name)) != NULL;
}
