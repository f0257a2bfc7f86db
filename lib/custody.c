#include "custody.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <unictype.h>
#include <unistr.h>

#include "log.h"
#include "workflow.h"

/* ---- passwords and logins ---- */

/* Does haystack contain needle, ignoring ASCII case? (strcasestr is not C11/POSIX.) */
static int
contains_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n > 0 && haystack[i] != '\0'; i++)
		if (strncasecmp(haystack + i, needle, n) == 0)
			return 1;
	return 0;
}

enum custody_pw
custody_password_check(const char *login, const char *password)
{
	size_t		 len = strlen(password), chars = 0;
	const uint8_t	*p = (const uint8_t *)password;
	ucs4_t		 c, first = 0;
	int		 same = 1;

	if (len > CUSTODY_PASSWORD_MAX)
		return PW_LONG;
	if (u8_check(p, len) != NULL)
		return PW_BAD_CHARS;
	/* By character, not byte: C1 controls are refused and "あ" repeated is one character repeated. */
	while ((p = u8_next(&c, p)) != NULL) {
		if (uc_is_cntrl(c))
			return PW_BAD_CHARS;
		if (chars++ == 0)
			first = c;
		else if (c != first)
			same = 0;
	}
	if (chars < CUSTODY_PASSWORD_MIN)
		return PW_SHORT;
	if (login != NULL && *login != '\0' && contains_nocase(password, login))
		return PW_HAS_LOGIN;
	if (same)
		return PW_ONE_CHAR;
	return PW_OK;
}

const char *
custody_password_problem(enum custody_pw why)
{
	switch (why) {
	case PW_OK:
		return "ok";
	case PW_SHORT:
		return "password too short (at least 12 characters)";
	case PW_LONG:
		return "password too long (at most 128 bytes)";
	case PW_BAD_CHARS:
		return "password has control characters or invalid UTF-8";
	case PW_HAS_LOGIN:
		return "password contains the login name";
	case PW_ONE_CHAR:
		return "password is one character repeated";
	}
	return "?";
}

int
custody_login_ok(const char *login)
{
	size_t i, n = strlen(login);

	if (n < 3 || n > 32 || !islower((unsigned char)login[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)login[i]) && !isdigit((unsigned char)login[i]) &&
		    strchr("._-", login[i]) == NULL)
			return 0;
	return 1;
}

int
custody_role_ok(const char *role)
{
	enum wf_role r;

	return wf_role_parse(role, &r) == 0;
}

void
custody_new_password(char out[CUSTODY_NEW_PASSWORD_LEN + 1])
{
	/* No look-alikes (0/O, 1/l/I, 2/Z, 5/S): read aloud and typed from paper. */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
	size_t i;

	for (i = 0; i < CUSTODY_NEW_PASSWORD_LEN; i++)
		out[i] = alphabet[seal_uniform(sizeof(alphabet) - 1)];
	out[CUSTODY_NEW_PASSWORD_LEN] = '\0';
}

/* ---- a member's own key pair ---- */

static int
password_key(const struct db_staff *s, const char *password, unsigned char key[SEAL_KEY_LEN])
{
	if (seal_password_key(password, s->pw_salt, s->pw_ops, (size_t)s->pw_mem, key) != 0) {
		log_msg(LOG_ERR, "crypto_pwhash failed (out of memory?)");
		return -1;
	}
	return 0;
}

/* Wrap sk under a fresh salt and the password; fills the secret fields of s. */
static int
wrap_secret(struct db_staff *s, const unsigned char sk[SEAL_SK_LEN], const char *password)
{
	unsigned char	key[SEAL_KEY_LEN];
	struct buf	w;
	int		rc = -1;

	buf_init(&w);
	seal_random(s->pw_salt, sizeof(s->pw_salt));
	s->pw_ops = SEAL_PW_OPS;
	s->pw_mem = SEAL_PW_MEM;
	if (password_key(s, password, key) == -1 || seal_wrap(key, sk, SEAL_SK_LEN, &w) == -1 ||
	    w.len != DB_WRAPPED_SK_LEN)
		goto done;
	memcpy(s->secret_wrapped, w.data, DB_WRAPPED_SK_LEN);
	rc = 0;
done:
	seal_wipe(key, sizeof(key));
	buf_wipe(&w);
	return rc;
}

int
custody_staff_new(struct db_staff *s, const char *login, const char *role, const char *password)
{
	unsigned char	sk[SEAL_SK_LEN];
	int		rc = -1;

	memset(s, 0, sizeof(*s));
	if (strlen(login) >= sizeof(s->login) || strlen(role) >= sizeof(s->role))
		return -1;
	strcpy(s->login, login);
	strcpy(s->role, role);
	if (seal_keypair(s->public_key, sk) == 0 && wrap_secret(s, sk, password) == 0)
		rc = 0;
	seal_wipe(sk, sizeof(sk));
	return rc;
}

