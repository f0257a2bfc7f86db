/*
 * db: the one place where SQL lives.  Every statement is in the table in
 * db_sql.c, prepared once at open and run with bound parameters only.  The
 * schema is versioned (PRAGMA user_version) and migrated on open
 * (db_schema.c).  The functions below are in db.c and, by section, in
 * db_section.c, db_app.c, db_staff.c, db_audit.c and db_outbox.c.
 *
 * Returns: 0 success, DB_NOTFOUND (1) when a lookup found nothing, DB_EXISTS
 * (2) when an insert met an existing row, -1 on error (logged without data).
 * Strings and blobs written into caller buffers are the caller's; nothing
 * returned points into SQLite after the call.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "lang.h"
#include "seal.h"

#define DB_NOTFOUND	1
#define DB_EXISTS	2
#define DB_TAKEN	3	/* a receipt drawn by the caller is already in use */
#define DB_STALE_KEY	4	/* sealed to a key that is no longer the section's current one */
#define DB_LIMITED	5	/* its sender is over the send limit (db_set_limits): nothing stored */
#define DB_MAIL_HELD	6	/* stored, but its arrival mail was not queued: its recipient is over the limit */
#define DB_FULL		7	/* over its places (定員), and no waitlist: nothing stored */
#define DB_SCHEMA_VERSION 17
#define DB_RECEIPT_LEN	14	/* "1234-5678-9012" */
#define DB_PARTICIPANT_LEN 23	/* "ECO-1234-5678-9012": a prefix of at most 8 letters, '-', 14 */

struct db;

/* Open (creating if needed) with WAL and synchronous=FULL, and migrate. */
int	db_open(const char *path, struct db **out);
void	db_close(struct db *db);
int	db_schema_version(struct db *db);
/*
 * A consistent copy of the whole database into a new file at path (VACUUM
 * INTO: one read transaction, so writers go on meanwhile).
 */
int	db_copy_into(struct db *db, const char *path);
/*
 * Can a write transaction begin now?  BEGIN IMMEDIATE, waiting at most
 * wait_ms for another writer, then ROLLBACK: nothing is written.  0 yes,
 * DB_BUSY (another writer held it all that time), -1 (cannot write).
 */
int	db_write_probe(struct db *db, int wait_ms);
/* PRAGMA integrity_check: 0 when "ok", 1 with the first problems appended to why, -1 on error. */
int	db_integrity(struct db *db, struct buf *why);
/* Applications and notes sealed to a key id no section key has: how many of each. */
int	db_unknown_keys(struct db *db, int64_t *applications, int64_t *notes);
/* Loading benchmark data only: commits stop waiting for the disk (synchronous=OFF) on this connection. */
int	db_bulk_load_mode(struct db *db);
/*
 * An explicit write transaction for admin operations made of several
 * statements (key rotation).  Functions documented as "in one transaction"
 * open their own and must not be called inside one.
 */
int	db_begin(struct db *db);
int	db_commit(struct db *db);
void	db_rollback(struct db *db);
/* Commit when ok, else roll back: 0 when committed. */
int	db_end(struct db *db, int ok);

int	db_section_add(struct db *db, const char *id, const char *name, time_t now);
int	db_section_exists(struct db *db, const char *id);	/* 1 yes, 0 no, -1 error */
/* Calls fn for each section; stops early when fn returns non-zero. */
int	db_section_each(struct db *db, int (*fn)(const char *id, const char *name, void *arg), void *arg);
int	db_key_add(struct db *db, const char *section_id, const char key_id[SEAL_KEYID_LEN + 1],
	    const unsigned char pk[SEAL_PK_LEN], const void *recovery_wrapped, size_t wrapped_len, time_t now);
/* The section's current public key (the newest). */
int	db_key_current(struct db *db, const char *section_id, char key_id[SEAL_KEYID_LEN + 1],
	    unsigned char pk[SEAL_PK_LEN]);
/* A key by id: its public key and the secret key wrapped with the recovery key (appended to wrapped). */
int	db_key_get(struct db *db, const char *key_id, char section_id[64], unsigned char pk[SEAL_PK_LEN],
	    struct buf *wrapped);

/*
 * A mail to queue in the outbox with the change that causes it: its clear
 * text (mail.h: subject and body, nothing personal), whose address the
 * mailer takes from the application's contact envelope; or, as queued
 * before contact envelopes, the whole mail sealed to the mailer's key.
 */
struct db_outbox_item {
	const char	*kind;		/* "arrival", "acceptance", "return" */
	const char	*procedure_id;
	const char	*section_id;
	const void	*sealed;	/* sealed to the mailer's public key, or NULL for text */
	size_t		 sealed_len;
	time_t		 at;
	void		(*release)(struct db_outbox_item *m, void *arg);	/* frees text or sealed, or NULL */
	const char	*text;		/* the clear text, or NULL for sealed */
};

/*
 * Places (定員), first come first served: what an application counts for,
 * from its definition.  Every application counts in its procedure's
 * counter; one whose choice has places of its own also in the choice's.
 * Its people fit when each limit that is set still has room for them; over
 * a limit it waits (キャンセル待ち) when the definition has a waitlist, and
 * is refused (DB_FULL) when not.  Decided in the transaction that stores
 * it, from counters that transaction keeps (no count of rows), so that
 * exactly capacity people are accepted however many send at once.
 */
