/*
 * Unit tests for lib/writer.c: the wire format, and a real writer process
 * on a unix socket: what it stores is sealed per batch to the section's
 * current key, and opens; a writer killed in the middle of a batch loses
 * nothing a worker was told.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writer.h"
#include "t.h"
#include "t_db.h"

static const char plain[] = "{\"answers\":{\"name\":\"ダミー\"}}";
static const char contact[] = "{\"v\":1,\"to\":\"dummy@example.jp\"}";
static const char text[] = "{\"v\":1,\"subject\":\"s\",\"body\":\"b\"}";
static char sock_path[160];
static struct db_limits writer_limits;	/* the writers' (start_writer) */
/* sec-a's key pair and the mailer's, made by fresh_writer_socket() */
static unsigned char sec_pk[SEAL_PK_LEN], sec_sk[SEAL_SK_LEN], mail_pk[SEAL_PK_LEN], mail_sk[SEAL_SK_LEN];

static void
sample(struct db_store_req *r, struct db_outbox_item *m, unsigned char tag)
{
	memset(r, 0, sizeof(*r));
	r->app.procedure_id = "e2e-open";
	r->app.section_id = "sec-a";
	r->app.form_hash = "00ff";
	r->app.plain = plain;
	r->app.plain_len = sizeof(plain) - 1;
	memset(r->app.submit_hash, tag, SEAL_MAC_LEN);
	memset(r->app.inquiry_hash, 7, SEAL_MAC_LEN);
	memset(r->app.sender_key, 0x51, SEAL_MAC_LEN);
	memset(r->app.recipient_key, 0x52, SEAL_MAC_LEN);
	r->app.received_at = 1795000000;
	r->app.lang = "en";
	snprintf(r->receipt, sizeof(r->receipt), "1234-5678-%04u", tag);
	if (m != NULL) {
		memset(m, 0, sizeof(*m));
		m->kind = "arrival";
		m->procedure_id = "e2e-open";
		m->section_id = "sec-a";
		m->text = text;
		m->at = 1795000001;
		r->mail = m;
		r->app.contact = contact;
		r->app.contact_len = sizeof(contact) - 1;
	}
}

/* Encode r, decode it again: the decoder's result (its pointers point into f). */
static int
round_trip(const struct db_store_req *r, struct buf *f, struct db_store_req *out, struct db_outbox_item *m)
{
	buf_reset(f);
	if (writer_encode(r, f) == -1)
		return -2;
	return writer_decode(f->data, f->len, out, m);
}

static void
round_trip_with_mail(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	m, dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, &m, 1);
	strcpy(r.participant, "ECO-7992-7398-7138");
	T_CHECK(round_trip(&r, &f, &d, &dm) == 0);
	T_STREQ(d.receipt, "1234-5678-0001");
	T_STREQ(d.participant, "ECO-7992-7398-7138");
	T_STREQ(d.app.procedure_id, "e2e-open");
	T_STREQ(d.app.section_id, "sec-a");
	T_STREQ(d.app.form_hash, "00ff");
	T_CHECK(d.app.sealed == NULL && d.app.key_id == NULL);
	T_CHECK(d.app.plain_len == sizeof(plain) - 1 && memcmp(d.app.plain, plain, sizeof(plain) - 1) == 0);
	T_CHECK(d.app.contact_len == sizeof(contact) - 1 && memcmp(d.app.contact, contact, sizeof(contact) - 1) == 0);
	T_CHECK(memcmp(d.app.submit_hash, r.app.submit_hash, SEAL_MAC_LEN) == 0);
	T_CHECK(memcmp(d.app.inquiry_hash, r.app.inquiry_hash, SEAL_MAC_LEN) == 0);
	T_CHECK(memcmp(d.app.sender_key, r.app.sender_key, SEAL_MAC_LEN) == 0);
	T_CHECK(memcmp(d.app.recipient_key, r.app.recipient_key, SEAL_MAC_LEN) == 0);
	T_CHECK(d.app.received_at == 1795000000);
	T_STREQ(d.app.lang, "en");
	T_CHECK(d.mail == &dm);
	T_STREQ(dm.kind, "arrival");
	T_STREQ(dm.text, text);
	T_CHECK(dm.sealed == NULL && dm.at == 1795000001);
	buf_free(&f);
}

