/*
 * dups: likely duplicate applications of one procedure, found before a
 * draw by the staff process that holds the section's keys.  Nothing is
 * stored at submission for this: the applications are opened as an export
 * opens them, and their answers compared here in memory, so entries staff
 * make from paper compare like online ones.
 *
 * Two applications are likely duplicates when they share the same name in
 * katakana (NFKC, hiragana as katakana, white space removed) and the same
 * date of birth; or the same phone number (its digits); or the same mail
 * address (trimmed, the domain in lower case).  The relations are joined
 * into groups: an application in two relations joins both groups into one.
 * Only applications still in the draw take part (到達, 受付).
 *
 * Which answers are compared comes from the definition (dups_fields):
 * the first kana field always shown (not under show_if) is the name, the
 * date field with autocomplete "bday" the birth date, the first tel and
 * the first email field the phone and the mail.  A relation whose fields
 * the definition lacks is not looked for.
 *
 * dups_find() and the hashes are pure; dups_review_state() reads the
 * database (the stored review and the receipts, never an application).
 * struct dups_result owns its arrays: dups_result_free().
 */
#ifndef DUPS_H
#define DUPS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "formdef.h"

/* Why a member is in its group: the relations it shares with another member. */
#define DUPS_NAME_BIRTH	1u
#define DUPS_TEL	2u
#define DUPS_MAIL	4u

struct dups_fields {
	const struct field	*name, *birth, *tel, *mail;	/* borrowed from the procedure; NULL: none */
};

/* One application: its receipt, its stored status and its answers as stored (NULL or "" when absent). */
struct dups_row {
	const char	*receipt;
	const char	*status;
	const char	*name, *birth, *tel, *mail;
};

struct dups_result {
	size_t		*group;		/* per row: 0 alone or not in the draw, else its group (1..ngroups) */
	unsigned	*why;		/* per row: DUPS_* it shares with another member of its group */
	size_t		 ngroups;	/* numbered in the order of their first member's row */
	size_t		 members;	/* rows in a group */
	size_t		 eligible;	/* rows in the draw */
};

void	dups_fields(const struct procedure *p, struct dups_fields *out);
/* Does an application in this stored status take part in the draw (到達, 受付)? */
int	dups_eligible(const char *status);
/* The groups of rows[0..n-1]; 0, or -1 out of memory (out is then empty). */
int	dups_find(const struct dups_row *rows, size_t n, struct dups_result *out);
void	dups_result_free(struct dups_result *r);

/*
 * The SHA-256 (lower-case hex) of a list of receipts in ascending order,
 * each followed by a line feed: what a review saw, comparable later with
 * the receipts in the draw without opening anything.  receipts must be
 * sorted (strcmp).  0, or -1.
 */
int	dups_receipts_sha256(const char *const *receipts, size_t n, char hex[65]);
/*
 * The review's fingerprint: the SHA-256 over the receipts in the draw (as
 * above) and then the groups found, one line each, its members' receipts
 * in ascending order joined by ',', the lines in ascending order.
 */
int	dups_fingerprint(const struct dups_row *rows, size_t n, const struct dups_result *r, char hex[65]);

/* Where a procedure's review stands, for the draw. */
enum dups_state {
	DUPS_NO_REVIEW,		/* never reviewed */
	DUPS_STALE,		/* applications entered, withdrawn or changed status since */
	DUPS_UNDECIDED,		/* reviewed, some members still without a decision */
	DUPS_DECIDED		/* reviewed, every member decided (or no group at all) */
};
struct dups_review_info {
	enum dups_state	 state;
	int64_t		 groups, members, undecided;	/* of the stored review */
	time_t		 reviewed_at;			/* 0: none */
	char		 reviewed_by[64];
};
/*
 * The state of procedure_id's duplicate review, without opening anything:
 * the stored review's receipt count and hash against the receipts in the
 * draw now, and its members without a decision.  0 and *out, or -1.
 */
int	dups_review_state(struct db *db, const char *procedure_id, struct dups_review_info *out);
/* What staff read for a state ("未確認", ...); static. */
const char *dups_state_label(enum dups_state s);
/*
 * Why a draw should wait, as one sentence for staff (the draw's warning,
 * which a member may override); NULL for DUPS_DECIDED.  Static.
 */
const char *dups_state_warning(enum dups_state s);

#endif
