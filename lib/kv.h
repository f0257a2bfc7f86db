/*
 * kv: declared-key parsing of urlencoded bodies, query strings and cookies,
 * after kcgi.  The caller declares every key it accepts (name, maximum
 * length, how many times, pure validator) in an array it owns, possibly
 * built at run time; the parser fills one slot per declaration and nothing
 * else.
 *
 * Rules worth knowing:
 * - Unknown keys are skipped and their values are never decoded or looked
 *   at, so "x=%FF" passes when "x" is not declared.  Keys are always decoded
 *   (we must, to match them), so a malformed escape in any key is refused.
 *   A key that decodes to something with a NUL or invalid UTF-8 matches no
 *   declaration and is unknown.  The first declaration with a name wins.
 * - Every non-empty pair counts towards maxpairs, known or unknown.
 * - The validator is called for every known value, the empty one included.
 * - maxlen 0 allows only the empty value.
 * - On failure no values are kept (kv_get gives NULL); err and errkey say
 *   why.  errkey is the key, never the value: values are personal data.
 *
 * Ownership: f and the declaration table belong to the caller, and the
 * table must outlive f.  The values belong to f until kv_free, which wipes
 * them; a kv_value pointer is valid until then.  kv_free may be called
 * twice, and on a zeroed struct.
 */
#ifndef KV_H
#define KV_H

#include <stddef.h>

enum kv_err { KV_OK = 0, KV_REPEATED, KV_NUL, KV_BAD_UTF8, KV_TOO_LONG, KV_BAD_ESCAPE, KV_TOO_MANY,
	      KV_INVALID, KV_NOMEM };
struct kv_decl {
	const char	*name;		/* exact key */
	size_t		 maxlen;	/* bytes after decoding */
	unsigned	 maxcount;	/* 0 or 1 = single value; >1 = up to that many (checkbox groups) */
	int		(*valid)(const char *v, size_t len); /* pure; NULL = any valid UTF-8; returns 1 if ok */
};
struct kv_value { char *p; size_t len; };	/* p is NUL-terminated */
struct kv_slot { struct kv_value *v; unsigned n; };	/* n == 0: absent */
struct kv_form {
	const struct kv_decl	*decls;
	size_t			 ndecls;
	struct kv_slot		*slots;		/* one per decl, same index */
	enum kv_err		 err;		/* first error */
	char			 errkey[64];	/* the key that caused it (truncated, made printable), "" if none */
};
/* Parse application/x-www-form-urlencoded (also query strings): '&' separated, '+' is space, %XX escapes.
 * Keys are decoded too. Empty pairs ("a=1&&b=2") are skipped; a key without '=' has the empty value.
 * maxpairs bounds the number of pairs (known or unknown) — e.g. 256. Returns 0 or -1 (then f->err, f->errkey).
 * f is initialised by the call; free with kv_free even after failure. Values owned by f.
 * in may be NULL when len is 0. */
int  kv_parse_urlencoded(struct kv_form *f, const struct kv_decl *decls, size_t ndecls,
			 const char *in, size_t len, size_t maxpairs);
/* Parse a Cookie header: "a=1; b=2". No percent-decoding (our cookies are base64url tokens). Cookies the
 * program does not declare are ignored; a repeated declared cookie is KV_REPEATED.
 * Spaces and tabs around names and values are dropped.  A cookie without '=' has an empty name (as
 * browsers send it), so it matches no declaration.  header NULL is the same as "". */
int  kv_parse_cookies(struct kv_form *f, const struct kv_decl *decls, size_t ndecls,
		      const char *header, size_t maxpairs);
/* The first value of decl index i, or NULL when absent (or i out of range, or after a failed parse). */
const struct kv_value *kv_get(const struct kv_form *f, size_t i);
/* Wipe (seal_wipe) and free all values. */
void kv_free(struct kv_form *f);
const char *kv_strerror(enum kv_err err);	/* short English reason for logs and admins */
/* Pure validators to use in declarations: */
int kv_valid_b64url(const char *v, size_t len);	/* [A-Za-z0-9_-]+ */
int kv_valid_digits(const char *v, size_t len);	/* [0-9]+ */
int kv_valid_token(const char *v, size_t len);	/* [a-z0-9_-]+ (ids, action names) */

#endif
