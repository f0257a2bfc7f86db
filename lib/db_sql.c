/*
 * The one statement table: every SQL statement the programs run, prepared
 * once at open (db_open) and run with bound parameters only.  Its indices
 * are enum stmt in db_int.h.
 */
#include "db_int.h"

/*
 * Rows read by more than one statement: one column list each, in the order
 * its reader in db_*.c takes the columns.
 */
#define STAFF_ROW	"SELECT id, login, role, public_key, secret_wrapped, pw_salt, pw_ops, pw_mem," \
			" disabled FROM staff"
#define APP_ROW		"SELECT receipt, procedure_id, section_id, status, received_at, updated_at," \
			" key_id, sealed, channel, participant_id, lang, status_number FROM applications"
#define AUDIT_ROW	"SELECT seq, at, actor, action, target, detail, addr, prev, mac FROM audit"
/*
 * Rows keyed by an application's id (envelopes, app_places, outbox: migration
 * 16) are found by its receipt through the receipt's index.
 */
#define APP_ID_OF	"(SELECT id FROM applications WHERE receipt = ?1)"
#define OUTBOX_ROW	"SELECT id, kind, (SELECT receipt FROM applications WHERE applications.id = outbox.app_id)," \
			" procedure_id, section_id, sealed, state, attempts, next_at, last_error, created_at, text" \
			" FROM outbox"
#define ERASURE_ROW	"SELECT id, kind, at, actor, command, procedure_id, procedure_title, section_id, rule," \
			" applications, receipt_first, receipt_last, received_first, received_last, key_ids" \
			" FROM erasure_reports"
#define LOTTERY_ROW	"SELECT procedure_id, section_id, version, seed, capacity, reserves, list_sha256," \
			" result_sha256, drawn_at, actor, applications, people, won, won_people, reserve, lost," \
			" held_back FROM lottery"
#define LEDGER_ROW	"SELECT id, at, actor, procedure_id, section_id, rows, sha256, form, purpose, recipient," \
			" coalesce(closed_at, 0), coalesce(closed_how, ''), coalesce(closed_by, '')," \
			" coalesce(closed_actor, '') FROM export_ledger"
/* A ledger's rows: a session's sections (?1; NULL for all), still out only (?2). */
#define LEDGER_FILTER	" WHERE (?1 IS NULL OR section_id IN (SELECT section_id FROM session_keys" \
			" WHERE token_hash = ?1)) AND (?2 = 0 OR closed_at IS NULL)"
/* The applications a purge erases: one procedure's, received before a time. */
#define EXPIRED		" FROM applications WHERE procedure_id = ?1 AND received_at < ?2"
/*
 * A staff list's filter (db_app_filter), the same for its rows and its
 * count: the procedure, then any status (applications_keyset) or one
 * (applications_status), as separate statements, since "?3 = '' OR" would
 * keep the planner from the index.  The rows' bounds are one row value each
 * way (db_app.c: app_page), which the index range takes as it is.
 */
#define APP_ANY		" WHERE procedure_id = ?1 AND section_id = ?2"
#define APP_ONE		" WHERE procedure_id = ?1 AND status = ?3 AND section_id = ?2"
#define APP_NEWER	" AND (received_at, receipt) > (?4, ?5) AND received_at < ?6"
#define APP_OLDER	" AND (received_at, receipt) < (?4, ?5) AND received_at >= ?6"
#define APP_ASC		" ORDER BY received_at, receipt LIMIT ?7"
#define APP_DESC	" ORDER BY received_at DESC, receipt DESC LIMIT ?7"
#define APP_SPAN	" AND received_at >= ?4 AND received_at < ?5"

