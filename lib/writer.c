#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lang.h"
#include "log.h"
#include "prefork.h"

#define WIRE_VERSION	6
#define WIRE_PING	0xff		/* a frame of this one byte is a ping, answered with the same */
#define STR_MAX		1024		/* ids, hashes, receipts: all short */
#define MAX_CLIENTS	128		/* one per worker, with room for restarts */
#define REPLY_LEN	(4 + 4 + DB_RECEIPT_LEN + 1)	/* result, waitlist turn, receipt */
#define CLIENT_WAIT_MS	5000		/* how long a worker waits for a writer to come (back) */
#define CLIENT_TIMEOUT_S 60		/* one answer: beyond SQLite's busy waits */
#define FRAME_FIRST	8192		/* a frame's bytes read with its length: most frames whole */

/* ---- wire format: big-endian integers, strings with their NUL, blobs with a length ---- */

static void
be32(unsigned char p[4], uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int
put_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4];

	be32(p, v);
	return buf_put(b, p, sizeof(p));
}

static int
put_i64(struct buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;

	return put_u32(b, (uint32_t)(u >> 32)) == 0 && put_u32(b, (uint32_t)u) == 0 ? 0 : -1;
}

static int
put_blob(struct buf *b, const void *p, size_t n)
{
	if (n > WRITER_FRAME_MAX)
		return -1;
	return put_u32(b, (uint32_t)n) == 0 && (n == 0 || buf_put(b, p, n) == 0) ? 0 : -1;
}

static int
put_str(struct buf *b, const char *s)
{
	return put_blob(b, s, strlen(s) + 1);
}

int
writer_encode(const struct db_store_req *r, struct buf *out)
{
	const struct db_app		*a = &r->app;
	const struct db_outbox_item	*m = r->mail;
	size_t				 start = out->len;
	int				 ok;

	/* Plaintexts only (the writer seals), and a mail's text only (its address is in the envelope). */
	if (a->sealed != NULL || a->plain == NULL || a->plain_len == 0 ||
	    (m != NULL && (m->text == NULL || m->sealed != NULL)))
		return -1;
	ok = buf_putc(out, WIRE_VERSION) == 0 && put_str(out, r->receipt) == 0 &&
	    put_str(out, r->participant) == 0 &&
	    put_str(out, a->procedure_id) == 0 && put_str(out, a->section_id) == 0 &&
	    put_str(out, a->form_hash) == 0 && put_blob(out, a->plain, a->plain_len) == 0 &&
	    put_blob(out, a->contact, a->contact != NULL ? a->contact_len : 0) == 0 &&
	    buf_put(out, a->submit_hash, SEAL_MAC_LEN) == 0 &&
	    buf_put(out, a->inquiry_hash, SEAL_MAC_LEN) == 0 && buf_put(out, a->sender_key, SEAL_MAC_LEN) == 0 &&
	    buf_put(out, a->recipient_key, SEAL_MAC_LEN) == 0 && put_i64(out, a->received_at) == 0 &&
	    put_str(out, a->places.choice != NULL ? a->places.choice : "") == 0 &&
	    put_i64(out, a->places.people) == 0 && put_i64(out, a->places.capacity) == 0 &&
	    put_i64(out, a->places.choice_places) == 0 && buf_putc(out, a->places.waitlist != 0) == 0 &&
	    put_str(out, a->lang != NULL ? a->lang : LANG_DEFAULT) == 0 && buf_putc(out, m != NULL) == 0;
	if (ok && m != NULL)
		ok = put_str(out, m->kind) == 0 && put_str(out, m->procedure_id) == 0 &&
		    put_str(out, m->section_id) == 0 && put_str(out, m->text) == 0 && put_i64(out, m->at) == 0;
	return ok && out->len - start <= WRITER_FRAME_MAX ? 0 : -1;
}

