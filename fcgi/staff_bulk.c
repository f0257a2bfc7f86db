/*
 * staff_bulk.c: many applications of one procedure moved to one status at
 * once, from its list (lib/bulk.h): the ones ticked on the page, or every
 * one the list's filter matches, read again from the filter at each step.
 * A confirmation step (POST, CSRF, a token over the exact set and its
 * statuses) shows what changes and what is skipped; the change itself is
 * one write transaction with its events, the one note (sealed once to the
 * section's key, the same box in every event), the mails the status sends
 * (to contact envelopes), the waitlist moving up and the audit entries:
 * it commits whole or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "audit.h"
#include "bulk.h"
#include "confirm.h"
#include "mail.h"
#include "places.h"
#include "staff.h"
#include "web.h"

struct bulk_req {
	struct ctx		*c;
	const struct procedure	*p;
	struct filter		 f;
	struct bulk_set		 set;
	enum wf_status		 to;
	const char		*scope;		/* "selected" or "filter" */
	const char		*note;
};

int
bulk_targets(struct ctx *c)
{
	const struct wf_transition	*t;
	size_t				 i, j, n;

	for (t = wf_transitions(&n), i = 0; i < n; i++) {
		struct tvars *v;

		for (j = 0; j < i && t[j].to != t[i].to; j++)
			;
		if (j < i)
			continue;
		if ((v = tvars_add(c->g.w.vars, "targets")) == NULL)
			return -1;
		tvars_set(v, "value", wf_status_code(t[i].to));
		tvars_set(v, "label", wf_staff_label(t[i].to));
	}
	return 0;
}

/* Is s the end of any change staff may make? */
static int
is_target(enum wf_status s)
{
	const struct wf_transition	*t;
	size_t				 i, n;

	for (t = wf_transitions(&n), i = 0; i < n; i++)
		if (t[i].to == s)
			return 1;
	return 0;
}

static int
page_vars(struct bulk_req *r, const char *title)
{
	struct ctx	*c = r->c;
	char		 name[256];

	return member_vars(c, title) == 0 && tvars_set(c->g.w.vars, "proc_id", r->p->id) == 0 &&
	    tvars_set(c->g.w.vars, "proc_title", r->p->title) == 0 &&
	    tvars_set(c->g.w.vars, "section", section_name(c, r->p->section, name, sizeof(name))) == 0 &&
	    tvars_set(c->g.w.vars, "filter_query", buf_cstr(&r->f.query)) == 0 ? 0 : -1;
}

/* A request the page cannot act on: the reason, and the way back to the list. */
static void
refuse(struct bulk_req *r, int status, const char *why)
{
	struct ctx *c = r->c;

	if (page_vars(r, "まとめて状態を変更") == -1) {
		system_error(c);
		return;
	}
	c->g.w.req.status = status;
	tvars_set(c->g.w.vars, "page_error", "1");
	tvars_set(c->g.w.vars, "b_error", why);
	(void)web_render(&c->g.w, "staff_bulk.html");
}

/* The rows of the items, changed or skipped, under "changes" and "skips". */
static int
item_vars(struct ctx *c, const struct bulk_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct bulk_item	*it = &s->item[i];
		struct tvars		*row = tvars_add(c->g.w.vars, it->skip == BULK_CHANGE ? "changes" : "skips");

		if (row == NULL || tvars_set(row, "receipt", it->receipt) == -1 ||
		    tvars_set(row, "status", status_text(it->status)) == -1 ||
		    tvars_set(row, "reason", bulk_skip_text(it)) == -1)
			return -1;
	}
	return 0;
}

