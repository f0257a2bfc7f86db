/*
 * Places (定員): the counters an application takes, waits for and gives
 * back, kept in the caller's transaction (db.h: struct db_places).  The
 * procedure's counter is the row with choice ""; a choice with places of
 * its own has its row too.  An application waits in the row of its choice
 * (or "" when its choice has no places), and its turn is its wait_seq.
 */
#include "db_int.h"

#include <string.h>

struct counter { int64_t taken, waiting; };

static int
get_counter(sqlite3_stmt *s, void *arg)
{
	struct counter *c = arg;

	c->taken = sqlite3_column_int64(s, 0);
	c->waiting = sqlite3_column_int64(s, 1);
	return 0;
}

/* A counter row; one not yet written is zero. */
static int
counter(struct db *db, const char *procedure_id, const char *choice, struct counter *c)
{
	sqlite3_stmt	*s = dbi_prep_text(db, ST_PLACES_GET, procedure_id);
	int		 rc;

	sqlite3_bind_text(s, 2, choice, -1, SQLITE_STATIC);
	memset(c, 0, sizeof(*c));
	rc = dbi_lookup(db, s, get_counter, c);
	return rc == DB_NOTFOUND ? 0 : rc;
}

static int
counter_add(struct db *db, const char *procedure_id, const char *choice, int64_t taken, int64_t waiting)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_PLACES_ADD, procedure_id);

	sqlite3_bind_text(s, 2, choice, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, taken);
	sqlite3_bind_int64(s, 4, waiting);
	return dbi_exec(db, s);
}

static long
people_of(const struct db_places *pl)
{
	return pl->people > 0 ? pl->people : 1;
}

/* The choice whose counter the application counts in besides its procedure's: "" for none. */
static const char *
own_choice(const struct db_places *pl)
{
	return pl->choice_places > 0 && pl->choice != NULL ? pl->choice : "";
}

/* 1 when people more fit in every limit pl sets, 0 when not, -1. */
static int
fits(struct db *db, const char *procedure_id, const struct db_places *pl)
{
	struct counter c;

	if (pl->capacity > 0) {
		if (counter(db, procedure_id, "", &c) == -1)
			return -1;
		if (c.taken + people_of(pl) > pl->capacity)
			return 0;
	}
	if (*own_choice(pl) != '\0') {
		if (counter(db, procedure_id, own_choice(pl), &c) == -1)
			return -1;
		if (c.taken + people_of(pl) > pl->choice_places)
			return 0;
	}
	return 1;
}

/* Count people in (sign 1) or out (-1) of the procedure's counter and the choice's. */
static int
count_taken(struct db *db, const char *procedure_id, const char *choice, int64_t people)
{
	if (counter_add(db, procedure_id, "", people, 0) == -1)
		return -1;
	return *choice != '\0' ? counter_add(db, procedure_id, choice, people, 0) : 0;
}

static int
app_places_add(struct db *db, const char *receipt, const char *procedure_id, const char *choice, long people,
    int waits)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_APP_PLACES_ADD, receipt);

	sqlite3_bind_text(s, 2, procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, choice, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, people);
	sqlite3_bind_int(s, 5, waits);
	return dbi_exec_one(db, s);
}

int
dbi_place_join(struct db *db, const char *receipt, const char *procedure_id, const struct db_places *pl,
    long *position)
{
	const char	*choice = own_choice(pl);
	struct counter	 c;
	int		 fit;

	*position = 0;
	if ((fit = fits(db, procedure_id, pl)) == -1)
		return -1;
	if (fit) {
		return app_places_add(db, receipt, procedure_id, choice, people_of(pl), 0) == 0 &&
		    count_taken(db, procedure_id, choice, people_of(pl)) == 0 ? 0 : -1;
	}
	if (!pl->waitlist)
		return DB_FULL;
	/* Its turn among those waiting for the same places: the counter's waiting, plus one. */
	if (counter(db, procedure_id, choice, &c) == -1 ||
	    app_places_add(db, receipt, procedure_id, choice, people_of(pl), 1) == -1 ||
	    counter_add(db, procedure_id, choice, 0, 1) == -1)
		return -1;
	*position = (long)c.waiting + 1;
	return 1;
}

struct app_place {
	char	procedure_id[64];
	char	choice[64];
	int64_t	people;
	int	waits;
	int64_t	wait_seq;
};

