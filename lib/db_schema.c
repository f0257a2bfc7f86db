/*
 * The schema, versioned with PRAGMA user_version: migrations only ever
 * add, and db_open() runs the missing ones in one transaction.
 */
#include "db_int.h"

#include <stdio.h>

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
	/*
	 * 5 -> 6: contact envelopes.  An application's address, sealed to the
	 * mailer's key, is stored once beside it (envelopes: application-derived
	 * data, erased with it); a mail is then queued as its clear text (subject
	 * and body, nothing personal), and the mailer opens the envelope.  Rows
	 * queued before keep their sealed mail, so outbox.sealed becomes
	 * optional: outbox is rebuilt (it holds only undelivered mails, and no
	 * table references it).
	 */
	"CREATE TABLE envelopes ("
	"  receipt TEXT PRIMARY KEY REFERENCES applications(receipt),"
	"  sealed BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE outbox_v6 ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  receipt TEXT NOT NULL REFERENCES applications(receipt),"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  sealed BLOB,"
	"  text TEXT,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  CHECK ((sealed IS NULL) <> (text IS NULL)));"
	"INSERT INTO outbox_v6 (id, kind, receipt, procedure_id, section_id, sealed, state, attempts, next_at,"
	"  last_error, created_at) SELECT id, kind, receipt, procedure_id, section_id, sealed, state, attempts,"
	"  next_at, last_error, created_at FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v6 RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(state, next_at);"
	"CREATE INDEX outbox_receipt ON outbox(receipt);",
	/*
	 * 6 -> 7: how an application arrived (lib/workflow.h, wf_channel):
	 * online, or entered by staff from paper.  Every row so far came
	 * online.
	 */
	"ALTER TABLE applications ADD COLUMN channel TEXT NOT NULL DEFAULT 'web'"
	"  CHECK (channel IN ('web', 'post', 'fax', 'counter'));",
	/*
	 * 7 -> 8: a staff list's pages and counts from indexes alone, at any
	 * size: each index holds what its pages are ordered by (received_at,
	 * receipt: a total order) and what they are filtered by, so that a page
	 * starts where the last one ended and a count reads only the index
	 * (covering).  They replace the two before them, whose prefixes they
	 * keep: a procedure's applications by time are still one range.
	 */
	"DROP INDEX IF EXISTS applications_procedure;"
	"DROP INDEX IF EXISTS applications_list;"
	"CREATE INDEX IF NOT EXISTS applications_keyset ON applications(procedure_id, received_at, receipt,"
	"  section_id);"
	"CREATE INDEX IF NOT EXISTS applications_status ON applications(procedure_id, status, received_at,"
	"  receipt, section_id);",
	/*
	 * 8 -> 9: participant IDs (formdef.h: participant_id), clear like the
	 * receipt: one is unique across every application, and staff find a
	 * participant by it without opening anything.
	 */
	"ALTER TABLE applications ADD COLUMN participant_id TEXT;"
	"CREATE UNIQUE INDEX applications_participant ON applications(participant_id)"
	"  WHERE participant_id IS NOT NULL;",
	/*
	 * 9 -> 10: the data's end.  An erasure report (消去報告書) is a record
	 * of its own, without personal data, that outlives what it reports on:
	 * append-only like the audit log.  kind 'applications' is one
	 * procedure's (and section's) share of a purge, 'key' a section key
	 * destroyed (formctl key retire).
	 */
	"CREATE TABLE erasure_reports ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('applications', 'key')),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  command TEXT NOT NULL,"
	"  procedure_id TEXT NOT NULL,"
	"  procedure_title TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  applications INTEGER NOT NULL,"
	"  receipt_first TEXT NOT NULL,"
	"  receipt_last TEXT NOT NULL,"
	"  received_first INTEGER NOT NULL,"
	"  received_last INTEGER NOT NULL,"
	"  key_ids TEXT NOT NULL);"
	"CREATE TRIGGER erasure_reports_no_update BEFORE UPDATE ON erasure_reports"
	"  BEGIN SELECT RAISE(ABORT, 'erasure reports are append-only'); END;"
	"CREATE TRIGGER erasure_reports_no_delete BEFORE DELETE ON erasure_reports"
	"  BEGIN SELECT RAISE(ABORT, 'erasure reports are append-only'); END;"
	/*
	 * The hand-over ledger (管理簿): each export with its purpose and
	 * recipient, until a named person confirms that the file came back or
	 * was erased (closed_*).  Rows are never deleted; only the closing
	 * columns are set, once.
	 */
	"CREATE TABLE export_ledger ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  rows INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  form TEXT NOT NULL,"
	"  purpose TEXT NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  closed_at INTEGER,"
	"  closed_how TEXT CHECK (closed_how IN ('returned', 'erased')),"
	"  closed_by TEXT,"
	"  closed_actor TEXT);"
	"CREATE INDEX export_ledger_open ON export_ledger(closed_at, id);"
	"CREATE TRIGGER export_ledger_no_delete BEFORE DELETE ON export_ledger"
	"  BEGIN SELECT RAISE(ABORT, 'the ledger keeps every export'); END;"
	"CREATE TRIGGER export_ledger_closed_once BEFORE UPDATE ON export_ledger"
	"  WHEN OLD.closed_at IS NOT NULL OR NEW.id != OLD.id OR NEW.at != OLD.at OR NEW.actor != OLD.actor"
	"    OR NEW.procedure_id != OLD.procedure_id OR NEW.section_id != OLD.section_id OR NEW.rows != OLD.rows"
	"    OR NEW.sha256 != OLD.sha256 OR NEW.form != OLD.form OR NEW.purpose != OLD.purpose"
	"    OR NEW.recipient != OLD.recipient"
	"  BEGIN SELECT RAISE(ABORT, 'a ledger entry is closed once, and only closed'); END;"
	/*
	 * Mail to staff (the auditors' daily digest): an address per account,
	 * and a queue of its own beside the outbox, whose rows belong to an
	 * application.  The mailer drains both alike.
	 */
	"ALTER TABLE staff ADD COLUMN email TEXT;"
	"CREATE TABLE staff_mail ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  sealed BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX staff_mail_due ON staff_mail(state, next_at);",
	/*
	 * 10 -> 11: the language the resident applied in (a tag of lib/lang.h),
	 * clear like the status: later mails are written in it, staff and the
	 * CSV show it.  Applications stored before were Japanese.
	 */
	"ALTER TABLE applications ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja';",
	/*
	 * 11 -> 12: places (定員).  places counts, per procedure ("" choice) and
	 * per choice that has its own places, the people holding places
	 * (taken) and the applications waiting (waiting); app_places says what
	 * each application counts for: its choice, its people, and its turn
	 * in the waitlist (wait_seq, NULL once it holds places).  Both are
	 * kept in the transaction that stores or changes the application
	 * (db_places.c), so a decision reads one row and never counts.  The
	 * applications already stored hold one place each.
	 */
	"CREATE TABLE places ("
	"  procedure_id TEXT NOT NULL,"
	"  choice TEXT NOT NULL,"
	"  taken INTEGER NOT NULL DEFAULT 0,"
	"  waiting INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (procedure_id, choice)) WITHOUT ROWID;"
	"CREATE TABLE app_places ("
	"  receipt TEXT PRIMARY KEY REFERENCES applications(receipt),"
	"  procedure_id TEXT NOT NULL,"
	"  choice TEXT NOT NULL,"
	"  people INTEGER NOT NULL CHECK (people >= 1),"
	"  wait_seq INTEGER) WITHOUT ROWID;"
	"CREATE INDEX app_places_waiting ON app_places(procedure_id, wait_seq) WHERE wait_seq IS NOT NULL;"
	"INSERT INTO app_places (receipt, procedure_id, choice, people) SELECT receipt, procedure_id, '', 1"
	"  FROM applications WHERE status IN ('received', 'accepted', 'done', 'returned', 'won');"
	"INSERT INTO places (procedure_id, choice, taken) SELECT procedure_id, '', sum(people) FROM app_places"
	"  GROUP BY procedure_id;",
	/*
	 * 13: the counts per status kept by triggers, so that the staff home page
	 * reads a few rows instead of an index entry per application (100,000 in
	 * a busy year). Written to run again over a database whose version was
	 * set back: the counts are recomputed from the applications.
	 */
	"CREATE TABLE IF NOT EXISTS status_counts ("
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (procedure_id, section_id, status)) WITHOUT ROWID;"
	"DELETE FROM status_counts;"
	"INSERT INTO status_counts SELECT procedure_id, section_id, status, count(*) FROM applications"
	"  GROUP BY procedure_id, section_id, status;"
	"CREATE TRIGGER IF NOT EXISTS status_counts_insert AFTER INSERT ON applications BEGIN"
	"  INSERT INTO status_counts VALUES (NEW.procedure_id, NEW.section_id, NEW.status, 1)"
	"    ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER IF NOT EXISTS status_counts_update AFTER UPDATE OF procedure_id, section_id, status"
	"  ON applications BEGIN"
	"  UPDATE status_counts SET n = n - 1 WHERE procedure_id = OLD.procedure_id"
	"    AND section_id = OLD.section_id AND status = OLD.status;"
	"  INSERT INTO status_counts VALUES (NEW.procedure_id, NEW.section_id, NEW.status, 1)"
	"    ON CONFLICT DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER IF NOT EXISTS status_counts_delete AFTER DELETE ON applications BEGIN"
	"  UPDATE status_counts SET n = n - 1 WHERE procedure_id = OLD.procedure_id"
	"    AND section_id = OLD.section_id AND status = OLD.status;"
	" END;",
	/*
	 * 14: the announcements (お知らせ) sent to a procedure's applicants: who,
	 * when, the subject (the section's own text), a hash of the body, the
	 * statuses it went to and how many were queued or had no address.  No
	 * receipts: the mails themselves are outbox rows.
	 */
	"CREATE TABLE IF NOT EXISTS announcements ("
	"  id INTEGER PRIMARY KEY,"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  body_sha256 TEXT NOT NULL,"
	"  statuses TEXT NOT NULL,"
	"  queued INTEGER NOT NULL,"
	"  no_address INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS announcements_procedure ON announcements(procedure_id, section_id, id);",
	/*
	 * 15: lotteries (db_lottery.c, lib/lottery.h).  lottery is the record of
	 * a procedure's one draw (its primary key refuses a second): seed,
	 * algorithm version, places, reserves, the hashes of the list and the
	 * result, counts; nothing personal, so it outlives a purge.
	 * lottery_entries is the list drawn from with each result, so that a
	 * draw can be recomputed from the record alone; derived from the
	 * applications, erased with them.  status_number is the number a
	 * numbered status carries (補欠's place among the reserves), 0 else.
	 */
	"CREATE TABLE lottery ("
	"  procedure_id TEXT PRIMARY KEY,"
	"  section_id TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  seed BLOB NOT NULL CHECK (length(seed) = 32),"
	"  capacity INTEGER NOT NULL CHECK (capacity >= 1),"
	"  reserves INTEGER NOT NULL CHECK (reserves >= 0),"
	"  list_sha256 TEXT NOT NULL,"
	"  result_sha256 TEXT NOT NULL,"
	"  drawn_at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  applications INTEGER NOT NULL,"
	"  people INTEGER NOT NULL,"
	"  won INTEGER NOT NULL,"
	"  won_people INTEGER NOT NULL,"
	"  reserve INTEGER NOT NULL,"
	"  lost INTEGER NOT NULL,"
	"  held_back INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE lottery_entries ("
	"  procedure_id TEXT NOT NULL,"
	"  receipt TEXT NOT NULL,"
	"  people INTEGER NOT NULL CHECK (people BETWEEN 1 AND 9),"
	"  result TEXT NOT NULL CHECK (result IN ('won', 'reserve', 'lost')),"
	"  number INTEGER NOT NULL,"
	"  PRIMARY KEY (procedure_id, receipt)) WITHOUT ROWID;"
	"CREATE INDEX lottery_entries_receipt ON lottery_entries(receipt);"
	"ALTER TABLE applications ADD COLUMN status_number INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 16: the rows a submit adds beside its application are keyed by the
	 * application's id, not its receipt.  Receipts are random, so each
	 * table or index keyed by one put a page of its own into a batch's
	 * commit for each submit; ids are given in turn, so a batch's rows
	 * share a few pages.  Lookups by receipt read the receipt's index (a
	 * read, no write).  envelopes, app_places and outbox are rebuilt with
	 * every row copied.  Each new table has the old one's columns in the
	 * same order, the receipt's place taken by the id, and the copy reads
	 * them by position (KEYED: a receipt, or an id already), so that this
	 * runs again over a database whose version was set back.
	 */
