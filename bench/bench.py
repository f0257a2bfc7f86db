#!/usr/bin/python3
"""make bench: throughput ratios measured in one run on this machine, through
the project's real nginx configuration (the generated one, plus one location
for the bare FastCGI hello-world).  Prints figures and ratios; never fails on
an absolute time.  Dummy data only.
Usage: bench.py BUILD_DIR
BENCH_ONLY=export runs only the seal_open rate and the CSV export part.
"""
import glob
import os
import re
import shutil
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
ONLY = os.environ.get("BENCH_ONLY", "")
RESULTS = []


def say(line):
    print(line)
    sys.stdout.flush()
    RESULTS.append(line)


def wrk(url, conns, script=None, secs=SECS):
    cmd = ["wrk", "-t2", "-c%d" % conns, "-d%ds" % secs, "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(m.group(1)) if m else 0.0, int(errors.group(1)) if errors else 0


def run_dir(stack):
    for d in glob.glob("/tmp/shinjuku-run.*"):
        conf = os.path.join(d, "nginx.conf")
        if os.path.exists(conf) and stack.data in open(conf).read():
            return d
    raise RuntimeError("run directory not found")


def bench_nginx(stack, rd, port):
    """The stack's own nginx.conf on another port, with one extra location for the hello program."""
    conf = open(os.path.join(rd, "nginx.conf")).read()
    conf = conf.replace("listen 127.0.0.1:%d;" % stack.port, "listen 127.0.0.1:%d;" % port)
    conf = conf.replace("pid %s/nginx.pid;" % rd, "pid %s/bench-nginx.pid;" % rd)
    conf = conf.replace(os.path.join(stack.data, "log", "access.log"), os.path.join(rd, "bench-access.log"))
    conf = conf.replace("\t\tlocation / {", "\t\tlocation = /bench/hello {\n\t\t\tinclude %s/fastcgi.conf;\n"
                        "\t\t\tfastcgi_pass unix:%s/hello.sock;\n\t\t}\n\n\t\tlocation / {" % (rd, rd), 1)
    path = os.path.join(rd, "bench-nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return subprocess.Popen(["nginx", "-p", rd, "-c", path, "-e", os.path.join(rd, "bench-error.log")])


def prepare_sends(n, port):
    """n distinct confirmation pages' send bodies (each a fresh nonce), and the cookie they belong to."""
    b = Browser()
    _, _, page = b.get("/f/e2e-open")
    csrf = csrf_of(page)
    bodies = []
    for _ in range(n):
        st, _, page = b.post("/f/e2e-open", [("csrf", csrf), ("action", "confirm")] + valid_answers())
        if st != 200:
            raise RuntimeError("confirm failed: %d" % st)
        bodies.append(urllib.parse.urlencode(hidden_pairs(page) + [("action", "send")]))
    return bodies, b.cookie


def lua_for(bodies_file, cookie, threads=2):
    path = bodies_file + ".lua"
    with open(path, "w") as f:
        f.write('''
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  i = id + 1
end
function request()
  local body = bodies[i]
  i = i + %d
  if i > #bodies then i = id + 1 end
  return wrk.format("POST", "/f/e2e-open", {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "%s"}, body)
end
''' % (bodies_file, threads, cookie))
    return path


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0


def durable(stack, rd, port, conns, n):
    bodies, cookie = prepare_sends(n, stack.port)
    bf = os.path.join(rd, "bodies-%d.txt" % conns)
    with open(bf, "w") as f:
        f.write("\n".join(bodies) + "\n")
    log = os.path.join(rd, "bench-access.log")
    start_lines = sum(1 for _ in open(log)) if os.path.exists(log) else 0
    before = int(stack.sql("SELECT count(*) FROM applications"))
    t0 = time.time()
    wrk("http://127.0.0.1:%d/f/e2e-open" % port, conns, lua_for(bf, cookie))
    elapsed = time.time() - t0
    stored = int(stack.sql("SELECT count(*) FROM applications")) - before
    times = []
    for line in open(log).readlines()[start_lines:]:
        if '"POST /f/e2e-open" 200' in line:
            times.append(float(line.split()[-1]))
    wrapped = stored < len(times) * 0.99
    return stored / elapsed, percentile(times, 0.5), percentile(times, 0.99), wrapped


def export_run(stack, rows):
    key = [l.split()[2] for l in open(os.path.join(stack.data, "demo-recovery-keys.txt")) if l.startswith("yotsuya-hc")][0]
    cmd = ["/usr/bin/time", "-f", "TIME %e %M", os.path.join(BUILD, "formctl"), "--data", stack.data,
           "--forms", stack.forms, "export", "bench-export", "--recovery", "--out", "-"]
    p = subprocess.run(cmd, input=key + "\n", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"TIME ([\d.]+) (\d+)", p.stderr)
    written = re.search(r"(\d+) rows written", p.stderr)
    assert m and written and int(written.group(1)) == rows, p.stderr
    secs, rss = float(m.group(1)), int(m.group(2))
    return rows / max(secs, 0.001), rss


def fill(stack, n):
    subprocess.run([os.path.join(BUILD, "bench", "fill"), stack.data, "bench-export", "yotsuya-hc", str(n)],
                   check=True)


def web(stack, rd, port, base):
    """The static file, the hello-world, the form page and durable submits."""
    static, _ = wrk(base + "/static/bench5k.html", 32)
    hello_rps, _ = wrk(base + "/bench/hello", 32)
    form, errs = wrk(base + "/f/e2e-open", 32)
    say("static 5 KB file (nginx alone):      %9.0f req/s" % static)
    say("bare FastCGI hello-world:            %9.0f req/s   %.2fx the static file" % (hello_rps, hello_rps / static))
    say("resident form page GET (apply):      %9.0f req/s   %.2fx the hello-world (target >= 0.8)%s" %
        (form, form / hello_rps, "  [%d non-2xx]" % errs if errs else ""))
    fsync = float(subprocess.run([os.path.join(BUILD, "bench", "fsync_loop"), os.path.join(stack.data, "db"),
                                  str(SECS)], capture_output=True, text=True).stdout)
    say("fdatasync loop on the data disk:     %9.0f writes/s" % fsync)
    for conns, n in ((8, 12000), (64, 16000)):
        rate, p50, p99, wrapped = durable(stack, rd, port, conns, n)
        say("durable submits, %2d connections:    %9.0f submits/s %.2fx the fsync loop (target >= 1.0); "
            "p50 %.0f ms, p99 %.0f ms (nginx $request_time)%s" %
            (conns, rate, rate / fsync, p50 * 1000, p99 * 1000,
             "  [bodies ran out: replays included]" if wrapped else ""))


def main():
    stack = harness.Stack(extra_env={"WORKERS": "2"})
    harness.STACK = stack
    rd = run_dir(stack)
    hello = subprocess.Popen([os.path.join(BUILD, "bench", "hello"), "--socket", os.path.join(rd, "hello.sock"),
                              "--workers", "2"])
    with open(os.path.join(rd, "www", "static", "bench5k.html"), "w") as f:
        f.write("<!DOCTYPE html><title>x</title>" + "x" * (5120 - 31))
    shutil.copy(os.path.join(stack.forms, "e2e-open.yaml"), os.path.join(stack.forms, "bench-export.yaml"))
    with open(os.path.join(stack.forms, "bench-export.yaml")) as f:
        src = f.read().replace("id: e2e-open", "id: bench-export")
    with open(os.path.join(stack.forms, "bench-export.yaml"), "w") as f:
        f.write(src)
    port = harness.free_port()
    ng = bench_nginx(stack, rd, port)
    time.sleep(1)
    try:
        base = "http://127.0.0.1:%d" % port
        say("## make bench, %s, %d s per wrk run (wrk -t2), nproc=%d" %
            (time.strftime("%Y-%m-%d %H:%M"), SECS, os.cpu_count()))
        if ONLY != "export":
            web(stack, rd, port, base)
        seal = float(subprocess.run([os.path.join(BUILD, "bench", "seal_rate"), str(os.cpu_count()), str(SECS)],
                                    capture_output=True, text=True).stdout)
        say("crypto_box_seal_open, %d processes:   %9.0f opens/s" % (os.cpu_count(), seal))
        fill(stack, 10000)
        r10, rss10 = export_run(stack, 10000)
        fill(stack, 90000)
        r100, rss100 = export_run(stack, 100000)
        say("CSV export 10,000 rows (formctl):    %9.0f rows/s, peak RSS %d KB" % (r10, rss10))
        say("CSV export 100,000 rows (formctl):   %9.0f rows/s  %.2fx the seal_open rate (target >= 0.8); "
            "peak RSS %d KB = %.2fx the 10,000-row run (target <= 1.10)" % (r100, r100 / seal, rss100, rss100 / rss10))
    finally:
        ng.terminate()
        hello.terminate()
        ng.wait()
        hello.wait()
        stack.stop()
        shutil.rmtree(stack.tmp, ignore_errors=True)
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    results = os.path.join(BUILD, "bench", "results-%s.txt" % ONLY if ONLY else "results.txt")
    with open(results, "w") as f:
        f.write("\n".join(RESULTS) + "\n")
    print("(also in %s)" % results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
