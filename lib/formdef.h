/*
 * formdef: one procedure (手続き) definition, read at run time from a YAML
 * file under forms/ (format: forms/README.md) and checked completely before
 * anything uses it.  Admins write these files by hand, so every problem is
 * reported as "path:line:column: message\n" (1-based, English) and loading
 * goes on to find as many problems as it reasonably can.
 *
 * A struct procedure and everything it points to belong to the procedure:
 * formdef_load_*() return one the caller owns and frees with formdef_free().
 * Pointers returned by formdef_field() and formdef_type_name() are borrowed
 * (from the procedure, or static).
 */
#ifndef FORMDEF_H
#define FORMDEF_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "lang.h"

enum field_type { FT_TEXT, FT_TEXTAREA, FT_KANA, FT_POSTAL, FT_TEL, FT_EMAIL, FT_DATE, FT_NUMBER,
		  FT_RADIO, FT_SELECT, FT_CHECKBOX, FT_MONTH_DAY };

struct choice {
	char	*value;		/* [a-z0-9_-]{1,32} */
	char	*label;		/* Japanese */
	long	 places;	/* its own places (a course, a date), 0 = none; all or none of a field's */
};

struct field {
	char		*key;		/* [a-z][a-z0-9_]{0,31}, unique in the procedure */
	enum field_type	 type;
	char		*label;		/* required */
	char		*help;		/* support text under the label, or NULL */
	int		 required;	/* default false */
	size_t		 maxlength;	/* characters; 0 = type default */
	int		 has_min, has_max;
	long		 min, max;	/* FT_NUMBER only */
	int		 min_age, max_age;	/* FT_DATE only; needs the procedure's event_date */
	int		 not_future;	/* FT_DATE only */
	char		*autocomplete;	/* HTML autocomplete token(s), checked against the HTML list, or NULL */
	struct choice	*choices;	/* FT_RADIO/FT_SELECT/FT_CHECKBOX: required, >= 1, values unique */
	size_t		 nchoices;
	unsigned	 max_select;	/* FT_CHECKBOX: 0 = any number */
	char		*show_if_field;	/* shown and validated only when that earlier choice field ... */
	char		*show_if_value;	/* ... has this value (must be one of its choice values); else NULL */
	int		 summary;	/* shown as a column in staff lists (e.g. the name) */
	int		 has_places;	/* its choices carry places (radio or select; one such field at most) */
	/*
	 * Rules between fields (checked once every field is read, message on
	 * this field): FT_DATE "after" another date field by min_days (default
	 * 1: a later day) to max_days (0: no limit); FT_NUMBER at least / at
	 * most the answer of another number field.  NULL: no rule.
	 */
	char		*after_field;
	int		 after_min_days, after_max_days;
	char		*at_least_field, *at_most_field;
	int		 line, column;	/* where the field was defined */
};

/*
 * Residence in the ward (区内在住): the address field's answer must be in
 * 新宿区 (jn_address_in_ward), unless the resident chose one of unless_values
 * of unless_field (在勤・在学).  field NULL: no such rule.
 */
struct residence {
	char		*field;		/* a required text or textarea field, always shown */
	char		*unless_field;	/* a radio or select field, or NULL */
	char		**unless_values;	/* its choice values */
	size_t		 nunless;
};

struct mailtext { char *subject; char *body; };	/* NULL when absent */

/*
 * What retention_days count from (key retention_from): the procedure's end
 * (closes_at: every application goes on the same day) or each application's
 * receipt (a procedure always open).  Default: close when closes_at is set.
 */
enum retention_from { RETAIN_FROM_CLOSE, RETAIN_FROM_RECEIPT };

/*
 * A text of the definition in its other languages (title, description,
 * contact, complete_message, labels, help, choice labels, mail subjects and
 * bodies), written "label: {ja: ..., en: ...}"; a plain text is Japanese
 * only.  Read them with formdef_text(); the struct is formdef's own.
 */
struct ltr { char lang[LANG_TAG_MAX + 1]; char *text; };
struct ltext {
	const char	*text;		/* the Japanese, as the procedure holds it */
	char		 key[24];	/* its key, for warnings: "label", "subject" ... */
	int		 line, column;	/* where it was written */
	struct ltr	*tr;
	size_t		 ntr;
};

#define FORMDEF_GROUP_MAX	9	/* a group's largest size (lottery.h: LOTTERY_PEOPLE_MAX) */