/* The confirmation: what changes, what is skipped and why, and the token over exactly that. */
static void
show_confirm(struct bulk_req *r, int status, const char *error)
{
	struct ctx		*c = r->c;
	struct confirm_bind	 b;
	struct buf		 mac, tok;
	size_t			 i;
	int			 rc;

	buf_init(&mac);
	buf_init(&tok);
	staff_bind(r->c, r->p, &b);
	rc = page_vars(r, "まとめて状態を変更（確認）");
	rc |= bulk_mac_input(&r->set, wf_status_code(r->to), r->scope, r->note, &mac);
	rc |= confirm_token(&b, c->g.w.now, &mac, &tok);
	rc |= item_vars(c, &r->set);
	if (rc != 0)
		goto fail;
	c->g.w.req.status = status;
	tvars_set(c->g.w.vars, "confirm", "1");
	tvars_set(c->g.w.vars, "token", buf_cstr(&tok));
	tvars_set(c->g.w.vars, "to", wf_status_code(r->to));
	tvars_set(c->g.w.vars, "to_label", wf_staff_label(r->to));
	tvars_set(c->g.w.vars, "scope", r->scope);
	tvars_set(c->g.w.vars, "note", r->note);
	tvars_setf(c->g.w.vars, "n_change", "%zu", r->set.nchange);
	tvars_setf(c->g.w.vars, "n_skip", "%zu", r->set.n - r->set.nchange);
	if (strcmp(r->scope, "filter") == 0)
		tvars_set(c->g.w.vars, "by_filter", "1");
	else
		for (i = 0; i < r->set.n; i++) {
			struct tvars *v = tvars_add(c->g.w.vars, "picked");

			if (v == NULL || tvars_set(v, "receipt", r->set.item[i].receipt) == -1)
				goto fail;
		}
	if (r->set.nchange > 0)
		tvars_set(c->g.w.vars, "can_change", "1");
	if (error != NULL) {
		tvars_set(c->g.w.vars, "page_error", "1");
		tvars_set(c->g.w.vars, "b_error", error);
	}
	(void)web_render(&c->g.w, "staff_bulk.html");
	goto done;
fail:
	system_error(c);
done:
	buf_wipe(&mac);
	buf_free(&tok);
}

/* ---- the change ---- */

struct bulk_run {
	struct bulk_req		*r;
	struct db_event		*ev;
	struct db_outbox_item	*mail;
	size_t			*item;		/* ev[i] is r->set.item[item[i]] */
	int			*result;
	struct db_promote	 promote;
	struct buf		 promoted;	/* the receipts moved up, each NUL-terminated */
	size_t			 npromoted, nmails, nomail;
};

/* After each change, inside the transaction: a raced one is skipped; moved-up receipts are kept. */
static int
after_one(size_t i, void *arg)
{
	struct bulk_run		*run = arg;
	struct bulk_item	*it = &run->r->set.item[run->item[i]];
	size_t			 k;

	if (run->result[i] == DB_NOTFOUND) {
		it->skip = BULK_RACED;
		run->r->set.nchange--;
		return 0;
	}
	if (run->ev[i].mail != NULL)
		run->nmails++;
	for (k = 0; run->ev[i].promote != NULL && k < run->promote.n; k++, run->npromoted++)
		if (buf_put(&run->promoted, run->promote.promoted[k], DB_RECEIPT_LEN + 1) == -1)
			return -1;
	return 0;
}

static int
audit_in(struct ctx *c, const char *action, const char *target, const char *detail)
{
	struct audit_entry e;

	memset(&e, 0, sizeof(e));
	e.at = c->g.w.now;
	e.actor = c->staff.login;
	e.action = action;
	e.target = target;
	e.detail = detail;
	e.addr = c->g.w.req.remote_addr;
	return audit_append_in(c->app->site.db, c->app->audit_key, &e);
}

/* Before the commit: the one entry naming every receipt, and one per application moved up. */
static int
audit_all(void *arg)
{
	struct bulk_run	*run = arg;
	struct ctx	*c = run->r->c;
	struct buf	 detail;
	size_t		 k;
	int		 rc;

	buf_init(&detail);
	rc = bulk_detail(&run->r->set, wf_status_code(run->r->to), *run->r->note != '\0', run->nmails, &detail) == 0 &&
	    audit_in(c, "bulk_status", run->r->p->id, buf_cstr(&detail)) == 0 ? 0 : -1;
	for (k = 0; rc == 0 && k < run->npromoted; k++)
		rc = audit_in(c, "promote", run->promoted.data + k * (DB_RECEIPT_LEN + 1),
		    "waitlisted->received, place freed by bulk change");
	buf_free(&detail);
	return rc;
}

/* The mail of item it's change, to its contact envelope: 0 (m filled), MAIL_NONE, or -1. */
static int
item_mail(struct bulk_run *run, const struct bulk_item *it, struct db_outbox_item *m)
{
	struct ctx	*c = run->r->c;
	int		 rc;

	if (it->mail == NULL || mail_field(run->r->p) == NULL || mail_text(run->r->p, it->mail) == NULL)
		return MAIL_NONE;
	if ((rc = db_envelope_has(c->app->site.db, it->receipt)) != 1) {
		if (rc == 0)
			run->nomail++;	/* no address given, or stored before envelopes: not opened here */
		return rc == 0 ? MAIL_NONE : -1;
	}
	return mail_queue_text(run->r->p, it->mail, it->receipt, it->participant, it->lang, c->g.w.now, m);
}

