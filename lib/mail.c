#include "mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jnorm.h"
#include "lang.h"
#include "seal.h"
#include "tmpl.h"

const struct field *
mail_field(const struct procedure *p)
{
	size_t i;

	for (i = 0; i < p->nfields; i++)
		if (p->fields[i].type == FT_EMAIL)
			return &p->fields[i];
	return NULL;
}

const struct mailtext *
mail_text(const struct procedure *p, const char *kind)
{
	const struct mailtext *t = NULL;

	if (strcmp(kind, "arrival") == 0)
		t = &p->mail_arrival;
	else if (strcmp(kind, "acceptance") == 0)
		t = &p->mail_acceptance;
	else if (strcmp(kind, "return") == 0)
		t = &p->mail_return;
	else if (strcmp(kind, "promotion") == 0)
		t = &p->mail_promotion;
	else if (strcmp(kind, "won") == 0)
		t = &p->mail_won;
	else if (strcmp(kind, "lost") == 0)
		t = &p->mail_lost;
	else if (strcmp(kind, "reserve") == 0)
		t = &p->mail_reserve;
	return t != NULL && t->subject != NULL && t->body != NULL ? t : NULL;
}

const char *
mail_answer_to(const struct answers *as)
{
	const struct field	*f = mail_field(as->proc);
	const char		*to = "";
	size_t			 i;

	for (i = 0; f != NULL && i < as->n; i++)
		if (as->a[i].field == f && as->a[i].shown)
			to = buf_cstr(&as->a[i].value);
	return to;
}

int
mail_addr_ok(const char *a)
{
	return jn_email_ok(a, strlen(a));
}

int
mail_from_ok(const char *from)
{
	const char	*lt = strchr(from, '<'), *p;
	size_t		 n;

	if (lt == NULL)
		return mail_addr_ok(from);
	for (p = from; p < lt; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	n = strlen(lt);
	return n >= 3 && lt[n - 1] == '>' && jn_email_ok(lt + 1, n - 2);
}

/*
 * Fill the definition's placeholders with the template engine in
 * plain-text mode, in lang; {{reserve_number}} is number (補欠's), "" for 0.
 */
static int
render(const char *name, const char *text, const struct procedure *p, const char *receipt, const char *participant,
    const char *lang, long number, struct buf *out)
{
	struct tset	*t;
	struct tvars	*v;
	char		 n[24] = "";
	int		 rc = -1;

	if (number > 0)
		(void)snprintf(n, sizeof(n), "%ld", number);
	text = formdef_text(p, lang, text);
	if ((t = tset_load_mem(name, text, strlen(text), NULL)) == NULL)
		return -1;
	if ((v = tvars_new()) != NULL && tvars_set(v, "receipt", receipt) == 0 &&
	    tvars_set(v, "participant_id", participant != NULL ? participant : "") == 0 &&
	    tvars_set(v, "title", formdef_text(p, lang, p->title)) == 0 &&
	    tvars_set(v, "contact", p->contact ? formdef_text(p, lang, p->contact) : "") == 0 &&
	    tvars_set(v, "reserve_number", n) == 0)
		rc = tset_render(t, name, v, out, NULL);
	tvars_free(v);
	tset_free(t);
	return rc;
}

/* A subject is one line whatever the definition says. */
static void
one_line(struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (b->data[i] == '\r' || b->data[i] == '\n')
			b->data[i] = ' ';
}

/*
 * The definition's text of kind for receipt in lang: a new
 * {"v":1,"subject","body"} in *o; MAIL_NONE when it has none.
 */
static int
text_object(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
    const char *lang, long number, json_object **o)
{
	const struct mailtext	*t = mail_text(p, kind);
	struct buf		 subject, body;
	int			 rc = -1;

	*o = NULL;
	if (t == NULL)
		return MAIL_NONE;
	buf_init(&subject);
	buf_init(&body);
	if (render("subject.txt", t->subject, p, receipt, participant, lang, number, &subject) == -1 ||
	    render("body.txt", t->body, p, receipt, participant, lang, number, &body) == -1)
		goto done;
	one_line(&subject);
	if ((*o = json_object_new_object()) != NULL &&
	    json_object_object_add(*o, "v", json_object_new_int(1)) == 0 &&
	    json_object_object_add(*o, "subject", json_object_new_string(buf_cstr(&subject))) == 0 &&
	    json_object_object_add(*o, "body", json_object_new_string(buf_cstr(&body))) == 0)
		rc = 0;
done:
	if (rc == -1) {
		json_object_put(*o);
		*o = NULL;
	}
	buf_free(&subject);
	buf_free(&body);
	return rc;
}

/* o's JSON appended to out; json-c's own copy is wiped (it may hold an address). */
static int
put_json(json_object *o, struct buf *out)
{
	const char	*s;
	size_t		 len;
	int		 rc;

	if ((s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    &len)) == NULL)
		return -1;
	rc = buf_put(out, s, len);
	seal_wipe((void *)s, len);	/* json-c frees its copy without wiping */
	return rc;
}

