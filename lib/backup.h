/*
 * backup: one file that restores a data directory, sealed with a
 * passphrase (DESIGN.md, "Backups carry a password").
 *
 * The file: a header (magic, version, the Argon2id costs and salt, the
 * stream header), then chunks, each a 4-byte length and a message of a
 * libsodium secretstream (seal.h) under Argon2id(passphrase).  Each file of
 * the backup is a header message (its name and size) and data messages of
 * up to BACKUP_CHUNK bytes; an end message with the final tag closes the
 * stream.  A changed, dropped, reordered or cut-off byte anywhere fails.
 *
 * The files: a consistent copy of the database taken while the programs
 * keep writing (VACUUM INTO a private temporary directory beside it), and
 * the key files a restore needs (backup_members): the MAC keys, the audit
 * key, the mailer's key pair.  Section secret keys exist only wrapped,
 * inside the database.  Demo files (passwords, recovery keys) never go in.
 *
 * A restore reads the whole file into a private temporary directory beside
 * the target, checking every message and the final tag, and only then
 * moves the files into the target, which must be new or empty: a wrong
 * passphrase, a damaged or cut-off file leaves nothing behind.
 */
#ifndef BACKUP_H
#define BACKUP_H

#include <stdint.h>
#include <stddef.h>

#include "buf.h"
#include "db.h"

#define BACKUP_CHUNK	(64 * 1024)
#define BACKUP_PASSPHRASE_MIN	12	/* characters a new backup's passphrase needs */

/* The files of a data directory a backup holds, relative to it (NULL-terminated). */
extern const char *const backup_members[];

/* How a backup failed (backup_restore's answer, or -1 for other errors, said in why). */
enum backup_error {
	BACKUP_OK,
	BACKUP_NOT_BACKUP = 2,	/* no backup header: another file */
	BACKUP_WRONG_PASSPHRASE,	/* the first message does not open: wrong passphrase (or altered) */
	BACKUP_DAMAGED,		/* a later message does not open: altered or damaged */
	BACKUP_TRUNCATED,	/* the file ends before its final message */
	BACKUP_NOT_EMPTY,	/* the target directory holds something */
};

struct backup_costs { uint64_t ops; size_t mem; };	/* Argon2id; seal.h's SEAL_FILE_PW_* for real use */

/*
 * Back up the data directory of db to out (a new file, mode 0600, written
 * as out.partial and renamed when complete).  0, or -1 with why (English,
 * for the admin) appended.  *bytes gets the file's size.
 */
int	backup_create(struct db *db, const char *data_dir, const char *passphrase, const struct backup_costs *costs,
	    const char *out, uint64_t *bytes, struct buf *why);
/* Restore the backup in into target (new or empty).  0, an enum backup_error, or -1 (why said). */
int	backup_restore(const char *in, const char *passphrase, const char *target, struct buf *why);

#endif
