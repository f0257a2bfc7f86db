/* Unit tests for lib/jnorm.c: normalisation, validators, dates, messages.  Dummy data only. */
#include <stdlib.h>

#include "jnorm.h"
#include "lang.h"
#include "mo_build.h"
#include "t.h"

static enum jn_err
norm_r(enum jn_type t, const char *in, size_t len, const struct jn_rules *r, struct buf *out)
{
	return jn_normalize(t, in, len, r, out);
}

/* 1 if `in` normalises to `want` under `r` (NULL: defaults); prints what it got otherwise. */
static int
ok_as_r(enum jn_type t, const char *in, const struct jn_rules *r, const char *want)
{
	struct buf	 b;
	enum jn_err	 e;
	int		 ok;

	buf_init(&b);
	e = norm_r(t, in, strlen(in), r, &b);
	ok = e == JN_OK && strcmp(buf_cstr(&b), want) == 0;
	if (!ok)
		printf("#   [%s] -> err %d [%s], want [%s]\n", in, (int)e, buf_cstr(&b), want);
	buf_free(&b);
	return ok;
}

static int
ok_as(enum jn_type t, const char *in, const char *want)
{
	return ok_as_r(t, in, NULL, want);
}

/* The error for `in` under `r`; also checks that `out` is left empty on failure. */
static enum jn_err
err_r(enum jn_type t, const char *in, size_t len, const struct jn_rules *r)
{
	struct buf	 b;
	enum jn_err	 e;

	buf_init(&b);
	if (buf_puts(&b, "junk") == -1)
		return JN_NOMEM;
	e = norm_r(t, in, len, r, &b);
	if (e != JN_OK && b.len != 0)
		e = JN_NOMEM;	/* makes the caller's check fail */
	buf_free(&b);
	return e;
}

static enum jn_err
err_of(enum jn_type t, const char *in)
{
	return err_r(t, in, strlen(in), NULL);
}

static struct langset *langs;
static const struct lang *msg_lang;	/* the language message_is expects */

static int
message_is(enum jn_err err, const char *label, enum jn_type t, const struct jn_rules *r,
    const char *want)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = jn_message(err, label, t, r, msg_lang, &b) == 0 && strcmp(buf_cstr(&b), want) == 0;
	if (!ok)
		printf("#   message [%s], want [%s]\n", buf_cstr(&b), want);
	buf_free(&b);
	return ok;
}

static struct jn_date
ymd(int y, int m, int d)
{
	struct jn_date dt = { y, m, d };

	return dt;
}

/* ---- postal ---- */

static void
postal_fullwidth_digits(void)
{
	T_CHECK(ok_as(JN_POSTAL, "１６０－８４８４", "160-8484"));
}

static void
postal_seven_digits(void)
{
	T_CHECK(ok_as(JN_POSTAL, "1608484", "160-8484"));
}

static const char *const hyphens[] = {
	"-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\u30FC",
	"\uFF70", "\uFE63", "\uFF0D",
};

static void
postal_each_hyphen(void)
{
	char	 in[64];
	size_t	 i;

	for (i = 0; i < sizeof(hyphens) / sizeof(hyphens[0]); i++) {
		snprintf(in, sizeof(in), "160%s8484", hyphens[i]);
		T_CHECK(ok_as(JN_POSTAL, in, "160-8484"));
	}
}

static void
postal_mark_and_spaces(void)
{
	T_CHECK(ok_as(JN_POSTAL, "〒160-8484", "160-8484"));
	T_CHECK(ok_as(JN_POSTAL, "〒　１６０ ８４８４", "160-8484"));
}

static void
postal_bad(void)
{
	T_CHECK(err_of(JN_POSTAL, "160-848") == JN_BAD_POSTAL);
	T_CHECK(err_of(JN_POSTAL, "16-08484") == JN_BAD_POSTAL);
	T_CHECK(err_of(JN_POSTAL, "160--8484") == JN_BAD_POSTAL);
	T_CHECK(err_of(JN_POSTAL, "160-84845") == JN_BAD_POSTAL);
	T_CHECK(err_of(JN_POSTAL, "160-848a") == JN_BAD_POSTAL);
	T_CHECK(err_of(JN_POSTAL, "〒") == JN_BAD_POSTAL);
	T_CHECK(err_of(JN_POSTAL, "160-8484〒") == JN_BAD_POSTAL);
}

/* ---- tel ---- */

static void
tel_fullwidth_digits(void)
{
	T_CHECK(ok_as(JN_TEL, "０３－３２０９－１１１１", "03-3209-1111"));
}

static void
tel_without_hyphens(void)
{
	T_CHECK(ok_as(JN_TEL, "09012345678", "09012345678"));
	T_CHECK(ok_as(JN_TEL, "0332091111", "0332091111"));
}

static void
tel_each_hyphen(void)
{
	char	 in[64];
	size_t	 i;

	for (i = 0; i < sizeof(hyphens) / sizeof(hyphens[0]); i++) {
		snprintf(in, sizeof(in), "03%s3209%s1111", hyphens[i], hyphens[i]);
		T_CHECK(ok_as(JN_TEL, in, "03-3209-1111"));
	}
}

static void
tel_parens_and_spaces_dropped(void)
{
	T_CHECK(ok_as(JN_TEL, "03(3209)1111", "0332091111"));
	T_CHECK(ok_as(JN_TEL, "（０３）３２０９－１１１１", "033209-1111"));
	T_CHECK(ok_as(JN_TEL, "090 1234 5678", "09012345678"));
}

static void
tel_plus81(void)
{
	T_CHECK(ok_as(JN_TEL, "+81-3-3209-1111", "03-3209-1111"));
	T_CHECK(ok_as(JN_TEL, "＋８１ ９０ １２３４ ５６７８", "09012345678"));
	T_CHECK(ok_as(JN_TEL, "+81 (0)3-3209-1111", "03-3209-1111"));
}

static void
tel_hyphens_collapsed(void)
{
	T_CHECK(ok_as(JN_TEL, "-03--3209ーー1111-", "03-3209-1111"));
}

