/*
 * ytree: a YAML document that people write by hand (the files in forms/), as a
 * tree whose every node keeps its line and column, and typed getters that
 * check a value and say precisely what is wrong with it.
 *
 * The tree is built from libyaml's events, so that anchors, aliases and
 * tags can be refused (libyaml's document API resolves them silently).
 * Every problem is appended to a struct ytree_errs as one
 * "path:line:column: message\n" line (1-based, English); after
 * YTREE_MAX_ERRORS a last line says that the file was given up on, and the
 * count goes on.  File content quoted in a message is cut short and its
 * control characters replaced, so that a hostile file cannot write escape
 * sequences to a terminal or flood a log.
 *
 * ytree_parse() returns a tree the caller frees with ytree_free(); strings
 * the getters return (char **out) are copies the caller frees.
 */
#ifndef YTREE_H
#define YTREE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define YTREE_MAX_ERRORS	50
#define YTREE_MAX_DEPTH		16	/* deeper than a format needs is a mistake or an attack */
#define YTREE_MAX_NAME		32	/* longest key that a misspelling is looked for */

struct ytree_errs {
	const char	*path;		/* the file, as messages name it */
	struct buf	*out;		/* where the lines go; may be NULL */
	unsigned	 n;		/* problems found, also past the limit */
	int		 oom;		/* memory ran out: nothing built may be trusted */
};

void	ytree_err(struct ytree_errs *e, int line, int col, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Content quoted in a message: at most 79 bytes, "..." when cut, '?' for control characters. */
struct ytree_quoted { char s[80]; };
struct ytree_quoted ytree_quote(const char *s, size_t len);

enum ytree_kind { Y_SCALAR, Y_SEQ, Y_MAP, Y_BAD };	/* Y_BAD: refused, already reported */

struct ynode {
	enum ytree_kind	  kind;
	int		  line, col;
	char		 *s;		/* Y_SCALAR: NUL-terminated */
	size_t		  slen;
	int		  plain;	/* written without quotes */
	struct ynode	**kid;		/* Y_SEQ items; Y_MAP key, value, key, value ... */
	size_t		  nkid, capkid;
};

/*
 * The tree of the one document in data (UTF-8, without a byte order mark),
 * or NULL: after a syntax error (libyaml cannot recover from one, so it is
 * the only problem reported then), or for an empty document (*empty set).
 */
struct ynode	*ytree_parse(struct ytree_errs *e, const char *data, size_t len, int *empty);
void		 ytree_free(struct ynode *n);
/* The line and column of byte off in data, counted the way libyaml counts them. */
void		 ytree_position(const char *data, size_t len, size_t off, int *line, int *col);

/* A plain ~, null, Null, NULL or nothing. */
int		 ytree_is_null(const struct ynode *n);
/* "a sequence (list)", "a mapping (key: value pairs)", "empty" or "a single value", for messages. */
const char	*ytree_kind_name(const struct ynode *n);

/*
 * The getters: k is the key node (its name goes into messages), v its
 * value, NULL when absent (0, nothing stored).  0 when v was read into
 * *out, -1 when it was refused (and reported).
 */
enum { YTREE_OPTIONAL, YTREE_REQUIRED };
enum { YTREE_ONE_LINE, YTREE_MULTI_LINE };
/* Text without control characters (newlines and tabs allowed when multi-line); empty and optional: NULL. */
int	ytree_str(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int required,
	    int multiline, char **out);
/* true or false, lower case and unquoted. */
int	ytree_bool(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int *out);
/* A plain decimal whole number in [lo, hi]. */
int	ytree_long(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, long lo, long hi,
	    long *out);
int	ytree_int(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int lo, int hi,
	    int *out);
/* "YYYY-MM-DD", 1970 or later (jn_date_scan()); y, m, d all 0 when refused. */
int	ytree_date(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, int *y, int *m,
	    int *d);
/* "YYYY-MM-DD HH:MM" (or with 'T') in Japan time, 1970 or later, as a time_t. */
int	ytree_time(struct ytree_errs *e, const struct ynode *k, const struct ynode *v, time_t *out);
/* A name that ok() accepts; rule says what ok() wants, for the message. */
int	ytree_name(struct ytree_errs *e, const struct ynode *k, const struct ynode *v,
	    int (*ok)(const char *s, size_t len), const char *rule, char **out);
/* v as a scalar; what says what was wanted instead, for the message. */
int	ytree_want_scalar(struct ytree_errs *e, const struct ynode *k, const struct ynode *v,
	    const char *what);
/* A copy of s (strdup) that the caller frees; running out of memory is remembered in e. */
int	ytree_copy(struct ytree_errs *e, const char *s, char **out);

/*
 * Sort a mapping's pairs into slots by key name: key[i] and val[i] for
 * names[i] (names may hold NULLs), NULL when absent.  Unknown keys (with a
 * guess at the one meant) and repeated keys are reported; where is said
 * after them (" in a field").  -1 when m is not a mapping, reported as
 * "<name> must be a mapping".
 */
int	ytree_slots(struct ytree_errs *e, const struct ynode *m, const char *name, const char *where,
	    const char *const *names, size_t n, const struct ynode **key, const struct ynode **val);
/* 0 when v is there, else "missing required key" at the mapping m and -1. */
int	ytree_need(struct ytree_errs *e, const struct ynode *m, const struct ynode *v, const char *name,
	    const char *where);
/* The name in names (NULLs skipped) that s is most likely a misspelling of, or NULL. */
const char *ytree_suggest(const char *s, const char *const *names, size_t n);
/* "unknown <what> '<at>'<where>", with a guess or the list of known names. */
void	ytree_unknown(struct ytree_errs *e, const struct ynode *at, const char *what, const char *where,
	    const char *const *names, size_t n);

#endif
