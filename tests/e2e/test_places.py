#!/usr/bin/python3
"""End-to-end tests of places (定員) through the real nginx, apply, staff and mailer: first come first
served decided by the batching writer (exactly capacity stored when many send at once), 満員です with
nothing stored, the waitlist and its turn (completion page, arrival mail, /status), a freed place moving
the waitlist up (status, mail, audit) also while others send, and choices with their own places.
Dummy data only.

Usage: test_places.py BUILD_DIR"""
import email
import email.policy
import glob
import os
import re
import sys
import threading
import time

import harness
from harness import Browser, csrf_of, hidden_pairs, of_receipts, receipt_of
from test_staff import csrf_of as staff_csrf_of, entry_hidden, member


def sql(q):
    return harness.stack().sql(q)


def confirmed(proc, answers, source=None, lang=None):
    """A browser (reading lang) on the confirmation page of proc with answers: (browser, the send's pairs)."""
    b = Browser(source=source, accept_language=lang)
    st, _, page = b.get("/f/" + proc)
    assert st == 200, st
    st, _, page = b.post("/f/" + proc, [("csrf", csrf_of(page)), ("action", "confirm")] + answers)
    assert st == 200 and 'value="send"' in page, (st, page[:600])
    return b, hidden_pairs(page) + [("action", "send")]


def send(proc, answers, lang=None):
    b, pairs = confirmed(proc, answers, lang=lang)
    return b.post("/f/" + proc, pairs)


def send_all_at_once(prepared, proc):
    """Every prepared (browser, pairs) sends at the same moment: [(status, page)] in their order."""
    out = [None] * len(prepared)
    gate = threading.Barrier(len(prepared))

    def one(i):
        b, pairs = prepared[i]
        gate.wait()
        st, _, page = b.post("/f/" + proc, pairs)
        out[i] = (st, page)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(prepared))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def count(where):
    return int(sql("SELECT count(*) FROM applications WHERE " + where))


def counters_match(proc):
    """The counters the writer keeps equal what a count of the rows says."""
    taken = sql("SELECT coalesce(sum(taken), 0) FROM places WHERE procedure_id = '%s' AND choice = ''" % proc)
    held = count("procedure_id = '%s' AND status NOT IN ('withdrawn', 'waitlisted', 'lost', 'reserve')" % proc)
    waiting = sql("SELECT coalesce(sum(waiting), 0) FROM places WHERE procedure_id = '%s'" % proc)
    waits = count("procedure_id = '%s' AND status = 'waitlisted'" % proc)
    assert (int(taken), int(waiting)) == (held, waits), (taken, held, waiting, waits)


def status_page(receipt, inquiry, lang=None):
    b = Browser(accept_language=lang)
    _, _, page = b.get("/status")
    return b.post("/status", [("csrf", csrf_of(page)), ("receipt", receipt), ("inquiry", inquiry)])


def withdraw(receipt, frm="received"):
    s = member("yotsuya")
    _, _, page = s.get("/staff/apps/" + receipt)
    st, _, _ = s.post("/staff/apps/" + receipt, [("csrf", staff_csrf_of(page)), ("from", frm), ("to", "withdrawn")],
                      csrf=False)
    assert st == 303, st


def mail_for(receipt, kind="", seconds=30):
    """The mails the local sink got whose subject names receipt (and holds kind), as parsed messages."""
    maildir = os.path.join(harness.stack().data, "mail")
    deadline = time.time() + seconds
    while True:
        found = []
        for path in glob.glob(os.path.join(maildir, "*.eml")):
            m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
            if receipt in str(m["Subject"]) and kind in str(m["Subject"]):
                found.append(m)
        if found or time.time() > deadline:
            return found
        time.sleep(0.3)


def test_last_places_taken_by_many_at_once():
    """60 residents send at the same moment for 20 places: exactly 20 stored, the rest 満員です."""
    prepared = [confirmed("e2e-places", [("f_name", "試験先着%02d" % i)]) for i in range(60)]
    out = send_all_at_once(prepared, "e2e-places")
    stored = [p for st, p in out if st == 200 and receipt_of(p)[0]]
    full = [p for st, p in out if st == 409 and "満員です" in p]
    assert len(stored) == 20 and len(full) == 40, ([st for st, _ in out], len(stored), len(full))
    assert "この申請は保存されていません" in full[0]
    assert count("procedure_id = 'e2e-places'") == 20
    counters_match("e2e-places")
    # the form and the list now say so
    _, _, page = Browser().get("/f/e2e-places")
    assert "定員：満員" in page
    _, _, index = Browser().get("/")
    assert re.search(r'href="/f/e2e-places">.*?満員', index, re.S)


