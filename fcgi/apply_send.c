/*
 * apply_send.c: a confirmed application sent — its token checked, handed
 * to the batching writer with its contact envelope and arrival mail (the
 * writer seals them per batch) and stored exactly once, within the limits
 * on sends.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apply.h"
#include "log.h"
#include "mail.h"
#include "places.h"
#include "payload.h"

/* The record the writer seals: answers plus what binds them to their clear metadata. */
static int
sealed_payload(const struct ctx *c, const struct buf *json, struct buf *out)
{
	return payload_write(out, c->proc->id, c->proc->hash, c->g.w.now, NULL, json);
}

/*
 * The arrival mail (申請到達メール), queued with the application once its
 * receipt is drawn: its clear text, to the address in the envelope.
 */
static int
arrival_mail(const char *receipt, const char *participant, struct db_outbox_item *m, void *arg)
{
	struct ctx	*c = arg;
	int		 rc;

	rc = mail_queue_text(c->proc, "arrival", receipt, participant, c->g.w.lang->tag, c->g.w.now, m);
	return rc == MAIL_NONE ? DB_NOTFOUND : rc;
}

/*
 * The client address as the send limit counts it: an IPv6 address by its
 * /64, which one subscriber holds whole (counting each address would let one
 * home send without limit); IPv4 and IPv4-mapped addresses as they are.
 */
static void
client_prefix(const char *addr, char out[INET6_ADDRSTRLEN])
{
	struct in6_addr a6;

	snprintf(out, INET6_ADDRSTRLEN, "%s", addr);
	if (inet_pton(AF_INET6, addr, &a6) != 1 || IN6_IS_ADDR_V4MAPPED(&a6))
		return;
	memset(a6.s6_addr + 8, 0, 8);
	if (inet_ntop(AF_INET6, &a6, out, INET6_ADDRSTRLEN) == NULL)
		snprintf(out, INET6_ADDRSTRLEN, "%s", addr);
}

/* The sender's key for the send limit: a keyed hash of the client address (prefix) and the procedure. */
static int
sender_key(const struct ctx *c, unsigned char out[SEAL_MAC_LEN])
{
	char		 prefix[INET6_ADDRSTRLEN];
	struct buf	 m;
	int		 rc;

	client_prefix(c->g.w.req.remote_addr, prefix);
	buf_init(&m);
	buf_puts(&m, prefix);
	buf_putc(&m, 0);
	buf_puts(&m, c->proc->id);
	rc = m.oom ? -1 : seal_mac(c->app->mac_key, "send-limit", m.data, m.len, out);
	buf_free(&m);
	return rc;
}

/*
 * The recipient's key for the arrival-mail limit: a keyed hash of the
 * address as a mailbox is reached, so that spellings of one mailbox share
 * one count: lower case, no "+tag" (sub-addressing), and for Gmail no dots
 * in the local part.
 */
static int
recipient_key(const struct ctx *c, const char *to, unsigned char out[SEAL_MAC_LEN])
{
	const char	*at = strrchr(to, '@'), *p;
	struct buf	 m;
	int		 rc, tagged = 0, gmail;

	if (at == NULL)
		at = to + strlen(to);
	gmail = strcasecmp(at, "@gmail.com") == 0 || strcasecmp(at, "@googlemail.com") == 0;
	buf_init(&m);
	for (p = to; p < at; p++) {
		tagged |= *p == '+';
		if (!tagged && !(gmail && *p == '.'))
			buf_putc(&m, (char)tolower((unsigned char)*p));
	}
	if (gmail)
		buf_puts(&m, "@gmail.com");
	else
		for (p = at; *p != '\0'; p++)
			buf_putc(&m, (char)tolower((unsigned char)*p));
	rc = m.oom ? -1 : seal_mac(c->app->mac_key, "mail-limit", m.data, m.len, out);
	buf_wipe(&m);
	return rc;
}

static int
store_by_writer(struct db_store_req *r, void *arg)
{
	return writer_store(arg, r);
}

