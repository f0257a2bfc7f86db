/*
 * kv: one case per parsing rule, good and bad.  Dummy values only.
 */
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "t.h"

enum { D_A, D_B, D_NAME, D_BOX, D_ACT, D_NUM, D__N };

static const struct kv_decl decls[D__N] = {
	[D_A] = { "a", 8, 1, NULL },
	[D_B] = { "b", 8, 0, NULL },
	[D_NAME] = { "name", 3, 1, NULL },
	[D_BOX] = { "box", 4, 3, NULL },
	[D_ACT] = { "act", 16, 1, kv_valid_token },
	[D_NUM] = { "num", 8, 1, kv_valid_digits },
};

static struct kv_form f;

/* Parse s with the table above and a generous pair limit. */
static int
url(const char *s)
{
	return kv_parse_urlencoded(&f, decls, D__N, s, strlen(s), 256);
}

static int
cookies(const char *s)
{
	return kv_parse_cookies(&f, decls, D__N, s, 32);
}

static const char *
val(size_t i)
{
	const struct kv_value *v = kv_get(&f, i);

	return v != NULL ? v->p : NULL;
}

static int
failed_with(int rc, enum kv_err err, const char *key)
{
	return rc == -1 && f.err == err && strcmp(f.errkey, key) == 0 && kv_get(&f, D_A) == NULL;
}

static void
t_simple_pairs(void)
{
	int rc = url("a=1&b=xyz");

	T_CHECK(rc == 0 && f.err == KV_OK);
	T_STREQ(f.errkey, "");
	T_STREQ(val(D_A), "1");
	T_STREQ(val(D_B), "xyz");
	T_CHECK(kv_get(&f, D_B)->len == 3);
	T_CHECK(kv_get(&f, D_NAME) == NULL);
}

static void
t_plus_and_pct20(void)
{
	T_CHECK(url("a=x+y%20z") == 0);
	T_STREQ(val(D_A), "x y z");
}

static void
t_utf8_decoding(void)
{
	T_CHECK(url("name=%E6%97%A5") == 0);
	T_STREQ(val(D_NAME), "\xe6\x97\xa5");	/* 日 */
	T_CHECK(kv_get(&f, D_NAME)->len == 3);
}

static void
t_key_decoded(void)
{
	T_CHECK(url("%61=1&n%61me=x") == 0);
	T_STREQ(val(D_A), "1");
	T_STREQ(val(D_NAME), "x");
}

static void
t_key_with_nul_unknown(void)
{
	T_CHECK(url("a%00=1") == 0);
	T_CHECK(kv_get(&f, D_A) == NULL);
}

static void
t_unknown_key_ignored(void)
{
	size_t i;

	T_CHECK(url("zzz=1&a=2&A=3") == 0);
	T_STREQ(val(D_A), "2");
	for (i = 0; i < D__N; i++)
		T_CHECK(i == D_A || kv_get(&f, i) == NULL);
}

/* Decision: values of unknown keys are skipped without decoding. */
static void
t_unknown_value_not_decoded(void)
{
	T_CHECK(url("zzz=%FF%00%zz\xff&a=1") == 0);
	T_STREQ(val(D_A), "1");
}

static void
t_unknown_key_bad_escape(void)
{
	T_CHECK(failed_with(url("a=1&%zz=1"), KV_BAD_ESCAPE, "%zz"));
}

static void
t_equals_in_value(void)
{
	T_CHECK(url("a=b=c") == 0);
	T_STREQ(val(D_A), "b=c");
}

static void
t_repeated_single(void)
{
	T_CHECK(failed_with(url("a=1&a=2"), KV_REPEATED, "a"));
}

static void
t_repeated_maxcount_zero(void)
{
	T_CHECK(url("b=1&b=2") == -1 && f.err == KV_REPEATED);
	T_STREQ(f.errkey, "b");
}

static void
t_checkbox_three(void)
{
	T_CHECK(url("box=x&box=y&a=1&box=z") == 0);
	T_CHECK(f.slots[D_BOX].n == 3);
	T_STREQ(f.slots[D_BOX].v[0].p, "x");
	T_STREQ(f.slots[D_BOX].v[1].p, "y");
	T_STREQ(f.slots[D_BOX].v[2].p, "z");
	T_STREQ(val(D_BOX), "x");
}

static void
t_checkbox_four(void)
{
	T_CHECK(failed_with(url("box=x&box=y&box=z&box=w"), KV_REPEATED, "box"));
}

