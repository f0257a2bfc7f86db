/*
 * workflow: the vocabulary of an application's life and of who may act on
 * it, in one place.  The statuses (stored as their codes in
 * applications.status and app_events), which status may follow which, the
 * labels staff and residents read, the mail each change sends the resident,
 * the staff roles (stored as their codes in staff.role), and the channels
 * an application arrives by (applications.channel).
 *
 * The schema refuses any other status code (lib/db.c, schema 5) and any
 * other role (schema 2); tests/unit/test_workflow.c holds the schema and
 * these tables together.  Every string returned here is static.
 */
#ifndef WORKFLOW_H
#define WORKFLOW_H

#include <stddef.h>

#include "buf.h"

/* In the order staff see them. */
enum wf_status {
	WF_RECEIVED,		/* 到達: stored, not yet looked at */
	WF_ACCEPTED,		/* 受付 */
	WF_DONE,		/* 完了 */
	WF_RETURNED,		/* 差戻し: back to the resident */
	WF_WITHDRAWN,		/* 取下げ */
	/*
	 * A lottery's results: only its draw puts an application here, and
	 * only a 当選 given up moves a 補欠 up (db.h: db_lottery_draw,
	 * db_promote.lottery); the transitions staff may make after are in
	 * workflow.c.
	 */
	WF_WON,			/* 当選 */
	WF_LOST,		/* 落選 */
	WF_RESERVE,		/* 補欠, with its place in the reserve list (wf_label_numbered) */
	/*
	 * キャンセル待ち: stored over a procedure's places where its definition
	 * declares a waitlist; only the batching writer puts an application
	 * here and only a freed place takes it out (db.h: places), so staff
	 * may only withdraw it.
	 */
	WF_WAITLISTED,
	WF__STATUSES
};

/*
 * How an application arrived: online, or on paper entered by staff (代理入力).
 * The schema refuses any other code (schema 6).
 */
enum wf_channel {
	WF_CHANNEL_WEB,		/* the resident's own send: the default */
	WF_CHANNEL_POST,	/* 郵送 */
	WF_CHANNEL_FAX,		/* FAX */
	WF_CHANNEL_COUNTER,	/* 窓口 */
	WF__CHANNELS
};

/* Who is asking: nobody logged in, or a member with one of the stored roles. */
enum wf_role {
	WF_ROLE_NONE,
	WF_ROLE_STAFF,		/* section work: lists, applications, exports */
	WF_ROLE_ADMIN,		/* a member who also administers (formctl) */
	WF_ROLE_AUDITOR,	/* reads the audit log, never applications */
	WF__ROLES
};

/* What a page needs of the one asking (a route's declaration, lib/gate.h). */
enum wf_need {
	WF_NEED_NONE,		/* anyone, logged in or not */
	WF_NEED_MEMBER,		/* any member, whatever the role */
	WF_NEED_STAFF,		/* each of these: that role exactly */
	WF_NEED_ADMIN,
	WF_NEED_AUDITOR,
	WF_NEED_OVERSIGHT	/* an admin or an auditor: records without personal data (erasure reports) */
};

/* One change staff may make, and the mail it sends the resident (NULL: none). */
struct wf_transition {
	enum wf_status	 from, to;
	const char	*mail;		/* a mail kind of lib/mail.h: "acceptance", "return" */
};

/* The stored code ("received", ...); s must be a status. */
const char	*wf_status_code(enum wf_status s);
/* The status a stored code names: 0, or -1 for anything else. */
int		 wf_status_parse(const char *code, enum wf_status *out);
/* Is the status offered to staff (filters, counts, formctl)?  0 for the reserved ones. */
int		 wf_status_offered(enum wf_status s);
/*
 * Does an application in this status hold its places (定員)?  Leaving such
 * a status for one that does not frees them (db_app_event).
 */
int		 wf_status_holds_place(enum wf_status s);
/* The same for a stored code; 0 for an unknown one. */
int		 wf_status_holds_place_code(const char *code);
/* May the resident withdraw (取下げ) an application in this status themselves, from /status? */
int		 wf_resident_may_withdraw(enum wf_status s);
/* Does the status carry a number (a place in the reserve list)? */
int		 wf_status_numbered(enum wf_status s);
/* The short label staff see (到達); the message id of the sentence residents see on their status page. */
const char	*wf_staff_label(enum wf_status s);
const char	*wf_resident_msgid(enum wf_status s);
/* The staff label of a stored code, or NULL when it names no status. */
const char	*wf_staff_label_of(const char *code);
/* A numbered status's staff label with its number ("補欠（3番）"), appended to out. */
int		 wf_label_numbered(enum wf_status s, long number, struct buf *out);
/* The staff label of a stored code and its number (numbered ones, when > 0), or the code itself. */
int		 wf_label_of(const char *code, long number, struct buf *out);

/* Every transition, in the order the detail page offers them; *n is set to their count. */
const struct wf_transition *wf_transitions(size_t *n);
/* The transition from -> to, or NULL when staff may not make it. */
const struct wf_transition *wf_transition(enum wf_status from, enum wf_status to);

/* The stored code of a role ("staff", "admin", "auditor"); "" for WF_ROLE_NONE. */
const char	*wf_role_code(enum wf_role r);
/* The role a stored code names: 0, or -1 for anything else ("" included). */
int		 wf_role_parse(const char *code, enum wf_role *out);
const char	*wf_role_label(enum wf_role r);
/* Does role r satisfy need? */
int		 wf_role_meets(enum wf_role r, enum wf_need need);

/* The stored code of a channel ("web", "post", "fax", "counter"). */
const char	*wf_channel_code(enum wf_channel ch);
/* The channel a stored code names: 0, or -1 for anything else. */
int		 wf_channel_parse(const char *code, enum wf_channel *out);
/* What staff read (オンライン, 郵送, FAX, 窓口); for a stored code, the code itself when it names none. */
const char	*wf_channel_label(enum wf_channel ch);
const char	*wf_channel_label_of(const char *code);

/* What staff read for a mail kind ("申請到達メール"); the kind itself when unknown. */
const char	*wf_mail_label(const char *kind);

#endif
