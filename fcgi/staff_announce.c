/*
 * staff_announce.c: announcements (お知らせ) to a procedure's applicants,
 * e.g. 雨天中止のお知らせ.  A section member writes a subject (one line)
 * and a text, chooses the statuses that receive it (all but 取下げ by
 * default), sees the mail exactly as it goes out (mail.h:
 * mail_announcement_text) with how many it reaches and how many have no
 * address, and confirms (a token over the subject, text and statuses);
 * then one outbox row per application with a contact envelope, the
 * history row and the audit entry are one transaction.  The page also
 * shows the procedure's announcements so far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "audit.h"
#include "confirm.h"
#include "jst.h"
#include "mail.h"
#include "staff.h"
#include "web.h"

#define SUBJECT_MAX_CHARS	100
#define TEXT_MAX_CHARS		4000
#define HISTORY_ROWS		50
/* Where each resident's own receipt number goes, in the preview. */
#define PREVIEW_RECEIPT		"（各申請の受付番号）"

struct announce {
	struct ctx		*c;
	const struct procedure	*p;
	const char		*subject;
	struct buf		 text;		/* line ends made "\n" */
	struct buf		 statuses;	/* ",received,accepted," */
	const char		*error;
};

/*
 * The text's line ends as "\n" (a browser sends "\r\n"), appended to out;
 * -1 when it holds another control character but tabs (left out of out).
 */
