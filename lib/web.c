#include "web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datadir.h"
#include "esc.h"
#include "log.h"
#include "seal.h"

void
web_init(struct web *w)
{
	http_init(&w->req);
}

void
web_reset(struct web *w)
{
	http_reset(&w->req);
	kv_free(&w->cookies);
	tvars_free(w->vars);
	w->vars = NULL;
	seal_wipe(w->csrf_cookie, sizeof(w->csrf_cookie));
	w->csrf_new = 0;
	w->lang = NULL;
}

#define MAX_LANG_TAGS 32

void
web_choose_lang(struct web *w, int choose, const struct kv_value *cookie)
{
	const char	*tags[MAX_LANG_TAGS];
	size_t		 i, n;
	int		 best;

	w->lang = NULL;
	if (w->langs == NULL)
		return;
	if (!choose) {
		w->lang = langset_at(w->langs, 0);
		return;
	}
	if (cookie != NULL && (w->lang = langset_get(w->langs, cookie->p)) != NULL)
		return;
	n = langset_count(w->langs);
	for (i = 0; i < n && i < MAX_LANG_TAGS; i++)
		tags[i] = langset_at(w->langs, i)->tag;
	best = lang_accept(w->req.accept_language, tags, i);
	w->lang = langset_at(w->langs, best > 0 ? (size_t)best : 0);
}

const char *
web_text(const struct web *w, const char *id)
{
	return w->lang != NULL ? lang_msg(w->lang, id) : id;
}

int
web_back_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] != '/' || len > 256)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr("/-_.", s[i]) != NULL) || s[i] == '\0')
			return 0;
		if (i > 0 && s[i - 1] == '/' && (s[i] == '/' || (s[i] == '.' && i + 1 < len && s[i + 1] == '.')))
			return 0;
	}
	return 1;
}

/* What every page in a language shows (see web_render). */
static int
lang_vars(struct web *w)
{
	const char *path = w->req.path;

	return lang_page_vars(w->langs, w->lang, web_back_ok(path, strlen(path)) ? path : "/", w->vars);
}

