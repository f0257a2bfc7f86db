/*
 * formctl lottery draw | verify | show: a procedure's one draw (lib/draw.h),
 * run by an admin after closing day, its record, and its recomputation.
 * Nothing personal is printed: receipts, counts and hashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "formctl.h"
#include "jst.h"

static void
print_record(const struct db_lottery *r)
{
	char		seed[2 * sizeof(r->seed) + 1];
	struct buf	when;

	buf_init(&when);
	(void)seal_hex(r->seed, sizeof(r->seed), seed, sizeof(seed));
	(void)jst_format_numeric(r->drawn_at, &when);
	printf("procedure:     %s (section %s)\n", r->procedure_id, r->section_id);
	printf("drawn:         %s JST by %s (algorithm version %d)\n", buf_cstr(&when), r->actor, r->version);
	buf_free(&when);
	printf("places:        %ld, reserves: %ld\n", r->capacity, r->reserves);
	printf("drawn from:    %ld applications, %ld people (%ld in 差戻し held back)\n", r->applications, r->people,
	    r->held_back);
	printf("result:        %ld won (%ld people), %ld reserves, %ld lost\n", r->won, r->won_people, r->reserve,
	    r->lost);
	printf("seed:          %s\n", seed);
	printf("list sha256:   %s\n", r->list_sha256);
	printf("result sha256: %s\n", r->result_sha256);
}

static int
draw(struct db *db, const char *id, long reserves, int ignore_duplicates)
{
	struct procedure	*p;
	struct db_lottery	 rec;
	struct draw_pre		 pre;
	struct draw_req		 r;
	enum draw_refusal	 why;
	unsigned char		 key[SEAL_KEY_LEN];
	char			 actor[96];
	int			 rc = 1;

	if ((p = fc_load_procedure(db, id)) == NULL)
		return 1;
	if (fc_key("keys/audit.key", key) == -1)
		goto done;
	memset(&r, 0, sizeof(r));
	r.now = time(NULL);
	if (draw_precondition(db, p, r.now, &pre) == -1)
		goto done;
	printf("%s: %lld applications (%lld people) to draw from for %ld places; %lld in 差戻し held back\n", id,
	    (long long)pre.applications, (long long)pre.people, p->capacity, (long long)pre.held_back);
	if (pre.warning != NULL)
		printf("warning: %s%s\n", pre.warning, ignore_duplicates ? "" : " (draw anyway with --ignore-duplicates)");
	fc_actor(actor, sizeof(actor));
	r.p = p;
	r.actor = actor;
	r.addr = "";
	r.reserves = reserves;
	r.confirmed = ignore_duplicates;
	r.audit_key = key;
	switch (draw_run(db, &r, &rec, &why)) {
	case 0:
		print_record(&rec);
		printf("result mails queued; check with: formctl lottery verify %s\n", id);
		rc = 0;
		break;
	case 1:
		fprintf(stderr, "formctl: %s: %s\n", id, draw_refusal_en(why));
		break;
	default:
		fprintf(stderr, "formctl: %s: the draw failed; nothing was changed\n", id);
	}
done:
	seal_wipe(key, sizeof(key));
	formdef_free(p);
	return rc;
}

static int
verify(struct db *db, const char *id)
{
	unsigned char	key[SEAL_KEY_LEN];
	struct buf	report;
	int		rc;

	if (fc_key("keys/audit.key", key) == -1)
		return 1;
	buf_init(&report);
	rc = draw_verify(db, id, key, &report);
	seal_wipe(key, sizeof(key));
	fputs(buf_cstr(&report), stdout);
	if (rc == 0)
		printf("%s: OK: the stored draw is what its seed and list give, and its audit entry matches\n", id);
	else if (rc == 1)
		printf("%s: DIFFERS (see above)\n", id);
	else
		fprintf(stderr, "formctl: %s: cannot read the lottery\n", id);
	buf_free(&report);
	return rc == 0 ? 0 : 1;
}

static int
show(struct db *db, const char *id)
{
	struct db_lottery	rec;
	int			rc = db_lottery_get(db, id, &rec);

	if (rc == DB_NOTFOUND)
		fprintf(stderr, "formctl: %s: not drawn\n", id);
	if (rc != 0)
		return 1;
	print_record(&rec);
	return 0;
}

int
cmd_lottery(int argc, char **argv)
{
	struct db	*db;
	long		 reserves = 0;
	char		*end;
	int		 i, ignore_duplicates = 0, rc;

	if (argc < 2 || (strcmp(argv[0], "draw") != 0 && argc != 2) ||
	    (strcmp(argv[0], "draw") != 0 && strcmp(argv[0], "verify") != 0 && strcmp(argv[0], "show") != 0))
		goto usage;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--ignore-duplicates") == 0)
			ignore_duplicates = 1;
		else if (strcmp(argv[i], "--reserves") == 0 && i + 1 < argc) {
			reserves = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || reserves < 0 || reserves > DRAW_RESERVES_MAX) {
				fprintf(stderr, "formctl: --reserves: a whole number 0 to %d\n", DRAW_RESERVES_MAX);
				return 2;
			}
		} else
			goto usage;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	if (strcmp(argv[0], "draw") == 0)
		rc = draw(db, argv[1], reserves, ignore_duplicates);
	else if (strcmp(argv[0], "verify") == 0)
		rc = verify(db, argv[1]);
	else
		rc = show(db, argv[1]);
	db_close(db);
	return rc;
usage:
	fprintf(stderr, "formctl: lottery draw PROCEDURE [--reserves N] [--ignore-duplicates] | lottery verify PROCEDURE |"
	    " lottery show PROCEDURE\n");
	return 2;
}
