/*
 * datadir: what a program checks before it starts, so that it refuses with
 * a precise message rather than failing later or running unprotected: its
 * data directory (there, a directory, not writable by others), the
 * database in it (there, readable and writable by the program, closed to
 * others), and the configuration it reads (--forms, --templates).  Secret
 * key files are checked as they are read (seal.h: seal_key_load).
 * Each function logs the reason and returns -1, or returns 0.
 */
#ifndef DATADIR_H
#define DATADIR_H

int	datadir_check(const char *dir);
/* what names the option for the message ("--forms"). */
int	datadir_config(const char *what, const char *dir);

#endif
