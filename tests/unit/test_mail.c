/* Unit tests for lib/mail.c: composing, header encoding, and whole messages read back by Python's email package. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang.h"
#include "mail.h"
#include "mo_build.h"
#include "t.h"

static const char yaml[] =
    "id: m-test\n"
    "title: {ja: 試験の申込み, en: Test application}\n"
    "section: sec-a\n"
    "opens_at: 2020-01-01 09:00\n"
    "retention_days: 30\n"
    "contact: {ja: 試験係 電話 03-0000-0000, en: Test desk phone 03-0000-0000}\n"
    "mail:\n"
    "  arrival:\n"
    "    subject:\n"
    "      ja: 【新宿区】{{title}}の申込みが届きました（受付番号 {{receipt}}）\n"
    "      en: \"[Shinjuku City] We have received your application: {{title}} ({{receipt}})\"\n"
    "    body:\n"
    "      ja: |\n"
    "        「{{title}}」の申込みが届きました。\n"
    "        受付番号：{{receipt}}\n"
    "        {{contact}}\n"
    "      en: |\n"
    "        We have received your application: {{title}}\n"
    "        Receipt number: {{receipt}}\n"
    "        {{contact}}\n"
    "  acceptance:\n"
    "    subject: 【新宿区】{{title}}の申込みを受け付けました\n"
    "    body: 受付番号：{{receipt}}\n"
    "fields:\n"
    "  - key: name\n"
    "    type: text\n"
    "    label: 氏名\n"
    "  - key: email\n"
    "    type: email\n"
    "    label: メール\n";

static struct procedure *
proc(void)
{
	return formdef_load_mem("m-test.yaml", yaml, sizeof(yaml) - 1, NULL, NULL, NULL);
}

/* Every line of a header block is at most 76 characters and ends in CRLF. */
static int
lines_ok(const struct buf *b)
{
	const char	*s = buf_cstr(b), *e;

	while (*s != '\0') {
		if ((e = strstr(s, "\r\n")) == NULL || e - s > 76)
			return 0;
		s = e + 2;
	}
	return 1;
}

/* Run Python's email parser on the bytes and print the decoded header (or the body). */
static int
python_decode(const struct buf *msg, const char *what, char *out, size_t len)
{
	char	path[] = "/tmp/test_mail.XXXXXX", cmd[512];
	FILE	*f, *p;
	size_t	n;
	int	fd = mkstemp(path);

	if (fd == -1 || (f = fdopen(fd, "wb")) == NULL)
		return -1;
	fwrite(msg->data, 1, msg->len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import email, email.policy, sys;"
	    " m = email.message_from_bytes(open(\"%s\", \"rb\").read(), policy=email.policy.default);"
	    " w = \"%s\"; sys.stdout.write(m.get_content() if w == \"body\" else str(m[w]))'", path, what);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
	unlink(path);
	return 0;
}

static void
recipient_field_and_texts(void)
{
	struct procedure *p = proc();

	T_CHECK(p != NULL);
	T_STREQ(mail_field(p)->key, "email");
	T_CHECK(mail_text(p, "arrival") != NULL);
	T_CHECK(mail_text(p, "return") == NULL && mail_text(p, "nonsense") == NULL);
	formdef_free(p);
}

static void
addresses(void)
{
	T_CHECK(mail_addr_ok("dummy@example.jp") && mail_addr_ok("a.b+c@sub.example.jp"));
	T_CHECK(!mail_addr_ok("") && !mail_addr_ok("no-at-sign") && !mail_addr_ok("a@b@c"));
	T_CHECK(!mail_addr_ok("a@example.jp\r\nBcc: x@example.jp") && !mail_addr_ok("a b@example.jp"));
	T_CHECK(!mail_addr_ok("<a@example.jp>") && !mail_addr_ok("山田@example.jp") && !mail_addr_ok("@example.jp"));
}

