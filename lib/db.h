/*
 * db: the one place where SQL lives.  Every statement is in the table in
 * db.c, prepared once at open and run with bound parameters only.  The
 * schema is versioned (PRAGMA user_version) and migrated on open.
 *
 * Returns: 0 success, DB_NOTFOUND (1) when a lookup found nothing, DB_EXISTS
 * (2) when an insert met an existing row, -1 on error (logged without data).
 * Strings and blobs written into caller buffers are the caller's; nothing
 * returned points into SQLite after the call.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "seal.h"

#define DB_NOTFOUND	1
#define DB_EXISTS	2
#define DB_SCHEMA_VERSION 1
#define DB_RECEIPT_LEN	14	/* "1234-5678-9012" */

struct db;

/* Open (creating if needed) with WAL and synchronous=FULL, and migrate. */
int	db_open(const char *path, struct db **out);
void	db_close(struct db *db);
int	db_schema_version(struct db *db);

int	db_section_add(struct db *db, const char *id, const char *name, time_t now);
int	db_section_exists(struct db *db, const char *id);	/* 1 yes, 0 no, -1 error */
/* Calls fn for each section; stops early when fn returns non-zero. */
int	db_section_each(struct db *db, int (*fn)(const char *id, const char *name, void *arg), void *arg);
int	db_key_add(struct db *db, const char *section_id, const char key_id[SEAL_KEYID_LEN + 1],
	    const unsigned char pk[SEAL_PK_LEN], const void *recovery_wrapped, size_t wrapped_len, time_t now);
/* The section's current public key (the newest). */
int	db_key_current(struct db *db, const char *section_id, char key_id[SEAL_KEYID_LEN + 1],
	    unsigned char pk[SEAL_PK_LEN]);
/* A key by id: its public key and the secret key wrapped with the recovery key (appended to wrapped). */
int	db_key_get(struct db *db, const char *key_id, char section_id[64], unsigned char pk[SEAL_PK_LEN],
	    struct buf *wrapped);

struct db_app {
	const char	*procedure_id;
	const char	*section_id;
	const char	*form_hash;
	const char	*key_id;
	const void	*sealed;
	size_t		 sealed_len;
	unsigned char	 submit_hash[SEAL_MAC_LEN];	/* hash of the confirmation nonce */
	unsigned char	 inquiry_hash[SEAL_MAC_LEN];
	time_t		 received_at;
};
/*
 * Store an application once: in one write transaction, if an application
 * with the same submit_hash exists its receipt is returned with DB_EXISTS
 * (a replayed or double-clicked send); otherwise a fresh random receipt is
 * drawn and the row committed (durably: synchronous=FULL) before returning 0.
 */
int	db_app_store(struct db *db, const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1]);

struct db_app_status {
	char		 procedure_id[64];
	char		 status[16];
	time_t		 received_at;
	unsigned char	 inquiry_hash[SEAL_MAC_LEN];
};
int	db_app_status(struct db *db, const char *receipt, struct db_app_status *out);
/* The sealed content and its key id, for readers holding the key. */
int	db_app_sealed(struct db *db, const char *receipt, char key_id[SEAL_KEYID_LEN + 1], struct buf *sealed);
int	db_app_count(struct db *db, int64_t *out);

#define DB_THROTTLE_MAX_WINDOW (24 * 60 * 60)

/*
 * Fixed-window rate limiting (windows of at most DB_THROTTLE_MAX_WINDOW): count one hit for key in the window that
 * contains now; *hits gets the count including this one.
 */
int	db_throttle_hit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
	    int window_seconds, int64_t *hits);
int	db_throttle_count(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
	    int window_seconds, int64_t *hits);

#endif