struct db_places {
	const char	*choice;	/* the answer of the choice field with places, or NULL/"" */
	long		 people;	/* how many it counts for; 0 is taken as 1 */
	long		 capacity;	/* the procedure's places; 0: no limit (also for a lottery) */
	long		 choice_places;	/* the choice's places; 0: the choice has none */
	int		 waitlist;	/* over a limit: waits rather than DB_FULL */
};

struct db_app {
	const char	*procedure_id;
	const char	*section_id;
	const char	*channel;	/* a wf_channel code; NULL: "web" */
	const char	*form_hash;
	/*
	 * The application as its caller sealed it to key_id, which must be the
	 * section's current key (DB_STALE_KEY otherwise); or, with sealed NULL,
	 * its plaintext (plain), sealed in the storing transaction to the
	 * section's current key: db_app_store_batch seals a batch to one key
	 * from one ephemeral key pair (seal.h), so a rotation takes effect with
	 * the next batch.
	 */
	const char	*key_id;
	const void	*sealed;
	size_t		 sealed_len;
	const void	*plain;
	size_t		 plain_len;
	/*
	 * The contact envelope's plaintext (mail.h: the address later mails go
	 * to), or NULL for none: sealed the same way to the mailer's key
	 * (db_set_contact_key) and stored beside the application, also when
	 * its arrival mail is held.
	 */
	const void	*contact;
	size_t		 contact_len;
	unsigned char	 submit_hash[SEAL_MAC_LEN];	/* exactly-once key (apply.c: submit_key) */
	unsigned char	 inquiry_hash[SEAL_MAC_LEN];
	/*
	 * The participant ID to issue with it (formdef.h: participant_prefix;
	 * NULL: none): drawn with the receipt, unique among all applications,
	 * and written to participant (DB_PARTICIPANT_LEN + 1 bytes, the
	 * caller's, or NULL) once stored.  A replay (DB_EXISTS) writes "":
	 * the stored one is in db_app_status.
	 */
	const char	*participant_prefix;
	char		*participant;
	time_t		 received_at;
	const char	*lang;		/* the language the resident applied in (lang.h); NULL: Japanese */
	/*
	 * Who is counted for the limits (db_set_limits): keyed hashes, made by
	 * the caller, of the sender (client address and procedure) and of the
	 * arrival mail's recipient.  received_at is the time they count at.
	 */
	unsigned char	 sender_key[SEAL_MAC_LEN];
	unsigned char	 recipient_key[SEAL_MAC_LEN];
	/*
	 * The arrival mail, made once the receipt (and participant ID, "" for
	 * none) is drawn and queued in the same transaction: fill m and return
	 * 0, return DB_NOTFOUND for no mail, -1 to fail the store.  NULL: no
	 * mail.
	 */
	int		(*mail)(const char *receipt, const char *participant, struct db_outbox_item *m, void *arg);
	void		*mail_arg;
	struct db_places places;	/* all zero: counted, never limited */
};
/*
 * Limits on the applications this handle stores (0: none, the default):
 * send_limit applications per sender_key within send_window seconds, and
 * mail_limit arrival mails per recipient_key within DB_MAIL_WINDOW.  Over
 * them a store answers DB_LIMITED (nothing stored) or DB_MAIL_HELD (stored
 * without its mail).  Sliding windows, counted in tenths; a replay
 * (DB_EXISTS) is not a send, and only what is stored counts.
 */
#define DB_MAIL_WINDOW	(24 * 60 * 60)
struct db_limits {
	int	send_limit;
	int	send_window;	/* seconds, at least 1 */
	int	mail_limit;
};
void	db_set_limits(struct db *db, const struct db_limits *limits);
/* The mailer's public key, to which this handle seals contact envelopes (none set: storing one fails). */
void	db_set_contact_key(struct db *db, const unsigned char pk[SEAL_PK_LEN]);

/*
 * Store an application once: in one write transaction, if an application
 * with the same submit_hash exists its receipt is returned with DB_EXISTS
 * (a replayed or double-clicked send); otherwise a fresh random receipt is
 * drawn and the row committed (durably: synchronous=FULL) before returning 0
 * (or DB_MAIL_HELD: stored without its arrival mail).
 * DB_STALE_KEY when app->key_id is not the section's current key (a key
 * rotated since the caller read it): nothing is stored; seal again.
 * DB_LIMITED: over the send limit, nothing stored.
 */
int	db_app_store(struct db *db, const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1]);
/* db_app_store, also saying a waitlisted application's turn (*position, 0 when it holds places); DB_FULL. */
int	db_app_store_at(struct db *db, const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1], long *position);

