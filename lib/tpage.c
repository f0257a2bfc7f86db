/*
 * Pages with a hole (tmpl.h): a page rendered once, with the places where
 * one value goes remembered, then filled in as often as it is sent.
 */
#include "seal.h"
#include "tmpl_int.h"

#include <stdlib.h>
#include <string.h>

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

int
tpage_mark(struct tpage *pg, struct buf *out, int plain, int url)
{
	struct hole *nh;

	if ((nh = buf_grow_array(pg->holes, pg->n, &pg->cap, sizeof(*nh), 4)) == NULL) {
		out->oom = 1;
		return -1;
	}
	pg->holes = nh;
	pg->holes[pg->n].at = out->len;
	pg->holes[pg->n].plain = plain;
	pg->holes[pg->n].url = url;
	pg->n++;
	return 0;
}

void
tpage_free(struct tpage *pg)
{
	if (pg == NULL)
		return;
	if (pg->text != NULL)
		seal_wipe(pg->text, pg->len);
	free(pg->text);
	free(pg->holes);
	free(pg);
}

struct tpage *
tpage_render(const struct tset *s, const char *name, const struct tvars *v, const struct lang *lang,
    const char *hole, struct buf *err)
{
	const struct tvar	*e;
	struct tpage		*pg;
	struct buf		 out;

	if (hole == NULL || (e = tmpl_find_var(v, hole, strlen(hole))) == NULL || e->val == NULL) {
		tmpl_report(err, name != NULL ? name : "(null)", 0, "hole %s: not set as a string",
		    hole != NULL ? hole : "(null)");
		return NULL;
	}
	if ((pg = calloc(1, sizeof(*pg))) == NULL) {
		tmpl_report(err, name != NULL ? name : "(null)", 0, "out of memory");
		return NULL;
	}
	buf_init(&out);
	if (tmpl_render(s, name, v, lang, e, pg, &out, err) == -1) {
		buf_wipe(&out);
		tpage_free(pg);
		return NULL;
	}
	pg->len = out.len;
	if ((pg->text = buf_take(&out)) == NULL) {
		tmpl_report(err, name, 0, "out of memory");
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
		    tmpl_put_value(out, pg->holes[i].plain, pg->holes[i].url, val, n) == -1)
			break;
		from = pg->holes[i].at;
	}
	if (i == pg->n && buf_put(out, pg->text + from, pg->len - from) == 0)
		return 0;
	tmpl_unwind(out, start, oom);
	return -1;
}
