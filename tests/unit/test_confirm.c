/* Unit tests for lib/confirm.c: the confirmation token and the keys derived from it. */
#include "confirm.h"
#include "t.h"

#define NOW	1795000000

static unsigned char key[SEAL_KEY_LEN];
static const char answers_text[] = "{\"name\":\"テスト 花子\"}";

static void
bind(struct confirm_bind *b)
{
	b->key = key;
	b->procedure = "e2e-open";
	b->form_hash = "abababababababababababababababababababababababababababababababab";
	b->browser = "browser-cookie";
}

static void
answers(struct buf *a, const char *text)
{
	buf_init(a);
	buf_puts(a, text);
}

/* 0 when tok passes confirm_check for these answers at now. */
static int
check(const struct confirm_bind *b, time_t now, const struct buf *tok, const char *text,
    unsigned char stamp[CONFIRM_STAMP_LEN])
{
	struct buf	a;
	int		rc;

	answers(&a, text);
	rc = confirm_check(b, now, buf_cstr(tok), tok->len, &a, stamp);
	buf_free(&a);
	return rc;
}

/* The binding, the answers and a token made for them at NOW. */
struct fixture {
	struct confirm_bind	b;
	struct buf		a, tok;
	unsigned char		stamp[CONFIRM_STAMP_LEN];
};

static int
setup(struct fixture *f)
{
	bind(&f->b);
	answers(&f->a, answers_text);
	buf_init(&f->tok);
	return confirm_token(&f->b, NOW, &f->a, &f->tok);
}

static void
teardown(struct fixture *f)
{
	buf_free(&f->a);
	buf_free(&f->tok);
}

static void
token_round_trip(void)
{
	struct confirm_bind	b;
	struct buf		a, tok, again;
	unsigned char		stamp[CONFIRM_STAMP_LEN], raw[CONFIRM_STAMP_LEN + SEAL_MAC_LEN];
	unsigned char		k1[SEAL_MAC_LEN], k2[SEAL_MAC_LEN];
	char			i1[CONFIRM_INQUIRY_LEN + 1], i2[CONFIRM_INQUIRY_LEN + 1];

	bind(&b);
	answers(&a, answers_text);
	buf_init(&tok);
	buf_init(&again);
	T_CHECK(confirm_token(&b, NOW, &a, &tok) == 0 && confirm_token(&b, NOW, &a, &again) == 0);
	T_CHECK(strcmp(buf_cstr(&tok), buf_cstr(&again)) != 0);	/* a fresh nonce each time */
	T_CHECK(check(&b, NOW + 60, &tok, answers_text, stamp) == 0);
	T_CHECK(seal_b64url_decode(buf_cstr(&tok), tok.len, raw, sizeof(raw)) == (int)sizeof(raw));
	T_CHECK(memcmp(stamp, raw, CONFIRM_STAMP_LEN) == 0);
	/* the same page sent twice derives the same keys: the second send finds the first */
	T_CHECK(confirm_submit_key(key, stamp, k1) == 0 && confirm_inquiry_key(key, stamp, i1) == 0);
	T_CHECK(check(&b, NOW + 120, &tok, answers_text, stamp) == 0);
	T_CHECK(confirm_submit_key(key, stamp, k2) == 0 && confirm_inquiry_key(key, stamp, i2) == 0);
	T_CHECK(memcmp(k1, k2, sizeof(k1)) == 0 && strcmp(i1, i2) == 0 && strlen(i1) == CONFIRM_INQUIRY_LEN);
	buf_free(&a);
	buf_free(&tok);
	buf_free(&again);
}

static void
edited_answer_refused(void)
{
	struct fixture f;

	T_CHECK(setup(&f) == 0);
	T_CHECK(check(&f.b, NOW, &f.tok, "{\"name\":\"テスト 太郎\"}", f.stamp) == -1);
	T_CHECK(check(&f.b, NOW, &f.tok, "", f.stamp) == -1);
	teardown(&f);
}

