#include "db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Each migration moves the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE sections ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE section_keys ("
	"  key_id TEXT PRIMARY KEY,"
	"  section_id TEXT NOT NULL REFERENCES sections(id),"
	"  public_key BLOB NOT NULL,"
	"  recovery_wrapped BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX section_keys_section ON section_keys(section_id, created_at);"
	"CREATE TABLE applications ("
	"  id INTEGER PRIMARY KEY,"
	"  receipt TEXT NOT NULL UNIQUE,"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL REFERENCES sections(id),"
	"  form_hash TEXT NOT NULL,"
	"  key_id TEXT NOT NULL REFERENCES section_keys(key_id),"
	"  sealed BLOB NOT NULL,"
	"  submit_hash BLOB NOT NULL UNIQUE,"
	"  inquiry_hash BLOB NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'received',"
	"  received_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX applications_procedure ON applications(procedure_id, received_at);"
	"CREATE TABLE throttle ("
	"  key BLOB NOT NULL,"
	"  window INTEGER NOT NULL,"
	"  hits INTEGER NOT NULL,"
	"  PRIMARY KEY (key, window)) WITHOUT ROWID;",
	/*
	 * 1 -> 2: staff accounts, key custody, sessions, workflow, audit.
	 * recovery_pk is the public half of a key pair derived from the
	 * section's printed recovery key, so a rotated key can be sealed for
	 * recovery without anybody holding the recovery key (NULL for
	 * sections made under schema 1, whose keys are secretbox-wrapped).
	 */
	"ALTER TABLE sections ADD COLUMN recovery_pk BLOB;"
	"CREATE TABLE staff ("
	"  id INTEGER PRIMARY KEY,"
	"  login TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('staff', 'admin', 'auditor')),"
	"  public_key BLOB NOT NULL,"
	"  secret_wrapped BLOB NOT NULL,"
	"  pw_salt BLOB NOT NULL,"
	"  pw_ops INTEGER NOT NULL,"
	"  pw_mem INTEGER NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE grants ("
	"  staff_id INTEGER NOT NULL REFERENCES staff(id),"
	"  key_id TEXT NOT NULL REFERENCES section_keys(key_id),"
	"  section_id TEXT NOT NULL REFERENCES sections(id),"
	"  sealed_secret BLOB NOT NULL,"
	"  granted_at INTEGER NOT NULL,"
	"  PRIMARY KEY (staff_id, key_id)) WITHOUT ROWID;"
	"CREATE INDEX grants_section ON grants(section_id);"
	"CREATE TABLE sessions ("
	"  token_hash BLOB PRIMARY KEY,"
	"  staff_id INTEGER NOT NULL REFERENCES staff(id),"
	"  created_at INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE session_keys ("
	"  token_hash BLOB NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,"
	"  key_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  wrapped BLOB NOT NULL,"
	"  PRIMARY KEY (token_hash, key_id)) WITHOUT ROWID;"
	"CREATE TABLE app_events ("
	"  id INTEGER PRIMARY KEY,"
	"  receipt TEXT NOT NULL REFERENCES applications(receipt),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  from_status TEXT NOT NULL,"
	"  to_status TEXT NOT NULL,"
	"  key_id TEXT NOT NULL,"
	"  note_sealed BLOB);"
	"CREATE INDEX app_events_receipt ON app_events(receipt, id);"
	"CREATE INDEX applications_list ON applications(procedure_id, section_id, status, received_at);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  addr TEXT NOT NULL,"
	"  prev BLOB NOT NULL,"
	"  mac BLOB NOT NULL);"
	"CREATE INDEX audit_action ON audit(action, at);"
	/* Append-only for everything that goes through SQL; the MAC chain catches the rest. */
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
	/*
	 * 2 -> 3: the mail outbox.  A row is queued in the transaction that
	 * causes it, sealed to the mailer's key, and deleted once delivered;
	 * mail_log keeps a record of the delivery without personal data.
	 */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  receipt TEXT NOT NULL REFERENCES applications(receipt),"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  sealed BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX outbox_due ON outbox(state, next_at);"
	"CREATE INDEX outbox_receipt ON outbox(receipt);"
	"CREATE TABLE mail_log ("
	"  id INTEGER PRIMARY KEY,"
	"  outbox_id INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  receipt TEXT NOT NULL,"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  delivered_at INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL);"
	"CREATE INDEX mail_log_receipt ON mail_log(receipt);",
	/*
	 * 3 -> 4: residents' sends counted for their limits (db_set_limits):
	 * per keyed hash (of a client address and procedure, or of a mail's
	 * recipient) and per tenth of its window.
	 */
	"CREATE TABLE send_counts ("
	"  key BLOB NOT NULL,"
	"  slot INTEGER NOT NULL,"
	"  hits INTEGER NOT NULL,"
	"  PRIMARY KEY (key, slot)) WITHOUT ROWID;",
	/*
	 * 4 -> 5: applications.status is one of lib/workflow.h's codes, the
	 * lottery and waitlist ones included.  SQLite cannot add a CHECK to a
	 * table, so triggers refuse the rest: a rebuild of applications would
	 * copy every sealed application while apply waits, and needs foreign
	 * keys off, which cannot change inside the migration's transaction
	 * (app_events and outbox reference it).  A later status list is a
	 * DROP TRIGGER and CREATE TRIGGER.  The last statement checks the rows
	 * already there through the update trigger.
	 */
	"CREATE TRIGGER applications_status_insert BEFORE INSERT ON applications"
	"  WHEN NEW.status NOT IN ('received', 'accepted', 'done', 'returned', 'withdrawn',"
	"    'won', 'lost', 'reserve', 'waitlisted')"
	"  BEGIN SELECT RAISE(ABORT, 'applications.status: not a status'); END;"
	"CREATE TRIGGER applications_status_update BEFORE UPDATE OF status ON applications"
	"  WHEN NEW.status NOT IN ('received', 'accepted', 'done', 'returned', 'withdrawn',"
	"    'won', 'lost', 'reserve', 'waitlisted')"
	"  BEGIN SELECT RAISE(ABORT, 'applications.status: not a status'); END;"
	"UPDATE applications SET status = status WHERE status NOT IN ('received', 'accepted', 'done',"
	"  'returned', 'withdrawn', 'won', 'lost', 'reserve', 'waitlisted');",
};

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
	ST_APP_LIST_NEW,
	ST_APP_LIST_OLD,
	ST_APP_COUNT_FILTERED,
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
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT one",
	[ST_RELEASE] = "RELEASE one",
	[ST_ROLLBACK_TO] = "ROLLBACK TO one",
	[ST_SECTION_ADD] = "INSERT INTO sections (id, name, created_at) VALUES (?1, ?2, ?3)",
	[ST_SECTION_EXISTS] = "SELECT 1 FROM sections WHERE id = ?1",
	[ST_SECTION_LIST] = "SELECT id, name FROM sections ORDER BY id",
	[ST_KEY_ADD] = "INSERT INTO section_keys (key_id, section_id, public_key, recovery_wrapped,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_KEY_CURRENT] = "SELECT key_id, public_key FROM section_keys WHERE section_id = ?1"
	    " ORDER BY created_at DESC, rowid DESC LIMIT 1",
	[ST_KEY_GET] = "SELECT section_id, public_key, recovery_wrapped FROM section_keys"
	    " WHERE key_id = ?1",
	[ST_APP_BY_SUBMIT] = "SELECT receipt FROM applications WHERE submit_hash = ?1",
	[ST_APP_RECEIPT_EXISTS] = "SELECT 1 FROM applications WHERE receipt = ?1",
	[ST_APP_INSERT] = "INSERT INTO applications (receipt, procedure_id, section_id, form_hash,"
	    " key_id, sealed, submit_hash, inquiry_hash, status, received_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'received', ?9, ?9)",
	[ST_APP_STATUS] = "SELECT procedure_id, status, received_at, inquiry_hash FROM applications"
	    " WHERE receipt = ?1",
	[ST_APP_SEALED] = "SELECT key_id, sealed FROM applications WHERE receipt = ?1",
	[ST_APP_COUNT] = "SELECT count(*) FROM applications",
	/* A throttle row counts a key's hits in one second: "window" is that second. */
	[ST_THROTTLE_HIT] = "INSERT INTO throttle (key, window, hits) VALUES (?1, ?2, 1)"
	    " ON CONFLICT (key, window) DO UPDATE SET hits = hits + 1",
	[ST_THROTTLE_GET] = "SELECT coalesce(sum(hits), 0) FROM throttle WHERE key = ?1 AND window > ?2",
	[ST_THROTTLE_PURGE] = "DELETE FROM throttle WHERE window < ?1",
	[ST_THROTTLE_SCAN] = "SELECT window, hits FROM throttle WHERE key = ?1 AND window > ?2"
	    " ORDER BY window",
	[ST_THROTTLE_CLEAR] = "DELETE FROM throttle WHERE key = ?1",
	[ST_SECTION_NAME] = "SELECT name FROM sections WHERE id = ?1",
	[ST_SECTION_RECOVERY_PK] = "SELECT recovery_pk FROM sections WHERE id = ?1",
	[ST_SECTION_SET_RECOVERY_PK] = "UPDATE sections SET recovery_pk = ?2 WHERE id = ?1",
	[ST_KEY_EACH] = "SELECT key_id, public_key, recovery_wrapped FROM section_keys WHERE section_id = ?1"
	    " ORDER BY created_at, rowid",
	[ST_STAFF_ADD] = "INSERT INTO staff (login, role, public_key, secret_wrapped, pw_salt, pw_ops, pw_mem,"
	    " disabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8)",
	[ST_STAFF_BY_LOGIN] = "SELECT id, login, role, public_key, secret_wrapped, pw_salt, pw_ops, pw_mem,"
	    " disabled FROM staff WHERE login = ?1",
	[ST_STAFF_BY_ID] = "SELECT id, login, role, public_key, secret_wrapped, pw_salt, pw_ops, pw_mem,"
	    " disabled FROM staff WHERE id = ?1",
	[ST_STAFF_LIST] = "SELECT id, login, role, public_key, secret_wrapped, pw_salt, pw_ops, pw_mem,"
	    " disabled FROM staff ORDER BY login",
	[ST_STAFF_SET_SECRET] = "UPDATE staff SET public_key = ?2, secret_wrapped = ?3, pw_salt = ?4,"
	    " pw_ops = ?5, pw_mem = ?6, updated_at = ?7 WHERE id = ?1",
	[ST_STAFF_SET_DISABLED] = "UPDATE staff SET disabled = ?2, updated_at = ?3 WHERE id = ?1",
	[ST_STAFF_SET_ROLE] = "UPDATE staff SET role = ?2, updated_at = ?3 WHERE id = ?1",
	[ST_GRANT_ADD] = "INSERT OR REPLACE INTO grants (staff_id, key_id, section_id, sealed_secret,"
	    " granted_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_GRANT_REVOKE] = "DELETE FROM grants WHERE staff_id = ?1 AND section_id = ?2",
	[ST_GRANT_REVOKE_ALL] = "DELETE FROM grants WHERE staff_id = ?1",
	[ST_GRANT_LIST] = "SELECT key_id, section_id, sealed_secret FROM grants WHERE staff_id = ?1"
	    " ORDER BY section_id, granted_at",
	[ST_GRANT_HAS] = "SELECT 1 FROM grants WHERE staff_id = ?1 AND section_id = ?2 LIMIT 1",
	[ST_GRANTEES] = "SELECT DISTINCT s.id, s.login, s.public_key FROM grants g JOIN staff s"
	    " ON s.id = g.staff_id WHERE g.section_id = ?1 ORDER BY s.id",
	[ST_SESSION_ADD] = "INSERT INTO sessions (token_hash, staff_id, created_at, last_seen)"
	    " VALUES (?1, ?2, ?3, ?3)",
	[ST_SESSION_GET] = "SELECT staff_id, created_at, last_seen FROM sessions WHERE token_hash = ?1",
	[ST_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
	[ST_SESSION_DELETE_STAFF] = "DELETE FROM sessions WHERE staff_id = ?1",
	[ST_SESSION_PURGE] = "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",
	[ST_SESSION_KEY_ADD] = "INSERT OR REPLACE INTO session_keys (token_hash, key_id, section_id, wrapped)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[ST_SESSION_KEY_GET] = "SELECT section_id, wrapped FROM session_keys WHERE token_hash = ?1"
	    " AND key_id = ?2",
	[ST_SESSION_KEY_DROP_SECTION] = "DELETE FROM session_keys WHERE section_id = ?2 AND token_hash IN"
	    " (SELECT token_hash FROM sessions WHERE staff_id = ?1)",
	[ST_SESSION_SECTIONS] = "SELECT DISTINCT section_id FROM session_keys WHERE token_hash = ?1"
	    " ORDER BY section_id",
	[ST_SESSION_DELETE_OTHERS] = "DELETE FROM sessions WHERE staff_id = ?1 AND token_hash != ?2",
	[ST_APP_LIST_NEW] = "SELECT receipt, procedure_id, section_id, status, received_at, updated_at,"
	    " key_id, sealed FROM applications WHERE procedure_id = ?1 AND section_id = ?2 AND (?3 = '' OR status = ?3)"
	    " AND received_at >= ?4 AND received_at < ?5"
	    " ORDER BY received_at DESC, id DESC LIMIT ?6 OFFSET ?7",
	[ST_APP_LIST_OLD] = "SELECT receipt, procedure_id, section_id, status, received_at, updated_at,"
	    " key_id, sealed FROM applications WHERE procedure_id = ?1 AND section_id = ?2 AND (?3 = '' OR status = ?3)"
	    " AND received_at >= ?4 AND received_at < ?5"
	    " ORDER BY received_at, id LIMIT ?6 OFFSET ?7",
	[ST_APP_COUNT_FILTERED] = "SELECT count(*) FROM applications WHERE procedure_id = ?1 AND section_id = ?2 AND (?3 = '' OR status = ?3)"
	    " AND received_at >= ?4 AND received_at < ?5",
	[ST_APP_STATUS_COUNTS] = "SELECT status, count(*) FROM applications WHERE procedure_id = ?1"
	    " AND section_id = ?2 GROUP BY status",
	[ST_APP_GET] = "SELECT receipt, procedure_id, section_id, status, received_at, updated_at,"
	    " key_id, sealed FROM applications WHERE receipt = ?1",
	[ST_APP_SET_STATUS] = "UPDATE applications SET status = ?3, updated_at = ?4"
	    " WHERE receipt = ?1 AND status = ?2",
	[ST_EVENT_ADD] = "INSERT INTO app_events (receipt, at, actor, from_status, to_status, key_id,"
	    " note_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_EVENT_LIST] = "SELECT at, actor, from_status, to_status, key_id, note_sealed FROM app_events"
	    " WHERE receipt = ?1 ORDER BY id",
	[ST_AUDIT_LAST] = "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
	[ST_AUDIT_ADD] = "INSERT INTO audit (seq, at, actor, action, target, detail, addr, prev, mac)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_AUDIT_ALL] = "SELECT seq, at, actor, action, target, detail, addr, prev, mac FROM audit"
	    " ORDER BY seq",
	[ST_AUDIT_PAGE] = "SELECT seq, at, actor, action, target, detail, addr, prev, mac FROM audit"
	    " WHERE (?1 = '' OR action = ?1) AND at >= ?2 AND at < ?3"
	    " ORDER BY seq DESC LIMIT ?4 OFFSET ?5",
	[ST_AUDIT_RANGE] = "SELECT seq, at, actor, action, target, detail, addr, prev, mac FROM audit"
	    " WHERE at >= ?1 AND at < ?2 ORDER BY seq",
	[ST_AUDIT_COUNT] = "SELECT count(*) FROM audit WHERE (?1 = '' OR action = ?1) AND at >= ?2 AND at < ?3",
	[ST_OUTBOX_ADD] = "INSERT INTO outbox (kind, receipt, procedure_id, section_id, sealed, next_at, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[ST_OUTBOX_DUE] = "SELECT id, kind, receipt, procedure_id, section_id, sealed, state, attempts, next_at,"
	    " last_error, created_at FROM outbox WHERE state = 'pending' AND next_at <= ?1 ORDER BY next_at, id"
	    " LIMIT ?2",
	[ST_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
	[ST_MAIL_LOG_ADD] = "INSERT INTO mail_log (outbox_id, kind, receipt, procedure_id, section_id, created_at,"
	    " delivered_at, attempts) SELECT id, kind, receipt, procedure_id, section_id, created_at, ?2,"
	    " attempts + 1 FROM outbox WHERE id = ?1",
	[ST_OUTBOX_RETRY] = "UPDATE outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3,"
	    " state = CASE WHEN ?4 THEN 'failed' ELSE 'pending' END WHERE id = ?1",
	[ST_OUTBOX_OF_RECEIPT] = "SELECT id, kind, receipt, procedure_id, section_id, sealed, state, attempts,"
	    " next_at, last_error, created_at FROM outbox WHERE receipt = ?1 ORDER BY id",
	[ST_MAIL_LOG_OF_RECEIPT] = "SELECT outbox_id, kind, delivered_at, attempts FROM mail_log WHERE receipt = ?1"
	    " ORDER BY id",
	[ST_OUTBOX_FAILED_COUNT] = "SELECT count(*) FROM outbox WHERE state = 'failed' AND procedure_id = ?1"
	    " AND section_id = ?2",
	[ST_OUTBOX_REQUEUE] = "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?2"
	    " WHERE state = 'failed' AND (?1 = 0 OR id = ?1)",
	[ST_OUTBOX_COUNT] = "SELECT count(*) FROM outbox WHERE state = ?1",
	[ST_OUTBOX_FAILED] = "SELECT id, kind, receipt, procedure_id, section_id, sealed, state, attempts,"
	    " next_at, last_error, created_at FROM outbox WHERE state = 'failed' ORDER BY id",
	[ST_SEND_COUNT] = "SELECT coalesce(sum(hits), 0) FROM send_counts WHERE key = ?1 AND slot > ?2",
	[ST_SEND_HIT] = "INSERT INTO send_counts (key, slot, hits) VALUES (?1, ?2, 1)"
	    " ON CONFLICT (key, slot) DO UPDATE SET hits = hits + 1",
	[ST_SEND_PURGE] = "DELETE FROM send_counts WHERE slot <= ?1",
};

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST__COUNT];
	struct db_limits limits;
	time_t		 counts_purged;	/* when send_counts last lost its old rows */
};

