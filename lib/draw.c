#include "draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "dups.h"
#include "lottery.h"
#include "mail.h"

int
draw_precondition(struct db *db, const struct procedure *p, time_t now, struct draw_pre *pre)
{
	struct db_lottery	rec;
	int			rc;

	memset(pre, 0, sizeof(*pre));
	if (db_lottery_eligible(db, p->id, &pre->applications, &pre->people, &pre->held_back) == -1 ||
	    (rc = db_lottery_get(db, p->id, &rec)) == -1)
		return -1;
	if (!p->lottery)
		pre->refused = DRAW_NOT_LOTTERY;
	else if (rc == 0)
		pre->refused = DRAW_DRAWN;
	else if (p->closes_at == 0 || now < p->closes_at)
		pre->refused = DRAW_NOT_CLOSED;
	/* Likely duplicates (dups.h): a review that covers today's list, every member decided, or a confirmation. */
	if (pre->refused == DRAW_OK) {
		struct dups_review_info d;

		if (dups_review_state(db, p->id, &d) == -1)
			return -1;
		pre->warning = dups_state_warning(d.state);
	}
	return 0;
}

static const char *const refusal[][2] = {
	[DRAW_OK] = { "", "" },
	[DRAW_NOT_LOTTERY] = { "この手続は抽選ではありません。", "the procedure has no 'lottery: true'" },
	[DRAW_NOT_CLOSED] = { "申込みの締切前のため、まだ抽選できません。",
	    "applications have not closed yet (closes_at): no draw before" },
	[DRAW_DRAWN] = { "この手続はすでに抽選済みです。抽選は一度だけです。",
	    "the procedure was drawn before: a second draw is refused" },
	[DRAW_UNCONFIRMED] = { "重複の確認が済んでいません。「重複の可能性がある申請」で判断するか、"
	    "「重複の確認をせずに抽選する」を選んでください。",
	    "the duplicate review is not complete (draw anyway with --ignore-duplicates)" },
};

const char *
draw_refusal_ja(enum draw_refusal r)
{
	return refusal[r][0];
}

const char *
draw_refusal_en(enum draw_refusal r)
{
	return refusal[r][1];
}

int
draw_audit_detail(const struct db_lottery *r, struct buf *out)
{
	char seed[2 * sizeof(r->seed) + 1];

	if (seal_hex(r->seed, sizeof(r->seed), seed, sizeof(seed)) == -1)
		return -1;
	return buf_printf(out, "version=%d seed=%s list_sha256=%s result_sha256=%s capacity=%ld reserves=%ld"
	    " applications=%ld people=%ld won=%ld won_people=%ld reserve=%ld lost=%ld held_back=%ld", r->version,
	    seed, r->list_sha256, r->result_sha256, r->capacity, r->reserves, r->applications, r->people, r->won,
	    r->won_people, r->reserve, r->lost, r->held_back);
}

struct running {
	const struct draw_req	*r;
	struct db		*db;
};

static int
result_mail(const char *receipt, const char *status, long number, struct db_outbox_item *m, void *arg)
{
	const struct running *run = arg;

	return mail_queue_later(run->db, run->r->p, status, receipt, number, run->r->now, m);
}

static int
result_audit(struct db *db, const struct db_lottery *rec, void *arg)
{
	const struct running	*run = arg;
	struct audit_entry	 e;
	struct buf		 detail;
	int			 rc = -1;

	buf_init(&detail);
	if (draw_audit_detail(rec, &detail) == 0) {
		memset(&e, 0, sizeof(e));
		e.at = run->r->now;
		e.actor = run->r->actor;
		e.action = "lottery_draw";
		e.target = rec->procedure_id;
		e.detail = buf_cstr(&detail);
		e.addr = run->r->addr != NULL ? run->r->addr : "";
		rc = audit_append_in(db, run->r->audit_key, &e);
	}
	buf_free(&detail);
	return rc;
}

int
draw_run(struct db *db, const struct draw_req *r, struct db_lottery *out, enum draw_refusal *why)
{
	struct db_lottery_draw	d;
	struct draw_pre		pre;
	struct running		run = { r, db };
	unsigned char		seed[LOTTERY_SEED_LEN];
	int			rc;

	*why = DRAW_OK;
	if (r->reserves < 0 || r->reserves > DRAW_RESERVES_MAX || draw_precondition(db, r->p, r->now, &pre) == -1)
		return -1;
	if (pre.refused != DRAW_OK || (pre.warning != NULL && !r->confirmed)) {
		*why = pre.refused != DRAW_OK ? pre.refused : DRAW_UNCONFIRMED;
		return 1;
	}
	/* libsodium's random source (seal.c); recorded, so nothing to keep secret once drawn */
	seal_random(seed, sizeof(seed));
	memset(&d, 0, sizeof(d));
	d.procedure_id = r->p->id;
	d.section_id = r->p->section;
	d.actor = r->actor;
	d.seed = seed;
	d.capacity = r->p->capacity;
	d.reserves = r->reserves;
	d.now = r->now;
	d.mail = result_mail;
	d.audit = result_audit;
	d.arg = &run;
	if ((rc = db_lottery_draw(db, &d, out)) == DB_EXISTS) {
		*why = DRAW_DRAWN;
		return 1;
	}
	return rc == 0 ? 0 : -1;
}

