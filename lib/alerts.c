#include "alerts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jnorm.h"
#include "jst.h"

#define EXPORT_ROWS	100
#define VIEWS		30
#define VIEWS_WINDOW	(10 * 60)
#define FAILURES	5
#define FAILURES_WINDOW	(15 * 60)
#define BURST_MAX	1000	/* a threshold larger than this would need more memory than it is worth */

void
alerts_defaults(struct alerts_conf *c)
{
	c->export_rows = EXPORT_ROWS;
	c->office_start = 8 * 60 + 30;
	c->office_end = 18 * 60;
	c->views = VIEWS;
	c->views_window = VIEWS_WINDOW;
	c->failures = FAILURES;
	c->failures_window = FAILURES_WINDOW;
}

int
alerts_office_hours(struct alerts_conf *c, const char *spec)
{
	int h1, m1, h2, m2, n = 0;

	if (sscanf(spec, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 || spec[n] != '\0' || h1 > 23 ||
	    h2 > 24 || m1 > 59 || m2 > 59 || h1 < 0 || m1 < 0 || h2 < 0 || m2 < 0 || h1 * 60 + m1 >= h2 * 60 + m2)
		return -1;
	c->office_start = h1 * 60 + m1;
	c->office_end = h2 * 60 + m2;
	return 0;
}

/* Events of one key (a person, an address) in a sliding window, reported once per burst. */
struct burst {
	char	 key[96];
	time_t	*times;		/* the last `threshold` event times, a ring */
	int	 n, head;
	time_t	 quiet_until;	/* reported: silent until the window has passed without a new event */
};

struct bursts {
	struct burst	*b;
	size_t		 n, cap;
	int		 threshold, window;
};

/* Count one event of key at t: 1 when this one makes the burst (report it), 0 when not, -1 on error. */
static int
burst_hit(struct bursts *bs, const char *key, time_t t)
{
	struct burst	*b = NULL, *nb;
	size_t		 i;

	for (i = 0; i < bs->n && b == NULL; i++)
		if (strcmp(bs->b[i].key, key) == 0)
			b = &bs->b[i];
	if (b == NULL) {
		if ((nb = buf_grow_array(bs->b, bs->n, &bs->cap, sizeof(*nb), 8)) == NULL)
			return -1;
		bs->b = nb;
		b = &bs->b[bs->n++];
		memset(b, 0, sizeof(*b));
		snprintf(b->key, sizeof(b->key), "%s", key);
		if ((b->times = calloc((size_t)bs->threshold, sizeof(*b->times))) == NULL) {
			bs->n--;
			return -1;
		}
	}
	if (t < b->quiet_until) {
		b->quiet_until = t + bs->window;	/* still the same burst */
		return 0;
	}
	b->times[b->head] = t;
	b->head = (b->head + 1) % bs->threshold;
	if (b->n < bs->threshold)
		b->n++;
	/* The oldest of the last `threshold` events is at head: all of them within the window? */
	if (b->n < bs->threshold || t - b->times[b->head] >= bs->window)
		return 0;
	b->quiet_until = t + bs->window;
	b->n = 0;
	return 1;
}

static void
bursts_free(struct bursts *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++)
		free(bs->b[i].times);
	free(bs->b);
}

struct scan {
	const struct alerts_conf *c;
	int			(*fn)(const struct alert *, void *);
	void			*arg;
	struct bursts		 views, failed_login, failed_addr;
};

