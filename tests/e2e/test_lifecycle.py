#!/usr/bin/python3
"""End-to-end tests of the data's lifecycle through the real programs and nginx: the retention
purge (formctl purge: dry run, nothing expired, killed mid-run and run again, the bytes gone from
the database and its WAL), erasure reports on the staff site and with formctl, retiring a key;
a backup taken while residents send, restored into a new directory and served from there, and
the restores refused (wrong passphrase, cut off, altered, into a directory in use).
Prints TAP.  Dummy data only.  Usage: test_lifecycle.py BUILD_DIR
"""
import calendar
import email.policy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

import harness
from harness import BUILD, Browser, mails_sql, of_receipts, submit, receipt_of
from test_staff import Staff, apply, audit_rows, csrf_of, formctl, logins, member

# A day after every e2e procedure's retention has passed (they close at 2099-12-31 17:00 and keep 30 days).
AFTER_RETENTION = str(calendar.timegm((2100, 3, 1, 0, 0, 0)))
STATE = {}


def sql(query):
    return harness.stack().sql(query)


def purge(*args, now=None, kill_at=None):
    env = dict(os.environ)
    env.pop("FORMCTL_TEST_KILL_BEFORE_COMMIT", None)
    if now is not None:
        env["FORMCTL_TEST_NOW"] = now
    if kill_at is not None:
        env["FORMCTL_TEST_KILL_BEFORE_COMMIT"] = str(kill_at)
    return subprocess.run([os.path.join(BUILD, "formctl"), "--data", harness.stack().data, "--forms",
                           harness.stack().forms, "purge"] + list(args), env=env, capture_output=True, text=True)


def mail_application():
    _, (st, _, page) = submit(Browser(), [("f_name", "試験メール太郎"), ("f_email", "dummy.mail.e2e@example.jp")],
                              proc="e2e-mail")
    receipt, _ = receipt_of(page)
    assert st == 200 and receipt, (st, page[:300])
    return receipt


def test_applications_to_erase_later():
    STATE["open"] = [apply("試験消去%d子" % i, "ダミー") for i in range(3)]
    STATE["mail"] = mail_application()
    # the receipt looked for afterwards is neither the first nor the last (the report names those) and
    # never viewed (the audit log, a record of its own, keeps the receipts members viewed)
    mid = sorted(STATE["open"])[1]
    STATE["mid"] = mid
    # a member accepts one with a note: its events (and the acceptance mail, if any) must go too
    s = member("yotsuya")
    first = sorted(STATE["open"])[0]
    st, _, page = s.get("/staff/apps/" + first)
    st, h, _ = s.post("/staff/apps/" + first, [("csrf", csrf_of(page)), ("from", "received"), ("to", "accepted"),
                                               ("note", "ダミー対応記録")], csrf=False)
    assert st == 303, st
    assert sql("SELECT count(*) FROM app_events WHERE receipt = '%s'" % first) == "1"
    STATE["blob"] = bytes.fromhex(sql("SELECT hex(sealed) FROM applications WHERE receipt = '%s'" % mid))
    assert len(STATE["blob"]) > 64
    assert sql(mails_sql(STATE["mail"])) == "1"


def test_key_retire_refuses_the_current_key():
    key = sql("SELECT key_id FROM section_keys WHERE section_id = 'yotsuya-hc'")
    r = formctl("key", "retire", key)
    assert r.returncode == 1 and "current key" in r.stderr, r.stderr
    assert formctl("key", "rotate", "yotsuya-hc").returncode == 0
    r = formctl("key", "retire", key)
    assert r.returncode == 1 and "still opens 4 applications" in r.stderr, r.stderr
    STATE["old_key"] = key
    r = formctl("key", "list", "yotsuya-hc")
    assert r.returncode == 0 and re.search(key + r"\told\t4 applications", r.stdout), r.stdout


def test_purge_with_nothing_expired():
    r = purge()
    assert r.returncode == 0 and "nothing to erase" in r.stdout, (r.stdout, r.stderr)
    assert sql("SELECT count(*) FROM erasure_reports") == "0"
    assert sql("SELECT count(*) FROM audit WHERE action = 'purge'") == "0"
    assert sql("SELECT count(*) FROM applications") == "4"


def test_purge_dry_run_changes_nothing():
    r = purge("--dry-run", now=AFTER_RETENTION)
    assert r.returncode == 0, r.stderr
    assert "would erase: e2e-mail (yotsuya-hc): 1 applications" in r.stdout, r.stdout
    assert "would erase: e2e-open (yotsuya-hc): 3 applications" in r.stdout, r.stdout
    assert sql("SELECT count(*) FROM applications") == "4"
    assert sql("SELECT count(*) FROM erasure_reports") == "0"


