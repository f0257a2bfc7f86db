/*
 * dirlist: the names in a directory that a predicate wants, sorted by byte
 * value so that messages about them come out in a stable order.
 * The caller owns the array and its strings: free them with dirlist_free().
 */
#ifndef DIRLIST_H
#define DIRLIST_H

#include <stddef.h>

/* 0, or -1 when dir can't be read or memory runs out (nothing to free then). */
int	dirlist(const char *dir, int (*wanted)(const char *name), char ***names, size_t *n);
void	dirlist_free(char **names, size_t n);

#endif
