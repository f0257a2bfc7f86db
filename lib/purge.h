/*
 * purge: the data's end (DESIGN.md, "A procedure's end and the data's
 * end").  Applications past their definition's retention are erased with
 * everything derived from them (db.h: db_expired_erase), and each erasure
 * is reported: one erasure report (消去報告書) per procedure and section
 * and one audit entry, committed in the same transaction as the erasure,
 * so that a run killed at any moment either erased a procedure's share
 * and reported it once, or did neither; run again, it finishes the rest.
 *
 * The database overwrites what it deletes (secure_delete, db_open); the
 * checkpoint at the end (purge_finish) takes those pages out of the WAL and
 * truncates it, so the bytes are gone from both files.
 *
 * A section key can be destroyed the same way once nothing sealed to it is
 * left (purge_key): its public key, its recovery-sealed secret, its grants
 * and the sessions' copies go, reported and audited.
 *
 * Functions return 0 or -1 (nothing changed); the reports handed to
 * conf->report are valid during the call only.
 */
#ifndef PURGE_H
#define PURGE_H

#include <stdint.h>
#include <time.h>

#include "db.h"
#include "formdef.h"
#include "seal.h"

struct purge_conf {
	struct db		*db;
	const unsigned char	*audit_key;	/* SEAL_KEY_LEN */
	/* apply's MAC key: the status look-up's guess counts of an erased receipt are found with it (guess.h) */
	const unsigned char	*apply_mac_key;
	const char		*actor;		/* "formctl:<user>" */
	const char		*command;	/* "formctl purge", "formctl key retire" */
	time_t			 now;
	int			 dry_run;	/* report what would go, change nothing */
	void			(*report)(const struct db_erasure *r, void *arg);	/* each report, or NULL */
	/* Inside each erasure's transaction, just before its commit (tests interrupt a run there), or NULL. */
	void			(*before_commit)(void *arg);
	void			*arg;
};

/* The procedure's applications past retention at conf->now; *erased gets how many (or would). */
int	purge_procedure(const struct purge_conf *c, const struct procedure *p, int64_t *erased);

/* Why a key cannot be destroyed (purge_key's answer, when not 0 or -1). */
#define PURGE_KEY_UNKNOWN	1	/* no such key */
#define PURGE_KEY_CURRENT	2	/* new applications are sealed to it: rotate first */
#define PURGE_KEY_IN_USE	3	/* applications or notes sealed to it remain */
/* Destroy a section key nothing is sealed to any more; *apps and *notes say what still is. */
int	purge_key(const struct purge_conf *c, const char *key_id, int64_t *apps, int64_t *notes);

/*
 * After the erasures: guess counts past their window go, and the WAL is
 * checkpointed and truncated (tried a few times while readers hold it).
 * 0, DB_BUSY (the bytes are in the WAL until the next checkpoint), -1.
 */
int	purge_finish(const struct purge_conf *c);

#endif