def test_purge_killed_in_its_second_procedure_then_run_again_reports_each_once():
    r = purge(now=AFTER_RETENTION, kill_at=2)
    assert r.returncode == -9, (r.returncode, r.stdout, r.stderr)
    # the first procedure (e2e-mail, in the set's order) committed with its report; the second did not
    assert sql("SELECT procedure_id, applications FROM erasure_reports") == "e2e-mail|1"
    assert sql("SELECT count(*) FROM applications WHERE procedure_id = 'e2e-open'") == "3"
    r = purge(now=AFTER_RETENTION)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "erased: e2e-open (yotsuya-hc): 3 applications" in r.stdout, r.stdout
    assert sql("SELECT procedure_id || '|' || applications || '|' || receipt_first || '|' || receipt_last"
               " FROM erasure_reports ORDER BY id").splitlines() == [
        "e2e-mail|1|%s|%s" % (STATE["mail"], STATE["mail"]),
        "e2e-open|3|%s|%s" % (min(STATE["open"]), max(STATE["open"]))]
    assert len(audit_rows("purge")) == 2
    for table in ("applications", "app_events", "outbox", "mail_log", "envelopes"):
        assert sql("SELECT count(*) FROM %s" % table) == "0", table
    assert purge(now=AFTER_RETENTION).stdout.startswith("nothing to erase")
    assert formctl("audit", "verify").returncode == 0


def test_purge_leaves_no_bytes_in_the_database_or_its_wal():
    # the stack is running: apply, staff and the mailer have the database open
    for path, data in raw_files().items():
        assert STATE["blob"] not in data, path
        assert STATE["mid"].encode() not in data, path
        assert STATE["blob"][:32] not in data, path


def raw_files():
    """The database file and its WAL as bytes (the WAL may be empty: the purge truncated it)."""
    db = harness.stack().db()
    out = {}
    for path in (db, db + "-wal"):
        if os.path.exists(path):
            with open(path, "rb") as f:
                out[path] = f.read()
    assert out[db], "empty database file"
    return out


def test_purge_reports_listed_by_formctl():
    r = formctl("purge", "reports")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == 3, r.stdout
    assert "\tapplications\te2e-open\tyotsuya-hc\t3\t" in r.stdout and "formctl purge" in r.stdout


def test_key_retired_once_nothing_is_sealed_to_it():
    r = formctl("key", "retire", STATE["old_key"])
    assert r.returncode == 0 and "destroyed" in r.stdout, (r.stdout, r.stderr)
    assert sql("SELECT count(*) FROM section_keys WHERE key_id = '%s'" % STATE["old_key"]) == "0"
    assert sql("SELECT count(*) FROM grants WHERE key_id = '%s'" % STATE["old_key"]) == "0"
    assert sql("SELECT kind || '|' || key_ids FROM erasure_reports ORDER BY id DESC LIMIT 1") == \
        "key|" + STATE["old_key"]
    assert audit_rows("key_retire")[-1].split("|")[1] == "yotsuya-hc"
    # the member still reads with the new key
    assert member("yotsuya").get("/staff/")[0] == 200


def test_erasure_reports_on_the_staff_site_for_admins_and_auditors_only():
    for login in ("demo-admin", "demo-auditor"):
        s = member(login)
        st, _, page = s.get("/staff/erasure")
        assert st == 200 and "消去報告書" in page and "テスト用の申込み" in page, (login, st)
        first = re.findall(r'href="/staff/erasure/(\d+)"', page)
        assert len(first) == 3, first
        st, _, page = s.get("/staff/erasure/" + min(first, key=int))
        assert st == 200 and "作成者" in page and "確認者" in page and STATE["mail"] in page
        assert s.get("/staff/erasure/999")[0] == 404
        assert s.get("/staff/erasure/01")[0] == 404
    s = member("yotsuya")
    assert s.get("/staff/erasure")[0] == 404
    assert s.get("/staff/erasure/1")[0] == 404
    assert audit_rows("denied")[-1].split("|")[1] == "/staff/erasure/1"


def test_make_run_purges_by_itself():
    # PURGE_INTERVAL=3 for this suite (below): make run's loop has run formctl purge --timer
    log = os.path.join(harness.stack().data, "log", "purge.log")
    deadline = time.time() + 30
    while time.time() < deadline and not (os.path.exists(log) and "nothing to erase" in open(log).read()):
        time.sleep(0.5)
    assert "nothing to erase" in open(log).read()
    assert oct(os.stat(log).st_mode & 0o777) == "0o640"


# ---- the hand-over ledger (管理簿) ----

LEDGER = [("purpose", "ダミーの発送作業"), ("recipient", "試験配送株式会社")]


