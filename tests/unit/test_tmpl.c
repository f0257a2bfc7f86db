/*
 * tmpl: values (set, replace, lists), rendering (escaping, |url, lists with
 * outer lookup, conditionals, partials, comments, .txt), every load error
 * with its line, render errors, and the real templates/ layout partials.
 * Run from the repository root (as make does): fixtures are found at
 * tests/unit/tmpl_fixtures/ and the real templates at templates/.
 * Dummy data only.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "lang.h"
#include "mo_build.h"
#include "tmpl.h"
#include "t.h"

#define FIX	"tests/unit/tmpl_fixtures/"

static struct buf out, err;

/* Load text as one template named name and render it with v. */
static const char *
render_mem(const char *name, const char *text, const struct tvars *v)
{
	struct tset	*s;
	int		 rc;

	buf_reset(&out);
	buf_reset(&err);
	if ((s = tset_load_mem(name, text, strlen(text), &err)) == NULL)
		return "(load failed)";
	rc = tset_render(s, name, v, &out, &err);
	tset_free(s);
	return rc == 0 ? buf_cstr(&out) : "(render failed)";
}

#define HTML(text, v)	render_mem("t.html", (text), (v))

/* The error text from loading text as t.html ("" if it loaded). */
static const char *
load_error(const char *name, const char *text)
{
	struct tset *s;

	buf_reset(&err);
	s = tset_load_mem(name, text, strlen(text), &err);
	if (s != NULL) {
		tset_free(s);
		return "(loaded)";
	}
	return buf_cstr(&err);
}

#define LOAD_ERROR(text)	load_error("t.html", (text))

/* Whether the n bytes at p hold needle anywhere (memmem is not in C11). */
static int
contains(const char *p, size_t n, const char *needle)
{
	size_t i, k = strlen(needle);

	for (i = 0; p != NULL && i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return 1;
	return 0;
}

/* An event handler attribute: " on" letters "=". */
static int
has_handler(const char *line)
{
	const char *p = line;

	while ((p = strstr(p, " on")) != NULL) {
		p += 3;
		while (*p >= 'a' && *p <= 'z')
			p++;
		if (*p == '=')
			return 1;
	}
	return 0;
}

static void
tvars_set_and_replace(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "name", "新宿 太郎") == 0);
	T_STREQ(HTML("<p>{{name}}</p>", v), "<p>新宿 太郎</p>");
	T_CHECK(tvars_set(v, "name", "新宿 花子") == 0);
	T_STREQ(HTML("<p>{{name}}</p>", v), "<p>新宿 花子</p>");
	tvars_free(v);
}

static void
tvars_setn_and_setf(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_setn(v, "a", "abcdef", 3) == 0);
	T_CHECK(tvars_setf(v, "b", "%d件", 42) == 0);
	T_CHECK(tvars_setf(v, "c", "%s", "") == 0);
	T_STREQ(HTML("{{a}}/{{b}}/{{c}}", v), "abc/42件/");
	tvars_free(v);
}

static void
tvars_bad_keys(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "", "x") == -1);
	T_CHECK(tvars_set(v, "a b", "x") == -1);
	T_CHECK(tvars_set(v, "a}}", "x") == -1);
	T_CHECK(tvars_set(v, "a", NULL) == -1);
	T_CHECK(tvars_set(NULL, "a", "x") == -1);
	T_CHECK(tvars_add(v, "a|url") == NULL);
	T_CHECK(tvars_set(v, "ok_key-1.x", "x") == 0);
	tvars_free(v);
	tvars_free(NULL);
}

static void
tvars_list(void)
{
	struct tvars *v = tvars_new(), *c;

	T_CHECK(v != NULL);
	T_CHECK((c = tvars_add(v, "rows")) != NULL);
	T_CHECK(tvars_set(c, "n", "1") == 0);
	T_CHECK((c = tvars_add(v, "rows")) != NULL);
	T_CHECK(tvars_set(c, "n", "2") == 0);
	T_STREQ(HTML("{{#rows}}[{{n}}]{{/rows}}", v), "[1][2]");
	tvars_free(v);
}

static void
tvars_list_and_string_replace(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "x", "s") == 0);
	T_CHECK(tvars_add(v, "x") != NULL);	/* the string becomes a list */
	T_STREQ(HTML("{{#x}}item{{/x}}", v), "item");
	T_CHECK(tvars_set(v, "x", "back") == 0);	/* and back */
	T_STREQ(HTML("{{x}}", v), "back");
	tvars_free(v);
}