int
custody_staff_unlock(const struct db_staff *s, const char *password, unsigned char sk[SEAL_SK_LEN])
{
	unsigned char	key[SEAL_KEY_LEN];
	int		rc;

	if (password_key(s, password, key) == -1)
		return -1;
	rc = seal_unwrap(key, s->secret_wrapped, DB_WRAPPED_SK_LEN, sk, SEAL_SK_LEN) == 0 ? 0 : CUSTODY_DENIED;
	seal_wipe(key, sizeof(key));
	return rc;
}

int
custody_staff_rewrap(struct db_staff *s, const unsigned char *sk, const char *password)
{
	unsigned char	fresh[SEAL_SK_LEN];
	int		rc;

	if (sk != NULL)
		return wrap_secret(s, sk, password);
	if (seal_keypair(s->public_key, fresh) == -1)
		return -1;
	rc = wrap_secret(s, fresh, password);
	seal_wipe(fresh, sizeof(fresh));
	return rc;
}

/* ---- sections and recovery ---- */

/* The recovery key pair is derived, so the paper key is all that is needed to rebuild it. */
static int
recovery_keypair(const unsigned char recovery[SEAL_KEY_LEN], unsigned char pk[SEAL_PK_LEN],
    unsigned char sk[SEAL_SK_LEN])
{
	unsigned char	seed[SEAL_MAC_LEN];
	int		rc;

	if (seal_mac(recovery, "recovery-keypair", "", 0, seed) == -1)
		return -1;
	rc = seal_seed_keypair(seed, pk, sk);
	seal_wipe(seed, sizeof(seed));
	return rc;
}

int
custody_recovery_open(const unsigned char recovery[SEAL_KEY_LEN], const void *blob, size_t len,
    unsigned char sk[SEAL_SK_LEN])
{
	unsigned char	rpk[SEAL_PK_LEN], rsk[SEAL_SK_LEN];
	struct buf	out;
	int		rc = CUSTODY_DENIED;

	/* Schema 1 wrapped keys with the recovery key itself (secretbox); schema 2 seals them. */
	if (len == DB_WRAPPED_SK_LEN)
		return seal_unwrap(recovery, blob, len, sk, SEAL_SK_LEN) == 0 ? 0 : CUSTODY_DENIED;
	buf_init(&out);
	if (recovery_keypair(recovery, rpk, rsk) == -1)
		rc = -1;
	else if (seal_open(rpk, rsk, blob, len, &out) == 0 && out.len == SEAL_SK_LEN) {
		memcpy(sk, out.data, SEAL_SK_LEN);
		rc = 0;
	}
	seal_wipe(rsk, sizeof(rsk));
	buf_wipe(&out);
	return rc;
}

int
custody_section_create(struct db *db, const char *id, const char *name, time_t now,
    char printable[SEAL_RECOVERY_LEN])
{
	unsigned char	rkey[SEAL_KEY_LEN], rpk[SEAL_PK_LEN], rsk[SEAL_SK_LEN];
	unsigned char	pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
	char		key_id[SEAL_KEYID_LEN + 1];
	struct buf	sealed;
	int		rc = -1;

	buf_init(&sealed);
	if (seal_keypair(pk, sk) == -1 || seal_key_id(pk, key_id) == -1 ||
	    seal_recovery_new(rkey, printable) == -1 || recovery_keypair(rkey, rpk, rsk) == -1 ||
	    seal_box(rpk, sk, sizeof(sk), &sealed) == -1)
		goto done;
	rc = db_section_create(db, id, name, rpk, key_id, pk, sealed.data, sealed.len, now);
done:
	seal_wipe(rkey, sizeof(rkey));
	seal_wipe(rsk, sizeof(rsk));
	seal_wipe(sk, sizeof(sk));
	buf_wipe(&sealed);
	if (rc != 0)
		seal_wipe(printable, SEAL_RECOVERY_LEN);
	return rc;
}

struct rotate_arg {
	const char		*section_id;
	const char		*key_id;
	const unsigned char	*sk;
	time_t			 now;
	struct db		*db;
};

static int
grant_to(const char *section_id, const char *key_id, const unsigned char *sk, int64_t staff_id,
    const unsigned char *member_pk, struct db *db, time_t now)
{
	struct buf	sealed;
	int		rc;

	buf_init(&sealed);
	rc = seal_box(member_pk, sk, SEAL_SK_LEN, &sealed) == 0 &&
	    db_grant_add(db, staff_id, key_id, section_id, sealed.data, sealed.len, now) == 0 ? 0 : -1;
	buf_free(&sealed);
	return rc;
}

