/*
 * audit: the append-only, hash-chained audit log (DESIGN.md, "Audit").
 *
 * Every entry carries the MAC of the one before; its own MAC covers its
 * sequence number, time, actor, action, target, detail, address and that
 * previous MAC, keyed with the audit key (DATA_DIR/keys/audit.key), so an
 * edited, removed or reordered entry breaks the chain and cannot be
 * recomputed without the key.  What it cannot see alone is the newest
 * entries being cut off: audit_verify reports the head (sequence and MAC) so
 * an admin can compare it with the one they noted before.
 *
 * No personal data goes in: actors are staff logins, targets are receipt
 * numbers, procedure ids, section ids or logins.  Functions return 0 or -1.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdio.h>
#include <time.h>

#include "db.h"
#include "seal.h"

struct audit_entry {
	time_t		 at;
	const char	*actor;		/* staff login, "formctl" or "-" (unknown) */
	const char	*action;	/* a token, see audit_action_label() */
	const char	*target;
	const char	*detail;
	const char	*addr;		/* client address, or "" */
};

int	audit_append(struct db *db, const unsigned char key[SEAL_KEY_LEN], const struct audit_entry *e);
/* The same inside the caller's transaction (db_begin): the entry commits, or not, with what it records. */
int	audit_append_in(struct db *db, const unsigned char key[SEAL_KEY_LEN], const struct audit_entry *e);

struct audit_check {
	int64_t		 entries;
	int64_t		 head_seq;
	char		 head_mac[2 * SEAL_MAC_LEN + 1];
	int64_t		 bad_seq;	/* first entry found wrong, 0 if none */
	char		 problem[128];	/* English, for the admin */
};
/* 0 when the chain is intact, 1 when it is broken (see c), -1 on error. */
int	audit_verify(struct db *db, const unsigned char key[SEAL_KEY_LEN], struct audit_check *c);

/* Per person between from and to: logins, failed logins, logouts, views, changes, exports and rows exported. */
int	audit_report(struct db *db, time_t from, time_t to, FILE *out);

/* The Japanese label shown to auditors for an action token; the token itself when unknown. */
const char *audit_action_label(const char *action);

#endif
