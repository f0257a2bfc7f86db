#include "formdef.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistr.h>
#include <yaml.h>

#include "jst.h"

#define MAX_FILE	(256 * 1024)
#define MAX_ERRORS	50
#define MAX_DEPTH	16	/* the format needs 5 levels; deeper is a mistake or an attack */
#define MAX_FIELDS	100
#define MAX_CHOICES	100
#define MAX_ID		40
#define MAX_KEY		32
#define MAX_VALUE	32

/* ------------------------------------------------------------------ */
/* Errors */

struct ctx {
	const char	*path;
	struct buf	*errs;
	unsigned	 nerr;
	int		 oom;
	int		 has_event_date;	/* event_date given (even if malformed) */
};

static void err_at(struct ctx *, int, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends are not checked one by one: a buffer that fails stays failed
 * (errs->oom), which the caller can see, and the error count is kept anyway. */
static void
err_at(struct ctx *c, int line, int col, const char *fmt, ...)
{
	va_list ap;

	c->nerr++;
	if (c->errs == NULL || c->nerr > MAX_ERRORS + 1)
		return;
	if (c->nerr == MAX_ERRORS + 1) {
		buf_printf(c->errs, "%s:%d:%d: too many errors, giving up on this file\n",
		    c->path, line, col);
		return;
	}
	buf_printf(c->errs, "%s:%d:%d: ", c->path, line, col);
	va_start(ap, fmt);
	buf_vprintf(c->errs, fmt, ap);
	va_end(ap);
	buf_putc(c->errs, '\n');
}

/*
 * File content quoted in a message: cut short and with control characters
 * replaced, so that a hostile file cannot write escape sequences to the
 * admin's terminal or flood the log.
 */
struct quoted { char s[80]; };

static struct quoted
quote(const char *s, size_t len)
{
	struct quoted	 q;
	size_t		 i = 0, o = 0;
	ucs4_t		 uc;
	int		 n;

	while (i < len) {
		n = u8_mbtouc(&uc, (const uint8_t *)s + i, len - i);
		if (o + (size_t)n + 4 >= sizeof(q.s)) {
			memcpy(q.s + o, "...", 3);
			o += 3;
			break;
		}
		if (uc < 0x20 || uc == 0x7f || (uc >= 0x80 && uc < 0xa0) || uc == 0xfffd)
			q.s[o++] = '?';
		else {
			memcpy(q.s + o, s + i, (size_t)n);
			o += (size_t)n;
		}
		i += (size_t)n;
	}
	q.s[o] = '\0';
	return q;
}

/* ------------------------------------------------------------------ */
/* The YAML tree: built from libyaml events so that anchors and aliases
 * can be refused (the document API resolves them silently) and every node
 * keeps its position. */

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP, Y_BAD };

struct ynode {
	enum ykind	  kind;
	int		  line, col;
	char		 *s;		/* Y_SCALAR */
	size_t		  slen;
	int		  plain;
	struct ynode	**kid;		/* Y_SEQ items; Y_MAP key, value, key, value ... */
	size_t		  nkid, capkid;
};

static void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		ynode_free(n->kid[i]);
	free(n->kid);
	free(n->s);
	free(n);
}

static struct ynode *
ynode_new(struct ctx *c, enum ykind kind, yaml_mark_t m)
{
	struct ynode *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		c->oom = 1;
		return NULL;
	}
	n->kind = kind;
	n->line = (int)m.line + 1;
	n->col = (int)m.column + 1;
	return n;
}

static int
ynode_add(struct ctx *c, struct ynode *parent, struct ynode *n)
{
	struct ynode	**k;
	size_t		  ncap;

	if (parent->nkid == parent->capkid) {
		ncap = parent->capkid ? parent->capkid * 2 : 8;
		if ((k = realloc(parent->kid, ncap * sizeof(*k))) == NULL) {
			c->oom = 1;
			return -1;
		}
		parent->kid = k;
		parent->capkid = ncap;
	}
	parent->kid[parent->nkid++] = n;
	return 0;
}

/* libyaml counts lines and columns itself except for reader errors, which
 * carry a byte offset: convert it the way libyaml would (characters, with
 * CR LF, CR, LF, NEL, LS and PS as line breaks). */