static void
t_pct00_nul(void)
{
	T_CHECK(failed_with(url("a=x%00y"), KV_NUL, "a"));
}

static void
t_raw_nul(void)
{
	T_CHECK(kv_parse_urlencoded(&f, decls, D__N, "a=x\0y", 5, 8) == -1 && f.err == KV_NUL);
}

static void
t_raw_bad_utf8(void)
{
	T_CHECK(failed_with(url("a=\xff"), KV_BAD_UTF8, "a"));
}

static void
t_truncated_utf8(void)
{
	T_CHECK(failed_with(url("a=%E6%97"), KV_BAD_UTF8, "a"));
}

static void
t_pct_ff(void)
{
	T_CHECK(failed_with(url("a=%FF"), KV_BAD_UTF8, "a"));
}

static void
t_overlong_utf8(void)
{
	T_CHECK(failed_with(url("a=%C0%AF"), KV_BAD_UTF8, "a"));	/* overlong '/' */
}

static void
t_too_long(void)
{
	T_CHECK(failed_with(url("a=123456789"), KV_TOO_LONG, "a"));
}

static void
t_exact_length_ok(void)
{
	T_CHECK(url("a=12345678") == 0);
	T_CHECK(kv_get(&f, D_A)->len == 8);
}

/* maxlen counts decoded bytes: 9 raw characters, 3 bytes. */
static void
t_length_after_decoding(void)
{
	T_CHECK(url("name=%E6%97%A5") == 0);
	kv_free(&f);
	T_CHECK(url("name=%E6%97%A5a") == -1 && f.err == KV_TOO_LONG);
}

static void
t_escape_alone(void)
{
	T_CHECK(failed_with(url("a=%"), KV_BAD_ESCAPE, "a"));
}

static void
t_escape_one_digit(void)
{
	T_CHECK(failed_with(url("a=%4"), KV_BAD_ESCAPE, "a"));
}

static void
t_escape_not_hex(void)
{
	T_CHECK(failed_with(url("a=%zz"), KV_BAD_ESCAPE, "a"));
}

static void
t_escape_half_hex(void)
{
	T_CHECK(failed_with(url("a=%4z&b=1"), KV_BAD_ESCAPE, "a"));
}

static void
t_escape_lowercase_ok(void)
{
	T_CHECK(url("name=%e6%97%a5") == 0);
	T_STREQ(val(D_NAME), "\xe6\x97\xa5");
}

static void
t_validator_rejects(void)
{
	T_CHECK(failed_with(url("act=Save"), KV_INVALID, "act"));
}

static void
t_validator_accepts(void)
{
	T_CHECK(url("act=save-draft&num=0123") == 0);
	T_STREQ(val(D_ACT), "save-draft");
	T_STREQ(val(D_NUM), "0123");
}

static void
t_validator_sees_empty(void)
{
	T_CHECK(failed_with(url("num="), KV_INVALID, "num"));
}

static void
t_too_many_pairs(void)
{
	const char *s = "a=1&zzz=2&b=3";

	T_CHECK(kv_parse_urlencoded(&f, decls, D__N, s, strlen(s), 2) == -1);
	T_CHECK(f.err == KV_TOO_MANY && kv_get(&f, D_A) == NULL);
	T_STREQ(f.errkey, "b");
}

static void
t_pairs_at_limit(void)
{
	const char *s = "a=1&zzz=2&b=3";

	T_CHECK(kv_parse_urlencoded(&f, decls, D__N, s, strlen(s), 3) == 0);
	T_STREQ(val(D_B), "3");
}

static void
t_empty_pairs_skipped(void)
{
	const char *s = "&a=1&&&b=2&";

	T_CHECK(kv_parse_urlencoded(&f, decls, D__N, s, strlen(s), 2) == 0);
	T_STREQ(val(D_A), "1");
	T_STREQ(val(D_B), "2");
}

static void
t_empty_body(void)
{
	size_t i;

	T_CHECK(url("") == 0 && f.err == KV_OK);
	for (i = 0; i < D__N; i++)
		T_CHECK(kv_get(&f, i) == NULL);
	kv_free(&f);
	T_CHECK(kv_parse_urlencoded(&f, decls, D__N, NULL, 0, 0) == 0);
}

static void
t_no_decls(void)
{
	T_CHECK(kv_parse_urlencoded(&f, NULL, 0, "a=1", 3, 8) == 0);
	T_CHECK(kv_get(&f, 0) == NULL);
}

