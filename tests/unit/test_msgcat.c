/*
 * Unit tests for lib/msgcat.c: .mo files built here byte by byte (both byte
 * orders, every table and string out of place), and one msgfmt wrote.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msgcat.h"
#include "mo_build.h"
#include "t.h"

static const struct pair good[] = {
	{ "", HEADER }, { "a.empty", "" }, { "form.send", "送信する" }, { "lang.name", "日本語" },
};

static struct msgcat *
load(const struct buf *b, struct buf *err)
{
	buf_reset(err);
	return msgcat_load_mem("t.mo", b->data, b->len, err);
}

static void
lookups_both_byte_orders(void)
{
	struct msgcat	*c;
	struct buf	 mo, err;
	int		 big;

	buf_init(&err);
	for (big = 0; big < 2; big++) {
		mo_build(good, 4, big, &mo);
		T_CHECK((c = load(&mo, &err)) != NULL);
		T_STREQ(msgcat_get(c, "form.send"), "送信する");
		T_STREQ(msgcat_get(c, "lang.name"), "日本語");
		T_CHECK(msgcat_get(c, "a.empty") == NULL);	/* an empty msgstr: untranslated */
		T_CHECK(msgcat_get(c, "") == NULL);		/* the header is not a message */
		T_CHECK(msgcat_get(c, "form.sen") == NULL);
		T_CHECK(msgcat_get(c, "zzz") == NULL);
		T_CHECK(msgcat_count(c) == 2);
		T_STREQ(msgcat_id(c, 0), "form.send");
		T_CHECK(msgcat_id(c, 2) == NULL);
		msgcat_free(c);
		buf_free(&mo);
	}
	buf_free(&err);
}

/* Load mo and expect a refusal whose message holds want. */
static int
refused(const struct buf *mo, const char *want)
{
	struct buf	 err;
	struct msgcat	*c;
	int		 ok;

	buf_init(&err);
	c = load(mo, &err);
	ok = c == NULL && strstr(buf_cstr(&err), want) != NULL && strncmp(buf_cstr(&err), "t.mo: ", 6) == 0;
	if (!ok)
		printf("#   got: %s", c != NULL ? "a catalogue\n" : buf_cstr(&err));
	msgcat_free(c);
	buf_free(&err);
	return ok;
}

static void
bad_header_fields(void)
{
	struct buf	 mo, err;
	struct msgcat	*c;

	mo_build(good, 4, 0, &mo);
	put32(&mo, 0, 0x950412df, 0);
	T_CHECK(refused(&mo, "magic"));
	put32(&mo, 0, 0x950412de, 0);
	put32(&mo, 4, 2u << 16, 0);
	T_CHECK(refused(&mo, "revision"));
	put32(&mo, 4, 1u << 16 | 7, 0);		/* revision 1.7: read */
	buf_init(&err);
	T_CHECK((c = load(&mo, &err)) != NULL);
	msgcat_free(c);
	buf_free(&err);
	put32(&mo, 4, 0, 0);
	put32(&mo, 8, 0x10000000, 0);
	T_CHECK(refused(&mo, "tables outside"));
	put32(&mo, 8, 0, 0);
	T_CHECK(refused(&mo, "tables outside"));
	put32(&mo, 8, 4, 0);
	put32(&mo, 12, (uint32_t)mo.len - 16, 0);
	T_CHECK(refused(&mo, "tables outside"));
	put32(&mo, 12, 0xfffffff8u, 0);
	T_CHECK(refused(&mo, "tables outside"));
	put32(&mo, 12, 28, 0);
	put32(&mo, 16, (uint32_t)mo.len, 0);
	T_CHECK(refused(&mo, "tables outside"));
	buf_free(&mo);
	mo.data = (char *)"\xde\x12\x04\x95";
	mo.len = 4;
	T_CHECK(refused(&mo, "too short"));
}

