/*
 * opener: opens sealed applications on a pool of threads for an export, and
 * hands them back in the order they were read.  Opening (seal_open and the
 * JSON parse) is nearly all of an export's work, so it runs on every core
 * while the caller's thread reads the database and writes the file.  The
 * rows of one batch share an ephemeral key (seal.h), and come one after
 * the other: each thread keeps the last shared key it derived, and opens
 * the batch's next rows with it.
 *
 * The caller's thread pushes rows (opener_push(), shaped as a db_app_list()
 * callback); each is copied into a bounded ring, so memory does not grow
 * with the number of rows.  Keys are looked up on the caller's thread (its
 * database handle is not shared) once per key id, through the caller's key
 * callback.  Opened rows come back on the caller's thread through the row
 * callback, in push order, either during a later opener_push() or in
 * opener_finish(); a row that could not be opened (no key, a bad box, no
 * "answers" object) comes back with answers NULL and is counted.
 *
 * The threads block every signal and are always joined by opener_finish(),
 * which is the one way to end an opener, after success or failure.
 * Plaintext is wiped as soon as it is read (payload.h, or json-c when
 * payload.h declines it), the answers read by payload.h once the row is
 * handed over, key copies and shared keys at the end.
 */
#ifndef OPENER_H
#define OPENER_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "export.h"
#include "seal.h"

/* 0 and the key pair when the rows sealed to key_id may be opened; -1 leaves them unopened. */
typedef int	(*opener_key_fn)(void *arg, const char *key_id, unsigned char pk[SEAL_PK_LEN],
		    unsigned char sk[SEAL_SK_LEN]);
/* One row, in order; row->answers is NULL when it could not be opened.  -1 stops the export. */
typedef int	(*opener_row_fn)(void *arg, const struct export_row *row);

struct opener_conf {
	int		 threads;	/* 0: one per online CPU */
	size_t		 slots;		/* rows in flight at most; 0: 256 */
	opener_key_fn	 key;
	void		*key_arg;
	opener_row_fn	 row;
	void		*row_arg;
};

struct opener;

/* Starts the threads; NULL on failure (nothing left running). */
struct opener	*opener_start(const struct opener_conf *conf);
/* Copies one row in; 0, or -1 once anything failed (so db_app_list() stops). */
int		 opener_push(const struct db_app_row *row, void *opener);
/*
 * Hands over every row pushed and not yet handed over (none after a
 * failure), joins the threads, wipes and frees o.  -1 when a row callback or
 * a copy failed.  *unopened: the rows handed over with answers NULL.
 */
int		 opener_finish(struct opener *o, int64_t *unopened);
/* The three above over db_app_list(db, f): what an export does.  0, or -1 when anything failed. */
int		 opener_export(struct db *db, const struct db_app_filter *f, const struct opener_conf *conf,
		    int64_t *unopened);

#endif