static void
compose_fills_placeholders(void)
{
	struct procedure	*p = proc();
	struct buf		 j;

	buf_init(&j);
	T_CHECK(p != NULL);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", NULL, "dummy@example.jp", "ja", &j) == 0);
	T_CHECK(strstr(buf_cstr(&j), "\"to\":\"dummy@example.jp\"") != NULL);
	T_CHECK(strstr(buf_cstr(&j), "【新宿区】試験の申込みの申込みが届きました（受付番号 1234-5678-9012）") != NULL);
	T_CHECK(strstr(buf_cstr(&j), "試験係 電話 03-0000-0000") != NULL);
	buf_reset(&j);
	T_CHECK(mail_compose(p, "return", "1234-5678-9012", NULL, "dummy@example.jp", "ja", &j) == MAIL_NONE);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", NULL, "", "ja", &j) == MAIL_NONE);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", NULL, "x@y\r\nBcc: z@w", "ja", &j) == -1);
	buf_wipe(&j);
	formdef_free(p);
}

/* {{participant_id}}: the ID issued with the application, empty when none was. */
static void
compose_fills_participant_id(void)
{
	static const char y[] = "id: m-id\ntitle: 登録\nsection: sec-a\nopens_at: 2020-01-01 09:00\n"
	    "retention_days: 30\ncontact: 係\nmail:\n  arrival:\n    subject: \"{{participant_id}}\"\n"
	    "    body: ID：{{participant_id}}\nfields:\n  - {key: email, type: email, label: メール}\n";
	struct procedure	*p = formdef_load_mem("m-id.yaml", y, sizeof(y) - 1, NULL, NULL, NULL);
	struct buf		 j;

	buf_init(&j);
	T_CHECK(p != NULL);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", "ECO-7992-7398-7138", "dummy@example.jp", "ja", &j) == 0);
	T_CHECK(strstr(buf_cstr(&j), "\"subject\":\"ECO-7992-7398-7138\"") != NULL);
	T_CHECK(strstr(buf_cstr(&j), "\"body\":\"ID：ECO-7992-7398-7138") != NULL);
	buf_reset(&j);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", NULL, "dummy@example.jp", "ja", &j) == 0);
	T_CHECK(strstr(buf_cstr(&j), "\"body\":\"ID：\"") != NULL);
	buf_reset(&j);	/* the clear text queued for the envelope carries it too */
	T_CHECK(mail_text_compose(p, "arrival", "1234-5678-9012", "ECO-7992-7398-7138", "ja", &j) == 0);
	T_CHECK(strstr(buf_cstr(&j), "\"body\":\"ID：ECO-7992-7398-7138") != NULL);
	buf_wipe(&j);
	formdef_free(p);
}

/* p's arrival mail in lang, composed (j) and as a whole message (m). */
static int
arrival_message(const struct procedure *p, const char *lang, struct buf *j, struct buf *m,
    struct mail_envelope *env)
{
	return p != NULL && mail_compose(p, "arrival", "1234-5678-9012", NULL, "dummy@example.jp", lang, j) == 0 &&
	    mail_message(j->data, j->len, "新宿区 電子申請 <no-reply@example.jp>", "outbox-1.2@example.jp",
	    1795000000, m, env) == 0 ? 0 : -1;
}

/* A mail in the language the resident applied in: the definition's English, the Japanese where it has none. */
static void
message_in_english(void)
{
	struct procedure	*p = proc();
	struct mail_envelope	 env;
	struct buf		 j, m;
	char			 out[1024];

	buf_init(&j);
	buf_init(&m);
	T_CHECK(arrival_message(p, "en", &j, &m, &env) == 0);
	T_CHECK(python_decode(&m, "Subject", out, sizeof(out)) == 0);
	T_STREQ(out, "[Shinjuku City] We have received your application: Test application (1234-5678-9012)");
	T_CHECK(python_decode(&m, "body", out, sizeof(out)) == 0);
	T_STREQ(out, "We have received your application: Test application\r\nReceipt number: 1234-5678-9012\r\n"
	    "Test desk phone 03-0000-0000\r\n");
	buf_reset(&j);
	T_CHECK(mail_compose(p, "acceptance", "1234-5678-9012", NULL, "dummy@example.jp", "en", &j) == 0);
	T_CHECK(strstr(buf_cstr(&j), "【新宿区】Test applicationの申込みを受け付けました") != NULL);
	buf_reset(&j);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", NULL, "dummy@example.jp", "fr", &j) == 0);
	T_CHECK(strstr(buf_cstr(&j), "【新宿区】試験の申込みの申込みが届きました") != NULL);
	buf_wipe(&j);
	buf_wipe(&m);
	formdef_free(p);
}

