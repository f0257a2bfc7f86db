/*
 * Unit tests for exports/opener.c: rows come back in push order whatever
 * order the threads open them in, with more rows than ring slots; none, one;
 * rows that cannot be opened are handed over empty and counted; a failing
 * row callback stops the export and every thread is joined; the threads
 * block signals; no opened plaintext is left in memory.
 */
#define _GNU_SOURCE	/* gettid */
#include <dirent.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "opener.h"
#include "t.h"
#include "t_mem.h"

#if defined(__SANITIZE_THREAD__)
#define RUNS_A_SANITIZER_THREAD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RUNS_A_SANITIZER_THREAD 1
#endif
#endif
#ifndef RUNS_A_SANITIZER_THREAD
#define RUNS_A_SANITIZER_THREAD 0
#endif

#define NBOXES	8	/* distinct sealed payloads, pushed in turn: sealing is as slow as opening */

static unsigned char	pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
static struct buf	boxes[NBOXES];
static int		baseline_threads;	/* this process's threads when no opener runs */

struct keys_seen {
	int	calls;		/* key look-ups asked of the caller */
};

static int
test_key(void *arg, const char *key_id, unsigned char opk[SEAL_PK_LEN], unsigned char osk[SEAL_SK_LEN])
{
	struct keys_seen *k = arg;

	k->calls++;
	if (strcmp(key_id, "good") != 0)
		return -1;
	memcpy(opk, pk, SEAL_PK_LEN);
	memcpy(osk, sk, SEAL_SK_LEN);
	return 0;
}

/* What the row callback saw. */
struct seen {
	int	rows;
	int	out_of_order;	/* receipts not in push order */
	int	wrong_value;	/* an opened row's answer not the one sealed */
	int	empty;		/* rows handed over with answers NULL */
	int	fail_at;	/* the callback fails on this row (-1: never) */
	int	unopenable_every;	/* every n-th row was pushed with an unknown key (0: none) */
};

static void
receipt_of(int i, char out[DB_RECEIPT_LEN + 1])
{
	snprintf(out, DB_RECEIPT_LEN + 1, "0000-0000-%04u", (unsigned)i % 10000u);
}

/* The answer "n" of an opened row, however it was read; -1 when absent. */
static int
answer_n(const struct export_row *r)
{
	const struct payload_answer	*a;
	json_object			*n;
	size_t				 cursor = 0;

	if (r->payload != NULL)
		return (a = payload_get(r->payload, "n", &cursor)) != NULL && a->value != NULL ? atoi(a->value) : -1;
	if (r->answers != NULL && json_object_object_get_ex(r->answers, "n", &n))
		return json_object_get_int(n);
	return -1;
}

static int
test_row(void *arg, const struct export_row *r)
{
	struct seen	*s = arg;
	char		 want[DB_RECEIPT_LEN + 1];
	int		 i = s->rows++;
	int		 unopenable = s->unopenable_every > 0 && i % s->unopenable_every == 0;
	int		 opened = r->payload != NULL || r->answers != NULL;

	receipt_of(i, want);
	if (strcmp(r->receipt, want) != 0 || strcmp(r->status, "received") != 0 || r->received_at != 1000 + i)
		s->out_of_order++;
	if (!opened)
		s->empty++;
	if (unopenable == opened || (opened && answer_n(r) != i % NBOXES))
		s->wrong_value++;
	return i == s->fail_at ? -1 : 0;
}

static void
row_of(int i, const char *key_id, const struct buf *box, struct db_app_row *r)
{
	memset(r, 0, sizeof(*r));
	receipt_of(i, r->receipt);
	snprintf(r->status, sizeof(r->status), "received");
	snprintf(r->key_id, sizeof(r->key_id), "%s", key_id);
	r->received_at = 1000 + i;
	r->sealed = box->data;
	r->sealed_len = box->len;
}

