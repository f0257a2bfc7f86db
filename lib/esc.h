/*
 * esc: the escaping writers, one per output context.  Every value that ends
 * up in a page or a mail goes through one of these; there is no other path
 * to output.
 *
 * All are pure: they append to out (the caller owns it) and return 0, or -1
 * when out could not grow (or s is NULL with n > 0); on failure out may hold
 * a partial append, and out->oom is set.
 *
 * Input is meant to be valid UTF-8 (it was validated where it came in), but
 * anything is accepted: an invalid sequence is written as U+FFFD, so the
 * output is always valid UTF-8.  C0 controls other than TAB, LF (and CR in
 * HTML) and DEL are dropped: they are never legitimate in our values, and
 * they are parse errors in HTML.
 */
#ifndef ESC_H
#define ESC_H

#include <stddef.h>

#include "buf.h"

/* & < > " ' -> entities: safe in element text and in quoted attributes. */
int	esc_html_text(struct buf *out, const char *s, size_t n);
/* The same, plus ` and =: for double-quoted attribute values. */
int	esc_html_attr(struct buf *out, const char *s, size_t n);
/* Percent-encode (upper-case hex) every byte but RFC 3986 unreserved. */
int	esc_url_component(struct buf *out, const char *s, size_t n);
/* text/plain mail bodies: copied as is, minus C0 controls but LF/TAB, and DEL. */
int	esc_text_plain(struct buf *out, const char *s, size_t n);

#endif