static void
render_plain_value(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "a", "値") == 0);
	T_STREQ(HTML("前{{a}}後\n", v), "前値後\n");
	T_STREQ(HTML("no tags } { }}", v), "no tags } { }}");
	T_STREQ(HTML("", v), "");
	tvars_free(v);
}

static void
render_escapes_values(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "a", "\"><script>alert('x')</script>&") == 0);
	T_STREQ(HTML("<input value=\"{{a}}\">", v),
	    "<input value=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)"
	    "&lt;/script&gt;&amp;\">");
	T_CHECK(tvars_set(v, "a", "{{a}}") == 0);	/* values are not templates */
	T_STREQ(HTML("{{a}}", v), "{{a}}");
	tvars_free(v);
}

static void
render_url(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "q", "a b/?#&\"<新") == 0);
	T_STREQ(HTML("<a href=\"/s?q={{q|url}}\">", v),
	    "<a href=\"/s?q=a%20b%2F%3F%23%26%22%3C%E6%96%B0\">");
	tvars_free(v);
}

static void
render_list_outer_lookup(void)
{
	struct tvars *v = tvars_new(), *c;

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "unit", "人") == 0);
	T_CHECK(tvars_set(v, "n", "outer") == 0);
	T_CHECK((c = tvars_add(v, "rows")) != NULL);
	T_CHECK(tvars_set(c, "n", "3") == 0);
	T_CHECK((c = tvars_add(v, "rows")) != NULL);	/* no n: found outside */
	T_STREQ(HTML("{{#rows}}{{n}}{{unit}};{{/rows}}{{n}}", v),
	    "3人;outer人;outer");
	tvars_free(v);
}

static void
render_nested_lists(void)
{
	struct tvars *v = tvars_new(), *g, *c;

	T_CHECK(v != NULL);
	T_CHECK((g = tvars_add(v, "groups")) != NULL);
	T_CHECK(tvars_set(g, "g", "A") == 0);
	T_CHECK((c = tvars_add(g, "items")) != NULL);
	T_CHECK(tvars_set(c, "i", "1") == 0);
	T_CHECK((c = tvars_add(g, "items")) != NULL);
	T_CHECK(tvars_set(c, "i", "2") == 0);
	T_CHECK((g = tvars_add(v, "groups")) != NULL);
	T_CHECK(tvars_set(g, "g", "B") == 0);
	T_STREQ(HTML("{{#groups}}{{g}}:{{#items}}{{g}}{{i}},{{/items}}|{{/groups}}", v),
	    "A:A1,A2,|B:|");
	tvars_free(v);
}

static void
render_absent_list(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_STREQ(HTML("a{{#rows}}{{nope}}{{/rows}}b", v), "ab");
	T_STREQ(HTML("a{{#rows}}x{{/rows}}b", NULL), "ab");
	tvars_free(v);
}

static void
render_if_string(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "full", "x") == 0);
	T_CHECK(tvars_set(v, "empty", "") == 0);
	T_STREQ(HTML("{{?full}}F{{/full}}{{?empty}}E{{/empty}}{{?unset}}U{{/unset}}", v),
	    "F");
	T_STREQ(HTML("{{^full}}F{{/full}}{{^empty}}E{{/empty}}{{^unset}}U{{/unset}}", v),
	    "EU");
	tvars_free(v);
}

static void
render_if_list(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_STREQ(HTML("{{?rows}}some{{/rows}}{{^rows}}none{{/rows}}", v), "none");
	T_CHECK(tvars_add(v, "rows") != NULL);
	T_STREQ(HTML("{{?rows}}some{{/rows}}{{^rows}}none{{/rows}}", v), "some");
	tvars_free(v);
}

static void
render_if_inside_list(void)
{
	struct tvars *v = tvars_new(), *c;

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "err", "outer") == 0);
	T_CHECK((c = tvars_add(v, "f")) != NULL);
	T_CHECK(tvars_set(c, "err", "") == 0);		/* child wins, even empty */
	T_CHECK((c = tvars_add(v, "f")) != NULL);
	T_STREQ(HTML("{{#f}}[{{?err}}E{{/err}}]{{/f}}", v), "[][E]");
	tvars_free(v);
}

static void
render_comment(void)
{
	T_STREQ(HTML("a{{! a comment, with {{ and spaces }}b", NULL), "ab");
	T_STREQ(HTML("a{{!\nmulti\nline\n}}b{{c}}", NULL), "(render failed)");
	T_STREQ(buf_cstr(&err), "t.html:4: {{c}}: not set\n");
}

