/*
 * staff_list.c: the home page (the member's procedures, counted by status)
 * and one procedure's list, filtered and paged; the procedure's path also
 * leads to its exports (staff_export.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "dups.h"
#include "esc.h"
#include "export.h"
#include "jnorm.h"
#include "jst.h"
#include "staff.h"
#include "web.h"

/* ---- home: the member's procedures with counts per status ---- */

struct counts {
	int64_t	n[WF__STATUSES];
	int64_t	total;
};

static int
add_count(const char *code, int64_t n, void *arg)
{
	struct counts	*k = arg;
	enum wf_status	 s;

	if (wf_status_parse(code, &s) == 0)
		k->n[s] = n;
	k->total += n;
	return 0;
}

static int
home_row(struct ctx *c, const struct procedure *p)
{
	struct tvars	*row;
	struct counts	 k;
	char		 name[256];
	enum wf_status	 s;

	memset(&k, 0, sizeof(k));
	if (db_app_status_counts(c->app->site.db, p->id, p->section, add_count, &k) == -1 ||
	    (row = tvars_add(c->g.w.vars, "procs")) == NULL)
		return -1;
	tvars_set(row, "id", p->id);
	tvars_set(row, "title", p->title);
	tvars_set(row, "section", section_name(c, p->section, name, sizeof(name)));
	if (p->lottery)
		tvars_set(row, "lottery", "1");
	for (s = 0; s < WF__STATUSES; s++) {
		char key[32];

		if (!wf_status_offered(s))
			continue;
		snprintf(key, sizeof(key), "n_%s", wf_status_code(s));
		tvars_setf(row, key, "%lld", (long long)k.n[s]);
	}
	return tvars_setf(row, "n_total", "%lld", (long long)k.total);
}

void
page_home(void *arg)
{
	struct ctx	*c = arg;
	size_t		 i;

	if (member_vars(c, "手続き一覧") == -1)
		goto fail;
	for (i = 0; i < formset_count(c->app->site.forms); i++) {
		const struct procedure *p = formset_at(c->app->site.forms, i);

		if (holds_section(c, p->section) && home_row(c, p) == -1)
			goto fail;
	}
	if (c->nsections == 0 && c->g.role != WF_ROLE_AUDITOR)
		tvars_set(c->g.w.vars, "no_grant", "1");
	(void)web_render(&c->g.w, "staff_home.html");
	return;
fail:
	system_error(c);
}

/* ---- the list of one procedure ---- */

int
read_filter(struct ctx *c, struct filter *f)
{
	const char	*from = gate_query_text(&c->g, Q_FROM), *to = gate_query_text(&c->g, Q_TO);

	memset(f, 0, sizeof(*f));
	buf_init(&f->query);
	f->status = gate_query_text(&c->g, Q_STATUS);
	f->from = 0;
	f->to = (time_t)INT64_MAX / 2;
	f->page = *gate_query_text(&c->g, Q_PAGE) != '\0' ? strtoll(gate_query_text(&c->g, Q_PAGE), NULL, 10) : 1;
	if (f->page < 1)
		f->page = 1;
	if (*f->status != '\0' && !status_offered(f->status))
		f->error = "状態の指定が正しくありません。";
	if (*from != '\0')
		(void)jst_day_start(from, &f->from);	/* valid_date admitted only real dates */
	if (*to != '\0' && jst_day_start(to, &f->to) == 0)
		f->to += 24 * 60 * 60;
	if (f->to <= f->from)
		f->error = "受付日の「まで」が「から」より前になっています。";
	buf_puts(&f->query, "status=");
	esc_url_component(&f->query, f->status, strlen(f->status));
	buf_printf(&f->query, "&from=%s&to=%s", from, to);	/* dates passed valid_date: digits and '-' */
	return f->query.oom ? -1 : 0;
}

/*
 * One page of a list, newest first, read from where the last one ended
 * (db.h: keyset paging): the rows first, then shown, as a page read
 * towards the newer rows comes oldest first.
 */
struct list_page {
	struct db_app_row	 row[PAGE_ROWS];
	struct buf		 sealed[PAGE_ROWS];
	size_t			 n;
};

