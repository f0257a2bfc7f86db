/*
 * staff_ledger.c: the hand-over ledger (管理簿).  Every export is entered
 * with its purpose and recipient (staff_export.c, formctl export) and stays
 * "out" until a named person confirms that the file came back or was
 * erased.  Members see and close the entries of the sections they hold;
 * auditors see every entry and close none.  Closing is audited.
 */
#include <stdio.h>
#include <string.h>

#include "jst.h"
#include "staff.h"
#include "web.h"

#define LEDGER_PATH	"/staff/ledger/"

/* One line of text (no control characters) of LEDGER_TEXT_CHARS characters at most; the gate checked UTF-8. */
int
ledger_text_ok(const char *v, size_t len)
{
	size_t i, chars = 0;

	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)v[i];

		if (b < 0x20 || b == 0x7f)
			return 0;
		chars += (b & 0xc0) != 0x80;
	}
	return chars <= LEDGER_TEXT_CHARS;
}

static const char *
closed_label(const char *how)
{
	return strcmp(how, "returned") == 0 ? "返却を確認" : strcmp(how, "erased") == 0 ? "消去を確認" : "持ち出し中";
}

static int
entry_row(const struct db_ledger *e, void *arg)
{
	struct ctx		*c = arg;
	struct tvars		*row = tvars_add(c->g.w.vars, "entries");
	const struct procedure	*p = formset_get(c->app->site.forms, e->procedure_id);
	struct buf		 when;
	int			 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(e->at, &when) == -1)
		return -1;
	tvars_setf(row, "id", "%lld", (long long)e->id);
	tvars_set(row, "at", buf_cstr(&when));
	tvars_set(row, "actor", e->actor);
	tvars_set(row, "procedure", p != NULL ? p->title : e->procedure_id);
	tvars_setf(row, "rows", "%lld件", (long long)e->rows);
	tvars_set(row, "form", e->form);
	tvars_set(row, "purpose", e->purpose);
	tvars_set(row, "recipient", e->recipient);
	tvars_set(row, "state", closed_label(e->closed_how));
	if (e->closed_at != 0) {
		buf_reset(&when);
		jst_format_numeric(e->closed_at, &when);
		tvars_set(row, "closed_at", buf_cstr(&when));
		tvars_set(row, "closed_by", e->closed_by);
		tvars_set(row, "closed_actor", e->closed_actor);
	} else if (c->g.role != WF_ROLE_AUDITOR && holds_section(c, e->section_id))
		tvars_set(row, "closable", "1");
	rc = tvars_set(row, "sha256", e->sha256);
	buf_free(&when);
	return rc;
}

static void
show_ledger(struct ctx *c)
{
	struct filter		 f;
	const unsigned char	*hash = c->g.role == WF_ROLE_AUDITOR ? NULL : c->session_hash;
	int			 open_only = strcmp(gate_query_text(&c->g, Q_OPEN), "1") == 0;
	int64_t			 total, out;

	if (read_filter(c, &f) == -1 || member_vars(c, "管理簿（CSV出力）") == -1 ||
	    db_ledger_count(c->app->site.db, hash, 1, &out) == -1 ||
	    db_ledger_count(c->app->site.db, hash, open_only, &total) == -1 ||
	    db_ledger_each(c->app->site.db, hash, open_only, PAGE_ROWS, (f.page - 1) * PAGE_ROWS, entry_row, c) == -1 ||
	    pager_vars(c, f.page, total) == -1) {
		buf_free(&f.query);
		system_error(c);
		return;
	}
	buf_free(&f.query);
	tvars_setf(c->g.w.vars, "out", "%lld", (long long)out);
	if (open_only)
		tvars_set(c->g.w.vars, "open_only", "1");
	if (strcmp(gate_query_text(&c->g, Q_M), "closed") == 0)
		tvars_set(c->g.w.vars, "closed", "1");
	(void)web_render(&c->g.w, "staff_ledger.html");
}

struct close_target {
	char	section[64];
	int	out;
};

static int
target_of(const struct db_ledger *e, void *arg)
{
	struct close_target *t = arg;

	snprintf(t->section, sizeof(t->section), "%s", e->section_id);
	t->out = e->closed_at == 0;
	return 0;
}

/* POST /staff/ledger/ID: a member of the entry's section records its return or erasure and who confirmed it. */
static void
close_entry(struct ctx *c, const char *id)
{
	const char		*how = gate_body_text(&c->g, B_HOW), *by = gate_body_text(&c->g, B_BY);
	struct close_target	 t;
	char			 detail[LEDGER_TEXT_CHARS * 4 + 64];
	int64_t			 n;
	int			 rc;

	if (path_number(id, &n) == -1 || (rc = db_ledger_get(c->app->site.db, n, target_of, &t)) == DB_NOTFOUND) {
		not_found(c);
		return;
	}
	if (rc == -1) {
		system_error(c);
		return;
	}
	if (c->g.role == WF_ROLE_AUDITOR || !holds_section(c, t.section)) {
		deny(c, c->g.w.req.path, "another section's export");
		return;
	}
	if ((strcmp(how, "returned") != 0 && strcmp(how, "erased") != 0) || *by == '\0' || !t.out) {
		web_error_page(&c->g.w, t.out ? 400 : 409, t.out ? "確認の内容が足りません" : "確認済みです",
		    t.out ? "返却か消去かを選び、確認した人の氏名を入力してください。" :
		    "この出力の返却・消去はすでに記録されています。");
		return;
	}
	if ((rc = db_ledger_close(c->app->site.db, n, c->g.w.now, how, by, c->staff.login)) != 0) {
		if (rc == DB_NOTFOUND)
			web_error_page(&c->g.w, 409, "確認済みです", "この出力の返却・消去はすでに記録されています。");
		else
			system_error(c);
		return;
	}
	snprintf(detail, sizeof(detail), "%s by=%s", how, by);
	if (audit_ok(c, "ledger_close", id, detail) == -1)
		system_error(c);
	else
		redirect(c, "/staff/ledger?m=closed");
}

void
page_ledger(void *arg)
{
	struct ctx *c = arg;

	if (strncmp(c->g.w.req.path, LEDGER_PATH, strlen(LEDGER_PATH)) == 0)
		close_entry(c, c->g.w.req.path + strlen(LEDGER_PATH));
	else
		show_ledger(c);
}
