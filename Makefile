# Shinjuku online applications: build, run and test.
# `make run` and `make test` are the two commands a new user needs; both
# start with `make deps`, which installs the Debian packages that are missing.

# Debian 12 packages the project needs, to build, run and test.
DEPS_PKGS = gcc make pkg-config clang libclang-rt-14-dev \
	nginx libfcgi-dev libsqlite3-dev sqlite3 libsodium-dev libyaml-dev \
	libunistring-dev libjson-c-dev libcurl4-openssl-dev libzip-dev libssl-dev \
	gettext python3 python3-aiosmtpd curl procps openssl time strace acl systemd \
	valgrind wrk chromium openjdk-17-jre-headless libreoffice-calc-nogui node:nodejs npm:npm

CC	?= cc
BUILD	?= build
SAN	?=
CSTD	 = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wno-unused-parameter
ifeq ($(CI),true)
WARN	+= -Werror
endif
OPT	?= -O2 -g
ifeq ($(SAN),1)
OPT	 = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=undefined
LDSAN	 = -fsanitize=address,undefined
endif
# -pthread: exports/opener.c opens rows on a pool of threads.
CFLAGS	+= $(CSTD) $(WARN) $(OPT) -pthread -Ilib -Iexports -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDLIBS	 = -lfcgi -lsqlite3 -lsodium -lyaml -lunistring -ljson-c -lzip -lcrypto
LDFLAGS	+= $(LDSAN) -pthread

# Shared modules, each lib/x.c with its lib/x.h (the header is the API).
LIB_SRC	 = lib/alerts.c lib/answers.c lib/audit.c lib/backup.c lib/buf.c lib/bulk.c lib/confirm.c lib/custody.c lib/datadir.c \
	   lib/dirlist.c lib/dups.c lib/esc.c lib/formdef.c lib/formdef_names.c lib/formdef_rules.c lib/formdef_text.c lib/formset.c lib/formview.c lib/gate.c lib/guess.c lib/http.c \
	   lib/jnorm.c lib/jst.c lib/kv.c lib/lang.c lib/log.c lib/mail.c lib/msgcat.c lib/payload.c lib/places.c lib/lottery.c lib/draw.c \
	   lib/prefork.c lib/purge.c lib/seal.c lib/slots.c lib/web.c lib/workflow.c lib/writer.c lib/ytree.c \
	   lib/db.c lib/db_app.c lib/db_audit.c lib/db_outbox.c lib/db_places.c lib/db_lottery.c lib/db_purge.c lib/db_schema.c \
	   lib/db_section.c lib/db_ledger.c lib/db_sql.c lib/db_staff.c lib/db_dups.c \
	   lib/tmpl.c lib/tmpl_parse.c lib/tpage.c lib/tvars.c \
	   exports/csv.c exports/export.c exports/opener.c
LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A	 = $(BUILD)/libplatform.a

PROGS	 = $(BUILD)/apply $(BUILD)/staff $(BUILD)/mailer $(BUILD)/formctl
# One program per module; each prints TAP.
UNIT_SRC = tests/unit/test_answers.c tests/unit/test_audit.c tests/unit/test_buf.c tests/unit/test_confirm.c \
	   tests/unit/test_csv.c tests/unit/test_custody.c tests/unit/test_db.c tests/unit/test_db_staff.c \
	   tests/unit/test_esc.c tests/unit/test_export.c tests/unit/test_formdef.c tests/unit/test_gate.c \
	   tests/unit/test_guess.c tests/unit/test_jnorm.c tests/unit/test_jst.c tests/unit/test_kv.c \
	   tests/unit/test_lang.c tests/unit/test_mail.c tests/unit/test_msgcat.c tests/unit/test_opener.c \
	   tests/unit/test_payload.c tests/unit/test_places.c tests/unit/test_seal.c tests/unit/test_slots.c \
	   tests/unit/test_tmpl.c tests/unit/test_web.c tests/unit/test_workflow.c tests/unit/test_writer.c \
	   tests/unit/test_ytree.c tests/unit/test_lottery.c tests/unit/test_purge.c tests/unit/test_backup.c \
	   tests/unit/test_alerts.c tests/unit/test_bulk.c tests/unit/test_dups.c
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC = tests/helpers/old_format.c tests/helpers/open_app.c tests/helpers/unzip_aes.c
HELPER_BIN = $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)

