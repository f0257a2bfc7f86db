/*
 * db_int.h: shared by lib/db*.c and included nowhere else.  The indices of
 * the one statement table (its SQL is in db_sql.c), the handle, and the
 * helpers every query goes through: statements are reset and run with a
 * bounded retry on SQLITE_BUSY, and rows are read one way.  The public API
 * is db.h; the files are its sections: db.c (open, transactions, these
 * helpers), db_schema.c (migrations), db_section.c (sections and keys),
 * db_app.c (applications), db_staff.c (staff, grants, sessions, throttle),
 * db_audit.c (audit rows) and db_outbox.c (the mail outbox).
 */
#ifndef DB_INT_H
#define DB_INT_H

#include <sqlite3.h>
#include <time.h>

#include "db.h"

enum stmt {
	ST_BEGIN,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SECTION_ADD,
	ST_SECTION_EXISTS,
	ST_SECTION_LIST,
	ST_KEY_ADD,
	ST_KEY_CURRENT,
	ST_KEY_GET,
	ST_APP_BY_SUBMIT,
	ST_APP_RECEIPT_EXISTS,
	ST_APP_PARTICIPANT_EXISTS,
	ST_APP_BY_PARTICIPANT,
	ST_APP_INSERT,
	ST_APP_STATUS,
	ST_APP_SEALED,
	ST_APP_COUNT,
	ST_THROTTLE_HIT,
	ST_THROTTLE_GET,
	ST_THROTTLE_PURGE,
	ST_THROTTLE_SCAN,
	ST_THROTTLE_CLEAR,
	ST_SECTION_NAME,
	ST_SECTION_RECOVERY_PK,
	ST_SECTION_SET_RECOVERY_PK,
	ST_KEY_EACH,
	ST_STAFF_ADD,
	ST_STAFF_BY_LOGIN,
	ST_STAFF_BY_ID,
	ST_STAFF_LIST,
	ST_STAFF_SET_SECRET,
	ST_STAFF_SET_DISABLED,
	ST_STAFF_SET_ROLE,
	ST_GRANT_ADD,
	ST_GRANT_REVOKE,
	ST_GRANT_REVOKE_ALL,
	ST_GRANT_LIST,
	ST_GRANT_HAS,
	ST_GRANTEES,
	ST_SESSION_ADD,
	ST_SESSION_GET,
	ST_SESSION_TOUCH,
	ST_SESSION_DELETE,
	ST_SESSION_DELETE_STAFF,
	ST_SESSION_PURGE,
	ST_SESSION_KEY_ADD,
	ST_SESSION_KEY_GET,
	ST_SESSION_KEY_DROP_SECTION,
	ST_SESSION_SECTIONS,
	ST_SESSION_DELETE_OTHERS,
	ST_APP_LIST_NEWEST_FIRST,
	ST_APP_LIST_OLDEST_FIRST,
	ST_APP_LIST_STATUS_NEWEST_FIRST,
	ST_APP_LIST_STATUS_OLDEST_FIRST,
	ST_APP_COUNT_FILTERED,
	ST_APP_COUNT_STATUS,
	ST_APP_STATUS_COUNTS,
	ST_APP_GET,
	ST_APP_SET_STATUS,
	ST_EVENT_ADD,
	ST_EVENT_LIST,
	ST_AUDIT_LAST,
	ST_AUDIT_ADD,
	ST_AUDIT_ALL,
	ST_AUDIT_PAGE,
	ST_AUDIT_RANGE,
	ST_AUDIT_COUNT,
	ST_OUTBOX_ADD,
	ST_OUTBOX_DUE,
	ST_OUTBOX_DELETE,
	ST_MAIL_LOG_ADD,
	ST_OUTBOX_RETRY,
	ST_OUTBOX_OF_RECEIPT,
	ST_MAIL_LOG_OF_RECEIPT,
	ST_OUTBOX_FAILED_COUNT,
	ST_OUTBOX_REQUEUE,
	ST_OUTBOX_COUNT,
	ST_OUTBOX_FAILED,
	ST_SEND_COUNT,
	ST_SEND_HIT,
	ST_SEND_PURGE,
	ST_APP_PROCEDURES,
	ST_EXPIRED_SUMMARY,
	ST_EXPIRED_RECEIPTS,
	ST_ERASURE_ADD,
	ST_ERASURE_LIST,
	ST_ERASURE_GET,
	ST_ERASURE_COUNT,
	ST_KEY_APPS,
	ST_KEY_NOTES,
	ST_KEY_DROP_GRANTS,
	ST_KEY_DROP_SESSIONS,
	ST_KEY_DROP,
	ST_COPY_INTO,
	ST_INTEGRITY,
	ST_UNKNOWN_KEY_APPS,
	ST_UNKNOWN_KEY_NOTES,
	ST_OUTBOX_BACKLOG,
	ST_LEDGER_ADD,
	ST_LEDGER_CLOSE,
	ST_LEDGER_GET,
	ST_LEDGER_LIST,
	ST_LEDGER_COUNT,
	ST_STAFF_SET_EMAIL,
	ST_AUDITOR_EMAILS,
	ST_STAFF_MAIL_ADD,
	ST_STAFF_MAIL_DUE,
	ST_STAFF_MAIL_DELETE,
	ST_STAFF_MAIL_RETRY,
	ST_ENVELOPE_ADD,
	ST_ENVELOPE_GET,
	ST_PLACES_GET,
	ST_PLACES_ADD,
	ST_PLACES_OF,
	ST_APP_PLACES_ADD,
	ST_APP_PLACES_GET,
	ST_APP_PLACES_DELETE,
	ST_APP_PLACES_HOLD,
	ST_WAITING_FIRST,
	ST_WAIT_POSITION,
	ST_ANNOUNCE_RECIPIENTS,
	ST_ANNOUNCE_COUNT,
	ST_ANNOUNCE_ADD,
	ST_ANNOUNCE_LIST,
	ST_LOTTERY_ELIGIBLE,
	ST_LOTTERY_HELD_BACK,
	ST_LOTTERY_ADD,
	ST_LOTTERY_GET,
	ST_LOTTERY_ENTRY_ADD,
	ST_LOTTERY_ENTRIES,
	ST_LOTTERY_PEOPLE_HOLDING,
	ST_LOTTERY_RESERVES,
	ST_AUDIT_FIND,
	ST_DUP_REVIEW_PUT,
	ST_DUP_REVIEW_GET,
	ST_DUP_MEMBERS_CLEAR,
	ST_DUP_MEMBER_ADD,
	ST_DUP_ELIGIBLE,
	ST_DUP_UNDECIDED,
	ST_DUP_IS_MEMBER,
	ST_DUP_DECIDE,
	ST_DUP_DECISION,
	ST__COUNT
};