/* The boxes: every other one sealed alone, the rest in one batch (seal.h), so rows of both formats alternate. */
static int
seal_payloads(void)
{
	struct seal_batch	b;
	struct buf		json;
	int			i, rc = 0;

	if (seal_init() == -1 || seal_keypair(pk, sk) == -1 || seal_batch_begin(&b, pk) == -1)
		return -1;
	for (i = 0; i < NBOXES && rc == 0; i++) {
		buf_init(&json);
		buf_init(&boxes[i]);
		/* A number is outside what payload.h reads: every other row goes through json-c. */
		buf_printf(&json, i % 2 ? "{\"v\":1,\"answers\":{\"n\":%d,\"name\":\"試験 花子\"}}" :
		    "{\"v\":1,\"answers\":{\"n\":\"%d\",\"name\":\"試験 花子\"}}", i);
		if (json.oom || (i % 2 ? seal_batch_box(&b, json.data, json.len, &boxes[i]) :
		    seal_box(pk, json.data, json.len, &boxes[i])) == -1)
			rc = -1;
		buf_wipe(&json);
	}
	seal_batch_end(&b);
	return rc;
}

static struct opener *
start_with(int threads, size_t slots, struct keys_seen *k, opener_row_fn row, void *arg)
{
	struct opener_conf c;

	memset(&c, 0, sizeof(c));
	c.threads = threads;
	c.slots = slots;
	c.key = test_key;
	c.key_arg = k;
	c.row = row;
	c.row_arg = arg;
	return opener_start(&c);
}

static struct opener *
start(int threads, size_t slots, struct keys_seen *k, struct seen *s)
{
	return start_with(threads, slots, k, test_row, s);
}

/* Pushes n rows (every n-th with an unknown key when unopenable_every); the number pushed before a refusal. */
static int
push_rows(struct opener *o, int n, int unopenable_every)
{
	struct db_app_row	r;
	int			i;

	for (i = 0; i < n; i++) {
		row_of(i, unopenable_every > 0 && i % unopenable_every == 0 ? "unknown" : "good",
		    &boxes[i % NBOXES], &r);
		if (opener_push(&r, o) == -1)
			break;
	}
	return i;
}