struct procedure {
	char		*id;		/* [a-z0-9-]{1,40}; equals the file name without .yaml */
	char		*title;
	char		*section;	/* a section id */
	char		*description;	/* intro text shown above the form, or NULL */
	time_t		 opens_at;	/* required */
	time_t		 closes_at;	/* 0 = no closing date (随時受付) */
	int		 event_y, event_m, event_d;	/* event_date, 0 when absent */
	long		 capacity;	/* 0 = none */
	int		 lottery;	/* bool */
	int		 waitlist;	/* bool: over the places, applications wait (キャンセル待ち); not with lottery */
	int		 retention_days;	/* 1..3650 */
	enum retention_from retention_from;	/* what retention_days count from */
	char		*contact;	/* the section's contact line for residents */
	char		*complete_message;	/* shown on the completion page, or NULL */
	struct mailtext	 mail_arrival, mail_acceptance, mail_return;
	struct mailtext	 mail_promotion;	/* 繰上げ当選のお知らせ: a waiting application or a reserve moved up */
	struct mailtext	 mail_won, mail_lost, mail_reserve;	/* a lottery's results: 当選, 落選, 補欠 */
	struct residence residence;
	/*
	 * Each application is issued a participant ID ("ECO-1234-5678-9012":
	 * this prefix, 11 random digits and a check digit), kept for the
	 * participant across time; NULL: none.  1-8 of A-Z.
	 */
	char		*participant_prefix;
	/*
	 * group_size: the field whose answer says how many people an
	 * application counts for (1..FORMDEF_GROUP_MAX; unanswered: 1), against
	 * the places and in a lottery, where a group is drawn as one; NULL:
	 * each application is one person.  Borrowed from fields.
	 */
	const struct field *group_field;
	struct field	*fields;
	size_t		 nfields;	/* 1..100 */
	char		 hash[65];	/* SHA-256 of the file bytes, lower-case hex */
	char		*path;
	struct ltext	*texts;		/* every text, in file order */
	size_t		 ntexts, captexts;
	struct ltext	**text_index;	/* the same, by the address of their Japanese (formdef_text) */
};

typedef int (*formdef_section_fn)(const char *section_id, void *arg);	/* 1 if the section exists */

/*
 * Load and check one definition.  NULL on any error, with one
 * "path:line:col: message\n" line per problem appended to errs (which may be
 * NULL).  known_section may be NULL: then section ids are only checked for
 * syntax.  The caller frees the result with formdef_free().
 */
struct procedure *formdef_load_file(const char *path, formdef_section_fn known_section, void *arg,
		    struct buf *errs);
/* The same from memory; path is the name used in messages and for the id check. */
struct procedure *formdef_load_mem(const char *path, const char *data, size_t len,
		    formdef_section_fn known_section, void *arg, struct buf *errs);
void		  formdef_free(struct procedure *p);
/* The field with that key, or NULL; borrowed from p. */
const struct field *formdef_field(const struct procedure *p, const char *key);
/* "text", "radio", ... as written in the YAML; static. */
const char	 *formdef_type_name(enum field_type t);
/* The field whose choices carry places, or NULL; borrowed from p. */
const struct field *formdef_places_field(const struct procedure *p);
/* Are places decided on send (first come: capacity or choice places, and no lottery)? */
int		  formdef_first_come(const struct procedure *p);
/* Is the procedure accepting applications at now?  -1 not yet open, 0 open, 1 closed. */
int		  formdef_state(const struct procedure *p, time_t now);
/*
 * Which of its applications are past retention at now: those received
 * before *before (0: none yet; with retention from the close, all once it
 * has come).  "close" or "receipt", for reports: formdef_retention_name().
 */
void		  formdef_expired(const struct procedure *p, time_t now, time_t *before);
const char	 *formdef_retention_name(enum retention_from r);

/*
 * One of p's texts (text is p->title, a field's label ...: the Japanese the
 * procedure holds) in the language tagged lang: the definition's, or text
 * itself when it gives none (a resident reads the Japanese rather than
 * nothing).  NULL text gives NULL; lang NULL or "ja", text.  Borrowed from p.
 */
const char	 *formdef_text(const struct procedure *p, const char *lang, const char *text);
/*
 * A "path:line:column: warning: ..." line appended to out for each text of
 * p that has nothing in lang; their number.
 */
size_t		  formdef_missing(const struct procedure *p, const char *lang, struct buf *out);

#endif
