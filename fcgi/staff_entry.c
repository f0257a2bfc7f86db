/*
 * staff_entry.c: an application received on paper (by post, FAX or at the
 * counter: 代理入力), entered by a member of the procedure's section with
 * the resident's own form and checks (lib/formview.h, lib/answers.h), a
 * confirmation step, and a printable receipt (受付票) with its receipt
 * number and inquiry key.
 *
 * It is stored like an application sent online: sealed to the section's
 * current key, exactly once per confirmation (the token's submit key), with
 * a contact envelope and the arrival mail when an address was given, and
 * its channel in the clear metadata.  The inquiry key is derived from the
 * confirmation as apply derives it, and its hash is keyed with the key
 * staff shares with apply (keys/inquiry.key): apply checks it on /status
 * (apply_status.c).
 */
#include <stdio.h>
#include <string.h>

#include "confirm.h"
#include "formview.h"
#include "jst.h"
#include "log.h"
#include "mail.h"
#include "payload.h"
#include "places.h"
#include "staff.h"

static const struct kv_decl control_keys[E__CONTROL] = {
	[E_CSRF] = { "csrf", 64, 1, kv_valid_b64url },
	[E_ACTION] = { "action", 16, 1, kv_valid_token },
	[E_TOKEN] = { "token", 256, 1, kv_valid_b64url },
	[E_CHANNEL] = { "channel", 16, 1, kv_valid_token },
};

/* The channels staff enter: all but the resident's own send. */
static const enum wf_channel paper[] = { WF_CHANNEL_POST, WF_CHANNEL_FAX, WF_CHANNEL_COUNTER };

#define NPAPER (sizeof(paper) / sizeof(paper[0]))

/* The procedure /staff/entry/<id> names (the gate's resolver): 404 for one that does not exist. */
int
entry_proc(void *arg)
{
	struct ctx *c = arg;

	c->proc = formset_get(c->app->site.forms, c->g.w.req.path + strlen("/staff/entry/"));
	return c->proc != NULL ? 0 : -1;
}

/* The entry form's body keys: the program's own, then one per field of the procedure. */
int
entry_keys(void *arg, const struct kv_decl **decls, size_t *n)
{
	struct ctx *c = arg;

	if (formkeys_build(&c->keys, c->proc, control_keys, E__CONTROL) == -1)
		return -1;
	*decls = c->keys.decls;
	*n = c->keys.n;
	return 0;
}

/* The channel the form names, when it is one staff enter: its code, else NULL. */
static const char *
posted_channel(const struct ctx *c)
{
	const char	*code = gate_body_text(&c->g, E_CHANNEL);
	enum wf_channel	 ch;

	return wf_channel_parse(code, &ch) == 0 && ch != WF_CHANNEL_WEB ? wf_channel_code(ch) : NULL;
}

/* What every page of the entry shows about the procedure. */
static int
entry_vars(struct ctx *c, const char *title)
{
	const struct procedure	*p = c->proc;
	char			 name[256];
	int			 rc;

	rc = member_vars(c, title);
	rc |= tvars_set(c->g.w.vars, "proc_id", p->id);
	rc |= tvars_set(c->g.w.vars, "proc_title", p->title);
	rc |= tvars_set(c->g.w.vars, "section", section_name(c, p->section, name, sizeof(name)));
	if (formdef_state(p, c->g.w.now) != 0)
		rc |= tvars_set(c->g.w.vars, "out_of_period", "1");
	return rc;
}

