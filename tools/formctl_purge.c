/*
 * formctl purge | purge reports | key retire: the data's end (lib/purge.h).
 *
 * purge erases every application past its definition's retention, with
 * what hangs off it, writes an erasure report per procedure and section,
 * and checkpoints the database so the bytes leave its WAL and file.  It
 * runs daily (make run; the production timer, deploy/systemd/).  It needs
 * the definitions (--forms): applications of a procedure without one are
 * kept, and said, because their retention is unknown.
 *
 * Test hooks (the e2e tests only; nothing else sets them):
 * FORMCTL_TEST_NOW=seconds is the clock, FORMCTL_TEST_KILL_BEFORE_COMMIT=N
 * kills the process inside the Nth procedure's transaction.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "formctl.h"
#include "formset.h"
#include "jst.h"
#include "purge.h"
#include "seal.h"

struct run {
	struct purge_conf	 conf;
	unsigned char		 audit_key[SEAL_KEY_LEN];
	unsigned char		 mac_key[SEAL_KEY_LEN];
	char			 actor[96];
	int			 reports;
	long			 kill_at;	/* test hook: 0 none */
	long			 commits;
};

static void
print_time(time_t t)
{
	struct buf b;

	buf_init(&b);
	jst_format_numeric(t, &b);
	fputs(buf_cstr(&b), stdout);
	buf_free(&b);
}

static void
print_report(const struct db_erasure *r, void *arg)
{
	struct run *run = arg;

	run->reports++;
	if (strcmp(r->kind, "key") == 0) {
		printf("%skey %s of section %s destroyed", r->id ? "" : "would destroy: ", r->key_ids, r->section_id);
	} else {
		printf("%s%s (%s): %lld applications, receipts %s to %s, received ", r->id ? "erased: " :
		    "would erase: ", r->procedure_id, r->section_id, (long long)r->applications, r->receipt_first,
		    r->receipt_last);
		print_time(r->received_first);
		fputs(" to ", stdout);
		print_time(r->received_last);
		printf(", keys %s, %s", r->key_ids, r->rule);
	}
	if (r->id)
		printf("; erasure report %lld", (long long)r->id);
	putchar('\n');
}

static void
kill_hook(void *arg)
{
	struct run *run = arg;

	if (run->kill_at > 0 && ++run->commits == run->kill_at) {
		fflush(stdout);
		raise(SIGKILL);
	}
}

/* The keys, the clock and the hooks; -1 when a key cannot be read. */
static int
run_init(struct run *run, struct db *db, const char *command, int dry_run)
{
	const char *now = getenv("FORMCTL_TEST_NOW"), *kill_at = getenv("FORMCTL_TEST_KILL_BEFORE_COMMIT");

	memset(run, 0, sizeof(*run));
	if (fc_key("keys/audit.key", run->audit_key) == -1 || fc_key("keys/apply-mac.key", run->mac_key) == -1)
		return -1;
	fc_actor(run->actor, sizeof(run->actor));
	run->kill_at = kill_at != NULL ? atol(kill_at) : 0;
	run->conf.db = db;
	run->conf.audit_key = run->audit_key;
	run->conf.apply_mac_key = run->mac_key;
	run->conf.actor = run->actor;
	run->conf.command = command;
	run->conf.now = now != NULL ? (time_t)atoll(now) : time(NULL);
	run->conf.dry_run = dry_run;
	run->conf.report = print_report;
	run->conf.before_commit = kill_hook;
	run->conf.arg = run;
	return 0;
}

static void
run_done(struct run *run)
{
	seal_wipe(run->audit_key, sizeof(run->audit_key));
	seal_wipe(run->mac_key, sizeof(run->mac_key));
}

struct orphans {
	const struct formset	*fs;
	int			 n;
};

/* Applications whose procedure has no definition: kept, because nothing says how long. */
static int
orphan(const char *procedure_id, int64_t n, void *arg)
{
	struct orphans *o = arg;

	if (formset_get(o->fs, procedure_id) != NULL)
		return 0;
	fprintf(stderr, "formctl: %lld applications of procedure '%s' are kept: no definition in %s says how long"
	    " (put its file back, or erase them with a definition whose retention has passed)\n", (long long)n,
	    procedure_id, fc_forms_dir);
	o->n++;
	return 0;
}