/* The text queued (nothing personal) and the envelope filled in: the mail mail_compose() makes. */
/* A waiting application's arrival text says its turn first, in its language; the rest is the definition's. */
static void
waitlisted_text_says_the_turn(void)
{
	struct procedure	*p = proc();
	struct langset		*langs = NULL, *none;
	struct buf		 text, out;
	char			 dir[4096];

	buf_init(&text);
	buf_init(&out);
	T_CHECK(p != NULL);
	T_CHECK(t_locale_dir(dir, sizeof(dir)) == 0 && (langs = langset_load(dir, NULL)) != NULL);
	T_CHECK(mail_text_compose(p, "arrival", "1234-5678-9012", "", "ja", &text) == 0);
	T_CHECK(mail_text_waitlisted(&langs, buf_cstr(&text), 3, "ja", &out) == 0);
	T_CHECK(strstr(buf_cstr(&out), "キャンセル待ち（3番目）") != NULL);
	T_CHECK(strstr(buf_cstr(&out), "受付番号 1234-5678-9012") != NULL);
	buf_reset(&out);
	T_CHECK(mail_text_waitlisted(&langs, buf_cstr(&text), 3, "en", &out) == 0);
	T_CHECK(strstr(buf_cstr(&out), "waiting list (number 3)") != NULL);
	buf_reset(&out);
	/* a language without a catalogue: Japanese */
	T_CHECK(mail_text_waitlisted(&langs, buf_cstr(&text), 2, "fr", &out) == 0);
	T_CHECK(strstr(buf_cstr(&out), "キャンセル待ち（2番目）") != NULL);
	buf_reset(&out);
	T_CHECK(mail_text_waitlisted(&langs, "{\"v\":1}", 3, "ja", &out) == -1);
	T_CHECK(mail_text_waitlisted(&langs, "not json", 3, "ja", &out) == -1);
	T_CHECK(mail_text_waitlisted(&langs, buf_cstr(&text), 0, "ja", &out) == -1);
	T_CHECK(mail_text_waitlisted(NULL, buf_cstr(&text), 3, "ja", &out) == -1);
	none = NULL;
	T_CHECK(mail_text_waitlisted(&none, buf_cstr(&text), 3, "ja", &out) == -1);
	buf_free(&text);
	buf_free(&out);
	langset_free(langs);
	formdef_free(p);
}

static void
text_and_envelope_make_the_mail(void)
{
	struct procedure	*p = proc();
	struct buf		 text, contact, filled, whole, m1, m2;
	struct mail_envelope	 e1, e2;

	buf_init(&text);
	buf_init(&contact);
	buf_init(&filled);
	buf_init(&whole);
	buf_init(&m1);
	buf_init(&m2);
	T_CHECK(p != NULL);
	T_CHECK(mail_text_compose(p, "arrival", "1234-5678-9012", NULL, "ja", &text) == 0);
	T_CHECK(strstr(buf_cstr(&text), "受付番号 1234-5678-9012") != NULL && strstr(buf_cstr(&text), "\"to\"") == NULL);
	T_CHECK(mail_contact("dummy@example.jp", &contact) == 0);
	T_STREQ(buf_cstr(&contact), "{\"v\":1,\"to\":\"dummy@example.jp\"}");
	T_CHECK(mail_fill(text.data, text.len, contact.data, contact.len, &filled) == 0);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", NULL, "dummy@example.jp", "ja", &whole) == 0);
	T_CHECK(mail_message(filled.data, filled.len, "a@example.jp", "m.1@example.jp", 0, &m1, &e1) == 0);
	T_CHECK(mail_message(whole.data, whole.len, "a@example.jp", "m.1@example.jp", 0, &m2, &e2) == 0);
	T_STREQ(buf_cstr(&m1), buf_cstr(&m2));
	T_STREQ(e1.to, "dummy@example.jp");
	T_CHECK(mail_text_compose(p, "return", "1234-5678-9012", NULL, "ja", &text) == MAIL_NONE);
	buf_free(&text);
	buf_wipe(&contact);
	buf_wipe(&filled);
	buf_wipe(&whole);
	buf_wipe(&m1);
	buf_wipe(&m2);
	formdef_free(p);
}

