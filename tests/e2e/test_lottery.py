#!/usr/bin/python3
"""End-to-end tests of a lottery (抽選) through the real nginx, apply, staff, formctl and mailer: the draw
refused before closing and to another section, the staff draw page with its confirmation step, one draw
only, the record verified by formctl, results on /status and in mails, and a winner's withdrawal moving
補欠1 up with the 繰上げ mail. Dummy data only.

Usage: test_lottery.py BUILD_DIR"""
import os
import re
import sys
import time

import harness
from harness import receipt_of
from test_places import mail_for, send, sql, status_page, status_step
from test_staff import formctl, member

PROC = "e2e-lottery"
PAGE = "/staff/lottery/" + PROC
APPS = []   # (receipt, inquiry, people), in the order sent


def status(receipt):
    return sql("SELECT status || ':' || status_number FROM applications WHERE receipt = '%s'" % receipt)


def test_applications_for_one_or_two():
    for i, party in enumerate(["2", "1", "1", "2", "1", "1"]):
        st, _, page = send(PROC, [("f_name", "試験抽選%d" % i), ("f_party", party),
                                  ("f_email", "dummy.lottery%d@example.jp" % i)])
        r, k = receipt_of(page)
        assert st == 200 and r, (st, page[:500])
        APPS.append((r, k, int(party)))
    # a group counts as its size in the places, already on send
    assert sql("SELECT taken FROM places WHERE procedure_id = '%s' AND choice = ''" % PROC) == "8"


def test_draw_refused_before_closing():
    s = member("yotsuya")
    st, _, page = s.get(PAGE)
    assert st == 200 and 'id="lottery-refused"' in page and "締切前" in page, (st, page[:1500])
    st, _, page = s.post(PAGE, [("action", "draw"), ("reserves", "2")])
    assert st == 409 and "締切前" in page, st
    out = formctl("lottery", "draw", PROC, "--reserves", "2")
    assert out.returncode == 1 and "not closed" in out.stderr, (out.returncode, out.stderr)
    assert sql("SELECT count(*) FROM lottery") == "0"


def close_procedure():
    """Closing day: closes_at in the past, and the programs reload the definitions."""
    path = os.path.join(harness.stack().forms, PROC + ".yaml")
    text = open(path, encoding="utf-8").read().replace("closes_at: 2099-12-31 17:00", "closes_at: 2021-01-01 17:00")
    open(path, "w", encoding="utf-8").write(text)
    out = formctl("reload")
    assert out.returncode == 0, out.stderr
    s = member("yotsuya")
    deadline = time.time() + 30
    while time.time() < deadline:
        st, _, page = s.get(PAGE)
        if st == 200 and 'id="lottery-refused"' not in page:
            return s, page
        time.sleep(0.2)
    raise AssertionError("the staff program did not reload the closed definition")


def test_other_section_gets_404():
    close_procedure()
    s = member("gomi")
    st, _, page = s.get(PAGE)
    assert st == 404 and "ページが見つかりません" in page, st
    st, _, _ = s.post(PAGE, [("action", "draw"), ("reserves", "2")])
    assert st == 404, st
    assert sql("SELECT count(*) FROM lottery") == "0"
    assert "yotsuya" not in sql("SELECT actor FROM audit WHERE action = 'denied' AND target = '%s'" % PROC)


def test_staff_draws_after_a_confirmation():
    s, page = close_procedure()
    assert 'id="lottery-eligible">6件（8人）' in page, page[:2000]
    st, _, page = s.post(PAGE, [("action", "confirm"), ("reserves", "2")])
    assert st == 200 and 'id="lottery-confirm"' in page and "補欠2件まで" in page, (st, page[:2000])
    assert sql("SELECT count(*) FROM lottery") == "0"    # the confirmation changes nothing
    # No duplicate review yet: the page says so, and the draw waits for 「重複の確認をせずに抽選する」.
    assert 'id="lottery-warning">重複の可能性がある申請を確認していません。' in page, page[:2000]
    st, _, page = s.post(PAGE, [("action", "draw"), ("reserves", "2")])
    assert st == 409 and "重複の確認が済んでいません" in page and sql("SELECT count(*) FROM lottery") == "0", st
    st, h, _ = s.post(PAGE, [("action", "draw"), ("reserves", "2"), ("anyway", "1")])
    assert st == 303 and h.get("location", "").endswith(PAGE + "?m=drawn"), (st, h)
    assert sql("SELECT actor || ' ' || capacity || ' ' || reserves || ' ' || applications FROM lottery") == \
        "yotsuya 3 2 6"
    won = int(sql("SELECT coalesce(sum(e.people), 0) FROM lottery_entries e WHERE result = 'won'"))
    assert 1 <= won <= 3, won
    assert sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status = 'reserve'" % PROC) == "2"
    st, _, page = s.get(PAGE)
    assert st == 200 and 'id="lottery-record"' in page and sql("SELECT list_sha256 FROM lottery") in page
    assert "yotsuya" in sql("SELECT actor FROM audit WHERE action = 'lottery_draw' AND target = '%s'" % PROC)
    # the list shows the results, with the reserves' numbers
    st, _, page = s.get("/staff/forms/%s?status=reserve" % PROC)
    assert st == 200 and "補欠（1番）" in page and "補欠（2番）" in page, page[:3000]
    # the home page counts the results
    st, _, page = s.get("/staff/")
    row = re.search(r'<tr><td><a href="/staff/forms/%s">.*?</tr>' % PROC, page).group(0)
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row)
    assert cells[5:] == [str(int(sql("SELECT won FROM lottery"))), "2", sql("SELECT lost FROM lottery"), "6"], cells
    first = sql("SELECT receipt FROM applications WHERE status = 'reserve' AND status_number = 1")
    st, _, page = s.get("/staff/apps/" + first)
    assert st == 200 and "補欠（1番）" in page and 'value="withdrawn"' in page, page[:3000]


