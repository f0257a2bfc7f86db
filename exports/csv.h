/*
 * csv: the applicant CSV writer, for files that open correctly in Excel.
 * UTF-8 with a BOM (default) or CP932; CRLF line ends; RFC 4180 quoting;
 * cells that a spreadsheet could run as formulas, judged on the bytes as
 * written (csv_formula_like()), get an apostrophe in front.  Each row goes
 * to the caller's write callback in one piece as soon as it ends (the BOM at
 * once), so memory does not grow with the number of rows.  The writer owns
 * only itself; csv_close() frees it.
 */
#ifndef CSV_H
#define CSV_H

#include <stddef.h>

#include "buf.h"

enum csv_encoding {
	CSV_UTF8_BOM,
	CSV_CP932
};

typedef int (*csv_write_fn)(void *arg, const void *p, size_t n);	/* 0 ok, -1 failed */

struct csv_writer;

/* NULL on failure.  Writes the BOM for UTF-8 at once. */
struct csv_writer *csv_open(enum csv_encoding enc, csv_write_fn write, void *arg);
/* The next cell of the current row (UTF-8; invalid sequences are replaced and counted); -1 once a write failed. */
int	csv_field(struct csv_writer *w, const char *utf8, size_t len);
/* Ends the row and writes it. */
int	csv_end_row(struct csv_writer *w);
/* Characters that could not be written as they are (CP932 lacks them, or invalid UTF-8). */
size_t	csv_replaced(const struct csv_writer *w);
size_t	csv_rows(const struct csv_writer *w);
/* Writes a row left without its end, frees the writer; -1 if any write failed on the way. */
int	csv_close(struct csv_writer *w);
/*
 * 1 if text in enc would start a formula: = + - @ (or a look-alike) after
 * blank and invisible characters, or TAB, CR or LF among them (csv.c).
 */
int	csv_formula_like(enum csv_encoding enc, const char *s, size_t len);
/* Appends `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<RFC 5987>`. */
int	csv_content_disposition(const char *utf8_name, struct buf *out);

#endif