static int
result_vars(struct bulk_run *run)
{
	struct bulk_req	*r = run->r;
	struct ctx	*c = r->c;
	size_t		 k;

	if (page_vars(r, "まとめて状態を変更（結果）") == -1 || item_vars(c, &r->set) == -1)
		return -1;
	tvars_set(c->g.w.vars, "done", "1");
	tvars_set(c->g.w.vars, "to_label", wf_staff_label(r->to));
	tvars_setf(c->g.w.vars, "n_change", "%zu", r->set.nchange);
	tvars_setf(c->g.w.vars, "n_skip", "%zu", r->set.n - r->set.nchange);
	tvars_setf(c->g.w.vars, "n_mail", "%zu", run->nmails);
	if (run->nomail > 0)
		tvars_setf(c->g.w.vars, "n_nomail", "%zu", run->nomail);
	for (k = 0; k < run->npromoted; k++) {
		struct tvars *v = tvars_add(c->g.w.vars, "promoted");

		if (v == NULL || tvars_set(v, "receipt", run->promoted.data + k * (DB_RECEIPT_LEN + 1)) == -1)
			return -1;
	}
	return 0;
}

static void
do_change(struct bulk_req *r)
{
	struct ctx			*c = r->c;
	const struct kv_value		*token = kv_get(&c->g.form, B_TOKEN);
	struct confirm_bind		 b;
	struct bulk_run			 run;
	struct places_promoting		 pm;
	struct buf			 mac, sealed;
	unsigned char			 stamp[CONFIRM_STAMP_LEN];
	char				 key_id[SEAL_KEYID_LEN + 1];
	int				 promoting, rc, checked;
	size_t				 i, n = 0;

	memset(&run, 0, sizeof(run));
	run.r = r;
	buf_init(&run.promoted);
	buf_init(&mac);
	buf_init(&sealed);
	staff_bind(r->c, r->p, &b);
	if (bulk_mac_input(&r->set, wf_status_code(r->to), r->scope, r->note, &mac) == -1)
		goto fail;
	checked = confirm_check(&b, c->g.w.now, token ? token->p : NULL, token ? token->len : 0, &mac, stamp);
	buf_wipe(&mac);
	if (checked == -1) {
		show_confirm(r, 409, "確認の後に対象の申請が変わったか（ほかの職員の操作や新しい申請）、確認画面の有効期限"
		    "（3時間）が切れました。今の対象を下に示します。内容を確かめて、もう一度実行してください。");
		goto done;
	}
	if (r->set.nchange == 0) {
		show_confirm(r, 400, "変更できる申請がありません。");
		goto done;
	}
	if (*r->note != '\0' && seal_note(c, r->p->section, r->note, key_id, &sealed) == -1)
		goto fail;
	if ((run.ev = calloc(r->set.nchange, sizeof(*run.ev))) == NULL ||
	    (run.mail = calloc(r->set.nchange, sizeof(*run.mail))) == NULL ||
	    (run.item = calloc(r->set.nchange, sizeof(*run.item))) == NULL ||
	    (run.result = calloc(r->set.nchange, sizeof(*run.result))) == NULL)
		goto fail;
	promoting = places_promote_init(&run.promote, &pm, c->app->site.db, r->p, c->g.w.now) == 1;
	for (i = 0; i < r->set.n; i++) {
		const struct bulk_item	*it = &r->set.item[i];
		struct db_event		*ev = &run.ev[n];

		if (it->skip != BULK_CHANGE)
			continue;
		run.item[n] = i;
		ev->receipt = it->receipt;
		ev->at = c->g.w.now;
		ev->actor = c->staff.login;
		ev->from_status = it->status;
		ev->to_status = wf_status_code(r->to);
		ev->key_id = *r->note != '\0' ? key_id : "";
		if (*r->note != '\0') {
			ev->note_sealed = sealed.data;
			ev->note_len = sealed.len;
		}
		if ((rc = item_mail(&run, it, &run.mail[n])) == -1)
			goto fail;
		if (rc == 0)
			ev->mail = &run.mail[n];
		if (promoting)
			ev->promote = &run.promote;
		n++;
	}
	if (db_app_event_many(c->app->site.db, run.ev, n, run.result, after_one, audit_all, &run) == -1 ||
	    result_vars(&run) == -1)
		goto fail;
	(void)web_render(&c->g.w, "staff_bulk.html");
	goto done;
fail:
	system_error(c);
done:
	for (i = 0; run.mail != NULL && i < n; i++)
		if (run.mail[i].release != NULL)
			run.mail[i].release(&run.mail[i], NULL);
	free(run.ev);
	free(run.mail);
	free(run.item);
	free(run.result);
	buf_free(&run.promoted);
	buf_free(&sealed);
}