def test_second_draw_refused():
    s = member("yotsuya")
    before = sql("SELECT result_sha256 FROM lottery")
    st, _, page = s.post(PAGE, [("action", "draw"), ("reserves", "1")])
    assert st == 409 and "抽選済み" in page, st
    out = formctl("lottery", "draw", PROC)
    assert out.returncode == 1 and "second draw is refused" in out.stderr, out.stderr
    assert sql("SELECT count(*) FROM lottery") == "1" and sql("SELECT result_sha256 FROM lottery") == before


def test_formctl_verify_and_show():
    out = formctl("lottery", "verify", PROC)
    assert out.returncode == 0 and "OK" in out.stdout, (out.stdout, out.stderr)
    out = formctl("lottery", "show", PROC)
    assert out.returncode == 0 and sql("SELECT result_sha256 FROM lottery") in out.stdout, out.stdout


def test_residents_read_their_result_and_get_a_mail():
    words = {"won": "当選", "lost": "落選", "reserve": "補欠"}
    for receipt, inquiry, _ in APPS:
        result, number = status(receipt).split(":")
        st, _, page = status_page(receipt, inquiry)
        shown = re.search(r'id="status-value">([^<]*)<', page).group(1)
        assert st == 200 and shown.startswith(words[result]), (result, shown)
        if result == "reserve":
            assert re.search(r'id="reserve-number">補欠の順番：%s番' % number, page), page[:2000]
            assert mail_for(receipt, "補欠%s番" % number), receipt
        else:
            assert mail_for(receipt, words[result]), (receipt, result)


def test_postal_list_shows_a_reserves_number():
    # after every result mail went out: the last reserve loses its address (a resident who gave none),
    # and is on the postal list with its number; the draw made exactly two reserves
    row = sql("SELECT receipt || ' ' || status_number FROM applications WHERE procedure_id = '%s'"
              " AND status = 'reserve' ORDER BY status_number DESC LIMIT 1" % PROC).split()
    assert row and row[1] == "2", row
    receipt, number = row
    sql("DELETE FROM envelopes WHERE %s" % harness.of_receipts(receipt))
    s = member("yotsuya")
    st, _, page = s.get("/staff/postal?procedure=%s&status=reserve" % PROC)
    assert st == 200 and "<td>補欠（%s番）</td><td>%s</td>" % (number, receipt) in page, page[-3000:]
    st, _, body = s.get("/staff/postal.csv?procedure=%s&status=reserve&purpose=x&recipient=y" % PROC)
    assert st == 200 and "補欠（%s番）,%s" % (number, receipt) in body, body


def has_envelope(receipt):
    return sql("SELECT count(*) FROM envelopes WHERE %s" % harness.of_receipts(receipt)) == "1"


def withdraw_winner(gone):
    """The resident of gone (a winner) withdraws: the first reserves whose groups fit move up.  Who moved."""
    winners = [a for a in APPS if status(a[0]).startswith("won:") and a is not gone]
    reserves = sorted((int(status(a[0]).split(":")[1]), a) for a in APPS if status(a[0]).startswith("reserve:"))
    left = 3 - sum(a[2] for a in winners)
    moving = []
    for _, a in reserves:   # in their order; a group that does not fit is passed over, not split
        if a[2] <= left:
            moving.append(a)
            left -= a[2]
    st, _, page = status_step(harness.Browser(), gone[0], gone[1], "withdraw-yes")
    assert st == 200 and 'id="withdrawn"' in page, (st, page[:1500])
    assert status(gone[0]) == "withdrawn:0"
    for _, a in reserves:
        if a in moving:
            assert status(a[0]) == "won:0", status(a[0])
            if has_envelope(a[0]):
                assert mail_for(a[0], "繰上げ当選"), a[0]
            else:   # no address: no mail queued, the postal list tells it
                assert sql(harness.mails_sql(a[0], "promotion")) == "0", a[0]
            assert sql("SELECT actor FROM app_events WHERE receipt = '%s' AND to_status = 'won' ORDER BY id DESC"
                       " LIMIT 1" % a[0]) == "resident"
        else:
            assert status(a[0]).startswith("reserve:"), status(a[0])
    return moving


def test_won_withdrawn_by_the_resident_moves_the_first_reserve_up():
    moved = []
    # the largest groups first; a second one when the first freed too few places for any reserve
    for gone in sorted((a for a in APPS if status(a[0]).startswith("won:")), key=lambda a: -a[2]):
        moved = withdraw_winner(gone)
        if moved:
            break
    assert moved, [status(a[0]) for a in APPS]
    out = formctl("lottery", "verify", PROC)
    assert out.returncode == 0, out.stdout


def test_verify_says_what_was_tampered():
    harness.stack().sql("UPDATE lottery SET seed = zeroblob(32)")
    out = formctl("lottery", "verify", PROC)
    assert out.returncode == 1 and "DIFFERS" in out.stdout and "audit:" in out.stdout, out.stdout


if __name__ == "__main__":
    sys.exit(harness.main(globals(), prefix="e2e-lottery", env={"SMTP_URL": "", "MAIL_POLL": "1"}))
