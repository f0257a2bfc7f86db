/*
 * answers: one resident's input for one procedure, normalised and checked
 * field by field (jnorm for the value rules, the definition for required,
 * choices and show_if), with a plain message per bad field in the reader's
 * language.
 *
 * struct answers owns its values and messages; answers_free() wipes them
 * (they are personal data).  The procedure must outlive the answers.
 */
#ifndef ANSWERS_H
#define ANSWERS_H

#include <stddef.h>

#include "buf.h"
#include "formdef.h"
#include "jnorm.h"
#include "kv.h"

/* Form keys: the fixed control keys first, then one "f_<key>" per field. */
struct formkeys {
	struct kv_decl	*decls;
	size_t		 n;
	size_t		 first_field;	/* index of the first field's decl */
	char		*names;		/* storage for the "f_<key>" names */
};

int	formkeys_build(struct formkeys *k, const struct procedure *p,
	    const struct kv_decl *control, size_t ncontrol);
void	formkeys_free(struct formkeys *k);

struct answer {
	const struct field *field;
	int		 shown;		/* 0 when its show_if condition is not met */
	struct buf	 value;		/* canonical value; "" when empty or not shown */
	unsigned char	*picked;	/* FT_CHECKBOX: one flag per choice */
	struct buf	 error;		/* message; empty when the value is fine */
};

struct answers {
	const struct procedure	*proc;
	struct answer		*a;
	size_t			 n;
	size_t			 nerrors;
};

/*
 * Read and check every field from a parsed form whose declarations were
 * built by formkeys_build.  today is the JST date; the messages are in
 * lang, with the fields' labels in it.  Returns 0 (see nerrors) or -1 when
 * out of memory.
 */
int	answers_read(struct answers *as, const struct procedure *p, const struct kv_form *f,
	    const struct formkeys *k, struct jn_date today, const struct lang *lang);
/* Canonical JSON of the shown answers, in definition order; what is sealed and MACed. */
int	answers_json(const struct answers *as, struct buf *out);
/* What the resident sees for an answer of as on the confirmation page: choice labels and dates in lang. */
int	answers_display(const struct answers *as, const struct answer *a, const struct lang *lang,
	    struct buf *out);
const struct choice *answers_choice(const struct field *f, const char *value);
void	answers_free(struct answers *as);

#endif
