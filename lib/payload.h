/*
 * payload: the one reader of an opened application's answers, for exports,
 * staff lists and pages, and the mails a status change sends.  Two ways:
 *
 * payload_read() reads without json-c, which costs an export more than all
 * its other work but the decryption.  It reads the plain JSON that apply
 * writes (fcgi/apply.c, lib/answers.c): an object whose "answers" member is
 * an object of strings and lists of strings, its other members strings,
 * integers, true, false, null, or arrays and objects of those.  Anything
 * else (other numbers, \u0000, surrogate escapes, control characters,
 * duplicate keys in the answers, trailing text, ...) is declined: the
 * caller then reads the text with payload_json() (json-c).  What it
 * accepts, json-c accepts too, with the same strings
 * (tests/unit/test_payload.c and tests/fuzz/payload.c compare them).
 *
 * The struct owns its decoded strings and tables and reuses them from one
 * read to the next, so its memory follows the largest payload read.
 * Everything it returns points into it and is valid until the next
 * payload_read() or payload_clear().  payload_clear() wipes the decoded
 * strings (personal data); payload_free() wipes and frees.
 */
#ifndef PAYLOAD_H
#define PAYLOAD_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"

struct payload_answer {
	const char	*key;
	const char	*value;		/* a string answer; NULL for a list */
	const char	**items;	/* a list (checkbox picks): nitems strings (NULL when none) */
	size_t		 nitems;
};

struct payload {
	struct buf		 text;		/* decoded keys and strings, each NUL-terminated */
	struct payload_answer	*answers;
	size_t			 nanswers, capanswers;
	const char		**items;
	size_t			 nitems, capitems;
};

/*
 * The plain JSON sealed for an application, appended to out: the
 * procedure, the definition's hash, when it was received, how it arrived
 * (a wf_channel code; NULL or "web" leaves it out) and the answers
 * (answers_json), which bind the sealed record to its clear metadata.
 * The ids and the hash are ASCII names and hex, written as they are.
 */
int	payload_write(struct buf *out, const char *procedure, const char *form_hash, time_t received_at,
	    const char *channel, const struct buf *answers);

void	payload_init(struct payload *p);
/* 0 when json was read into p; -1 when declined (or out of memory): parse it with json-c. */
int	payload_read(struct payload *p, const char *json);
/*
 * The answer under key, or NULL.  *cursor (0 at first) remembers where the
 * last one was found: answers are looked up in the order they were written.
 */
const struct payload_answer *payload_get(const struct payload *p, const char *key, size_t *cursor);
void	payload_clear(struct payload *p);
void	payload_free(struct payload *p);

/*
 * The answers of an opened application as json-c reads them: its
 * "answers" object, with *root the whole object, which the caller puts
 * (json_object_put); NULL and *root NULL when text is not such an object.
 * tok: a tokener to reuse (one per thread), or NULL for a new one.
 */
json_object *payload_json(json_tokener *tok, const char *text, json_object **root);

#endif
