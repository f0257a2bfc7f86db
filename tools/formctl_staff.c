/*
 * formctl staff | grant | revoke | key: accounts and key custody (key retire
 * is formctl_purge.c's).
 *
 * New and reset passwords are generated here and printed once: an admin
 * never chooses a member's password, and the member changes it after the
 * first login (/staff/password).  Granting needs a key holder: the section's
 * recovery key or a granted member's password, read from standard input.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "custody.h"
#include "db.h"
#include "formctl.h"
#include "mail.h"
#include "seal.h"
#include "workflow.h"

static int
find_staff(struct db *db, const char *login, struct db_staff *s)
{
	int rc = db_staff_by_login(db, login, s);

	if (rc == DB_NOTFOUND)
		fprintf(stderr, "formctl: no account '%s'\n", login);
	return rc == 0 ? 0 : -1;
}

static int
staff_add(struct db *db, const char *login, const char *role)
{
	struct db_staff	s;
	char		password[17];
	int		rc = 1, r;

	if (!custody_login_ok(login)) {
		fprintf(stderr, "formctl: login '%s' must be 3-32 of [a-z0-9._-], starting with a letter\n",
		    login);
		return 1;
	}
	if (!custody_role_ok(role)) {
		fprintf(stderr, "formctl: role '%s' must be staff, admin or auditor\n", role);
		return 1;
	}
	do
		custody_new_password(password);
	while (custody_password_check(login, password) != PW_OK);
	if (custody_staff_new(&s, login, role, password) == -1)
		goto done;
	if ((r = db_staff_add(db, &s, time(NULL))) == DB_EXISTS)
		fprintf(stderr, "formctl: login '%s' is taken\n", login);
	else if (r == 0 && fc_audit(db, "staff_add", login, role) == 0) {
		printf("account %s (%s) created\npassword (give it to the member; shown only once): %s\n",
		    login, role, password);
		rc = 0;
	}
done:
	seal_wipe(password, sizeof(password));
	seal_wipe(&s, sizeof(s));
	return rc;
}

static int
print_staff(const struct db_staff *s, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\n", s->login, s->role, s->disabled ? "disabled" : "active");
	return 0;
}

static int
staff_disable(struct db *db, const char *login, int disabled)
{
	struct db_staff s;

	if (find_staff(db, login, &s) == -1)
		return 1;
	/* Disabling also ends the member's sessions, with the keys they held. */
	if (db_staff_set_disabled(db, s.id, disabled, time(NULL)) == -1 ||
	    (disabled && db_session_delete_staff(db, s.id) == -1) ||
	    fc_audit(db, disabled ? "staff_disable" : "staff_enable", login, "") == -1)
		return 1;
	printf("account %s %s\n", login, disabled ? "disabled (sessions ended)" : "enabled");
	return 0;
}

/*
 * A reset makes a new key pair: the old secret key is lost with the
 * forgotten password, so the member's grants are dropped and must be given
 * again by a key holder.
 */
static int
staff_reset(struct db *db, const char *login)
{
	struct db_staff	s;
	char		password[17];
	int		rc = 1;

	if (find_staff(db, login, &s) == -1)
		return 1;
	do
		custody_new_password(password);
	while (custody_password_check(login, password) != PW_OK);
	if (custody_staff_rewrap(&s, NULL, password) == -1 || db_begin(db) == -1)
		goto done;
	if (db_staff_set_secret(db, &s, time(NULL)) == -1 || db_grant_revoke_all(db, s.id) == -1 ||
	    db_session_delete_staff(db, s.id) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		goto done;
	}
	if (fc_audit(db, "staff_reset", login, "grants dropped") == 0) {
		printf("password of %s reset (shown only once): %s\n", login, password);
		printf("its section grants were dropped: a key holder must grant them again\n");
		rc = 0;
	}
done:
	seal_wipe(password, sizeof(password));
	seal_wipe(&s, sizeof(s));
	return rc;
}