static void
round_trip_without_mail(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 2);
	r.app.received_at = -5;		/* negative times survive the unsigned wire */
	T_CHECK(round_trip(&r, &f, &d, &dm) == 0);
	T_CHECK(d.mail == NULL && d.app.received_at == -5 && d.participant[0] == '\0' && d.app.contact == NULL &&
	    d.app.contact_len == 0);
	buf_free(&f);
}

/* An application's places go over the wire as they are; a negative count is refused. */
static void
round_trip_places(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 3);
	r.app.places = (struct db_places){ "course-a", 2, 280, 15, 1 };
	T_CHECK(round_trip(&r, &f, &d, &dm) == 0);
	T_STREQ(d.app.places.choice, "course-a");
	T_CHECK(d.app.places.people == 2 && d.app.places.capacity == 280 && d.app.places.choice_places == 15 &&
	    d.app.places.waitlist == 1);
	r.app.places.capacity = -1;
	T_CHECK(round_trip(&r, &f, &d, &dm) == -1);
	buf_free(&f);
}

/* What the writer cannot take: a sealed application, a sealed mail, no plaintext. */
static void
only_plaintexts_encoded(void)
{
	static const unsigned char sealed[4] = { 1, 2, 3, 4 };
	struct db_store_req	r, d;
	struct db_outbox_item	m, dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 2);
	r.app.sealed = sealed;
	r.app.sealed_len = sizeof(sealed);
	r.app.key_id = "0123456789abcdef";
	T_CHECK(round_trip(&r, &f, &d, &dm) == -2);
	sample(&r, &m, 2);
	m.text = NULL;
	m.sealed = sealed;
	m.sealed_len = sizeof(sealed);
	T_CHECK(round_trip(&r, &f, &d, &dm) == -2);
	sample(&r, NULL, 2);
	r.app.plain_len = 0;
	T_CHECK(round_trip(&r, &f, &d, &dm) == -2);
	buf_free(&f);
}

static void
every_truncation_refused(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	m, dm;
	struct buf		f;
	size_t			n;

	buf_init(&f);
	sample(&r, &m, 3);
	T_CHECK(writer_encode(&r, &f) == 0);
	for (n = 0; n < f.len; n++)
		T_CHECK(writer_decode(f.data, n, &d, &dm) == -1);
	T_CHECK(writer_decode(f.data, f.len, &d, &dm) == 0);
	buf_free(&f);
}

/* The language is a tag or the frame is refused; none given is Japanese. */
static void
language_checked(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 9);
	r.app.lang = "EN";
	T_CHECK(round_trip(&r, &f, &d, &dm) == -1);
	r.app.lang = "";
	T_CHECK(round_trip(&r, &f, &d, &dm) == -1);
	r.app.lang = NULL;
	T_CHECK(round_trip(&r, &f, &d, &dm) == 0);
	T_STREQ(d.app.lang, "ja");
	buf_free(&f);
}

static void
trailing_byte_refused(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 4);
	T_CHECK(writer_encode(&r, &f) == 0 && buf_putc(&f, 0) == 0);
	T_CHECK(writer_decode(f.data, f.len, &d, &dm) == -1);
	buf_free(&f);
}

static void
bad_version_refused(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 5);
	T_CHECK(writer_encode(&r, &f) == 0);
	f.data[0] = 1;		/* a worker of before the limits */
	T_CHECK(writer_decode(f.data, f.len, &d, &dm) == -1);
	buf_free(&f);
}

static void
nul_inside_string_refused(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;
	char			*p;

	buf_init(&f);
	sample(&r, NULL, 6);
	T_CHECK(writer_encode(&r, &f) == 0);
	for (p = f.data; p + 8 <= f.data + f.len && memcmp(p, "e2e-open", 8) != 0; p++)
		;
	T_CHECK(p + 8 <= f.data + f.len);
	p[3] = '\0';
	T_CHECK(writer_decode(f.data, f.len, &d, &dm) == -1);
	buf_free(&f);
}

static void
bad_receipt_refused(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 7);
	strcpy(r.receipt, "1234");
	T_CHECK(round_trip(&r, &f, &d, &dm) == -1);
	buf_free(&f);
}

