/*
 * Lotteries (schema 15): a procedure's one draw, recorded with the list it
 * drew from, in the transaction that gives every application its result;
 * and the reserves moving up into places a winner gives back.  The draw
 * itself is lib/lottery.c's.
 */
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lottery.h"

struct eligible {
	struct lottery_entry	*e;
	char			(*status)[16];
	size_t			 n, max;
	int64_t			 people;
};

static int
eligible_row(sqlite3_stmt *s, void *arg)
{
	struct eligible	*l = arg;
	size_t		 max;
	void		*p;

	if (l->n == l->max) {
		max = l->max ? 2 * l->max : 256;
		if ((p = realloc(l->e, max * sizeof(*l->e))) == NULL)
			return -1;
		l->e = p;
		if ((p = realloc(l->status, max * sizeof(*l->status))) == NULL)
			return -1;
		l->status = p;
		l->max = max;
	}
	memset(&l->e[l->n], 0, sizeof(l->e[l->n]));
	l->e[l->n].people = (long)sqlite3_column_int64(s, 2);
	l->people += l->e[l->n].people;
	if (dbi_col_text(s, 0, l->e[l->n].receipt, sizeof(l->e[l->n].receipt)) == -1 ||
	    dbi_col_text(s, 1, l->status[l->n], sizeof(l->status[l->n])) == -1)
		return -1;
	l->n++;
	return 0;
}

static int
eligible_read(struct db *db, const char *procedure_id, struct eligible *l)
{
	memset(l, 0, sizeof(*l));
	return dbi_each(db, dbi_prep_text(db, ST_LOTTERY_ELIGIBLE, procedure_id), eligible_row, l);
}

static void
eligible_free(struct eligible *l)
{
	free(l->e);
	free(l->status);
}

int
db_lottery_eligible(struct db *db, const char *procedure_id, int64_t *applications, int64_t *people,
    int64_t *held_back)
{
	struct eligible	l;
	int		rc;

	rc = eligible_read(db, procedure_id, &l) == 0 &&
	    dbi_count(db, dbi_prep_text(db, ST_LOTTERY_HELD_BACK, procedure_id), held_back) == 0 ? 0 : -1;
	*applications = (int64_t)l.n;
	*people = l.people;
	eligible_free(&l);
	return rc;
}

static int
lottery_insert(struct db *db, const struct db_lottery *r)
{
	sqlite3_stmt *s = dbi_prep_text(db, ST_LOTTERY_ADD, r->procedure_id);

	sqlite3_bind_text(s, 2, r->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, r->version);
	sqlite3_bind_blob(s, 4, r->seed, sizeof(r->seed), SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, r->capacity);
	sqlite3_bind_int64(s, 6, r->reserves);
	sqlite3_bind_text(s, 7, r->list_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, r->result_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)r->drawn_at);
	sqlite3_bind_text(s, 10, r->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, r->applications);
	sqlite3_bind_int64(s, 12, r->people);
	sqlite3_bind_int64(s, 13, r->won);
	sqlite3_bind_int64(s, 14, r->won_people);
	sqlite3_bind_int64(s, 15, r->reserve);
	sqlite3_bind_int64(s, 16, r->lost);
	sqlite3_bind_int64(s, 17, r->held_back);
	return dbi_exec(db, s);
}

