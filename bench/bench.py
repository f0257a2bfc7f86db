#!/usr/bin/python3
"""make bench: throughput ratios measured in one run on this machine, through
the project's real nginx configuration (the generated one, plus a location for
the bare FastCGI hello-world and one for the same program padded to the form
page's size).  Prints figures and ratios; never fails on an absolute time.
Dummy data only.
Usage: bench.py BUILD_DIR
Environment: BENCH_SECONDS (per wrk run, default 5); BENCH_ONLY=get,durable,rush,export,list,cost
(any of them; default all but cost); BENCH_COST_SUBMITS (sends per cost run, default 4000); BENCH_PERF=DIR
(cost: perf record -g of apply's processes during each run, into DIR); BENCH_LIST_LOADS (page loads per staff list figure, default 200); BENCH_ROUNDS=N runs the four GET figures N times (every
other round in reverse order), the 8-connection durable run and the 100,000-row export
N times, and reports the medians (default 3: on a shared machine one run can land in a
neighbour's burst);
BENCH_SESSIONS=own|one (default own: nginx, the stack, each hello-world and each wrk in a session of
its own, as a service manager starts services and as clients come from elsewhere; one: every program
of the run in this script's session, so the kernel's autogroups do not split the CPU between them);
WORKERS (default 32, as make run).
"""
import concurrent.futures
import contextlib
import glob
import grp
import http.client
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
from harness import Browser, csrf_of, hidden_pairs, valid_answers  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
SECS = int(os.environ.get("BENCH_SECONDS", "5"))
# apply's workers as `make run` starts them (scripts/run.sh); the hello-world gets as many.
WORKERS = os.environ.get("WORKERS", "32")
# BENCH_ONLY=get,durable,rush,export,list,cost (any of them) runs only those parts; the default is all but
# cost, which measures no ratio but where the CPU of a durable submit goes.
PARTS = os.environ.get("BENCH_ONLY", "get,durable,rush,export,list").split(",")
# How many times each staff list page is loaded for its percentiles.
LIST_LOADS = int(os.environ.get("BENCH_LIST_LOADS", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# wrk's threads; lua_for() deals the send bodies among as many.
WRK_THREADS = 2
# With autogroups on (/proc/sys/kernel/sched_autogroup_enabled), the kernel shares the CPU fairly between
# sessions before it shares it between processes, so the programs compared must be placed alike: a program
# alone in its session gets a different share than one sharing it with nginx and wrk.  Every program
# measured gets the same treatment, whichever layout is chosen; own is the default because it is how the
# services run in production (bench/README.md, Sessions).
SESSIONS = os.environ.get("BENCH_SESSIONS", "own")
if SESSIONS not in ("one", "own"):
    sys.exit("BENCH_SESSIONS must be one or own, not %r" % SESSIONS)
OWN_SESSIONS = SESSIONS == "own"
RESULTS = []


def say(line):
    print(line)
    sys.stdout.flush()
    RESULTS.append(line)


def wrk_output(url, conns, script=None, secs=SECS):
    cmd = ["wrk", "-t%d" % WRK_THREADS, "-c%d" % conns, "-d%ds" % secs, "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    return subprocess.run(cmd, capture_output=True, text=True, start_new_session=OWN_SESSIONS).stdout


def wrk(url, conns, script=None, secs=SECS):
    out = wrk_output(url, conns, script, secs)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(m.group(1)) if m else 0.0, int(errors.group(1)) if errors else 0


def autogroups():
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            return "on" if f.read().strip() == "1" else "off"
    except OSError:
        return "unknown"


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def wrk_rounds(urls, conns):
    """Each URL ROUNDS times, every other round in reverse order (a drift of the host's speed during the
    rounds then weighs on every URL alike): per URL, its rate in each round and the seconds the host stole
    during that run, and its non-2xx count over all rounds."""
    runs = {u: [] for u in urls}
    errors = dict.fromkeys(urls, 0)
    for n in range(ROUNDS):
        for u in (urls if n % 2 == 0 else urls[::-1]):
            stolen = cpu_times()[1]
            rate, errs = wrk(u, conns)
            runs[u].append((rate, cpu_times()[1] - stolen))
            errors[u] += errs
    return runs, errors


# The hello-world programs: name (upstream, socket and /bench/ path), and --pad (0: the bare page).
HELLOS = (("hello", 0), ("hello-sized", None))


def socket_group(rd):
    """--socket-group for the hello-worlds: apply's, so that nginx's workers reach them as they reach apply."""
    st = os.stat(os.path.join(rd, "apply.sock"))
    return ["--socket-group", grp.getgrgid(st.st_gid).gr_name] if st.st_mode & 0o060 else []


def bench_nginx(stack, rd, port):
    """The stack's own nginx.conf on another port, with one extra location per hello program."""
    conf = open(os.path.join(rd, "nginx.conf")).read()
    conf = conf.replace("listen 127.0.0.1:%d;" % stack.port, "listen 127.0.0.1:%d;" % port)
    conf = conf.replace("pid %s/nginx.pid;" % rd, "pid %s/bench-nginx.pid;" % rd)
    conf = conf.replace(os.path.join(stack.data, "log", "access.log"), os.path.join(rd, "bench-access.log"))
    # when each request ended, to the millisecond, for the opening rush's rate (bench_rush)
    conf = conf.replace("[$time_iso8601]", "[$time_iso8601 $msec]")
    # A hello-world's upstream is a copy of apply's: the same kept connections.
    upstream = re.search(r"\tupstream apply \{.*?\n\t\}\n", conf, re.S).group(0)
    keep = re.search(r"fastcgi_keep_conn \w+;", conf).group(0)
    for name, _ in HELLOS:
        conf = conf.replace(upstream, upstream.replace("upstream apply", "upstream " + name)
                            .replace("/apply.sock", "/%s.sock" % name) + "\n" + upstream, 1)
        conf = conf.replace("\t\tlocation / {", "\t\tlocation = /bench/%s {\n\t\t\tinclude %s/fastcgi.conf;\n"
                            "\t\t\t%s\n\t\t\tfastcgi_pass %s;\n\t\t}\n\n\t\tlocation / {" % (name, rd, keep, name), 1)
    path = os.path.join(rd, "bench-nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return subprocess.Popen(["nginx", "-p", rd, "-c", path, "-e", os.path.join(rd, "bench-error.log")],
                            start_new_session=OWN_SESSIONS)


def prepare_sends(n, proc):
    """n distinct confirmation pages' send bodies (each a fresh nonce) for procedure proc, all under one
    CSRF cookie.  Made through the real confirm step, by 8 clients at once."""
    b = Browser()
    _, _, page = b.get("/f/" + proc)
    csrf = csrf_of(page)

    def one(_):
        c = Browser()
        c.jar = dict(b.jar)
        st, _, page = c.post("/f/" + proc, [("csrf", csrf), ("action", "confirm")] + valid_answers())
        if st != 200:
            raise RuntimeError("confirm failed: %d" % st)
        return urllib.parse.urlencode(hidden_pairs(page) + [("action", "send")])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n))), b.cookie


