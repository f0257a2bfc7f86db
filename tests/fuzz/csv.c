/*
 * Fuzz harness for exports/csv.c.  The input is split into cells at 0x1F and
 * into rows at 0x1E; the first byte picks the encoding.  Invariants: the
 * UTF-8 output is valid UTF-8 after the BOM, and every row has an even
 * number of quote characters (quotes are balanced).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "csv.h"

static int
to_buf(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

static void
check_utf8(const struct buf *b)
{
	size_t i, quotes = 0;

	if (b->len < 3 || memcmp(b->data, "\xef\xbb\xbf", 3) != 0)
		abort();
	if (u8_check((const uint8_t *)b->data + 3, b->len - 3) != NULL)
		abort();
	for (i = 3; i < b->len; i++)
		quotes += b->data[i] == '"';
	if (quotes % 2 != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_writer	*w;
	struct buf		 out;
	size_t			 i, start = 1;
	int			 enc;

	if (size < 1)
		return 0;
	enc = data[0] & 1;
	buf_init(&out);
	if ((w = csv_open(enc ? CSV_CP932 : CSV_UTF8_BOM, to_buf, &out)) == NULL)
		return 0;
	for (i = 1; i <= size; i++) {
		if (i < size && data[i] != 0x1f && data[i] != 0x1e)
			continue;
		csv_field(w, (const char *)data + start, i - start);
		if (i < size && data[i] == 0x1e)
			csv_end_row(w);
		start = i + 1;
	}
	csv_end_row(w);
	if (csv_close(w) != 0)
		abort();
	if (!enc)
		check_utf8(&out);
	buf_free(&out);
	return 0;
}