static void
t_key_without_equals(void)
{
	T_CHECK(url("a&b=2") == 0);
	T_STREQ(val(D_A), "");
	T_CHECK(kv_get(&f, D_A)->len == 0);
	T_STREQ(val(D_B), "2");
}

static void
t_get_out_of_range(void)
{
	T_CHECK(url("a=1") == 0);
	T_CHECK(kv_get(&f, D__N) == NULL);
	T_CHECK(kv_get(NULL, 0) == NULL);
}

/* Declarations built at run time, as the form loader does. */
static void
t_runtime_decls(void)
{
	struct kv_decl	*d = calloc(2, sizeof(*d));
	char		*name = strdup("f_zip");
	int		 rc;

	T_CHECK(d != NULL && name != NULL);
	d[0] = (struct kv_decl){ "csrf", 64, 1, kv_valid_b64url };
	d[1] = (struct kv_decl){ name, 16, 1, NULL };
	rc = kv_parse_urlencoded(&f, d, 2, "f_zip=160-0022&csrf=AbC_-9", 26, 16);
	if (rc == 0 && val(1) != NULL && strcmp(val(1), "160-0022") == 0 &&
	    val(0) != NULL && strcmp(val(0), "AbC_-9") == 0)
		rc = 1;
	kv_free(&f);
	free(name);
	free(d);
	T_CHECK(rc == 1);
}

static void
t_cookies_spaces(void)
{
	T_CHECK(cookies("  a=1 ;b=2;\tname = x  ") == 0);
	T_STREQ(val(D_A), "1");
	T_STREQ(val(D_B), "2");
	T_STREQ(val(D_NAME), "x");
}

static void
t_cookies_missing_equals(void)
{
	T_CHECK(cookies("a; b=2;;") == 0);
	T_CHECK(kv_get(&f, D_A) == NULL);
	T_STREQ(val(D_B), "2");
}

static void
t_cookies_repeated(void)
{
	T_CHECK(failed_with(cookies("a=1; b=1; a=2"), KV_REPEATED, "a"));
}

static void
t_cookies_unknown_repeated_ok(void)
{
	T_CHECK(cookies("_ga=1; _ga=2; a=3") == 0);
	T_STREQ(val(D_A), "3");
}

static void
t_cookies_not_decoded(void)
{
	T_CHECK(cookies("a=x%41+y") == 0);
	T_STREQ(val(D_A), "x%41+y");
}

static void
t_cookies_empty(void)
{
	T_CHECK(cookies("") == 0);
	T_CHECK(kv_get(&f, D_A) == NULL);
	kv_free(&f);
	T_CHECK(cookies(NULL) == 0);
}

static void
t_cookies_too_many(void)
{
	T_CHECK(kv_parse_cookies(&f, decls, D__N, "x=1; y=2; a=3", 2) == -1);
	T_CHECK(f.err == KV_TOO_MANY);
	T_STREQ(f.errkey, "a");
}

static void
t_cookies_bad_utf8(void)
{
	T_CHECK(failed_with(cookies("a=\xe6\x97"), KV_BAD_UTF8, "a"));
}

static void
t_cookies_validator(void)
{
	T_CHECK(failed_with(cookies("num=\"12\""), KV_INVALID, "num"));
}

/* Whatever fails, the value stays out of errkey. */
static void
t_errkey_never_value(void)
{
	static const char *bad[] = {
		"a=SECRETSECRET", "a=SECRET%FF", "a=SECRET%00", "a=SECRET%zz",
		"num=SECRET", "a=SECRET&a=SECRET",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_CHECK(url(bad[i]) == -1);
		T_CHECK(strstr(f.errkey, "SECRET") == NULL && f.errkey[0] != '\0');
		kv_free(&f);
	}
}

static void
t_errkey_printable_truncated(void)
{
	char	 in[200];
	size_t	 i;

	memset(in, 'k', sizeof(in));
	in[0] = '\x01';
	in[1] = '\xe6';
	memcpy(in + 150, "%zz=v", 5);
	T_CHECK(kv_parse_urlencoded(&f, decls, D__N, in, 155, 8) == -1 && f.err == KV_BAD_ESCAPE);
	T_CHECK(strlen(f.errkey) == sizeof(f.errkey) - 1);
	T_CHECK(f.errkey[0] == '?' && f.errkey[1] == '?' && f.errkey[2] == 'k');
	for (i = 0; f.errkey[i] != '\0'; i++)
		T_CHECK(f.errkey[i] >= 0x20 && f.errkey[i] < 0x7f);
}