/* Beyond sqlite's own busy timeout, a few more tries before giving up. */
#define BUSY_TRIES	5
#define BUSY_TIMEOUT_MS	2000

static int
step(struct db *db, sqlite3_stmt *s)
{
	int rc, tries;

	for (tries = 0; tries < BUSY_TRIES; tries++) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		sqlite3_reset(s);
		usleep(10000u << tries);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		log_msg(LOG_ERR, "sqlite: %s", sqlite3_errmsg(db->h));
	return rc;
}

static sqlite3_stmt *
prep(struct db *db, enum stmt which)
{
	sqlite3_stmt *s = db->st[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Run a statement that returns no rows. */
static int
exec_done(struct db *db, sqlite3_stmt *s)
{
	int rc = step(db, s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
begin(struct db *db)
{
	return exec_done(db, prep(db, ST_BEGIN));
}

static int
commit(struct db *db)
{
	return exec_done(db, prep(db, ST_COMMIT));
}

static void
rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h) == 0)
		(void)exec_done(db, prep(db, ST_ROLLBACK));
}

int
db_begin(struct db *db)
{
	return begin(db);
}

int
db_commit(struct db *db)
{
	return commit(db);
}

void
db_rollback(struct db *db)
{
	rollback(db);
}

static int
exec_script(struct db *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_msg(LOG_ERR, "sqlite: %s", err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
db_bulk_load_mode(struct db *db)
{
	return exec_script(db, "PRAGMA synchronous = OFF");
}

static int
migrate(struct db *db)
{
	size_t	 v, n = sizeof(migrations) / sizeof(migrations[0]);
	char	 sql[64];
	int	 ver;

	if (exec_script(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	if ((ver = db_schema_version(db)) < 0 || (size_t)ver > n) {
		log_msg(LOG_ERR, "database schema version %d is newer than this program (%zu)", ver, n);
		goto fail;
	}
	for (v = (size_t)ver; v < n; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", v + 1);
		if (exec_script(db, migrations[v]) == -1 || exec_script(db, sql) == -1)
			goto fail;
		log_msg(LOG_INFO, "database migrated to schema version %zu", v + 1);
	}
	return exec_script(db, "COMMIT");
fail:
	(void)exec_script(db, "ROLLBACK");
	return -1;
}

int
db_open(const char *path, struct db **out)
{
	struct db	*db;
	int		 i;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -1;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_msg(LOG_ERR, "cannot open database %s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	if (exec_script(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    " PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;") == -1 || migrate(db) == -1)
		goto fail;
	for (i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(db->h, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &db->st[i], NULL) != SQLITE_OK) {
			log_msg(LOG_ERR, "sqlite prepare %d: %s", i, sqlite3_errmsg(db->h));
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	db_close(db);
	return -1;
}

void
db_close(struct db *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	free(db);
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt	*s;
	int		 v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Copy a text column into a fixed buffer; too long is an error, not a truncation. */
static int
col_text(sqlite3_stmt *s, int col, char *out, size_t outlen)
{
	const unsigned char	*t = sqlite3_column_text(s, col);
	size_t			 n = (size_t)sqlite3_column_bytes(s, col);

	if (t == NULL || n >= outlen)
		return -1;
	memcpy(out, t, n + 1);
	return 0;
}

/* A text column, with SQL NULL read as ""; NULL only when SQLite is out of memory. */
static const char *
col_text_or_empty(sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	if (t == NULL && sqlite3_column_type(s, col) == SQLITE_NULL)
		return "";
	return t;
}

static int
col_blob(sqlite3_stmt *s, int col, void *out, size_t len)
{
	const void *b = sqlite3_column_blob(s, col);

	if (b == NULL || (size_t)sqlite3_column_bytes(s, col) != len)
		return -1;
	memcpy(out, b, len);
	return 0;
}

int
db_section_add(struct db *db, const char *id, const char *name, time_t now)
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_ADD);
	int		 rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	rc = step(db, s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return DB_EXISTS;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_section_exists(struct db *db, const char *id)
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_EXISTS);
	int		 rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = step(db, s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_section_each(struct db *db, int (*fn)(const char *, const char *, void *), void *arg)
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_LIST);
	int		 rc;

	while ((rc = step(db, s)) == SQLITE_ROW) {
		if (fn((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_key_add(struct db *db, const char *section_id, const char key_id[SEAL_KEYID_LEN + 1],
    const unsigned char pk[SEAL_PK_LEN], const void *wrapped, size_t wrapped_len, time_t now)
{
	sqlite3_stmt *s = prep(db, ST_KEY_ADD);

	sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, pk, SEAL_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, wrapped, (int)wrapped_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)now);
	return exec_done(db, s);
}

int
db_key_current(struct db *db, const char *section_id, char key_id[SEAL_KEYID_LEN + 1],
    unsigned char pk[SEAL_PK_LEN])
{
	sqlite3_stmt	*s = prep(db, ST_KEY_CURRENT);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, section_id, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, key_id, SEAL_KEYID_LEN + 1) == 0 &&
	    col_blob(s, 1, pk, SEAL_PK_LEN) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

int
db_key_get(struct db *db, const char *key_id, char section_id[64], unsigned char pk[SEAL_PK_LEN],
    struct buf *wrapped)
{
	sqlite3_stmt	*s = prep(db, ST_KEY_GET);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, section_id, 64) == 0 &&
	    col_blob(s, 1, pk, SEAL_PK_LEN) == 0 &&
	    buf_put(wrapped, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2)) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

/* Twelve random digits; grouped for reading aloud over the phone. */
static void
receipt_draw(char out[DB_RECEIPT_LEN + 1])
{
	uint32_t g[3];
	int i;

	for (i = 0; i < 3; i++)
		g[i] = randombytes_uniform(10000);
	snprintf(out, DB_RECEIPT_LEN + 1, "%04u-%04u-%04u", g[0], g[1], g[2]);
}

static int
receipt_taken(struct db *db, const char *receipt)
{
	sqlite3_stmt	*s = prep(db, ST_APP_RECEIPT_EXISTS);
	int		 rc;

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	rc = step(db, s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
app_by_submit(struct db *db, const unsigned char hash[SEAL_MAC_LEN], char receipt[DB_RECEIPT_LEN + 1])
{
	sqlite3_stmt	*s = prep(db, ST_APP_BY_SUBMIT);
	int		 rc, ret = -1;

	sqlite3_bind_blob(s, 1, hash, SEAL_MAC_LEN, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, receipt, DB_RECEIPT_LEN + 1) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

static int
app_insert(struct db *db, const struct db_app *a, const char *receipt)
{
	sqlite3_stmt *s = prep(db, ST_APP_INSERT);

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->form_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, a->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, a->sealed, (int)a->sealed_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, a->submit_hash, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, a->inquiry_hash, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)a->received_at);
	return exec_done(db, s);
}

static int
outbox_insert(struct db *db, const char *receipt, const struct db_outbox_item *m)
{
	sqlite3_stmt *s = prep(db, ST_OUTBOX_ADD);

	sqlite3_bind_text(s, 1, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, m->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, m->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, m->sealed, (int)m->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)m->at);
	return exec_done(db, s);
}

/* db_app_store's way to a commit: a batch of one on this connection. */
static int
store_here(struct db_store_req *r, void *arg)
{
	return db_app_store_batch(arg, r, 1) == -1 ? -1 : 0;
}

int
db_app_store(struct db *db, const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1])
{
	return db_app_store_via(app, receipt, store_here, db);
}

/* One try under a freshly drawn receipt, with the arrival mail that names it. */
static int
try_receipt(struct db_store_req *r, int (*store)(struct db_store_req *, void *), void *arg)
{
	const struct db_app	*app = &r->app;
	struct db_outbox_item	 m;
	int			 rc;

	receipt_draw(r->receipt);
	memset(&m, 0, sizeof(m));
	r->mail = NULL;
	if (app->mail != NULL) {
		if ((rc = app->mail(r->receipt, &m, app->mail_arg)) == -1)
			return -1;
		if (rc == 0)	/* DB_NOTFOUND: no mail for this one */
			r->mail = &m;
	}
	rc = store(r, arg) == -1 ? -1 : r->result;
	if (m.release != NULL)
		m.release(&m, app->mail_arg);
	r->mail = NULL;
	return rc;
}

int
db_app_store_via(const struct db_app *app, char receipt[DB_RECEIPT_LEN + 1],
    int (*store)(struct db_store_req *, void *), void *arg)
{
	struct db_store_req	r;
	int			tries, rc = -1;

	memset(&r, 0, sizeof(r));
	r.app = *app;
	/* 10^12 receipts: a collision is rare, a long run of them means a broken RNG. */
	for (tries = 0; tries < 20; tries++)
		if ((rc = try_receipt(&r, store, arg)) != DB_TAKEN)
			break;
	if (rc == 0 || rc == DB_EXISTS || rc == DB_MAIL_HELD)
		memcpy(receipt, r.receipt, DB_RECEIPT_LEN + 1);
	else
		receipt[0] = '\0';
	return rc == 0 || rc == DB_EXISTS || rc == DB_STALE_KEY || rc == DB_LIMITED || rc == DB_MAIL_HELD ?
	    rc : -1;
}

/*
 * Workers remember a section's key between requests; checking it here, in
 * the transaction that stores, makes a rotation take effect at once: 1 when
 * key_id is the section's current key, 0 when not, -1 on error.
 */
static int
key_is_current(struct db *db, const char *section_id, const char *key_id)
{
	unsigned char	pk[SEAL_PK_LEN];
	char		current[SEAL_KEYID_LEN + 1];
	int		rc = db_key_current(db, section_id, current, pk);

	if (rc == -1)
		return -1;
	return rc == 0 && strcmp(current, key_id) == 0;
}

void
db_set_limits(struct db *db, const struct db_limits *limits)
{
	db->limits = *limits;
}

/* The start of now's tenth of window: counts are kept per tenth, so a window slides in tenths. */
static time_t
count_slot(time_t now, int window)
{
	time_t len = window >= 10 ? window / 10 : 1;

	return now - now % len;
}

/* 1 when key has limit sends or more in the window that ends at now, 0 when not, -1 on error. */
static int
over_limit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now, int limit, int window)
{
	sqlite3_stmt	*s = prep(db, ST_SEND_COUNT);
	int64_t		 hits = 0;
	int		 rc;

	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)(now - window));
	rc = step(db, s);
	if (rc == SQLITE_ROW)
		hits = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return -1;
	return hits >= limit;
}

static int
count_send(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now, int window)
{
	sqlite3_stmt *s = prep(db, ST_SEND_HIT);

	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)count_slot(now, window));
	return exec_done(db, s);
}

/*
 * Is this send within its limit (0: no limit)?  1 yes, counted; 0 over the
 * limit, not counted; -1 on error.
 */
static int
within_limit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now, int limit, int window)
{
	int over;

	if (limit <= 0)
		return 1;
	if ((over = over_limit(db, key, now, limit, window)) != 0)
		return over == 1 ? 0 : -1;
	return count_send(db, key, now, window) == 0 ? 1 : -1;
}

/* Counts older than every window go, at most once an hour: the table stays as small as a day's sends. */
static int
purge_counts(struct db *db, time_t now)
{
	sqlite3_stmt	*s;
	int		 longest = db->limits.send_window > DB_MAIL_WINDOW ? db->limits.send_window :
			    DB_MAIL_WINDOW;

	if (now - db->counts_purged < 60 * 60 && now >= db->counts_purged)
		return 0;
	s = prep(db, ST_SEND_PURGE);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(now - longest));
	if (exec_done(db, s) == -1)
		return -1;
	db->counts_purged = now;
	return 0;
}

