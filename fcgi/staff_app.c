/*
 * staff_app.c: one application — opened with a key the member's session
 * holds, shown with its history and mails, and moved through the workflow
 * (lib/workflow.h) with a sealed note and the mail the change sends (to
 * its contact envelope).
 */
#include <stdio.h>
#include <string.h>

#include <unistr.h>

#include "custody.h"
#include "export.h"
#include "jst.h"
#include "mail.h"
#include "payload.h"
#include "places.h"
#include "staff.h"
#include "web.h"

/* ---- opening applications ---- */

/*
 * The key pair of key_id when the member's session holds it and it is the
 * key of the section the session got it for; arg is the struct ctx (an
 * opener_key_fn, opener.h).
 */
int
session_key(void *arg, const char *key_id, unsigned char pk[SEAL_PK_LEN], unsigned char sk[SEAL_SK_LEN])
{
	struct ctx	*c = arg;
	char		 section[64], key_section[64];
	struct buf	 recovery;
	int		 rc = -1;

	buf_init(&recovery);
	if (custody_session_key(c->app->site.db, c->session, key_id, section, sk) == 0 &&
	    db_key_get(c->app->site.db, key_id, key_section, pk, &recovery) == 0 && strcmp(section, key_section) == 0)
		rc = 0;
	else
		seal_wipe(sk, SEAL_SK_LEN);
	buf_free(&recovery);
	return rc;
}

/* The sealed payload's JSON, opened with the key the session holds; -1 when it cannot be opened. */
int
open_sealed(struct ctx *c, const char *key_id, const void *sealed, size_t len, struct buf *plain)
{
	unsigned char	sk[SEAL_SK_LEN], pk[SEAL_PK_LEN];
	int		rc = -1;

	if (session_key(c, key_id, pk, sk) == 0)
		rc = seal_open(pk, sk, sealed, len, plain);
	seal_wipe(sk, sizeof(sk));
	return rc;
}

/* The "answers" object of an opened payload; the caller puts the returned root. */
json_object *
payload_answers(const struct buf *plain, json_object **root)
{
	return payload_json(NULL, buf_cstr(plain), root);
}

/* ---- one application ---- */

struct app_view {
	struct db_app_row	 row;
	struct buf		 sealed;
	const struct procedure	*p;
	char			 receipt[DB_RECEIPT_LEN + 1];
};

/* The application named by the path, if the member's sections include it; 404 otherwise. */
static int
load_app(struct ctx *c, struct app_view *v)
{
	const char	*r = c->g.w.req.path + strlen("/staff/apps/");
	int		 rc;

	if (strlen(r) != DB_RECEIPT_LEN)
		return DB_NOTFOUND;
	memcpy(v->receipt, r, DB_RECEIPT_LEN + 1);
	if ((rc = db_app_get(c->app->site.db, v->receipt, &v->row, &v->sealed)) != 0)
		return rc;
	if (!holds_section(c, v->row.section_id))
		return denied(c, v->receipt, "another section's application") == 0 ? DB_NOTFOUND : -1;
	v->p = formset_get(c->app->site.forms, v->row.procedure_id);
	return 0;
}

static int
answer_rows(struct ctx *c, const struct app_view *v, json_object *answers)
{
	struct buf	val;
	size_t		i;
	int		rc = 0;

	buf_init(&val);
	if (v->p == NULL) {
		/* The definition was removed: show the stored keys and values as they are. */
		json_object_object_foreach(answers, key, jv) {
			struct tvars *row = tvars_add(c->g.w.vars, "answers");

			if (row == NULL || tvars_set(row, "label", key) == -1 ||
			    tvars_set(row, "value", json_object_get_string(jv)) == -1)
				rc = -1;
		}
		buf_wipe(&val);
		return rc;
	}
	for (i = 0; i < v->p->nfields && rc == 0; i++) {
		struct tvars *row = tvars_add(c->g.w.vars, "answers");

		buf_reset(&val);
		if (row == NULL || export_cell(&v->p->fields[i], answers, &val) == -1 ||
		    tvars_set(row, "label", v->p->fields[i].label) == -1 ||
		    tvars_set(row, "value", buf_cstr(&val)) == -1)
			rc = -1;
	}
	buf_wipe(&val);
	return rc;
}

