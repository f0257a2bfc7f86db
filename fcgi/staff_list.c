/*
 * staff_list.c: the home page (the member's procedures, counted by status)
 * and one procedure's list, filtered and paged; the procedure's path also
 * leads to its exports (staff_export.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct jn_date	d;
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
	if (*from != '\0' && jn_date_parse(from, &d) == 0)
		f->from = jst_time(d.y, d.m, d.d, 0, 0);
	if (*to != '\0' && jn_date_parse(to, &d) == 0)
		f->to = jst_time(d.y, d.m, d.d, 0, 0) + 24 * 60 * 60;
	if (f->to <= f->from)
		f->error = "受付日の「まで」が「から」より前になっています。";
	buf_puts(&f->query, "status=");
	esc_url_component(&f->query, f->status, strlen(f->status));
	buf_printf(&f->query, "&from=%s&to=%s", from, to);	/* dates passed valid_date: digits and '-' */
	return f->query.oom ? -1 : 0;
}

struct list_arg {
	struct ctx		*c;
	const struct procedure	*p;
	int			 failed;
};

static int
list_cells(struct list_arg *a, struct tvars *row, const struct db_app_row *r)
{
	json_object	*root = NULL, *answers;
	struct buf	 plain, v;
	size_t		 i;
	int		 rc = -1;

	buf_init(&plain);
	buf_init(&v);
	if (open_sealed(a->c, r->key_id, r->sealed, r->sealed_len, &plain) == -1 ||
	    (answers = payload_answers(&plain, &root)) == NULL) {
		a->failed++;
		rc = tvars_set(row, "status", "（この申請を開く鍵がありません）");
		goto done;
	}
	for (i = 0; i < a->p->nfields; i++) {
		struct tvars *cell;

		if (!a->p->fields[i].summary)
			continue;
		buf_reset(&v);
		if ((cell = tvars_add(row, "cells")) == NULL ||
		    export_cell(&a->p->fields[i], answers, &v) == -1 ||
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
list_row(const struct db_app_row *r, void *arg)
{
	struct list_arg	*a = arg;
	struct tvars	*row = tvars_add(a->c->g.w.vars, "rows");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(r->received_at, &when) == -1)
		return -1;
	rc = tvars_set(row, "receipt", r->receipt) == 0 && tvars_set(row, "received", buf_cstr(&when)) == 0 &&
	    tvars_set(row, "status", status_text(r->status)) == 0 &&
	    list_cells(a, row, r) == 0 ? 0 : -1;
	buf_free(&when);
	return rc;
}

static int
list_vars(struct ctx *c, const struct procedure *p, const struct filter *f, int64_t total)
{
	char		name[256];
	size_t		i;
	enum wf_status	s;

	tvars_set(c->g.w.vars, "proc_id", p->id);
	tvars_set(c->g.w.vars, "proc_title", p->title);
	tvars_set(c->g.w.vars, "section", section_name(c, p->section, name, sizeof(name)));
	tvars_set(c->g.w.vars, "from", gate_query_text(&c->g, Q_FROM));
	tvars_set(c->g.w.vars, "to", gate_query_text(&c->g, Q_TO));
	tvars_set(c->g.w.vars, "filter_query", buf_cstr(&f->query));
	tvars_setf(c->g.w.vars, "count_text", "%lld件", (long long)total);
	for (s = 0; s < WF__STATUSES; s++) {
		struct tvars *v;

		if (!wf_status_offered(s))
			continue;
		if ((v = tvars_add(c->g.w.vars, "statuses")) == NULL)
			return -1;
		tvars_set(v, "value", wf_status_code(s));
		tvars_set(v, "label", wf_staff_label(s));
		if (strcmp(wf_status_code(s), f->status) == 0)
			tvars_set(v, "selected", "1");
	}
	for (i = 0; i < p->nfields; i++) {
		struct tvars *col;

		if (!p->fields[i].summary)
			continue;
		if ((col = tvars_add(c->g.w.vars, "columns")) == NULL)
			return -1;
		tvars_set(col, "label", p->fields[i].label);
	}
	return pager_vars(c, f->page, total);
}

static void
show_list(struct ctx *c, const struct procedure *p)
{
	struct filter		 f;
	struct db_app_filter	 df;
	struct list_arg		 a = { c, p, 0 };
	int64_t			 total = 0, failed = 0;
	char			 detail[64];

	if (read_filter(c, &f) == -1 || member_vars(c, p->title) == -1)
		goto fail;
	memset(&df, 0, sizeof(df));
	df.procedure_id = p->id;
	df.section_id = p->section;
	df.status = f.status;
	df.from = f.from;
	df.to = f.to;
	df.limit = PAGE_ROWS;
	df.offset = (f.page - 1) * PAGE_ROWS;
	if (f.error != NULL) {
		c->g.w.req.status = 400;
		tvars_set(c->g.w.vars, "f_error", f.error);
		tvars_set(c->g.w.vars, "page_error", "1");
	} else if (db_app_count_filtered(c->app->site.db, &df, &total) == -1 ||
	    db_app_list(c->app->site.db, &df, list_row, &a) == -1)
		goto fail;
	if (list_vars(c, p, &f, total) == -1 ||
	    db_outbox_failed_count(c->app->site.db, p->id, p->section, &failed) == -1)
		goto fail;
	if (failed > 0)
		tvars_setf(c->g.w.vars, "mail_failed", "%lld", (long long)failed);
	snprintf(detail, sizeof(detail), "page=%lld rows=%lld", (long long)f.page,
	    (long long)(total - df.offset < PAGE_ROWS ? total - df.offset : PAGE_ROWS));
	if (f.error == NULL && total > df.offset && audit_ok(c, "list", p->id, detail) == -1)
		goto fail;
	buf_free(&f.query);
	(void)web_render(&c->g.w, "staff_list.html");
	return;
fail:
	buf_free(&f.query);
	system_error(c);
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