static void
offset_mark(const char *data, size_t len, size_t off, int *line, int *col)
{
	size_t	i = 0;
	ucs4_t	uc;
	int	n;

	*line = 1;
	*col = 1;
	if (off > len)
		off = len;
	while (i < off) {
		n = u8_mbtouc(&uc, (const uint8_t *)data + i, off - i);
		i += (size_t)n;
		if (uc == '\r' && i < off && data[i] == '\n')
			continue;
		if (uc == '\n' || uc == '\r' || uc == 0x85 || uc == 0x2028 || uc == 0x2029) {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static void
yaml_error(struct ctx *c, const yaml_parser_t *p, const char *data, size_t len)
{
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		c->oom = 1;
		break;
	case YAML_READER_ERROR:
		offset_mark(data, len, p->problem_offset, &line, &col);
		err_at(c, line, col, "YAML syntax error: %s", p->problem ? p->problem : "unreadable input");
		break;
	default:
		if (p->context != NULL)
			err_at(c, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
			    "YAML syntax error: %s (%s at line %d column %d)",
			    p->problem ? p->problem : "unexpected input", p->context,
			    (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
		else
			err_at(c, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
			    "YAML syntax error: %s", p->problem ? p->problem : "unexpected input");
		break;
	}
}

struct builder {
	struct ynode	*root;
	struct ynode	*stack[MAX_DEPTH];
	size_t		 depth;
	int		 docs;
	int		 fatal;
	int		 done;
};

/* Anchors and tags are reported but the node is kept, so the rest of the
 * file is still checked. */
static void
check_props(struct ctx *c, const yaml_char_t *anchor, const yaml_char_t *tag, yaml_mark_t m)
{
	if (anchor != NULL)
		err_at(c, (int)m.line + 1, (int)m.column + 1,
		    "YAML anchors (&%s) are not allowed; write the value out in full",
		    quote((const char *)anchor, strlen((const char *)anchor)).s);
	if (tag != NULL)
		err_at(c, (int)m.line + 1, (int)m.column + 1,
		    "YAML tags (%s) are not allowed",
		    quote((const char *)tag, strlen((const char *)tag)).s);
}

static int
attach(struct ctx *c, struct builder *b, struct ynode *n)
{
	if (n == NULL)
		return -1;
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	if (ynode_add(c, b->stack[b->depth - 1], n) == -1) {
		ynode_free(n);
		return -1;
	}
	return 0;
}

static struct ynode *
scalar_node(struct ctx *c, const yaml_event_t *ev)
{
	struct ynode	*n;
	size_t		 len = ev->data.scalar.length;

	if ((n = ynode_new(c, Y_SCALAR, ev->start_mark)) == NULL)
		return NULL;
	if ((n->s = malloc(len + 1)) == NULL) {
		c->oom = 1;
		free(n);
		return NULL;
	}
	memcpy(n->s, ev->data.scalar.value, len);
	n->s[len] = '\0';
	n->slen = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return n;
}

static int
open_node(struct ctx *c, struct builder *b, enum ykind kind, yaml_mark_t m)
{
	struct ynode *n;

	if (b->depth == MAX_DEPTH) {
		err_at(c, (int)m.line + 1, (int)m.column + 1, "nested too deeply (more than %d levels)",
		    MAX_DEPTH);
		return -1;
	}
	if (attach(c, b, n = ynode_new(c, kind, m)) == -1)
		return -1;
	b->stack[b->depth++] = n;
	return 0;
}

static int
on_event(struct ctx *c, struct builder *b, const yaml_event_t *ev)
{
	yaml_mark_t m = ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		b->done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			err_at(c, (int)m.line + 1, (int)m.column + 1,
			    "only one YAML document is allowed in a file");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		err_at(c, (int)m.line + 1, (int)m.column + 1,
		    "YAML aliases (*%s) are not allowed; write the value out in full",
		    quote((const char *)ev->data.alias.anchor,
		    strlen((const char *)ev->data.alias.anchor)).s);
		return attach(c, b, ynode_new(c, Y_BAD, m));
	case YAML_SCALAR_EVENT:
		check_props(c, ev->data.scalar.anchor, ev->data.scalar.tag, m);
		return attach(c, b, scalar_node(c, ev));
	case YAML_SEQUENCE_START_EVENT:
		check_props(c, ev->data.sequence_start.anchor, ev->data.sequence_start.tag, m);
		return open_node(c, b, Y_SEQ, m);
	case YAML_MAPPING_START_EVENT:
		check_props(c, ev->data.mapping_start.anchor, ev->data.mapping_start.tag, m);
		return open_node(c, b, Y_MAP, m);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default:
		return 0;
	}
}

/* The tree of the one document, or NULL after a syntax error (libyaml
 * cannot recover from one, so it is the only error reported then). */
static struct ynode *
yaml_tree(struct ctx *c, const char *data, size_t len, int *empty)
{
	yaml_parser_t	parser;
	yaml_event_t	ev;
	struct builder	b;
	int		rc;

	memset(&b, 0, sizeof(b));
	*empty = 0;
	if (!yaml_parser_initialize(&parser)) {
		c->oom = 1;
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!b.done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_error(c, &parser, data, len);
			b.fatal = 1;
			break;
		}
		rc = on_event(c, &b, &ev);
		yaml_event_delete(&ev);
		if (rc == -1) {
			b.fatal = 1;
			break;
		}
	}
	yaml_parser_delete(&parser);
	if (b.fatal) {
		ynode_free(b.root);
		return NULL;
	}
	*empty = b.root == NULL;
	return b.root;
}

/* ------------------------------------------------------------------ */
/* Scalars */

static int
is_null(const struct ynode *n)
{
	if (n->kind != Y_SCALAR || !n->plain)
		return 0;
	return n->slen == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
	    strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

static const char *
kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case Y_SEQ:	return "a sequence (list)";
	case Y_MAP:	return "a mapping (key: value pairs)";
	default:	return is_null(n) ? "empty" : "a single value";
	}
}

/* Checks the shape common to every scalar; 0 when v is a usable scalar. */
static int
want_scalar(struct ctx *c, const struct ynode *k, const struct ynode *v, const char *what)
{
	if (v->kind == Y_BAD)
		return -1;
	if (v->kind != Y_SCALAR) {
		err_at(c, v->line, v->col, "'%s' must be %s, not %s", k->s, what, kind_name(v));
		return -1;
	}
	return 0;
}

/* Control characters are refused because these strings end up in HTML,
 * CSV cells and mail headers; multi-line texts may keep newlines and tabs. */
static int
text_ok(const char *s, size_t len, int multiline)
{
	size_t	i = 0;
	ucs4_t	uc;
	int	n;

	if (u8_check((const uint8_t *)s, len) != NULL)
		return 0;
	while (i < len) {
		n = u8_mbtouc(&uc, (const uint8_t *)s + i, len - i);
		i += (size_t)n;
		if (multiline && (uc == '\n' || uc == '\t'))
			continue;
		if (uc < 0x20 || uc == 0x7f || (uc >= 0x80 && uc < 0xa0) ||
		    uc == 0x2028 || uc == 0x2029)
			return 0;
	}
	return 1;
}

enum { OPTIONAL, REQUIRED };
enum { ONE_LINE, MULTI_LINE };

/* A text value; an empty optional one is left NULL. */
/* A copy the procedure owns; running out of memory is remembered in the context. */
static int
keep_copy(struct ctx *c, const char *s, char **out)
{
	if ((*out = strdup(s)) == NULL) {
		c->oom = 1;
		return -1;
	}
	return 0;
}

static int
get_str(struct ctx *c, const struct ynode *k, const struct ynode *v, int required, int multiline,
    char **out)
{
	if (v == NULL)
		return 0;
	if (want_scalar(c, k, v, "text") == -1)
		return -1;
	if (is_null(v) || v->slen == 0) {
		if (!required)
			return 0;
		err_at(c, v->line, v->col, "'%s' must not be empty", k->s);
		return -1;
	}
	if (!text_ok(v->s, v->slen, multiline)) {
		err_at(c, v->line, v->col, "'%s' contains a control character%s", k->s,
		    multiline ? "" : " or line break (use one line)");
		return -1;
	}
	return keep_copy(c, v->s, out);
}

static int
get_bool(struct ctx *c, const struct ynode *k, const struct ynode *v, int *out)
{
	if (v == NULL)
		return 0;
	if (want_scalar(c, k, v, "true or false") == -1)
		return -1;
	if (v->plain && strcmp(v->s, "true") == 0)
		*out = 1;
	else if (v->plain && strcmp(v->s, "false") == 0)
		*out = 0;
	else {
		err_at(c, v->line, v->col, "'%s' must be true or false (lower case, no quotes), not '%s'",
		    k->s, quote(v->s, v->slen).s);
		return -1;
	}
	return 0;
}

/* Plain decimal only: YAML 1.1 would also read 0x1F, 0o17, 1_000 and
 * 1e3, which an admin would not mean in a form definition. */
static int
get_long(struct ctx *c, const struct ynode *k, const struct ynode *v, long lo, long hi, long *out)
{
	const char	*s;
	long		 n = 0;
	int		 neg;

	if (v == NULL)
		return 0;
	if (want_scalar(c, k, v, "a whole number") == -1)
		return -1;
	s = v->s;
	neg = *s == '-';
	s += neg;
	if (!v->plain || *s == '\0' || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 12 || strlen(s) != v->slen - (size_t)neg) {
		err_at(c, v->line, v->col, "'%s' must be a whole number, not '%s'", k->s,
		    quote(v->s, v->slen).s);
		return -1;
	}
	for (; *s != '\0'; s++)
		n = n * 10 + (*s - '0');
	if (neg)
		n = -n;
	if (n < lo || n > hi) {
		err_at(c, v->line, v->col, "'%s' must be between %ld and %ld, not %ld", k->s, lo, hi, n);
		return -1;
	}
	*out = n;
	return 0;
}

static int
get_int(struct ctx *c, const struct ynode *k, const struct ynode *v, int lo, int hi, int *out)
{
	long n;

	if (v == NULL || get_long(c, k, v, lo, hi, &n) == -1)
		return v == NULL ? 0 : -1;
	*out = (int)n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dates and times */

static int
days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int
digits(const char *s, size_t n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* "YYYY-MM-DD" at s; the message says what is wrong, or is NULL. */
static const char *
parse_date(const char *s, int *y, int *m, int *d)
{
	if (s[4] != '-' || s[7] != '-' || (*y = digits(s, 4)) == -1 ||
	    (*m = digits(s + 5, 2)) == -1 || (*d = digits(s + 8, 2)) == -1)
		return "";
	if (*y < 1970 || *y > 9999)
		return "the year must be 1970 or later";
	if (*m < 1 || *m > 12)
		return "there is no such month";
	if (*d < 1 || *d > days_in_month(*y, *m))
		return "there is no such day in that month";
	return NULL;
}

static int
get_date(struct ctx *c, const struct ynode *k, const struct ynode *v, int *y, int *m, int *d)
{
	const char *why = "";

	if (v == NULL)
		return 0;
	if (want_scalar(c, k, v, "a date like 2027-03-12") == -1)
		return -1;
	if (v->slen != 10 || (why = parse_date(v->s, y, m, d)) != NULL) {
		if (v->slen != 10 || *why == '\0')
			err_at(c, v->line, v->col, "'%s' must be a date like 2027-03-12, not '%s'",
			    k->s, quote(v->s, v->slen).s);
		else
			err_at(c, v->line, v->col, "'%s': '%s' is not a valid date: %s", k->s,
			    quote(v->s, v->slen).s, why);
		*y = *m = *d = 0;
		return -1;
	}
	return 0;
}

/* JST wall-clock "YYYY-MM-DD HH:MM" (or with 'T'): JST is UTC+9 all year. */
static int
get_time(struct ctx *c, const struct ynode *k, const struct ynode *v, time_t *out)
{
	const char	*s, *why = "";
	int		 y = 0, m = 0, d = 0, hh = 0, mm = 0;

	if (v == NULL)
		return 0;
	if (want_scalar(c, k, v, "a date and time like 2026-04-01 09:00") == -1)
		return -1;
	s = v->s;
	if (v->slen == 16 && (s[10] == ' ' || s[10] == 'T') && s[13] == ':' &&
	    (hh = digits(s + 11, 2)) != -1 && (mm = digits(s + 14, 2)) != -1) {
		if ((why = parse_date(s, &y, &m, &d)) == NULL) {
			if (hh > 23)
				why = "the hour must be 00 to 23";
			else if (mm > 59)
				why = "the minute must be 00 to 59";
		}
	}
	if (why == NULL) {
		*out = jst_time(y, m, d, hh, mm);
		return 0;
	}
	if (*why == '\0')
		err_at(c, v->line, v->col,
		    "'%s' must be a date and time like 2026-04-01 09:00 (JST), not '%s'",
		    k->s, quote(v->s, v->slen).s);
	else
		err_at(c, v->line, v->col, "'%s': '%s' is not a valid date and time: %s", k->s,
		    quote(v->s, v->slen).s, why);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Mappings */

/* Levenshtein distance, to suggest the key an admin probably meant. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	row[MAX_KEY + 1], i, j, diag, up, la = strlen(a), lb = strlen(b);

	if (la > MAX_KEY || lb > MAX_KEY)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static const char *
suggest(const char *s, const char *const *names, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = 3;

	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		if ((d = edit_distance(s, names[i])) < bestd && d < strlen(s)) {
			bestd = d;
			best = names[i];
		}
	}
	return best;
}

static void
list_names(struct buf *b, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL)
			buf_printf(b, "%s%s", b->len ? ", " : "", names[i]);
}

static void
unknown_name(struct ctx *c, const struct ynode *at, const char *what, const char *where,
    const char *const *names, size_t n)
{
	struct buf	 known;
	const char	*guess = suggest(at->s, names, n);

	if (guess != NULL) {
		err_at(c, at->line, at->col, "unknown %s '%s'%s (did you mean '%s'?)", what,
		    quote(at->s, at->slen).s, where, guess);
		return;
	}
	buf_init(&known);
	list_names(&known, names, n);
	if (known.oom)
		c->oom = 1;
	err_at(c, at->line, at->col, "unknown %s '%s'%s; known: %s", what,
	    quote(at->s, at->slen).s, where, buf_cstr(&known));
	buf_free(&known);
}

/*
 * Sort a mapping's pairs into slots by key name: key[i]/val[i] for names[i],
 * NULL when absent.  Unknown and repeated keys are reported here.  Returns
 * -1 when m is not a mapping (reported as "name must be a mapping").
 */
static int
map_slots(struct ctx *c, const struct ynode *m, const char *name, const char *where,
    const char *const *names, size_t n, const struct ynode **key, const struct ynode **val)
{
	const struct ynode	*k;
	size_t			 i, j;

	memset(key, 0, n * sizeof(*key));
	memset(val, 0, n * sizeof(*val));
	if (m->kind == Y_BAD)
		return -1;
	if (m->kind != Y_MAP) {
		err_at(c, m->line, m->col, "%s must be a mapping (key: value pairs), not %s", name,
		    kind_name(m));
		return -1;
	}
	for (i = 0; i + 1 < m->nkid; i += 2) {
		k = m->kid[i];
		if (k->kind != Y_SCALAR || is_null(k)) {
			if (k->kind != Y_BAD)
				err_at(c, k->line, k->col, "keys must be plain names%s", where);
			continue;
		}
		for (j = 0; j < n; j++)
			if (names[j] != NULL && strcmp(k->s, names[j]) == 0 && strlen(names[j]) == k->slen)
				break;
		if (j == n) {
			unknown_name(c, k, "key", where, names, n);
			continue;
		}
		if (key[j] != NULL) {
			err_at(c, k->line, k->col, "duplicate key '%s'%s (first given at line %d)",
			    names[j], where, key[j]->line);
			continue;
		}
		key[j] = k;
		val[j] = m->kid[i + 1];
	}
	return 0;
}

static int
need(struct ctx *c, const struct ynode *m, const struct ynode *v, const char *name,
    const char *where)
{
	if (v != NULL)
		return 0;
	err_at(c, m->line, m->col, "missing required key '%s'%s", name, where);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Names */

static int
name_ok(const char *s, size_t len, size_t max, const char *first, const char *rest)
{
	if (len == 0 || len > max || strlen(s) != len)
		return 0;
	if (first != NULL && strchr(first, s[0]) == NULL)
		return 0;
	return strspn(s, rest) == len;
}

#define LOWER_DIGITS	"abcdefghijklmnopqrstuvwxyz0123456789"

static int
id_ok(const char *s, size_t len)
{
	return name_ok(s, len, MAX_ID, NULL, LOWER_DIGITS "-");
}

/* An id/key/value scalar checked against its syntax. */
static int
get_name(struct ctx *c, const struct ynode *k, const struct ynode *v,
    int (*ok)(const char *, size_t), const char *rule, char **out)
{
	if (v == NULL)
		return 0;
	if (want_scalar(c, k, v, "a name") == -1)
		return -1;
	if (!ok(v->s, v->slen)) {
		err_at(c, v->line, v->col, "'%s' must be %s, not '%s'", k->s, rule,
		    quote(v->s, v->slen).s);
		return -1;
	}
	return keep_copy(c, v->s, out);
}

static int
key_ok(const char *s, size_t len)
{
	return name_ok(s, len, MAX_KEY, "abcdefghijklmnopqrstuvwxyz", LOWER_DIGITS "_");
}

static int
value_ok(const char *s, size_t len)
{
	return name_ok(s, len, MAX_VALUE, NULL, LOWER_DIGITS "_-");
}

/* ------------------------------------------------------------------ */
/* autocomplete: the HTML "autofill detail tokens" grammar, lower case only.
 * [section-*] [shipping|billing] (field | [home|work|mobile|fax|pager] contact) [webauthn],
 * or "on"/"off" alone. */

static const char *const ac_fields[] = {
	"name", "honorific-prefix", "given-name", "additional-name", "family-name",
	"honorific-suffix", "nickname", "username", "new-password", "current-password",
	"one-time-code", "organization-title", "organization", "street-address",
	"address-line1", "address-line2", "address-line3", "address-level4", "address-level3",
	"address-level2", "address-level1", "country", "country-name", "postal-code",
	"cc-name", "cc-given-name", "cc-additional-name", "cc-family-name", "cc-number",
	"cc-exp", "cc-exp-month", "cc-exp-year", "cc-csc", "cc-type", "transaction-currency",
	"transaction-amount", "language", "bday", "bday-day", "bday-month", "bday-year", "sex",
	"url", "photo",
};
static const char *const ac_contact[] = {
	"tel", "tel-country-code", "tel-national", "tel-area-code", "tel-local",
	"tel-local-prefix", "tel-local-suffix", "tel-extension", "email", "impp",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
in_list(const char *tok, size_t len, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], tok, len) == 0)
			return 1;
	return 0;
}

static int
is_tok(const char *t, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(t, word, len) == 0;
}

static int
autocomplete_ok(const char *s)
{
	const char	*tok[6];
	size_t		 len[6], n = 0, i = 0;
	const char	*p = s;

	while (*p != '\0') {
		if (n == NELEM(tok) || *p == ' ')
			return 0;
		tok[n] = p;
		len[n] = strcspn(p, " ");
		p += len[n++];
		if (*p == ' ' && *++p == '\0')
			return 0;
	}
	if (n == 1 && (is_tok(tok[0], len[0], "on") || is_tok(tok[0], len[0], "off")))
		return 1;
	if (i < n && len[i] > 8 && memcmp(tok[i], "section-", 8) == 0 &&
	    strspn(tok[i] + 8, LOWER_DIGITS "-") >= len[i] - 8)
		i++;
	if (i < n && (is_tok(tok[i], len[i], "shipping") || is_tok(tok[i], len[i], "billing")))
		i++;
	if (i < n && in_list(tok[i], len[i], ac_fields, NELEM(ac_fields)))
		i++;
	else {
		if (i < n && (is_tok(tok[i], len[i], "home") || is_tok(tok[i], len[i], "work") ||
		    is_tok(tok[i], len[i], "mobile") || is_tok(tok[i], len[i], "fax") ||
		    is_tok(tok[i], len[i], "pager")))
			i++;
		if (i == n || !in_list(tok[i], len[i], ac_contact, NELEM(ac_contact)))
			return 0;
		i++;
	}
	if (i < n && is_tok(tok[i], len[i], "webauthn"))
		i++;
	return i == n;
}

static int
get_autocomplete(struct ctx *c, const struct ynode *k, const struct ynode *v, char **out)
{
	const char *guess;

	if (get_str(c, k, v, REQUIRED, ONE_LINE, out) == -1 || *out == NULL)
		return v == NULL ? 0 : -1;
	if (autocomplete_ok(*out))
		return 0;
	if ((guess = suggest(*out, ac_fields, NELEM(ac_fields))) == NULL)
		guess = suggest(*out, ac_contact, NELEM(ac_contact));
	err_at(c, v->line, v->col, "unknown autocomplete token '%s'%s%s%s", quote(v->s, v->slen).s,
	    guess ? " (did you mean '" : " (see the HTML autocomplete list in forms/README.md)",
	    guess ? guess : "", guess ? "'?)" : "");
	free(*out);
	*out = NULL;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Field types */

static const char *const type_names[] = {
	[FT_TEXT] = "text", [FT_TEXTAREA] = "textarea", [FT_KANA] = "kana",
	[FT_POSTAL] = "postal", [FT_TEL] = "tel", [FT_EMAIL] = "email", [FT_DATE] = "date",
	[FT_NUMBER] = "number", [FT_RADIO] = "radio", [FT_SELECT] = "select",
	[FT_CHECKBOX] = "checkbox",
};

const char *
formdef_type_name(enum field_type t)
{
	if ((size_t)t >= NELEM(type_names))
		return "unknown";
	return type_names[t];
}

static int
is_choice_type(enum field_type t)
{
	return t == FT_RADIO || t == FT_SELECT || t == FT_CHECKBOX;
}

/* ------------------------------------------------------------------ */
/* Choices */

enum { C_VALUE, C_LABEL, C_N };
static const char *const choice_keys[C_N] = { [C_VALUE] = "value", [C_LABEL] = "label" };

static void
load_choice(struct ctx *c, const struct ynode *m, struct choice *ch)
{
	const struct ynode *key[C_N], *val[C_N];

	if (map_slots(c, m, "a choice", " in a choice", choice_keys, C_N, key, val) == -1)
		return;
	if (need(c, m, val[C_VALUE], "value", " in this choice") == 0)
		get_name(c, key[C_VALUE], val[C_VALUE], value_ok,
		    "1 to 32 of a-z, 0-9, '_' and '-'", &ch->value);
	if (need(c, m, val[C_LABEL], "label", " in this choice") == 0)
		get_str(c, key[C_LABEL], val[C_LABEL], REQUIRED, ONE_LINE, &ch->label);
}

static void
load_choices(struct ctx *c, const struct ynode *v, struct field *f)
{
	size_t i, j;

	if (v->kind == Y_BAD)
		return;
	if (v->kind != Y_SEQ || v->nkid == 0) {
		err_at(c, v->line, v->col, "'choices' must be a list of at least one choice "
		    "(- value: ... / label: ...), not %s", v->kind == Y_SEQ ? "an empty list" :
		    kind_name(v));
		return;
	}
	if (v->nkid > MAX_CHOICES) {
		err_at(c, v->kid[MAX_CHOICES]->line, v->kid[MAX_CHOICES]->col,
		    "too many choices (at most %d)", MAX_CHOICES);
		return;
	}
	if ((f->choices = calloc(v->nkid, sizeof(*f->choices))) == NULL) {
		c->oom = 1;
		return;
	}
	f->nchoices = v->nkid;
	for (i = 0; i < v->nkid; i++) {
		load_choice(c, v->kid[i], &f->choices[i]);
		for (j = 0; j < i && f->choices[i].value != NULL; j++)
			if (f->choices[j].value != NULL &&
			    strcmp(f->choices[i].value, f->choices[j].value) == 0)
				err_at(c, v->kid[i]->line, v->kid[i]->col,
				    "duplicate choice value '%s' (also choice %zu)",
				    f->choices[i].value, j + 1);
	}
}

/* ------------------------------------------------------------------ */
/* Fields */

enum {
	F_KEY, F_TYPE, F_LABEL, F_HELP, F_REQUIRED, F_MAXLENGTH, F_MIN, F_MAX, F_MIN_AGE,
	F_MAX_AGE, F_NOT_FUTURE, F_AUTOCOMPLETE, F_CHOICES, F_MAX_SELECT, F_SHOW_IF, F_SUMMARY,
	F_N
};
static const char *const field_keys[F_N] = {
	[F_KEY] = "key", [F_TYPE] = "type", [F_LABEL] = "label", [F_HELP] = "help",
	[F_REQUIRED] = "required", [F_MAXLENGTH] = "maxlength", [F_MIN] = "min", [F_MAX] = "max",
	[F_MIN_AGE] = "min_age", [F_MAX_AGE] = "max_age", [F_NOT_FUTURE] = "not_future",
	[F_AUTOCOMPLETE] = "autocomplete", [F_CHOICES] = "choices", [F_MAX_SELECT] = "max_select",
	[F_SHOW_IF] = "show_if", [F_SUMMARY] = "summary",
};

#define TM(t)		(1u << (t))
#define TEXTLIKE	(TM(FT_TEXT) | TM(FT_TEXTAREA) | TM(FT_KANA) | TM(FT_TEL) | TM(FT_EMAIL))
#define CHOICES		(TM(FT_RADIO) | TM(FT_SELECT) | TM(FT_CHECKBOX))

/* Keys that only make sense for some types. */
static const struct {
	int		 key;
	unsigned	 types;
	const char	*which;
} only_for[] = {
	{ F_MAXLENGTH,	TEXTLIKE,	"text, textarea, kana, tel and email" },
	{ F_MIN,	TM(FT_NUMBER),	"number" },
	{ F_MAX,	TM(FT_NUMBER),	"number" },
	{ F_MIN_AGE,	TM(FT_DATE),	"date" },
	{ F_MAX_AGE,	TM(FT_DATE),	"date" },
	{ F_NOT_FUTURE,	TM(FT_DATE),	"date" },
	{ F_CHOICES,	CHOICES,	"radio, select and checkbox" },
	{ F_MAX_SELECT,	TM(FT_CHECKBOX), "checkbox" },
};

static int
get_type(struct ctx *c, const struct ynode *k, const struct ynode *v, enum field_type *t)
{
	size_t i;

	if (want_scalar(c, k, v, "a field type") == -1)
		return -1;
	for (i = 0; i < NELEM(type_names); i++)
		if (strcmp(v->s, type_names[i]) == 0 && strlen(type_names[i]) == v->slen) {
			*t = (enum field_type)i;
			return 0;
		}
	unknown_name(c, v, "field type", "", type_names, NELEM(type_names));
	return -1;
}

/* Drops (and reports) keys the field's type does not use. */
static void
type_keys(struct ctx *c, enum field_type t, const struct ynode **key, const struct ynode **val)
{
	size_t i;

	for (i = 0; i < NELEM(only_for); i++) {
		if (key[only_for[i].key] == NULL || (only_for[i].types & TM(t)))
			continue;
		err_at(c, key[only_for[i].key]->line, key[only_for[i].key]->col,
		    "'%s' applies only to %s fields, not to a %s field",
		    field_keys[only_for[i].key], only_for[i].which, type_names[t]);
		key[only_for[i].key] = val[only_for[i].key] = NULL;
	}
}

static void
field_numbers(struct ctx *c, const struct ynode **key, const struct ynode **val, struct field *f)
{
	long	n = 0;
	int	ok_min, ok_max;

	if (val[F_MAXLENGTH] != NULL &&
	    get_long(c, key[F_MAXLENGTH], val[F_MAXLENGTH], 1, 2000, &n) == 0)
		f->maxlength = (size_t)n;
	ok_min = val[F_MIN] != NULL &&
	    get_long(c, key[F_MIN], val[F_MIN], -1000000000L, 1000000000L, &f->min) == 0;
	ok_max = val[F_MAX] != NULL &&
	    get_long(c, key[F_MAX], val[F_MAX], -1000000000L, 1000000000L, &f->max) == 0;
	f->has_min = ok_min;
	f->has_max = ok_max;
	if (ok_min && ok_max && f->min > f->max)
		err_at(c, val[F_MAX]->line, val[F_MAX]->col, "'max' (%ld) is less than 'min' (%ld)",
		    f->max, f->min);
	if (val[F_MAX_SELECT] != NULL &&
	    get_long(c, key[F_MAX_SELECT], val[F_MAX_SELECT], 1, MAX_CHOICES, &n) == 0) {
		f->max_select = (unsigned)n;
		if (f->nchoices > 0 && n > (long)f->nchoices)
			err_at(c, val[F_MAX_SELECT]->line, val[F_MAX_SELECT]->col,
			    "'max_select' (%ld) is more than the number of choices (%zu)",
			    n, f->nchoices);
	}
}

static void
field_dates(struct ctx *c, const struct ynode **key, const struct ynode **val, struct field *f)
{
	int ok_min, ok_max;

	ok_min = val[F_MIN_AGE] != NULL &&
	    get_int(c, key[F_MIN_AGE], val[F_MIN_AGE], 0, 150, &f->min_age) == 0;
	ok_max = val[F_MAX_AGE] != NULL &&
	    get_int(c, key[F_MAX_AGE], val[F_MAX_AGE], 0, 150, &f->max_age) == 0;
	if (ok_min && ok_max && f->min_age > f->max_age)
		err_at(c, val[F_MAX_AGE]->line, val[F_MAX_AGE]->col,
		    "'max_age' (%d) is less than 'min_age' (%d)", f->max_age, f->min_age);
	if (!c->has_event_date && (key[F_MIN_AGE] != NULL || key[F_MAX_AGE] != NULL)) {
		const struct ynode *k = key[F_MIN_AGE] ? key[F_MIN_AGE] : key[F_MAX_AGE];

		err_at(c, k->line, k->col, "'%s' needs the procedure's 'event_date' "
		    "(ages are counted on that day)", k->s);
	}
	get_bool(c, key[F_NOT_FUTURE], val[F_NOT_FUTURE], &f->not_future);
}

/* Returns whether the type is known, which later show_if checks rely on. */
static int
load_field(struct ctx *c, const struct ynode *m, struct field *f, const struct ynode **show_if)
{
	const struct ynode	*key[F_N], *val[F_N];
	int			 typed = 0;

	f->line = m->line;
	f->column = m->col;
	if (map_slots(c, m, "a field", " in a field", field_keys, F_N, key, val) == -1)
		return 0;
	if (need(c, m, val[F_KEY], "key", " in this field") == 0)
		get_name(c, key[F_KEY], val[F_KEY], key_ok,
		    "a lower-case letter then up to 31 of a-z, 0-9 and '_'", &f->key);
	if (need(c, m, val[F_TYPE], "type", " in this field") == 0)
		typed = get_type(c, key[F_TYPE], val[F_TYPE], &f->type) == 0;
	if (need(c, m, val[F_LABEL], "label", " in this field") == 0)
		get_str(c, key[F_LABEL], val[F_LABEL], REQUIRED, ONE_LINE, &f->label);
	get_str(c, key[F_HELP], val[F_HELP], OPTIONAL, MULTI_LINE, &f->help);
	get_bool(c, key[F_REQUIRED], val[F_REQUIRED], &f->required);
	get_bool(c, key[F_SUMMARY], val[F_SUMMARY], &f->summary);
	get_autocomplete(c, key[F_AUTOCOMPLETE], val[F_AUTOCOMPLETE], &f->autocomplete);
	if (!typed)
		return 0;	/* the type-specific keys cannot be judged */
	type_keys(c, f->type, key, val);
	if (is_choice_type(f->type) && need(c, m, val[F_CHOICES], "choices",
	    f->type == FT_RADIO ? " for a radio field" : f->type == FT_SELECT ?
	    " for a select field" : " for a checkbox field") == 0)
		load_choices(c, val[F_CHOICES], f);
	field_numbers(c, key, val, f);
	field_dates(c, key, val, f);
	*show_if = val[F_SHOW_IF];
	return 1;
}

enum { S_FIELD, S_VALUE, S_N };
static const char *const show_if_keys[S_N] = { [S_FIELD] = "field", [S_VALUE] = "value" };

static const struct field *
field_by_key(const struct procedure *p, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p->fields[i].key != NULL && strcmp(p->fields[i].key, key) == 0)
			return &p->fields[i];
	return NULL;
}

static int
has_choice(const struct field *f, const char *value)
{
	size_t i;

	for (i = 0; i < f->nchoices; i++)
		if (f->choices[i].value != NULL && strcmp(f->choices[i].value, value) == 0)
			return 1;
	return 0;
}

/* show_if is checked once every field is loaded, to tell "later" from "unknown". */
static void
load_show_if(struct ctx *c, struct procedure *p, size_t idx, const struct ynode *m,
    const unsigned char *typed)
{
	const struct ynode	*key[S_N], *val[S_N];
	const struct field	*target;
	struct field		*f = &p->fields[idx];

	if (map_slots(c, m, "'show_if'", " in show_if", show_if_keys, S_N, key, val) == -1)
		return;
	if (need(c, m, val[S_FIELD], "field", " in show_if") == -1 ||
	    need(c, m, val[S_VALUE], "value", " in show_if") == -1 ||
	    get_name(c, key[S_FIELD], val[S_FIELD], key_ok, "a field key", &f->show_if_field) ||
	    get_name(c, key[S_VALUE], val[S_VALUE], value_ok, "a choice value", &f->show_if_value))
		return;
	if ((target = field_by_key(p, p->nfields, f->show_if_field)) == NULL)
		err_at(c, val[S_FIELD]->line, val[S_FIELD]->col,
		    "show_if refers to unknown field '%s'", f->show_if_field);
	else if (target >= f)
		err_at(c, val[S_FIELD]->line, val[S_FIELD]->col,
		    "show_if must refer to a field defined earlier; '%s' %s", f->show_if_field,
		    target == f ? "is this field itself" : "comes later");
	else if (!typed[target - p->fields]) {
		/* its own error is already reported */
	} else if (!is_choice_type(target->type))
		err_at(c, val[S_FIELD]->line, val[S_FIELD]->col,
		    "show_if field '%s' is a %s field; it must be radio, select or checkbox",
		    f->show_if_field, type_names[target->type]);
	else if (target->nchoices > 0 && !has_choice(target, f->show_if_value))
		err_at(c, val[S_VALUE]->line, val[S_VALUE]->col,
		    "show_if value '%s' is not one of the choices of '%s'", f->show_if_value,
		    f->show_if_field);
	else
		return;
	free(f->show_if_field);
	free(f->show_if_value);
	f->show_if_field = f->show_if_value = NULL;
}

static void
load_fields(struct ctx *c, const struct ynode *v, struct procedure *p)
{
	const struct ynode	**show_if;
	const struct field	 *first;
	unsigned char		 *typed;
	size_t			  i;

	if (v->kind == Y_BAD)
		return;
	if (v->kind != Y_SEQ || v->nkid == 0) {
		err_at(c, v->line, v->col, "'fields' must be a list of at least one field "
		    "(- key: ...), not %s", v->kind == Y_SEQ ? "an empty list" : kind_name(v));
		return;
	}
	if (v->nkid > MAX_FIELDS) {
		err_at(c, v->kid[MAX_FIELDS]->line, v->kid[MAX_FIELDS]->col,
		    "too many fields (at most %d)", MAX_FIELDS);
		return;
	}
	p->fields = calloc(v->nkid, sizeof(*p->fields));
	show_if = calloc(v->nkid, sizeof(*show_if));
	typed = calloc(v->nkid, 1);
	if (p->fields == NULL || show_if == NULL || typed == NULL) {
		free(show_if);
		free(typed);
		c->oom = 1;
		return;
	}
	p->nfields = v->nkid;
	for (i = 0; i < v->nkid; i++) {
		typed[i] = (unsigned char)load_field(c, v->kid[i], &p->fields[i], &show_if[i]);
		if (p->fields[i].key != NULL &&
		    (first = field_by_key(p, i, p->fields[i].key)) != NULL)
			err_at(c, v->kid[i]->line, v->kid[i]->col,
			    "duplicate field key '%s' (first defined at line %d)", first->key,
			    first->line);
	}
	for (i = 0; i < v->nkid; i++)
		if (show_if[i] != NULL)
			load_show_if(c, p, i, show_if[i], typed);
	free(show_if);
	free(typed);
}

/* ------------------------------------------------------------------ */
/* Mail texts */

enum { M_ARRIVAL, M_ACCEPTANCE, M_RETURN, M_N };
static const char *const mail_keys[M_N] = {
	[M_ARRIVAL] = "arrival", [M_ACCEPTANCE] = "acceptance", [M_RETURN] = "return",
};
enum { T_SUBJECT, T_BODY, T_N };
static const char *const text_keys[T_N] = { [T_SUBJECT] = "subject", [T_BODY] = "body" };

static void
load_mailtext(struct ctx *c, const struct ynode *k, const struct ynode *m, struct mailtext *t)
{
	const struct ynode	*key[T_N], *val[T_N];
	char			 name[64], where[64];

	snprintf(name, sizeof(name), "'mail.%s'", k->s);
	snprintf(where, sizeof(where), " in mail.%s", k->s);
	if (map_slots(c, m, name, where, text_keys, T_N, key, val) == -1)
		return;
	if (need(c, m, val[T_SUBJECT], "subject", where) == 0)
		get_str(c, key[T_SUBJECT], val[T_SUBJECT], REQUIRED, ONE_LINE, &t->subject);
	if (need(c, m, val[T_BODY], "body", where) == 0)
		get_str(c, key[T_BODY], val[T_BODY], REQUIRED, MULTI_LINE, &t->body);
}

static void
load_mail(struct ctx *c, const struct ynode *m, struct procedure *p)
{
	const struct ynode	*key[M_N], *val[M_N];
	struct mailtext		*t[M_N] = { &p->mail_arrival, &p->mail_acceptance, &p->mail_return };
	size_t			 i;

	if (map_slots(c, m, "'mail'", " in mail", mail_keys, M_N, key, val) == -1)
		return;
	for (i = 0; i < M_N; i++)
		if (val[i] != NULL)
			load_mailtext(c, key[i], val[i], t[i]);
}

/* ------------------------------------------------------------------ */
/* The procedure */

enum {
	K_ID, K_TITLE, K_SECTION, K_DESCRIPTION, K_OPENS_AT, K_CLOSES_AT, K_EVENT_DATE,
	K_CAPACITY, K_LOTTERY, K_RETENTION_DAYS, K_CONTACT, K_COMPLETE_MESSAGE, K_MAIL,
	K_FIELDS, K_N
};
static const char *const top_keys[K_N] = {
	[K_ID] = "id", [K_TITLE] = "title", [K_SECTION] = "section",
	[K_DESCRIPTION] = "description", [K_OPENS_AT] = "opens_at", [K_CLOSES_AT] = "closes_at",
	[K_EVENT_DATE] = "event_date", [K_CAPACITY] = "capacity", [K_LOTTERY] = "lottery",
	[K_RETENTION_DAYS] = "retention_days", [K_CONTACT] = "contact",
	[K_COMPLETE_MESSAGE] = "complete_message", [K_MAIL] = "mail", [K_FIELDS] = "fields",
};
static const int top_required[] = {
	K_ID, K_TITLE, K_SECTION, K_OPENS_AT, K_RETENTION_DAYS, K_CONTACT, K_FIELDS,
};

/* The file name without directories and without ".yaml". */
static void
stem(const char *path, const char **s, size_t *len)
{
	const char *slash = strrchr(path, '/');

	*s = slash ? slash + 1 : path;
	*len = strlen(*s);
	if (*len > 5 && strcmp(*s + *len - 5, ".yaml") == 0)
		*len -= 5;
}

static void
load_id(struct ctx *c, const struct ynode *k, const struct ynode *v, struct procedure *p)
{
	const char	*s;
	size_t		 len;

	if (get_name(c, k, v, id_ok, "1 to 40 of a-z, 0-9 and '-'", &p->id) == -1 || p->id == NULL)
		return;
	stem(c->path, &s, &len);
	if (strlen(p->id) != len || memcmp(p->id, s, len) != 0)
		err_at(c, v->line, v->col, "id '%s' does not match the file name (expected '%s.yaml')",
		    p->id, quote(s, len).s);
}

static void
load_section(struct ctx *c, const struct ynode *k, const struct ynode *v, struct procedure *p,
    formdef_section_fn known, void *arg)
{
	if (get_name(c, k, v, id_ok, "a section id (a-z, 0-9 and '-')", &p->section) == -1 ||
	    p->section == NULL || known == NULL)
		return;
	if (known(p->section, arg) != 1)
		err_at(c, v->line, v->col, "unknown section '%s' (sections are created with formctl)",
		    p->section);
}

static void
load_schedule(struct ctx *c, const struct ynode **key, const struct ynode **val,
    struct procedure *p)
{
	int ok_open, ok_close;

	ok_open = val[K_OPENS_AT] != NULL && get_time(c, key[K_OPENS_AT], val[K_OPENS_AT],
	    &p->opens_at) == 0;
	ok_close = val[K_CLOSES_AT] != NULL && !is_null(val[K_CLOSES_AT]) &&
	    get_time(c, key[K_CLOSES_AT], val[K_CLOSES_AT], &p->closes_at) == 0;
	if (ok_open && ok_close && p->closes_at <= p->opens_at)
		err_at(c, val[K_CLOSES_AT]->line, val[K_CLOSES_AT]->col,
		    "'closes_at' must be after 'opens_at'");
	c->has_event_date = val[K_EVENT_DATE] != NULL;
	get_date(c, key[K_EVENT_DATE], val[K_EVENT_DATE], &p->event_y, &p->event_m, &p->event_d);
}

static void
load_options(struct ctx *c, const struct ynode **key, const struct ynode **val, struct procedure *p)
{
	get_long(c, key[K_CAPACITY], val[K_CAPACITY], 1, 1000000, &p->capacity);
	if (get_bool(c, key[K_LOTTERY], val[K_LOTTERY], &p->lottery) == 0 && p->lottery &&
	    val[K_CAPACITY] == NULL)
		err_at(c, key[K_LOTTERY]->line, key[K_LOTTERY]->col,
		    "'lottery: true' needs 'capacity' (the number of places to draw)");
	get_int(c, key[K_RETENTION_DAYS], val[K_RETENTION_DAYS], 1, 3650, &p->retention_days);
}

static void
load_top(struct ctx *c, const struct ynode *root, struct procedure *p, formdef_section_fn known,
    void *arg)
{
	const struct ynode	*key[K_N], *val[K_N];
	size_t			 i;

	if (root->kind != Y_MAP) {
		if (root->kind != Y_BAD)
			err_at(c, root->line, root->col, "the file must be a mapping of keys "
			    "(id: ..., title: ..., fields: ...), not %s", kind_name(root));
		return;
	}
	map_slots(c, root, "the file", " at the top level", top_keys, K_N, key, val);
	for (i = 0; i < NELEM(top_required); i++)
		need(c, root, val[top_required[i]], top_keys[top_required[i]], "");
	load_id(c, key[K_ID], val[K_ID], p);
	get_str(c, key[K_TITLE], val[K_TITLE], REQUIRED, ONE_LINE, &p->title);
	load_section(c, key[K_SECTION], val[K_SECTION], p, known, arg);
	get_str(c, key[K_DESCRIPTION], val[K_DESCRIPTION], OPTIONAL, MULTI_LINE, &p->description);
	load_schedule(c, key, val, p);
	load_options(c, key, val, p);
	get_str(c, key[K_CONTACT], val[K_CONTACT], REQUIRED, MULTI_LINE, &p->contact);
	get_str(c, key[K_COMPLETE_MESSAGE], val[K_COMPLETE_MESSAGE], OPTIONAL, MULTI_LINE,
	    &p->complete_message);
	if (val[K_MAIL] != NULL && !is_null(val[K_MAIL]))
		load_mail(c, val[K_MAIL], p);
	if (val[K_FIELDS] != NULL)
		load_fields(c, val[K_FIELDS], p);
}

/* ------------------------------------------------------------------ */
/* Entry points */

static int
hash_hex(const char *data, size_t len, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	if (sodium_init() < 0 || crypto_hash_sha256(h, (const unsigned char *)data, len) != 0)
		return -1;
	sodium_bin2hex(hex, 65, h, sizeof(h));
	return 0;
}

/* Refusals that come before YAML parsing: size, encoding, emptiness. */
static int
precheck(struct ctx *c, const char *data, size_t len)
{
	const uint8_t	*bad;
	int		 line, col;

	if (len > MAX_FILE) {
		err_at(c, 1, 1, "file is larger than %d KiB", MAX_FILE / 1024);
		return -1;
	}
	if ((bad = u8_check((const uint8_t *)data, len)) != NULL) {
		offset_mark(data, len, (size_t)(bad - (const uint8_t *)data), &line, &col);
		err_at(c, line, col, "invalid UTF-8 (save the file as UTF-8)");
		return -1;
	}
	if (len == 0) {
		err_at(c, 1, 1, "file is empty");
		return -1;
	}
	return 0;
}

static struct procedure *
load(struct ctx *c, const char *data, size_t len, formdef_section_fn known, void *arg)
{
	struct procedure	*p;
	struct ynode		*root;
	int			 empty;

	if (precheck(c, data, len) == -1)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->path = strdup(c->path)) == NULL ||
	    hash_hex(data, len, p->hash) == -1) {
		c->oom = 1;
		return p;
	}
	/* libyaml only skips a byte order mark when it guesses the encoding
	 * itself, and it must not guess: the input is UTF-8 or refused. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	root = yaml_tree(c, data, len, &empty);
	if (root != NULL && is_null(root))
		empty = 1;
	if (empty)
		err_at(c, 1, 1, "file is empty (no YAML content)");
	else if (root != NULL)
		load_top(c, root, p, known, arg);
	ynode_free(root);
	return p;
}

struct procedure *
formdef_load_mem(const char *path, const char *data, size_t len, formdef_section_fn known_section,
    void *arg, struct buf *errs)
{
	struct ctx		 c;
	struct procedure	*p;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.errs = errs;
	p = load(&c, data, len, known_section, arg);
	if (c.oom) {
		c.nerr = 0;	/* always say why, even past the error limit */
		err_at(&c, 1, 1, "out of memory");
	}
	if (p == NULL || c.nerr > 0) {
		formdef_free(p);
		return NULL;
	}
	return p;
}

