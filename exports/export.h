/*
 * export: the applicant list of one procedure as CSV for Excel.  Columns:
 * 受付番号, 受付日時 (JST), 状態 (staff's label; a reserve with its number,
 * 補欠（3番）: workflow.h, wf_label_of), 受付方法 (オンライン or how staff received
 * it), 言語 (the one the resident applied in), 参加者ID for a procedure that
 * issues them, then every field of the definition in its order under its
 * Japanese label.  Values are written as a person reads
 * them: choice labels rather than values, checkbox picks joined with "、".
 * Rows are handed over one at a time and written at once (csv.h), so memory
 * does not grow with the number of rows; the SHA-256 of every byte written
 * and the row count go to the hand-over ledger (管理簿).
 *
 * The struct export owns its CSV writer and hash state; export_close()
 * frees it.  json_object pointers are borrowed from the caller.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "csv.h"
#include "formdef.h"
#include "payload.h"

struct export;

struct export_row {
	const char		*receipt;
	time_t			 received_at;
	const char		*status;	/* "received", ... */
	long			 number;	/* a numbered status's (補欠's), else 0 */
	const char		*channel;	/* "web", ...; NULL: "web" */
	const char		*lang;		/* the resident's language (lang.h tag) */
	const char		*participant;	/* its participant ID; NULL or "" for none */
	/* The opened application's answers, read by payload.h or else by json-c; both NULL: not opened. */
	const struct payload	*payload;
	json_object		*answers;
};

struct export_summary {
	size_t	rows;			/* data rows, without the header */
	size_t	replaced;		/* characters the encoding could not hold, written as 〓 */
	char	sha256[65];		/* of the whole file, lower-case hex */
};

/*
 * Writes the BOM (UTF-8) and the header row at once; NULL on failure.
 * langs (borrowed, may be NULL) names the languages in Japanese.
 */
struct export	*export_open(const struct procedure *p, const struct langset *langs, enum csv_encoding enc,
		    csv_write_fn write, void *arg);
int		 export_row(struct export *e, const struct export_row *row);
/* export_row() for a callback (opener.h): e is the struct export. */
int		 export_row_cb(void *e, const struct export_row *row);
/* Frees e; -1 when any write failed on the way (the summary is still filled). */
int		 export_close(struct export *e, struct export_summary *sum);
/* One field's value as shown to staff (CSV cell, list column, detail page); "" when absent. */
int		 export_cell(const struct field *f, json_object *answers, struct buf *out);
/* One field's value of an opened row as export_row() writes it, appended to out; "" when absent. */
int		 export_row_cell(const struct field *f, const struct export_row *row, struct buf *out);
/* "<title>_<YYYYMMDD-HHMM>.csv" in JST. */
int		 export_filename(const struct procedure *p, time_t now, struct buf *out);
/*
 * A ZIP archive (AES-256, libzip) holding one entry, for files that leave
 * the system, appended to out.  Built in memory: no plaintext copy is ever
 * written to disk, at the price of memory in proportion to the file (the
 * plain CSV export is the one that streams in constant memory).
 */
int		 export_zip(const char *entry_name, const void *data, size_t len, const char *password,
		    struct buf *out);

#endif
