#!/usr/bin/python3
"""Shared harness of the end-to-end tests: starts scripts/run.sh on a free
port with a fresh DATA_DIR and a copy of forms/ plus the e2e fixtures, talks
HTTP like a browser without JavaScript, and runs test_* functions as TAP.
Dummy data only."""
import base64
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


# What the stack's logs must never hold: a sanitizer report (UBSan writes to the program's stderr,
# which is its log; ASan to its log_path or stderr), a FastCGI child that died and was started
# again (lib/prefork.c logs it: the resident only saw a 502, or nothing), an nginx worker that
# crashed.  Deaths of processes a test killed on purpose are excused by their pid.
LOG_PROBLEM = re.compile(r"runtime error:|ERROR: (?:Address|Leak|UndefinedBehavior)Sanitizer|Sanitizer:DEADLYSIGNAL|"
                         r"(?:worker|helper) (\d+) ended \(status -?\d+\)|exited on signal")


class Stack:
    all = []    # every stack started in this process, for the log check at the end

    def __init__(self, extra_env=None, own_session=True, data=None):
        # own_session=False (make bench): a process group of its own, for crash() and stop(), but in the
        # caller's session, so that the kernel schedules the stack in the caller's autogroup.
        # data: an existing data directory (a restored backup) instead of a new demo one.
        self.own_session = own_session
        self.killed = set()     # pids killed on purpose (expect_death)
        self.problems = []      # LOG_PROBLEM lines of the logs, as of the last stop()
        Stack.all.append(self)
        self.tmp = tempfile.mkdtemp(prefix="shinjuku-e2e-")
        self.data = data or os.path.join(self.tmp, "data")
        self.forms = os.path.join(self.tmp, "forms")
        os.makedirs(self.forms)
        for f in glob.glob(os.path.join(ROOT, "forms", "*.yaml")) + \
                glob.glob(os.path.join(ROOT, "tests", "e2e", "forms", "*.yaml")):
            shutil.copy(f, self.forms)
        self.port = free_port()
        # LOGIN_RATE: nginx's limit on /staff/login, high for the suites' many logins (extra_env may lower it)
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
        self.problems = self.log_problems()

    def expect_death(self, pid):
        """A test is about to kill pid: its death in the logs is not a problem."""
        self.killed.add(pid)

    def log_problems(self):
        """The lines of the programs' logs (DATA_DIR/log/) that say something went wrong, with their file."""
        found = []
        for path in sorted(glob.glob(os.path.join(self.data, "log", "*"))):
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = LOG_PROBLEM.search(line)
                    if m and not (m.group(1) and int(m.group(1)) in self.killed):
                        found.append("%s: %s" % (os.path.basename(path), line.strip()[:300]))
        return found

    def pids(self, program):
        """The pids of a program of this stack (apply, staff, mailer: master and children alike)."""
        out = subprocess.run(["pgrep", "-f", "%s/%s --data %s( |$)" % (BUILD, program, self.data)],
                             capture_output=True, text=True).stdout.split()
        return [int(p) for p in out]

    def nginx_pids(self):
        """nginx's master of this stack (named by the run directory in its command line), then its workers."""
        pgrep = lambda *a: [int(p) for p in subprocess.run(["pgrep"] + list(a), capture_output=True,
                                                           text=True).stdout.split()]
        masters = pgrep("-f", "^nginx: master process .*-c %s/nginx.conf" % self.run_dir())
        return masters + [w for m in masters for w in pgrep("-P", str(m))]

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
        """The result of query on the stack's database.  An error (no such table, a locked database) fails
        the case: read as an empty result, it would let a negative check pass whatever the data."""
        out = subprocess.run(["sqlite3", "-cmd", ".timeout 10000", self.db(), query],
                             capture_output=True, text=True)
        if out.returncode != 0 or out.stderr.strip():
            raise AssertionError("sqlite3 failed (exit %d) on %r: %s" % (out.returncode, query[:200],
                                                                         out.stderr.strip()[:400]))
        return out.stdout.strip()

    def wal_syncs_during(self, program, action):
        """How many times the processes of program (apply, staff, mailer) flushed the database's write-ahead
        log to disk (fsync or fdatasync, seen with strace) while action() ran.  With synchronous=FULL every
        commit does; with NORMAL only a checkpoint does, so a count below the commits made fails."""
        pids = self.pids(program)
        assert pids, "no %s process" % program
        trace = os.path.join(self.tmp, "strace.out")
        args = ["strace", "-qq", "-e", "trace=fsync,fdatasync", "-y", "-o", trace]
        st = subprocess.Popen(args + [a for p in pids for a in ("-p", str(p))], stderr=subprocess.PIPE, text=True)
        try:
            # strace is attached once every process has been stopped and let go; tracing starts there
            deadline = time.time() + 20
            while time.time() < deadline and not attached(pids):
                time.sleep(0.05)
            assert attached(pids), "strace did not attach to %s" % program
            action()
        finally:
            st.send_signal(signal.SIGINT)
            _, err = st.communicate(timeout=30)
        assert st.returncode in (0, -signal.SIGINT), err[-500:]   # strace detaches, then dies of the signal
        with open(trace) as f:
            return sum(1 for line in f if re.search(r"\b(fsync|fdatasync)\(\d+<[^>]*/platform\.sqlite-wal>\) = 0", line))

    def at_rest(self):
        """The database as stored, byte for byte: the main file and its write-ahead log, which holds every
        recent commit until a checkpoint copies it over.  Raw bytes, not sqlite3's .dump (which prints a
        BLOB as hex, where no text shows).  Both files must exist while the stack runs: a check that read
        nothing would pass whatever was stored."""
        files = {}
        for path in (self.db(), self.db() + "-wal"):
            with open(path, "rb") as f:
                files[path] = f.read()
            assert files[path], "empty " + path
        return files


