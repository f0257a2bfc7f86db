/* Unit tests for lib/writer.c: the wire format, and a real writer process on a unix socket. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writer.h"
#include "t.h"
#include "t_db.h"

static const unsigned char sealed[6] = { 1, 2, 3, 0, 5, 6 };
static char sock_path[160];
static struct db_limits writer_limits;	/* the writers' (start_writer) */

static void
sample(struct db_store_req *r, struct db_outbox_item *m, unsigned char tag)
{
	memset(r, 0, sizeof(*r));
	r->app.procedure_id = "e2e-open";
	r->app.section_id = "sec-a";
	r->app.form_hash = "00ff";
	r->app.key_id = "0123456789abcdef";
	r->app.sealed = sealed;
	r->app.sealed_len = sizeof(sealed);
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
		m->sealed = sealed;
		m->sealed_len = 3;
		m->at = 1795000001;
		r->mail = m;
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
	T_CHECK(round_trip(&r, &f, &d, &dm) == 0);
	T_STREQ(d.receipt, "1234-5678-0001");
	T_STREQ(d.app.procedure_id, "e2e-open");
	T_STREQ(d.app.section_id, "sec-a");
	T_STREQ(d.app.form_hash, "00ff");
	T_STREQ(d.app.key_id, "0123456789abcdef");
	T_CHECK(d.app.sealed_len == sizeof(sealed) && memcmp(d.app.sealed, sealed, sizeof(sealed)) == 0);
	T_CHECK(memcmp(d.app.submit_hash, r.app.submit_hash, SEAL_MAC_LEN) == 0);
	T_CHECK(memcmp(d.app.inquiry_hash, r.app.inquiry_hash, SEAL_MAC_LEN) == 0);
	T_CHECK(memcmp(d.app.sender_key, r.app.sender_key, SEAL_MAC_LEN) == 0);
	T_CHECK(memcmp(d.app.recipient_key, r.app.recipient_key, SEAL_MAC_LEN) == 0);
	T_CHECK(d.app.received_at == 1795000000);
	T_STREQ(d.app.lang, "en");
	T_CHECK(d.mail == &dm);
	T_STREQ(dm.kind, "arrival");
	T_CHECK(dm.sealed_len == 3 && memcmp(dm.sealed, sealed, 3) == 0 && dm.at == 1795000001);
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
	T_CHECK(d.mail == NULL && d.app.received_at == -5);
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

/* A fresh database with sec-a and its key, and a listening socket: the fd, or -1. */
static int
fresh_writer_socket(void)
{
	unsigned char	 pk[SEAL_PK_LEN] = { 1 };
	struct db	*db;
	int		 ok;

	if (t_db_fresh(&db) == -1)
		return -1;
	ok = db_section_add(db, "sec-a", "テスト課", 1) == 0 &&
	    db_key_add(db, "sec-a", "0123456789abcdef", pk, "w", 1, 1) == 0;
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

static void
stale_key_answered(void)
{
	struct rig		g;
	struct db_store_req	r;
	int64_t			n;

	T_CHECK(rig_up(&g) == 0);
	sample(&r, NULL, 11);
	r.app.key_id = "ffffffffffffffff";	/* not the section's current key */
	T_CHECK(writer_store(&g.cl, &r) == 0 && r.result == DB_STALE_KEY);
	rig_down(&g);
	T_CHECK(count_apps(&n) == 0 && n == 0);
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

int
main(void)
{
	if (t_db_setup() == -1)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/writer.sock", t_db_dir);
	T_RUN(round_trip_with_mail);
	T_RUN(round_trip_without_mail);
	T_RUN(every_truncation_refused);
	T_RUN(trailing_byte_refused);
	T_RUN(language_checked);
	T_RUN(bad_version_refused);
	T_RUN(nul_inside_string_refused);
	T_RUN(bad_receipt_refused);
	T_RUN(bad_mail_flag_refused);
	T_RUN(many_clients_all_stored);
	T_RUN(replay_gets_first_receipt);
	T_RUN(stale_key_answered);
	T_RUN(limits_answered);
	T_RUN(writer_restart_is_survived);
	T_RUN(no_writer_gives_up);
	T_RUN(broken_frame_drops_only_that_client);
	return t_db_teardown(T_DONE());
}
