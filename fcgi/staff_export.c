/*
 * staff_export.c: a procedure's applications as CSV, streamed as the rows
 * are opened, or as an AES-256 ZIP with the member's password; each export
 * goes into the audit log with its row count and SHA-256 (the hand-over
 * ledger, 管理簿).
 */
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "export.h"
#include "opener.h"
#include "staff.h"
#include "web.h"

/* ---- CSV export, streamed ---- */

/* One export: what the query asks for, and what came of it. */
struct job {
	struct ctx		*c;
	const struct procedure	*p;
	struct filter		 f;
	struct db_app_filter	 df;
	int			 cp932;
	const char		*purpose, *recipient;	/* for the ledger (管理簿) */
	struct export		*e;
	struct export_summary	 sum;
	int64_t			 unopened;
};

static int
stream_out(void *arg, const void *p, size_t n)
{
	return http_stream_write(arg, p, n);
}

/* Every row of the filter, opened on all cores (opener.h) and written in order. */
static int
export_rows(struct job *j)
{
	struct opener_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.key = session_key;
	conf.key_arg = j->c;
	conf.row = export_row_cb;
	conf.row_arg = j->e;
	return opener_export(j->c->app->site.db, &j->df, &conf, &j->unopened);
}

/* Anything but spaces (ASCII or ideographic)? */
static int
has_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 2;
		else if (*s != ' ')
			return 1;
	}
	return 0;
}

int
ledger_asked(struct ctx *c, const char *purpose, const char *recipient)
{
	if (has_text(purpose) && has_text(recipient))
		return 0;
	web_error_page(&c->g.w, 400, "利用目的と提供先を入力してください",
	    "CSV・ZIPの出力は管理簿に記録します。何のために（利用目的）、誰に渡すか（提供先）を入力して、"
	    "もう一度出力してください。");
	return -1;
}

int64_t
ledger_enter(struct ctx *c, const struct procedure *p, const char *form, size_t rows, const char *sha256,
    const char *purpose, const char *recipient)
{
	struct db_ledger e;

	memset(&e, 0, sizeof(e));
	e.at = c->g.w.now;
	e.actor = c->staff.login;
	e.procedure_id = p->id;
	e.section_id = p->section;
	e.rows = (int64_t)rows;
	e.sha256 = sha256;
	e.form = form;
	e.purpose = purpose;
	e.recipient = recipient;
	if (db_ledger_add(c->app->site.db, &e) == -1) {
		c->g.w.req.status = 500;
		return -1;
	}
	return e.id;
}

/*
 * The export's filter and encoding from the query, its purpose and recipient
 * from the query (CSV) or the body (ZIP); -1 after answering 400.
 * job_done() frees it.
 */
static int
job_start(struct job *j, struct ctx *c, const struct procedure *p, int from_body)
{
	const char *enc = gate_query_text(&c->g, Q_ENCODING);

	memset(j, 0, sizeof(*j));
	j->c = c;
	j->p = p;
	j->cp932 = strcmp(enc, "cp932") == 0;
	j->purpose = from_body ? gate_body_text(&c->g, B_PURPOSE) : gate_query_text(&c->g, Q_PURPOSE);
	j->recipient = from_body ? gate_body_text(&c->g, B_RECIPIENT) : gate_query_text(&c->g, Q_RECIPIENT);
	if (read_filter(c, &j->f) == -1) {
		system_error(c);
		return -1;
	}
	if (j->f.error != NULL || (*enc != '\0' && !j->cp932 && strcmp(enc, "utf-8") != 0)) {
		web_error_page(&c->g.w, 400, "出力の条件に誤りがあります",
		    j->f.error != NULL ? j->f.error : "文字コードの指定が正しくありません。");
		return -1;
	}
	if (ledger_asked(c, j->purpose, j->recipient) == -1)
		return -1;
	j->df.procedure_id = p->id;
	j->df.section_id = p->section;
	j->df.status = j->f.status;
	j->df.from = j->f.from;
	j->df.to = j->f.to;
	j->df.limit = -1;
	j->df.oldest_first = 1;
	return 0;
}

static void
job_done(struct job *j)
{
	buf_free(&j->f.query);
}

/*
 * The hand-over ledger (管理簿): the export's entry, with its purpose and
 * recipient, until its return or erasure is confirmed (staff_ledger.c); and
 * the audit entry: who, what, how many rows, the file's hash.
 */