static int
keep_row(const struct db_app_row *r, void *arg)
{
	struct list_page	*pg = arg;
	struct db_app_row	*k;

	if (pg->n == PAGE_ROWS)
		return 1;
	k = &pg->row[pg->n];
	*k = *r;
	buf_reset(&pg->sealed[pg->n]);
	if (buf_put(&pg->sealed[pg->n], r->sealed, r->sealed_len) == -1)
		return -1;
	k->sealed = pg->sealed[pg->n++].data;
	return 0;
}

/*
 * The cursor of the query (`at`, valid_cursor): where the page starts and
 * which way it reads.  "o<seconds>_<receipt>": the rows older than that
 * one (the next page); "n...": the rows newer (the previous one); "last":
 * the oldest rows, as many as the last page holds.  None: the newest.
 */
static void
list_cursor(struct ctx *c, struct db_app_filter *df, int64_t total, int *reversed)
{
	const char	*at = gate_query_text(&c->g, Q_AT);
	const char	*us;

	*reversed = 0;
	df->limit = PAGE_ROWS;
	if (strcmp(at, "last") == 0) {
		df->oldest_first = 1;
		df->limit = total % PAGE_ROWS != 0 ? total % PAGE_ROWS : PAGE_ROWS;
		*reversed = 1;
	} else if (*at != '\0' && (us = strchr(at, '_')) != NULL) {
		df->oldest_first = at[0] == 'n';
		df->after_at = (time_t)strtoll(at + 1, NULL, 10);
		df->after_receipt = us + 1;
		*reversed = df->oldest_first;
	}
}

static int
list_cells(struct ctx *c, const struct procedure *p, struct tvars *row, const struct db_app_row *r)
{
	json_object	*root = NULL, *answers;
	struct buf	 plain, v;
	size_t		 i;
	int		 rc = -1;

	buf_init(&plain);
	buf_init(&v);
	if (open_sealed(c, r->key_id, r->sealed, r->sealed_len, &plain) == -1 ||
	    (answers = payload_answers(&plain, &root)) == NULL) {
		rc = tvars_set(row, "status", "（この申請を開く鍵がありません）");
		goto done;
	}
	for (i = 0; i < p->nfields; i++) {
		struct tvars *cell;

		if (!p->fields[i].summary)
			continue;
		buf_reset(&v);
		if ((cell = tvars_add(row, "cells")) == NULL || export_cell(&p->fields[i], answers, &v) == -1 ||
		    tvars_set(cell, "value", buf_cstr(&v)) == -1)
			goto done;
	}
	rc = 0;
done:
	json_object_put(root);
	buf_wipe(&plain);
	buf_wipe(&v);
	return rc;
}

static int
list_row(struct ctx *c, const struct procedure *p, const struct db_app_row *r)
{
	struct tvars	*row = tvars_add(c->g.w.vars, "rows");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(r->received_at, &when) == -1)
		return -1;
	rc = tvars_set(row, "receipt", r->receipt) == 0 && tvars_set(row, "received", buf_cstr(&when)) == 0 &&
	    status_var(row, "status", r->status, r->number) == 0 &&
	    tvars_set(row, "channel", wf_channel_label_of(r->channel)) == 0 &&
	    tvars_set(row, "participant", r->participant) == 0 &&
	    list_cells(c, p, row, r) == 0 ? 0 : -1;
	buf_free(&when);
	return rc;
}

/* The page's rows, newest first, and the cursors of the pages before and after it. */
static int
page_vars(struct ctx *c, const struct procedure *p, const struct list_page *pg, int reversed)
{
	const struct db_app_row	*first, *last;
	size_t			 i;

	for (i = 0; i < pg->n; i++)
		if (list_row(c, p, &pg->row[reversed ? pg->n - 1 - i : i]) == -1)
			return -1;
	if (pg->n == 0)
		return 0;
	first = &pg->row[reversed ? pg->n - 1 : 0];
	last = &pg->row[reversed ? 0 : pg->n - 1];
	return tvars_setf(c->g.w.vars, "newer_at", "n%lld_%s", (long long)first->received_at, first->receipt) |
	    tvars_setf(c->g.w.vars, "older_at", "o%lld_%s", (long long)last->received_at, last->receipt);
}

/*
 * The number of the page shown, for the reader only: it rides along in the
 * links, while where a page starts is its cursor.  The first page has none,
 * the last is "last".
 */
