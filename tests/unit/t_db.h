/*
 * t_db.h: a scratch database for unit tests that need one.  t_db_setup()
 * makes a private directory, t_db_fresh() opens an empty database there
 * (removing the previous one), t_db_teardown() removes the directory.
 */
#ifndef T_DB_H
#define T_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "seal.h"

static char t_db_dir[] = "/tmp/test_unit_db.XXXXXX";
static char path[128];	/* the database file, for tests that open it with sqlite3 directly */

static int
t_db_setup(void)
{
	if (seal_init() == -1 || mkdtemp(t_db_dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/db.sqlite", t_db_dir);
	return 0;
}

static int
t_db_fresh(struct db **db)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -f %s/db*", t_db_dir);
	if (system(cmd) != 0)
		return -1;
	return db_open(path, db);
}

/* Section "sec-a" with a dummy current key "0123456789abcdef": enough to store pre-sealed applications. */
static inline int
t_db_with_key(struct db *db)
{
	unsigned char pk[SEAL_PK_LEN] = { 1 };

	return db_section_add(db, "sec-a", "テスト課", 1) == 0 &&
	    db_key_add(db, "sec-a", "0123456789abcdef", pk, "w", 1, 1) == 0 ? 0 : -1;
}

/* Returns rc, or 1 when the directory could not be removed. */
static int
t_db_teardown(int rc)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t_db_dir);
	return system(cmd) == 0 ? rc : 1;
}

#endif