static void
expired_token_refused(void)
{
	struct fixture f;

	T_CHECK(setup(&f) == 0);
	T_CHECK(check(&f.b, NOW + CONFIRM_TTL, &f.tok, answers_text, f.stamp) == 0);
	T_CHECK(check(&f.b, NOW + CONFIRM_TTL + 1, &f.tok, answers_text, f.stamp) == -1);
	teardown(&f);
}

/* The page copied into another browser (another CSRF cookie) cannot be sent. */
static void
other_csrf_cookie_refused(void)
{
	struct fixture f;

	T_CHECK(setup(&f) == 0);
	f.b.browser = "another-cookie";
	T_CHECK(check(&f.b, NOW, &f.tok, answers_text, f.stamp) == -1);
	bind(&f.b);
	f.b.form_hash = "cd";	/* the definition changed since */
	T_CHECK(check(&f.b, NOW, &f.tok, answers_text, f.stamp) == -1);
	bind(&f.b);
	f.b.procedure = "e2e-other";
	T_CHECK(check(&f.b, NOW, &f.tok, answers_text, f.stamp) == -1);
	bind(&f.b);
	T_CHECK(check(&f.b, NOW, &f.tok, answers_text, f.stamp) == 0);
	teardown(&f);
}

static void
malformed_token_refused(void)
{
	struct fixture f;

	T_CHECK(setup(&f) == 0);
	T_CHECK(confirm_check(&f.b, NOW, NULL, 0, &f.a, f.stamp) == -1);
	T_CHECK(confirm_check(&f.b, NOW, buf_cstr(&f.tok), f.tok.len - 1, &f.a, f.stamp) == -1);
	T_CHECK(confirm_check(&f.b, NOW, "!!!!", 4, &f.a, f.stamp) == -1);
	teardown(&f);
}

/* Reference vectors, computed outside this code (tests/unit/crypto_vectors.py prints them). */
static void
fixed_reference_vector(void)
{
	struct confirm_bind	b;
	struct buf		a, tok;
	unsigned char		nonce[CONFIRM_NONCE_LEN], stamp[CONFIRM_STAMP_LEN], k[SEAL_MAC_LEN];
	char			inquiry[CONFIRM_INQUIRY_LEN + 1];

	bind(&b);
	answers(&a, answers_text);
	buf_init(&tok);
	t_counting_bytes(nonce, sizeof(nonce));
	T_CHECK(confirm_token_at(&b, nonce, 1795000000, &a, &tok) == 0);
	T_STREQ(buf_cstr(&tok), "AAECAwQFBgcICQoLDA0ODwAAAABq_YbAjeBSJq_LKzkbo86iRmWjJ2aaOYI3W-KH0uk4nmNBhVM");
	T_CHECK(confirm_check(&b, NOW, buf_cstr(&tok), tok.len, &a, stamp) == 0);
	T_CHECK(confirm_submit_key(key, stamp, k) == 0);
	T_CHECK(t_hex_is(k, sizeof(k), "000000006afd86c0a5c6dd85833ce178a520ec0fda43199c67b3158e9b60437e"));
	T_CHECK(confirm_inquiry_key(key, stamp, inquiry) == 0);
	T_STREQ(inquiry, "6UW5SPLDXT");
	T_CHECK(confirm_inquiry_hash(key, inquiry, k) == 0);
	T_CHECK(t_hex_is(k, sizeof(k), "d57e688296fb836f3424ce77f86c9b227c286dbbdb44f3bb976d347629e3c059"));
	buf_free(&a);
	buf_free(&tok);
}

int
main(void)
{
	if (seal_init() == -1)
		return 1;
	t_counting_bytes(key, sizeof(key));
	T_RUN(token_round_trip);
	T_RUN(edited_answer_refused);
	T_RUN(expired_token_refused);
	T_RUN(other_csrf_cookie_refused);
	T_RUN(malformed_token_refused);
	T_RUN(fixed_reference_vector);
	return T_DONE();
}