/* A member's address for staff mail (auditors get the daily digest); "-" removes it. */
static int
staff_email(struct db *db, const char *login, const char *email)
{
	struct db_staff	s;
	int		none = strcmp(email, "-") == 0;

	if (find_staff(db, login, &s) == -1)
		return 1;
	if (!none && !mail_addr_ok(email)) {
		fprintf(stderr, "formctl: '%s' is not an address mail is sent to (name@example.lg.jp)\n", email);
		return 1;
	}
	if (db_staff_set_email(db, s.id, none ? NULL : email, time(NULL)) != 0 ||
	    fc_audit(db, "staff_email", login, none ? "removed" : "set") == -1)
		return 1;
	printf("%s: %s\n", login, none ? "no address" : email);
	return 0;
}

int
cmd_staff(int argc, char **argv)
{
	struct db	*db;
	int		 rc = 2;

	if (argc < 1 || fc_open_db(&db) == -1)
		return argc < 1 ? 2 : 1;
	if (strcmp(argv[0], "add") == 0 && argc == 3)
		rc = staff_add(db, argv[1], argv[2]);
	else if (strcmp(argv[0], "list") == 0 && argc == 1)
		rc = db_staff_each(db, print_staff, NULL) == 0 ? 0 : 1;
	else if (strcmp(argv[0], "disable") == 0 && argc == 2)
		rc = staff_disable(db, argv[1], 1);
	else if (strcmp(argv[0], "enable") == 0 && argc == 2)
		rc = staff_disable(db, argv[1], 0);
	else if (strcmp(argv[0], "reset") == 0 && argc == 2)
		rc = staff_reset(db, argv[1]);
	else if (strcmp(argv[0], "email") == 0 && argc == 3)
		rc = staff_email(db, argv[1], argv[2]);
	else
		fprintf(stderr, "formctl: staff add LOGIN ROLE | list | disable LOGIN | enable LOGIN | reset LOGIN"
		    " | email LOGIN ADDRESS|-\n");
	db_close(db);
	return rc;
}

/* ---- grants ---- */

static int
grant(struct db *db, const char *login, const char *section, const char *by)
{
	struct custody_source	src;
	struct db_staff		member, granter;
	unsigned char		granter_sk[SEAL_SK_LEN], recovery[SEAL_KEY_LEN];
	char			detail[96];
	enum wf_role		role;
	int			rc = 1, r;

	if (db_section_exists(db, section) != 1) {
		fprintf(stderr, "formctl: no section '%s'\n", section);
		return 1;
	}
	if (find_staff(db, login, &member) == -1 || fc_source(db, by, &src, &granter, granter_sk, recovery) == -1)
		goto done;
	if (member.disabled) {
		fprintf(stderr, "formctl: account '%s' is disabled\n", login);
		goto done;
	}
	if (wf_role_parse(member.role, &role) == 0 && role == WF_ROLE_AUDITOR) {
		fprintf(stderr, "formctl: '%s' is an auditor: auditors read the audit log, never applications\n",
		    login);
		goto done;
	}
	r = custody_grant(db, section, &member, &src, time(NULL));
	if (r == CUSTODY_DENIED)
		fprintf(stderr, "formctl: %s does not open the keys of section '%s'\n",
		    by ? by : "that recovery key", section);
	else if (r != 0)
		fprintf(stderr, "formctl: could not grant '%s' to '%s'\n", section, login);
	else {
		snprintf(detail, sizeof(detail), "%s by %s", section, by ? by : "recovery key");
		if (fc_audit(db, "grant", login, detail) == 0) {
			printf("%s can now read section %s (from the next login)\n", login, section);
			rc = 0;
		}
	}
done:
	seal_wipe(granter_sk, sizeof(granter_sk));
	seal_wipe(recovery, sizeof(recovery));
	return rc;
}

