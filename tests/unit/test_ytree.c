/* Unit tests for lib/ytree.c: the YAML tree with positions and its typed getters.  Dummy data only. */
#include <string.h>

#include "t.h"
#include "ytree.h"

static struct buf	out;
static struct ytree_errs e;

/* A fresh error context writing to out, for the file "f.yaml". */
static void
fresh(void)
{
	buf_free(&out);
	buf_init(&out);
	memset(&e, 0, sizeof(e));
	e.path = "f.yaml";
	e.out = &out;
}

static struct ynode *
parse(const char *yaml)
{
	int empty;

	fresh();
	return ytree_parse(&e, yaml, strlen(yaml), &empty);
}

/* The value under key in mapping m, or NULL. */
static const struct ynode *
value(const struct ynode *m, const char *key)
{
	size_t i;

	for (i = 0; i + 1 < m->nkid; i += 2)
		if (strcmp(m->kid[i]->s, key) == 0)
			return m->kid[i + 1];
	return NULL;
}

static void
nodes_keep_positions(void)
{
	struct ynode		*t = parse("a: 1\nb:\n  - x\n  - 'y'\n");
	const struct ynode	*b;

	T_CHECK(t != NULL && t->kind == Y_MAP && t->nkid == 4 && e.n == 0);
	b = value(t, "b");
	T_CHECK(b != NULL && b->kind == Y_SEQ && b->nkid == 2);
	T_CHECK(b->kid[1]->line == 4 && b->kid[1]->col == 5 && !b->kid[1]->plain);
	T_STREQ(b->kid[1]->s, "y");
	T_CHECK(value(t, "a")->plain && ytree_is_null(value(t, "a")) == 0);
	ytree_free(t);
}

static void
anchors_aliases_tags_refused(void)
{
	struct ynode *t = parse("a: &x 1\nb: *x\nc: !!str 2\n");

	T_CHECK(e.n == 3);
	T_CHECK(strstr(buf_cstr(&out), "f.yaml:1:4: YAML anchors (&x) are not allowed") != NULL);
	T_CHECK(strstr(buf_cstr(&out), "f.yaml:2:4: YAML aliases (*x) are not allowed") != NULL);
	T_CHECK(strstr(buf_cstr(&out), "f.yaml:3:4: YAML tags (tag:yaml.org,2002:str) are not allowed") != NULL);
	T_CHECK(t != NULL && value(t, "b")->kind == Y_BAD);
	ytree_free(t);
}

static void
slots_guess_and_refuse_repeats(void)
{
	static const char *const names[] = { "title", "section" };
	const struct ynode	*key[2], *val[2];
	struct ynode		*t = parse("titel: a\nsection: b\nsection: c\n");

	T_CHECK(t != NULL && ytree_slots(&e, t, "the file", "", names, 2, key, val) == 0);
	T_CHECK(key[0] == NULL && val[1] != NULL && strcmp(val[1]->s, "b") == 0);
	T_STREQ(buf_cstr(&out), "f.yaml:1:1: unknown key 'titel' (did you mean 'title'?)\n"
	    "f.yaml:3:1: duplicate key 'section' (first given at line 2)\n");
	ytree_free(t);
}

/* The one message a getter of dates wrote for value v. */
static const char *
date_message(const char *yaml)
{
	struct ynode	*t = parse(yaml);
	time_t		 when = 0;
	int		 y, m, d;

	if (t == NULL)
		return "(no tree)";
	if (strcmp(t->kid[0]->s, "d") == 0)
		(void)ytree_date(&e, t->kid[0], t->kid[1], &y, &m, &d);
	else
		(void)ytree_time(&e, t->kid[0], t->kid[1], &when);
	ytree_free(t);
	return buf_cstr(&out);
}

static void
dates_say_what_is_wrong(void)
{
	T_STREQ(date_message("d: 2027-3-12\n"), "f.yaml:1:4: 'd' must be a date like 2027-03-12, not '2027-3-12'\n");
	T_STREQ(date_message("d: 1969-12-31\n"),
	    "f.yaml:1:4: 'd': '1969-12-31' is not a valid date: the year must be 1970 or later\n");
	T_STREQ(date_message("d: 2027-02-29\n"),
	    "f.yaml:1:4: 'd': '2027-02-29' is not a valid date: there is no such day in that month\n");
	T_STREQ(date_message("t: 2027-02-28 24:00\n"),
	    "f.yaml:1:4: 't': '2027-02-28 24:00' is not a valid date and time: the hour must be 00 to 23\n");
	T_STREQ(date_message("t: 2027-02-28 09:00\n"), "");
}

static void
numbers_plain_decimal_only(void)
{
	struct ynode	*t = parse("a: 0x1F\nb: 1e3\nc: 7\nd: '7'\n");
	long		 n = 0;

	T_CHECK(t != NULL);
	T_CHECK(ytree_long(&e, t->kid[0], t->kid[1], 0, 100, &n) == -1);
	T_CHECK(ytree_long(&e, t->kid[2], t->kid[3], 0, 100, &n) == -1);
	T_CHECK(ytree_long(&e, t->kid[4], t->kid[5], 8, 100, &n) == -1);
	T_CHECK(ytree_long(&e, t->kid[6], t->kid[7], 0, 100, &n) == -1 && n == 0);
	T_CHECK(ytree_long(&e, t->kid[4], t->kid[5], 0, 100, &n) == 0 && n == 7);
	T_CHECK(e.n == 4 && strstr(buf_cstr(&out), "'c' must be between 8 and 100, not 7") != NULL);
	ytree_free(t);
}

static void
errors_stop_at_the_limit(void)
{
	int i;

	fresh();
	for (i = 0; i < YTREE_MAX_ERRORS + 10; i++)
		ytree_err(&e, i + 1, 1, "problem %d", i);
	T_CHECK(e.n == YTREE_MAX_ERRORS + 10);
	T_CHECK(strstr(buf_cstr(&out), "problem 49\n") != NULL && strstr(buf_cstr(&out), "problem 50") == NULL);
	T_CHECK(strstr(buf_cstr(&out), "f.yaml:51:1: too many errors, giving up on this file\n") != NULL);
}

static void
quotes_are_cut_and_cleaned(void)
{
	char long_text[200];

	memset(long_text, 'a', sizeof(long_text));
	T_STREQ(ytree_quote("a\x1b[2Jb", 6).s, "a?[2Jb");
	T_CHECK(strlen(ytree_quote(long_text, sizeof(long_text)).s) < 80);
	T_CHECK(strstr(ytree_quote(long_text, sizeof(long_text)).s, "...") != NULL);
}

int
main(void)
{
	int rc;

	T_RUN(nodes_keep_positions);
	T_RUN(anchors_aliases_tags_refused);
	T_RUN(slots_guess_and_refuse_repeats);
	T_RUN(dates_say_what_is_wrong);
	T_RUN(numbers_plain_decimal_only);
	T_RUN(errors_stop_at_the_limit);
	T_RUN(quotes_are_cut_and_cleaned);
	rc = T_DONE();
	buf_free(&out);
	return rc;
}
