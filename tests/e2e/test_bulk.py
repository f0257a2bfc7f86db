#!/usr/bin/python3
"""End-to-end tests of many applications handled at once, through the real nginx, apply, staff and
mailer: bulk status changes from the list (ticked rows, or every row the filter matches across pages)
with a confirmation step, skipped transitions, one note, the mails to contact envelopes arriving at a
test SMTP server, the waitlist moving up, one audit entry naming every receipt, and the refusals
(CSRF, another section, over the maximum, a set changed since the confirmation).  Dummy data only.

Usage: test_bulk.py BUILD_DIR"""
import email
import email.policy
import hashlib
import re
import sys
import urllib.parse

from aiosmtpd.controller import Controller

import harness
from harness import Browser, csrf_of, hidden_pairs, of_receipts, receipt_of
from test_mail import Inbox, wait_for
from test_staff import csrf_of as staff_csrf_of, member, page_text

PROC = "e2e-bulk"
PLACES = "e2e-bulk-places"
NOTE = "ダミー一括記録：電話で確認済み"
APPS = {}   # name -> receipt


class BulkInbox(Inbox):
    def subjects_with(self, receipt):
        return [str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
                for _, raw in self.with_receipt(receipt)]

    def with_subject(self, subject):
        with self.lock:
            msgs = [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in self.messages]
        return [m for m in msgs if str(m["Subject"]) == subject]


INBOX = BulkInbox()
SMTP_PORT = harness.free_port()


def sql(q):
    return harness.stack().sql(q)


def apply(name, address="", proc=PROC):
    b = Browser()
    st, _, page = b.get("/f/" + proc)
    assert st == 200, st
    st, _, page = b.post("/f/" + proc, [("csrf", csrf_of(page)), ("action", "confirm"), ("f_name", name),
                                        ("f_email", address)])
    assert st == 200 and 'value="send"' in page, (st, page[:600])
    st, _, page = b.post("/f/" + proc, hidden_pairs(page) + [("action", "send")])
    receipt, _ = receipt_of(page)
    assert st == 200 and receipt, (st, page[:400])
    return receipt


def status(receipt):
    return sql("SELECT status FROM applications WHERE receipt = '%s'" % receipt)


def bulk_entries():
    return sql("SELECT count(*) FROM audit WHERE action = 'bulk_status'")


def list_csrf(s, proc=PROC):
    st, _, page = s.get("/staff/forms/" + proc)
    assert st == 200, st
    return staff_csrf_of(page)


def bulk_post(s, pairs, query="", proc=PROC, csrf=None):
    """A POST to the bulk page of proc with the list's filter as query; the CSRF token of s unless given."""
    token = list_csrf(s, proc) if csrf is None else csrf
    body = ([("csrf", token)] if token else []) + list(pairs)
    return s.post("/staff/bulk/%s%s" % (proc, "?" + query if query else ""), body, csrf=False)


def bulk_form(page):
    """The hidden pairs of the confirmation's form (not the logout form's)."""
    start = page.index('<form method="post" action="/staff/bulk/')
    return hidden_pairs(page[start:page.index("</form>", start)])


def confirm_and_do(s, pairs, query="", proc=PROC):
    """The confirmation page, then the change: (confirmation page, result status, result page)."""
    st, _, page = bulk_post(s, [("action", "confirm")] + pairs, query, proc)
    assert st == 200 and 'name="token"' in page, (st, page_text(page)[:800])
    st2, _, done = s.post("/staff/bulk/%s%s" % (proc, "?" + query if query else ""),
                          bulk_form(page), csrf=False)
    return page, st2, done


# ---- cases, in order: later ones build on earlier ones ----