/*
 * A new application under the receipt its sender drew: 0, DB_MAIL_HELD,
 * DB_TAKEN, DB_STALE_KEY, DB_LIMITED or -1.  The limits are checked last,
 * so that a send answered "draw again" or "seal again" is not counted.
 */
static int
insert_new(struct db *db, const struct db_store_req *r)
{
	const struct db_limits	*l = &db->limits;
	const struct db_app	*a = &r->app;
	int			 current = key_is_current(db, a->section_id, a->key_id), taken, ok;

	if (current != 1)
		return current == 0 ? DB_STALE_KEY : -1;
	taken = receipt_taken(db, r->receipt);
	if (taken != 0)
		return taken == 1 ? DB_TAKEN : -1;
	if ((ok = within_limit(db, a->sender_key, a->received_at, l->send_limit, l->send_window)) != 1)
		return ok == 0 ? DB_LIMITED : -1;
	if (app_insert(db, a, r->receipt) == -1)
		return -1;
	if (r->mail == NULL)
		return 0;
	if ((ok = within_limit(db, a->recipient_key, a->received_at, l->mail_limit, DB_MAIL_WINDOW)) != 1)
		return ok == 0 ? DB_MAIL_HELD : -1;
	return outbox_insert(db, r->receipt, r->mail);
}

