#include "dirlist.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* strcmp, not alphasort's strcoll: the order must not depend on the locale. */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

void
dirlist_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

int
dirlist(const char *dir, int (*wanted)(const char *name), char ***out, size_t *nout)
{
	struct dirent	**ents;
	char		**names;
	size_t		  k = 0;
	int		  i, n, rc = 0;

	*out = NULL;
	*nout = 0;
	if ((n = scandir(dir, &ents, NULL, by_name)) < 0)
		return -1;
	if ((names = calloc((size_t)n + 1, sizeof(*names))) == NULL)
		rc = -1;
	for (i = 0; i < n; i++) {
		if (rc == 0 && wanted(ents[i]->d_name)) {
			if ((names[k] = strdup(ents[i]->d_name)) == NULL)
				rc = -1;
			else
				k++;
		}
		free(ents[i]);
	}
	free(ents);
	if (rc == -1) {
		dirlist_free(names, k);
		return -1;
	}
	*out = names;
	*nout = k;
	return 0;
}
