#include "kv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "seal.h"

/*
 * Hand-written: no C library in Debian parses urlencoded data against a table
 * of declared keys with per-key limits and these rejection rules (kcgi is not
 * packaged), and the tokenizer is small enough to check by reading.  Each
 * pass walks its input once; the work for one pair is bounded by its length
 * and by ndecls, and the number of pairs by maxpairs.
 */

struct parse {
	struct kv_form	*f;
	size_t		 npairs;
	size_t		 maxpairs;
	char		*kbuf;		/* decoded key; maxname + 1 bytes */
	size_t		 maxname;	/* longest declared name: longer keys are unknown */
};

static const size_t NOT_FOUND = (size_t)-1;

/* Frees the values but keeps err and errkey, so a failed parse keeps its reason. */
static void
release(struct kv_form *f)
{
	struct kv_slot	*s;
	size_t		 i;
	unsigned	 j;

	if (f->slots == NULL)
		return;
	for (i = 0; i < f->ndecls; i++) {
		s = &f->slots[i];
		for (j = 0; j < s->n; j++) {
			seal_wipe(s->v[j].p, s->v[j].len);
			free(s->v[j].p);
		}
		free(s->v);
	}
	free(f->slots);
	f->slots = NULL;
}

/* Records the first error; the key is shown with anything outside printable ASCII as '?'. */
static int
fail(struct kv_form *f, enum kv_err err, const char *key, size_t keylen)
{
	size_t	 i;

	if (f->err != KV_OK)
		return -1;
	if (keylen > sizeof(f->errkey) - 1)
		keylen = sizeof(f->errkey) - 1;
	for (i = 0; i < keylen; i++) {
		unsigned char c = (unsigned char)key[i];

		f->errkey[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	f->errkey[i] = '\0';
	f->err = err;
	return -1;
}

static int
fail_decl(struct kv_form *f, enum kv_err err, size_t i)
{
	const char *name = f->decls[i].name;

	return fail(f, err, name, strlen(name));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode '+' and %XX from s[0..n) into out, writing at most cap bytes, and
 * give the full decoded length in *outlen; cap 0 only measures.  -1 on a
 * malformed escape, wherever it is.
 */
static int
urldecode(const char *s, size_t n, char *out, size_t cap, size_t *outlen)
{
	size_t	 i, o;
	int	 c, hi, lo;

	for (i = o = 0; i < n; i++, o++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (n - i < 3 || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (o < cap)
			out[o] = (char)c;
	}
	*outlen = o;
	return 0;
}

static size_t
find_decl(const struct kv_form *f, const char *key, size_t keylen)
{
	size_t	 i;

	for (i = 0; i < f->ndecls; i++) {
		const char *name = f->decls[i].name;

		if (name != NULL && strlen(name) == keylen && memcmp(name, key, keylen) == 0)
			return i;
	}
	return NOT_FOUND;
}

/* The checks that need the decoded bytes; 0 or a reason. */
static enum kv_err
check_value(const struct kv_decl *d, const char *v, size_t len)
{
	if (memchr(v, '\0', len) != NULL)
		return KV_NUL;
	if (u8_check((const uint8_t *)v, len) != NULL)
		return KV_BAD_UTF8;
	if (d->valid != NULL && d->valid(v, len) != 1)
		return KV_INVALID;
	return KV_OK;
}

/*
 * Store one value for declaration i.  The length is measured before anything
 * is allocated, so an over-long value costs no memory.  The slot's array is
 * sized once: it can never hold more than maxcount or maxpairs values.
 */
static int
store(struct parse *p, size_t i, const char *raw, size_t rawlen, int decode)
{
	struct kv_form		*f = p->f;
	const struct kv_decl	*d = &f->decls[i];
	struct kv_slot		*s = &f->slots[i];
	unsigned		 limit = d->maxcount > 1 ? d->maxcount : 1;
	size_t			 len = rawlen;
	enum kv_err		 err;
	char			*v;

	if (s->n >= limit)
		return fail_decl(f, KV_REPEATED, i);
	if (decode && urldecode(raw, rawlen, NULL, 0, &len) == -1)
		return fail_decl(f, KV_BAD_ESCAPE, i);
	if (len > d->maxlen)
		return fail_decl(f, KV_TOO_LONG, i);
	if (s->v == NULL &&
	    (s->v = calloc(limit < p->maxpairs ? limit : p->maxpairs, sizeof(*s->v))) == NULL)
		return fail_decl(f, KV_NOMEM, i);
	if ((v = malloc(len + 1)) == NULL)
		return fail_decl(f, KV_NOMEM, i);
	if (decode)
		(void)urldecode(raw, rawlen, v, len, &len);	/* already checked above */
	else
		memcpy(v, raw, len);
	v[len] = '\0';
	if ((err = check_value(d, v, len)) != KV_OK) {
		seal_wipe(v, len);
		free(v);
		return fail_decl(f, err, i);
	}
	s->v[s->n].p = v;
	s->v[s->n].len = len;
	s->n++;
	return 0;
}

static int
count_pair(struct parse *p, const char *key, size_t keylen)
{
	if (p->npairs >= p->maxpairs)
		return fail(p->f, KV_TOO_MANY, key, keylen);
	p->npairs++;
	return 0;
}

/* One non-empty "key[=value]" segment of a urlencoded string. */
static int
url_pair(struct parse *p, const char *s, size_t n)
{
	const char	*eq = memchr(s, '=', n);
	size_t		 keylen = eq != NULL ? (size_t)(eq - s) : n;
	size_t		 klen, i;

	if (count_pair(p, s, keylen) == -1)
		return -1;
	if (urldecode(s, keylen, p->kbuf, p->maxname, &klen) == -1)
		return fail(p->f, KV_BAD_ESCAPE, s, keylen);
	if (klen > p->maxname || (i = find_decl(p->f, p->kbuf, klen)) == NOT_FOUND)
		return 0;	/* unknown: the value is not even decoded */
	if (eq == NULL)
		return store(p, i, "", 0, 1);
	return store(p, i, eq + 1, n - keylen - 1, 1);
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ows(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*s)[*n - 1]))
		(*n)--;
}

/* One cookie-pair; without '=' the whole text is the value of a nameless cookie. */
static int
cookie_pair(struct parse *p, const char *s, size_t n)
{
	const char	*eq = memchr(s, '=', n);
	const char	*key = s, *val = s;
	size_t		 keylen = 0, vallen = n, i;

	if (eq != NULL) {
		keylen = (size_t)(eq - s);
		val = eq + 1;
		vallen = n - keylen - 1;
	}
	trim(&key, &keylen);
	trim(&val, &vallen);
	if (count_pair(p, key, keylen) == -1)
		return -1;
	if ((i = find_decl(p->f, key, keylen)) == NOT_FOUND)
		return 0;
	return store(p, i, val, vallen, 0);
}

static int
begin(struct parse *p, struct kv_form *f, const struct kv_decl *decls, size_t ndecls,
    size_t maxpairs)
{
	size_t	 i, len;

	memset(f, 0, sizeof(*f));
	memset(p, 0, sizeof(*p));
	f->decls = decls;
	f->ndecls = decls != NULL ? ndecls : 0;
	p->f = f;
	p->maxpairs = maxpairs;
	for (i = 0; i < f->ndecls; i++)
		if (decls[i].name != NULL && (len = strlen(decls[i].name)) > p->maxname)
			p->maxname = len;
	/* +1: calloc(0) may be NULL, and an empty table is a normal case. */
	if ((f->slots = calloc(f->ndecls + 1, sizeof(*f->slots))) == NULL ||
	    (p->kbuf = malloc(p->maxname + 1)) == NULL)
		return fail(f, KV_NOMEM, "", 0);
	return 0;
}

static int
finish(struct parse *p, int rc)
{
	free(p->kbuf);
	if (rc == -1)
		release(p->f);
	return rc;
}

int
kv_parse_urlencoded(struct kv_form *f, const struct kv_decl *decls, size_t ndecls,
    const char *in, size_t len, size_t maxpairs)
{
	struct parse	 p;
	size_t		 i, end;
	const char	*amp;
	int		 rc;

	if ((rc = begin(&p, f, decls, ndecls, maxpairs)) == 0 && in != NULL) {
		for (i = 0; i < len && rc == 0; i = end + 1) {
			amp = memchr(in + i, '&', len - i);
			end = amp != NULL ? (size_t)(amp - in) : len;
			if (end > i)
				rc = url_pair(&p, in + i, end - i);
		}
	}
	return finish(&p, rc);
}

int
kv_parse_cookies(struct kv_form *f, const struct kv_decl *decls, size_t ndecls,
    const char *header, size_t maxpairs)
{
	struct parse	 p;
	const char	*s, *semi;
	size_t		 n;
	int		 rc;

	if ((rc = begin(&p, f, decls, ndecls, maxpairs)) == 0 && header != NULL) {
		for (s = header; rc == 0; s = semi + 1) {
			semi = strchr(s, ';');
			n = semi != NULL ? (size_t)(semi - s) : strlen(s);
			trim(&s, &n);
			if (n > 0)
				rc = cookie_pair(&p, s, n);
			if (semi == NULL)
				break;
		}
	}
	return finish(&p, rc);
}

const struct kv_value *
kv_get(const struct kv_form *f, size_t i)
{
	if (f == NULL || f->slots == NULL || i >= f->ndecls || f->slots[i].n == 0)
		return NULL;
	return &f->slots[i].v[0];
}

void
kv_free(struct kv_form *f)
{
	if (f == NULL)
		return;
	release(f);
	memset(f, 0, sizeof(*f));
}

const char *
kv_strerror(enum kv_err err)
{
	switch (err) {
	case KV_OK:
		return "no error";
	case KV_REPEATED:
		return "key given too many times";
	case KV_NUL:
		return "NUL byte in value";
	case KV_BAD_UTF8:
		return "value is not valid UTF-8";
	case KV_TOO_LONG:
		return "value too long";
	case KV_BAD_ESCAPE:
		return "malformed percent escape";
	case KV_TOO_MANY:
		return "too many pairs";
	case KV_INVALID:
		return "value refused by validator";
	case KV_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

/* ASCII ranges by hand, not <ctype.h>: these must not depend on the locale. */
static int
all_of(const char *v, size_t len, int (*ok)(char))
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!ok(v[i]))
			return 0;
	return 1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_b64url(char c)
{
	return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

static int
is_token(char c)
{
	return is_digit(c) || is_lower(c) || c == '_' || c == '-';
}

int
kv_valid_b64url(const char *v, size_t len)
{
	return all_of(v, len, is_b64url);
}

int
kv_valid_digits(const char *v, size_t len)
{
	return all_of(v, len, is_digit);
}

int
kv_valid_token(const char *v, size_t len)
{
	return all_of(v, len, is_token);
}
