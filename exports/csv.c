#include "csv.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#include "esc.h"

/* Shown where a character cannot be written: 〓 (geta), which CP932 has. */
#define REPLACEMENT_UTF8	"\xe3\x80\x93"

struct csv_writer {
	enum csv_encoding	 enc;
	csv_write_fn		 write;
	void			*arg;
	iconv_t			 cd;
	struct buf		 row;	/* the current row in the output encoding, written when it ends */
	struct buf		 cell;	/* CP932: one cell, quoted and escaped, in UTF-8 */
	size_t			 replaced;
	size_t			 rows;
	int			 in_row;
	int			 failed;
};

struct csv_writer *
csv_open(enum csv_encoding enc, csv_write_fn write, void *arg)
{
	struct csv_writer *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->enc = enc;
	w->write = write;
	w->arg = arg;
	w->cd = (iconv_t)-1;
	buf_init(&w->row);
	buf_init(&w->cell);
	if (enc == CSV_CP932 && (w->cd = iconv_open("CP932", "UTF-8")) == (iconv_t)-1) {
		free(w);
		return NULL;
	}
	/* Excel reads UTF-8 CSV as UTF-8 only when the file starts with a BOM. */
	if (enc == CSV_UTF8_BOM && write(arg, "\xef\xbb\xbf", 3) == -1)
		w->failed = 1;
	return w;
}

/* One write per row: the caller's sink and hash see a few large pieces, not every comma. */
static int
flush_row(struct csv_writer *w)
{
	if (w->row.oom)
		w->failed = 1;
	if (!w->failed && w->row.len > 0 && w->write(w->arg, w->row.data, w->row.len) == -1)
		w->failed = 1;
	buf_reset(&w->row);	/* wipes: personal data */
	return w->failed ? -1 : 0;
}

/*
 * Append s to out, doubling quotes and replacing NUL and invalid UTF-8
 * sequences with 〓.  ASCII is copied in runs; only other bytes ask
 * u8_mblen() where the character ends.
 */
static void
put_valid(struct csv_writer *w, struct buf *out, const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s, *end = p + len, *run = p;
	int		 n;

	while (p < end) {
		if (*p != '\0' && *p < 0x80) {
			if (*p++ == '"') {
				buf_put(out, run, (size_t)(p - run));
				buf_putc(out, '"');	/* a quote inside is doubled */
				run = p;
			}
			continue;
		}
		if (*p >= 0x80 && (n = u8_mblen(p, (size_t)(end - p))) > 0) {
			p += n;
			continue;
		}
		buf_put(out, run, (size_t)(p - run));
		buf_puts(out, REPLACEMENT_UTF8);
		w->replaced++;
		run = ++p;
	}
	buf_put(out, run, (size_t)(p - run));
}

/* RFC 4180, and a space at either end, which some importers trim unless the cell is quoted. */
static int
needs_quotes(const char *s, size_t len)
{
	return len > 0 && (memchr(s, ',', len) || memchr(s, '"', len) || memchr(s, '\r', len) ||
	    memchr(s, '\n', len) || s[0] == ' ' || s[len - 1] == ' ');
}

/*
 * Formula neutralisation.  A spreadsheet runs a cell as a formula when it
 * starts with = + - or @; OWASP's list has TAB and CR too, and LF goes
 * with them.  What stands before that start may not survive the
 * trip to the sheet: glibc's CP932 conversion drops the tag characters
 * (U+E0000..E007F), importers may trim white space, and what is invisible
 * cannot be seen to be there.  So a cell is made text when its first
 * character that is not blank is a formula start, or a TAB, CR or LF
 * comes before it.  Blank: white space, controls (Cc), format characters
 * (Cf), every default-ignorable code point (zero-width, BOM, bidi
 * controls, variation selectors, tags, Hangul fillers) and unassigned code
 * points (a later Unicode may make them format characters).  Formula
 * starts include every character whose compatibility form (NFKC) is = + -
 * @ or U+2212 (full-width ＝＋－＠, small and super/subscript forms), and
 * U+2212 itself, which CP932 writes as －: a sheet or a conversion may fold
 * them.  The rule is applied to the cell as it is written: to the UTF-8
 * text, and for CP932 also to the converted bytes, so that no conversion
 * can undo it.  The cell keeps every character (it is the record of what
 * was sent) and gets an apostrophe in front of them all, which nothing
 * skips.
 */