static void
bad_mail_flag_refused(void)
{
	struct db_store_req	r, d;
	struct db_outbox_item	dm;
	struct buf		f;

	buf_init(&f);
	sample(&r, NULL, 8);
	T_CHECK(writer_encode(&r, &f) == 0);
	f.data[f.len - 1] = 2;		/* without a mail, the flag is the last byte */
	T_CHECK(writer_decode(f.data, f.len, &d, &dm) == -1);
	buf_free(&f);
}

/* ---- a real writer ---- */

static pid_t
start_writer(int lfd)
{
	pid_t		 pid = fork();
	struct db	*db;

	if (pid == 0) {
		if (db_open(path, &db) == -1)
			_exit(1);
		db_set_limits(db, &writer_limits);
		db_set_contact_key(db, mail_pk);
		_exit(writer_serve(lfd, db) == 0 ? 0 : 1);
	}
	return pid;
}

static void
stop(pid_t pid)
{
	int status;

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

/* A fresh database with sec-a and a new key pair of its, a new mailer's, and a listening socket: the fd, or -1. */
static int
fresh_writer_socket(void)
{
	struct db	*db;
	char		 id[SEAL_KEYID_LEN + 1];
	int		 ok;

	if (seal_keypair(sec_pk, sec_sk) == -1 || seal_keypair(mail_pk, mail_sk) == -1 ||
	    seal_key_id(sec_pk, id) == -1 || t_db_fresh(&db) == -1)
		return -1;
	ok = db_section_add(db, "sec-a", "テスト課", 1) == 0 && db_key_add(db, "sec-a", id, sec_pk, "w", 1, 1) == 0;
	db_close(db);
	return ok ? writer_listen(sock_path) : -1;
}

/* A writer on a fresh database and socket, and one client of it: what most cases start from. */
struct rig {
	int			lfd;
	pid_t			writer;
	struct writer_client	cl;
};

static int
rig_up(struct rig *g)
{
	if ((g->lfd = fresh_writer_socket()) == -1)
		return -1;
	g->writer = start_writer(g->lfd);
	writer_client_init(&g->cl, sock_path);
	return 0;
}

static void
rig_down(struct rig *g)
{
	writer_client_close(&g->cl);
	stop(g->writer);
	close(g->lfd);
}

static int
count_apps(int64_t *n)
{
	struct db	*db;
	int		 rc;

	if (db_open(path, &db) == -1)
		return -1;
	rc = db_app_count(db, n);
	db_close(db);
	return rc;
}

/* One client storing n applications with submit hashes tag, tag+1, ...: 0 when all were stored. */
static int
client_run(unsigned char tag, int n)
{
	struct writer_client	cl;
	struct db_store_req	r;
	int			i, bad = 0;

	writer_client_init(&cl, sock_path);
	for (i = 0; i < n; i++) {
		sample(&r, NULL, (unsigned char)(tag + i));
		if (writer_store(&cl, &r) == -1 || r.result != 0)
			bad++;
	}
	writer_client_close(&cl);
	return bad == 0 ? 0 : -1;
}

static void
many_clients_all_stored(void)
{
	pid_t		writer, kids[6];
	int		lfd, i, status, failed = 0;
	int64_t		n;

	T_CHECK((lfd = fresh_writer_socket()) != -1);
	writer = start_writer(lfd);
	for (i = 0; i < 6; i++)
		if ((kids[i] = fork()) == 0)
			_exit(client_run((unsigned char)(i * 40), 40) == 0 ? 0 : 1);
	for (i = 0; i < 6; i++)
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	stop(writer);
	close(lfd);
	T_CHECK(failed == 0);
	T_CHECK(count_apps(&n) == 0 && n == 240);
}

static void
replay_gets_first_receipt(void)
{
	struct rig		g;
	struct db_store_req	r;
	char			first[DB_RECEIPT_LEN + 1];

	T_CHECK(rig_up(&g) == 0);
	sample(&r, NULL, 9);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	memcpy(first, r.receipt, sizeof(first));
	sample(&r, NULL, 9);
	strcpy(r.receipt, "9999-9999-9999");
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == DB_EXISTS);
	T_STREQ(r.receipt, first);
	sample(&r, NULL, 10);
	strcpy(r.receipt, first);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == DB_TAKEN);
	rig_down(&g);
}

/*
 * Whether receipt is stored as a batch's box to the key pair (pk, sk) that
 * opens to the sample's plaintext, and, when with_mail, with its envelope
 * (opening with the mailer's key to the sample's contact) and its mail's
 * text queued.
 */