def lua_for(bodies_file, cookie, proc):
    """wrk's script: each thread sends its share of the bodies in turn.  The requests are formatted once,
    in init(), before wrk's clock starts: the load generator shares the two cores with the measured stack
    (wrk's CPU per submit, incl. init, 58-64 us when request() formatted each one, 53-57 us so)."""
    path = bodies_file + ".lua"
    with open(path, "w") as f:
        f.write('''
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  reqs = {}
  local n = 0
  for body in io.lines("%s") do
    if n %% %d == id then
      reqs[#reqs + 1] = wrk.format("POST", "/f/%s", {["Content-Type"] = "application/x-www-form-urlencoded",
        ["Cookie"] = "%s"}, body)
    end
    n = n + 1
  end
  i = 0
end
function request()
  i = i %% #reqs + 1
  return reqs[i]
end
''' % (bodies_file, WRK_THREADS, proc, cookie))
    return path


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0


def cpu_times():
    """The machine's busy and stolen CPU time so far, in seconds (/proc/stat: user nice system ... steal)."""
    v = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / hz, v[7] / hz


def durable(stack, rd, port, conns, n, proc):
    bodies, cookie = prepare_sends(n, proc)
    bf = os.path.join(rd, "bodies-%s-%d.txt" % (proc, conns))
    with open(bf, "w") as f:
        f.write("\n".join(bodies) + "\n")
    log = os.path.join(rd, "bench-access.log")
    start_lines = sum(1 for _ in open(log)) if os.path.exists(log) else 0
    before = int(stack.sql("SELECT count(*) FROM applications"))
    # wrk's own clock starts once its Lua scripts have read the bodies (a quarter of a second)
    cpu0 = cpu_times()
    out = wrk_output("http://127.0.0.1:%d/f/%s" % (port, proc), conns, lua_for(bf, cookie, proc))
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    secs = float(m.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(3)]
    cpu1 = cpu_times()
    time.sleep(1.5)  # nginx writes its access log at least every second (buffer=32k flush=1s)
    stored = int(stack.sql("SELECT count(*) FROM applications")) - before
    times = []
    for line in open(log).readlines()[start_lines:]:
        if '"POST /f/%s" 200' % proc in line:
            times.append(float(line.split()[-1]))
    wrapped = stored < len(times) * 0.99
    # receipts shown (a 200 carries one only after its commit), each of them stored unless bodies ran out
    acknowledged = min(int(m.group(1)), len(times), stored)
    # busy CPU of the whole machine (wrk, nginx, apply, its writer, the kernel) per stored application
    cpu = (cpu1[0] - cpu0[0]) / max(stored, 1)
    return (acknowledged / secs, percentile(times, 0.5), percentile(times, 0.99), wrapped,
            cpu, cpu1[1] - cpu0[1])


