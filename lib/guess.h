/*
 * guess: limits on guessing a secret through a page (a staff member's
 * password, a receipt's inquiry key), counted in sliding windows
 * (db_throttle_*).
 *
 * A failure counts against three keyed hashes: the subject (an account, a
 * receipt), the client's address, and the pair of both.  An attempt is
 * refused
 * - when the pair has failed pair_limit times: the guessing address is
 *   slowed on that subject;
 * - when the subject has failed subject_limit times from anywhere and the
 *   address has failed at all: a subject under attack stays open to
 *   addresses without failures, so its rightful user still gets in;
 * - when the address has failed addr_limit times and has failed on this
 *   subject: many people may share one address (an office's or a mobile
 *   network's NAT), and one behind it who has not failed still gets in.
 * The check comes before the secret is checked and a refusal counts
 * nothing: it says nothing about the secret, and an address's failures
 * leave the window at their own pace.
 */
#ifndef GUESS_H
#define GUESS_H

#include <time.h>

#include "db.h"
#include "seal.h"

/* The domain of the residents' status look-up (its subject is the receipt, as printed). */
#define GUESS_DOMAIN_STATUS	"status-guess"

struct guess_limits {
	int	window;		/* seconds, for the subject and the pair */
	int	pair_limit;
	int	subject_limit;
	int	addr_window;	/* seconds */
	int	addr_limit;
};

struct guess_keys {
	unsigned char	pair[SEAL_MAC_LEN];
	unsigned char	subject[SEAL_MAC_LEN];
	unsigned char	addr[SEAL_MAC_LEN];
	int		has_subject;	/* 0: no subject (a malformed receipt): the pair is the address's own */
	int64_t		pair_failures;	/* as guess_check found them */
};

/* The keys of subject ("" for none) and addr, MACs under key in domain (one per page). */
int	guess_keys(const unsigned char key[SEAL_KEY_LEN], const char *domain, const char *subject,
	    const char *addr, struct guess_keys *k);
/* 0: go on; 1: refused, *retry_after the seconds until the address may try again; -1 error. */
int	guess_check(struct db *db, const struct guess_limits *l, struct guess_keys *k, time_t now,
	    int *retry_after);
/* The secret was wrong: one failure for each key, in one transaction. */
int	guess_failed(struct db *db, const struct guess_keys *k, time_t now);
/* The secret was right: the pair's failures go (the subject's and the address's were others' too). */
int	guess_succeeded(struct db *db, const struct guess_keys *k);

#endif
