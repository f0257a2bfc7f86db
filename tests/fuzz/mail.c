/*
 * Fuzz harness for lib/mail.c.  The first byte picks the target:
 * even: the input is a queued mail's JSON for mail_message(); whatever it
 * holds, a message that is written has CRLF lines of at most 78 characters
 * in its header block (the To: line excepted: an address is not folded, and
 * RFC 5322 allows it up to 998), exactly one To: header, and no header the
 * input could have added (Bcc, Cc).  odd: the input is a header text for
 * mail_header(); every line stays within 76 characters and ends in CRLF.
 * Both: every "=?" in a header starts an encoded word of our own
 * (=?UTF-8?B?...?=), so nothing the input holds is decoded by a mail program.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"

static void
check_lines(const char *s, size_t max)
{
	const char	*e;
	size_t		 limit;

	while (*s != '\0') {
		limit = strncmp(s, "To: ", 4) == 0 ? 998 : max;
		if ((e = strstr(s, "\r\n")) == NULL || (size_t)(e - s) > limit || memchr(s, '\n', (size_t)(e - s)))
			abort();
		s = e + 2;
	}
}

static void
check_encoded_words(const char *s)
{
	const char *p;

	while ((p = strstr(s, "=?")) != NULL) {
		if (strncmp(p, "=?UTF-8?B?", 10) != 0)
			abort();
		p += 10;
		p += strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
		if (strncmp(p, "?=", 2) != 0)
			abort();
		s = p + 2;
	}
}

static void
check_message(const struct buf *m)
{
	const char	*end = strstr(buf_cstr(m), "\r\n\r\n"), *p;
	size_t		 to = 0;
	char		*head;

	if (end == NULL)
		abort();
	head = strndup(buf_cstr(m), (size_t)(end - buf_cstr(m)) + 2);
	if (head == NULL)
		return;
	check_lines(head, 78);
	check_encoded_words(head);
	for (p = head; (p = strstr(p, "\r\nTo: ")) != NULL; p++)
		to++;
	if (to != 1 || strstr(head, "\r\nBcc") != NULL || strstr(head, "\r\nCc") != NULL)
		abort();
	free(head);
	check_lines(end + 4, 76);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_envelope	 env;
	struct buf		 out;
	char			*text;

	if (size < 1)
		return 0;
	buf_init(&out);
	if ((data[0] & 1) == 0) {
		if (mail_message((const char *)data + 1, size - 1, "新宿区 電子申請 <no-reply@example.jp>",
		    "outbox-1.2@example.jp", 1795000000, &out, &env) == 0)
			check_message(&out);
	} else if ((text = strndup((const char *)data + 1, size - 1)) != NULL) {
		if (mail_header(&out, "Subject", text) == 0) {
			check_lines(buf_cstr(&out), 76);
			check_encoded_words(buf_cstr(&out));
		}
		free(text);
	}
	buf_free(&out);
	return 0;
}