int
cmd_grant(int argc, char **argv)
{
	struct db	*db;
	const char	*by = NULL;
	int		 rc;

	if (argc == 3 && strcmp(argv[2], "--recovery") == 0)
		by = NULL;
	else if (argc == 4 && strcmp(argv[2], "--by") == 0)
		by = argv[3];
	else {
		fprintf(stderr, "formctl: grant LOGIN SECTION (--recovery | --by LOGIN); the secret is read"
		    " from standard input\n");
		return 2;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	rc = grant(db, argv[0], argv[1], by);
	db_close(db);
	return rc;
}

int
cmd_revoke(int argc, char **argv)
{
	struct db	*db;
	struct db_staff	 s;
	int		 rc = 1;

	if (argc != 2) {
		fprintf(stderr, "formctl: revoke LOGIN SECTION\n");
		return 2;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	if (find_staff(db, argv[0], &s) == 0) {
		if (db_grant_has(db, s.id, argv[1]) != 1)
			fprintf(stderr, "formctl: %s holds no grant for section '%s'\n", argv[0], argv[1]);
		else if (db_grant_revoke(db, s.id, argv[1]) == 0 && fc_audit(db, "revoke", argv[0], argv[1]) == 0) {
			printf("%s can no longer read section %s (open sessions lost its keys)\n", argv[0], argv[1]);
			rc = 0;
		}
	}
	db_close(db);
	return rc;
}

struct key_list {
	struct db	*db;
	char		 current[SEAL_KEYID_LEN + 1];
};

static int
print_key(const char *key_id, const unsigned char *pk, const void *recovery, size_t len, void *arg)
{
	struct key_list	*k = arg;
	int64_t		 apps, notes;

	(void)pk;
	(void)recovery;
	(void)len;
	if (db_key_uses(k->db, key_id, &apps, &notes) == -1)
		return -1;
	printf("%s\t%s\t%lld applications\t%lld notes\n", key_id, strcmp(key_id, k->current) == 0 ? "current" :
	    "old", (long long)apps, (long long)notes);
	return 0;
}

/* Every key of a section, oldest first, with what is still sealed to it (key retire wants none). */
static int
key_list(struct db *db, const char *section)
{
	struct key_list	k = { db, "" };
	unsigned char	pk[SEAL_PK_LEN];

	if (db_key_current(db, section, k.current, pk) != 0) {
		fprintf(stderr, "formctl: no section '%s'\n", section);
		return 1;
	}
	return db_key_each(db, section, print_key, &k) == 0 ? 0 : 1;
}

int
cmd_key(int argc, char **argv)
{
	struct db	*db;
	char		 key_id[SEAL_KEYID_LEN + 1];
	int		 rc = 1, r;

	if (argc != 2 || (strcmp(argv[0], "rotate") != 0 && strcmp(argv[0], "list") != 0 &&
	    strcmp(argv[0], "retire") != 0)) {
		fprintf(stderr, "formctl: key rotate SECTION | key list SECTION | key retire KEY_ID\n");
		return 2;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	if (strcmp(argv[0], "list") == 0)
		rc = key_list(db, argv[1]);
	else if (strcmp(argv[0], "retire") == 0)
		rc = fc_key_retire(db, argv[1]);
	else if (db_section_exists(db, argv[1]) != 1)
		fprintf(stderr, "formctl: no section '%s'\n", argv[1]);
	else if ((r = custody_section_rotate(db, argv[1], time(NULL), key_id)) == DB_NOTFOUND)
		fprintf(stderr, "formctl: section '%s' was made before schema 2 and has no recovery public key;"
		    " make a new section or restore from its recovery key first\n", argv[1]);
	else if (r != 0)
		fprintf(stderr, "formctl: could not rotate the key of '%s'\n", argv[1]);
	else if (fc_audit(db, "rotate", argv[1], key_id) == 0) {
		printf("section %s: new key %s for new applications; older ones stay readable;"
		    " members with a grant received it\n", argv[1], key_id);
		rc = 0;
	}
	db_close(db);
	return rc;
}