static int
purge(struct db *db, int dry_run, const char *command)
{
	struct formset	*fs = formset_new();
	struct orphans	 o = { fs, 0 };
	struct run	 run;
	struct buf	 errs;
	int64_t		 erased, total = 0;
	size_t		 i;
	int		 broken, rc = 1, r;

	buf_init(&errs);
	if (fs == NULL || run_init(&run, db, command, dry_run) == -1)
		goto done;
	if ((broken = formset_reload(fs, fc_forms_dir, fc_section_known, db, &errs)) == -1) {
		fprintf(stderr, "formctl: cannot read the definitions in %s\n", fc_forms_dir);
		goto done;
	}
	fputs(buf_cstr(&errs), stderr);
	for (i = 0; i < formset_count(fs); i++) {
		if (purge_procedure(&run.conf, formset_at(fs, i), &erased) == -1) {
			fprintf(stderr, "formctl: could not erase the applications of '%s' (nothing of it changed)\n",
			    formset_at(fs, i)->id);
			broken++;
		}
		total += erased;
	}
	if (db_app_procedures(db, orphan, &o) == -1)
		goto done;
	if ((r = purge_finish(&run.conf)) == -1)
		goto done;
	if (r == DB_BUSY)
		fprintf(stderr, "formctl: the database is busy: the erased pages stay in its WAL until the next"
		    " checkpoint (run formctl purge again)\n");
	if (run.reports == 0)
		printf("nothing to erase: no application is past its retention\n");
	else
		printf("%s%lld applications in %d erasure report(s)\n", dry_run ? "dry run, would erase " : "erased ",
		    (long long)total, run.reports);
	rc = broken > 0 || o.n > 0 || r == DB_BUSY ? 1 : 0;
done:
	run_done(&run);
	buf_free(&errs);
	formset_free(fs);
	return rc;
}

static int
print_row(const struct db_erasure *r, void *arg)
{
	(void)arg;
	printf("%lld\t", (long long)r->id);
	print_time(r->at);
	printf("\t%s\t%s\t%s\t%lld\t%s\t%s\t", r->kind, *r->procedure_id ? r->procedure_id : "-", r->section_id,
	    (long long)r->applications, *r->receipt_first ? r->receipt_first : "-",
	    *r->receipt_last ? r->receipt_last : "-");
	if (r->received_first != 0) {
		print_time(r->received_first);
		putchar('\t');
		print_time(r->received_last);
	} else
		fputs("-\t-", stdout);
	printf("\t%s\t%s\t%s\t%s\n", r->key_ids, r->rule, r->actor, r->command);
	return 0;
}

static int
reports(struct db *db)
{
	printf("id\tat (JST)\tkind\tprocedure\tsection\tapplications\tfirst receipt\tlast receipt\t"
	    "first received\tlast received\tkeys\trule\tby\tcommand\n");
	return db_erasure_each(db, -1, 0, print_row, NULL) == 0 ? 0 : 1;
}

int
cmd_purge(int argc, char **argv)
{
	struct db	*db;
	int		 dry = 0, timer = 0, list = 0, i, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--timer") == 0)
			timer = 1;
		else if (strcmp(argv[i], "reports") == 0 && i == 0 && argc == 1)
			list = 1;
		else {
			fprintf(stderr, "formctl: purge [--dry-run] [--timer] | purge reports\n");
			return 2;
		}
	}
	if (fc_open_db(&db) == -1)
		return 1;
	rc = list ? reports(db) : purge(db, dry, timer ? "formctl purge (daily timer)" : "formctl purge");
	db_close(db);
	return rc;
}

/* formctl key retire KEY_ID: a section key nothing is sealed to any more, destroyed and reported. */
int
fc_key_retire(struct db *db, const char *key_id)
{
	struct run	run;
	int64_t		apps, notes;
	int		rc = 1, r;

	if (run_init(&run, db, "formctl key retire", 0) == -1)
		goto done;
	if ((r = purge_key(&run.conf, key_id, &apps, &notes)) == PURGE_KEY_UNKNOWN)
		fprintf(stderr, "formctl: no key '%s' (formctl key list SECTION shows them)\n", key_id);
	else if (r == PURGE_KEY_CURRENT)
		fprintf(stderr, "formctl: key %s is its section's current key: new applications are sealed to it"
		    " (formctl key rotate SECTION first)\n", key_id);
	else if (r == PURGE_KEY_IN_USE)
		fprintf(stderr, "formctl: key %s still opens %lld applications and %lld notes: it can go once"
		    " formctl purge has erased them\n", key_id, (long long)apps, (long long)notes);
	else if (r == -1)
		fprintf(stderr, "formctl: could not destroy key %s (nothing changed)\n", key_id);
	else if (purge_finish(&run.conf) == -1)
		fprintf(stderr, "formctl: key %s destroyed, but the database could not be checkpointed\n", key_id);
	else
		rc = 0;
done:
	run_done(&run);
	return rc;
}
