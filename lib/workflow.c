#include "workflow.h"

#include <string.h>

#include "msgcat.h"

/* The codes as stored: applications.status, app_events, staff.role. */
static const char *const status_codes[WF__STATUSES] = {
	[WF_RECEIVED] = "received", [WF_ACCEPTED] = "accepted", [WF_DONE] = "done",
	[WF_RETURNED] = "returned", [WF_WITHDRAWN] = "withdrawn", [WF_WON] = "won", [WF_LOST] = "lost",
	[WF_RESERVE] = "reserve", [WF_WAITLISTED] = "waitlisted",
};
static const char *const channel_codes[WF__CHANNELS] = {
	[WF_CHANNEL_WEB] = "web", [WF_CHANNEL_POST] = "post", [WF_CHANNEL_FAX] = "fax",
	[WF_CHANNEL_COUNTER] = "counter",
};
static const char *const channel_labels[WF__CHANNELS] = {
	[WF_CHANNEL_WEB] = "オンライン", [WF_CHANNEL_POST] = "郵送", [WF_CHANNEL_FAX] = "FAX",
	[WF_CHANNEL_COUNTER] = "窓口",
};
static const char *const role_codes[WF__ROLES] = {
	[WF_ROLE_NONE] = "", [WF_ROLE_STAFF] = "staff", [WF_ROLE_ADMIN] = "admin", [WF_ROLE_AUDITOR] = "auditor",
};

static const struct {
	const char	*staff;
	const char	*resident;	/* a message id (lang.h): residents read their language */
	int		 offered;
	int		 numbered;
	int		 holds;		/* holds its places (定員) */
} statuses[WF__STATUSES] = {
	[WF_RECEIVED] = { "到達", N_("state.received"), 1, 0, 1 },
	[WF_ACCEPTED] = { "受付", N_("state.accepted"), 1, 0, 1 },
	[WF_DONE] = { "完了", N_("state.done"), 1, 0, 1 },
	[WF_RETURNED] = { "差戻し", N_("state.returned"), 1, 0, 1 },
	[WF_WITHDRAWN] = { "取下げ", N_("state.withdrawn"), 1, 0, 0 },
	[WF_WON] = { "当選", N_("state.won"), 1, 0, 1 },
	[WF_LOST] = { "落選", N_("state.lost"), 1, 0, 0 },
	[WF_RESERVE] = { "補欠", N_("state.reserve"), 1, 1, 0 },
	[WF_WAITLISTED] = { "キャンセル待ち", N_("state.waitlisted"), 1, 0, 0 },
};

/* 受付 and 差戻し tell the resident by mail; 到達's mail goes with the application itself. */
static const struct wf_transition transitions[] = {
	{ WF_RECEIVED, WF_ACCEPTED, "acceptance" }, { WF_RECEIVED, WF_RETURNED, "return" },
	{ WF_RECEIVED, WF_WITHDRAWN, NULL },
	{ WF_ACCEPTED, WF_DONE, NULL }, { WF_ACCEPTED, WF_RETURNED, "return" },
	{ WF_ACCEPTED, WF_WITHDRAWN, NULL },
	{ WF_RETURNED, WF_RECEIVED, NULL }, { WF_RETURNED, WF_WITHDRAWN, NULL },
	{ WF_WAITLISTED, WF_WITHDRAWN, NULL },
	/*
	 * After a draw: only the draw and a reserve moving up lead to 当選,
	 * 落選 or 補欠 (db_lottery.c).  A 当選 is withdrawn (its places go to
	 * 補欠1, in order) or done after the event; a 補欠 may be withdrawn;
	 * 落選 is final.
	 */
	{ WF_WON, WF_DONE, NULL }, { WF_WON, WF_WITHDRAWN, NULL }, { WF_RESERVE, WF_WITHDRAWN, NULL },
};

static const char *const role_labels[WF__ROLES] = {
	[WF_ROLE_NONE] = "", [WF_ROLE_STAFF] = "職員", [WF_ROLE_ADMIN] = "管理者", [WF_ROLE_AUDITOR] = "監査担当",
};

/* The index of code in codes[from, n), or -1. */
static int
code_index(const char *const codes[], size_t from, size_t n, const char *code)
{
	size_t i;

	for (i = from; i < n; i++)
		if (strcmp(codes[i], code) == 0)
			return (int)i;
	return -1;
}

const char *
wf_status_code(enum wf_status s)
{
	return status_codes[s];
}

