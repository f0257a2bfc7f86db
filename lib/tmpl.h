/*
 * tmpl: the page and mail templates in templates/, and the values they are
 * rendered with.  Every value is escaped for the template's kind (.html:
 * esc_html_text; .txt: esc_text_plain); there is no raw form.
 *
 * Syntax (strict: no whitespace inside braces; names are [A-Za-z0-9_.-]+):
 *   {{name}}  {{name|url}}         value (|url: percent-encoded first)
 *   {{#list}} ... {{/list}}        once per child dictionary of list
 *   {{?name}} ... {{/name}}        if name is a non-empty string or list
 *   {{^name}} ... {{/name}}        if it is not
 *   {{>other.html}}                another template of the set, same kind
 *   {{@id}}                        message id's text in the page's language
 *                                  (lang.h), escaped like a value; each
 *                                  {name} in the text is the variable name
 *   {{! comment }}                 nothing
 * Inside {{#list}}, names are looked up in the child first, then outward.
 * A section, close or comment tag alone on its line removes that whole
 * line, so .txt mails get no stray blank lines.
 *
 * Ownership: tvars_new() and tset_load*() return objects the caller frees
 * with tvars_free() / tset_free().  Children from tvars_add() belong to
 * their parent.  Values are copied in, and wiped when freed (personal).
 */
#ifndef TMPL_H
#define TMPL_H

#include <stddef.h>

#include "buf.h"

struct lang;

/* A dictionary: key -> string, or key -> list of child dictionaries. */
struct tvars;

struct tvars	*tvars_new(void);
void		 tvars_free(struct tvars *v);
/* Copy val in, replacing whatever key held (string or list).  -1 when key
 * is not a valid name, val is NULL, or memory ran out. */
int		 tvars_set(struct tvars *v, const char *key, const char *val);
int		 tvars_setn(struct tvars *v, const char *key, const char *val, size_t n);
int		 tvars_setf(struct tvars *v, const char *key, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* Append a new child dictionary to the list key (a string there is replaced
 * by the list) and return it; owned by v.  NULL on a bad key or OOM. */
struct tvars	*tvars_add(struct tvars *v, const char *key);

/* A set of parsed templates. */
struct tset;

/*
 * Parse every *.html and *.txt file in dir (names without the dir:
 * "form.html"; hidden files skipped).  Each problem is appended to err (may
 * be NULL) as a "file:line: message\n" line ("file: message\n" when it is
 * about the whole file): syntax, invalid UTF-8, unknown or other-kind
 * partial, include cycle, includes nested deeper than 8.  Every file is
 * checked (up to its first problem), so one run lists all broken files.
 * NULL if there was any problem.
 */
struct tset	*tset_load(const char *dir, struct buf *err);
/* One template from memory, named name (its suffix gives the kind). */
struct tset	*tset_load_mem(const char *name, const char *text, size_t len,
		    struct buf *err);
void		 tset_free(struct tset *t);
/*
 * Render template name with v, appending to out.  A reference to an unset
 * variable (outside a conditional test), a string used as a list, or an
 * unknown template name is a bug in our templates: -1, a
 * "file:line: message\n" line appended to err (may be NULL), and out is
 * left as it was before the call (the partial page is wiped).  v may be
 * NULL (no values).
 */
int		 tset_render(const struct tset *t, const char *name,
		    const struct tvars *v, struct buf *out, struct buf *err);
/* The same with messages ({{@id}}) in lang; tset_render has none, and a message tag is an error. */
int		 tset_render_lang(const struct tset *t, const char *name,
		    const struct tvars *v, const struct lang *lang, struct buf *out, struct buf *err);
int		 tset_has(const struct tset *t, const char *name);

/*
 * A page rendered once and sent many times with one value changed (the
 * form's CSRF token): tpage_render renders like tset_render, but wherever
 * the value of v's top-level variable hole would be written it writes
 * nothing and remembers the place and its escaping (kind, |url).
 * tpage_fill then appends the page to out with val escaped into every such
 * place: the same bytes tset_render gives with hole set to val, as long as
 * val is as truthy as the value the page was rendered with ({{?hole}}
 * sections are decided once).  Values in child dictionaries that shadow
 * hole are written as usual.
 *
 * Messages ({{@id}}) are rendered in lang (may be NULL: none), once.
 * tpage_render returns a page the caller frees with tpage_free() (which
 * wipes it), or NULL with a line appended to err (may be NULL): the
 * tset_render errors, or hole not set in v as a string.  tpage_fill returns
 * 0, or -1 with out left as it was.
 */
struct tpage;

struct tpage	*tpage_render(const struct tset *t, const char *name,
		    const struct tvars *v, const struct lang *lang, const char *hole, struct buf *err);
int		 tpage_fill(const struct tpage *p, const char *val, size_t n,
		    struct buf *out);
void		 tpage_free(struct tpage *p);

#endif