/*
 * What hangs off an application (db_sql.c, dbi_erase_sql): one statement
 * per table holding rows derived from applications, each erasing the rows
 * of the applications that db_expired_erase() erases, and the applications
 * themselves last.  A new table derived from applications gets its line
 * there, and nothing else is needed for the purge to erase it.
 */
extern const char *const dbi_erase_sql[];
extern const size_t dbi_erase_count;

/* The statement table, by index: prepared once in db_open(). */
extern const char *const dbi_sql[ST__COUNT];

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST__COUNT];
	sqlite3_stmt	**erase;	/* dbi_erase_sql, prepared */
	struct db_limits limits;
	unsigned char	 contact_pk[SEAL_PK_LEN];	/* db_set_contact_key */
	int		 has_contact_pk;
	time_t		 counts_purged;	/* when send_counts last lost its old rows */
	db_waitlist_fn	 waitlist_text;
	void		*waitlist_arg;
};

/* Statement which, reset and with its bindings cleared. */
sqlite3_stmt	*dbi_prep(struct db *db, enum stmt which);
/* Statement which with text bound to its ?1. */
sqlite3_stmt	*dbi_prep_text(struct db *db, enum stmt which, const char *text);
/* sqlite3_step() with a few more tries on SQLITE_BUSY; errors are logged (without data). */
int		 dbi_step(struct db *db, sqlite3_stmt *s);
/* Run a statement that returns no rows: 0 or -1. */
int		 dbi_exec(struct db *db, sqlite3_stmt *s);
/* dbi_exec() for a statement that must write exactly one row (an INSERT ... SELECT that finds its row). */
int		 dbi_exec_one(struct db *db, sqlite3_stmt *s);
/* End the transaction db_begin() opened: commit when ok, else roll back.  0 when committed. */
int		 dbi_end(struct db *db, int ok);
/* Run SQL text that has no parameters (schema scripts, pragmas): 0 or -1. */
int		 dbi_script(struct db *db, const char *sql);

/* Copy a text column into a fixed buffer; too long is an error, not a truncation. */
int		 dbi_col_text(sqlite3_stmt *s, int col, char *out, size_t outlen);
/* A text column, with SQL NULL read as ""; NULL only when SQLite is out of memory. */
const char	*dbi_col_text_or_empty(sqlite3_stmt *s, int col);
/* A blob column of exactly len bytes. */
int		 dbi_col_blob(sqlite3_stmt *s, int col, void *out, size_t len);

