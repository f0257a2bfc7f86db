/*
 * Unit tests for lib/payload.c: what apply writes is read, with every
 * escape json-c writes; what is outside the subset is declined; and on
 * thousands of mutated payloads, whatever is read is read as json-c reads it
 * (payload_check.h).  payload_json(), the json-c way, finds the answers
 * object or nothing, with a tokener of its own or the caller's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "payload_check.h"
#include "t.h"

static void
apply_payload_read(void)
{
	const char *text = "{\"v\":1,\"procedure\":\"e2e-open\",\"form_hash\":\"ab\",\"received_at\":1763856000,"
	    "\"answers\":{\"name\":\"試験 花子\",\"topics\":[\"food\",\"sleep\"],\"none\":[],\"empty\":\"\"}}";
	const struct payload_answer	*a;
	struct payload			 p;
	size_t				 cursor = 0;

	payload_init(&p);
	T_CHECK(payload_read(&p, text) == 0);
	T_CHECK(p.nanswers == 4);
	T_CHECK((a = payload_get(&p, "name", &cursor)) != NULL);
	T_STREQ(a->value, "試験 花子");
	T_CHECK((a = payload_get(&p, "topics", &cursor)) != NULL && a->value == NULL && a->nitems == 2);
	T_STREQ(a->items[0], "food");
	T_STREQ(a->items[1], "sleep");
	T_CHECK((a = payload_get(&p, "none", &cursor)) != NULL && a->value == NULL && a->nitems == 0);
	T_CHECK((a = payload_get(&p, "empty", &cursor)) != NULL);
	T_STREQ(a->value, "");
	T_CHECK(payload_get(&p, "missing", &cursor) == NULL);
	cursor = 3;	/* a look-up out of order still finds it */
	T_CHECK((a = payload_get(&p, "name", &cursor)) != NULL);
	payload_free(&p);
}

/* The sealed record as apply and staff write it: the channel only for a paper application; read back. */
static void
written_payload_read(void)
{
	struct buf			 out, answers;
	struct payload			 p;
	const struct payload_answer	*a;
	size_t				 cursor = 0;

	buf_init(&out);
	buf_init(&answers);
	payload_init(&p);
	T_CHECK(buf_puts(&answers, "{\"name\":\"試験\"}") == 0);
	T_CHECK(payload_write(&out, "e2e-open", "ab", 1763856000, NULL, &answers) == 0);
	T_STREQ(buf_cstr(&out), "{\"v\":1,\"procedure\":\"e2e-open\",\"form_hash\":\"ab\",\"received_at\":1763856000,"
	    "\"answers\":{\"name\":\"試験\"}}");
	buf_reset(&out);
	T_CHECK(payload_write(&out, "e2e-open", "ab", 1763856000, "web", &answers) == 0);
	T_CHECK(strstr(buf_cstr(&out), "channel") == NULL);
	buf_reset(&out);
	T_CHECK(payload_write(&out, "e2e-open", "ab", 1763856000, "post", &answers) == 0);
	T_CHECK(strstr(buf_cstr(&out), ",\"channel\":\"post\",\"answers\":{") != NULL);
	T_CHECK(payload_read(&p, buf_cstr(&out)) == 0);
	T_CHECK((a = payload_get(&p, "name", &cursor)) != NULL);
	T_STREQ(a->value, "試験");
	payload_free(&p);
	buf_free(&out);
	buf_free(&answers);
}

static void
escapes_decoded(void)
{
	const char	*text = "{\"answers\":{\"n\\u0061me\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t"
	    " \\u0041\\u00e9\\u3042\\uFFFD\"}}";
	struct payload	 p;
	size_t		 cursor = 0;
	int		 read;

	payload_init(&p);
	T_CHECK(payload_read(&p, text) == 0);
	T_CHECK(payload_get(&p, "name", &cursor) != NULL);
	T_STREQ(payload_get(&p, "name", &cursor)->value, "q\" b\\ s/ \b\f\n\r\t Aéあ\xef\xbf\xbd");
	payload_free(&p);
	T_CHECK(payload_agrees_with_json_c(text, &read) && read);
}

static void
outside_the_subset_declined(void)
{
	static const char *const declined[] = {
		"", "[]", "{}", "{\"v\":1}", "null",
		"{\"answers\":[]}", "{\"answers\":\"x\"}", "{\"answers\":{}, \"answers\":{}}",
		"{\"answers\":{\"a\":1}}", "{\"answers\":{\"a\":null}}", "{\"answers\":{\"a\":true}}",
		"{\"answers\":{\"a\":{}}}", "{\"answers\":{\"a\":[1]}}", "{\"answers\":{\"a\":[\"x\",]}}",
		"{\"answers\":{\"a\":\"x\",\"a\":\"y\"}}",			/* json-c keeps the last */
		"{\"answers\":{\"a\":\"\\u0000\"}}", "{\"answers\":{\"a\":\"\\ud83c\\udf59\"}}",
		"{\"answers\":{\"a\":\"\\udc00\"}}", "{\"answers\":{\"a\":\"\\x41\"}}",
		"{\"answers\":{\"a\":\"\\u12G4\"}}", "{\"answers\":{\"a\":\"tab\there\"}}",
		"{\"answers\":{\"a\":\"x\"}} trailing", "{\"answers\":{\"a\":\"x\"},}",
		"{'answers':{'a':'x'}}", "{\"answers\":{\"a\":\"x\"}", "{\"answers\":{\"a\":\"x",
		"{\"v\":1.5,\"answers\":{}}", "{\"v\":1e3,\"answers\":{}}", "{\"v\":01,\"answers\":{}}",
		"{\"v\":-,\"answers\":{}}", "{\"v\":1234567890123456789,\"answers\":{}}",
		"{\"v\":truex,\"answers\":{}}", "{\"v\":NaN,\"answers\":{}}",
		"{\"v\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]],\"answers\":{}}",
		"{\"answers\":{}}\v", "\xef\xbb\xbf{\"answers\":{}}",
	};
	struct payload	p;
	size_t		i;

	payload_init(&p);
	for (i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
		if (payload_read(&p, declined[i]) != -1)
			printf("# read, not declined: %s\n", declined[i]);
		T_CHECK(payload_read(&p, declined[i]) == -1);
		T_CHECK(p.nanswers == 0);
	}
	payload_free(&p);
}