/* One drawn application: its entry, its new status with an event, its mail. */
static int
entry_apply(struct db *db, const struct db_lottery_draw *d, const struct lottery_entry *e, const char *from)
{
	sqlite3_stmt		*s = dbi_prep_text(db, ST_LOTTERY_ENTRY_ADD, d->procedure_id);
	const char		*to = lottery_result_code(e->result);
	struct db_outbox_item	 m;
	struct db_event		 ev;
	int			 rc;

	sqlite3_bind_text(s, 2, e->receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, e->people);
	sqlite3_bind_text(s, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, e->number);
	if (dbi_exec(db, s) == -1)
		return -1;
	memset(&m, 0, sizeof(m));
	rc = d->mail != NULL ? d->mail(e->receipt, to, e->number, &m, d->arg) : DB_NOTFOUND;
	if (rc == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.receipt = e->receipt;
	ev.at = d->now;
	ev.actor = d->actor;
	ev.from_status = from;
	ev.to_status = to;
	ev.key_id = "";
	ev.number = e->number;
	ev.mail = rc == 0 ? &m : NULL;
	rc = dbi_app_change(db, &ev);
	if (m.release != NULL)
		m.release(&m, d->arg);
	return rc == 0 ? 0 : -1;
}

static int
draw_in(struct db *db, const struct db_lottery_draw *d, struct db_lottery *r)
{
	struct lottery_counts	c;
	struct eligible		l;
	int64_t			held;
	size_t			i;
	int			rc = -1;

	if ((rc = db_lottery_get(db, d->procedure_id, r)) != DB_NOTFOUND)
		return rc == 0 ? DB_EXISTS : -1;
	rc = -1;
	memset(r, 0, sizeof(*r));
	if (eligible_read(db, d->procedure_id, &l) == -1 ||
	    dbi_count(db, dbi_prep_text(db, ST_LOTTERY_HELD_BACK, d->procedure_id), &held) == -1)
		goto done;
	if (snprintf(r->procedure_id, sizeof(r->procedure_id), "%s", d->procedure_id) >= (int)sizeof(r->procedure_id) ||
	    snprintf(r->section_id, sizeof(r->section_id), "%s", d->section_id) >= (int)sizeof(r->section_id) ||
	    snprintf(r->actor, sizeof(r->actor), "%s", d->actor) >= (int)sizeof(r->actor))
		goto done;
	r->version = LOTTERY_VERSION;
	memcpy(r->seed, d->seed, sizeof(r->seed));
	r->capacity = d->capacity;
	r->reserves = d->reserves;
	r->drawn_at = d->now;
	r->held_back = (long)held;
	/* the list comes in receipt order (ST_LOTTERY_ELIGIBLE), as the hash wants it */
	if (lottery_list_hash(l.e, l.n, r->list_sha256) == -1 ||
	    lottery_draw(d->seed, l.e, l.n, d->capacity, d->reserves, &c) == -1 ||
	    lottery_result_hash(l.e, l.n, r->result_sha256) == -1)
		goto done;
	r->applications = c.applications;
	r->people = c.people;
	r->won = c.won;
	r->won_people = c.won_people;
	r->reserve = c.reserve;
	r->lost = c.lost;
	if (lottery_insert(db, r) == -1)
		goto done;
	for (i = 0; i < l.n; i++)
		if (entry_apply(db, d, &l.e[i], l.status[i]) == -1)
			goto done;
	rc = d->audit != NULL ? d->audit(db, r, d->arg) : 0;
done:
	eligible_free(&l);
	return rc;
}

int
db_lottery_draw(struct db *db, const struct db_lottery_draw *d, struct db_lottery *out)
{
	int rc;

	if (d->capacity < 1 || d->reserves < 0 || db_begin(db) == -1)
		return -1;
	if ((rc = draw_in(db, d, out)) == DB_EXISTS) {
		db_rollback(db);
		return rc;
	}
	return dbi_end(db, rc == 0) == 0 ? 0 : -1;
}

static int
get_lottery(sqlite3_stmt *s, void *arg)
{
	struct db_lottery *r = arg;

	memset(r, 0, sizeof(*r));
	r->version = sqlite3_column_int(s, 2);
	r->capacity = (long)sqlite3_column_int64(s, 4);
	r->reserves = (long)sqlite3_column_int64(s, 5);
	r->drawn_at = (time_t)sqlite3_column_int64(s, 8);
	r->applications = (long)sqlite3_column_int64(s, 10);
	r->people = (long)sqlite3_column_int64(s, 11);
	r->won = (long)sqlite3_column_int64(s, 12);
	r->won_people = (long)sqlite3_column_int64(s, 13);
	r->reserve = (long)sqlite3_column_int64(s, 14);
	r->lost = (long)sqlite3_column_int64(s, 15);
	r->held_back = (long)sqlite3_column_int64(s, 16);
	return dbi_col_text(s, 0, r->procedure_id, sizeof(r->procedure_id)) == 0 &&
	    dbi_col_text(s, 1, r->section_id, sizeof(r->section_id)) == 0 &&
	    dbi_col_blob(s, 3, r->seed, sizeof(r->seed)) == 0 &&
	    dbi_col_text(s, 6, r->list_sha256, sizeof(r->list_sha256)) == 0 &&
	    dbi_col_text(s, 7, r->result_sha256, sizeof(r->result_sha256)) == 0 &&
	    dbi_col_text(s, 9, r->actor, sizeof(r->actor)) == 0 ? 0 : -1;
}

int
db_lottery_get(struct db *db, const char *procedure_id, struct db_lottery *out)
{
	return dbi_lookup(db, dbi_prep_text(db, ST_LOTTERY_GET, procedure_id), get_lottery, out);
}

static int
entry_row(sqlite3_stmt *s, void *arg)
{
	struct dbi_cb		*cb = arg;
	struct db_lottery_entry	 e = {
		.receipt = (const char *)sqlite3_column_text(s, 0),
		.people = (long)sqlite3_column_int64(s, 1),
		.result = (const char *)sqlite3_column_text(s, 2),
		.number = (long)sqlite3_column_int64(s, 3),
		.status = (const char *)sqlite3_column_text(s, 4),
		.status_number = (long)sqlite3_column_int64(s, 5),
	};

	if (e.receipt == NULL || e.result == NULL || e.status == NULL)
		return -1;
	return cb->fn.lottery(&e, cb->arg);
}

int
db_lottery_entries(struct db *db, const char *procedure_id, int (*fn)(const struct db_lottery_entry *, void *),
    void *arg)
{
	struct dbi_cb cb = { .fn.lottery = fn, .arg = arg };

	return dbi_each(db, dbi_prep_text(db, ST_LOTTERY_ENTRIES, procedure_id), entry_row, &cb);
}

struct reserve_list {
	char	receipts[DB_PROMOTE_MAX][DB_RECEIPT_LEN + 1];
	long	people[DB_PROMOTE_MAX];
	size_t	n;
};

static int
reserve_row(sqlite3_stmt *s, void *arg)
{
	struct reserve_list *r = arg;

	if (r->n == DB_PROMOTE_MAX)
		return 1;
	r->people[r->n] = (long)sqlite3_column_int64(s, 1);
	if (dbi_col_text(s, 0, r->receipts[r->n], DB_RECEIPT_LEN + 1) == -1)
		return -1;
	r->n++;
	return 0;
}

int
dbi_lottery_promote(struct db *db, const struct db_event *ev, struct db_promote *pr, const char *procedure_id)
{
	struct db_lottery	 rec;
	struct reserve_list	 r;
	struct db_places	 pl;
	struct db_event		 up;
	sqlite3_stmt		*s;
	int64_t			 holding;
	long			 left, position;
	size_t			 i;
	int			 rc;

	if ((rc = db_lottery_get(db, procedure_id, &rec)) != 0)
		return rc == DB_NOTFOUND ? 0 : -1;
	if (dbi_count(db, dbi_prep_text(db, ST_LOTTERY_PEOPLE_HOLDING, procedure_id), &holding) == -1)
		return -1;
	left = rec.capacity - (long)holding;
	memset(&r, 0, sizeof(r));
	s = dbi_prep_text(db, ST_LOTTERY_RESERVES, procedure_id);
	sqlite3_bind_int64(s, 2, DB_PROMOTE_MAX);
	if (dbi_each(db, s, reserve_row, &r) == -1)
		return -1;
	for (i = 0; i < r.n && left > 0; i++) {
		if (r.people[i] > left)
			continue;	/* passed over, as in the draw: not split */
		memset(&up, 0, sizeof(up));
		up.receipt = r.receipts[i];
		up.at = ev->at;
		up.actor = ev->actor;
		up.from_status = "reserve";
		up.to_status = "won";
		up.key_id = "";
		memset(&pl, 0, sizeof(pl));
		pl.people = r.people[i];
		/* 補欠 held no places; 当選 holds them again (no limit: the draw decided) */
		if (dbi_app_change(db, &up) != 0 ||
		    dbi_place_join(db, up.receipt, procedure_id, &pl, &position) != 0 ||
		    dbi_promoted(db, pr, up.receipt) == -1)
			return -1;
		left -= r.people[i];
	}
	return 0;
}
