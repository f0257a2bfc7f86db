/*
 * formdef_int: what the files of the definition loader share (formdef.c,
 * formdef_names.c, formdef_text.c, formdef_rules.c) and nothing else includes.
 * The loader's state while it reads one file; the procedure being loaded owns
 * every string the functions below store in it.
 */
#ifndef FORMDEF_INT_H
#define FORMDEF_INT_H

#include <stddef.h>

#include "formdef.h"
#include "ytree.h"

#define MAX_FILE	(256 * 1024)
#define MAX_FIELDS	100
#define MAX_CHOICES	100
#define MAX_ID		40
#define MAX_KEY		32
#define MAX_VALUE	32

struct ctx {
	struct ytree_errs e;
	struct procedure *p;		/* being loaded: its texts are gathered as they are read */
	int		 has_event_date;	/* event_date given (even if malformed) */
	int		 has_email;		/* an email field (mails can be sent) */
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* formdef.c */
int	is_choice_type(enum field_type t);

/* formdef_names.c: ids, keys, values and autocomplete tokens */
int name_ok(const char *s, size_t len, size_t max, const char *first, const char *rest);
int get_autocomplete(struct ctx *c, const struct ynode *k, const struct ynode *v, char **out);
/* Does an autocomplete value (checked) name a field that fills several lines? */
int autocomplete_multiline(const char *s);
int id_ok(const char *s, size_t len);
int key_ok(const char *s, size_t len);
int value_ok(const char *s, size_t len);

/* formdef_text.c: texts in Japanese or in several languages */
int get_text(struct ctx *c, const struct ynode *k, const struct ynode *v, int required, int multiline, char **out);
void index_texts(struct ctx *c, struct procedure *p);
int by_text(const void *a, const void *b);

/* formdef_rules.c: what a field says about others (show_if, after, bounds), residence in the ward */
const struct field * field_by_key(const struct procedure *p, size_t n, const char *key);
void load_show_if(struct ctx *c, struct procedure *p, size_t idx, const struct ynode *m, const unsigned char *typed);
void load_after(struct ctx *c, struct procedure *p, struct field *f, const struct ynode *m, const unsigned char *typed);
void load_bound(struct ctx *c, struct procedure *p, struct field *f, const struct ynode *k, const struct ynode *v, char **out, const unsigned char *typed);
void load_residence(struct ctx *c, const struct ynode *m, struct procedure *p);

#endif
