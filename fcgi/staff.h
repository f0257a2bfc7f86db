/*
 * staff.h: what the staff program's files share (not a library header).
 * staff.c has main, the route table and the processes; one file per page
 * or group of pages, as cgit's ui-*.c: staff_session.c (login, logout,
 * password, who is asking), staff_list.c (home and a procedure's list),
 * staff_app.c (one application, opening it, its workflow), staff_entry.c
 * (entering an application received on paper), staff_export.c,
 * staff_audit.c, staff_erasure.c (erasure reports), staff_ledger.c (the
 * hand-over ledger), staff_bulk.c (many applications' status at once),
 * staff_announce.c (announcements to a procedure's applicants),
 * staff_lottery.c (a lottery's draw and its record), staff_dups.c (likely
 * duplicates before a draw, the list for notices by post).
 */
#ifndef STAFF_H
#define STAFF_H

#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "answers.h"
#include "buf.h"
#include "confirm.h"
#include "db.h"
#include "formdef.h"
#include "formset.h"
#include "gate.h"
#include "seal.h"
#include "slots.h"
#include "tmpl.h"
#include "web.h"
#include "workflow.h"

#define PAGE_ROWS	50
#define MAX_SECTIONS	64
#define SESSION_MAX	(12 * 60 * 60)	/* a session ends after a working day, however active */
#define NOTE_MAX_CHARS	2000

/* The keys the routes declare (staff.c); an index names one key in every page. */
enum { C_CSRF, C_CSRF_HOST, C_SESSION, C_SESSION_HOST, C__COUNT };
enum { Q_M, Q_STATUS, Q_FROM, Q_TO, Q_PAGE, Q_ENCODING, Q_ACTION, Q_AT, Q_PID, Q_PURPOSE, Q_RECIPIENT, Q_OPEN,
       Q_PROCEDURE, Q__COUNT };
/* The control keys of an entry form (staff_entry.c); "f_<key>" field keys follow them. */
enum { E_CSRF = GATE_CSRF, E_ACTION, E_TOKEN, E_CHANNEL, E__CONTROL };
enum { B_CSRF = GATE_CSRF, B_LOGIN, B_PASSWORD, B_CURRENT, B_NEW, B_CONFIRM, B_FROM, B_TO, B_NOTE, B_ZIP_PASSWORD,
       B_PURPOSE, B_RECIPIENT, B_HOW, B_BY, B_ACTION, B_SCOPE, B_RECEIPT, B_TOKEN,
       B_SUBJECT, B_TEXT, B_STATUSES, B_RESERVES, B_ANYWAY, B_DECISION, B__COUNT };
/* A ledger entry's purpose, recipient and confirming person: one line, this many characters at most. */
#define LEDGER_TEXT_CHARS	100

/* Process-wide state: read-only while a request runs, replaced on reload. */
struct app {
	struct web_site	 site;
	unsigned char	 mac_key[SEAL_KEY_LEN];
	unsigned char	 audit_key[SEAL_KEY_LEN];
	/*
	 * The key of the hashes of inquiry keys printed on paper receipts,
	 * shared with apply, which checks them on /status (apply.h).
	 */
	unsigned char	 inquiry_key[SEAL_KEY_LEN];
	unsigned char	 mailer_pk[SEAL_PK_LEN];	/* older rows' mails and paper contact envelopes */
	int		 idle_seconds;		/* --idle-minutes */
	/*
	 * Argon2id runs at once across the workers (--hash-slots): fewer than
	 * the workers, so that a flood of logins leaves a worker for the
	 * members already logged in; a login finding none free gets 429.
	 */
	int		 nslots;
	struct slots	 hash_slots;
};

/* Per-request state, reset on every FastCGI iteration (staff.c: ctx_reset). */
struct ctx {
	struct gate		 g;
	struct app		*app;
	int			 member;		/* a valid session */
	int			 expired;		/* a session cookie that no longer works */
	struct db_staff		 staff;
	char			 session[64];		/* the cookie's token, needed to open the session's keys */
	unsigned char		 session_hash[SEAL_MAC_LEN];
	char			 sections[MAX_SECTIONS][64];	/* sections whose keys the session holds */
	size_t			 nsections;
	const struct procedure	*proc;			/* an entry form's (entry_proc) */
	struct formkeys		 keys;			/* its body keys (entry_keys) */
};

/* A list's filter from the query (read_filter); the caller frees query. */
struct filter {
	const char	*status;
	time_t		 from, to;
	int64_t		 page;
	struct buf	 query;		/* the same filter as a query string, for links */
	const char	*error;
};

