/*
 * Fuzz formdef_load_mem: any bytes either give a definition whose
 * invariants hold, or are refused with well-formed error lines; never a
 * crash or a leak.  Every text in another language is found again by
 * formdef_text.  Seeds in tests/fuzz/formdef/ use the id "fuzz", the name
 * passed below, so that they get past the id check into the field rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "formdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
any_section(const char *id, void *arg)
{
	(void)arg;
	return strcmp(id, "nope") != 0;
}

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
text_ok(const char *s)
{
	return s == NULL || u8_check((const uint8_t *)s, strlen(s)) == NULL;
}

/* Every message is one UTF-8 line "fuzz.yaml:L:C: ..." with no control characters. */
static void
check_errors(const struct buf *errs)
{
	const char	*s = buf_cstr(errs), *end;
	size_t		 i;

	check(errs->len > 0 && !errs->oom && text_ok(s));
	for (; *s != '\0'; s = end + 1) {
		check((end = strchr(s, '\n')) != NULL);
		check(strncmp(s, "fuzz.yaml:", 10) == 0);
		for (i = 0; s + i < end; i++)
			check((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
	}
}

static void
check_field(const struct procedure *p, size_t i)
{
	const struct field	*f = &p->fields[i];
	const struct field	*g;
	size_t			 j;

	check(f->key != NULL && f->label != NULL && text_ok(f->label) && text_ok(f->help));
	check(formdef_field(p, f->key) == f);
	check(f->maxlength <= 2000 && (!f->has_min || !f->has_max || f->min <= f->max));
	if (f->type == FT_RADIO || f->type == FT_SELECT || f->type == FT_CHECKBOX)
		check(f->nchoices >= 1);
	else
		check(f->nchoices == 0 && f->choices == NULL);
	for (j = 0; j < f->nchoices; j++)
		check(f->choices[j].value != NULL && f->choices[j].label != NULL);
	check((f->show_if_field == NULL) == (f->show_if_value == NULL));
	if (f->show_if_field != NULL) {
		g = formdef_field(p, f->show_if_field);
		check(g != NULL && g < f && g->nchoices > 0);
	}
	check((f->min_age == 0 && f->max_age == 0) || p->event_y != 0);
}

static void
check_texts(const struct procedure *p, const struct ltext *t)
{
	size_t j;

	check(t->text != NULL && text_ok(t->text) && formdef_text(p, "ja", t->text) == t->text);
	for (j = 0; j < t->ntr; j++) {
		check(lang_tag_ok(t->tr[j].lang, strlen(t->tr[j].lang)) && strcmp(t->tr[j].lang, "ja") != 0);
		check(t->tr[j].text != NULL && text_ok(t->tr[j].text));
		check(formdef_text(p, t->tr[j].lang, t->text) == t->tr[j].text);
	}
}

static void
check_procedure(const struct procedure *p)
{
	size_t i;

	check(strcmp(p->id, "fuzz") == 0 && p->title != NULL && p->section != NULL);
	check(p->contact != NULL && text_ok(p->title) && text_ok(p->description));
	check(p->retention_days >= 1 && p->retention_days <= 3650);
	check(p->closes_at == 0 || p->closes_at > p->opens_at);
	check(p->nfields >= 1 && p->nfields <= 100 && strlen(p->hash) == 64);
	check(formdef_state(p, p->opens_at) == 0);
	for (i = 0; i < p->nfields; i++)
		check_field(p, i);
	for (i = 0; i < p->ntexts; i++)
		check_texts(p, &p->texts[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procedure	*p;
	struct buf		 errs;

	buf_init(&errs);
	p = formdef_load_mem("fuzz.yaml", (const char *)data, size, any_section, NULL, &errs);
	if (p != NULL) {
		check(errs.len == 0);
		check_procedure(p);
	} else
		check_errors(&errs);
	formdef_free(p);
	buf_free(&errs);
	return 0;
}
