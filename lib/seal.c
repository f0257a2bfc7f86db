#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

_Static_assert(SEAL_PK_LEN == crypto_box_PUBLICKEYBYTES && SEAL_SK_LEN == crypto_box_SECRETKEYBYTES &&
    SEAL_SEED_LEN == crypto_box_SEEDBYTES, "crypto_box sizes");
_Static_assert(SEAL_WRAP_OVERHEAD == crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES,
    "crypto_secretbox sizes");
_Static_assert(SEAL_SALT_LEN == crypto_pwhash_SALTBYTES && SEAL_PW_OPS == crypto_pwhash_OPSLIMIT_INTERACTIVE &&
    SEAL_PW_MEM == crypto_pwhash_MEMLIMIT_INTERACTIVE, "crypto_pwhash parameters");
_Static_assert(SEAL_KEY_LEN == crypto_secretbox_KEYBYTES && SEAL_MAC_LEN >= crypto_generichash_BYTES_MIN,
    "symmetric key and MAC sizes");
_Static_assert(SEAL_BATCH_OVERHEAD == 1 + crypto_box_PUBLICKEYBYTES + crypto_box_NONCEBYTES + crypto_box_MACBYTES &&
    SEAL_KEY_LEN == crypto_box_BEFORENMBYTES && sizeof(((struct seal_batch *)0)->nonce) == crypto_box_NONCEBYTES,
    "batch box sizes");

_Static_assert(SEAL_STREAM_HEADER_LEN == crypto_secretstream_xchacha20poly1305_HEADERBYTES &&
    SEAL_STREAM_OVERHEAD == crypto_secretstream_xchacha20poly1305_ABYTES &&
    SEAL_KEY_LEN == crypto_secretstream_xchacha20poly1305_KEYBYTES &&
    sizeof(((struct seal_stream *)0)->state) >= sizeof(crypto_secretstream_xchacha20poly1305_state),
    "crypto_secretstream sizes");
_Static_assert(SEAL_FILE_PW_OPS == crypto_pwhash_OPSLIMIT_MODERATE &&
    SEAL_FILE_PW_MEM == crypto_pwhash_MEMLIMIT_MODERATE, "crypto_pwhash moderate parameters");

/* RFC 4648 base32 for paper: no 0/1/8/9, so no O/0 or I/1 mix-ups. */
static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
seal_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int
seal_keypair(unsigned char pk[SEAL_PK_LEN], unsigned char sk[SEAL_SK_LEN])
{
	return crypto_box_keypair(pk, sk) == 0 ? 0 : -1;
}

int
seal_key_id(const unsigned char pk[SEAL_PK_LEN], char out[SEAL_KEYID_LEN + 1])
{
	unsigned char h[SEAL_KEYID_LEN / 2];

	if (crypto_generichash(h, sizeof(h), pk, SEAL_PK_LEN, NULL, 0) != 0)
		return -1;
	return seal_hex(h, sizeof(h), out, SEAL_KEYID_LEN + 1);
}