int
wf_status_parse(const char *code, enum wf_status *out)
{
	int i = code_index(status_codes, 0, WF__STATUSES, code);

	if (i == -1)
		return -1;
	*out = (enum wf_status)i;
	return 0;
}

int
wf_status_offered(enum wf_status s)
{
	return statuses[s].offered;
}

int
wf_status_holds_place(enum wf_status s)
{
	return statuses[s].holds;
}

int
wf_status_holds_place_code(const char *code)
{
	enum wf_status s;

	return wf_status_parse(code, &s) == 0 && statuses[s].holds;
}

int
wf_resident_may_withdraw(enum wf_status s)
{
	/* Not once the section has finished with it (完了) or it lost the draw; a winner may give its place up. */
	return s == WF_RECEIVED || s == WF_ACCEPTED || s == WF_RETURNED || s == WF_WAITLISTED || s == WF_WON ||
	    s == WF_RESERVE;
}

int
wf_status_numbered(enum wf_status s)
{
	return statuses[s].numbered;
}

const char *
wf_staff_label(enum wf_status s)
{
	return statuses[s].staff;
}

const char *
wf_resident_msgid(enum wf_status s)
{
	return statuses[s].resident;
}

const char *
wf_staff_label_of(const char *code)
{
	enum wf_status s;

	return wf_status_parse(code, &s) == 0 ? statuses[s].staff : NULL;
}

int
wf_label_numbered(enum wf_status s, long number, struct buf *out)
{
	return buf_printf(out, "%s（%ld番）", statuses[s].staff, number);
}

int
wf_label_of(const char *code, long number, struct buf *out)
{
	enum wf_status s;

	if (wf_status_parse(code, &s) == -1)
		return buf_puts(out, code);
	if (statuses[s].numbered && number > 0)
		return wf_label_numbered(s, number, out);
	return buf_puts(out, statuses[s].staff);
}

const struct wf_transition *
wf_transitions(size_t *n)
{
	*n = sizeof(transitions) / sizeof(transitions[0]);
	return transitions;
}

const struct wf_transition *
wf_transition(enum wf_status from, enum wf_status to)
{
	size_t i;

	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].from == from && transitions[i].to == to)
			return &transitions[i];
	return NULL;
}

const char *
wf_role_code(enum wf_role r)
{
	return role_codes[r];
}

int
wf_role_parse(const char *code, enum wf_role *out)
{
	int i = code_index(role_codes, WF_ROLE_NONE + 1, WF__ROLES, code);	/* "" is nobody's role */

	if (i == -1)
		return -1;
	*out = (enum wf_role)i;
	return 0;
}

const char *
wf_role_label(enum wf_role r)
{
	return role_labels[r];
}

int
wf_role_meets(enum wf_role r, enum wf_need need)
{
	switch (need) {
	case WF_NEED_NONE:
		return 1;
	case WF_NEED_MEMBER:
		return r != WF_ROLE_NONE;
	case WF_NEED_STAFF:
		return r == WF_ROLE_STAFF;
	case WF_NEED_ADMIN:
		return r == WF_ROLE_ADMIN;
	case WF_NEED_AUDITOR:
		return r == WF_ROLE_AUDITOR;
	case WF_NEED_OVERSIGHT:
		return r == WF_ROLE_ADMIN || r == WF_ROLE_AUDITOR;
	}
	return 0;
}

const char *
wf_channel_code(enum wf_channel ch)
{
	return channel_codes[ch];
}

int
wf_channel_parse(const char *code, enum wf_channel *out)
{
	int i = code_index(channel_codes, 0, WF__CHANNELS, code);

	if (i == -1)
		return -1;
	*out = (enum wf_channel)i;
	return 0;
}

const char *
wf_channel_label(enum wf_channel ch)
{
	return channel_labels[ch];
}

const char *
wf_channel_label_of(const char *code)
{
	enum wf_channel ch;

	return wf_channel_parse(code, &ch) == 0 ? channel_labels[ch] : code;
}

const char *
wf_mail_label(const char *kind)
{
	static const char *const labels[][2] = {
		{ "arrival", "申請到達メール" }, { "acceptance", "受付完了メール" },
		{ "return", "差戻しのお知らせ" }, { "promotion", "繰上げ当選のお知らせ" },
		{ "won", "当選のお知らせ" }, { "lost", "抽選結果のお知らせ（落選）" }, { "reserve", "補欠のお知らせ" },
		{ "announcement", "お知らせメール" },
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i][0], kind) == 0)
			return labels[i][1];
	return kind;
}
