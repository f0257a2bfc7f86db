/*
 * Unit tests for lib/lang.c: tags, Accept-Language, the set of catalogues
 * (the ones the build compiled, and broken ones written here), messages
 * with named values, dates in two languages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang.h"
#include "mo_build.h"
#include "t.h"

static void
tags(void)
{
	static const char *const good[] = { "ja", "en", "zh-hant", "ja-x-easy", "ko", "fil", "pt-BR",
		"zh-hant-tw", "sr-latn-rs" };
	static const char *const bad[] = { "", "j", "JA", "e1", "japa", "en-", "-en", "en--us", "en_US",
		"en-abcdefghi", "a-b-c-d-e", "zh-hant-tw-x-y", "ja-x-easy-longer", "en us", "日本" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		T_CHECK(lang_tag_ok(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lang_tag_ok(bad[i], strlen(bad[i])))
			printf("#   accepted: %s\n", bad[i]);
		T_CHECK(!lang_tag_ok(bad[i], strlen(bad[i])));
	}
	T_CHECK(!lang_tag_ok("en\0x", 4));
}

static const char *const set[] = { "ja", "en", "zh-hant", "ja-x-easy" };

static int
best(const char *header)
{
	return lang_accept(header, set, sizeof(set) / sizeof(set[0]));
}

static void
accept_language(void)
{
	T_CHECK(best("en") == 1);
	T_CHECK(best("EN-us") == 1);
	T_CHECK(best("en-GB,en;q=0.9,ja;q=0.8") == 1);
	T_CHECK(best("ja,en-US;q=0.9,en;q=0.8") == 0);
	T_CHECK(best("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7") == 1);	/* the first we have */
	T_CHECK(best("de, ja;q=0.5, en;q=0.6") == 1);			/* weights, not order */
	T_CHECK(best("en;q=0.5, ja;q=0.5") == 1);				/* equal: the earlier */
	T_CHECK(best("en;q=0, ja") == 0);
	T_CHECK(best("en;q=0") == -1);
	T_CHECK(best("fr") == -1);
	T_CHECK(best("") == -1);
	T_CHECK(lang_accept(NULL, set, 4) == -1);
	T_CHECK(best("*") == 0);
	T_CHECK(best("fr, *;q=0.1") == 0);
	T_CHECK(best("zh") == 2);						/* "zh" -> zh-hant */
	T_CHECK(best("zh-Hant-TW") == 2);					/* the longest prefix */
	T_CHECK(best("ja-JP") == 0);						/* ja, not ja-x-easy */
	T_CHECK(best("ja-x-easy") == 3);
	T_CHECK(best("  en  ;  q=0.7  ,ja;q=0.6") == 1);			/* white space */
	T_CHECK(best("en\t;q=1.000") == 1);
	T_CHECK(best("en;Q=0.7,ja;q=0.6") == 1);
}

static void
accept_language_malformed(void)
{
	T_CHECK(best("en;q=2,ja") == 0);		/* weights over 1 */
	T_CHECK(best("en;q=1.001,ja") == 0);
	T_CHECK(best("en;q=0.1234,ja;q=0.1") == 0);	/* four decimals */
	T_CHECK(best("en;q=.5,ja;q=0.1") == 0);
	T_CHECK(best("en;q=,ja;q=0.1") == 0);
	T_CHECK(best("en;level=1,ja;q=0.1") == 0);	/* no other parameter */
	T_CHECK(best("en x,ja;q=0.1") == 0);
	T_CHECK(best("e_n,ja;q=0.1") == 0);
	T_CHECK(best("toolongtag,ja;q=0.1") == 0);
	T_CHECK(best("en-toolongsub,ja;q=0.1") == 0);
	T_CHECK(best("en-,ja;q=0.1") == 0);
	T_CHECK(best(",,;,en") == 1);
	T_CHECK(best(";q=0.9") == -1);
	T_CHECK(best("\xe6\x97\xa5\xe6\x9c\xac,en;q=0.2") == 1);
	T_CHECK(lang_accept("en", set, 0) == -1);
}

static char locale_dir[4096];

static void
the_built_set(void)
{
	struct langset		*s;
	const struct lang	*ja, *en;
	struct buf		 err;

	buf_init(&err);
	T_CHECK(t_locale_dir(locale_dir, sizeof(locale_dir)) == 0);
	s = langset_load(locale_dir, &err);
	T_STREQ(buf_cstr(&err), "");
	T_CHECK(s != NULL);
	T_CHECK(langset_count(s) >= 2);
	T_CHECK((ja = langset_at(s, 0)) != NULL);
	T_STREQ(ja->tag, "ja");
	T_CHECK(ja->index == 0 && ja->fallback == NULL);
	T_CHECK((en = langset_get(s, "en")) != NULL);
	T_CHECK(en->fallback == ja && langset_at(s, en->index) == en);
	T_CHECK(langset_get(s, "EN") == NULL && langset_get(s, "fr") == NULL);
	T_CHECK(langset_at(s, langset_count(s)) == NULL);
	T_STREQ(lang_msg(ja, "lang.name"), "日本語");
	T_STREQ(lang_msg(en, "lang.name"), "English");
	T_STREQ(lang_msg(en, "no.such.id"), "no.such.id");
	langset_free(s);
	buf_free(&err);
}

