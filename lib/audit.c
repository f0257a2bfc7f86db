#include "audit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jst.h"
#include "log.h"

static void
put_u64(struct buf *b, uint64_t v)
{
	unsigned char	p[8];
	int		i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	buf_put(b, p, sizeof(p));
}

/* Length-prefixed, so no two different entries serialise the same. */
static void
put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	put_u64(b, n);
	buf_put(b, s, n);
}

static int
entry_mac(const unsigned char key[SEAL_KEY_LEN], const struct db_audit *e, unsigned char mac[SEAL_MAC_LEN])
{
	struct buf	b;
	int		rc;

	buf_init(&b);
	put_u64(&b, (uint64_t)e->seq);
	put_u64(&b, (uint64_t)e->at);
	put_str(&b, e->actor);
	put_str(&b, e->action);
	put_str(&b, e->target);
	put_str(&b, e->detail);
	put_str(&b, e->addr);
	buf_put(&b, e->prev, SEAL_MAC_LEN);
	rc = b.oom ? -1 : seal_mac(key, "audit", b.data, b.len, mac);
	buf_free(&b);
	return rc;
}

static int
chain(struct db_audit *e, void *arg)
{
	return entry_mac(arg, e, e->mac);
}

static int
append(struct db *db, const unsigned char key[SEAL_KEY_LEN], const struct audit_entry *ae, int in_transaction)
{
	struct db_audit e;

	memset(&e, 0, sizeof(e));
	e.at = ae->at;
	e.actor = ae->actor;
	e.action = ae->action;
	e.target = ae->target ? ae->target : "";
	e.detail = ae->detail ? ae->detail : "";
	e.addr = ae->addr ? ae->addr : "";
	if ((in_transaction ? db_audit_append_in(db, &e, chain, (void *)key) :
	    db_audit_append(db, &e, chain, (void *)key)) == -1) {
		log_msg(LOG_ERR, "audit: cannot append %s entry", ae->action);
		return -1;
	}
	return 0;
}

int
audit_append(struct db *db, const unsigned char key[SEAL_KEY_LEN], const struct audit_entry *ae)
{
	return append(db, key, ae, 0);
}

int
audit_append_in(struct db *db, const unsigned char key[SEAL_KEY_LEN], const struct audit_entry *ae)
{
	return append(db, key, ae, 1);
}

struct verify_arg {
	const unsigned char	*key;
	struct audit_check	*c;
	unsigned char		 last[SEAL_MAC_LEN];
	int64_t			 last_seq;
};

static int
broken(struct verify_arg *v, int64_t seq, const char *what)
{
	v->c->bad_seq = seq;
	snprintf(v->c->problem, sizeof(v->c->problem), "entry %" PRId64 ": %s", seq, what);
	return 1;
}

static int
verify_one(const struct db_audit *e, void *arg)
{
	struct verify_arg	*v = arg;
	unsigned char		 mac[SEAL_MAC_LEN];

	if (e->seq != v->last_seq + 1)
		return broken(v, e->seq, v->last_seq == 0 ? "the first entries are missing" :
		    "entries before it are missing or out of order");
	if (seal_compare(e->prev, v->last, SEAL_MAC_LEN) != 0)
		return broken(v, e->seq, "does not follow the entry before it (removed or reordered)");
	if (entry_mac(v->key, e, mac) == -1)
		return -1;
	if (seal_compare(mac, e->mac, SEAL_MAC_LEN) != 0)
		return broken(v, e->seq, "its content was changed (MAC mismatch)");
	memcpy(v->last, e->mac, SEAL_MAC_LEN);
	v->last_seq = e->seq;
	v->c->entries++;
	return 0;
}

int
audit_verify(struct db *db, const unsigned char key[SEAL_KEY_LEN], struct audit_check *c)
{
	struct verify_arg v;

	memset(c, 0, sizeof(*c));
	memset(&v, 0, sizeof(v));
	v.key = key;
	v.c = c;
	if (db_audit_each(db, verify_one, &v) == -1)
		return -1;
	c->head_seq = v.last_seq;
	if (seal_hex(v.last, sizeof(v.last), c->head_mac, sizeof(c->head_mac)) == -1)
		return -1;
	return c->bad_seq != 0 ? 1 : 0;
}

/* ---- the periodic report ---- */

enum { R_LOGIN, R_FAILED, R_LOGOUT, R_VIEW, R_CHANGE, R_EXPORT, R_ROWS, R__N };

struct person {
	char	actor[DB_LOGIN_MAX];
	int64_t	n[R__N];
};

struct report {
	struct person	*p;
	size_t		 n, cap;
};

