#include "opener.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#define DEFAULT_SLOTS	256
#define MAX_THREADS	64
#define MAX_KEYS	32	/* key ids met in one export: a section's keys, rotations are rare */
/*
 * Rows go to the workers 8 at a time, and come back at least 64 at a time
 * when the ring is full: each lock, wait and wake-up costs more than a row's
 * CSV.
 */
#define PUBLISH_BATCH	8
#define HANDOVER_BATCH	64

struct opener_key {
	char		key_id[SEAL_KEYID_LEN + 1];
	unsigned char	pk[SEAL_PK_LEN];
	unsigned char	sk[SEAL_SK_LEN];
	int		usable;		/* the caller's look-up succeeded */
};

/*
 * One row in flight.  The caller's thread fills it (filled) and publishes
 * it (head, under the lock); one worker claims it (next), opens it and
 * marks it done; the caller's thread hands it over and empties it.  Only
 * `done` is read by both sides, under the lock.
 */
struct slot {
	char				 receipt[DB_RECEIPT_LEN + 1];
	char				 status[16];
	long				 number;
	char				 lang[LANG_TAG_MAX + 1];
	char				 channel[16];
	char				 participant[DB_PARTICIPANT_LEN + 1];
	time_t				 received_at;
	const struct opener_key		*key;		/* NULL: no usable key */
	struct buf			 sealed;
	struct payload			 payload;	/* the answers when payload.h read them (read set) */
	int				 read;
	json_object			*root;		/* else as json-c parsed them, or NULL; see open_row() */
	json_object			*answers;	/* inside root */
	int				 done;
};

struct worker {
	struct opener		*o;
	pthread_t		 thread;
	json_tokener		*tok;
	struct buf		 plain;
	struct seal_cache	 cache;	/* the last batch's shared key: rows of a batch come together */
};

struct opener {
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* workers: a row was pushed, or stop */
	pthread_cond_t		 opened;	/* the caller: the row it waits for is done */
	struct slot		*slots;
	size_t			 nslots;
	uint64_t		 filled;	/* rows copied in; the caller's thread only */
	uint64_t		 head;		/* rows published: written by the caller's thread under the lock */
	uint64_t		 next;		/* the next row a worker claims */
	uint64_t		 tail;		/* rows handed over; the caller's thread only */
	uint64_t		 want;		/* the row the caller waits for, when waiting */
	int			 waiting;
	int			 idle;		/* workers waiting for work */
	int			 stop;
	struct worker		*workers;
	int			 nworkers;	/* started, so to be joined */
	struct opener_key	 keys[MAX_KEYS];
	size_t			 nkeys;
	struct opener_conf	 conf;
	int64_t			 unopened;
	int			 failed;
};

static void
open_row(struct worker *w, struct slot *s)
{
	const struct opener_key *k = s->key;

	/*
	 * The row handed over from this slot a ring ago is freed here, not on
	 * the caller's thread: allocations stay with the thread that made them.
	 */
	json_object_put(s->root);
	s->root = NULL;
	s->answers = NULL;
	s->read = 0;
	if (k != NULL &&
	    seal_open_cached(&w->cache, k->pk, k->sk, s->sealed.data, s->sealed.len, &w->plain) == 0) {
		if (payload_read(&s->payload, buf_cstr(&w->plain)) == 0)
			s->read = 1;
		else
			s->answers = payload_json(w->tok, buf_cstr(&w->plain), &s->root);
	}
	buf_reset(&w->plain);	/* wipes: what was read from it is all that is kept */
}