def test_full_refused_at_confirmation():
    """Once full (the case above), even the confirmation goes no further."""
    b = Browser()
    _, _, page = b.get("/f/e2e-places")
    st, _, page = b.post("/f/e2e-places", [("csrf", csrf_of(page)), ("action", "confirm"), ("f_name", "試験遅着")])
    assert st == 409 and "満員です" in page, (st, page[:400])


def entry(proc, name, more=()):
    """yotsuya enters a paper application of proc (post): the send's (status, page)."""
    s = member("yotsuya")
    _, _, page = s.get("/staff/entry/" + proc)
    st, _, page = s.post("/staff/entry/" + proc, [("csrf", staff_csrf_of(page)), ("action", "confirm"),
                                                  ("channel", "post"), ("f_name", name)] + list(more), csrf=False)
    assert st == 200, (st, page[:800])
    st, _, page = s.post("/staff/entry/" + proc, entry_hidden(page) + [("action", "send")], csrf=False)
    return st, page


def test_counter_entry_takes_places_like_a_send():
    """Paper applications count against the same places: refused when full, waiting in turn."""
    st, page = entry("e2e-places", "試験紙の申請")
    assert st == 409 and "満員です" in page, (st, page[:600])
    assert count("procedure_id = 'e2e-places'") == 20
    st, page = entry("e2e-entry-places", "試験紙1")
    assert st == 200 and 'id="receipt"' in page and 'id="waitlist"' not in page, (st, page[:600])
    # with an address: its arrival mail says the turn, in Japanese, from staff's own catalogues
    st, page = entry("e2e-entry-places", "試験紙2", [("f_email", "dummy.entry.wl@example.jp")])
    assert st == 200 and "キャンセル待ち（1番目）" in page, (st, page[:1200])
    receipt = re.search(r'id="receipt">([0-9-]+)<', page).group(1)
    mails = mail_for(receipt)
    assert mails and "キャンセル待ち（1番目）" in mails[0].get_body().get_content(), mails
    assert count("procedure_id = 'e2e-entry-places' AND status = 'waitlisted' AND channel = 'post'") == 1
    counters_match("e2e-entry-places")


def test_waitlist_turn_on_done_page_status_and_mail():
    first = [send("e2e-waitlist", [("f_name", "試験定員%d" % i), ("f_email", "dummy.wl%d@example.jp" % i)])
             for i in range(2)]
    assert all(st == 200 and 'id="waitlist"' not in p for st, _, p in first)
    _, _, page = Browser().get("/f/e2e-waitlist")
    assert "満員（キャンセル待ち受付中）" in page
    st, _, page = send("e2e-waitlist", [("f_name", "試験待ち1"), ("f_email", "dummy.wl.a@example.jp")])
    st2, _, page2 = send("e2e-waitlist", [("f_name", "試験待ち2"), ("f_email", "dummy.wl.b@example.jp")])
    assert st == 200 and "キャンセル待ち（1番目）" in page, page[:800]
    assert st2 == 200 and "キャンセル待ち（2番目）" in page2
    receipt, inquiry = receipt_of(page2)
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % receipt) == "waitlisted"
    _, _, sp = status_page(receipt, inquiry)
    assert "キャンセル待ち" in sp and 'id="waitlist-position">キャンセル待ちの順番：2番目' in sp, sp[:1200]
    mails = mail_for(receipt)
    assert mails and "キャンセル待ち（2番目）" in mails[0].get_body().get_content(), mails
    counters_match("e2e-waitlist")