static int
rotate_grantee(int64_t staff_id, const char *login, const unsigned char *pk, void *arg)
{
	struct rotate_arg *r = arg;

	(void)login;
	return grant_to(r->section_id, r->key_id, r->sk, staff_id, pk, r->db, r->now);
}

int
custody_section_rotate(struct db *db, const char *section_id, time_t now, char key_id[SEAL_KEYID_LEN + 1])
{
	unsigned char		 rpk[SEAL_PK_LEN], pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
	struct buf		 sealed;
	struct rotate_arg	 r = { section_id, key_id, sk, now, db };
	int			 rc;

	if ((rc = db_section_recovery_pk(db, section_id, rpk)) != 0)
		return rc;
	buf_init(&sealed);
	rc = -1;
	if (seal_keypair(pk, sk) == -1 || seal_key_id(pk, key_id) == -1 ||
	    seal_box(rpk, sk, sizeof(sk), &sealed) == -1 || db_begin(db) == -1)
		goto done;
	/* Key and grants together: a grantee must never lack a key new applications are sealed to. */
	if (db_key_add(db, section_id, key_id, pk, sealed.data, sealed.len, now) == -1 ||
	    db_grantees_each(db, section_id, rotate_grantee, &r) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		goto done;
	}
	rc = 0;
done:
	seal_wipe(sk, sizeof(sk));
	buf_free(&sealed);
	return rc;
}

/* ---- grants ---- */

struct grant_arg {
	struct db			*db;
	const char			*section_id;
	const struct db_staff		*member;
	const struct custody_source	*src;
	time_t				 now;
	int				 denied;
	int				 keys;
};

struct held_arg {
	const char		*key_id;
	unsigned char		*sk;
	const struct db_staff	*member;
	const unsigned char	*member_sk;
	int			 found;
};

static int
held_key(const char *key_id, const char *section_id, const void *sealed, size_t len, void *arg)
{
	struct held_arg	*h = arg;
	struct buf	 out;

	(void)section_id;
	if (strcmp(key_id, h->key_id) != 0)
		return 0;
	buf_init(&out);
	if (seal_open(h->member->public_key, h->member_sk, sealed, len, &out) == 0 &&
	    out.len == SEAL_SK_LEN) {
		memcpy(h->sk, out.data, SEAL_SK_LEN);
		h->found = 1;
	}
	buf_wipe(&out);
	return 1;
}

int
custody_member_key(struct db *db, const struct db_staff *member, const unsigned char member_sk[SEAL_SK_LEN],
    const char *key_id, unsigned char sk[SEAL_SK_LEN])
{
	struct held_arg h = { key_id, sk, member, member_sk, 0 };

	if (db_grant_each(db, member->id, held_key, &h) == -1)
		return -1;
	return h.found ? 0 : CUSTODY_DENIED;
}

/* The secret of one section key from the source: 0, CUSTODY_DENIED or -1. */
static int
source_key(struct db *db, const struct custody_source *src, const char *key_id, const void *recovery,
    size_t len, unsigned char sk[SEAL_SK_LEN])
{
	if (src->recovery != NULL)
		return custody_recovery_open(src->recovery, recovery, len, sk);
	if (src->granter == NULL || src->granter_sk == NULL)
		return -1;
	return custody_member_key(db, src->granter, src->granter_sk, key_id, sk);
}

static int
grant_key(const char *key_id, const unsigned char *pk, const void *recovery, size_t len, void *arg)
{
	struct grant_arg	*g = arg;
	unsigned char		 sk[SEAL_SK_LEN], check[SEAL_PK_LEN];
	int			 rc;

	rc = source_key(g->db, g->src, key_id, recovery, len, sk);
	if (rc == 0 && (seal_public_key(sk, check) != 0 || seal_compare(check, pk, SEAL_PK_LEN) != 0))
		rc = CUSTODY_DENIED;	/* opened, but not the secret of this key: refuse to grant garbage */
	if (rc == 0)
		rc = grant_to(g->section_id, key_id, sk, g->member->id, g->member->public_key, g->db, g->now);
	seal_wipe(sk, sizeof(sk));
	if (rc == CUSTODY_DENIED) {
		g->denied = 1;
		return 1;
	}
	g->keys++;
	return rc;
}

