/*
 * Fuzz harness for writer_decode() (lib/writer.c): the frames apply's
 * workers send to the batching writer.  Invariants: a frame that decodes
 * encodes back to the very same bytes (one way to write each request), and
 * every string and plaintext it yields ends inside the frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "writer.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db_store_req	r;
	struct db_outbox_item	m;
	struct buf		again;

	if (writer_decode(data, size, &r, &m) != 0)
		return 0;
	if (strlen(r.receipt) != DB_RECEIPT_LEN || strlen(r.app.procedure_id) >= size || r.app.plain_len == 0 ||
	    r.app.plain_len >= size || r.app.contact_len >= size || (r.mail != NULL && strlen(m.text) >= size))
		abort();
	buf_init(&again);
	if (writer_encode(&r, &again) != 0 || again.len != size || memcmp(again.data, data, size) != 0)
		abort();
	buf_free(&again);
	return 0;
}