def export_run(stack, rows):
    key = [l.split()[2] for l in open(os.path.join(stack.data, "demo-recovery-keys.txt")) if l.startswith("yotsuya-hc")][0]
    cmd = ["/usr/bin/time", "-f", "TIME %e %M", os.path.join(BUILD, "formctl"), "--data", stack.data,
           "--forms", stack.forms, "export", "bench-export", "--recovery", "--out", "-",
           "--purpose", "bench", "--recipient", "bench"]
    p = subprocess.run(cmd, input=key + "\n", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"TIME ([\d.]+) (\d+)", p.stderr)
    written = re.search(r"(\d+) rows written", p.stderr)
    assert m and written and int(written.group(1)) == rows, p.stderr
    secs, rss = float(m.group(1)), int(m.group(2))
    return rows / max(secs, 0.001), rss


def add_procedure(stack, new_id, extra=""):
    """A copy of e2e-open under another id, with extra lines (e.g. mail texts) before its fields;
    apply is told to reload its forms."""
    with open(os.path.join(stack.forms, "e2e-open.yaml")) as f:
        src = f.read().replace("id: e2e-open", "id: " + new_id).replace("\nfields:\n", "\n" + extra + "fields:\n", 1)
    with open(os.path.join(stack.forms, new_id + ".yaml"), "w") as f:
        f.write(src)
    subprocess.run([os.path.join(BUILD, "formctl"), "--data", stack.data, "--forms", stack.forms, "reload"],
                   check=True, stdout=subprocess.DEVNULL)


def mail_texts(stack):
    """The mail: block of the e2e-mail test procedure."""
    with open(os.path.join(stack.forms, "e2e-mail.yaml")) as f:
        src = f.read()
    return re.search(r"^mail:\n(?:[ \t].*\n|\n)*", src, re.M).group(0)


def fill(stack, n):
    """n more sealed applications for the export.  fill commits without waiting for the disk, so the
    kernel writes its pages out afterwards; sync() first, or that would share the cores with the export."""
    subprocess.run([os.path.join(BUILD, "bench", "fill"), stack.data, "bench-export", "yotsuya-hc", str(n)],
                   check=True)
    os.sync()


def bench_get(base, form_bytes):
    """The ratios are medians of each round's ratio: the form page and the hello-world run next to each
    other in every round, so a round compares them under the same host."""
    urls = [base + "/static/bench5k.html", base + "/bench/hello-sized", base + "/bench/hello", base + "/f/e2e-open"]
    runs, errors = wrk_rounds(urls, 32)
    static, sized, hello, form = ([rate for rate, _ in runs[u]] for u in urls)
    per_round = [f / h for f, h in zip(form, hello)]
    say("static 5 KB file (nginx alone):      %9.0f req/s" % median(static))
    say("bare FastCGI hello-world:            %9.0f req/s   %.2fx the static file" %
        (median(hello), median([h / s for h, s in zip(hello, static)])))
    say("resident form page GET (apply):      %9.0f req/s   %.2fx the hello-world (target >= 0.8)%s" %
        (median(form), median(per_round), "  [%d non-2xx]" % errors[urls[3]] if errors[urls[3]] else ""))
    if ROUNDS > 1:
        say("  (each round: %s; seconds stolen by the host during its form and hello-world runs: %s)" %
            (", ".join("%.2fx" % r for r in per_round),
             ", ".join("%.1f" % (f[1] + h[1]) for f, h in zip(runs[urls[3]], runs[urls[2]]))))
    say("  (hello-world padded to the form page's %d bytes: %.0f req/s; the form page is %.2fx it: what is left "
        "is apply's own work)" % (form_bytes, median(sized), median([f / z for f, z in zip(form, sized)])))


def form_page_bytes(port):
    """The length of the form page's body, as the benchmark's GET receives it."""
    st, hdrs, _ = harness.request("GET", "/f/e2e-open", port=port)
    if st != 200:
        raise RuntimeError("form page: %d" % st)
    return int(hdrs["content-length"])