static int
event_row(const struct db_event *ev, void *arg)
{
	struct ctx	*c = arg;
	struct tvars	*row = tvars_add(c->g.w.vars, "events");
	struct buf	 when, note;
	int		 rc = -1;

	buf_init(&when);
	buf_init(&note);
	if (row == NULL || jst_format_numeric(ev->at, &when) == -1)
		goto done;
	if (ev->note_sealed != NULL && open_sealed(c, ev->key_id, ev->note_sealed, ev->note_len, &note) == -1) {
		buf_reset(&note);
		buf_puts(&note, "（この記録を開く鍵がありません）");
	}
	tvars_set(row, "at", buf_cstr(&when));
	tvars_set(row, "actor", ev->actor);
	if (strcmp(ev->from_status, ev->to_status) == 0)
		tvars_set(row, "change", "―");
	else
		tvars_setf(row, "change", "%s → %s", status_text(ev->from_status), status_text(ev->to_status));
	rc = tvars_set(row, "note", buf_cstr(&note));
done:
	buf_free(&when);
	buf_wipe(&note);
	return rc;
}

static int
mail_row(struct ctx *c, const char *kind, const char *state, time_t at, int attempts, const char *error)
{
	struct tvars	*row = tvars_add(c->g.w.vars, "mails");
	struct buf	 when;
	int		 rc;

	buf_init(&when);
	if (row == NULL || jst_format_numeric(at, &when) == -1)
		return -1;
	tvars_set(row, "kind", wf_mail_label(kind));
	tvars_set(row, "state", state);
	tvars_set(row, "at", buf_cstr(&when));
	tvars_setf(row, "attempts", "%d", attempts);
	if (strcmp(state, "送信失敗") == 0)
		tvars_set(row, "failed", "1");
	rc = tvars_set(row, "error", error);
	buf_free(&when);
	return rc;
}

/* Queued and failed mails: "at" is the next try (pending) or when it was queued (failed). */
static int
queued_mail(const struct db_mail *m, void *arg)
{
	int failed = strcmp(m->state, "failed") == 0;

	return mail_row(arg, m->kind, failed ? "送信失敗" : "送信待ち", failed ? m->created_at : m->next_at,
	    m->attempts, m->last_error);
}

static int
delivered_mail(int64_t outbox_id, const char *kind, time_t at, int attempts, void *arg)
{
	(void)outbox_id;
	return mail_row(arg, kind, "送信済み", at, attempts, "");
}

/* The change from one stored status to another, when staff may make it; NULL otherwise. */
static const struct wf_transition *
transition(const char *from, const char *to)
{
	enum wf_status f, t;

	return wf_status_parse(from, &f) == 0 && wf_status_parse(to, &t) == 0 ? wf_transition(f, t) : NULL;
}

/* The changes staff may make from the application's status, in the workflow's order. */
static int
next_vars(struct ctx *c, const char *code)
{
	const struct wf_transition	*t;
	enum wf_status			 from;
	size_t				 i, n;

	if (wf_status_parse(code, &from) == -1)
		return 0;
	for (t = wf_transitions(&n), i = 0; i < n; i++) {
		struct tvars *v;

		if (t[i].from != from)
			continue;
		if ((v = tvars_add(c->g.w.vars, "next")) == NULL)
			return -1;
		tvars_set(v, "value", wf_status_code(t[i].to));
		tvars_set(v, "label", wf_staff_label(t[i].to));
	}
	return 0;
}

static void
show_app(struct ctx *c, struct app_view *v, int status, const char *error)
{
	struct buf	 plain, when;
	json_object	*root = NULL, *answers, *fh;
	char		 name[256];

	buf_init(&plain);
	buf_init(&when);
	if (open_sealed(c, v->row.key_id, v->row.sealed, v->row.sealed_len, &plain) == -1) {
		web_error_page(&c->g.w, 403, "この申請を開けません",
		    "このログインには、この申請を開く鍵がありません（ログインの後に鍵が付与・更新された場合など）。"
		    "いったんログアウトして、もう一度ログインしてください。");
		goto done;
	}
	if ((answers = payload_answers(&plain, &root)) == NULL || member_vars(c, v->receipt) == -1 ||
	    jst_format_numeric(v->row.received_at, &when) == -1)
		goto fail;
	c->g.w.req.status = status;
	tvars_set(c->g.w.vars, "receipt", v->receipt);
	tvars_set(c->g.w.vars, "received", buf_cstr(&when));
	status_var(c->g.w.vars, "status", v->row.status, v->row.number);
	tvars_set(c->g.w.vars, "status_value", v->row.status);
	tvars_set(c->g.w.vars, "lang_name", lang_name_ja(c->g.w.langs, v->row.lang));
	tvars_set(c->g.w.vars, "channel", wf_channel_label_of(v->row.channel));
	if (v->row.participant[0] != '\0')
		tvars_set(c->g.w.vars, "participant", v->row.participant);
	tvars_set(c->g.w.vars, "section", section_name(c, v->row.section_id, name, sizeof(name)));
	tvars_set(c->g.w.vars, "proc_id", v->row.procedure_id);
	tvars_set(c->g.w.vars, "proc_title", v->p ? v->p->title : v->row.procedure_id);
	if (error != NULL) {
		tvars_set(c->g.w.vars, "a_error", error);
		tvars_set(c->g.w.vars, "page_error", "1");
	} else if (strcmp(gate_query_text(&c->g, Q_M), "saved") == 0)
		tvars_set(c->g.w.vars, "a_done", "記録しました。");
	if (v->p == NULL || !json_object_object_get_ex(root, "form_hash", &fh) ||
	    strcmp(json_object_get_string(fh), v->p->hash) != 0)
		tvars_set(c->g.w.vars, "old_form", "1");
	if (answer_rows(c, v, answers) == -1 || db_app_events(c->app->site.db, v->receipt, event_row, c) == -1 ||
	    db_mail_log_of_receipt(c->app->site.db, v->receipt, delivered_mail, c) == -1 ||
	    db_outbox_of_receipt(c->app->site.db, v->receipt, queued_mail, c) == -1 ||
	    next_vars(c, v->row.status) == -1 || audit_ok(c, "view", v->receipt, "") == -1)
		goto fail;
	(void)web_render(&c->g.w, "staff_app.html");
	goto done;
fail:
	system_error(c);
done:
	json_object_put(root);
	buf_wipe(&plain);
	buf_free(&when);
}

