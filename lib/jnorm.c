#include "jnorm.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "lang.h"
#include "seal.h"

/*
 * Input bytes allowed per character of maxlength, plus slack for surrounding
 * white space.  NFKC can fold several code points into one (a base letter and
 * up to three marks), so this is generous; it only bounds the work done on
 * hostile input before the real, post-normalisation count decides.
 */
#define BYTES_PER_CHAR	16
#define BYTES_SLACK	1024

#define TEL_MAX_DIGITS	11
#define EMAIL_MAX	254
#define EMAIL_LOCAL_MAX	64
#define LABEL_MAX	63

/* Code points the rules name. */
#define UC_POSTAL_MARK	0x3012	/* 〒 */
#define UC_IDEO_STOP	0x3002	/* 。, typed for "." in domains (IDNA maps it too) */
#define UC_NEN		0x5E74	/* 年 */
#define UC_GETSU	0x6708	/* 月 */
#define UC_NICHI	0x65E5	/* 日 */
#define UC_GAN		0x5143	/* 元, as in 元年 */

/* A value as code points: the type rules look around, which is simpler on UTF-32. */
struct cps {
	ucs4_t	*p;
	size_t	 n;
};

struct era {
	ucs4_t		name[2];
	char		letter;
	int		base;		/* Gregorian year of era year 0 */
	struct jn_date	first, last;
};

static const struct era eras[] = {
	{ { 0x5927, 0x6B63 }, 'T', 1911, { 1912, 7, 30 }, { 1926, 12, 24 } },	/* 大正 */
	{ { 0x662D, 0x548C }, 'S', 1925, { 1926, 12, 25 }, { 1989, 1, 7 } },	/* 昭和 */
	{ { 0x5E73, 0x6210 }, 'H', 1988, { 1989, 1, 8 }, { 2019, 4, 30 } },	/* 平成 */
	{ { 0x4EE4, 0x548C }, 'R', 2018, { 2019, 5, 1 }, { 9999, 12, 31 } },	/* 令和 */
};

static void
cps_free(struct cps *c)
{
	if (c->p != NULL) {
		seal_wipe(c->p, c->n * sizeof(*c->p));
		free(c->p);
	}
	c->p = NULL;
	c->n = 0;
}

static size_t
default_max(enum jn_type type)
{
	switch (type) {
	case JN_TEXTAREA:	return 2000;
	case JN_KANA:		return 50;
	case JN_POSTAL:		return 8;
	case JN_TEL:		return 2 * TEL_MAX_DIGITS - 1;	/* every digit hyphenated */
	case JN_EMAIL:		return EMAIL_MAX;
	case JN_DATE:		return 10;
	case JN_MONTH_DAY:	return 5;
	case JN_NUMBER:		return 9;
	case JN_TEXT:
	default:		return 100;
	}
}

static size_t
effective_max(enum jn_type type, const struct jn_rules *rules)
{
	return rules->maxlength != 0 ? rules->maxlength : default_max(type);
}

static int
is_space(ucs4_t uc)
{
	return uc_is_property_white_space(uc);
}

/*
 * C0, DEL, C1, line and paragraph separators, and the bidi embedding,
 * override and isolate controls: the last can make a stored name display
 * as something else on staff screens.
 */
static int
is_control(ucs4_t uc)
{
	return uc < 0x20 || (uc >= 0x7F && uc <= 0x9F) || uc == 0x2028 || uc == 0x2029 ||
	    (uc >= 0x202A && uc <= 0x202E) || (uc >= 0x2066 && uc <= 0x2069);
}

static int
is_hyphen(ucs4_t uc)
{
	return uc == '-' || (uc >= 0x2010 && uc <= 0x2015) || uc == 0x2212 ||
	    uc == 0x30FC || uc == 0xFF70 || uc == 0xFE63 || uc == 0xFF0D;
}

static int
is_digit(ucs4_t uc)
{
	return uc >= '0' && uc <= '9';
}