void
web_log_lines(const char *prefix, const struct buf *b)
{
	const char *s = buf_cstr(b), *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		log_msg(LOG_ERR, "%s%.*s", prefix, nl ? (int)(nl - s) : (int)strlen(s), s);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

int
web_load_templates(const char *dir, struct tset **t)
{
	struct buf	 err;
	struct tset	*n;

	buf_init(&err);
	if ((n = tset_load(dir, &err)) == NULL) {
		web_log_lines("templates refused, previous kept: ", &err);
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	tset_free(*t);
	*t = n;
	return 0;
}

/* A page could not be rendered: a bug in our templates, or no memory.  Always -1. */
static int
render_failed(struct web *w)
{
	const char *msg = w->lang != NULL ? lang_msg(w->lang, N_("error.render")) : "システムエラーが発生しました。";

	w->req.status = 500;
	buf_reset(&w->req.out);
	buf_puts(&w->req.out, "<!DOCTYPE html><html lang=\"");
	buf_puts(&w->req.out, w->lang != NULL ? w->lang->tag : LANG_DEFAULT);
	buf_puts(&w->req.out, "\"><meta charset=\"utf-8\"><title>500</title><p>");
	esc_html_text(&w->req.out, msg, strlen(msg));
	buf_puts(&w->req.out, "</p></html>");
	return -1;
}

int
web_render(struct web *w, const char *name)
{
	struct buf	 err;
	int		 rc;

	buf_init(&err);
	buf_reset(&w->req.out);
	if (w->lang != NULL && lang_vars(w) != 0)
		rc = -1;
	else if ((rc = tset_render_lang(w->tmpl, name, w->vars, w->lang, &w->req.out, &err)) == -1) {
		log_msg(LOG_ERR, "render %s: %s", name, buf_cstr(&err));
		render_failed(w);
	}
	buf_free(&err);
	return rc;
}

struct tpage *
web_page_render(struct web *w, const char *name, const char *hole)
{
	struct tpage	*pg;
	struct buf	 err;

	buf_init(&err);
	if (w->lang != NULL && lang_vars(w) != 0)
		pg = NULL;
	else if ((pg = tpage_render(w->tmpl, name, w->vars, w->lang, hole, &err)) == NULL)
		log_msg(LOG_ERR, "render %s: %s", name, buf_cstr(&err));
	buf_free(&err);
	return pg;
}

int
web_page_fill(struct web *w, const struct tpage *page, const char *val, size_t n)
{
	buf_reset(&w->req.out);
	if (page == NULL || tpage_fill(page, val, n, &w->req.out) == -1)
		return render_failed(w);
	return 0;
}

void
web_error_page(struct web *w, int status, const char *heading, const char *message)
{
	tvars_free(w->vars);
	if ((w->vars = tvars_new()) == NULL) {
		w->req.status = 500;
		return;
	}
	w->req.status = status;
	tvars_set(w->vars, "title", heading);
	tvars_set(w->vars, "heading", heading);
	tvars_set(w->vars, "message", message);
	if (status != 405)
		tvars_set(w->vars, "page_error", "1");
	(void)web_render(w, w->error_template);
}

int
web_content_type_ok(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";

	return strncasecmp(ct, want, sizeof(want) - 1) == 0 &&
	    (ct[sizeof(want) - 1] == '\0' || ct[sizeof(want) - 1] == ';');
}

/* ---- CSRF ---- */

static const struct kv_value *
csrf_cookie_value(const struct web *w)
{
	return kv_get(&w->cookies, w->req.https ? w->csrf_decl_tls : w->csrf_decl_plain);
}

/* A new random cookie value, sent by the next web_csrf_token. */
static int
csrf_fresh(struct web *w)
{
	unsigned char	raw[32];
	struct buf	b;

	seal_random(raw, sizeof(raw));
	buf_init(&b);
	if (seal_b64url(raw, sizeof(raw), &b) == -1 || b.len >= sizeof(w->csrf_cookie)) {
		buf_free(&b);
		return -1;
	}
	snprintf(w->csrf_cookie, sizeof(w->csrf_cookie), "%s", buf_cstr(&b));
	buf_wipe(&b);
	w->csrf_new = 1;
	return 0;
}

int
web_csrf_prepare(struct web *w)
{
	const struct kv_value *v = csrf_cookie_value(w);

	if (v != NULL && v->len == 43) {
		snprintf(w->csrf_cookie, sizeof(w->csrf_cookie), "%s", v->p);
		return 0;
	}
	return csrf_fresh(w);
}

static int
csrf_token(const struct web *w, struct buf *out)
{
	unsigned char mac[SEAL_MAC_LEN];

	if (seal_mac(w->mac_key, "csrf", w->csrf_cookie, strlen(w->csrf_cookie), mac) == -1)
		return -1;
	return seal_b64url(mac, sizeof(mac), out);
}

int
web_csrf_ok(const struct web *w, const struct kv_value *token)
{
	const struct kv_value	*cookie = csrf_cookie_value(w);
	unsigned char		 mac[SEAL_MAC_LEN];

	if (cookie == NULL || token == NULL ||
	    seal_b64url_decode(token->p, token->len, mac, sizeof(mac)) != SEAL_MAC_LEN)
		return 0;
	return seal_mac_verify(w->mac_key, "csrf", cookie->p, cookie->len, mac) == 0;
}

int
web_csrf_token(struct web *w, struct buf *tok)
{
	struct buf	 hdr;
	int		 rc = -1;

	buf_init(&hdr);
	if (csrf_token(w, tok) == -1)
		goto done;
	if (w->csrf_new) {
		/* __Host- cookies must be Secure with Path=/.  (No printf: this runs on every first visit.) */
		buf_puts(&hdr, w->req.https ? w->csrf_cookie_tls : w->csrf_cookie_plain);
		buf_putc(&hdr, '=');
		buf_puts(&hdr, w->csrf_cookie);
		buf_puts(&hdr, "; Path=");
		buf_puts(&hdr, w->req.https ? "/" : w->csrf_path);
		buf_puts(&hdr, w->req.https ? "; HttpOnly; SameSite=Strict; Secure" : "; HttpOnly; SameSite=Strict");
		if (hdr.oom || http_header(&w->req, "Set-Cookie", buf_cstr(&hdr)) == -1)
			goto done;
	}
	rc = 0;
done:
	buf_free(&hdr);
	return rc;
}

int
web_csrf_renew(struct web *w)
{
	struct buf	tok;
	int		rc;

	buf_init(&tok);
	rc = csrf_fresh(w) == 0 && web_csrf_token(w, &tok) == 0 ? 0 : -1;
	w->csrf_new = 0;	/* sent: a page rendered after this must not send it twice */
	buf_wipe(&tok);
	return rc;
}

int
web_csrf_vars(struct web *w)
{
	struct buf	 tok;
	int		 rc;

	buf_init(&tok);
	rc = web_csrf_token(w, &tok) == -1 ? -1 : tvars_set(w->vars, "csrf", buf_cstr(&tok));
	buf_free(&tok);
	return rc;
}

/* ---- the site ---- */

#define MAX_OPTIONS 16

int
web_site_options(struct web_site *s, int argc, char *argv[], const struct option *extra, size_t nextra,
    int (*opt)(int ch, const char *val, void *arg), void *arg)
{
	static const struct option common[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "forms", required_argument, NULL, 'f' },
		{ "templates", required_argument, NULL, 't' },
		{ "messages", required_argument, NULL, 'm' },
		{ "socket", required_argument, NULL, 's' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "workers", required_argument, NULL, 'w' },
	};
	struct option	opts[MAX_OPTIONS];
	size_t		ncommon = sizeof(common) / sizeof(common[0]);
	int		ch;

	if (ncommon + nextra >= MAX_OPTIONS)
		return -1;
	memcpy(opts, common, sizeof(common));
	memcpy(opts + ncommon, extra, nextra * sizeof(*extra));
	memset(opts + ncommon + nextra, 0, sizeof(opts[0]));
	memset(s, 0, sizeof(*s));
	s->workers = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': s->data_dir = optarg; break;
		case 'f': s->forms_dir = optarg; break;
		case 't': s->tmpl_dir = optarg; break;
		case 'm': s->msg_dir = optarg; break;
		case 's': s->socket = optarg; break;
		case 'g': s->socket_group = optarg; break;
		case 'w': s->workers = atoi(optarg); break;
		case '?': return -1;
		default:
			if (opt(ch, optarg, arg) == -1)
				return -1;
		}
	}
	if (s->data_dir == NULL || s->forms_dir == NULL || s->tmpl_dir == NULL || s->socket == NULL ||
	    s->workers < 1 || s->workers > 64)
		return -1;
	snprintf(s->db_path, sizeof(s->db_path), "%s/db/platform.sqlite", s->data_dir);
	return 0;
}