static int
emit(struct scan *s, const char *kind, const struct db_audit *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
emit(struct scan *s, const char *kind, const struct db_audit *e, const char *fmt, ...)
{
	struct alert	a;
	char		detail[256];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	a.kind = kind;
	a.at = e->at;
	a.actor = e->actor;
	a.target = e->target;
	a.detail = detail;
	return s->fn(&a, s->arg);
}

/* The value of the detail's "rows=" word (audit.c writes exports' details so). */
static long
rows_of(const char *detail)
{
	const char *p;

	for (p = detail; (p = strstr(p, "rows=")) != NULL; p += 5)
		if (p == detail || p[-1] == ' ')
			return strtol(p + 5, NULL, 10);
	return 0;
}

static int
office_hours(const struct alerts_conf *c, time_t t)
{
	struct jn_date	d = jst_date(t);
	long		minute = (long)(((t + 9 * 3600) % 86400 + 86400) % 86400) / 60;
	int		wday = jn_weekday(d);

	return wday >= 1 && wday <= 5 && minute >= c->office_start && minute < c->office_end;
}

static int
export_alerts(struct scan *s, const struct db_audit *e)
{
	long	rows = rows_of(e->detail);
	int	rc = 0;

	if (rows > s->c->export_rows)
		rc = emit(s, "export_large", e, "%ld rows (more than %ld)", rows, s->c->export_rows);
	if (rc == 0 && !office_hours(s->c, e->at))
		rc = emit(s, "export_off_hours", e, "outside %02d:%02d-%02d:%02d on weekdays (JST)",
		    s->c->office_start / 60, s->c->office_start % 60, s->c->office_end / 60, s->c->office_end % 60);
	return rc;
}

static int
failure_alerts(struct scan *s, const struct db_audit *e)
{
	int r;

	if ((r = burst_hit(&s->failed_login, e->actor, e->at)) != 0 &&
	    (r == -1 || emit(s, "login_failures", e, "%d failed logins for this account within %d s",
	    s->c->failures, s->c->failures_window) != 0))
		return -1;
	if (*e->addr != '\0' && (r = burst_hit(&s->failed_addr, e->addr, e->at)) != 0 &&
	    (r == -1 || emit(s, "login_failures", e, "%d failed logins from %s within %d s", s->c->failures,
	    e->addr, s->c->failures_window) != 0))
		return -1;
	return 0;
}

static int
is_key_operation(const char *action)
{
	static const char *const ops[] = {
		"grant", "revoke", "rotate", "key_retire", "staff_add", "staff_reset", "staff_enable", "section_add",
		"restore",
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i], action) == 0)
			return 1;
	return 0;
}

static int
scan_one(const struct db_audit *e, void *arg)
{
	struct scan	*s = arg;
	int		 r;

	if (strcmp(e->action, "export") == 0)
		return export_alerts(s, e);
	if (strcmp(e->action, "login_failed") == 0)
		return failure_alerts(s, e);
	if (strcmp(e->action, "view") == 0) {
		if ((r = burst_hit(&s->views, e->actor, e->at)) != 1)
			return r;
		return emit(s, "views_burst", e, "%d applications opened within %d s", s->c->views,
		    s->c->views_window);
	}
	if (strcmp(e->action, "denied") == 0)
		return emit(s, "denied", e, "%s", e->detail);
	if (is_key_operation(e->action))
		return emit(s, "key_operation", e, "%s %s", e->action, e->detail);
	return 0;
}

int
alerts_scan(struct db *db, const struct alerts_conf *c, time_t from, time_t to,
    int (*fn)(const struct alert *, void *), void *arg)
{
	struct scan	s;
	int		rc;

	if (c->views < 1 || c->views > BURST_MAX || c->failures < 1 || c->failures > BURST_MAX)
		return -1;
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.fn = fn;
	s.arg = arg;
	s.views.threshold = c->views;
	s.views.window = c->views_window;
	s.failed_login.threshold = s.failed_addr.threshold = c->failures;
	s.failed_login.window = s.failed_addr.window = c->failures_window;
	rc = db_audit_range(db, from, to, scan_one, &s);
	bursts_free(&s.views);
	bursts_free(&s.failed_login);
	bursts_free(&s.failed_addr);
	return rc;
}

const char *
alerts_label(const char *kind)
{
	static const char *const labels[][2] = {
		{ "export_large", "大量のCSV出力" }, { "export_off_hours", "勤務時間外のCSV出力" },
		{ "views_burst", "短時間に多数の申請の閲覧" }, { "login_failures", "ログイン失敗の繰り返し" },
		{ "key_operation", "鍵・職員の操作" }, { "denied", "権限外への要求" },
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i][0], kind) == 0)
			return labels[i][1];
	return kind;
}
