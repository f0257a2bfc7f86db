#!/usr/bin/python3
"""End-to-end tests of the residents' mails: the outbox, the mailer and a
real SMTP server (aiosmtpd, Debian's python3-aiosmtpd) on loopback that the
tests stop and start.  Messages are parsed with Python's email package.
Prints TAP.  Dummy data only.
Usage: test_mail.py BUILD_DIR
"""
import email
import email.policy
import email.utils
import contextlib
import csv
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller

import harness
from harness import BUILD, Browser, hidden_pairs, of_receipts, receipt_of
from test_staff import Staff, csrf_of, member

PROC = "e2e-mail"
TITLE = "メール試験の申込み"
CONTACT = "試験係 電話 03-0000-0001"


class Inbox:
    """What the SMTP server received: (envelope recipients, raw bytes)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"

    def with_receipt(self, receipt):
        with self.lock:
            return [m for m in self.messages if receipt.encode() in m[1] or
                    receipt in str(email.message_from_bytes(m[1], policy=email.policy.default)["Subject"])]


INBOX = Inbox()
SMTP_PORT = harness.free_port()
SERVER = {"c": None}


def smtp_start():
    c = Controller(INBOX, hostname="127.0.0.1", port=SMTP_PORT)
    c.start()
    SERVER["c"] = c


def smtp_stop():
    if SERVER["c"] is not None:
        SERVER["c"].stop()
        SERVER["c"] = None


def sql(q):
    return harness.stack().sql(q)


def apply(name, address, accept_language=None):
    b = Browser(accept_language=accept_language)
    st, _, page = b.get("/f/" + PROC)
    assert st == 200, st
    st, _, page = b.post("/f/" + PROC, [("csrf", csrf_of(page)), ("action", "confirm"), ("f_name", name),
                                        ("f_email", address)])
    assert st == 200 and ">Send</button>" in page if accept_language else "送信" in page, (st, page[:600])
    st, _, page = b.post("/f/" + PROC, hidden_pairs(page) + [("action", "send")])
    receipt, _ = receipt_of(page)
    assert st == 200 and receipt, (st, page[:400])
    return receipt


def wait_for(cond, seconds=30, what="condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def parsed(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def change_status(login, receipt, frm, to):
    s = member(login)
    _, _, page = s.get("/staff/apps/" + receipt)
    st, _, _ = s.post("/staff/apps/" + receipt, [("csrf", csrf_of(page)), ("from", frm), ("to", to)], csrf=False)
    assert st == 303, st


def mailer_log():
    return os.path.join(harness.stack().data, "log", "mailer.log")


def mailer_env(url=None, **extra):
    """The environment of a mailer sending to url (the tests' SMTP server by default), with extra added."""
    return dict(os.environ, SMTP_URL=url or "smtp://127.0.0.1:%d" % SMTP_PORT, **extra)


@contextlib.contextmanager
def own_mailer(url=None, poll="1", backoff="1", max_tries="3", **extra):
    """A mailer of the test's own for the with-block (mailer_env(url, **extra)); its log goes to the
    stack's mailer.log.  Stopped with SIGTERM at the end."""
    with open(mailer_log(), "a") as log:
        p = subprocess.Popen([os.path.join(BUILD, "mailer"), "--data", harness.stack().data, "--poll", poll,
                              "--backoff", backoff, "--max-tries", max_tries], env=mailer_env(url, **extra),
                             stderr=log)
    try:
        yield
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)


def sql_list(receipts):
    """Receipt numbers (digits and hyphens only) as an SQL list: 'a','b'."""
    return ",".join("'%s'" % r for r in receipts)


def attempts_of(receipts):
    return int(sql("SELECT coalesce(sum(attempts), 0) FROM outbox WHERE %s" % of_receipts(*receipts)))


def pending_of(receipts):
    return int(sql("SELECT count(*) FROM outbox WHERE state = 'pending' AND %s" % of_receipts(*receipts)))


# ---- cases ----

