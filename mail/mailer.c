/*
 * mailer: sends the residents' mails queued in the outbox (lib/mail.h,
 * db.h), with libcurl over SMTP.  It alone holds the key that opens them
 * (DATA_DIR/keys/mailer.sk).
 *
 * Every few seconds it takes the mails that are due, opens each (a mail's
 * clear text gets its address from the application's contact envelope;
 * a mail queued before envelopes is sealed whole), writes the message and
 * hands it to the relay.  Delivered: the row is deleted and a
 * record without personal data kept (mail_log).  Failed: tried again after
 * a growing pause; after --max-tries it is marked failed, which the
 * section's staff see.  When the relay itself fails (no answer, closing,
 * refusing our login) rather than one mail, the pass stops there: the
 * other due mails wait for the next poll instead of each failing in turn,
 * a write and an fsync apiece beside the residents' submits.  Nothing is
 * deleted that was not delivered, so the mailer can be stopped and started
 * at any time; a mail the relay took just before a crash may be sent
 * twice, with the same Message-ID.
 *
 * Environment: SMTP_URL (smtp://host:port, smtps://user:pass@host, ...;
 * credentials stay out of the process list), SMTP_STARTTLS=1 to require
 * STARTTLS on smtp://, SMTP_CAFILE for a relay whose certificate the
 * system's CA store does not vouch for.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "datadir.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "seal.h"

#define BATCH		20
#define BACKOFF_MAX	(60 * 60)

struct config {
	const char	*data_dir;
	const char	*smtp_url;
	const char	*cafile;
	const char	*from;
	char		 from_addr[MAIL_ADDR_MAX + 3];	/* "<addr>" for the envelope */
	const char	*domain;			/* for Message-IDs */
	int		 starttls;
	int		 max_tries;
	int		 backoff;			/* seconds before the first retry */
	int		 poll;
	unsigned char	 pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
};

/* One due mail, copied out of the database so nothing is read while sending. */
struct job {
	int64_t		id;
	char		kind[16];
	char		receipt[DB_RECEIPT_LEN + 1];
	int		attempts;
	time_t		created_at;
	int		has_text;	/* text, to the receipt's envelope; else sealed */
	struct buf	text;
	struct buf	sealed;
	int		staff;		/* from staff_mail (the auditors' digest), not the outbox */
};

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

struct reader {
	const char	*p;
	size_t		 left;
};

static size_t
read_message(char *dst, size_t size, size_t n, void *arg)
{
	struct reader	*r = arg;
	size_t		 len = size * n < r->left ? size * n : r->left;

	memcpy(dst, r->p, len);
	r->p += len;
	r->left -= len;
	return len;
}

enum sent {
	SENT,
	REFUSED,	/* the relay refused this mail */
	RELAY_FAILED	/* no relay to talk to: every due mail would fail alike */
};

/*
 * Whether a failure is the relay's rather than the mail's: no SMTP reply
 * at all or none refusing anything (connection, TLS, a dropped line), the
 * service closing (421), or our login refused or required (RFC 4954: 454,
 * 530, 535).
 */
static int
relay_failed(CURLcode res, long code)
{
	return code < 400 || code == 421 || code == 454 || code == 530 || code == 535 ||
	    res == CURLE_LOGIN_DENIED;
}

/* Hand one message to the relay; on failure, why (no personal data: curl's own words and the SMTP code). */
static enum sent
smtp_send(const struct config *cfg, const char *to, const struct buf *msg, char *why, size_t whylen)
{
	CURL			*c = curl_easy_init();
	struct curl_slist	*rcpt = NULL;
	struct reader		 r = { msg->data, msg->len };
	char			 addr[MAIL_ADDR_MAX + 3];
	long			 code = 0;
	CURLcode		 res = CURLE_FAILED_INIT;

	snprintf(addr, sizeof(addr), "<%s>", to);
	if (c != NULL && (rcpt = curl_slist_append(NULL, addr)) != NULL) {
		curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, cfg->from_addr);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
		curl_easy_setopt(c, CURLOPT_READDATA, &r);
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		if (cfg->starttls)
			curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		if (cfg->cafile != NULL)
			curl_easy_setopt(c, CURLOPT_CAINFO, cfg->cafile);
		res = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	}
	if (res != CURLE_OK)
		snprintf(why, whylen, "curl %d: %s (SMTP %ld)", (int)res, curl_easy_strerror(res), code);
	curl_slist_free_all(rcpt);
	if (c != NULL)
		curl_easy_cleanup(c);
	seal_wipe(addr, sizeof(addr));
	if (res == CURLE_OK)
		return SENT;
	return relay_failed(res, code) ? RELAY_FAILED : REFUSED;
}