# The message catalogues: po/<language>.po, compiled for the programs (and the unit tests) to
# $(BUILD)/locale/<language>.mo.  A new language is a new .po file.  --check: formats, header, domain.
PO	 = $(wildcard po/*.po)
MO	 = $(PO:po/%.po=$(BUILD)/locale/%.mo)

# make install: FHS places (PREFIX=/usr for a package, with DESTDIR; see the README's Production).
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/shinjuku
SHAREDIR ?= $(PREFIX)/share/shinjuku
DOCDIR	?= $(PREFIX)/share/doc/shinjuku
UNITDIR	?= $(PREFIX)/lib/systemd/system
CONFDIR	?= /etc/shinjuku
NGINXDIR ?= /etc/nginx/snippets
STATEDIR ?= /var/lib/shinjuku
BACKUPDIR ?= /var/backups/shinjuku
NGINX_GROUP ?= www-data
DEPLOY_SED = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@SHAREDIR@|$(SHAREDIR)|g' \
	-e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' -e 's|@FORMSDIR@|$(CONFDIR)/forms|g' \
	-e 's|@NGINXDIR@|$(NGINXDIR)|g' -e 's|@STATEDIR@|$(STATEDIR)|g' -e 's|@BACKUPDIR@|$(BACKUPDIR)|g' \
	-e 's|@NGINX_GROUP@|$(NGINX_GROUP)|g'

.SECONDARY:
.PHONY: all deps run test check hooks fuzz bench clean install

# Test-only LD_PRELOAD shim that fails database writes like a full disk (tests/faults/).
FAULT_SO = $(BUILD)/tests/fault_fs.so

all: $(PROGS) $(MO) $(UNIT_BIN) $(HELPER_BIN) $(FAULT_SO) hooks

$(BUILD)/locale/%.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

# The repository's commit-msg hook (subject "area: what changed", 72 characters at most).
hooks:
	@if [ -d .git ] || [ -f .git ]; then \
		[ "$$(git config core.hooksPath)" = scripts/git-hooks ] || git config core.hooksPath scripts/git-hooks; \
	fi

$(FAULT_SO): tests/faults/fault_fs.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g -Wall -Wextra -fPIC -shared -o $@ $< -ldl

deps:
	@sh scripts/deps.sh $(DEPS_PKGS)
	@sh scripts/npm-deps.sh tests/browser

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

APPLY_SRC = fcgi/apply.c fcgi/apply_form.c fcgi/apply_send.c fcgi/apply_status.c fcgi/apply_health.c
$(BUILD)/apply: $(APPLY_SRC:%.c=$(BUILD)/%.o) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

STAFF_SRC = fcgi/staff.c fcgi/staff_session.c fcgi/staff_list.c fcgi/staff_app.c fcgi/staff_entry.c \
	    fcgi/staff_export.c fcgi/staff_audit.c fcgi/staff_erasure.c fcgi/staff_ledger.c fcgi/staff_bulk.c \
	    fcgi/staff_announce.c fcgi/staff_lottery.c fcgi/staff_dups.c
$(BUILD)/staff: $(STAFF_SRC:%.c=$(BUILD)/%.o) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mailer: $(BUILD)/mail/mailer.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcurl

FORMCTL_SRC = tools/formctl.c tools/formctl_staff.c tools/formctl_audit.c tools/formctl_export.c \
	      tools/formctl_mail.c tools/formctl_purge.c tools/formctl_backup.c tools/formctl_ledger.c \
	      tools/formctl_lottery.c
$(BUILD)/formctl: $(FORMCTL_SRC:%.c=$(BUILD)/%.o) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all
	@UNIT_PROGS="$(notdir $(UNIT_BIN))" sh tests/run.sh

# Unit tests only: no package installation, no sanitizers, a few seconds.
# One case: T_ONLY=name make check (any part of the name).
check: $(UNIT_BIN) $(MO)
	@sh tests/unit/run.sh $(UNIT_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory $(MO)
	@sh tests/fuzz/run.sh $${FUZZ_SECONDS:-60}

# Benchmark programs (bench/): not part of `make test`; `make bench` runs them and prints ratios.
BENCH_BIN = $(BUILD)/bench/hello $(BUILD)/bench/fsync_loop $(BUILD)/bench/seal_rate $(BUILD)/bench/fill

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@/usr/bin/python3 bench/bench.py $(BUILD)

# Programs, templates, static files, units, nginx snippets and docs; the definitions in $(CONFDIR)/forms
# only where there is none of that name (an admin's edits are never overwritten).
install: $(PROGS) $(MO)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(UNITDIR)/shinjuku-.service.d $(DESTDIR)$(CONFDIR)/forms $(DESTDIR)$(NGINXDIR)
	install -m 0755 $(BUILD)/formctl $(DESTDIR)$(SBINDIR)/formctl
	install -m 0755 $(BUILD)/apply $(BUILD)/staff $(BUILD)/mailer $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 scripts/setup-data.sh $(DESTDIR)$(LIBEXECDIR)/setup-data
	install -m 0755 scripts/backup-rotate.sh $(DESTDIR)$(LIBEXECDIR)/backup-rotate
	cp -R templates static $(DESTDIR)$(SHAREDIR)/
	install -d $(DESTDIR)$(SHAREDIR)/locale && install -m 0644 $(MO) $(DESTDIR)$(SHAREDIR)/locale/
	install -d $(DESTDIR)$(SHAREDIR)/static/errors
	$(BUILD)/formctl --templates templates --messages $(BUILD)/locale error-pages \
	    $(DESTDIR)$(SHAREDIR)/static/errors $(DESTDIR)$(NGINXDIR)/shinjuku-languages.conf >/dev/null
	install -m 0644 README.md docs/admin.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 forms/README.md $(DESTDIR)$(DOCDIR)/forms.md
	for f in forms/*.yaml; do [ -e $(DESTDIR)$(CONFDIR)/$$f ] || install -m 0644 $$f $(DESTDIR)$(CONFDIR)/forms/; \
	    done
	for f in deploy/systemd/*.in; do n=$$(basename $$f .in); $(DEPLOY_SED) $$f > $(DESTDIR)$(UNITDIR)/$$n; done
	install -m 0644 deploy/systemd/*.timer $(DESTDIR)$(UNITDIR)/
	install -m 0644 deploy/systemd/shinjuku-.service.d/*.conf $(DESTDIR)$(UNITDIR)/shinjuku-.service.d/
	for f in deploy/nginx/*.in; do n=$$(basename $$f .in); $(DEPLOY_SED) $$f > $(DESTDIR)$(NGINXDIR)/$$n; done
	install -m 0644 conf/fastcgi.conf $(DESTDIR)$(NGINXDIR)/shinjuku-fastcgi.conf

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
