/*
 * apply_status.c: a resident looks an application up with its receipt and
 * inquiry key; guesses are limited per receipt and address (lib/guess.h).
 */
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "formset.h"
#include "guess.h"
#include "jnorm.h"
#include "jst.h"
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

static int
status_result(struct ctx *c, const struct db_app_status *st)
{
	const struct procedure	*p = formset_get(c->app->site.forms, st->procedure_id);
	struct buf		 when;
	int			 rc = 0;

	buf_init(&when);
	rc |= lang_time(c->g.w.lang, st->received_at, &when);
	rc |= tvars_set(c->g.w.vars, "found", "1");
	rc |= tvars_set(c->g.w.vars, "r_title", p ? def_text(c, p, p->title) : st->procedure_id);
	rc |= tvars_set(c->g.w.vars, "r_received", buf_cstr(&when));
	rc |= tvars_set(c->g.w.vars, "r_status", status_label(c, st->status));
	if (p != NULL)
		rc |= tvars_set(c->g.w.vars, "contact", def_text(c, p, p->contact));
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
		return guess_succeeded(c->app->site.db, &k) == 0 ? status_result(c, &st) : -1;
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