/* An envelope is made for a usable address only; a filled mail still meets mail_message()'s checks. */
static void
envelope_and_fill_refusals(void)
{
	static const char text[] = "{\"v\":1,\"subject\":\"s\",\"body\":\"b\"}";
	static const char bad[] = "{\"v\":1,\"to\":\"x@y\\r\\nBcc: z@example.jp\"}";
	struct buf		 b, msg;
	struct mail_envelope	 e;

	buf_init(&b);
	buf_init(&msg);
	T_CHECK(mail_contact("", &b) == MAIL_NONE && mail_contact(NULL, &b) == MAIL_NONE);
	T_CHECK(mail_contact("x@y\r\nBcc: z@example.jp", &b) == -1 && b.len == 0);
	T_CHECK(mail_contact("=?utf-8?q?x?=@example.jp", &b) == -1 && b.len == 0);
	T_CHECK(mail_fill(text, strlen(text), "{\"v\":1}", 7, &b) == -1);		/* no address */
	T_CHECK(mail_fill(text, strlen(text), "not json", 8, &b) == -1);
	T_CHECK(mail_fill("[1]", 3, "{\"to\":\"a@example.jp\"}", 22, &b) == -1);	/* not a text */
	T_CHECK(b.len == 0);
	/* an envelope made elsewhere with a header in its address: filled, then refused by the message */
	T_CHECK(mail_fill(text, strlen(text), bad, strlen(bad), &b) == 0);
	T_CHECK(mail_message(b.data, b.len, "a@example.jp", "m.1@example.jp", 0, &msg, &e) == -1);
	buf_wipe(&b);
	buf_wipe(&msg);
}

static void
queue_text_item(void)
{
	struct procedure	*p = proc();
	struct db_outbox_item	 m;

	T_CHECK(p != NULL);
	T_CHECK(mail_queue_text(p, "arrival", "1234-5678-9012", NULL, "ja", 77, &m) == 0);
	T_CHECK(m.text != NULL && m.sealed == NULL && m.at == 77 && m.release != NULL);
	T_STREQ(m.kind, "arrival");
	T_STREQ(m.procedure_id, "m-test");
	T_STREQ(m.section_id, "sec-a");
	m.release(&m, NULL);
	T_CHECK(m.text == NULL);
	T_CHECK(mail_queue_text(p, "return", "1234-5678-9012", NULL, "ja", 77, &m) == MAIL_NONE && m.text == NULL);
	formdef_free(p);
}

/*
 * The clear text queued for an application sent in English, filled with its
 * envelope by the mailer: the English mail; staff's acceptance text, which
 * the definition has only in Japanese, names the procedure in English.
 */
static void
queued_text_in_english(void)
{
	struct procedure	*p = proc();
	struct db_outbox_item	 q;
	struct mail_envelope	 env;
	struct buf		 contact, filled, m;
	char			 out[1024];

	buf_init(&contact);
	buf_init(&filled);
	buf_init(&m);
	T_CHECK(p != NULL && mail_queue_text(p, "arrival", "1234-5678-9012", NULL, "en", 77, &q) == 0);
	T_CHECK(mail_contact("dummy@example.jp", &contact) == 0);
	T_CHECK(mail_fill(q.text, strlen(q.text), contact.data, contact.len, &filled) == 0);
	T_CHECK(mail_message(filled.data, filled.len, "a@example.jp", "m.1@example.jp", 0, &m, &env) == 0);
	T_CHECK(python_decode(&m, "Subject", out, sizeof(out)) == 0);
	T_STREQ(out, "[Shinjuku City] We have received your application: Test application (1234-5678-9012)");
	q.release(&q, NULL);
	T_CHECK(mail_queue_text(p, "acceptance", "1234-5678-9012", NULL, "en", 77, &q) == 0);
	T_CHECK(strstr(q.text, "【新宿区】Test applicationの申込みを受け付けました") != NULL);
	q.release(&q, NULL);
	buf_wipe(&contact);
	buf_wipe(&filled);
	buf_wipe(&m);
	formdef_free(p);
}

