#!/usr/bin/python3
"""End-to-end tests of the pages before and after a draw, through the real nginx, staff and apply
programs: likely duplicates (/staff/duplicates: groups, decisions stored and audited, withdrawal with
a note, the review's state without opening anything) and the list for notices by post (/staff/postal:
only applicants without an address, by postcode, printable, its CSV in the ledger).
Prints TAP.  Dummy data only.  Usage: test_dups.py BUILD_DIR
"""
import csv
import html
import io
import re
import sys
import urllib.parse

import harness
from harness import Browser, hidden_pairs, receipt_of
from test_staff import Staff, csrf_of, member, audit_rows, sql, page_text, entry_hidden

PROC = "e2e-dups"
STATE_PROC = "e2e-dups-b"
APPS = {}   # label -> receipt
LEDGER = [("purpose", "ダミーの郵送作業"), ("recipient", "試験郵送係")]


def send(proc, name, kana, birth, postal, address, tel="", email=""):
    """One resident's application (the real form, confirmation and send); its receipt."""
    b = Browser()
    st, _, page = b.get("/f/" + proc)
    assert st == 200, st
    answers = [("f_name", name), ("f_kana", kana), ("f_birth", birth), ("f_postal", postal),
               ("f_address", address), ("f_tel", tel), ("f_email", email)]
    st, _, page = b.post("/f/" + proc, [("csrf", csrf_of(page)), ("action", "confirm")] + answers)
    assert st == 200 and "送信" in page, (st, page_text(page)[:600])
    st, _, page = b.post("/f/" + proc, hidden_pairs(page) + [("action", "send")])
    receipt, _ = receipt_of(page)
    assert st == 200 and receipt, (st, page_text(page)[:600])
    return receipt


def counter_entry(s, proc, name, kana, birth, tel):
    """An application entered by staff from paper (窓口); its receipt."""
    _, _, page = s.get("/staff/entry/" + proc)
    answers = [("f_name", name), ("f_kana", kana), ("f_birth", birth), ("f_postal", "160-0001"),
               ("f_address", "東京都新宿区片町1-1"), ("f_tel", tel), ("f_email", "")]
    st, _, page = s.post("/staff/entry/" + proc, [("csrf", csrf_of(page)), ("action", "confirm"),
                                                  ("channel", "counter")] + answers, csrf=False)
    assert st == 200, (st, page_text(page)[:600])
    form = page[page.index('<form method="post" action="/staff/entry/'):]
    pairs = hidden_pairs(form[:form.index("</form>")]) + [("action", "send")]
    st, _, slip = s.post("/staff/entry/" + proc, pairs, csrf=False)
    m = re.search(r"\d{4}-\d{4}-\d{4}", page_text(slip))
    assert st == 200 and m, (st, page_text(slip)[:600])
    return m.group(0)


def dups_page(s, proc=PROC):
    st, _, page = s.get("/staff/duplicates?procedure=" + proc)
    assert st == 200, (st, page_text(page)[:600])
    return page


def decide(s, receipt, decision, note=None, proc=PROC, csrf=True):
    pairs = [("receipt", receipt), ("decision", decision)] + ([("note", note)] if note is not None else [])
    if csrf:
        pairs = [("csrf", csrf_of(dups_page(s, proc)))] + pairs
    return s.post("/staff/duplicates?procedure=" + proc, pairs, csrf=False)


def groups(page):
    """The groups shown, each the list of its receipts in the page's order."""
    out = []
    for part in page.split("<h2>組")[1:]:
        out.append(re.findall(r'name="receipt" value="([0-9-]+)"', part)[::2])
    return out


def status_of(receipt):
    return sql("SELECT status FROM applications WHERE receipt = '%s'" % receipt).strip()


def list_state(s, proc):
    st, _, page = s.get("/staff/forms/" + proc)
    assert st == 200, st
    m = re.search(r'<p id="dups-state">([^<]*)</p>', page)
    return html.unescape(m.group(1)) if m else None


# ---- cases, in order: later ones build on earlier ones ----

