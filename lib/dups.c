/*
 * dups: likely duplicates before a draw (dups.h).  Each row gets a key per
 * relation it can take part in; the keys are sorted, and rows with equal
 * keys are joined (union-find), so the groups cost a sort, however many
 * applications there are.
 */
#include "dups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jnorm.h"
#include "log.h"
#include "seal.h"

void
dups_fields(const struct procedure *p, struct dups_fields *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < p->nfields; i++) {
		const struct field *f = &p->fields[i];

		/* A field under show_if (a companion's name) says nothing about the applicant. */
		if (f->show_if_field != NULL)
			continue;
		if (f->type == FT_KANA && out->name == NULL)
			out->name = f;
		else if (f->type == FT_DATE && out->birth == NULL && f->autocomplete != NULL &&
		    strcmp(f->autocomplete, "bday") == 0)
			out->birth = f;
		else if (f->type == FT_TEL && out->tel == NULL)
			out->tel = f;
		else if (f->type == FT_EMAIL && out->mail == NULL)
			out->mail = f;
	}
}

int
dups_eligible(const char *status)
{
	return status != NULL && (strcmp(status, "received") == 0 || strcmp(status, "accepted") == 0);
}

/* One key of one row: where its text starts in the arena, which relation. */
struct key {
	size_t		 off;
	size_t		 row;
	unsigned	 why;
	const char	*text;	/* set once the arena stops growing */
};

struct finder {
	struct buf	 arena;	/* the keys' texts, each NUL-terminated (personal data: wiped) */
	struct buf	 tmp;	/* one normalised answer */
	struct key	*keys;
	size_t		 nkeys, capkeys;
	size_t		*parent;
};

static size_t
root_of(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

static void
join(size_t *parent, size_t a, size_t b)
{
	a = root_of(parent, a);
	b = root_of(parent, b);
	/* The smaller row becomes the root: a group is named by its first member. */
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/* The answer normalised as jnorm does for type; NULL when absent or not valid for it. */
static const char *
normalised(struct finder *fd, enum jn_type type, const char *v)
{
	if (v == NULL || *v == '\0' || jn_normalize(type, v, strlen(v), NULL, &fd->tmp) != JN_OK)
		return NULL;
	return buf_cstr(&fd->tmp);
}

/* A new key for row, its text prefix then s (NUL-terminated in the arena); -1 out of memory. */
static int
key_begin(struct finder *fd, size_t row, unsigned why)
{
	struct key *k = buf_grow_array(fd->keys, fd->nkeys, &fd->capkeys, sizeof(*k), 64);

	if (k == NULL)
		return -1;
	fd->keys = k;
	k = &fd->keys[fd->nkeys++];
	k->off = fd->arena.len;
	k->row = row;
	k->why = why;
	k->text = NULL;
	return buf_putc(&fd->arena, (int)(why == DUPS_NAME_BIRTH ? 'N' : why == DUPS_TEL ? 'T' : 'M'));
}

static int
key_end(struct finder *fd)
{
	return buf_putc(&fd->arena, '\0');
}

/* Name in katakana without white space, then the birth date. */
static int
name_key(struct finder *fd, size_t row, const char *name, const char *birth)
{
	const char	*v;
	size_t		 i;
	struct buf	 kana;
	int		 rc = -1;

	buf_init(&kana);
	if ((v = normalised(fd, JN_KANA, name)) == NULL) {
		rc = 0;
		goto done;
	}
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] != ' ' && v[i] != '\t' && buf_putc(&kana, v[i]) == -1)
			goto done;
	if (kana.len == 0 || (v = normalised(fd, JN_DATE, birth)) == NULL) {
		rc = 0;
		goto done;
	}
	rc = key_begin(fd, row, DUPS_NAME_BIRTH) == 0 && buf_put(&fd->arena, kana.data, kana.len) == 0 &&
	    buf_putc(&fd->arena, '\x1f') == 0 && buf_puts(&fd->arena, v) == 0 && key_end(fd) == 0 ? 0 : -1;
done:
	buf_wipe(&kana);
	return rc;
}

/* The phone number's digits (after NFKC: full-width digits are digits). */
static int
tel_key(struct finder *fd, size_t row, const char *tel)
{
	const char	*v = normalised(fd, JN_TEXT, tel);
	size_t		 i, digits = 0;

	if (v == NULL)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		digits += v[i] >= '0' && v[i] <= '9';
	if (digits == 0)
		return 0;
	if (key_begin(fd, row, DUPS_TEL) == -1)
		return -1;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] >= '0' && v[i] <= '9' && buf_putc(&fd->arena, v[i]) == -1)
			return -1;
	return key_end(fd);
}

