#include "lang.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dirlist.h"
#include "jst.h"
#include "tmpl.h"

#define MAX_LANGS	32

struct langset {
	struct lang	*v;
	size_t		 n;
};

/* ---- tags ---- */

static int
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_alnum(int c)
{
	return is_lower(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int
lang_tag_ok(const char *s, size_t len)
{
	size_t	i = 0, run, subtags = 0;

	if (len > LANG_TAG_MAX)
		return 0;
	while (i < len && is_lower((unsigned char)s[i]))
		i++;
	if (i < 2 || i > 3)
		return 0;
	while (i < len) {
		if (s[i++] != '-' || ++subtags > 3)
			return 0;
		for (run = 0; i < len && is_alnum((unsigned char)s[i]); i++)
			run++;
		if (run < 1 || run > 8)
			return 0;
	}
	return 1;
}

/* ---- the set ---- */

static int
is_catalogue(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".mo") == 0;
}

void
langset_free(struct langset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		msgcat_free(s->v[i].cat);
	free(s->v);
	free(s);
}

/* Load dir/name into the next slot; the default language goes to slot 0, which was left for it. */
static int
load_one(struct langset *s, const char *dir, const char *name, struct buf *err)
{
	char		 path[4096];
	size_t		 taglen = strlen(name) - 3;
	struct lang	*l;

	if (!lang_tag_ok(name, taglen)) {
		if (err != NULL)
			buf_printf(err, "%s/%s: the name is not a language tag (e.g. en.mo, zh-hant.mo)\n", dir, name);
		return -1;
	}
	l = taglen == strlen(LANG_DEFAULT) && memcmp(name, LANG_DEFAULT, taglen) == 0 ? &s->v[0] : &s->v[s->n++];
	memcpy(l->tag, name, taglen);
	l->tag[taglen] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return (l->cat = msgcat_load_file(path, err)) != NULL ? 0 : -1;
}

struct langset *
langset_load(const char *dir, struct buf *err)
{
	struct langset	*s;
	char		**names = NULL;
	size_t		  n = 0, i;
	int		  rc = -1;

	if ((s = calloc(1, sizeof(*s))) == NULL || dirlist(dir, is_catalogue, &names, &n) == -1) {
		if (err != NULL)
			buf_printf(err, "%s: cannot read the catalogues\n", dir);
		goto done;
	}
	if (n > MAX_LANGS) {
		if (err != NULL)
			buf_printf(err, "%s: more than %d catalogues\n", dir, MAX_LANGS);
		goto done;
	}
	if ((s->v = calloc(n + 1, sizeof(*s->v))) == NULL)
		goto done;
	s->n = 1;	/* slot 0 waits for the default language */
	for (i = 0; i < n; i++)
		if (load_one(s, dir, names[i], err) == -1)
			goto done;
	if (s->v[0].cat == NULL) {
		if (err != NULL)
			buf_printf(err, "%s: no catalogue for %s (%s.mo), the service's own language\n", dir,
			    LANG_DEFAULT, LANG_DEFAULT);
		goto done;
	}
	for (i = 0; i < s->n; i++) {
		s->v[i].index = i;
		s->v[i].fallback = i > 0 ? &s->v[0] : NULL;
	}
	rc = 0;
done:
	dirlist_free(names, n);
	if (rc == -1) {
		langset_free(s);
		return NULL;
	}
	return s;
}

size_t
langset_count(const struct langset *s)
{
	return s->n;
}

const struct lang *
langset_at(const struct langset *s, size_t i)
{
	return i < s->n ? &s->v[i] : NULL;
}

const struct lang *
langset_get(const struct langset *s, const char *tag)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].tag, tag) == 0)
			return &s->v[i];
	return NULL;
}

int
lang_page_vars(const struct langset *s, const struct lang *l, const char *back, struct tvars *v)
{
	const struct lang	*o;
	struct tvars		*link;
	size_t			 i;
	int			 rc;

	rc = tvars_set(v, "lang", l->tag) | tvars_set(v, "back", back);
	for (i = 0; (o = langset_at(s, i)) != NULL && rc == 0; i++) {
		if (o == l)
			continue;
		if ((link = tvars_add(v, "langs")) == NULL)
			return -1;
		rc = tvars_set(link, "tag", o->tag) | tvars_set(link, "name", lang_msg(o, N_("lang.name")));
	}
	return rc;
}

