/*
 * staff_lottery.c: a lottery's draw (抽選) for a member of the procedure's
 * section, after its closing: GET shows what would be drawn (or, once
 * drawn, the record: seed, hashes, counts, links to the results), POST
 * action=confirm a confirmation step, POST action=draw the draw itself
 * (lib/draw.h: the precondition again, then one transaction).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "jst.h"
#include "staff.h"
#include "web.h"

#define LOTTERY_PATH	"/staff/lottery/"

static int
record_vars(struct ctx *c, const struct db_lottery *r)
{
	char		seed[2 * sizeof(r->seed) + 1];
	struct buf	when;
	int		rc;

	buf_init(&when);
	rc = seal_hex(r->seed, sizeof(r->seed), seed, sizeof(seed)) | jst_format_numeric(r->drawn_at, &when);
	rc |= tvars_set(c->g.w.vars, "drawn", "1") | tvars_set(c->g.w.vars, "drawn_at", buf_cstr(&when)) |
	    tvars_set(c->g.w.vars, "actor", r->actor) | tvars_set(c->g.w.vars, "seed", seed) |
	    tvars_set(c->g.w.vars, "list_sha256", r->list_sha256) |
	    tvars_set(c->g.w.vars, "result_sha256", r->result_sha256) |
	    tvars_setf(c->g.w.vars, "version", "%d", r->version) |
	    tvars_setf(c->g.w.vars, "reserves", "%ld", r->reserves) |
	    tvars_setf(c->g.w.vars, "applications", "%ld", r->applications) |
	    tvars_setf(c->g.w.vars, "people", "%ld", r->people) | tvars_setf(c->g.w.vars, "won", "%ld", r->won) |
	    tvars_setf(c->g.w.vars, "won_people", "%ld", r->won_people) |
	    tvars_setf(c->g.w.vars, "reserve", "%ld", r->reserve) | tvars_setf(c->g.w.vars, "lost", "%ld", r->lost) |
	    tvars_setf(c->g.w.vars, "held_back", "%ld", r->held_back);
	buf_free(&when);
	return rc != 0 ? -1 : 0;
}

/* The page before a draw: what would be drawn, whether it may start, and the step asked for. */
static int
pre_vars(struct ctx *c, const struct draw_pre *pre)
{
	int rc;

	rc = tvars_setf(c->g.w.vars, "applications", "%lld", (long long)pre->applications) |
	    tvars_setf(c->g.w.vars, "people", "%lld", (long long)pre->people) |
	    tvars_setf(c->g.w.vars, "held_back", "%lld", (long long)pre->held_back);
	if (pre->refused != DRAW_OK)
		rc |= tvars_set(c->g.w.vars, "refused", draw_refusal_ja(pre->refused));
	if (pre->warning != NULL)
		rc |= tvars_set(c->g.w.vars, "warning", pre->warning);
	return rc != 0 ? -1 : 0;
}

/* The reserves asked for: 0 when not given; -1 when out of range. */
static long
reserves_asked(struct ctx *c)
{
	const char	*v = gate_body_text(&c->g, B_RESERVES);
	long		 n = *v != '\0' ? strtol(v, NULL, 10) : 0;

	return n >= 0 && n <= DRAW_RESERVES_MAX ? n : -1;
}

static void
show(struct ctx *c, const struct procedure *p, int confirming, long reserves)
{
	struct db_lottery	rec;
	struct draw_pre		pre;
	int			rc;

	if (member_vars(c, "抽選") == -1 || (rc = db_lottery_get(c->app->site.db, p->id, &rec)) == -1 ||
	    (rc == 0 && record_vars(c, &rec) == -1) ||
	    (rc == DB_NOTFOUND && (draw_precondition(c->app->site.db, p, c->g.w.now, &pre) == -1 ||
	    pre_vars(c, &pre) == -1))) {
		system_error(c);
		return;
	}
	tvars_set(c->g.w.vars, "id", p->id);
	tvars_set(c->g.w.vars, "proc_title", p->title);
	tvars_setf(c->g.w.vars, "capacity", "%ld", p->capacity);
	if (rc == DB_NOTFOUND) {
		tvars_setf(c->g.w.vars, "reserves", "%ld", reserves);
		if (confirming && pre.refused == DRAW_OK)
			tvars_set(c->g.w.vars, "confirming", "1");
	}
	(void)web_render(&c->g.w, "staff_lottery.html");
}

static void
draw(struct ctx *c, const struct procedure *p, long reserves)
{
	struct db_lottery	rec;
	struct draw_req		r;
	enum draw_refusal	why;
	char			location[128];

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.actor = c->staff.login;
	r.addr = c->g.w.req.remote_addr;
	r.reserves = reserves;
	r.confirmed = strcmp(gate_body_text(&c->g, B_ANYWAY), "1") == 0;
	r.now = c->g.w.now;
	r.audit_key = c->app->audit_key;
	switch (draw_run(c->app->site.db, &r, &rec, &why)) {
	case 0:
		snprintf(location, sizeof(location), LOTTERY_PATH "%s?m=drawn", p->id);
		redirect(c, location);
		break;
	case 1:
		web_error_page(&c->g.w, 409, "抽選できません", draw_refusal_ja(why));
		break;
	default:
		system_error(c);
	}
}

void
page_lottery(void *arg)
{
	struct ctx		*c = arg;
	const char		*id = c->g.w.req.path + strlen(LOTTERY_PATH), *action;
	const struct procedure	*p = formset_get(c->app->site.forms, id);
	long			 reserves;

	if (p == NULL || !p->lottery) {
		not_found(c);
		return;
	}
	if (!holds_section(c, p->section)) {
		deny(c, p->id, "another section's procedure");
		return;
	}
	if (c->g.w.req.method != HTTP_POST) {
		show(c, p, 0, 0);
		return;
	}
	action = gate_body_text(&c->g, B_ACTION);
	if ((reserves = reserves_asked(c)) == -1 || (strcmp(action, "confirm") != 0 && strcmp(action, "draw") != 0)) {
		web_error_page(&c->g.w, 400, "入力を確認してください",
		    "補欠の人数は0から10000までの整数で入力してください。");
		return;
	}
	if (strcmp(action, "confirm") == 0)
		show(c, p, 1, reserves);
	else
		draw(c, p, reserves);
}
