/*
 * formctl export: the applicant CSV from the command line, the same file
 * the staff pages give.  Opening the applications needs a key holder: the
 * section's recovery key or a granted member's password, read from
 * standard input.  The export is entered in the ledger (管理簿) with its
 * purpose and recipient, and written to the audit log with its row count and
 * SHA-256, as from the web.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "custody.h"
#include "db.h"
#include "export.h"
#include "formctl.h"
#include "formdef.h"
#include "jst.h"
#include "opener.h"
#include "seal.h"
#include "workflow.h"

struct job {
	struct db		*db;
	const char		*section;
	struct custody_source	 src;
	struct export		*e;
	FILE			*out;		/* plain CSV */
	struct buf		 mem;		/* CSV for the archive */
	int			 to_mem;
	int64_t			 unopened;
	struct langset		*langs;		/* the languages' names in the 言語 column, or NULL: tags */
};

/* The key pair of key_id when it is the section's, opened with the job's source (opener.h). */
static int
section_key(void *arg, const char *key_id, unsigned char pk[SEAL_PK_LEN], unsigned char sk[SEAL_SK_LEN])
{
	struct job	*j = arg;
	struct buf	 recovery;
	char		 section[64];
	int		 rc = -1;

	buf_init(&recovery);
	if (db_key_get(j->db, key_id, section, pk, &recovery) == 0 && strcmp(section, j->section) == 0) {
		if (j->src.recovery != NULL)
			rc = custody_recovery_open(j->src.recovery, recovery.data, recovery.len, sk);
		else
			rc = custody_member_key(j->db, j->src.granter, j->src.granter_sk, key_id, sk);
	}
	buf_free(&recovery);
	return rc == 0 ? 0 : -1;
}

static int
sink(void *arg, const void *p, size_t n)
{
	struct job *j = arg;

	if (j->to_mem)
		return buf_put(&j->mem, p, n);
	return fwrite(p, 1, n, j->out) == n ? 0 : -1;
}

struct opts {
	const char	*proc, *by, *status, *from, *to, *encoding, *out, *zip, *purpose, *recipient;
	int		 recovery;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	if (argc < 1)
		return -1;
	o->proc = argv[0];
	o->status = "";
	for (i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--recovery") == 0) {
			o->recovery = 1;
			continue;
		}
		if (strcmp(argv[i], "--by") == 0) slot = &o->by;
		else if (strcmp(argv[i], "--status") == 0) slot = &o->status;
		else if (strcmp(argv[i], "--from") == 0) slot = &o->from;
		else if (strcmp(argv[i], "--to") == 0) slot = &o->to;
		else if (strcmp(argv[i], "--encoding") == 0) slot = &o->encoding;
		else if (strcmp(argv[i], "--out") == 0) slot = &o->out;
		else if (strcmp(argv[i], "--zip") == 0) slot = &o->zip;
		else if (strcmp(argv[i], "--purpose") == 0) slot = &o->purpose;
		else if (strcmp(argv[i], "--recipient") == 0) slot = &o->recipient;
		if (slot == NULL || i + 1 >= argc)
			return -1;
		*slot = argv[++i];
	}
	if (o->recovery == (o->by != NULL) || (o->out == NULL) == (o->zip == NULL))
		return -1;
	/* The ledger (管理簿) records every export with what it is for and who receives it. */
	if (!fc_ledger_text(o->purpose) || !fc_ledger_text(o->recipient))
		return -1;
	if (o->encoding != NULL && strcmp(o->encoding, "utf-8") != 0 && strcmp(o->encoding, "cp932") != 0)
		return -1;
	return 0;
}

static int
filter_from(const struct opts *o, const struct procedure *p, struct db_app_filter *f)
{
	enum wf_status s;

	memset(f, 0, sizeof(*f));
	f->procedure_id = p->id;
	f->section_id = p->section;
	f->status = o->status;
	f->to = (time_t)INT64_MAX / 2;
	f->limit = -1;
	f->oldest_first = 1;
	if (*o->status != '\0' && (wf_status_parse(o->status, &s) == -1 || !wf_status_offered(s))) {
		fprintf(stderr, "formctl: --status must be received, accepted, done, returned or withdrawn\n");
		return -1;
	}
	if ((o->from != NULL && jst_day_start(o->from, &f->from) == -1) ||
	    (o->to != NULL && jst_day_start(o->to, &f->to) == -1)) {
		fprintf(stderr, "formctl: dates are YYYY-MM-DD\n");
		return -1;
	}
	if (o->to != NULL)
		f->to += 24 * 60 * 60;
	return 0;
}

/* A new file only, readable by its owner: it holds personal data (or an archive of it). */
static FILE *
create_new(const char *path)
{
	FILE	*f = NULL;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "formctl: cannot create %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
	}
	return f;
}