static void
tel_bad(void)
{
	T_CHECK(err_of(JN_TEL, "3209-1111") == JN_BAD_TEL);
	T_CHECK(err_of(JN_TEL, "090-1234-56789") == JN_BAD_TEL);
	T_CHECK(err_of(JN_TEL, "1234567890") == JN_BAD_TEL);
	T_CHECK(err_of(JN_TEL, "+1 555 123 4567") == JN_BAD_TEL);
	T_CHECK(err_of(JN_TEL, "03-3209-111a") == JN_BAD_TEL);
	T_CHECK(err_of(JN_TEL, "03-3209-1111 内線12") == JN_BAD_TEL);
	T_CHECK(err_of(JN_TEL, "+8") == JN_BAD_TEL);
	T_CHECK(err_of(JN_TEL, "---") == JN_BAD_TEL);
}

/* ---- number ---- */

static void
number_fullwidth_digits(void)
{
	T_CHECK(ok_as(JN_NUMBER, "１２３", "123"));
}

static void
number_leading_zeros(void)
{
	T_CHECK(ok_as(JN_NUMBER, "007", "7"));
	T_CHECK(ok_as(JN_NUMBER, "000", "0"));
}

static void
number_not_digits(void)
{
	T_CHECK(err_of(JN_NUMBER, "-5") == JN_NOT_NUMBER);
	T_CHECK(err_of(JN_NUMBER, "1,000") == JN_NOT_NUMBER);
	T_CHECK(err_of(JN_NUMBER, "1.5") == JN_NOT_NUMBER);
	T_CHECK(err_of(JN_NUMBER, "12a") == JN_NOT_NUMBER);
	T_CHECK(err_of(JN_NUMBER, "1 2") == JN_NOT_NUMBER);
}

static void
number_default_nine_digits(void)
{
	T_CHECK(ok_as(JN_NUMBER, "123456789", "123456789"));
	T_CHECK(err_of(JN_NUMBER, "1234567890") == JN_TOO_LONG);
}

static void
number_min_max(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.has_min = r.has_max = 1;
	r.min = 1;
	r.max = 10;
	T_CHECK(ok_as_r(JN_NUMBER, "1", &r, "1"));
	T_CHECK(ok_as_r(JN_NUMBER, "１０", &r, "10"));
	T_CHECK(err_r(JN_NUMBER, "0", 1, &r) == JN_TOO_SMALL);
	T_CHECK(err_r(JN_NUMBER, "11", 2, &r) == JN_TOO_LARGE);
}

static void
number_overflow(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.maxlength = 30;
	T_CHECK(err_r(JN_NUMBER, "99999999999999999999", 20, &r) == JN_TOO_LARGE);
}

/* ---- kana ---- */

static void
kana_halfwidth_to_fullwidth(void)
{
	T_CHECK(ok_as(JN_KANA, "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"));
	T_CHECK(ok_as(JN_KANA, "ﾊﾟﾝ", "パン"));
}

static void
text_halfwidth_to_fullwidth(void)
{
	T_CHECK(ok_as(JN_TEXT, "ｼﾝｼﾞｭｸｸ ｶﾞｯｺｳ", "シンジュクク ガッコウ"));
}

static void
kana_hiragana_to_katakana(void)
{
	T_CHECK(ok_as(JN_KANA, "やまだ　はなこ", "ヤマダ ハナコ"));
	T_CHECK(ok_as(JN_KANA, "ゔぁいおりん", "ヴァイオリン"));
	T_CHECK(ok_as(JN_KANA, "さゝき", "サヽキ"));
}

static void
kana_long_mark_and_dot_kept(void)
{
	T_CHECK(ok_as(JN_KANA, "ジョー・スミス", "ジョー・スミス"));
	T_CHECK(ok_as(JN_KANA, "ｼﾞｮｰ･ｽﾐｽ", "ジョー・スミス"));
}

static void
kana_spaces_collapsed(void)
{
	T_CHECK(ok_as(JN_KANA, "　ヤマダ 　　タロウ　", "ヤマダ タロウ"));
}

static void
kana_rejects_others(void)
{
	T_CHECK(err_of(JN_KANA, "山田") == JN_NOT_KANA);
	T_CHECK(err_of(JN_KANA, "ヤマダ太郎") == JN_NOT_KANA);
	T_CHECK(err_of(JN_KANA, "yamada") == JN_NOT_KANA);
	T_CHECK(err_of(JN_KANA, "ヤマダ1") == JN_NOT_KANA);
	T_CHECK(err_of(JN_KANA, "\u3099") == JN_NOT_KANA);	/* a voicing mark alone */
}

/* ---- text and textarea ---- */

static void
text_names_survive(void)
{
	T_CHECK(ok_as(JN_TEXT, "髙橋", "\xe9\xab\x99\xe6\xa9\x8b"));
	T_CHECK(ok_as(JN_TEXT, "山﨑", "\xe5\xb1\xb1\xef\xa8\x91"));
}

static void
text_emoji_survive(void)
{
	T_CHECK(ok_as(JN_TEXT, "🌸👨‍👩‍👧", "🌸👨‍👩‍👧"));
}

static void
text_fullwidth_ascii_and_spaces(void)
{
	T_CHECK(ok_as(JN_TEXT, "　ＡＢＣ　１２３　", "ABC 123"));
}

static void
text_inner_spaces_kept(void)
{
	T_CHECK(ok_as(JN_TEXT, "新宿区  歌舞伎町", "新宿区  歌舞伎町"));
}

static void
text_trailing_newline_trimmed(void)
{
	T_CHECK(ok_as(JN_TEXT, "山田\r\n", "山田"));
}

static void
textarea_crlf_to_lf(void)
{
	T_CHECK(ok_as(JN_TEXTAREA, "一行目\r\n二行目\r三行目\n\t四行目", "一行目\n二行目\n三行目\n\t四行目"));
}

static void
textarea_line_separator_to_lf(void)
{
	T_CHECK(ok_as(JN_TEXTAREA, "a\u2028b", "a\nb"));
}