STACK = None


def attached(pids):
    """Whether a tracer (strace) is attached to every process of pids (TracerPid in /proc)."""
    def tracer(pid):
        try:
            with open("/proc/%d/status" % pid) as f:
                return int(re.search(r"^TracerPid:\s*(\d+)", f.read(), re.M).group(1))
        except OSError:
            return 1    # gone: nothing to wait for
    return all(tracer(p) != 0 for p in pids)


class Skip(Exception):
    """Raised by a case that cannot run here: reported as "ok N - name # SKIP why", counted apart."""


def b64url_decode(text):
    """The bytes of unpadded base64url text (a session cookie), as RFC 4648 section 5 reads it."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def assert_not_at_rest(needles, present, stack=None):
    """None of needles (str or bytes) in the database file or its WAL, and every one of present (values
    stored in clear, e.g. a receipt number) found there: proof that the scan read the live data."""
    files = (stack or STACK).at_rest()
    raw = lambda v: v.encode() if isinstance(v, str) else v
    for path, data in files.items():
        for n in needles:
            assert raw(n) not in data, ("in clear", n, path)
    for p in present:
        assert any(raw(p) in data for data in files.values()), ("the scan did not find", p)


def stack():
    return STACK


def request(method, path, body=None, headers=None, port=None, source=None):
    """source: the client's address, another loopback one (127.0.0.2, ...) to be another client for nginx."""
    conn = http.client.HTTPConnection("127.0.0.1", port or STACK.port, timeout=30,
                                      source_address=(source, 0) if source else None)
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


def of_receipts(*receipts):
    """The SQL condition on a table keyed by applications.id (outbox, envelopes, app_places) for the rows of
    receipts."""
    return "app_id IN (SELECT id FROM applications WHERE receipt IN (%s))" % ", ".join("'%s'" % r for r in receipts)