static int
put_uc(struct buf *b, ucs4_t uc)
{
	uint8_t	 tmp[6];
	int	 n;

	if ((n = u8_uctomb(tmp, uc, (ptrdiff_t)sizeof(tmp))) < 0)
		return -1;
	return buf_put(b, tmp, (size_t)n);
}

/* Valid UTF-8 in, NFKC code points out. */
static enum jn_err
nfkc(const char *in, size_t len, struct cps *out)
{
	struct cps	 raw = { NULL, 0 };

	raw.p = u8_to_u32((const uint8_t *)in, len, NULL, &raw.n);
	if (raw.p == NULL)
		return JN_NOMEM;
	out->p = u32_normalize(UNINORM_NFKC, raw.p, raw.n, NULL, &out->n);
	cps_free(&raw);
	if (out->p == NULL) {
		out->n = 0;
		return JN_NOMEM;
	}
	return JN_OK;
}

/* JN_TEXT and JN_TEXTAREA: only control characters and line breaks matter. */
static enum jn_err
norm_text(const ucs4_t *s, size_t n, int multiline, struct buf *out)
{
	size_t	 i;
	ucs4_t	 uc;

	for (i = 0; i < n; i++) {
		uc = s[i];
		if (multiline && (uc == '\r' || uc == 0x2028 || uc == 0x2029)) {
			if (uc == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
			uc = '\n';
		} else if (is_control(uc) && !(multiline && (uc == '\n' || uc == '\t')))
			return JN_CONTROL;
		if (put_uc(out, uc) == -1)
			return JN_NOMEM;
	}
	return JN_OK;
}

static enum jn_err
norm_kana(const ucs4_t *s, size_t n, struct buf *out)
{
	size_t	 i;
	ucs4_t	 uc;
	int	 space = 0;

	for (i = 0; i < n; i++) {
		uc = s[i];
		if (is_space(uc)) {
			space = 1;
			continue;
		}
		/* Hiragana ぁ..ゖ and ゝゞ sit exactly 0x60 below their katakana. */
		if ((uc >= 0x3041 && uc <= 0x3096) || uc == 0x309D || uc == 0x309E)
			uc += 0x60;
		/* ァ..ヺ, ・, ー, ヽ, ヾ: one contiguous range. */
		if (uc < 0x30A1 || uc > 0x30FE)
			return JN_NOT_KANA;
		if ((space && buf_putc(out, ' ') == -1) || put_uc(out, uc) == -1)
			return JN_NOMEM;
		space = 0;
	}
	return JN_OK;
}

static enum jn_err
norm_postal(const ucs4_t *s, size_t n, struct buf *out)
{
	char	 d[7];
	size_t	 i = 0, nd = 0, nh = 0, hyphen_at = 0;

	if (n > 0 && s[0] == UC_POSTAL_MARK)
		i++;
	for (; i < n; i++) {
		if (is_space(s[i]))
			continue;
		if (is_hyphen(s[i])) {
			nh++;
			hyphen_at = nd;
		} else if (is_digit(s[i]) && nd < sizeof(d))
			d[nd++] = (char)s[i];
		else
			return JN_BAD_POSTAL;
	}
	if (nd != sizeof(d) || nh > 1 || (nh == 1 && hyphen_at != 3))
		return JN_BAD_POSTAL;
	if (buf_printf(out, "%.3s-%.4s", d, d + 3) == -1)
		return JN_NOMEM;
	return JN_OK;
}

static int
is_tel_separator(ucs4_t uc)
{
	return uc == ' ' || uc == '(' || uc == ')' || is_space(uc);
}

/* Bounded: at most 11 digits and a hyphen between any two of them. */
static enum jn_err
norm_tel(const ucs4_t *s, size_t n, struct buf *out)
{
	char	 t[2 * TEL_MAX_DIGITS + 1];
	size_t	 i = 0, nt = 0, nd = 0;

	if (n > 0 && s[0] == '+') {
		if (n < 3 || s[1] != '8' || s[2] != '1')
			return JN_BAD_TEL;
		/* +81 stands for the trunk 0; "+81 (0)3 ..." and "+81 03 ..." mean the same. */
		for (i = 3; i < n && (is_tel_separator(s[i]) || is_hyphen(s[i])); i++)
			continue;
		if (i < n && s[i] == '0')
			i++;
		t[nt++] = '0';
		nd++;
	}
	for (; i < n; i++) {
		if (is_tel_separator(s[i]))
			continue;
		if (is_hyphen(s[i])) {
			if (nt > 0 && t[nt - 1] != '-')
				t[nt++] = '-';
		} else if (is_digit(s[i]) && nd < TEL_MAX_DIGITS) {
			t[nt++] = (char)s[i];
			nd++;
		} else
			return JN_BAD_TEL;
	}
	if (nt > 0 && t[nt - 1] == '-')
		nt--;
	if ((nd != 10 && nd != 11) || t[0] != '0')
		return JN_BAD_TEL;
	if (buf_put(out, t, nt) == -1)
		return JN_NOMEM;
	return JN_OK;
}

/* RFC 5322 atext: what an unquoted local part may hold besides dots. */
static int
is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* "=?" starts an RFC 2047 encoded word, which some mail programs decode even inside an address. */
static int
has_encoded_word(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (l[i] == '=' && l[i + 1] == '?')
			return 1;
	return 0;
}

static int
local_ok(const char *l, size_t n)
{
	size_t	 i;

	if (n < 1 || n > EMAIL_LOCAL_MAX || l[0] == '.' || l[n - 1] == '.' || has_encoded_word(l, n))
		return 0;
	for (i = 0; i < n; i++) {
		if (l[i] == '.' ? l[i + 1] == '.' : !is_atext(l[i]))
			return 0;
	}
	return 1;
}

/* Letters (either case), digits and hyphens, labels 1..63, at least two. */
static int
domain_ok(const char *dom, size_t n)
{
	size_t	 i, label = 0, dots = 0;
	char	 c;

	for (i = 0; i <= n; i++) {
		c = i < n ? dom[i] : '.';
		if (c == '.') {
			if (label == 0 || label > LABEL_MAX || dom[i - 1] == '-')
				return 0;
			label = 0;
			dots += i < n;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		label++;
	}
	return dots >= 1;
}

int
jn_email_ok(const char *a, size_t n)
{
	const char	*at;
	size_t		 i;

	if (n > EMAIL_MAX || (at = memchr(a, '@', n)) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] < 0x21 || (unsigned char)a[i] > 0x7e)
			return 0;
	return local_ok(a, (size_t)(at - a)) && domain_ok(at + 1, n - (size_t)(at - a) - 1);
}

static enum jn_err
norm_email(const ucs4_t *s, size_t n, struct buf *out)
{
	char		 a[EMAIL_MAX + 1];
	const char	*at;
	size_t		 i;
	enum jn_err	 err = JN_OK;

	if (n > EMAIL_MAX)
		return JN_BAD_EMAIL;
	for (i = 0; i < n; i++)	/* what is not printable ASCII becomes a space, which jn_email_ok() refuses */
		a[i] = (char)(s[i] == UC_IDEO_STOP ? '.' : s[i] < 0x21 || s[i] > 0x7e ? ' ' : s[i]);
	a[n] = '\0';
	at = strchr(a, '@');
	if (!jn_email_ok(a, n))
		err = at != NULL && has_encoded_word(a, (size_t)(at - a)) ? JN_EMAIL_ENCODED : JN_BAD_EMAIL;
	else {
		for (i = (size_t)(at - a) + 1; i < n; i++)
			if (a[i] >= 'A' && a[i] <= 'Z')
				a[i] = (char)(a[i] - 'A' + 'a');
		if (buf_put(out, a, n) == -1)
			err = JN_NOMEM;
	}
	seal_wipe(a, sizeof(a));
	return err;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* minlen..maxlen ASCII digits at s[*i]; no sign, no overflow (maxlen <= 4). */
static int
take_num(const ucs4_t *s, size_t n, size_t *i, size_t minlen, size_t maxlen, int *v)
{
	size_t	 k = 0;

	*v = 0;
	while (*i < n && is_digit(s[*i]) && k < maxlen) {
		*v = *v * 10 + (int)(s[*i] - '0');
		(*i)++;
		k++;
	}
	if (k < minlen || (*i < n && is_digit(s[*i])))
		return -1;
	return 0;
}

static int
date_cmp(struct jn_date a, struct jn_date b)
{
	if (a.y != b.y)
		return a.y < b.y ? -1 : 1;
	if (a.m != b.m)
		return a.m < b.m ? -1 : 1;
	if (a.d != b.d)
		return a.d < b.d ? -1 : 1;
	return 0;
}

static const struct era *
take_era(const ucs4_t *s, size_t n, size_t *i)
{
	size_t	 k;
	ucs4_t	 up;

	if (n == 0)
		return NULL;
	up = (s[0] >= 'a' && s[0] <= 'z') ? s[0] - 'a' + 'A' : s[0];
	for (k = 0; k < sizeof(eras) / sizeof(eras[0]); k++) {
		if (n >= 2 && s[0] == eras[k].name[0] && s[1] == eras[k].name[1]) {
			*i = 2;
			return &eras[k];
		}
		if (up == (ucs4_t)eras[k].letter) {
			*i = 1;
			return &eras[k];
		}
	}
	return NULL;
}

/*
 * The date syntaxes: [era] year ("年" month "月" day ["日"] | sep month sep
 * day) with sep one of - / . used twice.  A Gregorian year has four digits;
 * an era year one or two, or 元.  Spaces are gone and hyphens are '-'.
 */
static int
parse_date(const ucs4_t *s, size_t n, struct jn_date *d)
{
	const struct era	*era;
	size_t			 i = 0;
	ucs4_t			 sep;

	if (n == 0)
		return -1;
	if ((era = take_era(s, n, &i)) != NULL) {
		if (i < n && s[i] == UC_GAN) {
			d->y = 1;
			i++;
		} else if (take_num(s, n, &i, 1, 2, &d->y) == -1 || d->y < 1)
			return -1;
		d->y += era->base;
	} else if (take_num(s, n, &i, 4, 4, &d->y) == -1)
		return -1;
	if (i >= n)
		return -1;
	sep = s[i++];
	if (sep == UC_NEN) {
		if (take_num(s, n, &i, 1, 2, &d->m) == -1 || i >= n || s[i++] != UC_GETSU ||
		    take_num(s, n, &i, 1, 2, &d->d) == -1)
			return -1;
		if (i < n && s[i] == UC_NICHI)
			i++;
	} else if (sep == '-' || sep == '/' || sep == '.') {
		if (take_num(s, n, &i, 1, 2, &d->m) == -1 || i >= n || s[i++] != sep ||
		    take_num(s, n, &i, 1, 2, &d->d) == -1)
			return -1;
	} else
		return -1;
	if (i != n || !jn_date_valid(d->y, d->m, d->d))
		return -1;
	if (era != NULL && (date_cmp(*d, era->first) < 0 || date_cmp(*d, era->last) > 0))
		return -1;
	return 0;
}

static enum jn_err
date_rules(struct jn_date d, const struct jn_rules *rules)
{
	struct jn_date	 on = rules->age_on.y != 0 ? rules->age_on : rules->today;
	int		 age;

	if (rules->not_future && rules->today.y != 0 && date_cmp(d, rules->today) > 0)
		return JN_DATE_FUTURE;
	if (on.y == 0 || (rules->min_age <= 0 && rules->max_age <= 0))
		return JN_OK;
	age = jn_age_on(d, on);
	if (rules->min_age > 0 && age < rules->min_age)
		return JN_AGE_TOO_YOUNG;
	if (rules->max_age > 0 && age > rules->max_age)
		return JN_AGE_TOO_OLD;
	return JN_OK;
}

/* A written date without its white space, every hyphen '-': what the date readers take. */
static enum jn_err
compact(const ucs4_t *s, size_t n, struct cps *c)
{
	size_t i;

	if ((c->p = calloc(n, sizeof(*c->p))) == NULL)
		return JN_NOMEM;
	for (i = 0; i < n; i++) {
		if (!is_space(s[i]))
			c->p[c->n++] = is_hyphen(s[i]) ? '-' : s[i];
	}
	return JN_OK;
}

static enum jn_err
norm_date(const ucs4_t *s, size_t n, const struct jn_rules *rules, struct buf *out)
{
	struct cps	 c = { NULL, 0 };
	struct jn_date	 d;
	enum jn_err	 err;

	if (compact(s, n, &c) != JN_OK)
		return JN_NOMEM;
	err = parse_date(c.p, c.n, &d) == -1 ? JN_BAD_DATE : date_rules(d, rules);
	cps_free(&c);
	if (err == JN_OK && buf_printf(out, "%04d-%02d-%02d", d.y, d.m, d.d) == -1)
		err = JN_NOMEM;
	return err;
}

/* 1 when month m has a day d in some year (29 February included). */
static int
month_day_valid(int m, int d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(2000, m);
}

/* month ("月" day ["日"] | sep day) with sep one of - / . : "4月1日", "4/1", "04-01". */
static int
parse_month_day(const ucs4_t *s, size_t n, int *m, int *d)
{
	size_t	 i = 0;
	ucs4_t	 sep;

	if (take_num(s, n, &i, 1, 2, m) == -1 || i >= n)
		return -1;
	sep = s[i++];
	if (sep != UC_GETSU && sep != '-' && sep != '/' && sep != '.')
		return -1;
	if (take_num(s, n, &i, 1, 2, d) == -1)
		return -1;
	if (sep == UC_GETSU && i < n && s[i] == UC_NICHI)
		i++;
	return i == n && month_day_valid(*m, *d) ? 0 : -1;
}

static enum jn_err
norm_month_day(const ucs4_t *s, size_t n, struct buf *out)
{
	struct cps	 c = { NULL, 0 };
	enum jn_err	 err;
	int		 m, d;

	if (compact(s, n, &c) != JN_OK)
		return JN_NOMEM;
	err = parse_month_day(c.p, c.n, &m, &d) == -1 ? JN_BAD_MONTH_DAY : JN_OK;
	cps_free(&c);
	if (err == JN_OK && buf_printf(out, "%02d-%02d", m, d) == -1)
		err = JN_NOMEM;
	return err;
}

static enum jn_err
norm_number(const ucs4_t *s, size_t n, const struct jn_rules *rules, size_t max, struct buf *out)
{
	size_t	 i;
	long	 v = 0;
	int	 dv;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return JN_NOT_NUMBER;
	}
	while (n > 1 && s[0] == '0') {
		s++;
		n--;
	}
	if (n > max)
		return JN_TOO_LONG;
	for (i = 0; i < n; i++) {
		dv = (int)(s[i] - '0');
		if (v > (LONG_MAX - dv) / 10)
			return JN_TOO_LARGE;
		v = v * 10 + dv;
		if (put_uc(out, s[i]) == -1)
			return JN_NOMEM;
	}
	if (rules->has_min && v < rules->min)
		return JN_TOO_SMALL;
	if (rules->has_max && v > rules->max)
		return JN_TOO_LARGE;
	return JN_OK;
}

static enum jn_err
dispatch(enum jn_type type, const ucs4_t *s, size_t n, const struct jn_rules *rules,
    size_t max, struct buf *out)
{
	size_t	 i;

	if (type != JN_TEXTAREA) {
		for (i = 0; i < n; i++) {
			if (is_control(s[i]))
				return JN_CONTROL;
		}
	}
	switch (type) {
	case JN_TEXTAREA:	return norm_text(s, n, 1, out);
	case JN_KANA:		return norm_kana(s, n, out);
	case JN_POSTAL:		return norm_postal(s, n, out);
	case JN_TEL:		return norm_tel(s, n, out);
	case JN_EMAIL:		return norm_email(s, n, out);
	case JN_DATE:		return norm_date(s, n, rules, out);
	case JN_NUMBER:		return norm_number(s, n, rules, max, out);
	case JN_MONTH_DAY:	return norm_month_day(s, n, out);
	case JN_TEXT:
	default:		return norm_text(s, n, 0, out);
	}
}

enum jn_err
jn_normalize(enum jn_type type, const char *in, size_t len, const struct jn_rules *rules,
    struct buf *out)
{
	static const struct jn_rules	 none;
	struct cps			 c = { NULL, 0 };
	enum jn_err			 err;
	size_t				 max, b, e;

	buf_reset(out);
	if (rules == NULL)
		rules = &none;
	max = effective_max(type, rules);
	if (len == 0)
		return JN_EMPTY;
	if (u8_check((const uint8_t *)in, len) != NULL)
		return JN_BAD_UTF8;
	if (max <= (SIZE_MAX - BYTES_SLACK) / BYTES_PER_CHAR &&
	    len > max * BYTES_PER_CHAR + BYTES_SLACK)
		return JN_TOO_LONG;
	if ((err = nfkc(in, len, &c)) != JN_OK)
		return err;
	for (b = 0; b < c.n && is_space(c.p[b]); b++)
		continue;
	for (e = c.n; e > b && is_space(c.p[e - 1]); e--)
		continue;
	if (b == e)
		err = JN_EMPTY;
	else if ((err = dispatch(type, c.p + b, e - b, rules, max, out)) == JN_OK &&
	    jn_charcount(out->data, out->len) > max)
		err = JN_TOO_LONG;
	cps_free(&c);
	if (err == JN_OK && out->oom)
		err = JN_NOMEM;
	if (err != JN_OK)
		buf_reset(out);
	return err;
}

/* The message for a number out of its bounds. */
static const char *
range_id(enum jn_err err, const struct jn_rules *r)
{
	if (r->has_min && r->has_max)
		return N_("input.range");
	if (err == JN_TOO_SMALL && r->has_min)
		return N_("input.too_small");
	if (err == JN_TOO_LARGE && r->has_max)
		return N_("input.too_large");
	/* No bound given: the number did not fit in a long. */
	return err == JN_TOO_SMALL ? N_("input.far_too_small") : N_("input.far_too_large");
}

/* The messages that need nothing but the field's label. */
static const char *const plain_ids[] = {
	[JN_EMPTY] = N_("input.empty"),
	[JN_BAD_UTF8] = N_("input.bad_chars"),
	[JN_CONTROL] = N_("input.bad_chars"),
	[JN_NOT_KANA] = N_("input.not_kana"),
	[JN_BAD_POSTAL] = N_("input.bad_postal"),
	[JN_BAD_TEL] = N_("input.bad_tel"),
	[JN_BAD_EMAIL] = N_("input.bad_email"),
	[JN_EMAIL_ENCODED] = N_("input.email_encoded"),
	[JN_BAD_DATE] = N_("input.bad_date"),
	[JN_DATE_FUTURE] = N_("input.date_future"),
	[JN_NOT_NUMBER] = N_("input.not_number"),
	[JN_BAD_MONTH_DAY] = N_("input.bad_month_day"),
	[JN_NOMEM] = N_("input.nomem"),
};

/* The message id for err, NULL for none. */
static const char *
message_id(enum jn_err err, enum jn_type type, const struct jn_rules *r, int dated)
{
	switch (err) {
	case JN_OK:
		return NULL;
	case JN_TOO_LONG:
		return type == JN_NUMBER ? N_("input.too_many_digits") : N_("input.too_long");
	case JN_TOO_SMALL:
	case JN_TOO_LARGE:
		return range_id(err, r);
	case JN_AGE_TOO_YOUNG:
		return dated ? N_("input.age_min_on") : N_("input.age_min");
	case JN_AGE_TOO_OLD:
		return dated ? N_("input.age_max_on") : N_("input.age_max");
	default:
		if ((unsigned)err >= sizeof(plain_ids) / sizeof(plain_ids[0]))
			return NULL;
		return plain_ids[err];
	}
}

int
jn_message(enum jn_err err, const char *label, enum jn_type type, const struct jn_rules *rules,
    const struct lang *lang, struct buf *out)
{
	static const struct jn_rules	 none;
	struct jn_date			 on;
	struct buf			 date;
	const char			*id;
	char				 min[24], max[24], age[8];
	int				 rc, dated;

	if (rules == NULL)
		rules = &none;
	on = rules->age_on.y != 0 ? rules->age_on : rules->today;
	dated = jn_date_valid(on.y, on.m, on.d);
	if (err == JN_OK)
		return 0;
	if ((id = message_id(err, type, rules, dated)) == NULL)
		return -1;
	snprintf(min, sizeof(min), "%ld", rules->min);
	snprintf(max, sizeof(max), "%ld", type == JN_NUMBER && err != JN_TOO_LONG ? rules->max :
	    (long)effective_max(type, rules));
	snprintf(age, sizeof(age), "%d", err == JN_AGE_TOO_YOUNG ? rules->min_age : rules->max_age);
	buf_init(&date);
	rc = dated && lang_date(lang, on, &date) == -1 ? -1 :
	    lang_format(lang, out, id, "label", label != NULL ? label : lang_msg(lang, N_("input.this_field")),
	    "min", min, "max", max, "age", age, "date", buf_cstr(&date), (const char *)NULL);
	buf_free(&date);
	return rc;
}

int
jn_date_valid(int y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* n ASCII digits at s as a number, or -1. */
static int
fixed_digits(const char *s, size_t n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

enum jn_date_why
jn_date_scan(const char *s, size_t len, struct jn_date *d, int *hh, int *mm)
{
	int y, m, day, h = 0, mi = 0;

	if (len != (hh != NULL ? 16u : 10u) || s[4] != '-' || s[7] != '-' ||
	    (y = fixed_digits(s, 4)) == -1 || (m = fixed_digits(s + 5, 2)) == -1 ||
	    (day = fixed_digits(s + 8, 2)) == -1)
		return JN_DATE_SHAPE;
	if (hh != NULL && ((s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
	    (h = fixed_digits(s + 11, 2)) == -1 || (mi = fixed_digits(s + 14, 2)) == -1))
		return JN_DATE_SHAPE;
	d->y = y;
	d->m = m;
	d->d = day;
	if (hh != NULL) {
		*hh = h;
		*mm = mi;
	}
	if (y < 1)
		return JN_DATE_YEAR;
	if (m < 1 || m > 12)
		return JN_DATE_MONTH;
	if (day < 1 || day > days_in_month(y, m))
		return JN_DATE_DAY;
	if (h > 23)
		return JN_DATE_HOUR;
	return mi > 59 ? JN_DATE_MINUTE : JN_DATE_OK;
}

int
jn_month_day_parse(const char *canonical, int *m, int *d)
{
	int mm, dd;

	if (canonical == NULL || strlen(canonical) != 5 || canonical[2] != '-' ||
	    (mm = fixed_digits(canonical, 2)) == -1 || (dd = fixed_digits(canonical + 3, 2)) == -1 ||
	    !month_day_valid(mm, dd))
		return -1;
	*m = mm;
	*d = dd;
	return 0;
}

/* s begins with the n code points of p: their count, else 0. */
static size_t
starts_with(const ucs4_t *s, size_t sn, const ucs4_t *p, size_t n)
{
	return n > 0 && sn >= n && memcmp(s, p, n * sizeof(*p)) == 0 ? n : 0;
}

/* A postal code at the start ("〒160-0022", "1600022"): its length in code points, else 0. */
static size_t
postal_prefix(const ucs4_t *s, size_t n)
{
	size_t	 i = n > 0 && s[0] == UC_POSTAL_MARK, digits = 0;

	for (; i < n && digits < 7; i++) {
		if (is_digit(s[i]))
			digits++;
		else if (!(s[i] == '-' && digits == 3))
			break;
	}
	return digits == 7 ? i : 0;
}

int
jn_address_in_ward(const char *addr, size_t len, const char *ward)
{
	static const ucs4_t	 tokyo[] = { 0x6771, 0x4EAC, 0x90FD };	/* 東京都 */
	struct cps		 raw = { NULL, 0 }, c = { NULL, 0 }, w = { NULL, 0 };
	size_t			 i = 0;
	int			 rc = -1;

	if (u8_check((const uint8_t *)addr, len) != NULL)
		return 0;
	if (nfkc(addr, len, &raw) != JN_OK || compact(raw.p, raw.n, &c) != JN_OK ||
	    nfkc(ward, strlen(ward), &w) != JN_OK)
		goto done;
	i = postal_prefix(c.p, c.n);
	i += starts_with(c.p + i, c.n - i, tokyo, sizeof(tokyo) / sizeof(tokyo[0]));
	rc = starts_with(c.p + i, c.n - i, w.p, w.n) > 0;
done:
	cps_free(&raw);
	cps_free(&c);
	cps_free(&w);
	return rc;
}

int
jn_date_parse(const char *canonical, struct jn_date *d)
{
	struct jn_date t;

	if (canonical == NULL || jn_date_scan(canonical, strlen(canonical), &t, NULL, NULL) != JN_DATE_OK)
		return -1;
	*d = t;
	return 0;
}

int
jn_age_on(struct jn_date birth, struct jn_date on)
{
	int age = on.y - birth.y;

	if (on.m < birth.m || (on.m == birth.m && on.d < birth.d))
		age--;
	return age;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long
days_from_civil(struct jn_date d)
{
	long	y = d.m <= 2 ? d.y - 1 : d.y;
	long	era = (y >= 0 ? y : y - 399) / 400;
	long	yoe = y - era * 400;
	long	doy = (153 * (d.m > 2 ? d.m - 3 : d.m + 9) + 2) / 5 + d.d - 1;
	long	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

long
jn_days_between(struct jn_date a, struct jn_date b)
{
	return days_from_civil(b) - days_from_civil(a);
}

/* Sakamoto's method: month offsets for a year counted from March. */
int
jn_weekday(struct jn_date d)
{
	static const int off[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
	int y = d.y;

	if (!jn_date_valid(d.y, d.m, d.d))
		return -1;
	if (d.m < 3)
		y--;
	return (y + y / 4 - y / 100 + y / 400 + off[d.m - 1] + d.d) % 7;
}

size_t
jn_charcount(const char *s, size_t len)
{
	if (s == NULL || len == 0)
		return 0;
	return u8_mbsnlen((const uint8_t *)s, len);
}

int
jn_lookup_code(const char *in, size_t len, int digits_only, char *out, size_t outlen)
{
	struct jn_rules	 rules;
	struct buf	 n;
	size_t		 i, o = 0;
	int		 rc = 0;

	if (outlen == 0)
		return -1;
	memset(&rules, 0, sizeof(rules));
	rules.maxlength = 40;
	buf_init(&n);
	if (jn_normalize(JN_TEXT, in, len, &rules, &n) != JN_OK)
		rc = -1;
	for (i = 0; rc == 0 && i < n.len; i++) {
		char ch = n.data[i];

		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'a' && ch <= 'z' && !digits_only)
			ch = (char)(ch - 'a' + 'A');
		if (!((ch >= '0' && ch <= '9') || (!digits_only && ch >= 'A' && ch <= 'Z')) || o + 1 >= outlen) {
			rc = -1;
			break;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	buf_wipe(&n);
	return rc == 0 && o > 0 ? 0 : -1;	/* only hyphens and spaces: nothing to look up */
}