static void
bad_strings(void)
{
	struct buf	mo;
	size_t		desc = 28 + 8 * 2;	/* "form.send"'s id */

	mo_build(good, 4, 1, &mo);
	put32(&mo, desc + 4, (uint32_t)mo.len, 1);
	T_CHECK(refused(&mo, "outside the file"));
	put32(&mo, desc + 4, (uint32_t)mo.len - 4, 1);
	put32(&mo, desc, 4, 1);			/* runs into the end of the file */
	T_CHECK(refused(&mo, "outside the file"));
	put32(&mo, desc, 0xffffffffu, 1);
	T_CHECK(refused(&mo, "outside the file"));
	buf_free(&mo);
	mo_build(good, 4, 1, &mo);
	put32(&mo, desc, 8, 1);			/* one short: no NUL where the length ends */
	T_CHECK(refused(&mo, "outside the file"));
	buf_free(&mo);
}

static void
plural_forms_refused(void)
{
	static const struct pair m[] = { { "", HEADER }, { "a", "one" }, { "b", "two" } };
	struct buf	mo;

	mo_build(m, 3, 0, &mo);
	/* a's text spans "one\0two", as msgfmt writes a plural's forms */
	put32(&mo, 28 + 24 + 8, 7, 0);
	T_CHECK(refused(&mo, "plural"));
	buf_free(&mo);
}

static void
bad_utf8_refused(void)
{
	static const struct pair m[] = { { "", HEADER }, { "a", "\xe9t\xe9" } };
	static const struct pair id[] = { { "", HEADER }, { "\xc0\xaf", "x" } };
	struct buf	mo;

	mo_build(m, 2, 0, &mo);
	T_CHECK(refused(&mo, "not UTF-8"));
	buf_free(&mo);
	mo_build(id, 2, 0, &mo);
	T_CHECK(refused(&mo, "not UTF-8"));
	buf_free(&mo);
}

static void
order_and_header_checked(void)
{
	static const struct pair unsorted[] = { { "", HEADER }, { "b", "x" }, { "a", "y" } };
	static const struct pair twice[] = { { "", HEADER }, { "a", "x" }, { "a", "y" } };
	static const struct pair latin1[] = { { "", "Content-Type: text/plain; charset=ISO-8859-1\n" },
		{ "a", "x" } };
	static const struct pair none[] = { { "a", "x" } };
	struct buf	mo;

	mo_build(unsorted, 3, 0, &mo);
	T_CHECK(refused(&mo, "ascending"));
	buf_free(&mo);
	mo_build(twice, 3, 0, &mo);
	T_CHECK(refused(&mo, "ascending"));
	buf_free(&mo);
	mo_build(latin1, 2, 0, &mo);
	T_CHECK(refused(&mo, "charset=UTF-8"));
	buf_free(&mo);
	mo_build(none, 1, 0, &mo);
	T_CHECK(refused(&mo, "charset=UTF-8"));
	buf_free(&mo);
}

static void
size_limit(void)
{
	struct buf	 err;

	buf_init(&err);
	T_CHECK(msgcat_load_mem("t.mo", "", MSGCAT_MAX_SIZE + 1, &err) == NULL);
	T_CHECK(strstr(buf_cstr(&err), "4 MiB") != NULL);
	buf_free(&err);
}

/* The catalogue msgfmt compiled from po/ja.po: this reader reads what the build writes. */
static void
msgfmt_output(void)
{
	char		 path[4096];
	struct buf	 err;
	struct msgcat	*c;

	T_CHECK(t_locale_dir(path, sizeof(path) - 8) == 0);
	strcat(path, "/ja.mo");
	buf_init(&err);
	c = msgcat_load_file(path, &err);
	T_STREQ(buf_cstr(&err), "");
	T_CHECK(c != NULL);
	T_STREQ(msgcat_get(c, "date.wd.5"), "金");
	T_CHECK(msgcat_count(c) > 20);
	msgcat_free(c);
	T_CHECK(msgcat_load_file("/nonexistent/ja.mo", &err) == NULL);
	T_CHECK(strstr(buf_cstr(&err), "/nonexistent/ja.mo: cannot open") != NULL);
	T_CHECK(msgcat_load_file("/proc/self", &err) == NULL);
	buf_free(&err);
}

int
main(void)
{
	T_RUN(lookups_both_byte_orders);
	T_RUN(bad_header_fields);
	T_RUN(bad_strings);
	T_RUN(plural_forms_refused);
	T_RUN(bad_utf8_refused);
	T_RUN(order_and_header_checked);
	T_RUN(size_limit);
	T_RUN(msgfmt_output);
	return T_DONE();
}