def test_arrival_mail_headers_and_body():
    receipt = apply("試験メール一郎", "dummy.mail1@example.jp")
    msgs = wait_for(lambda: INBOX.with_receipt(receipt), what="the arrival mail")
    assert len(msgs) == 1
    rcpts, raw = msgs[0]
    assert rcpts == ["dummy.mail1@example.jp"]
    m = parsed(raw)
    assert str(m["Subject"]) == "【新宿区】%sの申込みが届きました（受付番号 %s）" % (TITLE, receipt)
    assert m["To"] == "dummy.mail1@example.jp" and len(m.get_all("To")) == 1
    assert m["From"].addresses[0].display_name == "新宿区 電子申請"
    d = email.utils.parsedate_to_datetime(m["Date"])
    assert d.utcoffset().total_seconds() == 9 * 3600 and abs(d.timestamp() - time.time()) < 120
    assert re.match(r"^<outbox-\d+\.\d+@[a-z0-9.-]+>$", m["Message-ID"])
    assert m["MIME-Version"] == "1.0"
    assert m.get_content_type() == "text/plain" and m.get_content_charset() == "utf-8"
    body = m.get_content()
    assert "「%s」の申込みが届きました。" % TITLE in body and "受付番号：" + receipt in body and CONTACT in body
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line
    assert not re.search(rb"[^\r]\n", raw), "bare LF in the message"
    assert "Bcc" not in m and "Cc" not in m


def test_arrival_mail_carries_the_participant_id():
    b = Browser()
    st, _, page = b.get("/f/eco-action")
    st, _, page = b.post("/f/eco-action", [("csrf", csrf_of(page)), ("action", "confirm"), ("f_nickname", "ダミーエコ"),
                                           ("f_postal", "1608484"), ("f_birthday", "4/1"),
                                           ("f_email", "dummy.eco@example.jp")])
    assert st == 200, page[:600]
    st, _, page = b.post("/f/eco-action", hidden_pairs(page) + [("action", "send")])
    receipt, _ = receipt_of(page)
    pid = re.search(r'id="participant">([A-Z0-9-]+)<', page).group(1)
    def with_pid():
        with INBOX.lock:
            return [parsed(raw) for _, raw in INBOX.messages if pid in str(parsed(raw)["Subject"])]
    m = wait_for(with_pid, what="the arrival mail")[0]
    assert "参加者ID：" + pid in m.get_content() and "受付番号：" + receipt in m.get_content()


def test_counter_entry_mails_its_participant_id():
    """A registration entered from paper with an address gets the arrival mail a resident would, ID and all,
    through a contact envelope."""
    s = member("gomi")
    _, _, page = s.get("/staff/entry/eco-action")
    st, _, page = s.post("/staff/entry/eco-action", [("csrf", csrf_of(page)), ("action", "confirm"),
                                                     ("channel", "counter"), ("f_nickname", "ダミー窓口メール"),
                                                     ("f_postal", "1608484"), ("f_birthday", "０４－０１"),
                                                     ("f_email", "dummy.counter@example.jp")], csrf=False)
    assert st == 200, page[:600]
    form = page[page.index('<form method="post" action="/staff/entry/'):]
    st, _, slip = s.post("/staff/entry/eco-action", hidden_pairs(form[:form.index("</form>")]) + [("action", "send")],
                         csrf=False)
    assert st == 200, slip[:600]
    receipt, _ = receipt_of(slip)
    pid = re.search(r'id="participant">([A-Z0-9-]+)<', slip).group(1)
    # its address is in a contact envelope, as a resident's is; the mailer fills it into the clear text
    assert sql("SELECT count(*) FROM envelopes WHERE %s" % of_receipts(receipt)) == "1"
    def with_pid():
        with INBOX.lock:
            return [(r, parsed(raw)) for r, raw in INBOX.messages if pid in str(parsed(raw)["Subject"])]
    rcpts, m = wait_for(with_pid, what="the counter entry's arrival mail")[0]
    assert rcpts == ["dummy.counter@example.jp"]
    assert "参加者ID：" + pid in m.get_content() and "受付番号：" + receipt in m.get_content()


