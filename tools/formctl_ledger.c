/*
 * formctl ledger: the hand-over ledger (管理簿) from the command line.
 *
 *   formctl ledger list [--open]
 *   formctl ledger close ID (--returned | --erased) --by NAME
 *
 * Every export (web or formctl export) is an entry with its purpose and
 * recipient; it stays out until a named person confirms that the file came
 * back or was erased.  Closing is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "formctl.h"
#include "formdef.h"
#include "jst.h"

int
fc_ledger_text(const char *s)
{
	size_t	i, chars = 0;
	int	text = 0;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char b = (unsigned char)s[i];

		if (b < 0x20 || b == 0x7f)
			return 0;
		chars += (b & 0xc0) != 0x80;
		text |= b != ' ';
	}
	return text && chars <= FC_LEDGER_TEXT_CHARS;
}

int64_t
fc_ledger_add(struct db *db, const struct procedure *p, int64_t rows, const char *sha256, const char *form,
    const char *purpose, const char *recipient)
{
	struct db_ledger	e;
	char			actor[96];

	fc_actor(actor, sizeof(actor));
	memset(&e, 0, sizeof(e));
	e.at = time(NULL);
	e.actor = actor;
	e.procedure_id = p->id;
	e.section_id = p->section;
	e.rows = rows;
	e.sha256 = sha256;
	e.form = form;
	e.purpose = purpose;
	e.recipient = recipient;
	if (db_ledger_add(db, &e) == -1) {
		fprintf(stderr, "formctl: cannot write the ledger\n");
		return -1;
	}
	return e.id;
}

static int
print_entry(const struct db_ledger *e, void *arg)
{
	struct buf b;

	(void)arg;
	buf_init(&b);
	jst_format_numeric(e->at, &b);
	printf("%lld\t%s\t%s\t%s\t%s\t%lld\t%s\t%s\t%s\t", (long long)e->id, buf_cstr(&b), e->actor, e->procedure_id,
	    e->section_id, (long long)e->rows, e->form, e->purpose, e->recipient);
	if (e->closed_at != 0) {
		buf_reset(&b);
		jst_format_numeric(e->closed_at, &b);
		printf("%s %s by %s (recorded by %s)\n", e->closed_how, buf_cstr(&b), e->closed_by, e->closed_actor);
	} else
		printf("out\n");
	buf_free(&b);
	return 0;
}

static int
close_entry(struct db *db, const char *id, const char *how, const char *by)
{
	char		actor[96], detail[512], *end;
	long long	n = strtoll(id, &end, 10);
	int		rc;

	if (*id == '\0' || *end != '\0' || n < 1) {
		fprintf(stderr, "formctl: '%s' is not a ledger entry number\n", id);
		return 2;
	}
	fc_actor(actor, sizeof(actor));
	if ((rc = db_ledger_close(db, n, time(NULL), how, by, actor)) == DB_NOTFOUND) {
		fprintf(stderr, "formctl: no ledger entry %lld still out (formctl ledger list --open)\n", n);
		return 1;
	}
	snprintf(detail, sizeof(detail), "%s by=%s", how, by);
	if (rc != 0 || fc_audit(db, "ledger_close", id, detail) == -1)
		return 1;
	printf("ledger entry %lld: %s, confirmed by %s\n", n, how, by);
	return 0;
}

int
cmd_ledger(int argc, char **argv)
{
	struct db	*db;
	const char	*how = NULL, *by = NULL;
	int		 open_only = 0, i, rc = 2;

	if (argc == 1 && strcmp(argv[0], "list") == 0)
		;
	else if (argc == 2 && strcmp(argv[0], "list") == 0 && strcmp(argv[1], "--open") == 0)
		open_only = 1;
	else if (argc == 5 && strcmp(argv[0], "close") == 0) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--returned") == 0 || strcmp(argv[i], "--erased") == 0)
				how = how == NULL ? argv[i] + 2 : "";
			else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
				by = argv[++i];
			else
				break;
		}
		if (i != argc || how == NULL || *how == '\0' || !fc_ledger_text(by))
			argc = 0;
	} else
		argc = 0;
	if (argc == 0) {
		fprintf(stderr, "formctl: ledger list [--open] | ledger close ID (--returned | --erased) --by NAME\n");
		return 2;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	if (strcmp(argv[0], "list") == 0)
		rc = db_ledger_each(db, NULL, open_only, -1, 0, print_entry, NULL) == 0 ? 0 : 1;
	else
		rc = close_entry(db, argv[1], how, by);
	db_close(db);
	return rc;
}
