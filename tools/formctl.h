/*
 * formctl's internals shared by its command files (formctl.c: data
 * directory, sections, definitions; formctl_staff.c: accounts, grants and
 * keys; formctl_audit.c: the audit log; formctl_export.c: CSV exports).
 * Commands return the process exit status: 0 ok, 1 failure, 2 usage.
 */
#ifndef FORMCTL_H
#define FORMCTL_H

#include <stddef.h>
#include <time.h>

#include "custody.h"
#include "db.h"
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

#endif