def test_delivered_mail_leaves_a_record_without_personal_data():
    receipt = apply("試験メール二郎", "dummy.mail2@example.jp")
    wait_for(lambda: INBOX.with_receipt(receipt), what="the mail")
    wait_for(lambda: sql("SELECT count(*) FROM mail_log WHERE receipt = '%s'" % receipt) == "1",
             what="the delivery record")
    assert sql("SELECT count(*) FROM outbox WHERE %s" % of_receipts(receipt)) == "0"
    assert sql("SELECT kind || ',' || attempts FROM mail_log WHERE receipt = '%s'" % receipt) == "arrival,1"
    harness.assert_not_at_rest(["dummy.mail2@example.jp"], present=[receipt])
    logs = "".join(open(os.path.join(harness.stack().data, "log", f), errors="replace").read()
                   for f in os.listdir(os.path.join(harness.stack().data, "log")))
    assert "dummy.mail2" not in logs


def test_mailer_commits_flush_the_wal():
    # synchronous=FULL on the mailer's own connection: each delivery is recorded by a commit
    def deliver_two():
        receipts = [apply("試験メール同期%d" % i, "dummy.sync%d@example.jp" % i) for i in range(2)]
        wait_for(lambda: sql("SELECT count(*) FROM mail_log WHERE receipt IN (%s)" % sql_list(receipts)) == "2",
                 what="the delivery records")
    syncs = harness.stack().wal_syncs_during("mailer", deliver_two)
    assert syncs >= 2, "%d WAL flushes for 2 deliveries" % syncs


def test_queued_mail_is_sealed():
    smtp_stop()
    try:
        receipt = apply("試験メール三郎", "dummy.mail3@example.jp")
        # queued in the application's own transaction as its clear text; the address is in the
        # application's contact envelope, sealed to the mailer's key, and nowhere in clear
        assert sql("SELECT count(*) FROM outbox WHERE %s AND kind = 'arrival' AND sealed IS NULL"
                   " AND text LIKE '%%受付番号%%%s%%'" % (of_receipts(receipt), receipt)) == "1"
        assert sql("SELECT count(*) FROM envelopes WHERE %s" % of_receipts(receipt)) == "1"
        # staff's acceptance mail goes to the same envelope: text again, nothing opened to queue it
        change_status("yotsuya", receipt, "received", "accepted")
        assert sql("SELECT count(*) FROM outbox WHERE %s AND kind = 'acceptance' AND sealed IS NULL"
                   " AND text IS NOT NULL" % of_receipts(receipt)) == "1"
        harness.assert_not_at_rest(["dummy.mail3", "試験メール三郎"], present=[receipt])
    finally:
        smtp_start()
    wait_for(lambda: len(INBOX.with_receipt(receipt)) == 2, what="both mails after the server came back")
    assert all(rcpts == ["dummy.mail3@example.jp"] for rcpts, _ in INBOX.with_receipt(receipt))


def test_empty_optional_address_queues_nothing():
    before = int(sql("SELECT count(*) FROM outbox") or 0) + int(sql("SELECT count(*) FROM mail_log") or 0)
    receipt = apply("試験メールなし", "")
    time.sleep(3)
    assert sql("SELECT count(*) FROM outbox WHERE %s" % of_receipts(receipt)) == "0"
    assert sql("SELECT count(*) FROM mail_log WHERE receipt = '%s'" % receipt) == "0"
    assert int(sql("SELECT count(*) FROM outbox") or 0) + int(sql("SELECT count(*) FROM mail_log") or 0) == before
    assert INBOX.with_receipt(receipt) == []


def test_header_injection_refused_at_the_form():
    b = Browser()
    _, _, page = b.get("/f/" + PROC)
    st, _, page = b.post("/f/" + PROC, [("csrf", csrf_of(page)), ("action", "confirm"), ("f_name", "試験"),
                                        ("f_email", "dummy@example.jp\r\nBcc: other@example.jp")])
    assert st == 422 and "<title>エラー：" in page and 'name="token"' not in page, st


