/* Unit tests for lib/custody.c on a temporary database.  Argon2id runs are few: each costs ~0.1 s. */
#define _GNU_SOURCE	/* memmem */
#include <stdlib.h>
#include <unistd.h>

#include "custody.h"
#include "t.h"
#include "t_db.h"


/* The secret matches the public key it claims to belong to. */
static int
pair_matches(const unsigned char pk[SEAL_PK_LEN], const unsigned char sk[SEAL_SK_LEN])
{
	unsigned char check[SEAL_PK_LEN];

	return crypto_scalarmult_base(check, sk) == 0 && memcmp(check, pk, SEAL_PK_LEN) == 0;
}

struct first_key { char key_id[SEAL_KEYID_LEN + 1]; unsigned char pk[SEAL_PK_LEN]; struct buf blob; };

static int
take_first(const char *key_id, const unsigned char *pk, const void *blob, size_t len, void *arg)
{
	struct first_key *k = arg;

	snprintf(k->key_id, sizeof(k->key_id), "%s", key_id);
	memcpy(k->pk, pk, SEAL_PK_LEN);
	buf_put(&k->blob, blob, len);
	return 1;
}

static void
password_rules(void)
{
	T_CHECK(custody_password_check("sato", "abcdefghijk") == PW_SHORT);		/* 11 */
	T_CHECK(custody_password_check("sato", "abcdefghijkl") == PW_OK);		/* 12 */
	T_CHECK(custody_password_check("sato", "あいうえおかきくけこさ") == PW_SHORT);	/* 11 characters, 33 bytes */
	T_CHECK(custody_password_check("sato", "あいうえおかきくけこさし") == PW_OK);
	T_CHECK(custody_password_check("sato", "xxSATOxxxxxxyz") == PW_HAS_LOGIN);
	T_CHECK(custody_password_check("sato", "aaaaaaaaaaaaaa") == PW_ONE_CHAR);
	T_CHECK(custody_password_check("sato", "abcdefghijkl\n") == PW_BAD_CHARS);
	T_CHECK(custody_password_check("sato", "abcdefghijkl\xff") == PW_BAD_CHARS);
	{
		char longpw[140];

		memset(longpw, 'a', sizeof(longpw) - 1);
		longpw[0] = 'b';
		longpw[sizeof(longpw) - 1] = '\0';
		T_CHECK(custody_password_check("sato", longpw) == PW_LONG);
	}
}

static void
login_and_role_rules(void)
{
	T_CHECK(custody_login_ok("sato") && custody_login_ok("demo-admin") && custody_login_ok("k.ito_2"));
	T_CHECK(!custody_login_ok("ab") && !custody_login_ok("Sato") && !custody_login_ok("1sato") &&
	    !custody_login_ok("sa to") && !custody_login_ok("さとう"));
	T_CHECK(custody_role_ok("staff") && custody_role_ok("admin") && custody_role_ok("auditor"));
	T_CHECK(!custody_role_ok("root") && !custody_role_ok(""));
}

static void
unlock_change_and_reset(void)
{
	struct db_staff	s;
	unsigned char	sk[SEAL_SK_LEN], pk_before[SEAL_PK_LEN];

	T_CHECK(custody_staff_new(&s, "sato", "staff", "first-password-1") == 0);
	T_CHECK(custody_staff_unlock(&s, "first-password-1", sk) == 0 && pair_matches(s.public_key, sk));
	T_CHECK(custody_staff_unlock(&s, "first-password-2", sk) == CUSTODY_DENIED);
	/* a change keeps the key pair; the old password stops working */
	T_CHECK(custody_staff_unlock(&s, "first-password-1", sk) == 0);
	memcpy(pk_before, s.public_key, SEAL_PK_LEN);
	T_CHECK(custody_staff_rewrap(&s, sk, "second-password") == 0);
	T_CHECK(memcmp(pk_before, s.public_key, SEAL_PK_LEN) == 0);
	T_CHECK(custody_staff_unlock(&s, "first-password-1", sk) == CUSTODY_DENIED);
	T_CHECK(custody_staff_unlock(&s, "second-password", sk) == 0 && pair_matches(s.public_key, sk));
	/* a reset makes a new pair */
	T_CHECK(custody_staff_rewrap(&s, NULL, "third-password") == 0);
	T_CHECK(memcmp(pk_before, s.public_key, SEAL_PK_LEN) != 0);
	T_CHECK(custody_staff_unlock(&s, "third-password", sk) == 0 && pair_matches(s.public_key, sk));
}