static void
text_control_rejected(void)
{
	T_CHECK(err_of(JN_TEXT, "abc\x01" "def") == JN_CONTROL);
	T_CHECK(err_of(JN_TEXT, "abc\ndef") == JN_CONTROL);
	T_CHECK(err_of(JN_TEXT, "abc\tdef") == JN_CONTROL);
	T_CHECK(err_of(JN_TEXT, "abc\x7f") == JN_CONTROL);
	T_CHECK(err_of(JN_TEXT, "abc\xc2\x85" "def") == JN_CONTROL);	/* NEL, C1 */
	T_CHECK(err_of(JN_TEXT, "abc\u202e" "def") == JN_CONTROL);		/* RTL override */
	T_CHECK(err_r(JN_TEXT, "ab\0cd", 5, NULL) == JN_CONTROL);
	T_CHECK(err_of(JN_TEL, "03\x1b" "32091111") == JN_CONTROL);
}

static void
textarea_control_rejected(void)
{
	T_CHECK(err_of(JN_TEXTAREA, "line\x01") == JN_CONTROL);
	T_CHECK(err_of(JN_TEXTAREA, "line\x0b" "line") == JN_CONTROL);
}

static void
nfkc_compatibility_forms(void)
{
	T_CHECK(ok_as(JN_TEXT, "㈱新宿①", "(株)新宿1"));
}

static void
empty_after_trim(void)
{
	T_CHECK(err_of(JN_TEXT, "") == JN_EMPTY);
	T_CHECK(err_of(JN_TEXT, " 　\t") == JN_EMPTY);
	T_CHECK(err_of(JN_TEXTAREA, "\r\n\r\n") == JN_EMPTY);
	T_CHECK(err_of(JN_DATE, "　") == JN_EMPTY);
}

/* ---- UTF-8 ---- */

static void
invalid_utf8(void)
{
	T_CHECK(err_of(JN_TEXT, "\xff") == JN_BAD_UTF8);
	T_CHECK(err_of(JN_TEXT, "ab\x80") == JN_BAD_UTF8);
	T_CHECK(err_of(JN_TEXT, "\xe3\x81") == JN_BAD_UTF8);		/* truncated */
	T_CHECK(err_of(JN_TEXT, "\xed\xa0\x80") == JN_BAD_UTF8);	/* surrogate */
	T_CHECK(err_of(JN_TEXT, "\xf4\x90\x80\x80") == JN_BAD_UTF8);	/* > U+10FFFF */
	T_CHECK(err_of(JN_KANA, "\xe3\x82") == JN_BAD_UTF8);
}

static void
overlong_utf8(void)
{
	T_CHECK(err_of(JN_TEXT, "\xc0\xaf") == JN_BAD_UTF8);
	T_CHECK(err_of(JN_TEXT, "\xc1\x81") == JN_BAD_UTF8);
	T_CHECK(err_of(JN_TEXT, "\xe0\x80\xaf") == JN_BAD_UTF8);
	T_CHECK(err_of(JN_TEXT, "\xf0\x80\x80\xaf") == JN_BAD_UTF8);
	T_CHECK(err_r(JN_TEXT, "a\xc0\x80", 3, NULL) == JN_BAD_UTF8);	/* overlong NUL */
}

/* ---- maxlength ---- */

static void
maxlength_boundary(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.maxlength = 5;
	T_CHECK(ok_as_r(JN_TEXT, "あいうえお", &r, "あいうえお"));
	T_CHECK(err_r(JN_TEXT, "あいうえおか", strlen("あいうえおか"), &r) == JN_TOO_LONG);
}

static void
maxlength_after_normalisation(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.maxlength = 5;
	/* Ten half-width code points become five full-width ones. */
	T_CHECK(ok_as_r(JN_KANA, "ｶﾞｷﾞｸﾞｹﾞｺﾞ", &r, "ガギグゲゴ"));
	T_CHECK(ok_as_r(JN_TEXT, "  abcde  ", &r, "abcde"));
}

static void
maxlength_text_default(void)
{
	char	 s[102];

	memset(s, 'a', 101);
	s[101] = '\0';
	T_CHECK(err_of(JN_TEXT, s) == JN_TOO_LONG);
	s[100] = '\0';
	T_CHECK(err_of(JN_TEXT, s) == JN_OK);
}

static void
maxlength_kana_default(void)
{
	char	 s[51 * 3 + 1];
	size_t	 i;

	for (i = 0; i < 51; i++)
		memcpy(s + 3 * i, "ア", 3);
	s[51 * 3] = '\0';
	T_CHECK(err_of(JN_KANA, s) == JN_TOO_LONG);
	s[50 * 3] = '\0';
	T_CHECK(err_of(JN_KANA, s) == JN_OK);
}

static void
hostile_length_bounded(void)
{
	size_t	 n = 1 << 20;
	char	*s = malloc(n + 1);

	T_CHECK(s != NULL);
	memset(s, ' ', n);
	s[n - 1] = 'a';
	s[n] = '\0';
	T_CHECK(err_of(JN_TEXT, s) == JN_TOO_LONG);
	free(s);
}

/* ---- email ---- */

static void
email_good(void)
{
	T_CHECK(ok_as(JN_EMAIL, "hanako@example.jp", "hanako@example.jp"));
	T_CHECK(ok_as(JN_EMAIL, " Hanako.Yamada+tag@Example.CO.JP ", "Hanako.Yamada+tag@example.co.jp"));
	T_CHECK(ok_as(JN_EMAIL, "a-b_c@sub-1.example.jp", "a-b_c@sub-1.example.jp"));
}