/* ---- verification ---- */

struct stored {
	struct lottery_entry	 e;	/* as recorded: receipt, people, result, number */
	char			 status[16];	/* now; "" erased */
	long			 status_number;
};

struct entries {
	struct stored	*s;
	size_t		 n, max;
	int		 bad;	/* a stored result that is no result */
};

static int
entry_read(const struct db_lottery_entry *x, void *arg)
{
	struct entries	*l = arg;
	struct stored	*s;
	void		*p;

	if (l->n == l->max) {
		l->max = l->max ? 2 * l->max : 256;
		if ((p = realloc(l->s, l->max * sizeof(*l->s))) == NULL)
			return -1;
		l->s = p;
	}
	s = &l->s[l->n];
	memset(s, 0, sizeof(*s));
	if (snprintf(s->e.receipt, sizeof(s->e.receipt), "%s", x->receipt) >= (int)sizeof(s->e.receipt) ||
	    snprintf(s->status, sizeof(s->status), "%s", x->status) >= (int)sizeof(s->status))
		return -1;
	s->e.people = x->people;
	s->e.number = x->number;
	if (lottery_result_parse(x->result, &s->e.result) == -1)
		l->bad = 1;
	s->status_number = x->status_number;
	l->n++;
	return 0;
}

/* One line of the report; counts a difference. */
static void differs(struct buf *report, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
differs(struct buf *report, int *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)buf_vprintf(report, fmt, ap);
	va_end(ap);
	(void)buf_puts(report, "\n");
	(*n)++;
}

struct replay {
	const struct db_lottery	*rec;
	const struct stored	*s;
	char			 cur[16];
	int			 drawn;		/* the draw's own event seen */
};

static int
replay_event(const struct db_event *ev, void *arg)
{
	struct replay	*r = arg;
	const char	*result = lottery_result_code(r->s->e.result);

	if (!r->drawn) {
		if (strcmp(ev->to_status, result) == 0 && ev->at == r->rec->drawn_at &&
		    strcmp(ev->actor, r->rec->actor) == 0) {
			r->drawn = 1;
			snprintf(r->cur, sizeof(r->cur), "%s", result);
		}
		return 0;
	}
	if (strcmp(ev->from_status, r->cur) == 0)
		snprintf(r->cur, sizeof(r->cur), "%s", ev->to_status);
	return 0;
}

/* Is the application's status now its drawn result, or where the changes recorded since led it? */
static int
check_status(struct db *db, const struct db_lottery *rec, const struct stored *s, struct buf *report, int *n)
{
	struct replay r;

	memset(&r, 0, sizeof(r));
	r.rec = rec;
	r.s = s;
	if (db_app_events(db, s->e.receipt, replay_event, &r) == -1)
		return -1;
	if (!r.drawn)
		differs(report, n, "%s: no recorded draw event to '%s'", s->e.receipt,
		    lottery_result_code(s->e.result));
	else if (strcmp(r.cur, s->status) != 0)
		differs(report, n, "%s: status is '%s' but its recorded changes lead to '%s'", s->e.receipt,
		    s->status, r.cur);
	else if (strcmp(s->status, "reserve") == 0 && s->status_number != s->e.number)
		differs(report, n, "%s: reserve number now %ld, drawn %ld", s->e.receipt, s->status_number,
		    s->e.number);
	return 0;
}

struct audit_found {
	const char	*want;
	int		 n, same;
};

static int
audit_seen(const struct db_audit *e, void *arg)
{
	struct audit_found *a = arg;

	a->n++;
	a->same += strcmp(e->detail, a->want) == 0;
	return 0;
}