/* One request of a batch, inside its own savepoint so that its failure leaves the others alone. */
static int
store_one(struct db *db, struct db_store_req *r)
{
	int rc;

	if (exec_done(db, prep(db, ST_SAVEPOINT)) == -1)
		return -1;
	rc = app_by_submit(db, r->app.submit_hash, r->receipt);
	if (rc == 0)
		rc = DB_EXISTS;
	else if (rc == DB_NOTFOUND)
		rc = insert_new(db, r);
	if (rc == -1)
		(void)exec_done(db, prep(db, ST_ROLLBACK_TO));
	if (exec_done(db, prep(db, ST_RELEASE)) == -1)
		return -1;
	return rc;
}

int
db_app_store_batch(struct db *db, struct db_store_req *reqs, size_t n)
{
	size_t i, stored = 0;

	if (begin(db) == -1 || (n > 0 && purge_counts(db, reqs[0].app.received_at) == -1))
		goto fail;
	for (i = 0; i < n; i++)
		if ((reqs[i].result = store_one(db, &reqs[i])) == 0 || reqs[i].result == DB_MAIL_HELD)
			stored++;
	if (commit(db) == -1)
		goto fail;
	return (int)stored;
fail:
	rollback(db);
	for (i = 0; i < n; i++)
		reqs[i].result = -1;
	return -1;
}