#define KEYED(k)	" JOIN applications a ON a.id = CASE WHEN typeof(" k ") = 'integer' THEN " k \
			" ELSE (SELECT id FROM applications WHERE receipt = " k ") END"
	"CREATE TABLE envelopes_by_id ("
	"  app_id INTEGER PRIMARY KEY REFERENCES applications(id),"
	"  sealed BLOB NOT NULL);"
	"WITH old (k, sealed) AS (SELECT * FROM envelopes)"
	"  INSERT INTO envelopes_by_id SELECT a.id, old.sealed FROM old" KEYED("old.k") " ORDER BY a.id;"
	"DROP TABLE envelopes;"
	"ALTER TABLE envelopes_by_id RENAME TO envelopes;"
	"CREATE TABLE app_places_by_id ("
	"  app_id INTEGER PRIMARY KEY REFERENCES applications(id),"
	"  procedure_id TEXT NOT NULL,"
	"  choice TEXT NOT NULL,"
	"  people INTEGER NOT NULL CHECK (people >= 1),"
	"  wait_seq INTEGER);"
	"WITH old (k, procedure_id, choice, people, wait_seq) AS (SELECT * FROM app_places)"
	"  INSERT INTO app_places_by_id SELECT a.id, old.procedure_id, old.choice, old.people, old.wait_seq FROM old"
	KEYED("old.k") " ORDER BY a.id;"
	"DROP TABLE app_places;"
	"ALTER TABLE app_places_by_id RENAME TO app_places;"
	"CREATE INDEX app_places_waiting ON app_places(procedure_id, wait_seq) WHERE wait_seq IS NOT NULL;"
	"CREATE TABLE outbox_by_id ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  app_id INTEGER NOT NULL REFERENCES applications(id),"
	"  procedure_id TEXT NOT NULL,"
	"  section_id TEXT NOT NULL,"
	"  sealed BLOB,"
	"  text TEXT,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  CHECK ((sealed IS NULL) <> (text IS NULL)));"
	"WITH old (id, kind, k, procedure_id, section_id, sealed, text, state, attempts, next_at, last_error,"
	"  created_at) AS (SELECT * FROM outbox)"
	"  INSERT INTO outbox_by_id SELECT old.id, old.kind, a.id, old.procedure_id, old.section_id, old.sealed,"
	"  old.text, old.state, old.attempts, old.next_at, old.last_error, old.created_at FROM old" KEYED("old.k")
	" ORDER BY old.id;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_by_id RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(state, next_at);"
	"CREATE INDEX outbox_app ON outbox(app_id);",
