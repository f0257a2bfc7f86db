/*
 * Unit tests for bulk status changes (lib/bulk.c, db_app_event_many): the
 * set from a filter across every page and its limit, ticked receipts of
 * the procedure only, skipped transitions, the token's input, the audit
 * detail, and the change committing whole or not at all.
 */
#include <stdlib.h>

#include "bulk.h"
#include "db.h"
#include "mail.h"
#include "t.h"
#include "t_db.h"

#define PROC	"e2e-bulk"

static const unsigned char sealed[4] = { 1, 2, 3, 4 };

/*
 * n applications of proc, receipts 0000-0000-<tag + i>, received one second
 * apart; with_contact: a contact envelope for every other one, the first too.
 */
static int
store_with(struct db *db, const char *proc, size_t n, unsigned tag, int with_contact)
{
	struct db_store_req	*r = calloc(n, sizeof(*r));
	size_t			 i;
	int			 rc;

	if (r == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct db_app *a = &r[i].app;

		a->procedure_id = proc;
		a->section_id = "sec-a";
		a->form_hash = "00";
		a->key_id = "0123456789abcdef";
		a->sealed = sealed;
		a->sealed_len = sizeof(sealed);
		memset(a->submit_hash, 0, SEAL_MAC_LEN);
		snprintf((char *)a->submit_hash, SEAL_MAC_LEN, "s%u", (unsigned)(tag + i));
		a->received_at = 1795000000 + (time_t)(tag + i);
		snprintf(r[i].receipt, sizeof(r[i].receipt), "0000-0000-%04u", (unsigned)(tag + i));
		if (with_contact && i % 2 == 0) {
			a->contact = "{\"v\":1,\"to\":\"dummy@example.jp\"}";
			a->contact_len = strlen(a->contact);
		}
	}
	rc = db_app_store_batch(db, r, n) == (int)n ? 0 : -1;
	free(r);
	return rc;
}

static int
store(struct db *db, const char *proc, size_t n, unsigned tag)
{
	return store_with(db, proc, n, tag, 0);
}

static int
move(struct db *db, const char *receipt, const char *from, const char *to)
{
	struct db_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.receipt = receipt;
	ev.at = 1795000500;
	ev.actor = "tester";
	ev.from_status = from;
	ev.to_status = to;
	ev.key_id = "";
	return db_app_event(db, &ev);
}

static const char *
status_of(struct db *db, const char *receipt)
{
	static struct db_app_status st;

	return db_app_status(db, receipt, &st) == 0 ? st.status : "(none)";
}

static struct db *
fresh(void)
{
	struct db *db = NULL;

	if (t_db_fresh(&db) == -1 || t_db_with_key(db) == -1)
		return NULL;
	return db;
}

static void
filter_takes_every_page_within_the_limit(void)
{
	struct db		*db = fresh();
	struct db_app_filter	 f;
	struct bulk_set		 s;

	bulk_init(&s);
	T_CHECK(db != NULL && store(db, PROC, 120, 1) == 0 && store(db, "other", 5, 500) == 0);
	T_CHECK(move(db, "0000-0000-0007", "received", "accepted") == 0);
	memset(&f, 0, sizeof(f));
	f.procedure_id = PROC;
	f.section_id = "sec-a";
	f.status = "received";
	f.to = 1795000000 + 10000;
	f.limit = 50;				/* a page's limit and cursor are not the set's */
	f.after_receipt = "0000-0000-0100";
	f.after_at = 1795000100;
	T_CHECK(bulk_select_filter(db, &f, 119, &s) == 0);
	T_CHECK(s.n == 119);
	T_STREQ(s.item[0].receipt, "0000-0000-0001");
	T_STREQ(s.item[118].receipt, "0000-0000-0120");
	f.status = "";
	T_CHECK(bulk_select_filter(db, &f, 119, &s) == BULK_TOO_MANY && s.n == 0);
	T_CHECK(bulk_select_filter(db, &f, 120, &s) == 0 && s.n == 120);
	bulk_free(&s);
	db_close(db);
}

static void
ticked_receipts_of_the_procedure_only(void)
{
	struct db	*db = fresh();
	struct bulk_set	 s;

	bulk_init(&s);
	T_CHECK(db != NULL && store(db, PROC, 3, 1) == 0 && store(db, "other", 1, 500) == 0);
	T_CHECK(bulk_add_receipt(db, PROC, "sec-a", "0000-0000-0001", &s) == 0);
	T_CHECK(bulk_add_receipt(db, PROC, "sec-a", "0000-0000-0001", &s) == 0 && s.n == 1);
	T_CHECK(bulk_add_receipt(db, PROC, "sec-a", "0000-0000-0500", &s) == DB_NOTFOUND);
	T_CHECK(bulk_add_receipt(db, PROC, "sec-b", "0000-0000-0002", &s) == DB_NOTFOUND);
	T_CHECK(bulk_add_receipt(db, PROC, "sec-a", "9999-9999-9999", &s) == DB_NOTFOUND);
	T_CHECK(s.n == 1);
	bulk_free(&s);
	db_close(db);
}