/* The channel's radio buttons, the posted one checked; with its message when it is missing. */
static int
channel_vars(struct ctx *c, const char *chosen, int with_error)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < NPAPER; i++) {
		struct tvars *v = tvars_add(c->g.w.vars, "channels");

		if (v == NULL)
			return -1;
		rc |= tvars_set(v, "value", wf_channel_code(paper[i]));
		rc |= tvars_set(v, "label", wf_channel_label(paper[i]));
		if (chosen != NULL && strcmp(chosen, wf_channel_code(paper[i])) == 0)
			rc |= tvars_set(v, "checked", "1");
	}
	if (with_error && chosen == NULL) {
		struct tvars *e = tvars_add(c->g.w.vars, "errors");

		rc |= e == NULL ? -1 : 0;
		if (e != NULL)
			rc |= tvars_set(e, "href", "#channel") | tvars_set(e, "text", "受付方法を選んでください");
		rc |= tvars_set(c->g.w.vars, "channel_error", "受付方法を選んでください");
		rc |= tvars_set(c->g.w.vars, "page_error", "1");
	}
	return rc;
}

/* The form's fields, with a first-come procedure's places beside its choices (read now). */
static int
entry_places(struct ctx *c, const struct answers *as, int with_errors)
{
	struct places_view v;

	if (!formdef_first_come(c->proc))
		return formview_fields(c->g.w.vars, as, c->g.w.lang, with_errors, NULL);
	if (places_read(c->app->site.db, c->proc, &v) == -1)
		return -1;
	return formview_fields(c->g.w.vars, as, c->g.w.lang, with_errors, &v);
}

static void
show_entry(struct ctx *c, const struct answers *as, int with_errors)
{
	const char	*chosen = posted_channel(c);
	int		 rc;

	rc = entry_vars(c, "紙の申請の入力");
	/* The channel first, as on the page: the summary lists the errors in the page's order. */
	rc |= channel_vars(c, chosen, with_errors);
	rc |= entry_places(c, as, with_errors);
	if (with_errors && (as->nerrors > 0 || chosen == NULL))
		c->g.w.req.status = 422;
	if (rc != 0)
		system_error(c);
	else
		(void)web_render(&c->g.w, "staff_entry.html");
}

/* What the token's MAC covers: the canonical answers and the channel, so that neither changes unseen. */
static int
entry_mac_input(const struct answers *as, const char *channel, struct buf *out)
{
	if (answers_json(as, out) == -1)
		return -1;
	buf_putc(out, '\0');
	buf_puts(out, channel);
	return out->oom ? -1 : 0;
}

static void
show_entry_confirm(struct ctx *c, const struct answers *as, const char *channel)
{
	struct confirm_bind	 b;
	struct buf		 mac, tok, path;
	int			 rc;

	staff_bind(c, c->proc, &b);
	buf_init(&mac);
	buf_init(&tok);
	buf_init(&path);
	rc = entry_vars(c, "紙の申請の入力内容の確認");
	rc |= entry_mac_input(as, channel, &mac);
	rc |= confirm_token(&b, c->g.w.now, &mac, &tok);
	rc |= tvars_set(c->g.w.vars, "token", buf_cstr(&tok));
	rc |= tvars_set(c->g.w.vars, "channel", channel);
	rc |= tvars_set(c->g.w.vars, "channel_label", wf_channel_label_of(channel));
	rc |= buf_printf(&path, "/staff/entry/%s", c->proc->id);
	rc |= formview_confirm(c->g.w.vars, as, c->g.w.lang, buf_cstr(&path));
	buf_wipe(&mac);
	buf_free(&tok);
	buf_free(&path);
	if (rc != 0)
		system_error(c);
	else
		(void)web_render(&c->g.w, "staff_entry_confirm.html");
}

/* ---- storing ---- */

/* The arrival mail, as apply queues it: its clear text, to the address in the contact envelope. */
static int
entry_arrival_mail(const char *receipt, const char *participant, struct db_outbox_item *m, void *arg)
{
	struct ctx	*c = arg;
	int		 rc;

	rc = mail_queue_text(c->proc, "arrival", receipt, participant, LANG_DEFAULT, c->g.w.now, m);
	return rc == MAIL_NONE ? DB_NOTFOUND : rc;
}

/*
 * Store a paper application in db_app_store's one transaction like every
 * application, so that whatever is counted when an application is stored
 * counts this one too: its plaintext is sealed there to the section's
 * current key, and its contact envelope (when the form gives an address)
 * to the mailer's; its places taken, or its turn in the waitlist given
 * (*position), like an online application's.  Returns like db_app_store_at.
 */
