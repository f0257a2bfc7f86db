#include "confirm.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"

/*
 * The token's MAC of procedure, definition hash, CSRF cookie, stamp and
 * answers (the NULs keep the texts apart): made into mac, or with verify
 * compared with it.
 */
static int
token_mac(const struct confirm_bind *b, const unsigned char stamp[CONFIRM_STAMP_LEN], const struct buf *answers,
    int verify, unsigned char mac[SEAL_MAC_LEN])
{
	struct buf	 m;
	int		 rc;

	buf_init(&m);
	buf_puts(&m, b->procedure);
	buf_putc(&m, 0);
	buf_puts(&m, b->form_hash);
	buf_putc(&m, 0);
	buf_puts(&m, b->browser);
	buf_putc(&m, 0);
	buf_put(&m, stamp, CONFIRM_STAMP_LEN);
	buf_put(&m, answers->data, answers->len);
	if (m.oom)
		rc = -1;
	else if (verify)
		rc = seal_mac_verify(b->key, "confirm", m.data, m.len, mac);
	else
		rc = seal_mac(b->key, "confirm", m.data, m.len, mac);
	buf_wipe(&m);
	return rc;
}

int
confirm_token_at(const struct confirm_bind *b, const unsigned char nonce[CONFIRM_NONCE_LEN], time_t expires,
    const struct buf *answers, struct buf *out)
{
	unsigned char raw[CONFIRM_STAMP_LEN + SEAL_MAC_LEN];

	memcpy(raw, nonce, CONFIRM_NONCE_LEN);
	buf_be64_put(raw + CONFIRM_NONCE_LEN, (uint64_t)expires);
	if (token_mac(b, raw, answers, 0, raw + CONFIRM_STAMP_LEN) == -1)
		return -1;
	return seal_b64url(raw, sizeof(raw), out);
}

int
confirm_token(const struct confirm_bind *b, time_t now, const struct buf *answers, struct buf *out)
{
	unsigned char nonce[CONFIRM_NONCE_LEN];

	seal_random(nonce, sizeof(nonce));
	return confirm_token_at(b, nonce, now + CONFIRM_TTL, answers, out);
}

int
confirm_check(const struct confirm_bind *b, time_t now, const char *token, size_t len,
    const struct buf *answers, unsigned char stamp[CONFIRM_STAMP_LEN])
{
	unsigned char	raw[CONFIRM_STAMP_LEN + SEAL_MAC_LEN];
	int		ok;

	if (token == NULL || seal_b64url_decode(token, len, raw, sizeof(raw)) != (int)sizeof(raw))
		return -1;
	ok = token_mac(b, raw, answers, 1, raw + CONFIRM_STAMP_LEN) == 0 &&
	    buf_be64_get(raw + CONFIRM_NONCE_LEN) >= (uint64_t)now;
	memcpy(stamp, raw, CONFIRM_STAMP_LEN);
	return ok ? 0 : -1;
}

int
confirm_submit_key(const unsigned char *key, const unsigned char stamp[CONFIRM_STAMP_LEN],
    unsigned char out[SEAL_MAC_LEN])
{
	unsigned char mac[SEAL_MAC_LEN];

	if (seal_mac(key, "submit", stamp, CONFIRM_STAMP_LEN, mac) == -1)
		return -1;
	memcpy(out, stamp + CONFIRM_NONCE_LEN, 8);
	memcpy(out + 8, mac, SEAL_MAC_LEN - 8);
	return 0;
}

int
confirm_inquiry_key(const unsigned char *key, const unsigned char stamp[CONFIRM_STAMP_LEN],
    char out[CONFIRM_INQUIRY_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char	 mac[SEAL_MAC_LEN];
	size_t		 i;
	int		 rc;

	rc = seal_mac(key, "inquiry", stamp, CONFIRM_NONCE_LEN, mac);
	for (i = 0; i < CONFIRM_INQUIRY_LEN; i++)
		out[i] = alphabet[mac[i] & 31];
	out[CONFIRM_INQUIRY_LEN] = '\0';
	seal_wipe(mac, sizeof(mac));
	return rc;
}

int
confirm_inquiry_hash(const unsigned char *key, const char *inquiry, unsigned char out[SEAL_MAC_LEN])
{
	return seal_mac(key, "inquiry-hash", inquiry, strlen(inquiry), out);
}