static int64_t
page_number(struct ctx *c, int64_t page, int64_t total)
{
	int64_t		 pages = (total + PAGE_ROWS - 1) / PAGE_ROWS;
	const char	*at = gate_query_text(&c->g, Q_AT);

	if (*at == '\0' || pages <= 1)
		return 1;
	if (strcmp(at, "last") == 0 || page > pages)
		return pages;
	return page;
}

/* 前 / 次 and "page of pages" (pager_vars), and 最初 / 最後 when they are not those. */
static int
list_pager(struct ctx *c, int64_t page, int64_t total)
{
	int64_t pages = (total + PAGE_ROWS - 1) / PAGE_ROWS;

	if (page > 2)
		tvars_set(c->g.w.vars, "has_first", "1");
	if (page < pages - 1)
		tvars_set(c->g.w.vars, "has_last", "1");
	return pager_vars(c, page, total);
}

static int
list_vars(struct ctx *c, const struct procedure *p, const struct filter *f, int64_t total)
{
	char		name[256], marked[24];
	size_t		i;

	tvars_set(c->g.w.vars, "proc_id", p->id);
	if (p->lottery)
		tvars_set(c->g.w.vars, "lottery", "1");
	tvars_set(c->g.w.vars, "proc_title", p->title);
	tvars_set(c->g.w.vars, "section", section_name(c, p->section, name, sizeof(name)));
	tvars_set(c->g.w.vars, "from", gate_query_text(&c->g, Q_FROM));
	tvars_set(c->g.w.vars, "to", gate_query_text(&c->g, Q_TO));
	tvars_set(c->g.w.vars, "filter_query", buf_cstr(&f->query));
	tvars_set(c->g.w.vars, "filter_status", f->status);
	tvars_setf(c->g.w.vars, "count_text", "%lld件", (long long)total);
	tvars_setf(c->g.w.vars, "bulk_max", "%d", BULK_MAX);
	if (bulk_targets(c) == -1)
		return -1;
	if (p->participant_prefix != NULL)
		tvars_set(c->g.w.vars, "has_participant", "1");
	/* Before a draw: whether the duplicate review covers today's list (read without opening anything). */
	if (p->lottery) {
		struct dups_review_info d;

		if (dups_review_state(c->app->site.db, p->id, &d) == -1)
			return -1;
		tvars_set(c->g.w.vars, "dups_state", dups_state_label(d.state));
		if (d.state == DUPS_UNDECIDED)
			tvars_setf(c->g.w.vars, "dups_undecided", "%lld", (long long)d.undecided);
	}
	snprintf(marked, sizeof(marked), ",%s,", f->status);
	if (status_rows(c, p, marked, "selected") == -1)
		return -1;
	for (i = 0; i < p->nfields; i++) {
		struct tvars *col;

		if (!p->fields[i].summary)
			continue;
		if ((col = tvars_add(c->g.w.vars, "columns")) == NULL)
			return -1;
		tvars_set(col, "label", p->fields[i].label);
	}
	return list_pager(c, page_number(c, f->page, total), total);
}

/*
 * A participant ID as staff type it (full-width, lower case, without or
 * with other hyphens) in its issued form, when its check digit is right:
 * 0, or -1 for a mistyped one.
 */
static int
participant_typed(const char *typed, char out[DB_PARTICIPANT_LEN + 1])
{
	char	code[40];
	size_t	letters;

	if (jn_lookup_code(typed, strlen(typed), 0, code, sizeof(code)) == -1)
		return -1;
	letters = strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (letters < 1 || letters > 8 || strlen(code + letters) != 12)
		return -1;
	snprintf(out, DB_PARTICIPANT_LEN + 1, "%.*s-%.4s-%.4s-%.4s", (int)letters, code, code + letters,
	    code + letters + 4, code + letters + 8);
	return db_participant_ok(out) ? 0 : -1;
}

/* 参加者IDで探す: to the application that holds it (1, answered), or a message on the list (0), or -1. */
static int
find_participant(struct ctx *c, const struct procedure *p)
{
	const char	*typed = gate_query_text(&c->g, Q_PID);
	char		 id[DB_PARTICIPANT_LEN + 1], receipt[DB_RECEIPT_LEN + 1], loc[64];
	int		 rc;

	if (*typed == '\0' || p->participant_prefix == NULL)
		return 0;
	if (participant_typed(typed, id) == -1) {
		c->g.w.req.status = 400;
		tvars_set(c->g.w.vars, "page_error", "1");
		return tvars_set(c->g.w.vars, "pid_error", "参加者IDが正しくありません。数字の読み違いや打ち間違いが"
		    "ないか確かめてください（例：ECO-1234-5678-9012）。");
	}
	if ((rc = db_app_by_participant(c->app->site.db, p->id, id, receipt)) == -1)
		return -1;
	if (rc == DB_NOTFOUND) {
		c->g.w.req.status = 404;
		tvars_set(c->g.w.vars, "page_error", "1");
		return tvars_set(c->g.w.vars, "pid_error", "この手続きに、その参加者IDの登録はありません。");
	}
	snprintf(loc, sizeof(loc), "/staff/apps/%s", receipt);
	redirect(c, loc);
	return 1;
}