static void
render_standalone_lines(void)
{
	struct tvars	*v = tvars_new();
	const char	*t = "a\n  {{?x}}  \nin\n{{/x}}\n{{! note }}\nz {{?x}}X{{/x}}\n";

	T_CHECK(v != NULL);
	T_STREQ(render_mem("t.txt", t, v), "a\nz \n");
	T_CHECK(tvars_set(v, "x", "1") == 0);
	T_STREQ(render_mem("t.txt", t, v), "a\nin\nz X\n");
	T_STREQ(render_mem("t.txt", "{{?x}}\r\nA\r\n{{/x}}", v), "A\r\n");
	tvars_free(v);
}

static void
render_txt_not_escaped(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "a", "<b>&\"'\x01\x1b[0m\x7f\r\n\tz") == 0);
	T_CHECK(tvars_set(v, "q", "a b") == 0);
	T_STREQ(render_mem("m.txt", "{{a}}|{{q|url}}", v), "<b>&\"'[0m\n\tz|a%20b");
	tvars_free(v);
}

static void
render_partials(void)
{
	struct tset	*s;
	struct tvars	*v = tvars_new();

	T_CHECK(v != NULL);
	buf_reset(&err);
	T_CHECK((s = tset_load(FIX "good", &err)) != NULL);
	T_CHECK(tset_has(s, "page.html") && tset_has(s, "_part.html") &&
	    tset_has(s, "mail.txt") && !tset_has(s, "nope.html"));
	T_CHECK(tvars_set(v, "title", "T&") == 0);
	T_CHECK(tvars_set(v, "name", "<新宿>") == 0);
	buf_reset(&out);
	T_CHECK(tset_render(s, "page.html", v, &out, &err) == 0);
	T_STREQ(buf_cstr(&out),
	    "<h1>T&amp;</h1>\n<p class=\"part\">&lt;新宿&gt;</p>\n\n<p>end</p>\n");
	buf_reset(&out);
	T_CHECK(tset_render(s, "mail.txt", v, &out, &err) == 0);
	T_STREQ(buf_cstr(&out), "<新宿> 様\n\n-- \n新宿区（テスト）\n");
	T_CHECK(tvars_set(v, "note", "午前希望") == 0);
	buf_reset(&out);
	T_CHECK(tset_render(s, "mail.txt", v, &out, &err) == 0);
	T_STREQ(buf_cstr(&out), "<新宿> 様\n\n備考：午前希望\n-- \n新宿区（テスト）\n");
	tset_free(s);
	tvars_free(v);
}

static void
render_missing_variable(void)
{
	struct tset	*s;
	struct tvars	*v = tvars_new();
	const char	*t = "<p>{{a}}</p>\n<p>{{b|url}}</p>";

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "a", "個人の値") == 0);
	buf_reset(&err);
	T_CHECK((s = tset_load_mem("x.html", t, strlen(t), &err)) != NULL);
	buf_reset(&out);
	T_CHECK(buf_puts(&out, "kept") == 0);
	T_CHECK(tset_render(s, "x.html", v, &out, &err) == -1);
	T_STREQ(buf_cstr(&err), "x.html:2: {{b|url}}: not set\n");
	T_STREQ(buf_cstr(&out), "kept");	/* the half page is gone */
	T_CHECK(out.len == 4);
	T_CHECK(!contains(out.data, out.cap, "個人"));
	tset_free(s);
	tvars_free(v);
}

static void
render_type_errors(void)
{
	struct tvars *v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "s", "x") == 0);
	T_CHECK(tvars_add(v, "l") != NULL);
	T_STREQ(HTML("{{l}}", v), "(render failed)");
	T_STREQ(buf_cstr(&err), "t.html:1: {{l}}: is a list, not a string\n");
	T_STREQ(HTML("\n{{#s}}{{/s}}", v), "(render failed)");
	T_STREQ(buf_cstr(&err), "t.html:2: {{#s}}: is a string, not a list\n");
	tvars_free(v);
}

static void
render_unknown_template(void)
{
	struct tset *s;

	buf_reset(&err);
	T_CHECK((s = tset_load_mem("a.html", "x", 1, &err)) != NULL);
	buf_reset(&out);
	T_CHECK(tset_render(s, "b.html", NULL, &out, &err) == -1);
	T_STREQ(buf_cstr(&err), "b.html: no such template\n");
	tset_free(s);
}

static void
render_output_limit(void)
{
	struct tset	*s;
	struct tvars	*v = tvars_new();

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "a", "<<<<<<<<<<") == 0);
	buf_reset(&err);
	T_CHECK((s = tset_load_mem("a.html", "{{a}}", 5, &err)) != NULL);
	buf_reset(&out);
	out.limit = 20;
	T_CHECK(tset_render(s, "a.html", v, &out, &err) == -1);
	out.limit = 0;
	T_CHECK(out.len == 0 && !out.oom);
	T_STREQ(buf_cstr(&err), "a.html: output too large or out of memory\n");
	tset_free(s);
	tvars_free(v);
}

