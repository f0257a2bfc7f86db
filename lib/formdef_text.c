/* The definition loader's texts: Japanese alone or per language, indexed for formdef_text(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formdef_int.h"

/* ------------------------------------------------------------------ */
/* Texts, in Japanese or in several languages ("label: {ja: ..., en: ...}") */

/* Remember a text the procedure now holds (its Japanese), where it was written, for formdef_text. */
static struct ltext *
add_text(struct ctx *c, const struct ynode *k, const struct ynode *v, const char *text)
{
	struct procedure	*p = c->p;
	struct ltext		*t, *grown;

	if ((grown = buf_grow_array(p->texts, p->ntexts, &p->captexts, sizeof(*p->texts), 16)) == NULL) {
		c->e.oom = 1;
		return NULL;
	}
	p->texts = grown;
	t = &p->texts[p->ntexts++];
	memset(t, 0, sizeof(*t));
	t->text = text;
	snprintf(t->key, sizeof(t->key), "%s", k->s);
	t->line = v->line;
	t->column = v->col;
	return t;
}

/* One language's text in the mapping: "label.en" in messages. */
static int
text_in(struct ctx *c, const struct ynode *k, const struct ynode *lk, const struct ynode *lv, int multiline,
    char **out)
{
	struct ynode	 named = *lk;
	char		 name[64];

	snprintf(name, sizeof(name), "%s.%s", k->s, lk->s);
	named.s = name;
	return ytree_str(&c->e, &named, lv, YTREE_REQUIRED, multiline, out);
}

/* The mapping's language keys, checked: the index of "ja" among its pairs, or -1 (reported). */
static int
text_langs(struct ctx *c, const struct ynode *k, const struct ynode *v)
{
	const struct ynode	*lk;
	size_t			 i, j;
	int			 ja = -1, bad = 0;

	for (i = 0; i + 1 < v->nkid; i += 2) {
		lk = v->kid[i];
		if (lk->kind != Y_SCALAR || !lang_tag_ok(lk->s, lk->slen)) {
			ytree_err(&c->e, lk->line, lk->col, "'%s': '%s' is not a language tag (ja, en, zh-hant ...)",
			    k->s, lk->kind == Y_SCALAR ? ytree_quote(lk->s, lk->slen).s : "?");
			bad = 1;
			continue;
		}
		for (j = 0; j < i; j += 2)
			if (v->kid[j]->kind == Y_SCALAR && strcmp(v->kid[j]->s, lk->s) == 0) {
				ytree_err(&c->e, lk->line, lk->col, "'%s': '%s' given twice", k->s, lk->s);
				bad = 1;
			}
		if (strcmp(lk->s, LANG_DEFAULT) == 0)
			ja = (int)i;
	}
	if (ja == -1 && !bad)
		ytree_err(&c->e, v->line, v->col, "'%s' in several languages needs its Japanese ('%s: ...')", k->s,
		    LANG_DEFAULT);
	return bad ? -1 : ja;
}

/*
 * A text to show residents: plain (Japanese), or a mapping from language
 * tags to texts with its Japanese under "ja".  *out is the Japanese, and
 * the other languages are kept for formdef_text.  As ytree_str otherwise.
 */
int
get_text(struct ctx *c, const struct ynode *k, const struct ynode *v, int required, int multiline, char **out)
{
	struct ltext	*t;
	struct ltr	*tr;
	size_t		 i, n = 0;
	int		 ja;

	if (v == NULL)
		return 0;
	if (v->kind != Y_MAP) {
		if (ytree_str(&c->e, k, v, required, multiline, out) == -1)
			return -1;
		return *out == NULL || add_text(c, k, v, *out) != NULL ? 0 : -1;
	}
	if ((ja = text_langs(c, k, v)) == -1 || text_in(c, k, v->kid[ja], v->kid[ja + 1], multiline, out) == -1)
		return -1;
	if ((t = add_text(c, k, v, *out)) == NULL || (tr = calloc(v->nkid / 2, sizeof(*tr))) == NULL) {
		c->e.oom = 1;
		return -1;
	}
	t->tr = tr;
	for (i = 0; i + 1 < v->nkid; i += 2) {
		if ((int)i == ja)
			continue;
		if (text_in(c, k, v->kid[i], v->kid[i + 1], multiline, &tr[n].text) == -1)
			return -1;
		snprintf(tr[n++].lang, sizeof(tr->lang), "%s", v->kid[i]->s);
		t->ntr = n;
	}
	return 0;
}

int
by_text(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)(*(const struct ltext *const *)a)->text;
	uintptr_t y = (uintptr_t)(*(const struct ltext *const *)b)->text;

	return x < y ? -1 : x > y;
}

/* The texts by the address of their Japanese, for formdef_text's binary search. */
void
index_texts(struct ctx *c, struct procedure *p)
{
	size_t i;

	if (p->ntexts == 0)
		return;
	if ((p->text_index = calloc(p->ntexts, sizeof(*p->text_index))) == NULL) {
		c->e.oom = 1;
		return;
	}
	for (i = 0; i < p->ntexts; i++)
		p->text_index[i] = &p->texts[i];
	qsort(p->text_index, p->ntexts, sizeof(*p->text_index), by_text);
}