int
db_app_status(struct db *db, const char *receipt, struct db_app_status *out)
{
	sqlite3_stmt	*s = prep(db, ST_APP_STATUS);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, out->procedure_id, sizeof(out->procedure_id)) == 0 &&
	    col_text(s, 1, out->status, sizeof(out->status)) == 0 &&
	    col_blob(s, 3, out->inquiry_hash, SEAL_MAC_LEN) == 0) {
		out->received_at = (time_t)sqlite3_column_int64(s, 2);
		ret = 0;
	}
	sqlite3_reset(s);
	return ret;
}

int
db_app_sealed(struct db *db, const char *receipt, char key_id[SEAL_KEYID_LEN + 1], struct buf *sealed)
{
	sqlite3_stmt	*s = prep(db, ST_APP_SEALED);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && col_text(s, 0, key_id, SEAL_KEYID_LEN + 1) == 0 &&
	    buf_put(sealed, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

int
db_app_count(struct db *db, int64_t *out)
{
	sqlite3_stmt	*s = prep(db, ST_APP_COUNT);
	int		 rc;

	rc = step(db, s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
throttle_purge(struct db *db, time_t before)
{
	sqlite3_stmt *s = prep(db, ST_THROTTLE_PURGE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	return exec_done(db, s);
}

/* A throttle statement with its key (?1) and a second (?2). */
static sqlite3_stmt *
throttle_prep(struct db *db, enum stmt which, const unsigned char key[SEAL_MAC_LEN], time_t at)
{
	sqlite3_stmt *s = prep(db, which);

	sqlite3_bind_blob(s, 1, key, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)at);
	return s;
}

int
db_throttle_record(struct db *db, const unsigned char *const *keys, size_t n, time_t now)
{
	size_t i;

	if (begin(db) == -1)
		return -1;
	/* Keys use windows of different lengths: purge only what no allowed window reaches. */
	if (throttle_purge(db, now - DB_THROTTLE_MAX_WINDOW) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (exec_done(db, throttle_prep(db, ST_THROTTLE_HIT, keys[i], now)) == -1)
			goto fail;
	if (commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return -1;
}

int
db_throttle_hit(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t *hits)
{
	const unsigned char *keys[1] = { key };

	if (window_seconds < 1 || window_seconds > DB_THROTTLE_MAX_WINDOW ||
	    db_throttle_record(db, keys, 1, now) == -1)
		return -1;
	return db_throttle_count(db, key, now, window_seconds, hits);
}

int
db_throttle_count(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t *hits)
{
	sqlite3_stmt	*s = throttle_prep(db, ST_THROTTLE_GET, key, now - window_seconds);
	int		 rc = step(db, s);

	*hits = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_throttle_wait(struct db *db, const unsigned char key[SEAL_MAC_LEN], time_t now,
    int window_seconds, int64_t limit, int *seconds)
{
	sqlite3_stmt	*s;
	int64_t		 left;
	int		 rc = SQLITE_DONE;

	*seconds = 0;
	if (db_throttle_count(db, key, now, window_seconds, &left) == -1)
		return -1;
	/* Oldest first: the hits of second t leave the window at t + window_seconds. */
	s = throttle_prep(db, ST_THROTTLE_SCAN, key, now - window_seconds);
	while (left >= limit && (rc = step(db, s)) == SQLITE_ROW) {
		left -= sqlite3_column_int64(s, 1);
		*seconds = (int)(sqlite3_column_int64(s, 0) + window_seconds - now);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
db_throttle_clear(struct db *db, const unsigned char key[SEAL_MAC_LEN])
{
	return exec_done(db, throttle_prep(db, ST_THROTTLE_CLEAR, key, 0));
}

/* ---- schema 2: sections and keys ---- */

/* Run a one-row lookup and let get() copy the columns; DB_NOTFOUND when no row. */
static int
lookup(struct db *db, sqlite3_stmt *s, int (*get)(sqlite3_stmt *s, void *arg), void *arg)
{
	int rc, ret = -1;

	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW && get(s, arg) == 0)
		ret = 0;
	sqlite3_reset(s);
	return ret;
}

/* Step through all rows, calling row() for each; stops early (successfully) when it returns non-zero. */
static int
each_row(struct db *db, sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg), void *arg)
{
	int rc, r;

	while ((rc = step(db, s)) == SQLITE_ROW) {
		if ((r = row(s, arg)) != 0) {
			rc = r < 0 ? SQLITE_ERROR : SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
one_value(struct db *db, sqlite3_stmt *s)
{
	int rc = step(db, s);

	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

struct text_out { char *p; size_t len; };

static int
get_text0(sqlite3_stmt *s, void *arg)
{
	struct text_out *t = arg;

	return col_text(s, 0, t->p, t->len);
}

int
db_section_name(struct db *db, const char *id, char *name, size_t namelen)
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_NAME);
	struct text_out	 t = { name, namelen };

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	return lookup(db, s, get_text0, &t);
}

int
db_section_recovery_pk(struct db *db, const char *id, unsigned char pk[SEAL_PK_LEN])
{
	sqlite3_stmt	*s = prep(db, ST_SECTION_RECOVERY_PK);
	int		 rc, ret = -1;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = step(db, s);
	if (rc == SQLITE_DONE)
		ret = DB_NOTFOUND;
	else if (rc == SQLITE_ROW)
		ret = sqlite3_column_type(s, 0) == SQLITE_NULL ? DB_NOTFOUND :
		    col_blob(s, 0, pk, SEAL_PK_LEN);
	sqlite3_reset(s);
	return ret;
}

int
db_section_set_recovery_pk(struct db *db, const char *id, const unsigned char pk[SEAL_PK_LEN])
{
	sqlite3_stmt *s = prep(db, ST_SECTION_SET_RECOVERY_PK);

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, pk, SEAL_PK_LEN, SQLITE_STATIC);
	return exec_done(db, s);
}

int
db_section_create(struct db *db, const char *id, const char *name,
    const unsigned char recovery_pk[SEAL_PK_LEN], const char key_id[SEAL_KEYID_LEN + 1],
    const unsigned char pk[SEAL_PK_LEN], const void *recovery_sealed, size_t len, time_t now)
{
	int rc;

	if (begin(db) == -1)
		return -1;
	if ((rc = db_section_add(db, id, name, now)) != 0)
		goto fail;
	rc = -1;
	if (db_section_set_recovery_pk(db, id, recovery_pk) == -1 ||
	    db_key_add(db, id, key_id, pk, recovery_sealed, len, now) == -1 || commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return rc;
}

struct key_each_arg {
	int	(*fn)(const char *, const unsigned char *, const void *, size_t, void *);
	void	*arg;
};

static int
key_row(sqlite3_stmt *s, void *arg)
{
	struct key_each_arg *k = arg;

	if (sqlite3_column_bytes(s, 1) != SEAL_PK_LEN)
		return -1;
	return k->fn((const char *)sqlite3_column_text(s, 0), sqlite3_column_blob(s, 1),
	    sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), k->arg);
}

int
db_key_each(struct db *db, const char *section_id,
    int (*fn)(const char *, const unsigned char *, const void *, size_t, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_KEY_EACH);
	struct key_each_arg	 k = { fn, arg };

	sqlite3_bind_text(s, 1, section_id, -1, SQLITE_STATIC);
	return each_row(db, s, key_row, &k);
}

/* ---- staff ---- */

static int
get_staff(sqlite3_stmt *s, void *arg)
{
	struct db_staff *st = arg;

	memset(st, 0, sizeof(*st));
	st->id = sqlite3_column_int64(s, 0);
	st->pw_ops = (uint64_t)sqlite3_column_int64(s, 6);
	st->pw_mem = (uint64_t)sqlite3_column_int64(s, 7);
	st->disabled = sqlite3_column_int(s, 8);
	return col_text(s, 1, st->login, sizeof(st->login)) == 0 &&
	    col_text(s, 2, st->role, sizeof(st->role)) == 0 &&
	    col_blob(s, 3, st->public_key, SEAL_PK_LEN) == 0 &&
	    col_blob(s, 4, st->secret_wrapped, DB_WRAPPED_SK_LEN) == 0 &&
	    col_blob(s, 5, st->pw_salt, DB_SALT_LEN) == 0 ? 0 : -1;
}

static void
bind_secret(sqlite3_stmt *s, int first, const struct db_staff *st)
{
	sqlite3_bind_blob(s, first, st->public_key, SEAL_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, first + 1, st->secret_wrapped, DB_WRAPPED_SK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, first + 2, st->pw_salt, DB_SALT_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 3, (sqlite3_int64)st->pw_ops);
	sqlite3_bind_int64(s, first + 4, (sqlite3_int64)st->pw_mem);
}

int
db_staff_add(struct db *db, struct db_staff *st, time_t now)
{
	sqlite3_stmt	*s = prep(db, ST_STAFF_ADD);
	int		 rc;

	sqlite3_bind_text(s, 1, st->login, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, st->role, -1, SQLITE_STATIC);
	bind_secret(s, 3, st);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)now);
	rc = step(db, s);
	/* Only the login's uniqueness means "taken"; a refused role (CHECK) is an error. */
	if (rc == SQLITE_CONSTRAINT)
		rc = sqlite3_extended_errcode(db->h);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return DB_EXISTS;
	if (rc != SQLITE_DONE)
		return -1;
	st->id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int
db_staff_by_login(struct db *db, const char *login, struct db_staff *out)
{
	sqlite3_stmt *s = prep(db, ST_STAFF_BY_LOGIN);

	sqlite3_bind_text(s, 1, login, -1, SQLITE_STATIC);
	return lookup(db, s, get_staff, out);
}

int
db_staff_by_id(struct db *db, int64_t id, struct db_staff *out)
{
	sqlite3_stmt *s = prep(db, ST_STAFF_BY_ID);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return lookup(db, s, get_staff, out);
}

struct staff_each_arg {
	int	(*fn)(const struct db_staff *, void *);
	void	*arg;
};

static int
staff_row(sqlite3_stmt *s, void *arg)
{
	struct staff_each_arg	*a = arg;
	struct db_staff		 st;
	int			 r;

	if (get_staff(s, &st) == -1)
		return -1;
	r = a->fn(&st, a->arg);
	sodium_memzero(&st, sizeof(st));
	return r;
}

int
db_staff_each(struct db *db, int (*fn)(const struct db_staff *, void *), void *arg)
{
	struct staff_each_arg a = { fn, arg };

	return each_row(db, prep(db, ST_STAFF_LIST), staff_row, &a);
}

int
db_staff_set_secret(struct db *db, const struct db_staff *st, time_t now)
{
	sqlite3_stmt *s = prep(db, ST_STAFF_SET_SECRET);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)st->id);
	bind_secret(s, 2, st);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)now);
	return exec_done(db, s);
}

int
db_staff_set_disabled(struct db *db, int64_t id, int disabled, time_t now)
{
	sqlite3_stmt *s = prep(db, ST_STAFF_SET_DISABLED);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int(s, 2, disabled ? 1 : 0);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return exec_done(db, s);
}

int
db_staff_set_role(struct db *db, int64_t id, const char *role, time_t now)
{
	sqlite3_stmt *s = prep(db, ST_STAFF_SET_ROLE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_text(s, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return exec_done(db, s);
}

/* ---- grants ---- */

int
db_grant_add(struct db *db, int64_t staff_id, const char *key_id, const char *section_id,
    const void *sealed, size_t len, time_t now)
{
	sqlite3_stmt *s = prep(db, ST_GRANT_ADD);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_text(s, 2, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, sealed, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)now);
	return exec_done(db, s);
}

int
db_grant_revoke(struct db *db, int64_t staff_id, const char *section_id)
{
	sqlite3_stmt *s;

	if (begin(db) == -1)
		return -1;
	s = prep(db, ST_GRANT_REVOKE);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	if (exec_done(db, s) == -1)
		goto fail;
	s = prep(db, ST_SESSION_KEY_DROP_SECTION);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	if (exec_done(db, s) == -1 || commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return -1;
}

int
db_grant_revoke_all(struct db *db, int64_t staff_id)
{
	sqlite3_stmt *s = prep(db, ST_GRANT_REVOKE_ALL);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	return exec_done(db, s);
}

struct grant_each_arg {
	int	(*fn)(const char *, const char *, const void *, size_t, void *);
	void	*arg;
};

static int
grant_row(sqlite3_stmt *s, void *arg)
{
	struct grant_each_arg *g = arg;

	return g->fn((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
	    sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), g->arg);
}

int
db_grant_each(struct db *db, int64_t staff_id,
    int (*fn)(const char *, const char *, const void *, size_t, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_GRANT_LIST);
	struct grant_each_arg	 g = { fn, arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	return each_row(db, s, grant_row, &g);
}

int
db_grant_has(struct db *db, int64_t staff_id, const char *section_id)
{
	sqlite3_stmt *s = prep(db, ST_GRANT_HAS);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	return one_value(db, s);
}

struct grantee_arg {
	int	(*fn)(int64_t, const char *, const unsigned char *, void *);
	void	*arg;
};

static int
grantee_row(sqlite3_stmt *s, void *arg)
{
	struct grantee_arg *g = arg;

	if (sqlite3_column_bytes(s, 2) != SEAL_PK_LEN)
		return -1;
	return g->fn(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
	    sqlite3_column_blob(s, 2), g->arg);
}

int
db_grantees_each(struct db *db, const char *section_id,
    int (*fn)(int64_t, const char *, const unsigned char *, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_GRANTEES);
	struct grantee_arg	 g = { fn, arg };

	sqlite3_bind_text(s, 1, section_id, -1, SQLITE_STATIC);
	return each_row(db, s, grantee_row, &g);
}

/* ---- sessions ---- */

static sqlite3_stmt *
prep_hash(struct db *db, enum stmt which, const unsigned char hash[SEAL_MAC_LEN])
{
	sqlite3_stmt *s = prep(db, which);

	sqlite3_bind_blob(s, 1, hash, SEAL_MAC_LEN, SQLITE_STATIC);
	return s;
}

int
db_session_add(struct db *db, const unsigned char hash[SEAL_MAC_LEN], int64_t staff_id, time_t now)
{
	sqlite3_stmt *s = prep_hash(db, ST_SESSION_ADD, hash);

	sqlite3_bind_int64(s, 2, (sqlite3_int64)staff_id);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	return exec_done(db, s);
}

static int
get_session(sqlite3_stmt *s, void *arg)
{
	struct db_session *out = arg;

	out->staff_id = sqlite3_column_int64(s, 0);
	out->created_at = (time_t)sqlite3_column_int64(s, 1);
	out->last_seen = (time_t)sqlite3_column_int64(s, 2);
	return 0;
}

int
db_session_get(struct db *db, const unsigned char hash[SEAL_MAC_LEN], struct db_session *out)
{
	return lookup(db, prep_hash(db, ST_SESSION_GET, hash), get_session, out);
}

int
db_session_touch(struct db *db, const unsigned char hash[SEAL_MAC_LEN], time_t now)
{
	sqlite3_stmt *s = prep_hash(db, ST_SESSION_TOUCH, hash);

	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	return exec_done(db, s);
}

int
db_session_delete(struct db *db, const unsigned char hash[SEAL_MAC_LEN])
{
	return exec_done(db, prep_hash(db, ST_SESSION_DELETE, hash));
}

int
db_session_delete_staff(struct db *db, int64_t staff_id)
{
	sqlite3_stmt *s = prep(db, ST_SESSION_DELETE_STAFF);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	return exec_done(db, s);
}

int
db_session_delete_others(struct db *db, int64_t staff_id, const unsigned char keep[SEAL_MAC_LEN])
{
	sqlite3_stmt *s = prep(db, ST_SESSION_DELETE_OTHERS);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)staff_id);
	sqlite3_bind_blob(s, 2, keep, SEAL_MAC_LEN, SQLITE_STATIC);
	return exec_done(db, s);
}

int
db_session_purge(struct db *db, time_t idle_before, time_t created_before)
{
	sqlite3_stmt *s = prep(db, ST_SESSION_PURGE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)idle_before);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)created_before);
	return exec_done(db, s);
}

int
db_session_key_add(struct db *db, const unsigned char hash[SEAL_MAC_LEN], const char *key_id,
    const char *section_id, const void *wrapped, size_t len)
{
	sqlite3_stmt *s = prep_hash(db, ST_SESSION_KEY_ADD, hash);

	sqlite3_bind_text(s, 2, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, section_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, wrapped, (int)len, SQLITE_STATIC);
	return exec_done(db, s);
}

struct session_key_out { char *section_id; struct buf *wrapped; };

static int
get_session_key(sqlite3_stmt *s, void *arg)
{
	struct session_key_out *o = arg;

	return col_text(s, 0, o->section_id, 64) == 0 &&
	    buf_put(o->wrapped, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) == 0 ? 0 : -1;
}

int
db_session_key_get(struct db *db, const unsigned char hash[SEAL_MAC_LEN], const char *key_id,
    char section_id[64], struct buf *wrapped)
{
	sqlite3_stmt		*s = prep_hash(db, ST_SESSION_KEY_GET, hash);
	struct session_key_out	 o = { section_id, wrapped };

	sqlite3_bind_text(s, 2, key_id, -1, SQLITE_STATIC);
	return lookup(db, s, get_session_key, &o);
}

struct text_each_arg {
	int	(*fn)(const char *, void *);
	void	*arg;
};

static int
text_row(sqlite3_stmt *s, void *arg)
{
	struct text_each_arg *t = arg;

	return t->fn((const char *)sqlite3_column_text(s, 0), t->arg);
}

int
db_session_sections(struct db *db, const unsigned char hash[SEAL_MAC_LEN],
    int (*fn)(const char *, void *), void *arg)
{
	struct text_each_arg t = { fn, arg };

	return each_row(db, prep_hash(db, ST_SESSION_SECTIONS, hash), text_row, &t);
}

/* ---- applications for staff ---- */

static void
bind_filter(sqlite3_stmt *s, const struct db_app_filter *f)
{
	sqlite3_bind_text(s, 1, f->procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->section_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, f->status ? f->status : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)f->from);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)f->to);
}