def test_freed_place_moves_the_first_up_with_mail_and_audit():
    receipts = [r for (r,) in [(x,) for x in sql(
        "SELECT group_concat(receipt) FROM (SELECT receipt FROM applications WHERE procedure_id = 'e2e-waitlist'"
        " ORDER BY id)").split(",")]]
    holder, waiting1, waiting2 = receipts[0], receipts[2], receipts[3]
    withdraw(holder)
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % waiting1) == "received"
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % waiting2) == "waitlisted"
    assert sql("SELECT count(*) FROM app_events WHERE receipt = '%s' AND from_status = 'waitlisted'"
               " AND to_status = 'received' AND actor = 'yotsuya'" % waiting1) == "1"
    assert sql("SELECT count(*) FROM audit WHERE action = 'promote' AND target = '%s'" % waiting1) == "1"
    mails = mail_for(waiting1, "繰上げ当選のお知らせ")
    assert mails and "繰り上げてご参加いただけます" in mails[0].get_body().get_content(), mails
    assert sql("SELECT count(*) FROM app_places WHERE %s AND wait_seq IS NULL" % of_receipts(waiting1)) == "1"
    counters_match("e2e-waitlist")
    # a waiting one withdrawn: nobody moves, its turn is given up
    withdraw(waiting2, frm="waitlisted")
    assert sql("SELECT count(*) FROM audit WHERE action = 'promote'") == "1"
    counters_match("e2e-waitlist")


def test_promotion_racing_new_sends():
    """A place freed while 8 others send: the first waiting moves up, every new send waits behind it."""
    held = [receipt_of(send("e2e-race", [("f_name", "試験競合%d" % i)])[2])[0] for i in range(3)]
    waiting = receipt_of(send("e2e-race", [("f_name", "試験競合待ち")])[2])[0]
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % waiting) == "waitlisted"
    prepared = [confirmed("e2e-race", [("f_name", "試験競合新%d" % i)]) for i in range(8)]
    staff = threading.Thread(target=withdraw, args=(held[0],))
    staff.start()
    out = send_all_at_once(prepared, "e2e-race")
    staff.join(timeout=60)
    assert all(st == 200 and "キャンセル待ち" in p for st, p in out), [st for st, _ in out]
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % waiting) == "received"
    assert count("procedure_id = 'e2e-race' AND status = 'received'") == 3
    assert count("procedure_id = 'e2e-race' AND status = 'waitlisted'") == 8
    counters_match("e2e-race")


def test_choice_places_shown_disabled_and_refused():
    b_late, pairs_late = confirmed("e2e-courses", [("f_course", "a"), ("f_name", "試験遅いA")])
    st, _, page = send("e2e-courses", [("f_course", "a"), ("f_name", "試験コースA")])
    assert st == 200 and receipt_of(page)[0]
    _, _, form = Browser().get("/f/e2e-courses")
    assert re.search(r'value="a" disabled><label for="f-course-0">Aコース <span class="places">満員</span>', form), \
        form[form.find("choices"):][:600]
    assert re.search(r'value="b"><label for="f-course-1">Bコース <span class="places">残り5人</span>', form)
    # the server decides, whatever the browser sends: at the confirmation ...
    b = Browser()
    _, _, page = b.get("/f/e2e-courses")
    st, _, page = b.post("/f/e2e-courses", [("csrf", csrf_of(page)), ("action", "confirm"), ("f_course", "a"),
                                            ("f_name", "試験無理A")])
    assert st == 422 and "「Aコース」は満員です" in page, (st, page[:600])
    # ... and on a send confirmed before the place went
    st, _, page = b_late.post("/f/e2e-courses", pairs_late)
    assert st == 422 and "「Aコース」は満員です" in page, (st, page[:600])
    assert count("procedure_id = 'e2e-courses'") == 1
    st, _, page = send("e2e-courses", [("f_course", "b"), ("f_name", "試験コースB")])
    assert st == 200 and receipt_of(page)[0]
    counters_match("e2e-courses")


def test_form_get_rendered_again_only_when_places_change():
    """The empty form is cached per counters: two GETs in a row show the same places, a send changes them."""
    _, _, one = Browser().get("/f/e2e-courses")
    _, _, two = Browser().get("/f/e2e-courses")
    assert "残り4人" in one and "残り4人" in two
    send("e2e-courses", [("f_course", "b"), ("f_name", "試験コースB2")])
    _, _, three = Browser().get("/f/e2e-courses")
    assert "残り3人" in three, three[:2000]


def status_step(b, receipt, inquiry, action, source=None):
    _, _, page = b.get("/status")
    return b.post("/status", [("csrf", csrf_of(page)), ("receipt", receipt), ("inquiry", inquiry),
                              ("action", action)])