def test_residents_apply():
    # A and B: the same name (hiragana, full-width space, era date) and birth date; C and D: the same
    # phone written differently; E alone; F the same mail as E in another case, withdrawn below.
    APPS["A"] = send(PROC, "試験ダミー花子", "シンジュク ハナコ", "1950-04-01", "160-0003", "東京都新宿区本塩町3",
                     tel="03-1111-0001", email="hanako.dummy@example.jp")
    APPS["B"] = send(PROC, "試験ダミー花子", "しんじゅく　はなこ", "昭和25年4月1日", "160-0002",
                     "東京都新宿区四谷坂町2", tel="03-1111-0002")
    APPS["C"] = send(PROC, "=HYPERLINK(\"x\")", "ヨツヤ タロウ", "1948-01-01", "169-0001",
                     "東京都新宿区百人町1", tel="03-2222-0003")
    APPS["D"] = send(PROC, "試験ダミー次郎", "ヨツヤ ジロウ", "1949-02-02", "160-0001", "東京都新宿区片町1",
                     tel="０３（２２２２）０００３")
    APPS["E"] = send(PROC, "試験ダミー三郎", "ワセダ サブロウ", "1947-03-03", "162-0041",
                     "東京都新宿区早稲田鶴巻町4", tel="03-3333-0005", email="saburo.dummy@example.jp")
    APPS["F"] = send(PROC, "試験ダミー四郎", "ワセダ シロウ", "1946-04-04", "162-0042", "東京都新宿区早稲田町5",
                     tel="03-3333-0006", email="saburo.dummy@EXAMPLE.JP")
    s = member("yotsuya")
    st, _, page = s.get("/staff/apps/" + APPS["F"])
    st, _, _ = s.post("/staff/apps/" + APPS["F"], [("csrf", csrf_of(page)), ("from", "received"),
                                                   ("to", "withdrawn"), ("note", "ダミー：本人から電話")], csrf=False)
    assert st == 303 and status_of(APPS["F"]) == "withdrawn", st


def test_groups_shown_and_review_stored():
    s = member("yotsuya")
    page = dups_page(s)
    got = sorted(sorted(g) for g in groups(page))
    want = sorted([sorted([APPS["A"], APPS["B"]]), sorted([APPS["C"], APPS["D"]])])
    assert got == want, (got, want)
    text = page_text(page)
    assert "2組（4件）" in text and "判断していない申請： 4件" in text, text[:800]
    assert "氏名・生年月日" in text and "電話番号" in text
    assert APPS["E"] not in page and APPS["F"] not in page
    row = sql("SELECT eligible, groups, members, actor FROM dup_reviews WHERE procedure_id = '%s'" % PROC).strip()
    assert row == "5|2|4|yotsuya", row
    members = sql("SELECT receipt FROM dup_members WHERE procedure_id = '%s' ORDER BY receipt" % PROC).split()
    assert members == sorted([APPS[k] for k in "ABCD"]), members
    # Audited with counts and the fingerprint only: nothing a resident typed.
    last = audit_rows("duplicates")[-1]
    assert last.startswith("yotsuya|%s|eligible=5 groups=2 members=4 undecided=4" % PROC), last
    assert "シンジュク" not in last and "03-" not in last


def test_keep_recorded_and_audited():
    s = member("yotsuya")
    st, h, _ = decide(s, APPS["A"], "keep")
    assert st == 303 and h["location"].endswith("/staff/duplicates?procedure=%s&m=saved" % PROC), st
    assert sql("SELECT decision, actor FROM dup_decisions WHERE receipt = '%s'" % APPS["A"]).strip() == \
        "keep|yotsuya"
    assert audit_rows("duplicate")[-1] == "yotsuya|%s|keep" % APPS["A"]
    assert status_of(APPS["A"]) == "received"
    text = page_text(dups_page(s))
    assert "判断していない申請： 3件" in text and "残す（yotsuya" in text, text[:800]


def test_withdraw_needs_a_note():
    s = member("yotsuya")
    for note in (None, "", "　 "):
        st, _, page = decide(s, APPS["B"], "withdraw", note)
        assert st == 400 and "取り下げる理由を対応記録に入力してください" in page_text(page), (st, note)
    assert status_of(APPS["B"]) == "received"
    assert sql("SELECT count(*) FROM dup_decisions WHERE receipt = '%s'" % APPS["B"]).strip() == "0"
    st, _, page = decide(s, APPS["B"], "maybe", "x")
    assert st == 400, st