static int
get_app_row(sqlite3_stmt *s, struct db_app_row *r)
{
	memset(r, 0, sizeof(*r));
	r->received_at = (time_t)sqlite3_column_int64(s, 4);
	r->updated_at = (time_t)sqlite3_column_int64(s, 5);
	r->sealed = sqlite3_column_blob(s, 7);
	r->sealed_len = (size_t)sqlite3_column_bytes(s, 7);
	return col_text(s, 0, r->receipt, sizeof(r->receipt)) == 0 &&
	    col_text(s, 1, r->procedure_id, sizeof(r->procedure_id)) == 0 &&
	    col_text(s, 2, r->section_id, sizeof(r->section_id)) == 0 &&
	    col_text(s, 3, r->status, sizeof(r->status)) == 0 &&
	    col_text(s, 6, r->key_id, sizeof(r->key_id)) == 0 && r->sealed != NULL ? 0 : -1;
}

struct app_each_arg {
	int	(*fn)(const struct db_app_row *, void *);
	void	*arg;
};

static int
app_row(sqlite3_stmt *s, void *arg)
{
	struct app_each_arg	*a = arg;
	struct db_app_row	 r;

	if (get_app_row(s, &r) == -1)
		return -1;
	return a->fn(&r, a->arg);
}

int
db_app_list(struct db *db, const struct db_app_filter *f,
    int (*fn)(const struct db_app_row *, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, f->oldest_first ? ST_APP_LIST_OLD : ST_APP_LIST_NEW);
	struct app_each_arg	 a = { fn, arg };

	bind_filter(s, f);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)f->limit);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)f->offset);
	return each_row(db, s, app_row, &a);
}