static int
collect(const struct db_mail *m, void *arg)
{
	struct job	*jobs = arg, *j;
	size_t		 i;

	for (i = 0; i < BATCH && jobs[i].id != 0; i++)
		;
	if (i == BATCH)
		return 1;
	j = &jobs[i];
	j->staff = *m->receipt == '\0';	/* staff mail has no application */
	j->id = m->id;
	snprintf(j->kind, sizeof(j->kind), "%s", m->kind);
	snprintf(j->receipt, sizeof(j->receipt), "%s", m->receipt);
	j->attempts = m->attempts;
	j->created_at = m->created_at;
	j->has_text = m->text != NULL;
	buf_init(&j->text);
	buf_init(&j->sealed);
	return j->has_text ? buf_puts(&j->text, m->text) : buf_put(&j->sealed, m->sealed, m->sealed_len);
}

/*
 * The whole mail (mail.h) of a job, into plain: a text with the address
 * from the receipt's envelope, or the sealed mail opened.  -1 when it
 * cannot be had (an envelope gone with its application, a box that does
 * not open): it never will.
 */
static int
open_job(const struct config *cfg, struct db *db, const struct job *j, struct buf *plain)
{
	struct buf	envelope, contact;
	int		rc = -1;

	if (!j->has_text)
		return seal_open(cfg->pk, cfg->sk, j->sealed.data, j->sealed.len, plain);
	buf_init(&envelope);
	buf_init(&contact);
	if (db_envelope_get(db, j->receipt, &envelope) == 0 &&
	    seal_open(cfg->pk, cfg->sk, envelope.data, envelope.len, &contact) == 0)
		rc = mail_fill(j->text.data, j->text.len, contact.data, contact.len, plain);
	buf_free(&envelope);
	buf_wipe(&contact);
	return rc;
}

static time_t
retry_at(const struct config *cfg, int attempts, time_t now)
{
	long long delay = cfg->backoff;
	int i;

	for (i = 1; i < attempts && delay < BACKOFF_MAX; i++)
		delay *= 2;
	return now + (delay < BACKOFF_MAX ? delay : BACKOFF_MAX);
}

/* Open, write and send one mail, then record the outcome.  0, or -1 when the relay failed (not this mail). */
static int
deliver(struct config *cfg, struct db *db, struct job *j)
{
	struct buf		plain, msg;
	struct mail_envelope	env;
	char			msgid[128], why[160];
	time_t			now = time(NULL);
	int			tries = j->attempts + 1, last, ret = 0;
	enum sent		sent;

	buf_init(&plain);
	buf_init(&msg);
	memset(&env, 0, sizeof(env));
	snprintf(msgid, sizeof(msgid), "%s-%lld.%lld@%s", j->staff ? "staff" : "outbox", (long long)j->id,
	    (long long)j->created_at, cfg->domain);
	if (open_job(cfg, db, j, &plain) == -1 ||
	    mail_message(plain.data, plain.len, cfg->from, msgid, now, &msg, &env) == -1) {
		/* It will never open: give up at once, visibly. */
		snprintf(why, sizeof(why), "cannot open or format the queued mail");
		tries = cfg->max_tries;
	} else if ((sent = smtp_send(cfg, env.to, &msg, why, sizeof(why))) == SENT) {
		if ((j->staff ? db_staff_mail_delivered : db_outbox_delivered)(db, j->id, now) == -1)
			log_msg(LOG_ERR, "mail %lld sent but not recorded; it may be sent again", (long long)j->id);
		else
			log_msg(LOG_INFO, "mail %lld (%s) delivered after %d tries", (long long)j->id, j->kind, tries);
		goto done;
	} else if (sent == RELAY_FAILED)
		ret = -1;
	last = tries >= cfg->max_tries;
	if ((j->staff ? db_staff_mail_retry : db_outbox_retry)(db, j->id, retry_at(cfg, tries, now), why, last) == -1)
		log_msg(LOG_ERR, "mail %lld: cannot record the failure", (long long)j->id);
	log_msg(last ? LOG_ERR : LOG_WARNING, "mail %lld (%s) try %d failed: %s%s", (long long)j->id, j->kind,
	    tries, why, last ? "; marked failed for the section's staff" : "");
done:
	seal_wipe(&env, sizeof(env));
	buf_wipe(&plain);
	buf_wipe(&msg);
	return ret;
}

