/*
 * apply.h: what the resident program's files share (not a library
 * header).  apply.c has main, the route table, sections and reload, and
 * the processes; apply_form.c the procedure list and the form, confirm and
 * done pages; apply_send.c sealing and storing an application;
 * apply_status.c the status look-up; apply_health.c the monitoring page.
 */
#ifndef APPLY_H
#define APPLY_H

#include <time.h>

#include "answers.h"
#include "confirm.h"
#include "db.h"
#include "formdef.h"
#include "gate.h"
#include "places.h"
#include "lang.h"
#include "seal.h"
#include "writer.h"
#include "tmpl.h"
#include "web.h"

#define MAX_PAIRS	256
#define MAX_SECTIONS	64

/* Body keys of the status look-up (apply.c declares them) and of a form (apply_form.c). */
enum { S_CSRF = GATE_CSRF, S_RECEIPT, S_INQUIRY, S_ACTION, S__COUNT };
enum { K_CSRF = GATE_CSRF, K_ACTION, K_TOKEN, K__CONTROL };
/* Query keys of the switch of language. */
enum { L_TO, L_BACK, L__COUNT };

/* A section, as the pages name it.  Its key is the batching writer's to read (writer.h). */
struct section {
	char		id[64];
	char		name[256];
};

/*
 * The empty form of one procedure, rendered once per language with the
 * CSRF token left open (tmpl.h: tpage): a GET then costs a MAC and a copy.
 * Everything the page shows comes from the definition, the sections, the
 * templates and the catalogues, so a reload drops them all.
 */
struct empty_form {
	const struct procedure	*proc;	/* valid until the next reload */
	struct tpage		**page;	/* one per language (lang.index), NULL until its first GET */
	struct places_view	 seen;	/* first come: the counters the pages show (rendered again when they change) */
};

struct app;

/* Per-request state, reset on every FastCGI iteration (apply.c: ctx_reset). */
struct ctx {
	struct gate		 g;
	struct app		*app;
	struct formkeys		 keys;
	const struct procedure	*proc;
	struct places_view	 places;	/* the procedure's counters, read for this request ... */
	int			 has_places;	/* ... when it is first come (formdef_first_come) */
};

/* Process-wide state: read-only while a request runs, replaced on reload. */
struct app {
	struct web_site	 site;
	unsigned char	 mac_key[SEAL_KEY_LEN];
	/* The key of the inquiry keys' hashes staff makes for applications received on paper (staff.h). */
	unsigned char	 inquiry_key[SEAL_KEY_LEN];
	unsigned char	 mailer_pk[SEAL_PK_LEN];	/* the writer seals contact envelopes to it */
	struct section	 sections[MAX_SECTIONS];
	size_t		 nsections;
	struct db_limits limits;		/* the writer's */
	char		 writer_path[1024];	/* the batching writer's socket (writer.h) */
	int		 writer_fd;		/* its listening socket: the master's and the writer's */
	struct writer_client writer;		/* a worker's connection to it */
	struct empty_form *empty;	/* one per procedure, made on reload */
	size_t		 nempty;
	size_t		 nlangs;	/* pages per empty form */
	struct ctx	 ctx;		/* the worker's one request context */
};

/* apply.c */
struct section	*section_find(struct app *app, const char *id);
const char	*section_name(struct app *app, const char *id);
void		 render(struct ctx *c, int rc, const char *name);
void		 error_page(struct ctx *c, int status, const char *heading, const char *message);
/* Message id's text in the reader's language (lang.h). */
const char	*msg(const struct ctx *c, const char *id);
/* One of procedure p's texts (p->title, a label ...) in the reader's language (formdef_text). */
const char	*def_text(const struct ctx *c, const struct procedure *p, const char *text);
void		 system_error(struct ctx *c);

/* apply_form.c */
void		 page_index(void *arg);
void		 page_form(void *arg);
int		 form_proc(void *arg);
int		 form_keys(void *arg, const struct kv_decl **decls, size_t *n);
void		 confirm_bind(const struct ctx *c, struct confirm_bind *b);
void		 show_done(struct ctx *c, const char *receipt, const char *inquiry, const char *participant,
		    time_t received, int mail_held, long position);

/* apply_send.c */
void		 send_application(struct ctx *c, const struct answers *as);
void		 full_page(struct ctx *c, const char *choice);

/* apply_status.c */
void		 page_status(void *arg);
/* Whether inquiry is the inquiry key of the application st describes (whichever way it arrived). */
int		 inquiry_matches(struct ctx *c, const struct db_app_status *st, const char *inquiry);

/* apply_health.c */
void		 page_health(void *arg);

#endif
