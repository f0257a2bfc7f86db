/* formctl mail status | retry: the outbox as the admin sees it (no personal data: ids, kinds, receipts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "formctl.h"

static int
print_failed(const struct db_mail *m, void *arg)
{
	(void)arg;
	if (strcmp(m->state, "failed") == 0)
		printf("  %lld\t%s\t%s\t%s\t%d tries\t%s\n", (long long)m->id, m->kind, m->receipt, m->procedure_id,
		    m->attempts, m->last_error);
	return 0;
}

static int
status(struct db *db)
{
	int64_t pending = 0, failed = 0;

	if (db_outbox_count(db, "pending", &pending) == -1 || db_outbox_count(db, "failed", &failed) == -1)
		return 1;
	printf("outbox: %lld pending, %lld failed\n", (long long)pending, (long long)failed);
	if (failed > 0) {
		printf("failed (id, kind, receipt, procedure, tries, last error):\n");
		if (db_outbox_failed_each(db, print_failed, NULL) == -1)
			return 1;
		printf("resend with: formctl mail retry ID | --all\n");
	}
	return 0;
}

static int
retry(struct db *db, const char *which)
{
	int64_t	id = 0, changed = 0;
	char	detail[64];

	if (strcmp(which, "--all") != 0 && (id = strtoll(which, NULL, 10)) <= 0) {
		fprintf(stderr, "formctl: mail retry ID | --all\n");
		return 2;
	}
	if (db_outbox_requeue(db, id, time(NULL), &changed) == -1)
		return 1;
	snprintf(detail, sizeof(detail), "%lld failed mails queued again", (long long)changed);
	if (fc_audit(db, "mail_retry", id ? which : "all", detail) == -1)
		return 1;
	printf("%s; the mailer sends them on its next round\n", detail);
	return changed > 0 ? 0 : 1;
}

int
cmd_mail(int argc, char **argv)
{
	struct db	*db;
	int		 rc;

	if (!(argc == 1 && strcmp(argv[0], "status") == 0) && !(argc == 2 && strcmp(argv[0], "retry") == 0)) {
		fprintf(stderr, "formctl: mail status | mail retry ID | mail retry --all\n");
		return 2;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	rc = argc == 1 ? status(db) : retry(db, argv[1]);
	db_close(db);
	return rc;
}