enum lead {
	LEAD_TEXT,
	LEAD_BLANK,
	LEAD_FORMULA
};

static enum lead
lead_of(ucs4_t uc)
{
	switch (uc) {
	case '=': case '+': case '-': case '@': case '\t': case '\r': case '\n':
	case 0x207a: case 0x207b: case 0x207c: case 0x208a: case 0x208b: case 0x208c:
	case 0x2212: case 0xfb29: case 0xfe62: case 0xfe63: case 0xfe66: case 0xfe6b:
	case 0xff0b: case 0xff0d: case 0xff1d: case 0xff20:
		return LEAD_FORMULA;
	}
	if (uc < 0x80)
		return uc <= 0x20 || uc == 0x7f ? LEAD_BLANK : LEAD_TEXT;
	if (uc_is_property_white_space(uc) || uc_is_property_default_ignorable_code_point(uc) ||
	    uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_Cc | UC_CATEGORY_MASK_Cf |
	    UC_CATEGORY_MASK_Cn))
		return LEAD_BLANK;
	return LEAD_TEXT;
}

/*
 * The first character of UTF-8 text (an invalid byte reads as U+FFFD:
 * text).  U+4000..U+9FFF (lead bytes E4..E9), where most Japanese cells
 * start, are all assigned ideographs and symbols: text, without the tables.
 */
static enum lead
lead_utf8(const uint8_t *p, size_t len, size_t *step)
{
	ucs4_t	uc;
	int	n;

	if (len >= 3 && p[0] >= 0xe4 && p[0] <= 0xe9) {
		*step = 3;
		return LEAD_TEXT;
	}
	n = u8_mbtouc(&uc, p, len);
	*step = (size_t)n;
	return lead_of(uc);
}

/*
 * The first character of CP932 bytes.  CP932's only blanks are the C0
 * controls, space, DEL, 0x80 and the ideographic space (81 40); its only
 * formula starts besides ASCII are ＋－＝＠ (81 7B, 81 7C, 81 81, 81 97).
 * tests/unit/test_csv.c holds this to lead_of() for every CP932 character.
 */
static enum lead
lead_cp932(const uint8_t *p, size_t len, size_t *step)
{
	*step = 1;
	if (p[0] < 0x80)
		return lead_of(p[0]);
	if (p[0] == 0x80)
		return LEAD_BLANK;
	if (p[0] != 0x81 || len < 2)
		return LEAD_TEXT;
	*step = 2;
	if (p[1] == 0x40)
		return LEAD_BLANK;
	return p[1] == 0x7b || p[1] == 0x7c || p[1] == 0x81 || p[1] == 0x97 ? LEAD_FORMULA : LEAD_TEXT;
}

int
csv_formula_like(enum csv_encoding enc, const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 step;
	enum lead	 l = LEAD_BLANK;

	while (len > 0 && l == LEAD_BLANK) {
		l = enc == CSV_CP932 ? lead_cp932(p, len, &step) : lead_utf8(p, len, &step);
		p += step;
		len -= step;
	}
	return l == LEAD_FORMULA;
}

/* The cell's text as written, in the row from `start` on: a formula? */
static int
written_formula_like(const struct csv_writer *w, enum csv_encoding enc, size_t start)
{
	return w->row.len > start && csv_formula_like(enc, w->row.data + start, w->row.len - start);
}

/*
 * The cell's text is in the row from `start` on, in the output encoding:
 * put the quotes and the apostrophe around it as it needs.
 */
static void
finish_cell(struct csv_writer *w, size_t start, int neutral)
{
	size_t	n = w->row.len - start, k;

	if (!neutral && (n == 0 || !needs_quotes(w->row.data + start, n)))
		return;
	k = neutral ? 2 : 1;
	if (buf_append_space(&w->row, k) == NULL)
		return;
	memmove(w->row.data + start + k, w->row.data + start, n);
	memcpy(w->row.data + start, "\"'", k);
	buf_putc(&w->row, '"');
}