static void
email_fullwidth(void)
{
	T_CHECK(ok_as(JN_EMAIL, "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "hanako@example.jp"));
	T_CHECK(ok_as(JN_EMAIL, "hanako@example。jp", "hanako@example.jp"));
}

static void
email_bad_shape(void)
{
	T_CHECK(err_of(JN_EMAIL, "hanako") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "a@b@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@example") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hana ko@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "a<b>@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "a,b@example.jp") == JN_BAD_EMAIL);
}

static void
email_bad_dots(void)
{
	T_CHECK(err_of(JN_EMAIL, ".hanako@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako.@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hana..ko@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@example..jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@.example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@example.jp.") == JN_BAD_EMAIL);
}

static void
email_bad_domain_labels(void)
{
	T_CHECK(err_of(JN_EMAIL, "hanako@-example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@example-.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@exa_mple.jp") == JN_BAD_EMAIL);
}

static void
email_non_ascii(void)
{
	T_CHECK(err_of(JN_EMAIL, "花子@example.jp") == JN_BAD_EMAIL);
	T_CHECK(err_of(JN_EMAIL, "hanako@例え.jp") == JN_BAD_EMAIL);
}

static void
email_lengths(void)
{
	char	 s[400];

	/* local part: 64 ok, 65 not */
	memset(s, 'a', 64);
	strcpy(s + 64, "@example.jp");
	T_CHECK(err_of(JN_EMAIL, s) == JN_OK);
	memset(s, 'a', 65);
	strcpy(s + 65, "@example.jp");
	T_CHECK(err_of(JN_EMAIL, s) == JN_BAD_EMAIL);
	/* a label: 63 ok, 64 not */
	strcpy(s, "a@");
	memset(s + 2, 'b', 63);
	strcpy(s + 65, ".jp");
	T_CHECK(err_of(JN_EMAIL, s) == JN_OK);
	memset(s + 2, 'b', 64);
	strcpy(s + 66, ".jp");
	T_CHECK(err_of(JN_EMAIL, s) == JN_BAD_EMAIL);
	/* whole address: 254 ok, 255 not (labels of 49 + dot) */
	strcpy(s, "a@");
	memset(s + 2, 'c', 252);
	s[2 + 49] = s[2 + 99] = s[2 + 149] = s[2 + 199] = '.';
	s[254] = '\0';
	T_CHECK(err_of(JN_EMAIL, s) == JN_OK);
	s[254] = 'c';
	s[255] = '\0';
	T_CHECK(err_of(JN_EMAIL, s) == JN_BAD_EMAIL);
}

/* "=?" begins an encoded word, which mail programs may decode: refused with its own message. */
static void
email_encoded_word_refused(void)
{
	T_CHECK(err_of(JN_EMAIL, "=?utf-8?b?YWRtaW5AZXhhbXBsZS5qcA==?=@example.jp") == JN_EMAIL_ENCODED);
	T_CHECK(err_of(JN_EMAIL, "hanako=?x@example.jp") == JN_EMAIL_ENCODED);
	T_CHECK(err_of(JN_EMAIL, "ｈａｎａｋｏ＝？ｘ＠example.jp") == JN_EMAIL_ENCODED);
	T_CHECK(ok_as(JN_EMAIL, "hanako?=x@example.jp", "hanako?=x@example.jp"));
	T_CHECK(ok_as(JN_EMAIL, "a=b?c@example.jp", "a=b?c@example.jp"));
}

static void
email_encoded_word_message(void)
{
	T_CHECK(message_is(JN_EMAIL_ENCODED, "メールアドレス", JN_EMAIL, NULL,
	    "メールアドレスに「=?」を含むアドレスはお使いいただけません。ほかのメールアドレスを入力してください"));
}

/* The check the mail composer shares: pure, either case, the length given. */
static void
email_ok_for_the_composer(void)
{
	T_CHECK(jn_email_ok("Hanako@Example.JP", 17) && !jn_email_ok("a@example.jp", 10));
	T_CHECK(jn_email_ok("a@example.jp\r\n", 12) && !jn_email_ok("a@example.jp\r\n", 14));
	T_CHECK(!jn_email_ok("=?x?=@example.jp", 16) && !jn_email_ok("a b@example.jp", 14));
}

/* ---- dates ---- */

static void
date_iso(void)
{
	T_CHECK(ok_as(JN_DATE, "2026-05-30", "2026-05-30"));
	T_CHECK(ok_as(JN_DATE, "２０２６－０５－３０", "2026-05-30"));
	T_CHECK(ok_as(JN_DATE, "2026ー5ー30", "2026-05-30"));
}

static void
date_slash(void)
{
	T_CHECK(ok_as(JN_DATE, "2026/5/30", "2026-05-30"));
	T_CHECK(ok_as(JN_DATE, "２０２６／５／３０", "2026-05-30"));
}

static void
date_dot(void)
{
	T_CHECK(ok_as(JN_DATE, "2026.5.30", "2026-05-30"));
}

static void
date_kanji(void)
{
	T_CHECK(ok_as(JN_DATE, "2026年5月30日", "2026-05-30"));
	T_CHECK(ok_as(JN_DATE, "２０２６年 ５月 ３０日", "2026-05-30"));
	T_CHECK(ok_as(JN_DATE, "2026年05月30", "2026-05-30"));
}

static void
date_bad_syntax(void)
{
	T_CHECK(err_of(JN_DATE, "2026-5/30") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "26-5-30") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "2026-5-30x") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "2026年5月") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "2026-005-30") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "0000-01-01") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "昨日") == JN_BAD_DATE);
}

static void
date_leap_years(void)
{
	T_CHECK(err_of(JN_DATE, "2026-02-29") == JN_BAD_DATE);
	T_CHECK(ok_as(JN_DATE, "2024-02-29", "2024-02-29"));
	T_CHECK(err_of(JN_DATE, "1900-02-29") == JN_BAD_DATE);
	T_CHECK(ok_as(JN_DATE, "2000-02-29", "2000-02-29"));
}

static void
date_bad_calendar(void)
{
	T_CHECK(err_of(JN_DATE, "2026-04-31") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "2026-13-01") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "2026-00-10") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "2026-01-00") == JN_BAD_DATE);
}

static void
date_eras(void)
{
	T_CHECK(ok_as(JN_DATE, "昭和35年4月1日", "1960-04-01"));
	T_CHECK(ok_as(JN_DATE, "平成元年1月8日", "1989-01-08"));
	T_CHECK(ok_as(JN_DATE, "令和2年5月1日", "2020-05-01"));
	T_CHECK(ok_as(JN_DATE, "令和元年5月1日", "2019-05-01"));
	T_CHECK(ok_as(JN_DATE, "大正15年12月24日", "1926-12-24"));
	T_CHECK(ok_as(JN_DATE, "昭和６４年１月７日", "1989-01-07"));
}