static void *
work(void *arg)
{
	struct worker	*w = arg;
	struct opener	*o = w->o;
	struct slot	*s;
	uint64_t	 seq;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		while (!o->stop && o->next == o->head) {
			o->idle++;
			pthread_cond_wait(&o->work, &o->lock);
			o->idle--;
		}
		if (o->stop)
			break;
		seq = o->next++;
		s = &o->slots[seq % o->nslots];
		pthread_mutex_unlock(&o->lock);
		open_row(w, s);
		pthread_mutex_lock(&o->lock);
		s->done = 1;
		if (o->waiting && o->want == seq)
			pthread_cond_signal(&o->opened);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* The key pair of key_id, looked up through the caller once per export; NULL when unusable. */
static const struct opener_key *
key_for(struct opener *o, const char *key_id)
{
	struct opener_key	*k;
	size_t			 i;

	for (i = 0; i < o->nkeys; i++)
		if (strcmp(o->keys[i].key_id, key_id) == 0)
			return o->keys[i].usable ? &o->keys[i] : NULL;
	if (o->nkeys == MAX_KEYS)
		return NULL;
	k = &o->keys[o->nkeys++];
	memcpy(k->key_id, key_id, sizeof(k->key_id) - 1);
	k->key_id[sizeof(k->key_id) - 1] = '\0';
	k->usable = o->conf.key(o->conf.key_arg, k->key_id, k->pk, k->sk) == 0;
	if (!k->usable)
		seal_wipe(k->sk, sizeof(k->sk));
	return k->usable ? k : NULL;
}

static int
hand_over(struct opener *o, struct slot *s)
{
	struct export_row	row;
	int			rc;

	memset(&row, 0, sizeof(row));
	row.receipt = s->receipt;
	row.received_at = s->received_at;
	row.status = s->status;
	row.number = s->number;
	row.lang = s->lang;
	row.channel = s->channel;
	row.participant = s->participant;
	row.payload = s->read ? &s->payload : NULL;
	row.answers = s->answers;
	if (row.payload == NULL && row.answers == NULL)
		o->unopened++;
	rc = o->conf.row(o->conf.row_arg, &row);
	payload_clear(&s->payload);	/* wipes the answers written */
	s->read = 0;
	s->answers = NULL;
	s->done = 0;	/* published again only through head, under the lock */
	return rc == 0 ? 0 : -1;
}

/* Under the lock: waits until row seq is opened. */
static void
wait_opened(struct opener *o, uint64_t seq)
{
	while (!o->slots[seq % o->nslots].done) {
		o->want = seq;
		o->waiting = 1;
		pthread_cond_wait(&o->opened, &o->lock);
		o->waiting = 0;
	}
}

/*
 * Hands over up to max rows from the tail.  It waits for the last of them
 * first, so that the caller's thread sleeps and wakes once per batch, not
 * once per row.
 */
static int
hand_over_some(struct opener *o, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&o->lock);
	wait_opened(o, o->head - o->tail > max ? o->tail + max - 1 : o->head - 1);
	wait_opened(o, o->tail);
	while (n < max && o->tail + n < o->head && o->slots[(o->tail + n) % o->nslots].done)
		n++;
	pthread_mutex_unlock(&o->lock);
	for (; n > 0; n--, o->tail++)
		if (hand_over(o, &o->slots[o->tail % o->nslots]) == -1) {
			o->tail++;
			o->failed = 1;
			return -1;
		}
	return 0;
}

/* Lets the workers at the rows copied in. */
static void
publish(struct opener *o)
{
	pthread_mutex_lock(&o->lock);
	o->head = o->filled;
	if (o->idle > 0)
		pthread_cond_broadcast(&o->work);
	pthread_mutex_unlock(&o->lock);
}

int
opener_push(const struct db_app_row *r, void *arg)
{
	struct opener	*o = arg;
	struct slot	*s;

	if (o->failed)
		return -1;
	if (o->filled - o->tail == o->nslots) {
		if (o->head != o->filled)
			publish(o);
		if (hand_over_some(o, HANDOVER_BATCH) == -1)
			return -1;
	}
	s = &o->slots[o->filled % o->nslots];
	memcpy(s->receipt, r->receipt, sizeof(s->receipt));
	memcpy(s->status, r->status, sizeof(s->status));
	s->number = r->number;
	memcpy(s->lang, r->lang, sizeof(s->lang));
	memcpy(s->channel, r->channel, sizeof(s->channel));
	memcpy(s->participant, r->participant, sizeof(s->participant));
	s->received_at = r->received_at;
	s->key = key_for(o, r->key_id);
	buf_reset(&s->sealed);
	if (buf_put(&s->sealed, r->sealed, r->sealed_len) == -1) {
		o->failed = 1;
		return -1;
	}
	if (++o->filled - o->head >= PUBLISH_BATCH)
		publish(o);
	return 0;
}