/* Values parsed before the failure are freed by then; kv_free is still safe, twice. */
static void
t_free_after_failure(void)
{
	T_CHECK(url("a=1&box=x&box=y&name=%FF") == -1 && f.err == KV_BAD_UTF8);
	T_CHECK(f.slots == NULL && kv_get(&f, D_BOX) == NULL);
	kv_free(&f);
	kv_free(&f);
	T_CHECK(f.err == KV_OK && f.slots == NULL);
}

static void
t_free_after_success_twice(void)
{
	T_CHECK(url("a=1&box=x") == 0);
	kv_free(&f);
	T_CHECK(kv_get(&f, D_A) == NULL);
	kv_free(&f);
}

static void
t_valid_b64url(void)
{
	T_CHECK(kv_valid_b64url("Az09_-", 6) == 1);
	T_CHECK(kv_valid_b64url("", 0) == 0);
	T_CHECK(kv_valid_b64url("a+b", 3) == 0);
	T_CHECK(kv_valid_b64url("ab=", 3) == 0);
}

static void
t_valid_digits(void)
{
	T_CHECK(kv_valid_digits("0123456789", 10) == 1);
	T_CHECK(kv_valid_digits("", 0) == 0);
	T_CHECK(kv_valid_digits("12a", 3) == 0);
	T_CHECK(kv_valid_digits("\xef\xbc\x91", 3) == 0);	/* full-width 1 */
}

static void
t_valid_token(void)
{
	T_CHECK(kv_valid_token("save_draft-2", 12) == 1);
	T_CHECK(kv_valid_token("", 0) == 0);
	T_CHECK(kv_valid_token("Save", 4) == 0);
	T_CHECK(kv_valid_token("a b", 3) == 0);
}

static void
t_strerror(void)
{
	int e;

	for (e = KV_OK; e <= KV_NOMEM; e++)
		T_CHECK(kv_strerror((enum kv_err)e)[0] != '\0');
	T_STREQ(kv_strerror(KV_TOO_LONG), "value too long");
	T_STREQ(kv_strerror((enum kv_err)99), "unknown error");
}

#define RUN(fn) do { T_RUN(fn); kv_free(&f); } while (0)

int
main(void)
{
	RUN(t_simple_pairs);
	RUN(t_plus_and_pct20);
	RUN(t_utf8_decoding);
	RUN(t_key_decoded);
	RUN(t_key_with_nul_unknown);
	RUN(t_unknown_key_ignored);
	RUN(t_unknown_value_not_decoded);
	RUN(t_unknown_key_bad_escape);
	RUN(t_equals_in_value);
	RUN(t_repeated_single);
	RUN(t_repeated_maxcount_zero);
	RUN(t_checkbox_three);
	RUN(t_checkbox_four);
	RUN(t_pct00_nul);
	RUN(t_raw_nul);
	RUN(t_raw_bad_utf8);
	RUN(t_truncated_utf8);
	RUN(t_pct_ff);
	RUN(t_overlong_utf8);
	RUN(t_too_long);
	RUN(t_exact_length_ok);
	RUN(t_length_after_decoding);
	RUN(t_escape_alone);
	RUN(t_escape_one_digit);
	RUN(t_escape_not_hex);
	RUN(t_escape_half_hex);
	RUN(t_escape_lowercase_ok);
	RUN(t_validator_rejects);
	RUN(t_validator_accepts);
	RUN(t_validator_sees_empty);
	RUN(t_too_many_pairs);
	RUN(t_pairs_at_limit);
	RUN(t_empty_pairs_skipped);
	RUN(t_empty_body);
	RUN(t_no_decls);
	RUN(t_key_without_equals);
	RUN(t_get_out_of_range);
	RUN(t_runtime_decls);
	RUN(t_cookies_spaces);
	RUN(t_cookies_missing_equals);
	RUN(t_cookies_repeated);
	RUN(t_cookies_unknown_repeated_ok);
	RUN(t_cookies_not_decoded);
	RUN(t_cookies_empty);
	RUN(t_cookies_too_many);
	RUN(t_cookies_bad_utf8);
	RUN(t_cookies_validator);
	RUN(t_errkey_never_value);
	RUN(t_errkey_printable_truncated);
	RUN(t_free_after_failure);
	RUN(t_free_after_success_twice);
	RUN(t_valid_b64url);
	RUN(t_valid_digits);
	RUN(t_valid_token);
	RUN(t_strerror);
	return T_DONE();
}
