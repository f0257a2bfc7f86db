#!/usr/bin/python3
"""End-to-end tests of the staff pages (/staff/) and formctl's staff, key,
export and audit commands, through the real nginx, staff and apply programs.

Residents' applications are made through the real resident pages first.
Roles: anonymous, own section (yotsuya: 四谷保健センター), other section
(gomi), admin without a grant, auditor.  Prints TAP.  Dummy data only.
Usage: test_staff.py BUILD_DIR
"""
import csv
import glob
import hashlib
import html
import http.client
import io
import os
import re
import subprocess
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import BUILD, Browser, hidden_pairs, request, receipt_of

# Values chosen to be hard for CSV and Excel: commas, quotes, newlines, emoji,
# 髙/﨑 (CP932 has them), formula-looking text.  Dummy data only.
NAME_A = "髙﨑テスト花子"
NOTE_A = '=1+1\r\n改行あり,カンマ "引用" 😀'
NAME_B = "試験ダミー次郎"
NOTE_B = "@SUM(A1:A2)"
NAME_C = "試験ダミー三郎"
NOTE_C = "-5と+81"
HANDLING_NOTE = "ダミー対応記録：電話で在宅を確認"

APPS = {}   # name -> receipt
# Every export says what it is for and who receives it (the ledger, 管理簿).  Dummy values.
LEDGER = [("purpose", "ダミーの確認作業"), ("recipient", "試験係")]
LEDGER_QUERY = urllib.parse.urlencode(LEDGER)
LEDGER_ARGS = ["--purpose", "ダミーの確認作業", "--recipient", "試験係"]
EXPORT = "/staff/forms/e2e-open/export.csv?" + LEDGER_QUERY


def data():
    return harness.stack().data


def sql(query):
    return harness.stack().sql(query)


def formctl(*args, stdin=None):
    return subprocess.run([os.path.join(BUILD, "formctl"), "--data", data(), "--forms",
                           harness.stack().forms] + list(args),
                          input=stdin, capture_output=True, text=True)


def logins():
    """login -> password, from the demo files make run writes."""
    out = {}
    for name in ("demo-logins.txt", "demo-other-logins.txt"):
        for line in open(os.path.join(data(), name), encoding="utf-8"):
            parts = line.split()
            out[parts[1]] = parts[2]
    return out


def recovery_key(section):
    for line in open(os.path.join(data(), "demo-recovery-keys.txt"), encoding="utf-8"):
        parts = line.split()
        if parts[0] == section:
            return parts[2]
    raise KeyError(section)


class Staff:
    """A browser with a cookie jar (the CSRF and the session cookie), talking from source (another
    loopback address than 127.0.0.1 is another client for nginx and the limits)."""

    def __init__(self, source=None):
        self.jar = {}
        self.source = source

    def _hdr(self):
        return {"Cookie": "; ".join("%s=%s" % kv for kv in self.jar.items())} if self.jar else {}

    def _keep(self, h):
        for c in h["set-cookie-all"]:
            name, _, rest = c.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in c:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value

    def get(self, path):
        st, h, body = request("GET", path, headers=self._hdr(), source=self.source)
        self._keep(h)
        return st, h, body

    def post(self, path, pairs, csrf=True):
        if csrf:
            _, _, page = self.get("/staff/login" if path == "/staff/login" else "/staff/password")
            pairs = [("csrf", csrf_of(page))] + list(pairs)
        st, h, out = request("POST", path, body=urllib.parse.urlencode(pairs), headers=self._hdr(),
                             source=self.source)
        self._keep(h)
        return st, h, out

    def login(self, login, password=None):
        st, h, body = self.post("/staff/login", [("login", login),
                                                 ("password", password or logins()[login])])
        return st, h, body


def csrf_of(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    return m.group(1) if m else ""


def member(login, source=None):
    s = Staff(source)
    st, h, body = s.login(login)
    assert st == 303 and h.get("location", "").endswith("/staff/"), (st, body[:300])
    return s


def apply(name, note, proc="e2e-open"):
    b = Browser()
    st, _, page = b.get("/f/" + proc)
    assert st == 200
    answers = [("f_name", name), ("f_kana", "シケン テスト"), ("f_postal", "160-8484"),
               ("f_tel", "03-9999-0000"), ("f_email", "dummy.e2e@example.jp"), ("f_birth", "1950-04-01"),
               ("f_people", "1"), ("f_course", "a"), ("f_age_band", "70s"), ("f_topics", "food"),
               ("f_topics", "sleep"), ("f_note", note)]
    st, _, page = b.post("/f/" + proc, [("csrf", csrf_of(page)), ("action", "confirm")] + answers)
    assert st == 200 and "送信" in page, (st, page[:800])
    st, _, page = b.post("/f/" + proc, hidden_pairs(page) + [("action", "send")])
    receipt, _ = receipt_of(page)
    assert st == 200 and receipt, (st, page[:500])
    return receipt


def audit_rows(action):
    return sql("SELECT actor || '|' || target || '|' || detail FROM audit WHERE action = '%s' ORDER BY seq"
               % action).splitlines()


def page_text(page):
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# ---- cases, in order: later ones build on earlier ones ----

def test_make_run_writes_demo_logins():
    path = os.path.join(data(), "demo-logins.txt")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    lines = open(path, encoding="utf-8").read().splitlines()
    names = [l.split()[0] for l in lines]
    assert names == ["四谷保健センター", "ごみ減量リサイクル課", "地域包括ケア推進課"], names
    assert all(len(l.split()) == 3 and len(l.split()[2]) >= 12 for l in lines)
    log = ""
    for _ in range(50):     # the banner comes just after nginx answers
        log = open(os.path.join(harness.stack().tmp, "run.log"), encoding="utf-8").read()
        if "Ctrl-C" in log:
            break
        time.sleep(0.1)
    assert lines[0] in log, "make run prints the logins"


def test_residents_apply():
    APPS["a"] = apply(NAME_A, NOTE_A)
    APPS["b"] = apply(NAME_B, NOTE_B)
    APPS["c"] = apply(NAME_C, NOTE_C)
    assert len(set(APPS.values())) == 3


def test_login_page_cookies_and_headers():
    s = Staff()
    st, h, page = s.get("/staff/login")
    assert st == 200 and "職員ログイン" in page and 'autocomplete="current-password"' in page
    assert any(c.startswith("staff_csrf=") and "HttpOnly" in c and "SameSite=Strict" in c
               for c in h["set-cookie-all"])
    assert "default-src 'none'" in h.get("content-security-policy", "")
    assert h.get("cache-control") == "no-store"


def test_wrong_password_refused_and_audited():
    s = Staff()
    st, h, page = s.login("yotsuya", "wrong-password-123")
    assert st == 200 and "ログインIDまたはパスワードが正しくありません" in page
    assert not any(c.startswith("staff_session=") for c in h["set-cookie-all"])
    assert any(r.startswith("yotsuya|yotsuya|wrong password") for r in audit_rows("login_failed"))
    st, h, page = s.login("no-such-person", "whatever-password")
    assert st == 200 and "正しくありません" in page
    assert any(r.startswith("-|-|unknown login") for r in audit_rows("login_failed"))
    assert sql("SELECT count(*) FROM audit WHERE action = 'login_failed' AND addr = '127.0.0.1'") != "0"
    assert "no-such-person" not in sql("SELECT group_concat(target || detail) FROM audit")


def test_login_sets_session_cookie_and_audits():
    s = Staff()
    st, h, _ = s.login("yotsuya")
    assert st == 303 and h["location"].endswith("/staff/")
    c = [c for c in h["set-cookie-all"] if c.startswith("staff_session=")]
    assert c and "HttpOnly" in c[0] and "SameSite=Strict" in c[0] and "Path=/staff/" in c[0]
    # the database keeps the token's BLAKE2b-256 hash (seal_hash), never the token
    token = harness.b64url_decode(s.jar["staff_session"])
    hashed = hashlib.blake2b(token, digest_size=32)
    assert sql("SELECT staff_id = (SELECT id FROM staff WHERE login = 'yotsuya') FROM sessions"
               " WHERE token_hash = X'%s'" % hashed.hexdigest()) == "1"
    harness.assert_not_at_rest([token, s.jar["staff_session"]], present=[hashed.digest()])
    assert audit_rows("login")[-1].startswith("yotsuya|yotsuya|")
    st, _, page = s.get("/staff/")
    assert st == 200 and "テスト用の申込み" in page and "yotsuya" in page


def test_missing_or_forged_csrf_refused():
    s = member("yotsuya")
    st, _, _ = s.post("/staff/logout", [], csrf=False)
    assert st == 403
    st, _, _ = s.post("/staff/logout", [("csrf", "A" * 43)], csrf=False)
    assert st == 403
    st, _, _ = s.post("/staff/apps/" + APPS["a"], [("from", "received"), ("to", "accepted")], csrf=False)
    assert st == 403
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % APPS["a"]) == "received"
    st, _, _ = s.get("/staff/")
    assert st == 200, "still logged in"