static void
ascii_header_kept(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK(mail_header(&b, "Subject", "Hello") == 0);
	T_STREQ(buf_cstr(&b), "Subject: Hello\r\n");
	buf_free(&b);
}

static void
long_japanese_header_folds_and_decodes(void)
{
	const char	*subject = "【新宿区】とても長い件名の試験です。受付番号 1234-5678-9012 の申込みが届きました。"
	    "内容をご確認ください。髙﨑😀";
	struct buf	 b;
	char		 out[512];

	buf_init(&b);
	T_CHECK(mail_header(&b, "Subject", subject) == 0);
	T_CHECK(lines_ok(&b));
	T_CHECK(strstr(buf_cstr(&b), "=?UTF-8?B?") != NULL && strstr(buf_cstr(&b), "\r\n ") != NULL);
	buf_puts(&b, "\r\n");
	T_CHECK(python_decode(&b, "Subject", out, sizeof(out)) == 0);
	T_STREQ(out, subject);
	buf_free(&b);
}

static void
message_reads_back(void)
{
	struct procedure	*p = proc();
	struct mail_envelope	 env;
	struct buf		 j, m;
	char			 out[1024];

	buf_init(&j);
	buf_init(&m);
	T_CHECK(arrival_message(p, "ja", &j, &m, &env) == 0);
	T_STREQ(env.to, "dummy@example.jp");
	T_CHECK(lines_ok(&m));
	T_CHECK(strstr(buf_cstr(&m), "Date: Wed, 18 Nov 2026 20:06:40 +0900\r\n") != NULL);
	T_CHECK(strstr(buf_cstr(&m), "Message-ID: <outbox-1.2@example.jp>\r\n") != NULL);
	T_CHECK(strstr(buf_cstr(&m), "Content-Transfer-Encoding: base64\r\n") != NULL);
	T_CHECK(python_decode(&m, "Subject", out, sizeof(out)) == 0);
	T_STREQ(out, "【新宿区】試験の申込みの申込みが届きました（受付番号 1234-5678-9012）");
	T_CHECK(python_decode(&m, "From", out, sizeof(out)) == 0);
	T_STREQ(out, "新宿区 電子申請 <no-reply@example.jp>");
	T_CHECK(python_decode(&m, "body", out, sizeof(out)) == 0);
	/* the body travels with CRLF line ends */
	T_STREQ(out, "「試験の申込み」の申込みが届きました。\r\n受付番号：1234-5678-9012\r\n試験係 電話 03-0000-0000\r\n");
	buf_wipe(&j);
	buf_wipe(&m);
	formdef_free(p);
}

static void
message_refuses_bad_input(void)
{
	struct mail_envelope	env;
	struct buf		m;
	static const char	inject[] = "{\"to\":\"a@b.jp\\r\\nBcc: c@d.jp\",\"subject\":\"s\",\"body\":\"b\"}";
	static const char	missing[] = "{\"to\":\"a@b.jp\",\"body\":\"b\"}";

	buf_init(&m);
	T_CHECK(mail_message(inject, sizeof(inject) - 1, "a@b.jp", "x@y", 0, &m, &env) == -1);
	T_CHECK(mail_message(missing, sizeof(missing) - 1, "a@b.jp", "x@y", 0, &m, &env) == -1);
	T_CHECK(mail_message("not json", 8, "a@b.jp", "x@y", 0, &m, &env) == -1);
	T_CHECK(mail_message("{\"to\":\"a@b.jp\",\"subject\":\"s\",\"body\":\"b\"}", 40, "a@b.jp", "x>@y", 0, &m,
	    &env) == -1);
	buf_free(&m);
}

/* An encoded word in the local part: some mail programs decode it and show another address. */
static void
addresses_with_encoded_words_refused(void)
{
	T_CHECK(!mail_addr_ok("=?utf-8?b?YWRtaW5AZXhhbXBsZS5qcA==?=@example.jp"));
	T_CHECK(!mail_addr_ok("dummy=?x?=@example.jp") && !mail_addr_ok("=?@example.jp"));
	T_CHECK(mail_addr_ok("a=b?c@example.jp") && mail_addr_ok("a?=b@example.jp"));
}