def test_resident_withdraws_after_confirmation_and_the_waitlist_moves_up():
    holder = receipt_of(send("e2e-withdraw", [("f_name", "試験取下げ1")])[2])
    waiting = receipt_of(send("e2e-withdraw", [("f_name", "試験取下げ2")])[2])
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % waiting[0]) == "waitlisted"
    b = Browser()
    st, _, page = status_page(*holder)
    assert st == 200 and 'value="withdraw"' in page and "この申請を取り下げる" in page
    # the first step only asks
    st, _, page = status_step(b, holder[0], holder[1], "withdraw")
    assert st == 200 and 'id="withdraw-confirm"' in page and 'value="withdraw-yes"' in page, page[:1500]
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % holder[0]) == "received"
    st, _, page = status_step(b, holder[0], holder[1], "withdraw-yes")
    assert st == 200 and 'id="withdrawn"' in page and "取下げ" in page, (st, page[:1500])
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % holder[0]) == "withdrawn"
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % waiting[0]) == "received"
    assert sql("SELECT actor FROM app_events WHERE receipt = '%s' AND to_status = 'withdrawn'" % holder[0]) == \
        "resident"
    counters_match("e2e-withdraw")
    # once withdrawn, no button and no second withdrawal
    st, _, page = status_step(b, holder[0], holder[1], "withdraw-yes")
    assert st == 409 and "取り下げられません" in page and 'value="withdraw"' not in page


def test_withdrawal_with_a_wrong_key_refused_and_counted():
    holder = receipt_of(send("e2e-withdraw", [("f_name", "試験取下げ3")])[2])
    b = Browser(source="127.0.0.4")
    codes = [status_step(b, holder[0], "BBBBBBBBBB", "withdraw-yes")[0] for _ in range(6)]
    assert codes == [422] * 5 + [429], codes
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % holder[0]) != "withdrawn"
    # the owner, from a clean address, still can
    st, _, page = status_step(Browser(), holder[0], holder[1], "withdraw-yes")
    assert st == 200 and 'id="withdrawn"' in page
    counters_match("e2e-withdraw")


def test_places_in_english():
    """What residents read of places, the waiting list, 満員です and withdrawal, in English."""
    en = Browser(accept_language="en")
    _, _, index = en.get("/")
    assert "Full (waiting list open)" in index and "places left" in index, index[:3000]
    _, _, form = en.get("/f/e2e-courses")
    assert re.search(r'Aコース <span class="places">Full</span>', form), form[form.find("choices"):][:600]
    assert re.search(r'Bコース <span class="places">\d+ places left</span>', form)
    _, _, page = en.get("/f/e2e-places")
    st, _, page = en.post("/f/e2e-places", [("csrf", csrf_of(page)), ("action", "confirm"), ("f_name", "試験英語")])
    assert st == 409 and "<h1>Fully booked</h1>" in page and "has not been saved" in page, (st, page[:800])
    _, _, page = en.get("/f/e2e-courses")
    st, _, page = en.post("/f/e2e-courses", [("csrf", csrf_of(page)), ("action", "confirm"), ("f_course", "a"),
                                             ("f_name", "試験英語A")])
    assert st == 422 and "“Aコース” is full. Choose another option." in page, (st, page[:800])
    st, _, page = send("e2e-waitlist", [("f_name", "試験英語待ち"), ("f_email", "dummy.wl.en@example.jp")], lang="en")
    turn = re.search(r"your application is on the waiting list \(number (\d+)\)", page)
    assert st == 200 and turn, page[:1500]
    receipt, inquiry = receipt_of(page)
    assert sql("SELECT lang FROM applications WHERE receipt = '%s'" % receipt) == "en"
    _, _, sp = status_page(receipt, inquiry, lang="en")
    assert "Your place on the waiting list: number %s" % turn.group(1) in sp and \
        "Withdraw this application" in sp, sp[:1500]
    mails = mail_for(receipt)
    assert mails and "it is on the waiting list (number %s)" % turn.group(1) in mails[0].get_body().get_content()
    st, _, page = status_step(Browser(accept_language="en"), receipt, inquiry, "withdraw")
    assert st == 200 and "Yes, withdraw it" in page and "No, keep it" in page, page[:1500]
    st, _, page = status_step(Browser(accept_language="en"), receipt, inquiry, "withdraw-yes")
    assert st == 200 and "Your application has been withdrawn." in page, page[:1500]
    counters_match("e2e-waitlist")


if __name__ == "__main__":
    sys.exit(harness.main(globals(), prefix="e2e-places", env={"SMTP_URL": "", "MAIL_POLL": "1"}))