/* 満員です: the places were taken before this application came; nothing was stored. */
void
full_page(struct ctx *c, const char *choice)
{
	const struct field	*f = formdef_places_field(c->proc);
	const struct choice	*ch = f != NULL && *choice != '\0' ? answers_choice(f, choice) : NULL;
	struct places_view	 v;
	struct buf		 text;
	int			 rc;

	buf_init(&text);
	if (ch != NULL && places_read(c->app->site.db, c->proc, &v) == 0 && places_left(c->proc, &v) != 0)
		rc = lang_format(c->g.w.lang, &text, N_("full.choice.text"), "choice", def_text(c, c->proc, ch->label),
		    "field", def_text(c, c->proc, f->label), (const char *)NULL);
	else
		rc = lang_format(c->g.w.lang, &text, N_("full.text"), "title", def_text(c, c->proc, c->proc->title),
		    "contact", def_text(c, c->proc, c->proc->contact), (const char *)NULL);
	error_page(c, 409, msg(c, N_("full")), rc == -1 || text.oom ? msg(c, N_("full.short")) : buf_cstr(&text));
	buf_free(&text);
}

void
send_application(struct ctx *c, const struct answers *as)
{
	struct db_app	 app;
	struct buf	 json, payload, contact;
	unsigned char	 stamp[CONFIRM_STAMP_LEN];
	char		 receipt[DB_RECEIPT_LEN + 1], inquiry[CONFIRM_INQUIRY_LEN + 1];
	char		 participant[DB_PARTICIPANT_LEN + 1] = "";
	struct db_app_status st;
	struct confirm_bind b;
	const struct kv_value *token = kv_get(&c->g.form, K_TOKEN);
	long		 position = 0;
	int		 rc;

	confirm_bind(c, &b);
	buf_init(&json);
	buf_init(&payload);
	buf_init(&contact);
	memset(&app, 0, sizeof(app));
	if (answers_json(as, &json) == -1)
		goto fail;
	if (confirm_check(&b, c->g.w.now, token ? token->p : NULL, token ? token->len : 0, &json, stamp) == -1) {
		error_page(c, 400, msg(c, N_("send.stale")), msg(c, N_("send.stale.text")));
		goto done;
	}
	if (sealed_payload(c, &json, &payload) == -1 || confirm_inquiry_key(c->app->mac_key, stamp, inquiry) == -1)
		goto fail;
	app.procedure_id = c->proc->id;
	app.section_id = c->proc->section;
	app.form_hash = c->proc->hash;
	app.plain = payload.data;
	app.plain_len = payload.len;
	app.received_at = c->g.w.now;
	app.lang = c->g.w.lang->tag;
	app.participant_prefix = c->proc->participant_prefix;
	app.participant = participant;
	if ((rc = mail_contact(mail_answer_to(as), &contact)) == -1)
		goto fail;
	if (rc == 0) {
		app.contact = contact.data;
		app.contact_len = contact.len;
		app.mail = arrival_mail;
		app.mail_arg = c;
	}
	places_rules(c->proc, places_answer(as), places_people(as), &app.places);
	if (confirm_submit_key(c->app->mac_key, stamp, app.submit_hash) == -1 ||
	    confirm_inquiry_hash(c->app->mac_key, inquiry, app.inquiry_hash) == -1 ||
	    sender_key(c, app.sender_key) == -1 ||
	    recipient_key(c, mail_answer_to(as), app.recipient_key) == -1)
		goto fail;
	/* Every application is committed by the one batching writer: many share one fsync and one seal. */
	if ((rc = db_app_store_via_at(&app, receipt, &position, store_by_writer, &c->app->writer)) == -1 ||
	    rc == DB_STALE_KEY)
		goto fail;
	if (rc == DB_FULL) {
		full_page(c, places_answer(as));
		goto done;
	}
	if (rc == DB_LIMITED) {
		log_msg(LOG_WARNING, "send limit reached for %s: refused", c->proc->id);
		error_page(c, 429, msg(c, N_("send.limited")), msg(c, N_("send.limited.text")));
		goto done;
	}
	if (rc == DB_MAIL_HELD)
		log_msg(LOG_WARNING, "arrival mail limit reached for %s: stored without the mail", c->proc->id);
	/* A replay shows the first submission's receipt, with its own time and participant ID. */
	if (rc == DB_EXISTS && db_app_status(c->app->site.db, receipt, &st) == 0) {
		c->g.w.now = st.received_at;
		memcpy(participant, st.participant, sizeof(participant));
	}
	show_done(c, receipt, inquiry, participant, c->g.w.now, rc == DB_MAIL_HELD, position);
	goto done;
fail:
	log_msg(LOG_ERR, "could not store an application for %s", c->proc->id);
	system_error(c);
done:
	seal_wipe(inquiry, sizeof(inquiry));
	buf_wipe(&json);
	buf_wipe(&payload);
	buf_wipe(&contact);
}

