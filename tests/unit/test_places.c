/*
 * Unit tests for places (lib/db_places.c through db.h): first come first
 * served in the storing transaction, the waitlist and its turns, places
 * given back and the waitlist moving up, per-choice places.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "db.h"
#include "t.h"
#include "t_db.h"

#define PROC	"e2e-places"

static const unsigned char sealed[4] = { 1, 2, 3, 4 };

/* n requests under one set of limits, submit hashes tag, tag+1, ...; receipts 0000-0000-0001, ... */
static void
batch(struct db_store_req *r, size_t n, unsigned char tag, const struct db_places *pl)
{
	size_t i;

	memset(r, 0, n * sizeof(*r));
	for (i = 0; i < n; i++) {
		struct db_app *a = &r[i].app;

		a->procedure_id = PROC;
		a->section_id = "sec-a";
		a->form_hash = "00";
		a->key_id = "0123456789abcdef";
		a->sealed = sealed;
		a->sealed_len = sizeof(sealed);
		memset(a->submit_hash, tag + (int)i, SEAL_MAC_LEN);
		a->received_at = 1795000000;
		a->places = *pl;
		snprintf(r[i].receipt, sizeof(r[i].receipt), "0000-0000-%04u", (unsigned)(tag + i) % 10000);
	}
}

struct counts { int64_t taken, waiting; const char *choice; };

static int
count_of(const char *choice, int64_t taken, int64_t waiting, void *arg)
{
	struct counts *c = arg;

	if (strcmp(choice, c->choice) == 0) {
		c->taken = taken;
		c->waiting = waiting;
	}
	return 0;
}

static struct counts
counts(struct db *db, const char *choice)
{
	struct counts c = { -1, -1, choice };

	(void)db_places_each(db, PROC, count_of, &c);
	return c;
}

static const char *
status_of(struct db *db, const char *receipt)
{
	static struct db_app_status st;

	return db_app_status(db, receipt, &st) == 0 ? st.status : "(none)";
}

static void
exactly_capacity_in_one_batch(void)
{
	struct db_places	pl = { NULL, 1, 3, 0, 0 };
	struct db_store_req	r[5];
	struct db		*db;
	int64_t			n;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 5, 1, &pl);
	T_CHECK(db_app_store_batch(db, r, 5) == 3);
	T_CHECK(r[0].result == 0 && r[1].result == 0 && r[2].result == 0);
	T_CHECK(r[3].result == DB_FULL && r[4].result == DB_FULL);
	T_CHECK(db_app_count(db, &n) == 0 && n == 3);
	T_CHECK(counts(db, "").taken == 3);
	/* a later batch: still full */
	batch(r, 1, 9, &pl);
	T_CHECK(db_app_store_batch(db, r, 1) == 0 && r[0].result == DB_FULL);
	T_CHECK(db_app_count(db, &n) == 0 && n == 3);
	db_close(db);
}

/* A refused application leaves nothing: no row, no envelope, no mail, no counter. */
static void
full_leaves_nothing(void)
{
	struct db_places	pl = { NULL, 1, 1, 0, 0 };
	struct db_outbox_item	m = { "arrival", PROC, "sec-a", sealed, 4, 5, NULL, NULL };
	struct db_store_req	r[2];
	struct db		*db;
	int64_t			n;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 2, 1, &pl);
	r[1].mail = &m;
	T_CHECK(db_app_store_batch(db, r, 2) == 1 && r[1].result == DB_FULL);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 0);
	T_CHECK(counts(db, "").taken == 1 && counts(db, "").waiting == 0);
	T_CHECK(db_app_wait_position(db, r[1].receipt, &(long){ 0 }) == DB_NOTFOUND);
	db_close(db);
}

