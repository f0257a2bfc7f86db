/* Unit tests for exports/csv.c, including a round trip through Python's csv module. */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <unictype.h>
#include <unistd.h>
#include <unistr.h>

#include "csv.h"
#include "t.h"

static int
to_buf(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

static int
count_only(void *arg, const void *p, size_t n)
{
	(void)p;
	*(size_t *)arg += n;
	return 0;
}

static int
fail_write(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return -1;
}

/* Write one row of cells with the writer, return the bytes. */
static int
one_row(enum csv_encoding enc, const char *const *cells, size_t n, struct buf *out, size_t *replaced)
{
	struct csv_writer *w = csv_open(enc, to_buf, out);
	size_t i;

	if (w == NULL)
		return -1;
	for (i = 0; i < n; i++)
		csv_field(w, cells[i], strlen(cells[i]));
	csv_end_row(w);
	if (replaced != NULL)
		*replaced = csv_replaced(w);
	return csv_close(w);
}

static void
bom_and_crlf(void)
{
	const char *cells[] = { "a", "b" };
	struct buf b;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 2, &b, NULL) == 0);
	T_STREQ(buf_cstr(&b), "\xef\xbb\xbf" "a,b\r\n");
	buf_free(&b);
}

static void
quoting_rfc4180(void)
{
	const char *cells[] = { "a,b", "say \"hi\"", "line1\nline2", " lead", "plain" };
	struct buf b;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 5, &b, NULL) == 0);
	T_STREQ(buf_cstr(&b) + 3, "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\" lead\",plain\r\n");
	buf_free(&b);
}

static void
formulas_neutralised(void)
{
	const char *cells[] = { "=SUM(A1)", "+81", "-1", "@x", "\tTab", "03-1234" };
	struct buf b;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 6, &b, NULL) == 0);
	T_STREQ(buf_cstr(&b) + 3, "\"'=SUM(A1)\",\"'+81\",\"'-1\",\"'@x\",\"'\tTab\",03-1234\r\n");
	buf_free(&b);
}

/* One cell in its own row: the bytes of the row, after the BOM for UTF-8. */
static int
cell_row(enum csv_encoding enc, const char *cell, struct buf *out, size_t *replaced)
{
	const char *cells[] = { cell };

	buf_reset(out);
	if (one_row(enc, cells, 1, out, replaced) == -1)
		return -1;
	if (enc == CSV_UTF8_BOM) {
		if (out->len < 3)
			return -1;
		memmove(out->data, out->data + 3, out->len - 3 + 1);
		out->len -= 3;
	}
	return 0;
}

/* Was the cell written as text: `"'` first? */
static int
neutralised(const struct buf *row)
{
	return row->len >= 2 && memcmp(row->data, "\"'", 2) == 0;
}

/* The reported attack: a tag character CP932 lacks, then a formula. */
static void
formula_after_dropped_character_cp932(void)
{
	struct buf	b;
	size_t		rep = 0;

	buf_init(&b);
	T_CHECK(cell_row(CSV_CP932, "\xf3\xa0\x80\x81=HYPERLINK(\"http://example.invalid/\",\"x\")", &b,
	    &rep) == 0);
	T_CHECK(neutralised(&b));
	T_CHECK(rep == 1);	/* shown as 〓 and counted, not dropped */
	T_CHECK(memmem(b.data, b.len, "\x81\xac=HYPERLINK", 12) != NULL);
	buf_free(&b);
}

/* Is each cell neutralised in both encodings (and kept whole in UTF-8)?  Says which is not. */
static int
all_neutralised(const char *const *cells, size_t n)
{
	struct buf	b;
	size_t		i;
	int		enc, ok = 1;

	buf_init(&b);
	for (enc = 0; enc < 2; enc++) {
		for (i = 0; i < n; i++) {
			if (cell_row(enc == 0 ? CSV_UTF8_BOM : CSV_CP932, cells[i], &b, NULL) == -1 ||
			    !neutralised(&b) || (enc == 0 && strncmp(b.data + 2, cells[i], strlen(cells[i])) != 0)) {
				printf("#   not neutralised: cell %zu, %s\n", i, enc == 0 ? "UTF-8" : "CP932");
				ok = 0;
			}
		}
	}
	buf_free(&b);
	return ok;
}

