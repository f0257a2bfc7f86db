/*
 * tmpl_int.h: shared by the template engine's parts and included nowhere
 * else: values (tvars.c), templates (tmpl_parse.c), rendering (tmpl.c) and
 * pages with a hole (tpage.c).  The public API is tmpl.h.
 */
#ifndef TMPL_INT_H
#define TMPL_INT_H

#include <stddef.h>

#include "tmpl.h"

#define NAME_MAX_LEN	128
#define NEST_MAX	16
#define INCLUDE_MAX	8

struct tvar {
	char		 *key;
	size_t		  klen;
	char		 *val;		/* NULL when the entry is a list */
	size_t		  len;
	struct tvars	**kids;
	size_t		  nkids, cap;
};

struct tvars {
	struct tvar	*v;
	size_t		 n, cap;
};

enum nkind { N_TEXT, N_VAR, N_URL, N_LIST, N_IF, N_IFNOT, N_INCLUDE, N_MSG };

struct node {
	enum nkind	 kind;
	size_t		 off, len;	/* literal text, or the name, in tpl->text */
	size_t		 end;		/* sections: index just past the last child */
	size_t		 ref;		/* includes: the target's index in the set */
	unsigned	 line;
};

struct tpl {
	char		*name;
	int		 plain;		/* .txt: esc_text_plain; .html: HTML */
	char		*text;
	size_t		 len;
	struct node	*nodes;
	size_t		 n, cap;
};

struct tset {
	struct tpl	*t;
	size_t		 n;
};


/* tvars.c: names are [A-Za-z0-9_.-]{1,128}; the entry for key, or NULL. */
int		 tmpl_is_name_char(int c);
int		 tmpl_valid_name(const char *s, size_t n);
struct tvar	*tmpl_find_var(const struct tvars *v, const char *key, size_t klen);

/* tmpl_parse.c: "file:line: message\n" to err (may be NULL), line 0 for the whole file; a template by name. */
void		 tmpl_report(struct buf *err, const char *file, unsigned line, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
const struct tpl *tmpl_find(const struct tset *s, const char *name, size_t n);

/*
 * tmpl.c: tset_render_lang() with hole (NULL: none) left open and its places
 * recorded in page; the one way a value reaches output; cutting a failed
 * page out of out, wiped.
 */
int		 tmpl_render(const struct tset *s, const char *name, const struct tvars *v,
		    const struct lang *lang, const struct tvar *hole, struct tpage *page, struct buf *out,
		    struct buf *err);
int		 tmpl_put_value(struct buf *out, int plain, int url, const char *s, size_t n);
void		 tmpl_unwind(struct buf *out, size_t start, int oom);

/* tpage.c: remember that the hole's value goes at the end of out, escaped so. */
int		 tpage_mark(struct tpage *pg, struct buf *out, int plain, int url);

#endif
