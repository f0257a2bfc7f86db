/*
 * staff_erasure.c: the erasure reports (消去報告書) for admins and auditors:
 * the list, newest first, and each report as a page to print on A4 and
 * stamp (作成者・確認者).  They hold no personal data: what was erased,
 * how many, when, by which command and who (lib/purge.h).
 */
#include <stdio.h>
#include <string.h>

#include "jst.h"
#include "staff.h"
#include "web.h"

#define ERASURE_PATH	"/staff/erasure/"

/* A report's values, for a list row or the report page. */
static int
report_vars(struct ctx *c, struct tvars *v, const struct db_erasure *r)
{
	struct buf	b;
	char		name[256];
	int		key = strcmp(r->kind, "key") == 0, rc;

	buf_init(&b);
	tvars_setf(v, "id", "%lld", (long long)r->id);
	lang_time(c->g.w.lang, r->at, &b);
	tvars_set(v, "at", buf_cstr(&b));
	tvars_set(v, "kind", key ? "暗号鍵の廃棄" : "保存期間を過ぎた申請の消去");
	if (key)
		tvars_set(v, "is_key", "1");
	tvars_set(v, "procedure", r->procedure_title);
	tvars_set(v, "procedure_id", r->procedure_id);
	tvars_set(v, "section", section_name(c, r->section_id, name, sizeof(name)));
	tvars_setf(v, "applications", "%lld件", (long long)r->applications);
	tvars_set(v, "receipt_first", r->receipt_first);
	tvars_set(v, "receipt_last", r->receipt_last);
	buf_reset(&b);
	if (!key && (lang_date(c->g.w.lang, jst_date(r->received_first), &b) == -1 || buf_puts(&b, " 〜 ") == -1 ||
	    lang_date(c->g.w.lang, jst_date(r->received_last), &b) == -1))
		goto done;
	tvars_set(v, "received", buf_cstr(&b));
	tvars_set(v, "key_ids", r->key_ids);
	tvars_set(v, "rule", r->rule);
	tvars_set(v, "command", r->command);
	rc = tvars_set(v, "actor", r->actor);
	buf_free(&b);
	return rc;
done:
	buf_free(&b);
	return -1;
}

static int
list_row(const struct db_erasure *r, void *arg)
{
	struct ctx	*c = arg;
	struct tvars	*row = tvars_add(c->g.w.vars, "reports");

	return row != NULL ? report_vars(c, row, r) : -1;
}

static void
show_list(struct ctx *c)
{
	struct filter	f;
	int64_t		total;

	if (read_filter(c, &f) == -1 || member_vars(c, "消去報告書") == -1 ||
	    db_erasure_count(c->app->site.db, &total) == -1 ||
	    db_erasure_each(c->app->site.db, PAGE_ROWS, (f.page - 1) * PAGE_ROWS, list_row, c) == -1 ||
	    pager_vars(c, f.page, total) == -1) {
		buf_free(&f.query);
		system_error(c);
		return;
	}
	buf_free(&f.query);
	(void)web_render(&c->g.w, "staff_erasures.html");
}

static int
one(const struct db_erasure *r, void *arg)
{
	return report_vars(arg, ((struct ctx *)arg)->g.w.vars, r);
}

static void
show_one(struct ctx *c, const char *id)
{
	int64_t	n;
	int	rc;

	if (path_number(id, &n) == -1) {
		not_found(c);
		return;
	}
	if (member_vars(c, "消去報告書") == -1 || (rc = db_erasure_get(c->app->site.db, n, one, c)) == -1) {
		system_error(c);
		return;
	}
	if (rc == DB_NOTFOUND) {
		not_found(c);
		return;
	}
	(void)web_render(&c->g.w, "staff_erasure.html");
}

void
page_erasure(void *arg)
{
	struct ctx *c = arg;

	if (strncmp(c->g.w.req.path, ERASURE_PATH, strlen(ERASURE_PATH)) == 0)
		show_one(c, c->g.w.req.path + strlen(ERASURE_PATH));
	else
		show_list(c);
}