const char *
lang_name_ja(const struct langset *s, const char *tag)
{
	const struct lang *l = s != NULL ? langset_get(s, tag) : NULL;

	return l != NULL ? lang_msg(l, N_("lang.name_ja")) : tag;
}

/* ---- Accept-Language ---- */

static int
is_ows(int c)
{
	return c == ' ' || c == '\t';
}

/* The weight of "q=..." at p (n bytes) in thousandths, or -1 when it is not a qvalue. */
static int
qvalue(const char *p, size_t n)
{
	int	q, scale = 100;
	size_t	i;

	if (n < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=' || (p[2] != '0' && p[2] != '1'))
		return -1;
	q = (p[2] - '0') * 1000;
	if (n == 3)
		return q;
	if (p[3] != '.' || n > 7)
		return -1;
	for (i = 4; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q <= 1000 ? q : -1;
}

/* Is the range (n bytes) well formed: "*", or 1-8 letters, then subtags of 1-8 letters or digits? */
static int
range_ok(const char *r, size_t n)
{
	size_t i = 0, run;

	if (n == 1 && r[0] == '*')
		return 1;
	for (run = 0; i < n && r[i] != '-'; i++, run++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= 'A' && r[i] <= 'Z')))
			return 0;
	if (run < 1 || run > 8)
		return 0;
	while (i < n) {
		for (i++, run = 0; i < n && r[i] != '-'; i++, run++)
			if (!is_alnum((unsigned char)r[i]))
				return 0;
		if (run < 1 || run > 8)
			return 0;
	}
	return 1;
}

/* The tag the range (n bytes, well formed) matches, or -1. */
static int
range_match(const char *r, size_t n, const char *const *tags, size_t ntags)
{
	size_t	i, len, best_len = 0;
	int	best = -1, ext = -1;

	if (n == 1 && r[0] == '*')
		return ntags > 0 ? 0 : -1;
	for (i = 0; i < ntags; i++) {
		len = strlen(tags[i]);
		if (len == n && strncasecmp(tags[i], r, n) == 0)
			return (int)i;
		if (len < n && r[len] == '-' && strncasecmp(tags[i], r, len) == 0 && len > best_len) {
			best = (int)i;
			best_len = len;
		}
		if (ext == -1 && len > n && tags[i][n] == '-' && strncasecmp(tags[i], r, n) == 0)
			ext = (int)i;
	}
	return best != -1 ? best : ext;
}

int
lang_accept(const char *h, const char *const *tags, size_t ntags)
{
	const char	*el, *end, *semi, *p;
	size_t		 rlen;
	int		 q, best = -1, best_q = 0, m;

	if (h == NULL)
		return -1;
	for (el = h; *el != '\0'; el = *end != '\0' ? end + 1 : end) {
		end = strchr(el, ',');
		if (end == NULL)
			end = el + strlen(el);
		while (el < end && is_ows((unsigned char)*el))
			el++;
		for (p = el; p < end && *p != ';' && !is_ows((unsigned char)*p); p++)
			continue;
		rlen = (size_t)(p - el);
		q = 1000;
		for (; p < end && is_ows((unsigned char)*p); p++)
			continue;
		if (p < end) {
			if (*p != ';')
				continue;
			for (semi = p + 1; semi < end && is_ows((unsigned char)*semi); semi++)
				continue;
			for (p = end; p > semi && is_ows((unsigned char)p[-1]); p--)
				continue;
			if ((q = qvalue(semi, (size_t)(p - semi))) == -1)
				continue;
		}
		if (rlen == 0 || q <= best_q || !range_ok(el, rlen))
			continue;
		if ((m = range_match(el, rlen, tags, ntags)) != -1) {
			best = m;
			best_q = q;
		}
	}
	return best;
}

/* ---- messages ---- */

const char *
lang_msg(const struct lang *l, const char *id)
{
	const char *s = NULL;

	for (; l != NULL && s == NULL; l = l->fallback)
		s = msgcat_get(l->cat, id);
	return s != NULL ? s : id;
}

static int
is_name_char(int c)
{
	return is_lower(c) || (c >= '0' && c <= '9') || c == '_';
}