/* ---- the request ---- */

/* The set the request names: the ticked receipts, or the filter's matches.  0, or answered (1), or -1. */
static int
read_set(struct bulk_req *r)
{
	struct ctx		*c = r->c;
	const struct kv_slot	*picked = &c->g.form.slots[B_RECEIPT];
	struct db_app_filter	 df;
	char			 msg[256];
	unsigned		 i;
	int			 rc;

	if (strcmp(r->scope, "filter") == 0) {
		memset(&df, 0, sizeof(df));
		df.procedure_id = r->p->id;
		df.section_id = r->p->section;
		df.status = r->f.status;
		df.from = r->f.from;
		df.to = r->f.to;
		if ((rc = bulk_select_filter(c->app->site.db, &df, BULK_MAX, &r->set)) == BULK_TOO_MANY) {
			snprintf(msg, sizeof(msg), "一度に変更できるのは%d件までです。状態や受付日で絞り込んで、"
			    "%d件以下に分けてから操作してください。", BULK_MAX, BULK_MAX);
			refuse(r, 400, msg);
			return 1;
		}
		if (rc == -1)
			return -1;
	} else if (strcmp(r->scope, "selected") == 0) {
		for (i = 0; i < picked->n; i++)
			if ((rc = bulk_add_receipt(c->app->site.db, r->p->id, r->p->section, picked->v[i].p,
			    &r->set)) != 0) {
				if (rc != DB_NOTFOUND)
					return -1;
				refuse(r, 400, "選んだ申請の中に、この手続きの申請ではないものがあります。一覧から選び直してください。");
				return 1;
			}
	} else {
		refuse(r, 400, "対象（選んだ申請か、絞り込みに当てはまるすべての申請か）を選んでください。");
		return 1;
	}
	if (r->set.n == 0) {
		refuse(r, 400, "対象の申請がありません。一覧で申請を選ぶか、絞り込みの条件を見直してください。");
		return 1;
	}
	return 0;
}

static void
bulk(struct ctx *c, const struct procedure *p)
{
	struct bulk_req	 r;
	const char	*action = gate_body_text(&c->g, B_ACTION), *to = gate_body_text(&c->g, B_TO);
	int		 rc;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.p = p;
	r.scope = gate_body_text(&c->g, B_SCOPE);
	r.note = gate_body_text(&c->g, B_NOTE);
	bulk_init(&r.set);
	if (read_filter(c, &r.f) == -1)
		goto fail;
	if (r.f.error != NULL) {
		refuse(&r, 400, r.f.error);
		goto done;
	}
	if (wf_status_parse(to, &r.to) == -1 || !is_target(r.to)) {
		refuse(&r, 400, "変更後の状態を選んでください。");
		goto done;
	}
	if (u8_mbsnlen((const uint8_t *)r.note, strlen(r.note)) > NOTE_MAX_CHARS) {
		refuse(&r, 400, "対応記録は2000文字以内で入力してください。");
		goto done;
	}
	if ((rc = read_set(&r)) != 0) {
		if (rc == -1)
			goto fail;
		goto done;
	}
	bulk_classify(&r.set, r.to);
	if (strcmp(action, "do") == 0)
		do_change(&r);
	else
		show_confirm(&r, 200, r.set.nchange == 0 ? "変更できる申請がありません。" : NULL);
	goto done;
fail:
	system_error(c);
done:
	bulk_free(&r.set);
	buf_free(&r.f.query);
}

void
page_bulk(void *arg)
{
	struct ctx		*c = arg;
	const char		*id = c->g.w.req.path + strlen("/staff/bulk/");
	const struct procedure	*p = strchr(id, '/') == NULL ? formset_get(c->app->site.forms, id) : NULL;

	if (p == NULL)
		not_found(c);
	else if (!holds_section(c, p->section))
		deny(c, p->id, "another section's procedure");
	else
		bulk(c, p);
}