def fsync_rate(stack):
    rate = float(subprocess.run([os.path.join(BUILD, "bench", "fsync_loop"), os.path.join(stack.data, "db"),
                                 str(SECS)], capture_output=True, text=True).stdout)
    say("fdatasync loop on the data disk:     %9.0f writes/s" % rate)
    return rate


DURABLE_LABELS = {(8, "e2e-open"): "durable submits,  8 connections:   ",
                  (64, "e2e-open"): "durable submits, 64 connections:   ",
                  (8, "bench-mail"): "durable submits,  8 conns + mail:  "}


# Distinct send bodies per second of a durable run, above any rate this machine stores: a run that runs
# out counts only what it stored, and replays the rest.
BODIES_PER_SECOND = 10000


def bench_durable(stack, rd, port):
    """The fsync loop runs before, between and after the durable runs: each is compared with the mean of
    the loops on either side of it (the disk is shared; its rate drifts by a third within minutes).  The
    8-connection run is made ROUNDS times, spread over the section, and its median ratio is reported."""
    # The mail run comes last: nothing its thousands of queued mails might still cause falls on a target run.
    runs = [(8, "e2e-open"), (64, "e2e-open")] + [(8, "e2e-open")] * (ROUNDS - 1) + [(8, "bench-mail")]
    ratios, rates = [], []
    loops = [fsync_rate(stack)]
    for conns, proc in runs:
        with mailer_paused(stack):
            rate, p50, p99, wrapped, cpu, steal = durable(stack, rd, port, conns, BODIES_PER_SECOND * SECS, proc)
            if proc == "bench-mail":
                drop_bench_mails(stack)
        loops.append(fsync_rate(stack))
        fsync = (loops[-2] + loops[-1]) / 2
        if (conns, proc) == (8, "e2e-open"):
            ratios.append(rate / fsync)
            rates.append(rate)
        say("%s %9.0f submits/s %.2fx the fsync loop around it (%.0f; %s); p50 %.0f ms, p99 %.0f ms "
            "(nginx $request_time); CPU %.0f us per submit, %.1f s stolen by the host%s" %
            (DURABLE_LABELS[(conns, proc)], rate, rate / fsync, fsync, "target >= 1.0" if proc == "e2e-open" else
             "target >= 1.0; every procedure of the ward sends one: a contact envelope and an outbox row", p50 * 1000, p99 * 1000,
             cpu * 1e6, steal, "  [bodies ran out: replays included]" if wrapped else ""))
    if len(ratios) > 1:
        say("durable submits,  8 connections, the median of its %d runs: %.2fx the fsync loop (%s; target >= 1.0)" %
            (len(ratios), median(ratios), ", ".join("%.2fx" % r for r in ratios)))
    return median(rates)


# The opening rush: this many distinct residents send at once to a first-come procedure with RUSH_PLACES.
RUSH_RESIDENTS = 5000
RUSH_PLACES = 280
RUSH_CONNS = 64


def sends_once_lua(bodies_file, cookie, proc, idle, response=""):
    """wrk's script that sends each body once: each thread its share, then only GET idle (response: a Lua
    response() that decides when a thread stops).  wrk calls the first thread's request() once before it
    starts, to check the script: that call gets the GET, so that no send is lost."""
    path = bodies_file + ".lua"
    with open(path, "w") as f:
        f.write('''
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  reqs = {}
  local n = 0
  for body in io.lines("%s") do
    if n %% %d == id then
      reqs[#reqs + 1] = wrk.format("POST", "/f/%s", {["Content-Type"] = "application/x-www-form-urlencoded",
        ["Cookie"] = "%s"}, body)
    end
    n = n + 1
  end
  idle = wrk.format("GET", "%s")
  i = 0
  answered = 0
  idle_since = 0
  checked = id ~= 0
end
function request()
  if not checked then
    checked = true
    return idle
  end
  i = i + 1
  if i <= #reqs then return reqs[i] end
  return idle
end
%s''' % (bodies_file, WRK_THREADS, proc, cookie, idle, response))
    return path


def rush_lua(bodies_file, cookie, proc):
    """wrk's script for the rush: each thread sends each of its share of the bodies once, then only
    GET / (not counted: the list of procedures) until it has every answer to its sends, and stops."""
    return sends_once_lua(bodies_file, cookie, proc, "/", '''function response(status, headers, body)
  if not string.find(body, "申請できる手続き", 1, true) then
    answered = answered + 1
    idle_since = 0
  elseif i > #reqs then
    idle_since = idle_since + 1
  end
  -- every send answered, or (a send lost on its connection) long after the last answer
  if answered >= #reqs or idle_since > 2000 then wrk.thread:stop() end
end
''')