static int
entry_store(struct ctx *c, struct db_app *app, const struct answers *as, const struct buf *payload,
    char receipt[DB_RECEIPT_LEN + 1], long *position)
{
	struct buf	 contact;
	int		 rc;

	buf_init(&contact);
	app->plain = payload->data;
	app->plain_len = payload->len;
	if ((rc = mail_contact(mail_answer_to(as), &contact)) == -1)
		goto done;
	if (rc == 0) {
		app->contact = contact.data;
		app->contact_len = contact.len;
		app->mail = entry_arrival_mail;
		app->mail_arg = c;
	}
	/* Places are taken like an online application's, by the same functions (places.h). */
	places_rules(c->proc, places_answer(as), places_people(as), &app->places);
	rc = db_app_store_at(c->app->site.db, app, receipt, position);
done:
	app->plain = app->contact = NULL;
	buf_wipe(&contact);
	return rc == DB_STALE_KEY ? -1 : rc;
}

/* The printable receipt (受付票): the resident's copy of the receipt number and inquiry key. */
static void
show_receipt(struct ctx *c, const char *receipt, const char *inquiry, const char *participant, time_t received,
    const char *channel, long position)
{
	struct buf	 when, key;
	int		 rc;

	buf_init(&when);
	buf_init(&key);
	rc = entry_vars(c, "受付票");
	rc |= lang_time(c->g.w.lang, received, &when);
	rc |= buf_printf(&key, "%.5s-%s", inquiry, inquiry + 5);
	rc |= tvars_set(c->g.w.vars, "receipt", receipt);
	rc |= tvars_set(c->g.w.vars, "inquiry", buf_cstr(&key));
	rc |= tvars_set(c->g.w.vars, "received", buf_cstr(&when));
	rc |= tvars_set(c->g.w.vars, "channel_label", wf_channel_label_of(channel));
	if (*participant != '\0')
		rc |= tvars_set(c->g.w.vars, "participant", participant);
	if (position > 0)
		rc |= tvars_setf(c->g.w.vars, "waitlist_pos", "%ld", position);
	rc |= tvars_set(c->g.w.vars, "contact", c->proc->contact);
	if (c->proc->complete_message != NULL)
		rc |= tvars_set(c->g.w.vars, "complete_message", c->proc->complete_message);
	buf_free(&when);
	buf_wipe(&key);
	if (rc != 0)
		system_error(c);
	else
		(void)web_render(&c->g.w, "staff_receipt.html");
}