static void
date_era_ligatures_and_letters(void)
{
	T_CHECK(ok_as(JN_DATE, "㍻元年1月8日", "1989-01-08"));
	T_CHECK(ok_as(JN_DATE, "S35.4.1", "1960-04-01"));
	T_CHECK(ok_as(JN_DATE, "h31/4/30", "2019-04-30"));
}

static void
date_out_of_era(void)
{
	T_CHECK(err_of(JN_DATE, "平成元年1月7日") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "昭和64年1月8日") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "平成31年5月1日") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "令和元年4月30日") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "昭和元年12月24日") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "昭和0年1月1日") == JN_BAD_DATE);
	T_CHECK(err_of(JN_DATE, "明治30年1月1日") == JN_BAD_DATE);
}

static void
date_not_future(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.not_future = 1;
	r.today = ymd(2026, 5, 30);
	T_CHECK(ok_as_r(JN_DATE, "2026-05-30", &r, "2026-05-30"));
	T_CHECK(err_r(JN_DATE, "2026-05-31", 10, &r) == JN_DATE_FUTURE);
}

static void
date_age_exactly_min(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.min_age = 60;
	r.age_on = ymd(2026, 3, 12);
	T_CHECK(ok_as_r(JN_DATE, "1966-03-12", &r, "1966-03-12"));
	T_CHECK(err_r(JN_DATE, "1966-03-13", 10, &r) == JN_AGE_TOO_YOUNG);
}

static void
date_age_max(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.max_age = 18;
	r.age_on = ymd(2026, 3, 12);
	T_CHECK(ok_as_r(JN_DATE, "2007-03-13", &r, "2007-03-13"));
	T_CHECK(err_r(JN_DATE, "2007-03-12", 10, &r) == JN_AGE_TOO_OLD);
}

static void
date_age_falls_back_to_today(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.min_age = 60;
	r.today = ymd(2026, 3, 12);
	T_CHECK(err_r(JN_DATE, "1966-03-13", 10, &r) == JN_AGE_TOO_YOUNG);
}

static void
age_on_feb29(void)
{
	T_CHECK(jn_age_on(ymd(2000, 2, 29), ymd(2026, 2, 28)) == 25);
	T_CHECK(jn_age_on(ymd(2000, 2, 29), ymd(2026, 3, 1)) == 26);
	T_CHECK(jn_age_on(ymd(2000, 2, 29), ymd(2028, 2, 29)) == 28);
	T_CHECK(jn_age_on(ymd(2000, 3, 1), ymd(1999, 3, 1)) == -1);
}

static void
date_valid(void)
{
	T_CHECK(jn_date_valid(2024, 2, 29));
	T_CHECK(!jn_date_valid(2026, 2, 29));
	T_CHECK(!jn_date_valid(2026, 6, 31));
	T_CHECK(!jn_date_valid(0, 1, 1));
	T_CHECK(!jn_date_valid(10000, 1, 1));
}

static void
date_parse_strict(void)
{
	struct jn_date d = { 0, 0, 0 };

	T_CHECK(jn_date_parse("2026-05-30", &d) == 0 && d.y == 2026 && d.m == 5 && d.d == 30);
	T_CHECK(jn_date_parse("2026-5-30", &d) == -1);
	T_CHECK(jn_date_parse("2026-02-30", &d) == -1);
	T_CHECK(jn_date_parse("2026-05-30 ", &d) == -1);
	T_CHECK(jn_date_parse("2026/05/30", &d) == -1);
	T_CHECK(jn_date_parse(NULL, &d) == -1);
}

/* The first thing wrong is named, with the numbers as read. */
static void
date_scan_says_why(void)
{
	struct jn_date	d = { 0, 0, 0 };
	int		hh = -1, mm = -1;

	T_CHECK(jn_date_scan("2026-05-30", 10, &d, NULL, NULL) == JN_DATE_OK && d.y == 2026 && d.d == 30);
	T_CHECK(jn_date_scan("2026-05-30", 9, &d, NULL, NULL) == JN_DATE_SHAPE);
	T_CHECK(jn_date_scan("2026-05-3x", 10, &d, NULL, NULL) == JN_DATE_SHAPE);
	T_CHECK(jn_date_scan("0000-13-40", 10, &d, NULL, NULL) == JN_DATE_YEAR && d.m == 13 && d.d == 40);
	T_CHECK(jn_date_scan("2026-13-01", 10, &d, NULL, NULL) == JN_DATE_MONTH);
	T_CHECK(jn_date_scan("2026-02-29", 10, &d, NULL, NULL) == JN_DATE_DAY);
	T_CHECK(jn_date_scan("2026-02-28 24:00", 16, &d, &hh, &mm) == JN_DATE_HOUR && hh == 24);
	T_CHECK(jn_date_scan("2026-02-28T23:60", 16, &d, &hh, &mm) == JN_DATE_MINUTE && mm == 60);
	T_CHECK(jn_date_scan("2026-02-28T23:59", 16, &d, &hh, &mm) == JN_DATE_OK && hh == 23 && mm == 59);
	T_CHECK(jn_date_scan("2026-02-28_23:59", 16, &d, &hh, &mm) == JN_DATE_SHAPE);
	T_CHECK(jn_date_scan("2026-02-28 23:59", 16, &d, NULL, NULL) == JN_DATE_SHAPE);
	T_CHECK(jn_date_scan("2026-02-28", 10, &d, &hh, &mm) == JN_DATE_SHAPE);
}

static void
weekday(void)
{
	T_CHECK(jn_weekday(ymd(2026, 5, 30)) == 6);
	T_CHECK(jn_weekday(ymd(1970, 1, 1)) == 4);
	T_CHECK(jn_weekday(ymd(2024, 2, 29)) == 4);
	T_CHECK(jn_weekday(ymd(2027, 3, 12)) == 5);
	T_CHECK(jn_weekday(ymd(2026, 2, 29)) == -1);
}