def test_list_offers_checkboxes_and_the_whole_filter():
    for name, address in (("試験一括A", "dummy.bulk.a@example.jp"), ("試験一括B", "dummy.bulk.b@example.jp"),
                          ("試験一括C", ""), ("試験一括D", ""), ("試験一括E", "")):
        APPS[name] = apply(name, address)
    _, _, page = member("yotsuya").get("/staff/forms/" + PROC)
    assert 'name="r" value="%s"' % APPS["試験一括A"] in page, page[:2000]
    assert 'value="filter"' in page and "全ページの5件" in page_text(page), page_text(page)[:2000]


def test_three_selected_changed_with_one_note_mails_and_one_audit_entry():
    s = member("yotsuya")
    picked = [APPS["試験一括A"], APPS["試験一括B"], APPS["試験一括C"]]
    before = int(bulk_entries())
    page, st, done = confirm_and_do(s, [("scope", "selected"), ("to", "accepted"), ("note", NOTE)] +
                                    [("r", r) for r in picked])
    text = page_text(page)
    assert "変更する申請 3件" in re.sub(r"\s+", " ", text) and "変更しない申請 0件" in re.sub(r"\s+", " ", text), text
    assert st == 200 and "3件を「受付」にしました" in page_text(done), (st, page_text(done)[:1500])
    assert "メールを2通送信待ちにしました" in page_text(done), page_text(done)[:1500]
    assert "メールアドレスのない申請が1件" in page_text(done) and 'href="/staff/postal"' in done
    for r in picked:
        assert status(r) == "accepted", r
    assert status(APPS["試験一括D"]) == "received"
    # one note, sealed to the section's key: stored with each change, never in clear
    assert sql("SELECT count(*) FROM app_events WHERE to_status = 'accepted' AND note_sealed IS NOT NULL AND receipt IN"
               " ('%s')" % "','".join(picked)) == "3"
    assert sql("SELECT count(*) FROM app_events WHERE CAST(note_sealed AS TEXT) LIKE '%%電話で確認%%'") == "0"
    _, _, detail = s.get("/staff/apps/" + APPS["試験一括C"])
    assert NOTE in page_text(detail), page_text(detail)[:1500]
    # mails only where there is an envelope, and they arrive
    assert sql("SELECT count(*) FROM outbox WHERE kind = 'acceptance' AND %s" % of_receipts(APPS["試験一括C"])) == "0"
    for r in picked[:2]:
        subjects = wait_for(lambda: INBOX.subjects_with(r), what="the acceptance mail of " + r)
        assert len(subjects) == 1 and "受け付けました" in subjects[0], subjects
    assert INBOX.subjects_with(APPS["試験一括C"]) == []
    # one audit entry naming the count and every receipt
    assert int(bulk_entries()) == before + 1
    detail = sql("SELECT target || '|' || detail FROM audit WHERE action = 'bulk_status' ORDER BY seq DESC LIMIT 1")
    assert detail.startswith(PROC + "|to=accepted changed=3 skipped=0 mails=2 note=yes changed:"), detail
    assert all(r in detail for r in picked), detail
    assert NOTE not in sql("SELECT group_concat(detail) FROM audit")


def test_skipped_ones_reported_with_their_receipts():
    s = member("yotsuya")
    a, d, e = APPS["試験一括A"], APPS["試験一括D"], APPS["試験一括E"]
    page, st, done = confirm_and_do(s, [("scope", "selected"), ("to", "done"), ("r", a), ("r", d), ("r", e)])
    skipped = page_text(page[page.index('id="skipped"'):page.index("</table>", page.index('id="skipped"'))])
    assert d in skipped and e in skipped and a not in skipped, skipped
    assert "今の状態からは、その状態に変更できません" in skipped, skipped
    assert st == 200 and "1件を「完了」にしました。2件は変更していません" in page_text(done), page_text(done)[:1500]
    assert status(a) == "done" and status(d) == "received" and status(e) == "received"
    detail = sql("SELECT detail FROM audit WHERE action = 'bulk_status' ORDER BY seq DESC LIMIT 1")
    assert detail == "to=done changed=1 skipped=2 mails=0 note=no changed:%s skipped:%s(received),%s(received)" % (
        a, d, e), detail


