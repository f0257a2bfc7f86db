#include "bulk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
bulk_init(struct bulk_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
bulk_free(struct bulk_set *s)
{
	free(s->item);
	bulk_init(s);
}

static int
add_row(struct bulk_set *s, const struct db_app_row *r)
{
	struct bulk_item	*it;
	void			*grown;

	if ((grown = buf_grow_array(s->item, s->n + 1, &s->cap, sizeof(*s->item), 64)) == NULL)
		return -1;
	s->item = grown;
	it = &s->item[s->n++];
	memset(it, 0, sizeof(*it));
	memcpy(it->receipt, r->receipt, sizeof(it->receipt));
	memcpy(it->status, r->status, sizeof(it->status));
	memcpy(it->participant, r->participant, sizeof(it->participant));
	memcpy(it->lang, r->lang, sizeof(it->lang));
	return 0;
}

struct select_arg {
	struct bulk_set	*s;
	size_t		 max;
	int		 too_many;
};

static int
select_row(const struct db_app_row *r, void *arg)
{
	struct select_arg *a = arg;

	if (a->s->n == a->max) {
		a->too_many = 1;
		return 1;
	}
	return add_row(a->s, r);
}

int
bulk_select_filter(struct db *db, const struct db_app_filter *f, size_t max, struct bulk_set *s)
{
	struct db_app_filter	 all = *f;
	struct select_arg	 a = { s, max, 0 };

	all.limit = (int64_t)max + 1;
	all.oldest_first = 1;
	all.after_receipt = NULL;
	s->n = s->nchange = 0;
	if (db_app_list(db, &all, select_row, &a) == -1) {
		s->n = 0;
		return -1;
	}
	if (a.too_many) {
		s->n = 0;
		return BULK_TOO_MANY;
	}
	return 0;
}

int
bulk_add_receipt(struct db *db, const char *procedure_id, const char *section_id, const char *receipt,
    struct bulk_set *s)
{
	struct db_app_row	 r;
	struct buf		 sealed;
	size_t			 i;
	int			 rc;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->item[i].receipt, receipt) == 0)
			return 0;
	buf_init(&sealed);
	if ((rc = db_app_get(db, receipt, &r, &sealed)) == 0) {
		if (strcmp(r.procedure_id, procedure_id) != 0 || strcmp(r.section_id, section_id) != 0)
			rc = DB_NOTFOUND;
		else
			rc = add_row(s, &r);
	}
	buf_free(&sealed);
	return rc;
}

void
bulk_classify(struct bulk_set *s, enum wf_status to)
{
	const struct wf_transition	*t;
	enum wf_status			 from;
	size_t				 i;

	s->nchange = 0;
	for (i = 0; i < s->n; i++) {
		struct bulk_item *it = &s->item[i];

		it->mail = NULL;
		t = wf_status_parse(it->status, &from) == 0 ? wf_transition(from, to) : NULL;
		if (t != NULL) {
			it->skip = BULK_CHANGE;
			it->mail = t->mail;
			s->nchange++;
		} else
			it->skip = strcmp(it->status, wf_status_code(to)) == 0 ? BULK_SAME : BULK_NOT_ALLOWED;
	}
}

const char *
bulk_skip_text(const struct bulk_item *it)
{
	switch (it->skip) {
	case BULK_SAME:
		return "すでにその状態です";
	case BULK_NOT_ALLOWED:
		return "今の状態からは、その状態に変更できません";
	case BULK_RACED:
		return "確認の後に、ほかの職員が状態を変更しました";
	default:
		return "";
	}
}

int
bulk_mac_input(const struct bulk_set *s, const char *to, const char *scope, const char *note, struct buf *out)
{
	size_t		 i;

	const char	*part[] = { "bulk-status", to, scope, note };

	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		buf_puts(out, part[i]);
		buf_putc(out, '\0');
	}
	for (i = 0; i < s->n; i++)
		buf_printf(out, "%s %s\n", s->item[i].receipt, s->item[i].status);
	return out->oom ? -1 : 0;
}

int
bulk_detail(const struct bulk_set *s, const char *to, int with_note, size_t mails, struct buf *out)
{
	const char	*sep = "";
	size_t		 i;

	buf_printf(out, "to=%s changed=%zu skipped=%zu mails=%zu note=%s changed:", to, s->nchange,
	    s->n - s->nchange, mails, with_note ? "yes" : "no");
	for (i = 0; i < s->n; i++)
		if (s->item[i].skip == BULK_CHANGE) {
			buf_printf(out, "%s%s", sep, s->item[i].receipt);
			sep = ",";
		}
	buf_puts(out, " skipped:");
	for (sep = "", i = 0; i < s->n; i++)
		if (s->item[i].skip != BULK_CHANGE) {
			buf_printf(out, "%s%s(%s)", sep, s->item[i].receipt,
			    s->item[i].skip == BULK_RACED ? "raced" : s->item[i].status);
			sep = ",";
		}
	return out->oom ? -1 : 0;
}