def test_export_needs_purpose_and_recipient():
    apply("試験管理簿一子", "ダミー")
    s = member("yotsuya")
    before = sql("SELECT count(*) FROM export_ledger")
    for pairs in ([], [LEDGER[0]], [LEDGER[1]], [("purpose", "　 "), LEDGER[1]]):
        st, _, page = s.get("/staff/forms/e2e-open/export.csv?" + urllib.parse.urlencode(pairs))
        assert st == 400 and "利用目的と提供先を入力してください" in page, (pairs, st)
    st, _, _ = s.get("/staff/forms/e2e-open/export.csv?" + urllib.parse.urlencode(
        [("purpose", "x" * 101), LEDGER[1]]))
    assert st == 400
    assert sql("SELECT count(*) FROM export_ledger") == before
    r = formctl("export", "e2e-open", "--recovery", "--out", os.path.join(harness.stack().tmp, "x.csv"))
    assert r.returncode == 2 and "--purpose TEXT --recipient TEXT" in r.stderr, r.stderr


def test_export_entered_in_the_ledger_until_confirmed():
    s = member("yotsuya")
    st, _, body = s.get("/staff/forms/e2e-open/export.csv?" + urllib.parse.urlencode(LEDGER))
    assert st == 200
    row = sql("SELECT id || '|' || actor || '|' || procedure_id || '|' || form || '|' || purpose || '|' || recipient"
              " || '|' || coalesce(closed_at, 'out') FROM export_ledger ORDER BY id DESC LIMIT 1").split("|")
    assert row[1:] == ["yotsuya", "e2e-open", "csv", "ダミーの発送作業", "試験配送株式会社", "out"], row
    STATE["ledger"] = row[0]
    assert audit_rows("export")[-1].split("|")[2].split().count("ledger=" + row[0]) == 1
    st, _, page = s.get("/staff/ledger?open=1")
    assert st == 200 and "試験配送株式会社" in page and 'action="/staff/ledger/%s"' % row[0] in page
    # the auditor sees it, and cannot close it; another section sees none of it
    a = member("demo-auditor")
    st, _, page = a.get("/staff/ledger")
    assert st == 200 and "試験配送株式会社" in page and 'action="/staff/ledger/' not in page
    st, _, _ = a.post("/staff/ledger/" + row[0], [("csrf", csrf_of(page)), ("how", "erased"), ("by", "監査 太郎")],
                      csrf=False)
    assert st == 404
    g = member("gomi")
    st, _, page = g.get("/staff/ledger")
    assert st == 200 and "試験配送株式会社" not in page
    st, _, _ = g.post("/staff/ledger/" + row[0], [("csrf", csrf_of(page)), ("how", "erased"), ("by", "試験 花子")],
                      csrf=False)
    assert st == 404 and audit_rows("denied")[-1].split("|")[1] == "/staff/ledger/" + row[0]
    assert sql("SELECT closed_at IS NULL FROM export_ledger WHERE id = " + row[0]) == "1"


def test_ledger_closed_by_a_named_person_once():
    s = member("yotsuya")
    _, _, page = s.get("/staff/ledger")
    entry = "/staff/ledger/" + STATE["ledger"]
    st, _, _ = s.post(entry, [("csrf", csrf_of(page)), ("how", "returned"), ("by", "")], csrf=False)
    assert st == 400
    st, _, _ = s.post(entry, [("csrf", csrf_of(page)), ("how", "lost"), ("by", "試験 次郎")], csrf=False)
    assert st == 400
    st, h, _ = s.post(entry, [("csrf", csrf_of(page)), ("how", "erased"), ("by", "試験 次郎")], csrf=False)
    assert st == 303 and h["location"].endswith("/staff/ledger?m=closed"), st
    assert sql("SELECT closed_how || '|' || closed_by || '|' || closed_actor FROM export_ledger WHERE id = " +
               STATE["ledger"]) == "erased|試験 次郎|yotsuya"
    assert audit_rows("ledger_close")[-1] == "yotsuya|%s|erased by=試験 次郎" % STATE["ledger"]
    st, _, _ = s.post(entry, [("csrf", csrf_of(page)), ("how", "returned"), ("by", "試験 次郎")], csrf=False)
    assert st == 409
    _, _, page = s.get("/staff/ledger?open=1")
    assert 'action="%s"' % entry not in page