static int
write_new_file(const char *path, const void *data, size_t len)
{
	FILE *f = create_new(path);

	if (f == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int
open_output(struct job *j, const struct opts *o)
{
	if (o->zip != NULL) {
		j->to_mem = 1;
		return 0;
	}
	if (strcmp(o->out, "-") == 0) {
		j->out = stdout;
		return 0;
	}
	return (j->out = create_new(o->out)) != NULL ? 0 : -1;
}

static int
finish(struct job *j, const struct opts *o, const struct procedure *p, struct export_summary *sum)
{
	char	password[CUSTODY_NEW_PASSWORD_LEN + 1];
	int	rc = 0;

	if (j->out != NULL && j->out != stdout && fclose(j->out) != 0)
		rc = -1;
	j->out = NULL;
	if (o->zip != NULL && rc == 0) {
		struct buf entry, zip;

		buf_init(&entry);
		buf_init(&zip);
		custody_new_password(password);
		if (export_filename(p, time(NULL), &entry) == -1 ||
		    export_zip(buf_cstr(&entry), j->mem.data, j->mem.len, password, &zip) == -1 ||
		    write_new_file(o->zip, zip.data, zip.len) == -1) {
			fprintf(stderr, "formctl: cannot write the archive %s\n", o->zip);
			rc = -1;
		} else
			fprintf(stderr, "archive %s (AES-256); its password, to pass on separately: %s\n", o->zip,
			    password);
		seal_wipe(password, sizeof(password));
		buf_free(&entry);
		buf_free(&zip);
	}
	if (rc == 0)
		fprintf(stderr, "%zu rows written, %zu characters replaced with 〓, %lld applications not opened,"
		    " sha256 %s\n", sum->rows, sum->replaced, (long long)j->unopened, sum->sha256);
	return rc;
}

static int
run_export(struct job *j, const struct opts *o, const struct procedure *p)
{
	struct db_app_filter	f;
	struct opener_conf	conf;
	struct export_summary	sum;
	struct buf		detail;
	int64_t			ledger;
	int			rc;

	if (filter_from(o, p, &f) == -1 || open_output(j, o) == -1)
		return -1;
	if ((j->e = export_open(p, j->langs, o->encoding && strcmp(o->encoding, "cp932") == 0 ? CSV_CP932 :
	    CSV_UTF8_BOM, sink, j)) == NULL)
		return -1;
	memset(&conf, 0, sizeof(conf));
	conf.key = section_key;
	conf.key_arg = j;
	conf.row = export_row_cb;
	conf.row_arg = j->e;
	rc = opener_export(j->db, &f, &conf, &j->unopened);
	if (export_close(j->e, &sum) == -1)
		rc = -1;
	if (rc == 0)
		rc = finish(j, o, p, &sum);
	buf_init(&detail);
	if ((ledger = fc_ledger_add(j->db, p, (int64_t)sum.rows, sum.sha256, o->zip ? "zip" : rc == -1 ?
	    "csv incomplete" : "csv", o->purpose, o->recipient)) == -1)
		rc = -1;
	buf_printf(&detail, "rows=%zu sha256=%s encoding=%s status=%s from=%s to=%s replaced=%zu unopened=%lld"
	    " ledger=%lld%s%s", sum.rows, sum.sha256, o->encoding ? o->encoding : "utf-8",
	    *o->status ? o->status : "all", o->from ? o->from : "", o->to ? o->to : "", sum.replaced,
	    (long long)j->unopened, (long long)ledger, o->zip ? " archive" : "", rc == -1 ? " incomplete" : "");
	if (fc_audit(j->db, "export", p->id, buf_cstr(&detail)) == -1)
		rc = -1;
	buf_free(&detail);
	return rc;
}

int
cmd_export(int argc, char **argv)
{
	struct opts		 o;
	struct job		 j;
	struct procedure	*p = NULL;
	struct db_staff		 granter;
	unsigned char		 granter_sk[SEAL_SK_LEN], recovery[SEAL_KEY_LEN];
	int			 rc = 1;

	if (parse_opts(argc, argv, &o) == -1) {
		fprintf(stderr, "formctl: export PROCEDURE (--recovery | --by LOGIN) --purpose TEXT --recipient TEXT"
		    " [--status S] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--encoding utf-8|cp932]"
		    " (--out FILE.csv | --out - | --zip FILE.zip)\n"
		    "(purpose and recipient: one line, %d characters at most, for the ledger)\n", FC_LEDGER_TEXT_CHARS);
		return 2;
	}
	memset(&j, 0, sizeof(j));
	buf_init(&j.mem);
	umask(077);
	if (fc_open_db(&j.db) == -1)
		return 1;
	if ((p = fc_load_procedure(j.db, o.proc)) == NULL ||
	    fc_source(j.db, o.by, &j.src, &granter, granter_sk, recovery) == -1)
		goto done;
	j.section = p->section;
	if (o.by != NULL && db_grant_has(j.db, granter.id, p->section) != 1) {
		fprintf(stderr, "formctl: %s holds no grant for section '%s'\n", o.by, p->section);
		goto done;
	}
	j.langs = fc_langs("the 言語 column shows language tags");
	rc = run_export(&j, &o, p) == 0 ? 0 : 1;
done:
	langset_free(j.langs);
	if (j.out != NULL && j.out != stdout)
		fclose(j.out);
	seal_wipe(granter_sk, sizeof(granter_sk));
	seal_wipe(recovery, sizeof(recovery));
	buf_wipe(&j.mem);
	formdef_free(p);
	db_close(j.db);
	return rc;
}
