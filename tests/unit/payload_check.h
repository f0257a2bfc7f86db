/*
 * payload_check.h: whether lib/payload.c reads a text as json-c does,
 * for tests/unit/test_payload.c and tests/fuzz/payload.c.  What payload.h
 * accepts json-c must accept too, with the same "answers": the same keys
 * and, under each, the same string or the same list of strings (all that
 * export_cell() looks at).
 */
#ifndef PAYLOAD_CHECK_H
#define PAYLOAD_CHECK_H

#include <string.h>

#include <json-c/json.h>

#include "payload.h"

static int
check_same_string(json_object *v, const char *s)
{
	return json_object_is_type(v, json_type_string) && (size_t)json_object_get_string_len(v) == strlen(s) &&
	    memcmp(json_object_get_string(v), s, strlen(s)) == 0;
}

static int
check_same_answer(json_object *answers, const struct payload_answer *a)
{
	json_object	*v;
	size_t		 i;

	if (!json_object_object_get_ex(answers, a->key, &v))
		return 0;
	if (a->value != NULL)
		return check_same_string(v, a->value);
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != a->nitems)
		return 0;
	for (i = 0; i < a->nitems; i++)
		if (!check_same_string(json_object_array_get_idx(v, i), a->items[i]))
			return 0;
	return 1;
}

/* 1 when payload_read() declines text, or reads what json-c reads; 0 when they differ.  *read: it read it. */
static int
payload_agrees_with_json_c(const char *text, int *read)
{
	struct payload	 p;
	json_object	*root = NULL, *answers;
	size_t		 i;
	int		 same;

	payload_init(&p);
	*read = payload_read(&p, text) == 0;
	same = !*read;
	if (*read && (root = json_tokener_parse(text)) != NULL &&
	    json_object_object_get_ex(root, "answers", &answers) && json_object_is_type(answers, json_type_object) &&
	    (size_t)json_object_object_length(answers) == p.nanswers) {
		same = 1;
		for (i = 0; i < p.nanswers; i++)
			same &= check_same_answer(answers, &p.answers[i]);
	}
	json_object_put(root);
	payload_free(&p);
	return same;
}

#endif