def test_formctl_export_and_ledger_close():
    out = os.path.join(harness.stack().tmp, "ledger.csv")
    key = [l.split()[2] for l in open(os.path.join(harness.stack().data, "demo-recovery-keys.txt"))
           if l.startswith("yotsuya-hc")][0]
    r = formctl("export", "e2e-open", "--recovery", "--out", out, "--purpose", "ダミー照合", "--recipient", "試験課",
                stdin=key + "\n")
    assert r.returncode == 0, r.stderr
    r = formctl("ledger", "list", "--open")
    line = [l for l in r.stdout.splitlines() if "ダミー照合" in l][0].split("\t")
    assert line[2].startswith("formctl:") and line[-1] == "out", line
    r = formctl("ledger", "close", line[0], "--returned", "--by", "試験 三郎")
    assert r.returncode == 0, r.stderr
    r = formctl("ledger", "close", line[0], "--erased", "--by", "試験 三郎")
    assert r.returncode == 1 and "still out" in r.stderr
    assert formctl("ledger", "close", line[0], "--returned", "--erased", "--by", "x").returncode == 2
    assert "ダミー照合" not in formctl("ledger", "list", "--open").stdout
    # the ledger keeps every entry: no delete, no second closing, even through SQL
    for q in ("DELETE FROM export_ledger", "UPDATE export_ledger SET purpose = 'x'",
              "UPDATE export_ledger SET closed_by = 'x' WHERE closed_at IS NOT NULL"):
        r = subprocess.run(["sqlite3", harness.stack().db(), q], capture_output=True, text=True)
        assert r.returncode != 0, q


# ---- alerts and the auditors' digest ----

def test_alerts_from_the_command_line_and_on_the_audit_page():
    # a burst of views, an export above a low threshold, a denied request, a key operation
    r = [apply("試験警報%d子" % i, "ダミー") for i in range(3)]
    s = member("yotsuya")
    for receipt in r * 10:
        assert s.get("/staff/apps/" + receipt)[0] == 200
    assert s.get("/staff/forms/e2e-open/export.csv?" + urllib.parse.urlencode(LEDGER))[0] == 200
    assert member("gomi").get("/staff/apps/" + r[0])[0] == 404
    assert formctl("key", "rotate", "chiiki-care").returncode == 0
    out = formctl("audit", "alerts", "--export-rows", "0").stdout
    assert re.search(r"短時間に多数の申請の閲覧  yotsuya  \S+  30 applications opened within 600 s", out), out
    assert "権限外への要求  gomi  " + r[0] in out and "鍵・職員の操作  formctl:" in out, out
    assert re.search(r"大量のCSV出力  yotsuya  e2e-open  \d+ rows \(more than 0\)", out), out
    assert formctl("audit", "alerts", "--office", "18:00-08:30").returncode == 2
    st, _, page = member("demo-auditor").get("/staff/audit")
    assert st == 200 and "要確認の記録" in page and "<td>短時間に多数の申請の閲覧</td>" in page, st


def test_digest_mailed_to_auditors():
    r = formctl("audit", "digest")
    assert r.returncode == 1 and "no auditor has an address" in r.stderr, r.stderr
    assert formctl("staff", "email", "demo-auditor", "not an address").returncode == 1
    assert formctl("staff", "email", "demo-auditor", "auditor.e2e@example.jp").returncode == 0
    # an admin with an address is not an auditor: no digest for them
    assert formctl("staff", "email", "demo-admin", "admin.e2e@example.jp").returncode == 0
    r = formctl("audit", "digest")
    assert r.returncode == 0 and "digest queued for 1 auditor(s)" in r.stdout, (r.stdout, r.stderr)
    # one mail, sealed to the mailer like every queued mail; the mailer sends the queue to the local sink
    maildir = os.path.join(harness.stack().data, "mail")
    deadline, found = time.time() + 30, []
    while time.time() < deadline and not (found and sql("SELECT count(*) FROM staff_mail") == "0"):
        time.sleep(0.5)
        found = [open(os.path.join(maildir, f), "rb").read() for f in
                 (os.listdir(maildir) if os.path.isdir(maildir) else [])]
        found = [raw for raw in found if b"auditor.e2e@example.jp" in raw or b"admin.e2e@example.jp" in raw]
    assert len(found) == 1, "%d digests in the sink" % len(found)
    msg = email.message_from_bytes(found[0], policy=email.policy.default)
    assert msg["To"] == "auditor.e2e@example.jp", msg["To"]
    assert "監査の日次通知" in msg["Subject"] and "短時間に多数の申請の閲覧" in msg.get_content()
    assert sql("SELECT count(*) FROM staff_mail") == "0"
    row = audit_rows("digest")[-1]
    assert row.startswith("formctl:") and row.endswith(" auditors=1"), row


# ---- least privilege ----

USERS = {"apply": "shinjuku-apply", "staff": "shinjuku-staff", "mailer": "shinjuku-mailer"}


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)