/* Invisible or blank characters before a formula: neutralised in both encodings, kept in UTF-8. */
static void
formula_after_invisible_prefix(void)
{
	static const char *const cells[] = {
		"\xe2\x80\x8b=1+1", "\xef\xbb\xbf+1", "\xe2\x81\xa0-1", "\xf3\xa0\x80\x81@x", "\xc2\xa0=1",
		"\xe3\x80\x80=1", " =1", "\xe2\x80\xae=1", "\xe1\xa0\x8e=1", "\xe3\x85\xa4=1", "\xc2\x85=1",
		"\x7f=1", "\xcd\x8f=1", "\xef\xb8\x8f=1", "\xe2\x80\x8b \xe3\x80\x80=1"
	};

	T_CHECK(all_neutralised(cells, sizeof(cells) / sizeof(cells[0])));
}

/* Full-width, small and super/subscript forms of = + - @, and U+2212 (CP932 writes it as －). */
static void
formula_lookalike_starts(void)
{
	static const char *const cells[] = {
		"\xef\xbc\x9d" "1+1", "\xef\xbc\x8b" "1", "\xef\xbc\x8d" "1", "\xef\xbc\xa0x", "\xe2\x88\x92" "1",
		"\xef\xb9\xa6" "1", "\xe2\x81\xbc" "1", "\xe2\x82\x8a" "1", "\xef\xb9\xab" "x",
		"\xe3\x80\x80\xef\xbc\x9d" "1"
	};

	T_CHECK(all_neutralised(cells, sizeof(cells) / sizeof(cells[0])));
}

/* OWASP: a cell that starts with TAB, CR or LF (after blanks too) is made text as well. */
static void
leading_tab_cr_lf_neutralised(void)
{
	static const char *const cells[] = { "\tx", "\rx", "\nx", " \tx", "\xe3\x80\x80\nx" };

	T_CHECK(all_neutralised(cells, sizeof(cells) / sizeof(cells[0])));
}

/* The rightful user: blanks before ordinary text leave the cell as it was. */
static void
invisible_prefix_without_formula_untouched(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(cell_row(CSV_UTF8_BOM, "\xe2\x80\x8b山田", &b, NULL) == 0);
	T_STREQ(buf_cstr(&b), "\xe2\x80\x8b山田\r\n");
	T_CHECK(cell_row(CSV_UTF8_BOM, "\xe3\x80\x80山田 太郎", &b, NULL) == 0);
	T_STREQ(buf_cstr(&b), "\xe3\x80\x80山田 太郎\r\n");
	T_CHECK(cell_row(CSV_CP932, "\xe3\x80\x80" "03-1234", &b, NULL) == 0);
	T_STREQ(buf_cstr(&b), "\x81\x40" "03-1234\r\n");
	T_CHECK(cell_row(CSV_UTF8_BOM, "〓=1", &b, NULL) == 0);
	T_STREQ(buf_cstr(&b), "〓=1\r\n");
	buf_free(&b);
}

/*
 * The oracle for CP932 text, written apart from csv.c: its blanks are the
 * controls, space and U+3000; its formula starts = + - @, their full-width
 * forms and U+2212.
 */
static int
cp932_text_is_formula(const ucs4_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && (s[i] < 0x21 || (s[i] >= 0x7f && s[i] <= 0x9f) || s[i] == 0x3000); i++)
		if (s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			return 1;
	return i < n && ((s[i] < 0x80 && strchr("=+-@", (int)s[i]) != NULL) || s[i] == 0xff1d || s[i] == 0xff0b ||
	    s[i] == 0xff0d || s[i] == 0xff20 || s[i] == 0x2212);
}

