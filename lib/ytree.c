#include "ytree.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <yaml.h>

#include "jnorm.h"
#include "jst.h"

/* Appends are not checked one by one: a buffer that fails stays failed
 * (out->oom), which the caller can see, and the error count is kept anyway. */
void
ytree_err(struct ytree_errs *e, int line, int col, const char *fmt, ...)
{
	va_list ap;

	e->n++;
	if (e->out == NULL || e->n > YTREE_MAX_ERRORS + 1)
		return;
	if (e->n == YTREE_MAX_ERRORS + 1) {
		buf_printf(e->out, "%s:%d:%d: too many errors, giving up on this file\n",
		    e->path, line, col);
		return;
	}
	buf_printf(e->out, "%s:%d:%d: ", e->path, line, col);
	va_start(ap, fmt);
	buf_vprintf(e->out, fmt, ap);
	va_end(ap);
	buf_putc(e->out, '\n');
}

struct ytree_quoted
ytree_quote(const char *s, size_t len)
{
	struct ytree_quoted	 q;
	size_t			 i = 0, o = 0;
	ucs4_t			 uc;
	int			 n;

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
/* The tree */

void
ytree_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		ytree_free(n->kid[i]);
	free(n->kid);
	free(n->s);
	free(n);
}

static struct ynode *
ynode_new(struct ytree_errs *e, enum ytree_kind kind, yaml_mark_t m)
{
	struct ynode *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		e->oom = 1;
		return NULL;
	}
	n->kind = kind;
	n->line = (int)m.line + 1;
	n->col = (int)m.column + 1;
	return n;
}

static int
ynode_add(struct ytree_errs *e, struct ynode *parent, struct ynode *n)
{
	struct ynode **k;

	if ((k = buf_grow_array(parent->kid, parent->nkid, &parent->capkid, sizeof(*k), 8)) == NULL) {
		e->oom = 1;
		return -1;
	}
	parent->kid = k;
	parent->kid[parent->nkid++] = n;
	return 0;
}

/* libyaml counts lines and columns itself except for reader errors, which
 * carry a byte offset: convert it the way libyaml would (characters, with
 * CR LF, CR, LF, NEL, LS and PS as line breaks). */
