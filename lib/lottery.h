/*
 * lottery: the draw itself (抽選), pure: no database, no clock, the seed
 * given.  The list drawn from is the eligible applications, each with
 * the people it counts for (a group is drawn as one), in receipt order.
 *
 * Version 1, so that anyone can recompute a recorded draw:
 *   list hash    SHA-256 of "lottery-list-v1\n" then, per entry in receipt
 *                order (bytewise), "<receipt>\t<people>\n"
 *   order        each entry's key is BLAKE2b-256 keyed with the 32-byte seed
 *                over its receipt (the 14 ASCII characters); ascending by
 *                key (bytewise), ties (never seen in practice) by receipt
 *   winners      in that order, an entry wins while its people fit in the
 *                places left; a group that does not fit is passed over,
 *                not split, and a smaller one after it may still fit
 *   reserves     the first R of the others, in the same order: 補欠1..R
 *   the rest     落選
 *   result hash  SHA-256 of "lottery-result-v1\n" then, per entry in receipt
 *                order, "<receipt>\t<result code>\t<number>\n" (number: the
 *                reserve's, 0 for the others)
 * Hashes are 64 lower-case hex digits.  Functions return 0 or -1.
 */
#ifndef LOTTERY_H
#define LOTTERY_H

#include <stddef.h>

#include "db.h"

#define LOTTERY_VERSION		1
#define LOTTERY_SEED_LEN	32
#define LOTTERY_PEOPLE_MAX	9	/* a group's largest size (formdef: group_size) */

enum lottery_result { LOTTERY_LOST, LOTTERY_WON, LOTTERY_RESERVE };

struct lottery_entry {
	char			receipt[DB_RECEIPT_LEN + 1];
	long			people;		/* 1..LOTTERY_PEOPLE_MAX */
	enum lottery_result	result;		/* set by lottery_draw */
	long			number;		/* a reserve's number (1 first), else 0 */
};

struct lottery_counts {
	long	applications, people;	/* drawn from */
	long	won, won_people, reserve, lost;
};

/* Put entries in receipt order (the list's canonical order). */
void	lottery_sort(struct lottery_entry *e, size_t n);
/* The list hash of entries in receipt order (lottery_sort). -1 also for an entry out of range. */
int	lottery_list_hash(const struct lottery_entry *e, size_t n, char hex[65]);
/*
 * Draw capacity places and up to reserves reserves among entries (in
 * receipt order): sets each result and number, and c (may be NULL).
 */
int	lottery_draw(const unsigned char seed[LOTTERY_SEED_LEN], struct lottery_entry *e, size_t n, long capacity,
	    long reserves, struct lottery_counts *c);
/* The result hash of drawn entries in receipt order. */
int	lottery_result_hash(const struct lottery_entry *e, size_t n, char hex[65]);
/* The status code a result stores ("won", "reserve", "lost": workflow.h), and back (0 or -1). */
const char *lottery_result_code(enum lottery_result r);
int	lottery_result_parse(const char *code, enum lottery_result *out);

#endif