static int
stored_and_opening(const char *receipt, const unsigned char *pk, const unsigned char *sk, int with_mail)
{
	struct db	*db;
	struct buf	 b, m;
	char		 kid[SEAL_KEYID_LEN + 1];
	int64_t		 n = -1;
	int		 ok;

	buf_init(&b);
	buf_init(&m);
	if (db_open(path, &db) == -1)
		return 0;
	ok = db_app_sealed(db, receipt, kid, &b) == 0 && (unsigned char)b.data[0] == SEAL_BATCH_TAG &&
	    seal_open(pk, sk, b.data, b.len, &m) == 0 && strcmp(buf_cstr(&m), plain) == 0;
	buf_reset(&b);
	buf_reset(&m);
	if (with_mail)
		ok = ok && db_envelope_get(db, receipt, &b) == 0 && seal_open(mail_pk, mail_sk, b.data, b.len, &m) == 0 &&
		    strcmp(buf_cstr(&m), contact) == 0 && db_outbox_count(db, "pending", &n) == 0 && n == 1;
	else
		ok = ok && db_envelope_has(db, receipt) == 0;
	db_close(db);
	buf_free(&b);
	buf_wipe(&m);
	return ok;
}

static void
stored_sealed_with_envelope(void)
{
	struct rig		g;
	struct db_store_req	r;
	struct db_outbox_item	m;

	T_CHECK(rig_up(&g) == 0);
	sample(&r, &m, 11);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	rig_down(&g);
	T_CHECK(stored_and_opening(r.receipt, sec_pk, sec_sk, 1));
}

/* A key rotated between two batches: the next batch is sealed to the new key, with no round trip. */
static void
rotation_between_batches(void)
{
	struct rig		g;
	struct db_store_req	r1, r2;
	unsigned char		pk2[SEAL_PK_LEN], sk2[SEAL_SK_LEN];
	char			id2[SEAL_KEYID_LEN + 1];
	struct db		*db;

	T_CHECK(rig_up(&g) == 0);
	sample(&r1, NULL, 12);
	T_CHECK(writer_store(&g.cl, &r1) == 0 && r1.result == 0);
	T_CHECK(seal_keypair(pk2, sk2) == 0 && seal_key_id(pk2, id2) == 0 && db_open(path, &db) == 0);
	T_CHECK(db_key_add(db, "sec-a", id2, pk2, "w", 1, 2) == 0);	/* formctl key rotate */
	db_close(db);
	sample(&r2, NULL, 13);
	T_CHECK(writer_store(&g.cl, &r2) == 0 && r2.result == 0);
	rig_down(&g);
	T_CHECK(stored_and_opening(r1.receipt, sec_pk, sec_sk, 0));
	T_CHECK(stored_and_opening(r2.receipt, pk2, sk2, 0) && !stored_and_opening(r2.receipt, sec_pk, sec_sk, 0));
}

/*
 * A writer killed in the middle of a batch (held at its BEGIN by a lock
 * this test holds, or just before if it had not read the request yet):
 * nothing of the batch is stored, and the worker, not answered, sends the
 * request again to the next writer, which stores it once, whole.
 */
