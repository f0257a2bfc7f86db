/*
 * fill: adds N dummy applications to a procedure, sealed to its section's
 * current key exactly as apply stores them, for the export benchmark.
 * Commits do not wait for the disk (db_bulk_load_mode): this is test data.
 * usage: fill DATA_DIR PROCEDURE SECTION N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "seal.h"

int
main(int argc, char *argv[])
{
	unsigned char	 pk[SEAL_PK_LEN];
	char		 key_id[SEAL_KEYID_LEN + 1], path[1024], receipt[DB_RECEIPT_LEN + 1];
	struct db	*db;
	struct db_app	 a;
	struct buf	 json, sealed;
	long		 i, n;
	time_t		 now = time(NULL);

	if (argc != 5 || (n = atol(argv[4])) < 1 || seal_init() == -1)
		return 2;
	snprintf(path, sizeof(path), "%s/db/platform.sqlite", argv[1]);
	if (db_open(path, &db) == -1 || db_bulk_load_mode(db) == -1 ||
	    db_key_current(db, argv[3], key_id, pk) != 0)
		return 1;
	buf_init(&json);
	buf_init(&sealed);
	for (i = 0; i < n; i++) {
		buf_reset(&json);
		buf_reset(&sealed);
		buf_printf(&json, "{\"v\":1,\"procedure\":\"%s\",\"form_hash\":\"bench\",\"received_at\":%lld,"
		    "\"answers\":{\"name\":\"試験ベンチ%ld\",\"kana\":\"シケン ベンチ\",\"postal\":\"160-8484\","
		    "\"tel\":\"03-9999-0000\",\"email\":\"dummy.bench@example.jp\",\"birth\":\"1950-04-01\","
		    "\"people\":\"2\",\"course\":\"a\",\"age_band\":\"70s\",\"topics\":[\"food\",\"sleep\"],"
		    "\"note\":\"ベンチマーク用のダミーの意見です。,\\\"引用\\\"と改行\\nを含みます。\"}}",
		    argv[2], (long long)now, i);
		memset(&a, 0, sizeof(a));
		a.procedure_id = argv[2];
		a.section_id = argv[3];
		a.form_hash = "bench";
		a.key_id = key_id;
		if (seal_box(pk, json.data, json.len, &sealed) == -1)
			return 1;
		a.sealed = sealed.data;
		a.sealed_len = sealed.len;
		a.received_at = now - (time_t)(n - i);
		seal_random(a.submit_hash, sizeof(a.submit_hash));
		seal_random(a.inquiry_hash, sizeof(a.inquiry_hash));
		if (db_app_store(db, &a, receipt) != 0)
			return 1;
	}
	buf_free(&json);
	buf_free(&sealed);
	db_close(db);
	return 0;
}
