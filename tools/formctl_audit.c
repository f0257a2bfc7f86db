/*
 * formctl audit verify | report | alerts | digest: checking, summarising and
 * reviewing the audit log (lib/audit.h, lib/alerts.h).  digest mails the
 * alerts of the last day to every auditor with an address (staff mail,
 * sent by the mailer); production runs it daily (shinjuku-digest.timer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "audit.h"
#include "buf.h"
#include "db.h"
#include "formctl.h"
#include "jst.h"
#include "mail.h"
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

/* ---- alerts and the auditors' daily digest ---- */

struct alert_opts {
	struct alerts_conf	conf;
	time_t			from, to;
};

/* --since and --until (JST days; default: the last 24 hours), --export-rows, --office. */
static int
alert_opts(int argc, char **argv, struct alert_opts *o)
{
	char	*end;
	int	 i;

	alerts_defaults(&o->conf);
	o->to = time(NULL) + 1;		/* this second's entries too */
	o->from = o->to - 24 * 60 * 60;
	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--since") == 0 && jst_day_start(argv[i + 1], &o->from) == 0)
			continue;
		if (strcmp(argv[i], "--until") == 0 && jst_day_start(argv[i + 1], &o->to) == 0) {
			o->to += 24 * 60 * 60;
			continue;
		}
		if (strcmp(argv[i], "--office") == 0 && alerts_office_hours(&o->conf, argv[i + 1]) == 0)
			continue;
		if (strcmp(argv[i], "--export-rows") == 0) {
			o->conf.export_rows = strtol(argv[i + 1], &end, 10);
			if (*argv[i + 1] != '\0' && *end == '\0' && o->conf.export_rows >= 0)
				continue;
		}
		break;
	}
	if (i != argc || o->to <= o->from) {
		fprintf(stderr, "formctl: audit alerts|digest [--since YYYY-MM-DD] [--until YYYY-MM-DD]"
		    " [--export-rows N] [--office HH:MM-HH:MM]   (default: the last 24 hours, 100 rows,"
		    " 08:30-18:00)\n");
		return -1;
	}
	return 0;
}

/* One alert as a line: when (JST), what (its Japanese label), who, on what, and the detail. */
static int
alert_line(const struct alert *a, void *arg)
{
	struct buf *out = arg;

	jst_format_numeric(a->at, out);
	buf_printf(out, "  %s  %s  %s  %s\n", alerts_label(a->kind), a->actor, a->target, a->detail);
	return out->oom ? -1 : 0;
}

static int
alerts(struct db *db, int argc, char **argv)
{
	struct alert_opts	o;
	struct buf		out;
	int			rc = 1;

	if (alert_opts(argc, argv, &o) == -1)
		return 2;
	buf_init(&out);
	if (alerts_scan(db, &o.conf, o.from, o.to, alert_line, &out) == -1)
		fprintf(stderr, "formctl: cannot read the audit log\n");
	else {
		fputs(out.len > 0 ? buf_cstr(&out) : "no alerts\n", stdout);
		rc = 0;
	}
	buf_free(&out);
	return rc;
}

struct digest {
	struct db	*db;
	unsigned char	 mailer_pk[SEAL_PK_LEN];
	const char	*subject;
	struct buf	 body;
	int		 queued, failed;
};

static int
queue_digest(const char *email, void *arg)
{
	struct digest	*d = arg;
	struct buf	 json, sealed;

	buf_init(&json);
	buf_init(&sealed);
	if (mail_compose_text(email, d->subject, buf_cstr(&d->body), &json) == -1 ||
	    seal_box(d->mailer_pk, json.data, json.len, &sealed) == -1 ||
	    db_staff_mail_add(d->db, "digest", sealed.data, sealed.len, time(NULL)) == -1)
		d->failed++;
	else
		d->queued++;
	buf_wipe(&json);
	buf_free(&sealed);
	return 0;
}