static void
transitions_the_workflow_refuses_are_skipped(void)
{
	struct db	*db = fresh();
	struct bulk_set	 s;

	bulk_init(&s);
	T_CHECK(db != NULL && store(db, PROC, 4, 1) == 0);
	T_CHECK(move(db, "0000-0000-0002", "received", "accepted") == 0);
	T_CHECK(move(db, "0000-0000-0003", "received", "accepted") == 0 &&
	    move(db, "0000-0000-0003", "accepted", "done") == 0);
	T_CHECK(bulk_add_receipt(db, PROC, "sec-a", "0000-0000-0001", &s) == 0 &&
	    bulk_add_receipt(db, PROC, "sec-a", "0000-0000-0002", &s) == 0 &&
	    bulk_add_receipt(db, PROC, "sec-a", "0000-0000-0003", &s) == 0);
	bulk_classify(&s, WF_ACCEPTED);
	T_CHECK(s.nchange == 1);
	T_CHECK(s.item[0].skip == BULK_CHANGE);
	T_STREQ(s.item[0].mail, "acceptance");
	T_CHECK(s.item[1].skip == BULK_SAME && s.item[2].skip == BULK_NOT_ALLOWED);
	T_CHECK(strcmp(bulk_skip_text(&s.item[2]), "") != 0 && strcmp(bulk_skip_text(&s.item[0]), "") == 0);
	bulk_classify(&s, WF_WITHDRAWN);
	T_CHECK(s.nchange == 2 && s.item[0].mail == NULL && s.item[2].skip == BULK_NOT_ALLOWED);
	bulk_free(&s);
	db_close(db);
}