/* ---- tpage: a page rendered once with one variable left open ---- */

/* Load text as t.html, render it once with hole left open, then fill the hole with val. */
static const char *
page_mem(const char *text, const struct tvars *v, const char *hole, const char *val)
{
	struct tset	*s;
	struct tpage	*pg;
	int		 rc = -1;

	buf_reset(&out);
	buf_reset(&err);
	if ((s = tset_load_mem("t.html", text, strlen(text), &err)) == NULL)
		return "(load failed)";
	if ((pg = tpage_render(s, "t.html", v, NULL, hole, &err)) != NULL)
		rc = tpage_fill(pg, val, strlen(val), &out);
	tpage_free(pg);
	tset_free(s);
	return pg == NULL ? "(render failed)" : rc == 0 ? buf_cstr(&out) : "(fill failed)";
}

/* Filled, the page is what a whole render with the hole set to that value gives. */
static void
page_same_as_render(void)
{
	static const char *text = "<p>{{tok}}</p>{{?tok}}<input value=\"{{tok}}\">{{/tok}}"
	    "<a href=\"/x?t={{tok|url}}\">{{#rows}}[{{tok}}:{{n}}]{{/rows}}{{^tok}}none{{/tok}}{{x}}";
	static const char *vals[] = { "abc_-XYZ09", "\"><script>alert('x')</script>&", "新 宿/?#",
	    "a\x01b\xff" };
	struct tvars	*v = tvars_new(), *c;
	char		 whole[1024];
	size_t		 i;

	T_CHECK(v != NULL);
	T_CHECK(tvars_set(v, "x", "<x>") == 0);
	T_CHECK((c = tvars_add(v, "rows")) != NULL && tvars_set(c, "n", "1") == 0);
	/* a child's own tok shadows the hole and is written as usual */
	T_CHECK((c = tvars_add(v, "rows")) != NULL && tvars_set(c, "n", "2") == 0 &&
	    tvars_set(c, "tok", "child<") == 0);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		T_CHECK(tvars_set(v, "tok", vals[i]) == 0);
		snprintf(whole, sizeof(whole), "%s", HTML(text, v));
		T_CHECK(strstr(whole, "[child&lt;:2]") != NULL && strstr(whole, "none") == NULL);
		/* rendered with another value, filled with this one */
		T_CHECK(tvars_set(v, "tok", "placeholder") == 0);
		T_STREQ(page_mem(text, v, "tok", vals[i]), whole);
	}
	tvars_free(v);
}

/* Through partials, and in a .txt template (its own escaping). */
static void
page_partials_and_txt(void)
{
	struct tvars	*v = tvars_new();
	struct tset	*s;
	struct tpage	*pg;
	char		 whole[1024];
	const char	*names[] = { "page.html", "mail.txt" }, *val = "<新宿>&\x02";
	size_t		 i;

	T_CHECK(v != NULL);
	buf_reset(&err);
	T_CHECK((s = tset_load(FIX "good", &err)) != NULL);
	T_CHECK(tvars_set(v, "title", "T&") == 0);
	for (i = 0; i < 2; i++) {
		T_CHECK(tvars_set(v, "name", val) == 0);
		buf_reset(&out);
		T_CHECK(tset_render(s, names[i], v, &out, &err) == 0);
		snprintf(whole, sizeof(whole), "%s", buf_cstr(&out));
		T_CHECK(tvars_set(v, "name", "x") == 0);
		T_CHECK((pg = tpage_render(s, names[i], v, NULL, "name", &err)) != NULL);
		buf_reset(&out);
		T_CHECK(buf_puts(&out, "before|") == 0);
		T_CHECK(tpage_fill(pg, val, strlen(val), &out) == 0);
		tpage_free(pg);
		T_CHECK(strncmp(buf_cstr(&out), "before|", 7) == 0);
		T_STREQ(buf_cstr(&out) + 7, whole);
	}
	T_CHECK(strstr(whole, "<新宿>&") != NULL);	/* .txt: not HTML-escaped, control dropped */
	tset_free(s);
	tvars_free(v);
}