#undef KEYED
	/*
	 * 17: the review of likely duplicates before a draw (lib/dups.h).  Only
	 * what staff decided is stored, never what was compared: per procedure
	 * the last review (how many receipts were in the draw and their hash,
	 * the fingerprint of the groups found), the receipts in its groups, and
	 * per application the decision with who and when.  Members and
	 * decisions are derived from applications and erased with them.
	 */
	"CREATE TABLE IF NOT EXISTS dup_reviews ("
	"  procedure_id TEXT PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  eligible INTEGER NOT NULL,"
	"  eligible_sha256 TEXT NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  groups INTEGER NOT NULL,"
	"  members INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS dup_members ("
	"  procedure_id TEXT NOT NULL,"
	"  receipt TEXT NOT NULL REFERENCES applications(receipt),"
	"  grp INTEGER NOT NULL,"
	"  PRIMARY KEY (procedure_id, receipt)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS dup_members_receipt ON dup_members(receipt);"
	"CREATE TABLE IF NOT EXISTS dup_decisions ("
	"  receipt TEXT PRIMARY KEY REFERENCES applications(receipt),"
	"  procedure_id TEXT NOT NULL,"
	"  decision TEXT NOT NULL CHECK (decision IN ('keep', 'withdrawn')),"
	"  actor TEXT NOT NULL,"
	"  at INTEGER NOT NULL) WITHOUT ROWID;",
};

int
dbi_migrate(struct db *db)
{
	size_t	 v, n = sizeof(migrations) / sizeof(migrations[0]);
	char	 sql[64];
	int	 ver;

	if (dbi_script(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	if ((ver = db_schema_version(db)) < 0 || (size_t)ver > n) {
		log_msg(LOG_ERR, "database schema version %d is newer than this program (%zu)", ver, n);
		goto fail;
	}
	for (v = (size_t)ver; v < n; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", v + 1);
		if (dbi_script(db, migrations[v]) == -1 || dbi_script(db, sql) == -1)
			goto fail;
		log_msg(LOG_INFO, "database migrated to schema version %zu", v + 1);
	}
	return dbi_script(db, "COMMIT");
fail:
	(void)dbi_script(db, "ROLLBACK");
	return -1;
}
