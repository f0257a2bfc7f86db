#include "purge.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "guess.h"
#include "jst.h"
#include "log.h"

#define MAX_SECTIONS	16	/* of one procedure: a definition moved between sections a few times */
#define CHECKPOINT_TRIES 10

/* Why these applications go now, in the report's words (it is a Japanese document for the committee). */
static void
rule_text(const struct procedure *p, struct buf *out)
{
	if (p->retention_from == RETAIN_FROM_RECEIPT) {
		buf_printf(out, "保存期間：受付日から%d日", p->retention_days);
		return;
	}
	buf_puts(out, "保存期間：受付終了（");
	jst_format_numeric(p->closes_at, out);
	buf_printf(out, "）から%d日", p->retention_days);
}

struct sections {
	struct db_expired	x[MAX_SECTIONS];
	size_t			n;
};

static int
collect(const struct db_expired *x, void *arg)
{
	struct sections *s = arg;

	if (s->n == MAX_SECTIONS)
		return -1;
	s->x[s->n++] = *x;
	return 0;
}

static void
report_of(const struct purge_conf *c, const struct procedure *p, const struct db_expired *x, const char *rule,
    struct db_erasure *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = "applications";
	r->at = c->now;
	r->actor = c->actor;
	r->command = c->command;
	r->procedure_id = p->id;
	r->procedure_title = p->title;
	r->section_id = x->section_id;
	r->rule = rule;
	r->applications = x->applications;
	r->receipt_first = x->receipt_first;
	r->receipt_last = x->receipt_last;
	r->received_first = x->received_first;
	r->received_last = x->received_last;
	r->key_ids = x->key_ids;
}

static int
audited(const struct purge_conf *c, const char *action, const char *target, const struct db_erasure *r)
{
	struct audit_entry	e;
	char			detail[128];

	snprintf(detail, sizeof(detail), "report=%lld section=%s applications=%lld keys=%.60s", (long long)r->id,
	    r->section_id, (long long)r->applications, r->key_ids);
	memset(&e, 0, sizeof(e));
	e.at = c->now;
	e.actor = c->actor;
	e.action = action;
	e.target = target;
	e.detail = detail;
	e.addr = "";
	return audit_append_in(c->db, c->audit_key, &e);
}

/* The status look-up's failures counted against an erased receipt (guess.h: its subject key). */
static int
forget_guesses(const char *receipt, void *arg)
{
	const struct purge_conf	*c = arg;
	struct guess_keys	 k;
	int			 rc;

	if (guess_keys(c->apply_mac_key, GUESS_DOMAIN_STATUS, receipt, "", &k) == -1)
		return -1;
	rc = db_throttle_clear(c->db, k.subject);
	seal_wipe(&k, sizeof(k));
	return rc;
}

/* Everything inside the transaction: 0 to commit, -1 to roll back. */
static int
erase(const struct purge_conf *c, const struct procedure *p, time_t before, struct sections *s, const char *rule,
    struct db_erasure *r, int64_t *erased)
{
	int64_t	n = 0;
	size_t	i;

	if (db_expired_each(c->db, p->id, before, collect, s) == -1)
		return -1;
	if (s->n == 0)
		return 0;
	if ((c->apply_mac_key != NULL && db_expired_receipts(c->db, p->id, before, forget_guesses, (void *)c) == -1) ||
	    db_expired_erase(c->db, p->id, before, &n) == -1)
		return -1;
	for (i = 0; i < s->n; i++) {
		report_of(c, p, &s->x[i], rule, &r[i]);
		if (db_erasure_add(c->db, &r[i]) == -1 || audited(c, "purge", p->id, &r[i]) == -1)
			return -1;
		*erased += r[i].applications;
	}
	if (*erased != n) {
		log_msg(LOG_ERR, "purge %s: %lld applications counted, %lld erased", p->id, (long long)*erased,
		    (long long)n);
		return -1;
	}
	if (c->before_commit != NULL)
		c->before_commit(c->arg);
	return 0;
}