/*
 * Group commit (the batching writer, writer.h): many applications in one
 * write transaction and one fsync.  Each request comes with its receipt
 * already drawn and its arrival mail already made (db_app_store_via); app.mail
 * is not used.  Plaintexts (app.plain, app.contact) are sealed with one
 * ephemeral key pair per recipient for the whole batch, wiped before this
 * returns.  Each gets its own savepoint and result: 0 stored, DB_EXISTS
 * (same submit_hash: receipt is overwritten with the stored one), DB_TAKEN
 * (the receipt or participant ID is in use: draw again), DB_STALE_KEY (app.key_id is not the section's current key:
 * nothing stored, seal again), DB_LIMITED, DB_MAIL_HELD (see db_set_limits),
 * -1.  If the commit fails every result is -1.
 * Returns the number stored, or -1 when the transaction failed.
 */
struct db_store_req {
	struct db_app			 app;
	char				 receipt[DB_RECEIPT_LEN + 1];
	char				 participant[DB_PARTICIPANT_LEN + 1];	/* drawn with it; "" for none */
	const struct db_outbox_item	*mail;	/* NULL: no mail */
	int				 result;
	long				 position;	/* stored waitlisted: its turn (1 first); else 0 */
};
int	db_app_store_batch(struct db *db, struct db_store_req *reqs, size_t n);
/*
 * db_app_store through another way to a commit (apply: the batching writer).
 * store sends one request and sets its result (0 when answered, -1 when
 * not); a receipt in use is drawn again, with a fresh mail.  Returns like
 * db_app_store.
 */
int	db_app_store_via(const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1],
	    int (*store)(struct db_store_req *, void *), void *arg);
/* db_app_store_via, also saying a waitlisted application's turn (*position, 0 when it holds places). */
int	db_app_store_via_at(const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1], long *position,
	    int (*store)(struct db_store_req *, void *), void *arg);
/*
 * A waitlisted arrival mail's text gets its turn written in (db_app_store_batch):
 * fn writes the new text of text for position to out (0, or -1).  Unset: queued as it is.
 */
typedef int (*db_waitlist_fn)(void *arg, const char *text, long position, const char *lang, struct buf *out);
void	db_set_waitlist_text(struct db *db, db_waitlist_fn fn, void *arg);

/* A procedure's counters (places): fn per counter row ("" the procedure, else a choice). */
int	db_places_each(struct db *db, const char *procedure_id,
	    int (*fn)(const char *choice, int64_t taken, int64_t waiting, void *arg), void *arg);
/* A waiting application's turn now (1 first, among those of its choice): 0, DB_NOTFOUND when not waiting. */
int	db_app_wait_position(struct db *db, const char *receipt, long *position);

struct db_app_status {
	char		 procedure_id[64];
	char		 status[16];
	char		 channel[16];	/* whose key hashed the inquiry key: apply's for "web" */
	char		 participant[DB_PARTICIPANT_LEN + 1];	/* "" for none */
	time_t		 received_at;
	unsigned char	 inquiry_hash[SEAL_MAC_LEN];
	char		 lang[LANG_TAG_MAX + 1];	/* the language the resident applied in: later mails use it */
	long		 number;	/* a numbered status's number (workflow.h: 補欠's), else 0 */
};
int	db_app_status(struct db *db, const char *receipt, struct db_app_status *out);
/* The sealed content and its key id, for readers holding the key. */
int	db_app_sealed(struct db *db, const char *receipt, char key_id[SEAL_KEYID_LEN + 1], struct buf *sealed);
int	db_app_count(struct db *db, int64_t *out);
/* 1 when id is a participant ID as issued (prefix, digits, a right check digit), else 0: for IDs typed in. */
int	db_participant_ok(const char *id);
/* The receipt of the procedure's application with that participant ID: 0, DB_NOTFOUND or -1. */
int	db_app_by_participant(struct db *db, const char *procedure_id, const char *participant,
	    char receipt[DB_RECEIPT_LEN + 1]);

#define DB_THROTTLE_MAX_WINDOW (24 * 60 * 60)

/*
 * Rate limiting in sliding windows (of at most DB_THROTTLE_MAX_WINDOW
 * seconds): a key's hits are kept per second, and a window of w seconds at
 * now holds the hits of the seconds in (now - w, now].  So no burst fits
 * around a boundary, as it would in fixed windows.
 */
/* Count one hit for each of keys[0..n-1] at now, in one transaction. */
int	db_throttle_record(struct db *db, const unsigned char *const *keys, size_t n, time_t now);
/* Count one hit for key; *hits gets the window's hits, this one included. */
int	db_throttle_hit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
	    int window_seconds, int64_t *hits);
int	db_throttle_count(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
	    int window_seconds, int64_t *hits);
/* Seconds from now until fewer than limit of the key's hits are left in the window; 0 when already so. */
int	db_throttle_wait(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
	    int window_seconds, int64_t limit, int *seconds);
/* Forget every hit of key. */
int	db_throttle_clear(struct db *db, const unsigned char key[SEAL_MAC_LEN]);
/* Forget every hit before a time (none matters beyond DB_THROTTLE_MAX_WINDOW). */
int	db_throttle_forget(struct db *db, time_t before);


/* ---- sections and keys (schema 2) ---- */

