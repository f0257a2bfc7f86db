/*
 * formctl's internals shared by its command files (formctl.c: data
 * directory, sections, definitions; formctl_staff.c: accounts, grants and
 * keys; formctl_audit.c: the audit log; formctl_export.c: CSV exports;
 * formctl_purge.c: retention, erasure reports, retiring keys;
 * formctl_backup.c: backup, restore, check-db; formctl_ledger.c: the
 * hand-over ledger; formctl_lottery.c: a lottery's draw, record and check).
 * Commands return the process exit status: 0 ok, 1 failure, 2 usage.
 */
#ifndef FORMCTL_H
#define FORMCTL_H

#include <stddef.h>
#include <time.h>

#include "custody.h"
#include "db.h"
#include "formdef.h"
#include "lang.h"
#include "seal.h"

extern const char *fc_data_dir;
extern const char *fc_forms_dir;
extern const char *fc_msg_dir;	/* the compiled catalogues (--messages) */

void	fc_data_path(char *out, size_t len, const char *rel);
/* Open the existing database; says why on stderr when it cannot. */
int	fc_open_db(struct db **db);
/* Read one line from stdin into out without its newline; secrets are read this way, never from argv. */
int	fc_read_line(const char *prompt, char *out, size_t len);
/* A 32-byte key file of the data directory; says which on stderr when it cannot be read. */
int	fc_key(const char *rel, unsigned char key[SEAL_KEY_LEN]);
/* Who runs formctl, for the audit log and reports: "formctl:<user>" (the sudo user behind root). */
void	fc_actor(char *out, size_t len);
/* Append an audit entry as the admin running formctl ("formctl:<user>"). */
int	fc_audit(struct db *db, const char *action, const char *target, const char *detail);
/* A printable recovery key from stdin, or a member's password checked against their account. */
int	fc_source(struct db *db, const char *by_login, struct custody_source *src, struct db_staff *granter,
	    unsigned char granter_sk[SEAL_SK_LEN], unsigned char recovery[SEAL_KEY_LEN]);
int	fc_section_known(const char *id, void *arg);
/* The catalogues of fc_msg_dir, or NULL (and why, on stderr, after what) when they cannot be read. */
struct langset *fc_langs(const char *what);

int	cmd_staff(int argc, char **argv);
int	cmd_grant(int argc, char **argv);
int	cmd_revoke(int argc, char **argv);
int	cmd_key(int argc, char **argv);
int	cmd_audit(int argc, char **argv);
int	cmd_export(int argc, char **argv);
int	cmd_mail(int argc, char **argv);
int	cmd_purge(int argc, char **argv);
int	cmd_backup(int argc, char **argv);
int	cmd_restore(int argc, char **argv);
int	cmd_check_db(int argc, char **argv);
int	cmd_ledger(int argc, char **argv);
int	cmd_lottery(int argc, char **argv);
/* The definition fc_forms_dir/ID.yaml, checked; NULL (and why, on stderr) when it cannot be loaded. */
struct procedure *fc_load_procedure(struct db *db, const char *id);

/* The ledger's purpose, recipient or confirming person: one line with text, this many characters at most. */
#define FC_LEDGER_TEXT_CHARS	100
int	fc_ledger_text(const char *s);
/* An export's ledger entry as the admin running formctl: its id, or -1 (said). */
int64_t	fc_ledger_add(struct db *db, const struct procedure *p, int64_t rows, const char *sha256, const char *form,
	    const char *purpose, const char *recipient);
int	fc_key_retire(struct db *db, const char *key_id);

#endif