def test_nothing_changeable_offers_no_button():
    s = member("yotsuya")
    st, _, page = bulk_post(s, [("action", "confirm"), ("scope", "selected"), ("to", "done"),
                                ("r", APPS["試験一括A"])])
    assert st == 200 and "変更できる申請がありません" in page_text(page) and 'name="token"' not in page, page[:1500]


def test_all_matching_across_pages():
    for i in range(56):
        apply("試験一括頁%02d" % i)
    received = int(sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status = 'received'" % PROC))
    assert received == 58, received     # more than a page (50)
    s = member("yotsuya")
    query = "status=received&from=&to="
    _, _, listing = s.get("/staff/forms/%s?%s" % (PROC, query))
    assert "1／2ページ" in page_text(listing), page_text(listing)[:600]
    page, st, done = confirm_and_do(s, [("scope", "filter"), ("to", "returned"), ("note", "")], query)
    assert 'name="r"' not in page       # the server reads the set from the filter again, not from the page
    assert "変更する申請 58件" in re.sub(r"\s+", " ", page_text(page)), page_text(page)[:800]
    assert st == 200 and "58件を「差戻し」にしました" in page_text(done), page_text(done)[:800]
    assert sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status = 'received'" % PROC) == "0"
    detail = sql("SELECT detail FROM audit WHERE action = 'bulk_status' ORDER BY seq DESC LIMIT 1")
    receipts = sql("SELECT group_concat(receipt) FROM applications WHERE procedure_id = '%s' AND status = 'returned'"
                   % PROC).split(",")
    assert len(receipts) == 58 and all(r in detail for r in receipts) and "changed=58 " in detail, detail[:300]


def test_set_changed_after_confirmation_refused_and_nothing_changed():
    s = member("yotsuya")
    query = "status=returned&from=&to="
    st, _, page = bulk_post(s, [("action", "confirm"), ("scope", "filter"), ("to", "received")], query)
    assert st == 200 and 'name="token"' in page
    other = member("yotsuya")
    late = APPS["試験一括D"]
    _, _, app = other.get("/staff/apps/" + late)
    assert other.post("/staff/apps/" + late, [("csrf", staff_csrf_of(app)), ("from", "returned"),
                                               ("to", "withdrawn")], csrf=False)[0] == 303
    before = bulk_entries()
    st, _, again = s.post("/staff/bulk/%s?%s" % (PROC, query), bulk_form(page), csrf=False)
    assert st == 409 and "確認の後に対象の申請が変わった" in page_text(again), (st, page_text(again)[:800])
    assert 'name="token"' in again and "変更する申請 57件" in re.sub(r"\s+", " ", page_text(again))
    assert bulk_entries() == before
    assert sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status = 'received'" % PROC) == "0"


def test_token_of_another_set_refused():
    """A confirmation of one receipt, its token sent with another: refused, nothing changed."""
    s = member("yotsuya")
    a, b = APPS["試験一括E"], APPS["試験一括C"]
    st, _, page = bulk_post(s, [("action", "confirm"), ("scope", "selected"), ("to", "withdrawn"), ("r", a)])
    pairs = [(k, b if k == "r" else v) for k, v in bulk_form(page)]
    st, _, again = s.post("/staff/bulk/" + PROC, pairs, csrf=False)
    assert st == 409, st
    assert status(a) == "returned" and status(b) == "accepted"


def test_csrf_missing_refused():
    s = member("yotsuya")
    before = bulk_entries()
    st, _, page = bulk_post(s, [("action", "do"), ("scope", "selected"), ("to", "withdrawn"),
                                ("r", APPS["試験一括E"])], csrf="")
    assert st == 403, st
    assert bulk_entries() == before and status(APPS["試験一括E"]) == "returned"


def test_another_sections_member_gets_404():
    s = member("gomi")
    _, _, home = s.get("/staff/")
    st, _, _ = s.post("/staff/bulk/" + PROC, [("csrf", staff_csrf_of(home)), ("action", "confirm"),
                                               ("scope", "filter"), ("to", "withdrawn")], csrf=False)
    assert st == 404, st
    assert sql("SELECT count(*) FROM audit WHERE action = 'denied' AND actor = 'gomi' AND target = '%s'" % PROC) != "0"


def test_receipt_of_another_procedure_refused():
    other = apply("試験一括別", proc=PLACES)
    s = member("yotsuya")
    st, _, page = bulk_post(s, [("action", "confirm"), ("scope", "selected"), ("to", "withdrawn"), ("r", other)])
    assert st == 400 and "この手続きの申請ではないもの" in page_text(page), (st, page_text(page)[:600])
    st, _, page = bulk_post(s, [("action", "confirm"), ("scope", "selected"), ("to", "withdrawn")])
    assert st == 400 and "対象の申請がありません" in page_text(page), (st, page_text(page)[:600])
    st, _, page = bulk_post(s, [("action", "confirm"), ("scope", "filter"), ("to", "waitlisted")])
    assert st == 400 and "変更後の状態を選んでください" in page_text(page), (st, page_text(page)[:600])


def test_bulk_withdrawal_moves_the_waitlist_up():
    held = sql("SELECT group_concat(receipt) FROM applications WHERE procedure_id = '%s'" % PLACES).split(",")
    held.append(apply("試験一括席2", proc=PLACES))
    waiting = [apply("試験一括待ち%d" % i, "dummy.bulk.w%d@example.jp" % i, proc=PLACES) for i in range(3)]
    assert [status(r) for r in held] == ["received", "received"], [status(r) for r in held]
    assert [status(r) for r in waiting] == ["waitlisted"] * 3
    s = member("yotsuya")
    _, st, done = confirm_and_do(s, [("scope", "selected"), ("to", "withdrawn")] + [("r", r) for r in held],
                                 proc=PLACES)
    assert st == 200 and "2件を「取下げ」にしました" in page_text(done), page_text(done)[:800]
    assert [status(r) for r in waiting] == ["received", "received", "waitlisted"]
    assert waiting[0] in done and waiting[1] in done and "繰り上げた" in page_text(done)
    for r in waiting[:2]:
        assert sql("SELECT count(*) FROM audit WHERE action = 'promote' AND target = '%s'" % r) == "1"
        subjects = wait_for(lambda: INBOX.subjects_with(r), what="the promotion mail of " + r)
        assert "繰上げ当選のお知らせ" in subjects[0], subjects
    taken = sql("SELECT taken FROM places WHERE procedure_id = '%s' AND choice = ''" % PLACES)
    assert taken == "2", taken


def test_over_the_maximum_a_clear_message_and_nothing_changed():
    """5,001 applications match (copies of one, made in the database): refused before anything changes."""
    sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5001)"
        " INSERT INTO applications (receipt, procedure_id, section_id, form_hash, key_id, sealed, submit_hash,"
        " inquiry_hash, status, received_at, updated_at, channel, lang)"
        " SELECT printf('9000-%%04d-%%04d', i / 10000, i %% 10000), procedure_id, section_id, form_hash, key_id,"
        " sealed, randomblob(32), inquiry_hash, 'accepted', received_at, updated_at, channel, lang"
        " FROM applications, n WHERE receipt = '%s'" % APPS["試験一括B"])
    s = member("yotsuya")
    before = bulk_entries()
    st, _, page = bulk_post(s, [("action", "confirm"), ("scope", "filter"), ("to", "done")],
                            "status=accepted&from=&to=")
    assert st == 400 and "一度に変更できるのは5000件までです" in page_text(page), (st, page_text(page)[:600])
    assert bulk_entries() == before
    assert sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status = 'done'" % PROC) == "1"
    sql("DELETE FROM applications WHERE receipt LIKE '9000-%'")