/* The note sealed to the section's current key, like the application itself. */
int
seal_note(struct ctx *c, const char *section, const char *note, char key_id[SEAL_KEYID_LEN + 1],
    struct buf *out)
{
	unsigned char pk[SEAL_PK_LEN];

	return db_key_current(c->app->site.db, section, key_id, pk) == 0 &&
	    seal_box(pk, note, strlen(note), out) == 0 ? 0 : -1;
}

/*
 * The change's mail; MAIL_NONE when none is due.  Its clear text, when the
 * application has a contact envelope: the mailer fills the address in, and
 * nothing is opened here.  An application without one (stored before
 * envelopes, or without an address) is opened, and the mail composed from
 * it and sealed whole, as before envelopes.
 */
static int
status_mail(struct ctx *c, const struct app_view *v, const char *kind, struct db_outbox_item *m)
{
	const struct field	*f = v->p != NULL ? mail_field(v->p) : NULL;
	json_object		*root = NULL, *answers, *addr;
	struct buf		 plain;
	int			 rc = -1;

	if (kind == NULL || f == NULL)
		return MAIL_NONE;
	if ((rc = db_envelope_has(c->app->site.db, v->receipt)) != 0)
		return rc == 1 ? mail_queue_text(v->p, kind, v->receipt, v->row.participant, v->row.lang, c->g.w.now, m) :
		    -1;
	rc = -1;
	buf_init(&plain);
	if (open_sealed(c, v->row.key_id, v->row.sealed, v->row.sealed_len, &plain) == 0 &&
	    (answers = payload_answers(&plain, &root)) != NULL)
		rc = mail_queue_item(v->p, kind, v->receipt, v->row.participant,
		    json_object_object_get_ex(answers, f->key, &addr) &&
		    json_object_is_type(addr, json_type_string) ? json_object_get_string(addr) : "",
		    v->row.lang, c->app->mailer_pk, c->g.w.now, m);
	json_object_put(root);
	buf_wipe(&plain);
	return rc;
}

/* One audit entry per application the change moved up from the waitlist. */
static int
audit_promoted(struct ctx *c, const struct db_promote *pr, const char *freed_by)
{
	char	detail[64];
	size_t	i;

	snprintf(detail, sizeof(detail), "waitlisted->received, place freed by %s", freed_by);
	for (i = 0; i < pr->n; i++)
		if (audit_ok(c, "promote", pr->promoted[i], detail) == -1)
			return -1;
	return 0;
}

/*
 * The change from -> to (t: its transition, NULL for a note alone) with its
 * note, recorded as one event: the note sealed, the change's mail queued,
 * a freed place moving the waitlist up, each audited.  0, DB_NOTFOUND when
 * the application is no longer in from, -1.
 */
