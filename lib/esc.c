#include "esc.h"

#include <stdint.h>
#include <string.h>
#include <unistr.h>

/*
 * Each writer decodes with libunistring and asks a per-context map what to
 * do with one character: NULL copies its bytes, "" drops it, anything else
 * replaces it.  Runs of copied bytes go out in one buf_put.
 */
typedef const char *(*esc_map)(ucs4_t c);

static const char repl[] = "\xEF\xBF\xBD";	/* U+FFFD in UTF-8 */

static int
is_dropped(ucs4_t c, int keep_cr)
{
	if (c == '\t' || c == '\n' || (keep_cr && c == '\r'))
		return 0;
	return c < 0x20 || c == 0x7F;
}

static const char *
map_text(ucs4_t c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return is_dropped(c, 1) ? "" : NULL;
	}
}

static const char *
map_attr(ucs4_t c)
{
	switch (c) {
	case '`':
		return "&#96;";
	case '=':
		return "&#61;";
	default:
		return map_text(c);
	}
}

static const char *
map_plain(ucs4_t c)
{
	return is_dropped(c, 0) ? "" : NULL;
}

static int
esc_walk(struct buf *out, const char *s, size_t n, esc_map map)
{
	const uint8_t	*p = (const uint8_t *)s;
	const char	*rep;
	size_t		 i = 0, run = 0;
	ucs4_t		 c;
	int		 len;

	if (s == NULL)
		return n == 0 ? 0 : -1;
	while (i < n) {
		/* Invalid input decodes as U+FFFD over its maximal bad prefix. */
		len = u8_mbtouc(&c, p + i, n - i);
		rep = c == 0xFFFD ? repl : map(c);
		if (rep != NULL) {
			if (buf_put(out, s + run, i - run) == -1 ||
			    buf_puts(out, rep) == -1)
				return -1;
			run = i + (size_t)len;
		}
		i += (size_t)len;
	}
	return buf_put(out, s + run, n - run);
}

int
esc_html_text(struct buf *out, const char *s, size_t n)
{
	return esc_walk(out, s, n, map_text);
}

int
esc_html_attr(struct buf *out, const char *s, size_t n)
{
	return esc_walk(out, s, n, map_attr);
}

int
esc_text_plain(struct buf *out, const char *s, size_t n)
{
	return esc_walk(out, s, n, map_plain);
}

static int
is_unreserved(ucs4_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
put_pct(struct buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char		  e[3];
	size_t		  i;

	e[0] = '%';
	for (i = 0; i < n; i++) {
		e[1] = hex[p[i] >> 4];
		e[2] = hex[p[i] & 0x0F];
		if (buf_put(out, e, sizeof(e)) == -1)
			return -1;
	}
	return 0;
}

int
esc_url_component(struct buf *out, const char *s, size_t n)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i = 0;
	ucs4_t		 c;
	int		 len, rc;

	if (s == NULL)
		return n == 0 ? 0 : -1;
	while (i < n) {
		len = u8_mbtouc(&c, p + i, n - i);
		if (c == 0xFFFD)
			rc = put_pct(out, (const uint8_t *)repl, sizeof(repl) - 1);
		else if (is_unreserved(c))
			rc = buf_putc(out, (int)c);
		else
			rc = put_pct(out, p + i, (size_t)len);
		if (rc == -1)
			return -1;
		i += (size_t)len;
	}
	return 0;
}