/* o with "to": to added, appended to json. */
static int
put_with_to(json_object *o, const char *to, struct buf *json)
{
	json_object *v = json_object_new_string(to);

	if (v == NULL || json_object_object_add(o, "to", v) != 0) {
		json_object_put(v);
		return -1;
	}
	return put_json(o, json);
}

int
mail_compose(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
    const char *to, const char *lang, struct buf *json)
{
	json_object	*o;
	int		 rc;

	if (to == NULL || *to == '\0' || mail_text(p, kind) == NULL)
		return MAIL_NONE;
	if (!mail_addr_ok(to))
		return -1;
	if ((rc = text_object(p, kind, receipt, participant, lang, 0, &o)) == 0)
		rc = put_with_to(o, to, json);
	json_object_put(o);
	return rc;
}

int
mail_contact(const char *to, struct buf *json)
{
	json_object	*o;
	int		 rc = -1;

	if (to == NULL || *to == '\0')
		return MAIL_NONE;
	if (!mail_addr_ok(to))
		return -1;
	if ((o = json_object_new_object()) != NULL && json_object_object_add(o, "v", json_object_new_int(1)) == 0)
		rc = put_with_to(o, to, json);
	json_object_put(o);
	return rc;
}

int
mail_compose_text(const char *to, const char *subject, const char *body, struct buf *json)
{
	json_object	*o;
	int		 rc = -1;

	if (!mail_addr_ok(to) || strpbrk(subject, "\r\n") != NULL)
		return -1;
	if ((o = json_object_new_object()) != NULL &&
	    json_object_object_add(o, "v", json_object_new_int(1)) == 0 &&
	    json_object_object_add(o, "subject", json_object_new_string(subject)) == 0 &&
	    json_object_object_add(o, "body", json_object_new_string(body)) == 0)
		rc = put_with_to(o, to, json);
	json_object_put(o);
	return rc;
}

int
mail_announcement_text(const struct procedure *p, const char *subject, const char *text, const char *receipt,
    struct buf *json)
{
	json_object	*o;
	struct buf	 body;
	int		 rc = -1;
	const char	*c;

