/*
 * custody: who can open a section's applications, and how (DESIGN.md, "Key
 * custody").
 *
 * - Every staff member has an X25519 key pair.  The secret half is wrapped
 *   (secretbox) under a key derived from their password with Argon2id
 *   (crypto_pwhash); a wrong password is simply a failed unwrap.
 * - A grant is a section secret key sealed (crypto_box_seal) to a member's
 *   public key, one per key of the section, so rotated keys stay readable.
 * - Each section key is also sealed to a recovery public key derived from
 *   the section's printed recovery key, so rotation needs nobody's secret.
 * - A session holds the section keys its member unlocked at login, each
 *   wrapped under a key derived from the session token; the database keeps
 *   only the token's hash.  Neither the database nor the cookie alone opens
 *   anything.
 *
 * Functions return 0 on success, -1 on error; CUSTODY_DENIED when a password
 * or recovery key does not open what it should.  Secret outputs belong to
 * the caller, who wipes them (seal_wipe).
 */
#ifndef CUSTODY_H
#define CUSTODY_H

#include <stddef.h>
#include <time.h>

#include "db.h"
#include "seal.h"

#define CUSTODY_DENIED		1
#define CUSTODY_TOKEN_LEN	32
#define CUSTODY_PASSWORD_MIN	12	/* characters */
#define CUSTODY_PASSWORD_MAX	128	/* bytes */

/* Why a new password is refused; custody_password_problem() says it in English for the admin. */
enum custody_pw { PW_OK, PW_SHORT, PW_LONG, PW_BAD_CHARS, PW_HAS_LOGIN, PW_ONE_CHAR };
enum custody_pw custody_password_check(const char *login, const char *password);
const char *custody_password_problem(enum custody_pw why);

/* A random password for a new account or an archive: 16 characters, about 90 bits. */
#define CUSTODY_NEW_PASSWORD_LEN 16
void	custody_new_password(char out[CUSTODY_NEW_PASSWORD_LEN + 1]);

/* A valid login: [a-z0-9._-], 3..32 characters, starting with a letter. */
int	custody_login_ok(const char *login);
int	custody_role_ok(const char *role);

/* A new account's key pair, wrapped under the password (which must pass the check). */
int	custody_staff_new(struct db_staff *s, const char *login, const char *role, const char *password);
/* Open the member's secret key with their password: 0, CUSTODY_DENIED or -1. */
int	custody_staff_unlock(const struct db_staff *s, const char *password, unsigned char sk[SEAL_SK_LEN]);
/* Wrap the same key pair under a new password (a change), or a new pair (a reset: sk NULL). */
int	custody_staff_rewrap(struct db_staff *s, const unsigned char *sk, const char *password);

/* A section with its first key; printable gets the recovery key to put on paper. */
int	custody_section_create(struct db *db, const char *id, const char *name, time_t now,
	    char printable[SEAL_RECOVERY_LEN]);
/*
 * A new key for new applications, sealed for recovery and to every current
 * grantee: 0, DB_NOTFOUND (no such section; not a refusal) or -1.
 */
int	custody_section_rotate(struct db *db, const char *section_id, time_t now, char key_id[SEAL_KEYID_LEN + 1]);
/* Open a section key's recovery blob with the recovery key: 0, CUSTODY_DENIED or -1. */
int	custody_recovery_open(const unsigned char recovery[SEAL_KEY_LEN], const void *blob, size_t len,
	    unsigned char sk[SEAL_SK_LEN]);

/*
 * Grant every key of a section to member, taking the secrets from someone
 * who holds them: the recovery key (granter_sk NULL), or a granted member
 * (granter and granter_sk).  CUSTODY_DENIED when the source cannot open a
 * key of the section.
 */
struct custody_source {
	const unsigned char	*recovery;	/* SEAL_KEY_LEN bytes, or NULL */
	const struct db_staff	*granter;	/* with granter_sk, when recovery is NULL */
	const unsigned char	*granter_sk;
};
int	custody_grant(struct db *db, const char *section_id, const struct db_staff *member,
	    const struct custody_source *src, time_t now);

/* A section key from the member's grants, with their unlocked secret key: 0, CUSTODY_DENIED or -1. */
int	custody_member_key(struct db *db, const struct db_staff *member, const unsigned char member_sk[SEAL_SK_LEN],
	    const char *key_id, unsigned char sk[SEAL_SK_LEN]);

/*
 * Start a session for a member whose secret key was just unlocked: a fresh
 * token for the cookie (base64url in cookie, NUL-terminated) and the
 * member's section keys rewrapped for the session.
 */
int	custody_session_open(struct db *db, const struct db_staff *s, const unsigned char sk[SEAL_SK_LEN],
	    time_t now, char cookie[64]);
/* Decode a session cookie into its hash (for lookups) and the token; -1 when malformed. */
int	custody_session_hash(const char *cookie, unsigned char hash[SEAL_MAC_LEN]);
/* A section key the session holds: 0, DB_NOTFOUND (not held) or -1. */
int	custody_session_key(struct db *db, const char *cookie, const char *key_id, char section_id[64],
	    unsigned char sk[SEAL_SK_LEN]);

#endif
