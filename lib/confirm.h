/*
 * confirm: the confirmation page's token, and the keys derived from it that
 * make a send exactly-once and let the resident look the application up.
 * No draft is kept on the server: the confirmation page carries the
 * normalised answers as hidden fields and a token
 *
 *	nonce (16) || expiry (8, big-endian seconds) || MAC (32)
 *
 * where the MAC (apply's key, domain "confirm") covers the procedure, the
 * definition's hash, the browser's CSRF cookie, nonce and expiry (the
 * "stamp") and the canonical answers.  An edited answer, a changed
 * definition, another browser or an expired page fail confirm_check.
 *
 * From the stamp of a checked token come the submit key (the database's
 * UNIQUE key for the send) and the inquiry key shown to the resident: a
 * replayed send derives the same ones.  Only a keyed hash of the inquiry
 * key is stored.
 *
 * All keys are apply's MAC key (SEAL_KEY_LEN bytes), borrowed.  Functions
 * return 0 or -1.
 */
#ifndef CONFIRM_H
#define CONFIRM_H

#include <time.h>

#include "buf.h"
#include "seal.h"

#define CONFIRM_TTL		(3 * 60 * 60)	/* a confirmation page stays sendable this long */
#define CONFIRM_NONCE_LEN	16
#define CONFIRM_STAMP_LEN	(CONFIRM_NONCE_LEN + 8)	/* a token's nonce and expiry */
#define CONFIRM_INQUIRY_LEN	10

/* What a token is bound to besides the answers; every pointer borrowed. */
struct confirm_bind {
	const unsigned char	*key;		/* apply's MAC key */
	const char		*procedure;	/* its id */
	const char		*form_hash;	/* the definition's SHA-256, hex */
	const char		*browser;	/* the CSRF cookie's value */
};

/* A new token for answers (canonical JSON), valid CONFIRM_TTL from now, appended to out (base64url). */
int	confirm_token(const struct confirm_bind *b, time_t now, const struct buf *answers, struct buf *out);
/* The same with a given nonce and expiry (reference tests). */
int	confirm_token_at(const struct confirm_bind *b, const unsigned char nonce[CONFIRM_NONCE_LEN],
	    time_t expires, const struct buf *answers, struct buf *out);
/*
 * Is token (len bytes of base64url) the one made for these answers in
 * this browser, and unexpired at now?  0 yes, with its stamp copied out;
 * -1 no.
 */
int	confirm_check(const struct confirm_bind *b, time_t now, const char *token, size_t len,
	    const struct buf *answers, unsigned char stamp[CONFIRM_STAMP_LEN]);
/*
 * The send's exactly-once key: the expiry as it is in the stamp, then 24
 * bytes of a MAC of the stamp.  Keys follow the order confirmations were
 * made, so the entries of one commit land on the index's last pages: with
 * a wholly random key each application writes an index page of its own to
 * the WAL, and again at the checkpoint (README.md, "Exactly once").
 */
int	confirm_submit_key(const unsigned char *key, const unsigned char stamp[CONFIRM_STAMP_LEN],
	    unsigned char out[SEAL_MAC_LEN]);
/* The inquiry key (10 of A-Z without I, O and 2-9), derived from the stamp's nonce; NUL-terminated. */
int	confirm_inquiry_key(const unsigned char *key, const unsigned char stamp[CONFIRM_STAMP_LEN],
	    char out[CONFIRM_INQUIRY_LEN + 1]);
/* The keyed hash of an inquiry key that the database keeps and a look-up compares. */
int	confirm_inquiry_hash(const unsigned char *key, const char *inquiry, unsigned char out[SEAL_MAC_LEN]);

#endif