int	db_section_name(struct db *db, const char *id, char *name, size_t namelen);
/* The section's recovery public key; DB_NOTFOUND also when the section predates schema 2 (NULL column). */
int	db_section_recovery_pk(struct db *db, const char *id, unsigned char pk[SEAL_PK_LEN]);
int	db_section_set_recovery_pk(struct db *db, const char *id, const unsigned char pk[SEAL_PK_LEN]);
/* Every key of a section, oldest first; fn's pointers are valid during the call only. */
int	db_key_each(struct db *db, const char *section_id,
	    int (*fn)(const char *key_id, const unsigned char *pk, const void *recovery, size_t len, void *arg),
	    void *arg);

/* ---- staff accounts ---- */

#define DB_LOGIN_MAX	64
#define DB_WRAPPED_SK_LEN (SEAL_WRAP_OVERHEAD + SEAL_SK_LEN)
#define DB_SALT_LEN	SEAL_SALT_LEN

struct db_staff {
	int64_t		 id;
	char		 login[DB_LOGIN_MAX];
	char		 role[16];		/* "staff", "admin" or "auditor" */
	unsigned char	 public_key[SEAL_PK_LEN];
	unsigned char	 secret_wrapped[DB_WRAPPED_SK_LEN];	/* the member's secret key, under the password */
	unsigned char	 pw_salt[DB_SALT_LEN];
	uint64_t	 pw_ops;
	uint64_t	 pw_mem;
	int		 disabled;
};

/* Insert s (its id is ignored and set on success); DB_EXISTS when the login is taken. */
int	db_staff_add(struct db *db, struct db_staff *s, time_t now);
int	db_staff_by_login(struct db *db, const char *login, struct db_staff *out);
int	db_staff_by_id(struct db *db, int64_t id, struct db_staff *out);
int	db_staff_each(struct db *db, int (*fn)(const struct db_staff *s, void *arg), void *arg);
/* Replace key pair and password parameters (a password change keeps the key pair, a reset does not). */
int	db_staff_set_secret(struct db *db, const struct db_staff *s, time_t now);
int	db_staff_set_disabled(struct db *db, int64_t id, int disabled, time_t now);
int	db_staff_set_role(struct db *db, int64_t id, const char *role, time_t now);

/* ---- grants: a section secret key sealed to a member's public key ---- */

int	db_grant_add(struct db *db, int64_t staff_id, const char *key_id, const char *section_id,
	    const void *sealed, size_t len, time_t now);
/* Remove the member's grants for a section and the keys their open sessions hold for it. */
int	db_grant_revoke(struct db *db, int64_t staff_id, const char *section_id);
int	db_grant_revoke_all(struct db *db, int64_t staff_id);
int	db_grant_each(struct db *db, int64_t staff_id,
	    int (*fn)(const char *key_id, const char *section_id, const void *sealed, size_t len, void *arg),
	    void *arg);
int	db_grant_has(struct db *db, int64_t staff_id, const char *section_id);	/* 1, 0 or -1 */
/* Members holding any grant for the section. */
int	db_grantees_each(struct db *db, const char *section_id,
	    int (*fn)(int64_t staff_id, const char *login, const unsigned char *pk, void *arg), void *arg);

/* ---- sessions: only the hash of the cookie's token is stored ---- */

struct db_session {
	int64_t	staff_id;
	time_t	created_at;
	time_t	last_seen;
};
int	db_session_add(struct db *db, const unsigned char hash[SEAL_MAC_LEN], int64_t staff_id, time_t now);
int	db_session_get(struct db *db, const unsigned char hash[SEAL_MAC_LEN], struct db_session *out);
int	db_session_touch(struct db *db, const unsigned char hash[SEAL_MAC_LEN], time_t now);
int	db_session_delete(struct db *db, const unsigned char hash[SEAL_MAC_LEN]);
int	db_session_delete_staff(struct db *db, int64_t staff_id);
/* End every session of the member but keep (a password change ends the others). */
int	db_session_delete_others(struct db *db, int64_t staff_id, const unsigned char keep[SEAL_MAC_LEN]);
/* Drop sessions idle since before idle_before or created before created_before. */
int	db_session_purge(struct db *db, time_t idle_before, time_t created_before);
/* A section secret key held by a session, wrapped under a key only the session cookie gives. */
int	db_session_key_add(struct db *db, const unsigned char hash[SEAL_MAC_LEN], const char *key_id,
	    const char *section_id, const void *wrapped, size_t len);
int	db_session_key_get(struct db *db, const unsigned char hash[SEAL_MAC_LEN], const char *key_id,
	    char section_id[64], struct buf *wrapped);
int	db_session_sections(struct db *db, const unsigned char hash[SEAL_MAC_LEN],
	    int (*fn)(const char *section_id, void *arg), void *arg);

/* ---- applications for staff ---- */

/*
 * A procedure's applications in the order they came (received_at, then
 * receipt), newest or oldest first.  Pages are read from a place in that
 * order, never skipped over (no OFFSET): each page costs an index range,
 * the last as little as the first.
 */
