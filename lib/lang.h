/*
 * lang: the languages residents read, one message catalogue each
 * (msgcat.h), and what depends on the language: choosing one from a
 * browser's Accept-Language, messages with named values, dates and times.
 *
 * A language is the catalogue po/<tag>.po compiled to <dir>/<tag>.mo; the
 * tag (file name) is what <html lang>, the language cookie and a
 * definition's texts ("label: {ja: ..., en: ...}") use.  Japanese (LANG_DEFAULT)
 * must be there: it is the service's own language, the first of the set,
 * and what a message missing from another catalogue falls back to.  A
 * third language is a third catalogue: no code names the others.
 *
 * A catalogue's text may hold named values, "{title}" (a name of a-z, 0-9
 * and '_' in braces); any other brace is text.  Every catalogue gives
 * lang.name (the language's own name, for the link that switches to it),
 * date.format, date.month_day, date.time, date.wd.0 to date.wd.6 (Sunday first) and
 * date.month.1 to date.month.12 (see lang_date).
 *
 * Ownership: langset_load() returns a set the caller frees with
 * langset_free(); struct lang pointers and the strings they give are
 * borrowed from the set and valid until then (a reload replaces the whole
 * set between requests).
 */
#ifndef LANG_H
#define LANG_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "jnorm.h"
#include "msgcat.h"

#define LANG_DEFAULT	"ja"
#define LANG_TAG_MAX	15
#define LANG_COOKIE	"lang"		/* the reader's choice of a language (apply's /lang) */

struct lang {
	char			 tag[LANG_TAG_MAX + 1];
	size_t			 index;		/* in its set; LANG_DEFAULT is 0 */
	struct msgcat		*cat;
	const struct lang	*fallback;	/* the default language; NULL for the default itself */
};

struct langset;

/*
 * Every <tag>.mo in dir.  NULL, with "file: message\n" lines appended to
 * err (may be NULL), when a catalogue is refused, a file name is not a tag,
 * or LANG_DEFAULT is missing: a set is whole or not used.
 */
struct langset	*langset_load(const char *dir, struct buf *err);
void		 langset_free(struct langset *s);
size_t		 langset_count(const struct langset *s);
/* The i-th language (0: LANG_DEFAULT, then by tag), or NULL. */
const struct lang *langset_at(const struct langset *s, size_t i);
/* The language with exactly this tag, or NULL. */
const struct lang *langset_get(const struct langset *s, const char *tag);

struct tvars;
/*
 * What a page in l shows of the languages (tmpl.h values in v): lang (its
 * tag), back (the path the switch returns to; the caller checks it) and
 * langs, the others (tag, name: each in its own language), for the links
 * that switch to them.  0, or -1 when memory ran out.
 */
int		 lang_page_vars(const struct langset *s, const struct lang *l, const char *back, struct tvars *v);

/*
 * Is s (len bytes) shaped like our languages' tags: 2 or 3 lower-case
 * letters, then up to three subtags of 1 to 8 letters or digits after '-',
 * 15 bytes at most ("en", "zh-hant", "ja-x-easy")?  Pure: a kv validator.
 */
int		 lang_tag_ok(const char *s, size_t len);
/*
 * The language a browser prefers among tags (n of them, tags[0] the
 * default), from its Accept-Language header (RFC 9110 12.5.4): the range
 * with the highest weight that matches a tag wins, the earlier one of equal
 * weights; q=0 and malformed elements count for nothing.  A range matches
 * the tag equal to it (ignoring case), else the longest tag it begins with
 * up to a '-' ("en-GB" -> "en"), else a tag that begins with it ("zh" ->
 * "zh-hant"); "*" matches tags[0].  Returns the tag's index, or -1 when
 * nothing matches.  Pure.
 */
int		 lang_accept(const char *header, const char *const *tags, size_t n);

/*
 * The language tagged tag as staff read it: its name in Japanese
 * (lang.name_ja of its catalogue: 英語), or tag itself when s (may be NULL)
 * has no such language.
 */
const char	*lang_name_ja(const struct langset *s, const char *tag);

/*
 * The text of id: from l's catalogue, else from the default language's,
 * else id itself (a message no catalogue has: the catalogue check in make
 * test keeps this from happening).  Never NULL.
 */
const char	*lang_msg(const struct lang *l, const char *id);
/*
 * Walk text: each piece of literal text to lit(), each "{name}" to val()
 * with the name.  Stops at the first callback that returns -1 and returns
 * -1; 0 when the whole text was walked.
 */
int		 lang_walk(const char *text, int (*lit)(void *arg, const char *s, size_t n),
		    int (*val)(void *arg, const char *name, size_t n), void *arg);
/*
 * Append id's text to out with its named values filled in: the arguments
 * after id are pairs of a name and its value (const char *), ended by a
 * NULL name.  -1 when the text names a value not given (a bug) or out
 * could not grow.
 */
int		 lang_format(const struct lang *l, struct buf *out, const char *id, ...);
/* The same with the pairs in ap. */
int		 lang_vformat(const struct lang *l, struct buf *out, const char *id, va_list ap);
/*
 * A date in l: date.format with {y} {m} {d} (numbers), {month} (the
 * month's name, date.month.<m>) and {wd} (the weekday's name, date.wd.<n>):
 * "2027年3月12日（金）", "Fri 12 March 2027".  -1 for an invalid date.
 */
int		 lang_date(const struct lang *l, struct jn_date d, struct buf *out);
/* A day of a year without its year (4 and 1: "4月1日", "1 April"): date.month_day with {m} {d} {month}. */
int		 lang_month_day(const struct lang *l, int m, int d, struct buf *out);
/* A moment in Japan time: date.time with {date} (lang_date), {hour}, {hh} (two digits) and {mm}. */
int		 lang_time(const struct lang *l, time_t t, struct buf *out);

#endif