def test_withdraw_goes_through_the_workflow():
    s = member("yotsuya")
    st, _, _ = decide(s, APPS["B"], "withdraw", "ダミー：Aと同一人物のため取下げ")
    assert st == 303, st
    assert status_of(APPS["B"]) == "withdrawn"
    assert sql("SELECT decision FROM dup_decisions WHERE receipt = '%s'" % APPS["B"]).strip() == "withdrawn"
    # The same change as the detail page's: its event with a sealed note, its audit entry.
    ev = sql("SELECT from_status, to_status, actor, note_sealed IS NOT NULL FROM app_events WHERE receipt = '%s'"
             % APPS["B"]).strip()
    assert ev == "received|withdrawn|yotsuya|1", ev
    assert "yotsuya|%s|received->withdrawn with note" % APPS["B"] in audit_rows("status")
    assert audit_rows("duplicate")[-1] == "yotsuya|%s|withdrawn" % APPS["B"]
    # B has left the draw: A is alone again, and only C and D remain.
    page = dups_page(s)
    assert groups(page) == [[APPS["C"], APPS["D"]]] or groups(page) == [[APPS["D"], APPS["C"]]], groups(page)
    assert "判断していない申請： 2件" in page_text(page)
    # A receipt not in a group now is refused, not recorded.
    st, _, page = decide(s, APPS["E"], "keep")
    assert st == 409 and sql("SELECT count(*) FROM dup_decisions WHERE receipt = '%s'" % APPS["E"]).strip() == "0"


def test_other_section_auditor_unknown_and_csrf_refused():
    for login in ("gomi", "demo-auditor"):
        st, _, _ = member(login).get("/staff/duplicates?procedure=" + PROC)
        assert st == 404, (login, st)
        st, _, _ = member(login).get("/staff/postal?procedure=" + PROC)
        assert st == 404, (login, st)
    assert any(r.startswith("gomi|%s|another section" % PROC) for r in audit_rows("denied"))
    s = member("yotsuya")
    assert s.get("/staff/duplicates?procedure=no-such-procedure")[0] == 404
    assert s.get("/staff/duplicates")[0] == 404
    assert s.get("/staff/postal.csv?procedure=no-such-procedure")[0] == 404
    st, _, _ = decide(s, APPS["C"], "keep", csrf=False)
    assert st == 403, st
    st, _, _ = decide(s, APPS["C"], "keep")    # a fresh page's token: accepted
    assert st == 303, st
    # gomi cannot decide on yotsuya's applications either, even with its own CSRF token.
    g = member("gomi")
    _, _, home = g.get("/staff/")
    st, _, _ = g.post("/staff/duplicates?procedure=" + PROC,
                      [("csrf", csrf_of(home)), ("receipt", APPS["D"]), ("decision", "withdraw"),
                       ("note", "x")], csrf=False)
    assert st == 404 and status_of(APPS["D"]) == "received", st
    assert Staff().get("/staff/duplicates?procedure=" + PROC)[0] in (302, 303)


def test_review_state_without_opening():
    s = member("yotsuya")
    assert list_state(s, STATE_PROC) == "重複の確認：未確認"
    a = send(STATE_PROC, "試験ダミー五郎", "オオクボ ゴロウ", "1945-05-05", "169-0072", "東京都新宿区大久保5",
             tel="03-4444-0001")
    send(STATE_PROC, "試験ダミー六郎", "オオクボ ロクロウ", "1944-06-06", "169-0073", "東京都新宿区百人町6",
         tel="03-4444-0001")
    assert list_state(s, STATE_PROC) == "重複の確認：未確認"
    dups_page(s, STATE_PROC)
    assert list_state(s, STATE_PROC) == "重複の確認：判断していない申請があります（未判断 2件）"
    for r in re.findall(r'name="receipt" value="([0-9-]+)"', dups_page(s, STATE_PROC))[::2]:
        assert decide(s, r, "keep", proc=STATE_PROC)[0] == 303
    assert list_state(s, STATE_PROC) == "重複の確認：確認済み"
    # A counter entry after the review: the review no longer covers the list.
    counter_entry(s, STATE_PROC, "試験ダミー七郎", "オオクボ シチロウ", "1943-07-07", "03-4444-0007")
    assert list_state(s, STATE_PROC) == "重複の確認：確認の後に申請が増えたか変わりました（もう一度確認してください）"
    dups_page(s, STATE_PROC)
    assert list_state(s, STATE_PROC) == "重複の確認：確認済み"
    # A withdrawal elsewhere (the detail page) changes the list too.
    st, _, page = s.get("/staff/apps/" + a)
    assert s.post("/staff/apps/" + a, [("csrf", csrf_of(page)), ("from", "received"), ("to", "withdrawn"),
                                       ("note", "ダミー")], csrf=False)[0] == 303
    assert list_state(s, STATE_PROC) == "重複の確認：確認の後に申請が増えたか変わりました（もう一度確認してください）"
    # A procedure without a draw does not show it.
    assert list_state(s, "e2e-open") is None