/* The CP932 row of one cell read back (UCS-4), without its quotes and apostrophe; -1: not CP932. */
static int
read_back(iconv_t cd, const struct buf *row, ucs4_t *text, size_t max, size_t *n)
{
	char	*in = row->data, *out = (char *)text;
	size_t	 inleft = row->len - 2, outleft = max * sizeof(*text), skip;	/* less the CRLF */

	skip = neutralised(row) ? 2 : inleft > 0 && *in == '"';
	in += skip;
	inleft -= skip + (skip > 0);	/* and the closing quote */
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &in, &inleft, &out, &outleft) == (size_t)-1)
		return -1;
	*n = max - outleft / sizeof(*text);
	return 0;
}

/*
 * What the CP932 writer makes of one code point then "=1" (cp932), beside
 * the UTF-8 writer's row (utf8): nothing vanishes on the way (a character
 * CP932 lacks is 〓), the file holds no formula by an oracle of its own,
 * and both encodings neutralise alike.
 */
static int
check_code_point(ucs4_t uc, const struct buf *cp932, const struct buf *utf8, iconv_t cd)
{
	ucs4_t	text[16];
	size_t	n;

	if (read_back(cd, cp932, text, sizeof(text) / sizeof(text[0]), &n) == -1) {
		printf("#   U+%04X: the CP932 writer wrote what CP932 cannot read\n", (unsigned)uc);
		return -1;
	}
	if (n == 2 && text[0] == '=' && text[1] == '1') {
		printf("#   U+%04X vanished in CP932\n", (unsigned)uc);
		return -1;
	}
	if (!neutralised(cp932) && cp932_text_is_formula(text, n)) {
		printf("#   U+%04X then =1: a formula in the CP932 file\n", (unsigned)uc);
		return -1;
	}
	if (neutralised(cp932) != neutralised(utf8)) {
		printf("#   U+%04X then =1: UTF-8 %s, CP932 %s\n", (unsigned)uc,
		    neutralised(utf8) ? "neutralised" : "not", neutralised(cp932) ? "neutralised" : "not");
		return -1;
	}
	return 0;
}

/*
 * Planes 0, 1 and 14 (tags, variation selectors) whole, the others sampled:
 * 2-3 hold ideographs, 4-13 nothing assigned, 15-16 private use, each plane
 * handled alike throughout.
 */
static ucs4_t
next_code_point(ucs4_t uc)
{
	unsigned plane = uc >> 16;

	if (plane == 0 || plane == 1 || plane == 14)
		return uc + 1;
	uc += 97;
	return (uc >> 16) == 14 && plane < 14 ? 0xe0000 : uc;
}

/* Every code point (next_code_point()) as a cell with "=1" after it, in both encodings. */
static void
every_code_point_cp932(void)
{
	iconv_t			 cd = iconv_open("UCS-4LE", "CP932");
	struct buf		 b932, b8, cell;
	struct csv_writer	*w932, *w8;
	uint8_t			 u[6];
	ucs4_t			 uc;
	int			 n, rc = 0;

	buf_init(&b932);
	buf_init(&b8);
	buf_init(&cell);
	w932 = csv_open(CSV_CP932, to_buf, &b932);
	w8 = csv_open(CSV_UTF8_BOM, to_buf, &b8);
	T_CHECK(cd != (iconv_t)-1 && w932 != NULL && w8 != NULL);
	for (uc = 1; uc < 0x110000 && rc == 0; uc = next_code_point(uc)) {
		if (uc >= 0xd800 && uc < 0xe000)
			continue;
		n = u8_uctomb(u, uc, (ptrdiff_t)sizeof(u));
		buf_reset(&cell);
		buf_put(&cell, u, (size_t)n);
		buf_puts(&cell, "=1");
		buf_reset(&b932);
		buf_reset(&b8);
		rc = csv_field(w932, cell.data, cell.len) | csv_end_row(w932) | csv_field(w8, cell.data, cell.len) |
		    csv_end_row(w8);
		if (rc == 0)
			rc = check_code_point(uc, &b932, &b8, cd);
	}
	csv_close(w932);
	csv_close(w8);
	iconv_close(cd);
	buf_free(&b932);
	buf_free(&b8);
	buf_free(&cell);
	T_CHECK(rc == 0);
}