static void
killed_mid_batch_loses_nothing(void)
{
	struct rig		g;
	struct db_store_req	r;
	struct db_outbox_item	m;
	struct db		*lock;
	pid_t			client;
	int			fds[2], go[2], status;
	char			receipt[DB_RECEIPT_LEN + 1] = "", c;
	int64_t			n;

	T_CHECK(rig_up(&g) == 0);
	/* The client is forked before the lock is taken, so that it holds no copy of the lock's connection. */
	T_CHECK(pipe(fds) == 0 && pipe(go) == 0);
	if ((client = fork()) == 0) {
		sample(&r, &m, 14);
		if (read(go[0], &c, 1) != 1 || writer_store(&g.cl, &r) == -1 || r.result != 0)
			_exit(1);
		_exit(write(fds[1], r.receipt, sizeof(r.receipt)) == (ssize_t)sizeof(r.receipt) ? 0 : 1);
	}
	T_CHECK(db_open(path, &lock) == 0 && db_begin(lock) == 0 && write(go[1], "g", 1) == 1);
	close(go[0]);
	close(go[1]);
	usleep(300000);		/* the writer takes the request and waits for the lock */
	stop(g.writer);
	db_rollback(lock);
	db_close(lock);
	T_CHECK(count_apps(&n) == 0 && n == 0);
	g.writer = start_writer(g.lfd);
	T_CHECK(waitpid(client, &status, 0) == client && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_CHECK(read(fds[0], receipt, sizeof(receipt)) == (ssize_t)sizeof(receipt));
	close(fds[0]);
	close(fds[1]);
	rig_down(&g);
	T_CHECK(count_apps(&n) == 0 && n == 1);
	T_CHECK(stored_and_opening(receipt, sec_pk, sec_sk, 1));
}

static void
limits_answered(void)
{
	struct rig		g;
	struct db_store_req	r;
	struct db_outbox_item	m;
	int64_t			n;

	/* one send per sender and one mail per recipient: the writer counts the keys the workers send */
	writer_limits = (struct db_limits){ 1, 600, 1 };
	T_CHECK(rig_up(&g) == 0);
	writer_limits = (struct db_limits){ 0, 0, 0 };
	sample(&r, &m, 20);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	sample(&r, NULL, 21);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == DB_LIMITED);
	sample(&r, &m, 22);
	memset(r.app.sender_key, 0x61, SEAL_MAC_LEN);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == DB_MAIL_HELD);
	T_STREQ(r.receipt, "1234-5678-0022");
	rig_down(&g);
	T_CHECK(count_apps(&n) == 0 && n == 2);
}

/* The writer answers 満員 (nothing stored) and a waiting application's turn. */
static void
places_answered(void)
{
	struct rig		g;
	struct db_store_req	r;
	int64_t			n;

	T_CHECK(rig_up(&g) == 0);
	sample(&r, NULL, 30);
	r.app.places = (struct db_places){ NULL, 1, 1, 0, 0 };
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0 && r.position == 0);
	sample(&r, NULL, 31);
	r.app.places = (struct db_places){ NULL, 1, 1, 0, 0 };
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == DB_FULL);
	sample(&r, NULL, 32);
	r.app.places = (struct db_places){ NULL, 1, 1, 0, 1 };
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0 && r.position == 1);
	sample(&r, NULL, 32);	/* the same again: its turn once more */
	r.app.places = (struct db_places){ NULL, 1, 1, 0, 1 };
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == DB_EXISTS && r.position == 1);
	rig_down(&g);
	T_CHECK(count_apps(&n) == 0 && n == 2);
}

static void
writer_restart_is_survived(void)
{
	struct rig		g;
	struct db_store_req	r;
	int64_t			n;

	/* the connection breaks with the writer; the next request reaches its successor */
	T_CHECK(rig_up(&g) == 0);
	sample(&r, NULL, 11);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	stop(g.writer);
	g.writer = start_writer(g.lfd);
	sample(&r, NULL, 12);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	rig_down(&g);
	T_CHECK(count_apps(&n) == 0 && n == 2);
}

static void
no_writer_gives_up(void)
{
	struct writer_client	cl;
	struct db_store_req	r;

	unlink(sock_path);
	writer_client_init(&cl, sock_path);
	sample(&r, NULL, 13);
	T_CHECK(writer_store(&cl, &r) == -1 && r.result == -1);
	writer_client_close(&cl);
}

static void
broken_frame_drops_only_that_client(void)
{
	struct rig		g;
	struct writer_client	bad;
	struct db_store_req	r;
	static const char	junk[] = "\0\0\0\5hello";

	T_CHECK(rig_up(&g) == 0);
	writer_client_init(&bad, sock_path);
	sample(&r, NULL, 14);
	T_CHECK(writer_store(&bad, &r) == 0);	/* connects bad */
	T_CHECK(write(bad.fd, junk, sizeof(junk) - 1) == (ssize_t)(sizeof(junk) - 1));
	sample(&r, NULL, 15);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	writer_client_close(&bad);
	rig_down(&g);
}