static void
token_input_covers_every_status(void)
{
	struct bulk_set	 s;
	struct buf	 a, b;

	bulk_init(&s);
	buf_init(&a);
	buf_init(&b);
	s.item = calloc(2, sizeof(*s.item));
	T_CHECK(s.item != NULL);
	s.n = s.cap = 2;
	strcpy(s.item[0].receipt, "0000-0000-0001");
	strcpy(s.item[0].status, "received");
	strcpy(s.item[1].receipt, "0000-0000-0002");
	strcpy(s.item[1].status, "received");
	T_CHECK(bulk_mac_input(&s, "accepted", "filter", "メモ", &a) == 0);
	strcpy(s.item[1].status, "returned");
	T_CHECK(bulk_mac_input(&s, "accepted", "filter", "メモ", &b) == 0);
	T_CHECK(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
	buf_reset(&b);
	strcpy(s.item[1].status, "received");
	T_CHECK(bulk_mac_input(&s, "accepted", "filter", "メモ2", &b) == 0);
	T_CHECK(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
	buf_free(&a);
	buf_free(&b);
	bulk_free(&s);
}

static void
audit_detail_names_every_receipt(void)
{
	struct bulk_set	 s;
	struct buf	 d;
	char		 want[32];
	size_t		 i;

	bulk_init(&s);
	buf_init(&d);
	s.item = calloc(BULK_MAX, sizeof(*s.item));
	T_CHECK(s.item != NULL);
	s.n = s.cap = BULK_MAX;
	for (i = 0; i < BULK_MAX; i++) {
		snprintf(s.item[i].receipt, sizeof(s.item[i].receipt), "0000-0001-%04zu", i);
		strcpy(s.item[i].status, i % 2 ? "done" : "received");
	}
	bulk_classify(&s, WF_ACCEPTED);
	s.item[0].skip = BULK_RACED;
	s.nchange--;
	T_CHECK(bulk_detail(&s, "accepted", 1, 7, &d) == 0);
	T_CHECK(strncmp(buf_cstr(&d), "to=accepted changed=2499 skipped=2501 mails=7 note=yes changed:0000-0001-0002,",
	    78) == 0);
	for (i = 0; i < BULK_MAX; i++) {
		snprintf(want, sizeof(want), "0000-0001-%04zu", i);
		T_CHECK(strstr(buf_cstr(&d), want) != NULL);
	}
	T_CHECK(strstr(buf_cstr(&d), "skipped:0000-0001-0000(raced),0000-0001-0001(done),") != NULL);
	T_CHECK(strstr(buf_cstr(&d), "rows=") == NULL);	/* audit_report counts exported rows by that word */
	buf_free(&d);
	bulk_free(&s);
}

static int
fail_done(void *arg)
{
	(void)arg;
	return -1;
}

static int
ok_done(void *arg)
{
	int *called = arg;

	(*called)++;
	return 0;
}

static void
change_commits_whole_or_not_at_all(void)
{
	struct db	*db = fresh();
	struct db_event	 ev[3];
	const char	*receipts[3] = { "0000-0000-0001", "0000-0000-0002", "0000-0000-0003" };
	int		 result[3], called = 0;
	size_t		 i;

	T_CHECK(db != NULL && store(db, PROC, 3, 1) == 0);
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < 3; i++) {
		ev[i].receipt = receipts[i];
		ev[i].at = 1795000600;
		ev[i].actor = "tester";
		ev[i].from_status = "received";
		ev[i].to_status = "accepted";
		ev[i].key_id = "";
	}
	T_CHECK(db_app_event_many(db, ev, 3, result, NULL, fail_done, NULL) == -1);
	for (i = 0; i < 3; i++)
		T_STREQ(status_of(db, receipts[i]), "received");
	T_CHECK(move(db, receipts[1], "received", "returned") == 0);	/* someone else, after the confirmation */
	T_CHECK(db_app_event_many(db, ev, 3, result, NULL, ok_done, &called) == 0 && called == 1);
	T_CHECK(result[0] == 0 && result[1] == DB_NOTFOUND && result[2] == 0);
	T_STREQ(status_of(db, receipts[0]), "accepted");
	T_STREQ(status_of(db, receipts[1]), "returned");
	T_STREQ(status_of(db, receipts[2]), "accepted");
	db_close(db);
}

/* ---- announcements ---- */

static void
release_text(struct db_outbox_item *m, void *arg)
{
	(void)arg;
	free((void *)m->text);
}

static int
announce_mail(const char *receipt, const char *participant, const char *lang, struct db_outbox_item *m, void *arg)
{
	char text[64];

	(void)participant;
	(void)lang;
	(void)arg;
	snprintf(text, sizeof(text), "{\"v\":1,\"subject\":\"s\",\"body\":\"%s\"}", receipt);
	m->kind = "announcement";
	m->procedure_id = PROC;
	m->section_id = "sec-a";
	m->at = 1795000700;
	m->release = release_text;
	return (m->text = strdup(text)) != NULL ? 0 : -1;
}

static int
count_row(const struct db_announcement *a, void *arg)
{
	int *n = arg;

	if (strcmp(a->subject, "雨天中止") == 0 && a->queued == 3 && a->no_address == 3 &&
	    strcmp(a->statuses, ",received,accepted,") == 0 && strcmp(a->actor, "tester") == 0)
		(*n)++;
	return 0;
}

static int
fail_announced(const struct db_announcement *a, void *arg)
{
	(void)a;
	(void)arg;
	return -1;
}

static void
announcement_queues_to_envelopes_once_whole(void)
{
	struct db		*db = fresh();
	struct db_announcement	 a;
	unsigned char		 pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
	int64_t			 with = -1, without = -1, pending = -1;
	int			 rows = 0;

	T_CHECK(db != NULL && seal_keypair(pk, sk) == 0);
	db_set_contact_key(db, pk);
	T_CHECK(store_with(db, PROC, 8, 1, 1) == 0 && store_with(db, "other", 2, 100, 1) == 0);
	/* 1, 3, 5, 7 have envelopes; 7 withdrawn is not asked for; 2 returned neither */
	T_CHECK(move(db, "0000-0000-0007", "received", "withdrawn") == 0);
	T_CHECK(move(db, "0000-0000-0002", "received", "returned") == 0);
	T_CHECK(move(db, "0000-0000-0003", "received", "accepted") == 0);
	T_CHECK(db_announce_count(db, PROC, "sec-a", ",received,accepted,", &with, &without) == 0);
	T_CHECK(with == 3 && without == 3);
	memset(&a, 0, sizeof(a));
	a.procedure_id = PROC;
	a.section_id = "sec-a";
	a.actor = "tester";
	a.subject = "雨天中止";
	a.body_sha256 = "00";
	a.statuses = ",received,accepted,";
	a.at = 1795000700;
	a.mail = announce_mail;
	a.done = fail_announced;
	T_CHECK(db_announce(db, &a) == -1);	/* the audit entry failed: nothing queued, no history */
	T_CHECK(db_outbox_count(db, "pending", &pending) == 0 && pending == 0);
	T_CHECK(db_announcements_each(db, PROC, "sec-a", 10, count_row, &rows) == 0 && rows == 0);
	a.done = NULL;
	T_CHECK(db_announce(db, &a) == 0 && a.queued == 3 && a.no_address == 3);
	T_CHECK(db_outbox_count(db, "pending", &pending) == 0 && pending == 3);
	T_CHECK(db_announcements_each(db, PROC, "sec-a", 10, count_row, &rows) == 0 && rows == 1);
	rows = 0;
	T_CHECK(db_announcements_each(db, PROC, "sec-b", 10, count_row, &rows) == 0 && rows == 0);
	seal_wipe(sk, sizeof(sk));
	db_close(db);
}

int
main(void)
{
	int rc;

	if (t_db_setup() == -1)
		return 1;
	T_RUN(filter_takes_every_page_within_the_limit);
	T_RUN(ticked_receipts_of_the_procedure_only);
	T_RUN(transitions_the_workflow_refuses_are_skipped);
	T_RUN(token_input_covers_every_status);
	T_RUN(audit_detail_names_every_receipt);
	T_RUN(change_commits_whole_or_not_at_all);
	T_RUN(announcement_queues_to_envelopes_once_whole);
	rc = T_DONE();
	return t_db_teardown(rc);
}