def bench_rush(stack, rd, port, durable_rate):
    """RUSH_RESIDENTS distinct residents (each through the confirmation step before the clock starts) send
    at once to a first-come procedure with RUSH_PLACES places: exactly that many must be accepted, the
    others see 満員です with nothing stored (or wait, with a waitlist), and none may fail."""
    proc = "bench-rush"
    bodies, cookie = prepare_sends(RUSH_RESIDENTS, proc)
    bf = os.path.join(rd, "bodies-rush.txt")
    with open(bf, "w") as f:
        f.write("\n".join(bodies) + "\n")
    log = os.path.join(rd, "bench-access.log")
    start_lines = sum(1 for _ in open(log)) if os.path.exists(log) else 0
    # wrk waits out its duration even when every thread has stopped: the rush's time comes from nginx
    wrk_output("http://127.0.0.1:%d/f/%s" % (port, proc), RUSH_CONNS, rush_lua(bf, cookie, proc), secs=30)
    time.sleep(1.5)  # nginx writes its access log at least every second
    codes, times, began, ended = {}, [], None, None
    for line in open(log).readlines()[start_lines:]:
        if '"POST /f/%s"' % proc in line:
            code = line.split('"')[2].split()[0]
            codes[code] = codes.get(code, 0) + 1
            times.append(float(line.split()[-1]))
            done = float(line.split("[", 1)[1].split("]", 1)[0].split()[1])
            began = min(began or done, done - times[-1])
            ended = max(ended or done, done)
    secs = max((ended or 0) - (began or 0), 0.001)
    accepted = int(stack.sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status = 'received'"
                             % proc))
    waitlisted = int(stack.sql("SELECT count(*) FROM applications WHERE procedure_id = '%s' AND status = "
                               "'waitlisted'" % proc))
    refused = codes.get("409", 0)
    errors = sum(n for c, n in codes.items() if c not in ("200", "409"))
    rate = len(times) / secs
    say("opening rush, %d residents at once: %d accepted (target exactly %d), %d waitlisted, %d refused "
        "(満員です), %d errors (target 0); p50 %.0f ms, p99 %.0f ms (nginx $request_time); %.0f submits/s%s" %
        (len(times), accepted, RUSH_PLACES, waitlisted, refused, errors, percentile(times, 0.5) * 1000,
         percentile(times, 0.99) * 1000, rate,
         ", %.2fx the durable 8-connection line" % (rate / durable_rate) if durable_rate else
         " (run the durable part too for its ratio)"))


def drop_bench_mails(stack):
    """Check that the mail run queued its arrival mails, then drop them: there is no SMTP server to take
    them, and they would stay queued in the stack the export figures use."""
    query = "SELECT count(*) FROM outbox WHERE procedure_id = 'bench-mail'"
    if int(stack.sql(query)) == 0:
        raise RuntimeError("bench-mail queued no arrival mail")
    stack.sql("PRAGMA busy_timeout = 10000; DELETE FROM outbox WHERE procedure_id = 'bench-mail'")
    if int(stack.sql(query)) != 0:
        raise RuntimeError("the bench's queued mails could not be dropped")


@contextlib.contextmanager
def mailer_paused(stack):
    """The mailer stopped for a durable run: the queued arrival mails wait, as when the SMTP server is slow,
    and the run measures the submits alone (without SMTP, the mailer would be trying one at each poll).
    It is stopped only while it sleeps between two looks at the outbox: stopped inside one of its
    transactions, it would hold the database's write lock, and the run would store nothing."""
    with open(os.path.join(stack.data, "run", "mailer.pid")) as f:
        pid = int(f.read())
    deadline = time.time() + 30
    while True:
        os.kill(pid, signal.SIGSTOP)
        if mailer_asleep(pid):
            break
        os.kill(pid, signal.SIGCONT)
        if time.time() > deadline:
            raise RuntimeError("the mailer did not come to rest between its looks at the outbox in 30 s")
        time.sleep(0.01)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


# The system call numbers of nanosleep and clock_nanosleep (the mailer's usleep() between polls).
SLEEP_SYSCALLS = {"x86_64": ("35", "230"), "aarch64": ("101", "115")}


def mailer_asleep(pid):
    """Is the (stopped) mailer in its sleep between polls?  /proc/PID/syscall names the system call a
    stopped process was in; "-1" or "running" when it was in its own code."""
    sleeps = SLEEP_SYSCALLS.get(os.uname().machine)
    if sleeps is None:
        raise RuntimeError("bench.py knows the sleep system calls of %s only" % ", ".join(SLEEP_SYSCALLS))
    deadline = time.time() + 1
    while True:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state == "T" or time.time() > deadline:
            break
        time.sleep(0.001)
    with open("/proc/%d/syscall" % pid) as f:
        return state == "T" and f.read().split()[0] in sleeps