static int
check_audit(struct db *db, const struct db_lottery *rec, const unsigned char *key, struct buf *report, int *n)
{
	struct audit_found	a;
	struct audit_check	c;
	struct buf		want;
	int			rc = -1;

	buf_init(&want);
	if (draw_audit_detail(rec, &want) == -1)
		goto done;
	memset(&a, 0, sizeof(a));
	a.want = buf_cstr(&want);
	if (db_audit_find(db, "lottery_draw", rec->procedure_id, audit_seen, &a) == -1)
		goto done;
	if (a.n != 1 || a.same != 1)
		differs(report, n, "audit: %d lottery_draw entries for %s, %d naming this record exactly (want 1 and 1)",
		    a.n, rec->procedure_id, a.same);
	if (key != NULL && audit_verify(db, key, &c) == 1)
		differs(report, n, "audit: the chain is broken at entry %lld (%s)", (long long)c.bad_seq, c.problem);
	rc = 0;
done:
	buf_free(&want);
	return rc;
}

/* Recompute the list hash, the draw and the result hash from the entries; compare. */
static int
check_draw(const struct db_lottery *rec, struct entries *l, struct buf *report, int *n)
{
	struct lottery_entry	*e = NULL;
	struct lottery_counts	 c;
	char			 hex[65];
	size_t			 i;
	int			 rc = -1;

	if (l->n > 0 && (e = calloc(l->n, sizeof(*e))) == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		e[i] = l->s[i].e;
	if (lottery_list_hash(e, l->n, hex) == -1)
		differs(report, n, "list: an entry is malformed");
	else if (strcmp(hex, rec->list_sha256) != 0)
		differs(report, n, "list hash: recorded %s, entries give %s", rec->list_sha256, hex);
	if (lottery_result_hash(e, l->n, hex) == 0 && strcmp(hex, rec->result_sha256) != 0)
		differs(report, n, "result hash: recorded %s, stored results give %s", rec->result_sha256, hex);
	if (lottery_draw(rec->seed, e, l->n, rec->capacity, rec->reserves, &c) == -1) {
		differs(report, n, "draw: cannot recompute from the entries");
		rc = 0;
		goto done;
	}
	for (i = 0; i < l->n; i++)
		if (e[i].result != l->s[i].e.result || e[i].number != l->s[i].e.number)
			differs(report, n, "%s: stored result %s %ld, the seed gives %s %ld", e[i].receipt,
			    lottery_result_code(l->s[i].e.result), l->s[i].e.number, lottery_result_code(e[i].result),
			    e[i].number);
	if (lottery_result_hash(e, l->n, hex) == 0 && strcmp(hex, rec->result_sha256) != 0)
		differs(report, n, "result hash: recorded %s, the seed gives %s", rec->result_sha256, hex);
	if (c.applications != rec->applications || c.people != rec->people || c.won != rec->won ||
	    c.won_people != rec->won_people || c.reserve != rec->reserve || c.lost != rec->lost)
		differs(report, n, "counts: recorded %ld won (%ld people), %ld reserves, %ld lost; recomputed %ld (%ld), %ld, %ld",
		    rec->won, rec->won_people, rec->reserve, rec->lost, c.won, c.won_people, c.reserve, c.lost);
	rc = 0;
done:
	free(e);
	return rc;
}

int
draw_verify(struct db *db, const char *procedure_id, const unsigned char *audit_key, struct buf *report)
{
	struct db_lottery	rec;
	struct entries		l;
	size_t			i, erased = 0;
	int			rc, n = 0;

	if ((rc = db_lottery_get(db, procedure_id, &rec)) != 0) {
		if (rc == DB_NOTFOUND)
			(void)buf_printf(report, "%s: not drawn\n", procedure_id);
		return rc == DB_NOTFOUND ? 1 : -1;
	}
	memset(&l, 0, sizeof(l));
	rc = -1;
	if (db_lottery_entries(db, procedure_id, entry_read, &l) == -1 || check_audit(db, &rec, audit_key, report, &n))
		goto done;
	if (l.bad)
		differs(report, &n, "entries: a stored result is not won, reserve or lost");
	else if (l.n == 0 && rec.applications > 0)
		(void)buf_printf(report, "entries: erased with their applications (purge); the record and its "
		    "audit entry remain, the draw cannot be recomputed\n");
	else if ((long)l.n != rec.applications)
		differs(report, &n, "entries: %zu left of the %ld recorded", l.n, rec.applications);
	else if (check_draw(&rec, &l, report, &n) == -1)
		goto done;
	for (i = 0; i < l.n && !l.bad; i++) {
		if (*l.s[i].status == '\0')
			erased++;
		else if (check_status(db, &rec, &l.s[i], report, &n) == -1)
			goto done;
	}
	if (erased > 0)
		(void)buf_printf(report, "%zu applications erased since the draw\n", erased);
	rc = n > 0 ? 1 : 0;
done:
	free(l.s);
	return rc;
}