static void
page_errors(void)
{
	struct tvars	*v = tvars_new();
	struct tset	*s;
	struct tpage	*pg;

	T_CHECK(v != NULL);
	/* the hole must be set, as a string, at the top level */
	T_STREQ(page_mem("{{tok}}", v, "tok", "x"), "(render failed)");
	T_STREQ(buf_cstr(&err), "t.html: hole tok: not set as a string\n");
	T_CHECK(tvars_add(v, "tok") != NULL);
	T_STREQ(page_mem("{{tok}}", v, "tok", "x"), "(render failed)");
	T_CHECK(tvars_set(v, "tok", "t") == 0);
	/* the render's own errors, as tset_render reports them */
	T_STREQ(page_mem("{{tok}}\n{{missing}}", v, "tok", "x"), "(render failed)");
	T_STREQ(buf_cstr(&err), "t.html:2: {{missing}}: not set\n");
	T_CHECK(out.len == 0);
	/* a fill that cannot grow out leaves it as it was */
	buf_reset(&err);
	T_CHECK((s = tset_load_mem("a.html", "<<{{tok}}>>", 11, &err)) != NULL);
	T_CHECK((pg = tpage_render(s, "a.html", v, NULL, "tok", &err)) != NULL);
	buf_reset(&out);
	T_CHECK(buf_puts(&out, "kept") == 0);
	out.limit = 10;
	T_CHECK(tpage_fill(pg, "<<<<", 4, &out) == -1);
	out.limit = 0;
	T_STREQ(buf_cstr(&out), "kept");
	T_CHECK(!out.oom);
	T_CHECK(tpage_fill(pg, NULL, 0, &out) == -1);
	T_CHECK(tpage_fill(NULL, "x", 1, &out) == -1);
	T_CHECK(tpage_fill(pg, "&", 1, &out) == 0);
	T_STREQ(buf_cstr(&out), "kept<<&amp;>>");
	tpage_free(pg);
	tpage_free(NULL);
	tset_free(s);
	tvars_free(v);
}

static void
load_error_unbalanced(void)
{
	T_STREQ(LOAD_ERROR("a\n{{#rows}}\nb\n"), "t.html:2: {{#rows}} is never closed\n");
	T_STREQ(LOAD_ERROR("{{?a}}\n{{^b}}{{/b}}"), "t.html:1: {{?a}} is never closed\n");
}

static void
load_error_close_without_open(void)
{
	T_STREQ(LOAD_ERROR("a\n\n{{/rows}}"), "t.html:3: {{/rows}} closes no open section\n");
}

static void
load_error_mismatched_close(void)
{
	T_STREQ(LOAD_ERROR("{{#a}}\n{{?b}}\n{{/a}}\n{{/b}}"),
	    "t.html:3: {{/a}} does not match {{?b}} of line 2\n");
}

static void
load_error_unterminated(void)
{
	T_STREQ(LOAD_ERROR("ok\n<p>{{name</p>\n}}"),
	    "t.html:2: unterminated tag (no }} on this line)\n");
	T_STREQ(LOAD_ERROR("\n\nx{{"), "t.html:3: unterminated tag (no }} on this line)\n");
	T_STREQ(LOAD_ERROR("\n{{! never ends\n}"), "t.html:2: unterminated comment\n");
}

static void
load_error_bad_name(void)
{
	T_STREQ(LOAD_ERROR("\n{{a b}}"), "t.html:2: bad name in {{a b}}\n");
	T_STREQ(LOAD_ERROR("{{#}}{{/}}"), "t.html:1: bad name in {{#}}\n");
	T_STREQ(LOAD_ERROR("{{?a }}{{/a}}"), "t.html:1: bad name in {{?a }}\n");
	T_STREQ(LOAD_ERROR("{{名前}}"), "t.html:1: unknown tag kind in "
	    "{{\\xE5\\x90\\x8D\\xE5\\x89\\x8D}}\n");
	T_STREQ(LOAD_ERROR("{{>a b.html}}"), "t.html:1: bad name in {{>a b.html}}\n");
}

static void
load_error_unknown_tag(void)
{
	T_STREQ(LOAD_ERROR("\n\n{{ a}}"), "t.html:3: unknown tag kind in {{ a}}\n");
	T_STREQ(LOAD_ERROR("{{{a}}}"), "t.html:1: unknown tag kind in {{{a}}\n");
	T_STREQ(LOAD_ERROR("{{&a}}"), "t.html:1: unknown tag kind in {{&a}}\n");
	T_STREQ(LOAD_ERROR("{{}}"), "t.html:1: empty tag {{}}\n");
	T_STREQ(LOAD_ERROR("{{a|raw}}"), "t.html:1: unknown filter in {{a|raw}}\n");
	T_STREQ(LOAD_ERROR("{{a|url|url}}"), "t.html:1: unknown filter in {{a|url|url}}\n");
}