def test_encoded_word_address_refused_at_the_form():
    """An RFC 2047 encoded word in the local part, which a mail program may show as another address:
    the resident is told next to the field, nothing is queued."""
    before = sql("SELECT count(*) FROM outbox")
    b = Browser()
    _, _, page = b.get("/f/" + PROC)
    st, _, page = b.post("/f/" + PROC, [("csrf", csrf_of(page)), ("action", "confirm"), ("f_name", "試験"),
                                        ("f_email", "=?utf-8?b?YWRtaW5AZXhhbXBsZS5qcA==?=@example.jp")])
    assert st == 422 and 'name="token"' not in page, st
    m = re.search(r'<p class="error-message" id="f-email-error">([^<]*)</p>', page)
    assert m and "「=?」を含むアドレスはお使いいただけません" in m.group(1), page[:2000]
    assert 'aria-invalid="true"' in page
    assert sql("SELECT count(*) FROM outbox") == before


def test_mailer_refuses_a_sender_it_cannot_write_as_is():
    """MAIL_FROM goes into the envelope, From: and the Message-ID: checked before anything is sent."""
    for bad in ("Dummy <no-reply@example.jp>, other@example.jp", "Dummy\r\nBcc: x@example.jp <a@example.jp>",
                "=?utf-8?q?x?=@example.jp", "no-reply@localhost"):
        r = subprocess.run([os.path.join(BUILD, "mailer"), "--data", harness.stack().data, "--from", bad],
                           env=mailer_env(), capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "--from must be" in r.stderr, (bad, r.returncode, r.stderr)


def test_acceptance_and_return_mails_from_staff():
    receipt = apply("試験メール四郎", "dummy.mail4@example.jp")
    wait_for(lambda: INBOX.with_receipt(receipt), what="arrival")
    change_status("yotsuya", receipt, "received", "accepted")
    msgs = wait_for(lambda: [m for m in INBOX.with_receipt(receipt) if "受け付けました" in str(parsed(m[1])["Subject"])],
                    what="the acceptance mail")
    assert len(msgs) == 1 and msgs[0][0] == ["dummy.mail4@example.jp"]
    assert "受付番号：" + receipt in parsed(msgs[0][1]).get_content()
    change_status("yotsuya", receipt, "accepted", "returned")
    wait_for(lambda: [m for m in INBOX.with_receipt(receipt) if "ご確認ください" in str(parsed(m[1])["Subject"])],
             what="the return mail")
    kinds = sql("SELECT group_concat(kind) FROM (SELECT kind FROM mail_log WHERE receipt = '%s' ORDER BY id)"
                % receipt)
    wait_for(lambda: sql("SELECT count(*) FROM mail_log WHERE receipt = '%s'" % receipt) == "3", what="3 records")
    kinds = sql("SELECT group_concat(kind) FROM (SELECT kind FROM mail_log WHERE receipt = '%s' ORDER BY id)"
                % receipt)
    assert kinds == "arrival,acceptance,return", kinds
    # the staff see the mails on the application's page
    _, _, page = member("yotsuya").get("/staff/apps/" + receipt)
    assert page.count("送信済み") == 3 and "受付完了メール" in page


def test_mails_in_the_language_applied_in():
    """An application sent in English: its mails are in English, or in Japanese where the definition has no
    English (the return text); staff and the CSV see its language, 英語."""
    receipt = apply("Dummy Mail Resident", "dummy.mail.en@example.jp", accept_language="en-GB,en;q=0.9")
    assert sql("SELECT lang FROM applications WHERE receipt = '%s'" % receipt) == "en"
    in_japanese = apply("試験言語日本語", "dummy.mail.ja@example.jp")
    m = parsed(wait_for(lambda: INBOX.with_receipt(receipt), what="the arrival mail")[0][1])
    assert str(m["Subject"]) == "[Shinjuku City] We have received your application: Mail test application (%s)" \
        % receipt, str(m["Subject"])
    body = m.get_content()
    assert "This mail is a test." in body and "Receipt number: " + receipt in body, body
    assert "Test desk phone 03-0000-0001" in body and "受付" not in body
    change_status("yotsuya", receipt, "received", "accepted")
    msgs = wait_for(lambda: [x for x in INBOX.with_receipt(receipt) if "accepted" in str(parsed(x[1])["Subject"])],
                    what="the acceptance mail")
    assert str(parsed(msgs[0][1])["Subject"]) == \
        "[Shinjuku City] Your application is accepted: Mail test application (%s)" % receipt
    change_status("yotsuya", receipt, "accepted", "returned")
    msgs = wait_for(lambda: [x for x in INBOX.with_receipt(receipt) if "ご確認ください" in str(parsed(x[1])["Subject"])],
                    what="the return mail")
    assert str(parsed(msgs[0][1])["Subject"]) == \
        "【新宿区】Mail test applicationの申込み内容をご確認ください（受付番号 %s）" % receipt
    s = member("yotsuya")
    _, _, page = s.get("/staff/apps/" + receipt)
    assert '<dd id="lang-value">英語</dd>' in page and "状態" in page
    # every export names its purpose and recipient (the ledger); dummy values
    st, _, body = s.get("/staff/forms/%s/export.csv?%s" % (
        PROC, urllib.parse.urlencode([("purpose", "ダミーの確認作業"), ("recipient", "試験係")])))
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))
    assert st == 200 and list(rows[0].keys())[:5] == ["受付番号", "受付日時", "状態", "受付方法", "言語"]
    langs = {r["受付番号"]: r["言語"] for r in rows}
    assert langs[receipt] == "英語" and langs[in_japanese] == "日本語", langs