/* The same plain addr-spec as the form accepts: dots in place, a domain of letters, digits and hyphens. */
static void
addresses_shaped_as_the_form_accepts(void)
{
	T_CHECK(!mail_addr_ok(".a@example.jp") && !mail_addr_ok("a..b@example.jp") && !mail_addr_ok("a@example"));
	T_CHECK(!mail_addr_ok("a@exa_mple.jp") && !mail_addr_ok("a@-example.jp") && !mail_addr_ok("a@[127.0.0.1]"));
	T_CHECK(mail_addr_ok("Dummy@Example.JP"));
}

static void
compose_refuses_encoded_word_address(void)
{
	struct procedure	*p = proc();
	struct buf		 j;

	buf_init(&j);
	T_CHECK(p != NULL);
	T_CHECK(mail_compose(p, "arrival", "1234-5678-9012", NULL, "=?utf-8?q?x?=@example.jp", "ja", &j) == -1);
	T_CHECK(j.len == 0);
	buf_free(&j);
	formdef_free(p);
}

/* A queued mail is checked again when the message is written (the queue is sealed, not signed). */
static void
message_refuses_encoded_word_recipient(void)
{
	static const char	json[] = "{\"to\":\"=?utf-8?b?YWRtaW5AZXhhbXBsZS5qcA==?=@example.jp\","
	    "\"subject\":\"s\",\"body\":\"b\"}";
	struct mail_envelope	env;
	struct buf		m;

	buf_init(&m);
	T_CHECK(mail_message(json, sizeof(json) - 1, "a@example.jp", "outbox-1.2@example.jp", 0, &m, &env) == -1);
	buf_free(&m);
}

static void
from_checked(void)
{
	T_CHECK(mail_from_ok("新宿区 電子申請 <no-reply@example.jp>") && mail_from_ok("no-reply@example.jp"));
	T_CHECK(mail_from_ok("<no-reply@example.jp>"));
	T_CHECK(!mail_from_ok("Name\r\nBcc: x@example.jp <a@example.jp>") && !mail_from_ok("Name <a@example.jp"));
	T_CHECK(!mail_from_ok("Name <a@example.jp>, evil@example.jp") && !mail_from_ok("Name <=?x?=@example.jp>"));
	T_CHECK(!mail_from_ok("=?utf-8?q?x?=@example.jp") && !mail_from_ok("Name <a@example.jp>\r\nBcc: x@y.jp"));
}

/* Every header the mailer writes: From and Message-ID as well as To. */
static void
message_refuses_bad_from_and_msgid(void)
{
	static const char	json[] = "{\"to\":\"a@example.jp\",\"subject\":\"s\",\"body\":\"b\"}";
	struct mail_envelope	env;
	struct buf		m;

	buf_init(&m);
	T_CHECK(mail_message(json, sizeof(json) - 1, "Dummy <a@example.jp>, evil@example.jp", "outbox-1.2@example.jp",
	    0, &m, &env) == -1);
	T_CHECK(mail_message(json, sizeof(json) - 1, "=?utf-8?q?x?=@example.jp", "outbox-1.2@example.jp", 0, &m,
	    &env) == -1);
	T_CHECK(mail_message(json, sizeof(json) - 1, "a@example.jp", "outbox-1.2@example.jp\r\nBcc: x@example.jp",
	    0, &m, &env) == -1);
	T_CHECK(mail_message(json, sizeof(json) - 1, "a@example.jp", "outbox 1@example.jp", 0, &m, &env) == -1);
	T_CHECK(mail_message(json, sizeof(json) - 1, "a@example.jp", "outbox-1.2@example.jp", 0, &m, &env) == 0);
	buf_wipe(&m);
}

/* ASCII text that looks like an encoded word is encoded itself, so it reads back as it was written. */
static void
encoded_word_text_in_subject_encoded(void)
{
	const char	*subject = "=?UTF-8?B?5YGV44Gu5Lu25ZCN?= notice";
	struct buf	 b;
	char		 out[256];

	buf_init(&b);
	T_CHECK(mail_header(&b, "Subject", subject) == 0);
	T_CHECK(strncmp(buf_cstr(&b), "Subject: =?UTF-8?B?", 19) == 0 && strstr(buf_cstr(&b), "notice") == NULL);
	buf_puts(&b, "\r\n");
	T_CHECK(python_decode(&b, "Subject", out, sizeof(out)) == 0);
	T_STREQ(out, subject);
	buf_free(&b);
}

