#!/usr/bin/python3
"""End-to-end tests of the limits on residents' sends, through the real nginx and apply: applications per
client address and procedure (SEND_LIMIT), arrival mails per recipient address (ARRIVAL_MAIL_LIMIT) and
nginx's limit on POSTs to /f/ (SUBMIT_RATE, SUBMIT_BURST), each as an attacker meets it and as the
rightful resident does.  Clients come from several loopback addresses (127.0.0.x: Linux answers the whole
of 127/8), so that each case has addresses of its own.  The window's sliding is tested in test_db.
Dummy data only.
Usage: test_limits.py BUILD_DIR
"""
import http.client
import shutil
import sys
import urllib.parse

import harness
from harness import Browser, csrf_of, hidden_pairs, receipt_of, valid_answers

SEND_LIMIT = 3
MAIL_LIMIT = 2
MAIL_PROC = "e2e-mail"


class From(Browser):
    """A browser whose connections come from the loopback address addr."""

    def __init__(self, addr, port=None):
        super().__init__(port)
        self.addr = addr

    def _request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port or harness.stack().port, timeout=30,
                                          source_address=(self.addr, 0))
        h = self._hdr()
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        out = r.read().decode("utf-8", "replace")
        self._keep_cookie({"set-cookie-all": r.msg.get_all("Set-Cookie") or []})
        conn.close()
        return r.status, out

    def get(self, path):
        return self._request("GET", path)

    def post(self, path, pairs, raw=None):
        return self._request("POST", path, raw if raw is not None else urllib.parse.urlencode(pairs))

    def confirmed(self, proc="e2e-open", answers=None):
        """The send of a confirmation page: its pairs."""
        st, page = self.get("/f/" + proc)
        assert st == 200, st
        st, page = self.post("/f/" + proc, [("csrf", csrf_of(page)), ("action", "confirm")] +
                             (answers or valid_answers()))
        assert st == 200, (st, page[:400])
        return hidden_pairs(page) + [("action", "send")]

    def send(self, proc="e2e-open", answers=None):
        return self.post("/f/" + proc, self.confirmed(proc, answers))


def mail_answers(address):
    return [("f_name", "試験ダミー太郎"), ("f_email", address)]


def sql(q):
    return harness.stack().sql(q)


def stored():
    return int(sql("SELECT count(*) FROM applications"))


def mails_of(receipt):
    """Arrival mails queued for receipt: waiting in the outbox or already delivered."""
    return int(sql(harness.mails_sql(receipt)))


# ---- cases ----

def test_send_limit_refuses_and_stores_nothing():
    """One address sends SEND_LIMIT applications to a procedure; the next is refused with a 429 page in
    the reader's language, and nothing of it is stored."""
    b = From("127.0.0.2")
    for _ in range(SEND_LIMIT):
        st, page = b.send()
        assert st == 200 and receipt_of(page)[0], (st, page[:400])
    before = stored()
    st, page = b.send()
    assert st == 429, (st, page[:400])
    assert "上限" in page and "保存されていません" in page and receipt_of(page)[0] is None
    assert '<html lang="ja">' in page
    b.accept_language = "en"
    st, page = b.send()
    assert st == 429 and "<h1>Too many applications sent</h1>" in page and "It has not been saved." in page
    assert '<html lang="en">' in page
    assert stored() == before


def test_send_limit_counts_per_procedure_and_address():
    """The rightful side: over its limit for one procedure, an address still sends to another, and
    another address to the same procedure."""
    b = From("127.0.0.3")
    for _ in range(SEND_LIMIT):
        assert b.send()[0] == 200
    assert b.send()[0] == 429
    st, page = b.send(MAIL_PROC, mail_answers("dummy.limits.other@example.jp"))
    assert st == 200 and receipt_of(page)[0], (st, page[:400])
    st, page = From("127.0.0.4").send()
    assert st == 200 and receipt_of(page)[0], (st, page[:400])


def test_replay_over_the_limit_still_shows_its_receipt():
    """A replayed send (double click, reload) is not a new send: at the limit it still shows the
    receipt of the application it stored."""
    b = From("127.0.0.5")
    pairs = b.confirmed()
    st, first = b.post("/f/e2e-open", pairs)
    assert st == 200
    for _ in range(SEND_LIMIT - 1):
        assert b.send()[0] == 200
    assert b.send()[0] == 429
    st, again = b.post("/f/e2e-open", pairs)
    assert st == 200 and receipt_of(again) == receipt_of(first), (st, again[:400])


