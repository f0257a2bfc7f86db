#!/usr/bin/python3
"""Runs tests/browser/browser.mjs (headless chromium, axe-core) against the real
stack, then the Nu HTML checker (vnu-jar, on the machine's Java) on every HTML
document the browser received.  Prints TAP.  Dummy data only.
Usage: test_browser.py BUILD_DIR
"""
import glob
import re
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VNU = os.path.join(HERE, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")


def open_shipped_forms(stack):
    """The shipped procedures open whatever today's date, so that every one shows its form (browser.mjs
    visits each): their copies in the stack get dates around today, and the stack starts again."""
    for path in glob.glob(os.path.join(harness.ROOT, "forms", "*.yaml")):
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"(?m)^opens_at: .*$", "opens_at: 2000-01-01 09:00", text)
        text = re.sub(r"(?m)^closes_at: .*$", "closes_at: 2099-12-31 17:00", text)
        open(os.path.join(stack.forms, os.path.basename(path)), "w", encoding="utf-8").write(text)
    # the test lottery, closed so that it can be drawn (browser.mjs: lotteryFlow)
    path = os.path.join(harness.ROOT, "tests", "e2e", "forms", "e2e-lottery.yaml")
    text = open(path, encoding="utf-8").read().replace("closes_at: 2099-12-31 17:00", "closes_at: 2021-01-01 17:00")
    open(os.path.join(stack.forms, "e2e-lottery.yaml"), "w", encoding="utf-8").write(text)
    stack.stop()
    stack.start()


def main():
    stack = harness.Stack()
    harness.STACK = stack
    open_shipped_forms(stack)
    out = os.path.join(stack.tmp, "html")
    os.makedirs(out)
    failed = 0
    try:
        passwords = {l.split()[1]: l.split()[2] for l in open(os.path.join(stack.data, "demo-logins.txt"),
                                                              encoding="utf-8")}
        env = dict(os.environ, BASE_URL="http://127.0.0.1:%d" % stack.port, STAFF_LOGIN="yotsuya",
                   STAFF_PASSWORD=passwords["yotsuya"], GOMI_PASSWORD=passwords["gomi"], OUT_DIR=out)
        r = subprocess.run(["node", os.path.join(HERE, "browser.mjs")], env=env, capture_output=True, text=True,
                           timeout=600)
        lines = [l for l in r.stdout.splitlines() if not l.startswith("1..")]
        print("\n".join(lines))
        if r.returncode != 0 and not any(l.startswith("not ok") for l in lines):
            print("not ok - browser script failed\n#   " + r.stderr[-1500:].replace("\n", "\n#   "))
            failed += 1
        failed += sum(l.startswith("not ok") for l in lines)
        n = sum(l.startswith(("ok ", "not ok ")) for l in lines)
        pages = sorted(glob.glob(os.path.join(out, "*.html")))
        bad = os.path.join(stack.tmp, "control.html")
        with open(bad, "w") as f:
            f.write("<!DOCTYPE html><html lang=ja><title>x</title><p><div></p></span>")
        c = subprocess.run(["java", "-jar", VNU, "--errors-only", bad], capture_output=True, text=True, timeout=300)
        n += 1
        print("%s %d - browser the Nu checker rejects a broken page (control)" % ("ok" if c.returncode != 0 else "not ok", n))
        failed += c.returncode == 0
        v = subprocess.run(["java", "-jar", VNU, "--errors-only", "--format", "text"] + pages,
                           capture_output=True, text=True, timeout=600)
        ok = v.returncode == 0 and len(pages) >= 10
        print("%s %d - browser every page is valid HTML (Nu checker, %d documents)" %
              ("ok" if ok else "not ok", n + 1, len(pages)))
        if not ok:
            failed += 1
            print("#   " + (v.stdout + v.stderr)[-2000:].replace("\n", "\n#   "))
    finally:
        stack.stop()
    failed += harness.logs_case(n + 2, "browser")
    print("1..%d" % (n + 2))
    if failed == 0:
        shutil.rmtree(stack.tmp, ignore_errors=True)
    else:
        print("# left for inspection: " + stack.tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