/* The next U+E0000..E007F (F3 A0 80..81 xx) in UTF-8 text, or end: glibc's iconv drops them unseen. */
static char *
next_tag(char *s, size_t len)
{
	char *end = s + len, *p;

	for (p = s; (p = memchr(p, 0xf3, (size_t)(end - p))) != NULL && end - p >= 4; p++)
		if ((uint8_t)p[1] == 0xa0 && ((uint8_t)p[2] & 0xfe) == 0x80)
			return p;
	return end;
}

/*
 * Convert the cell to CP932, appended to the row; what CP932 lacks becomes
 * 〓 and is counted, the characters iconv would drop unseen included.
 */
static int
to_cp932(struct csv_writer *w)
{
	char	*in = w->cell.data, *end, *stop, *o;
	size_t	 inleft, outleft, room;
	int	 n;

	if (w->cell.len == 0)
		return 0;
	end = in + w->cell.len;
	while (in < end) {
		stop = next_tag(in, (size_t)(end - in));
		inleft = (size_t)(stop - in);
		while (inleft > 0) {
			room = inleft * 2 + 16;
			if ((o = (char *)buf_append_space(&w->row, room)) == NULL)
				return -1;
			outleft = room;
			if (iconv(w->cd, &in, &inleft, &o, &outleft) == (size_t)-1 && errno != E2BIG) {
				if (errno != EILSEQ && errno != EINVAL)
					return -1;
				w->row.len -= outleft;
				buf_put(&w->row, "\x81\xac", 2);	/* 〓 in CP932 */
				w->replaced++;
				n = u8_mblen((const uint8_t *)in, inleft);
				in += n > 0 ? n : 1;
				inleft -= n > 0 ? (size_t)n : 1;
				continue;
			}
			w->row.len -= outleft;
		}
		if (stop < end) {
			buf_put(&w->row, "\x81\xac", 2);
			w->replaced++;
			in = stop + 4;
		}
	}
	return w->row.oom ? -1 : 0;
}

int
csv_field(struct csv_writer *w, const char *s, size_t len)
{
	size_t	start;
	int	neutral;

	if (w->in_row)
		buf_putc(&w->row, ',');
	w->in_row = 1;
	start = w->row.len;
	if (w->enc == CSV_UTF8_BOM) {
		put_valid(w, &w->row, s, len);
		neutral = written_formula_like(w, CSV_UTF8_BOM, start);
	} else {
		buf_reset(&w->cell);
		put_valid(w, &w->cell, s, len);
		if (w->cell.oom || to_cp932(w) == -1)
			w->failed = 1;
		/* the UTF-8 text's rule, so both files agree, and the bytes', so the conversion cannot undo it */
		neutral = csv_formula_like(CSV_UTF8_BOM, w->cell.data, w->cell.len) ||
		    written_formula_like(w, CSV_CP932, start);
	}
	if (!w->row.oom)
		finish_cell(w, start, neutral);
	if (w->row.oom)
		w->failed = 1;
	return w->failed ? -1 : 0;
}

int
csv_end_row(struct csv_writer *w)
{
	w->in_row = 0;
	w->rows++;
	buf_put(&w->row, "\r\n", 2);
	return flush_row(w);
}

size_t
csv_replaced(const struct csv_writer *w)
{
	return w->replaced;
}

size_t
csv_rows(const struct csv_writer *w)
{
	return w->rows;
}

int
csv_close(struct csv_writer *w)
{
	int rc = flush_row(w);	/* a row left without its end is written as it is */

	if (w->cd != (iconv_t)-1)
		iconv_close(w->cd);
	buf_wipe(&w->row);
	buf_wipe(&w->cell);
	free(w);
	return rc;
}

int
csv_content_disposition(const char *name, struct buf *out)
{
	const char *p;

	/* Old clients get an ASCII name; current ones read filename* (RFC 6266, RFC 5987). */
	buf_puts(out, "attachment; filename=\"");
	for (p = name; *p != '\0'; p++)
		buf_putc(out, (*p & 0x80) || *p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ? '_' : *p);
	buf_puts(out, "\"; filename*=UTF-8''");
	esc_url_component(out, name, strlen(name));
	return out->oom ? -1 : 0;
}
