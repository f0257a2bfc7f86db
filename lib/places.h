/*
 * places: a procedure's places (定員) as its definition declares them
 * (capacity, waitlist, a choice field whose choices carry places), and
 * what residents read of them.  The counting itself is the database's
 * (db.h: struct db_places), in the transaction that stores or changes an
 * application; every path that adds an application (apply's send, staff
 * counter entry) or changes one (staff, the resident's withdrawal, a
 * lottery) takes its limits from places_rules(), so all count alike.
 */
#ifndef PLACES_H
#define PLACES_H

#include <stdint.h>
#include <time.h>

#include "answers.h"
#include "buf.h"
#include "db.h"
#include "formdef.h"
#include "lang.h"

#define PLACES_MAX_CHOICES	100	/* formdef's limit on a field's choices */

/*
 * The limits an application counts under: choice is its answer to the
 * places field (NULL or "" for none), people how many it counts for.  A
 * lottery's places are drawn, not decided on send: no limit then.
 */
void	places_rules(const struct procedure *p, const char *choice, long people, struct db_places *out);
/* The answer to the places field among as (a choice value), or "" (borrowed from as). */
const char *places_answer(const struct answers *as);
/* How many people the application counts for: its answer to the group_size field (formdef.h), else 1. */
long	places_people(const struct answers *as);

/*
 * A change that may free places of an application of p moves p's waitlist
 * up: fill pr (db.h: db_promote) for db_app_event, whose callbacks use pm
 * (the caller's, alive until db_app_event returns): the limits of p, and
 * the 繰上げ当選のお知らせ (mail.promotion) queued to the moved one's
 * contact envelope, made at now.  A drawn lottery's reserves move up the
 * same way (db_promote.lottery).  Nothing to do for a procedure without
 * places (returns 0 and leaves pr unused: set ev.promote only on 1).
 */
struct places_promoting {
	struct db		*db;
	const struct procedure	*p;
	time_t			 now;
};
int	places_promote_init(struct db_promote *pr, struct places_promoting *pm, struct db *db,
	    const struct procedure *p, time_t now);

/* A procedure's counters as pages show them. */
struct places_view {
	int64_t	taken, waiting;				/* the procedure's */
	int64_t	choice_taken[PLACES_MAX_CHOICES];	/* per choice of the places field, in its order */
};
/* Read the counters of a first-come procedure (formdef_first_come): 0 or -1. */
int	places_read(struct db *db, const struct procedure *p, struct places_view *v);
/* Places left: the procedure's (-1: no limit of its own), and choice i's. */
long	places_left(const struct procedure *p, const struct places_view *v);
long	places_choice_left(const struct procedure *p, const struct places_view *v, size_t i);
/* Is choice i, or the whole procedure, closed to new applications (full, and no waitlist)? */
int	places_choice_closed(const struct procedure *p, const struct places_view *v, size_t i);
/*
 * What residents read of the procedure (残りN人 / 満員 / 満員（キャンセル待ち受付中）)
 * and of choice i (残りN人 / 満員 / 満員（キャンセル待ち）) in l, appended to out.
 */
int	places_text(const struct procedure *p, const struct places_view *v, const struct lang *l, struct buf *out);
int	places_choice_text(const struct procedure *p, const struct places_view *v, size_t i, const struct lang *l,
	    struct buf *out);

#endif