	for (c = subject; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return -1;
	buf_init(&body);
	buf_printf(&body, "%s\n\n――――――――――――――――――――\n"
	    "このメールは「%s」にお申し込みの方にお送りしています。\n受付番号：%s\n", text,
	    formdef_text(p, "ja", p->title), receipt);
	if (p->contact != NULL)
		buf_printf(&body, "お問い合わせ先：%s\n", formdef_text(p, "ja", p->contact));
	if (!body.oom && (o = json_object_new_object()) != NULL) {
		if (json_object_object_add(o, "v", json_object_new_int(1)) == 0 &&
		    json_object_object_add(o, "subject", json_object_new_string(subject)) == 0 &&
		    json_object_object_add(o, "body", json_object_new_string(buf_cstr(&body))) == 0)
			rc = put_json(o, json);
		json_object_put(o);
	}
	buf_free(&body);
	return rc;
}

static int
text_compose(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
    const char *lang, long number, struct buf *json)
{
	json_object	*o;
	int		 rc;

	if ((rc = text_object(p, kind, receipt, participant, lang, number, &o)) == 0)
		rc = put_json(o, json);
	json_object_put(o);
	return rc;
}

int
mail_text_compose(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
    const char *lang, struct buf *json)
{
	return text_compose(p, kind, receipt, participant, lang, 0, json);
}

static json_object *
parse(const char *json, size_t len)
{
	json_tokener	*tok = json_tokener_new();
	json_object	*o;

	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	return o;
}

static const char *
json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
mail_text_waitlisted(void *langs, const char *text, long position, const char *lang, struct buf *out)
{
	json_object		*t = parse(text, strlen(text)), *nb;
	const char		*body = t != NULL ? json_str(t, "body") : NULL;
	struct langset *const	*set = langs;
	const struct lang	*l = set != NULL && *set != NULL ? langset_get(*set, lang) : NULL;
	struct buf		 b;
	char			 n[24];
	int			 rc = -1;

	buf_init(&b);
	if (body == NULL || position < 1 || set == NULL || *set == NULL)
		goto done;
	if (l == NULL)
		l = langset_at(*set, 0);
	(void)snprintf(n, sizeof(n), "%ld", position);
	if (lang_format(l, &b, N_("mail.waitlisted"), "position", n, (const char *)NULL) == -1 ||
	    buf_printf(&b, "\n\n%s", body) == -1)
		goto done;
	if (b.oom || (nb = json_object_new_string_len(b.data, (int)b.len)) == NULL)
		goto done;
	json_object_object_add(t, "body", nb);
	rc = put_json(t, out);
done:
	json_object_put(t);
	buf_free(&b);
	return rc;
}

int
mail_fill(const char *text, size_t text_len, const char *contact, size_t contact_len, struct buf *json)
{
	json_object	*t = parse(text, text_len), *c = parse(contact, contact_len);
	const char	*to;
	int		 rc = -1;

	if (t != NULL && c != NULL && json_object_is_type(t, json_type_object) && (to = json_str(c, "to")) != NULL) {
		rc = put_with_to(t, to, json);
		seal_wipe((void *)to, strlen(to));	/* json-c frees its strings without wiping them */
	}
	json_object_put(t);
	json_object_put(c);
	return rc;
}

static void
release_allocated(struct db_outbox_item *m, void *arg)
{
	(void)arg;
	free((void *)m->sealed);
	free((void *)m->text);
	m->sealed = NULL;
	m->text = NULL;
}

int
mail_queue_item(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
    const char *to, const char *lang, const unsigned char mailer_pk[SEAL_PK_LEN], time_t now, struct db_outbox_item *m)
{
	struct buf	json, sealed;
	int		rc;

	buf_init(&json);
	buf_init(&sealed);
	memset(m, 0, sizeof(*m));
	if ((rc = mail_compose(p, kind, receipt, participant, to, lang, &json)) == 0 &&
	    (rc = seal_box(mailer_pk, json.data, json.len, &sealed)) == 0) {
		m->kind = kind;
		m->procedure_id = p->id;
		m->section_id = p->section;
		m->sealed_len = sealed.len;
		m->sealed = buf_take(&sealed);
		m->at = now;
		m->release = release_allocated;
		rc = m->sealed != NULL ? 0 : -1;
	}
	buf_wipe(&json);
	buf_free(&sealed);
	return rc;
}

int
mail_queue_text(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
    const char *lang, time_t now, struct db_outbox_item *m)
{
	return mail_queue_numbered(p, kind, receipt, participant, lang, 0, now, m);
}

int
mail_queue_later(struct db *db, const struct procedure *p, const char *kind, const char *receipt, long number,
    time_t now, struct db_outbox_item *m)
{
	struct db_app_status	st;
	int			rc;

	memset(m, 0, sizeof(*m));
	if ((rc = db_envelope_has(db, receipt)) != 1)
		return rc == 0 ? DB_NOTFOUND : -1;
	if (db_app_status(db, receipt, &st) != 0)
		return -1;
	rc = mail_queue_numbered(p, kind, receipt, st.participant, st.lang, number, now, m);
	return rc == MAIL_NONE ? DB_NOTFOUND : rc;
}

int
mail_queue_numbered(const struct procedure *p, const char *kind, const char *receipt, const char *participant,
    const char *lang, long number, time_t now, struct db_outbox_item *m)
{
	struct buf	json;
	int		rc;

	buf_init(&json);
	memset(m, 0, sizeof(*m));
	if ((rc = text_compose(p, kind, receipt, participant, lang, number, &json)) == 0) {
		m->kind = kind;
		m->procedure_id = p->id;
		m->section_id = p->section;
		m->text = buf_take(&json);
		m->at = now;
		m->release = release_allocated;
		rc = m->text != NULL ? 0 : -1;
	}
	buf_free(&json);
	return rc;
}

/* ---- the message ---- */

/*
 * RFC 2047 "B" encoded-words, written by hand: a MIME library (GMime) would
 * bring GLib for this and the base64 body.  Each word holds whole UTF-8
 * characters and each line stays within 76 characters; further words go on
 * continuation lines (the folding space between encoded-words is not part
 * of the text, RFC 2047 section 6.2).
 */
#define LINE_MAX_CHARS	76
#define WORD_OVERHEAD	12	/* "=?UTF-8?B?" and "?=" */

static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n > 0 ? n : (len < max ? len : max);	/* not UTF-8: cut anywhere rather than loop */
}

/* Text a header may hold as it is: printable ASCII with nothing a mail program would decode ("=?"). */
static int
plain_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || (s[0] == '=' && s[1] == '?'))
			return 0;
	return 1;
}