/* Joins the workers started, then wipes and frees everything. */
static void
destroy(struct opener *o)
{
	size_t	i;
	int	j;

	pthread_mutex_lock(&o->lock);
	o->stop = 1;
	pthread_cond_broadcast(&o->work);
	pthread_mutex_unlock(&o->lock);
	for (j = 0; j < o->nworkers; j++)
		pthread_join(o->workers[j].thread, NULL);
	for (j = 0; o->workers != NULL && j < o->conf.threads; j++) {
		if (o->workers[j].tok != NULL)
			json_tokener_free(o->workers[j].tok);
		buf_wipe(&o->workers[j].plain);
		seal_cache_wipe(&o->workers[j].cache);
	}
	for (i = 0; o->slots != NULL && i < o->nslots; i++) {
		json_object_put(o->slots[i].root);
		payload_free(&o->slots[i].payload);
		buf_wipe(&o->slots[i].sealed);
	}
	seal_wipe(o->keys, sizeof(o->keys));
	pthread_cond_destroy(&o->opened);
	pthread_cond_destroy(&o->work);
	pthread_mutex_destroy(&o->lock);
	free(o->workers);
	free(o->slots);
	free(o);
}

/*
 * The threads start with every signal blocked: a worker must never run a
 * handler (a prefork worker lets signals in only in epoll_pwait(), and a
 * handler's flags are for the thread that waits there).
 */
static int
start_workers(struct opener *o)
{
	sigset_t	all, old;
	int		i, rc = 0;

	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return -1;
	for (i = 0; i < o->conf.threads; i++) {
		o->workers[i].o = o;
		if ((o->workers[i].tok = json_tokener_new()) == NULL ||
		    pthread_create(&o->workers[i].thread, NULL, work, &o->workers[i]) != 0) {
			rc = -1;
			break;
		}
		o->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/*
 * json-c seeds its key hash on first use, and not atomically in every
 * build: seed it here, on one thread, before any worker parses.
 */
static int
seed_json_hash(void)
{
	json_object *o = json_object_new_object();

	if (o == NULL || json_object_object_add(o, "seed", NULL) != 0) {
		json_object_put(o);
		return -1;
	}
	json_object_put(o);
	return 0;
}

static void
init_slots(struct opener *o)
{
	size_t i;

	for (i = 0; i < o->nslots; i++) {
		buf_init(&o->slots[i].sealed);
		payload_init(&o->slots[i].payload);
	}
}

static int
init_sync(struct opener *o)
{
	if (pthread_mutex_init(&o->lock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&o->work, NULL) != 0)
		goto lock;
	if (pthread_cond_init(&o->opened, NULL) != 0)
		goto work;
	return 0;
work:
	pthread_cond_destroy(&o->work);
lock:
	pthread_mutex_destroy(&o->lock);
	return -1;
}

struct opener *
opener_start(const struct opener_conf *conf)
{
	struct opener *o;

	if (conf->key == NULL || conf->row == NULL || conf->threads < 0 || conf->threads > MAX_THREADS ||
	    seed_json_hash() == -1 || (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->conf = *conf;
	if (o->conf.threads == 0)
		o->conf.threads = default_threads();
	o->nslots = conf->slots != 0 ? conf->slots : DEFAULT_SLOTS;
	if (init_sync(o) == -1) {
		free(o);
		return NULL;
	}
	if ((o->slots = calloc(o->nslots, sizeof(*o->slots))) == NULL ||
	    (o->workers = calloc((size_t)o->conf.threads, sizeof(*o->workers))) == NULL) {
		destroy(o);
		return NULL;
	}
	init_slots(o);
	if (start_workers(o) == -1) {
		destroy(o);
		return NULL;
	}
	return o;
}

int
opener_finish(struct opener *o, int64_t *unopened)
{
	int rc;

	if (!o->failed && o->head != o->filled)
		publish(o);
	while (!o->failed && o->tail < o->head)
		if (hand_over_some(o, SIZE_MAX) == -1)
			break;
	rc = o->failed ? -1 : 0;
	*unopened = o->unopened;
	destroy(o);
	return rc;
}

int
opener_export(struct db *db, const struct db_app_filter *f, const struct opener_conf *conf, int64_t *unopened)
{
	struct opener	*o;
	int		 rc;

	*unopened = 0;
	if ((o = opener_start(conf)) == NULL)
		return -1;
	rc = db_app_list(db, f, opener_push, o);
	if (opener_finish(o, unopened) == -1)
		rc = -1;
	return rc;
}
