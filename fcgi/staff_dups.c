/*
 * staff_dups.c: two pages on a procedure's applicants as a whole, both
 * opened with the section keys the member's session holds, as an export
 * opens them (exports/opener.h).
 *
 * /staff/duplicates?procedure=ID: the likely duplicates before a draw
 * (lib/dups.h), grouped, each member kept (残す) or withdrawn (取下げ, with
 * a 対応記録, through the same change as the detail page).  Showing the
 * page stores the review (its receipts' hash and fingerprint, its groups),
 * so the draw can tell without opening anything whether it is current.
 *
 * /staff/postal?procedure=ID and /staff/postal.csv: the applicants who gave
 * no mail address (no contact envelope), for result notices by post: an
 * A4 list to print, or a CSV entered in the hand-over ledger (管理簿).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "csv.h"
#include "dups.h"
#include "export.h"
#include "jst.h"
#include "opener.h"
#include "staff.h"
#include "web.h"

#define MAX_COLS	4

/* ---- the applications, opened ---- */

/* One opened application: its clear metadata and the answers a page shows (personal data: wiped). */
struct person {
	char		 receipt[DB_RECEIPT_LEN + 1];
	char		 status[16];
	char		 channel[16];
	time_t		 received_at;
	long		 number;	/* a numbered status's (補欠's), else 0 */
	int		 opened;
	struct buf	 text;		/* the columns' values, each NUL-terminated */
	size_t		 off[MAX_COLS];
};

struct people {
	struct ctx		*c;
	const struct field	*col[MAX_COLS];	/* NULL: a column the definition lacks ("") */
	size_t			 ncols;
	/* Which rows are opened: those in the draw (duplicates) or those without an envelope (postal). */
	int			 (*want)(struct people *pl, const struct db_app_row *row);
	const char		*status;	/* postal: one status, or "" for every one but withdrawn */
	struct person		*p;
	size_t			 n, cap;
	struct opener		*o;
	int64_t			 unopened;
};

static const char *
col(const struct person *m, size_t i)
{
	return m->text.data != NULL ? m->text.data + m->off[i] : "";
}

static int
keep_person(void *arg, const struct export_row *row)
{
	struct people	*pl = arg;
	struct person	*m = buf_grow_array(pl->p, pl->n, &pl->cap, sizeof(*m), 64);
	size_t		 i;

	if (m == NULL)
		return -1;
	pl->p = m;
	m = &pl->p[pl->n++];
	memset(m, 0, sizeof(*m));
	buf_init(&m->text);
	snprintf(m->receipt, sizeof(m->receipt), "%s", row->receipt);
	snprintf(m->status, sizeof(m->status), "%s", row->status);
	snprintf(m->channel, sizeof(m->channel), "%s", row->channel != NULL ? row->channel : "web");
	m->received_at = row->received_at;
	m->number = row->number;
	m->opened = row->answers != NULL || row->payload != NULL;
	for (i = 0; i < pl->ncols; i++) {
		m->off[i] = m->text.len;
		if (m->opened && pl->col[i] != NULL && export_row_cell(pl->col[i], row, &m->text) == -1)
			return -1;
		if (buf_putc(&m->text, '\0') == -1)
			return -1;
	}
	return 0;
}

static int
push_wanted(const struct db_app_row *row, void *arg)
{
	struct people	*pl = arg;
	int		 want = pl->want(pl, row);

	return want < 0 ? -1 : want ? opener_push(row, pl->o) : 0;
}

static void
people_free(struct people *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		buf_wipe(&pl->p[i].text);
	free(pl->p);
	pl->p = NULL;
	pl->n = pl->cap = 0;
}

/* Every application of p that pl->want picks, opened on every core, oldest first.  0, or -1. */
static int
open_people(struct people *pl, const struct procedure *p, const char *status)
{
	struct opener_conf	conf;
	struct db_app_filter	df;
	int			rc;

	memset(&conf, 0, sizeof(conf));
	conf.key = session_key;
	conf.key_arg = pl->c;
	conf.row = keep_person;
	conf.row_arg = pl;
	memset(&df, 0, sizeof(df));
	df.procedure_id = p->id;
	df.section_id = p->section;
	df.status = status;
	df.to = (time_t)INT64_MAX / 2;
	df.limit = -1;
	df.oldest_first = 1;
	if ((pl->o = opener_start(&conf)) == NULL)
		return -1;
	rc = db_app_list(pl->c->app->site.db, &df, push_wanted, pl);
	if (opener_finish(pl->o, &pl->unopened) == -1)
		rc = -1;
	pl->o = NULL;
	return rc == -1 ? -1 : 0;
}

