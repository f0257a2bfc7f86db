/*
 * msgcat: one message catalogue, a GNU gettext .mo file (po/<lang>.po
 * compiled by msgfmt), read whole into memory and checked before anything
 * looks into it.  The msgids are symbolic ("form.confirm"); a catalogue maps
 * each to its text in one language.
 *
 * Read by hand rather than through glibc's gettext: gettext picks its
 * catalogue from a locale, so every language would need a system locale
 * generated on every server, and the choice lives in per-thread or global
 * state (textdomain, uselocale) that a request must set and restore.  The
 * .mo format is small, documented and stable (GNU gettext manual, "The
 * Format of GNU MO Files"); a catalogue here is an object a request points
 * to, and nothing else changes with it.
 *
 * Checked at load: the magic number (either byte order), revision 0 or 1,
 * every table and string inside the file, every string NUL-terminated and
 * valid UTF-8 without an inner NUL (no plural forms or contexts: we use
 * neither), the msgids in strictly ascending byte order (msgfmt writes them
 * so; lookups are a binary search), and a header declaring UTF-8.  The hash
 * table is not used.
 *
 * Ownership: msgcat_load_*() return a catalogue the caller frees with
 * msgcat_free(); strings from msgcat_get() and msgcat_id() are borrowed
 * from it.
 */
#ifndef MSGCAT_H
#define MSGCAT_H

#include <stddef.h>

#include "buf.h"

#define MSGCAT_MAX_SIZE	(4 * 1024 * 1024)

/*
 * N_(id) marks a message id where it is written in C, so that the catalogue
 * check (tests/msgcheck.py) finds every id the code uses.
 */
#define N_(id) (id)

struct msgcat;

/* NULL, with one "name: message\n" line appended to err (may be NULL), when the file is refused. */
struct msgcat	*msgcat_load_file(const char *path, struct buf *err);
/* The same from len bytes at data (copied); name is used in the message. */
struct msgcat	*msgcat_load_mem(const char *name, const void *data, size_t len, struct buf *err);
void		 msgcat_free(struct msgcat *c);
/* The text for id, or NULL when the catalogue has none (an empty msgstr counts as none). */
const char	*msgcat_get(const struct msgcat *c, const char *id);
/* The number of messages, the header not counted; the i-th msgid in ascending order. */
size_t		 msgcat_count(const struct msgcat *c);
const char	*msgcat_id(const struct msgcat *c, size_t i);

#endif