def seal_open_rate():
    rate = float(subprocess.run([os.path.join(BUILD, "bench", "seal_rate"), str(os.cpu_count()), str(SECS)],
                                capture_output=True, text=True).stdout)
    say("crypto_box_seal_open, %d processes:   %9.0f opens/s" % (os.cpu_count(), rate))
    return rate


def bench_export(stack):
    """The 100,000-row export ROUNDS times, each compared with the mean of the seal_open rates measured
    just before and after it (this host's speed moves by a fifth within a minute, as the fsync loop's)."""
    fill(stack, 10000)
    r10, rss10 = export_run(stack, 10000)
    say("CSV export 10,000 rows (formctl):    %9.0f rows/s, peak RSS %d KB" % (r10, rss10))
    fill(stack, 90000)
    seals = [seal_open_rate()]
    ratios, rss_ratios = [], []
    for _ in range(ROUNDS):
        r100, rss100 = export_run(stack, 100000)
        seals.append(seal_open_rate())
        ratios.append(r100 / ((seals[-2] + seals[-1]) / 2))
        rss_ratios.append(rss100 / rss10)
        say("CSV export 100,000 rows (formctl):   %9.0f rows/s  %.2fx the seal_open rate around it (target >= 0.8); "
            "peak RSS %d KB = %.2fx the 10,000-row run (target <= 1.10)" % (r100, ratios[-1], rss100, rss_ratios[-1]))
    if len(ratios) > 1:
        say("CSV export 100,000 rows, the median of its %d runs: %.2fx the seal_open rate (%s; target >= 0.8); "
            "peak RSS at most %.2fx the 10,000-row run" %
            (len(ratios), median(ratios), ", ".join("%.2fx" % r for r in ratios), max(rss_ratios)))


def fill_into(stack, proc, n):
    """n more sealed applications for proc (yotsuya-hc), then the disk synced (see fill)."""
    subprocess.run([os.path.join(BUILD, "bench", "fill"), stack.data, proc, "yotsuya-hc", str(n)], check=True)
    os.sync()


class StaffClient:
    """One logged-in member (yotsuya) on one kept connection to nginx, with the cookies staff sets."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.jar = {}
        password = [l.split()[2] for l in open(os.path.join(harness.stack().data, "demo-logins.txt"),
                                                 encoding="utf-8") if l.split()[1] == "yotsuya"][0]
        _, page = self.get("/staff/login")
        st, _ = self.request("POST", "/staff/login", urllib.parse.urlencode(
            [("csrf", csrf_of(page)), ("login", "yotsuya"), ("password", password)]))
        if st != 303:
            raise RuntimeError("staff login: %d" % st)

    def request(self, method, path, body=None):
        h = {"Cookie": "; ".join("%s=%s" % kv for kv in self.jar.items())}
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        for c in r.msg.get_all("Set-Cookie") or []:
            name, _, rest = c.partition("=")
            self.jar[name] = rest.split(";")[0]
        return r.status, data

    def get(self, path):
        return self.request("GET", path)


def bench_list(stack, port):
    """The staff list of a procedure holding 100,000 applications: its first, a middle and its last page
    and the home page's counts per status, each loaded LIST_LOADS times one after another through nginx
    (after a few unmeasured loads); the time is the client's, from the request to the last byte."""
    add_procedure(stack, "bench-list")
    fill_into(stack, "bench-list", 100000)
    middle = stack.sql("SELECT received_at || '_' || receipt FROM applications WHERE procedure_id = 'bench-list'"
                       " ORDER BY received_at DESC, receipt DESC LIMIT 1 OFFSET 49999")
    staff = StaffClient(port)
    pages = (("first page", "/staff/forms/bench-list"),
             ("a middle page", "/staff/forms/bench-list?at=o%s&page=1001" % middle),
             ("last page", "/staff/forms/bench-list?at=last&page=2000"),
             ("counts per status", "/staff/"))
    for name, path in pages:
        times = []
        for i in range(LIST_LOADS + 5):
            t0 = time.perf_counter()
            st, body = staff.get(path)
            if st != 200 or (path != "/staff/" and body.count('<tr><td><a href="/staff/apps/') != 50):
                raise RuntimeError("%s: %d" % (path, st))
            if i >= 5:
                times.append((time.perf_counter() - t0) * 1000)
        say("staff list at 100k, %-18s p50 %5.1f ms, p99 %5.1f ms over %d loads (target p99 < 50 ms)" %
            (name + ":", percentile(times, 0.5), percentile(times, 0.99), len(times)))