static struct person *
person(struct report *r, const char *actor)
{
	struct person	*np;
	size_t		 i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->p[i].actor, actor) == 0)
			return &r->p[i];
	if ((np = buf_grow_array(r->p, r->n, &r->cap, sizeof(*np), 16)) == NULL)
		return NULL;
	r->p = np;
	np = &r->p[r->n++];
	memset(np, 0, sizeof(*np));
	snprintf(np->actor, sizeof(np->actor), "%s", actor);
	return np;
}

/* The value of the detail's word ("rows="); "arrows=" or a value inside another word does not count. */
static int64_t
detail_number(const char *detail, const char *word)
{
	const char	*p;
	size_t		 n = strlen(word);

	for (p = detail; (p = strstr(p, word)) != NULL; p += n)
		if (p == detail || p[-1] == ' ')
			return strtoll(p + n, NULL, 10);
	return 0;
}

static int
report_one(const struct db_audit *e, void *arg)
{
	struct person *p = person(arg, e->actor);

	if (p == NULL)
		return -1;
	if (strcmp(e->action, "login") == 0)
		p->n[R_LOGIN]++;
	else if (strcmp(e->action, "login_failed") == 0)
		p->n[R_FAILED]++;
	else if (strcmp(e->action, "logout") == 0)
		p->n[R_LOGOUT]++;
	else if (strcmp(e->action, "view") == 0)
		p->n[R_VIEW]++;
	else if (strcmp(e->action, "status") == 0 || strcmp(e->action, "note") == 0 ||
	    strcmp(e->action, "entry") == 0)
		p->n[R_CHANGE]++;
	else if (strcmp(e->action, "bulk_status") == 0)
		p->n[R_CHANGE] += detail_number(e->detail, "changed=");	/* one entry records them all */
	else if (strcmp(e->action, "export") == 0) {
		p->n[R_EXPORT]++;
		p->n[R_ROWS] += detail_number(e->detail, "rows=");
	}
	return 0;
}

int
audit_report(struct db *db, time_t from, time_t to, FILE *out)
{
	struct report	r = { NULL, 0, 0 };
	struct buf	a, b;
	size_t		i;
	int		rc = -1;

	buf_init(&a);
	buf_init(&b);
	if (db_audit_range(db, from, to, report_one, &r) == -1 || jst_format_numeric(from, &a) == -1 ||
	    jst_format_numeric(to, &b) == -1)
		goto done;
	fprintf(out, "audit report %s to %s (JST), end excluded\n", buf_cstr(&a), buf_cstr(&b));
	fprintf(out, "%-20s %7s %7s %7s %7s %7s %7s %9s\n", "person", "logins", "failed", "logouts",
	    "views", "changes", "exports", "rows");
	for (i = 0; i < r.n; i++)
		fprintf(out, "%-20s %7" PRId64 " %7" PRId64 " %7" PRId64 " %7" PRId64 " %7" PRId64
		    " %7" PRId64 " %9" PRId64 "\n", r.p[i].actor, r.p[i].n[R_LOGIN], r.p[i].n[R_FAILED],
		    r.p[i].n[R_LOGOUT], r.p[i].n[R_VIEW], r.p[i].n[R_CHANGE], r.p[i].n[R_EXPORT],
		    r.p[i].n[R_ROWS]);
	if (r.n == 0)
		fprintf(out, "(no entries)\n");
	rc = ferror(out) ? -1 : 0;
done:
	free(r.p);
	buf_free(&a);
	buf_free(&b);
	return rc;
}

const char *
audit_action_label(const char *action)
{
	static const char *const labels[][2] = {
		{ "login", "ログイン" }, { "login_failed", "ログイン失敗" }, { "logout", "ログアウト" },
		{ "view", "申請の閲覧" }, { "status", "状態の変更" }, { "note", "対応記録" },
		{ "export", "CSV出力" }, { "grant", "鍵の付与" }, { "revoke", "鍵の取消" },
		{ "rotate", "鍵の更新" }, { "reload", "手続きの再読込" }, { "staff_add", "職員の追加" },
		{ "staff_disable", "職員の無効化" }, { "staff_enable", "職員の有効化" },
		{ "staff_reset", "パスワード再設定" }, { "password", "パスワード変更" },
		{ "section_add", "課の追加" }, { "recovery", "回復鍵の使用" }, { "list", "一覧の閲覧" },
		{ "mail_retry", "メールの再送" }, { "denied", "権限外への要求" }, { "entry", "紙の申請の入力" },
		{ "purge", "保存期間を過ぎた申請の消去" }, { "key_retire", "鍵の廃棄" },
		{ "backup", "バックアップ" }, { "restore", "バックアップからの復元" },
		{ "ledger_close", "管理簿：返却・消去の確認" }, { "staff_email", "職員のメールアドレス" },
		{ "digest", "監査の日次通知" }, { "bulk_status", "状態のまとめて変更" },
		{ "announce", "お知らせメールの送信" },
		{ "promote", "キャンセル待ちからの繰上げ" },
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i][0], action) == 0)
			return labels[i][1];
	return action;
}