/* Does one character, followed by `after`, start a formula in both encodings alike? */
static int
cp932_char_agrees(const char *c932, size_t n, iconv_t cd, const char *after)
{
	char	 in[8], utf8[16], *ip = in, *op = utf8;
	size_t	 il = n, ol = sizeof(utf8) - 4, al = strlen(after);

	memcpy(in, c932, n);
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
		return 1;	/* not a CP932 character: the writer never writes it */
	memcpy(in + n, after, al);
	memcpy(op, after, al);
	if (csv_formula_like(CSV_CP932, in, n + al) == csv_formula_like(CSV_UTF8_BOM, utf8,
	    (size_t)(op - utf8) + al))
		return 1;
	printf("#   CP932 %02X%02X then %s: the CP932 rule and the Unicode rule differ\n",
	    (unsigned char)c932[0], n > 1 ? (unsigned char)c932[1] : 0, after);
	return 0;
}

/* The CP932 bytes' rule is the Unicode rule, for every character CP932 has. */
static void
cp932_rule_matches_unicode_rule(void)
{
	iconv_t		cd = iconv_open("UTF-8", "CP932");
	char		c[2];
	unsigned	lead, trail;

	T_CHECK(cd != (iconv_t)-1);
	for (lead = 0; lead < 0x100; lead++) {
		c[0] = (char)lead;
		T_CHECK(cp932_char_agrees(c, 1, cd, "=") && cp932_char_agrees(c, 1, cd, "x"));
		for (trail = 0x40; trail < 0x100; trail++) {
			c[1] = (char)trail;
			T_CHECK(cp932_char_agrees(c, 2, cd, "=") && cp932_char_agrees(c, 2, cd, "x"));
		}
	}
	iconv_close(cd);
}


/* csv.c reads U+4000..U+9FFF as text without the tables: hold it to them. */
static void
ideograph_range_has_no_blank(void)
{
	ucs4_t uc;

	for (uc = 0x4000; uc <= 0x9fff; uc++)
		T_CHECK(!uc_is_property_white_space(uc) && !uc_is_property_default_ignorable_code_point(uc) &&
		    !uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_Cc | UC_CATEGORY_MASK_Cf |
		    UC_CATEGORY_MASK_Cn));
}

static void
cp932_keeps_ibm_kanji_and_counts_emoji(void)
{
	const char *cells[] = { "髙﨑", "🍙" };
	struct buf b;
	size_t rep = 0;

	buf_init(&b);
	T_CHECK(one_row(CSV_CP932, cells, 2, &b, &rep) == 0);
	T_CHECK(rep == 1);
	T_CHECK(b.len >= 3 && memcmp(b.data, "\xef\xbb\xbf", 3) != 0);	/* no BOM in CP932 */
	/* 〓 (81 AC) stands where the emoji was */
	T_CHECK(memmem(b.data, b.len, ",\x81\xac\r\n", 5) != NULL);
	buf_free(&b);
}

static void
invalid_utf8_replaced(void)
{
	const char *cells[] = { "ok\xff" };
	struct buf b;
	size_t rep = 0;

	buf_init(&b);
	T_CHECK(one_row(CSV_UTF8_BOM, cells, 1, &b, &rep) == 0);
	T_CHECK(rep == 1);
	T_STREQ(buf_cstr(&b) + 3, "ok〓\r\n");
	buf_free(&b);
}

static void
failed_write_reported(void)
{
	struct csv_writer *w = csv_open(CSV_UTF8_BOM, fail_write, NULL);

	T_CHECK(w != NULL);
	T_CHECK(csv_field(w, "a", 1) == -1);
	T_CHECK(csv_close(w) == -1);
}

