/*
 * Unit tests for lib/guess.c: the limits on guessing a password or an
 * inquiry key, from the attacker's side and from the rightful user's, on a
 * temporary database with time given by the test.
 */
#include <stdio.h>
#include <string.h>

#include "guess.h"
#include "t.h"
#include "t_db.h"

#define NOW	1800000000
#define WINDOW	900

static const struct guess_limits limits = { WINDOW, 5, 5, WINDOW, 30 };
static unsigned char mac_key[SEAL_KEY_LEN];

/* guess_check for subject from addr at t: 0 go on, 1 refused (*wait set), -1 error. */
static int
check(struct db *db, const char *subject, const char *addr, time_t t, int *wait)
{
	struct guess_keys	k;
	int			w;

	if (guess_keys(mac_key, "test", subject, addr, &k) == -1)
		return -1;
	return guess_check(db, &limits, &k, t, wait != NULL ? wait : &w);
}

static int
fail(struct db *db, const char *subject, const char *addr, time_t t, int n)
{
	struct guess_keys k;

	if (guess_keys(mac_key, "test", subject, addr, &k) == -1)
		return -1;
	while (n-- > 0)
		if (guess_failed(db, &k, t) == -1)
			return -1;
	return 0;
}

/* Five wrong from A: A waits, the rightful user from B gets in, and A may try again as the window slides. */
static void
account_under_attack_stays_open_to_clean_addresses(void)
{
	struct db *db;
	int wait;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(fail(db, "sato", "192.0.2.1", NOW, 4) == 0);
	T_CHECK(check(db, "sato", "192.0.2.1", NOW, NULL) == 0);
	T_CHECK(fail(db, "sato", "192.0.2.1", NOW + 60, 1) == 0);
	T_CHECK(check(db, "sato", "192.0.2.1", NOW + 61, &wait) == 1 && wait == WINDOW - 61);
	T_CHECK(check(db, "sato", "192.0.2.2", NOW + 61, NULL) == 0);
	/* not before the oldest failure has left the window, then at once */
	T_CHECK(check(db, "sato", "192.0.2.1", NOW + WINDOW - 1, NULL) == 1);
	T_CHECK(check(db, "sato", "192.0.2.1", NOW + WINDOW, NULL) == 0);
	db_close(db);
}

/* An account with 5 failures from everywhere is closed to every address that has failed at all. */
static void
account_under_attack_closed_to_failing_addresses(void)
{
	char addr[32];
	struct db *db;
	int i, wait;

	T_CHECK(t_db_fresh(&db) == 0);
	for (i = 0; i < 5; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		T_CHECK(check(db, "sato", addr, NOW + i, NULL) == 0);
		T_CHECK(fail(db, "sato", addr, NOW + i, 1) == 0);
	}
	T_CHECK(check(db, "sato", "198.51.100.0", NOW + 10, &wait) == 1 && wait == WINDOW - 10);
	T_CHECK(fail(db, "ito", "198.51.100.9", NOW + 10, 1) == 0);
	T_CHECK(check(db, "sato", "198.51.100.9", NOW + 10, NULL) == 1);	/* failed elsewhere */
	T_CHECK(check(db, "ito", "198.51.100.9", NOW + 10, NULL) == 0);	/* ito is not under attack */
	T_CHECK(check(db, "sato", "203.0.113.7", NOW + 10, NULL) == 0);		/* the rightful user */
	db_close(db);
}

/* Thirty failures from one shared address keep it from those accounts only. */
static void
shared_address_keeps_its_other_members(void)
{
	char login[32];
	struct db *db;
	int i;

	T_CHECK(t_db_fresh(&db) == 0);
	for (i = 0; i < 30; i++) {
		snprintf(login, sizeof(login), "user%d", i);
		T_CHECK(fail(db, login, "192.0.2.50", NOW, 1) == 0);
	}
	T_CHECK(check(db, "user3", "192.0.2.50", NOW + 1, NULL) == 1);
	T_CHECK(check(db, "sato", "192.0.2.50", NOW + 1, NULL) == 0);
	T_CHECK(check(db, "user3", "192.0.2.51", NOW + 1, NULL) == 0);
	T_CHECK(check(db, "user3", "192.0.2.50", NOW + WINDOW, NULL) == 0);
	db_close(db);
}

/* No subject (a malformed receipt): the failures are the address's own, not one shared bucket. */
static void
no_subject_is_keyed_by_address(void)
{
	struct db *db;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(fail(db, "", "192.0.2.1", NOW, 5) == 0);
	T_CHECK(check(db, "", "192.0.2.1", NOW, NULL) == 1);
	T_CHECK(check(db, "", "192.0.2.2", NOW, NULL) == 0);
	T_CHECK(check(db, "1234-5678-9012", "192.0.2.2", NOW, NULL) == 0);
	db_close(db);
}

/* A success forgets the pair's failures (not the account's); a refusal counts nothing. */
static void
success_clears_pair_refusal_counts_nothing(void)
{
	struct guess_keys	k;
	struct db		*db;
	int64_t			n;
	int			w, i;

	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(fail(db, "sato", "192.0.2.1", NOW, 4) == 0);
	T_CHECK(guess_keys(mac_key, "test", "sato", "192.0.2.1", &k) == 0);
	T_CHECK(guess_check(db, &limits, &k, NOW, &w) == 0 && k.pair_failures == 4);
	T_CHECK(guess_succeeded(db, &k) == 0);
	T_CHECK(db_throttle_count(db, k.pair, NOW, WINDOW, &n) == 0 && n == 0);
	T_CHECK(db_throttle_count(db, k.subject, NOW, WINDOW, &n) == 0 && n == 4);
	T_CHECK(fail(db, "sato", "192.0.2.1", NOW, 5) == 0);
	for (i = 0; i < 10; i++)
		T_CHECK(check(db, "sato", "192.0.2.1", NOW + 1, NULL) == 1);
	T_CHECK(db_throttle_count(db, k.pair, NOW + 1, WINDOW, &n) == 0 && n == 5);
	db_close(db);
}

/* The keys of one page are not another's, and subject and address cannot be confused. */
static void
keys_are_apart(void)
{
	struct guess_keys a, b;

	T_CHECK(guess_keys(mac_key, "test", "x", "y", &a) == 0 && guess_keys(mac_key, "other", "x", "y", &b) == 0);
	T_CHECK(memcmp(a.pair, b.pair, SEAL_MAC_LEN) != 0 && memcmp(a.addr, b.addr, SEAL_MAC_LEN) != 0);
	T_CHECK(guess_keys(mac_key, "test", "y", "x", &b) == 0);
	T_CHECK(memcmp(a.subject, b.addr, SEAL_MAC_LEN) != 0 && memcmp(a.pair, b.pair, SEAL_MAC_LEN) != 0);
	T_CHECK(a.has_subject && guess_keys(mac_key, "test", "", "y", &b) == 0 && !b.has_subject);
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	seal_random(mac_key, sizeof(mac_key));
	T_RUN(account_under_attack_stays_open_to_clean_addresses);
	T_RUN(account_under_attack_closed_to_failing_addresses);
	T_RUN(shared_address_keeps_its_other_members);
	T_RUN(no_subject_is_keyed_by_address);
	T_RUN(success_clears_pair_refusal_counts_nothing);
	T_RUN(keys_are_apart);
	return t_db_teardown(T_DONE());
}