static void
waitlist_takes_turns(void)
{
	struct db_places	pl = { NULL, 1, 2, 0, 1 };
	struct db_store_req	r[5];
	struct db		*db;
	long			pos = 0;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 5, 1, &pl);
	T_CHECK(db_app_store_batch(db, r, 5) == 5);
	T_CHECK(r[1].result == 0 && r[1].position == 0 && r[2].position == 1 && r[4].position == 3);
	T_STREQ(status_of(db, r[1].receipt), "received");
	T_STREQ(status_of(db, r[2].receipt), "waitlisted");
	T_CHECK(counts(db, "").taken == 2 && counts(db, "").waiting == 3);
	T_CHECK(db_app_wait_position(db, r[3].receipt, &pos) == 0 && pos == 2);
	T_CHECK(db_app_wait_position(db, r[0].receipt, &pos) == DB_NOTFOUND);
	/* a replay of a waiting one says its turn again */
	r[4].result = 0;
	T_CHECK(db_app_store_batch(db, &r[4], 1) == 0 && r[4].result == DB_EXISTS && r[4].position == 3);
	db_close(db);
}

/* A group counts as its people: two do not fit in the one place left. */
static void
group_counts_its_people(void)
{
	struct db_places	pl = { NULL, 1, 3, 0, 0 };
	struct db_store_req	r[3];
	struct db		*db;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 3, 1, &pl);
	r[0].app.places.people = 2;
	r[1].app.places.people = 2;
	T_CHECK(db_app_store_batch(db, r, 3) == 2);
	T_CHECK(r[0].result == 0 && r[1].result == DB_FULL && r[2].result == 0);
	T_CHECK(counts(db, "").taken == 3);
	db_close(db);
}

static int
rules_two(const char *choice, struct db_places *out, void *arg)
{
	(void)choice;
	(void)arg;
	out->capacity = 2;
	out->waitlist = 1;
	return 0;
}

static int
promotion_mail(const char *receipt, struct db_outbox_item *m, void *arg)
{
	(void)receipt;
	(void)arg;
	m->kind = "promotion";
	m->procedure_id = PROC;
	m->section_id = "sec-a";
	m->sealed = sealed;
	m->sealed_len = sizeof(sealed);
	m->at = 7;
	return 0;
}

static int
change(struct db *db, const char *receipt, const char *from, const char *to, struct db_promote *pr)
{
	struct db_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.receipt = receipt;
	ev.at = 6;
	ev.actor = "sato";
	ev.from_status = from;
	ev.to_status = to;
	ev.key_id = "";
	ev.promote = pr;
	return db_app_event(db, &ev);
}

static void
freed_place_moves_the_first_up(void)
{
	struct db_places	pl = { NULL, 1, 2, 0, 1 };
	struct db_promote	pr = { rules_two, promotion_mail, NULL, { { 0 } }, 0, 0 };
	struct db_store_req	r[5];
	struct db		*db;
	int64_t			n;
	long			pos = 0;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 5, 1, &pl);
	T_CHECK(db_app_store_batch(db, r, 5) == 5);
	T_CHECK(change(db, r[0].receipt, "received", "withdrawn", &pr) == 0);
	T_CHECK(pr.n == 1);
	T_STREQ(pr.promoted[0], r[2].receipt);
	T_STREQ(status_of(db, r[2].receipt), "received");
	T_STREQ(status_of(db, r[3].receipt), "waitlisted");
	T_CHECK(db_app_wait_position(db, r[3].receipt, &pos) == 0 && pos == 1);
	T_CHECK(counts(db, "").taken == 2 && counts(db, "").waiting == 2);
	T_CHECK(db_outbox_count(db, "pending", &n) == 0 && n == 1);
	/* a waiting one withdrawn gives its turn up and frees nothing */
	T_CHECK(change(db, r[3].receipt, "waitlisted", "withdrawn", &pr) == 0 && pr.n == 0);
	T_CHECK(db_app_wait_position(db, r[4].receipt, &pos) == 0 && pos == 1);
	T_CHECK(counts(db, "").taken == 2 && counts(db, "").waiting == 1);
	/* a change between statuses that hold places frees nothing */
	T_CHECK(change(db, r[1].receipt, "received", "accepted", &pr) == 0 && pr.n == 0);
	T_CHECK(counts(db, "").taken == 2);
	db_close(db);
}

/* Without a promote hook a freed place stays free (counted back), and nobody moves. */
static void
freed_place_counted_back(void)
{
	struct db_places	pl = { NULL, 1, 1, 0, 1 };
	struct db_store_req	r[2];
	struct db		*db;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 2, 1, &pl);
	T_CHECK(db_app_store_batch(db, r, 2) == 2);
	T_CHECK(change(db, r[0].receipt, "received", "withdrawn", NULL) == 0);
	T_CHECK(counts(db, "").taken == 0);
	T_STREQ(status_of(db, r[1].receipt), "waitlisted");
	db_close(db);
}