/* The address trimmed (NFKC), its domain in lower case: mailboxes differ by their local part's case. */
static int
mail_key(struct finder *fd, size_t row, const char *mail)
{
	const char	*v = normalised(fd, JN_TEXT, mail), *at;
	size_t		 start;

	if (v == NULL)
		return 0;
	at = strrchr(v, '@');
	if (key_begin(fd, row, DUPS_MAIL) == -1)
		return -1;
	start = fd->arena.len;
	if (buf_puts(&fd->arena, v) == -1)
		return -1;
	if (at != NULL) {
		size_t i;

		for (i = start + (size_t)(at - v); i < fd->arena.len; i++)
			if (fd->arena.data[i] >= 'A' && fd->arena.data[i] <= 'Z')
				fd->arena.data[i] = (char)(fd->arena.data[i] - 'A' + 'a');
	}
	return key_end(fd);
}

static int
by_text(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	return c != 0 ? c : (x->row > y->row) - (x->row < y->row);
}

static void
finder_free(struct finder *fd)
{
	buf_wipe(&fd->arena);
	buf_wipe(&fd->tmp);
	free(fd->keys);
	free(fd->parent);
}

void
dups_result_free(struct dups_result *r)
{
	free(r->group);
	free(r->why);
	memset(r, 0, sizeof(*r));
}

/* Rows of each root counted, then numbered in row order; singletons stay 0. */
static int
number_groups(const struct dups_row *rows, size_t n, size_t *parent, struct dups_result *out)
{
	size_t	*size = calloc(n, sizeof(*size)), *number = calloc(n, sizeof(*number)), i;

	if (size == NULL || number == NULL) {
		free(size);
		free(number);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (dups_eligible(rows[i].status))
			size[root_of(parent, i)]++;
	for (i = 0; i < n; i++) {
		size_t r = root_of(parent, i);

		if (!dups_eligible(rows[i].status) || size[r] < 2)
			continue;
		if (number[r] == 0)
			number[r] = ++out->ngroups;
		out->group[i] = number[r];
		out->members++;
	}
	free(size);
	free(number);
	return 0;
}

int
dups_find(const struct dups_row *rows, size_t n, struct dups_result *out)
{
	struct finder	fd;
	size_t		i, j;
	int		rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&fd, 0, sizeof(fd));
	buf_init(&fd.arena);
	buf_init(&fd.tmp);
	if (n == 0)
		return 0;
	if ((out->group = calloc(n, sizeof(*out->group))) == NULL || (out->why = calloc(n, sizeof(*out->why))) == NULL ||
	    (fd.parent = malloc(n * sizeof(*fd.parent))) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		fd.parent[i] = i;
		if (!dups_eligible(rows[i].status))
			continue;
		out->eligible++;
		if (name_key(&fd, i, rows[i].name, rows[i].birth) == -1 || tel_key(&fd, i, rows[i].tel) == -1 ||
		    mail_key(&fd, i, rows[i].mail) == -1)
			goto done;
	}
	for (i = 0; i < fd.nkeys; i++)
		fd.keys[i].text = fd.arena.data + fd.keys[i].off;
	if (fd.nkeys > 1)
		qsort(fd.keys, fd.nkeys, sizeof(*fd.keys), by_text);
	for (i = 0; i < fd.nkeys; i = j) {
		for (j = i + 1; j < fd.nkeys && strcmp(fd.keys[i].text, fd.keys[j].text) == 0; j++) {
			join(fd.parent, fd.keys[i].row, fd.keys[j].row);
			out->why[fd.keys[j].row] |= fd.keys[j].why;
		}
		if (j > i + 1)
			out->why[fd.keys[i].row] |= fd.keys[i].why;
	}
	rc = number_groups(rows, n, fd.parent, out);
done:
	finder_free(&fd);
	if (rc == -1)
		dups_result_free(out);
	return rc;
}

