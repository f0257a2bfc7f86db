/*
 * draw: a procedure's lottery as the programs run it (formctl lottery,
 * the staff draw page): whether it may start (one call, so that a later
 * check joins it in one place), the draw itself with its result mails and
 * its audit entry (db_lottery_draw, lottery.h), the audit entry's text,
 * and the verification of a recorded draw from the record alone.
 */
#ifndef DRAW_H
#define DRAW_H

#include <time.h>

#include "buf.h"
#include "db.h"
#include "formdef.h"
#include "seal.h"

enum draw_refusal {
	DRAW_OK,
	DRAW_NOT_LOTTERY,	/* the definition has no 'lottery: true' */
	DRAW_NOT_CLOSED,	/* before closes_at (or no closes_at) */
	DRAW_DRAWN,		/* drawn before: a second draw is refused */
	DRAW_UNCONFIRMED,	/* a warning stands and the caller did not confirm "draw anyway" */
};

/* What the draw page and formctl show before a draw. */
struct draw_pre {
	int64_t			 applications, people;	/* to draw from (到達, 受付) */
	int64_t			 held_back;		/* in 差戻し: not drawn */
	enum draw_refusal	 refused;		/* DRAW_OK: may start */
	/*
	 * Why staff should look again before drawing (NULL: nothing): the
	 * draw runs only when the caller confirms it (draw_req.confirmed).
	 * Static Japanese text for staff.
	 */
	const char		*warning;
};
/* May p's draw start at now?  Fills pre: 0, or -1 (database). */
int	draw_precondition(struct db *db, const struct procedure *p, time_t now, struct draw_pre *pre);
/* What a refusal says: Japanese for staff pages, English for formctl. */
const char *draw_refusal_ja(enum draw_refusal r);
const char *draw_refusal_en(enum draw_refusal r);

struct draw_req {
	const struct procedure	*p;
	const char		*actor;		/* staff login, or formctl's actor */
	const char		*addr;		/* the client's address for the audit log, "" for formctl */
	long			 reserves;	/* 0..DRAW_RESERVES_MAX */
	int			 confirmed;	/* draw despite pre.warning */
	time_t			 now;
	const unsigned char	*audit_key;
};
#define DRAW_RESERVES_MAX	10000
/*
 * Draw p's places (capacity) and reserves with a fresh random seed, in one
 * transaction (db_lottery_draw): results, events, result mails
 * (mail.won / mail.lost / mail.reserve) for applications with a contact
 * envelope, and the audit entry "lottery_draw".  0 drawn (out: the
 * record), 1 refused (*why), -1.
 */
int	draw_run(struct db *db, const struct draw_req *r, struct db_lottery *out, enum draw_refusal *why);
/* The audit entry's detail for a record: seed, hashes, places, reserves and counts. */
int	draw_audit_detail(const struct db_lottery *r, struct buf *out);
/*
 * Recompute procedure_id's draw from its record: the list hash from the
 * entries, the order and results from the seed, the result hash, the
 * counts, the audit entry against the record (and the audit chain, with
 * audit_key), and each application's status now against its result and
 * the changes recorded since.  What differs is appended to report, one
 * line each (English, for the admin).  0 all agree, 1 something differs
 * (or not drawn), -1.
 */
int	draw_verify(struct db *db, const char *procedure_id, const unsigned char *audit_key, struct buf *report);

#endif
