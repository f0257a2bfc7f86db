/*
 * tvars: the values templates are rendered with (tmpl.h): a dictionary of
 * strings and lists of child dictionaries, copied in and wiped when freed.
 */
#include "seal.h"
#include "tmpl_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
tmpl_is_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int
tmpl_valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!tmpl_is_name_char((unsigned char)s[i]))
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
		seal_wipe(e->val, e->len);
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

struct tvar *
tmpl_find_var(const struct tvars *v, const char *key, size_t klen)
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
	size_t		 klen = strlen(key);

	*added = 0;
	if ((e = tmpl_find_var(v, key, klen)) != NULL)
		return e;
	if ((nv = buf_grow_array(v->v, v->n, &v->cap, sizeof(*nv), 8)) == NULL)
		return NULL;
	v->v = nv;
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
	    !tmpl_valid_name(key, strlen(key)))
		return -1;
	if ((copy = malloc(n + 1)) == NULL)
		return -1;
	memcpy(copy, val, n);
	copy[n] = '\0';
	if ((e = slot(v, key, &added)) == NULL) {
		seal_wipe(copy, n);
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
	int		  added;

	if (v == NULL || key == NULL || !tmpl_valid_name(key, strlen(key)))
		return NULL;
	if ((kid = tvars_new()) == NULL)
		return NULL;
	if ((e = slot(v, key, &added)) == NULL) {
		free(kid);
		return NULL;
	}
	if ((nk = buf_grow_array(e->kids, e->nkids, &e->cap, sizeof(*nk), 4)) == NULL) {
		free(kid);
		unslot(v, added);
		return NULL;
	}
	e->kids = nk;
	val_clear(e);		/* a string held here becomes the list */
	e->kids[e->nkids++] = kid;
	return kid;
}
