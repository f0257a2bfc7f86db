/* Unit tests for lib/seal.c: sealing, wrapping, recovery keys, MACs, encodings, key files. */
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "t.h"

static unsigned char pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];

static void
box_round_trip(void)
{
	struct buf c, m;

	buf_init(&c);
	buf_init(&m);
	T_CHECK(seal_box(pk, "ダミー花子", strlen("ダミー花子"), &c) == 0);
	T_CHECK(c.len == strlen("ダミー花子") + crypto_box_SEALBYTES);
	T_CHECK(seal_open(pk, sk, c.data, c.len, &m) == 0);
	T_STREQ(buf_cstr(&m), "ダミー花子");
	buf_free(&c);
	buf_free(&m);
}

static void
box_wrong_key_fails(void)
{
	unsigned char pk2[SEAL_PK_LEN], sk2[SEAL_SK_LEN];
	struct buf c, m;

	buf_init(&c);
	buf_init(&m);
	T_CHECK(seal_keypair(pk2, sk2) == 0);
	T_CHECK(seal_box(pk, "x", 1, &c) == 0);
	T_CHECK(seal_open(pk2, sk2, c.data, c.len, &m) == -1);
	T_CHECK(m.len == 0);
	buf_free(&c);
	buf_free(&m);
}

static void
box_tampered_fails(void)
{
	struct buf c, m;

	buf_init(&c);
	buf_init(&m);
	T_CHECK(seal_box(pk, "abc", 3, &c) == 0);
	c.data[c.len - 1] ^= 1;
	T_CHECK(seal_open(pk, sk, c.data, c.len, &m) == -1);
	T_CHECK(seal_open(pk, sk, c.data, 10, &m) == -1);	/* shorter than the overhead */
	buf_free(&c);
	buf_free(&m);
}

static void
wrap_round_trip_and_failures(void)
{
	unsigned char key[SEAL_KEY_LEN], other[SEAL_KEY_LEN], out[SEAL_SK_LEN];
	struct buf w;

	buf_init(&w);
	seal_random(key, sizeof(key));
	seal_random(other, sizeof(other));
	T_CHECK(seal_wrap(key, sk, sizeof(sk), &w) == 0);
	T_CHECK(seal_unwrap(key, w.data, w.len, out, sizeof(out)) == 0);
	T_CHECK(memcmp(out, sk, sizeof(sk)) == 0);
	T_CHECK(seal_unwrap(other, w.data, w.len, out, sizeof(out)) == -1);
	T_CHECK(seal_unwrap(key, w.data, w.len - 1, out, sizeof(out)) == -1);
	buf_free(&w);
}