/* The procedure named by ?procedure=, when it is one of the member's sections'; NULL after answering 404. */
static const struct procedure *
asked_procedure(struct ctx *c)
{
	const struct procedure *p = formset_get(c->app->site.forms, gate_query_text(&c->g, Q_PROCEDURE));

	if (p == NULL)
		not_found(c);
	else if (!holds_section(c, p->section)) {
		deny(c, p->id, "another section's procedure");
		p = NULL;
	}
	return p;
}

static int
procedure_vars(struct ctx *c, const struct procedure *p, const char *title)
{
	char name[256];

	return member_vars(c, title) == 0 && tvars_set(c->g.w.vars, "proc_id", p->id) == 0 &&
	    tvars_set(c->g.w.vars, "proc_title", p->title) == 0 &&
	    tvars_set(c->g.w.vars, "section", section_name(c, p->section, name, sizeof(name))) == 0 ? 0 : -1;
}

/* ---- likely duplicates ---- */

enum { D_NAME, D_BIRTH, D_TEL, D_MAIL };

static int
in_draw(struct people *pl, const struct db_app_row *row)
{
	(void)pl;
	return dups_eligible(row->status);
}

struct review {
	struct people		 pl;
	struct dups_row		*rows;
	struct dups_result	 res;
	size_t			*order;		/* members, by group then row */
};

/* A member's place on the page: its group, then its row. */
struct place {
	size_t	group, row;
};