int
seal_box(const unsigned char pk[SEAL_PK_LEN], const void *msg, size_t len, struct buf *out)
{
	unsigned char	*c;
	size_t		 start = out->len;

	if (len > SIZE_MAX - crypto_box_SEALBYTES - 1)
		return -1;
	if ((c = buf_append_space(out, len + crypto_box_SEALBYTES)) == NULL)
		return -1;
	if (crypto_box_seal(c, msg, len, pk) != 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

int
seal_batch_begin(struct seal_batch *b, const unsigned char pk[SEAL_PK_LEN])
{
	unsigned char	esk[crypto_box_SECRETKEYBYTES];
	int		rc = -1;

	memset(b, 0, sizeof(*b));
	if (crypto_box_keypair(b->eph_pk, esk) == 0 && crypto_box_beforenm(b->shared, pk, esk) == 0) {
		randombytes_buf(b->nonce, sizeof(b->nonce));
		b->ready = 1;
		rc = 0;
	} else
		sodium_memzero(b, sizeof(*b));
	sodium_memzero(esk, sizeof(esk));	/* the shared key is all a batch needs */
	return rc;
}

int
seal_batch_box(struct seal_batch *b, const void *msg, size_t len, struct buf *out)
{
	unsigned char	*p;
	size_t		 start = out->len;

	if (!b->ready || len > SIZE_MAX - SEAL_BATCH_OVERHEAD - 1)
		return -1;
	if ((p = buf_append_space(out, SEAL_BATCH_OVERHEAD + len)) == NULL)
		return -1;
	p[0] = SEAL_BATCH_TAG;
	memcpy(p + 1, b->eph_pk, SEAL_PK_LEN);
	memcpy(p + 1 + SEAL_PK_LEN, b->nonce, crypto_box_NONCEBYTES);
	sodium_increment(b->nonce, sizeof(b->nonce));
	if (crypto_box_easy_afternm(p + 1 + SEAL_PK_LEN + crypto_box_NONCEBYTES, msg, len,
	    p + 1 + SEAL_PK_LEN, b->shared) != 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

void
seal_batch_end(struct seal_batch *b)
{
	sodium_memzero(b, sizeof(*b));
}

/* A batch's box: its shared key from the cache when the last one had the same ephemeral key and recipient. */
static int
open_batch_box(struct seal_cache *c, const unsigned char pk[SEAL_PK_LEN], const unsigned char sk[SEAL_SK_LEN],
    const unsigned char *box, size_t len, unsigned char *m)
{
	const unsigned char	*eph = box + 1, *nonce = eph + SEAL_PK_LEN, *sealed = nonce + crypto_box_NONCEBYTES;
	unsigned char		 k[crypto_box_BEFORENMBYTES];
	const unsigned char	*key = k;
	int			 rc = -1;

	if (c != NULL && c->have && memcmp(c->eph_pk, eph, SEAL_PK_LEN) == 0 && memcmp(c->pk, pk, SEAL_PK_LEN) == 0)
		key = c->shared;
	else if (crypto_box_beforenm(k, eph, sk) != 0)
		goto done;
	else if (c != NULL) {
		memcpy(c->pk, pk, SEAL_PK_LEN);
		memcpy(c->eph_pk, eph, SEAL_PK_LEN);
		memcpy(c->shared, k, sizeof(k));
		c->have = 1;
	}
	rc = crypto_box_open_easy_afternm(m, sealed, len - 1 - SEAL_PK_LEN - crypto_box_NONCEBYTES, nonce,
	    key) == 0 ? 0 : -1;
done:
	sodium_memzero(k, sizeof(k));
	return rc;
}

int
seal_open_cached(struct seal_cache *c, const unsigned char pk[SEAL_PK_LEN], const unsigned char sk[SEAL_SK_LEN],
    const void *box, size_t len, struct buf *out)
{
	const unsigned char	*b = box;
	unsigned char		*m;
	size_t			 start = out->len;

	if (len >= SEAL_BATCH_OVERHEAD && b[0] == SEAL_BATCH_TAG) {
		if ((m = buf_append_space(out, len - SEAL_BATCH_OVERHEAD)) == NULL)
			return -1;
		if (open_batch_box(c, pk, sk, b, len, m) == 0)
			return 0;
		out->len = start;
		out->data[start] = '\0';
	}
	if (len < crypto_box_SEALBYTES)
		return -1;
	if ((m = buf_append_space(out, len - crypto_box_SEALBYTES)) == NULL)
		return -1;
	if (crypto_box_seal_open(m, box, len, pk, sk) != 0) {
		out->len = start;
		out->data[start] = '\0';
		return -1;
	}
	return 0;
}

int
seal_open(const unsigned char pk[SEAL_PK_LEN], const unsigned char sk[SEAL_SK_LEN],
    const void *box, size_t len, struct buf *out)
{
	return seal_open_cached(NULL, pk, sk, box, len, out);
}

void
seal_cache_wipe(struct seal_cache *c)
{
	sodium_memzero(c, sizeof(*c));
}

int
seal_wrap(const unsigned char key[SEAL_KEY_LEN], const void *secret, size_t len, struct buf *out)
{
	unsigned char	*p;
	size_t		 start = out->len;

	if (len > SIZE_MAX - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES - 1)
		return -1;
	p = buf_append_space(out, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);
	if (p == NULL)
		return -1;
	randombytes_buf(p, crypto_secretbox_NONCEBYTES);
	if (crypto_secretbox_easy(p + crypto_secretbox_NONCEBYTES, secret, len, p, key) != 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

int
seal_unwrap(const unsigned char key[SEAL_KEY_LEN], const void *wrapped, size_t len,
    void *secret, size_t secretlen)
{
	const unsigned char *w = wrapped;

	if (len != crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + secretlen)
		return -1;
	return crypto_secretbox_open_easy(secret, w + crypto_secretbox_NONCEBYTES,
	    len - crypto_secretbox_NONCEBYTES, w, key) == 0 ? 0 : -1;
}

int
seal_recovery_new(unsigned char key[SEAL_KEY_LEN], char printable[SEAL_RECOVERY_LEN])
{
	randombytes_buf(key, SEAL_KEY_LEN);
	seal_recovery_format(key, printable);
	return 0;
}

/* 32 bytes = 256 bits = 52 base32 digits (the last one carries 1 bit). */
void
seal_recovery_format(const unsigned char key[SEAL_KEY_LEN], char printable[SEAL_RECOVERY_LEN])
{
	unsigned	 acc = 0, bits = 0, digits = 0;
	size_t		 i, o = 0;

	for (i = 0; i < SEAL_KEY_LEN || bits > 0; ) {
		if (bits < 5 && i < SEAL_KEY_LEN) {
			acc = (acc << 8) | key[i++];
			bits += 8;
			continue;
		}
		if (bits < 5) {
			acc <<= 5 - bits;
			bits = 5;
		}
		if (digits > 0 && digits % 4 == 0)
			printable[o++] = '-';
		printable[o++] = b32[(acc >> (bits - 5)) & 31];
		bits -= 5;
		digits++;
	}
	printable[o] = '\0';
}

static int
b32_value(int c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	if (c == '\0' || (p = strchr(b32, c)) == NULL)
		return -1;
	return (int)(p - b32);
}

int
seal_recovery_parse(const char *printable, unsigned char key[SEAL_KEY_LEN])
{
	unsigned	 acc = 0, bits = 0;
	size_t		 o = 0, digits = 0;
	const char	*s;
	int		 v;

	for (s = printable; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if ((v = b32_value((unsigned char)*s)) < 0)
			goto fail;
		digits++;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			if (o == SEAL_KEY_LEN)
				goto fail;
			key[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
		acc &= (1u << bits) - 1;
	}
	if (o != SEAL_KEY_LEN || digits != 52)
		goto fail;
	return 0;
fail:
	sodium_memzero(key, SEAL_KEY_LEN);
	return -1;
}

int
seal_mac(const unsigned char key[SEAL_KEY_LEN], const char *domain,
    const void *msg, size_t len, unsigned char out[SEAL_MAC_LEN])
{
	crypto_generichash_state st;

	/* The domain and a 0 separator keep MACs of one purpose useless for another. */
	if (crypto_generichash_init(&st, key, SEAL_KEY_LEN, SEAL_MAC_LEN) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain) + 1) != 0 ||
	    crypto_generichash_update(&st, msg, len) != 0 ||
	    crypto_generichash_final(&st, out, SEAL_MAC_LEN) != 0) {
		sodium_memzero(&st, sizeof(st));
		return -1;
	}
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int
seal_mac_verify(const unsigned char key[SEAL_KEY_LEN], const char *domain,
    const void *msg, size_t len, const unsigned char mac[SEAL_MAC_LEN])
{
	unsigned char	 want[SEAL_MAC_LEN];
	int		 rc;

	if (seal_mac(key, domain, msg, len, want) == -1)
		return -1;
	rc = sodium_memcmp(want, mac, SEAL_MAC_LEN) == 0 ? 0 : -1;
	sodium_memzero(want, sizeof(want));
	return rc;
}

int
seal_hash(const void *msg, size_t len, unsigned char out[SEAL_MAC_LEN])
{
	return crypto_generichash(out, SEAL_MAC_LEN, msg, len, NULL, 0) == 0 ? 0 : -1;
}

int
seal_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	if (sodium_init() < 0 || crypto_hash_sha256(h, data, len) != 0)
		return -1;
	sodium_bin2hex(hex, 65, h, sizeof(h));
	return 0;
}

int
seal_keyed_hash(const unsigned char key[SEAL_KEY_LEN], const void *msg, size_t len, unsigned char out[SEAL_MAC_LEN])
{
	return crypto_generichash(out, SEAL_MAC_LEN, msg, len, key, SEAL_KEY_LEN) == 0 ? 0 : -1;
}

void
seal_random(void *p, size_t len)
{
	randombytes_buf(p, len);
}

uint32_t
seal_uniform(uint32_t upper)
{
	return randombytes_uniform(upper);
}

/*
 * As randombytes_uniform, n at once: each a 32-bit draw, those below
 * 2^32 mod upper drawn again so that every value below upper is as likely.
 * One system call for a receipt's twelve digits instead of one per group.
 */
void
seal_uniform_n(uint32_t upper, uint32_t *out, size_t n)
{
	uint32_t	min = (1U + ~upper) % upper;	/* 2^32 mod upper */
	size_t		i;

	randombytes_buf(out, n * sizeof(*out));
	for (i = 0; i < n; i++) {
		while (out[i] < min)
			randombytes_buf(&out[i], sizeof(out[i]));
		out[i] %= upper;
	}
}

void
seal_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

int
seal_compare(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0 ? 0 : -1;
}

int
seal_password_key(const char *password, const unsigned char salt[SEAL_SALT_LEN], uint64_t ops, size_t mem,
    unsigned char key[SEAL_KEY_LEN])
{
	return crypto_pwhash(key, SEAL_KEY_LEN, password, strlen(password), salt, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

int
seal_seed_keypair(const unsigned char seed[SEAL_SEED_LEN], unsigned char pk[SEAL_PK_LEN],
    unsigned char sk[SEAL_SK_LEN])
{
	return crypto_box_seed_keypair(pk, sk, seed) == 0 ? 0 : -1;
}

int
seal_public_key(const unsigned char sk[SEAL_SK_LEN], unsigned char pk[SEAL_PK_LEN])
{
	return crypto_scalarmult_base(pk, sk) == 0 ? 0 : -1;
}

/* Base64 of one of libsodium's variants, appended without the NUL that sodium writes. */
static int
base64(const void *p, size_t len, int variant, struct buf *out)
{
	size_t	 n;
	char	*o;

	if (len > SIZE_MAX / 4 * 3 - 3)
		return -1;
	n = sodium_base64_encoded_len(len, variant);
	if ((o = (char *)buf_append_space(out, n)) == NULL)
		return -1;
	sodium_bin2base64(o, n, p, len, variant);
	out->len -= 1;	/* drop the NUL that sodium wrote inside the buffer */
	return 0;
}

int
seal_b64url(const unsigned char *p, size_t len, struct buf *out)
{
	return base64(p, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING, out);
}

int
seal_base64(const void *p, size_t len, struct buf *out)
{
	return base64(p, len, sodium_base64_VARIANT_ORIGINAL, out);
}

int
seal_b64url_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
	size_t		 n;
	const char	*end;

	if (sodium_base642bin(out, max, s, len, NULL, &n, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || end != s + len)
		return -1;
	return (int)n;
}

int
seal_hex(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	if (outlen < len * 2 + 1)
		return -1;
	sodium_bin2hex(out, outlen, p, len);
	return 0;
}

int
seal_key_read(const char *path, unsigned char key[SEAL_KEY_LEN])
{
	unsigned char	 extra;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, key, SEAL_KEY_LEN);
	if (n == SEAL_KEY_LEN && read(fd, &extra, 1) == 0)
		rc = 0;
	else
		sodium_memzero(key, SEAL_KEY_LEN);
	close(fd);
	return rc;
}

int
seal_key_write(const char *path, const unsigned char key[SEAL_KEY_LEN])
{
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	if (write(fd, key, SEAL_KEY_LEN) == SEAL_KEY_LEN && fsync(fd) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

/* Read DATA_DIR/rel when none of the bits in refused is set in its mode. */
static int
key_load(const char *data_dir, const char *rel, unsigned char key[SEAL_KEY_LEN], mode_t refused, const char *why)
{
	struct stat	sb;
	char		path[1024];

	snprintf(path, sizeof(path), "%s/%s", data_dir, rel);
	if (lstat(path, &sb) == -1) {
		log_msg(LOG_ERR, "cannot read %s: %s (run formctl init first)", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		log_msg(LOG_ERR, "%s is not a plain file (a link or a directory is refused)", path);
		return -1;
	}
	if (sb.st_mode & refused) {
		log_msg(LOG_ERR, "%s: mode %04o %s: chmod %s %s", path, (unsigned)(sb.st_mode & 07777), why,
		    refused & S_IRGRP ? "600" : refused & S_IROTH ? "640" : "go-w", path);
		return -1;
	}
	if (seal_key_read(path, key) == -1) {
		log_msg(LOG_ERR, "cannot read %s: %s (this program runs as uid %u)", path,
		    errno != 0 ? strerror(errno) : "not a key file", (unsigned)geteuid());
		return -1;
	}
	return 0;
}

int
seal_key_load(const char *data_dir, const char *rel, unsigned char key[SEAL_KEY_LEN])
{
	return key_load(data_dir, rel, key, S_IRWXG | S_IRWXO, "lets others than its owner read a secret key");
}

int
seal_public_load(const char *data_dir, const char *rel, unsigned char key[SEAL_KEY_LEN])
{
	return key_load(data_dir, rel, key, S_IWGRP | S_IWOTH, "lets others than its owner replace it");
}

int
seal_shared_load(const char *data_dir, const char *rel, unsigned char key[SEAL_KEY_LEN])
{
	return key_load(data_dir, rel, key, S_IWGRP | S_IRWXO, "lets others than its two programs read or change a"
	    " secret key");
}

/* ---- streams (backups) ---- */

static crypto_secretstream_xchacha20poly1305_state *
stream_state(struct seal_stream *st)
{
	return (crypto_secretstream_xchacha20poly1305_state *)(void *)st->state;
}

int
seal_stream_push_init(struct seal_stream *st, const unsigned char key[SEAL_KEY_LEN],
    unsigned char header[SEAL_STREAM_HEADER_LEN])
{
	return crypto_secretstream_xchacha20poly1305_init_push(stream_state(st), header, key) == 0 ? 0 : -1;
}

int
seal_stream_push(struct seal_stream *st, const void *msg, size_t len, const void *ad, size_t adlen, int final,
    struct buf *out)
{
	unsigned char *c;

	if (len > SIZE_MAX - SEAL_STREAM_OVERHEAD ||
	    (c = buf_append_space(out, len + SEAL_STREAM_OVERHEAD)) == NULL)
		return -1;
	return crypto_secretstream_xchacha20poly1305_push(stream_state(st), c, NULL, msg, len, ad, adlen,
	    final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0) == 0 ? 0 : -1;
}

int
seal_stream_pull_init(struct seal_stream *st, const unsigned char key[SEAL_KEY_LEN],
    const unsigned char header[SEAL_STREAM_HEADER_LEN])
{
	return crypto_secretstream_xchacha20poly1305_init_pull(stream_state(st), header, key) == 0 ? 0 : -1;
}

int
seal_stream_pull(struct seal_stream *st, const void *box, size_t len, const void *ad, size_t adlen,
    struct buf *out, int *final)
{
	unsigned char	*m, tag = 0;
	size_t		 start = out->len;

	*final = 0;
	if (len < SEAL_STREAM_OVERHEAD || (m = buf_append_space(out, len - SEAL_STREAM_OVERHEAD)) == NULL)
		return -1;
	if (crypto_secretstream_xchacha20poly1305_pull(stream_state(st), m, NULL, &tag, box, len, ad, adlen) != 0 ||
	    (tag != 0 && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)) {
		sodium_memzero(m, len - SEAL_STREAM_OVERHEAD);
		out->len = start;
		return -1;
	}
	*final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	return 0;
}

void
seal_stream_wipe(struct seal_stream *st)
{
	sodium_memzero(st, sizeof(*st));
}
