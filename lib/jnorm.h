/*
 * jnorm: normalise what residents type (full-width digits and letters,
 * half-width kana, many kinds of hyphen, U+3000 spaces) and then validate it
 * per field type.  Normalisation is NFKC (libunistring), then trimming of
 * white space, then the type's own rules.
 *
 * Ownership: the caller owns every struct buf passed in; functions only
 * append to it (jn_normalize resets `out` first).  Nothing here keeps state
 * or allocates anything the caller must free.  Input and output may be
 * personal data: scratch copies are wiped before they are freed.
 */
#ifndef JNORM_H
#define JNORM_H

#include <stddef.h>

#include "buf.h"

struct lang;

enum jn_type { JN_TEXT, JN_TEXTAREA, JN_KANA, JN_POSTAL, JN_TEL, JN_EMAIL, JN_DATE, JN_NUMBER, JN_MONTH_DAY };

enum jn_err {
	JN_OK = 0, JN_EMPTY, JN_TOO_LONG, JN_BAD_UTF8, JN_CONTROL, JN_NOT_KANA, JN_BAD_POSTAL,
	JN_BAD_TEL, JN_BAD_EMAIL, JN_EMAIL_ENCODED, JN_BAD_DATE, JN_DATE_FUTURE, JN_NOT_NUMBER, JN_TOO_SMALL,
	JN_TOO_LARGE, JN_AGE_TOO_YOUNG, JN_AGE_TOO_OLD, JN_BAD_MONTH_DAY, JN_NOMEM
};

struct jn_date { int y, m, d; };	/* y == 0: unset */

struct jn_rules {
	size_t		maxlength;	/* code points after normalisation; 0 = type default */
	int		has_min, has_max;
	long		min, max;	/* JN_NUMBER bounds */
	int		min_age, max_age; /* JN_DATE: full years on `age_on`; 0 = no rule */
	struct jn_date	age_on;		/* the event's date; unset: `today` is used */
	int		not_future;	/* JN_DATE: must not be after `today` */
	struct jn_date	today;		/* unset: no not_future check */
};

/*
 * Normalise `in` (len bytes) for its type and validate it.  On JN_OK the
 * canonical form is in `out`; on any other result `out` is empty (it is reset
 * first either way; the caller owns it).  `rules` may be NULL: type defaults
 * (maxlength 100 text, 2000 textarea, 50 kana, 9 digits number).  Empty after
 * trimming -> JN_EMPTY
 * (the caller decides whether the field is required).  Invalid UTF-8,
 * overlong forms and surrogates included -> JN_BAD_UTF8.  Pure apart from
 * `out`.  Canonical forms: postal "160-8484"; tel digits with the resident's
 * hyphens ("03-3209-1111"); date "YYYY-MM-DD"; month and day "MM-DD" (a
 * birthday without its year: "４月１日", "4/1", "04-01"; 29 February is a
 * day); number without leading zeros;
 * e-mail with the domain lower-cased (as jn_email_ok(); JN_EMAIL_ENCODED for
 * "=?" in the local part); kana in katakana.
 */
enum jn_err	jn_normalize(enum jn_type type, const char *in, size_t len,
		    const struct jn_rules *rules, struct buf *out);

/*
 * Append a plain, polite message in lang (lang.h: the reader's language)
 * for `err` about the field called `label` (NULL: "this field") to `out`:
 * what to enter, with the limits of `rules` and dates in lang.  Plain text:
 * escape it for HTML when rendering.  JN_OK appends nothing.  0 on success,
 * -1 on failure or an unknown error value.
 */
int		jn_message(enum jn_err err, const char *label, enum jn_type type,
		    const struct jn_rules *rules, const struct lang *lang, struct buf *out);

/*
 * 1 if addr (len bytes) is an address we put in an envelope and a mail
 * header as it is: a dot-atom local part of RFC 5322 atext, at most 64,
 * without "=?" (a mail program may decode an encoded word there and show
 * another address or a forged header), one "@", and a domain of two or
 * more letter-digit-hyphen labels; 254 at most, ASCII, either case.  Pure.
 */
int		jn_email_ok(const char *addr, size_t len);
/* Strict "MM-DD" of a day some year has (02-29 included) -> 0 with *m, *d set; else -1. */
int		jn_month_day_parse(const char *canonical, int *m, int *d);
/*
 * Is the address (len bytes, as the resident typed it) in the ward named
 * ward (e.g. "新宿区")?  After NFKC and without white space, it must start
 * with the ward's name, optionally after "東京都" and before that a postal
 * code ("〒160-0022").  1 yes, 0 no, -1 out of memory.  Pure.
 */
int		jn_address_in_ward(const char *addr, size_t len, const char *ward);
/* Strict "YYYY-MM-DD" of a real date -> 0 and *d set; else -1. */
int		jn_date_parse(const char *canonical, struct jn_date *d);
/* What jn_date_scan() found wrong first; JN_DATE_YEAR: not 1..9999. */
enum jn_date_why {
	JN_DATE_OK, JN_DATE_SHAPE, JN_DATE_YEAR, JN_DATE_MONTH, JN_DATE_DAY, JN_DATE_HOUR, JN_DATE_MINUTE
};
/*
 * The one reader of written dates (jn_date_parse(), the definitions'
 * dates and times, formctl's options): len bytes at s, "YYYY-MM-DD" when
 * hh is NULL, else "YYYY-MM-DD HH:MM" (or with 'T' for the space).  The
 * numbers are stored as read once the shape is right, even when refused,
 * so that a caller can say what is wrong (admins get precise messages).
 */
enum jn_date_why jn_date_scan(const char *s, size_t len, struct jn_date *d, int *hh, int *mm);
/* 1 if y-m-d is a real Gregorian date with 1 <= y <= 9999, else 0. */
int		jn_date_valid(int y, int m, int d);
/*
 * Age in full years on `on`.  A birthday counts from its own day: someone
 * born on 29 February is one year older from 1 March in non-leap years
 * (Japanese law ages a person at the end of the day before the birthday,
 * which for 29 February is the end of 28 February).  Negative when `on` is
 * before `birth`.
 */
int		jn_age_on(struct jn_date birth, struct jn_date on);
/* Days from a to b (negative when b is earlier); both valid dates. */
long		jn_days_between(struct jn_date a, struct jn_date b);
/* 0 = Sunday .. 6 = Saturday; -1 if the date is not valid. */
int		jn_weekday(struct jn_date d);
/* Code points in s (valid UTF-8; an invalid byte counts as one). */
size_t		jn_charcount(const char *s, size_t len);

/*
 * A receipt number or inquiry key as a resident types it (full-width
 * digits, hyphens of any kind, spaces, lower case) to its bare canonical
 * form: digits only, or digits and A-Z.  NFKC first (jn_normalize), so
 * "１２３４－５６７８" is "12345678".  0, or -1 when anything else is in it, when
 * nothing is left, or when it does not fit out (outlen with the NUL).
 */
int		jn_lookup_code(const char *in, size_t len, int digits_only, char *out, size_t outlen);

#endif
