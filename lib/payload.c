#include "payload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH	16	/* json-c refuses beyond 32; deeper than this is declined */
#define MAX_DIGITS	18	/* an integer of up to 18 digits fits json-c's int64 whatever it is */

/*
 * The reader decodes every string into p->text, which holds as many bytes
 * as the JSON text: a decoded string and its NUL never take more room than
 * the string and its two quotes did, so writing through `out` never passes
 * the end and p->text never moves while the answers point into it.
 */
struct reader {
	const unsigned char	*s;	/* NUL-terminated; every check stops at the NUL */
	size_t			 i;
	struct payload		*p;
	char			*out;
	int			 depth;
};

static void
skip_ws(struct reader *r)
{
	while (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r')
		r->i++;
}

/* The character after optional white space, consumed when it is c. */
static int
next_is(struct reader *r, unsigned char c)
{
	skip_ws(r);
	if (r->s[r->i] != c)
		return 0;
	r->i++;
	skip_ws(r);
	return 1;
}

static int
hex4(const unsigned char *s, unsigned *cp)
{
	unsigned	v = 0, d;
	int		k;

	for (k = 0; k < 4; k++) {
		if (s[k] >= '0' && s[k] <= '9')
			d = s[k] - '0';
		else if ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'f')
			d = (s[k] | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*cp = v;
	return 0;
}

/* \u0000 and surrogates are declined: json-c's handling of them is its own. */
static int
unicode_escape(struct reader *r, char **o)
{
	unsigned cp;

	if (hex4(r->s + r->i, &cp) == -1 || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	r->i += 4;
	if (cp < 0x80)
		*(*o)++ = (char)cp;
	else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | cp >> 6);
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xe0 | cp >> 12);
		*(*o)++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

static int
escape(struct reader *r, char **o)
{
	static const char	 from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char		*c;
	unsigned char		 e = r->s[r->i++];

	if (e == 'u')
		return unicode_escape(r, o);
	if (e == '\0' || (c = strchr(from, e)) == NULL)
		return -1;
	*(*o)++ = to[c - from];
	return 0;
}

/* The string whose opening quote is at s[i], decoded and NUL-terminated at out; NULL when declined. */
static const char *
string(struct reader *r)
{
	char		*start = r->out, *o = r->out;
	unsigned char	 c;

	if (r->s[r->i] != '"')
		return NULL;
	r->i++;
	while ((c = r->s[r->i]) != '"') {
		if (c < 0x20)	/* raw control characters, and the end of the text */
			return NULL;
		r->i++;
		if (c != '\\')
			*o++ = (char)c;
		else if (escape(r, &o) == -1)
			return NULL;
	}
	r->i++;
	*o++ = '\0';
	r->out = o;
	return start;
}

/* A string that is only checked: its decoded bytes are given back. */
static int
skip_string(struct reader *r)
{
	char *mark = r->out;

	if (string(r) == NULL)
		return -1;
	r->out = mark;
	return 0;
}

static int
literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);

	if (strncmp((const char *)r->s + r->i, word, n) != 0)
		return -1;
	r->i += n;
	return 0;
}

/* Plain integers only: fractions and exponents are declined. */
static int
integer(struct reader *r)
{
	size_t		digits = 0;
	unsigned char	c;

	if (r->s[r->i] == '-')
		r->i++;
	if (r->s[r->i] == '0') {
		r->i++;
		digits = 1;
	} else
		for (; r->s[r->i] >= '0' && r->s[r->i] <= '9'; r->i++)
			digits++;
	c = r->s[r->i];
	return digits == 0 || digits > MAX_DIGITS || (c >= '0' && c <= '9') || c == '.' || c == 'e' ||
	    c == 'E' ? -1 : 0;
}

/*
 * The members or items of the object or array opening at s[i], each read
 * by one() (a member from its key on); 0 when it closed as it should.
 */
static int
each(struct reader *r, unsigned char open, int (*one)(struct reader *, void *), void *arg)
{
	unsigned char close = open == '{' ? '}' : ']';

	if (r->s[r->i] != open || ++r->depth > MAX_DEPTH)
		return -1;
	r->i++;
	if (!next_is(r, close)) {
		do {
			if (one(r, arg) == -1)
				return -1;
		} while (next_is(r, ','));
		if (!next_is(r, close))
			return -1;
	}
	r->depth--;
	return 0;
}

static int skip_member(struct reader *r, void *arg);
static int skip_item(struct reader *r, void *arg);

/* A value that is only checked. */
static int
skip_value(struct reader *r)
{
	switch (r->s[r->i]) {
	case '"':
		return skip_string(r);
	case '{':
		return each(r, '{', skip_member, NULL);
	case '[':
		return each(r, '[', skip_item, NULL);
	case 't':
		return literal(r, "true");
	case 'f':
		return literal(r, "false");
	case 'n':
		return literal(r, "null");
	default:
		return integer(r);
	}
}

static int
skip_member(struct reader *r, void *arg)
{
	return skip_string(r) == -1 || !next_is(r, ':') ? -1 : skip_value(r);
}

static int
skip_item(struct reader *r, void *arg)
{
	return skip_value(r);
}

static int
add_item(struct payload *p, const char *item)
{
	const char **n;

	if ((n = buf_grow_array(p->items, p->nitems, &p->capitems, sizeof(*n), 16)) == NULL)
		return -1;
	p->items = n;
	p->items[p->nitems++] = item;
	return 0;
}

