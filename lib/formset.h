/*
 * formset: the procedures the service is running, loaded from the YAML
 * files in forms/ and reloadable file by file: a broken file never takes
 * down the version that was serving before it.
 *
 * The set owns its procedures.  A pointer from formset_get()/formset_at()
 * stays valid until the next formset_reload() or formset_free() — reload
 * between requests, never while one holds such a pointer.  A procedure
 * whose file did not change keeps its address across reloads.
 */
#ifndef FORMSET_H
#define FORMSET_H

#include <stddef.h>

#include "buf.h"
#include "formdef.h"

struct formset;

struct formset		*formset_new(void);
/*
 * (Re)load every *.yaml in dir, file by file: a valid file replaces its
 * previous version (or is added); a broken file is refused, its errors
 * appended to errs, and its previous version (if any) keeps serving; a file
 * that disappeared is removed.  Returns the number of broken files, or -1 if
 * dir can't be read (or memory ran out), in which case the set is unchanged.
 * Unchanged files (same hash) are kept as they are.
 */
int			 formset_reload(struct formset *fs, const char *dir,
			    formdef_section_fn known_section, void *arg, struct buf *errs);
const struct procedure	*formset_get(const struct formset *fs, const char *id);
size_t			 formset_count(const struct formset *fs);
/* Sorted by opens_at, then id; NULL when i is out of range. */
const struct procedure	*formset_at(const struct formset *fs, size_t i);
void			 formset_free(struct formset *fs);
/* Is this directory entry a definition file (*.yaml, not hidden)? */
int			 formset_is_definition(const char *name);

#endif
