#include "guess.h"

#include <string.h>

#include "buf.h"

/* The MAC of tag, 0, a, 0, b: the tag keeps the three kinds of key apart. */
static int
key_of(const unsigned char key[SEAL_KEY_LEN], const char *domain, const char *tag, const char *a,
    const char *b, unsigned char out[SEAL_MAC_LEN])
{
	struct buf	m;
	int		rc;

	buf_init(&m);
	buf_put(&m, tag, strlen(tag) + 1);
	buf_put(&m, a, strlen(a) + 1);
	buf_puts(&m, b);
	rc = m.oom ? -1 : seal_mac(key, domain, m.data, m.len, out);
	buf_free(&m);
	return rc;
}

int
guess_keys(const unsigned char key[SEAL_KEY_LEN], const char *domain, const char *subject, const char *addr,
    struct guess_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->has_subject = *subject != '\0';
	return key_of(key, domain, "pair", subject, addr, k->pair) == 0 &&
	    key_of(key, domain, "subject", subject, "", k->subject) == 0 &&
	    key_of(key, domain, "address", "", addr, k->addr) == 0 ? 0 : -1;
}

/* *wait becomes at least the seconds until key holds fewer than limit hits. */
static int
wait_below(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now, int window, int64_t limit,
    int *wait)
{
	int w;

	if (db_throttle_wait(db, key, now, window, limit, &w) == -1)
		return -1;
	if (w > *wait)
		*wait = w;
	return 0;
}

/* A rule refusing until either of two counts falls below its limit: *wait gets the sooner. */
static int
wait_either(struct db *db, const unsigned char *k1, int w1, int64_t l1, const unsigned char *k2, int w2,
    int64_t l2, time_t now, int *wait)
{
	int a = 0, b = 0;

	if (wait_below(db, k1, now, w1, l1, &a) == -1 || wait_below(db, k2, now, w2, l2, &b) == -1)
		return -1;
	a = a < b ? a : b;
	if (a > *wait)
		*wait = a;
	return 0;
}

int
guess_check(struct db *db, const struct guess_limits *l, struct guess_keys *k, time_t now, int *retry_after)
{
	int64_t	subject = 0, addr = 0;
	int	refused = 0;

	*retry_after = 0;
	if (db_throttle_count(db, k->pair, now, l->window, &k->pair_failures) == -1 ||
	    (k->has_subject && db_throttle_count(db, k->subject, now, l->window, &subject) == -1) ||
	    db_throttle_count(db, k->addr, now, l->addr_window, &addr) == -1)
		return -1;
	if (k->pair_failures >= l->pair_limit) {
		refused = 1;
		if (wait_below(db, k->pair, now, l->window, l->pair_limit, retry_after) == -1)
			return -1;
	}
	if (subject >= l->subject_limit && addr > 0) {
		refused = 1;
		if (wait_either(db, k->subject, l->window, l->subject_limit, k->addr, l->addr_window, 1, now,
		    retry_after) == -1)
			return -1;
	}
	if (addr >= l->addr_limit && k->pair_failures > 0) {
		refused = 1;
		if (wait_either(db, k->addr, l->addr_window, l->addr_limit, k->pair, l->window, 1, now,
		    retry_after) == -1)
			return -1;
	}
	if (refused && *retry_after < 1)
		*retry_after = 1;
	return refused;
}

int
guess_failed(struct db *db, const struct guess_keys *k, time_t now)
{
	const unsigned char *keys[3] = { k->pair, k->addr, k->subject };

	return db_throttle_record(db, keys, k->has_subject ? 3 : 2, now);
}

int
guess_succeeded(struct db *db, const struct guess_keys *k)
{
	/* Only when there is something to forget: a success must not cost a write. */
	return k->pair_failures > 0 ? db_throttle_clear(db, k->pair) : 0;
}