static int
get_app_place(sqlite3_stmt *s, void *arg)
{
	struct app_place *a = arg;

	a->people = sqlite3_column_int64(s, 2);
	a->waits = sqlite3_column_type(s, 3) != SQLITE_NULL;
	a->wait_seq = sqlite3_column_int64(s, 3);
	return dbi_col_text(s, 0, a->procedure_id, sizeof(a->procedure_id)) == 0 &&
	    dbi_col_text(s, 1, a->choice, sizeof(a->choice)) == 0 ? 0 : -1;
}

static int
app_place(struct db *db, const char *receipt, struct app_place *a)
{
	return dbi_lookup(db, dbi_prep_text(db, ST_APP_PLACES_GET, receipt), get_app_place, a);
}

int
dbi_place_leave(struct db *db, const char *receipt, int *freed)
{
	struct app_place	a;
	int			rc;

	*freed = 0;
	if ((rc = app_place(db, receipt, &a)) != 0)
		return rc;
	if (dbi_exec(db, dbi_prep_text(db, ST_APP_PLACES_DELETE, receipt)) == -1)
		return -1;
	if (a.waits)
		return counter_add(db, a.procedure_id, a.choice, 0, -1);
	*freed = 1;
	return count_taken(db, a.procedure_id, a.choice, -a.people);
}

int
dbi_place_move_up(struct db *db, const char *receipt, const struct db_places *rules, int *moved)
{
	struct app_place	a;
	struct db_places	pl = *rules;
	int			rc;

	*moved = 0;
	if ((rc = app_place(db, receipt, &a)) != 0)
		return rc;
	if (!a.waits)
		return 0;
	pl.people = (long)a.people;
	pl.choice = a.choice;
	if (*a.choice == '\0')
		pl.choice_places = 0;
	if ((rc = fits(db, a.procedure_id, &pl)) != 1)
		return rc;
	if (dbi_exec(db, dbi_prep_text(db, ST_APP_PLACES_HOLD, receipt)) == -1 ||
	    counter_add(db, a.procedure_id, a.choice, 0, -1) == -1 ||
	    count_taken(db, a.procedure_id, a.choice, a.people) == -1)
		return -1;
	*moved = 1;
	return 0;
}

struct waiting_list {
	char	(*receipts)[DB_RECEIPT_LEN + 1];
	char	(*choices)[64];
	size_t	 n, max;
};

static int
waiting_row(sqlite3_stmt *s, void *arg)
{
	struct waiting_list *w = arg;

	if (w->n == w->max)
		return 1;
	if (dbi_col_text(s, 0, w->receipts[w->n], DB_RECEIPT_LEN + 1) == -1 ||
	    dbi_col_text(s, 1, w->choices[w->n], 64) == -1)
		return -1;
	w->n++;
	return 0;
}

int
dbi_place_waiting(struct db *db, const char *procedure_id, char (*receipts)[DB_RECEIPT_LEN + 1],
    char (*choices)[64], size_t max, size_t *n)
{
	sqlite3_stmt		*s = dbi_prep_text(db, ST_WAITING_FIRST, procedure_id);
	struct waiting_list	 w = { receipts, choices, 0, max };
	int			 rc;

	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	rc = dbi_each(db, s, waiting_row, &w);
	*n = w.n;
	return rc;
}

static int
place_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb *cb = arg;

	return cb->fn.place(dbi_col_text_or_empty(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
	    cb->arg);
}

int
db_places_each(struct db *db, const char *procedure_id,
    int (*fn)(const char *choice, int64_t taken, int64_t waiting, void *arg), void *arg)
{
	struct dbi_cb cb = { .fn.place = fn, .arg = arg };

	return dbi_each(db, dbi_prep_text(db, ST_PLACES_OF, procedure_id), place_row, &cb);
}

int
db_app_wait_position(struct db *db, const char *receipt, long *position)
{
	struct app_place	a;
	sqlite3_stmt		*s;
	int64_t			 n;
	int			 rc;

	if ((rc = app_place(db, receipt, &a)) != 0)
		return rc;
	if (!a.waits)
		return DB_NOTFOUND;
	s = dbi_prep_text(db, ST_WAIT_POSITION, a.procedure_id);
	sqlite3_bind_text(s, 2, a.choice, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, a.wait_seq);
	if (dbi_count(db, s, &n) == -1)
		return -1;
	*position = (long)n;
	return 0;
}