# ---- announcements ----

RAIN = "雨天中止のお知らせ"
RAIN_TEXT = "明日の催しは雨天のため中止します。\r\n{{receipt}} と <b>太字</b> はそのまま届きます。"


def announce(s, pairs, proc=PROC, csrf=None):
    if csrf is None:
        _, _, form = s.get("/staff/announce/" + proc)
        csrf = staff_csrf_of(form)
    return s.post("/staff/announce/" + proc, ([("csrf", csrf)] if csrf else []) + pairs, csrf=False)


def announce_form(page):
    start = page.index('<form method="post" action="/staff/announce/')
    return hidden_pairs(page[start:page.index("</form>", start)])


def envelopes_reached(statuses):
    return int(sql("SELECT count(*) FROM applications a JOIN envelopes e ON e.app_id = a.id"
                   " WHERE a.procedure_id = '%s' AND a.status IN (%s)" % (PROC, ",".join("'%s'" % x for x in statuses))))


def test_announcement_form_defaults_to_all_but_withdrawn():
    st, _, page = member("yotsuya").get("/staff/announce/" + PROC)
    assert st == 200, st
    assert 'value="received" checked' in page and 'value="accepted" checked' in page, page[:3000]
    assert 'value="withdrawn">' in page, page[:3000]
    assert "この手続きのお知らせはまだありません" in page_text(page)