static void
load_error_nesting(void)
{
	struct buf	 t;
	int		 i;

	buf_init(&t);
	for (i = 0; i < 17; i++)
		buf_puts(&t, "{{#a}}");
	T_STREQ(LOAD_ERROR(buf_cstr(&t)), "t.html:1: sections nested more than 16 deep\n");
	buf_free(&t);
}

static void
load_error_utf8(void)
{
	T_STREQ(LOAD_ERROR("ok\n\xE6\x96\n"), "t.html:2: invalid UTF-8\n");
	buf_reset(&err);
	T_CHECK(tset_load_mem("t.html", "a\n\0b", 4, &err) == NULL);
	T_STREQ(buf_cstr(&err), "t.html:2: NUL byte\n");
}

static void
load_error_bad_template_name(void)
{
	T_STREQ(load_error("t.htm", "x"), "t.htm: bad template name (want "
	    "[A-Za-z0-9_.-]+ ending in .html or .txt)\n");
	T_STREQ(load_error("a/t.html", "x"), "a/t.html: bad template name (want "
	    "[A-Za-z0-9_.-]+ ending in .html or .txt)\n");
}

static void
load_error_include_self(void)
{
	T_STREQ(LOAD_ERROR("a\n{{>t.html}}"), "t.html:2: include cycle: t.html -> t.html\n");
}

static void
load_error_include_cycle(void)
{
	buf_reset(&err);
	T_CHECK(tset_load(FIX "cycle", &err) == NULL);
	T_STREQ(buf_cstr(&err), "b.html:3: include cycle: a.html -> b.html -> a.html\n");
}

static void
load_error_include_too_deep(void)
{
	buf_reset(&err);
	T_CHECK(tset_load(FIX "deep", &err) == NULL);
	T_STREQ(buf_cstr(&err), "d8.html:1: includes nested more than 8 deep (from d0.html)\n");
}

static void
load_error_include_missing(void)
{
	buf_reset(&err);
	T_CHECK(tset_load(FIX "missing", &err) == NULL);
	T_STREQ(buf_cstr(&err), "a.html:2: {{>nope.html}}: no such template\n");
	T_STREQ(load_error("m.txt", "{{>x.md}}"), "m.txt:1: {{>x.md}}: not a .html or .txt template\n");
}

static void
load_error_include_other_kind(void)
{
	T_STREQ(LOAD_ERROR("{{>mail.txt}}"),
	    "t.html:1: {{>mail.txt}}: a .html template can only include .html ones\n");
	T_STREQ(load_error("m.txt", "\n{{>p.html}}"),
	    "m.txt:2: {{>p.html}}: a .txt template can only include .txt ones\n");
}

static void
load_error_several_files(void)
{
	buf_reset(&err);
	T_CHECK(tset_load(FIX "several", &err) == NULL);
	T_STREQ(buf_cstr(&err), "x.html:1: {{#a}} is never closed\n"
	    "y.txt:2: bad name in {{b c}}\n");
}

static void
load_error_no_dir(void)
{
	buf_reset(&err);
	T_CHECK(tset_load(FIX "does-not-exist", &err) == NULL);
	T_CHECK(strstr(buf_cstr(&err), FIX "does-not-exist: cannot list: ") == buf_cstr(&err));
}

/* The real layout partials around a small page, in a language: a whole, escaped document. */
static int
render_layout(const struct tset *real, const struct tset *page, const struct tvars *v, const struct lang *l)
{
	buf_reset(&out);
	return tset_render_lang(real, "_head.html", v, l, &out, &err) == 0 &&
	    tset_render_lang(page, "p.html", v, l, &out, &err) == 0 &&
	    tset_render_lang(real, "_foot.html", v, l, &out, &err) == 0 ? 0 : -1;
}