def postal_rows(page):
    body = page[page.index('<table class="table postal-table">'):]
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr><td>.*?</tr>", body)]


def test_postal_list_only_without_address_sorted_by_postcode():
    s = member("yotsuya")
    st, _, page = s.get("/staff/postal?procedure=" + PROC)
    assert st == 200, st
    rows = postal_rows(page)
    # With an address (A, E) or withdrawn (B; F had one too): not listed.  C 169-0001 after D 160-0001.
    assert [r[4] for r in rows] == [APPS["D"], APPS["C"]], rows
    assert rows[0][:4] == ["160-0001", "東京都新宿区片町1", "試験ダミー次郎", "到達"], rows[0]
    assert "2件" in page_text(page) and "重複確認の試験" in page_text(page)
    assert 'class="filter no-print"' in page and 'class="no-print"' in page
    css = open(harness.ROOT + "/static/style.css", encoding="utf-8").read()
    assert re.search(r"@media print \{\s*@page \{ size: A4;[^}]*\}\s*\.postal \{", css), "print CSS"
    assert audit_rows("view")[-1] == "yotsuya|%s|postal list rows=2 status=all unopened=0" % PROC
    # A status asked for: withdrawn ones too, when that is the status.
    st, _, page = s.get("/staff/postal?procedure=%s&status=withdrawn" % PROC)
    assert [r[4] for r in postal_rows(page)] == [APPS["B"]], postal_rows(page)
    assert s.get("/staff/postal?procedure=%s&status=bogus" % PROC)[0] == 400


def test_postal_csv_in_the_ledger_with_formulas_neutralised():
    s = member("yotsuya")
    st, _, page = s.get("/staff/postal.csv?procedure=" + PROC)
    assert st == 400 and "利用目的と提供先を入力してください" in page_text(page), st
    before = int(sql("SELECT count(*) FROM export_ledger").strip())
    st, h, body = harness.request("GET", "/staff/postal.csv?procedure=%s&%s" % (PROC, urllib.parse.urlencode(LEDGER)),
                                  headers=s._hdr())
    assert st == 200 and h["content-type"].startswith("text/csv; charset=utf-8"), (st, h)
    assert "filename*=UTF-8''" in h["content-disposition"]
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["郵便番号", "住所", "氏名", "結果", "受付番号"], rows[0]
    assert [r[4] for r in rows[1:]] == [APPS["D"], APPS["C"]], rows
    assert rows[2][2] == "'=HYPERLINK(\"x\")", rows[2]
    led = sql("SELECT form, rows, purpose, recipient, actor FROM export_ledger ORDER BY id DESC LIMIT 1").strip()
    assert led == "postal csv|2|ダミーの郵送作業|試験郵送係|yotsuya", led
    assert int(sql("SELECT count(*) FROM export_ledger").strip()) == before + 1
    last = audit_rows("export")[-1]
    assert last.startswith("yotsuya|%s|rows=2 sha256=" % PROC) and "postal" in last, last
    import hashlib
    assert hashlib.sha256(body.encode("utf-8")).hexdigest() in last
    # Shift_JIS on request.
    st, h, _ = harness.request("GET", "/staff/postal.csv?procedure=%s&encoding=cp932&%s" %
                               (PROC, urllib.parse.urlencode(LEDGER)), headers=s._hdr())
    assert st == 200 and "Shift_JIS" in h["content-type"], h


if __name__ == "__main__":
    sys.exit(harness.main(globals(), prefix="e2e-dups"))