void
ytree_position(const char *data, size_t len, size_t off, int *line, int *col)
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
yaml_error(struct ytree_errs *e, const yaml_parser_t *p, const char *data, size_t len)
{
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		e->oom = 1;
		break;
	case YAML_READER_ERROR:
		ytree_position(data, len, p->problem_offset, &line, &col);
		ytree_err(e, line, col, "YAML syntax error: %s", p->problem ? p->problem : "unreadable input");
		break;
	default:
		if (p->context != NULL)
			ytree_err(e, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
			    "YAML syntax error: %s (%s at line %d column %d)",
			    p->problem ? p->problem : "unexpected input", p->context,
			    (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
		else
			ytree_err(e, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
			    "YAML syntax error: %s", p->problem ? p->problem : "unexpected input");
		break;
	}
}

struct builder {
	struct ynode	*root;
	struct ynode	*stack[YTREE_MAX_DEPTH];
	size_t		 depth;
	int		 docs;
	int		 fatal;
	int		 done;
};

/* Anchors and tags are reported but the node is kept, so the rest of the
 * file is still checked. */
static void
check_props(struct ytree_errs *e, const yaml_char_t *anchor, const yaml_char_t *tag, yaml_mark_t m)
{
	if (anchor != NULL)
		ytree_err(e, (int)m.line + 1, (int)m.column + 1,
		    "YAML anchors (&%s) are not allowed; write the value out in full",
		    ytree_quote((const char *)anchor, strlen((const char *)anchor)).s);
	if (tag != NULL)
		ytree_err(e, (int)m.line + 1, (int)m.column + 1,
		    "YAML tags (%s) are not allowed",
		    ytree_quote((const char *)tag, strlen((const char *)tag)).s);
}

static int
attach(struct ytree_errs *e, struct builder *b, struct ynode *n)
{
	if (n == NULL)
		return -1;
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	if (ynode_add(e, b->stack[b->depth - 1], n) == -1) {
		ytree_free(n);
		return -1;
	}
	return 0;
}

static struct ynode *
scalar_node(struct ytree_errs *e, const yaml_event_t *ev)
{
	struct ynode	*n;
	size_t		 len = ev->data.scalar.length;

	if ((n = ynode_new(e, Y_SCALAR, ev->start_mark)) == NULL)
		return NULL;
	if ((n->s = malloc(len + 1)) == NULL) {
		e->oom = 1;
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
open_node(struct ytree_errs *e, struct builder *b, enum ytree_kind kind, yaml_mark_t m)
{
	struct ynode *n;

	if (b->depth == YTREE_MAX_DEPTH) {
		ytree_err(e, (int)m.line + 1, (int)m.column + 1, "nested too deeply (more than %d levels)",
		    YTREE_MAX_DEPTH);
		return -1;
	}
	if (attach(e, b, n = ynode_new(e, kind, m)) == -1)
		return -1;
	b->stack[b->depth++] = n;
	return 0;
}

static int
on_event(struct ytree_errs *e, struct builder *b, const yaml_event_t *ev)
{
	yaml_mark_t m = ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		b->done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			ytree_err(e, (int)m.line + 1, (int)m.column + 1,
			    "only one YAML document is allowed in a file");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		ytree_err(e, (int)m.line + 1, (int)m.column + 1,
		    "YAML aliases (*%s) are not allowed; write the value out in full",
		    ytree_quote((const char *)ev->data.alias.anchor,
		    strlen((const char *)ev->data.alias.anchor)).s);
		return attach(e, b, ynode_new(e, Y_BAD, m));
	case YAML_SCALAR_EVENT:
		check_props(e, ev->data.scalar.anchor, ev->data.scalar.tag, m);
		return attach(e, b, scalar_node(e, ev));
	case YAML_SEQUENCE_START_EVENT:
		check_props(e, ev->data.sequence_start.anchor, ev->data.sequence_start.tag, m);
		return open_node(e, b, Y_SEQ, m);
	case YAML_MAPPING_START_EVENT:
		check_props(e, ev->data.mapping_start.anchor, ev->data.mapping_start.tag, m);
		return open_node(e, b, Y_MAP, m);
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
struct ynode *
ytree_parse(struct ytree_errs *e, const char *data, size_t len, int *empty)
{
	yaml_parser_t	parser;
	yaml_event_t	ev;
	struct builder	b;
	int		rc;

	memset(&b, 0, sizeof(b));
	*empty = 0;
	if (!yaml_parser_initialize(&parser)) {
		e->oom = 1;
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!b.done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_error(e, &parser, data, len);
			b.fatal = 1;
			break;
		}
		rc = on_event(e, &b, &ev);
		yaml_event_delete(&ev);
		if (rc == -1) {
			b.fatal = 1;
			break;
		}
	}
	yaml_parser_delete(&parser);
	if (b.fatal) {
		ytree_free(b.root);
		return NULL;
	}
	*empty = b.root == NULL;
	return b.root;
}

/* ------------------------------------------------------------------ */
/* Scalars */

int
ytree_is_null(const struct ynode *n)
{
	if (n->kind != Y_SCALAR || !n->plain)
		return 0;
	return n->slen == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
	    strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

const char *
ytree_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case Y_SEQ:	return "a sequence (list)";
	case Y_MAP:	return "a mapping (key: value pairs)";
	default:	return ytree_is_null(n) ? "empty" : "a single value";
	}
}

int
ytree_want_scalar(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, const char *what)
{
	if (v->kind == Y_BAD)
		return -1;
	if (v->kind != Y_SCALAR) {
		ytree_err(e, v->line, v->col, "'%s' must be %s, not %s", k->s, what, ytree_kind_name(v));
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

int
ytree_copy(struct ytree_errs *e, const char *s, char **out)
{
	if ((*out = strdup(s)) == NULL) {
		e->oom = 1;
		return -1;
	}
	return 0;
}

int
ytree_str(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int required, int multiline,
    char **out)
{
	if (v == NULL)
		return 0;
	if (ytree_want_scalar(e, k, v, "text") == -1)
		return -1;
	if (ytree_is_null(v) || v->slen == 0) {
		if (!required)
			return 0;
		ytree_err(e, v->line, v->col, "'%s' must not be empty", k->s);
		return -1;
	}
	if (!text_ok(v->s, v->slen, multiline)) {
		ytree_err(e, v->line, v->col, "'%s' contains a control character%s", k->s,
		    multiline ? "" : " or line break (use one line)");
		return -1;
	}
	return ytree_copy(e, v->s, out);
}

int
ytree_bool(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int *out)
{
	if (v == NULL)
		return 0;
	if (ytree_want_scalar(e, k, v, "true or false") == -1)
		return -1;
	if (v->plain && strcmp(v->s, "true") == 0)
		*out = 1;
	else if (v->plain && strcmp(v->s, "false") == 0)
		*out = 0;
	else {
		ytree_err(e, v->line, v->col, "'%s' must be true or false (lower case, no quotes), not '%s'",
		    k->s, ytree_quote(v->s, v->slen).s);
		return -1;
	}
	return 0;
}

/* Plain decimal only: YAML 1.1 would also read 0x1F, 0o17, 1_000 and
 * 1e3, which an admin would not mean in a form definition. */
int
ytree_long(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, long lo, long hi, long *out)
{
	const char	*s;
	long		 n = 0;
	int		 neg;

	if (v == NULL)
		return 0;
	if (ytree_want_scalar(e, k, v, "a whole number") == -1)
		return -1;
	s = v->s;
	neg = *s == '-';
	s += neg;
	if (!v->plain || *s == '\0' || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 12 || strlen(s) != v->slen - (size_t)neg) {
		ytree_err(e, v->line, v->col, "'%s' must be a whole number, not '%s'", k->s,
		    ytree_quote(v->s, v->slen).s);
		return -1;
	}
	for (; *s != '\0'; s++)
		n = n * 10 + (*s - '0');
	if (neg)
		n = -n;
	if (n < lo || n > hi) {
		ytree_err(e, v->line, v->col, "'%s' must be between %ld and %ld, not %ld", k->s, lo, hi, n);
		return -1;
	}
	*out = n;
	return 0;
}

int
ytree_int(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int lo, int hi, int *out)
{
	long n;

	if (v == NULL || ytree_long(e, k, v, lo, hi, &n) == -1)
		return v == NULL ? 0 : -1;
	*out = (int)n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dates and times: read by jnorm's one reader of written dates */

/* The message for a refused date; NULL when it is one (1970 or later, as everything here is). */
static const char *
date_problem(enum jn_date_why why, const struct jn_date *d)
{
	if (why == JN_DATE_SHAPE)
		return "";
	if (d->y < 1970)
		return "the year must be 1970 or later";
	switch (why) {
	case JN_DATE_MONTH:	return "there is no such month";
	case JN_DATE_DAY:	return "there is no such day in that month";
	case JN_DATE_HOUR:	return "the hour must be 00 to 23";
	case JN_DATE_MINUTE:	return "the minute must be 00 to 59";
	default:		return NULL;
	}
}

int
ytree_date(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int *y, int *m, int *d)
{
	struct jn_date	 dt = { 0, 0, 0 };
	const char	*why;

	if (v == NULL)
		return 0;
	if (ytree_want_scalar(e, k, v, "a date like 2027-03-12") == -1)
		return -1;
	if ((why = date_problem(jn_date_scan(v->s, v->slen, &dt, NULL, NULL), &dt)) == NULL) {
		*y = dt.y;
		*m = dt.m;
		*d = dt.d;
		return 0;
	}
	if (*why == '\0')
		ytree_err(e, v->line, v->col, "'%s' must be a date like 2027-03-12, not '%s'",
		    k->s, ytree_quote(v->s, v->slen).s);
	else
		ytree_err(e, v->line, v->col, "'%s': '%s' is not a valid date: %s", k->s,
		    ytree_quote(v->s, v->slen).s, why);
	*y = *m = *d = 0;
	return -1;
}

/* JST wall-clock: JST is UTC+9 all year. */
int
ytree_time(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, time_t *out)
{
	struct jn_date	 dt = { 0, 0, 0 };
	const char	*why;
	int		 hh = 0, mm = 0;

	if (v == NULL)
		return 0;
	if (ytree_want_scalar(e, k, v, "a date and time like 2026-04-01 09:00") == -1)
		return -1;
	if ((why = date_problem(jn_date_scan(v->s, v->slen, &dt, &hh, &mm), &dt)) == NULL) {
		*out = jst_time(dt.y, dt.m, dt.d, hh, mm);
		return 0;
	}
	if (*why == '\0')
		ytree_err(e, v->line, v->col,
		    "'%s' must be a date and time like 2026-04-01 09:00 (JST), not '%s'",
		    k->s, ytree_quote(v->s, v->slen).s);
	else
		ytree_err(e, v->line, v->col, "'%s': '%s' is not a valid date and time: %s", k->s,
		    ytree_quote(v->s, v->slen).s, why);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Mappings */

/* Levenshtein distance, to suggest the key an admin probably meant. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	row[YTREE_MAX_NAME + 1], i, j, diag, up, la = strlen(a), lb = strlen(b);

	if (la > YTREE_MAX_NAME || lb > YTREE_MAX_NAME)
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

const char *
ytree_suggest(const char *s, const char *const *names, size_t n)
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

void
ytree_unknown(struct ytree_errs *e, const struct ynode *at, const char *what, const char *where,
    const char *const *names, size_t n)
{
	struct buf	 known;
	const char	*guess = ytree_suggest(at->s, names, n);

	if (guess != NULL) {
		ytree_err(e, at->line, at->col, "unknown %s '%s'%s (did you mean '%s'?)", what,
		    ytree_quote(at->s, at->slen).s, where, guess);
		return;
	}
	buf_init(&known);
	list_names(&known, names, n);
	if (known.oom)
		e->oom = 1;
	ytree_err(e, at->line, at->col, "unknown %s '%s'%s; known: %s", what,
	    ytree_quote(at->s, at->slen).s, where, buf_cstr(&known));
	buf_free(&known);
}

/*
 * Sort a mapping's pairs into slots by key name: key[i]/val[i] for names[i],
 * NULL when absent.  Unknown and repeated keys are reported here.  Returns
 * -1 when m is not a mapping (reported as "name must be a mapping").
 */
int
ytree_slots(struct ytree_errs *e, const struct ynode *m, const char *name, const char *where,
    const char *const *names, size_t n, const struct ynode **key, const struct ynode **val)
{
	const struct ynode	*k;
	size_t			 i, j;

	memset(key, 0, n * sizeof(*key));
	memset(val, 0, n * sizeof(*val));
	if (m->kind == Y_BAD)
		return -1;
	if (m->kind != Y_MAP) {
		ytree_err(e, m->line, m->col, "%s must be a mapping (key: value pairs), not %s", name,
		    ytree_kind_name(m));
		return -1;
	}
	for (i = 0; i + 1 < m->nkid; i += 2) {
		k = m->kid[i];
		if (k->kind != Y_SCALAR || ytree_is_null(k)) {
			if (k->kind != Y_BAD)
				ytree_err(e, k->line, k->col, "keys must be plain names%s", where);
			continue;
		}
		for (j = 0; j < n; j++)
			if (names[j] != NULL && strcmp(k->s, names[j]) == 0 && strlen(names[j]) == k->slen)
				break;
		if (j == n) {
			ytree_unknown(e, k, "key", where, names, n);
			continue;
		}
		if (key[j] != NULL) {
			ytree_err(e, k->line, k->col, "duplicate key '%s'%s (first given at line %d)",
			    names[j], where, key[j]->line);
			continue;
		}
		key[j] = k;
		val[j] = m->kid[i + 1];
	}
	return 0;
}

int
ytree_need(struct ytree_errs *e, const struct ynode *m, const struct ynode *v, const char *name,
    const char *where)
{
	if (v != NULL)
		return 0;
	ytree_err(e, m->line, m->col, "missing required key '%s'%s", name, where);
	return -1;
}

int
ytree_name(struct ytree_errs *e, const struct ynode *k, const struct ynode *v,
    int (*ok)(const char *, size_t), const char *rule, char **out)
{
	if (v == NULL)
		return 0;
	if (ytree_want_scalar(e, k, v, "a name") == -1)
		return -1;
	if (!ok(v->s, v->slen)) {
		ytree_err(e, v->line, v->col, "'%s' must be %s, not '%s'", k->s, rule,
		    ytree_quote(v->s, v->slen).s);
		return -1;
	}
	return ytree_copy(e, v->s, out);
}
