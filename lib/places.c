#include "places.h"

#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "mail.h"

void
places_rules(const struct procedure *p, const char *choice, long people, struct db_places *out)
{
	const struct field	*f = formdef_places_field(p);
	const struct choice	*ch;

	memset(out, 0, sizeof(*out));
	out->people = people > 0 ? people : 1;
	if (!formdef_first_come(p))
		return;
	out->capacity = p->capacity;
	out->waitlist = p->waitlist;
	if (f != NULL && choice != NULL && *choice != '\0' && (ch = answers_choice(f, choice)) != NULL) {
		out->choice = ch->value;
		out->choice_places = ch->places;
	}
}

const char *
places_answer(const struct answers *as)
{
	const struct field	*f = formdef_places_field(as->proc);
	size_t			 i;

	for (i = 0; f != NULL && i < as->n; i++)
		if (as->a[i].field == f && as->a[i].shown)
			return buf_cstr(&as->a[i].value);
	return "";
}

long
places_people(const struct answers *as)
{
	const struct field	*f = as->proc->group_field;
	const char		*v;
	size_t			 i;

	for (i = 0; f != NULL && i < as->n; i++) {
		if (as->a[i].field != f || !as->a[i].shown)
			continue;
		v = buf_cstr(&as->a[i].value);
		/* formdef allows only 1..9 (a choice value, or a number within min and max) */
		if (v[0] >= '1' && v[0] <= '0' + FORMDEF_GROUP_MAX && v[1] == '\0')
			return v[0] - '0';
	}
	return 1;
}

static int
promotion_rules(const char *choice, struct db_places *out, void *arg)
{
	const struct places_promoting *pm = arg;

	places_rules(pm->p, choice, 1, out);
	return 0;
}

static int
promotion_mail(const char *receipt, struct db_outbox_item *m, void *arg)
{
	const struct places_promoting *pm = arg;

	return mail_queue_later(pm->db, pm->p, "promotion", receipt, 0, pm->now, m);
}

int
places_promote_init(struct db_promote *pr, struct places_promoting *pm, struct db *db,
    const struct procedure *p, time_t now)
{
	if (p == NULL || (!formdef_first_come(p) && !p->lottery))
		return 0;
	pm->db = db;
	pm->p = p;
	pm->now = now;
	memset(pr, 0, sizeof(*pr));
	pr->lottery = p->lottery;
	pr->rules = promotion_rules;
	pr->mail = promotion_mail;
	pr->arg = pm;
	return 1;
}

struct reading {
	const struct field	*f;
	struct places_view	*v;
};

static int
counter_row(const char *choice, int64_t taken, int64_t waiting, void *arg)
{
	struct reading	*r = arg;
	size_t		 i;

	if (*choice == '\0') {
		r->v->taken = taken;
		r->v->waiting = waiting;
		return 0;
	}
	for (i = 0; r->f != NULL && i < r->f->nchoices && i < PLACES_MAX_CHOICES; i++)
		if (strcmp(r->f->choices[i].value, choice) == 0)
			r->v->choice_taken[i] = taken;
	return 0;
}

int
places_read(struct db *db, const struct procedure *p, struct places_view *v)
{
	struct reading r = { formdef_places_field(p), v };

	memset(v, 0, sizeof(*v));
	return db_places_each(db, p->id, counter_row, &r);
}

static long
left_of(long places, int64_t taken)
{
	return taken >= places ? 0 : (long)(places - taken);
}

long
places_choice_left(const struct procedure *p, const struct places_view *v, size_t i)
{
	const struct field	*f = formdef_places_field(p);
	long			 left;

	if (f == NULL || i >= f->nchoices || i >= PLACES_MAX_CHOICES)
		return -1;
	left = left_of(f->choices[i].places, v->choice_taken[i]);
	/* a choice with room still waits when the procedure as a whole is full */
	if (p->capacity > 0 && left_of(p->capacity, v->taken) < left)
		left = left_of(p->capacity, v->taken);
	return left;
}

long
places_left(const struct procedure *p, const struct places_view *v)
{
	const struct field	*f = formdef_places_field(p);
	long			 left = p->capacity > 0 ? left_of(p->capacity, v->taken) : -1, sum = 0;
	size_t			 i;

	if (f == NULL)
		return left;
	for (i = 0; i < f->nchoices && i < PLACES_MAX_CHOICES; i++)
		sum += left_of(f->choices[i].places, v->choice_taken[i]);
	return left == -1 || sum < left ? sum : left;
}

int
places_choice_closed(const struct procedure *p, const struct places_view *v, size_t i)
{
	return !p->waitlist && places_choice_left(p, v, i) == 0;
}

/* "残り{n}人" (left > 0) or the full text, in l. */
static int
left_text(const struct lang *l, long left, const char *full, struct buf *out)
{
	char n[24];

	if (left == 0)
		return buf_puts(out, lang_msg(l, full));
	(void)snprintf(n, sizeof(n), "%ld", left);
	return lang_format(l, out, N_("places.left"), "n", n, (const char *)NULL);
}

int
places_text(const struct procedure *p, const struct places_view *v, const struct lang *l, struct buf *out)
{
	long left = places_left(p, v);

	if (!formdef_first_come(p) || left == -1)
		return 0;
	return left_text(l, left, p->waitlist ? N_("places.full_waitlist") : N_("places.full"), out);
}

int
places_choice_text(const struct procedure *p, const struct places_view *v, size_t i, const struct lang *l,
    struct buf *out)
{
	long left = places_choice_left(p, v, i);

	if (!formdef_first_come(p) || left == -1)
		return 0;
	return left_text(l, left, p->waitlist ? N_("places.choice_waitlist") : N_("places.full"), out);
}