def test_logout_ends_session():
    s = member("yotsuya")
    old = dict(s.jar)
    _, _, page = s.get("/staff/")
    st, h, _ = s.post("/staff/logout", [("csrf", csrf_of(page))], csrf=False)
    assert st == 303 and "m=logout" in h["location"]
    s.jar = old     # a copy of the cookie kept by someone else must not work either
    st, h, _ = s.get("/staff/")
    assert st == 303 and "/staff/login" in h["location"]


def test_idle_session_expires():
    s = member("yotsuya")
    sql("UPDATE sessions SET last_seen = last_seen - 31 * 60")
    st, h, _ = s.get("/staff/forms/e2e-open")
    assert st == 303 and h["location"].endswith("/staff/login?m=expired"), (st, h.get("location"))
    st, _, page = s.get("/staff/login?m=expired")
    assert "一定時間操作がなかったため" in page
    assert any("idle timeout" in r for r in audit_rows("logout"))


def test_stolen_cookie_without_database_keys_opens_nothing():
    s = member("yotsuya")
    # The cookie is random; only its hash is stored, and the section keys are wrapped under it.
    token = harness.b64url_decode(s.jar["staff_session"])
    harness.assert_not_at_rest([token, s.jar["staff_session"]],
                               present=[b"yotsuya", hashlib.blake2b(token, digest_size=32).digest()])


def test_staff_commits_flush_the_wal():
    # synchronous=FULL on staff's own connections: a login commits its session, then its audit entry
    syncs = harness.stack().wal_syncs_during("staff", lambda: [member("yotsuya") for _ in range(2)])
    assert syncs >= 4, "%d WAL flushes for 2 logins (4 commits)" % syncs


STAFF_ROUTES = ["/staff/", "/staff/forms/e2e-open", EXPORT,
                "/staff/apps/{a}", "/staff/audit", "/staff/password"]


def test_anonymous_gets_login_for_every_route():
    s = Staff()
    for r in STAFF_ROUTES:
        st, h, body = s.get(r.format(a=APPS["a"]))
        assert st == 303 and "/staff/login" in h["location"], (r, st)
        assert NAME_A not in body
    st, _, _ = s.post("/staff/apps/" + APPS["a"], [("from", "received"), ("to", "accepted")])
    assert st == 403


def test_other_section_admin_and_auditor_get_404():
    expect = {
        "gomi": {"/staff/forms/e2e-open": 404, EXPORT: 404,
                 "/staff/apps/{a}": 404, "/staff/audit": 404, "/staff/": 200},
        "demo-admin": {"/staff/forms/e2e-open": 404, EXPORT: 404,
                       "/staff/apps/{a}": 404, "/staff/audit": 404, "/staff/": 200},
        "demo-auditor": {"/staff/forms/e2e-open": 404, EXPORT: 404,
                         "/staff/apps/{a}": 404, "/staff/audit": 200, "/staff/": 200},
        "yotsuya": {"/staff/forms/e2e-open": 200, EXPORT: 200,
                    "/staff/apps/{a}": 200, "/staff/audit": 404, "/staff/": 200},
    }
    for login, routes in expect.items():
        s = member(login)
        for r, want in routes.items():
            st, _, body = s.get(r.format(a=APPS["a"]))
            assert st == want, (login, r, st)
            if want == 404:
                assert NAME_A not in body and "ページが見つかりません" in body
        _, _, page = s.get("/staff/")
        # A POST that changes nothing: refused with 400 for the own section, 404 for everyone else.
        st, _, _ = s.post("/staff/apps/" + APPS["a"], [("csrf", csrf_of(page)), ("from", "received"),
                                                      ("to", "received")], csrf=False)
        assert st == (404 if login != "yotsuya" else 400), (login, st)
        pairs = [("csrf", csrf_of(page)), ("zip_password", "ダミーの十分に長いパスワード")] + LEDGER
        st, h, body = s.post("/staff/forms/e2e-open/export.zip", pairs, csrf=False)
        assert st == (404 if login != "yotsuya" else 200), (login, st)
        assert NAME_A not in body
    _, _, home = member("gomi").get("/staff/")
    assert "テスト用の申込み" not in home
    _, _, home = member("demo-admin").get("/staff/")
    assert "閲覧できる手続きはありません" in home


def test_list_shows_summary_and_filters():
    s = member("yotsuya")
    st, _, page = s.get("/staff/forms/e2e-open")
    assert st == 200
    for r in APPS.values():
        assert r in page
    assert html.escape(NAME_A) in page or NAME_A in page
    assert "3件" in page
    st, _, page = s.get("/staff/forms/e2e-open?status=accepted")
    assert st == 200 and "0件" in page and APPS["a"] not in page
    st, _, page = s.get("/staff/forms/e2e-open?from=2099-01-01&to=2099-01-31")
    assert st == 200 and "0件" in page
    st, _, page = s.get("/staff/forms/e2e-open?from=2030-01-02&to=2030-01-01")
    assert st == 400 and "「まで」が「から」より前" in page
    st, _, _ = s.get("/staff/forms/e2e-open?status=nonsense")
    assert st == 400
    st, _, _ = s.get("/staff/forms/e2e-open?from=2030-13-01")
    assert st == 400
    assert any(r.startswith("yotsuya|e2e-open|page=1") for r in audit_rows("list"))


def test_detail_decrypts_every_field_and_is_audited():
    s = member("yotsuya")
    st, _, page = s.get("/staff/apps/" + APPS["a"])
    text = page_text(page)
    assert st == 200
    for v in (NAME_A, "シケン テスト", "03-9999-0000", "dummy.e2e@example.jp", "Aコース", "70代以上",
              "食事、睡眠", "1950-04-01"):
        assert v in text, v
    assert "改行あり,カンマ" in text and "😀" in text
    assert "<script" not in page
    assert audit_rows("view")[-1] == "yotsuya|%s|" % APPS["a"]


def test_workflow_transitions_notes_and_refusals():
    s = member("yotsuya")
    r = APPS["a"]
    _, _, page = s.get("/staff/apps/" + r)
    st, h, _ = s.post("/staff/apps/" + r, [("csrf", csrf_of(page)), ("from", "received"), ("to", "accepted"),
                                           ("note", HANDLING_NOTE)], csrf=False)
    assert st == 303 and h["location"].endswith("?m=saved")
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % r) == "accepted"
    st, _, page = s.get("/staff/apps/" + r + "?m=saved")
    assert "記録しました" in page and HANDLING_NOTE in page and "到達 → 受付" in page and "yotsuya" in page
    # the note is sealed, never in clear
    harness.assert_not_at_rest([HANDLING_NOTE], present=[r])
    # a stale screen (still showing 到達) is refused
    st, _, page2 = s.post("/staff/apps/" + r, [("csrf", csrf_of(page)), ("from", "received"),
                                               ("to", "withdrawn")], csrf=False)
    assert st == 409 and "ほかの職員が状態を変更しました" in page2
    # an illegal transition is refused: accepted -> received
    st, _, page2 = s.post("/staff/apps/" + r, [("csrf", csrf_of(page)), ("from", "accepted"),
                                               ("to", "received")], csrf=False)
    assert st == 400 and "その状態には変更できません" in page2
    st, _, _ = s.post("/staff/apps/" + r, [("csrf", csrf_of(page)), ("from", "accepted"), ("to", "done")],
                      csrf=False)
    assert st == 303
    # done is final
    st, _, _ = s.post("/staff/apps/" + r, [("csrf", csrf_of(page)), ("from", "done"), ("to", "withdrawn")],
                      csrf=False)
    assert st == 400
    assert sql("SELECT status FROM applications WHERE receipt = '%s'" % r) == "done"
    events = sql("SELECT actor || ':' || from_status || '>' || to_status FROM app_events WHERE receipt = '%s'"
                 " ORDER BY id" % r).splitlines()
    assert events == ["yotsuya:received>accepted", "yotsuya:accepted>done"], events
    assert [x.split("|")[2] for x in audit_rows("status")][-2:] == ["received->accepted with note",
                                                                     "accepted->done"]


