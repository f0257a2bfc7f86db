/*
 * apply_health.c: GET /health for monitoring.  Without personal data: can
 * the database take a write (BEGIN IMMEDIATE with a short wait, then
 * ROLLBACK: the batching writer is held up a moment at most), does the
 * batching writer answer a ping, how many mails wait and since when, how
 * much disk is free under the database.  200 when all is well, 503 when
 * anything is not; text, one line per check.  nginx lets only
 * STAFF_NETWORKS reach it (it tells how the service is doing, and takes a
 * write lock).
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/statvfs.h>

#include "apply.h"
#include "writer.h"

#define WRITE_WAIT_MS	1000		/* the writer's own transactions last milliseconds */
#define PING_WAIT_MS	2000
#define MAIL_AGE_MAX	(60 * 60)	/* the oldest queued mail: an hour is a mailer or relay that is down */
#define DISK_FREE_MIN	(100ull * 1024 * 1024)
#define DISK_FREE_PERCENT 5

/* One line; bad marks the answer 503. */
static void
line(struct buf *out, int *bad, int ok, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
line(struct buf *out, int *bad, int ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		*bad = 1;
	buf_puts(out, ok ? "ok   " : "FAIL ");
	va_start(ap, fmt);
	buf_vprintf(out, fmt, ap);
	va_end(ap);
	buf_putc(out, '\n');
}

static void
check_database(struct ctx *c, struct buf *out, int *bad)
{
	int rc = db_write_probe(c->app->site.db, WRITE_WAIT_MS);

	line(out, bad, rc == 0, "database: %s", rc == 0 ? "writable" : rc == DB_BUSY ?
	    "busy: no write lock within 1 s" : "cannot take a write lock");
}

static void
check_mail(struct ctx *c, struct buf *out, int *bad)
{
	int64_t	pending = 0, failed = 0;
	time_t	oldest = 0, age;

	if (db_outbox_backlog(c->app->site.db, &pending, &oldest) == -1 ||
	    db_outbox_count(c->app->site.db, "failed", &failed) == -1) {
		line(out, bad, 0, "mail: the outbox cannot be read");
		return;
	}
	age = pending > 0 && c->g.w.now > oldest ? c->g.w.now - oldest : 0;
	line(out, bad, age <= MAIL_AGE_MAX, "mail: %lld queued, the oldest for %lld s (at most %d), %lld given up",
	    (long long)pending, (long long)age, MAIL_AGE_MAX, (long long)failed);
}

static void
check_disk(struct ctx *c, struct buf *out, int *bad)
{
	struct statvfs	sv;
	char		dir[1100];
	unsigned long long free, total;

	snprintf(dir, sizeof(dir), "%s/db", c->app->site.data_dir);
	if (statvfs(dir, &sv) == -1) {
		line(out, bad, 0, "disk: cannot be measured");
		return;
	}
	free = (unsigned long long)sv.f_bavail * sv.f_frsize;
	total = (unsigned long long)sv.f_blocks * sv.f_frsize;
	line(out, bad, free >= DISK_FREE_MIN && free * 100 >= total * DISK_FREE_PERCENT,
	    "disk: %llu MiB free of %llu MiB under the database (at least %llu MiB and %d%%)", free >> 20,
	    total >> 20, DISK_FREE_MIN >> 20, DISK_FREE_PERCENT);
}

void
page_health(void *arg)
{
	struct ctx	*c = arg;
	struct buf	*out = &c->g.w.req.out;
	int		 bad = 0, alive;

	buf_reset(out);
	check_database(c, out, &bad);
	alive = writer_ping(c->app->writer_path, PING_WAIT_MS) == 0;
	line(out, &bad, alive, "writer: %s", alive ? "answers" : "no answer");
	check_mail(c, out, &bad);
	check_disk(c, out, &bad);
	buf_puts(out, bad ? "status: FAIL\n" : "status: ok\n");
	c->g.w.req.status = bad ? 503 : 200;
	if (out->oom)
		system_error(c);
	else {
		(void)http_send(&c->g.w.req, "text/plain; charset=utf-8");
		c->g.w.req.streamed = 1;	/* sent: the gate must not send it again */
	}
}