def test_each_program_runs_as_its_own_user_without_root():
    if os.getuid() != 0:
        raise harness.Skip("as root only: otherwise every program is the invoking user, as before")
    for program, user in USERS.items():
        uid = int(subprocess.run(["id", "-u", user], capture_output=True, text=True).stdout)
        pids = harness.stack().pids(program)
        assert pids, program
        for pid in pids:
            st = proc_status(pid)
            assert st["Uid"].split() == [str(uid)] * 4, (program, st["Uid"])
            assert int(st["CapEff"], 16) == 0 and int(st["CapPrm"], 16) == 0 and int(st["CapBnd"], 16) == 0, program
            assert st["NoNewPrivs"].strip() == "1", program


def read_as(user, path, group="shinjuku"):
    """0 when user (with the groups the system gives it) can read path, else the errno."""
    code = "import sys\ntry:\n    open(sys.argv[1], 'rb').read()\nexcept OSError as e:\n    sys.exit(e.errno)\n"
    return subprocess.run(["setpriv", "--reuid=" + user, "--regid=" + group, "--init-groups", "/usr/bin/python3",
                           "-c", code, path]).returncode


def test_each_program_reads_only_its_own_keys():
    if os.getuid() != 0:
        raise harness.Skip("as root only")
    keys = os.path.join(harness.stack().data, "keys")
    mine = {"shinjuku-apply": {"apply-mac.key", "inquiry.key", "mailer.pk"},
            "shinjuku-staff": {"staff-mac.key", "audit.key", "inquiry.key", "mailer.pk"},
            "shinjuku-mailer": {"mailer.sk", "mailer.pk"}}
    for user, own in mine.items():
        for key in ("apply-mac.key", "staff-mac.key", "audit.key", "inquiry.key", "mailer.sk", "mailer.pk"):
            got = read_as(user, os.path.join(keys, key))
            assert got == (0 if key in own else 13), (user, key, got)     # 13: EACCES
    # the database is the three programs' (group shinjuku), nobody else's
    db = harness.stack().db()
    assert oct(os.stat(db).st_mode & 0o777) == "0o660" and read_as("nobody", db, "nogroup") == 13
    assert oct(os.stat(os.path.dirname(db)).st_mode & 0o7777) == "0o2770"


def start_alone(program, data, extra=()):
    """The program started by hand on data (a copy): its exit status and log, or None when still running."""
    args = [os.path.join(BUILD, program), "--data", data]
    if program != "mailer":
        args += ["--forms", harness.stack().forms, "--templates", os.path.join(harness.ROOT, "templates"),
                 "--messages", os.path.join(BUILD, "locale"), "--socket", os.path.join(data, program + ".sock")]
    p = subprocess.Popen(args + list(extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, SMTP_URL="smtp://127.0.0.1:9"))
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None, ""
    return p.returncode, err


def test_programs_refuse_open_keys_and_a_bad_data_directory():
    base = os.path.join(harness.stack().tmp, "refuse")
    shutil.copytree(harness.stack().data, base, ignore=shutil.ignore_patterns("log", "run", "mail", "*.lock"))
    cases = [("apply", "keys/apply-mac.key", 0o644, "lets others than its owner read a secret key: chmod 600"),
             ("staff", "keys/audit.key", 0o640, "lets others than its owner read a secret key"),
             ("mailer", "keys/mailer.sk", 0o604, "lets others than its owner read a secret key"),
             ("staff", "keys/mailer.pk", 0o666, "lets others than its owner replace it"),
             ("apply", "keys/inquiry.key", 0o644, "lets others than its two programs read or change a secret key"),
             ("apply", "db/platform.sqlite", 0o664, "lets other users read or change it")]
    for program, rel, mode, message in cases:
        path = os.path.join(base, rel)
        old = os.stat(path).st_mode & 0o777
        os.chmod(path, mode)
        rc, err = start_alone(program, base)
        os.chmod(path, old)
        assert rc == 1 and message in err and rel in err, (program, rel, rc, err[-300:])
    rc, err = start_alone("apply", os.path.join(base, "nothing-here"))
    assert rc == 1 and "data directory" in err and "No such file" in err, err
    os.rename(os.path.join(base, "keys", "staff-mac.key"), os.path.join(base, "keys", "gone"))
    rc, err = start_alone("staff", base)
    assert rc == 1 and "keys/staff-mac.key" in err and "No such file" in err, err
    rc, err = start_alone("apply", base, ["--templates", os.path.join(base, "none")])
    assert rc == 1 and "--templates" in err, err


# ---- monitoring ----

def health(source=None):
    st, h, body = harness.request("GET", "/health", source=source)
    return st, h, body