static int
normalise_text(const char *in, struct buf *out)
{
	const char	*c;
	int		 rc = 0;

	for (c = in; *c != '\0'; c++) {
		if (*c == '\r') {
			if (c[1] == '\n')
				c++;
			buf_putc(out, '\n');
		} else if (((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t') || *c == 0x7f)
			rc = -1;
		else
			buf_putc(out, *c);
	}
	return out->oom ? -1 : rc;
}

/* Nothing but spaces (ASCII or 全角) and line ends? */
static int
blank(const char *s)
{
	while (*s != '\0')
		if (strchr(" \t\r\n", *s) != NULL)
			s++;
		else if (strncmp(s, "　", strlen("　")) == 0)
			s += strlen("　");
		else
			return 0;
	return 1;
}

static size_t
chars(const char *s)
{
	return u8_mbsnlen((const uint8_t *)s, strlen(s));
}

/* Does s hold a control character (a line break included)? */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* The chosen statuses as ",a,b," (a->statuses): 0, or -1 for one that is not offered. */
static int
read_statuses(struct announce *a)
{
	const struct kv_slot	*st = &a->c->g.form.slots[B_STATUSES];
	enum wf_status		 s;
	char			 item[24];
	unsigned		 i;

	buf_putc(&a->statuses, ',');
	for (i = 0; i < st->n; i++) {
		if (wf_status_parse(st->v[i].p, &s) == -1 || !wf_status_offered(s))
			return -1;
		snprintf(item, sizeof(item), ",%s,", st->v[i].p);
		if (strstr(buf_cstr(&a->statuses), item) == NULL)
			buf_printf(&a->statuses, "%s,", st->v[i].p);
	}
	return 0;
}

/* Subject, text and statuses from the body, checked: 0 (a->error set for the member to correct), or -1. */
static int
read_announce(struct announce *a)
{
	struct ctx	*c = a->c;
	const char	*text = gate_body_text(&c->g, B_TEXT);

	int		 text_ok = normalise_text(text, &a->text) == 0;	/* kept for the form, also when refused */

	a->subject = gate_body_text(&c->g, B_SUBJECT);
	if (read_statuses(a) == -1)
		a->error = "送る相手の状態の指定が正しくありません。";
	else if (strpbrk(a->subject, "\r\n") != NULL)
		a->error = "件名は1行で入力してください（改行は使えません）。";
	else if (blank(a->subject) || chars(a->subject) > SUBJECT_MAX_CHARS)
		a->error = "件名を100文字以内で入力してください。";
	else if (has_control(a->subject) || !text_ok)
		a->error = "件名や本文に使えない文字（制御文字）が含まれています。";
	else if (blank(buf_cstr(&a->text)) || chars(buf_cstr(&a->text)) > TEXT_MAX_CHARS)
		a->error = "本文を4000文字以内で入力してください。";
	else if (strcmp(buf_cstr(&a->statuses), ",") == 0)
		a->error = "送る相手の状態を1つ以上選んでください。";
	return a->statuses.oom || a->text.oom ? -1 : 0;
}

/* ---- the page ---- */

static int
base_vars(struct announce *a, const char *title)
{
	struct ctx	*c = a->c;
	char		 name[256];

	return member_vars(c, title) == 0 && tvars_set(c->g.w.vars, "proc_id", a->p->id) == 0 &&
	    tvars_set(c->g.w.vars, "proc_title", a->p->title) == 0 &&
	    tvars_set(c->g.w.vars, "section", section_name(c, a->p->section, name, sizeof(name))) == 0 ? 0 : -1;
}

/* Every status offered but 取下げ: an announcement's default recipients. */
static int
default_statuses(struct buf *out)
{
	enum wf_status s;

	buf_putc(out, ',');
	for (s = 0; s < WF__STATUSES; s++)
		if (wf_status_offered(s) && s != WF_WITHDRAWN)
			buf_printf(out, "%s,", wf_status_code(s));
	return out->oom ? -1 : 0;
}

static int
history_row(const struct db_announcement *h, void *arg)
{
	struct ctx	*c = arg;
	struct tvars	*row = tvars_add(c->g.w.vars, "history");
	struct buf	 when, to;
	const char	*p, *comma;
	int		 rc;

	buf_init(&when);
	buf_init(&to);
	for (p = h->statuses; *p == ',' && (comma = strchr(p + 1, ',')) != NULL; p = comma) {
		char code[16];

		if (comma == p + 1 || (size_t)(comma - p - 1) >= sizeof(code))
			continue;
		snprintf(code, sizeof(code), "%.*s", (int)(comma - p - 1), p + 1);
		buf_printf(&to, "%s%s", to.len > 0 ? "・" : "", status_text(code));
	}
	rc = row != NULL && jst_format_numeric(h->at, &when) == 0 && tvars_set(row, "at", buf_cstr(&when)) == 0 &&
	    tvars_set(row, "actor", h->actor) == 0 && tvars_set(row, "subject", h->subject) == 0 &&
	    tvars_set(row, "statuses", buf_cstr(&to)) == 0 &&
	    tvars_setf(row, "queued", "%lld", (long long)h->queued) == 0 &&
	    tvars_setf(row, "no_address", "%lld", (long long)h->no_address) == 0 ? 0 : -1;
	buf_free(&when);
	buf_free(&to);
	return rc;
}

/* The form (with what was typed, and why it was not taken) and the history. */
static void
show_form(struct announce *a, int status)
{
	struct ctx *c = a->c;

	if (base_vars(a, "お知らせメール") == -1 ||
	    (a->statuses.len == 0 && default_statuses(&a->statuses) == -1) ||
	    status_rows(c, a->p, buf_cstr(&a->statuses), "checked") == -1 ||
	    db_announcements_each(c->app->site.db, a->p->id, a->p->section, HISTORY_ROWS, history_row, c) == -1) {
		system_error(c);
		return;
	}
	c->g.w.req.status = status;
	tvars_set(c->g.w.vars, "form", "1");
	tvars_set(c->g.w.vars, "subject", a->subject != NULL ? a->subject : "");
	tvars_set(c->g.w.vars, "text", buf_cstr(&a->text));
	if (strcmp(gate_query_text(&c->g, Q_M), "sent") == 0)
		tvars_set(c->g.w.vars, "n_done", "1");
	if (a->error != NULL) {
		tvars_set(c->g.w.vars, "page_error", "1");
		tvars_set(c->g.w.vars, "n_error", a->error);
	}
	(void)web_render(&c->g.w, "staff_announce.html");
}

/* What the token covers: exactly what is sent, and to whom. */
static int
announce_mac_input(const struct announce *a, struct buf *out)
{
	const char	*part[] = { "announce", a->subject, buf_cstr(&a->text), buf_cstr(&a->statuses) };
	size_t		 i;

	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		buf_puts(out, part[i]);
		buf_putc(out, '\0');
	}
	return out->oom ? -1 : 0;
}

/* The mail as it goes out, each resident's receipt in its place, and whom it reaches. */
static void
show_preview(struct announce *a, int status, const char *error)
{
	struct ctx		*c = a->c;
	struct confirm_bind	 b;
	struct buf		 mac, tok, json;
	json_object		*o = NULL, *subject, *body;
	int64_t			 with = 0, without = 0;
	int			 rc;

	buf_init(&mac);
	buf_init(&tok);
	buf_init(&json);
	staff_bind(a->c, a->p, &b);
	rc = base_vars(a, "お知らせメール（確認）");
	rc |= announce_mac_input(a, &mac);
	rc |= confirm_token(&b, c->g.w.now, &mac, &tok);
	rc |= mail_announcement_text(a->p, a->subject, buf_cstr(&a->text), PREVIEW_RECEIPT, &json);
	rc |= db_announce_count(c->app->site.db, a->p->id, a->p->section, buf_cstr(&a->statuses), &with, &without);
	if (rc != 0 || (o = json_tokener_parse(buf_cstr(&json))) == NULL ||
	    !json_object_object_get_ex(o, "subject", &subject) || !json_object_object_get_ex(o, "body", &body) ||
	    status_rows(c, a->p, buf_cstr(&a->statuses), "checked") == -1) {
		system_error(c);
		goto done;
	}
	c->g.w.req.status = status;
	tvars_set(c->g.w.vars, "preview", "1");
	tvars_set(c->g.w.vars, "token", buf_cstr(&tok));
	tvars_set(c->g.w.vars, "subject", a->subject);
	tvars_set(c->g.w.vars, "text", buf_cstr(&a->text));
	tvars_set(c->g.w.vars, "mail_subject", json_object_get_string(subject));
	tvars_set(c->g.w.vars, "mail_body", json_object_get_string(body));
	tvars_setf(c->g.w.vars, "n_with", "%lld", (long long)with);
	tvars_setf(c->g.w.vars, "n_without", "%lld", (long long)without);
	if (with > 0)
		tvars_set(c->g.w.vars, "can_send", "1");
	if (error != NULL) {
		tvars_set(c->g.w.vars, "page_error", "1");
		tvars_set(c->g.w.vars, "n_error", error);
	}
	(void)web_render(&c->g.w, "staff_announce.html");
done:
	json_object_put(o);
	buf_wipe(&mac);
	buf_free(&tok);
	buf_free(&json);
}

/* ---- sending ---- */

struct announce_run {
	struct announce	*a;
	char		 sha[65];
};

static void
release_text(struct db_outbox_item *m, void *arg)
{
	(void)arg;
	free((void *)m->text);
	m->text = NULL;
}

static int
announce_mail(const char *receipt, const char *participant, const char *lang, struct db_outbox_item *m,
    void *arg)
{
	struct announce_run	*run = arg;
	struct announce		*a = run->a;
	struct buf		 json;

	(void)participant;
	(void)lang;
	buf_init(&json);
	if (mail_announcement_text(a->p, a->subject, buf_cstr(&a->text), receipt, &json) == -1) {
		buf_free(&json);
		return -1;
	}
	m->kind = "announcement";
	m->procedure_id = a->p->id;
	m->section_id = a->p->section;
	m->at = a->c->g.w.now;
	m->release = release_text;
	return (m->text = buf_take(&json)) != NULL ? 0 : -1;
}

/* Inside the transaction: the entry names the procedure, the subject, the text's hash and the counts. */
static int
announce_audit(const struct db_announcement *h, void *arg)
{
	struct announce_run	*run = arg;
	struct ctx		*c = run->a->c;
	struct audit_entry	 e;
	struct buf		 detail;
	int			 rc;

	buf_init(&detail);
	buf_printf(&detail, "subject=%s text_sha256=%s statuses=%s queued=%lld no_address=%lld", h->subject,
	    run->sha, h->statuses, (long long)h->queued, (long long)h->no_address);
	memset(&e, 0, sizeof(e));
	e.at = c->g.w.now;
	e.actor = c->staff.login;
	e.action = "announce";
	e.target = run->a->p->id;
	e.detail = buf_cstr(&detail);
	e.addr = c->g.w.req.remote_addr;
	rc = detail.oom ? -1 : audit_append_in(c->app->site.db, c->app->audit_key, &e);
	buf_free(&detail);
	return rc;
}

static void
send_announce(struct announce *a)
{
	struct ctx		*c = a->c;
	const struct kv_value	*token = kv_get(&c->g.form, B_TOKEN);
	struct confirm_bind	 b;
	struct announce_run	 run;
	struct db_announcement	 h;
	struct buf		 mac;
	unsigned char		 stamp[CONFIRM_STAMP_LEN];
	char			 loc[128];
	int			 checked;

	buf_init(&mac);
	staff_bind(a->c, a->p, &b);
	memset(&run, 0, sizeof(run));
	run.a = a;
	if (announce_mac_input(a, &mac) == -1 || seal_sha256_hex(a->text.data, a->text.len, run.sha) == -1) {
		buf_wipe(&mac);
		system_error(c);
		return;
	}
	checked = confirm_check(&b, c->g.w.now, token ? token->p : NULL, token ? token->len : 0, &mac, stamp);
	buf_wipe(&mac);
	if (checked == -1) {
		show_preview(a, 409, "確認画面の有効期限（3時間）が切れたか、確認の後に内容が変わりました。"
		    "下の内容を確かめて、もう一度送信してください。");
		return;
	}
	memset(&h, 0, sizeof(h));
	h.procedure_id = a->p->id;
	h.section_id = a->p->section;
	h.actor = c->staff.login;
	h.subject = a->subject;
	h.body_sha256 = run.sha;
	h.statuses = buf_cstr(&a->statuses);
	h.at = c->g.w.now;
	h.mail = announce_mail;
	h.done = announce_audit;
	h.arg = &run;
	if (db_announce(c->app->site.db, &h) == -1) {
		system_error(c);
		return;
	}
	snprintf(loc, sizeof(loc), "/staff/announce/%s?m=sent", a->p->id);
	redirect(c, loc);
}

void
page_announce(void *arg)
{
	struct ctx		*c = arg;
	const char		*id = c->g.w.req.path + strlen("/staff/announce/");
	const struct procedure	*p = strchr(id, '/') == NULL ? formset_get(c->app->site.forms, id) : NULL;
	const char		*action = gate_body_text(&c->g, B_ACTION);
	struct announce		 a;

	if (p == NULL) {
		not_found(c);
		return;
	}
	if (!holds_section(c, p->section)) {
		deny(c, p->id, "another section's procedure");
		return;
	}
	memset(&a, 0, sizeof(a));
	a.c = c;
	a.p = p;
	buf_init(&a.text);
	buf_init(&a.statuses);
	if (c->g.w.req.method != HTTP_POST)
		show_form(&a, 200);
	else if (read_announce(&a) == -1)
		system_error(c);
	else if (a.error != NULL || strcmp(action, "edit") == 0)
		show_form(&a, a.error != NULL ? 400 : 200);
	else if (strcmp(action, "send") == 0)
		send_announce(&a);
	else
		show_preview(&a, 200, NULL);
	buf_free(&a.text);
	buf_free(&a.statuses);
}