int
lang_walk(const char *text, int (*lit)(void *arg, const char *s, size_t n),
    int (*val)(void *arg, const char *name, size_t n), void *arg)
{
	const char	*p = text, *start = text, *q;

	while ((p = strchr(p, '{')) != NULL) {
		for (q = p + 1; is_name_char((unsigned char)*q); q++)
			continue;
		if (q == p + 1 || *q != '}') {
			p++;
			continue;
		}
		if ((p > start && lit(arg, start, (size_t)(p - start)) == -1) ||
		    val(arg, p + 1, (size_t)(q - p - 1)) == -1)
			return -1;
		start = p = q + 1;
	}
	return *start != '\0' ? lit(arg, start, strlen(start)) : 0;
}

struct pairs {
	struct buf	*out;
	const char	*const *kv;	/* name, value, name, value ... */
	size_t		 n;		/* names */
};

static int
put_lit(void *arg, const char *s, size_t n)
{
	struct pairs *p = arg;

	return buf_put(p->out, s, n);
}

static int
put_pair(void *arg, const char *name, size_t n)
{
	struct pairs	*p = arg;
	size_t		 i;

	for (i = 0; i < p->n; i++)
		if (strlen(p->kv[2 * i]) == n && memcmp(p->kv[2 * i], name, n) == 0)
			return buf_puts(p->out, p->kv[2 * i + 1]);
	return -1;
}

#define MAX_PAIRS 8

/* Fill text from pairs (names and values, n names). */
static int
fill(struct buf *out, const char *text, const char *const *kv, size_t n)
{
	struct pairs p = { out, kv, n };

	return lang_walk(text, put_lit, put_pair, &p) == 0 && !out->oom ? 0 : -1;
}

int
lang_vformat(const struct lang *l, struct buf *out, const char *id, va_list ap)
{
	const char	*kv[2 * MAX_PAIRS];
	size_t		 n = 0;

	while (n < MAX_PAIRS && (kv[2 * n] = va_arg(ap, const char *)) != NULL) {
		kv[2 * n + 1] = va_arg(ap, const char *);
		n++;
	}
	return fill(out, lang_msg(l, id), kv, n);
}

int
lang_format(const struct lang *l, struct buf *out, const char *id, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, id);
	rc = lang_vformat(l, out, id, ap);
	va_end(ap);
	return rc;
}

/* ---- dates ---- */

static const char *const weekdays[] = {
	N_("date.wd.0"), N_("date.wd.1"), N_("date.wd.2"), N_("date.wd.3"), N_("date.wd.4"), N_("date.wd.5"),
	N_("date.wd.6"),
};

static const char *const months[] = {
	N_("date.month.1"), N_("date.month.2"), N_("date.month.3"), N_("date.month.4"), N_("date.month.5"),
	N_("date.month.6"), N_("date.month.7"), N_("date.month.8"), N_("date.month.9"), N_("date.month.10"),
	N_("date.month.11"), N_("date.month.12"),
};

int
lang_date(const struct lang *l, struct jn_date d, struct buf *out)
{
	char	 y[8], m[4], day[4];
	int	 wd = jn_weekday(d);

	if (wd < 0)
		return -1;
	snprintf(y, sizeof(y), "%d", d.y);
	snprintf(m, sizeof(m), "%d", d.m);
	snprintf(day, sizeof(day), "%d", d.d);
	return lang_format(l, out, N_("date.format"), "y", y, "m", m, "d", day,
	    "month", lang_msg(l, months[d.m - 1]), "wd", lang_msg(l, weekdays[wd]), (const char *)NULL);
}

int
lang_month_day(const struct lang *l, int m, int d, struct buf *out)
{
	char	 ms[4], ds[4];

	if (!jn_date_valid(2000, m, d))
		return -1;
	snprintf(ms, sizeof(ms), "%d", m);
	snprintf(ds, sizeof(ds), "%d", d);
	return lang_format(l, out, N_("date.month_day"), "m", ms, "d", ds, "month", lang_msg(l, months[m - 1]),
	    (const char *)NULL);
}

int
lang_time(const struct lang *l, time_t t, struct buf *out)
{
	struct buf	 date;
	char		 h[4], hh[4], mm[4];
	int		 hour, min, rc;

	jst_clock(t, &hour, &min);
	snprintf(h, sizeof(h), "%d", hour);
	snprintf(hh, sizeof(hh), "%02d", hour);
	snprintf(mm, sizeof(mm), "%02d", min);
	buf_init(&date);
	rc = lang_date(l, jst_date(t), &date) == 0 ? lang_format(l, out, N_("date.time"), "date", buf_cstr(&date),
	    "hour", h, "hh", hh, "mm", mm, (const char *)NULL) : -1;
	buf_free(&date);
	return rc;
}