static void
recovery_opens_section_key(void)
{
	struct db		*db;
	struct first_key	 k;
	char			 printable[SEAL_RECOVERY_LEN], other[SEAL_RECOVERY_LEN];
	unsigned char		 rkey[SEAL_KEY_LEN], okey[SEAL_KEY_LEN], sk[SEAL_SK_LEN];

	buf_init(&k.blob);
	T_CHECK(t_db_fresh(&db) == 0);
	T_CHECK(custody_section_create(db, "sec-a", "テスト課", 1, printable) == 0);
	T_CHECK(custody_section_create(db, "sec-a", "again", 2, other) == DB_EXISTS);
	T_CHECK(db_key_each(db, "sec-a", take_first, &k) == 0 && k.blob.len > 0);
	T_CHECK(seal_recovery_parse(printable, rkey) == 0);
	T_CHECK(custody_recovery_open(rkey, k.blob.data, k.blob.len, sk) == 0 && pair_matches(k.pk, sk));
	T_CHECK(seal_recovery_new(okey, other) == 0);
	T_CHECK(custody_recovery_open(okey, k.blob.data, k.blob.len, sk) == CUSTODY_DENIED);
	buf_free(&k.blob);
	db_close(db);
}

static void
schema1_wrapped_blob_still_opens(void)
{
	unsigned char	rkey[SEAL_KEY_LEN], pk[SEAL_PK_LEN], sk[SEAL_SK_LEN], got[SEAL_SK_LEN];
	char		printable[SEAL_RECOVERY_LEN];
	struct buf	w;

	buf_init(&w);
	T_CHECK(seal_recovery_new(rkey, printable) == 0 && seal_keypair(pk, sk) == 0);
	T_CHECK(seal_wrap(rkey, sk, sizeof(sk), &w) == 0 && w.len == DB_WRAPPED_SK_LEN);
	T_CHECK(custody_recovery_open(rkey, w.data, w.len, got) == 0 && memcmp(got, sk, SEAL_SK_LEN) == 0);
	buf_free(&w);
}

/* A section with two members: alice granted by the recovery key, bob by alice. */
struct world {
	struct db	*db;
	struct db_staff	 alice, bob, carol;
	unsigned char	 alice_sk[SEAL_SK_LEN], carol_sk[SEAL_SK_LEN];
	unsigned char	 rkey[SEAL_KEY_LEN];
};

static int
make_world(struct world *w)
{
	char			printable[SEAL_RECOVERY_LEN];
	struct custody_source	src;

	memset(w, 0, sizeof(*w));
	if (t_db_fresh(&w->db) == -1 || custody_section_create(w->db, "sec-a", "テスト課", 1, printable) != 0 ||
	    seal_recovery_parse(printable, w->rkey) == -1 ||
	    custody_staff_new(&w->alice, "alice", "staff", "alice-password-1") == -1 ||
	    custody_staff_new(&w->bob, "bob", "staff", "bob-password-123") == -1 ||
	    custody_staff_new(&w->carol, "carol", "admin", "carol-password-1") == -1 ||
	    db_staff_add(w->db, &w->alice, 1) != 0 || db_staff_add(w->db, &w->bob, 1) != 0 ||
	    db_staff_add(w->db, &w->carol, 1) != 0 ||
	    custody_staff_unlock(&w->alice, "alice-password-1", w->alice_sk) != 0 ||
	    custody_staff_unlock(&w->carol, "carol-password-1", w->carol_sk) != 0)
		return -1;
	memset(&src, 0, sizeof(src));
	src.recovery = w->rkey;
	if (custody_grant(w->db, "sec-a", &w->alice, &src, 2) != 0)
		return -1;
	memset(&src, 0, sizeof(src));
	src.granter = &w->alice;
	src.granter_sk = w->alice_sk;
	return custody_grant(w->db, "sec-a", &w->bob, &src, 3) == 0 ? 0 : -1;
}