int
web_site_check(const struct web_site *s)
{
	return datadir_check(s->data_dir) == 0 && datadir_config("--forms", s->forms_dir) == 0 &&
	    datadir_config("--templates", s->tmpl_dir) == 0 ? 0 : -1;
}

int
web_site_open(struct web_site *s)
{
	return (s->forms = formset_new()) != NULL && db_open(s->db_path, &s->db) == 0 ? 0 : -1;
}

int
web_site_reload(struct web_site *s, formdef_section_fn known_section, void *arg)
{
	struct buf	 err;
	int		 broken;

	buf_init(&err);
	broken = formset_reload(s->forms, s->forms_dir, known_section, arg, &err);
	if (broken != 0)
		web_log_lines("form refused, previous version kept: ", &err);
	buf_free(&err);
	(void)web_load_templates(s->tmpl_dir, &s->tmpl);
	if (s->msg_dir != NULL)
		(void)web_load_langs(s->msg_dir, &s->langs);
	return broken;
}

int
web_load_langs(const char *dir, struct langset **l)
{
	struct buf	 err;
	struct langset	*n;

	buf_init(&err);
	if ((n = langset_load(dir, &err)) == NULL) {
		web_log_lines("catalogues refused, previous kept: ", &err);
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	langset_free(*l);
	*l = n;
	return 0;
}

void
web_site_close(struct web_site *s)
{
	formset_free(s->forms);
	tset_free(s->tmpl);
	langset_free(s->langs);
	db_close(s->db);
	s->forms = NULL;
	s->tmpl = NULL;
	s->langs = NULL;
	s->db = NULL;
}