def test_mail_queued_before_envelopes_still_sent():
    """An application stored as before contact envelopes (tests/helpers/old_format.c: no envelope, its
    arrival mail sealed whole): its mail is sent, and staff's acceptance mail is composed from the
    opened application, as it was then."""
    r = subprocess.run([os.path.join(BUILD, "tests", "old_format"), harness.stack().data, PROC, "yotsuya-hc",
                        "試験旧形式", "dummy.old@example.jp"], capture_output=True, text=True)
    receipt = r.stdout.strip()
    assert r.returncode == 0 and receipt, r.stderr
    assert sql("SELECT count(*) FROM envelopes WHERE %s" % of_receipts(receipt)) == "0"
    msgs = wait_for(lambda: INBOX.with_receipt(receipt), what="the old arrival mail")
    assert msgs[0][0] == ["dummy.old@example.jp"]
    m = parsed(msgs[0][1])
    assert str(m["Subject"]) == "旧形式の到達メール（受付番号 %s）" % receipt
    assert re.match(r"^<outbox-\d+\.\d+@[a-z0-9.-]+>$", m["Message-ID"])
    change_status("yotsuya", receipt, "received", "accepted")
    wait_for(lambda: [m for m in INBOX.with_receipt(receipt) if "受け付けました" in str(parsed(m[1])["Subject"])],
             what="the acceptance mail")
    assert all(rcpts == ["dummy.old@example.jp"] for rcpts, _ in INBOX.with_receipt(receipt))


def test_mail_whose_envelope_is_gone_given_up_visibly():
    """A mail whose application's envelope was erased before it could be sent: it can never be, and is
    marked failed at once for the section's staff, with a reason that names nobody."""
    smtp_stop()
    try:
        receipt = apply("試験封筒なし", "dummy.noenv@example.jp")
        wait_for(lambda: sql("SELECT attempts FROM outbox WHERE %s" % of_receipts(receipt)) not in ("", "0"),
                 what="a first try while the relay is down")
        sql("DELETE FROM envelopes WHERE %s" % of_receipts(receipt))
        wait_for(lambda: sql("SELECT state FROM outbox WHERE %s" % of_receipts(receipt)) == "failed",
                 what="the mail given up")
        err = sql("SELECT last_error FROM outbox WHERE %s" % of_receipts(receipt))
        assert err == "cannot open or format the queued mail", err
    finally:
        smtp_start()
    time.sleep(2)
    assert INBOX.with_receipt(receipt) == []
    sql("DELETE FROM outbox WHERE %s" % of_receipts(receipt))     # the later cases count the failed mails


def test_server_down_then_every_mail_once():
    smtp_stop()
    receipts = []
    try:
        for i in range(5):
            receipts.append(apply("試験停止中%d" % i, "dummy.down%d@example.jp" % i))
        wait_for(lambda: sql("SELECT min(attempts) FROM outbox WHERE %s" % of_receipts(*receipts))
                 not in ("", "0"),
                 what="failed tries while the server is down")
        assert pending_of(receipts) == 5
    finally:
        smtp_start()
    for r in receipts:
        wait_for(lambda: INBOX.with_receipt(r), seconds=40, what="mail for " + r)
    time.sleep(3)   # a duplicate would come now
    for r in receipts:
        assert len(INBOX.with_receipt(r)) == 1, r
    assert sql("SELECT count(*) FROM outbox WHERE %s" % of_receipts(*receipts)) == "0"