const char *const dbi_sql[ST__COUNT] = {
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
	[ST_APP_PARTICIPANT_EXISTS] = "SELECT 1 FROM applications WHERE participant_id = ?1",
	[ST_APP_BY_PARTICIPANT] = "SELECT receipt FROM applications WHERE participant_id = ?1 AND procedure_id = ?2",
	[ST_APP_INSERT] = "INSERT INTO applications (receipt, procedure_id, section_id, form_hash,"
	    " key_id, sealed, submit_hash, inquiry_hash, status, received_at, updated_at, channel, participant_id,"
	    " lang) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'received', ?9, ?9, coalesce(?10, 'web'), ?11, ?12)",
	[ST_APP_STATUS] = "SELECT procedure_id, status, received_at, inquiry_hash, channel, participant_id, lang,"
	    " status_number FROM applications WHERE receipt = ?1",
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
	[ST_STAFF_BY_LOGIN] = STAFF_ROW " WHERE login = ?1",
	[ST_STAFF_BY_ID] = STAFF_ROW " WHERE id = ?1",
	[ST_STAFF_LIST] = STAFF_ROW " ORDER BY login",
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
	[ST_APP_LIST_NEWEST_FIRST] = APP_ROW APP_ANY APP_OLDER APP_DESC,
	[ST_APP_LIST_OLDEST_FIRST] = APP_ROW APP_ANY APP_NEWER APP_ASC,
	[ST_APP_LIST_STATUS_NEWEST_FIRST] = APP_ROW APP_ONE APP_OLDER APP_DESC,
	[ST_APP_LIST_STATUS_OLDEST_FIRST] = APP_ROW APP_ONE APP_NEWER APP_ASC,
	[ST_APP_COUNT_FILTERED] = "SELECT count(*) FROM applications" APP_ANY APP_SPAN,
	[ST_APP_COUNT_STATUS] = "SELECT count(*) FROM applications" APP_ONE APP_SPAN,
	[ST_APP_STATUS_COUNTS] = "SELECT status, n FROM status_counts WHERE procedure_id = ?1"
	    " AND section_id = ?2 AND n > 0",
	[ST_APP_GET] = APP_ROW " WHERE receipt = ?1",
	[ST_APP_SET_STATUS] = "UPDATE applications SET status = ?3, updated_at = ?4, status_number = ?5"
	    " WHERE receipt = ?1 AND status = ?2",
	[ST_EVENT_ADD] = "INSERT INTO app_events (receipt, at, actor, from_status, to_status, key_id,"
	    " note_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_EVENT_LIST] = "SELECT at, actor, from_status, to_status, key_id, note_sealed FROM app_events"
	    " WHERE receipt = ?1 ORDER BY id",
	[ST_AUDIT_LAST] = "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
	[ST_AUDIT_ADD] = "INSERT INTO audit (seq, at, actor, action, target, detail, addr, prev, mac)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_AUDIT_ALL] = AUDIT_ROW " ORDER BY seq",
	[ST_AUDIT_PAGE] = AUDIT_ROW " WHERE (?1 = '' OR action = ?1) AND at >= ?2 AND at < ?3"
	    " ORDER BY seq DESC LIMIT ?4 OFFSET ?5",
	[ST_AUDIT_RANGE] = AUDIT_ROW " WHERE at >= ?1 AND at < ?2 ORDER BY seq",
	[ST_AUDIT_COUNT] = "SELECT count(*) FROM audit WHERE (?1 = '' OR action = ?1) AND at >= ?2 AND at < ?3",
	[ST_OUTBOX_ADD] = "INSERT INTO outbox (kind, app_id, procedure_id, section_id, sealed, next_at, created_at,"
	    " text) VALUES (?1, (SELECT id FROM applications WHERE receipt = ?2), ?3, ?4, ?5, ?6, ?6, ?7)",
	[ST_OUTBOX_DUE] = OUTBOX_ROW " WHERE state = 'pending' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
	[ST_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
	[ST_MAIL_LOG_ADD] = "INSERT INTO mail_log (outbox_id, kind, receipt, procedure_id, section_id, created_at,"
	    " delivered_at, attempts) SELECT o.id, o.kind, a.receipt, o.procedure_id, o.section_id, o.created_at, ?2,"
	    " o.attempts + 1 FROM outbox o JOIN applications a ON a.id = o.app_id WHERE o.id = ?1",
	[ST_OUTBOX_RETRY] = "UPDATE outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3,"
	    " state = CASE WHEN ?4 THEN 'failed' ELSE 'pending' END WHERE id = ?1",
	[ST_OUTBOX_OF_RECEIPT] = OUTBOX_ROW " WHERE app_id = " APP_ID_OF " ORDER BY id",
	[ST_MAIL_LOG_OF_RECEIPT] = "SELECT outbox_id, kind, delivered_at, attempts FROM mail_log WHERE receipt = ?1"
	    " ORDER BY id",
	[ST_OUTBOX_FAILED_COUNT] = "SELECT count(*) FROM outbox WHERE state = 'failed' AND procedure_id = ?1"
	    " AND section_id = ?2",
	[ST_OUTBOX_REQUEUE] = "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?2"
	    " WHERE state = 'failed' AND (?1 = 0 OR id = ?1)",
	[ST_OUTBOX_COUNT] = "SELECT count(*) FROM outbox WHERE state = ?1",
	[ST_OUTBOX_FAILED] = OUTBOX_ROW " WHERE state = 'failed' ORDER BY id",
	[ST_SEND_COUNT] = "SELECT coalesce(sum(hits), 0) FROM send_counts WHERE key = ?1 AND slot > ?2",
	[ST_SEND_HIT] = "INSERT INTO send_counts (key, slot, hits) VALUES (?1, ?2, 1)"
	    " ON CONFLICT (key, slot) DO UPDATE SET hits = hits + 1",
	[ST_SEND_PURGE] = "DELETE FROM send_counts WHERE slot <= ?1",
	[ST_APP_PROCEDURES] = "SELECT procedure_id, count(*) FROM applications GROUP BY procedure_id"
	    " ORDER BY procedure_id",
	[ST_EXPIRED_SUMMARY] = "SELECT section_id, count(*), min(receipt), max(receipt), min(received_at),"
	    " max(received_at), group_concat(DISTINCT key_id)" EXPIRED " GROUP BY section_id ORDER BY section_id",
	[ST_EXPIRED_RECEIPTS] = "SELECT receipt" EXPIRED " ORDER BY receipt",
	[ST_ERASURE_ADD] = "INSERT INTO erasure_reports (kind, at, actor, command, procedure_id, procedure_title,"
	    " section_id, rule, applications, receipt_first, receipt_last, received_first, received_last, key_ids)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[ST_ERASURE_LIST] = ERASURE_ROW " ORDER BY id DESC LIMIT ?1 OFFSET ?2",
	[ST_ERASURE_GET] = ERASURE_ROW " WHERE id = ?1",
	[ST_ERASURE_COUNT] = "SELECT count(*) FROM erasure_reports",
	[ST_KEY_APPS] = "SELECT count(*) FROM applications WHERE key_id = ?1",
	[ST_KEY_NOTES] = "SELECT count(*) FROM app_events WHERE key_id = ?1 AND note_sealed IS NOT NULL",
	[ST_KEY_DROP_GRANTS] = "DELETE FROM grants WHERE key_id = ?1",
	[ST_KEY_DROP_SESSIONS] = "DELETE FROM session_keys WHERE key_id = ?1",
	[ST_KEY_DROP] = "DELETE FROM section_keys WHERE key_id = ?1",
	[ST_COPY_INTO] = "VACUUM INTO ?1",
	[ST_INTEGRITY] = "PRAGMA integrity_check(20)",
	[ST_UNKNOWN_KEY_APPS] = "SELECT count(*) FROM applications WHERE key_id NOT IN (SELECT key_id FROM section_keys)",
	[ST_UNKNOWN_KEY_NOTES] = "SELECT count(*) FROM app_events WHERE note_sealed IS NOT NULL"
	    " AND key_id NOT IN (SELECT key_id FROM section_keys)",
	[ST_OUTBOX_BACKLOG] = "SELECT count(*), coalesce(min(created_at), 0) FROM"
	    " (SELECT created_at FROM outbox WHERE state = 'pending'"
	    " UNION ALL SELECT created_at FROM staff_mail WHERE state = 'pending')",
	[ST_LEDGER_ADD] = "INSERT INTO export_ledger (at, actor, procedure_id, section_id, rows, sha256, form, purpose,"
	    " recipient) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_LEDGER_CLOSE] = "UPDATE export_ledger SET closed_at = ?2, closed_how = ?3, closed_by = ?4, closed_actor = ?5"
	    " WHERE id = ?1 AND closed_at IS NULL",
	[ST_LEDGER_GET] = LEDGER_ROW " WHERE id = ?1",
	[ST_LEDGER_LIST] = LEDGER_ROW LEDGER_FILTER " ORDER BY id DESC LIMIT ?3 OFFSET ?4",
	[ST_LEDGER_COUNT] = "SELECT count(*) FROM export_ledger" LEDGER_FILTER,
	[ST_STAFF_SET_EMAIL] = "UPDATE staff SET email = ?2, updated_at = ?3 WHERE id = ?1",
	[ST_AUDITOR_EMAILS] = "SELECT email FROM staff WHERE role = 'auditor' AND disabled = 0 AND email IS NOT NULL"
	    " ORDER BY login",
	[ST_STAFF_MAIL_ADD] = "INSERT INTO staff_mail (kind, sealed, next_at, created_at) VALUES (?1, ?2, ?3, ?3)",
	/* Read as outbox rows (OUTBOX_ROW's columns) without an application. */
	[ST_STAFF_MAIL_DUE] = "SELECT id, kind, '', '', '', sealed, state, attempts, next_at, last_error, created_at,"
	    " NULL"
	    " FROM staff_mail WHERE state = 'pending' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
	[ST_STAFF_MAIL_DELETE] = "DELETE FROM staff_mail WHERE id = ?1",
	[ST_STAFF_MAIL_RETRY] = "UPDATE staff_mail SET attempts = attempts + 1, next_at = ?2, last_error = ?3,"
	    " state = CASE WHEN ?4 THEN 'failed' ELSE 'pending' END WHERE id = ?1",
	/* INSERT ... SELECT: a NULL app_id would be given the next free id, the next application's. */
	[ST_ENVELOPE_ADD] = "INSERT INTO envelopes (app_id, sealed) SELECT id, ?2 FROM applications WHERE receipt = ?1",
	[ST_ENVELOPE_GET] = "SELECT sealed FROM envelopes WHERE app_id = " APP_ID_OF,
	/* Places (db_places.c): one counter row per procedure ("") and per choice with places. */
	[ST_PLACES_GET] = "SELECT taken, waiting FROM places WHERE procedure_id = ?1 AND choice = ?2",
	[ST_PLACES_ADD] = "INSERT INTO places (procedure_id, choice, taken, waiting) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (procedure_id, choice) DO UPDATE SET taken = taken + ?3, waiting = waiting + ?4",
	[ST_PLACES_OF] = "SELECT choice, taken, waiting FROM places WHERE procedure_id = ?1",
	[ST_APP_PLACES_ADD] = "INSERT INTO app_places (app_id, procedure_id, choice, people, wait_seq)"
	    " SELECT id, ?2, ?3, ?4, CASE WHEN ?5 THEN (SELECT coalesce(max(wait_seq), 0) + 1 FROM app_places"
	    " WHERE procedure_id = ?2 AND wait_seq IS NOT NULL) END FROM applications WHERE receipt = ?1",
	[ST_APP_PLACES_GET] = "SELECT procedure_id, choice, people, wait_seq FROM app_places WHERE app_id = " APP_ID_OF,
	[ST_APP_PLACES_DELETE] = "DELETE FROM app_places WHERE app_id = " APP_ID_OF,
	[ST_APP_PLACES_HOLD] = "UPDATE app_places SET wait_seq = NULL WHERE app_id = " APP_ID_OF,
	[ST_WAITING_FIRST] = "SELECT a.receipt, p.choice, p.people FROM app_places p JOIN applications a ON a.id = p.app_id"
	    " WHERE p.procedure_id = ?1 AND p.wait_seq IS NOT NULL ORDER BY p.wait_seq LIMIT ?2",
	[ST_WAIT_POSITION] = "SELECT count(*) FROM app_places WHERE procedure_id = ?1 AND wait_seq IS NOT NULL"
	    " AND wait_seq <= ?3 AND choice = ?2",
	/*
	 * Lotteries (db_lottery.c).  The list drawn from: the procedure's
	 * applications in the eligible statuses (workflow.h: 到達, 受付), each
	 * with the people it counts for; those in 差戻し are held back.
	 */
	[ST_LOTTERY_ELIGIBLE] = "SELECT a.receipt, a.status, coalesce(p.people, 1) FROM applications a"
	    " LEFT JOIN app_places p ON p.app_id = a.id"
	    " WHERE a.procedure_id = ?1 AND a.status IN ('received', 'accepted') ORDER BY a.receipt",
	[ST_LOTTERY_HELD_BACK] = "SELECT count(*) FROM applications WHERE procedure_id = ?1 AND status = 'returned'",
	[ST_LOTTERY_ADD] = "INSERT INTO lottery (procedure_id, section_id, version, seed, capacity, reserves, list_sha256,"
	    " result_sha256, drawn_at, actor, applications, people, won, won_people, reserve, lost, held_back)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
	[ST_LOTTERY_GET] = LOTTERY_ROW " WHERE procedure_id = ?1",
	[ST_LOTTERY_ENTRY_ADD] = "INSERT INTO lottery_entries (procedure_id, receipt, people, result, number)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	/* Each entry with its application's status now ("" once erased). */
	[ST_LOTTERY_ENTRIES] = "SELECT e.receipt, e.people, e.result, e.number, coalesce(a.status, ''),"
	    " coalesce(a.status_number, 0) FROM lottery_entries e LEFT JOIN applications a ON a.receipt = e.receipt"
	    " WHERE e.procedure_id = ?1 ORDER BY e.receipt",
	/* The drawn applications that hold places now: 当選, and what 当選 became that holds them (完了). */
	[ST_LOTTERY_PEOPLE_HOLDING] = "SELECT coalesce(sum(p.people), 0) FROM lottery_entries e"
	    " JOIN applications a ON a.receipt = e.receipt JOIN app_places p ON p.app_id = a.id"
	    " WHERE e.procedure_id = ?1 AND p.wait_seq IS NULL",
	[ST_LOTTERY_RESERVES] = "SELECT e.receipt, e.people FROM lottery_entries e JOIN applications a"
	    " ON a.receipt = e.receipt WHERE e.procedure_id = ?1 AND a.status = 'reserve'"
	    " ORDER BY a.status_number LIMIT ?2",
	[ST_AUDIT_FIND] = AUDIT_ROW " WHERE action = ?1 AND target = ?2 ORDER BY seq",
	/*
	 * An announcement's recipients: the procedure's applications in the
	 * chosen statuses (?3, ",received,accepted,"), with whether each has a
	 * contact envelope.
	 */
	[ST_ANNOUNCE_RECIPIENTS] = "SELECT a.receipt, coalesce(a.participant_id, ''), a.lang, e.app_id IS NOT NULL"
	    " FROM applications a LEFT JOIN envelopes e ON e.app_id = a.id"
	    " WHERE a.procedure_id = ?1 AND a.section_id = ?2 AND instr(?3, ',' || a.status || ',') > 0"
	    " ORDER BY a.received_at, a.receipt",
	[ST_ANNOUNCE_COUNT] = "SELECT count(e.app_id), count(*) - count(e.app_id)"
	    " FROM applications a LEFT JOIN envelopes e ON e.app_id = a.id"
	    " WHERE a.procedure_id = ?1 AND a.section_id = ?2 AND instr(?3, ',' || a.status || ',') > 0",
	[ST_ANNOUNCE_ADD] = "INSERT INTO announcements (procedure_id, section_id, at, actor, subject, body_sha256,"
	    " statuses, queued, no_address) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_ANNOUNCE_LIST] = "SELECT at, actor, subject, statuses, queued, no_address FROM announcements"
	    " WHERE procedure_id = ?1 AND section_id = ?2 ORDER BY id DESC LIMIT ?3",
	/* The duplicate review (db_dups.c): the receipts in the draw have dups_eligible()'s statuses. */
	[ST_DUP_REVIEW_PUT] = "INSERT OR REPLACE INTO dup_reviews (procedure_id, at, actor, eligible, eligible_sha256,"
	    " fingerprint, groups, members) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_DUP_REVIEW_GET] = "SELECT at, actor, eligible, eligible_sha256, fingerprint, groups, members"
	    " FROM dup_reviews WHERE procedure_id = ?1",
	[ST_DUP_MEMBERS_CLEAR] = "DELETE FROM dup_members WHERE procedure_id = ?1",
	[ST_DUP_MEMBER_ADD] = "INSERT INTO dup_members (procedure_id, receipt, grp) VALUES (?1, ?2, ?3)",
	[ST_DUP_ELIGIBLE] = "SELECT receipt FROM applications WHERE procedure_id = ?1"
	    " AND status IN ('received', 'accepted') ORDER BY receipt",
	[ST_DUP_UNDECIDED] = "SELECT count(*) FROM dup_members m WHERE m.procedure_id = ?1"
	    " AND NOT EXISTS (SELECT 1 FROM dup_decisions d WHERE d.receipt = m.receipt)",
	[ST_DUP_IS_MEMBER] = "SELECT 1 FROM dup_members WHERE procedure_id = ?1 AND receipt = ?2",
	[ST_DUP_DECIDE] = "INSERT INTO dup_decisions (receipt, procedure_id, decision, actor, at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (receipt) DO UPDATE SET decision = ?3, actor = ?4, at = ?5",
	[ST_DUP_DECISION] = "SELECT decision, actor, at FROM dup_decisions WHERE receipt = ?1",
};

/*
 * What hangs off an application (db_int.h): every table with rows derived
 * from one, erased with it.  ?1 is the procedure and ?2 the time its
 * applications must have been received before (EXPIRED).  Rows keyed by
 * the receipt use OF_EXPIRED, rows keyed by applications.id ID_EXPIRED.
 * The applications themselves come last: the others reference them.
 */
#define OF_EXPIRED	" IN (SELECT receipt" EXPIRED ")"
#define ID_EXPIRED	" IN (SELECT id" EXPIRED ")"
const char *const dbi_erase_sql[] = {
	"DELETE FROM app_events WHERE receipt" OF_EXPIRED,	/* workflow and sealed 対応記録 */
	"DELETE FROM outbox WHERE app_id" ID_EXPIRED,		/* mails queued, or given up on */
	"DELETE FROM mail_log WHERE receipt" OF_EXPIRED,		/* mails sent */
	"DELETE FROM envelopes WHERE app_id" ID_EXPIRED,		/* the sealed address later mails go to */
	/* places (db_places.c): what the erased held or waited for is given back, then their rows go */
	"UPDATE places SET taken = taken - (SELECT coalesce(sum(a.people), 0) FROM app_places a"
	"  WHERE a.wait_seq IS NULL AND (places.choice = '' OR a.choice = places.choice) AND a.app_id" ID_EXPIRED "),"
	" waiting = waiting - (SELECT count(*) FROM app_places a WHERE a.wait_seq IS NOT NULL"
	"  AND a.choice = places.choice AND a.app_id" ID_EXPIRED ") WHERE procedure_id = ?1",
	"DELETE FROM app_places WHERE app_id" ID_EXPIRED,
	"DELETE FROM lottery_entries WHERE receipt" OF_EXPIRED,	/* what was drawn; the lottery row stays */
	"DELETE FROM dup_members WHERE receipt" OF_EXPIRED,	/* a duplicate review's groups */
	"DELETE FROM dup_decisions WHERE receipt" OF_EXPIRED,	/* and what staff decided on them */
	"DELETE" EXPIRED,
};
const size_t dbi_erase_count = sizeof(dbi_erase_sql) / sizeof(dbi_erase_sql[0]);
