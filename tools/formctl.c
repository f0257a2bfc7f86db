/*
 * formctl: the admin's command line.
 *
 *   formctl [--data DIR] init                  data directory, database, MAC and audit keys
 *   formctl [--data DIR] section add ID NAME   section with its key pair; prints the recovery key once
 *   formctl [--data DIR] section list
 *   formctl [--data DIR] check [FILE...]       validate definitions (default: every .yaml in forms);
 *                                              warn where a language of --messages lacks a text
 *   formctl [--data DIR] reload [--forms DIR]  check, then tell the running programs to reload
 *   formctl error-pages OUTDIR CONF            nginx's own error pages (413, 429), one per language,
 *                                              and the maps (CONF) that pick one
 *   formctl staff ... | grant ... | revoke ... | key rotate ... | audit ... | export ...
 *                                              see usage() and the README's admin tasks
 *
 * DATA_DIR in the environment is the default for --data (else ./var).
 * Secrets (passwords, recovery keys) are read from standard input, never
 * from the command line, where other users could see them in ps.
 * Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pwd.h>

#include "audit.h"
#include "buf.h"
#include "custody.h"
#include "db.h"
#include "dirlist.h"
#include "formctl.h"
#include "formdef.h"
#include "formset.h"
#include "lang.h"
#include "log.h"
#include "seal.h"
#include "tmpl.h"

const char *fc_data_dir;
const char *fc_forms_dir = "forms";
/* The compiled catalogues (po/ -> build/locale): the languages of definitions, exports and error pages. */
const char *fc_msg_dir = "build/locale";
static const char *fc_tmpl_dir = "templates";

static void
usage(void)
{
	fprintf(stderr,
	    "usage: formctl [--data DIR] [--forms DIR] [--messages DIR] [--templates DIR] COMMAND ...\n"
	    "       formctl [--data DIR] init\n"
	    "       formctl [--data DIR] section add ID NAME\n"
	    "       formctl [--data DIR] section list\n"
	    "       formctl [--data DIR] check [FILE...]\n"
	    "       formctl [--data DIR] reload [--forms DIR]\n"
	    "       formctl error-pages OUTDIR NGINX_CONF\n"
	    "       formctl [--data DIR] staff add LOGIN ROLE       (role: staff, admin or auditor)\n"
	    "       formctl [--data DIR] staff list\n"
	    "       formctl [--data DIR] staff disable|enable LOGIN\n"
	    "       formctl [--data DIR] staff reset LOGIN          (new password; grants must be given again)\n"
	    "       formctl [--data DIR] staff email LOGIN ADDRESS|-  (auditors: the daily digest)\n"
	    "       formctl [--data DIR] grant LOGIN SECTION (--recovery | --by LOGIN)   secret on stdin\n"
	    "       formctl [--data DIR] revoke LOGIN SECTION\n"
	    "       formctl [--data DIR] key rotate SECTION | key list SECTION | key retire KEY_ID\n"
	    "       formctl [--data DIR] audit verify\n"
	    "       formctl [--data DIR] audit report --from YYYY-MM-DD --to YYYY-MM-DD\n"
	    "       formctl [--data DIR] audit alerts|digest [--since YYYY-MM-DD] [--until YYYY-MM-DD]\n"
	    "               [--export-rows N] [--office HH:MM-HH:MM]\n"
	    "       formctl [--data DIR] export PROCEDURE (--recovery | --by LOGIN) --purpose TEXT --recipient TEXT\n"
	    "               [--status S]\n"
	    "               [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--encoding utf-8|cp932]\n"
	    "               [--out FILE.csv | --zip FILE.zip]\n"
	    "       formctl [--data DIR] mail status | mail retry ID | mail retry --all\n"
	    "       formctl [--data DIR] [--forms DIR] purge [--dry-run] [--timer] | purge reports\n"
	    "       formctl [--data DIR] backup FILE [--passphrase-fd N]      (passphrase on stdin)\n"
	    "       formctl restore FILE --data DIR [--passphrase-fd N]       (into a new or empty DIR)\n"
	    "       formctl [--data DIR] check-db\n"
	    "       formctl [--data DIR] ledger list [--open] | ledger close ID (--returned | --erased) --by NAME\n"
	    "       formctl [--data DIR] [--forms DIR] lottery draw PROCEDURE [--reserves N] [--ignore-duplicates]\n"
	    "       formctl [--data DIR] lottery verify PROCEDURE | lottery show PROCEDURE\n");
	exit(2);
}

