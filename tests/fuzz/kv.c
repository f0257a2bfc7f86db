/*
 * Fuzz kv_parse_urlencoded and kv_parse_cookies.  Byte 0 is maxpairs, bit 0
 * of byte 1 picks the cookie parser, the rest is the input.  Any input
 * either gives values that keep every declared promise, or is refused with
 * a printable errkey that names a key, not a value; never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct kv_decl decls[] = {
	{ "a", 8, 1, NULL },
	{ "b", 0, 0, NULL },
	{ "box", 4, 3, NULL },
	{ "act", 16, 1, kv_valid_token },
	{ "csrf", 64, 1, kv_valid_b64url },
	{ "n", 6, 2, kv_valid_digits },
	{ "name", 32, 1, NULL },
};
#define NDECLS (sizeof(decls) / sizeof(decls[0]))

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Non-empty segments between separators, after trimming when asked. */
static size_t
count_segments(const char *s, size_t n, char sep, int trimmed)
{
	size_t	 i, start, end, count = 0;

	for (start = 0; start <= n; start = end + 1) {
		for (end = start; end < n && s[end] != sep; end++)
			;
		i = start;
		if (trimmed)
			while (i < end && is_ows(s[i]))
				i++;
		if (i < end)
			count++;
	}
	return count;
}

static void
check_value(const struct kv_decl *d, const struct kv_value *v)
{
	check(v->p != NULL && v->len <= d->maxlen && v->p[v->len] == '\0');
	check(memchr(v->p, '\0', v->len) == NULL);
	check(u8_check((const uint8_t *)v->p, v->len) == NULL);
	check(d->valid == NULL || d->valid(v->p, v->len) == 1);
}

static void
check_success(const struct kv_form *f)
{
	size_t		 i;
	unsigned	 j;

	check(f->err == KV_OK && f->errkey[0] == '\0' && f->slots != NULL);
	for (i = 0; i < NDECLS; i++) {
		const struct kv_slot *s = &f->slots[i];

		check(s->n <= (decls[i].maxcount > 1 ? decls[i].maxcount : 1));
		check((s->n == 0) == (kv_get(f, i) == NULL));
		for (j = 0; j < s->n; j++)
			check_value(&decls[i], &s->v[j]);
	}
}

static int
is_decl_name(const char *s)
{
	size_t i;

	for (i = 0; i < NDECLS; i++)
		if (strcmp(decls[i].name, s) == 0)
			return 1;
	return 0;
}

/* Errors about a value name its declaration: the value itself never shows. */
static void
check_failure(const struct kv_form *f)
{
	size_t i, n = strnlen(f->errkey, sizeof(f->errkey));

	check(f->err > KV_OK && f->err <= KV_NOMEM && n < sizeof(f->errkey));
	check(f->slots == NULL && kv_get(f, 0) == NULL);
	for (i = 0; i < n; i++)
		check((unsigned char)f->errkey[i] >= 0x20 && f->errkey[i] != 0x7f);
	if (f->err != KV_BAD_ESCAPE && f->err != KV_TOO_MANY && f->err != KV_NOMEM)
		check(is_decl_name(f->errkey));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_form	 f;
	size_t		 maxpairs, n;
	char		*s;
	int		 rc;

	if (size < 2)
		return 0;
	maxpairs = data[0];
	n = size - 2;
	/* Cookies need a NUL-terminated copy; urlencoded reads the fuzzer's bytes in place, so any
	 * read past n is caught. */
	if ((s = malloc(n + 1)) == NULL)
		return 0;
	memcpy(s, data + 2, n);
	s[n] = '\0';
	if (data[1] & 1) {
		rc = kv_parse_cookies(&f, decls, NDECLS, s, maxpairs);
		n = strlen(s);
	} else
		rc = kv_parse_urlencoded(&f, decls, NDECLS, (const char *)data + 2, n, maxpairs);
	if (rc == 0) {
		check_success(&f);
		check(count_segments(s, n, data[1] & 1 ? ';' : '&', data[1] & 1) <= maxpairs);
	} else {
		check(rc == -1);
		check_failure(&f);
	}
	kv_free(&f);
	check(f.slots == NULL && f.err == KV_OK);
	free(s);
	return 0;
}
