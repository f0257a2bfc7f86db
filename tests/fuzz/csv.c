/*
 * Fuzz harness for exports/csv.c.  The input is split into cells at 0x1F and
 * into rows at 0x1E; the first byte picks the encoding.  Invariants: the
 * UTF-8 output is valid UTF-8 after the BOM, the CP932 output is valid
 * CP932, every row has an even number of quote characters (quotes are
 * balanced), and no cell of either file is a formula: a cell that does not
 * start with an apostrophe has, after its blank and invisible characters,
 * none of TAB, CR, LF, nor a character whose compatibility form (NFKC,
 * computed here, not taken from csv.c's list) is = + - @ or U+2212.
 */
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "csv.h"

static int
to_buf(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

static int
blank(ucs4_t uc)
{
	return uc_is_property_white_space(uc) || uc_is_property_default_ignorable_code_point(uc) ||
	    uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_Z | UC_CATEGORY_MASK_Cc |
	    UC_CATEGORY_MASK_Cf | UC_CATEGORY_MASK_Cn);
}

static int
formula_start(ucs4_t uc)
{
	uint32_t	buf[8];
	size_t		n = sizeof(buf) / sizeof(buf[0]);
	uint32_t	*nf;
	int		yes;

	if (uc == '\t' || uc == '\r' || uc == '\n')
		return 1;
	if ((nf = u32_normalize(UNINORM_NFKC, &uc, 1, buf, &n)) == NULL)
		abort();
	yes = n == 1 && (nf[0] == '=' || nf[0] == '+' || nf[0] == '-' || nf[0] == '@' || nf[0] == 0x2212);
	if (nf != buf)
		free(nf);
	return yes;
}

/* One cell's text from its first byte (the opening quote skipped): a formula? */
static void
check_cell(const uint8_t *p, const uint8_t *end)
{
	ucs4_t	uc;
	int	n;

	if (p < end && *p == '\'')
		return;
	for (; p < end; p += n) {
		n = u8_mbtouc(&uc, p, (size_t)(end - p));
		if (formula_start(uc))
			abort();
		if (!blank(uc))
			return;
	}
}

/* RFC 4180 rows of UTF-8 text: every quoted cell closed, nothing that needs quotes bare, each cell checked. */
static void
check_rows(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;

	while (p < end) {
		if (*p == '"') {
			check_cell(p + 1, end);
			for (p++; p < end; p++) {
				if (*p == '"' && (p + 1 == end || p[1] != '"'))
					break;
				if (*p == '"')
					p++;
			}
			if (p == end)
				abort();	/* a quoted cell never closed */
			p++;
		} else {
			const uint8_t *q = p;

			while (q < end && *q != ',' && *q != '\r')
				q++;
			if (memchr(p, '"', (size_t)(q - p)) != NULL || memchr(p, '\n', (size_t)(q - p)) != NULL)
				abort();	/* must have been quoted */
			check_cell(p, q);
			p = q;
		}
		if (p < end && *p == ',')
			p++;
		else if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (p < end)
			abort();
	}
}

static void
check_utf8(const struct buf *b)
{
	if (b->len < 3 || memcmp(b->data, "\xef\xbb\xbf", 3) != 0)
		abort();
	if (u8_check((const uint8_t *)b->data + 3, b->len - 3) != NULL)
		abort();
	check_rows((const uint8_t *)b->data + 3, b->len - 3);
}

static void
check_cp932(const struct buf *b)
{
	iconv_t		 cd = iconv_open("UTF-8", "CP932");
	struct buf	 u;
	char		*in = b->data, *o;
	size_t		 inleft = b->len, outleft;

	if (cd == (iconv_t)-1)
		abort();
	buf_init(&u);
	if (inleft > 0) {
		if ((o = (char *)buf_append_space(&u, inleft * 3)) == NULL)
			abort();
		outleft = inleft * 3;
		if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1)
			abort();	/* the writer wrote what CP932 cannot read */
		u.len -= outleft;
	}
	check_rows((const uint8_t *)u.data, u.len);
	iconv_close(cd);
	buf_free(&u);
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
	if (enc)
		check_cp932(&out);
	else
		check_utf8(&out);
	buf_free(&out);
	return 0;
}