int
db_app_count_filtered(struct db *db, const struct db_app_filter *f, int64_t *out)
{
	sqlite3_stmt	*s = prep(db, ST_APP_COUNT_FILTERED);
	int		 rc;

	bind_filter(s, f);
	rc = step(db, s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

struct count_arg {
	int	(*fn)(const char *, int64_t, void *);
	void	*arg;
};

static int
count_row(sqlite3_stmt *s, void *arg)
{
	struct count_arg *c = arg;

	return c->fn((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), c->arg);
}

int
db_app_status_counts(struct db *db, const char *procedure_id, const char *section_id,
    int (*fn)(const char *, int64_t, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_APP_STATUS_COUNTS);
	struct count_arg	 c = { fn, arg };

	sqlite3_bind_text(s, 1, procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	return each_row(db, s, count_row, &c);
}

struct app_get_arg { struct db_app_row *row; struct buf *sealed; };

static int
get_app(sqlite3_stmt *s, void *arg)
{
	struct app_get_arg	*a = arg;
	size_t			 start = a->sealed->len;

	if (get_app_row(s, a->row) == -1 || buf_put(a->sealed, a->row->sealed, a->row->sealed_len) == -1)
		return -1;
	a->row->sealed = a->sealed->data + start;
	return 0;
}

int
db_app_get(struct db *db, const char *receipt, struct db_app_row *row, struct buf *sealed)
{
	sqlite3_stmt		*s = prep(db, ST_APP_GET);
	struct app_get_arg	 a = { row, sealed };

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	return lookup(db, s, get_app, &a);
}

static int
event_insert(struct db *db, const struct db_event *ev)
{
	sqlite3_stmt *s = prep(db, ST_EVENT_ADD);

	sqlite3_bind_text(s, 1, ev->receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)ev->at);
	sqlite3_bind_text(s, 3, ev->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, ev->from_status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, ev->to_status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, ev->key_id, -1, SQLITE_STATIC);
	if (ev->note_sealed != NULL)
		sqlite3_bind_blob(s, 7, ev->note_sealed, (int)ev->note_len, SQLITE_STATIC);
	return exec_done(db, s);
}

int
db_app_event(struct db *db, const struct db_event *ev)
{
	sqlite3_stmt	*s;
	int		 ret = -1;

	if (begin(db) == -1)
		return -1;
	if (strcmp(ev->from_status, ev->to_status) != 0) {
		s = prep(db, ST_APP_SET_STATUS);
		sqlite3_bind_text(s, 1, ev->receipt, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, ev->from_status, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, ev->to_status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)ev->at);
		if (exec_done(db, s) == -1)
			goto fail;
		if (sqlite3_changes(db->h) != 1) {
			ret = DB_NOTFOUND;
			goto fail;
		}
	}
	if (event_insert(db, ev) == -1 || (ev->mail != NULL && outbox_insert(db, ev->receipt, ev->mail) == -1) ||
	    commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return ret;
}

struct event_each_arg {
	int	(*fn)(const struct db_event *, void *);
	void	*arg;
	const char *receipt;
};

static int
event_row(sqlite3_stmt *s, void *arg)
{
	struct event_each_arg	*a = arg;
	struct db_event		 ev;

	memset(&ev, 0, sizeof(ev));
	ev.receipt = a->receipt;
	ev.at = (time_t)sqlite3_column_int64(s, 0);
	ev.actor = (const char *)sqlite3_column_text(s, 1);
	ev.from_status = (const char *)sqlite3_column_text(s, 2);
	ev.to_status = (const char *)sqlite3_column_text(s, 3);
	ev.key_id = (const char *)sqlite3_column_text(s, 4);
	if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
		ev.note_sealed = sqlite3_column_blob(s, 5);
		ev.note_len = (size_t)sqlite3_column_bytes(s, 5);
	}
	if (ev.actor == NULL || ev.from_status == NULL || ev.to_status == NULL || ev.key_id == NULL)
		return -1;
	return a->fn(&ev, a->arg);
}

int
db_app_events(struct db *db, const char *receipt, int (*fn)(const struct db_event *, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_EVENT_LIST);
	struct event_each_arg	 a = { fn, arg, receipt };

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	return each_row(db, s, event_row, &a);
}

/* ---- audit ---- */

static int
get_audit_last(sqlite3_stmt *s, void *arg)
{
	struct db_audit *e = arg;

	e->seq = sqlite3_column_int64(s, 0) + 1;
	return col_blob(s, 1, e->prev, SEAL_MAC_LEN);
}

static int
audit_insert(struct db *db, const struct db_audit *e)
{
	sqlite3_stmt *s = prep(db, ST_AUDIT_ADD);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)e->at);
	sqlite3_bind_text(s, 3, e->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, e->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, e->detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, e->addr, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, e->prev, SEAL_MAC_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, e->mac, SEAL_MAC_LEN, SQLITE_STATIC);
	return exec_done(db, s);
}

