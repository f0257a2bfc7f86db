#!/usr/bin/python3
"""Shared harness of the end-to-end tests: starts scripts/run.sh on a free
port with a fresh DATA_DIR and a copy of forms/ plus the e2e fixtures, talks
HTTP like a browser without JavaScript, and runs test_* functions as TAP.
Dummy data only."""
import glob
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))

# Dummy values that must never appear in clear in the database, WAL or logs.
DUMMY_NAME = "試験山花子ダミー"
DUMMY_KANA = "シケンヤマ ハナコ"
DUMMY_TEL = "03-9999-8765"
DUMMY_EMAIL = "dummy.resident.e2e@example.jp"
DUMMY_NOTE = "ダミーのご意見テキスト"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Stack:
    def __init__(self, extra_env=None, own_session=True):
        # own_session=False (make bench): a process group of its own, for crash() and stop(), but in the
        # caller's session, so that the kernel schedules the stack in the caller's autogroup.
        self.own_session = own_session
        self.tmp = tempfile.mkdtemp(prefix="shinjuku-e2e-")
        self.data = os.path.join(self.tmp, "data")
        self.forms = os.path.join(self.tmp, "forms")
        os.makedirs(self.forms)
        for f in glob.glob(os.path.join(ROOT, "forms", "*.yaml")) + \
                glob.glob(os.path.join(ROOT, "tests", "e2e", "forms", "*.yaml")):
            shutil.copy(f, self.forms)
        self.port = free_port()
        self.env = dict(os.environ, DATA_DIR=self.data, PORT=str(self.port),
                        FORMS_DIR=self.forms, BUILD=BUILD, LOGIN_RATE="6000r/m",
                        # the suites send many applications from one address; test_limits.py sets its own
                        SEND_LIMIT="1000000000", ARRIVAL_MAIL_LIMIT="1000000000", SUBMIT_RATE="1000000r/s")
        self.env.update(extra_env or {})
        self.log = open(os.path.join(self.tmp, "run.log"), "w")
        self.start()

    def start(self):
        """Start (or start again, on the same data) make run's script, in its own process group."""
        self.proc = subprocess.Popen(["sh", os.path.join(ROOT, "scripts", "run.sh")],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=self.own_session,
                                     process_group=None if self.own_session else 0)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if request("GET", "/", port=self.port)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("stack did not start: " + open(self.log.name).read())

    def crash(self):
        """SIGKILL every process of the stack at once: nginx, apply, staff, mailer, the script."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=20)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.crash()

    def run_dirs(self):
        """The run directories scripts/run.sh made for this stack (one per start): each holds the
        generated nginx.conf, which names this stack's data directory, and the FastCGI sockets."""
        found = []
        for d in glob.glob("/tmp/shinjuku-run.*"):
            conf = os.path.join(d, "nginx.conf")
            if os.path.exists(conf) and self.data in open(conf).read():
                found.append(d)
        return found

    def run_dir(self):
        """The run directory of the stack's latest start."""
        dirs = self.run_dirs()
        if not dirs:
            raise RuntimeError("run directory not found")
        return max(dirs, key=lambda d: os.path.getmtime(os.path.join(d, "nginx.conf")))

    def db(self):
        return os.path.join(self.data, "db", "platform.sqlite")

    def sql(self, query):
        out = subprocess.run(["sqlite3", self.db(), query], capture_output=True, text=True)
        return out.stdout.strip()


STACK = None


def stack():
    return STACK


def request(method, path, body=None, headers=None, port=None):
    conn = http.client.HTTPConnection("127.0.0.1", port or STACK.port, timeout=30)
    h = dict(headers or {})
    if body is not None and "Content-Type" not in h:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read().decode("utf-8", "replace")
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    hdrs["set-cookie-all"] = r.msg.get_all("Set-Cookie") or []
    conn.close()
    return r.status, hdrs, data


