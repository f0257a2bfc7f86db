/*
 * apply_status.c: a resident looks an application up with its receipt and
 * inquiry key, and may withdraw it (取下げ) after a confirmation step;
 * guesses are limited per receipt and address (lib/guess.h), the same for
 * every step, since each one checks the pair again.
 */
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "formset.h"
#include "guess.h"
#include "jnorm.h"
#include "jst.h"
#include "log.h"
#include "places.h"
#include "workflow.h"

/*
 * Status look-up: guesses of an inquiry key in sliding windows (lib/guess.h):
 * 5 an hour per receipt from one address; a receipt with 5 stays open to
 * addresses without failures, so its owner still gets in; an address with
 * 10 in 10 minutes is kept from the receipts it failed on.
 */
#define THROTTLE_ADDR_LIMIT	10
#define THROTTLE_ADDR_WINDOW	(10 * 60)
#define THROTTLE_RECEIPT_LIMIT	5
#define THROTTLE_RECEIPT_WINDOW	(60 * 60)

/* ---- status look-up ---- */

/* Keep only the characters that matter: digits for receipts, letters+digits for keys. */
static int
lookup_code(const struct kv_value *v, int digits_only, char *out, size_t outlen)
{
	return v != NULL ? jn_lookup_code(v->p, v->len, digits_only, out, outlen) : -1;
}

/*
 * 1 (answered: 429) when this address may not try this receipt now, 0 to go
 * on.  A malformed receipt ("") has no receipt key: its failures count
 * against the address that sent it, not in one bucket everyone shares.
 */
static int
status_throttled(struct ctx *c, const char *receipt, struct guess_keys *k)
{
	static const struct guess_limits limits = { THROTTLE_RECEIPT_WINDOW, THROTTLE_RECEIPT_LIMIT,
		THROTTLE_RECEIPT_LIMIT, THROTTLE_ADDR_WINDOW, THROTTLE_ADDR_LIMIT };
	int r, wait;

	if (guess_keys(c->app->mac_key, GUESS_DOMAIN_STATUS, receipt, c->g.w.req.remote_addr, k) == -1 ||
	    (r = guess_check(c->app->site.db, &limits, k, c->g.w.now, &wait)) == -1)
		return -1;
	if (r == 0)
		return 0;
	if (http_too_many(&c->g.w.req, wait) == -1)
		return -1;
	return tvars_set(c->g.w.vars, "s_error", msg(c, N_("status.throttled"))) == 0 ? 1 : -1;
}

/* What the resident reads for a stored status; "being checked" for a code this program does not know. */
static const char *
status_label(const struct ctx *c, const char *code)
{
	enum wf_status s;

	return msg(c, wf_status_parse(code, &s) == 0 ? wf_resident_msgid(s) : N_("state.unknown"));
}

/* The pair as the resident typed it, for the withdrawal's forms (a POST body, never a URL). */
static int
pair_vars(struct ctx *c)
{
	const struct kv_value *r = kv_get(&c->g.form, S_RECEIPT), *i = kv_get(&c->g.form, S_INQUIRY);

	return r != NULL && i != NULL && tvars_set(c->g.w.vars, "h_receipt", r->p) == 0 &&
	    tvars_set(c->g.w.vars, "h_inquiry", i->p) == 0 ? 0 : -1;
}

static int
status_result(struct ctx *c, const char *receipt, const struct db_app_status *st)
{
	enum wf_status		 s;
	long			 position = 0;
	const struct procedure	*p = formset_get(c->app->site.forms, st->procedure_id);
	struct buf		 when;
	int			 rc = 0;

	buf_init(&when);
	rc |= lang_time(c->g.w.lang, st->received_at, &when);
	rc |= tvars_set(c->g.w.vars, "found", "1");
	rc |= tvars_set(c->g.w.vars, "r_title", p ? def_text(c, p, p->title) : st->procedure_id);
	rc |= tvars_set(c->g.w.vars, "r_received", buf_cstr(&when));
	rc |= tvars_set(c->g.w.vars, "r_status", status_label(c, st->status));
	if (strcmp(st->status, "waitlisted") == 0 && db_app_wait_position(c->app->site.db, receipt, &position) == 0)
		rc |= tvars_setf(c->g.w.vars, "r_position", "%ld", position);
	if (strcmp(st->status, "reserve") == 0 && st->number > 0)
		rc |= tvars_setf(c->g.w.vars, "r_reserve", "%ld", st->number);
	if (p != NULL)
		rc |= tvars_set(c->g.w.vars, "contact", def_text(c, p, p->contact));
	if (wf_status_parse(st->status, &s) == 0 && wf_resident_may_withdraw(s))
		rc |= tvars_set(c->g.w.vars, "may_withdraw", "1") | pair_vars(c);
	rc |= when.oom ? -1 : 0;
	buf_free(&when);
	return rc;
}

/*
 * Is inquiry the application's key?  Its hash is keyed with apply's own key
 * when the resident sent it, with the key staff shares for the keys it
 * prints on paper receipts otherwise (staff_entry.c).
 */
