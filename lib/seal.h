/*
 * seal: every use of libsodium in one place (only seal.c includes
 * sodium.h) — sealing applications to a section's public key (one by
 * one, or a batch from one ephemeral key), wrapping secret keys, recovery
 * keys, password hashing, MACs for our own tokens, random identifiers and
 * numbers, constant-time comparison and wiping.
 * Functions return 0 on success, -1 on failure.  Secret inputs stay owned
 * by the caller, who wipes them (seal_wipe) when done; nothing here keeps
 * a copy but in the caller's structs below (struct seal_batch, seal_cache).
 */
#ifndef SEAL_H
#define SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Sizes libsodium fixes (seal.c checks them against its own). */
#define SEAL_PK_LEN	32	/* crypto_box public key */
#define SEAL_SK_LEN	32	/* crypto_box secret key */
#define SEAL_SEED_LEN	32	/* what seal_seed_keypair() derives a key pair from */
#define SEAL_WRAP_OVERHEAD 40	/* seal_wrap(): its nonce (24) and MAC (16) */
#define SEAL_SALT_LEN	16	/* seal_password_key() */
/* Argon2id at libsodium's "interactive" level: 2 passes over 64 MiB. */
#define SEAL_PW_OPS	2
#define SEAL_PW_MEM	(64u * 1024 * 1024)
#define SEAL_KEYID_LEN	16	/* hex characters, without the NUL */
#define SEAL_MAC_LEN	32
#define SEAL_KEY_LEN	32	/* symmetric keys: MAC keys, recovery keys */
/* Printable recovery key: 52 base32 characters in 13 groups of 4 joined by 12 hyphens, and the NUL. */
#define SEAL_RECOVERY_LEN (52 + 12 + 1)

int	seal_init(void);
int	seal_keypair(unsigned char pk[SEAL_PK_LEN], unsigned char sk[SEAL_SK_LEN]);
/* A short public identifier of a public key (hex of a hash), NUL-terminated. */
int	seal_key_id(const unsigned char pk[SEAL_PK_LEN], char out[SEAL_KEYID_LEN + 1]);
/* Anonymous sealed box to pk (crypto_box_seal); ciphertext appended to out. */
int	seal_box(const unsigned char pk[SEAL_PK_LEN], const void *msg, size_t len, struct buf *out);
/*
 * Batch sealing: many messages to one recipient from one ephemeral key
 * pair, for the batching writer (a crypto_box_seal costs two X25519
 * operations; here a batch pays them once).  seal_batch_begin() makes the
 * pair, derives the shared key (crypto_box_beforenm: X25519, then HSalsa20)
 * and wipes the ephemeral secret before it returns; each seal_batch_box()
 * is crypto_box_easy_afternm (XSalsa20-Poly1305) under its own nonce, the
 * batch's random first one counted up (the shared key is the batch's alone,
 * so a nonce differs from every other under that key without a draw each):
 *
 *	SEAL_BATCH_TAG (1) || ephemeral public key (32) || nonce (24) || MAC (16) || ciphertext
 *
 * Only the recipient's secret key opens a message (X25519 with the
 * ephemeral public key), as with crypto_box_seal.  seal_batch_end() wipes
 * the shared key: call it once the batch is stored, also after a failure.
 */
#define SEAL_BATCH_TAG		0x02
#define SEAL_BATCH_OVERHEAD	(1 + SEAL_PK_LEN + 24 + 16)
struct seal_batch {
	unsigned char	eph_pk[SEAL_PK_LEN];
	unsigned char	shared[SEAL_KEY_LEN];
	unsigned char	nonce[24];	/* the next box's */
	int		ready;
};
int	seal_batch_begin(struct seal_batch *b, const unsigned char pk[SEAL_PK_LEN]);
/* One message of the batch, appended to out. */
int	seal_batch_box(struct seal_batch *b, const void *msg, size_t len, struct buf *out);
void	seal_batch_end(struct seal_batch *b);
/*
 * Open a box of either format (crypto_box_seal's, or a batch's); plaintext
 * appended to out (caller wipes it).  A box that begins with SEAL_BATCH_TAG
 * is tried as a batch's first: a crypto_box_seal box begins with a random
 * public key, so 1 in 256 of them begins so too, fails as a batch's (its
 * MAC) and then opens as what it is.
 */