void
fc_data_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", fc_data_dir, rel);
}

int
fc_open_db(struct db **db)
{
	char path[1024];

	fc_data_path(path, sizeof(path), "db/platform.sqlite");
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "formctl: no database at %s (run 'formctl init' first)\n", path);
		return -1;
	}
	return db_open(path, db);
}

static int
mkdir_mode(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		fprintf(stderr, "formctl: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A random 32-byte key file, made once: apply's and staff's MAC keys, the audit chain key. */
static int
key_file(const char *rel)
{
	unsigned char	key[SEAL_KEY_LEN];
	char		path[1024];
	int		rc = 0;

	fc_data_path(path, sizeof(path), rel);
	if (access(path, F_OK) == 0)
		return 0;
	seal_random(key, sizeof(key));
	if (seal_key_write(path, key) == -1) {
		fprintf(stderr, "formctl: cannot write %s: %s\n", path, strerror(errno));
		rc = -1;
	}
	seal_wipe(key, sizeof(key));
	return rc;
}

/* The mailer's key pair: apply and staff seal queued mails to the public half, only the mailer opens them. */
static int
mailer_keys(void)
{
	unsigned char	pk[SEAL_PK_LEN], sk[SEAL_SK_LEN];
	char		pkpath[1024], skpath[1024];
	int		rc = 0;

	fc_data_path(skpath, sizeof(skpath), "keys/mailer.sk");
	fc_data_path(pkpath, sizeof(pkpath), "keys/mailer.pk");
	if (access(skpath, F_OK) == 0 && access(pkpath, F_OK) == 0)
		return 0;
	if (seal_keypair(pk, sk) == -1 || seal_key_write(skpath, sk) == -1 || seal_key_write(pkpath, pk) == -1) {
		fprintf(stderr, "formctl: cannot write the mailer's keys in %s/keys\n", fc_data_dir);
		rc = -1;
	}
	seal_wipe(sk, sizeof(sk));
	return rc;
}

static int
cmd_init(void)
{
	char		 path[1024];
	struct db	*db;

	if (mkdir_mode(fc_data_dir, 0755) == -1)
		return 1;
	fc_data_path(path, sizeof(path), "db");
	if (mkdir_mode(path, 0700) == -1)
		return 1;
	fc_data_path(path, sizeof(path), "keys");
	if (mkdir_mode(path, 0700) == -1)
		return 1;
	if (key_file("keys/apply-mac.key") == -1 || key_file("keys/staff-mac.key") == -1 ||
	    key_file("keys/audit.key") == -1 || key_file("keys/inquiry.key") == -1 || mailer_keys() == -1)
		return 1;
	fc_data_path(path, sizeof(path), "db/platform.sqlite");
	if (db_open(path, &db) == -1)
		return 1;
	printf("data directory %s ready (schema version %d)\n", fc_data_dir, db_schema_version(db));
	db_close(db);
	return 0;
}

static int
valid_section_id(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > 40)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	return 1;
}

static int
cmd_section_add(const char *id, const char *name)
{
	char		 printable[SEAL_RECOVERY_LEN];
	struct db	*db;
	int		 rc = 1, r;

	if (!valid_section_id(id)) {
		fprintf(stderr, "formctl: section id '%s' must be 1-40 of [a-z0-9-]\n", id);
		return 1;
	}
	if (fc_open_db(&db) == -1)
		return 1;
	if ((r = custody_section_create(db, id, name, time(NULL), printable)) == DB_EXISTS)
		fprintf(stderr, "formctl: section '%s' already exists\n", id);
	else if (r != 0)
		fprintf(stderr, "formctl: could not create section '%s'\n", id);
	else if (fc_audit(db, "section_add", id, "") == 0) {
		printf("section %s (%s) created\n", id, name);
		printf("recovery key (print it, keep it on paper, it is shown only once):\n%s\n", printable);
		rc = 0;
	}
	seal_wipe(printable, sizeof(printable));
	db_close(db);
	return rc;
}

static int
print_section(const char *id, const char *name, void *arg)
{
	(void)arg;
	printf("%s\t%s\n", id, name);
	return 0;
}

static int
cmd_section_list(void)
{
	struct db	*db;
	int		 rc;

	if (fc_open_db(&db) == -1)
		return 1;
	rc = db_section_each(db, print_section, NULL) == 0 ? 0 : 1;
	db_close(db);
	return rc;
}

int
fc_section_known(const char *id, void *arg)
{
	return db_section_exists(arg, id) == 1;
}

/*
 * One definition: its errors, or "ok" and a warning for each text that a
 * language residents may choose (but Japanese) lacks.
 */
static int
check_one(const char *path, struct db *db, const struct langset *langs)
{
	struct procedure	*p;
	struct buf		 errs;
	size_t			 i, missing = 0;

	buf_init(&errs);
	p = formdef_load_file(path, fc_section_known, db, &errs);
	for (i = 1; p != NULL && langs != NULL && i < langset_count(langs); i++)
		missing += formdef_missing(p, langset_at(langs, i)->tag, &errs);
	fputs(buf_cstr(&errs), stderr);
	if (p != NULL)
		printf("%s: ok (%s, %zu fields%s)\n", path, p->id, p->nfields,
		    missing > 0 ? "; some texts only in Japanese, see the warnings" : "");
	formdef_free(p);
	buf_free(&errs);
	return p == NULL;
}

static int
check_dir(const char *dir, struct db *db, const struct langset *langs)
{
	char	**names, path[2048];
	size_t	  i, n;
	int	  bad = 0;

	if (dirlist(dir, formset_is_definition, &names, &n) == -1) {
		fprintf(stderr, "formctl: cannot read %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		bad += check_one(path, db, langs);
	}
	dirlist_free(names, n);
	return bad;
}

struct langset *
fc_langs(const char *what)
{
	struct langset	*langs;
	struct buf	 err;

	buf_init(&err);
	if ((langs = langset_load(fc_msg_dir, &err)) == NULL)
		fprintf(stderr, "formctl: no catalogues (%s): %s\n%s", fc_msg_dir, what, buf_cstr(&err));
	buf_free(&err);
	return langs;
}

static int
cmd_check(int argc, char **argv, const char *forms_dir)
{
	struct langset	*langs;
	struct db	*db;
	int		 i, bad = 0;

	if (fc_open_db(&db) == -1)
		return 1;
	langs = fc_langs("the definitions' languages are not checked");
	if (argc == 0)
		bad = check_dir(forms_dir, db, langs);
	for (i = 0; i < argc; i++)
		bad += check_one(argv[i], db, langs);
	langset_free(langs);
	db_close(db);
	if (bad > 0)
		fprintf(stderr, "formctl: %d definition(s) refused\n", bad);
	return bad > 0 ? 1 : 0;
}

/* One of nginx's pages in language l: the program's error template, with the refusal's texts. */
static int
error_page(const struct tset *t, const struct langset *langs, const struct lang *l, const char *heading,
    const char *message, struct buf *out, struct buf *err)
{
	struct tvars	*v;
	int		 rc = -1;

	if ((v = tvars_new()) != NULL && lang_page_vars(langs, l, "/", v) == 0 &&
	    tvars_set(v, "title", lang_msg(l, heading)) == 0 && tvars_set(v, "heading", lang_msg(l, heading)) == 0 &&
	    tvars_set(v, "message", lang_msg(l, message)) == 0 && tvars_set(v, "page_error", "1") == 0)
		rc = tset_render_lang(t, "error.html", v, l, out, err);
	tvars_free(v);
	return rc;
}

/*
 * nginx's choice of a page's language, $shinjuku_lang: the lang cookie when it
 * names one of ours, else the first range of Accept-Language when it is one
 * of ours (the programs weigh the whole header; nginx only has regular
 * expressions), else Japanese.  Longer tags first: "ja-x-easy" before "ja".
 */
static int
lang_maps(const struct langset *langs, const char *path, struct buf *err)
{
	const struct lang	*l;
	size_t			 i, len;
	FILE			*f;
	int			 rc;

	if ((f = fopen(path, "w")) == NULL) {
		buf_printf(err, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# Made by formctl error-pages: the language of nginx's own error pages.\n"
	    "map $cookie_" LANG_COOKIE " $shinjuku_lang_cookie {\n\tdefault \"\";\n");
	for (i = 0; (l = langset_at(langs, i)) != NULL; i++)
		fprintf(f, "\t%s %s;\n", l->tag, l->tag);
	fprintf(f, "}\nmap $http_accept_language $shinjuku_lang_accept {\n\tdefault %s;\n", LANG_DEFAULT);
	for (len = LANG_TAG_MAX; len > 0; len--)
		for (i = 0; (l = langset_at(langs, i)) != NULL; i++)
			if (strlen(l->tag) == len)
				fprintf(f, "\t\"~*^[ \\t]*%s([-;, ]|$)\" %s;\n", l->tag, l->tag);
	fprintf(f, "}\nmap $shinjuku_lang_cookie $shinjuku_lang {\n\t\"\" $shinjuku_lang_accept;\n\tdefault $shinjuku_lang_cookie;\n}\n");
	rc = ferror(f) ? -1 : 0;
	if (fclose(f) != 0 || rc == -1) {
		buf_printf(err, "%s: cannot write\n", path);
		return -1;
	}
	return 0;
}

/*
 * The pages nginx answers itself, before any program sees the request (a
 * body too large, too many sends), as OUTDIR/<status>.<tag>.html for every
 * language, and the nginx maps (conf) that pick one for a request.
 */
static int
cmd_error_pages(const char *outdir, const char *conf)
{
	static const struct {
		int		 status;
		const char	*heading, *message;
	} pages[] = {
		{ 413, N_("refusal.too_large"), N_("refusal.too_large.text") },
		{ 429, N_("refusal.busy"), N_("refusal.busy.text") },
	};
	struct langset		*langs = NULL;
	struct tset		*t = NULL;
	const struct lang	*l;
	struct buf		 err, out;
	char			 path[2048];
	size_t			 i, p;
	FILE			*f;
	int			 rc = 1;

	buf_init(&err);
	buf_init(&out);
	if ((t = tset_load(fc_tmpl_dir, &err)) == NULL || (langs = langset_load(fc_msg_dir, &err)) == NULL)
		goto done;
	for (i = 0; (l = langset_at(langs, i)) != NULL; i++)
		for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
			buf_reset(&out);
			snprintf(path, sizeof(path), "%s/%d.%s.html", outdir, pages[p].status, l->tag);
			if (error_page(t, langs, l, pages[p].heading, pages[p].message, &out, &err) == -1)
				goto done;
			if ((f = fopen(path, "w")) == NULL || fwrite(out.data, 1, out.len, f) != out.len ||
			    fclose(f) != 0) {
				buf_printf(&err, "%s: %s\n", path, strerror(errno));
				goto done;
			}
		}
	rc = lang_maps(langs, conf, &err) == 0 ? 0 : 1;
done:
	fputs(buf_cstr(&err), stderr);
	tset_free(t);
	langset_free(langs);
	buf_free(&err);
	buf_free(&out);
	return rc;
}

/* SIGHUP one running program by its pid file; 0 sent, 1 not running, -1 failed. */
static int
signal_program(const char *name)
{
	char	 path[1024], rel[64];
	FILE	*f;
	long	 pid = 0;

	snprintf(rel, sizeof(rel), "run/%s.pid", name);
	fc_data_path(path, sizeof(path), rel);
	if ((f = fopen(path, "r")) == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "formctl: cannot signal %s (pid %ld): %s\n", name, pid, strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmd_reload(const char *forms_dir)
{
	struct db	*db;
	int		 bad = cmd_check(0, NULL, forms_dir), a, s;

	a = signal_program("apply");
	s = signal_program("staff");
	if (a == 1 && s == 1) {
		fprintf(stderr, "formctl: neither apply nor staff is running (no pid files in %s/run)\n",
		    fc_data_dir);
		return 1;
	}
	if (fc_open_db(&db) == 0) {
		(void)fc_audit(db, "reload", forms_dir, bad ? "some definitions refused" : "all valid");
		db_close(db);
	}
	if (bad)
		printf("reload sent: refused files keep their previous version (see above)\n");
	else
		printf("reload sent: all definitions valid\n");
	return bad || a == -1 || s == -1 ? 1 : 0;
}

/* ---- shared by the command files ---- */

int
fc_read_line(const char *prompt, char *out, size_t len)
{
	size_t n;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "%s: ", prompt);
	if (fgets(out, (int)len, stdin) == NULL)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == len - 1)
		return -1;	/* longer than any secret we accept */
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

struct procedure *
fc_load_procedure(struct db *db, const char *id)
{
	struct procedure	*p;
	struct buf		 errs;
	char			 path[2048];

	snprintf(path, sizeof(path), "%s/%s.yaml", fc_forms_dir, id);
	buf_init(&errs);
	if ((p = formdef_load_file(path, fc_section_known, db, &errs)) == NULL)
		fprintf(stderr, "formctl: cannot load procedure '%s':\n%s", id, buf_cstr(&errs));
	buf_free(&errs);
	return p;
}

int
fc_key(const char *rel, unsigned char key[SEAL_KEY_LEN])
{
	char path[1024];

	fc_data_path(path, sizeof(path), rel);
	if (seal_key_read(path, key) == -1) {
		fprintf(stderr, "formctl: cannot read %s: %s (run 'formctl init'; as root or its owner)\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
fc_actor(char *out, size_t len)
{
	struct passwd	*pw = getpwuid(getuid());
	const char	*sudo = getenv("SUDO_USER");

	/* An admin working through sudo is named, not root. */
	if (getuid() == 0 && sudo != NULL && *sudo != '\0' && custody_login_ok(sudo))
		snprintf(out, len, "formctl:%s", sudo);
	else
		snprintf(out, len, "formctl:%s", pw != NULL ? pw->pw_name : "?");
}

int
fc_audit(struct db *db, const char *action, const char *target, const char *detail)
{
	struct audit_entry	 e;
	unsigned char		 key[SEAL_KEY_LEN];
	char			 actor[96];
	int			 rc;

	if (fc_key("keys/audit.key", key) == -1)
		return -1;
	fc_actor(actor, sizeof(actor));
	memset(&e, 0, sizeof(e));
	e.at = time(NULL);
	e.actor = actor;
	e.action = action;
	e.target = target;
	e.detail = detail;
	e.addr = "";
	rc = audit_append(db, key, &e);
	seal_wipe(key, sizeof(key));
	if (rc == -1)
		fprintf(stderr, "formctl: cannot write the audit log\n");
	return rc;
}

int
fc_source(struct db *db, const char *by_login, struct custody_source *src, struct db_staff *granter,
    unsigned char granter_sk[SEAL_SK_LEN], unsigned char recovery[SEAL_KEY_LEN])
{
	char	line[256];
	int	rc = -1;

	memset(src, 0, sizeof(*src));
	if (by_login == NULL) {
		if (fc_read_line("recovery key", line, sizeof(line)) == -1 ||
		    seal_recovery_parse(line, recovery) == -1)
			fprintf(stderr, "formctl: that is not a recovery key (13 groups of 4 characters)\n");
		else {
			src->recovery = recovery;
			rc = 0;
		}
	} else if (db_staff_by_login(db, by_login, granter) != 0 || granter->disabled)
		fprintf(stderr, "formctl: no active account '%s'\n", by_login);
	else if (fc_read_line("password of the key holder", line, sizeof(line)) == -1 ||
	    custody_staff_unlock(granter, line, granter_sk) != 0)
		fprintf(stderr, "formctl: wrong password for '%s'\n", by_login);
	else {
		src->granter = granter;
		src->granter_sk = granter_sk;
		rc = 0;
	}
	seal_wipe(line, sizeof(line));
	return rc;
}

/* The commands that take the rest of the line themselves (the others are matched in main). */
static const struct {
	const char	*name;
	int		(*run)(int argc, char **argv);
} commands[] = {
	{ "staff", cmd_staff }, { "grant", cmd_grant }, { "revoke", cmd_revoke }, { "key", cmd_key },
	{ "audit", cmd_audit }, { "export", cmd_export }, { "mail", cmd_mail }, { "purge", cmd_purge },
	{ "backup", cmd_backup }, { "restore", cmd_restore }, { "check-db", cmd_check_db }, { "ledger", cmd_ledger },
	{ "lottery", cmd_lottery },
};

int
main(int argc, char *argv[])
{
	size_t	c;
	int	i;

	log_init("formctl");
	/*
	 * What formctl makes is its owner's (keys, exports and backups are
	 * made 0600) or the service group's: the database and its -wal and
	 * -shm, which the programs open read-write (scripts/setup-data.sh).
	 */
	umask(007);
	fc_data_dir = getenv("DATA_DIR") ? getenv("DATA_DIR") : "./var";
	if (seal_init() == -1)
		return 1;
	for (i = 1; i + 1 < argc && (strcmp(argv[i], "--data") == 0 || strcmp(argv[i], "--forms") == 0 ||
	    strcmp(argv[i], "--messages") == 0 || strcmp(argv[i], "--templates") == 0); i += 2) {
		if (strcmp(argv[i], "--data") == 0)
			fc_data_dir = argv[i + 1];
		else if (strcmp(argv[i], "--forms") == 0)
			fc_forms_dir = argv[i + 1];
		else if (strcmp(argv[i], "--messages") == 0)
			fc_msg_dir = argv[i + 1];
		else
			fc_tmpl_dir = argv[i + 1];
	}
	argc -= i;
	argv += i;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "init") == 0 && argc == 1)
		return cmd_init();
	if (strcmp(argv[0], "section") == 0 && argc == 4 && strcmp(argv[1], "add") == 0)
		return cmd_section_add(argv[2], argv[3]);
	if (strcmp(argv[0], "section") == 0 && argc == 2 && strcmp(argv[1], "list") == 0)
		return cmd_section_list();
	if (strcmp(argv[0], "check") == 0)
		return cmd_check(argc - 1, argv + 1, fc_forms_dir);
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return cmd_reload(fc_forms_dir);
	if (strcmp(argv[0], "error-pages") == 0 && argc == 3)
		return cmd_error_pages(argv[1], argv[2]);
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[0], commands[c].name) == 0)
			return commands[c].run(argc - 1, argv + 1);
	usage();
	return 2;
}