def expected_row(name, note, status):
    return {"受付番号": None, "状態": status, "受付方法": "オンライン", "氏名": name, "氏名（カナ）": "シケン テスト",
            "電話番号": "03-9999-0000", "メールアドレス": "dummy.e2e@example.jp", "生年月日": "1950-04-01",
            "参加人数": "1", "コース": "Aコース", "診断日": "", "年代": "70代以上", "関心のあるテーマ": "食事、睡眠",
            "ご意見": note}


def neutral(v):
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


def stored(v):
    """What the resident pages keep: line ends normalised to LF."""
    return v.replace("\r\n", "\n")


def check_rows(rows, want_status_of):
    by_receipt = {r["受付番号"]: r for r in rows}
    for key, (name, note) in {"a": (NAME_A, NOTE_A), "b": (NAME_B, NOTE_B), "c": (NAME_C, NOTE_C)}.items():
        if key not in want_status_of:
            assert APPS[key] not in by_receipt
            continue
        row = by_receipt[APPS[key]]
        for col, v in expected_row(name, note, want_status_of[key]).items():
            if v is not None:
                assert row[col] == neutral(stored(v)), (key, col, row[col], v)
        assert re.match(r"^20\d\d-\d\d-\d\d \d\d:\d\d$", row["受付日時"])


def test_export_utf8_roundtrip_and_ledger():
    s = member("yotsuya")
    st, h, body = request("GET", EXPORT, headers=s._hdr())
    raw = body.encode("utf-8")
    assert st == 200 and h["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''" in h["content-disposition"] and ".csv" in h["content-disposition"]
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(body[1:], newline="")))
    assert list(rows[0].keys())[:6] == ["受付番号", "受付日時", "状態", "受付方法", "言語", "氏名"]
    assert {r["言語"] for r in rows} == {"日本語"}
    check_rows(rows, {"a": "完了", "b": "到達", "c": "到達"})
    ledger = audit_rows("export")[-1].split("|")
    assert ledger[0] == "yotsuya" and ledger[1] == "e2e-open"
    assert "rows=3 " in ledger[2] and "sha256=" + hashlib.sha256(raw).hexdigest() in ledger[2], ledger


def test_export_cp932_replaces_visibly_and_counts():
    s = member("yotsuya")
    conn_hdr = s._hdr()
    c = http.client.HTTPConnection("127.0.0.1", harness.stack().port, timeout=30)
    c.request("GET", EXPORT + "&encoding=cp932", headers=conn_hdr)
    r = c.getresponse()
    raw = r.read()
    c.close()
    assert r.status == 200 and "Shift_JIS" in r.getheader("Content-Type")
    text = raw.decode("cp932")
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    a = [x for x in rows if x["受付番号"] == APPS["a"]][0]
    assert a["氏名"] == NAME_A, "髙 and 﨑 survive CP932"
    assert a["ご意見"] == neutral(stored(NOTE_A).replace("😀", "〓")), a["ご意見"]
    ledger = audit_rows("export")[-1]
    assert "encoding=cp932" in ledger and "replaced=1 " in ledger, ledger


