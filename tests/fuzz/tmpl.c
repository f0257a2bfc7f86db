/*
 * Fuzz the template parser and renderer.  The input is a template text, a
 * NUL, then a value.  The template is loaded as .html and as .txt and
 * rendered with a few variables (and a list of two children) all set to the
 * value.  Invariants: no crash or leak; a failed load always says why; the
 * output is valid UTF-8; and no raw '<' (.html) or control character (.txt)
 * in the output comes from the value: rendering again with those bytes of
 * the value replaced by 'a' gives the same count of them, since the
 * literal text and the control flow stay the same.  A page rendered once
 * with "name" left open (tpage) and filled with the value is the same
 * bytes as the whole render.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "a", "x", "name", "title", "q" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static void
check(int ok)
{
	if (!ok)
		abort();
}

static struct tvars *
vars(const char *val, size_t n)
{
	struct tvars	*v, *c;
	size_t		 i, k;

	check((v = tvars_new()) != NULL);
	for (i = 0; i < NNAMES; i++)
		check(tvars_setn(v, names[i], val, n) == 0);
	for (k = 0; k < 2; k++) {
		check((c = tvars_add(v, "list")) != NULL);
		check(tvars_setn(c, "x", val, n) == 0);
		check(tvars_setn(c, "y", val, n) == 0);
	}
	return v;
}

static int
is_plain_dropped(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F;
}

static size_t
count(const struct buf *b, int plain)
{
	size_t i, k = 0;

	for (i = 0; i < b->len; i++)
		if (plain ? is_plain_dropped((unsigned char)b->data[i]) :
		    b->data[i] == '<')
			k++;
	return k;
}

/* Render name from s with v; -1 on a render error (which must say why). */
static int
render(const struct tset *s, const char *name, const struct tvars *v,
    struct buf *out)
{
	struct buf	 err;
	int		 rc;

	buf_init(&err);
	rc = tset_render(s, name, v, out, &err);
	check(rc == 0 || err.len > 0);
	if (rc == 0)
		check(u8_check((const uint8_t *)buf_cstr(out), out->len) == NULL);
	buf_free(&err);
	return rc;
}

/*
 * Rendered with every variable set to val but "name" set to safe (as long,
 * so as truthy) and left open, then filled with val: want (NULL: must fail).
 */
static void
page(const struct tset *s, const char *name, const char *val, const char *safe,
    size_t vlen, const struct buf *want)
{
	struct tpage	*pg;
	struct tvars	*v = vars(val, vlen);
	struct buf	 err, o;

	buf_init(&err);
	buf_init(&o);
	check(tvars_setn(v, "name", safe, vlen) == 0);
	pg = tpage_render(s, name, v, NULL, "name", &err);
	check(pg != NULL || err.len > 0);
	check((pg != NULL) == (want != NULL));
	if (pg != NULL) {
		check(tpage_fill(pg, val, vlen, &o) == 0);
		check(o.len == want->len && memcmp(buf_cstr(&o), buf_cstr(want), o.len) == 0);
	}
	tpage_free(pg);
	tvars_free(v);
	buf_free(&o);
	buf_free(&err);
}

static void
one(const char *name, int plain, const char *tpl, size_t tlen,
    const char *val, size_t vlen)
{
	struct tset	*s;
	struct tvars	*v1, *v2;
	struct buf	 err, o1, o2;
	char		*safe;
	size_t		 i;
	int		 r1, r2;

	buf_init(&err);
	s = tset_load_mem(name, tpl, tlen, &err);
	check(s != NULL || err.len > 0);
	buf_free(&err);
	if (s == NULL)
		return;
	check((safe = malloc(vlen + 1)) != NULL);
	memcpy(safe, val, vlen);
	for (i = 0; i < vlen; i++)
		if (plain ? is_plain_dropped((unsigned char)safe[i]) : safe[i] == '<')
			safe[i] = 'a';
	v1 = vars(val, vlen);
	v2 = vars(safe, vlen);
	buf_init(&o1);
	buf_init(&o2);
	r1 = render(s, name, v1, &o1);
	r2 = render(s, name, v2, &o2);
	check(r1 == r2);
	check(r1 == -1 || count(&o1, plain) == count(&o2, plain));
	check(r1 == 0 || o1.len == 0);
	page(s, name, val, safe, vlen, r1 == 0 ? &o1 : NULL);
	buf_free(&o1);
	buf_free(&o2);
	tvars_free(v1);
	tvars_free(v2);
	free(safe);
	tset_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *nul;
	size_t		 tlen = size, vlen = 0;
	const char	*val = "";

	if ((nul = memchr(p, '\0', size)) != NULL) {
		tlen = (size_t)(nul - p);
		val = nul + 1;
		vlen = size - tlen - 1;
	}
	one("f.html", 0, p, tlen, val, vlen);
	one("f.txt", 1, p, tlen, val, vlen);
	return 0;
}