/* A new answer under key; NULL when the key came before (json-c would keep the last: declined). */
static struct payload_answer *
add_answer(struct payload *p, const char *key)
{
	struct payload_answer	*n;
	size_t			 i;

	for (i = 0; i < p->nanswers; i++)
		if (p->answers[i].key[0] == key[0] && strcmp(p->answers[i].key, key) == 0)
			return NULL;
	if ((n = buf_grow_array(p->answers, p->nanswers, &p->capanswers, sizeof(*n), 16)) == NULL)
		return NULL;
	p->answers = n;
	n = &p->answers[p->nanswers++];
	memset(n, 0, sizeof(*n));
	n->key = key;
	return n;
}

/* One checkbox pick of the list answer arg (the items are placed in payload_read()). */
static int
list_item(struct reader *r, void *arg)
{
	struct payload_answer	*a = arg;
	const char		*item;

	if ((item = string(r)) == NULL || add_item(r->p, item) == -1)
		return -1;
	a->nitems++;
	return 0;
}

static int
answer(struct reader *r, void *arg)
{
	struct payload_answer	*a;
	const char		*key;

	if ((key = string(r)) == NULL || (a = add_answer(r->p, key)) == NULL || !next_is(r, ':'))
		return -1;
	if (r->s[r->i] == '"')
		return (a->value = string(r)) != NULL ? 0 : -1;
	return each(r, '[', list_item, a);
}

/* A member of the whole object: "answers" once, anything else only checked. */
static int
top_member(struct reader *r, void *arg)
{
	int		*answers = arg, is_answers;
	char		*mark = r->out;
	const char	*key;

	if ((key = string(r)) == NULL)
		return -1;
	is_answers = strcmp(key, "answers") == 0;
	r->out = mark;
	if (!next_is(r, ':') || (is_answers && (*answers)++ > 0))
		return -1;
	return is_answers ? each(r, '{', answer, NULL) : skip_value(r);
}

/* The whole text: one object with one "answers" member, and nothing after it but white space. */
static int
read_top(struct reader *r)
{
	int answers = 0;

	skip_ws(r);
	if (each(r, '{', top_member, &answers) == -1)
		return -1;
	skip_ws(r);
	return r->s[r->i] == '\0' && answers == 1 ? 0 : -1;
}

int
payload_write(struct buf *out, const char *procedure, const char *form_hash, time_t received_at,
    const char *channel, const struct buf *answers)
{
	buf_printf(out, "{\"v\":1,\"procedure\":\"%s\",\"form_hash\":\"%s\",\"received_at\":%lld,", procedure,
	    form_hash, (long long)received_at);
	if (channel != NULL && strcmp(channel, "web") != 0)
		buf_printf(out, "\"channel\":\"%s\",", channel);
	buf_puts(out, "\"answers\":");
	buf_put(out, answers->data, answers->len);
	buf_putc(out, '}');
	return out->oom ? -1 : 0;
}

void
payload_init(struct payload *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->text);
}

int
payload_read(struct payload *p, const char *json)
{
	struct reader	r;
	size_t		i, k, len = strlen(json);

	payload_clear(p);
	if (buf_append_space(&p->text, len + 1) == NULL)
		return -1;
	memset(&r, 0, sizeof(r));
	r.s = (const unsigned char *)json;
	r.p = p;
	r.out = p->text.data;
	if (read_top(&r) == -1) {
		payload_clear(p);
		return -1;
	}
	/*
	 * p->text.len stays the whole text, so payload_clear() also wipes the
	 * strings read and given back.  The item table is final only now: give
	 * each list its part of it.
	 */
	for (i = k = 0; i < p->nanswers; i++)
		if (p->answers[i].value == NULL && p->answers[i].nitems > 0) {
			p->answers[i].items = p->items + k;
			k += p->answers[i].nitems;
		}
	return 0;
}

const struct payload_answer *
payload_get(const struct payload *p, const char *key, size_t *cursor)
{
	size_t i, k;

	for (k = 0; k < p->nanswers; k++) {
		i = (*cursor + k) % p->nanswers;
		if (strcmp(p->answers[i].key, key) == 0) {
			*cursor = i + 1;
			return &p->answers[i];
		}
	}
	return NULL;
}

void
payload_clear(struct payload *p)
{
	buf_reset(&p->text);	/* wipes */
	p->nanswers = 0;
	p->nitems = 0;
}

void
payload_free(struct payload *p)
{
	buf_wipe(&p->text);
	free(p->answers);
	free(p->items);
	payload_init(p);
}

json_object *
payload_json(json_tokener *tok, const char *text, json_object **root)
{
	json_tokener	*own = NULL;
	json_object	*a = NULL;

	*root = NULL;
	if (tok == NULL && (tok = own = json_tokener_new()) == NULL)
		return NULL;
	/* What json_tokener_parse() does, with the caller's tokener when there is one. */
	json_tokener_reset(tok);
	*root = json_tokener_parse_ex(tok, text, -1);
	if (*root == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_object_get_ex(*root, "answers", &a) || !json_object_is_type(a, json_type_object)) {
		json_object_put(*root);
		*root = NULL;
		a = NULL;
	}
	if (own != NULL)
		json_tokener_free(own);
	return a;
}