# LibreOffice's CSV import as a spreadsheet user gets it: the file's charset (76 UTF-8, 64 MS-932),
# comma and double quote, Japanese locale, formulas EVALUATED (the dangerous setting, like Excel's
# default); special-number detection off so that values come back as written.  The sheet is written
# out again as tab-separated UTF-8 with every text cell quoted, and read with Python's csv module.
def libreoffice_sheets(raws, charset):
    """Each file's cells as LibreOffice imports them; one LibreOffice run for them all."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is installed by make deps"
    tmp = tempfile.mkdtemp(prefix="shinjuku-lo-")
    try:
        srcs = []
        for i, raw in enumerate(raws):
            srcs.append(os.path.join(tmp, "export%d.csv" % i))
            with open(srcs[-1], "wb") as f:
                f.write(raw)
        out = subprocess.run([soffice, "-env:UserInstallation=file://%s/profile" % tmp, "--headless",
                              "--norestore",
                              "--infilter=CSV:44,34,%d,1,,1041,false,false,false,false,false,-1,true" % charset,
                              "--convert-to", "csv:Text - txt - csv (StarCalc):9,34,76,1,,1041,true,true",
                              "--outdir", os.path.join(tmp, "out")] + srcs,
                             capture_output=True, text=True, timeout=300)
        sheets = []
        for src in srcs:
            path = os.path.join(tmp, "out", os.path.basename(src))
            assert os.path.exists(path), out.stdout + out.stderr
            with open(path, encoding="utf-8", newline="") as f:
                sheets.append(list(csv.DictReader(f, delimiter="\t")))
        return sheets
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def libreoffice_cells(raw, charset):
    return libreoffice_sheets([raw], charset)[0]


def test_libreoffice_evaluates_a_bare_formula():
    """Control: with these settings an unprotected formula cell IS computed, so the next test can fail."""
    rows = libreoffice_cells("\ufeffa,b\r\n=1+1,'=1+1\r\n".encode("utf-8"), 76)
    assert rows == [{"a": "2", "b": "'=1+1"}], rows


def test_export_opens_in_libreoffice():
    s = member("yotsuya")
    for query, charset, codec in (("", 76, "utf-8"), ("&encoding=cp932", 64, "cp932")):
        c = http.client.HTTPConnection("127.0.0.1", harness.stack().port, timeout=30)
        c.request("GET", EXPORT + query, headers=s._hdr())
        r = c.getresponse()
        raw = r.read()
        c.close()
        assert r.status == 200
        rows = libreoffice_cells(raw, charset)
        assert list(rows[0].keys())[:6] == ["受付番号", "受付日時", "状態", "受付方法", "言語", "氏名"]
        if codec == "utf-8":
            check_rows(rows, {"a": "完了", "b": "到達", "c": "到達"})
        else:
            a = [x for x in rows if x["受付番号"] == APPS["a"]][0]
            assert a["氏名"] == NAME_A and a["ご意見"] == neutral(stored(NOTE_A).replace("😀", "〓")), a
        # every cell is what the CSV says, in the same places: nothing evaluated, nothing split
        parsed = list(csv.DictReader(io.StringIO(raw.decode(codec).lstrip("\ufeff"), newline="")))
        assert rows == parsed, (rows, parsed)


def test_export_filter_and_bad_encoding():
    s = member("yotsuya")
    # the export form on the list page carries the current filter, empty values included
    for status, n in (("", 3), ("received", 2)):
        _, _, page = s.get("/staff/forms/e2e-open?status=%s&from=&to=" % status)
        form = re.search(r'<form method="get" action="/staff/forms/e2e-open/export\.csv".*?</form>', page,
                         re.S).group(0)
        hidden = harness.hidden_pairs(form)
        assert hidden == [("status", status), ("from", ""), ("to", "")], hidden
        st, _, body = s.get("/staff/forms/e2e-open/export.csv?" + urllib.parse.urlencode(
            hidden + [("encoding", "utf-8")] + LEDGER))
        assert st == 200 and len(list(csv.DictReader(io.StringIO(body[1:], newline="")))) == n, (st, status)
    st, _, body = s.get(EXPORT + "&status=received")
    rows = list(csv.DictReader(io.StringIO(body[1:], newline="")))
    check_rows(rows, {"b": "到達", "c": "到達"})
    st, _, _ = s.get(EXPORT + "&encoding=latin1")
    assert st == 400


def test_web_zip_export_with_chosen_password():
    s = member("yotsuya")
    _, _, page = s.get("/staff/forms/e2e-open")
    assert 'action="/staff/forms/e2e-open/export.zip?' in page
    token = csrf_of(page)
    st, _, body = s.post("/staff/forms/e2e-open/export.zip?status=&from=&to=",
                         [("csrf", token), ("zip_password", "short")] + LEDGER, csrf=False)
    assert st == 400 and "12文字以上" in body
    st, _, _ = s.get("/staff/forms/e2e-open/export.zip")
    assert st == 405
    password = "ダミーの受け渡し用パスワード"
    conn = http.client.HTTPConnection("127.0.0.1", harness.stack().port, timeout=30)
    conn.request("POST", "/staff/forms/e2e-open/export.zip?status=received",
                 body=urllib.parse.urlencode([("csrf", token), ("zip_password", password)] + LEDGER),
                 headers=dict(s._hdr(), **{"Content-Type": "application/x-www-form-urlencoded"}))
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    assert r.status == 200 and r.getheader("Content-Type") == "application/zip"
    assert ".zip" in r.getheader("Content-Disposition")
    assert NAME_B.encode() not in raw
    z = os.path.join(harness.stack().tmp, "web.zip")
    open(z, "wb").write(raw)
    unzip = os.path.join(BUILD, "tests", "unzip_aes")
    out = subprocess.run([unzip, z, password], capture_output=True)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout.decode("utf-8-sig"), newline="")))
    check_rows(rows, {"b": "到達", "c": "到達"})
    assert subprocess.run([unzip, z, password + "x"], capture_output=True).returncode != 0
    ledger = audit_rows("export")[-1]
    assert ledger.startswith("yotsuya|e2e-open|rows=2 ") and ledger.endswith(" archive"), ledger
    assert password not in sql("SELECT group_concat(detail) FROM audit")


def test_formctl_export_with_recovery_key_and_archive():
    out = os.path.join(harness.stack().tmp, "cli.csv")
    r = formctl("export", "e2e-open", "--recovery", "--out", out, *LEDGER_ARGS,
                stdin=recovery_key("yotsuya-hc") + "\n")
    assert r.returncode == 0, r.stderr
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    rows = list(csv.DictReader(io.open(out, encoding="utf-8-sig", newline="")))
    check_rows(rows, {"a": "完了", "b": "到達", "c": "到達"})
    assert audit_rows("export")[-1].startswith("formctl:")
    r = formctl("export", "e2e-open", "--recovery", "--out", out + "2", *LEDGER_ARGS,
                stdin="AAAA-" * 12 + "AAAA\n")
    assert r.returncode != 0 or "3 applications not opened" in r.stderr
    z = os.path.join(harness.stack().tmp, "cli.zip")
    r = formctl("export", "e2e-open", "--by", "yotsuya", "--zip", z, *LEDGER_ARGS,
                stdin=logins()["yotsuya"] + "\n")
    assert r.returncode == 0, r.stderr
    password = re.search(r"password, to pass on separately: (\S+)", r.stderr).group(1)
    assert os.path.getsize(z) > 0 and oct(os.stat(z).st_mode & 0o777) == "0o600"
    assert NAME_A.encode() not in open(z, "rb").read()
    unzip = os.path.join(BUILD, "tests", "unzip_aes")
    r = subprocess.run([unzip, z, password], capture_output=True)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode("utf-8-sig"), newline="")))
    check_rows(rows, {"a": "完了", "b": "到達", "c": "到達"})
    assert subprocess.run([unzip, z, "wrong-password"], capture_output=True).returncode != 0
    assert audit_rows("export")[-1].startswith("formctl:") and " archive" in audit_rows("export")[-1]


# What a hostile resident can get through the form (NFKC keeps them; they are neither white space
# nor controls): a character CP932 lacks and which its conversion used to drop (the tag U+E0001),
# or an invisible one, before a formula.  Every export must give them back as text.  Dummy data only.
HOSTILE_NOTES = ['\U000e0001=HYPERLINK("http://example.invalid/","dummy")', "\u200b=1+1",
                 "\ufeff\u2060=2+3"]


def as_cp932(v):
    """A value as the CP932 file holds it: what CP932 lacks is 〓."""
    def one(c):
        try:
            return c.encode("cp932") and c
        except UnicodeEncodeError:
            return "〓"
    return "".join(one(c) for c in v)


def hostile_exports():
    """(what, raw bytes, codec) of every way out: web CSV, web ZIP, formctl CSV and ZIP, both encodings."""
    s = member("yotsuya")
    files = []
    for enc in ("utf-8", "cp932"):
        c = http.client.HTTPConnection("127.0.0.1", harness.stack().port, timeout=30)
        c.request("GET", EXPORT + "&encoding=" + enc, headers=s._hdr())
        r = c.getresponse()
        files.append(("web csv " + enc, r.read(), enc))
        c.close()
        assert r.status == 200
        _, _, page = s.get("/staff/forms/e2e-open")
        password = "ダミーの受け渡し用パスワード"
        conn = http.client.HTTPConnection("127.0.0.1", harness.stack().port, timeout=30)
        conn.request("POST", "/staff/forms/e2e-open/export.zip?encoding=" + enc,
                     body=urllib.parse.urlencode([("csrf", csrf_of(page)), ("zip_password", password)] + LEDGER),
                     headers=dict(s._hdr(), **{"Content-Type": "application/x-www-form-urlencoded"}))
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        assert r.status == 200, (enc, r.status)
        files.append(("web zip " + enc, unzip_entry(raw, password), enc))
        out = os.path.join(harness.stack().tmp, "hostile-%s.csv" % enc)
        r = formctl("export", "e2e-open", "--recovery", "--encoding", enc, "--out", out, *LEDGER_ARGS,
                    stdin=recovery_key("yotsuya-hc") + "\n")
        assert r.returncode == 0, r.stderr
        files.append(("formctl csv " + enc, open(out, "rb").read(), enc))
        z = os.path.join(harness.stack().tmp, "hostile-%s.zip" % enc)
        r = formctl("export", "e2e-open", "--by", "yotsuya", "--encoding", enc, "--zip", z, *LEDGER_ARGS,
                    stdin=logins()["yotsuya"] + "\n")
        assert r.returncode == 0, r.stderr
        password = re.search(r"password, to pass on separately: (\S+)", r.stderr).group(1)
        files.append(("formctl zip " + enc, unzip_entry(open(z, "rb").read(), password), enc))
    return files


def unzip_entry(raw, password):
    z = os.path.join(harness.stack().tmp, "hostile-entry.zip")
    with open(z, "wb") as f:
        f.write(raw)
    out = subprocess.run([os.path.join(BUILD, "tests", "unzip_aes"), z, password], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_invisible_characters_before_formulas_neutralised_in_every_export():
    receipts = {apply("試験ダミー四郎", note): note for note in HOSTILE_NOTES}
    files = hostile_exports()
    for what, raw, codec in files:
        rows = list(csv.DictReader(io.StringIO(raw.decode(codec).lstrip("\ufeff"), newline="")))
        got = {r["受付番号"]: r["ご意見"] for r in rows if r["受付番号"] in receipts}
        want = {k: "'" + (v if codec == "utf-8" else as_cp932(v)) for k, v in receipts.items()}
        assert got == want, (what, got, want)
    # and through a spreadsheet that evaluates formulas: every cell comes back as the CSV says
    for codec, charset in (("utf-8", 76), ("cp932", 64)):
        mine = [(what, raw) for what, raw, c in files if c == codec]
        for (what, raw), sheet in zip(mine, libreoffice_sheets([raw for _, raw in mine], charset)):
            parsed = list(csv.DictReader(io.StringIO(raw.decode(codec).lstrip("\ufeff"), newline="")))
            assert sheet == parsed, (what, [r["ご意見"] for r in sheet if r["受付番号"] in receipts])


def test_grant_needs_key_holder():
    r = formctl("staff", "add", "tanaka", "staff")
    assert r.returncode == 0, r.stderr
    pw = re.search(r"only once\): (\S+)", r.stdout).group(1)
    # the admin alone cannot grant: a wrong recovery key, or a member without the key, is refused
    r = formctl("grant", "tanaka", "yotsuya-hc", "--recovery", stdin="A" * 52 + "\n")
    assert r.returncode == 1 and "does not open" in r.stderr, r.stderr
    r = formctl("grant", "tanaka", "yotsuya-hc", "--by", "demo-admin", stdin=logins()["demo-admin"] + "\n")
    assert r.returncode == 1, r.stderr
    r = formctl("grant", "tanaka", "yotsuya-hc", "--by", "yotsuya", stdin="wrong\n")
    assert r.returncode == 1 and "wrong password" in r.stderr
    r = formctl("grant", "demo-auditor", "yotsuya-hc", "--by", "yotsuya", stdin=logins()["yotsuya"] + "\n")
    assert r.returncode == 1 and "auditor" in r.stderr
    assert sql("SELECT count(*) FROM grants g JOIN staff s ON s.id = g.staff_id WHERE s.login = 'tanaka'") == "0"
    r = formctl("grant", "tanaka", "yotsuya-hc", "--by", "yotsuya", stdin=logins()["yotsuya"] + "\n")
    assert r.returncode == 0, r.stderr
    s = Staff()
    st, _, _ = s.login("tanaka", pw)
    assert st == 303
    st, _, page = s.get("/staff/apps/" + APPS["b"])
    assert st == 200 and NAME_B in page_text(page)
    APPS["tanaka_pw"] = pw


def test_password_change_keeps_grants():
    s = Staff()
    s.login("tanaka", APPS["tanaka_pw"])
    new = "新しいダミーの合言葉2026"
    st, _, page = s.post("/staff/password", [("current", "bad-current-pw"), ("new", new), ("confirm", new)])
    assert st == 400 and "現在のパスワードが正しくありません" in page
    st, _, page = s.post("/staff/password", [("current", APPS["tanaka_pw"]), ("new", "short"), ("confirm", "short")])
    assert st == 400 and "12文字以上" in page
    st, _, page = s.post("/staff/password", [("current", APPS["tanaka_pw"]), ("new", "tanaka-is-my-name"),
                                             ("confirm", "tanaka-is-my-name")])
    assert st == 400 and "ログインIDを含めない" in page
    st, _, page = s.post("/staff/password", [("current", APPS["tanaka_pw"]), ("new", new), ("confirm", new)])
    assert st == 200 and "パスワードを変更しました" in page
    assert Staff().login("tanaka", APPS["tanaka_pw"])[0] == 200
    s2 = Staff()
    assert s2.login("tanaka", new)[0] == 303
    st, _, page = s2.get("/staff/apps/" + APPS["c"])
    assert st == 200 and NAME_C in page_text(page)
    APPS["tanaka_pw"] = new


def test_revoke_removes_access_from_open_sessions():
    s = Staff()
    s.login("tanaka", APPS["tanaka_pw"])
    assert s.get("/staff/apps/" + APPS["c"])[0] == 200
    r = formctl("revoke", "tanaka", "yotsuya-hc")
    assert r.returncode == 0, r.stderr
    assert s.get("/staff/apps/" + APPS["c"])[0] == 404
    assert s.get("/staff/forms/e2e-open/export.csv")[0] == 404


def test_key_rotation_new_key_old_readable():
    old = sql("SELECT key_id FROM section_keys WHERE section_id = 'yotsuya-hc'")
    r = formctl("key", "rotate", "yotsuya-hc")
    assert r.returncode == 0, r.stderr
    new = sql("SELECT key_id FROM section_keys WHERE section_id = 'yotsuya-hc' ORDER BY created_at DESC, rowid DESC"
              " LIMIT 1")
    assert new != old.splitlines()[0]
    APPS["d"] = apply("試験ダミー四郎", "ローテーション後")
    assert sql("SELECT key_id FROM applications WHERE receipt = '%s'" % APPS["d"]) == new
    s = member("yotsuya")
    for key in ("a", "d"):
        st, _, page = s.get("/staff/apps/" + APPS[key])
        assert st == 200, key
    assert "試験ダミー四郎" in page_text(page)
    assert audit_rows("rotate")[-1].startswith("formctl:")


def test_old_format_application_opens_on_the_page_and_in_exports():
    """An application sealed alone, as apply sealed them before the writer sealed whole batches
    (tests/helpers/old_format.c), beside one sealed in a batch: both open on the detail page and in the
    CSV export."""
    r = subprocess.run([os.path.join(BUILD, "tests", "old_format"), data(), "e2e-mail", "yotsuya-hc",
                        "試験旧形式花子", "dummy.old@example.jp"], capture_output=True, text=True)
    old = r.stdout.strip()
    assert r.returncode == 0 and old, r.stderr
    b = Browser()
    _, _, page = b.get("/f/e2e-mail")
    _, _, page = b.post("/f/e2e-mail", [("csrf", csrf_of(page)), ("action", "confirm"), ("f_name", "試験新形式太郎"),
                                        ("f_email", "dummy.new@example.jp")])
    _, _, page = b.post("/f/e2e-mail", hidden_pairs(page) + [("action", "send")])
    new, _ = receipt_of(page)
    assert new
    assert sql("SELECT hex(substr(sealed, 1, 1)) FROM applications WHERE receipt = '%s'" % new) == "02"
    s = member("yotsuya")
    for receipt, name in ((old, "試験旧形式花子"), (new, "試験新形式太郎")):
        st, _, page = s.get("/staff/apps/" + receipt)
        assert st == 200 and name in page_text(page), receipt
    st, _, body = request("GET", "/staff/forms/e2e-mail/export.csv?" + LEDGER_QUERY, headers=s._hdr())
    rows = {r["受付番号"]: r for r in csv.DictReader(io.StringIO(body[1:], newline=""))}
    assert st == 200 and rows[old]["氏名"] == "試験旧形式花子" and rows[new]["氏名"] == "試験新形式太郎", rows


def new_member(login):
    """A fresh staff account (no grants) and its password."""
    r = formctl("staff", "add", login, "staff")
    assert r.returncode == 0, r.stderr
    return re.search(r"only once\): (\S+)", r.stdout).group(1)


def slide_windows(seconds):
    """As if the failures recorded so far had happened seconds earlier (the limits' windows slide)."""
    sql("UPDATE throttle SET window = window - %d" % seconds)


def test_failed_logins_throttled_then_released():
    attacker, owner = Staff("127.0.0.2"), Staff("127.0.0.3")
    for _ in range(5):
        assert attacker.login("chiiki", "not-the-password-x")[0] == 200
    # the guessing address is refused, even the right password, before it is checked
    st, h, page = attacker.login("chiiki")
    assert st == 429 and "一時的にログインできません" in page
    # the rightful user, from an address without failures, gets in while the account is under attack
    assert owner.login("chiiki")[0] == 303
    assert 0 < int(h.get("retry-after", "0")) <= 900, h
    assert any("throttled" in r for r in audit_rows("login_failed"))
    assert attacker.login("chiiki")[0] == 429
    slide_windows(900)
    assert attacker.login("chiiki")[0] == 303


def test_failed_logins_window_slides():
    pw = new_member("ogawa")
    s = Staff("127.0.0.8")
    for _ in range(5):
        assert s.login("ogawa", "not-the-password-x")[0] == 200
    # 880 seconds later the failures still count: no fresh quarter of an hour lets ten guesses through ...
    slide_windows(880)
    st, h, _ = s.login("ogawa", pw)
    assert st == 429 and 0 < int(h.get("retry-after", "0")) <= 20, (st, h.get("retry-after"))
    # ... and once they are 15 minutes old, the address may try again
    slide_windows(30)
    assert s.login("ogawa", pw)[0] == 303


def test_failing_shared_address_keeps_its_other_members():
    office = Staff("127.0.0.4")
    for i in range(30):
        assert office.login("nobody-%d" % i, "not-the-password-x")[0] == 200
    # 30 failures from one address: the names it failed on are closed to it, its other members are not
    assert office.login("nobody-3", "not-the-password-x")[0] == 429
    assert office.login("yotsuya")[0] == 303
    slide_windows(900)


def test_password_page_guesses_count_as_login_failures():
    pw = new_member("kimura")
    s = Staff("127.0.0.5")
    assert s.login("kimura", pw)[0] == 303
    new = "キムラの新しいダミー合言葉"
    for _ in range(5):
        st, _, page = s.post("/staff/password", [("current", "not-the-password-x"), ("new", new), ("confirm", new)])
        assert st == 400 and "現在のパスワードが正しくありません" in page
    # the sixth guess is refused before Argon2id runs, even the right one; the login page too
    st, h, page = s.post("/staff/password", [("current", pw), ("new", new), ("confirm", new)])
    assert st == 429 and "一時的にパスワードを変更できません" in page and int(h["retry-after"]) > 0, (st, page[:300])
    assert audit_rows("login_failed")[-1] == "kimura|kimura|throttled"
    assert Staff("127.0.0.5").login("kimura", pw)[0] == 429
    # the member from another address is not locked out
    assert Staff("127.0.0.6").login("kimura", pw)[0] == 303
    slide_windows(900)
    st, _, page = s.post("/staff/password", [("current", pw), ("new", new), ("confirm", new)])
    assert st == 200 and "パスワードを変更しました" in page


def test_password_change_ends_other_sessions():
    pw = new_member("hayashi")
    here, elsewhere = Staff(), Staff("127.0.0.7")
    assert here.login("hayashi", pw)[0] == 303 and elsewhere.login("hayashi", pw)[0] == 303
    assert elsewhere.get("/staff/")[0] == 200
    new = "ハヤシの新しいダミー合言葉"
    st, _, page = here.post("/staff/password", [("current", pw), ("new", new), ("confirm", new)])
    assert st == 200 and "パスワードを変更しました" in page
    st, h, _ = elsewhere.get("/staff/")
    assert st == 303 and "/staff/login" in h["location"], (st, h.get("location"))
    assert "ほかの端末でのログインは終了しました" in page
    assert here.get("/staff/")[0] == 200, "the session that changed it stays"
    assert Staff().login("hayashi", new)[0] == 303


def test_csrf_cookie_renewed_at_login_and_logout():
    s = Staff()
    _, _, page = s.get("/staff/login")
    before, old_token = s.jar["staff_csrf"], csrf_of(page)
    st, h, _ = s.post("/staff/login", [("csrf", old_token), ("login", "yotsuya"), ("password", logins()["yotsuya"])],
                      csrf=False)
    assert st == 303
    c = [c for c in h["set-cookie-all"] if c.startswith("staff_csrf=")]
    assert c and "HttpOnly" in c[0] and "SameSite=Strict" in c[0] and "Path=/staff/" in c[0], h["set-cookie-all"]
    assert s.jar["staff_csrf"] != before
    # a token made for the cookie of before the login no longer passes
    st, _, _ = s.post("/staff/logout", [("csrf", old_token)], csrf=False)
    assert st == 403
    _, _, page = s.get("/staff/")
    in_session = s.jar["staff_csrf"]
    st, h, _ = s.post("/staff/logout", [("csrf", csrf_of(page))], csrf=False)
    assert st == 303 and s.jar["staff_csrf"] != in_session


def test_other_sections_requests_audited_and_answered_as_missing():
    s = member("gomi")
    before = len(audit_rows("denied"))
    missing = s.get("/staff/apps/0000-0000-0000")
    theirs = s.get("/staff/apps/" + APPS["b"])
    assert theirs[0] == missing[0] == 404 and theirs[2] == missing[2]
    assert s.get("/staff/forms/no-such-form")[2] == s.get("/staff/forms/e2e-open")[2]
    assert s.get("/staff/forms/e2e-open/export.csv")[0] == 404
    assert s.get("/staff/audit")[0] == 404
    rows = audit_rows("denied")[before:]
    assert rows == ["gomi|%s|another section's application" % APPS["b"], "gomi|e2e-open|another section's procedure",
                    "gomi|e2e-open|another section's procedure", "gomi|/staff/audit|not an auditor"], rows
    _, _, page = member("demo-auditor").get("/staff/audit?action=denied")
    assert "権限外への要求" in page and APPS["b"] in page


def test_login_flood_leaves_members_served():
    """80 logins with unknown names at once, from 8 addresses: Argon2id runs in fewer workers than there
    are, so a member already logged in is served meanwhile; a login finding every slot taken gets 429."""
    s = member("yotsuya")
    assert s.get("/staff/")[0] == 200
    n = 80
    gate = threading.Barrier(n + 1)
    results = []
    flood = Staff()
    _, _, page = flood.get("/staff/login")
    headers = dict(flood._hdr(), **{"Content-Type": "application/x-www-form-urlencoded"})

    def one(i):
        conn = http.client.HTTPConnection("127.0.0.1", harness.stack().port, timeout=60,
                                          source_address=("127.0.0.%d" % (10 + i % 8), 0))
        body = urllib.parse.urlencode([("csrf", csrf_of(page)), ("login", "flood-%d" % i),
                                       ("password", "not-the-password-x")])
        conn.connect()
        gate.wait()
        try:
            conn.request("POST", "/staff/login", body=body, headers=headers)
            results.append(conn.getresponse().status)
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    gate.wait()
    time.sleep(0.2)     # the logins are queued at staff's socket
    start = time.monotonic()
    st, _, page = s.get("/staff/")
    took = time.monotonic() - start
    for t in threads:
        t.join()
    print("# a logged-in page took %.3f s during %d logins (%d answered 429)" % (took, n, results.count(429)))
    assert st == 200 and "yotsuya" in page
    # without the bound it waited for about n * 0.12 / 2 s of Argon2id
    assert took < 1.5, took
    assert len(results) == n and set(results) <= {200, 429} and 200 in results and 429 in results, results
    assert Staff().login("yotsuya")[0] == 303


def test_disabled_account_cannot_log_in_and_loses_sessions():
    r = formctl("staff", "add", "suzuki", "staff")
    pw = re.search(r"only once\): (\S+)", r.stdout).group(1)
    s = Staff()
    assert s.login("suzuki", pw)[0] == 303
    assert formctl("staff", "disable", "suzuki").returncode == 0
    st, h, _ = s.get("/staff/")
    assert st == 303 and "/staff/login" in h["location"]
    assert Staff().login("suzuki", pw)[0] == 200


def test_no_personal_data_in_logs_or_audit():
    logs = ""
    for f in glob.glob(os.path.join(data(), "log", "*")):
        logs += open(f, encoding="utf-8", errors="replace").read()
    audit = sql("SELECT group_concat(actor || target || detail || addr, ' ') FROM audit")
    for v in (NAME_A, NAME_B, "dummy.e2e@example.jp", "03-9999-0000", HANDLING_NOTE):
        assert v not in logs, v
        assert v not in audit, v
    for pw in logins().values():
        assert pw not in logs and pw not in audit


def test_staff_pages_refused_outside_staff_networks():
    other = harness.Stack(extra_env={"STAFF_NETWORKS": "192.0.2.0/24"})
    try:
        st, _, _ = request("GET", "/staff/login", port=other.port)
        assert st == 403
        st, _, _ = request("GET", "/", port=other.port)
        assert st == 200, "resident pages stay open"
    finally:
        other.stop()


def test_login_rate_limited_by_nginx():
    """LOGIN_RATE (the suites run with a high one): once an address has used its burst, nginx itself
    answers 429 on /staff/login, the right password included, and staff never sees the request."""
    slow = harness.Stack(extra_env={"LOGIN_RATE": "1r/m"})
    try:
        codes = []
        while 429 not in codes and len(codes) < 100:
            codes.append(request("GET", "/staff/login", port=slow.port)[0])
        assert codes[-1] == 429 and set(codes[:-1]) == {200} and len(codes) > 2, codes
        password = [l.split()[2] for l in open(os.path.join(slow.data, "demo-logins.txt"), encoding="utf-8")
                    if l.split()[1] == "yotsuya"][0]
        st, h, _ = request("POST", "/staff/login", body=urllib.parse.urlencode(
            [("login", "yotsuya"), ("password", password)]), port=slow.port)
        assert st == 429 and not h["set-cookie-all"], st
        assert slow.sql("SELECT count(*) FROM audit WHERE action = 'login'") == "0"
        assert request("GET", "/", port=slow.port)[0] == 200, "resident pages are not limited"
    finally:
        slow.stop()
    log = open(os.path.join(slow.data, "log", "nginx-error.log"), encoding="utf-8").read()
    assert 'limiting requests, excess: ' in log and 'by zone "login"' in log and '"POST /staff/login' in log
    shutil.rmtree(slow.tmp, ignore_errors=True)

# ---- applications received on paper, entered by staff (代理入力), on e2e-rules (gomi's section) ----

ENTRY_NAME = "試験ダミー窓口"


def entry_answers(**over):
    a = {"f_name": ENTRY_NAME, "f_address": "東京都新宿区歌舞伎町1-4-1", "f_residency": "live",
         "f_birth": "1950-04-01", "f_birthday": "4/1", "f_loan_date": "2031-01-10",
         "f_return_date": "2031-01-20", "f_people": "3", "f_children": "1"}
    a.update(over)
    return [(k, v) for k, v in a.items() if v is not None]


def entry_confirm(s, answers, channel="post"):
    _, _, page = s.get("/staff/entry/e2e-rules")
    pairs = [("csrf", csrf_of(page)), ("action", "confirm")] + ([("channel", channel)] if channel else [])
    return s.post("/staff/entry/e2e-rules", pairs + answers, csrf=False)


def entry_hidden(page):
    """The hidden fields of the confirmation's form: the header's logout form carries the CSRF token too."""
    form = page[page.index('<form method="post" action="/staff/entry/'):]
    return hidden_pairs(form[:form.index("</form>")])


def entry_send(s, answers, channel="post"):
    st, _, page = entry_confirm(s, answers, channel)
    assert st == 200, (st, page[:800])
    pairs = entry_hidden(page) + [("action", "send")]
    return pairs, s.post("/staff/entry/e2e-rules", pairs, csrf=False)


def test_entry_form_is_the_residents_form_for_the_section_only():
    s = member("gomi")
    st, _, page = s.get("/staff/entry/e2e-rules")
    assert st == 200, st
    _, _, resident = Browser().get("/f/e2e-rules")
    fields = lambda p: re.findall(r'<(?:input|select|textarea)[^>]*name="(f_[a-z_]+)"', p)
    assert fields(page) == fields(resident) and len(set(fields(page))) == 9, fields(page)
    for label in ("受付方法", "郵送", "FAX", "窓口", "返却予定日", "在住・在勤・在学の別"):
        assert label in page, label
    _, _, lst = s.get("/staff/forms/e2e-rules")
    assert 'href="/staff/entry/e2e-rules"' in lst
    for login in ("yotsuya", "demo-auditor", "demo-admin"):
        st, _, body = member(login).get("/staff/entry/e2e-rules")
        assert st == 404 and "ページが見つかりません" in body, (login, st)
    assert "yotsuya|e2e-rules|another section's procedure" in audit_rows("denied")
    assert s.get("/staff/entry/no-such-procedure")[0] == 404
    st, h, _ = Staff().get("/staff/entry/e2e-rules")
    assert st == 303 and "/staff/login" in h["location"]


def test_entry_validation_errors_as_for_residents():
    s = member("gomi")
    before = sql("SELECT count(*) FROM applications")
    st, _, page = entry_confirm(s, entry_answers(f_return_date="2031-01-31", f_address="東京都中野区中野4-8-1",
                                                 f_birthday="2/30", f_name=""), channel=None)
    assert st == 422, st
    text = page_text(page)
    for msg in ("受付方法を選んでください", "氏名を入力してください",
                "返却予定日は借用希望日より後で、借用希望日から14日以内の日付を入力してください",
                "住所は新宿区内の住所を入力してください", "誕生月日を月と日で入力してください"):
        assert text.count(msg) == 2, (msg, text.count(msg))    # beside the field and in the summary
    assert 'href="#channel"' in page and 'id="channel-error"' in page and 'id="f-return_date-error"' in page
    assert 'value="東京都中野区中野4-8-1"' in page             # what was typed is kept
    st, _, page = entry_confirm(s, entry_answers(), channel="web")  # the resident's own channel is not staff's
    assert st == 422 and "受付方法を選んでください" in page
    assert sql("SELECT count(*) FROM applications") == before


def test_entry_stored_sealed_with_printable_receipt():
    s = member("gomi")
    st, _, page = entry_confirm(s, entry_answers())
    assert st == 200 and "郵送" in page and "4月1日" in page and "登録する" in page
    before = sql("SELECT count(*) FROM applications")
    pairs, (st, _, page) = entry_send(s, entry_answers())
    receipt, inquiry = receipt_of(page)
    assert st == 200 and receipt and inquiry and "受付票" in page, (st, page[:800])
    assert len(inquiry.replace("-", "")) == 10
    row = sql("SELECT channel || '|' || status || '|' || section_id || '|' || procedure_id FROM applications"
              " WHERE receipt = '%s'" % receipt)
    assert row == "post|received|gomi-genryo|e2e-rules", row
    doc = harness.opened(harness.stack(), [receipt])[0]
    assert doc["answers"]["name"] == ENTRY_NAME and doc["answers"]["birthday"] == "04-01" and doc["channel"] == "post"
    harness.assert_not_at_rest([ENTRY_NAME], present=[receipt])
    assert audit_rows("entry")[-1] == "gomi|%s|channel=post" % receipt
    # a reload of the send: the same receipt and key, nothing stored twice
    st, _, again = s.post("/staff/entry/e2e-rules", pairs, csrf=False)
    assert st == 200 and receipt_of(again) == (receipt, inquiry)
    assert int(sql("SELECT count(*) FROM applications")) == int(before) + 1
    APPS["entry"] = (receipt, inquiry)


def test_entry_receipt_opens_status_for_the_resident():
    receipt, inquiry = APPS["entry"]
    b = Browser()
    _, _, page = b.get("/status")
    st, _, out = b.post("/status", [("csrf", csrf_of(page)), ("receipt", receipt), ("inquiry", inquiry)])
    assert st == 200 and "テスト用の条件つき申込み" in out and 'id="status-value"' in out, out[:600]
    wrong = ("A" if inquiry[0] != "A" else "B") + inquiry[1:]
    st, _, out = b.post("/status", [("csrf", csrf_of(page)), ("receipt", receipt), ("inquiry", wrong)])
    assert st == 422 and "受付番号または問合せキーが正しくありません" in out


def test_entry_channel_changed_after_confirmation_refused():
    s = member("gomi")
    st, _, page = entry_confirm(s, entry_answers(f_name="試験ダミー改変"), channel="counter")
    assert st == 200 and "窓口" in page
    before = sql("SELECT count(*) FROM applications")
    pairs = [(k, "fax" if k == "channel" else v) for k, v in entry_hidden(page)] + [("action", "send")]
    st, _, out = s.post("/staff/entry/e2e-rules", pairs, csrf=False)
    assert st == 400 and "この確認画面からは登録できません" in out
    # a rule broken on the confirmation page is caught before the token, as for residents
    pairs = [(k, "2031-01-01" if k == "f_loan_date" else v) for k, v in entry_hidden(page)] + [("action", "send")]
    st, _, out = s.post("/staff/entry/e2e-rules", pairs, csrf=False)
    assert st == 422 and 'id="f-return_date-error"' in out
    assert sql("SELECT count(*) FROM applications") == before


def test_entry_channel_on_list_detail_and_csv():
    s = member("gomi")
    receipt = APPS["entry"][0]
    b = Browser()
    st, _, page = b.get("/f/e2e-rules")
    pairs = [("csrf", csrf_of(page)), ("action", "confirm")] + entry_answers(f_name="試験ダミー電子")
    st, _, page = b.post("/f/e2e-rules", pairs)
    st, _, page = b.post("/f/e2e-rules", hidden_pairs(page) + [("action", "send")])
    online = receipt_of(page)[0]
    assert st == 200 and online
    _, _, lst = s.get("/staff/forms/e2e-rules")
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r'<tr><td><a href="/staff/apps/([0-9-]+)">[^<]*</a></td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>', lst)}
    assert rows.get(receipt) == "郵送" and rows.get(online) == "オンライン", rows
    _, _, detail = s.get("/staff/apps/" + receipt)
    assert '<dd id="channel-value">郵送</dd>' in detail and ENTRY_NAME in detail
    st, _, body = s.get("/staff/forms/e2e-rules/export.csv?" + LEDGER_QUERY)
    by = {r["受付番号"]: r for r in csv.DictReader(io.StringIO(body[1:], newline=""))}
    assert by[receipt]["受付方法"] == "郵送" and by[online]["受付方法"] == "オンライン"
    assert by[receipt]["誕生月日"] == "04-01"
    # entered from a Japanese paper form: Japanese, so its later mails are too
    assert by[receipt]["言語"] == "日本語"
    assert sql("SELECT lang FROM applications WHERE receipt = '%s'" % receipt) == "ja"