int	seal_open(const unsigned char pk[SEAL_PK_LEN], const unsigned char sk[SEAL_SK_LEN],
	    const void *box, size_t len, struct buf *out);
/*
 * seal_open() for many boxes: the messages of one batch share an ephemeral
 * key, so the shared key derived for the last one (per recipient) is kept in
 * the caller's cache and used again.  The cache holds a secret: the caller
 * wipes it (seal_cache_wipe) when done.  Zeroed memory is an empty cache.
 */
struct seal_cache {
	unsigned char	pk[SEAL_PK_LEN];	/* the recipient's */
	unsigned char	eph_pk[SEAL_PK_LEN];
	unsigned char	shared[SEAL_KEY_LEN];
	int		have;
};
int	seal_open_cached(struct seal_cache *c, const unsigned char pk[SEAL_PK_LEN],
	    const unsigned char sk[SEAL_SK_LEN], const void *box, size_t len, struct buf *out);
void	seal_cache_wipe(struct seal_cache *c);
/* Secret-key wrapping (XSalsa20-Poly1305): out = nonce || box. */
int	seal_wrap(const unsigned char key[SEAL_KEY_LEN], const void *secret, size_t len, struct buf *out);
int	seal_unwrap(const unsigned char key[SEAL_KEY_LEN], const void *wrapped, size_t len,
	    void *secret, size_t secretlen);
/* A fresh random recovery key, and its printable form for paper. */
int	seal_recovery_new(unsigned char key[SEAL_KEY_LEN], char printable[SEAL_RECOVERY_LEN]);
/* The printable form of a key: RFC 4648 base32 without padding, hyphens between groups of 4. */
void	seal_recovery_format(const unsigned char key[SEAL_KEY_LEN], char printable[SEAL_RECOVERY_LEN]);
/* Parse a printable recovery key; case, spaces and hyphens are forgiven. */
int	seal_recovery_parse(const char *printable, unsigned char key[SEAL_KEY_LEN]);
/* Keyed hash (BLAKE2b) of domain || 0 || msg: MACs and lookup hashes. */
int	seal_mac(const unsigned char key[SEAL_KEY_LEN], const char *domain,
	    const void *msg, size_t len, unsigned char out[SEAL_MAC_LEN]);
int	seal_mac_verify(const unsigned char key[SEAL_KEY_LEN], const char *domain,
	    const void *msg, size_t len, const unsigned char mac[SEAL_MAC_LEN]);
/* Unkeyed hash for lookups of high-entropy values (session tokens, nonces). */
int	seal_hash(const void *msg, size_t len, unsigned char out[SEAL_MAC_LEN]);
/* SHA-256 of data as 64 lower-case hex digits and a NUL (definition hashes). */
int	seal_sha256_hex(const void *data, size_t len, char hex[65]);
/*
 * BLAKE2b-256 keyed with key over msg alone (no domain, unlike seal_mac):
 * what anyone can recompute with a stock BLAKE2b (a lottery's order).
 */
int	seal_keyed_hash(const unsigned char key[SEAL_KEY_LEN], const void *msg, size_t len,
	    unsigned char out[SEAL_MAC_LEN]);
void	seal_random(void *p, size_t len);
/* A uniformly random number below upper (upper >= 1). */
uint32_t seal_uniform(uint32_t upper);
/* n uniformly random numbers below upper (upper >= 1) into out, from one draw of the system's RNG. */
void	seal_uniform_n(uint32_t upper, uint32_t *out, size_t n);
/* Zero len bytes at p in a way the compiler keeps: for secrets and personal data before they are freed. */
void	seal_wipe(void *p, size_t len);
/* 0 when the len bytes at a and b are equal, -1 when not, in a time that does not depend on them. */
int	seal_compare(const void *a, const void *b, size_t len);
/* A key from a password (Argon2id) with the account's salt and costs; -1 also when out of memory. */
int	seal_password_key(const char *password, const unsigned char salt[SEAL_SALT_LEN], uint64_t ops,
	    size_t mem, unsigned char key[SEAL_KEY_LEN]);