static int
record_change(struct ctx *c, struct app_view *v, const char *from, const char *to, const struct wf_transition *t,
    const char *note)
{
	char		 key_id[SEAL_KEYID_LEN + 1], detail[64];
	struct db_event	 ev;
	struct db_outbox_item mail;
	struct db_promote promote;
	struct places_promoting pm;
	struct buf	 sealed;
	int		 rc = -1;

	buf_init(&sealed);
	memset(&mail, 0, sizeof(mail));
	memset(&ev, 0, sizeof(ev));
	ev.receipt = v->receipt;
	ev.at = c->g.w.now;
	ev.actor = c->staff.login;
	ev.from_status = from;
	ev.to_status = to;
	ev.key_id = "";
	if (*note != '\0') {
		if (seal_note(c, v->row.section_id, note, key_id, &sealed) == -1)
			goto done;
		ev.key_id = key_id;
		ev.note_sealed = sealed.data;
		ev.note_len = sealed.len;
	}
	if (t != NULL && (rc = status_mail(c, v, t->mail, &mail)) != MAIL_NONE) {
		if (rc == -1)
			goto done;
		ev.mail = &mail;
	}
	rc = -1;
	/* A freed place moves the waitlist up in the same transaction (db.h: db_promote). */
	if (places_promote_init(&promote, &pm, c->app->site.db, v->p, c->g.w.now) == 1)
		ev.promote = &promote;
	if ((rc = db_app_event(c->app->site.db, &ev)) != 0)
		goto done;
	snprintf(detail, sizeof(detail), "%s->%s%s%s", from, to, *note ? " with note" : "",
	    ev.mail != NULL ? " mail queued" : "");
	if (audit_ok(c, strcmp(from, to) == 0 ? "note" : "status", v->receipt, detail) == -1 ||
	    (ev.promote != NULL && audit_promoted(c, ev.promote, v->receipt) == -1))
		rc = -1;
done:
	if (mail.release != NULL)
		mail.release(&mail, NULL);
	buf_free(&sealed);
	return rc;
}

static const char *const moved_meanwhile =
    "この申請は、画面を開いた後にほかの職員が状態を変更しました。内容を確認してから、もう一度操作してください。";

static void
change_app(struct ctx *c, struct app_view *v)
{
	const char	*from = gate_body_text(&c->g, B_FROM), *to = gate_body_text(&c->g, B_TO);
	const char	*note = gate_body_text(&c->g, B_NOTE);
	char		 loc[64];
	const struct wf_transition *t = NULL;
	int		 rc;

	if (strcmp(from, v->row.status) != 0) {
		show_app(c, v, 409, moved_meanwhile);
		return;
	}
	if (strcmp(from, to) != 0 && (t = transition(from, to)) == NULL) {
		show_app(c, v, 400, "その状態には変更できません。");
		return;
	}
	if (u8_mbsnlen((const uint8_t *)note, strlen(note)) > NOTE_MAX_CHARS) {
		show_app(c, v, 400, "対応記録は2000文字以内で入力してください。");
		return;
	}
	if (strcmp(from, to) == 0 && *note == '\0') {
		show_app(c, v, 400, "状態を選ぶか、対応記録を入力してください。");
		return;
	}
	if ((rc = record_change(c, v, from, to, t, note)) == DB_NOTFOUND)
		show_app(c, v, 409, moved_meanwhile);
	else if (rc != 0)
		system_error(c);
	else {
		snprintf(loc, sizeof(loc), "/staff/apps/%s?m=saved", v->receipt);
		redirect(c, loc);
	}
}

int
app_change(struct ctx *c, const char *receipt, const char *to, const char *note)
{
	struct app_view			 v;
	const struct wf_transition	*t;
	int				 rc;

	memset(&v, 0, sizeof(v));
	buf_init(&v.sealed);
	if (strlen(receipt) != DB_RECEIPT_LEN) {
		rc = DB_NOTFOUND;
		goto done;
	}
	memcpy(v.receipt, receipt, DB_RECEIPT_LEN + 1);
	if ((rc = db_app_get(c->app->site.db, v.receipt, &v.row, &v.sealed)) != 0)
		goto done;
	v.p = formset_get(c->app->site.forms, v.row.procedure_id);
	if (!holds_section(c, v.row.section_id) || (t = transition(v.row.status, to)) == NULL)
		rc = DB_NOTFOUND;
	else
		rc = record_change(c, &v, v.row.status, to, t, note);
done:
	buf_free(&v.sealed);
	return rc;
}

void
page_app(void *arg)
{
	struct ctx	*c = arg;
	struct app_view	 v;
	int		 rc;

	memset(&v, 0, sizeof(v));
	buf_init(&v.sealed);
	if ((rc = load_app(c, &v)) == DB_NOTFOUND)
		not_found(c);
	else if (rc != 0)
		system_error(c);
	else if (c->g.w.req.method == HTTP_POST)
		change_app(c, &v);
	else
		show_app(c, &v, 200, NULL);
	buf_free(&v.sealed);
}