# The cost part: how many sends each run stores, and the programs whose CPU is counted apart.
COST_SUBMITS = int(os.environ.get("BENCH_COST_SUBMITS", "4000"))
COST_PROGRAMS = ("nginx", "apply", "apply-writer", "mailer")


def cost_lua(bodies_file, cookie, proc):
    """wrk's script for a cost run: each thread sends each of its share of the bodies once, then only the
    static file (nginx alone, a few µs each) until bench.py stops it once every send is stored."""
    return sends_once_lua(bodies_file, cookie, proc, "/static/bench5k.html")


def cpu_ns(pid):
    """The CPU time a process's threads have run so far, in ns (/proc/PID/task/*/schedstat), or 0 if gone."""
    total = 0
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def writes(pids):
    """The write system calls and bytes written so far by pids (/proc/PID/io: syscw, wchar)."""
    calls = written = 0
    for pid in pids:
        try:
            with open("/proc/%d/io" % pid) as f:
                io = dict(line.split(": ") for line in f.read().splitlines())
        except OSError:
            continue
        calls, written = calls + int(io["syscw"]), written + int(io["wchar"])
    return calls, written


def processes():
    """pid -> (name, parent pid, process group) of every process (/proc/PID/stat)."""
    found = {}
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(path) as f:
                stat = f.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        found[int(path.split("/")[2])] = (name, int(rest[1]), int(rest[2]))
    return found


def stack_programs(stack, nginx):
    """pid -> program for the stack's processes (its process group) and the bench nginx's master and
    workers; programs other than COST_PROGRAMS count as "other"."""
    found, group = {}, os.getpgid(stack.proc.pid)
    for pid, (name, ppid, pgrp) in processes().items():
        if pgrp == group or pid == nginx.pid or ppid == nginx.pid:
            if pid != stack.proc.pid:
                found[pid] = name if name in COST_PROGRAMS else "other"
    return found


def stored(db, proc):
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)) as c:
        return c.execute("SELECT count(*) FROM applications WHERE procedure_id = ?", (proc,)).fetchone()[0]