def test_announcement_previewed_queued_and_in_the_history():
    s = member("yotsuya")
    statuses = ["received", "accepted", "done", "returned", "waitlisted"]
    st, _, page = announce(s, [("action", "preview"), ("subject", RAIN), ("text", RAIN_TEXT)] +
                           [("st", x) for x in statuses])
    want = envelopes_reached(statuses)
    assert want == 2, want
    text = page_text(page)
    assert st == 200 and "メールアドレスのある2件" in text and "郵送用の一覧" in text, (st, text[:1500])
    assert re.search(r'<dd id="mail-subject">%s</dd>' % RAIN, page), page[:3000]
    body = page[page.index('<pre class="mail-preview" id="mail-body">'):page.index("</pre>")]
    assert "{{receipt}} と &lt;b&gt;太字&lt;/b&gt; はそのまま届きます。" in body, body
    assert "受付番号：（各申請の受付番号）" in body and "お問い合わせ先：試験係 電話 03-0000-0007" in body, body
    before = int(sql("SELECT count(*) FROM outbox WHERE kind = 'announcement'"))
    st, h, _ = s.post("/staff/announce/" + PROC, announce_form(page) + [("action", "send")], csrf=False)
    assert st == 303 and h["location"].endswith("?m=sent"), (st, h)
    queued = int(sql("SELECT count(*) FROM outbox WHERE kind = 'announcement'")) + \
        int(sql("SELECT count(*) FROM mail_log WHERE kind = 'announcement'")) - before
    assert queued == 2, queued
    _, _, page = s.get(h["location"])
    row = page[page.index('<table class="table" id="history">'):]
    assert RAIN in row and "yotsuya" in row and '<td class="num">2</td>' in row, row[:1500]
    text = RAIN_TEXT.replace("\r\n", "\n")
    audit = sql("SELECT target || '|' || detail FROM audit WHERE action = 'announce'")
    without = int(sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status != 'withdrawn'"
                      % PROC)) - 2
    assert without > 50
    assert audit == "%s|subject=%s text_sha256=%s statuses=,%s, queued=2 no_address=%d" % (
        PROC, RAIN, hashlib.sha256(text.encode()).hexdigest(), ",".join(statuses), without), audit
    assert '<td class="num">%d</td>' % without in row
    mails = wait_for(lambda: len(INBOX.with_subject(RAIN)) == 2 and INBOX.with_subject(RAIN), what="the announcements")
    for m in mails:
        assert m.get_content_type() == "text/plain", m.get_content_type()
        content = m.get_body().get_content()
        assert "{{receipt}} と <b>太字</b> はそのまま届きます。" in content, content
    bodies = "".join(m.get_body().get_content() for m in mails)
    assert APPS["試験一括A"] in bodies and APPS["試験一括B"] in bodies, bodies
    _, _, detail = s.get("/staff/apps/" + APPS["試験一括A"])
    assert "お知らせメール" in page_text(detail)