/* Run a one-row look-up and let get() copy the columns (it returns 0, -1 or DB_NOTFOUND); DB_NOTFOUND when no row. */
int		 dbi_lookup(struct db *db, sqlite3_stmt *s, int (*get)(sqlite3_stmt *s, void *arg), void *arg);
/* Step through all rows, calling row() for each; stops early (successfully) when it returns more than 0. */
int		 dbi_each(struct db *db, sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg), void *arg);
/* 1 when the statement returns a row, 0 when none, -1 on error. */
int		 dbi_exists(struct db *db, sqlite3_stmt *s);
/* A row whose first column is text, handed to cb->fn.text (an struct dbi_cb); NULL text is an error. */
int		 dbi_text_row(sqlite3_stmt *s, void *arg);
/* A count(*) statement's one value. */
int		 dbi_count(struct db *db, sqlite3_stmt *s, int64_t *out);

/*
 * A caller's row callback and its argument, as the row functions handed to
 * dbi_each() receive them: one member of fn for each kind of row.
 */
struct dbi_cb {
	union {
		int	(*section)(const char *id, const char *name, void *arg);
		int	(*key)(const char *key_id, const unsigned char *pk, const void *recovery, size_t len,
			    void *arg);
		int	(*staff)(const struct db_staff *s, void *arg);
		int	(*grant)(const char *key_id, const char *section_id, const void *sealed, size_t len,
			    void *arg);
		int	(*grantee)(int64_t staff_id, const char *login, const unsigned char *pk, void *arg);
		int	(*text)(const char *text, void *arg);
		int	(*app)(const struct db_app_row *row, void *arg);
		int	(*count)(const char *status, int64_t n, void *arg);
		int	(*place)(const char *choice, int64_t taken, int64_t waiting, void *arg);
		int	(*event)(const struct db_event *ev, void *arg);
		int	(*audit)(const struct db_audit *e, void *arg);
		int	(*mail)(const struct db_mail *m, void *arg);
		int	(*mail_log)(int64_t outbox_id, const char *kind, time_t delivered_at, int attempts,
			    void *arg);
		int	(*expired)(const struct db_expired *x, void *arg);
		int	(*erasure)(const struct db_erasure *r, void *arg);
		int	(*procedure)(const char *procedure_id, int64_t n, void *arg);
		int	(*ledger)(const struct db_ledger *e, void *arg);
		int	(*announcement)(const struct db_announcement *a, void *arg);
		int	(*lottery)(const struct db_lottery_entry *e, void *arg);
	} fn;
	void		*arg;
	const char	*receipt;	/* event rows: the application's */
};

/* db_schema.c: migrate to the newest schema in one transaction. */
int		 dbi_migrate(struct db *db);
/* db_outbox.c: queue a mail, or store an application's contact envelope, inside the caller's transaction. */
int		 dbi_outbox_add(struct db *db, const char *receipt, const struct db_outbox_item *m);
int		 dbi_envelope_add(struct db *db, const char *receipt, const void *sealed, size_t len);
/*
 * db_places.c, inside the caller's transaction: the one way an application
 * takes, waits for and gives back places (db.h: struct db_places).
 * dbi_place_join: the new application receipt takes its places, or waits
 * (pl->waitlist), or neither: 0 took them, 1 waits (*position: its turn,
 * 1 first), DB_FULL (nothing written), -1.
 */
int		 dbi_place_join(struct db *db, const char *receipt, const char *procedure_id,
		    const struct db_places *pl, long *position);
/*
 * receipt leaves its places or its turn (it is withdrawn, or it lost); 0,
 * DB_NOTFOUND when it counted for nothing, -1.  *freed: whether places
 * were given back (a waitlist may move up: dbi_place_promote).
 */
int		 dbi_place_leave(struct db *db, const char *receipt, int *freed);
/*
 * A waiting receipt takes its places if its people fit under rules (its
 * stored people and choice count): 0 (*moved says whether it did),
 * DB_NOTFOUND, -1.
 */
int		 dbi_place_move_up(struct db *db, const char *receipt, const struct db_places *rules, int *moved);
/*
 * db_app.c: db_app_event's change inside the caller's transaction: 0,
 * DB_NOTFOUND (no longer in ev->from_status: nothing written), -1.
 */
int		 dbi_app_change(struct db *db, const struct db_event *ev);
/* A receipt moved up (db_promote): its mail queued (pr->mail), and itself noted in pr->promoted. */
int		 dbi_promoted(struct db *db, struct db_promote *pr, const char *receipt);
/* db_lottery.c: a drawn procedure's reserves move up into freed places (db_promote.lottery). */
int		 dbi_lottery_promote(struct db *db, const struct db_event *ev, struct db_promote *pr,
		    const char *procedure_id);
/* The first max waiting applications of a procedure, in their turn, with their choices. */
int		 dbi_place_waiting(struct db *db, const char *procedure_id, char (*receipts)[DB_RECEIPT_LEN + 1],
		    char (*choices)[64], size_t max, size_t *n);

#endif