static void
show_list(struct ctx *c, const struct procedure *p)
{
	struct filter		 f;
	struct db_app_filter	 df;
	struct list_page	*pg;
	int64_t			 total = 0, failed = 0;
	char			 detail[64];
	size_t			 i;
	int			 reversed = 0, rc;

	if ((pg = calloc(1, sizeof(*pg))) == NULL) {
		system_error(c);
		return;
	}
	for (i = 0; i < PAGE_ROWS; i++)
		buf_init(&pg->sealed[i]);
	if (read_filter(c, &f) == -1 || member_vars(c, p->title) == -1)
		goto fail;
	if ((rc = find_participant(c, p)) != 0) {
		if (rc == 1)
			goto done;
		goto fail;
	}
	memset(&df, 0, sizeof(df));
	df.procedure_id = p->id;
	df.section_id = p->section;
	df.status = f.status;
	df.from = f.from;
	df.to = f.to;
	if (f.error != NULL) {
		c->g.w.req.status = 400;
		tvars_set(c->g.w.vars, "f_error", f.error);
		tvars_set(c->g.w.vars, "page_error", "1");
	} else {
		if (db_app_count_filtered(c->app->site.db, &df, &total) == -1)
			goto fail;
		list_cursor(c, &df, total, &reversed);
		if (db_app_list(c->app->site.db, &df, keep_row, pg) == -1 || page_vars(c, p, pg, reversed) == -1)
			goto fail;
	}
	if (list_vars(c, p, &f, total) == -1 ||
	    db_outbox_failed_count(c->app->site.db, p->id, p->section, &failed) == -1)
		goto fail;
	if (failed > 0)
		tvars_setf(c->g.w.vars, "mail_failed", "%lld", (long long)failed);
	snprintf(detail, sizeof(detail), "page=%lld rows=%zu", (long long)page_number(c, f.page, total), pg->n);
	if (f.error == NULL && pg->n > 0 && audit_ok(c, "list", p->id, detail) == -1)
		goto fail;
	(void)web_render(&c->g.w, "staff_list.html");
	goto done;
fail:
	system_error(c);
done:
	buf_free(&f.query);
	for (i = 0; i < PAGE_ROWS; i++)
		buf_free(&pg->sealed[i]);
	free(pg);
}

void
page_forms(void *arg)
{
	struct ctx		*c = arg;
	const char		*rest = c->g.w.req.path + strlen("/staff/forms/");
	const char		*slash = strchr(rest, '/');
	char			 id[64];
	const struct procedure	*p;

	if ((slash ? (size_t)(slash - rest) : strlen(rest)) >= sizeof(id)) {
		not_found(c);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
	p = formset_get(c->app->site.forms, id);
	if (p == NULL || (slash != NULL &&
	    strcmp(slash, "/export.csv") != 0 && strcmp(slash, "/export.zip") != 0)) {
		not_found(c);
		return;
	}
	if (!holds_section(c, p->section)) {
		deny(c, p->id, "another section's procedure");
		return;
	}
	/* One prefix route serves three resources: each takes its own methods. */
	if (slash != NULL && strcmp(slash, "/export.zip") == 0) {
		if (c->g.w.req.method != HTTP_POST)
			gate_refuse_method(&c->g, HTTP_POST);
		else
			page_export_zip(c, p);
	} else if (slash != NULL && c->g.w.req.method != HTTP_GET)
		gate_refuse_method(&c->g, HTTP_GET);	/* an export is made, and audited, only when fetched */
	else if (c->g.w.req.method == HTTP_POST)
		gate_refuse_method(&c->g, HTTP_GET | HTTP_HEAD);
	else if (slash != NULL)
		page_export(c, p);
	else
		show_list(c, p);
}