struct db_app_filter {
	const char	*procedure_id;
	const char	*section_id;
	const char	*status;	/* "" for any */
	time_t		 from, to;	/* received_at in [from, to) */
	int64_t		 limit;		/* -1: all */
	int		 oldest_first;	/* exports run oldest first, lists newest first */
	/* Only the rows after this one in the order asked; after_receipt NULL: from the first. */
	time_t		 after_at;
	const char	*after_receipt;
};
struct db_app_row {
	char		 receipt[DB_RECEIPT_LEN + 1];
	char		 procedure_id[64];
	char		 section_id[64];
	char		 status[16];
	char		 channel[16];
	char		 participant[DB_PARTICIPANT_LEN + 1];	/* "" for none */
	time_t		 received_at;
	time_t		 updated_at;
	char		 key_id[SEAL_KEYID_LEN + 1];
	const void	*sealed;	/* valid during the callback only */
	size_t		 sealed_len;
	char		 lang[LANG_TAG_MAX + 1];	/* the language the resident applied in */
	long		 number;	/* a numbered status's number (workflow.h: 補欠's), else 0 */
};
/* Rows one at a time (an export streams through this without holding them). */
int	db_app_list(struct db *db, const struct db_app_filter *f,
	    int (*fn)(const struct db_app_row *row, void *arg), void *arg);
int	db_app_count_filtered(struct db *db, const struct db_app_filter *f, int64_t *out);
int	db_app_status_counts(struct db *db, const char *procedure_id, const char *section_id,
	    int (*fn)(const char *status, int64_t n, void *arg), void *arg);
/* One application; row->sealed points into sealed (appended). */
int	db_app_get(struct db *db, const char *receipt, struct db_app_row *row, struct buf *sealed);

struct db_event {
	const char	*receipt;
	time_t		 at;
	const char	*actor;		/* login */
	const char	*from_status;
	const char	*to_status;	/* equal to from_status for a note alone */
	const char	*key_id;	/* the key the note is sealed to */
	const void	*note_sealed;	/* NULL when there is no note */
	size_t		 note_len;
	const struct db_outbox_item *mail;	/* queued with the change, or NULL */
	struct db_promote	*promote;	/* a freed place moves the waitlist up, or NULL */
	long			 number;	/* the new status's number (numbered statuses), else 0 */
};
/*
 * A waitlist moving up (繰上げ) when a change frees places: in the change's
 * transaction the first waiting applications whose people now fit (in
 * their turn; one that does not fit is passed over) go from waitlisted to
 * received, each with an event by ev->actor and its mail.  rules gives the
 * limits of a waiting application of choice (its people and choice are
 * the stored ones); mail makes its mail like db_app.mail (DB_NOTFOUND: no
 * mail).  The receipts moved up are written to promoted (at most max; n).
 */
#define DB_PROMOTE_MAX	64
struct db_promote {
	int	(*rules)(const char *choice, struct db_places *out, void *arg);
	int	(*mail)(const char *receipt, struct db_outbox_item *m, void *arg);
	void	*arg;
	char	 promoted[DB_PROMOTE_MAX][DB_RECEIPT_LEN + 1];
	size_t	 n;
	/*
	 * A drawn procedure (db_lottery_draw) moves its reserves up instead:
	 * the first 補欠 whose people fit in the drawn places left becomes
	 * 当選 (one that does not fit is passed over, as in the draw); rules
	 * is not used.
	 */
	int	 lottery;
};
/*
 * Move an application from ev->from_status to ev->to_status and record the
 * event, in one transaction.  DB_NOTFOUND when it is no longer in
 * from_status (someone else moved it first).  A note alone (from == to)
 * only records the event.  Leaving a status that holds places
 * (workflow.h) gives them back, and leaving the waitlist gives its turn
 * up, in the same transaction; with ev->promote, freed places move the
 * waitlist up.
 */
int	db_app_event(struct db *db, const struct db_event *ev);
/*
 * Many changes in one write transaction (staff's bulk change): each ev[i]
 * as db_app_event, result[i] 0 or DB_NOTFOUND (no longer in its
 * from_status: nothing done for it).  after(i, arg), when not NULL, runs
 * inside the transaction after each (to read ev[i].promote before the next
 * change resets it), done(arg) once before the commit (the audit entries
 * that record them, audit_append_in): everything commits, or nothing.
 * 0, or -1 (nothing changed).
 */
int	db_app_event_many(struct db *db, const struct db_event *ev, size_t n, int *result,
	    int (*after)(size_t i, void *arg), int (*done)(void *arg), void *arg);
/*
 * ---- lotteries (schema 15; the draw itself is lib/lottery.h) ----
 *
 * The record of a procedure's one draw: nothing personal (receipts are in
 * the entries), kept when the applications are erased.
 */
struct db_lottery {
	char		procedure_id[64];
	char		section_id[64];
	int		version;
	unsigned char	seed[32];
	long		capacity, reserves;
	char		list_sha256[65];
	char		result_sha256[65];
	time_t		drawn_at;
	char		actor[128];
	long		applications, people;	/* drawn from */
	long		won, won_people, reserve, lost;
	long		held_back;	/* in 差戻し at the draw: not drawn */
};
/*
 * Draw: in one write transaction, read the eligible applications (到達,
 * 受付) with their people, draw (lottery.h) with seed, capacity and
 * reserves, record the lottery and its entries, move each application
 * to 当選 / 補欠 (its number) / 落選 with an event by actor (places: a
 * 落選 or 補欠 gives its places back), queue mail(receipt, status,
 * number) for each (DB_NOTFOUND: none), and let audit() append its
 * entry (audit.h: audit_append_in) naming the record.  out (the
 * caller's) gets the record.  DB_EXISTS when the procedure was drawn
 * before (nothing written).
 */
