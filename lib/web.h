/*
 * web: what every page-rendering FastCGI program shares — the per-request
 * part that is not the program's own (request, cookies, template
 * variables, CSRF state), rendering through the escaping template engine,
 * error pages, and the CSRF check (a random HttpOnly cookie and a form token
 * that is its MAC under the program's key).
 *
 * A program embeds struct web in its per-request context, fills the
 * configuration fields once, and calls web_reset() after every request,
 * which wipes and frees what the request held.  Pointers in the
 * configuration fields are borrowed from the program.
 */
#ifndef WEB_H
#define WEB_H

#include <getopt.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "formset.h"
#include "http.h"
#include "kv.h"
#include "lang.h"
#include "tmpl.h"

struct web {
	/* configuration, set once by the program */
	const struct tset	*tmpl;		/* may change on reload; the program updates it */
	const struct langset	*langs;		/* the same; NULL: no catalogues (tests) */
	const unsigned char	*mac_key;	/* SEAL_KEY_LEN bytes */
	const char		*csrf_cookie_plain;	/* cookie name without TLS, e.g. "csrf" */
	const char		*csrf_cookie_tls;	/* with TLS: a __Host- name */
	const char		*csrf_path;	/* Path for the plain cookie ("/" or "/staff/") */
	size_t			 csrf_decl_plain, csrf_decl_tls;	/* their indexes in the cookie declarations */
	const char		*error_template;	/* e.g. "error.html" */

	/* per request */
	struct http_req		 req;
	struct kv_form		 cookies;
	struct tvars		*vars;
	char			 csrf_cookie[64];
	int			 csrf_new;
	time_t			 now;
	const struct lang	*lang;		/* the reader's (web_choose_lang); NULL without langs */
};

void	web_init(struct web *w);
void	web_reset(struct web *w);
/*
 * The reader's language, when the program has languages: where readers
 * choose (choose), the cookie's (cookie: a declared cookie's value, may be
 * NULL) when it names one of them, else the one the browser's
 * Accept-Language prefers; else Japanese.
 */
void	web_choose_lang(struct web *w, int choose, const struct kv_value *cookie);
/* A message id's text in the reader's language; without languages, the argument is the text itself. */
const char *web_text(const struct web *w, const char *id);
/*
 * Renders into req.out; on failure a plain 500 page replaces it and -1 is
 * returned.  With a language, every page also gets lang (its tag), back
 * (the path, for the switch to come back to; "/" when it is not one the
 * switch accepts: web_back_ok) and langs (the other languages: tag, name).
 */
int	web_render(struct web *w, const char *name);
/*
 * A page rendered once from vars with the variable hole left open, for
 * web_page_fill (tmpl.h: tpage); NULL (and logged) on failure.  The caller
 * owns it and frees it with tpage_free().
 */
struct tpage *web_page_render(struct web *w, const char *name, const char *hole);
/* page with val in its hole into req.out; as web_render on failure, or when page is NULL. */
int	web_page_fill(struct web *w, const struct tpage *page, const char *val, size_t n);
/* An error page with these texts (see web_text). */
void	web_error_page(struct web *w, int status, const char *heading, const char *message);
/*
 * Is s (len bytes) a path of ours to send a reader back to after a switch
 * of language: "/" and then letters, digits, '/', '-', '_' and '.', no "//"
 * (another host) and no ".." ?  Pure: a kv validator.
 */
int	web_back_ok(const char *s, size_t len);
int	web_content_type_ok(const char *content_type);
/* Take the CSRF cookie from the request, or make a new one (sent by web_csrf_vars). */
int	web_csrf_prepare(struct web *w);
/* Does the form's token match the cookie? 1 yes, 0 no. */
int	web_csrf_ok(const struct web *w, const struct kv_value *token);
/* Append the form's CSRF token to tok; add the Set-Cookie header when the cookie is new. */
int	web_csrf_token(struct web *w, struct buf *tok);
/* The same, with the token set as "csrf" in vars. */
int	web_csrf_vars(struct web *w);
/*
 * A new CSRF cookie, sent with this answer: at login and logout, so that a
 * value planted or seen before the change of user does not carry over.
 */
int	web_csrf_renew(struct web *w);
/*
 * What both programs are given and keep: the options they share, and per
 * worker the procedure definitions, the templates and the database.  The
 * strings are borrowed from argv.
 */
struct web_site {
	const char	*data_dir;
	const char	*forms_dir;
	const char	*tmpl_dir;
	const char	*msg_dir;	/* the compiled catalogues (--messages); NULL: none */
	const char	*socket;
	const char	*socket_group;	/* NULL: the sockets stay the owner's */
	int		 workers;
	char		 db_path[1024];
	struct formset	*forms;
	struct tset	*tmpl;
	struct langset	*langs;		/* NULL without msg_dir */
	struct db	*db;
};

/*
 * Read --data, --forms, --templates, --socket (required), --messages,
 * --socket-group and --workers (1 to 64, default 2), and the program's own options: extra
 * (as getopt_long's, without its terminating entry), each given to
 * opt(ch, optarg, arg), which returns -1 to refuse it.  -1 when anything is
 * missing or refused: the program prints its usage.
 */
int	web_site_options(struct web_site *s, int argc, char *argv[], const struct option *extra, size_t nextra,
	    int (*opt)(int ch, const char *val, void *arg), void *arg);
/* Before anything else: the data directory and the configuration are there and not too open (datadir.h). */
int	web_site_check(const struct web_site *s);
/* In a worker: an empty set of definitions and the database.  0 or -1. */
int	web_site_open(struct web_site *s);
/*
 * (Re)load the definitions, the templates and the catalogues; what fails
 * keeps its previous version and is logged.  Returns formset_reload's count of refused files.
 */
int	web_site_reload(struct web_site *s, formdef_section_fn known_section, void *arg);
void	web_site_close(struct web_site *s);
/* Load a template directory; on failure the previous set (*t) is kept and the reasons logged. */
int	web_load_templates(const char *dir, struct tset **t);
/* The same for the catalogues (lang.h). */
int	web_load_langs(const char *dir, struct langset **l);
/* Log a multi-line message one line at a time with a prefix. */
void	web_log_lines(const char *prefix, const struct buf *b);

#endif