/* A frame far longer than the writer's first read is stored whole, and opens to what was sent. */
static void
long_frame_stored(void)
{
	struct rig		g;
	struct db_store_req	r;
	struct db		*db;
	struct buf		 big, b, m;
	char			 kid[SEAL_KEYID_LEN + 1];
	size_t			 i;

	buf_init(&big);
	buf_init(&b);
	buf_init(&m);
	buf_puts(&big, "{\"answers\":{\"note\":\"");
	for (i = 0; i < 100000; i++)
		buf_putc(&big, (char)('a' + i % 26));
	buf_puts(&big, "\"}}");
	T_CHECK(rig_up(&g) == 0);
	sample(&r, NULL, 17);
	r.app.plain = big.data;
	r.app.plain_len = big.len;
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	rig_down(&g);
	T_CHECK(db_open(path, &db) == 0);
	T_CHECK(db_app_sealed(db, r.receipt, kid, &b) == 0 && seal_open(sec_pk, sec_sk, b.data, b.len, &m) == 0);
	T_CHECK(m.len == big.len && memcmp(m.data, big.data, big.len) == 0);
	db_close(db);
	buf_free(&big);
	buf_free(&b);
	buf_wipe(&m);
}

/* A frame that comes in pieces (its length split too) is read whole and answered. */
static void
frame_in_pieces_stored(void)
{
	struct rig		g;
	struct db_store_req	r;
	struct buf		 f;
	unsigned char		 ans[4 + 4 + 4 + DB_RECEIPT_LEN + 1];
	size_t			 cut[] = { 0, 2, 5, 40 }, i, got = 0;
	ssize_t			 k;

	buf_init(&f);
	T_CHECK(rig_up(&g) == 0);
	sample(&r, NULL, 18);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);	/* connects g.cl */
	sample(&r, NULL, 19);
	T_CHECK(buf_append_space(&f, 4) != NULL && writer_encode(&r, &f) == 0);
	f.data[0] = (char)((f.len - 4) >> 24);
	f.data[1] = (char)((f.len - 4) >> 16);
	f.data[2] = (char)((f.len - 4) >> 8);
	f.data[3] = (char)(f.len - 4);
	for (i = 1; i <= 4; i++) {
		size_t from = cut[i - 1], to = i < 4 ? cut[i] : f.len;

		T_CHECK(write(g.cl.fd, f.data + from, to - from) == (ssize_t)(to - from));
		usleep(20000);	/* the writer may read each piece on its own */
	}
	while (got < sizeof(ans) && (k = read(g.cl.fd, ans + got, sizeof(ans) - got)) > 0)
		got += (size_t)k;
	T_CHECK(got == sizeof(ans) && ans[3] == sizeof(ans) - 4);
	T_CHECK(ans[4] == 0 && ans[5] == 0 && ans[6] == 0 && ans[7] == 0);	/* result 0: stored */
	rig_down(&g);
	buf_free(&f);
}

/* A ping is answered between batches, with stores going on; without a writer it fails in its wait. */
static void
ping_answered(void)
{
	struct rig		g;
	struct db_store_req	r;

	T_CHECK(writer_ping(sock_path, 500) == -1);	/* nobody listening */
	T_CHECK(rig_up(&g) == 0);
	T_CHECK(writer_ping(sock_path, 2000) == 0);
	sample(&r, NULL, 16);
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == 0);
	T_CHECK(writer_ping(sock_path, 2000) == 0);
	rig_down(&g);
}

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/writer.sock", t_db_dir);
	T_RUN(round_trip_with_mail);
	T_RUN(round_trip_without_mail);
	T_RUN(round_trip_places);
	T_RUN(only_plaintexts_encoded);
	T_RUN(every_truncation_refused);
	T_RUN(trailing_byte_refused);
	T_RUN(language_checked);
	T_RUN(bad_version_refused);
	T_RUN(nul_inside_string_refused);
	T_RUN(bad_receipt_refused);
	T_RUN(bad_mail_flag_refused);
	T_RUN(many_clients_all_stored);
	T_RUN(replay_gets_first_receipt);
	T_RUN(stored_sealed_with_envelope);
	T_RUN(rotation_between_batches);
	T_RUN(killed_mid_batch_loses_nothing);
	T_RUN(limits_answered);
	T_RUN(places_answered);
	T_RUN(writer_restart_is_survived);
	T_RUN(no_writer_gives_up);
	T_RUN(broken_frame_drops_only_that_client);
	T_RUN(ping_answered);
	T_RUN(long_frame_stored);
	T_RUN(frame_in_pieces_stored);
	return t_db_teardown(T_DONE());
}