int
inquiry_matches(struct ctx *c, const struct db_app_status *st, const char *inquiry)
{
	const unsigned char	*key = strcmp(st->channel, "web") == 0 ? c->app->mac_key : c->app->inquiry_key;
	unsigned char		 ih[SEAL_MAC_LEN];
	int			 ok;

	ok = confirm_inquiry_hash(key, inquiry, ih) == 0 && seal_compare(ih, st->inquiry_hash, SEAL_MAC_LEN) == 0;
	seal_wipe(ih, sizeof(ih));
	return ok;
}

/*
 * The resident withdraws the application (its pair checked): its places
 * are given back and its procedure's waitlist moves up, in one
 * transaction (db_app_event).  The event's actor is "resident"; apply
 * holds no audit key, so the audit chain does not record it (staff see
 * the event on the application).
 */
static int
resident_withdraw(struct ctx *c, const char *receipt, struct db_app_status *st)
{
	const struct procedure	*p = formset_get(c->app->site.forms, st->procedure_id);
	struct places_promoting	 pm;
	struct db_promote	 pr;
	struct db_event		 ev;
	enum wf_status		 s;
	int			 rc;

	if (wf_status_parse(st->status, &s) == -1 || !wf_resident_may_withdraw(s))
		return DB_NOTFOUND;
	memset(&ev, 0, sizeof(ev));
	ev.receipt = receipt;
	ev.at = c->g.w.now;
	ev.actor = "resident";
	ev.from_status = st->status;
	ev.to_status = wf_status_code(WF_WITHDRAWN);
	ev.key_id = "";
	if (places_promote_init(&pr, &pm, c->app->site.db, p, c->g.w.now) == 1)
		ev.promote = &pr;
	if ((rc = db_app_event(c->app->site.db, &ev)) != 0)
		return rc;
	if (ev.promote != NULL && pr.n > 0)
		log_msg(LOG_INFO, "%s: %zu waiting application(s) moved up", st->procedure_id, pr.n);
	return db_app_status(c->app->site.db, receipt, st);
}

/* After the pair is checked: the result, the withdrawal's confirmation, or the withdrawal. */
static int
status_step(struct ctx *c, const char *receipt, struct db_app_status *st)
{
	const struct kv_value	*a = kv_get(&c->g.form, S_ACTION);
	int			 rc;

	if (a == NULL || (strcmp(a->p, "withdraw") != 0 && strcmp(a->p, "withdraw-yes") != 0))
		return status_result(c, receipt, st);
	if (strcmp(a->p, "withdraw") == 0)
		return status_result(c, receipt, st) == 0 && tvars_set(c->g.w.vars, "confirm_withdraw", "1") == 0 ?
		    0 : -1;
	if ((rc = resident_withdraw(c, receipt, st)) == -1)
		return -1;
	if (rc == 0 && tvars_set(c->g.w.vars, "withdrawn", "1") == -1)
		return -1;
	if (rc == DB_NOTFOUND) {
		c->g.w.req.status = 409;
		if (tvars_set(c->g.w.vars, "s_error", msg(c, N_("withdraw.refused"))) == -1 || db_app_status(c->app->site.db, receipt, st) != 0)
			return -1;
	}
	return status_result(c, receipt, st);
}

static int
status_lookup(struct ctx *c)
{
	char			 receipt[32], inquiry[32], fmt[DB_RECEIPT_LEN + 1];
	struct guess_keys	 k;
	struct db_app_status	 st;
	int			 ok = 0, rc;

	if (lookup_code(kv_get(&c->g.form, S_RECEIPT), 1, receipt, sizeof(receipt)) == -1 ||
	    strlen(receipt) != 12)
		receipt[0] = '\0';
	if (lookup_code(kv_get(&c->g.form, S_INQUIRY), 0, inquiry, sizeof(inquiry)) == -1)
		inquiry[0] = '\0';
	fmt[0] = '\0';
	if (receipt[0] != '\0')
		snprintf(fmt, sizeof(fmt), "%.4s-%.4s-%.4s", receipt, receipt + 4, receipt + 8);
	if ((rc = status_throttled(c, fmt, &k)) != 0) {
		seal_wipe(inquiry, sizeof(inquiry));
		return rc == 1 ? 0 : -1;
	}
	if (receipt[0] != '\0' && strlen(inquiry) == CONFIRM_INQUIRY_LEN &&
	    db_app_status(c->app->site.db, fmt, &st) == 0)
		ok = inquiry_matches(c, &st, inquiry);
	seal_wipe(inquiry, sizeof(inquiry));
	if (ok)
		return guess_succeeded(c->app->site.db, &k) == 0 ? status_step(c, fmt, &st) : -1;
	if (guess_failed(c->app->site.db, &k, c->g.w.now) == -1)
		return -1;
	c->g.w.req.status = 422;
	tvars_set(c->g.w.vars, "page_error", "1");
	/* One neutral message: it must not tell which of the two was wrong. */
	return tvars_set(c->g.w.vars, "s_error", msg(c, N_("status.wrong")));
}

void
page_status(void *arg)
{
	struct ctx	*c = arg;
	int		 rc = 0;

	rc |= tvars_set(c->g.w.vars, "title", msg(c, N_("status.heading")));
	rc |= web_csrf_vars(&c->g.w);
	if (rc == 0 && c->g.w.req.method == HTTP_POST)
		rc = status_lookup(c);
	render(c, rc, "status.html");
}