struct reader {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static const unsigned char *
take(struct reader *rd, size_t n)
{
	const unsigned char *p = rd->p;

	if (rd->bad || n > rd->left) {
		rd->bad = 1;
		return NULL;
	}
	rd->p += n;
	rd->left -= n;
	return p;
}

static uint32_t
get_u32(struct reader *rd)
{
	const unsigned char *p = take(rd, 4);

	return p == NULL ? 0 : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
get_i64(struct reader *rd)
{
	uint64_t hi = get_u32(rd);

	return (int64_t)(hi << 32 | get_u32(rd));
}

static const void *
get_blob(struct reader *rd, size_t *len)
{
	*len = get_u32(rd);
	return take(rd, *len);
}

/* A string: its bytes end with the one NUL, and it is at most max bytes long. */
static const char *
get_text(struct reader *rd, size_t max)
{
	size_t		 n;
	const char	*s = get_blob(rd, &n);

	if (s == NULL || n == 0 || n > max || memchr(s, '\0', n) != s + n - 1) {
		rd->bad = 1;
		return NULL;
	}
	return s;
}

/* A string that is short: an id, a hash, a receipt. */
static const char *
get_str(struct reader *rd)
{
	return get_text(rd, STR_MAX);
}

static void
get_bytes(struct reader *rd, unsigned char *out, size_t n)
{
	const unsigned char *p = take(rd, n);

	if (p != NULL)
		memcpy(out, p, n);
}

int
writer_decode(const void *frame, size_t len, struct db_store_req *r, struct db_outbox_item *mail)
{
	struct reader	 rd = { frame, len, 0 };
	struct db_app	*a = &r->app;
	const char	*receipt, *participant;
	const void	*contact;
	const unsigned char *version, *has_mail, *waitlist;

	memset(r, 0, sizeof(*r));
	memset(mail, 0, sizeof(*mail));
	version = take(&rd, 1);
	if (version == NULL || *version != WIRE_VERSION)
		return -1;
	receipt = get_str(&rd);
	participant = get_str(&rd);
	a->procedure_id = get_str(&rd);
	a->section_id = get_str(&rd);
	a->form_hash = get_str(&rd);
	a->plain = get_blob(&rd, &a->plain_len);
	contact = get_blob(&rd, &a->contact_len);
	a->contact = a->contact_len > 0 ? contact : NULL;
	get_bytes(&rd, a->submit_hash, SEAL_MAC_LEN);
	get_bytes(&rd, a->inquiry_hash, SEAL_MAC_LEN);
	get_bytes(&rd, a->sender_key, SEAL_MAC_LEN);
	get_bytes(&rd, a->recipient_key, SEAL_MAC_LEN);
	a->received_at = (time_t)get_i64(&rd);
	a->places.choice = get_str(&rd);
	a->places.people = (long)get_i64(&rd);
	a->places.capacity = (long)get_i64(&rd);
	a->places.choice_places = (long)get_i64(&rd);
	waitlist = take(&rd, 1);
	a->lang = get_str(&rd);
	has_mail = take(&rd, 1);
	if (rd.bad || *has_mail > 1 || *waitlist > 1 || strlen(receipt) != DB_RECEIPT_LEN || a->plain_len == 0 ||
	    strlen(participant) > DB_PARTICIPANT_LEN || a->places.people < 0 || a->places.capacity < 0 ||
	    a->places.choice_places < 0 || !lang_tag_ok(a->lang, strlen(a->lang)))
		return -1;
	a->places.waitlist = *waitlist;
	memcpy(r->receipt, receipt, DB_RECEIPT_LEN + 1);
	memcpy(r->participant, participant, strlen(participant) + 1);
	if (*has_mail) {
		mail->kind = get_str(&rd);
		mail->procedure_id = get_str(&rd);
		mail->section_id = get_str(&rd);
		mail->text = get_text(&rd, WRITER_FRAME_MAX);
		mail->at = (time_t)get_i64(&rd);
		r->mail = mail;
	}
	return rd.bad || rd.left != 0 ? -1 : 0;
}

/* ---- frames on a stream socket: a 4-byte length, then the body ---- */

/* All n bytes sent (out) or received, through EINTR: 0, or -1 on an error or EOF. */
static int
move_all(int fd, void *p, size_t n, int out)
{
	char	*c = p;
	ssize_t	 k;

	while (n > 0) {
		if ((k = out ? send(fd, c, n, MSG_NOSIGNAL) : recv(fd, c, n, 0)) <= 0) {
			if (k == -1 && errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * A frame is built in one buffer behind room for its length, and sent in
 * one write: no second buffer and no second system call per request.
 */
static int
frame_begin(struct buf *frame)
{
	buf_reset(frame);
	return put_u32(frame, 0);
}

static int
send_frame(int fd, struct buf *frame)
{
	if (frame->oom || frame->len < 4)
		return -1;
	be32((unsigned char *)frame->data, (uint32_t)(frame->len - 4));
	return move_all(fd, frame->data, frame->len, 1);
}

/*
 * A whole frame into body (replacing what it held): 0, or -1 on EOF, error,
 * a bad length or bytes beyond the frame.  The length and the start of the
 * body come in one call: a frame is sent in one write, so that call usually
 * holds all of it (a system call less per frame on each side).  Each side
 * sends one frame and waits for the answer, so nothing may follow a frame.
 */
static int
recv_frame(int fd, struct buf *body)
{
	unsigned char	 hdr[4];
	struct reader	 rd = { hdr, sizeof(hdr), 0 };
	struct iovec	 iov[2];
	struct msghdr	 mh;
	unsigned char	*p;
	ssize_t		 k;
	size_t		 got;
	uint32_t	 n;

	buf_reset(body);
	if ((p = buf_append_space(body, FRAME_FIRST)) == NULL)
		return -1;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = p;
	iov[1].iov_len = FRAME_FIRST;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	while ((k = recvmsg(fd, &mh, 0)) == -1 && errno == EINTR)
		;
	if (k <= 0)
		return -1;
	got = (size_t)k > sizeof(hdr) ? (size_t)k - sizeof(hdr) : 0;
	if ((size_t)k < sizeof(hdr) && move_all(fd, hdr + k, sizeof(hdr) - (size_t)k, 0) == -1)
		return -1;
	n = get_u32(&rd);
	if (n == 0 || n > WRITER_FRAME_MAX || got > n)
		return -1;
	if (n > FRAME_FIRST && buf_append_space(body, n - FRAME_FIRST) == NULL)
		return -1;
	body->len = n;
	body->data[n] = '\0';
	return move_all(fd, body->data + got, n - got, 0);
}

static void
set_timeouts(int fd, int secs)
{
	struct timeval tv = { secs, 0 };

	/* Best effort: without them a stuck peer only delays, it cannot corrupt. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
unix_address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int
writer_listen(const char *path)
{
	/* Owner only: only this program's own processes talk to the writer. */
	return prefork_listen(path, NULL, MAX_CLIENTS);
}

/* ---- the writer ---- */

struct slot {
	int			fd;
	struct buf		frame;
	struct db_store_req	req;
	struct db_outbox_item	mail;
	int			waiting;	/* req holds a request from this frame */
};

struct writer {
	int		listen_fd;
	struct db	*db;
	struct slot	slots[MAX_CLIENTS];
	size_t		nslots;
};

/* A slot's frame held an application's plaintext: wiped whenever it is let go. */
static void
drop(struct slot *s)
{
	close(s->fd);
	s->fd = -1;
	s->waiting = 0;
	buf_wipe(&s->frame);
}

static void
accept_clients(struct writer *w)
{
	int	fd;
	size_t	i;

	/* Accepted sockets are blocking (with timeouts): a frame is read whole once it starts. */
	while ((fd = accept(w->listen_fd, NULL, NULL)) != -1) {
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		for (i = 0; i < w->nslots && w->slots[i].fd != -1; i++)
			;
		if (i == MAX_CLIENTS) {
			log_msg(LOG_ERR, "writer: more than %d workers connected", MAX_CLIENTS);
			close(fd);
			continue;
		}
		if (i == w->nslots)
			w->nslots++;
		set_timeouts(fd, CLIENT_TIMEOUT_S);
		buf_init(&w->slots[i].frame);
		w->slots[i].fd = fd;
		w->slots[i].waiting = 0;
	}
}

/* A ping (writer_ping): the length prefix and the one byte. */
static int
is_ping(const struct buf *frame)
{
	return frame->len == 1 && (unsigned char)frame->data[0] == WIRE_PING;
}

/* Answer a ping at once, whatever the batch. */
static void
pong(struct slot *s)
{
	struct buf b;

	buf_init(&b);
	if (frame_begin(&b) == -1 || buf_putc(&b, WIRE_PING) == -1 || send_frame(s->fd, &b) == -1)
		drop(s);
	buf_free(&b);
}

/* Read the request of every readable client: the next batch. */
static size_t
gather(struct writer *w, const struct pollfd *pfd, size_t npfd)
{
	size_t	i, n = 0;
	int	rc;

	for (i = 0; i < npfd; i++) {
		struct slot *s = &w->slots[i];

		if (s->fd == -1 || pfd[i].revents == 0)
			continue;
		if ((rc = recv_frame(s->fd, &s->frame)) == 0 && is_ping(&s->frame)) {
			pong(s);
			continue;
		}
		if (rc == -1 || writer_decode(s->frame.data, s->frame.len, &s->req, &s->mail) == -1) {
			drop(s);	/* EOF from a worker that ended, or a broken frame */
			continue;
		}
		s->waiting = 1;
		n++;
	}
	return n;
}

static void
reply(struct slot *s)
{
	struct buf	 b;
	int32_t		 result = s->req.result;

	buf_init(&b);
	if (frame_begin(&b) == -1 || put_u32(&b, (uint32_t)result) == -1 ||
	    put_u32(&b, (uint32_t)s->req.position) == -1 ||
	    buf_put(&b, s->req.receipt, DB_RECEIPT_LEN + 1) == -1 || send_frame(s->fd, &b) == -1)
		drop(s);
	else
		buf_reset(&s->frame);	/* wipes the plaintext, keeps the memory for the next */
	buf_free(&b);
	s->waiting = 0;
}

/* Store the batch in one transaction, then answer each: after the commit, never before. */
static void
store_batch(struct writer *w)
{
	struct db_store_req	reqs[MAX_CLIENTS];
	size_t			i, n = 0, k = 0;

	for (i = 0; i < w->nslots; i++)
		if (w->slots[i].waiting)
			reqs[n++] = w->slots[i].req;
	(void)db_app_store_batch(w->db, reqs, n);
	for (i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->waiting)
			continue;
		s->req.result = reqs[k].result;
		s->req.position = reqs[k].position;
		memcpy(s->req.receipt, reqs[k].receipt, sizeof(s->req.receipt));
		k++;
		reply(s);
	}
}

int
writer_serve(int listen_fd, struct db *db)
{
	struct writer	*w;
	struct pollfd	 pfd[MAX_CLIENTS + 1];
	size_t		 i, n;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->listen_fd = listen_fd;
	w->db = db;
	for (;;) {
		pfd[0].fd = listen_fd;
		pfd[0].events = POLLIN;
		for (i = 0; i < w->nslots; i++) {
			pfd[i + 1].fd = w->slots[i].fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		if (poll(pfd, w->nslots + 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "writer: poll: %s", strerror(errno));
			break;
		}
		/* New clients are polled from the next round on: pfd holds the slots of this one. */
		n = w->nslots;
		if (pfd[0].revents & POLLIN)
			accept_clients(w);
		if (gather(w, pfd + 1, n) > 0)
			store_batch(w);
	}
	for (i = 0; i < w->nslots; i++)
		if (w->slots[i].fd != -1)
			drop(&w->slots[i]);
	free(w);
	return -1;
}

/* ---- the worker's side ---- */

void
writer_client_init(struct writer_client *cl, const char *path)
{
	cl->path = path;
	cl->fd = -1;
}

void
writer_client_close(struct writer_client *cl)
{
	if (cl->fd != -1)
		close(cl->fd);
	cl->fd = -1;
}

static int
client_connect(struct writer_client *cl)
{
	struct sockaddr_un sa;

	if (unix_address(cl->path, &sa) == -1 ||
	    (cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(cl->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		writer_client_close(cl);
		return -1;
	}
	set_timeouts(cl->fd, CLIENT_TIMEOUT_S);
	return 0;
}

/* One exchange on the open connection: 0 with the answer in r, or -1. */
static int
exchange(struct writer_client *cl, struct buf *req, struct buf *ans, struct db_store_req *r)
{
	struct reader	rd;
	int32_t		result;
	uint32_t	position;

	if (send_frame(cl->fd, req) == -1 || recv_frame(cl->fd, ans) == -1 || ans->len != REPLY_LEN)
		return -1;
	rd.p = (const unsigned char *)ans->data;
	rd.left = ans->len;
	rd.bad = 0;
	result = (int32_t)get_u32(&rd);
	position = get_u32(&rd);
	if (result != 0 && result != DB_EXISTS && result != DB_TAKEN && result != DB_LIMITED &&
	    result != DB_MAIL_HELD && result != DB_FULL && result != -1)
		return -1;
	if (ans->data[REPLY_LEN - 1] != '\0' || strlen(ans->data + 8) != DB_RECEIPT_LEN || position > INT32_MAX)
		return -1;
	r->result = result;
	r->position = (long)position;
	memcpy(r->receipt, ans->data + 8, DB_RECEIPT_LEN + 1);
	return 0;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
writer_ping(const char *path, int wait_ms)
{
	struct writer_client	cl;
	struct buf		b;
	struct timeval		tv = { wait_ms / 1000, (wait_ms % 1000) * 1000 };
	int			rc = -1;

	buf_init(&b);
	writer_client_init(&cl, path);
	if (client_connect(&cl) == 0 && setsockopt(cl.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
	    setsockopt(cl.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 && frame_begin(&b) == 0 &&
	    buf_putc(&b, WIRE_PING) == 0 && send_frame(cl.fd, &b) == 0 && recv_frame(cl.fd, &b) == 0 && is_ping(&b))
		rc = 0;
	writer_client_close(&cl);
	buf_free(&b);
	return rc;
}

int
writer_store(struct writer_client *cl, struct db_store_req *r)
{
	struct buf	req, ans;
	long		waited = 0;
	int		rc = -1;

	buf_init(&req);
	buf_init(&ans);
	r->result = -1;
	if (frame_begin(&req) == -1 || writer_encode(r, &req) == -1)
		goto done;
	/* A writer that is being restarted is waited for; the same request again is harmless. */
	while (rc == -1 && waited <= CLIENT_WAIT_MS) {
		if (cl->fd == -1 && client_connect(cl) == -1) {
			pause_ms(50);
			waited += 50;
			continue;
		}
		if ((rc = exchange(cl, &req, &ans, r)) == -1) {
			writer_client_close(cl);
			pause_ms(10);
			waited += 10;
		}
	}
	if (rc == -1)
		log_msg(LOG_ERR, "no answer from the writer at %s", cl->path);
done:
	buf_wipe(&req);		/* the plaintext */
	buf_free(&ans);
	return rc;
}