int
dups_receipts_sha256(const char *const *receipts, size_t n, char hex[65])
{
	struct buf	all;
	size_t		i;
	int		rc;

	buf_init(&all);
	for (i = 0; i < n; i++) {
		buf_puts(&all, receipts[i]);
		buf_putc(&all, '\n');
	}
	rc = all.oom ? -1 : seal_sha256_hex(all.data != NULL ? all.data : "", all.len, hex);
	buf_free(&all);
	return rc;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One line per group: its receipts ascending, joined by ','; the lines ascending. */
static int
group_lines(const struct dups_row *rows, size_t n, const struct dups_result *r, struct buf *out)
{
	const char	**member = malloc((r->members + 1) * sizeof(*member)), **line = NULL;
	struct buf	  text;
	size_t		  g, i, k, *start = NULL;
	int		  rc = -1;

	buf_init(&text);
	if (member == NULL || (line = malloc((r->ngroups + 1) * sizeof(*line))) == NULL ||
	    (start = malloc((r->ngroups + 1) * sizeof(*start))) == NULL)
		goto done;
	for (g = 1; g <= r->ngroups; g++) {
		for (k = 0, i = 0; i < n; i++)
			if (r->group[i] == g)
				member[k++] = rows[i].receipt;
		qsort(member, k, sizeof(*member), by_string);
		start[g - 1] = text.len;
		for (i = 0; i < k; i++)
			buf_printf(&text, "%s%s", i ? "," : "", member[i]);
		buf_putc(&text, '\0');
	}
	if (text.oom)
		goto done;
	for (g = 0; g < r->ngroups; g++)
		line[g] = text.data + start[g];
	qsort(line, r->ngroups, sizeof(*line), by_string);
	for (g = 0; g < r->ngroups; g++) {
		buf_puts(out, line[g]);
		buf_putc(out, '\n');
	}
	rc = out->oom ? -1 : 0;
done:
	free(member);
	free(line);
	free(start);
	buf_free(&text);
	return rc;
}

int
dups_fingerprint(const struct dups_row *rows, size_t n, const struct dups_result *r, char hex[65])
{
	const char	**eligible = malloc((n + 1) * sizeof(*eligible));
	char		  receipts_hex[65];
	struct buf	  all;
	size_t		  i, k = 0;
	int		  rc = -1;

	buf_init(&all);
	if (eligible == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (dups_eligible(rows[i].status))
			eligible[k++] = rows[i].receipt;
	qsort(eligible, k, sizeof(*eligible), by_string);
	if (dups_receipts_sha256(eligible, k, receipts_hex) == -1)
		goto done;
	buf_printf(&all, "%s\n", receipts_hex);
	if (group_lines(rows, n, r, &all) == -1 || all.oom)
		goto done;
	rc = seal_sha256_hex(all.data, all.len, hex);
done:
	free(eligible);
	buf_free(&all);
	return rc;
}

/* ---- the review's state, from the database alone ---- */

struct eligible_list {
	char	(*receipt)[DB_RECEIPT_LEN + 1];
	size_t	  n, cap;
};

static int
add_eligible(const char *receipt, void *arg)
{
	struct eligible_list	*l = arg;
	char			(*grown)[DB_RECEIPT_LEN + 1];

	if (strlen(receipt) > DB_RECEIPT_LEN ||
	    (grown = buf_grow_array(l->receipt, l->n, &l->cap, sizeof(*l->receipt), 256)) == NULL)
		return -1;
	l->receipt = grown;
	strcpy(l->receipt[l->n++], receipt);
	return 0;
}

int
dups_review_state(struct db *db, const char *procedure_id, struct dups_review_info *out)
{
	struct db_dup_review	  rv;
	struct eligible_list	  l;
	const char		**ptr = NULL;
	char			  hex[65];
	size_t			  i;
	int			  rc;

	memset(out, 0, sizeof(*out));
	memset(&l, 0, sizeof(l));
	if ((rc = db_dup_review_get(db, procedure_id, &rv)) == DB_NOTFOUND) {
		out->state = DUPS_NO_REVIEW;
		return 0;
	}
	if (rc != 0)
		return -1;
	out->groups = rv.groups;
	out->members = rv.members;
	out->reviewed_at = rv.at;
	snprintf(out->reviewed_by, sizeof(out->reviewed_by), "%s", rv.actor);
	rc = -1;
	if (db_dup_eligible_each(db, procedure_id, add_eligible, &l) == -1 ||
	    (ptr = malloc((l.n + 1) * sizeof(*ptr))) == NULL)
		goto done;
	for (i = 0; i < l.n; i++)
		ptr[i] = l.receipt[i];
	if (dups_receipts_sha256(ptr, l.n, hex) == -1 || db_dup_undecided(db, procedure_id, &out->undecided) == -1)
		goto done;
	if ((int64_t)l.n != rv.eligible || strcmp(hex, rv.eligible_sha256) != 0)
		out->state = DUPS_STALE;
	else
		out->state = out->undecided > 0 ? DUPS_UNDECIDED : DUPS_DECIDED;
	rc = 0;
done:
	free(ptr);
	free(l.receipt);
	return rc;
}

const char *
dups_state_label(enum dups_state s)
{
	switch (s) {
	case DUPS_NO_REVIEW:
		return "未確認";
	case DUPS_STALE:
		return "確認の後に申請が増えたか変わりました（もう一度確認してください）";
	case DUPS_UNDECIDED:
		return "判断していない申請があります";
	case DUPS_DECIDED:
		return "確認済み";
	}
	return "";
}

const char *
dups_state_warning(enum dups_state s)
{
	switch (s) {
	case DUPS_NO_REVIEW:
		return "重複の可能性がある申請を確認していません。";
	case DUPS_STALE:
		return "重複の確認の後に、申請が増えたか状態が変わりました。もう一度確認してください。";
	case DUPS_UNDECIDED:
		return "重複の可能性がある申請に、判断していないものがあります。";
	case DUPS_DECIDED:
		break;
	}
	return NULL;
}