struct db_lottery_draw {
	const char	*procedure_id;
	const char	*section_id;
	const char	*actor;
	const unsigned char *seed;	/* 32 bytes */
	long		 capacity, reserves;
	time_t		 now;
	int		(*mail)(const char *receipt, const char *status, long number, struct db_outbox_item *m,
			    void *arg);
	int		(*audit)(struct db *db, const struct db_lottery *rec, void *arg);
	void		*arg;
};
int	db_lottery_draw(struct db *db, const struct db_lottery_draw *d, struct db_lottery *out);
/* The record of a procedure's draw: 0, DB_NOTFOUND (not drawn), -1. */
int	db_lottery_get(struct db *db, const char *procedure_id, struct db_lottery *out);
/* Before a draw: how many applications and people it would draw from, and how many are held back. */
int	db_lottery_eligible(struct db *db, const char *procedure_id, int64_t *applications, int64_t *people,
	    int64_t *held_back);
/* One drawn entry, with its application now (status "" once erased). */
struct db_lottery_entry {
	const char	*receipt;
	long		 people;
	const char	*result;	/* "won", "reserve", "lost" */
	long		 number;
	const char	*status;
	long		 status_number;
};
int	db_lottery_entries(struct db *db, const char *procedure_id,
	    int (*fn)(const struct db_lottery_entry *e, void *arg), void *arg);

/* Events oldest first; fn's pointers are valid during the call only. */
int	db_app_events(struct db *db, const char *receipt,
	    int (*fn)(const struct db_event *ev, void *arg), void *arg);

/* ---- audit log rows (the chain itself is audit.c's) ---- */

struct db_audit {
	int64_t		 seq;
	time_t		 at;
	const char	*actor;
	const char	*action;
	const char	*target;
	const char	*detail;
	const char	*addr;
	unsigned char	 prev[SEAL_MAC_LEN];
	unsigned char	 mac[SEAL_MAC_LEN];
};
/*
 * Append e in one write transaction: seq and prev are set from the last
 * entry (seq 1 and a zero prev for the first), then chain() fills e->mac.
 */
int	db_audit_append(struct db *db, struct db_audit *e,
	    int (*chain)(struct db_audit *e, void *arg), void *arg);
/* The same inside the caller's transaction (db_begin), so an entry commits with what it records. */
int	db_audit_append_in(struct db *db, struct db_audit *e,
	    int (*chain)(struct db_audit *e, void *arg), void *arg);
/* The audit entries of an action on a target, oldest first (a lottery's own entry). */
int	db_audit_find(struct db *db, const char *action, const char *target,
	    int (*fn)(const struct db_audit *e, void *arg), void *arg);
/* All entries in order (verification), or a time range. */
int	db_audit_each(struct db *db, int (*fn)(const struct db_audit *e, void *arg), void *arg);
int	db_audit_range(struct db *db, time_t from, time_t to,
	    int (*fn)(const struct db_audit *e, void *arg), void *arg);
/* Newest first, for the auditor's page; action "" for any. */
int	db_audit_page(struct db *db, const char *action, time_t from, time_t to, int64_t limit,
	    int64_t offset, int (*fn)(const struct db_audit *e, void *arg), void *arg);

int	db_audit_count(struct db *db, const char *action, time_t from, time_t to, int64_t *out);

/*
 * ---- contact envelopes: what later mails need (the address), sealed to the
 * mailer's key, one per application that gave an address (db_app.contact) ----
 */

/* The receipt's envelope, appended to sealed: 0, DB_NOTFOUND or -1. */
int	db_envelope_get(struct db *db, const char *receipt, struct buf *sealed);
/* 1 when the receipt has an envelope (a mail with text may be queued for it), 0 when not, -1. */
int	db_envelope_has(struct db *db, const char *receipt);

/* ---- the mail outbox ---- */

struct db_mail {
	int64_t		 id;
	const char	*kind, *receipt, *procedure_id, *section_id, *state, *last_error;
	const char	*text;		/* NULL: sealed holds the whole mail */
	const void	*sealed;	/* NULL: text, to the receipt's envelope */
	size_t		 sealed_len;
	int		 attempts;
	time_t		 next_at, created_at;
};
/* Pending mails due at now, oldest first; pointers valid during fn only. */
int	db_outbox_due(struct db *db, time_t now, int limit, int (*fn)(const struct db_mail *m, void *arg), void *arg);
int	db_outbox_of_receipt(struct db *db, const char *receipt, int (*fn)(const struct db_mail *m, void *arg),
	    void *arg);
