/*
 * bulk: the applications one bulk status change acts on (staff's list: the
 * ones ticked, or every one its filter matches, read again from the filter
 * when the change is made), which of them the workflow lets move to the
 * target status and which are skipped and why, what the confirmation's
 * token covers, and the audit detail that records the change.
 *
 * A set belongs to the caller (bulk_init, bulk_free).  Functions return 0
 * or -1 unless they say otherwise.
 */
#ifndef BULK_H
#define BULK_H

#include <stddef.h>

#include "buf.h"
#include "db.h"
#include "lang.h"
#include "workflow.h"

/*
 * At most this many applications in one change: one write transaction
 * holds them all while residents' sends wait for its lock, and the audit
 * entry names every receipt (about 75 kB at the limit).
 */
#define BULK_MAX	5000

enum bulk_skip {
	BULK_CHANGE,		/* moves to the target */
	BULK_SAME,		/* already in it */
	BULK_NOT_ALLOWED,	/* the workflow has no such change from its status */
	BULK_RACED		/* someone else moved it between the confirmation and the change */
};

struct bulk_item {
	char		 receipt[DB_RECEIPT_LEN + 1];
	char		 status[16];
	char		 participant[DB_PARTICIPANT_LEN + 1];
	char		 lang[LANG_TAG_MAX + 1];
	enum bulk_skip	 skip;
	const char	*mail;		/* the change's mail kind (workflow.h), or NULL */
};

struct bulk_set {
	struct bulk_item	*item;
	size_t			 n, cap;
	size_t			 nchange;	/* items with BULK_CHANGE (bulk_classify) */
};

#define BULK_TOO_MANY	2

void	bulk_init(struct bulk_set *s);
void	bulk_free(struct bulk_set *s);
/*
 * Every application f matches (its limit and paging are ignored), oldest
 * first: 0, or BULK_TOO_MANY when more than max match (the set is left
 * empty), or -1.
 */
int	bulk_select_filter(struct db *db, const struct db_app_filter *f, size_t max, struct bulk_set *s);
/*
 * The application of receipt, when it is one of the procedure's in the
 * section: 0 (also when it is in the set already: it is not added twice),
 * DB_NOTFOUND, or -1.
 */
int	bulk_add_receipt(struct db *db, const char *procedure_id, const char *section_id, const char *receipt,
	    struct bulk_set *s);
/* Which items may move to `to` (BULK_CHANGE, with their mail) and which are skipped; sets nchange. */
void	bulk_classify(struct bulk_set *s, enum wf_status to);
/* Why an item is skipped, as staff read it (Japanese); "" for one that changes. */
const char *bulk_skip_text(const struct bulk_item *it);
/*
 * What the confirmation's token covers (its MAC input): the target, the
 * scope, the note, and every item with the status it had, in order; a
 * change of any of them between the confirmation and the change shows.
 */
int	bulk_mac_input(const struct bulk_set *s, const char *to, const char *scope, const char *note,
	    struct buf *out);
/*
 * The audit entry's detail, appended to out: the target, the counts, and
 * every receipt, changed then skipped with its reason (its status, or
 * "raced"), e.g. "to=accepted changed=2 skipped=1 mails=1 note=yes
 * changed:R1,R2 skipped:R3(done)".  No personal data: receipts and codes.
 */
int	bulk_detail(const struct bulk_set *s, const char *to, int with_note, size_t mails, struct buf *out);

#endif