static void
real_layout(void)
{
	struct tset	*real, *page;
	struct tvars	*v = tvars_new();
	struct langset	*langs;
	const char	*body = "<h1>{{title}}</h1>\n<p>{{msg}}</p>\n";
	char		 dir[4096];

	T_CHECK(v != NULL);
	buf_reset(&err);
	real = tset_load("templates", &err);
	T_STREQ(buf_cstr(&err), "");
	T_CHECK(real != NULL);
	T_CHECK(t_locale_dir(dir, sizeof(dir)) == 0 && (langs = langset_load(dir, &err)) != NULL);
	T_CHECK((page = tset_load_mem("p.html", body, strlen(body), &err)) != NULL);
	T_CHECK(tvars_set(v, "title", "テスト<手続>") == 0);
	T_CHECK(tvars_set(v, "msg", "\"><script>x</script>") == 0);
	T_CHECK(tvars_set(v, "lang", "ja") == 0);
	T_CHECK(render_layout(real, page, v, langset_get(langs, "ja")) == 0);
	T_CHECK(strncmp(buf_cstr(&out), "<!DOCTYPE html><html lang=\"ja\">", 31) == 0);
	T_CHECK(strstr(buf_cstr(&out), "<title>テスト&lt;手続&gt; | 新宿区 電子申請</title>"));
	T_CHECK(strstr(buf_cstr(&out), "<meta charset=\"utf-8\">"));
	T_CHECK(strstr(buf_cstr(&out), "width=device-width, initial-scale=1"));
	T_CHECK(strstr(buf_cstr(&out), "href=\"#main\">本文へ移動</a>"));
	T_CHECK(strstr(buf_cstr(&out), "<main id=\"main\" tabindex=\"-1\"") ||
	    strstr(buf_cstr(&out), "<main id=\"main\" class=\"container\" tabindex=\"-1\">"));
	T_CHECK(strstr(buf_cstr(&out), "<p>&quot;&gt;&lt;script&gt;x&lt;/script&gt;</p>"));
	T_CHECK(strstr(buf_cstr(&out), "<script") == NULL);
	T_CHECK(strstr(buf_cstr(&out), "href=\"/status\">申請状況の確認</a>"));
	T_CHECK(strstr(buf_cstr(&out), "</main>"));
	T_CHECK(strstr(buf_cstr(&out), "</html>\n") != NULL);
	T_CHECK(u8_check((const uint8_t *)out.data, out.len) == NULL);
	/* On an error page the title says so first. */
	T_CHECK(tvars_set(v, "page_error", "1") == 0);
	T_CHECK(render_layout(real, page, v, langset_get(langs, "ja")) == 0);
	T_CHECK(strstr(buf_cstr(&out), "<title>エラー：テスト&lt;手続&gt; | 新宿区 電子申請</title>"));
	/* The same page in English, with a link back to Japanese. */
	T_CHECK(tvars_set(v, "lang", "en") == 0 && tvars_set(v, "back", "/f/a b") == 0);
	T_CHECK(tvars_set(tvars_add(v, "langs"), "tag", "ja") == 0);
	T_CHECK(render_layout(real, page, v, langset_get(langs, "en")) == -1);	/* the link needs its name */
	T_STREQ(buf_cstr(&err), "_head.html:15: {{name}}: not set\n");
	buf_reset(&err);
	T_CHECK(tvars_set(v, "name", "日本語") == 0);
	T_CHECK(render_layout(real, page, v, langset_get(langs, "en")) == 0);
	T_CHECK(strncmp(buf_cstr(&out), "<!DOCTYPE html><html lang=\"en\">", 31) == 0);
	T_CHECK(strstr(buf_cstr(&out), "<title>Error: テスト&lt;手続&gt; | Shinjuku City Online Applications</title>"));
	T_CHECK(strstr(buf_cstr(&out), "href=\"#main\">Skip to main content</a>"));
	T_CHECK(strstr(buf_cstr(&out), "<a href=\"/lang?to=ja&amp;back=%2Ff%2Fa%20b\" lang=\"ja\" hreflang=\"ja\">"
	    "日本語</a>"));
	/* Messages need a language. */
	T_CHECK(tset_render(real, "_head.html", v, &out, &err) == -1);
	T_STREQ(buf_cstr(&err), "_head.html:5: {{@page.error_prefix}}: no language to render a message in\n");
	langset_free(langs);
	tset_free(real);
	tset_free(page);
	tvars_free(v);
}

