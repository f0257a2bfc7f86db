#include "lottery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "seal.h"

static int
by_receipt(const void *a, const void *b)
{
	return strcmp(((const struct lottery_entry *)a)->receipt, ((const struct lottery_entry *)b)->receipt);
}

void
lottery_sort(struct lottery_entry *e, size_t n)
{
	if (n > 1)
		qsort(e, n, sizeof(*e), by_receipt);
}

static int
entry_ok(const struct lottery_entry *e)
{
	return strlen(e->receipt) == DB_RECEIPT_LEN && e->people >= 1 && e->people <= LOTTERY_PEOPLE_MAX;
}

/* SHA-256 over head, then a line per entry: "<receipt>\t<people>\n", or with results "<receipt>\t<code>\t<number>\n". */
static int
hash_lines(const char *head, const struct lottery_entry *e, size_t n, int results, char hex[65])
{
	struct buf	b;
	size_t		i;
	int		rc = -1;

	buf_init(&b);
	if (buf_puts(&b, head) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		if (!entry_ok(&e[i]) || (results ? buf_printf(&b, "%s\t%s\t%ld\n", e[i].receipt,
		    lottery_result_code(e[i].result), e[i].number) : buf_printf(&b, "%s\t%ld\n", e[i].receipt,
		    e[i].people)) == -1)
			goto done;
	}
	rc = seal_sha256_hex(b.data, b.len, hex);
done:
	buf_free(&b);
	return rc;
}

int
lottery_list_hash(const struct lottery_entry *e, size_t n, char hex[65])
{
	return hash_lines("lottery-list-v1\n", e, n, 0, hex);
}

struct keyed {
	unsigned char	key[SEAL_MAC_LEN];
	size_t		i;
	const char	*receipt;
};

static int
by_key(const void *a, const void *b)
{
	const struct keyed	*x = a, *y = b;
	int			 c = memcmp(x->key, y->key, SEAL_MAC_LEN);

	return c != 0 ? c : strcmp(x->receipt, y->receipt);
}

int
lottery_draw(const unsigned char seed[LOTTERY_SEED_LEN], struct lottery_entry *e, size_t n, long capacity,
    long reserves, struct lottery_counts *c)
{
	struct lottery_counts	 cnt;
	struct keyed		*k = NULL;
	long			 left = capacity;
	size_t			 i;

	memset(&cnt, 0, sizeof(cnt));
	if (capacity < 0 || reserves < 0 || (n > 0 && (k = calloc(n, sizeof(*k))) == NULL))
		return -1;
	for (i = 0; i < n; i++) {
		if (!entry_ok(&e[i]) || seal_keyed_hash(seed, e[i].receipt, strlen(e[i].receipt), k[i].key) == -1) {
			free(k);
			return -1;
		}
		k[i].i = i;
		k[i].receipt = e[i].receipt;
		e[i].result = LOTTERY_LOST;
		e[i].number = 0;
		cnt.people += e[i].people;
	}
	if (n > 1)
		qsort(k, n, sizeof(*k), by_key);
	for (i = 0; i < n; i++) {
		struct lottery_entry *x = &e[k[i].i];

		if (x->people <= left) {
			x->result = LOTTERY_WON;
			left -= x->people;
			cnt.won++;
			cnt.won_people += x->people;
		} else if (cnt.reserve < reserves) {	/* the first R not drawn, passed-over groups too */
			x->result = LOTTERY_RESERVE;
			x->number = ++cnt.reserve;
		}
	}
	cnt.applications = (long)n;
	cnt.lost = cnt.applications - cnt.won - cnt.reserve;
	free(k);
	if (c != NULL)
		*c = cnt;
	return 0;
}

int
lottery_result_hash(const struct lottery_entry *e, size_t n, char hex[65])
{
	return hash_lines("lottery-result-v1\n", e, n, 1, hex);
}

static const char *const codes[] = {
	[LOTTERY_LOST] = "lost", [LOTTERY_WON] = "won", [LOTTERY_RESERVE] = "reserve",
};

const char *
lottery_result_code(enum lottery_result r)
{
	return codes[r];
}

int
lottery_result_parse(const char *code, enum lottery_result *out)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i], code) == 0) {
			*out = (enum lottery_result)i;
			return 0;
		}
	return -1;
}