static void
dates(void)
{
	struct langset	*s;
	struct buf	 b;
	struct jn_date	 d = { 2027, 3, 12 };

	T_CHECK(t_locale_dir(locale_dir, sizeof(locale_dir)) == 0);
	T_CHECK((s = langset_load(locale_dir, NULL)) != NULL);
	buf_init(&b);
	T_CHECK(lang_date(langset_get(s, "ja"), d, &b) == 0);
	T_STREQ(buf_cstr(&b), "2027年3月12日（金）");
	buf_reset(&b);
	T_CHECK(lang_date(langset_get(s, "en"), d, &b) == 0);
	T_STREQ(buf_cstr(&b), "Fri 12 March 2027");
	buf_reset(&b);
	T_CHECK(lang_time(langset_get(s, "en"), 1804809900, &b) == 0);	/* 2027-03-12 09:05 JST */
	T_STREQ(buf_cstr(&b), "Fri 12 March 2027, 09:05");
	buf_reset(&b);
	T_CHECK(lang_time(langset_get(s, "ja"), 1804809900, &b) == 0);
	T_STREQ(buf_cstr(&b), "2027年3月12日（金）9時05分");
	buf_reset(&b);
	d.d = 32;
	T_CHECK(lang_date(langset_get(s, "en"), d, &b) == -1);
	buf_free(&b);
	langset_free(s);
}

static char tmpdir[64];

static int
mkdir_tmp(void)
{
	strcpy(tmpdir, "/tmp/test_lang.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static void
rm_tmp(const char *const *names, size_t n)
{
	char	path[128];
	size_t	i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

static const struct pair ja[] = { { "", HEADER }, { "a", "あ{x}" }, { "b", "い" } };
static const struct pair xx[] = { { "", HEADER }, { "a", "A{x}" } };

/* A message the language lacks is the default language's; names fill in; other braces are text. */
static void
fallback_and_values(void)
{
	static const char *const names[] = { "ja.mo", "xx.mo", ".hidden.mo", "notes.txt" };
	struct langset		*s;
	const struct lang	*l;
	struct buf		 b;

	T_CHECK(mkdir_tmp() == 0);
	T_CHECK(mo_write(tmpdir, "ja.mo", ja, 3) == 0 && mo_write(tmpdir, "xx.mo", xx, 2) == 0);
	T_CHECK(mo_write(tmpdir, ".hidden.mo", xx, 1) == 0 && mo_write(tmpdir, "notes.txt", xx, 1) == 0);
	s = langset_load(tmpdir, NULL);
	rm_tmp(names, 4);
	T_CHECK(s != NULL && langset_count(s) == 2);
	T_CHECK((l = langset_get(s, "xx")) != NULL);
	T_STREQ(lang_msg(l, "b"), "い");
	buf_init(&b);
	T_CHECK(lang_format(l, &b, "a", "x", "1", (const char *)NULL) == 0);
	T_STREQ(buf_cstr(&b), "A1");
	T_CHECK(lang_format(l, &b, "a", "y", "1", (const char *)NULL) == -1);	/* {x} not given */
	buf_reset(&b);
	T_CHECK(lang_format(l, &b, "{x} {} {X} {x-y} {x", "x", "<", (const char *)NULL) == 0);
	T_STREQ(buf_cstr(&b), "< {} {X} {x-y} {x");
	buf_free(&b);
	langset_free(s);
}

static void
broken_sets_refused(void)
{
	static const char *const names[] = { "ja.mo", "en.mo", "EN.mo" };
	struct buf	 err;

	buf_init(&err);
	T_CHECK(mkdir_tmp() == 0);
	T_CHECK(mo_write(tmpdir, "en.mo", xx, 2) == 0);
	T_CHECK(langset_load(tmpdir, &err) == NULL);	/* no Japanese */
	T_CHECK(strstr(buf_cstr(&err), "no catalogue for ja") != NULL);
	buf_reset(&err);
	T_CHECK(mo_write(tmpdir, "ja.mo", ja, 3) == 0 && mo_write(tmpdir, "EN.mo", xx, 2) == 0);
	T_CHECK(langset_load(tmpdir, &err) == NULL);
	T_CHECK(strstr(buf_cstr(&err), "EN.mo: the name is not a language tag") != NULL);
	buf_reset(&err);
	unlink(strcat(strcpy((char[128]){ 0 }, tmpdir), "/EN.mo"));
	T_CHECK(mo_write(tmpdir, "en.mo", xx + 1, 1) == 0);	/* no header */
	T_CHECK(langset_load(tmpdir, &err) == NULL);
	T_CHECK(strstr(buf_cstr(&err), "en.mo: no header") != NULL);
	rm_tmp(names, 3);
	buf_reset(&err);
	T_CHECK(langset_load("/nonexistent", &err) == NULL);
	T_CHECK(strstr(buf_cstr(&err), "cannot read") != NULL);
	buf_free(&err);
}

int
main(void)
{
	T_RUN(tags);
	T_RUN(accept_language);
	T_RUN(accept_language_malformed);
	T_RUN(the_built_set);
	T_RUN(dates);
	T_RUN(fallback_and_values);
	T_RUN(broken_sets_refused);
	return T_DONE();
}
