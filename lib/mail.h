/*
 * mail: the residents' notification mails — which texts a procedure has,
 * composing one for a receipt, and writing it as an RFC 5322 message.
 *
 * A composed mail is JSON {"v":1,"to","subject","body"}: the caller seals
 * it to the mailer's public key and queues it (db.h, outbox); only the
 * mailer opens it and calls mail_message().  Subjects and bodies come from
 * the procedure's definition, in the language the resident applied in,
 * with {{receipt}}, {{title}} and {{contact}} filled in (tmpl, plain-text
 * mode); nothing a resident typed goes into a header but the address,
 * which is checked again here.
 *
 * Functions return 0, MAIL_NONE where no mail is due, or -1.  Output
 * buffers belong to the caller (wipe them: they hold an address).
 */
#ifndef MAIL_H
#define MAIL_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "formdef.h"
#include "seal.h"

#define MAIL_NONE	1
#define MAIL_ADDR_MAX	254

/* The field whose answer is the resident's address: the procedure's first email field, or NULL. */
const struct field *mail_field(const struct procedure *p);
/* The definition's text for "arrival", "acceptance" or "return", or NULL when it has none. */
const struct mailtext *mail_text(const struct procedure *p, const char *kind);
/*
 * The mail in the language tagged lang (the one the resident applied in):
 * the definition's text in it, or its Japanese (formdef_text).  MAIL_NONE
 * when the procedure has no such text or to is empty.
 */
int	mail_compose(const struct procedure *p, const char *kind, const char *receipt, const char *to,
	    const char *lang, struct buf *json);
/*
 * Compose a mail and seal it to the mailer's public key, ready for the
 * outbox: m->sealed is allocated and m->release frees it.  MAIL_NONE when
 * no mail is due (no text for kind, or no address).
 */
int	mail_queue_item(const struct procedure *p, const char *kind, const char *receipt, const char *to,
	    const char *lang, const unsigned char mailer_pk[SEAL_PK_LEN], time_t now, struct db_outbox_item *m);
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
