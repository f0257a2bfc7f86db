/*
 * staff_audit.c: the audit log for auditors, filtered and paged, with the
 * result of checking its chain (lib/audit.h) and, above it, what a
 * reviewer must look at from the last week (lib/alerts.h).
 */
#include <string.h>

#include "alerts.h"
#include "audit.h"
#include "esc.h"
#include "jst.h"
#include "staff.h"
#include "web.h"

/* ---- the audit log, for auditors ---- */

static const char *const audit_actions[] = {
	"login", "login_failed", "logout", "list", "view", "status", "note", "entry", "export", "password",
	"grant", "revoke", "rotate", "reload", "staff_add", "staff_disable", "staff_enable", "staff_reset",
	"section_add", "denied", "purge", "key_retire", "backup", "restore", "ledger_close", "staff_email",
	"digest", "bulk_status", "announce", "promote",
};

static int
audit_row(const struct db_audit *e, void *arg)
{
	struct ctx	*c = arg;
	struct tvars	*row = tvars_add(c->g.w.vars, "entries");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(e->at, &when) == -1)
		return -1;
	tvars_setf(row, "seq", "%lld", (long long)e->seq);
	tvars_set(row, "at", buf_cstr(&when));
	tvars_set(row, "actor", e->actor);
	tvars_set(row, "action", audit_action_label(e->action));
	tvars_set(row, "target", e->target);
	tvars_set(row, "detail", e->detail);
	rc = tvars_set(row, "addr", e->addr);
	buf_free(&when);
	return rc;
}

#define ALERT_DAYS	7	/* the alerts shown: of the last week */

static int
alert_row(const struct alert *a, void *arg)
{
	struct ctx	*c = arg;
	struct tvars	*row = tvars_add(c->g.w.vars, "alerts");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(a->at, &when) == -1)
		return -1;
	tvars_set(row, "at", buf_cstr(&when));
	tvars_set(row, "kind", alerts_label(a->kind));
	tvars_set(row, "actor", a->actor);
	tvars_set(row, "target", a->target);
	rc = tvars_set(row, "detail", a->detail);
	buf_free(&when);
	return rc;
}

/* What a reviewer must look at (lib/alerts.h), newest week, above the log itself. */
static int
alert_vars(struct ctx *c)
{
	struct alerts_conf conf;

	alerts_defaults(&conf);
	tvars_setf(c->g.w.vars, "alert_days", "%d", ALERT_DAYS);
	return alerts_scan(c->app->site.db, &conf, c->g.w.now - ALERT_DAYS * 24 * 60 * 60, c->g.w.now + 1, alert_row,
	    c);
}

static int
audit_vars(struct ctx *c, const char *action)
{
	struct audit_check	chk;
	size_t			i;
	int			r = audit_verify(c->app->site.db, c->app->audit_key, &chk);

	if (r == -1)
		return -1;
	if (r == 0)
		tvars_setf(c->g.w.vars, "chain", "改ざんの検査：異常なし（%lld件、最新の番号 %lld）",
		    (long long)chk.entries, (long long)chk.head_seq);
	else
		tvars_setf(c->g.w.vars, "chain", "改ざんの検査：異常あり（%s）。システム管理者に連絡してください。",
		    chk.problem);
	for (i = 0; i < sizeof(audit_actions) / sizeof(audit_actions[0]); i++) {
		struct tvars *a = tvars_add(c->g.w.vars, "actions");

		if (a == NULL)
			return -1;
		tvars_set(a, "value", audit_actions[i]);
		tvars_set(a, "label", audit_action_label(audit_actions[i]));
		if (strcmp(audit_actions[i], action) == 0)
			tvars_set(a, "selected", "1");
	}
	tvars_set(c->g.w.vars, "from", gate_query_text(&c->g, Q_FROM));
	return tvars_set(c->g.w.vars, "to", gate_query_text(&c->g, Q_TO));
}

void
page_audit(void *arg)
{
	struct ctx	*c = arg;
	struct filter	 f;
	const char	*action = gate_query_text(&c->g, Q_ACTION);
	struct buf	 q;
	int64_t		 total = 0;

	buf_init(&q);
	if (read_filter(c, &f) == -1 || member_vars(c, "監査ログ") == -1 || audit_vars(c, action) == -1 ||
	    alert_vars(c) == -1)
		goto fail;
	buf_puts(&q, "action=");
	esc_url_component(&q, action, strlen(action));
	buf_printf(&q, "&from=%s&to=%s", gate_query_text(&c->g, Q_FROM), gate_query_text(&c->g, Q_TO));
	tvars_set(c->g.w.vars, "filter_query", buf_cstr(&q));
	if (f.to <= f.from) {
		c->g.w.req.status = 400;
		tvars_set(c->g.w.vars, "chain", "日付の「まで」が「から」より前になっています。");
	} else if (db_audit_count(c->app->site.db, action, f.from, f.to, &total) == -1 ||
	    db_audit_page(c->app->site.db, action, f.from, f.to, PAGE_ROWS, (f.page - 1) * PAGE_ROWS,
	    audit_row, c) == -1 || pager_vars(c, f.page, total) == -1)
		goto fail;
	buf_free(&q);
	buf_free(&f.query);
	(void)web_render(&c->g.w, "staff_audit.html");
	return;
fail:
	buf_free(&q);
	buf_free(&f.query);
	system_error(c);
}