int	db_outbox_failed_each(struct db *db, int (*fn)(const struct db_mail *m, void *arg), void *arg);
/* Delivered: the row goes, a record without personal data stays (mail_log), in one transaction. */
int	db_outbox_delivered(struct db *db, int64_t id, time_t now);
/* One more failed try: retry at next_at, or give up (failed), keeping a reason without personal data. */
int	db_outbox_retry(struct db *db, int64_t id, time_t next_at, const char *error, int failed);
/* Failed mails back to pending (id 0: all); *changed gets how many. */
int	db_outbox_requeue(struct db *db, int64_t id, time_t now, int64_t *changed);
int	db_outbox_failed_count(struct db *db, const char *procedure_id, const char *section_id, int64_t *out);
int	db_outbox_count(struct db *db, const char *state, int64_t *out);
/* Mails waiting to be sent, the outbox and staff mail together, and the oldest one's queueing time. */
int	db_outbox_backlog(struct db *db, int64_t *pending, time_t *oldest);
int	db_mail_log_of_receipt(struct db *db, const char *receipt,
	    int (*fn)(int64_t outbox_id, const char *kind, time_t delivered_at, int attempts, void *arg), void *arg);

/*
 * An announcement (お知らせ) to a procedure's applicants in some statuses
 * (statuses: ",received,accepted,"), in one write transaction: for each
 * application with a contact envelope, mail() makes its outbox item (0, or
 * DB_NOTFOUND for none, or -1), queued as db_app_event's are; those without
 * one are counted in no_address; the history row is added; done() runs last,
 * inside the transaction (the audit entry).  queued and no_address are set.
 */
struct db_announcement {
	const char	*procedure_id, *section_id, *actor;
	const char	*subject;	/* the section's own text, kept in the history */
	const char	*body_sha256;	/* hex: the body itself is only in the mails */
	const char	*statuses;
	time_t		 at;
	int64_t		 queued, no_address;
	int		(*mail)(const char *receipt, const char *participant, const char *lang,
			    struct db_outbox_item *m, void *arg);
	int		(*done)(const struct db_announcement *a, void *arg);
	void		*arg;
};
int	db_announce(struct db *db, struct db_announcement *a);
/* How many an announcement would reach (with an envelope) and how many have no address. */
int	db_announce_count(struct db *db, const char *procedure_id, const char *section_id, const char *statuses,
	    int64_t *with_address, int64_t *no_address);
/* The procedure's announcements, newest first, at most limit; the strings are valid during fn only. */
int	db_announcements_each(struct db *db, const char *procedure_id, const char *section_id, int64_t limit,
	    int (*fn)(const struct db_announcement *a, void *arg), void *arg);

/*
 * Mail to staff (the auditors' digest), queued beside the outbox and sent
 * by the mailer the same way: sealed to its key, retried, deleted once
 * delivered.  Rows are read as struct db_mail with receipt, procedure and
 * section "".
 */
int	db_staff_mail_add(struct db *db, const char *kind, const void *sealed, size_t len, time_t now);
int	db_staff_mail_due(struct db *db, time_t now, int limit, int (*fn)(const struct db_mail *m, void *arg),
	    void *arg);
int	db_staff_mail_delivered(struct db *db, int64_t id, time_t now);
int	db_staff_mail_retry(struct db *db, int64_t id, time_t next_at, const char *error, int failed);
/* A member's address (NULL: none); the addresses of the auditors who have one and are not disabled. */
int	db_staff_set_email(struct db *db, int64_t id, const char *email, time_t now);
int	db_auditor_emails(struct db *db, int (*fn)(const char *email, void *arg), void *arg);

/* ---- retention and erasure (db_purge.c) ---- */

/*
 * The applications of one procedure received before a time, per section,
 * as an erasure report counts them.  key_ids: the ids they are sealed to,
 * comma-separated.
 */
struct db_expired {
	char		section_id[64];
	int64_t		applications;
	char		receipt_first[DB_RECEIPT_LEN + 1], receipt_last[DB_RECEIPT_LEN + 1];
	time_t		received_first, received_last;
	char		key_ids[1024];
};
/* Every procedure that has applications, with how many. */
int	db_app_procedures(struct db *db, int (*fn)(const char *procedure_id, int64_t n, void *arg), void *arg);
int	db_expired_each(struct db *db, const char *procedure_id, time_t before,
	    int (*fn)(const struct db_expired *x, void *arg), void *arg);
int	db_expired_receipts(struct db *db, const char *procedure_id, time_t before,
	    int (*fn)(const char *receipt, void *arg), void *arg);
/*
 * Inside the caller's transaction: erase those applications and every row
 * derived from them (db_int.h: what hangs off an application); *erased gets
 * how many applications.  The bytes leave the WAL and the file only with the
 * next checkpoint (db_checkpoint).
 */
int	db_expired_erase(struct db *db, const char *procedure_id, time_t before, int64_t *erased);