def test_mailer_can_stop_and_start():
    pidfile = os.path.join(harness.stack().data, "run", "mailer.pid")
    os.kill(int(open(pidfile).read()), signal.SIGTERM)
    time.sleep(1)
    receipt = apply("試験再起動", "dummy.restart@example.jp")
    time.sleep(3)
    assert INBOX.with_receipt(receipt) == []
    assert sql("SELECT count(*) FROM outbox WHERE %s" % of_receipts(receipt)) == "1"
    with own_mailer():
        wait_for(lambda: INBOX.with_receipt(receipt), what="the mail after the restart")
        # a second mailer on the same data directory refuses to run (it would send twice)
        second = subprocess.run([os.path.join(BUILD, "mailer"), "--data", harness.stack().data], env=mailer_env(),
                                capture_output=True, text=True, timeout=10)
        assert second.returncode == 1 and "another mailer" in second.stderr


def test_failed_after_max_tries_is_shown_and_can_be_resent():
    # the stack's mailer is gone (previous case); run one with 3 tries, 1 s back-off
    smtp_stop()
    try:
        with own_mailer():
            receipt = apply("試験失敗", "dummy.failed@example.jp")
            wait_for(lambda: sql("SELECT state FROM outbox WHERE %s" % of_receipts(receipt)) == "failed",
                     seconds=40, what="the mail marked failed")
            assert sql("SELECT attempts FROM outbox WHERE %s" % of_receipts(receipt)) == "3"
            err = sql("SELECT last_error FROM outbox WHERE %s" % of_receipts(receipt))
            assert err.startswith("curl ") and "dummy" not in err, err
            s = member("yotsuya")
            _, _, page = s.get("/staff/forms/" + PROC)
            assert "メールを送れなかった申請が1件あります" in page
            _, _, page = s.get("/staff/apps/" + receipt)
            assert "送信失敗" in page and "申請到達メール" in page
            r = subprocess.run([os.path.join(BUILD, "formctl"), "--data", harness.stack().data, "mail",
                                "status"], capture_output=True, text=True)
            assert "1 failed" in r.stdout and receipt in r.stdout, r.stdout
            smtp_start()
            r = subprocess.run([os.path.join(BUILD, "formctl"), "--data", harness.stack().data, "mail", "retry",
                                "--all"], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            wait_for(lambda: INBOX.with_receipt(receipt), what="the resent mail")
            assert len(INBOX.with_receipt(receipt)) == 1
    finally:
        if SERVER["c"] is None:
            smtp_start()


def test_server_down_one_try_per_pass_not_one_per_mail():
    smtp_stop()
    receipts = [apply("試験停止一括%d" % i, "dummy.pass%d@example.jp" % i) for i in range(20)]
    try:
        with own_mailer(max_tries="6"):
            wait_for(lambda: attempts_of(receipts) > 0, seconds=10, what="a first try")
            time.sleep(2.5)
            # a pass a second, each stopping at its first failure: the old mailer tried all 20 at once
            tries = attempts_of(receipts)
            assert 1 <= tries <= 5, tries
            assert pending_of(receipts) == 20
            assert "other due mails wait for the next try" in open(mailer_log(), encoding="utf-8").read()
            smtp_start()
            for r in receipts:
                wait_for(lambda: INBOX.with_receipt(r), seconds=20, what="mail for " + r)
            for r in receipts:
                assert len(INBOX.with_receipt(r)) == 1, r
    finally:
        if SERVER["c"] is None:
            smtp_start()


class RefusingInbox(Inbox):
    """Refuses one recipient (550), as a relay refuses an unknown mailbox; takes the rest."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "dummy.refused@example.jp":
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_refused_mail_does_not_stop_the_pass():
    inbox, port = RefusingInbox(), harness.free_port()
    relay = Controller(inbox, hostname="127.0.0.1", port=port)
    relay.start()
    try:
        refused = apply("試験拒否", "dummy.refused@example.jp")
        others = [apply("試験拒否後%d" % i, "dummy.after%d@example.jp" % i) for i in range(3)]
        # one pass only in the test's time: the others arrive only if the refusal did not end it
        with own_mailer("smtp://127.0.0.1:%d" % port, poll="60", backoff="60"):
            for r in others:
                wait_for(lambda: inbox.with_receipt(r), seconds=10, what="mail for " + r)
            assert inbox.with_receipt(refused) == []
            assert sql("SELECT attempts FROM outbox WHERE %s" % of_receipts(refused)) == "1"
            err = sql("SELECT last_error FROM outbox WHERE %s" % of_receipts(refused))
            assert "SMTP 550" in err and "dummy" not in err, err
    finally:
        relay.stop()


class TlsInbox(Inbox):
    """Records, with each message, whether the session was encrypted and authenticated."""

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(((session.ssl is not None, session.authenticated), envelope.original_content))
        return "250 OK"


def check_login(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult
    ok = auth_data.login == b"dummy-relay-user" and auth_data.password == b"dummy-relay-pass"
    return AuthResult(success=ok)


def test_starttls_and_auth_when_configured():
    import ssl
    tmp = harness.stack().tmp
    cert, key = os.path.join(tmp, "relay.pem"), os.path.join(tmp, "relay.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox, port = TlsInbox(), harness.free_port()
    relay = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                       authenticator=check_login, auth_required=True, auth_require_tls=True)
    relay.start()

    def mailer(password):
        return own_mailer("smtp://dummy-relay-user:%s@127.0.0.1:%d" % (password, port),
                          SMTP_STARTTLS="1", SMTP_CAFILE=cert)
    try:
        # wrong credentials: refused by the relay, kept and retried, never lost
        with mailer("wrong-pass"):
            receipt = apply("試験TLS", "dummy.tls@example.jp")
            wait_for(lambda: sql("SELECT attempts FROM outbox WHERE %s" % of_receipts(receipt)) not in ("", "0"),
                     what="a refused try")
            assert inbox.messages == []
            assert "curl " in sql("SELECT last_error FROM outbox WHERE %s" % of_receipts(receipt))
        sql("UPDATE outbox SET state = 'pending', attempts = 0, next_at = 0 WHERE %s" % of_receipts(receipt))
        with mailer("dummy-relay-pass"):
            wait_for(lambda: inbox.messages, what="the mail through STARTTLS + AUTH")
        (tls, authenticated), raw = inbox.messages[0]
        assert tls and authenticated
        assert receipt in str(parsed(raw)["Subject"])
    finally:
        relay.stop()


def test_without_smtp_url_mails_land_in_the_sink():
    other = harness.Stack(extra_env={"SMTP_URL": "", "MAIL_POLL": "1"})
    try:
        saved = harness.STACK
        harness.STACK = other
        try:
            receipt = apply("試験シンク", "dummy.sink@example.jp")
            maildir = os.path.join(other.data, "mail")
            files = wait_for(lambda: [f for f in os.listdir(maildir) if f.endswith(".eml")]
                             if os.path.isdir(maildir) else [], what="a file in DATA_DIR/mail")
            raw = open(os.path.join(maildir, files[0]), "rb").read()
            assert receipt in str(parsed(raw)["Subject"])
            assert oct(os.stat(os.path.join(maildir, files[0])).st_mode & 0o777) == "0o600"
            # the banner comes after nginx is up, so it may still be on its way
            wait_for(lambda: "mails land in" in open(os.path.join(other.tmp, "run.log"), encoding="utf-8").read(),
                     seconds=10, what="make run's banner naming the mail directory")
        finally:
            harness.STACK = saved
    finally:
        other.stop()


if __name__ == "__main__":
    smtp_start()
    try:
        rc = harness.main(globals(), prefix="e2e-mail",
                          env={"SMTP_URL": "smtp://127.0.0.1:%d" % SMTP_PORT, "MAIL_BACKOFF": "1",
                               "MAIL_MAX_TRIES": "6", "MAIL_POLL": "1"})
    finally:
        smtp_stop()
    sys.exit(rc)