int
custody_grant(struct db *db, const char *section_id, const struct db_staff *member,
    const struct custody_source *src, time_t now)
{
	struct grant_arg g = { db, section_id, member, src, now, 0, 0 };

	if (db_begin(db) == -1)
		return -1;
	if (db_key_each(db, section_id, grant_key, &g) == -1 || g.denied || g.keys == 0) {
		db_rollback(db);
		return g.denied ? CUSTODY_DENIED : -1;
	}
	return db_commit(db);
}

/* ---- sessions ---- */

static int
session_wrap_key(const unsigned char token[CUSTODY_TOKEN_LEN], unsigned char key[SEAL_KEY_LEN])
{
	return seal_mac(token, "session-wrap", "", 0, key);
}

struct session_arg {
	struct db		*db;
	const struct db_staff	*s;
	const unsigned char	*sk;
	const unsigned char	*hash;
	unsigned char		 wrap[SEAL_KEY_LEN];
};

static int
session_key(const char *key_id, const char *section_id, const void *sealed, size_t len, void *arg)
{
	struct session_arg	*a = arg;
	struct buf		 plain, wrapped;
	int			 rc = -1;

	buf_init(&plain);
	buf_init(&wrapped);
	if (seal_open(a->s->public_key, a->sk, sealed, len, &plain) == -1 || plain.len != SEAL_SK_LEN) {
		/* A grant this member cannot open is skipped, not fatal: it was sealed to an older key pair. */
		log_msg(LOG_WARNING, "grant %s for %s cannot be opened; skipped", key_id, a->s->login);
		rc = 0;
		goto done;
	}
	if (seal_wrap(a->wrap, plain.data, plain.len, &wrapped) == 0 &&
	    db_session_key_add(a->db, a->hash, key_id, section_id, wrapped.data, wrapped.len) == 0)
		rc = 0;
done:
	buf_wipe(&plain);
	buf_free(&wrapped);
	return rc;
}

int
custody_session_open(struct db *db, const struct db_staff *s, const unsigned char sk[SEAL_SK_LEN],
    time_t now, char cookie[64])
{
	unsigned char		token[CUSTODY_TOKEN_LEN], hash[SEAL_MAC_LEN];
	struct session_arg	a = { db, s, sk, hash, { 0 } };
	struct buf		b;
	int			rc = -1;

	buf_init(&b);
	seal_random(token, sizeof(token));
	if (seal_hash(token, sizeof(token), hash) == -1 || session_wrap_key(token, a.wrap) == -1 ||
	    seal_b64url(token, sizeof(token), &b) == -1 || b.len >= 64)
		goto done;
	if (db_begin(db) == -1)
		goto done;
	if (db_session_add(db, hash, s->id, now) == -1 || db_grant_each(db, s->id, session_key, &a) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		goto done;
	}
	memcpy(cookie, b.data, b.len + 1);
	rc = 0;
done:
	seal_wipe(token, sizeof(token));
	seal_wipe(a.wrap, sizeof(a.wrap));
	buf_wipe(&b);
	return rc;
}

static int
cookie_token(const char *cookie, unsigned char token[CUSTODY_TOKEN_LEN])
{
	return seal_b64url_decode(cookie, strlen(cookie), token, CUSTODY_TOKEN_LEN) == CUSTODY_TOKEN_LEN ? 0 : -1;
}

int
custody_session_hash(const char *cookie, unsigned char hash[SEAL_MAC_LEN])
{
	unsigned char	token[CUSTODY_TOKEN_LEN];
	int		rc;

	rc = cookie_token(cookie, token) == 0 && seal_hash(token, sizeof(token), hash) == 0 ? 0 : -1;
	seal_wipe(token, sizeof(token));
	return rc;
}

int
custody_session_key(struct db *db, const char *cookie, const char *key_id, char section_id[64],
    unsigned char sk[SEAL_SK_LEN])
{
	unsigned char	token[CUSTODY_TOKEN_LEN], hash[SEAL_MAC_LEN], wrap[SEAL_KEY_LEN];
	struct buf	wrapped;
	int		rc = -1;

	buf_init(&wrapped);
	if (cookie_token(cookie, token) == -1 || seal_hash(token, sizeof(token), hash) == -1 ||
	    session_wrap_key(token, wrap) == -1)
		goto done;
	if ((rc = db_session_key_get(db, hash, key_id, section_id, &wrapped)) != 0)
		goto done;
	rc = seal_unwrap(wrap, wrapped.data, wrapped.len, sk, SEAL_SK_LEN) == 0 ? 0 : -1;
done:
	seal_wipe(token, sizeof(token));
	seal_wipe(wrap, sizeof(wrap));
	buf_free(&wrapped);
	return rc;
}