/* The digest's text: the alerts, the audit chain, what the ledger says is still out. */
static int
digest_body(struct db *db, const struct alert_opts *o, struct buf *body, int64_t *n)
{
	struct audit_check	c;
	struct buf		list;
	unsigned char		key[SEAL_KEY_LEN];
	const char		*p;
	int64_t			out = 0;
	int			r;

	buf_init(&list);
	if (alerts_scan(db, &o->conf, o->from, o->to, alert_line, &list) == -1 || fc_key("keys/audit.key", key) == -1 ||
	    db_ledger_count(db, NULL, 1, &out) == -1) {
		buf_free(&list);
		return -1;
	}
	r = audit_verify(db, key, &c);
	seal_wipe(key, sizeof(key));
	for (*n = 0, p = buf_cstr(&list); *p != '\0'; p++)
		*n += *p == '\n';
	buf_puts(body, "監査ログから、確認が必要な記録をお知らせします（期間：");
	jst_format_numeric(o->from, body);
	buf_puts(body, " から ");
	jst_format_numeric(o->to, body);
	buf_printf(body, "）。\n\n要確認：%lld件\n%s\n", (long long)*n, list.len > 0 ? buf_cstr(&list) : "（ありません）\n");
	buf_printf(body, "改ざんの検査：%s\n", r == 0 ? "異常なし" : r == 1 ? c.problem : "検査できませんでした");
	buf_printf(body, "持ち出し中のCSV出力（管理簿）：%lld件\n\n詳しくは職員用画面の「監査ログ」と「管理簿」を"
	    "ご確認ください。\n", (long long)out);
	buf_free(&list);
	return body->oom ? -1 : 0;
}

/* formctl audit digest: the alerts of the last day (or --since/--until) mailed to every auditor. */
static int
digest(struct db *db, int argc, char **argv)
{
	struct alert_opts	o;
	struct digest		d;
	char			subject[160], detail[64];
	int64_t			n;
	int			rc = 1;

	if (alert_opts(argc, argv, &o) == -1)
		return 2;
	memset(&d, 0, sizeof(d));
	d.db = db;
	buf_init(&d.body);
	if (digest_body(db, &o, &d.body, &n) == -1 || fc_key("keys/mailer.pk", d.mailer_pk) == -1)
		goto done;
	snprintf(subject, sizeof(subject), "【新宿区 電子申請】監査の日次通知：要確認 %lld件", (long long)n);
	d.subject = subject;
	if (db_auditor_emails(db, queue_digest, &d) == -1)
		goto done;
	if (d.queued == 0) {
		fprintf(stderr, "formctl: no auditor has an address (formctl staff email LOGIN ADDRESS)%s\n",
		    d.failed ? "; some could not be queued" : "");
		goto done;
	}
	snprintf(detail, sizeof(detail), "alerts=%lld auditors=%d", (long long)n, d.queued);
	if (fc_audit(db, "digest", "auditors", detail) == 0) {
		printf("digest queued for %d auditor(s): %lld alert(s)\n", d.queued, (long long)n);
		rc = d.failed ? 1 : 0;
	}
done:
	buf_free(&d.body);
	return rc;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		(*run)(struct db *db, int argc, char **argv);
	} subs[] = { { "report", report }, { "alerts", alerts }, { "digest", digest } };
	struct db	*db;
	size_t		 i;
	int		 rc = 2;

	if (argc == 1 && strcmp(argv[0], "verify") == 0) {
		if (fc_open_db(&db) == -1)
			return 1;
		rc = verify(db);
		db_close(db);
		return rc;
	}
	for (i = 0; argc >= 1 && i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[0], subs[i].name) != 0)
			continue;
		if (fc_open_db(&db) == -1)
			return 1;
		rc = subs[i].run(db, argc - 1, argv + 1);
		db_close(db);
		return rc;
	}
	fprintf(stderr, "formctl: audit verify | audit report --from YYYY-MM-DD --to YYYY-MM-DD"
	    " | audit alerts|digest [--since YYYY-MM-DD] ...\n");
	return 2;
}
