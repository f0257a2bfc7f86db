/*
 * esc: each writer on every character it treats specially, on empty and
 * multibyte input, on markup-breaking input, and on bytes that are not
 * UTF-8 (which must come out as U+FFFD, never as invalid UTF-8).
 */
#include <stdint.h>
#include <string.h>
#include <unistr.h>

#include "esc.h"
#include "t.h"

typedef int (*esc_fn)(struct buf *, const char *, size_t);

static struct buf out;

/* Run one writer on n bytes of s into a fresh buffer. */
static const char *
run(esc_fn f, const char *s, size_t n)
{
	buf_free(&out);
	buf_init(&out);
	if (f(&out, s, n) == -1)
		return "(failed)";
	return buf_cstr(&out);
}

#define RUN(f, s) run((f), (s), strlen(s))

static int
valid_utf8(void)
{
	return u8_check((const uint8_t *)buf_cstr(&out), out.len) == NULL;
}

static void
html_text_specials(void)
{
	T_STREQ(RUN(esc_html_text, "&<>\"'"), "&amp;&lt;&gt;&quot;&#39;");
	T_STREQ(RUN(esc_html_text, "a&b"), "a&amp;b");
	T_STREQ(RUN(esc_html_text, "`="), "`=");
}

static void
html_text_empty(void)
{
	T_STREQ(RUN(esc_html_text, ""), "");
	T_STREQ(run(esc_html_text, NULL, 0), "");
	T_STREQ(run(esc_html_text, NULL, 1), "(failed)");
}

static void
html_text_multibyte_unchanged(void)
{
	const char *s = "新宿区 電子申請　ｼﾝｼﾞｭｸ〒160-8484 🏯";

	T_STREQ(RUN(esc_html_text, s), s);
}

static void
html_text_script(void)
{
	T_STREQ(RUN(esc_html_text, "\"><script>alert(1)</script>"),
	    "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
}

static void
html_text_appends(void)
{
	buf_free(&out);
	buf_init(&out);
	T_CHECK(buf_puts(&out, "<p>") == 0);
	T_CHECK(esc_html_text(&out, "a<b", 3) == 0);
	T_CHECK(buf_puts(&out, "</p>") == 0);
	T_STREQ(buf_cstr(&out), "<p>a&lt;b</p>");
}

static void
html_text_controls(void)
{
	T_STREQ(run(esc_html_text, "a\0b\x01\x1b\x7f" "c\t\r\nd", 11), "abc\t\r\nd");
}

static void
html_text_invalid_utf8(void)
{
	T_STREQ(RUN(esc_html_text, "a\xff<"), "a\xEF\xBF\xBD&lt;");
	T_CHECK(valid_utf8());
	/* Truncated sequence at the end, overlong '/', encoded surrogate. */
	T_STREQ(RUN(esc_html_text, "\xE6\x96"), "\xEF\xBF\xBD");
	RUN(esc_html_text, "\xC0\xAF|\xED\xA0\x80|\xF4\x90\x80\x80");
	T_CHECK(strchr(buf_cstr(&out), '|') != NULL);
	T_CHECK(valid_utf8());
}

static void
html_text_oom(void)
{
	buf_free(&out);
	buf_init(&out);
	out.limit = 4;
	T_CHECK(esc_html_text(&out, "<<<", 3) == -1);
	T_CHECK(out.oom);
}

static void
html_attr_specials(void)
{
	T_STREQ(RUN(esc_html_attr, "&<>\"'`="), "&amp;&lt;&gt;&quot;&#39;&#96;&#61;");
}

static void
html_attr_script(void)
{
	T_STREQ(RUN(esc_html_attr, "\"><script>"), "&quot;&gt;&lt;script&gt;");
	T_STREQ(RUN(esc_html_attr, "x onmouseover=alert(1)"),
	    "x onmouseover&#61;alert(1)");
}

static void
html_attr_empty_and_multibyte(void)
{
	T_STREQ(RUN(esc_html_attr, ""), "");
	T_STREQ(RUN(esc_html_attr, "山田　花子"), "山田　花子");
}

static void
url_reserved(void)
{
	T_STREQ(RUN(esc_url_component, "a b/c?d#e"), "a%20b%2Fc%3Fd%23e");
	T_STREQ(RUN(esc_url_component, "&=+%\"<'"), "%26%3D%2B%25%22%3C%27");
}

static void
url_unreserved_unchanged(void)
{
	const char *s = "AZaz09-._~";

	T_STREQ(RUN(esc_url_component, s), s);
}

static void
url_japanese(void)
{
	T_STREQ(RUN(esc_url_component, "新宿"), "%E6%96%B0%E5%AE%BF");
}

static void
url_empty(void)
{
	T_STREQ(RUN(esc_url_component, ""), "");
	T_STREQ(run(esc_url_component, NULL, 0), "");
}

static void
url_invalid_utf8(void)
{
	T_STREQ(RUN(esc_url_component, "\xFF" "a"), "%EF%BF%BDa");
	T_STREQ(run(esc_url_component, "\0", 1), "%00");
}

static void
plain_copies_markup(void)
{
	T_STREQ(RUN(esc_text_plain, "<b>&\"'`=</b>"), "<b>&\"'`=</b>");
}

static void
plain_drops_controls(void)
{
	T_STREQ(run(esc_text_plain, "a\0b\x01\x1b[31m\x7f\r\n\tc", 14),
	    "ab[31m\n\tc");
}

static void
plain_multibyte_and_empty(void)
{
	T_STREQ(RUN(esc_text_plain, "受付番号：R-0001"), "受付番号：R-0001");
	T_STREQ(RUN(esc_text_plain, ""), "");
	T_STREQ(RUN(esc_text_plain, "\xE3\x81"), "\xEF\xBF\xBD");
}

int
main(void)
{
	buf_init(&out);
	T_RUN(html_text_specials);
	T_RUN(html_text_empty);
	T_RUN(html_text_multibyte_unchanged);
	T_RUN(html_text_script);
	T_RUN(html_text_appends);
	T_RUN(html_text_controls);
	T_RUN(html_text_invalid_utf8);
	T_RUN(html_text_oom);
	T_RUN(html_attr_specials);
	T_RUN(html_attr_script);
	T_RUN(html_attr_empty_and_multibyte);
	T_RUN(url_reserved);
	T_RUN(url_unreserved_unchanged);
	T_RUN(url_japanese);
	T_RUN(url_empty);
	T_RUN(url_invalid_utf8);
	T_RUN(plain_copies_markup);
	T_RUN(plain_drops_controls);
	T_RUN(plain_multibyte_and_empty);
	buf_free(&out);
	return T_DONE();
}