def mails_sql(receipt, kind="arrival"):
    """SQL counting receipt's mails of kind, queued or already sent: the stack's mailer polls and may have
    delivered one (and deleted its outbox row) before a case looks."""
    return ("SELECT (SELECT count(*) FROM outbox WHERE %s AND kind = '%s') +"
            " (SELECT count(*) FROM mail_log WHERE receipt = '%s' AND kind = '%s')"
            % (of_receipts(receipt), kind, receipt, kind))


def opened(stack, receipts, envelopes=False):
    """The sealed contents, opened with the section's key (from the recovery key file), or with envelopes
    their contact envelopes, opened with the mailer's key; None where not."""
    key = os.path.join(stack.data, "keys", "mailer.sk") if envelopes else \
        os.path.join(stack.data, "demo-recovery-keys.txt")
    out = subprocess.run([os.path.join(BUILD, "tests", "open_app")] + (["--envelope"] if envelopes else []) +
                         [stack.db(), key, "-"],
                         input="".join(r + "\n" for r in receipts), capture_output=True, text=True)
    lines = out.stdout.splitlines()
    assert len(lines) == len(receipts), (len(lines), len(receipts))
    return [None if l == "-" else json.loads(l) for l in lines]


class Browser:
    """Keeps its cookies (the CSRF cookie, the language) and the last form's hidden fields, like a browser."""

    def __init__(self, port=None, source=None, accept_language=None):
        self.jar = {}
        self.port = port  # None: the running stack's
        self.source = source  # None: 127.0.0.1
        self.accept_language = accept_language

    @property
    def cookie(self):
        """The Cookie header it sends, None without cookies."""
        return "; ".join("%s=%s" % kv for kv in self.jar.items()) or None

    def _hdr(self):
        h = {"Cookie": self.cookie} if self.cookie else {}
        if self.accept_language:
            h["Accept-Language"] = self.accept_language
        return h

    def _keep_cookie(self, hdrs):
        for c in hdrs["set-cookie-all"]:
            name, _, value = c.split(";")[0].partition("=")
            self.jar[name.strip()] = value

    def get(self, path):
        st, h, body = request("GET", path, headers=self._hdr(), port=self.port, source=self.source)
        self._keep_cookie(h)
        return st, h, body

    def post(self, path, pairs, raw=None):
        body = raw if raw is not None else urllib.parse.urlencode(pairs)
        st, h, out = request("POST", path, body=body, headers=self._hdr(), port=self.port, source=self.source)
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


def logs_case(n, prefix):
    """TAP case n: the logs of every stack this process started (and stopped) hold no problem
    (LOG_PROBLEM).  Returns 1 when it failed."""
    problems = [p for s in Stack.all for p in (s.log_problems() if os.path.isdir(s.data) else s.problems)]
    print("%s %d - %s programs' logs: no sanitizer report, no unexpected death" % (
        "not ok" if problems else "ok", n, prefix))
    for p in problems[:20]:
        print("#   " + p)
    return 1 if problems else 0


def main(cases, prefix="e2e", env=None):
    """Run every test_* function of the calling module's globals (cases) against one stack, then check
    the logs of every stack started (logs_case).  E2E_ONLY=regex runs only the cases whose name it
    matches (re.search)."""
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
            except Skip as e:
                print("ok %d - %s %s # SKIP %s" % (i, prefix, name, e))
            except Exception as e:  # a failing case must not stop the others
                failed += 1
                print("not ok %d - %s %s" % (i, prefix, name))
                where = traceback.extract_tb(e.__traceback__)[-1]
                print("#   %s: %s (%s:%d: %s)" % (type(e).__name__, str(e)[:800], os.path.basename(where.filename),
                                                where.lineno, where.line))
            sys.stdout.flush()
    finally:
        STACK.stop()
    failed += logs_case(len(tests) + 1, prefix)
    print("1..%d" % (len(tests) + 1))
    if failed == 0:
        shutil.rmtree(STACK.tmp, ignore_errors=True)
    else:
        print("# left for inspection: " + STACK.tmp)
    return 1 if failed else 0

