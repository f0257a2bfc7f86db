#include "formset.h"
#include "dirlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct formset {
	struct procedure	**v;
	size_t			  n;
};

struct formset *
formset_new(void)
{
	return calloc(1, sizeof(struct formset));
}

/* Hidden files are skipped: editors keep their backups and swap files there. */
int
formset_is_definition(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".yaml") == 0;
}

static struct procedure *
find(struct procedure *const *v, size_t n, const char *id, size_t idlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(v[i]->id) == idlen && memcmp(v[i]->id, id, idlen) == 0)
			return v[i];
	return NULL;
}

static int
cmp_proc(const void *a, const void *b)
{
	const struct procedure *p = *(struct procedure *const *)a;
	const struct procedure *q = *(struct procedure *const *)b;

	if (p->opens_at != q->opens_at)
		return p->opens_at < q->opens_at ? -1 : 1;
	return strcmp(p->id, q->id);
}

/* One file: the procedure that should serve for it after the reload (new,
 * or the previous version), or NULL. */
static struct procedure *
reload_one(const struct formset *fs, const char *dir, const char *name, formdef_section_fn known,
    void *arg, struct buf *errs, int *broken)
{
	struct procedure	*old, *p;
	struct buf		 path;

	old = find(fs->v, fs->n, name, strlen(name) - 5);
	buf_init(&path);
	if (buf_printf(&path, "%s/%s", dir, name) == -1) {
		*broken = 1;
		return old;
	}
	p = formdef_load_file(buf_cstr(&path), known, arg, errs);
	buf_free(&path);
	if ((*broken = p == NULL))
		return old;
	if (old != NULL && strcmp(old->hash, p->hash) == 0) {
		formdef_free(p);
		return old;
	}
	return p;
}

static int
in(struct procedure *const *v, size_t n, const struct procedure *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == p)
			return 1;
	return 0;
}

int
formset_reload(struct formset *fs, const char *dir, formdef_section_fn known_section, void *arg,
    struct buf *errs)
{
	struct procedure	**v;
	char			**names = NULL;
	size_t			  nnames = 0, n = 0, i;
	int			  nbroken = 0, broken;

	if (dirlist(dir, formset_is_definition, &names, &nnames) == -1) {
		if (errs != NULL)
			buf_printf(errs, "%s: cannot read the directory: %s\n", dir, strerror(errno));
		return -1;
	}
	if ((v = calloc(nnames + 1, sizeof(*v))) == NULL) {
		dirlist_free(names, nnames);
		return -1;
	}
	for (i = 0; i < nnames; i++) {
		v[n] = reload_one(fs, dir, names[i], known_section, arg, errs, &broken);
		nbroken += broken;
		if (v[n] != NULL)
			n++;
	}
	dirlist_free(names, nnames);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_proc);
	for (i = 0; i < fs->n; i++)
		if (!in(v, n, fs->v[i]))
			formdef_free(fs->v[i]);
	free(fs->v);
	fs->v = v;
	fs->n = n;
	return nbroken;
}

const struct procedure *
formset_get(const struct formset *fs, const char *id)
{
	return find(fs->v, fs->n, id, strlen(id));
}

size_t
formset_count(const struct formset *fs)
{
	return fs->n;
}

const struct procedure *
formset_at(const struct formset *fs, size_t i)
{
	return i < fs->n ? fs->v[i] : NULL;
}

void
formset_free(struct formset *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++)
		formdef_free(fs->v[i]);
	free(fs->v);
	free(fs);
}