static int
count_grants(const char *key_id, const char *section_id, const void *sealed, size_t len, void *arg)
{
	(void)key_id;
	(void)section_id;
	(void)sealed;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

static void
grants_need_a_key_holder(void)
{
	struct world		w;
	struct custody_source	src;
	struct db_staff		dave;
	unsigned char		sk[SEAL_SK_LEN];
	char			key_id[SEAL_KEYID_LEN + 1];
	unsigned char		pk[SEAL_PK_LEN];
	int			n = 0;

	T_CHECK(make_world(&w) == 0);
	T_CHECK(db_key_current(w.db, "sec-a", key_id, pk) == 0);
	T_CHECK(custody_member_key(w.db, &w.alice, w.alice_sk, key_id, sk) == 0 && pair_matches(pk, sk));
	/* carol (admin, no grant) cannot grant anyone */
	T_CHECK(custody_staff_new(&dave, "dave", "staff", "dave-password-12") == 0 && db_staff_add(w.db, &dave, 4) == 0);
	memset(&src, 0, sizeof(src));
	src.granter = &w.carol;
	src.granter_sk = w.carol_sk;
	T_CHECK(custody_grant(w.db, "sec-a", &dave, &src, 5) == CUSTODY_DENIED);
	T_CHECK(db_grant_each(w.db, dave.id, count_grants, &n) == 0 && n == 0);
	T_CHECK(db_grant_has(w.db, w.bob.id, "sec-a") == 1 && db_grant_has(w.db, w.carol.id, "sec-a") == 0);
	db_close(w.db);
}

static void
rotation_keeps_old_keys_readable(void)
{
	struct world	w;
	char		old_id[SEAL_KEYID_LEN + 1], new_id[SEAL_KEYID_LEN + 1], got[SEAL_KEYID_LEN + 1];
	unsigned char	old_pk[SEAL_PK_LEN], new_pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
	struct buf	box, plain, blob;
	char		section[64];
	int		n = 0;

	buf_init(&box);
	buf_init(&plain);
	buf_init(&blob);
	T_CHECK(make_world(&w) == 0);
	T_CHECK(db_key_current(w.db, "sec-a", old_id, old_pk) == 0);
	T_CHECK(seal_box(old_pk, "old application", 15, &box) == 0);
	T_CHECK(custody_section_rotate(w.db, "sec-a", 10, new_id) == 0);
	T_CHECK(db_key_current(w.db, "sec-a", got, new_pk) == 0);
	T_STREQ(got, new_id);
	T_CHECK(strcmp(old_id, new_id) != 0);
	/* bob (granted by alice) received the new key, and still opens the old one */
	T_CHECK(db_grant_each(w.db, w.bob.id, count_grants, &n) == 0 && n == 2);
	{
		unsigned char bob_sk[SEAL_SK_LEN];

		T_CHECK(custody_staff_unlock(&w.bob, "bob-password-123", bob_sk) == 0);
		T_CHECK(custody_member_key(w.db, &w.bob, bob_sk, new_id, sk) == 0 && pair_matches(new_pk, sk));
		T_CHECK(custody_member_key(w.db, &w.bob, bob_sk, old_id, sk) == 0);
		T_CHECK(seal_open(old_pk, sk, box.data, box.len, &plain) == 0);
		T_CHECK(plain.len == 15 && memcmp(plain.data, "old application", 15) == 0);
	}
	/* the recovery key opens the new key too */
	T_CHECK(db_key_get(w.db, new_id, section, new_pk, &blob) == 0);
	T_CHECK(custody_recovery_open(w.rkey, blob.data, blob.len, sk) == 0 && pair_matches(new_pk, sk));
	buf_free(&box);
	buf_wipe(&plain);
	buf_free(&blob);
	db_close(w.db);
}

static int
file_has(const char *file, const void *needle, size_t n)
{
	FILE	*f = fopen(file, "rb");
	char	*data;
	long	 len;
	int	 found;

	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	data = malloc((size_t)len + 1);
	found = data != NULL && fread(data, 1, (size_t)len, f) == (size_t)len &&
	    memmem(data, (size_t)len, needle, n) != NULL;
	free(data);
	fclose(f);
	return found;
}

static void
sessions_hold_rewrapped_keys(void)
{
	struct world	w;
	char		cookie[64], other[64], section[64], key_id[SEAL_KEYID_LEN + 1], wal[160];
	unsigned char	pk[SEAL_PK_LEN], sk[SEAL_SK_LEN], hash[SEAL_MAC_LEN], token[32];
	struct db_session s;

	T_CHECK(make_world(&w) == 0);
	T_CHECK(db_key_current(w.db, "sec-a", key_id, pk) == 0);
	T_CHECK(custody_session_open(w.db, &w.alice, w.alice_sk, 100, cookie) == 0);
	T_CHECK(custody_session_key(w.db, cookie, key_id, section, sk) == 0 && pair_matches(pk, sk));
	T_STREQ(section, "sec-a");
	/* another cookie holds nothing */
	T_CHECK(custody_session_open(w.db, &w.carol, w.carol_sk, 100, other) == 0);
	T_CHECK(custody_session_key(w.db, other, key_id, section, sk) == DB_NOTFOUND);
	T_CHECK(custody_session_key(w.db, "not-a-cookie", key_id, section, sk) == -1);
	/* only the hash is stored: the raw token is nowhere in the database files */
	T_CHECK(custody_session_hash(cookie, hash) == 0 && db_session_get(w.db, hash, &s) == 0);
	T_CHECK(s.staff_id == w.alice.id && s.last_seen == 100);
	T_CHECK(seal_b64url_decode(cookie, strlen(cookie), token, sizeof(token)) == 32);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	T_CHECK(!file_has(path, token, sizeof(token)) && !file_has(wal, token, sizeof(token)));
	T_CHECK(file_has(wal, hash, sizeof(hash)) || file_has(path, hash, sizeof(hash)));
	/* revoking drops the key from open sessions */
	T_CHECK(db_grant_revoke(w.db, w.alice.id, "sec-a") == 0);
	T_CHECK(custody_session_key(w.db, cookie, key_id, section, sk) == DB_NOTFOUND);
	/* idle sessions are purged */
	T_CHECK(db_session_purge(w.db, 101, 0) == 0 && db_session_get(w.db, hash, &s) == DB_NOTFOUND);
	db_close(w.db);
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	T_RUN(password_rules);
	T_RUN(login_and_role_rules);
	T_RUN(unlock_change_and_reset);
	T_RUN(recovery_opens_section_key);
	T_RUN(schema1_wrapped_blob_still_opens);
	T_RUN(grants_need_a_key_holder);
	T_RUN(rotation_keeps_old_keys_readable);
	T_RUN(sessions_hold_rewrapped_keys);
	return t_db_teardown(T_DONE());
}