static void
skipped_members_and_white_space(void)
{
	const char	*text = " \t\r\n{ \"x\" : [ { \"y\" : [ true , false , null , -0 , 123456789012345678 ] } ] ,"
	    " \"answers\" : { \"a\" : [ \"1\" , \"2\" ] } , \"z\" : { } }\n";
	int		 read;

	T_CHECK(payload_agrees_with_json_c(text, &read) && read);
}

/* Pieces that make JSON, break it, or sit at the edges of what payload.c reads. */
static const char *const pieces[] = {
	"{", "}", "[", "]", ",", ":", "\"", "\\", " ", "\n", "\t", "\r", "\"answers\"", "\"a\"", "\"b\"",
	"\"x\":", "true", "false", "null", "0", "-1", "12", "1.5", "1e2", "\\u0041", "\\u00e9", "\\u3042",
	"\\ud83c", "\\udf59", "\\u0000", "\\n", "\\\"", "\\/", "\\q", "あ", "\xff", "\x01", "'", "\"answers\":{",
	"\"answers\":{\"a\":\"v\"}", "[\"p\",\"q\"]", "\"s\"",
};

/* A payload in apply's shape with n random changes, into out. */
static void
mutate(unsigned *seed, int n, struct buf *out)
{
	static const char	*base = "{\"v\":1,\"procedure\":\"p\",\"received_at\":17,\"answers\":"
	    "{\"a\":\"試験\",\"b\":[\"x\",\"y\"],\"c\":\"\\\"q\\\"\\n\"}}";
	struct buf		 next;
	size_t			 at;
	const char		*piece;

	buf_reset(out);
	buf_puts(out, base);
	while (n-- > 0) {
		buf_init(&next);
		at = (size_t)rand_r(seed) % (out->len + 1);
		piece = pieces[(size_t)rand_r(seed) % (sizeof(pieces) / sizeof(pieces[0]))];
		buf_put(&next, out->data, at);
		if (rand_r(seed) % 3 != 0)	/* insert, or replace a few bytes */
			buf_puts(&next, piece);
		at += rand_r(seed) % 2 ? 0 : (size_t)rand_r(seed) % 4;
		if (at < out->len)
			buf_puts(&next, out->data + at);
		buf_reset(out);
		buf_put(out, next.data, next.len);
		buf_free(&next);
	}
}

static void
mutated_payloads_read_as_json_c_reads_them(void)
{
	struct buf	text;
	unsigned	seed = 20261123;
	int		i, read, nread = 0, ndeclined = 0;

	buf_init(&text);
	for (i = 0; i < 20000; i++) {
		mutate(&seed, 1 + i % 4, &text);
		if (!payload_agrees_with_json_c(buf_cstr(&text), &read))
			printf("# differs from json-c: %s\n", buf_cstr(&text));
		T_CHECK(payload_agrees_with_json_c(buf_cstr(&text), &read));
		nread += read;
		ndeclined += !read;
	}
	printf("# %d read, %d declined\n", nread, ndeclined);
	T_CHECK(nread > 2000 && ndeclined > 2000);	/* both sides exercised */
	buf_free(&text);
}

/* The string answer under key in a json-c answers object, or NULL. */
static const char *
json_answer(json_object *answers, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(answers, key, &v) ? json_object_get_string(v) : NULL;
}

static void
json_reader_finds_answers_or_nothing(void)
{
	static const char *const not_payloads[] = {
		"{\"answers\":[]}", "{\"v\":1}", "[1]", "\"answers\"", "", "{\"answers\":",
	};
	json_tokener	*tok = json_tokener_new();
	json_object	*root = (json_object *)1, *a;
	size_t		 i;

	T_CHECK(tok != NULL);
	a = payload_json(NULL, "{\"v\":1,\"answers\":{\"n\":1,\"name\":\"試験\"}}", &root);
	T_CHECK(a != NULL && root != NULL);
	T_STREQ(json_answer(a, "name"), "試験");
	T_STREQ(json_answer(a, "n"), "1");	/* declined by payload_read(), read here */
	json_object_put(root);
	for (i = 0; i < sizeof(not_payloads) / sizeof(not_payloads[0]); i++) {
		root = (json_object *)1;
		T_CHECK(payload_json(i % 2 ? tok : NULL, not_payloads[i], &root) == NULL && root == NULL);
	}
	/* The reused tokener starts afresh after a text that stopped half-way. */
	T_CHECK((a = payload_json(tok, "{\"answers\":{\"k\":\"v\"}}", &root)) != NULL);
	T_STREQ(json_answer(a, "k"), "v");
	json_object_put(root);
	json_tokener_free(tok);
}

int
main(void)
{
	T_RUN(apply_payload_read);
	T_RUN(written_payload_read);
	T_RUN(escapes_decoded);
	T_RUN(outside_the_subset_declined);
	T_RUN(skipped_members_and_white_space);
	T_RUN(mutated_payloads_read_as_json_c_reads_them);
	T_RUN(json_reader_finds_answers_or_nothing);
	return T_DONE();
}