/* Threads of this process, from the kernel (a sanitizer may run one of its own). */
static int
thread_count(void)
{
	char	line[256];
	int	n = -1;
	FILE	*f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * Whether the process is back to n threads.  A joined thread may stay
 * counted a moment (the kernel wakes pthread_join() before it reaps the
 * thread), so ask again for up to two seconds.
 */
static int
threads_back_to(int n)
{
	int tries;

	for (tries = 0; tries < 2000; tries++) {
		if (thread_count() == n)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* Pushes n rows through an opener and finishes it; 0 when all went through and every worker was joined. */
static int
run_rows(int threads, size_t slots, int n, struct keys_seen *k, struct seen *s, int64_t *unopened)
{
	struct opener	*o = start(threads, slots, k, s);

	if (o == NULL)
		return -1;
	if (push_rows(o, n, s->unopenable_every) != n) {
		(void)opener_finish(o, unopened);
		return -1;
	}
	return opener_finish(o, unopened) == 0 && threads_back_to(baseline_threads) ? 0 : -1;
}

static void
many_rows_in_order(void)
{
	struct keys_seen	k = { 0 };
	struct seen		s = { 0, 0, 0, 0, -1, 7 };
	int64_t			unopened = -1;

	/* Unknown-key rows come back at once, the others take a seal_open: they finish out of order. */
	T_CHECK(run_rows(3, 16, 1000, &k, &s, &unopened) == 0);
	T_CHECK(s.rows == 1000);
	T_CHECK(s.out_of_order == 0);
	T_CHECK(s.wrong_value == 0);
	T_CHECK(unopened == (1000 + 6) / 7 && s.empty == unopened);
	T_CHECK(k.calls == 2);	/* once per key id, not per row */
}

static void
default_pool_more_rows_than_slots(void)
{
	struct keys_seen	k = { 0 };
	struct seen		s = { 0, 0, 0, 0, -1, 0 };
	int64_t			unopened = -1;

	T_CHECK(run_rows(0, 0, 700, &k, &s, &unopened) == 0);	/* 256 slots by default */
	T_CHECK(s.rows == 700 && s.out_of_order == 0 && s.wrong_value == 0 && unopened == 0);
}

static void
no_rows(void)
{
	struct keys_seen	k = { 0 };
	struct seen		s = { 0, 0, 0, 0, -1, 0 };
	int64_t			unopened = -1;

	T_CHECK(run_rows(2, 4, 0, &k, &s, &unopened) == 0);
	T_CHECK(s.rows == 0 && unopened == 0 && k.calls == 0);
}

static void
one_row(void)
{
	struct keys_seen	k = { 0 };
	struct seen		s = { 0, 0, 0, 0, -1, 0 };
	int64_t			unopened = -1;

	T_CHECK(run_rows(2, 4, 1, &k, &s, &unopened) == 0);
	T_CHECK(s.rows == 1 && s.out_of_order == 0 && s.wrong_value == 0 && unopened == 0);
}

/* Each case a row that must come back empty and counted, between two good rows. */
struct bad_row {
	const char	*why;
	const char	*json;		/* sealed as it is; NULL: use the box below */
	int		 damage;	/* 1: flip a byte of a good box, 2: cut it short */
};

static int
collect_empty(void *arg, const struct export_row *r)
{
	struct buf *order = arg;

	return buf_printf(order, "%c", r->answers == NULL && r->payload == NULL ? '-' : '+');
}

static void
unopenable_rows_counted(void)
{
	static const struct bad_row bad[] = {
		{ "not JSON", "answers: none", 0 },
		{ "no answers", "{\"v\":1}", 0 },
		{ "answers not an object", "{\"v\":1,\"answers\":[1,2]}", 0 },
		{ "truncated JSON", "{\"v\":1,\"answers\":{\"n\":1}", 0 },
		{ "box damaged", NULL, 1 },
		{ "box too short", NULL, 2 },
	};
	struct keys_seen	k = { 0 };
	struct opener		*o;
	struct db_app_row	r;
	struct buf		order, box;
	int64_t			unopened = -1;
	size_t			i;
	int			n = 0;

	buf_init(&order);
	T_CHECK((o = start_with(2, 3, &k, collect_empty, &order)) != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&box);
		if (bad[i].json != NULL)
			T_CHECK(seal_box(pk, bad[i].json, strlen(bad[i].json), &box) == 0);
		else
			T_CHECK(buf_put(&box, boxes[0].data, boxes[0].len) == 0);
		if (bad[i].damage == 1)
			box.data[box.len / 2] ^= 1;
		if (bad[i].damage == 2)
			box.len = crypto_box_SEALBYTES - 1;
		row_of(n++, "good", &boxes[i % 2], &r);	/* read by payload.h, or by json-c */
		T_CHECK(opener_push(&r, o) == 0);
		row_of(n++, "good", &box, &r);
		T_CHECK(opener_push(&r, o) == 0);
		buf_free(&box);
	}
	row_of(n++, "not-ours", &boxes[1], &r);	/* the key callback refuses it */
	T_CHECK(opener_push(&r, o) == 0);
	T_CHECK(opener_finish(o, &unopened) == 0);
	T_STREQ(buf_cstr(&order), "+-+-+-+-+-+--");
	T_CHECK(unopened == 7);
	buf_free(&order);
}

static void
write_failure_stops_and_joins(void)
{
	struct keys_seen	k = { 0 };
	struct seen		s = { 0, 0, 0, 0, 100, 0 };
	struct opener		*o = start(2, 8, &k, &s);
	struct db_app_row	r;
	int64_t			unopened = -1;
	int			pushed;

	T_CHECK(o != NULL);
	pushed = push_rows(o, 500, 0);
	T_CHECK(pushed > 100 && pushed < 500);	/* refused soon after the failure */
	row_of(pushed, "good", &boxes[0], &r);
	T_CHECK(opener_push(&r, o) == -1);	/* and from then on */
	T_CHECK(opener_finish(o, &unopened) == -1);
	T_CHECK(s.rows == 101);			/* nothing handed over after the failed row */
	T_CHECK(s.out_of_order == 0);
	T_CHECK(threads_back_to(baseline_threads));	/* every worker joined */
}

/* Whether the signal mask of thread tid (from the kernel) holds every signal a handler is set for. */
static int
task_blocks_signals(const char *tid)
{
	static const int must[] = { SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGUSR1, SIGALRM };
	char			path[300], line[256];
	unsigned long long	blocked = 0;
	size_t			i;
	int			ok = 1;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
			break;
	fclose(f);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		ok &= (int)((blocked >> (must[i] - 1)) & 1);
	return ok;
}

/* Every thread but the caller's blocks the signals; -1 when there is no other thread. */
static int
workers_block_signals(void)
{
	DIR		*d = opendir("/proc/self/task");
	struct dirent	*e;
	char		 self[32];
	int		 others = 0, ok = 1;

	if (d == NULL)
		return 0;
	snprintf(self, sizeof(self), "%d", (int)gettid());
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		others++;
		ok &= task_blocks_signals(e->d_name);
	}
	closedir(d);
	return others > 0 ? ok : -1;
}

static int
check_masks(void *arg, const struct export_row *r)
{
	*(int *)arg = workers_block_signals() == 1;
	return 0;
}

static void
threads_block_signals(void)
{
	struct keys_seen	k = { 0 };
	struct opener		*o;
	sigset_t		before, after;
	int64_t			unopened;
	int			ok = 0;

	T_CHECK(pthread_sigmask(SIG_SETMASK, NULL, &before) == 0);
	T_CHECK((o = start_with(2, 0, &k, check_masks, &ok)) != NULL);
	T_CHECK(pthread_sigmask(SIG_SETMASK, NULL, &after) == 0);
	T_CHECK(push_rows(o, 1, 0) == 1);
	T_CHECK(opener_finish(o, &unopened) == 0);
	T_CHECK(ok);
	/* the caller's own mask is left as it was */
	T_CHECK(sigismember(&before, SIGHUP) == sigismember(&after, SIGHUP));
	T_CHECK(sigismember(&before, SIGTERM) == sigismember(&after, SIGTERM));
}

/* The shared key of the boxes' batch, kept by the threads while they open its rows, is gone with the opener. */
static void
shared_keys_wiped(void)
{
	struct keys_seen	k = { 0 };
	struct seen		s = { 0, 0, 0, 0, -1, 0 };
	struct seal_cache	shared;
	struct buf		m;
	int64_t			unopened = -1;

	if (!T_MEM_CAN_SCAN)
		T_SKIP("the memory scan cannot run under a sanitizer or valgrind");
	memset(&shared, 0, sizeof(shared));
	buf_init(&m);
	T_CHECK(seal_open_cached(&shared, pk, sk, boxes[1].data, boxes[1].len, &m) == 0 && shared.have);
	buf_wipe(&m);
	T_CHECK(run_rows(2, 8, 40, &k, &s, &unopened) == 0 && s.wrong_value == 0 && unopened == 0);
	T_CHECK(t_in_memory(shared.shared, 16, shared.shared + 16, 16, 0) == 0);
	seal_cache_wipe(&shared);
}

/*
 * Markers, to be looked for in memory: one of JSON white space (" \t\r\n",
 * which no parser copies), so it stands only in the plaintext, and one of
 * letters, which payload.h keeps as an answer.  Each is made as two halves,
 * so the scan's own needle is never the whole marker.
 */
struct marker {
	char	head[24], rest[24];
};

static void
marker_make(int which, int white, struct marker *m)
{
	unsigned	x = 2654435761u * (unsigned)(which + 1);
	int		i;

	for (i = 0; i < 46; i++) {
		x = x * 1103515245u + 12345u;
		(i < 23 ? m->head : m->rest)[i % 23] = white ? " \t\r\n"[x >> 16 & 3] : (char)('A' + (x >> 16) % 26);
	}
	m->head[23] = m->rest[23] = '\0';
}

/* Whether the whole marker stands anywhere in the process's writable private memory. */
static int
in_memory(const struct marker *m)
{
	return t_in_memory(m->head, strlen(m->head), m->rest, strlen(m->rest), 1);
}

/*
 * Row k of the wipe test: a white-space marker between members, and for
 * the rows payload.h reads (even k) a letter marker as an answer.  The
 * markers sit after the first 32 bytes and before the last 64: libsodium
 * keeps its own short stack copies there, which are not this module's.
 */
static int
seal_marked(int k, struct buf *box)
{
	struct marker	w, v;
	struct buf	json;
	int		rc;

	marker_make(k, 1, &w);
	marker_make(k, 0, &v);
	buf_init(&json);
	buf_printf(&json, "{\"v\":1,\"procedure\":\"wipe-test\",%s%s\"answers\":{\"n\":", w.head, w.rest);
	if (k % 2 == 0)
		buf_printf(&json, "\"%d\",\"m\":\"%s", k, v.head), buf_printf(&json, "%s\"}", v.rest);
	else
		buf_printf(&json, "%d}", k);
	buf_printf(&json, ",\"pad\":\"%080d\"}", 0);
	rc = json.oom || seal_box(pk, json.data, json.len, box) == -1 ? -1 : 0;
	buf_wipe(&json);
	return rc;
}

/*
 * At the hand-over of row k: no white-space marker of rows up to k (the
 * plaintext is wiped once read), the letter marker of row k when payload.h
 * read it (what is being written), none of the rows before (wiped once
 * written).  Later rows may be being opened meanwhile: not looked at.
 */
static int
wipe_probe(void *arg, const struct export_row *r)
{
	int		*ok = arg, k = atoi(r->receipt + 10), j;
	struct marker	 m;

	for (j = 0; j <= k; j++) {
		marker_make(j, 1, &m);
		*ok &= in_memory(&m) == 0;
		marker_make(j, 0, &m);
		*ok &= in_memory(&m) == (j == k && k % 2 == 0);
	}
	return 0;
}

static void
plaintext_wiped(void)
{
	struct keys_seen	k = { 0 };
	struct opener		*o;
	struct db_app_row	r;
	struct buf		box[3];
	struct marker		m;
	int64_t			unopened;
	int			i, ok = 1;

	if (!T_MEM_CAN_SCAN)
		T_SKIP("the memory scan cannot run under a sanitizer or valgrind");
	for (i = 0; i < 3; i++) {
		buf_init(&box[i]);
		T_CHECK(seal_marked(i, &box[i]) == 0);
	}
	for (i = 0; i < 3; i++) {	/* none left by the test's own sealing */
		marker_make(i, 1, &m);
		T_CHECK(in_memory(&m) == 0);
	}
	T_CHECK((o = start_with(1, 0, &k, wipe_probe, &ok)) != NULL);
	for (i = 0; i < 3; i++) {
		row_of(i, "good", &box[i], &r);
		T_CHECK(opener_push(&r, o) == 0);
	}
	T_CHECK(opener_finish(o, &unopened) == 0 && unopened == 0);
	T_CHECK(ok);
	for (i = 0; i < 6; i++) {	/* and none after */
		marker_make(i / 2, i % 2, &m);
		T_CHECK(in_memory(&m) == 0);
	}
	for (i = 0; i < 3; i++)
		buf_free(&box[i]);
}

int
main(void)
{
	struct keys_seen	k = { 0 };
	struct seen		s = { 0, 0, 0, 0, -1, 0 };
	struct opener		*o;
	int64_t			unopened;
	int			i;

	/*
	 * One opener first: ThreadSanitizer starts a thread of its own with the
	 * first pthread_create().  The count of threads then settles once the
	 * opener's are reaped.
	 */
	if (seal_payloads() == -1 || (o = start(1, 1, &k, &s)) == NULL || opener_finish(o, &unopened) == -1) {
		printf("Bail out! cannot seal the test payloads or start an opener\n");
		return 1;
	}
	for (i = 0; i < 1000 && thread_count() != 1 + RUNS_A_SANITIZER_THREAD; i++)
		usleep(1000);
	baseline_threads = thread_count();
	T_RUN(many_rows_in_order);
	T_RUN(default_pool_more_rows_than_slots);
	T_RUN(no_rows);
	T_RUN(one_row);
	T_RUN(unopenable_rows_counted);
	T_RUN(write_failure_stops_and_joins);
	T_RUN(threads_block_signals);
	T_RUN(plaintext_wiped);
	T_RUN(shared_keys_wiped);
	for (i = 0; i < NBOXES; i++)
		buf_free(&boxes[i]);
	return T_DONE();
}
