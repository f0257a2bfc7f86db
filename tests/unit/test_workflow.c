/* Unit tests for lib/workflow.c. */
#include "workflow.h"
#include "t.h"

static void
codes_round_trip(void)
{
	enum wf_status	s, back;
	enum wf_role	r, rback;

	for (s = 0; s < WF__STATUSES; s++) {
		T_CHECK(wf_status_parse(wf_status_code(s), &back) == 0 && back == s);
		T_CHECK(*wf_staff_label(s) != '\0' && *wf_resident_label(s) != '\0');
		T_STREQ(wf_staff_label_of(wf_status_code(s)), wf_staff_label(s));
	}
	for (r = WF_ROLE_STAFF; r < WF__ROLES; r++)
		T_CHECK(wf_role_parse(wf_role_code(r), &rback) == 0 && rback == r && *wf_role_label(r) != '\0');
}

static void
unknown_codes_refused(void)
{
	enum wf_status	s = WF_DONE;
	enum wf_role	r = WF_ROLE_ADMIN;

	T_CHECK(wf_status_parse("", &s) == -1 && wf_status_parse("Received", &s) == -1 &&
	    wf_status_parse("received ", &s) == -1 && wf_status_parse("到達", &s) == -1);
	T_CHECK(s == WF_DONE);
	T_CHECK(wf_staff_label_of("nonsense") == NULL);
	T_CHECK(wf_role_parse("", &r) == -1 && wf_role_parse("Admin", &r) == -1 &&
	    wf_role_parse("root", &r) == -1 && wf_role_parse("staff ", &r) == -1);
	T_CHECK(r == WF_ROLE_ADMIN);
}

static void
labels_as_staff_and_residents_read_them(void)
{
	T_STREQ(wf_staff_label(WF_RECEIVED), "到達");
	T_STREQ(wf_staff_label(WF_RETURNED), "差戻し");
	T_STREQ(wf_resident_label(WF_ACCEPTED), "受付（担当課で受け付けました）");
	T_STREQ(wf_staff_label(WF_WON), "当選");
	T_STREQ(wf_staff_label(WF_LOST), "落選");
	T_STREQ(wf_staff_label(WF_RESERVE), "補欠");
	T_STREQ(wf_staff_label(WF_WAITLISTED), "キャンセル待ち");
	T_STREQ(wf_role_label(WF_ROLE_AUDITOR), "監査担当");
	T_STREQ(wf_mail_label("acceptance"), "受付完了メール");
	T_STREQ(wf_mail_label("unknown-kind"), "unknown-kind");
}

static void
reserve_carries_its_number(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(wf_status_numbered(WF_RESERVE) && !wf_status_numbered(WF_WON));
	T_CHECK(wf_label_numbered(WF_RESERVE, 3, &b) == 0);
	T_STREQ(buf_cstr(&b), "補欠（3番）");
	buf_free(&b);
}

static void
transitions_and_their_mails(void)
{
	const struct wf_transition *t;

	T_CHECK((t = wf_transition(WF_RECEIVED, WF_ACCEPTED)) != NULL && strcmp(t->mail, "acceptance") == 0);
	T_CHECK((t = wf_transition(WF_ACCEPTED, WF_RETURNED)) != NULL && strcmp(t->mail, "return") == 0);
	T_CHECK((t = wf_transition(WF_ACCEPTED, WF_DONE)) != NULL && t->mail == NULL);
	T_CHECK(wf_transition(WF_ACCEPTED, WF_RECEIVED) == NULL);	/* no way back but from 差戻し */
	T_CHECK(wf_transition(WF_DONE, WF_WITHDRAWN) == NULL);		/* 完了 is final */
	T_CHECK(wf_transition(WF_RECEIVED, WF_RECEIVED) == NULL);
}

/* The lottery and waitlist statuses are named and labelled, but nothing leads to or from them yet. */
static void
reserved_statuses_unreachable(void)
{
	const struct wf_transition	*t;
	size_t				 i, n;
	enum wf_status			 s;

	t = wf_transitions(&n);
	T_CHECK(n == 8);
	for (i = 0; i < n; i++)
		T_CHECK(wf_status_offered(t[i].from) && wf_status_offered(t[i].to));
	for (s = 0; s < WF__STATUSES; s++)
		T_CHECK(wf_status_offered(s) == (s < WF_WON));
}

static void
roles_meet_needs(void)
{
	T_CHECK(wf_role_meets(WF_ROLE_NONE, WF_NEED_NONE));
	T_CHECK(!wf_role_meets(WF_ROLE_NONE, WF_NEED_MEMBER));
	T_CHECK(wf_role_meets(WF_ROLE_STAFF, WF_NEED_MEMBER) && wf_role_meets(WF_ROLE_AUDITOR, WF_NEED_MEMBER));
	T_CHECK(wf_role_meets(WF_ROLE_AUDITOR, WF_NEED_AUDITOR));
	T_CHECK(!wf_role_meets(WF_ROLE_ADMIN, WF_NEED_AUDITOR) && !wf_role_meets(WF_ROLE_STAFF, WF_NEED_AUDITOR));
	T_CHECK(!wf_role_meets(WF_ROLE_AUDITOR, WF_NEED_STAFF) && wf_role_meets(WF_ROLE_STAFF, WF_NEED_STAFF));
	T_CHECK(!wf_role_meets(WF_ROLE_STAFF, WF_NEED_ADMIN) && wf_role_meets(WF_ROLE_ADMIN, WF_NEED_ADMIN));
}

int
main(void)
{
	T_RUN(codes_round_trip);
	T_RUN(unknown_codes_refused);
	T_RUN(labels_as_staff_and_residents_read_them);
	T_RUN(reserve_carries_its_number);
	T_RUN(transitions_and_their_mails);
	T_RUN(reserved_statuses_unreachable);
	T_RUN(roles_meet_needs);
	return T_DONE();
}