int
db_audit_append(struct db *db, struct db_audit *e, int (*chain)(struct db_audit *, void *), void *arg)
{
	int rc;

	if (begin(db) == -1)
		return -1;
	rc = lookup(db, prep(db, ST_AUDIT_LAST), get_audit_last, e);
	if (rc == DB_NOTFOUND) {
		e->seq = 1;
		memset(e->prev, 0, sizeof(e->prev));
	} else if (rc != 0)
		goto fail;
	if (chain(e, arg) == -1 || audit_insert(db, e) == -1 || commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return -1;
}

struct audit_each_arg {
	int	(*fn)(const struct db_audit *, void *);
	void	*arg;
};

static int
audit_row(sqlite3_stmt *s, void *arg)
{
	struct audit_each_arg	*a = arg;
	struct db_audit		 e;

	memset(&e, 0, sizeof(e));
	e.seq = sqlite3_column_int64(s, 0);
	e.at = (time_t)sqlite3_column_int64(s, 1);
	/*
	 * A damaged row (NULL text, short hashes: only possible by rebuilding the table) is handed over
	 * with empty text and zeroed hashes so that verification reports it rather than stopping.
	 */
	e.actor = col_text_or_empty(s, 2);
	e.action = col_text_or_empty(s, 3);
	e.target = col_text_or_empty(s, 4);
	e.detail = col_text_or_empty(s, 5);
	e.addr = col_text_or_empty(s, 6);
	(void)col_blob(s, 7, e.prev, SEAL_MAC_LEN);
	(void)col_blob(s, 8, e.mac, SEAL_MAC_LEN);
	if (e.actor == NULL || e.action == NULL || e.target == NULL || e.detail == NULL || e.addr == NULL)
		return -1;
	return a->fn(&e, a->arg);
}

int
db_audit_each(struct db *db, int (*fn)(const struct db_audit *, void *), void *arg)
{
	struct audit_each_arg a = { fn, arg };

	return each_row(db, prep(db, ST_AUDIT_ALL), audit_row, &a);
}

int
db_audit_range(struct db *db, time_t from, time_t to, int (*fn)(const struct db_audit *, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_AUDIT_RANGE);
	struct audit_each_arg	 a = { fn, arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)to);
	return each_row(db, s, audit_row, &a);
}

int
db_audit_page(struct db *db, const char *action, time_t from, time_t to, int64_t limit, int64_t offset,
    int (*fn)(const struct db_audit *, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_AUDIT_PAGE);
	struct audit_each_arg	 a = { fn, arg };

	sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)to);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)limit);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)offset);
	return each_row(db, s, audit_row, &a);
}

int
db_audit_count(struct db *db, const char *action, time_t from, time_t to, int64_t *out)
{
	sqlite3_stmt	*s = prep(db, ST_AUDIT_COUNT);
	int		 rc;

	sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)to);
	rc = step(db, s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- the mail outbox ---- */

static int
get_mail(sqlite3_stmt *s, struct db_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->kind = (const char *)sqlite3_column_text(s, 1);
	m->receipt = (const char *)sqlite3_column_text(s, 2);
	m->procedure_id = (const char *)sqlite3_column_text(s, 3);
	m->section_id = (const char *)sqlite3_column_text(s, 4);
	m->sealed = sqlite3_column_blob(s, 5);
	m->sealed_len = (size_t)sqlite3_column_bytes(s, 5);
	m->state = (const char *)sqlite3_column_text(s, 6);
	m->attempts = sqlite3_column_int(s, 7);
	m->next_at = (time_t)sqlite3_column_int64(s, 8);
	m->last_error = (const char *)sqlite3_column_text(s, 9);
	m->created_at = (time_t)sqlite3_column_int64(s, 10);
	return m->kind && m->receipt && m->procedure_id && m->section_id && m->sealed && m->state &&
	    m->last_error ? 0 : -1;
}

struct mail_each_arg {
	int	(*fn)(const struct db_mail *, void *);
	void	*arg;
};

static int
mail_row(sqlite3_stmt *s, void *arg)
{
	struct mail_each_arg	*a = arg;
	struct db_mail		 m;

	if (get_mail(s, &m) == -1)
		return -1;
	return a->fn(&m, a->arg);
}

int
db_outbox_due(struct db *db, time_t now, int limit, int (*fn)(const struct db_mail *, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_OUTBOX_DUE);
	struct mail_each_arg	 a = { fn, arg };

	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int(s, 2, limit);
	return each_row(db, s, mail_row, &a);
}

int
db_outbox_of_receipt(struct db *db, const char *receipt, int (*fn)(const struct db_mail *, void *), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_OUTBOX_OF_RECEIPT);
	struct mail_each_arg	 a = { fn, arg };

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	return each_row(db, s, mail_row, &a);
}

int
db_outbox_failed_each(struct db *db, int (*fn)(const struct db_mail *, void *), void *arg)
{
	struct mail_each_arg a = { fn, arg };

	return each_row(db, prep(db, ST_OUTBOX_FAILED), mail_row, &a);
}

int
db_outbox_delivered(struct db *db, int64_t id, time_t now)
{
	sqlite3_stmt *s;

	if (begin(db) == -1)
		return -1;
	s = prep(db, ST_MAIL_LOG_ADD);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	if (exec_done(db, s) == -1)
		goto fail;
	s = prep(db, ST_OUTBOX_DELETE);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	if (exec_done(db, s) == -1 || commit(db) == -1)
		goto fail;
	return 0;
fail:
	rollback(db);
	return -1;
}

int
db_outbox_retry(struct db *db, int64_t id, time_t next_at, const char *error, int failed)
{
	sqlite3_stmt *s = prep(db, ST_OUTBOX_RETRY);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)next_at);
	sqlite3_bind_text(s, 3, error, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, failed ? 1 : 0);
	return exec_done(db, s);
}

int
db_outbox_requeue(struct db *db, int64_t id, time_t now, int64_t *changed)
{
	sqlite3_stmt *s = prep(db, ST_OUTBOX_REQUEUE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	if (exec_done(db, s) == -1)
		return -1;
	*changed = sqlite3_changes(db->h);
	return 0;
}

static int
count_one(struct db *db, sqlite3_stmt *s, int64_t *out)
{
	int rc = step(db, s);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_outbox_failed_count(struct db *db, const char *procedure_id, const char *section_id, int64_t *out)
{
	sqlite3_stmt *s = prep(db, ST_OUTBOX_FAILED_COUNT);

	sqlite3_bind_text(s, 1, procedure_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, section_id, -1, SQLITE_STATIC);
	return count_one(db, s, out);
}

int
db_outbox_count(struct db *db, const char *state, int64_t *out)
{
	sqlite3_stmt *s = prep(db, ST_OUTBOX_COUNT);

	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	return count_one(db, s, out);
}

struct log_each_arg {
	int	(*fn)(int64_t, const char *, time_t, int, void *);
	void	*arg;
};

static int
log_row(sqlite3_stmt *s, void *arg)
{
	struct log_each_arg *a = arg;

	return a->fn(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
	    (time_t)sqlite3_column_int64(s, 2), sqlite3_column_int(s, 3), a->arg);
}

int
db_mail_log_of_receipt(struct db *db, const char *receipt,
    int (*fn)(int64_t outbox_id, const char *kind, time_t delivered_at, int attempts, void *arg), void *arg)
{
	sqlite3_stmt		*s = prep(db, ST_MAIL_LOG_OF_RECEIPT);
	struct log_each_arg	 a = { fn, arg };

	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	return each_row(db, s, log_row, &a);
}