def list_page(s, query=""):
    st, _, page = s.get("/staff/forms/e2e-rules" + query)
    assert st == 200, (st, query)
    receipts = re.findall(r'<tr><td><a href="/staff/apps/([0-9-]+)">', page)
    links = {html.unescape(m.group(2)): html.unescape(m.group(1)) for m in re.finditer(
        r'<a href="/staff/forms/e2e-rules(\?[^"]*)">([^<]*ページ)</a>', page)}
    where = re.search(r"<span>(\d+)／(\d+)ページ</span>", page)
    return receipts, links, where.groups() if where else None


def test_list_pages_from_where_the_last_ended():
    """More than two pages: 次 / 前 / 最初 / 最後 meet every application once, newest first, and the last
    page holds the remainder."""
    def one(i):
        b = Browser()
        _, _, page = b.get("/f/e2e-rules")
        _, _, page = b.post("/f/e2e-rules", [("csrf", csrf_of(page)), ("action", "confirm")] +
                            entry_answers(f_name="試験ダミー頁%d" % i))
        st, _, page = b.post("/f/e2e-rules", hidden_pairs(page) + [("action", "send")])
        assert st == 200
    threads = [threading.Thread(target=lambda k=k: [one(k * 20 + j) for j in range(20)]) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = int(sql("SELECT count(*) FROM applications WHERE procedure_id = 'e2e-rules'"))
    newest = sql("SELECT receipt FROM applications WHERE procedure_id = 'e2e-rules'"
                 " ORDER BY received_at DESC, receipt DESC").splitlines()
    pages = (total + 49) // 50
    assert total > 100 and len(newest) == total
    s = member("gomi")
    first, links, where = list_page(s)
    assert first == newest[:50] and where == ("1", str(pages)), where
    assert "次のページ" in links and "最後のページ" in links and "前のページ" not in links
    seen, query, n = list(first), links["次のページ"], 1
    while "次のページ" in links:
        rows, links, where = list_page(s, query)
        n += 1
        assert where == (str(n), str(pages)), (where, n)
        seen += rows
        query = links.get("次のページ")
    assert seen == newest, "every application once, in order"
    last, links, where = list_page(s, "?status=&from=&to=&at=last&page=%d" % pages)
    assert last == newest[(pages - 1) * 50:] and where == (str(pages), str(pages))
    back, links, where = list_page(s, links["前のページ"])
    assert back == newest[(pages - 2) * 50:(pages - 1) * 50] and where == (str(pages - 1), str(pages))
    top, _, where = list_page(s, links["最初のページ"]) if "最初のページ" in links else (first, None, ("1",))
    assert top == first and where[0] == "1"
    assert audit_rows("list")[-1].startswith("gomi|e2e-rules|page=%d rows=50" % (pages - 1))
    for bad in ("?at=x1_1234-5678-9012", "?at=o1_12345", "?at=" + "o" + "9" * 19 + "_1234-5678-9012"):
        assert s.get("/staff/forms/e2e-rules" + bad)[0] == 400, bad


def test_participant_ids_on_list_detail_csv_and_paper():
    """eco-action issues participant IDs: staff see them as a column, on the detail page and in the CSV,
    and a registration entered from paper gets one on its printed receipt."""
    b = Browser()
    _, _, page = b.get("/f/eco-action")
    _, _, page = b.post("/f/eco-action", [("csrf", csrf_of(page)), ("action", "confirm"), ("f_nickname", "ダミーエコ"),
                                          ("f_postal", "1608484"), ("f_birthday", "2月29日")])
    st, _, page = b.post("/f/eco-action", hidden_pairs(page) + [("action", "send")])
    receipt = receipt_of(page)[0]
    pid = re.search(r'id="participant">([A-Z0-9-]+)<', page).group(1)
    s = member("gomi")
    _, _, lst = s.get("/staff/forms/eco-action")
    assert "<th scope=\"col\">参加者ID</th>" in lst and "<td>%s</td>" % pid in lst
    _, _, detail = s.get("/staff/apps/" + receipt)
    assert '<dd id="participant-value">%s</dd>' % pid in detail
    _, _, body = s.get("/staff/forms/eco-action/export.csv?" + LEDGER_QUERY)
    rows = list(csv.DictReader(io.StringIO(body[1:], newline="")))
    assert list(rows[0].keys())[:7] == ["受付番号", "受付日時", "状態", "受付方法", "言語", "参加者ID", "ニックネーム"]
    row = [r for r in rows if r["受付番号"] == receipt][0]
    assert row["参加者ID"] == pid and row["誕生月日"] == "02-29" and row["ニックネーム"] == "ダミーエコ"
    # found by its ID as staff type it: full-width, lower case, spaces for hyphens
    typed = pid.lower().replace("-", " ").translate({i: i + 0xFEE0 for i in range(0x21, 0x7F)})
    st, h, _ = s.get("/staff/forms/eco-action?pid=" + urllib.parse.quote(typed))
    assert st == 303 and h["location"] == "/staff/apps/" + receipt, (st, h.get("location"))
    wrong = pid[:-1] + str((int(pid[-1]) + 1) % 10)
    st, _, page = s.get("/staff/forms/eco-action?pid=" + wrong)
    assert st == 400 and "参加者IDが正しくありません" in page and 'id="pid-error"' in page
    st, _, page = s.get("/staff/forms/eco-action?pid=ECO-0000-0000-0000")     # valid, never issued here
    assert st == 404 and "その参加者IDの登録はありません" in page
    _, _, page = s.get("/staff/entry/eco-action")
    st, _, page = s.post("/staff/entry/eco-action", [("csrf", csrf_of(page)), ("action", "confirm"),
                                                     ("channel", "counter"), ("f_nickname", "ダミー窓口エコ"),
                                                     ("f_postal", "1608484"), ("f_birthday", "12/31")], csrf=False)
    assert st == 200, page[:600]
    st, _, slip = s.post("/staff/entry/eco-action", entry_hidden(page) + [("action", "send")], csrf=False)
    paper = re.search(r'id="participant">([A-Z0-9-]+)<', slip).group(1)
    assert st == 200 and paper != pid and paper.startswith("ECO-")
    assert sql("SELECT channel || '|' || participant_id FROM applications WHERE receipt = '%s'"
               % receipt_of(slip)[0]) == "counter|" + paper


def test_auditor_page_report_and_verify():
    s = member("demo-auditor")
    st, _, page = s.get("/staff/audit")
    assert st == 200 and "改ざんの検査：異常なし" in page and "CSV出力" in page
    st, _, page = s.get("/staff/audit?action=export")
    assert st == 200 and "sha256=" in page and "<td>ログイン失敗</td>" not in page
    assert page.count("<td>CSV出力</td>") == len(audit_rows("export"))
    r = formctl("audit", "verify")
    assert r.returncode == 0 and "audit log intact" in r.stdout, r.stdout + r.stderr
    r = formctl("audit", "report", "--from", "2020-01-01", "--to", "2099-12-31")
    assert r.returncode == 0
    line = [l for l in r.stdout.splitlines() if l.startswith("yotsuya ")][0].split()
    assert int(line[1]) >= 5 and int(line[2]) >= 1 and int(line[6]) >= 3, line


def test_tampered_audit_log_detected():
    db = harness.stack().db()
    # An attacker with the database file but not the audit key: drop the guard, edit one entry.
    subprocess.run(["sqlite3", db, "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'rows=0' "
                    "WHERE action = 'export' AND seq = (SELECT min(seq) FROM audit WHERE action = 'export')"],
                   check=True)
    r = formctl("audit", "verify")
    assert r.returncode == 1 and "BROKEN" in r.stdout and "changed" in r.stdout, r.stdout
    s = member("demo-auditor")
    st, _, page = s.get("/staff/audit")
    assert "異常あり" in page
    # removing an entry is found too
    subprocess.run(["sqlite3", db, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 3"], check=True)
    r = formctl("audit", "verify")
    assert r.returncode == 1 and "BROKEN" in r.stdout


if __name__ == "__main__":
    # All of 127/8 reaches nginx on the loopback: other addresses are other clients.
    sys.exit(harness.main(globals(), prefix="e2e-staff", env={"STAFF_NETWORKS": "127.0.0.0/8 ::1"}))