static void
charcount(void)
{
	T_CHECK(jn_charcount("あaい", strlen("あaい")) == 3);
	T_CHECK(jn_charcount("🌸", strlen("🌸")) == 1);
	T_CHECK(jn_charcount("", 0) == 0);
}

/* ---- month and day (a birthday without its year) ---- */

static void
month_day_forms(void)
{
	T_CHECK(ok_as(JN_MONTH_DAY, "４月１日", "04-01"));
	T_CHECK(ok_as(JN_MONTH_DAY, "4/1", "04-01"));
	T_CHECK(ok_as(JN_MONTH_DAY, "04-01", "04-01"));
	T_CHECK(ok_as(JN_MONTH_DAY, "4月1", "04-01"));
	T_CHECK(ok_as(JN_MONTH_DAY, " １２ ／ ３１ ", "12-31"));
	T_CHECK(ok_as(JN_MONTH_DAY, "12ー31", "12-31"));	/* a long vowel mark typed for the hyphen */
	T_CHECK(ok_as(JN_MONTH_DAY, "1.5", "01-05"));
}

/* 29 February is a birthday; the 30th and the 31st of short months are not. */
static void
month_day_feb29(void)
{
	int m, d;

	T_CHECK(ok_as(JN_MONTH_DAY, "2月29日", "02-29"));
	T_CHECK(err_of(JN_MONTH_DAY, "2/30") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "4/31") == JN_BAD_MONTH_DAY);
	T_CHECK(ok_as(JN_MONTH_DAY, "12/31", "12-31"));
	T_CHECK(jn_month_day_parse("02-29", &m, &d) == 0 && m == 2 && d == 29);
	T_CHECK(jn_month_day_parse("02-30", &m, &d) == -1);
}

static void
month_day_refused(void)
{
	T_CHECK(err_of(JN_MONTH_DAY, "13/1") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "0/1") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "4/0") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "1990/4/1") == JN_BAD_MONTH_DAY);	/* no year */
	T_CHECK(err_of(JN_MONTH_DAY, "昭和35年4月1日") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "4/1/") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "4-1/") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "4/1日") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "0401") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "4/123") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "四月一日") == JN_BAD_MONTH_DAY);
	T_CHECK(err_of(JN_MONTH_DAY, "  ") == JN_EMPTY);
}

static void
month_day_canonical_strict(void)
{
	int m, d;

	T_CHECK(jn_month_day_parse("04-01", &m, &d) == 0 && m == 4 && d == 1);
	T_CHECK(jn_month_day_parse("4-01", &m, &d) == -1);
	T_CHECK(jn_month_day_parse("04/01", &m, &d) == -1);
	T_CHECK(jn_month_day_parse("13-01", &m, &d) == -1);
	T_CHECK(jn_month_day_parse(NULL, &m, &d) == -1);
}

static void
month_day_display_and_message(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(lang_month_day(langset_at(langs, 0), 2, 29, &b) == 0);
	T_STREQ(buf_cstr(&b), "2月29日");
	buf_reset(&b);
	T_CHECK(lang_month_day(langset_get(langs, "en"), 2, 29, &b) == 0);
	T_STREQ(buf_cstr(&b), "29 February");
	T_CHECK(lang_month_day(langset_at(langs, 0), 2, 30, &b) == -1);
	buf_free(&b);
	T_CHECK(message_is(JN_BAD_MONTH_DAY, "誕生月日", JN_MONTH_DAY, NULL,
	    "誕生月日を月と日で入力してください（年は不要です。例：4月1日、4/1）"));
	msg_lang = langset_get(langs, "en");
	T_CHECK(message_is(JN_BAD_MONTH_DAY, "Birthday", JN_MONTH_DAY, NULL,
	    "Enter “Birthday” as a month and day, without the year, for example 4/1 for 1 April"));
	msg_lang = langset_at(langs, 0);
}

/* ---- residence in the ward ---- */

static int
in_ward(const char *addr)
{
	return jn_address_in_ward(addr, strlen(addr), "新宿区");
}

static void
ward_address_forms(void)
{
	T_CHECK(in_ward("新宿区歌舞伎町1-4-1") == 1);
	T_CHECK(in_ward("東京都新宿区歌舞伎町1-4-1") == 1);
	T_CHECK(in_ward("東京都 新宿区 歌舞伎町") == 1);
	T_CHECK(in_ward("　東京都　新宿区西新宿２－８－１") == 1);	/* full-width spaces and digits */
	T_CHECK(in_ward("〒160-0022 東京都新宿区新宿5-18-21") == 1);
	T_CHECK(in_ward("1600022新宿区新宿") == 1);
}

static void
ward_address_refused(void)
{
	T_CHECK(in_ward("西新宿2-8-1") == 0);		/* the ward's name is needed */
	T_CHECK(in_ward("東京都渋谷区宇田川町1-1") == 0);
	T_CHECK(in_ward("東京都中野区新宿町") == 0);
	T_CHECK(in_ward("埼玉県新宿区") == 0);		/* another prefecture first */
	T_CHECK(in_ward("大阪府東京都新宿区") == 0);
	T_CHECK(in_ward("新宿") == 0);
	T_CHECK(in_ward("東京都") == 0);
	T_CHECK(in_ward("〒160-002 新宿区") == 0);	/* not a postal code: the rest is not the ward */
	T_CHECK(in_ward("\xff新宿区") == 0);
	T_CHECK(jn_address_in_ward("新宿区", strlen("新宿区"), "") == 0);
}

static void
days_between(void)
{
	T_CHECK(jn_days_between(ymd(2026, 12, 1), ymd(2026, 12, 15)) == 14);
	T_CHECK(jn_days_between(ymd(2026, 12, 15), ymd(2026, 12, 1)) == -14);
	T_CHECK(jn_days_between(ymd(2028, 2, 28), ymd(2028, 3, 1)) == 2);
	T_CHECK(jn_days_between(ymd(2027, 2, 28), ymd(2027, 3, 1)) == 1);
	T_CHECK(jn_days_between(ymd(1999, 12, 31), ymd(2000, 1, 1)) == 1);
	T_CHECK(jn_days_between(ymd(1970, 1, 1), ymd(2000, 3, 1)) == 11017);
}