static void
recovery_round_trip(void)
{
	unsigned char key[SEAL_KEY_LEN], back[SEAL_KEY_LEN];
	char p[SEAL_RECOVERY_LEN], lower[SEAL_RECOVERY_LEN];
	size_t i;

	T_CHECK(seal_recovery_new(key, p) == 0);
	T_CHECK(strlen(p) == SEAL_RECOVERY_LEN - 1);
	T_CHECK(seal_recovery_parse(p, back) == 0);
	T_CHECK(memcmp(key, back, sizeof(key)) == 0);
	for (i = 0; p[i] != '\0'; i++)	/* lower case, spaces for hyphens: still the same key */
		lower[i] = p[i] == '-' ? ' ' : (p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
	lower[i] = '\0';
	T_CHECK(seal_recovery_parse(lower, back) == 0);
	T_CHECK(memcmp(key, back, sizeof(key)) == 0);
}

static void
recovery_bad_rejected(void)
{
	unsigned char key[SEAL_KEY_LEN];
	char p[SEAL_RECOVERY_LEN];

	T_CHECK(seal_recovery_new(key, p) == 0);
	p[0] = '0';			/* not in the alphabet */
	T_CHECK(seal_recovery_parse(p, key) == -1);
	T_CHECK(seal_recovery_parse("ABCD-EFGH", key) == -1);	/* too short */
	T_CHECK(seal_recovery_parse("", key) == -1);
}

static void
mac_verify_and_domains(void)
{
	unsigned char key[SEAL_KEY_LEN], mac[SEAL_MAC_LEN];

	seal_random(key, sizeof(key));
	T_CHECK(seal_mac(key, "csrf", "abc", 3, mac) == 0);
	T_CHECK(seal_mac_verify(key, "csrf", "abc", 3, mac) == 0);
	T_CHECK(seal_mac_verify(key, "confirm", "abc", 3, mac) == -1);
	T_CHECK(seal_mac_verify(key, "csrf", "abd", 3, mac) == -1);
}

static void
b64url_round_trip_and_garbage(void)
{
	unsigned char in[40], out[40];
	struct buf b;

	buf_init(&b);
	seal_random(in, sizeof(in));
	T_CHECK(seal_b64url(in, sizeof(in), &b) == 0);
	T_CHECK(strchr(b.data, '=') == NULL && strchr(b.data, '+') == NULL && strchr(b.data, '/') == NULL);
	T_CHECK(seal_b64url_decode(b.data, b.len, out, sizeof(out)) == (int)sizeof(in));
	T_CHECK(memcmp(in, out, sizeof(in)) == 0);
	T_CHECK(seal_b64url_decode("ab$d", 4, out, sizeof(out)) == -1);
	T_CHECK(seal_b64url_decode(b.data, b.len, out, 10) == -1);	/* does not fit */
	buf_free(&b);
}

static void
key_id_stable_hex(void)
{
	char a[SEAL_KEYID_LEN + 1], b[SEAL_KEYID_LEN + 1];
	size_t i;

	T_CHECK(seal_key_id(pk, a) == 0 && seal_key_id(pk, b) == 0);
	T_STREQ(a, b);
	T_CHECK(strlen(a) == SEAL_KEYID_LEN);
	for (i = 0; i < SEAL_KEYID_LEN; i++)
		T_CHECK(strchr("0123456789abcdef", a[i]) != NULL);
}

/*
 * Reference vectors: each expected value is the published algorithm's output, computed
 * outside this code (RFC 4648 section 10 for base64; Python's base64 and hashlib for
 * base32, base64url and BLAKE2b, RFC 7693), so a change of encoding, alphabet, hash,
 * length or domain separation shows here even when a round trip still works.
 * tests/unit/crypto_vectors.py prints every vector again.
 */
/* The cookie's and the CSRF token's encoding: base64url (RFC 4648 section 5), no padding. */
static void
b64url_reference_vectors(void)
{
	static const char *rfc[][2] = {	/* RFC 4648 section 10, padding removed */
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
	};
	/* base64.urlsafe_b64encode(b"\xfb\xff\xbf\x00"): the two characters that differ from base64 */
	static const unsigned char url[] = { 0xfb, 0xff, 0xbf, 0x00 };
	unsigned char out[8];
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		buf_reset(&b);
		T_CHECK(seal_b64url((const unsigned char *)rfc[i][0], strlen(rfc[i][0]), &b) == 0);
		T_STREQ(buf_cstr(&b), rfc[i][1]);
		T_CHECK(seal_b64url_decode(rfc[i][1], strlen(rfc[i][1]), out, sizeof(out)) == (int)strlen(rfc[i][0]));
		T_CHECK(memcmp(out, rfc[i][0], strlen(rfc[i][0])) == 0);
	}
	buf_reset(&b);
	T_CHECK(seal_b64url(url, sizeof(url), &b) == 0);
	T_STREQ(buf_cstr(&b), "-_-_AA");
	T_CHECK(seal_b64url_decode("-_-_AA", 6, out, sizeof(out)) == 4 && memcmp(out, url, 4) == 0);
	T_CHECK(seal_b64url_decode("+/+/AA", 6, out, sizeof(out)) == -1);	/* base64's alphabet */
	T_CHECK(seal_b64url_decode("Zg==", 4, out, sizeof(out)) == -1);	/* padding */
	buf_free(&b);
}

