/*
 * writer: apply's batching writer (group commit).  A worker hands each
 * finished application (its plaintext and its contact envelope's, receipt
 * drawn, arrival mail's text made) to one writer process over a unix
 * socket (mode 0600: only this program's processes) and waits.  The writer
 * takes every request waiting at that moment and stores them in one
 * transaction with one fsync (db_app_store_batch), sealing the batch to
 * each section's current key and the envelopes to the mailer's, from one
 * ephemeral key pair per recipient (db_set_contact_key gives the mailer's);
 * only after the commit it answers each one: nobody is shown a receipt
 * before it is on disk.  While it commits, the next requests gather, so
 * the batch grows with the load by itself.  Both sides wipe the plaintext
 * once the request is answered.
 *
 * A worker whose writer died before answering sends the same request again
 * to the next writer: the submit_hash makes that a DB_EXISTS with the first
 * receipt if the first try was committed after all.
 *
 * Decoded requests point into the frame they were decoded from; the
 * caller owns that frame and keeps it while it uses the request.
 */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>

#include "buf.h"
#include "db.h"

#define WRITER_FRAME_MAX	(4u * 1024 * 1024)

/* The writer's listening socket (mode 0600), made by the master before any child: a fd, or -1. */
int	writer_listen(const char *path);
/* The writer's loop on the listening socket; returns only on a fatal error (-1). */
int	writer_serve(int listen_fd, struct db *db);

/* A worker's connection to the writer, made on first use and again after a failure. */
struct writer_client {
	const char	*path;
	int		 fd;
};
void	writer_client_init(struct writer_client *cl, const char *path);
void	writer_client_close(struct writer_client *cl);
/*
 * Store one request through the writer and wait for its commit: 0 with
 * r->result (and r->receipt for DB_EXISTS) set by the writer, or -1 when no
 * writer answered within a few seconds (r->result is then -1 too).
 */
int	writer_store(struct writer_client *cl, struct db_store_req *r);

/*
 * Is a writer listening at path and answering?  A ping on a connection of
 * its own, answered between two batches: 0 when answered within wait_ms.
 */
int	writer_ping(const char *path, int wait_ms);

/*
 * The request's wire form (without the length prefix), appended to out:
 * app.plain (not sealed), app.contact or none, and a mail with text only.
 */
int	writer_encode(const struct db_store_req *r, struct buf *out);
/* The reverse: 0, or -1 for a malformed frame.  mail receives the mail when there is one. */
int	writer_decode(const void *frame, size_t len, struct db_store_req *r, struct db_outbox_item *mail);

#endif