/* An announcement: the section's subject and text as typed (no template), a footer, plain text, one line subject. */
static void
announcement_as_typed_in_plain_text(void)
{
	struct procedure	*p = proc();
	struct mail_envelope	 env;
	struct buf		 text, contact, filled, m;
	char			 out[1024];

	buf_init(&text);
	buf_init(&contact);
	buf_init(&filled);
	buf_init(&m);
	T_CHECK(p != NULL);
	T_CHECK(mail_announcement_text(p, "雨天中止のお知らせ", "中止します。\n{{receipt}} <b>x</b>", "1234-5678-9012",
	    &text) == 0);
	T_CHECK(mail_contact("dummy@example.jp", &contact) == 0);
	T_CHECK(mail_fill(text.data, text.len, contact.data, contact.len, &filled) == 0);
	T_CHECK(mail_message(filled.data, filled.len, "no-reply@example.jp", "m.1@example.jp", 1795000000, &m,
	    &env) == 0);
	T_CHECK(strstr(buf_cstr(&m), "Content-Type: text/plain; charset=UTF-8\r\n") != NULL);
	T_CHECK(python_decode(&m, "Subject", out, sizeof(out)) == 0);
	T_STREQ(out, "雨天中止のお知らせ");
	T_CHECK(python_decode(&m, "body", out, sizeof(out)) == 0);
	T_CHECK(strncmp(out, "中止します。\r\n{{receipt}} <b>x</b>\r\n\r\n", strlen("中止します。\r\n{{receipt}} <b>x</b>\r\n\r\n"))
	    == 0);
	T_CHECK(strstr(out, "このメールは「試験の申込み」にお申し込みの方にお送りしています。\r\n受付番号：1234-5678-9012\r\n"
	    "お問い合わせ先：試験係 電話 03-0000-0000\r\n") != NULL);
	buf_reset(&text);
	T_CHECK(mail_announcement_text(p, "雨天中止\r\nBcc: x@example.jp", "本文", "1234-5678-9012", &text) == -1);
	T_CHECK(mail_announcement_text(p, "雨天中止\n", "本文", "1234-5678-9012", &text) == -1);
	T_CHECK(mail_announcement_text(p, "雨天\t中止", "本文", "1234-5678-9012", &text) == -1);
	T_CHECK(mail_announcement_text(p, "雨天\x7f中止", "本文", "1234-5678-9012", &text) == -1);
	T_CHECK(text.len == 0);
	buf_free(&text);
	buf_wipe(&contact);
	buf_wipe(&filled);
	buf_wipe(&m);
	formdef_free(p);
}

int
main(void)
{
	if (seal_init() == -1)
		return 1;
	T_RUN(recipient_field_and_texts);
	T_RUN(addresses);
	T_RUN(compose_fills_placeholders);
	T_RUN(compose_fills_participant_id);
	T_RUN(text_and_envelope_make_the_mail);
	T_RUN(announcement_as_typed_in_plain_text);
	T_RUN(waitlisted_text_says_the_turn);
	T_RUN(envelope_and_fill_refusals);
	T_RUN(queue_text_item);
	T_RUN(queued_text_in_english);
	T_RUN(ascii_header_kept);
	T_RUN(long_japanese_header_folds_and_decodes);
	T_RUN(message_reads_back);
	T_RUN(message_in_english);
	T_RUN(message_refuses_bad_input);
	T_RUN(addresses_with_encoded_words_refused);
	T_RUN(addresses_shaped_as_the_form_accepts);
	T_RUN(compose_refuses_encoded_word_address);
	T_RUN(message_refuses_encoded_word_recipient);
	T_RUN(from_checked);
	T_RUN(message_refuses_bad_from_and_msgid);
	T_RUN(encoded_word_text_in_subject_encoded);
	return T_DONE();
}