int
purge_procedure(const struct purge_conf *c, const struct procedure *p, int64_t *erased)
{
	struct sections		s;
	struct db_erasure	r[MAX_SECTIONS];
	struct buf		rule;
	time_t			before;
	size_t			i;
	int			rc = -1;

	*erased = 0;
	s.n = 0;
	formdef_expired(p, c->now, &before);
	if (before == 0)
		return 0;
	buf_init(&rule);
	rule_text(p, &rule);
	if (rule.oom)
		goto done;
	if (c->dry_run) {
		if (db_expired_each(c->db, p->id, before, collect, &s) == -1)
			goto done;
		for (i = 0; i < s.n; i++) {
			report_of(c, p, &s.x[i], buf_cstr(&rule), &r[i]);
			*erased += r[i].applications;
			if (c->report != NULL)
				c->report(&r[i], c->arg);
		}
		rc = 0;
		goto done;
	}
	if (db_begin(c->db) == -1)
		goto done;
	if (db_end(c->db, erase(c, p, before, &s, buf_cstr(&rule), r, erased) == 0) == -1) {
		*erased = 0;
		goto done;
	}
	for (i = 0; i < s.n && c->report != NULL; i++)
		c->report(&r[i], c->arg);
	rc = 0;
done:
	buf_free(&rule);
	return rc;
}

/* The checks purge_key makes before it destroys anything; 0 when the key may go. */
static int
key_check(const struct purge_conf *c, const char *key_id, char section[64], int64_t *apps, int64_t *notes)
{
	unsigned char	pk[SEAL_PK_LEN];
	char		current[SEAL_KEYID_LEN + 1];
	int		rc;

	*apps = *notes = 0;
	if ((rc = db_key_get(c->db, key_id, section, pk, NULL)) != 0)
		return rc == DB_NOTFOUND ? PURGE_KEY_UNKNOWN : -1;
	if (db_key_current(c->db, section, current, pk) != 0)
		return -1;
	if (strcmp(current, key_id) == 0)
		return PURGE_KEY_CURRENT;
	if (db_key_uses(c->db, key_id, apps, notes) == -1)
		return -1;
	return *apps > 0 || *notes > 0 ? PURGE_KEY_IN_USE : 0;
}

int
purge_key(const struct purge_conf *c, const char *key_id, int64_t *apps, int64_t *notes)
{
	struct db_erasure	r;
	char			section[64];
	int			rc;

	/* In the transaction: no application can be stored to the key between the check and the erasure. */
	if (db_begin(c->db) == -1)
		return -1;
	if ((rc = key_check(c, key_id, section, apps, notes)) != 0 || c->dry_run) {
		db_rollback(c->db);
		return rc;
	}
	memset(&r, 0, sizeof(r));
	r.kind = "key";
	r.at = c->now;
	r.actor = c->actor;
	r.command = c->command;
	r.procedure_id = r.procedure_title = r.receipt_first = r.receipt_last = "";
	r.section_id = section;
	r.rule = "この鍵で暗号化された申請・対応記録が残っていないため";
	r.key_ids = key_id;
	if (db_end(c->db, db_key_erase(c->db, key_id) == 0 && db_erasure_add(c->db, &r) == 0 &&
	    audited(c, "key_retire", section, &r) == 0) == -1)
		return -1;
	if (c->report != NULL)
		c->report(&r, c->arg);
	return 0;
}

int
purge_finish(const struct purge_conf *c)
{
	int i, rc = DB_BUSY;

	if (c->dry_run)
		return 0;
	if (db_throttle_forget(c->db, c->now - DB_THROTTLE_MAX_WINDOW) == -1)
		return -1;
	/* A reader in the middle of a read keeps the WAL: try again after it is done. */
	for (i = 0; i < CHECKPOINT_TRIES && rc == DB_BUSY; i++)
		if ((rc = db_checkpoint(c->db)) == DB_BUSY)
			usleep(200 * 1000);
	if (rc == DB_BUSY)
		log_msg(LOG_WARNING, "purge: the WAL is still in use; erased pages leave it at the next checkpoint");
	return rc;
}