/* staff.c: helpers of every page */
int		 status_offered(const char *code);
const char	*status_text(const char *code);
/* The same with a numbered status's number (補欠（3番）), set as v's name: 0 or -1. */
int		 status_var(struct tvars *v, const char *name, const char *code, long number);
/*
 * A "statuses" row (value, label) per status offered to staff for p (a
 * lottery's results only where p has a lottery); those named
 * in marked (",a,b,") get the variable mark ("selected", "checked") set.
 */
int		 status_rows(struct ctx *c, const struct procedure *p, const char *marked, const char *mark);
/* What a staff page's confirmation token is bound to: the procedure, under staff's key, in this browser. */
void		 staff_bind(const struct ctx *c, const struct procedure *p, struct confirm_bind *b);
int		 holds_section(const struct ctx *c, const char *section);
const char	*section_name(struct ctx *c, const char *id, char *buf, size_t len);
void		 audit_as(struct ctx *c, const char *actor, const char *action, const char *target,
		    const char *detail);
void		 audit(struct ctx *c, const char *action, const char *target, const char *detail);
int		 audit_ok(struct ctx *c, const char *action, const char *target, const char *detail);
void		 system_error(struct ctx *c);
void		 not_found(struct ctx *c);
int		 denied(struct ctx *c, const char *target, const char *why);
void		 deny(struct ctx *c, const char *target, const char *why);
void		 redirect(struct ctx *c, const char *location);
int		 member_vars(struct ctx *c, const char *title);
int		 pager_vars(struct ctx *c, int64_t page, int64_t total);
/* A record's number at the end of a path: only canonical digits ("01" is not one).  0, or -1. */
int		 path_number(const char *s, int64_t *out);

/* staff_session.c */
int		 authenticate(void *arg, enum wf_role *role);
void		 page_login(void *arg);
void		 page_logout(void *arg);
void		 page_password(void *arg);
const char	*password_problem(struct ctx *c, const char *pw, int for_zip);

/* staff_list.c */
void		 page_home(void *arg);
void		 page_forms(void *arg);
int		 read_filter(struct ctx *c, struct filter *f);

/* staff_app.c */
void		 page_app(void *arg);
int		 session_key(void *arg, const char *key_id, unsigned char pk[SEAL_PK_LEN],
		    unsigned char sk[SEAL_SK_LEN]);
int		 open_sealed(struct ctx *c, const char *key_id, const void *sealed, size_t len, struct buf *plain);
json_object	*payload_answers(const struct buf *plain, json_object **root);
/*
 * Move an application of the member's sections from its status to `to`,
 * as the detail page does: the note sealed, the change's mail, the
 * waitlist moving up, audited.  0; DB_NOTFOUND when there is no such
 * application of the member's, or staff may not make that change from its
 * status; -1.
 */
int		 app_change(struct ctx *c, const char *receipt, const char *to, const char *note);
int		 seal_note(struct ctx *c, const char *section, const char *note, char key_id[SEAL_KEYID_LEN + 1],
		    struct buf *out);

/* staff_bulk.c */
void		 page_bulk(void *arg);
/* The statuses a bulk change may lead to, in the workflow's order, once each: "targets" rows (value, label). */
int		 bulk_targets(struct ctx *c);

/* staff_announce.c */
void		 page_announce(void *arg);

/* staff_entry.c */
int		 entry_proc(void *arg);
int		 entry_keys(void *arg, const struct kv_decl **decls, size_t *n);
void		 page_entry(void *arg);

/* staff_export.c */
void		 page_export(struct ctx *c, const struct procedure *p);
void		 page_export_zip(struct ctx *c, const struct procedure *p);
/* Are an export's purpose and recipient (管理簿) given?  0; -1 after answering 400. */
int		 ledger_asked(struct ctx *c, const char *purpose, const char *recipient);
/* The export's entry in the hand-over ledger: its id, or -1 (the request then fails with 500). */
int64_t		 ledger_enter(struct ctx *c, const struct procedure *p, const char *form, size_t rows,
		    const char *sha256, const char *purpose, const char *recipient);

/* staff_dups.c */
void		 page_duplicates(void *arg);
void		 page_postal(void *arg);

/* staff_audit.c */
void		 page_audit(void *arg);

/* staff_erasure.c */
void		 page_erasure(void *arg);

/* staff_lottery.c */
void		 page_lottery(void *arg);

/* staff_ledger.c */
void		 page_ledger(void *arg);
int		 ledger_text_ok(const char *v, size_t len);

#endif
