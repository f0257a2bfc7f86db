/*
 * fill: adds N dummy applications to a procedure as apply stores them: the
 * plaintexts handed to db_app_store_batch in batches of BATCH, each batch
 * sealed to the section's current key from one ephemeral key pair, as the
 * batching writer seals them; for the export benchmark.  Commits do not
 * wait for the disk (db_bulk_load_mode): this is test data.
 * usage: fill DATA_DIR PROCEDURE SECTION N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "seal.h"

/* The writer's batches in the durable benchmark's 8-connection run hold 8 at most. */
#define BATCH	8

static void
draw(char receipt[DB_RECEIPT_LEN + 1])
{
	snprintf(receipt, DB_RECEIPT_LEN + 1, "%04u-%04u-%04u", seal_uniform(10000), seal_uniform(10000),
	    seal_uniform(10000));
}

int
main(int argc, char *argv[])
{
	struct db		*db;
	struct db_store_req	 r[BATCH];
	struct buf		 json[BATCH];
	char			 path[1024];
	long			 i, n;
	int			 j, k, tries;
	time_t			 now = time(NULL);

	if (argc != 5 || (n = atol(argv[4])) < 1 || seal_init() == -1)
		return 2;
	snprintf(path, sizeof(path), "%s/db/platform.sqlite", argv[1]);
	if (db_open(path, &db) == -1 || db_bulk_load_mode(db) == -1)
		return 1;
	for (j = 0; j < BATCH; j++)
		buf_init(&json[j]);
	for (i = 0; i < n; i += k) {
		k = n - i < BATCH ? (int)(n - i) : BATCH;
		memset(r, 0, sizeof(r));
		for (j = 0; j < k; j++) {
			buf_reset(&json[j]);
			buf_printf(&json[j], "{\"v\":1,\"procedure\":\"%s\",\"form_hash\":\"bench\",\"received_at\":%lld,"
			    "\"answers\":{\"name\":\"試験ベンチ%ld\",\"kana\":\"シケン ベンチ\",\"postal\":\"160-8484\","
			    "\"tel\":\"03-9999-0000\",\"email\":\"dummy.bench@example.jp\",\"birth\":\"1950-04-01\","
			    "\"people\":\"2\",\"course\":\"a\",\"age_band\":\"70s\",\"topics\":[\"food\",\"sleep\"],"
			    "\"note\":\"ベンチマーク用のダミーの意見です。,\\\"引用\\\"と改行\\nを含みます。\"}}",
			    argv[2], (long long)now, i + j);
			if (json[j].oom)
				return 1;
			r[j].app.procedure_id = argv[2];
			r[j].app.section_id = argv[3];
			r[j].app.form_hash = "bench";
			r[j].app.plain = json[j].data;
			r[j].app.plain_len = json[j].len;
			r[j].app.received_at = now - (time_t)(n - i - j);
			seal_random(r[j].app.submit_hash, sizeof(r[j].app.submit_hash));
			seal_random(r[j].app.inquiry_hash, sizeof(r[j].app.inquiry_hash));
			draw(r[j].receipt);
		}
		if (db_app_store_batch(db, r, (size_t)k) == -1)
			return 1;
		/* A receipt already drawn (1 in 10^12 a row): that one again, alone. */
		for (j = 0; j < k; j++)
			for (tries = 0; r[j].result == DB_TAKEN && tries < 20; tries++) {
				draw(r[j].receipt);
				if (db_app_store_batch(db, &r[j], 1) == -1)
					return 1;
			}
		for (j = 0; j < k; j++)
			if (r[j].result != 0)
				return 1;
	}
	for (j = 0; j < BATCH; j++)
		buf_free(&json[j]);
	db_close(db);
	return 0;
}