/* Reads at most MAX_FILE + 1 bytes, so that a file growing meanwhile is still caught. */
static int
read_file(int fd, struct buf *b)
{
	unsigned char	*dst;
	ssize_t		 n;
	size_t		 chunk = 65536;

	for (;;) {
		if ((dst = buf_append_space(b, chunk)) == NULL)
			return -1;
		b->len -= chunk;
		n = read(fd, dst, chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if (n == 0 || b->len > MAX_FILE)
			return 0;
	}
}

struct procedure *
formdef_load_file(const char *path, formdef_section_fn known_section, void *arg, struct buf *errs)
{
	struct procedure	*p = NULL;
	struct buf		 b;
	struct stat		 st;
	int			 fd;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: not a regular file\n", path);
	} else if (st.st_size > MAX_FILE) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: file is larger than %d KiB\n", path, MAX_FILE / 1024);
	} else if (read_file(fd, &b) == -1) {
		if (errs != NULL)
			buf_printf(errs, "%s:1:1: cannot read: %s\n", path,
			    b.oom ? "out of memory" : strerror(errno));
	} else
		p = formdef_load_mem(path, b.data ? b.data : "", b.len, known_section, arg, errs);
	close(fd);
	buf_free(&b);
	return p;
}

static void
field_free(struct field *f)
{
	size_t i;

	for (i = 0; i < f->nchoices; i++) {
		free(f->choices[i].value);
		free(f->choices[i].label);
	}
	free(f->choices);
	free(f->key);
	free(f->label);
	free(f->help);
	free(f->autocomplete);
	free(f->show_if_field);
	free(f->show_if_value);
}

void
formdef_free(struct procedure *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfields; i++)
		field_free(&p->fields[i]);
	free(p->fields);
	free(p->id);
	free(p->title);
	free(p->section);
	free(p->description);
	free(p->contact);
	free(p->complete_message);
	free(p->mail_arrival.subject);
	free(p->mail_arrival.body);
	free(p->mail_acceptance.subject);
	free(p->mail_acceptance.body);
	free(p->mail_return.subject);
	free(p->mail_return.body);
	free(p->path);
	free(p);
}

const struct field *
formdef_field(const struct procedure *p, const char *key)
{
	return field_by_key(p, p->nfields, key);
}

int
formdef_state(const struct procedure *p, time_t now)
{
	if (now < p->opens_at)
		return -1;
	if (p->closes_at != 0 && now >= p->closes_at)
		return 1;
	return 0;
}