def opened(stack, receipts):
    """The sealed contents, opened with the section's key (from the recovery key file); None where not."""
    out = subprocess.run([os.path.join(BUILD, "tests", "open_app"), stack.db(),
                          os.path.join(stack.data, "demo-recovery-keys.txt"), "-"],
                         input="".join(r + "\n" for r in receipts), capture_output=True, text=True)
    lines = out.stdout.splitlines()
    assert len(lines) == len(receipts), (len(lines), len(receipts))
    return [None if l == "-" else json.loads(l) for l in lines]


class Browser:
    """Keeps the CSRF cookie and the last form's hidden fields, like a browser."""

    def __init__(self, port=None):
        self.cookie = None
        self.port = port  # None: the running stack's

    def _hdr(self):
        return {"Cookie": self.cookie} if self.cookie else {}

    def _keep_cookie(self, hdrs):
        for c in hdrs["set-cookie-all"]:
            self.cookie = c.split(";")[0]

    def get(self, path):
        st, h, body = request("GET", path, headers=self._hdr(), port=self.port)
        self._keep_cookie(h)
        return st, h, body

    def post(self, path, pairs, raw=None):
        body = raw if raw is not None else urllib.parse.urlencode(pairs)
        st, h, out = request("POST", path, body=body, headers=self._hdr(), port=self.port)
        self._keep_cookie(h)
        return st, h, out


def csrf_of(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    return m.group(1) if m else ""


def hidden_pairs(page):
    return [(html.unescape(n), html.unescape(v)) for n, v in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)]


def valid_answers(**over):
    a = {"f_name": DUMMY_NAME, "f_kana": DUMMY_KANA, "f_postal": "１６０８４８４",
         "f_tel": DUMMY_TEL, "f_email": DUMMY_EMAIL, "f_birth": "昭和35年4月1日",
         "f_people": "２", "f_course": "a", "f_age_band": "60s", "f_note": DUMMY_NOTE}
    a.update(over)
    return [(k, v) for k, v in a.items() if v is not None] + [("f_topics", "food"), ("f_topics", "sleep")]


def confirm(b, answers, proc="e2e-open"):
    st, _, page = b.get("/f/" + proc)
    assert st == 200, st
    return b.post("/f/" + proc, [("csrf", csrf_of(page)), ("action", "confirm")] + answers)


def submit(b, answers=None, proc="e2e-open"):
    st, _, page = confirm(b, answers or valid_answers(), proc)
    assert st == 200, (st, page[:500])
    pairs = [p for p in hidden_pairs(page)] + [("action", "send")]
    return pairs, b.post("/f/" + proc, pairs)


def receipt_of(page):
    m = re.search(r'id="receipt">([0-9-]+)<', page)
    k = re.search(r'id="inquiry">([A-Z0-9-]+)<', page)
    return (m.group(1) if m else None, k.group(1) if k else None)


def main(cases, prefix="e2e", env=None):
    """Run every test_* function of the calling module's globals (cases) against one stack.
    E2E_ONLY=regex runs only the cases whose name it matches (re.search)."""
    global STACK
    only = re.compile(os.environ.get("E2E_ONLY", ""))
    tests = [(n, f) for n, f in cases.items() if n.startswith("test_") and callable(f) and only.search(n)]
    STACK = Stack(extra_env=env)
    failed = 0
    try:
        for i, (name, fn) in enumerate(tests, 1):
            try:
                fn()
                print("ok %d - %s %s" % (i, prefix, name))
            except Exception as e:  # a failing case must not stop the others
                failed += 1
                print("not ok %d - %s %s" % (i, prefix, name))
                where = traceback.extract_tb(e.__traceback__)[-1]
                print("#   %s: %s (%s:%d: %s)" % (type(e).__name__, str(e)[:800], os.path.basename(where.filename),
                                                where.lineno, where.line))
            sys.stdout.flush()
    finally:
        STACK.stop()
    print("1..%d" % len(tests))
    if failed == 0:
        shutil.rmtree(STACK.tmp, ignore_errors=True)
    else:
        print("# left for inspection: " + STACK.tmp)
    return 1 if failed else 0

