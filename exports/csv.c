#include "csv.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
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

static int
needs_quotes(const char *s, size_t len)
{
	return len > 0 && (memchr(s, ',', len) || memchr(s, '"', len) || memchr(s, '\r', len) ||
	    memchr(s, '\n', len) || s[0] == ' ' || s[len - 1] == ' ');
}

/* OWASP: a leading = + - @ TAB or CR makes Excel evaluate the cell. */
static int
formula_like(const char *s, size_t len)
{
	return len > 0 && strchr("=+-@\t\r", s[0]) != NULL;
}

static void
build_cell(struct csv_writer *w, struct buf *out, const char *s, size_t len)
{
	int quote, neutral = formula_like(s, len);

	quote = neutral || needs_quotes(s, len);
	if (quote)
		buf_putc(out, '"');
	if (neutral)
		buf_putc(out, '\'');
	put_valid(w, out, s, len);
	if (quote)
		buf_putc(out, '"');
}

/* Convert the cell to CP932 at the end of the row; what CP932 lacks becomes 〓 and is counted. */
static int
to_cp932(struct csv_writer *w)
{
	char	*in = w->cell.data, *o;
	size_t	 inleft = w->cell.len, outleft, room;
	int	 n;

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
	return w->row.oom ? -1 : 0;
}

int
csv_field(struct csv_writer *w, const char *s, size_t len)
{
	if (w->in_row)
		buf_putc(&w->row, ',');
	w->in_row = 1;
	if (w->enc == CSV_UTF8_BOM)
		build_cell(w, &w->row, s, len);
	else {
		buf_reset(&w->cell);
		build_cell(w, &w->cell, s, len);
		if (w->cell.oom || to_cp932(w) == -1)
			w->failed = 1;
	}
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