def test_announcement_subject_with_a_newline_refused():
    s = member("yotsuya")
    before = sql("SELECT count(*) FROM outbox WHERE kind = 'announcement'")
    for subject in (RAIN + "\r\nBcc: dummy.x@example.jp", RAIN + "\n", "", "件" * 101):
        st, _, page = announce(s, [("action", "preview"), ("subject", subject), ("text", "本文"), ("st", "received")])
        assert st == 400 and 'name="token"' not in page, (subject, st)
        assert ">本文</textarea>" in page, page[:3000]     # what was typed stays, to be corrected
    assert "件名は1行で入力してください" in page_text(announce(s, [("action", "send"), ("subject", "a\nb"),
                                                                 ("text", "本文"), ("st", "received")])[2])
    st, _, page = announce(s, [("action", "preview"), ("subject", RAIN), ("text", "本文"), ("st", "nonsense")])
    assert st == 400 and "状態の指定が正しくありません" in page_text(page), st
    st, _, page = announce(s, [("action", "preview"), ("subject", RAIN), ("text", "本文")])
    assert st == 400 and "1つ以上選んでください" in page_text(page), st
    assert sql("SELECT count(*) FROM outbox WHERE kind = 'announcement'") == before


def test_announcement_changed_after_preview_refused():
    s = member("yotsuya")
    st, _, page = announce(s, [("action", "preview"), ("subject", RAIN), ("text", "本文"), ("st", "accepted")])
    assert st == 200
    pairs = [(k, "別の本文" if k == "text" else v) for k, v in announce_form(page)] + [("action", "send")]
    before = sql("SELECT count(*) FROM announcements")
    st, _, again = s.post("/staff/announce/" + PROC, pairs, csrf=False)
    assert st == 409 and "確認の後に内容が変わりました" in page_text(again), (st, page_text(again)[:600])
    assert sql("SELECT count(*) FROM announcements") == before


def test_announcement_csrf_and_other_section_refused():
    s = member("yotsuya")
    st, _, _ = announce(s, [("action", "send"), ("subject", RAIN), ("text", "本文"), ("st", "received")], csrf="")
    assert st == 403, st
    g = member("gomi")
    assert g.get("/staff/announce/" + PROC)[0] == 404
    _, _, home = g.get("/staff/")
    st, _, _ = g.post("/staff/announce/" + PROC, [("csrf", staff_csrf_of(home)), ("action", "preview"),
                                                   ("subject", RAIN), ("text", "本文"), ("st", "received")],
                      csrf=False)
    assert st == 404, st
    assert sql("SELECT count(*) FROM announcements") == "1"


def test_auditor_reads_bulk_changes_and_announcements():
    s = member("demo-auditor")
    st, _, page = s.get("/staff/audit?action=bulk_status")
    assert st == 200 and "状態のまとめて変更" in page_text(page) and "changed=3 " in page, page_text(page)[:1500]
    st, _, page = s.get("/staff/audit?action=announce")
    assert st == 200 and "お知らせメールの送信" in page_text(page) and "subject=" + RAIN in page, page_text(page)[:1500]


if __name__ == "__main__":
    controller = Controller(INBOX, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        rc = harness.main(globals(), prefix="e2e-bulk",
                          env={"SMTP_URL": "smtp://127.0.0.1:%d" % SMTP_PORT, "MAIL_POLL": "1"})
    finally:
        controller.stop()
    sys.exit(rc)