/* ---- messages ---- */

static void
message_empty_and_long(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.maxlength = 20;
	T_CHECK(message_is(JN_EMPTY, "氏名", JN_TEXT, &r, "氏名を入力してください"));
	T_CHECK(message_is(JN_TOO_LONG, "氏名", JN_TEXT, &r, "氏名は20文字以内で入力してください"));
	T_CHECK(message_is(JN_TOO_LONG, "人数", JN_NUMBER, NULL, "人数は9桁以内で入力してください"));
}

static void
message_formats(void)
{
	T_CHECK(message_is(JN_BAD_POSTAL, "郵便番号", JN_POSTAL, NULL,
	    "郵便番号は7桁の数字で入力してください（例：160-8484）"));
	T_CHECK(message_is(JN_NOT_KANA, "フリガナ", JN_KANA, NULL, "フリガナはカタカナで入力してください"));
	T_CHECK(message_is(JN_CONTROL, "氏名", JN_TEXT, NULL, "氏名に使えない文字が含まれています"));
	T_CHECK(message_is(JN_BAD_UTF8, "氏名", JN_TEXT, NULL, "氏名に使えない文字が含まれています"));
}

static void
message_range(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.has_min = r.has_max = 1;
	r.min = 1;
	r.max = 10;
	T_CHECK(message_is(JN_TOO_SMALL, "人数", JN_NUMBER, &r, "人数は1以上10以下で入力してください"));
	r.has_max = 0;
	T_CHECK(message_is(JN_TOO_SMALL, "人数", JN_NUMBER, &r, "人数は1以上で入力してください"));
}

static void
message_age(void)
{
	struct jn_rules r;

	memset(&r, 0, sizeof(r));
	r.min_age = 60;
	r.age_on = ymd(2027, 3, 12);
	T_CHECK(message_is(JN_AGE_TOO_YOUNG, "生年月日", JN_DATE, &r,
	    "この手続きは2027年3月12日（金）時点で60歳以上の方が対象です"));
}

/* Every message in English, the Japanese-specific ones explained. */
static void
message_in_english(void)
{
	struct jn_rules r;

	msg_lang = langset_get(langs, "en");
	memset(&r, 0, sizeof(r));
	r.maxlength = 20;
	T_CHECK(message_is(JN_EMPTY, "Name", JN_TEXT, &r, "Enter an answer for “Name”"));
	T_CHECK(message_is(JN_EMPTY, NULL, JN_TEXT, &r, "Enter an answer for “this field”"));
	T_CHECK(message_is(JN_TOO_LONG, "Name", JN_TEXT, &r, "“Name” must be 20 characters or fewer"));
	T_CHECK(message_is(JN_TOO_LONG, "People", JN_NUMBER, NULL, "“People” must be 9 digits or fewer"));
	T_CHECK(message_is(JN_NOT_KANA, "Name (katakana)", JN_KANA, NULL, "Enter “Name (katakana)” in katakana "
	    "(the Japanese phonetic script), for example シンジュク ハナコ"));
	T_CHECK(message_is(JN_BAD_POSTAL, "Postcode", JN_POSTAL, NULL,
	    "Enter “Postcode” as a Japanese postcode of 7 digits, for example 160-8484"));
	T_CHECK(message_is(JN_BAD_TEL, "Phone", JN_TEL, NULL, "Enter “Phone” as a Japanese phone number of 10 or 11 "
	    "digits, starting with the area code, for example 03-3209-1111"));
	T_CHECK(message_is(JN_BAD_EMAIL, "Email", JN_EMAIL, NULL,
	    "Enter “Email” as an email address, for example hanako@example.jp"));
	T_CHECK(message_is(JN_EMAIL_ENCODED, "Email", JN_EMAIL, NULL,
	    "An address containing “=?” cannot be used for “Email”. Enter another email address"));
	T_CHECK(message_is(JN_BAD_DATE, "Birthday", JN_DATE, NULL,
	    "Enter “Birthday” as a real date, year-month-day, for example 1960-04-01"));
	T_CHECK(message_is(JN_DATE_FUTURE, "Birthday", JN_DATE, NULL, "“Birthday” cannot be a date in the future"));
	T_CHECK(message_is(JN_NOT_NUMBER, "People", JN_NUMBER, NULL, "Enter “People” as a number"));
	T_CHECK(message_is(JN_CONTROL, "Name", JN_TEXT, NULL, "“Name” contains characters that cannot be used"));
	T_CHECK(message_is(JN_NOMEM, "Name", JN_TEXT, NULL, "We could not check “Name”. Please try again"));
	memset(&r, 0, sizeof(r));
	r.has_min = r.has_max = 1;
	r.min = 1;
	r.max = 10;
	T_CHECK(message_is(JN_TOO_LARGE, "People", JN_NUMBER, &r, "“People” must be a number from 1 to 10"));
	r.has_min = 0;
	T_CHECK(message_is(JN_TOO_LARGE, "People", JN_NUMBER, &r, "“People” must be 10 or less"));
	r.has_max = 0;
	T_CHECK(message_is(JN_TOO_LARGE, "People", JN_NUMBER, &r, "The number for “People” is too large"));
	T_CHECK(message_is(JN_TOO_SMALL, "People", JN_NUMBER, &r, "The number for “People” is too small"));
	memset(&r, 0, sizeof(r));
	r.min_age = 60;
	r.max_age = 80;
	T_CHECK(message_is(JN_AGE_TOO_YOUNG, "Birthday", JN_DATE, &r, "This procedure is for people aged 60 or over"));
	r.age_on = ymd(2027, 3, 12);
	T_CHECK(message_is(JN_AGE_TOO_YOUNG, "Birthday", JN_DATE, &r,
	    "This procedure is for people aged 60 or over on Fri 12 March 2027"));
	T_CHECK(message_is(JN_AGE_TOO_OLD, "Birthday", JN_DATE, &r,
	    "This procedure is for people aged 80 or under on Fri 12 March 2027"));
	msg_lang = langset_at(langs, 0);
}

