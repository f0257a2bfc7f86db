/*
 * Fuzz jn_normalize: the first byte picks the field type (low 4 bits, modulo
 * the number of types) and a rule set (high 4 bits); the rest is the
 * resident's input.  On JN_OK the
 * output must be valid UTF-8 without control characters (LF and TAB only in
 * a textarea), within maxlength, and a fixed point: normalising it again
 * gives the same bytes.  On failure the output is empty and the message is
 * valid UTF-8, in Japanese and in English (the catalogues in build/locale:
 * the harness runs from the repository).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "jnorm.h"
#include "lang.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void
rules_for(unsigned variant, struct jn_rules *r)
{
	memset(r, 0, sizeof(*r));
	if (variant & 1)
		r->maxlength = 10;
	if (variant & 2) {
		r->has_min = r->has_max = 1;
		r->min = 3;
		r->max = 5000;
	}
	if (variant & 4) {
		r->min_age = 18;
		r->max_age = 90;
		r->age_on.y = 2027;
		r->age_on.m = 3;
		r->age_on.d = 12;
	}
	if (variant & 8) {
		r->not_future = 1;
		r->today.y = 2026;
		r->today.m = 5;
		r->today.d = 30;
	}
}

static void
check_output(enum jn_type type, const struct jn_rules *r, const struct buf *out)
{
	const uint8_t	*s = (const uint8_t *)out->data;
	size_t		 i = 0;
	ucs4_t		 uc;
	int		 n;

	CHECK(out->len > 0 && s != NULL);
	CHECK(u8_check(s, out->len) == NULL);
	CHECK(strlen(out->data) == out->len);
	while (i < out->len) {
		n = u8_mbtouc(&uc, s + i, out->len - i);
		CHECK(n > 0);
		if (uc < 0x20 || (uc >= 0x7F && uc <= 0x9F))
			CHECK(type == JN_TEXTAREA && (uc == '\n' || uc == '\t'));
		i += (size_t)n;
	}
	if (r->maxlength != 0)
		CHECK(jn_charcount(out->data, out->len) <= r->maxlength);
	if (type == JN_POSTAL)
		CHECK(out->len == 8 && out->data[3] == '-');
	if (type == JN_DATE) {
		struct jn_date d;

		CHECK(jn_date_parse(out->data, &d) == 0);
	}
	if (type == JN_MONTH_DAY) {
		int m, d;

		CHECK(jn_month_day_parse(out->data, &m, &d) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct langset	*langs;
	struct jn_rules		 r;
	struct buf		 out, again, msg;
	enum jn_type		 type;
	enum jn_err		 err;
	size_t			 l;

	if (langs == NULL && (langs = langset_load("build/locale", NULL)) == NULL)
		abort();
	if (size < 1)
		return 0;
	type = (enum jn_type)((data[0] & 15) % (JN_MONTH_DAY + 1));
	rules_for(data[0] >> 4, &r);
	buf_init(&out);
	buf_init(&again);
	buf_init(&msg);
	err = jn_normalize(type, (const char *)data + 1, size - 1, &r, &out);
	if (err == JN_OK) {
		check_output(type, &r, &out);
		CHECK(jn_normalize(type, out.data, out.len, &r, &again) == JN_OK);
		CHECK(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
	} else {
		CHECK(out.len == 0);
		for (l = 0; l < langset_count(langs); l++) {
			buf_reset(&msg);
			CHECK(jn_message(err, "項目", type, &r, langset_at(langs, l), &msg) == 0);
			CHECK(msg.len > 0 && u8_check((const uint8_t *)msg.data, msg.len) == NULL);
		}
	}
	buf_free(&out);
	buf_free(&again);
	buf_free(&msg);
	return 0;
}
