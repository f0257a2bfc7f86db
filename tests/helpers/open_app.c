/*
 * open_app: test helper.  Prints the opened content of one stored
 * application, using the section's recovery key from the demo key file
 * ("section-id name KEY" per line); with --envelope, its contact envelope,
 * using the mailer's secret key file.  It exists to prove in tests that
 * what apply stored opens with the right secret key; staff reads go
 * through the staff program and envelopes through the mailer, not this.
 *
 * usage: open_app DB RECOVERY_FILE RECEIPT    (or - : receipts on stdin, one line out each)
 *        open_app --envelope DB MAILER_SK_FILE RECEIPT|-
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "custody.h"
#include "db.h"
#include "seal.h"

static int
recovery_for(const char *file, const char *section, unsigned char key[SEAL_KEY_LEN])
{
	char	 line[512], id[128], name[256], printable[128];
	FILE	*f = fopen(file, "r");
	int	 rc = -1;

	if (f == NULL)
		return -1;
	while (rc == -1 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%127s %255s %127s", id, name, printable) == 3 &&
		    strcmp(id, section) == 0)
			rc = seal_recovery_parse(printable, key);
	fclose(f);
	return rc;
}

/* Print one application's opened content on one line; -1 when it does not open. */
static int
open_app(struct db *db, const char *keyfile, const char *receipt)
{
	unsigned char	 pk[SEAL_PK_LEN], sk[SEAL_SK_LEN], rkey[SEAL_KEY_LEN];
	char		 key_id[SEAL_KEYID_LEN + 1], section[64];
	struct buf	 sealed, wrapped, plain;
	int		 rc = -1;

	buf_init(&sealed);
	buf_init(&wrapped);
	buf_init(&plain);
	if (db_app_sealed(db, receipt, key_id, &sealed) != 0 ||
	    db_key_get(db, key_id, section, pk, &wrapped) != 0 ||
	    recovery_for(keyfile, section, rkey) == -1 ||
	    custody_recovery_open(rkey, wrapped.data, wrapped.len, sk) != 0 ||
	    seal_open(pk, sk, sealed.data, sealed.len, &plain) == -1)
		fprintf(stderr, "open_app: cannot open %s\n", receipt);
	else {
		printf("%s\n", buf_cstr(&plain));
		rc = 0;
	}
	seal_wipe(sk, sizeof(sk));
	seal_wipe(rkey, sizeof(rkey));
	buf_wipe(&plain);
	buf_free(&sealed);
	buf_free(&wrapped);
	return rc;
}

/* Print one application's opened contact envelope on one line; -1 when it has none or it does not open. */
static int
open_envelope(struct db *db, const char *skfile, const char *receipt)
{
	unsigned char	 pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
	struct buf	 sealed, plain;
	int		 rc = -1;

	buf_init(&sealed);
	buf_init(&plain);
	if (seal_key_read(skfile, sk) == -1 || seal_public_key(sk, pk) == -1 ||
	    db_envelope_get(db, receipt, &sealed) != 0 || seal_open(pk, sk, sealed.data, sealed.len, &plain) == -1)
		fprintf(stderr, "open_app: cannot open the envelope of %s\n", receipt);
	else {
		printf("%s\n", buf_cstr(&plain));
		rc = 0;
	}
	seal_wipe(sk, sizeof(sk));
	buf_wipe(&plain);
	buf_free(&sealed);
	return rc;
}

int
main(int argc, char *argv[])
{
	int		(*open_one)(struct db *, const char *, const char *) = open_app;
	struct db	*db;
	char		 line[64];
	int		 rc = 0;

	if (argc == 5 && strcmp(argv[1], "--envelope") == 0) {
		open_one = open_envelope;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: open_app [--envelope] DB RECOVERY_FILE|MAILER_SK_FILE RECEIPT|-\n");
		return 2;
	}
	if (seal_init() == -1 || db_open(argv[1], &db) == -1)
		return 1;
	if (strcmp(argv[3], "-") != 0)
		rc = open_one(db, argv[2], argv[3]) == 0 ? 0 : 1;
	else {
		/* Receipts one per line on stdin; a line "-" for each that does not open. */
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (open_one(db, argv[2], line) == -1) {
				printf("-\n");
				rc = 1;
			}
		}
	}
	db_close(db);
	return rc;
}
