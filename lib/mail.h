/*
 * mail: the residents' notification mails — which texts a procedure has,
 * composing one for a receipt, and writing it as an RFC 5322 message.
 *
 * Contact envelopes.  What later mails need of an application (its
 * address) is its contact envelope, JSON {"v":1,"to"} (mail_contact()),
 * sealed to the mailer's public key when the application is stored (db.h:
 * db_app.contact) and kept beside it.  A mail is then queued as its clear
 * text, JSON {"v":1,"subject","body"} (mail_queue_text()), by whoever
 * causes it, with no key at all; the mailer opens the envelope, fills the
 * address in (mail_fill()) and calls mail_message().  Mails queued before
 * envelopes existed are the whole composed mail, {"v":1,"to","subject",
 * "body"}, sealed to the mailer's key (mail_queue_item()); the mailer
 * still sends them.  Subjects and bodies come from the procedure's
 * definition in the language the resident applied in (lang, a tag of
 * lang.h kept with the application: the definition's text in it, or its
 * Japanese, formdef_text()), chosen when the mail is queued, with
 * {{receipt}}, {{participant_id}} (its participant ID, "" for none),
 * {{title}}, {{contact}} and {{reserve_number}} (a 補欠's number, "" for
 * other mails) filled in (tmpl, plain-text mode): nothing
 * personal; nothing a resident typed goes into a
 * header but the address, which is checked again here.
 *
 * Later kinds (a lottery's results, announcements) are queued the same
 * way: mail_queue_text() for the receipt, then the db change that queues
 * it (db_app_event(), or a caller's own in one transaction), for receipts
 * with an envelope (db_envelope_has()).
 *
 * Functions return 0, MAIL_NONE where no mail is due, or -1.  Output
 * buffers belong to the caller (wipe them: they hold an address).
 */
#ifndef MAIL_H
#define MAIL_H

#include <stddef.h>
#include <time.h>

#include "answers.h"
#include "buf.h"
#include "db.h"
#include "formdef.h"
#include "seal.h"

#define MAIL_NONE	1
#define MAIL_ADDR_MAX	254

/* The field whose answer is the resident's address: the procedure's first email field, or NULL. */
const struct field *mail_field(const struct procedure *p);
/* The address mails go to: the answer to mail_field() when it was shown; "" for none.  Borrowed from as. */
const char *mail_answer_to(const struct answers *as);
/*
 * The definition's text for "arrival", "acceptance", "return", "promotion",
 * or a lottery's "won", "lost", "reserve", or NULL when it has none.
 */
const struct mailtext *mail_text(const struct procedure *p, const char *kind);
/* The whole mail; MAIL_NONE when the procedure has no such text or to is empty, -1 for a bad address. */
int	mail_compose(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
	    const char *to, const char *lang, struct buf *json);
/* The contact envelope's plaintext for the address to: MAIL_NONE when to is empty, -1 when it is bad. */
int	mail_contact(const char *to, struct buf *json);
/* A mail's clear text for receipt in lang: MAIL_NONE when the procedure has no text of kind. */
int	mail_text_compose(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
	    const char *lang, struct buf *json);
/*
 * An announcement's clear text for receipt (kind "announcement"): the
 * section's subject as it is (-1 when it holds a line break or another
 * control character) and its text as it is (not a template: "{{" stays as
 * typed), framed by a footer naming the procedure, the receipt and the
 * contact, in Japanese like the text.  Plain text: the mailer sends it as
 * text/plain.
 */
int	mail_announcement_text(const struct procedure *p, const char *subject, const char *text, const char *receipt,
	    struct buf *json);
/*
 * A waitlisted application's arrival text (db_set_waitlist_text, langs its
 * argument: a struct langset ** the caller keeps, read at each call so
 * that a reload of the catalogues is seen): text, a queued clear text,
 * with a first paragraph saying its turn (position, 1 first) in the
 * language lang (mail.waitlisted; Japanese when langs has no lang),
 * appended to out.  0, or -1 for a text that is not one.
 */
int	mail_text_waitlisted(void *langs, const char *text, long position, const char *lang, struct buf *out);
/* A queued text and its opened envelope: the whole mail, as mail_compose() makes it. */
int	mail_fill(const char *text, size_t text_len, const char *contact, size_t contact_len, struct buf *json);
/* A composed mail from its parts (staff mail: the auditors' digest); -1 for a bad address or subject. */
int	mail_compose_text(const char *to, const char *subject, const char *body, struct buf *json);
/*
 * A mail's clear text, ready for the outbox: m->text is allocated and
 * m->release frees it.  MAIL_NONE when the procedure has no text of kind.
 * The receipt must have an envelope (the mailer gives the mail up without).
 */
int	mail_queue_text(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
	    const char *lang, time_t now, struct db_outbox_item *m);
/* The same with {{reserve_number}} as number (a 補欠's mail). */
int	mail_queue_numbered(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
	    const char *lang, long number, time_t now, struct db_outbox_item *m);
/*
 * A later mail of kind to receipt, in the language it applied in, for a
 * db change to queue (db_event.mail, db_promote.mail, a lottery's): 0,
 * DB_NOTFOUND when none is due (no envelope: no address; no text of
 * kind), -1.
 */
int	mail_queue_later(struct db *db, const struct procedure *p, const char *kind, const char *receipt, long number,
	    time_t now, struct db_outbox_item *m);
/*
 * The way before contact envelopes, for applications stored without one:
 * compose a mail and seal it to the mailer's public key, ready for the
 * outbox: m->sealed is allocated and m->release frees it.  MAIL_NONE when
 * no mail is due (no text for kind, or no address).
 */
int	mail_queue_item(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
	    const char *to, const char *lang, const unsigned char mailer_pk[SEAL_PK_LEN], time_t now,
	    struct db_outbox_item *m);
/* Is this an address we put in an envelope and a To: header?  jn_email_ok(): a plain addr-spec, no "=?". */
int	mail_addr_ok(const char *addr);
/* A sender (MAIL_FROM): "addr" or "Name <addr>", the address as mail_addr_ok(), no controls in the name. */
int	mail_from_ok(const char *from);

struct mail_envelope {
	char	to[MAIL_ADDR_MAX + 1];
};
/*
 * The whole message from a composed mail: Date (JST), From, To, Subject
 * (RFC 2047, folded), Message-ID, MIME-Version, text/plain UTF-8 body in
 * base64 lines of 76 characters, CRLF line ends.  from is "addr" or
 * "Name <addr>" (the name is encoded); msgid without the angle brackets,
 * shaped like an address (RFC 5322 msg-id).  -1 when the address, from or
 * msgid would not be written as they are checked (mail_addr_ok(),
 * mail_from_ok(), jn_email_ok()).
 */
int	mail_message(const char *json, size_t len, const char *from, const char *msgid, time_t date,
	    struct buf *out, struct mail_envelope *env);
/*
 * "Name: =?UTF-8?B?...?=" folded so that no line passes 76 characters;
 * printable ASCII is kept as is unless it holds "=?", which a mail program
 * would decode.
 */
int	mail_header(struct buf *out, const char *name, const char *utf8);

#endif