static int
by_group(const void *a, const void *b)
{
	const struct place *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

static void
review_free(struct review *rv)
{
	people_free(&rv->pl);
	free(rv->rows);
	free(rv->order);
	dups_result_free(&rv->res);
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The review as shown: its receipts in the draw, hashed; its groups' members; audited without personal data. */
static int
store_review(struct ctx *c, const struct procedure *p, struct review *rv, int64_t *undecided)
{
	const char		**eligible = calloc(rv->pl.n + 1, sizeof(*eligible));
	const char		**members = calloc(rv->res.members + 1, sizeof(*members));
	size_t			 *groups = calloc(rv->res.members + 1, sizeof(*groups)), i;
	struct db_dup_review	  r;
	char			  detail[256];
	int			  rc = -1;

	memset(&r, 0, sizeof(r));
	if (eligible == NULL || members == NULL || groups == NULL)
		goto done;
	for (i = 0; i < rv->pl.n; i++)
		eligible[i] = rv->pl.p[i].receipt;
	qsort(eligible, rv->pl.n, sizeof(*eligible), by_string);
	for (i = 0; i < rv->res.members; i++) {
		members[i] = rv->rows[rv->order[i]].receipt;
		groups[i] = rv->res.group[rv->order[i]];
	}
	r.at = c->g.w.now;
	snprintf(r.actor, sizeof(r.actor), "%s", c->staff.login);
	r.eligible = (int64_t)rv->pl.n;
	r.groups = (int64_t)rv->res.ngroups;
	r.members = (int64_t)rv->res.members;
	if (dups_receipts_sha256(eligible, rv->pl.n, r.eligible_sha256) == -1 ||
	    dups_fingerprint(rv->rows, rv->pl.n, &rv->res, r.fingerprint) == -1 ||
	    db_dup_review_put(c->app->site.db, p->id, &r, members, groups, rv->res.members) == -1 ||
	    db_dup_undecided(c->app->site.db, p->id, undecided) == -1)
		goto done;
	snprintf(detail, sizeof(detail), "eligible=%zu groups=%zu members=%zu undecided=%lld unopened=%lld"
	    " fingerprint=%s", rv->pl.n, rv->res.ngroups, rv->res.members, (long long)*undecided,
	    (long long)rv->pl.unopened, r.fingerprint);
	rc = audit_ok(c, "duplicates", p->id, detail);
done:
	free(eligible);
	free(members);
	free(groups);
	return rc;
}

/* Opened, grouped, ordered by group; 0, or -1. */
static int
find_groups(struct ctx *c, const struct procedure *p, struct review *rv)
{
	struct dups_fields	 f;
	struct place		*pos = NULL;
	size_t			 i, k = 0;

	dups_fields(p, &f);
	rv->pl.c = c;
	rv->pl.col[D_NAME] = f.name;
	rv->pl.col[D_BIRTH] = f.birth;
	rv->pl.col[D_TEL] = f.tel;
	rv->pl.col[D_MAIL] = f.mail;
	rv->pl.ncols = 4;
	rv->pl.want = in_draw;
	if (open_people(&rv->pl, p, "") == -1 ||
	    (rv->rows = calloc(rv->pl.n + 1, sizeof(*rv->rows))) == NULL)
		return -1;
	for (i = 0; i < rv->pl.n; i++) {
		const struct person *m = &rv->pl.p[i];

		rv->rows[i] = (struct dups_row){ m->receipt, m->status, col(m, D_NAME), col(m, D_BIRTH),
		    col(m, D_TEL), col(m, D_MAIL) };
	}
	if (dups_find(rv->rows, rv->pl.n, &rv->res) == -1 ||
	    (rv->order = calloc(rv->res.members + 1, sizeof(*rv->order))) == NULL ||
	    (pos = calloc(rv->res.members + 1, sizeof(*pos))) == NULL) {
		free(pos);
		return -1;
	}
	for (i = 0; i < rv->pl.n; i++)
		if (rv->res.group[i] != 0)
			pos[k++] = (struct place){ rv->res.group[i], i };
	qsort(pos, k, sizeof(*pos), by_group);
	for (i = 0; i < k; i++)
		rv->order[i] = pos[i].row;
	free(pos);
	return 0;
}

static int
why_text(unsigned why, struct buf *out)
{
	if (why & DUPS_NAME_BIRTH)
		buf_puts(out, "氏名・生年月日");
	if (why & DUPS_TEL)
		buf_printf(out, "%s電話番号", out->len ? "、" : "");
	if (why & DUPS_MAIL)
		buf_printf(out, "%sメールアドレス", out->len ? "、" : "");
	return out->oom ? -1 : 0;
}

static int
member_row(struct ctx *c, struct tvars *group, const struct review *rv, size_t i)
{
	const struct person	*m = &rv->pl.p[i];
	struct tvars		*row = tvars_add(group, "members");
	struct buf		 when, why;
	char			 decision[16], actor[64];
	time_t			 at;
	int			 rc = -1, d;

	buf_init(&when);
	buf_init(&why);
	if (row == NULL || jst_format_numeric(m->received_at, &when) == -1 || why_text(rv->res.why[i], &why) == -1 ||
	    (d = db_dup_decision(c->app->site.db, m->receipt, decision, actor, &at)) == -1)
		goto done;
	tvars_set(row, "receipt", m->receipt);
	tvars_set(row, "name", m->opened ? col(m, D_NAME) : "（この申請を開く鍵がありません）");
	tvars_set(row, "birth", col(m, D_BIRTH));
	tvars_set(row, "tel", col(m, D_TEL));
	tvars_set(row, "mail", col(m, D_MAIL));
	tvars_set(row, "channel", wf_channel_label_of(m->channel));
	tvars_set(row, "received", buf_cstr(&when));
	tvars_set(row, "status", status_text(m->status));
	tvars_set(row, "why", buf_cstr(&why));
	if (d == 0) {
		buf_reset(&when);
		if (jst_format_numeric(at, &when) == -1)
			goto done;
		tvars_setf(row, "decided", "%s（%s %s）", strcmp(decision, "keep") == 0 ? "残す" : "取下げ", actor,
		    buf_cstr(&when));
	}
	rc = 0;
done:
	buf_free(&when);
	buf_free(&why);
	return rc;
}

static void
show_dups(struct ctx *c, const struct procedure *p, int status, const char *error)
{
	struct review	 rv;
	struct tvars	*group = NULL;
	int64_t		 undecided = 0;
	size_t		 i;

	memset(&rv, 0, sizeof(rv));
	if (find_groups(c, p, &rv) == -1 || store_review(c, p, &rv, &undecided) == -1 ||
	    procedure_vars(c, p, "重複の可能性がある申請") == -1)
		goto fail;
	c->g.w.req.status = status;
	for (i = 0; i < rv.res.members; i++) {
		size_t r = rv.order[i];

		if ((i == 0 || rv.res.group[rv.order[i - 1]] != rv.res.group[r]) &&
		    ((group = tvars_add(c->g.w.vars, "groups")) == NULL ||
		    tvars_setf(group, "number", "%zu", rv.res.group[r]) == -1))
			goto fail;
		if (member_row(c, group, &rv, r) == -1)
			goto fail;
	}
	tvars_setf(c->g.w.vars, "n_eligible", "%zu", rv.pl.n);
	tvars_setf(c->g.w.vars, "n_groups", "%zu", rv.res.ngroups);
	tvars_setf(c->g.w.vars, "n_members", "%zu", rv.res.members);
	tvars_setf(c->g.w.vars, "n_undecided", "%lld", (long long)undecided);
	if (rv.pl.unopened > 0)
		tvars_setf(c->g.w.vars, "unopened", "%lld", (long long)rv.pl.unopened);
	if (error != NULL) {
		tvars_set(c->g.w.vars, "d_error", error);
		tvars_set(c->g.w.vars, "page_error", "1");
	} else if (strcmp(gate_query_text(&c->g, Q_M), "saved") == 0)
		tvars_set(c->g.w.vars, "d_done", "記録しました。");
	(void)web_render(&c->g.w, "staff_dups.html");
	goto done;
fail:
	system_error(c);
done:
	review_free(&rv);
}

/* Anything but white space (ASCII or ideographic)? */
static int
written(const char *s)
{
	for (; *s != '\0'; s++) {
		if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 2;
		else if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 1;
	}
	return 0;
}

/* 残す, or 取下げ with its 対応記録 (the detail page's change): recorded, audited, then the page again. */
static void
decide(struct ctx *c, const struct procedure *p)
{
	const char	*receipt = gate_body_text(&c->g, B_RECEIPT), *decision = gate_body_text(&c->g, B_DECISION);
	const char	*note = gate_body_text(&c->g, B_NOTE);
	int		 withdraw = strcmp(decision, "withdraw") == 0, rc;
	char		 loc[128];

	if (!withdraw && strcmp(decision, "keep") != 0) {
		show_dups(c, p, 400, "「残す」か「取下げ」を選んでください。");
		return;
	}
	if ((rc = db_dup_is_member(c->app->site.db, p->id, receipt)) == -1) {
		system_error(c);
		return;
	}
	if (rc == 0) {
		show_dups(c, p, 409, "この申請は、いまは重複の候補にありません（ほかの職員が取り下げたなど）。"
		    "一覧を確認してください。");
		return;
	}
	if (withdraw && !written(note)) {
		show_dups(c, p, 400, "取り下げる理由を対応記録に入力してください。");
		return;
	}
	if (u8_mbsnlen((const uint8_t *)note, strlen(note)) > NOTE_MAX_CHARS) {
		show_dups(c, p, 400, "対応記録は2000文字以内で入力してください。");
		return;
	}
	if (withdraw && (rc = app_change(c, receipt, "withdrawn", note)) != 0) {
		if (rc == DB_NOTFOUND)
			show_dups(c, p, 409, "この申請は、画面を開いた後にほかの職員が状態を変更しました。"
			    "内容を確認してから、もう一度操作してください。");
		else
			system_error(c);
		return;
	}
	if (db_dup_decide(c->app->site.db, p->id, receipt, withdraw ? "withdrawn" : "keep", c->staff.login,
	    c->g.w.now) == -1 || audit_ok(c, "duplicate", receipt, withdraw ? "withdrawn" : "keep") == -1) {
		system_error(c);
		return;
	}
	snprintf(loc, sizeof(loc), "/staff/duplicates?procedure=%s&m=saved", p->id);
	redirect(c, loc);
}

void
page_duplicates(void *arg)
{
	struct ctx		*c = arg;
	const struct procedure	*p = asked_procedure(c);

	if (p == NULL)
		return;
	if (c->g.w.req.method == HTTP_POST)
		decide(c, p);
	else
		show_dups(c, p, 200, NULL);
}

/* ---- postal notices ---- */

enum { P_NAME, P_POSTAL, P_ADDRESS };

/*
 * The columns of the list: the name as written (autocomplete "name"), else
 * the name in katakana; the first postcode field; the address
 * (autocomplete street-address or address-line1, else the residence
 * rule's field).
 */
static void
postal_fields(const struct procedure *p, struct people *pl)
{
	struct dups_fields	f;
	size_t			i;

	dups_fields(p, &f);
	pl->col[P_NAME] = f.name;
	for (i = 0; i < p->nfields; i++) {
		const struct field	*fd = &p->fields[i];
		const char		*ac = fd->autocomplete != NULL ? fd->autocomplete : "";

		if (fd->show_if_field != NULL)
			continue;
		if (strcmp(ac, "name") == 0 && (pl->col[P_NAME] == NULL || pl->col[P_NAME]->type == FT_KANA))
			pl->col[P_NAME] = fd;
		else if (fd->type == FT_POSTAL && pl->col[P_POSTAL] == NULL)
			pl->col[P_POSTAL] = fd;
		else if ((strstr(ac, "street-address") != NULL || strstr(ac, "address-line1") != NULL) &&
		    pl->col[P_ADDRESS] == NULL)
			pl->col[P_ADDRESS] = fd;
	}
	if (pl->col[P_ADDRESS] == NULL && p->residence.field != NULL)
		pl->col[P_ADDRESS] = formdef_field(p, p->residence.field);
	pl->ncols = 3;
}

/* No mail address given: no contact envelope.  With no status asked, withdrawn applicants are left out. */
static int
by_post(struct people *pl, const struct db_app_row *row)
{
	int has = db_envelope_has(pl->c->app->site.db, row->receipt);

	if (has == -1)
		return -1;
	return has == 0 && (*pl->status != '\0' || strcmp(row->status, "withdrawn") != 0);
}

static int
by_postcode(const void *a, const void *b)
{
	const struct person *x = a, *y = b;
	int c = strcmp(col(x, P_POSTAL), col(y, P_POSTAL));

	return c != 0 ? c : strcmp(x->receipt, y->receipt);
}

/* The status filter (any stored status; "" for all but withdrawn); -1 after answering 400. */
static int
postal_people(struct ctx *c, const struct procedure *p, struct people *pl)
{
	const char	*status = gate_query_text(&c->g, Q_STATUS);
	enum wf_status	 s;

	memset(pl, 0, sizeof(*pl));
	pl->c = c;
	pl->status = status;
	pl->want = by_post;
	postal_fields(p, pl);
	if (*status != '\0' && wf_status_parse(status, &s) == -1) {
		web_error_page(&c->g.w, 400, "出力の条件に誤りがあります", "状態の指定が正しくありません。");
		return -1;
	}
	if (open_people(pl, p, status) == -1) {
		system_error(c);
		return -1;
	}
	qsort(pl->p, pl->n, sizeof(*pl->p), by_postcode);
	return 0;
}

static int
postal_csv_rows(const struct people *pl, struct csv_writer *w)
{
	static const char *const head[] = { "郵便番号", "住所", "氏名", "結果", "受付番号" };
	struct buf	label;
	size_t		i, k;
	int		rc = 0;

	for (k = 0; k < sizeof(head) / sizeof(head[0]); k++)
		rc |= csv_field(w, head[k], strlen(head[k]));
	rc |= csv_end_row(w);
	buf_init(&label);
	for (i = 0; i < pl->n; i++) {
		const struct person	*m = &pl->p[i];
		const char		*cell[5];

		buf_reset(&label);
		rc |= wf_label_of(m->status, m->number, &label);
		cell[0] = col(m, P_POSTAL);
		cell[1] = col(m, P_ADDRESS);
		cell[2] = col(m, P_NAME);
		cell[3] = buf_cstr(&label);
		cell[4] = m->receipt;
		for (k = 0; k < sizeof(cell) / sizeof(cell[0]); k++)
			rc |= csv_field(w, cell[k], strlen(cell[k]));
		rc |= csv_end_row(w);
	}
	rc |= label.oom;
	buf_free(&label);
	return rc == 0 ? 0 : -1;
}

static int
to_memory(void *arg, const void *p, size_t n)
{
	return buf_put(arg, p, n);
}

/* The CSV, in the ledger (管理簿) and the audit log like an export, then sent. */
static void
postal_csv(struct ctx *c, const struct procedure *p, struct people *pl)
{
	const char		*enc = gate_query_text(&c->g, Q_ENCODING);
	const char		*purpose = gate_query_text(&c->g, Q_PURPOSE), *recipient = gate_query_text(&c->g, Q_RECIPIENT);
	int			 cp932 = strcmp(enc, "cp932") == 0;
	struct csv_writer	*w = NULL;
	struct buf		 csv, name, disp, detail;
	char			 sha[65];
	int64_t			 id;
	size_t			 replaced = 0;

	buf_init(&csv);
	buf_init(&name);
	buf_init(&disp);
	buf_init(&detail);
	if (*enc != '\0' && !cp932 && strcmp(enc, "utf-8") != 0) {
		web_error_page(&c->g.w, 400, "出力の条件に誤りがあります", "文字コードの指定が正しくありません。");
		goto done;
	}
	if (ledger_asked(c, purpose, recipient) == -1)
		goto done;
	if ((w = csv_open(cp932 ? CSV_CP932 : CSV_UTF8_BOM, to_memory, &csv)) == NULL ||
	    postal_csv_rows(pl, w) == -1)
		goto fail;
	replaced = csv_replaced(w);
	if (csv_close(w) == -1 || csv.oom) {
		w = NULL;
		goto fail;
	}
	w = NULL;
	if (seal_sha256_hex(csv.data, csv.len, sha) == -1 || export_filename(p, c->g.w.now, &name) == -1 ||
	    name.len < 4)
		goto fail;
	name.len -= 4;
	if (buf_puts(&name, "_郵送.csv") == -1 || csv_content_disposition(buf_cstr(&name), &disp) == -1 ||
	    http_header(&c->g.w.req, "Content-Disposition", buf_cstr(&disp)) == -1)
		goto fail;
	id = ledger_enter(c, p, "postal csv", pl->n, sha, purpose, recipient);
	buf_printf(&detail, "rows=%zu sha256=%s encoding=%s status=%s replaced=%zu unopened=%lld ledger=%lld postal",
	    pl->n, sha, cp932 ? "cp932" : "utf-8", *pl->status ? pl->status : "all", replaced,
	    (long long)pl->unopened, (long long)id);
	if (id == -1 || audit_ok(c, "export", p->id, buf_cstr(&detail)) == -1)
		goto fail;
	if (http_stream_begin(&c->g.w.req, cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8") == -1)
		goto done;
	(void)http_stream_write(&c->g.w.req, csv.data, csv.len);
	goto done;
fail:
	if (w != NULL)
		(void)csv_close(w);
	system_error(c);
done:
	buf_wipe(&csv);
	buf_free(&name);
	buf_free(&disp);
	buf_free(&detail);
}

static void
postal_page(struct ctx *c, const struct procedure *p, const struct people *pl)
{
	struct jn_date	today = jst_date(c->g.w.now);
	enum wf_status	s;
	char		detail[128];
	size_t		i;

	if (procedure_vars(c, p, "郵送でお知らせする方の一覧") == -1)
		goto fail;
	tvars_setf(c->g.w.vars, "today", "%d年%d月%d日", today.y, today.m, today.d);
	tvars_setf(c->g.w.vars, "n_rows", "%zu", pl->n);
	tvars_set(c->g.w.vars, "filter_status", pl->status);
	if (*pl->status != '\0')
		tvars_set(c->g.w.vars, "status_label", status_text(pl->status));
	if (pl->unopened > 0)
		tvars_setf(c->g.w.vars, "unopened", "%lld", (long long)pl->unopened);
	for (s = 0; s < WF__STATUSES; s++) {
		struct tvars *o = tvars_add(c->g.w.vars, "statuses");

		if (o == NULL)
			goto fail;
		tvars_set(o, "value", wf_status_code(s));
		tvars_set(o, "label", wf_staff_label(s));
		if (strcmp(pl->status, wf_status_code(s)) == 0)
			tvars_set(o, "selected", "1");
	}
	for (i = 0; i < pl->n; i++) {
		const struct person	*m = &pl->p[i];
		struct tvars		*row = tvars_add(c->g.w.vars, "rows");

		if (row == NULL)
			goto fail;
		tvars_set(row, "receipt", m->receipt);
		tvars_set(row, "name", m->opened ? col(m, P_NAME) : "（この申請を開く鍵がありません）");
		tvars_set(row, "postal", col(m, P_POSTAL));
		tvars_set(row, "address", col(m, P_ADDRESS));
		if (status_var(row, "status", m->status, m->number) == -1)
			goto fail;
	}
	snprintf(detail, sizeof(detail), "postal list rows=%zu status=%s unopened=%lld", pl->n,
	    *pl->status ? pl->status : "all", (long long)pl->unopened);
	if (audit_ok(c, "view", p->id, detail) == -1)
		goto fail;
	(void)web_render(&c->g.w, "staff_postal.html");
	return;
fail:
	system_error(c);
}

void
page_postal(void *arg)
{
	struct ctx		*c = arg;
	const struct procedure	*p = asked_procedure(c);
	struct people		 pl;

	if (p == NULL)
		return;
	if (postal_people(c, p, &pl) == 0) {
		if (strcmp(c->g.w.req.path, "/staff/postal.csv") == 0)
			postal_csv(c, p, &pl);
		else
			postal_page(c, p, &pl);
	}
	people_free(&pl);
}