static int
rules_courses(const char *choice, struct db_places *out, void *arg)
{
	(void)arg;
	out->choice_places = strcmp(choice, "a") == 0 ? 1 : 2;
	out->waitlist = 1;
	return 0;
}

static void
choices_have_their_own_places(void)
{
	struct db_places	a = { "a", 1, 0, 1, 0 }, b = { "b", 1, 0, 2, 0 };
	struct db_store_req	r[4];
	struct db		*db;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 4, 1, &a);
	r[2].app.places = b;
	r[3].app.places = b;
	T_CHECK(db_app_store_batch(db, r, 4) == 3);
	T_CHECK(r[0].result == 0 && r[1].result == DB_FULL && r[2].result == 0 && r[3].result == 0);
	T_CHECK(counts(db, "a").taken == 1 && counts(db, "b").taken == 2 && counts(db, "").taken == 3);
	db_close(db);
}

/* A place freed in one choice moves up the first waiting for that choice, not one waiting for another. */
static void
choice_freed_moves_its_own_waitlist(void)
{
	struct db_places	a = { "a", 1, 0, 1, 1 }, b = { "b", 1, 0, 2, 1 };
	struct db_promote	pr = { rules_courses, NULL, NULL, { { 0 } }, 0, 0 };
	struct db_store_req	r[5];
	struct db		*db;
	long			pos = 0;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 5, 1, &b);
	r[0].app.places = a;
	r[3].app.places = a;	/* waits for a: turn 1 */
	T_CHECK(db_app_store_batch(db, r, 5) == 5);
	T_CHECK(r[3].position == 1 && r[4].position == 1);	/* each choice has its own turns */
	T_CHECK(db_app_wait_position(db, r[4].receipt, &pos) == 0 && pos == 1);
	T_CHECK(change(db, r[1].receipt, "received", "withdrawn", &pr) == 0 && pr.n == 1);
	T_STREQ(pr.promoted[0], r[4].receipt);
	T_STREQ(status_of(db, r[3].receipt), "waitlisted");
	db_close(db);
}

/* A database of schema 11 gets counters for the applications it holds. */
static void
migration_counts_existing_applications(void)
{
	struct db_places	pl = { NULL, 1, 0, 0, 0 };
	struct db_store_req	r[3];
	struct db		*db;
	sqlite3			*h;

	T_CHECK(t_db_fresh(&db) == 0 && t_db_with_key(db) == 0);
	batch(r, 3, 1, &pl);
	T_CHECK(db_app_store_batch(db, r, 3) == 3);
	db_close(db);
	T_CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	T_CHECK(sqlite3_exec(h, "DROP TABLE lottery; DROP TABLE lottery_entries; ALTER TABLE applications DROP COLUMN status_number;"	/* schema 15's */
	    "DROP TABLE app_places; DROP TABLE places; UPDATE applications SET status ="
	    " 'withdrawn' WHERE receipt = '0000-0000-0002'; PRAGMA user_version = 11;", NULL, NULL, NULL) ==
	    SQLITE_OK);
	sqlite3_close(h);
	T_CHECK(db_open(path, &db) == 0 && db_schema_version(db) == DB_SCHEMA_VERSION);
	T_CHECK(counts(db, "").taken == 2);
	db_close(db);
}

int
main(void)
{
	int rc;

	if (t_db_setup() == -1)
		return 1;
	T_RUN(exactly_capacity_in_one_batch);
	T_RUN(full_leaves_nothing);
	T_RUN(waitlist_takes_turns);
	T_RUN(group_counts_its_people);
	T_RUN(freed_place_moves_the_first_up);
	T_RUN(freed_place_counted_back);
	T_RUN(choices_have_their_own_places);
	T_RUN(choice_freed_moves_its_own_waitlist);
	T_RUN(migration_counts_existing_applications);
	rc = T_DONE();
	return t_db_teardown(rc);
}
