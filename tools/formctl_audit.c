/* formctl audit verify | report: checking and summarising the audit log. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "db.h"
#include "formctl.h"
#include "jst.h"
#include "seal.h"

static int
verify(struct db *db)
{
	struct audit_check	c;
	unsigned char		key[SEAL_KEY_LEN];
	int			r;

	if (fc_key("keys/audit.key", key) == -1)
		return 1;
	r = audit_verify(db, key, &c);
	seal_wipe(key, sizeof(key));
	if (r == -1) {
		fprintf(stderr, "formctl: cannot read the audit log\n");
		return 1;
	}
	if (r == 1) {
		printf("audit log BROKEN at %s (%lld entries checked before it)\n", c.problem,
		    (long long)c.entries);
		return 1;
	}
	printf("audit log intact: %lld entries, head %lld %s\n", (long long)c.entries, (long long)c.head_seq,
	    c.head_mac);
	printf("(note the head: entries cut off after it are found by comparing it next time)\n");
	return 0;
}

static int
report(struct db *db, int argc, char **argv)
{
	time_t	from = 0, to = 0;
	int	i;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--from") == 0 && jst_day_start(argv[i + 1], &from) == 0)
			continue;
		if (strcmp(argv[i], "--to") == 0 && jst_day_start(argv[i + 1], &to) == 0)
			continue;
		break;
	}
	if (i != argc || from == 0 || to == 0) {
		fprintf(stderr, "formctl: audit report --from YYYY-MM-DD --to YYYY-MM-DD (both days included)\n");
		return 2;
	}
	to += 24 * 60 * 60;
	if (to <= from) {
		fprintf(stderr, "formctl: --to is before --from\n");
		return 2;
	}
	if (audit_report(db, from, to, stdout) == -1) {
		fprintf(stderr, "formctl: cannot read the audit log\n");
		return 1;
	}
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	struct db	*db;
	int		 rc;

	if (argc < 1 || (strcmp(argv[0], "verify") != 0 && strcmp(argv[0], "report") != 0) ||
	    (strcmp(argv[0], "verify") == 0 && argc != 1)) {
		fprintf(stderr, "formctl: audit verify | audit report --from YYYY-MM-DD --to YYYY-MM-DD\n");
		return 2;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	rc = strcmp(argv[0], "verify") == 0 ? verify(db) : report(db, argc - 1, argv + 1);
	db_close(db);
	return rc;
}