static void
export_ledger(struct job *j, const char *form, const char *extra)
{
	struct ctx	*c = j->c;
	int64_t		 id = ledger_enter(c, j->p, form, j->sum.rows, j->sum.sha256, j->purpose, j->recipient);
	struct buf	 detail;

	buf_init(&detail);
	buf_printf(&detail, "rows=%zu sha256=%s encoding=%s status=%s from=%s to=%s replaced=%zu unopened=%lld"
	    " ledger=%lld%s", j->sum.rows, j->sum.sha256, j->cp932 ? "cp932" : "utf-8",
	    *j->f.status ? j->f.status : "all", gate_query_text(&c->g, Q_FROM), gate_query_text(&c->g, Q_TO),
	    j->sum.replaced, (long long)j->unopened, (long long)id, extra);
	audit(c, "export", j->p->id, buf_cstr(&detail));
	buf_free(&detail);
}

static int
attachment(struct ctx *c, const struct procedure *p, const char *suffix)
{
	struct buf	name, disp;
	int		rc;

	buf_init(&name);
	buf_init(&disp);
	rc = export_filename(p, c->g.w.now, &name) == 0 && (strcmp(suffix, ".csv") == 0 ||
	    (name.len > 4 && (name.len -= 4, buf_puts(&name, suffix) == 0))) &&
	    csv_content_disposition(buf_cstr(&name), &disp) == 0 &&
	    http_header(&c->g.w.req, "Content-Disposition", buf_cstr(&disp)) == 0 ? 0 : -1;
	buf_free(&name);
	buf_free(&disp);
	return rc;
}

void
page_export(struct ctx *c, const struct procedure *p)
{
	struct job	j;
	int		rc;

	if (job_start(&j, c, p, 0) == -1)
		goto done;
	if (attachment(c, p, ".csv") == -1) {
		system_error(c);
		goto done;
	}
	if (http_stream_begin(&c->g.w.req, j.cp932 ? "text/csv; charset=Shift_JIS" :
	    "text/csv; charset=utf-8") == -1 ||
	    (j.e = export_open(p, c->g.w.langs, j.cp932 ? CSV_CP932 : CSV_UTF8_BOM, stream_out, &c->g.w.req)) == NULL) {
		audit(c, "export", p->id, "failed before the first row");
		goto done;
	}
	rc = export_rows(&j);
	if (export_close(j.e, &j.sum) == -1)
		rc = -1;
	export_ledger(&j, rc == -1 ? "csv incomplete" : "csv", rc == -1 ? " incomplete" : "");
done:
	job_done(&j);
}

static int
to_memory(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

void
page_export_zip(struct ctx *c, const struct procedure *p)
{
	const char	*password = gate_body_text(&c->g, B_ZIP_PASSWORD), *problem;
	struct job	 j;
	struct buf	 csv, name;
	int		 rc;

	buf_init(&csv);
	buf_init(&name);
	if (job_start(&j, c, p, 1) == -1)
		goto done;
	/* The archive password is the member's choice; it is never stored or logged. */
	if ((problem = password_problem(c, password, 1)) != NULL) {
		web_error_page(&c->g.w, 400, "ZIPを作れませんでした", problem);
		goto done;
	}
	if ((j.e = export_open(p, c->g.w.langs, j.cp932 ? CSV_CP932 : CSV_UTF8_BOM, to_memory, &csv)) == NULL)
		goto fail;
	rc = export_rows(&j);
	if (export_close(j.e, &j.sum) == -1 || rc == -1 || export_filename(p, c->g.w.now, &name) == -1 ||
	    export_zip(buf_cstr(&name), csv.data, csv.len, password, &c->g.w.req.out) == -1 ||
	    attachment(c, p, ".zip") == -1)
		goto fail;
	export_ledger(&j, "zip", " archive");
	if (c->g.w.req.status != 500) {
		(void)http_send(&c->g.w.req, "application/zip");
		c->g.w.req.streamed = 1;	/* sent: the gate must not send it again as HTML */
	}
	goto done;
fail:
	buf_reset(&c->g.w.req.out);
	system_error(c);
done:
	buf_wipe(&csv);
	buf_free(&name);
	job_done(&j);
}