def test_health_all_well():
    st, h, body = health()
    assert st == 200 and h["content-type"].startswith("text/plain"), (st, h)
    lines = body.splitlines()
    assert [l.split(":")[0] for l in lines] == ["ok   database", "ok   writer", "ok   mail", "ok   disk", "status"], body
    assert lines[-1] == "status: ok" and "no-store" in h.get("cache-control", "")
    assert not re.search(r"\d{4}-\d{4}-\d{4}", body) and harness.DUMMY_EMAIL not in body


def test_health_only_from_the_staff_networks():
    st, _, _ = health(source="127.0.0.2")
    assert st == 403, st


def test_health_fails_while_the_writer_does_not_answer():
    writer = [p for p in harness.stack().pids("apply") if open("/proc/%d/comm" % p).read().strip() == "apply-writer"]
    assert len(writer) == 1, writer
    os.kill(writer[0], signal.SIGSTOP)
    try:
        st, _, body = health()
    finally:
        os.kill(writer[0], signal.SIGCONT)
    assert st == 503 and "FAIL writer: no answer" in body and "status: FAIL" in body, body
    assert health()[0] == 200


def test_health_fails_while_the_database_is_locked():
    import sqlite3
    con = sqlite3.connect(harness.stack().db(), timeout=10, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        st, _, body = health()
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert st == 503 and "FAIL database: busy" in body, body
    assert health()[0] == 200


def test_health_fails_on_a_mail_queued_for_over_an_hour():
    # a row the mailer will not take yet (next_at tomorrow), queued two hours ago
    receipt = apply("試験保留花子", "ダミー")
    now = int(time.time())
    sql("INSERT INTO outbox (kind, app_id, procedure_id, section_id, sealed, next_at, created_at) SELECT"
        " 'acceptance', id, 'e2e-open', 'yotsuya-hc', x'00', %d, %d FROM applications WHERE receipt = '%s'"
        % (now + 86400, now - 7200, receipt))
    st, _, body = health()
    sql("DELETE FROM outbox WHERE %s" % of_receipts(receipt))
    assert st == 503 and re.search(r"FAIL mail: \d+ queued, the oldest for 7\d{3} s", body), body
    assert health()[0] == 200



def test_health_counts_the_staff_mail_too():
    # the daily digest waits in staff_mail, not in the outbox: a stuck digest must show as well
    now = int(time.time())
    sql("INSERT INTO staff_mail (kind, sealed, next_at, created_at) VALUES"
        " ('digest', x'00', %d, %d)" % (now + 86400, now - 7200))
    st, _, body = health()
    sql("DELETE FROM staff_mail WHERE created_at = %d" % (now - 7200))
    assert st == 503 and re.search(r"FAIL mail: 1 queued, the oldest for 7\d{3} s", body), body
    assert health()[0] == 200

# ---- backup and restore ----

PASSPHRASE = "dummy backup passphrase e2e"


def formctl_at(data, *args, stdin=None):
    return subprocess.run([os.path.join(BUILD, "formctl"), "--data", data, "--forms", harness.stack().forms] +
                          list(args), input=stdin, capture_output=True, text=True)


def sender(n, stop, acked, lock):
    """A resident sending applications one after the other; acked gets (receipt, inquiry, tag, when shown)."""
    i = 0
    while not stop.is_set():
        i += 1
        tag = "backup-%d-%d" % (n, i)
        _, (st, _, page) = submit(Browser(), harness.valid_answers(f_note="ダミー " + tag))
        receipt, inquiry = receipt_of(page)
        if st == 200 and receipt:
            with lock:
                acked.append((receipt, inquiry, tag, time.time()))


def test_backup_during_submits_restores_every_acknowledged_application():
    acked, lock, stop = [], threading.Lock(), threading.Event()
    threads = [threading.Thread(target=sender, args=(n, stop, acked, lock)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        deadline = time.time() + 60
        while len(acked) < 20 and time.time() < deadline:
            time.sleep(0.1)
        out = os.path.join(harness.stack().tmp, "daily.bak")
        began = time.time()
        r = formctl("backup", out, stdin=PASSPHRASE + "\n")
        ended = time.time()
        assert r.returncode == 0, r.stderr
        deadline = time.time() + 30
        while not [a for a in acked if a[3] > ended] and time.time() < deadline:
            time.sleep(0.1)     # residents went on sending after the backup too
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    before = [a for a in acked if a[3] < began]
    assert len(before) >= 20 and [a for a in acked if a[3] > ended], (len(before), len(acked))
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    assert not [f for f in os.listdir(os.path.join(harness.stack().data, "db")) if f.startswith("backup.")]
    for needle in (harness.DUMMY_NAME, harness.DUMMY_TEL, "backup-0-1"):
        assert needle.encode() not in open(out, "rb").read(), needle
    STATE["backup"] = out
    restored = os.path.join(harness.stack().tmp, "restored")
    r = subprocess.run([os.path.join(BUILD, "formctl"), "restore", out, "--data", restored],
                       input=PASSPHRASE + "\n", capture_output=True, text=True)
    assert r.returncode == 0 and "integrity check: ok" in r.stdout and "audit chain: intact" in r.stdout, \
        (r.stdout, r.stderr)
    assert sorted(os.listdir(restored)) == ["db", "keys"]
    # the restored directory serves: every application acknowledged before the backup began is there
    second = harness.Stack(data=restored)
    try:
        receipts = [a[0] for a in before]
        have = set(second.sql("SELECT receipt FROM applications").split())
        assert not [x for x in receipts if x not in have], "lost"
        opened = subprocess.run([os.path.join(BUILD, "tests", "open_app"), second.db(),
                                 os.path.join(harness.stack().data, "demo-recovery-keys.txt"), "-"],
                                input="".join(x + "\n" for x in receipts), capture_output=True, text=True)
        lines = opened.stdout.splitlines()
        assert len(lines) == len(receipts) and "-" not in lines, opened.stderr
        for (receipt, _, tag, _), line in zip(before, lines):
            assert json.loads(line)["answers"]["note"] == "ダミー " + tag, receipt
        assert formctl_at(restored, "audit", "verify").returncode == 0
        assert formctl_at(restored, "check-db").returncode == 0
        # apply's MAC key came back: the resident's inquiry key still works; staff's keys too
        receipt, inquiry = before[0][0], before[0][1]
        b = Browser(port=second.port)
        _, _, page = b.get("/status")
        st, _, page = b.post("/status", [("csrf", csrf_of(page)), ("receipt", receipt), ("inquiry", inquiry)])
        assert st == 200 and 'id="status-value"' in page and "テスト用の申込み" in page, (st, page[:300])
        # a member logs in to the restored stack (Staff talks to harness.STACK) and reads it
        password, first = logins()["yotsuya"], harness.STACK
        harness.STACK = second
        try:
            s = Staff()
            st, h, _ = s.post("/staff/login", [("login", "yotsuya"), ("password", password)])
            assert st == 303, st
            st, _, page = s.get("/staff/apps/" + receipt)
            assert st == 200 and before[0][2] in page, st
        finally:
            harness.STACK = first
    finally:
        second.stop()


def test_restore_refusals_leave_nothing_behind():
    out = STATE["backup"]
    parent = os.path.join(harness.stack().tmp, "refusals")
    os.makedirs(parent)
    target = os.path.join(parent, "data")

    def restore(path, passphrase=PASSPHRASE):
        r = subprocess.run([os.path.join(BUILD, "formctl"), "restore", path, "--data", target],
                           input=passphrase + "\n", capture_output=True, text=True)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert os.listdir(parent) == (["data"] if os.path.isdir(target) else []), os.listdir(parent)
        return r.stderr

    assert "wrong passphrase" in restore(out, "not the passphrase at all")
    data = open(out, "rb").read()
    cut = os.path.join(harness.stack().tmp, "cut.bak")
    open(cut, "wb").write(data[:len(data) * 2 // 3])
    assert "cut off" in restore(cut)
    bent = os.path.join(harness.stack().tmp, "bent.bak")
    middle = len(data) // 2
    open(bent, "wb").write(data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1:])
    assert "altered or damaged" in restore(bent)
    assert "not a backup" in restore(harness.stack().db())
    os.makedirs(target)
    open(os.path.join(target, "keep.txt"), "w").write("x")
    assert "not empty" in restore(out)
    assert os.listdir(target) == ["keep.txt"]


def test_check_db_finds_a_broken_chain_and_a_lost_key():
    data = os.path.join(harness.stack().tmp, "check-db")
    shutil.copytree(os.path.join(harness.stack().tmp, "restored"), data)
    db = os.path.join(data, "db", "platform.sqlite")
    key = subprocess.run(["sqlite3", db, "SELECT key_id FROM applications LIMIT 1"], capture_output=True,
                         text=True).stdout.strip()
    apps = subprocess.run(["sqlite3", db, "SELECT count(*) FROM applications WHERE key_id = '%s'" % key],
                          capture_output=True, text=True).stdout.strip()
    assert key and int(apps) > 0, (key, apps)
    # what a bad restore, a bit flip or a hand at the database could leave: changed by SQL, past the triggers
    r = subprocess.run(["sqlite3", db, "DROP TRIGGER audit_no_update;"
                        " UPDATE audit SET detail = 'x' WHERE seq = (SELECT max(seq) FROM audit);"
                        " DELETE FROM grants WHERE key_id = '%s'; DELETE FROM section_keys WHERE key_id = '%s';"
                        % (key, key)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = formctl_at(data, "check-db")
    assert r.returncode == 1 and "integrity check: ok" in r.stdout, (r.stdout, r.stderr)
    assert "audit chain: BROKEN at" in r.stderr, r.stderr
    assert "key ids: %s applications and 0 notes are sealed to a key the database does not have" % apps \
        in r.stderr, r.stderr


def test_backup_passphrase_is_asked_for_and_never_short():
    r = formctl("backup", os.path.join(harness.stack().tmp, "short.bak"), stdin="short\n")
    assert r.returncode == 1 and "12 characters" in r.stderr, r.stderr
    r = formctl("backup", os.path.join(harness.stack().tmp, "none.bak"), stdin="")
    assert r.returncode == 1 and "no passphrase" in r.stderr, r.stderr
    # from a descriptor, as the daily timer gives it
    rfd, wfd = os.pipe()
    os.write(wfd, (PASSPHRASE + "\n").encode())
    os.close(wfd)
    r = subprocess.run([os.path.join(BUILD, "formctl"), "--data", harness.stack().data, "backup",
                        os.path.join(harness.stack().tmp, "fd.bak"), "--passphrase-fd", str(rfd)],
                       pass_fds=(rfd,), stdin=subprocess.DEVNULL, capture_output=True, text=True)
    os.close(rfd)
    assert r.returncode == 0, r.stderr
    assert audit_rows("backup")[-1].split("|")[1].endswith("fd.bak")


def backup_at_a_terminal(path, first, second):
    """formctl backup with a terminal on standard input: each line typed after its prompt.  The exit
    status, stderr, and what the terminal echoed."""
    import pty, select
    master, slave = pty.openpty()
    p = subprocess.Popen([os.path.join(BUILD, "formctl"), "--data", harness.stack().data, "backup", path],
                         stdin=slave, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(slave)
    err, echoed = b"", b""
    try:
        for prompt, line in ((b"passphrase: ", first), (b"passphrase again: ", second)):
            deadline = time.time() + 20
            while not err.endswith(prompt) and time.time() < deadline and p.poll() is None:
                if select.select([p.stderr], [], [], 0.2)[0]:
                    err += os.read(p.stderr.fileno(), 1)
            assert err.endswith(prompt), err
            os.write(master, line.encode() + b"\n")
        err += p.communicate(timeout=60)[1]
        while select.select([master], [], [], 0)[0]:
            try:
                echoed += os.read(master, 1024)
            except OSError:
                break
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    return p.returncode, err.decode(), echoed


def test_backup_passphrase_asked_twice_at_a_terminal_without_echo():
    path = os.path.join(harness.stack().tmp, "tty.bak")
    rc, err, echoed = backup_at_a_terminal(path, PASSPHRASE, PASSPHRASE + "x")
    assert rc == 1 and "the two passphrases differ" in err and not os.path.exists(path), (rc, err)
    rc, err, echoed = backup_at_a_terminal(path, PASSPHRASE, PASSPHRASE)
    assert rc == 0 and os.path.exists(path), (rc, err)
    assert PASSPHRASE.encode() not in echoed, echoed


def test_daily_backup_keeps_the_newest():
    # as the unit runs it: the passphrase from a credential directory, KEEP=2 with three older ones there
    tmp = harness.stack().tmp
    creds, backups = os.path.join(tmp, "creds"), os.path.join(tmp, "backups")
    os.makedirs(creds)
    os.makedirs(backups)
    open(os.path.join(creds, "backup-passphrase"), "w").write(PASSPHRASE + "\n")
    old = ["shinjuku-20200101-000000.bak", "shinjuku-20200102-000000.bak", "shinjuku-20200103-000000.bak"]
    for name in old + ["notes.txt"]:
        open(os.path.join(backups, name), "w").write("x")
    r = subprocess.run(["sh", os.path.join(harness.ROOT, "scripts", "backup-rotate.sh")], capture_output=True,
                       text=True, env=dict(os.environ, DATA_DIR=harness.stack().data, BACKUP_DIR=backups, KEEP="2",
                                           FORMCTL=os.path.join(BUILD, "formctl"), CREDENTIALS_DIRECTORY=creds))
    assert r.returncode == 0, r.stderr
    left = sorted(os.listdir(backups))
    assert len(left) == 3 and left[0] == "notes.txt" and left[1] == old[2] and left[2] > old[2], left
    r = subprocess.run([os.path.join(BUILD, "formctl"), "restore", os.path.join(backups, left[2]), "--data",
                        os.path.join(tmp, "from-daily")], input=PASSPHRASE + "\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


if __name__ == "__main__":
    sys.exit(harness.main(globals(), prefix="e2e-lifecycle", env={"PURGE_INTERVAL": "3"}))