/* {{@id}}: the text escaped like a value, {names} from the scope (escaped), in a page with a hole too. */
static void
messages(void)
{
	static const struct pair ja[] = { { "", HEADER }, { "a", "<A> {x}{y}!" }, { "b", "{tok}" } };
	static const char *const names[] = { "ja.mo" };
	const char	*tpl = "{{#l}}{{@a}}|{{/l}}{{@b}}{{@none}}";
	char		 dir[] = "/tmp/test_tmpl.XXXXXX", path[64];
	struct langset	*langs;
	struct tset	*s;
	struct tvars	*v = tvars_new();
	struct tpage	*pg;

	T_CHECK(mkdtemp(dir) != NULL && mo_write(dir, names[0], ja, 3) == 0);
	langs = langset_load(dir, &err);
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	unlink(path);
	rmdir(dir);
	T_CHECK(langs != NULL);
	T_CHECK((s = tset_load_mem("t.html", tpl, strlen(tpl), &err)) != NULL);
	T_CHECK(tvars_set(v, "x", "&") == 0 && tvars_set(v, "tok", "T") == 0);
	T_CHECK(tvars_set(tvars_add(v, "l"), "y", "1") == 0 && tvars_set(tvars_add(v, "l"), "y", "\"") == 0);
	buf_reset(&out);
	buf_reset(&err);
	T_CHECK(tset_render_lang(s, "t.html", v, langset_at(langs, 0), &out, &err) == 0);
	T_STREQ(buf_cstr(&out), "&lt;A&gt; &amp;1!|&lt;A&gt; &amp;&quot;!|Tnone");	/* an unknown id: itself */
	T_CHECK((pg = tpage_render(s, "t.html", v, langset_at(langs, 0), "tok", &err)) != NULL);
	buf_reset(&out);
	T_CHECK(tpage_fill(pg, "<t>", 3, &out) == 0);
	T_STREQ(buf_cstr(&out), "&lt;A&gt; &amp;1!|&lt;A&gt; &amp;&quot;!|&lt;t&gt;none");
	tpage_free(pg);
	T_CHECK(tvars_set(v, "x", "") == 0);
	T_CHECK(tvars_add(v, "x") != NULL);
	T_CHECK(tset_render_lang(s, "t.html", v, langset_at(langs, 0), &out, &err) == -1);
	T_STREQ(buf_cstr(&err), "t.html:1: {{@a}}: its value {x} is a list\n");
	buf_reset(&err);
	T_CHECK(tset_load_mem("u.html", "{{@a b}}", 8, &err) == NULL);
	T_STREQ(buf_cstr(&err), "u.html:1: bad name in {{@a b}}\n");
	tset_free(s);
	tvars_free(v);
	langset_free(langs);
}

/* The CSP forbids inline script and style: none in any real template. */
static void
real_templates_no_inline(void)
{
	static const char *bad[] = { "<script", "<style", "style=", "javascript:" };
	DIR		*d;
	struct dirent	*e;
	char		 path[512], line[4096];
	FILE		*f;
	size_t		 i, files = 0;
	int		 found = 0, hit;

	T_CHECK((d = opendir("templates")) != NULL);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "templates/%s", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		files++;
		while (fgets(line, sizeof(line), f) != NULL) {
			hit = has_handler(line);
			for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
				if (strstr(line, bad[i]) != NULL)
					hit = 1;
			if (hit)
				printf("# %s: %s", path, line);
			found |= hit;
		}
		fclose(f);
	}
	closedir(d);
	T_CHECK(files >= 2);
	T_CHECK(!found);
}

int
main(void)
{
	buf_init(&out);
	buf_init(&err);
	T_RUN(tvars_set_and_replace);
	T_RUN(tvars_setn_and_setf);
	T_RUN(tvars_bad_keys);
	T_RUN(tvars_list);
	T_RUN(tvars_list_and_string_replace);
	T_RUN(render_plain_value);
	T_RUN(render_escapes_values);
	T_RUN(render_url);
	T_RUN(render_list_outer_lookup);
	T_RUN(render_nested_lists);
	T_RUN(render_absent_list);
	T_RUN(render_if_string);
	T_RUN(render_if_list);
	T_RUN(render_if_inside_list);
	T_RUN(render_comment);
	T_RUN(render_standalone_lines);
	T_RUN(render_txt_not_escaped);
	T_RUN(render_partials);
	T_RUN(render_missing_variable);
	T_RUN(render_type_errors);
	T_RUN(render_unknown_template);
	T_RUN(render_output_limit);
	T_RUN(page_same_as_render);
	T_RUN(page_partials_and_txt);
	T_RUN(page_errors);
	T_RUN(load_error_unbalanced);
	T_RUN(load_error_close_without_open);
	T_RUN(load_error_mismatched_close);
	T_RUN(load_error_unterminated);
	T_RUN(load_error_bad_name);
	T_RUN(load_error_unknown_tag);
	T_RUN(load_error_nesting);
	T_RUN(load_error_utf8);
	T_RUN(load_error_bad_template_name);
	T_RUN(load_error_include_self);
	T_RUN(load_error_include_cycle);
	T_RUN(load_error_include_too_deep);
	T_RUN(load_error_include_missing);
	T_RUN(load_error_include_other_kind);
	T_RUN(load_error_several_files);
	T_RUN(load_error_no_dir);
	T_RUN(real_layout);
	T_RUN(messages);
	T_RUN(real_templates_no_inline);
	buf_wipe(&out);
	buf_free(&err);
	return T_DONE();
}