static void
content_disposition_rfc5987(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(csv_content_disposition("いきいきハイキング_2026-11-22.csv", &b) == 0);
	T_CHECK(strncmp(buf_cstr(&b), "attachment; filename=\"", 22) == 0);
	T_CHECK(strstr(buf_cstr(&b), "filename*=UTF-8''%E3%81%84%E3%81%8D") != NULL);
	T_CHECK(strstr(buf_cstr(&b), "_2026-11-22.csv\"") != NULL);
	buf_free(&b);
}

static void
many_rows_streamed_through_callback(void)
{
	size_t total = 0, i;
	struct csv_writer *w = csv_open(CSV_CP932, count_only, &total);

	T_CHECK(w != NULL);
	for (i = 0; i < 100000; i++) {
		T_CHECK(csv_field(w, "試験 花子", strlen("試験 花子")) == 0);
		T_CHECK(csv_field(w, "=1+1", 4) == 0);
		T_CHECK(csv_end_row(w) == 0);
	}
	T_CHECK(csv_rows(w) == 100000);
	T_CHECK(total > 100000 * 10);
	T_CHECK(csv_close(w) == 0);
}

/* Every value read back by an independent parser equals what was written. */
static void
round_trip_python_csv(void)
{
	static const char *const cells[] = {
		"a,b", "say \"hi\"", "l1\r\nl2", "l1\nl2", "🍙 emoji", "髙﨑", "=SUM(A1)", "+81",
		"-1", "@x", "", "普通の値", "\xe3\x80\x80=1"
	};
	enum { N = sizeof(cells) / sizeof(cells[0]) };
	char path[] = "/tmp/test_csv.XXXXXX", cmd[1024];
	struct buf b;
	int fd, enc;

	for (enc = 0; enc < 2; enc++) {
		buf_init(&b);
		T_CHECK(one_row(enc == 0 ? CSV_UTF8_BOM : CSV_CP932, (const char *const *)cells, N,
		    &b, NULL) == 0);
		strcpy(path, "/tmp/test_csv.XXXXXX");
		T_CHECK((fd = mkstemp(path)) != -1);
		T_CHECK(write(fd, b.data, b.len) == (ssize_t)b.len);
		close(fd);
		/* The expectation is written in Python too, from the same literals. */
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '"
		    "import csv,sys\n"
		    "rows=list(csv.reader(open(sys.argv[1],encoding=sys.argv[2],newline=\"\")))\n"
		    "want=[\"a,b\",\"say \\\"hi\\\"\",\"l1\\r\\nl2\",\"l1\\nl2\",sys.argv[3],\"髙﨑\",\"\\x27=SUM(A1)\","
		    "\"\\x27+81\",\"\\x27-1\",\"\\x27@x\",\"\",\"普通の値\",\"\\x27\\u3000=1\"]\n"
		    "sys.exit(0 if rows==[want] else print(rows) or 1)' %s %s %s",
		    path, enc == 0 ? "utf-8-sig" : "cp932", enc == 0 ? "'🍙 emoji'" : "'〓 emoji'");
		T_CHECK(system(cmd) == 0);
		unlink(path);
		buf_free(&b);
	}
}

int
main(void)
{
	T_RUN(bom_and_crlf);
	T_RUN(quoting_rfc4180);
	T_RUN(formulas_neutralised);
	T_RUN(formula_after_dropped_character_cp932);
	T_RUN(formula_after_invisible_prefix);
	T_RUN(formula_lookalike_starts);
	T_RUN(leading_tab_cr_lf_neutralised);
	T_RUN(invisible_prefix_without_formula_untouched);
	T_RUN(every_code_point_cp932);
	T_RUN(cp932_rule_matches_unicode_rule);
	T_RUN(ideograph_range_has_no_blank);
	T_RUN(cp932_keeps_ibm_kanji_and_counts_emoji);
	T_RUN(invalid_utf8_replaced);
	T_RUN(failed_write_reported);
	T_RUN(content_disposition_rfc5987);
	T_RUN(many_rows_streamed_through_callback);
	T_RUN(round_trip_python_csv);
	return T_DONE();
}