/* hashlib.blake2b(b"abc", digest_size=32) */
static void
hash_reference_vector(void)
{
	unsigned char h[SEAL_MAC_LEN];

	T_CHECK(seal_hash("abc", 3, h) == 0);
	T_CHECK(t_hex_is(h, sizeof(h), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"));
}

/* hashlib.blake2b(b"csrf\0abc", key=bytes(range(32)), digest_size=32): keyed, domain, NUL, message */
static void
mac_reference_vector(void)
{
	unsigned char key[SEAL_KEY_LEN], mac[SEAL_MAC_LEN];

	t_counting_bytes(key, sizeof(key));
	T_CHECK(seal_mac(key, "csrf", "abc", 3, mac) == 0);
	T_CHECK(t_hex_is(mac, sizeof(mac), "18946494c9a6797c2704ff663fcc2f3745ca1e5528448168a55deb0f286f98c8"));
	T_CHECK(seal_mac_verify(key, "csrf", "abc", 3, mac) == 0);
}

/* hashlib.blake2b(bytes(range(32)), digest_size=8).hexdigest(): the public key's short name */
static void
key_id_reference_vector(void)
{
	unsigned char fake_pk[SEAL_PK_LEN];
	char id[SEAL_KEYID_LEN + 1];

	t_counting_bytes(fake_pk, sizeof(fake_pk));
	T_CHECK(seal_key_id(fake_pk, id) == 0);
	T_STREQ(id, "40f68f4ad24e575b");
}

/* base64.b32encode(bytes(range(32))) without its padding, in groups of 4: the paper form */
static void
recovery_reference_vector(void)
{
	static const char *paper = "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQT-CQKR-MFYY-DENB-WHA5-DYPQ";
	unsigned char key[SEAL_KEY_LEN], back[SEAL_KEY_LEN];
	char p[SEAL_RECOVERY_LEN];

	t_counting_bytes(key, sizeof(key));
	seal_recovery_format(key, p);
	T_STREQ(p, paper);
	T_CHECK(seal_recovery_parse(paper, back) == 0 && memcmp(back, key, sizeof(key)) == 0);
}

static void
key_file_write_read(void)
{
	char dir[] = "/tmp/test_seal.XXXXXX", path[64];
	unsigned char key[SEAL_KEY_LEN], back[SEAL_KEY_LEN];
	struct stat st;
	FILE *f;

	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/k", dir);
	seal_random(key, sizeof(key));
	T_CHECK(seal_key_write(path, key) == 0);
	T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	T_CHECK(seal_key_write(path, key) == -1);	/* never overwrites */
	T_CHECK(seal_key_read(path, back) == 0 && memcmp(key, back, sizeof(key)) == 0);
	T_CHECK((f = fopen(path, "a")) != NULL);
	fputc('x', f);
	fclose(f);
	T_CHECK(seal_key_read(path, back) == -1);	/* wrong size */
	unlink(path);
	rmdir(dir);
}

/* ---- streams ---- */

/* Three messages, the last final, each sealed into its own buffer. */
static int
three(const unsigned char key[SEAL_KEY_LEN], unsigned char hdr[SEAL_STREAM_HEADER_LEN], struct buf m[3])
{
	struct seal_stream	st;
	int			i, rc = 0;

	if (seal_stream_push_init(&st, key, hdr) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		buf_init(&m[i]);
		rc |= seal_stream_push(&st, i == 0 ? "one" : i == 1 ? "two" : "three", i == 2 ? 5 : 3, "ad", 2, i == 2,
		    &m[i]);
	}
	seal_stream_wipe(&st);
	return rc;
}

/* Open the messages in order: how many opened before one failed, and whether the last was final. */
static int
opened(const unsigned char key[SEAL_KEY_LEN], const unsigned char hdr[SEAL_STREAM_HEADER_LEN], struct buf *m,
    const int *order, int n, int *final)
{
	struct seal_stream	st;
	struct buf		out;
	int			i;

	buf_init(&out);
	*final = 0;
	if (seal_stream_pull_init(&st, key, hdr) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (seal_stream_pull(&st, m[order[i]].data, m[order[i]].len, "ad", 2, &out, final) == -1)
			break;
	seal_stream_wipe(&st);
	buf_free(&out);
	return i;
}

static void
stream_round_trip_and_refusals(void)
{
	unsigned char	key[SEAL_KEY_LEN], other[SEAL_KEY_LEN], hdr[SEAL_STREAM_HEADER_LEN];
	struct buf	m[3];
	int		in_order[3] = { 0, 1, 2 }, swapped[3] = { 1, 0, 2 }, skipped[2] = { 0, 2 }, final, i;

	seal_random(key, sizeof(key));
	seal_random(other, sizeof(other));
	T_CHECK(three(key, hdr, m) == 0);
	T_CHECK(m[0].len == 3 + SEAL_STREAM_OVERHEAD);
	T_CHECK(opened(key, hdr, m, in_order, 3, &final) == 3 && final);
	T_CHECK(opened(key, hdr, m, in_order, 2, &final) == 2 && !final);	/* cut off: no final tag */
	T_CHECK(opened(other, hdr, m, in_order, 3, &final) == 0);
	T_CHECK(opened(key, hdr, m, swapped, 3, &final) == 0);
	T_CHECK(opened(key, hdr, m, skipped, 2, &final) == 1);
	m[1].data[5] ^= 1;
	T_CHECK(opened(key, hdr, m, in_order, 3, &final) == 1);
	for (i = 0; i < 3; i++)
		buf_free(&m[i]);
}

int
main(void)
{
	if (seal_init() == -1 || seal_keypair(pk, sk) == -1)
		return 1;
	T_RUN(box_round_trip);
	T_RUN(box_wrong_key_fails);
	T_RUN(box_tampered_fails);
	T_RUN(wrap_round_trip_and_failures);
	T_RUN(recovery_round_trip);
	T_RUN(recovery_bad_rejected);
	T_RUN(mac_verify_and_domains);
	T_RUN(b64url_round_trip_and_garbage);
	T_RUN(key_id_stable_hex);
	T_RUN(b64url_reference_vectors);
	T_RUN(hash_reference_vector);
	T_RUN(mac_reference_vector);
	T_RUN(key_id_reference_vector);
	T_RUN(recovery_reference_vector);
	T_RUN(key_file_write_read);
	T_RUN(stream_round_trip_and_refusals);
	return T_DONE();
}