static int
run(struct config *cfg, struct db *db)
{
	struct job	jobs[BATCH];
	size_t		i, left;
	int		slept, relay_down;

	while (!stop) {
		memset(jobs, 0, sizeof(jobs));
		/* Residents' mails first; staff mail (a daily digest) takes the places left. */
		if (db_outbox_due(db, time(NULL), BATCH, collect, jobs) == -1 ||
		    db_staff_mail_due(db, time(NULL), BATCH, collect, jobs) == -1)
			log_msg(LOG_ERR, "cannot read the outbox");
		relay_down = 0;
		for (i = 0, left = 0; i < BATCH && jobs[i].id != 0; i++) {
			if (stop || relay_down)
				left++;
			else if (deliver(cfg, db, &jobs[i]) == -1)
				relay_down = 1;
			buf_free(&jobs[i].sealed);
			buf_free(&jobs[i].text);
		}
		if (relay_down)
			log_msg(LOG_WARNING, "the relay failed; %zu%s other due mails wait for the next try",
			    left, i == BATCH ? " or more" : "");
		else if (i == BATCH)
			continue;	/* more may be due at once */
		for (slept = 0; slept < cfg->poll * 10 && !stop; slept++)
			usleep(100000);
	}
	return 0;
}

/* One mailer per data directory: two would send the same mails. */
static int
lock_instance(const char *data_dir)
{
	char	path[1024];
	int	fd;

	/* In db/, which the service's programs may write; run/ is the starting script's. */
	snprintf(path, sizeof(path), "%s/db/mailer.lock", data_dir);
	if ((fd = open(path, O_RDWR | O_CREAT, 0600)) == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_msg(LOG_ERR, "another mailer is running for %s (or %s cannot be made)", data_dir, path);
		return -1;
	}
	return fd;	/* held until exit */
}

static int
configure(struct config *cfg)
{
	const char	*lt, *at;

	cfg->smtp_url = getenv("SMTP_URL");
	cfg->starttls = getenv("SMTP_STARTTLS") != NULL && strcmp(getenv("SMTP_STARTTLS"), "1") == 0;
	cfg->cafile = getenv("SMTP_CAFILE") != NULL && *getenv("SMTP_CAFILE") != '\0' ? getenv("SMTP_CAFILE") : NULL;
	if (cfg->smtp_url == NULL || *cfg->smtp_url == '\0') {
		log_msg(LOG_ERR, "SMTP_URL is not set (e.g. smtp://127.0.0.1:25)");
		return -1;
	}
	/* It goes into the envelope and the From: and Message-ID headers: refused now rather than per mail. */
	if (!mail_from_ok(cfg->from)) {
		log_msg(LOG_ERR, "--from must be an address or \"Name <address>\": a plain address (letters, digits"
		    " and !#$%%&'*+-/=?^_`{|}~ before the @, no \"=?\"; a domain with a dot), no control"
		    " characters in the name, nothing after the \">\"");
		return -1;
	}
	lt = strchr(cfg->from, '<');
	snprintf(cfg->from_addr, sizeof(cfg->from_addr), "%s%s%s", lt ? "" : "<", lt ? lt : cfg->from,
	    lt ? "" : ">");
	at = strrchr(cfg->from_addr, '@');
	cfg->domain = strdup(at + 1);
	if (cfg->domain == NULL)
		return -1;
	((char *)cfg->domain)[strcspn(cfg->domain, ">")] = '\0';
	return seal_key_load(cfg->data_dir, "keys/mailer.sk", cfg->sk) == 0 &&
	    seal_public_load(cfg->data_dir, "keys/mailer.pk", cfg->pk) == 0 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: SMTP_URL=smtp://host:port mailer --data DIR [--from \"Name <addr>\"]"
	    " [--max-tries N] [--backoff SECONDS] [--poll SECONDS]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ "max-tries", required_argument, NULL, 'm' },
		{ "backoff", required_argument, NULL, 'b' },
		{ "poll", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	 cfg;
	struct db	*db;
	struct sigaction sa;
	char		 path[1024];
	int		 ch, rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.from = "新宿区 電子申請 <no-reply@shinsei.localhost>";
	cfg.max_tries = 8;
	cfg.backoff = 60;
	cfg.poll = 2;
	log_init("mailer");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': cfg.data_dir = optarg; break;
		case 'f': cfg.from = optarg; break;
		case 'm': cfg.max_tries = atoi(optarg); break;
		case 'b': cfg.backoff = atoi(optarg); break;
		case 'p': cfg.poll = atoi(optarg); break;
		default: usage();
		}
	}
	if (cfg.data_dir == NULL || cfg.max_tries < 1 || cfg.backoff < 1 || cfg.poll < 1)
		usage();
	if (seal_init() == -1 || datadir_check(cfg.data_dir) == -1 || configure(&cfg) == -1 ||
	    lock_instance(cfg.data_dir) == -1 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "%s/db/platform.sqlite", cfg.data_dir);
	if (db_open(path, &db) == -1)
		return 1;
	log_msg(LOG_INFO, "sending through the relay in SMTP_URL; %d tries at most", cfg.max_tries);
	rc = run(&cfg, db);
	db_close(db);
	curl_global_cleanup();
	seal_wipe(cfg.sk, sizeof(cfg.sk));
	log_msg(LOG_INFO, "stopped");
	return rc;
}