/* Encoded words for text, the first after `used` characters already on the line; returns the last line's length. */
static size_t
encoded_words(struct buf *out, const char *text, size_t used)
{
	size_t	len = strlen(text), n, room, start;

	while (len > 0) {
		room = (LINE_MAX_CHARS - used - 1 - WORD_OVERHEAD) / 4 * 3;
		n = utf8_cut(text, len, room < 48 ? room : 48);
		buf_puts(out, " =?UTF-8?B?");
		start = out->len;
		seal_base64(text, n, out);
		used += 1 + WORD_OVERHEAD + (out->len - start);
		buf_puts(out, "?=");
		text += n;
		len -= n;
		if (len > 0) {
			buf_puts(out, "\r\n");	/* the next word starts a continuation line */
			used = 0;
		}
	}
	return used;
}

int
mail_header(struct buf *out, const char *name, const char *utf8)
{
	size_t used = strlen(name) + 1;

	if (plain_text(utf8) && used + 1 + strlen(utf8) <= LINE_MAX_CHARS)
		return buf_printf(out, "%s: %s\r\n", name, utf8);
	buf_printf(out, "%s:", name);
	(void)encoded_words(out, utf8, used);
	buf_puts(out, "\r\n");
	return out->oom ? -1 : 0;
}

/* "From: =?UTF-8?B?...?= <addr>" for "Name <addr>", or the address alone. */
static int
from_header(struct buf *out, const char *from)
{
	const char	*lt = strchr(from, '<');
	struct buf	 name;
	size_t		 used;

	if (lt == NULL)
		return buf_printf(out, "From: %s\r\n", from);
	buf_init(&name);
	buf_put(&name, from, (size_t)(lt - from));
	while (name.len > 0 && name.data[name.len - 1] == ' ')
		name.data[--name.len] = '\0';
	buf_puts(out, "From:");
	used = encoded_words(out, buf_cstr(&name), strlen("From:"));
	if (used + 1 + strlen(lt) > LINE_MAX_CHARS)
		buf_puts(out, "\r\n");
	buf_printf(out, " %s\r\n", lt);
	buf_free(&name);
	return out->oom ? -1 : 0;
}

/* RFC 5322 date in JST (+0900), whatever the machine's TZ. */
static int
date_header(struct buf *out, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
	    "Oct", "Nov", "Dec" };
	time_t		jst = t + 9 * 60 * 60;
	struct tm	tm;

	if (gmtime_r(&jst, &tm) == NULL)
		return -1;
	return buf_printf(out, "Date: %s, %d %s %04d %02d:%02d:%02d +0900\r\n", days[tm.tm_wday], tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The body as base64 of its UTF-8 with CRLF line ends, in lines of 76 characters. */
static int
body_base64(struct buf *out, const char *text)
{
	struct buf	crlf;
	size_t		off, n;

	buf_init(&crlf);
	for (; *text != '\0'; text++) {
		if (*text == '\n' && (crlf.len == 0 || crlf.data[crlf.len - 1] != '\r'))
			buf_putc(&crlf, '\r');
		buf_putc(&crlf, *text);
	}
	for (off = 0; off < crlf.len; off += n) {
		n = crlf.len - off < 57 ? crlf.len - off : 57;	/* 57 bytes -> 76 characters */
		seal_base64(crlf.data + off, n, out);
		buf_puts(out, "\r\n");
	}
	buf_wipe(&crlf);
	return out->oom ? -1 : 0;
}

int
mail_message(const char *json, size_t len, const char *from, const char *msgid, time_t date,
    struct buf *out, struct mail_envelope *env)
{
	json_object	*o = parse(json, len);
	const char	*to, *subject, *body;
	int		 rc = -1;

	/* Every header value is checked here, whoever made it: the queue is sealed, not signed. */
	if (o == NULL || (to = json_str(o, "to")) == NULL || (subject = json_str(o, "subject")) == NULL ||
	    (body = json_str(o, "body")) == NULL || !mail_addr_ok(to) || !mail_from_ok(from) ||
	    !jn_email_ok(msgid, strlen(msgid)))
		goto done;
	snprintf(env->to, sizeof(env->to), "%s", to);
	if (date_header(out, date) == -1 || from_header(out, from) == -1)
		goto done;
	buf_printf(out, "To: %s\r\n", to);
	mail_header(out, "Subject", subject);
	buf_printf(out, "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", msgid);
	rc = body_base64(out, body) == 0 && !out->oom ? 0 : -1;
	/* json-c frees its strings without wiping them; the address and body are personal. */
	seal_wipe((void *)to, strlen(to));
	seal_wipe((void *)body, strlen(body));
done:
	json_object_put(o);
	return rc;
}