def test_arrival_mail_limit_per_recipient():
    """Sends from several addresses to one third party's address: MAIL_LIMIT arrival mails go out; the
    next application is stored, its page says that no mail was sent, and no mail is queued."""
    victim = "dummy.victim.limits@example.jp"
    receipts = []
    for i in range(MAIL_LIMIT):
        st, page = From("127.0.1.%d" % (i + 1)).send(MAIL_PROC, mail_answers(victim))
        assert st == 200 and 'id="mail-held"' not in page
        receipts.append(receipt_of(page)[0])
    st, page = From("127.0.1.9").send(MAIL_PROC, mail_answers(victim))
    held = receipt_of(page)[0]
    assert st == 200 and held, (st, page[:400])
    assert 'id="mail-held"' in page and "受付メール" in page
    english = From("127.0.1.10")
    english.accept_language = "en"
    st, page = english.send(MAIL_PROC, mail_answers(victim))
    assert st == 200 and 'id="mail-held"' in page and "we will not send a confirmation email" in page
    assert sql("SELECT count(*) FROM applications WHERE receipt = '%s'" % held) == "1"
    assert [mails_of(r) for r in receipts] == [1] * MAIL_LIMIT
    assert mails_of(held) == 0


def test_arrival_mail_limit_sees_through_spellings():
    """Capitals and a +tag reach the same mailbox: they share its count."""
    victim = "dummy.spelling@example.jp"
    for addr, spelling in (("127.0.2.1", victim), ("127.0.2.2", "Dummy.Spelling+a@Example.JP")):
        st, page = From(addr).send(MAIL_PROC, mail_answers(spelling))
        assert st == 200 and 'id="mail-held"' not in page
    st, page = From("127.0.2.3").send(MAIL_PROC, mail_answers("DUMMY.SPELLING+other@example.jp"))
    assert st == 200 and 'id="mail-held"' in page, page[:400]


def test_arrival_mail_limit_leaves_other_recipients_alone():
    """The rightful side: another recipient, even from an address that met the mail limit, gets its
    arrival mail."""
    victim = "dummy.victim.two@example.jp"
    b = From("127.0.3.1")
    for _ in range(MAIL_LIMIT):
        assert b.send(MAIL_PROC, mail_answers(victim))[0] == 200
    assert 'id="mail-held"' in From("127.0.3.2").send(MAIL_PROC, mail_answers(victim))[1]
    st, page = b.send(MAIL_PROC, mail_answers("dummy.resident.limits@example.jp"))
    receipt = receipt_of(page)[0]
    assert st == 200 and 'id="mail-held"' not in page
    assert mails_of(receipt) == 1


def test_nginx_limits_posts_per_address():
    """nginx's limit on POSTs to /f/ per address (SUBMIT_RATE, burst SUBMIT_BURST): over it a static 429
    page in the reader's language, before apply; GETs are not counted, and another address is not
    affected."""
    tight = harness.Stack(extra_env={"SUBMIT_RATE": "1r/m", "SUBMIT_BURST": "2"})
    try:
        b = From("127.0.4.1", port=tight.port)
        _, page = b.get("/f/e2e-open")
        tok = csrf_of(page)
        codes = [b.post("/f/e2e-open", [("csrf", tok), ("action", "back")])[0] for _ in range(4)]
        assert codes == [200, 200, 200, 429], codes
        st, page = b.post("/f/e2e-open", [("csrf", tok), ("action", "back")])
        assert st == 429 and "送信が集中しています" in page and '<html lang="ja">' in page
        for headers in ({"Accept-Language": "en-GB,en;q=0.9"}, {"Cookie": "lang=en", "Accept-Language": "ja"}):
            st, _, page = harness.request("POST", "/f/e2e-open", body="action=back", headers=headers,
                                          port=tight.port, source="127.0.4.1")
            assert st == 429 and "<h1>Too many requests</h1>" in page and '<html lang="en">' in page, headers
        assert [b.get("/f/e2e-open")[0] for _ in range(5)] == [200] * 5
        assert From("127.0.4.2", port=tight.port).get("/f/e2e-open")[0] == 200
        c = From("127.0.4.2", port=tight.port)
        _, page = c.get("/f/e2e-open")
        assert c.post("/f/e2e-open", [("csrf", csrf_of(page)), ("action", "back")])[0] == 200
    finally:
        tight.stop()
        shutil.rmtree(tight.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(harness.main(globals(), prefix="e2e-limits",
                          env={"SEND_LIMIT": str(SEND_LIMIT), "SEND_WINDOW": "3600",
                               "ARRIVAL_MAIL_LIMIT": str(MAIL_LIMIT)}))