static void
entry_send(struct ctx *c, const struct answers *as, const char *channel)
{
	const struct kv_value	*token = kv_get(&c->g.form, E_TOKEN);
	struct confirm_bind	 b;
	struct db_app		 app;
	struct db_app_status	 st;
	struct buf		 mac, json, payload;
	unsigned char		 stamp[CONFIRM_STAMP_LEN];
	char			 receipt[DB_RECEIPT_LEN + 1], inquiry[CONFIRM_INQUIRY_LEN + 1], detail[64];
	char			 participant[DB_PARTICIPANT_LEN + 1] = "";
	time_t			 received = c->g.w.now;
	long			 position = 0;
	int			 rc;

	staff_bind(c, c->proc, &b);
	buf_init(&mac);
	buf_init(&json);
	buf_init(&payload);
	memset(&app, 0, sizeof(app));
	inquiry[0] = '\0';
	if (entry_mac_input(as, channel, &mac) == -1 || answers_json(as, &json) == -1)
		goto fail;
	if (confirm_check(&b, c->g.w.now, token ? token->p : NULL, token ? token->len : 0, &mac, stamp) == -1) {
		web_error_page(&c->g.w, 400, "この確認画面からは登録できません",
		    "確認画面の有効期限（3時間）が切れたか、手続きの内容が更新されたか、確認の後に内容が変わりました。"
		    "お手数ですが、もう一度入力してください。");
		goto done;
	}
	app.procedure_id = c->proc->id;
	app.section_id = c->proc->section;
	app.form_hash = c->proc->hash;
	app.channel = channel;
	app.received_at = c->g.w.now;
	/* Entered by staff from a Japanese form: its mails are Japanese too. */
	app.lang = LANG_DEFAULT;
	app.participant_prefix = c->proc->participant_prefix;
	app.participant = participant;
	if (payload_write(&payload, c->proc->id, c->proc->hash, c->g.w.now, channel, &json) == -1 ||
	    confirm_submit_key(c->app->mac_key, stamp, app.submit_hash) == -1 ||
	    confirm_inquiry_key(c->app->mac_key, stamp, inquiry) == -1 ||
	    confirm_inquiry_hash(c->app->inquiry_key, inquiry, app.inquiry_hash) == -1)
		goto fail;
	if ((rc = entry_store(c, &app, as, &payload, receipt, &position)) == -1 || rc == DB_LIMITED)
		goto fail;
	if (rc == DB_FULL) {
		web_error_page(&c->g.w, 409, "満員です", "定員に達しているため、この申請は登録できませんでした"
		    "（保存されていません）。選択肢ごとに定員がある手続きでは、ほかの選択肢をお選びください。");
		goto done;
	}
	/* The same confirmation sent again (a reload): the first one's receipt, with its own time and ID. */
	if (rc == DB_EXISTS && db_app_status(c->app->site.db, receipt, &st) == 0) {
		received = st.received_at;
		memcpy(participant, st.participant, sizeof(participant));
	}
	snprintf(detail, sizeof(detail), "channel=%s%s", channel, rc == DB_EXISTS ? " again" : "");
	if (audit_ok(c, "entry", receipt, detail) == -1)
		goto fail;
	show_receipt(c, receipt, inquiry, participant, received, channel, position);
	goto done;
fail:
	log_msg(LOG_ERR, "could not store a paper application for %s", c->proc->id);
	system_error(c);
done:
	seal_wipe(inquiry, sizeof(inquiry));
	seal_wipe(stamp, sizeof(stamp));
	buf_wipe(&mac);
	buf_wipe(&json);
	buf_wipe(&payload);
}

/* ---- the page ---- */

void
page_entry(void *arg)
{
	struct ctx		*c = arg;
	const struct kv_value	*action;
	const char		*channel;
	struct kv_form		 none;
	struct answers		 as;

	if (!holds_section(c, c->proc->section)) {
		deny(c, c->proc->id, "another section's procedure");
		return;
	}
	memset(&none, 0, sizeof(none));
	/* A GET reads the answers of an empty body: the empty form, as apply renders it. */
	if (c->g.w.req.method != HTTP_POST && (formkeys_build(&c->keys, c->proc, control_keys, E__CONTROL) == -1 ||
	    kv_parse_urlencoded(&none, c->keys.decls, c->keys.n, "", 0, 1) == -1)) {
		system_error(c);
		return;
	}
	if (answers_read(&as, c->proc, c->g.w.req.method == HTTP_POST ? &c->g.form : &none, &c->keys,
	    jst_date(c->g.w.now), c->g.w.lang) == -1) {
		system_error(c);
		goto done;
	}
	action = kv_get(&c->g.form, E_ACTION);
	channel = posted_channel(c);
	if (c->g.w.req.method != HTTP_POST || action == NULL || strcmp(action->p, "back") == 0)
		show_entry(c, &as, 0);
	else if (as.nerrors > 0 || channel == NULL)
		show_entry(c, &as, 1);
	else if (strcmp(action->p, "confirm") == 0)
		show_entry_confirm(c, &as, channel);
	else if (strcmp(action->p, "send") == 0)
		entry_send(c, &as, channel);
	else
		web_error_page(&c->g.w, 400, "操作が正しくありません", "画面を開き直して、もう一度操作してください。");
done:
	answers_free(&as);
	kv_free(&none);
}