/* The crypto_box key pair that seed always gives. */
int	seal_seed_keypair(const unsigned char seed[SEAL_SEED_LEN], unsigned char pk[SEAL_PK_LEN],
	    unsigned char sk[SEAL_SK_LEN]);
/* The public key of a crypto_box secret key. */
int	seal_public_key(const unsigned char sk[SEAL_SK_LEN], unsigned char pk[SEAL_PK_LEN]);
/* URL-safe base64 without padding, appended to out. */
int	seal_b64url(const unsigned char *p, size_t len, struct buf *out);
/* Base64 as MIME writes it (RFC 4648 alphabet, with padding), appended to out. */
int	seal_base64(const void *p, size_t len, struct buf *out);
/* Decode into out (at most max bytes); returns the length or -1. */
int	seal_b64url_decode(const char *s, size_t len, unsigned char *out, size_t max);
int	seal_hex(const unsigned char *p, size_t len, char *out, size_t outlen);
/*
 * A stream of messages under one key (crypto_secretstream_xchacha20poly1305:
 * backups).  Each message is authenticated with its order, and the last one
 * carries a final tag, so a reader notices a changed, dropped, reordered or
 * cut-off message.  The state is the caller's, wiped by seal_stream_wipe().
 */
#define SEAL_STREAM_HEADER_LEN	24
#define SEAL_STREAM_OVERHEAD	17	/* per message */
/* Argon2id at libsodium's "moderate" level for a passphrase that guards a file leaving the server. */
#define SEAL_FILE_PW_OPS	3
#define SEAL_FILE_PW_MEM	(256u * 1024 * 1024)
struct seal_stream { unsigned char state[64]; };
int	seal_stream_push_init(struct seal_stream *st, const unsigned char key[SEAL_KEY_LEN],
	    unsigned char header[SEAL_STREAM_HEADER_LEN]);
/* Seal one message (ad authenticated, not stored), appended to out; final marks the last one. */
int	seal_stream_push(struct seal_stream *st, const void *msg, size_t len, const void *ad, size_t adlen,
	    int final, struct buf *out);
int	seal_stream_pull_init(struct seal_stream *st, const unsigned char key[SEAL_KEY_LEN],
	    const unsigned char header[SEAL_STREAM_HEADER_LEN]);
/* Open one message, appended to out; *final says whether it was the last.  -1: not authentic. */
int	seal_stream_pull(struct seal_stream *st, const void *box, size_t len, const void *ad, size_t adlen,
	    struct buf *out, int *final);
void	seal_stream_wipe(struct seal_stream *st);

/* Read a 32-byte key file (exactly 32 raw bytes); write one with mode 0600. */
int	seal_key_read(const char *path, unsigned char key[SEAL_KEY_LEN]);
int	seal_key_write(const char *path, const unsigned char key[SEAL_KEY_LEN]);
/*
 * A program's secret key file DATA_DIR/rel, read when it is its owner's
 * alone (no group or other permission bits: a secret readable by others is
 * refused, with how to fix it), or a public key file, refused when others
 * than its owner may write it (they could put their own key in).  Both say
 * what is wrong in the log (formctl init makes the files).
 */
int	seal_key_load(const char *data_dir, const char *rel, unsigned char key[SEAL_KEY_LEN]);
int	seal_public_load(const char *data_dir, const char *rel, unsigned char key[SEAL_KEY_LEN]);
/*
 * A secret two programs share (keys/inquiry.key: apply and staff), read
 * through a group of their own: refused when others may read it or anyone
 * but its owner may write it.
 */
int	seal_shared_load(const char *data_dir, const char *rel, unsigned char key[SEAL_KEY_LEN]);

#endif