def cost_run(stack, rd, port, nginx, proc, conns=8):
    """COST_SUBMITS distinct sends to proc over conns connections; returns the stored count, the CPU (µs)
    of each program, of wrk and of the whole machine during the run, and the writer's write system calls
    and bytes (its WAL frames, two calls each, and its checkpoints: what a batch's pages cost)."""
    bodies, cookie = prepare_sends(COST_SUBMITS, proc)
    bf = os.path.join(rd, "bodies-cost-%s.txt" % proc)
    with open(bf, "w") as f:
        f.write("\n".join(bodies) + "\n")
    script = cost_lua(bf, cookie, proc)
    progs = stack_programs(stack, nginx)
    before = stored(stack.db(), proc)
    perf = None
    if os.environ.get("BENCH_PERF"):
        os.makedirs(os.environ["BENCH_PERF"], exist_ok=True)
        pids = ",".join(str(p) for p, n in progs.items() if n in ("apply", "apply-writer"))
        perf = subprocess.Popen(["perf", "record", "-q", "-g", "-e", "cpu-clock", "-p", pids, "-o",
                                 os.path.join(os.environ["BENCH_PERF"], proc + ".data")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    writer = [p for p, name in progs.items() if name == "apply-writer"]
    writes0 = writes(writer)
    cpu0 = {p: cpu_ns(p) for p in progs}
    machine0 = cpu_times()[0]
    wrk_p = subprocess.Popen(["wrk", "-t%d" % WRK_THREADS, "-c%d" % conns, "-d600s", "-s", script,
                              "http://127.0.0.1:%d/f/%s" % (port, proc)], stdout=subprocess.DEVNULL,
                             start_new_session=OWN_SESSIONS)
    deadline = time.time() + 600
    while stored(stack.db(), proc) - before < COST_SUBMITS and time.time() < deadline and wrk_p.poll() is None:
        time.sleep(0.05)
    cpu1 = {p: cpu_ns(p) for p in progs}
    machine1 = cpu_times()[0]
    writes1 = writes(writer)
    wrk_p.send_signal(signal.SIGINT)
    _, _, usage = os.wait4(wrk_p.pid, 0)
    wrk_p.returncode = 0
    if perf is not None:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    n = stored(stack.db(), proc) - before
    per = dict.fromkeys(COST_PROGRAMS + ("other",), 0.0)
    for p, name in progs.items():
        per[name] += (cpu1[p] - cpu0[p]) / 1000
    return (n, per, (usage.ru_utime + usage.ru_stime) * 1e6, (machine1 - machine0) * 1e6,
            [b - a for a, b in zip(writes0, writes1)])


def bench_cost(stack, rd, port, nginx):
    """CPU per stored submit of each program, ROUNDS runs each, from the kernel's count of the time each
    process ran: unlike a rate, it does not count the time other work takes from the cores (bench/README.md,
    Cost).  The medians per program, then each run's sum of them."""
    for proc, label in (("e2e-open", "8 conns:       "), ("bench-mail", "8 conns + mail:")):
        runs = []
        for _ in range(ROUNDS):
            with mailer_paused(stack):
                n, per, wrk_us, machine_us, (calls, written) = cost_run(stack, rd, port, nginx, proc)
                if proc == "bench-mail":
                    drop_bench_mails(stack)
            per = {name: us / max(n, 1) for name, us in per.items()}
            per["wrk"], per["machine"] = wrk_us / max(n, 1), machine_us / max(n, 1)
            per["writes"], per["written"] = calls / max(n, 1), written / max(n, 1) / 1024
            runs.append(per)
        mid = {name: median([r[name] for r in runs]) for name in runs[0]}
        say("CPU per durable submit, %s %s; their sum %.0f us (each run: %s); wrk %.0f us, the whole machine "
            "%.0f us; the writer's writes %.1f, %.0f KB (median of %d runs of %d sends)" %
            (label, ", ".join("%s %.0f" % (name, mid[name]) for name in COST_PROGRAMS + ("other",)),
             sum(mid[name] for name in COST_PROGRAMS + ("other",)),
             ", ".join("%.0f" % sum(r[name] for name in COST_PROGRAMS + ("other",)) for r in runs),
             mid["wrk"], mid["machine"], mid["writes"], mid["written"], len(runs), COST_SUBMITS))

def main():
    # Thousands of sends a second from 127.0.0.1: limits no resident meets, but checked as usual, so that
    # the figures include what the checks cost.
    stack = harness.Stack(extra_env={"WORKERS": WORKERS, "SEND_LIMIT": "1000000000", "ARRIVAL_MAIL_LIMIT": "1000000000",
                                     "SUBMIT_RATE": "1000000r/s"}, own_session=OWN_SESSIONS)
    harness.STACK = stack
    rd = stack.run_dir()
    hellos = []
    with open(os.path.join(rd, "www", "static", "bench5k.html"), "w") as f:
        f.write("<!DOCTYPE html><title>x</title>" + "x" * (5120 - 31))
    add_procedure(stack, "bench-export")
    add_procedure(stack, "bench-mail", mail_texts(stack))
    add_procedure(stack, "bench-rush", "capacity: %d\n" % RUSH_PLACES)
    port = harness.free_port()
    ng = bench_nginx(stack, rd, port)
    time.sleep(1)
    try:
        form_bytes = form_page_bytes(port)
        for name, pad in HELLOS:
            hellos.append(subprocess.Popen([os.path.join(BUILD, "bench", "hello"), "--socket",
                                            os.path.join(rd, name + ".sock")] + socket_group(rd) +
                                           ["--workers", WORKERS, "--pad", str(form_bytes if pad is None else pad)],
                                           start_new_session=OWN_SESSIONS))
        time.sleep(1)
        base = "http://127.0.0.1:%d" % port
        say("## make bench, %s, %d s per wrk run (wrk -t%d), nproc=%d, %s FastCGI workers%s; sessions: %s "
            "(autogroups %s)" %
            (time.strftime("%Y-%m-%d %H:%M"), SECS, WRK_THREADS, os.cpu_count(), WORKERS,
             ", medians of %d rounds (GET; durable at 8 connections; export)" % ROUNDS if ROUNDS > 1 else "",
             SESSIONS, autogroups()))
        if "get" in PARTS:
            bench_get(base, form_bytes)
        durable_rate = None
        if "durable" in PARTS:
            durable_rate = bench_durable(stack, rd, port)
        if "rush" in PARTS:
            bench_rush(stack, rd, port, durable_rate)
        if "export" in PARTS:
            bench_export(stack)
        if "list" in PARTS:
            bench_list(stack, port)
        if "cost" in PARTS:
            bench_cost(stack, rd, port, ng)
    finally:
        ng.terminate()
        for h in hellos:
            h.terminate()
        ng.wait()
        for h in hellos:
            h.wait()
        stack.stop()
        shutil.rmtree(stack.tmp, ignore_errors=True)
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    with open(os.path.join(BUILD, "bench", "results.txt"), "w") as f:
        f.write("\n".join(RESULTS) + "\n")
    print("(also in %s)" % os.path.join(BUILD, "bench", "results.txt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
