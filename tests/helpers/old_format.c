/*
 * old_format: test helper.  Stores one application the way apply stored
 * them before batch sealing and contact envelopes: its payload sealed
 * alone (crypto_box_seal) to the section's current key, no envelope, and
 * its arrival mail composed whole and sealed to the mailer's key.  It
 * exists to prove in tests that such rows still open and send (staff
 * pages, exports, the mailer); dummy data only.
 *
 * usage: old_format DATA_DIR PROCEDURE SECTION NAME EMAIL    (prints the receipt)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "seal.h"

struct old_mail {
	unsigned char	 pk[SEAL_PK_LEN];	/* the mailer's */
	const char	*procedure, *section, *to;
	struct buf	 sealed;
};

/* The arrival mail as it was queued: {"v":1,"to","subject","body"} sealed whole. */
static int
old_arrival(const char *receipt, const char *participant, struct db_outbox_item *m, void *arg)
{
	struct old_mail	*o = arg;
	struct buf	 json;
	int		 rc;

	buf_init(&json);
	buf_reset(&o->sealed);
	buf_printf(&json, "{\"v\":1,\"to\":\"%s\",\"subject\":\"旧形式の到達メール（受付番号 %s）\","
	    "\"body\":\"旧形式のメールです。\\n受付番号：%s\\n\"}", o->to, receipt, receipt);
	rc = json.oom || seal_box(o->pk, json.data, json.len, &o->sealed) == -1 ? -1 : 0;
	memset(m, 0, sizeof(*m));
	m->kind = "arrival";
	m->procedure_id = o->procedure;
	m->section_id = o->section;
	m->sealed = o->sealed.data;
	m->sealed_len = o->sealed.len;
	m->at = time(NULL);
	buf_wipe(&json);
	return rc;
}

int
main(int argc, char *argv[])
{
	unsigned char	 pk[SEAL_PK_LEN];
	char		 key_id[SEAL_KEYID_LEN + 1], path[1024], receipt[DB_RECEIPT_LEN + 1];
	struct old_mail	 mail;
	struct db	*db;
	struct db_app	 a;
	struct buf	 json, sealed;
	time_t		 now = time(NULL);
	int		 rc;

	if (argc != 6 || seal_init() == -1) {
		fprintf(stderr, "usage: old_format DATA_DIR PROCEDURE SECTION NAME EMAIL\n");
		return 2;
	}
	memset(&mail, 0, sizeof(mail));
	mail.procedure = argv[2];
	mail.section = argv[3];
	mail.to = argv[5];
	buf_init(&mail.sealed);
	snprintf(path, sizeof(path), "%s/keys/mailer.pk", argv[1]);
	if (seal_key_read(path, mail.pk) == -1)
		return 1;
	snprintf(path, sizeof(path), "%s/db/platform.sqlite", argv[1]);
	if (db_open(path, &db) == -1 || db_key_current(db, argv[3], key_id, pk) != 0)
		return 1;
	buf_init(&json);
	buf_init(&sealed);
	buf_printf(&json, "{\"v\":1,\"procedure\":\"%s\",\"form_hash\":\"old\",\"received_at\":%lld,"
	    "\"answers\":{\"name\":\"%s\",\"email\":\"%s\"}}", argv[2], (long long)now, argv[4], argv[5]);
	memset(&a, 0, sizeof(a));
	a.procedure_id = argv[2];
	a.section_id = argv[3];
	a.form_hash = "old";
	a.key_id = key_id;
	a.received_at = now;
	a.mail = old_arrival;
	a.mail_arg = &mail;
	seal_random(a.submit_hash, sizeof(a.submit_hash));
	seal_random(a.inquiry_hash, sizeof(a.inquiry_hash));
	seal_random(a.sender_key, sizeof(a.sender_key));
	seal_random(a.recipient_key, sizeof(a.recipient_key));
	if (json.oom || seal_box(pk, json.data, json.len, &sealed) == -1)
		return 1;
	a.sealed = sealed.data;
	a.sealed_len = sealed.len;
	if ((rc = db_app_store(db, &a, receipt)) == 0)
		printf("%s\n", receipt);
	buf_wipe(&json);
	buf_free(&sealed);
	buf_free(&mail.sealed);
	db_close(db);
	return rc == 0 ? 0 : 1;
}
