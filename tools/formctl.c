/*
 * formctl: the admin's command line.
 *
 *   formctl [--data DIR] init                  data directory, database, MAC key
 *   formctl [--data DIR] section add ID NAME   section with its key pair; prints the recovery key once
 *   formctl [--data DIR] section list
 *   formctl [--data DIR] check [FILE...]       validate definitions (default: every .yaml in forms)
 *   formctl [--data DIR] reload [--forms DIR]  check, then tell the running apply program to reload
 *
 * DATA_DIR in the environment is the default for --data (else ./var).
 * Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "dirlist.h"
#include "formdef.h"
#include "formset.h"
#include "log.h"
#include "seal.h"

static const char *data_dir;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: formctl [--data DIR] init\n"
	    "       formctl [--data DIR] section add ID NAME\n"
	    "       formctl [--data DIR] section list\n"
	    "       formctl [--data DIR] check [FILE...]\n"
	    "       formctl [--data DIR] reload [--forms DIR]\n");
	exit(2);
}

static void
data_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", data_dir, rel);
}

static int
open_db(struct db **db)
{
	char path[1024];

	data_path(path, sizeof(path), "db/platform.sqlite");
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "formctl: no database at %s (run 'formctl init' first)\n", path);
		return -1;
	}
	return db_open(path, db);
}

static int
mkdir_mode(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		fprintf(stderr, "formctl: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmd_init(void)
{
	unsigned char	 key[SEAL_KEY_LEN];
	char		 path[1024];
	struct db	*db;

	if (mkdir_mode(data_dir, 0755) == -1)
		return 1;
	data_path(path, sizeof(path), "db");
	if (mkdir_mode(path, 0700) == -1)
		return 1;
	data_path(path, sizeof(path), "keys");
	if (mkdir_mode(path, 0700) == -1)
		return 1;
	data_path(path, sizeof(path), "keys/apply-mac.key");
	if (access(path, F_OK) != 0) {
		seal_random(key, sizeof(key));
		if (seal_key_write(path, key) == -1) {
			fprintf(stderr, "formctl: cannot write %s: %s\n", path, strerror(errno));
			return 1;
		}
		sodium_memzero(key, sizeof(key));
	}
	data_path(path, sizeof(path), "db/platform.sqlite");
	if (db_open(path, &db) == -1)
		return 1;
	printf("data directory %s ready (schema version %d)\n", data_dir, db_schema_version(db));
	db_close(db);
	return 0;
}

static int
valid_section_id(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > 40)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	return 1;
}

static int
cmd_section_add(const char *id, const char *name)
{
	unsigned char	 pk[SEAL_PK_LEN], sk[SEAL_SK_LEN], rkey[SEAL_KEY_LEN];
	char		 key_id[SEAL_KEYID_LEN + 1], printable[SEAL_RECOVERY_LEN];
	struct buf	 wrapped;
	struct db	*db;
	int		 rc = 1, r;

	if (!valid_section_id(id)) {
		fprintf(stderr, "formctl: section id '%s' must be 1-40 of [a-z0-9-]\n", id);
		return 1;
	}
	if (open_db(&db) == -1)
		return 1;
	buf_init(&wrapped);
	if (seal_keypair(pk, sk) == -1 || seal_key_id(pk, key_id) == -1 ||
	    seal_recovery_new(rkey, printable) == -1 || seal_wrap(rkey, sk, sizeof(sk), &wrapped) == -1)
		goto done;
	if ((r = db_section_add(db, id, name, time(NULL))) == DB_EXISTS) {
		fprintf(stderr, "formctl: section '%s' already exists\n", id);
		goto done;
	}
	if (r != 0 || db_key_add(db, id, key_id, pk, wrapped.data, wrapped.len, time(NULL)) == -1)
		goto done;
	printf("section %s (%s) created, key %s\n", id, name, key_id);
	printf("recovery key (print it, keep it on paper, it is shown only once):\n%s\n", printable);
	rc = 0;
done:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(rkey, sizeof(rkey));
	sodium_memzero(printable, sizeof(printable));
	buf_wipe(&wrapped);
	db_close(db);
	if (rc != 0)
		fprintf(stderr, "formctl: could not create section '%s'\n", id);
	return rc;
}

static int
print_section(const char *id, const char *name, void *arg)
{
	(void)arg;
	printf("%s\t%s\n", id, name);
	return 0;
}

static int
cmd_section_list(void)
{
	struct db	*db;
	int		 rc;

	if (open_db(&db) == -1)
		return 1;
	rc = db_section_each(db, print_section, NULL) == 0 ? 0 : 1;
	db_close(db);
	return rc;
}

static int
section_known(const char *id, void *arg)
{
	return db_section_exists(arg, id) == 1;
}

static int
check_one(const char *path, struct db *db)
{
	struct procedure	*p;
	struct buf		 errs;

	buf_init(&errs);
	p = formdef_load_file(path, section_known, db, &errs);
	if (p == NULL)
		fputs(buf_cstr(&errs), stderr);
	else
		printf("%s: ok (%s, %zu fields)\n", path, p->id, p->nfields);
	formdef_free(p);
	buf_free(&errs);
	return p == NULL;
}

static int
check_dir(const char *dir, struct db *db)
{
	char	**names, path[2048];
	size_t	  i, n;
	int	  bad = 0;

	if (dirlist(dir, formset_is_definition, &names, &n) == -1) {
		fprintf(stderr, "formctl: cannot read %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		bad += check_one(path, db);
	}
	dirlist_free(names, n);
	return bad;
}

static int
cmd_check(int argc, char **argv, const char *forms_dir)
{
	struct db	*db;
	int		 i, bad = 0;

	if (open_db(&db) == -1)
		return 1;
	if (argc == 0)
		bad = check_dir(forms_dir, db);
	for (i = 0; i < argc; i++)
		bad += check_one(argv[i], db);
	db_close(db);
	if (bad > 0)
		fprintf(stderr, "formctl: %d definition(s) refused\n", bad);
	return bad > 0 ? 1 : 0;
}

static int
cmd_reload(const char *forms_dir)
{
	char	 path[1024];
	FILE	*f;
	long	 pid = 0;
	int	 bad = cmd_check(0, NULL, forms_dir);

	data_path(path, sizeof(path), "run/apply.pid");
	if ((f = fopen(path, "r")) == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fprintf(stderr, "formctl: apply is not running (no pid in %s)\n", path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "formctl: cannot signal apply (pid %ld): %s\n", pid, strerror(errno));
		return 1;
	}
	if (bad)
		printf("reload sent: refused files keep their previous version (see above)\n");
	else
		printf("reload sent: all definitions valid\n");
	return bad ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	const char	*forms_dir = "forms";
	int		 i;

	log_init("formctl");
	data_dir = getenv("DATA_DIR") ? getenv("DATA_DIR") : "./var";
	if (seal_init() == -1)
		return 1;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--data") == 0)
			data_dir = argv[i + 1];
		else if (strcmp(argv[i], "--forms") == 0)
			forms_dir = argv[i + 1];
		else
			usage();
	}
	argc -= i;
	argv += i;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "init") == 0 && argc == 1)
		return cmd_init();
	if (strcmp(argv[0], "section") == 0 && argc == 4 && strcmp(argv[1], "add") == 0)
		return cmd_section_add(argv[2], argv[3]);
	if (strcmp(argv[0], "section") == 0 && argc == 2 && strcmp(argv[1], "list") == 0)
		return cmd_section_list();
	if (strcmp(argv[0], "check") == 0)
		return cmd_check(argc - 1, argv + 1, forms_dir);
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return cmd_reload(forms_dir);
	usage();
	return 2;
}