/* An erasure report (消去報告書): a record without personal data that outlives what it reports on. */
struct db_erasure {
	int64_t		 id;
	const char	*kind;		/* "applications", or "key" for a section key destroyed */
	time_t		 at;
	const char	*actor;		/* who ran it, "formctl:<user>" */
	const char	*command;	/* "formctl purge", "formctl key retire" */
	const char	*procedure_id;	/* "" for a key */
	const char	*procedure_title;
	const char	*section_id;
	const char	*rule;		/* why now, e.g. "180 days from receipt" */
	int64_t		 applications;
	const char	*receipt_first, *receipt_last;	/* "" for a key */
	time_t		 received_first, received_last;
	const char	*key_ids;	/* comma-separated */
};
/* Inside the caller's transaction; r->id is set. */
int	db_erasure_add(struct db *db, struct db_erasure *r);
/* Newest first; the strings are valid during fn only. */
int	db_erasure_each(struct db *db, int64_t limit, int64_t offset,
	    int (*fn)(const struct db_erasure *r, void *arg), void *arg);
int	db_erasure_get(struct db *db, int64_t id, int (*fn)(const struct db_erasure *r, void *arg), void *arg);
int	db_erasure_count(struct db *db, int64_t *out);

/* How many applications, and 対応記録 notes, are sealed to a key. */
int	db_key_uses(struct db *db, const char *key_id, int64_t *applications, int64_t *notes);
/* Inside the caller's transaction: the key's row, the grants of it and the sessions' copies. */
int	db_key_erase(struct db *db, const char *key_id);

/*
 * Copy the WAL into the file and truncate it (wal_checkpoint(TRUNCATE)),
 * so that what secure_delete overwrote is gone from both: 0, DB_BUSY when
 * a reader or writer kept it from completing (try again), -1 on error.
 */
#define DB_BUSY	20
int	db_checkpoint(struct db *db);

/* ---- the hand-over ledger (管理簿, db_ledger.c) ---- */

struct db_ledger {
	int64_t		 id;
	time_t		 at;
	const char	*actor;		/* staff login, or "formctl:<user>" */
	const char	*procedure_id, *section_id;
	int64_t		 rows;
	const char	*sha256;	/* of the bytes handed over */
	const char	*form;		/* "csv", "zip", "csv incomplete" ... */
	const char	*purpose, *recipient;
	time_t		 closed_at;	/* 0 while the file is out */
	const char	*closed_how;	/* "returned" or "erased"; "" while out */
	const char	*closed_by;	/* the named person who confirmed it */
	const char	*closed_actor;	/* who recorded that */
};
/* A new entry (the closing fields are ignored); e->id is set. */
int	db_ledger_add(struct db *db, struct db_ledger *e);
/* Record the file's return or erasure: DB_NOTFOUND when there is no such entry still out. */
int	db_ledger_close(struct db *db, int64_t id, time_t at, const char *how, const char *by, const char *actor);
int	db_ledger_get(struct db *db, int64_t id, int (*fn)(const struct db_ledger *e, void *arg), void *arg);
/*
 * Newest first: the entries of the sections a session holds (session_hash;
 * NULL for all), still out only when open_only.  Strings valid during fn.
 */
int	db_ledger_each(struct db *db, const unsigned char *session_hash, int open_only, int64_t limit,
	    int64_t offset, int (*fn)(const struct db_ledger *e, void *arg), void *arg);
int	db_ledger_count(struct db *db, const unsigned char *session_hash, int open_only, int64_t *out);

/* ---- the review of likely duplicates before a draw (db_dups.c; lib/dups.h) ---- */

struct db_dup_review {
	time_t	 at;
	char	 actor[64];
	int64_t	 eligible;		/* receipts in the draw when reviewed */
	char	 eligible_sha256[65];	/* dups_receipts_sha256 of them */
	char	 fingerprint[65];	/* dups_fingerprint */
	int64_t	 groups, members;
};
/*
 * Replace the procedure's review and the receipts in its groups
 * (receipts[i] in group groups[i]) in one transaction.
 */
int	db_dup_review_put(struct db *db, const char *procedure_id, const struct db_dup_review *r,
	    const char *const *receipts, const size_t *groups, size_t n);
/* 0, DB_NOTFOUND (never reviewed) or -1. */
int	db_dup_review_get(struct db *db, const char *procedure_id, struct db_dup_review *out);
/* The receipts in the draw now (到達, 受付), ascending: from clear metadata, nothing opened. */
int	db_dup_eligible_each(struct db *db, const char *procedure_id, int (*fn)(const char *receipt, void *arg),
	    void *arg);
/* Members of the stored review without a decision. */
int	db_dup_undecided(struct db *db, const char *procedure_id, int64_t *out);
/* 1 when receipt is in a group of the procedure's stored review, 0 when not, -1. */
int	db_dup_is_member(struct db *db, const char *procedure_id, const char *receipt);
/* Record (or change) the decision on an application: "keep" or "withdrawn". */
int	db_dup_decide(struct db *db, const char *procedure_id, const char *receipt, const char *decision,
	    const char *actor, time_t at);
/* The decision on receipt: 0, DB_NOTFOUND (none) or -1. */
int	db_dup_decision(struct db *db, const char *receipt, char decision[16], char actor[64], time_t *at);

/* Section, first key and recovery public key in one transaction. */
int	db_section_create(struct db *db, const char *id, const char *name,
	    const unsigned char recovery_pk[SEAL_PK_LEN], const char key_id[SEAL_KEYID_LEN + 1],
	    const unsigned char pk[SEAL_PK_LEN], const void *recovery_sealed, size_t len, time_t now);

#endif