static void
message_no_label_and_ok(void)
{
	struct buf b;

	T_CHECK(message_is(JN_EMPTY, NULL, JN_TEXT, NULL, "この項目を入力してください"));
	T_CHECK(message_is(JN_OK, "氏名", JN_TEXT, NULL, ""));
	buf_init(&b);
	T_CHECK(jn_message((enum jn_err)999, "氏名", JN_TEXT, NULL, msg_lang, &b) == -1);
	buf_free(&b);
}

static void
message_every_error_nonempty(void)
{
	struct buf	 b;
	int		 e;

	buf_init(&b);
	for (e = JN_EMPTY; e <= JN_NOMEM; e++) {
		buf_reset(&b);
		T_CHECK(jn_message((enum jn_err)e, "項目", JN_TEXT, NULL, msg_lang, &b) == 0);
		T_CHECK(b.len > 0);
	}
	buf_free(&b);
}

static void
out_reset_on_success(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(buf_puts(&b, "junk") == 0);
	T_CHECK(jn_normalize(JN_POSTAL, "1608484", 7, NULL, &b) == JN_OK);
	T_STREQ(buf_cstr(&b), "160-8484");
	buf_free(&b);
}

static void
lookup_codes(void)
{
	char out[16];

	T_CHECK(jn_lookup_code("１２３４－５６７８－９０１２", strlen("１２３４－５６７８－９０１２"), 1, out, 16) == 0);
	T_STREQ(out, "123456789012");
	T_CHECK(jn_lookup_code("abcde fgh23", 11, 0, out, 16) == 0);
	T_STREQ(out, "ABCDEFGH23");
	T_CHECK(jn_lookup_code("1234-5678-901x", 14, 1, out, 16) == -1);	/* a letter in a receipt */
	T_CHECK(jn_lookup_code("- -", 3, 1, out, 16) == -1);			/* nothing left */
	T_CHECK(jn_lookup_code("1234567890123456", 16, 1, out, 16) == -1);	/* does not fit */
	T_CHECK(jn_lookup_code("\xff", 1, 1, out, 16) == -1);
}

int
main(void)
{
	char	dir[4096];
	int	rc;

	if (t_locale_dir(dir, sizeof(dir)) == -1 || (langs = langset_load(dir, NULL)) == NULL)
		return 1;
	msg_lang = langset_at(langs, 0);
	T_RUN(postal_fullwidth_digits);
	T_RUN(postal_seven_digits);
	T_RUN(postal_each_hyphen);
	T_RUN(postal_mark_and_spaces);
	T_RUN(postal_bad);
	T_RUN(tel_fullwidth_digits);
	T_RUN(tel_without_hyphens);
	T_RUN(tel_each_hyphen);
	T_RUN(tel_parens_and_spaces_dropped);
	T_RUN(tel_plus81);
	T_RUN(tel_hyphens_collapsed);
	T_RUN(tel_bad);
	T_RUN(number_fullwidth_digits);
	T_RUN(number_leading_zeros);
	T_RUN(number_not_digits);
	T_RUN(number_default_nine_digits);
	T_RUN(number_min_max);
	T_RUN(number_overflow);
	T_RUN(kana_halfwidth_to_fullwidth);
	T_RUN(text_halfwidth_to_fullwidth);
	T_RUN(kana_hiragana_to_katakana);
	T_RUN(kana_long_mark_and_dot_kept);
	T_RUN(kana_spaces_collapsed);
	T_RUN(kana_rejects_others);
	T_RUN(text_names_survive);
	T_RUN(text_emoji_survive);
	T_RUN(text_fullwidth_ascii_and_spaces);
	T_RUN(text_inner_spaces_kept);
	T_RUN(text_trailing_newline_trimmed);
	T_RUN(textarea_crlf_to_lf);
	T_RUN(textarea_line_separator_to_lf);
	T_RUN(text_control_rejected);
	T_RUN(textarea_control_rejected);
	T_RUN(nfkc_compatibility_forms);
	T_RUN(empty_after_trim);
	T_RUN(invalid_utf8);
	T_RUN(overlong_utf8);
	T_RUN(maxlength_boundary);
	T_RUN(maxlength_after_normalisation);
	T_RUN(maxlength_text_default);
	T_RUN(maxlength_kana_default);
	T_RUN(hostile_length_bounded);
	T_RUN(email_good);
	T_RUN(email_fullwidth);
	T_RUN(email_encoded_word_refused);
	T_RUN(email_encoded_word_message);
	T_RUN(email_ok_for_the_composer);
	T_RUN(email_bad_shape);
	T_RUN(email_bad_dots);
	T_RUN(email_bad_domain_labels);
	T_RUN(email_non_ascii);
	T_RUN(email_lengths);
	T_RUN(date_iso);
	T_RUN(date_slash);
	T_RUN(date_dot);
	T_RUN(date_kanji);
	T_RUN(date_bad_syntax);
	T_RUN(date_leap_years);
	T_RUN(date_bad_calendar);
	T_RUN(date_eras);
	T_RUN(date_era_ligatures_and_letters);
	T_RUN(date_out_of_era);
	T_RUN(date_not_future);
	T_RUN(date_age_exactly_min);
	T_RUN(date_age_max);
	T_RUN(date_age_falls_back_to_today);
	T_RUN(age_on_feb29);
	T_RUN(date_valid);
	T_RUN(date_parse_strict);
	T_RUN(date_scan_says_why);
	T_RUN(weekday);
	T_RUN(charcount);
	T_RUN(message_empty_and_long);
	T_RUN(message_formats);
	T_RUN(message_range);
	T_RUN(message_age);
	T_RUN(message_in_english);
	T_RUN(message_no_label_and_ok);
	T_RUN(message_every_error_nonempty);
	T_RUN(out_reset_on_success);
	T_RUN(lookup_codes);
	T_RUN(month_day_forms);
	T_RUN(month_day_feb29);
	T_RUN(month_day_refused);
	T_RUN(month_day_canonical_strict);
	T_RUN(month_day_display_and_message);
	T_RUN(ward_address_forms);
	T_RUN(ward_address_refused);
	T_RUN(days_between);
	rc = T_DONE();
	langset_free(langs);
	return rc;
}
