#!/usr/bin/python3
"""Crash safety: parallel residents submit applications while the FastCGI
programs and nginx are killed with SIGKILL at random moments and started
again on the same data.  Afterwards every receipt number a resident was
shown must be in the database, and its content must open with the section
key (via the recovery key) and be the answers that resident sent.

Prints TAP and "N acknowledged, N found".  Dummy data only.
Usage: test_crash.py BUILD_DIR [SECONDS]
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import harness
from harness import BUILD, Browser, csrf_of, hidden_pairs, receipt_of

CLIENTS = 6
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 30


def answers(tag):
    return [("f_name", "試験クラッシュ%s" % tag), ("f_kana", "シケン クラッシュ"), ("f_postal", "160-8484"),
            ("f_tel", "03-9999-0000"), ("f_birth", "1950-04-01"), ("f_people", "1"), ("f_course", "a"),
            ("f_note", "crash-test %s" % tag)]


def submit_once(tag):
    """One whole application; returns the receipt shown to the resident, or None if it failed anywhere."""
    b = Browser()
    try:
        st, _, page = b.get("/f/e2e-open")
        if st != 200:
            return None
        st, _, page = b.post("/f/e2e-open", [("csrf", csrf_of(page)), ("action", "confirm")] + answers(tag))
        if st != 200 or 'name="token"' not in page:
            return None
        st, _, page = b.post("/f/e2e-open", hidden_pairs(page) + [("action", "send")])
        receipt, _ = receipt_of(page)
        return receipt if st == 200 else None
    except OSError:
        return None     # the stack was down: nothing was shown, nothing is owed


def client(n, stop, acked, lock):
    i = 0
    while not stop.is_set():
        i += 1
        tag = "%d-%d" % (n, i)
        r = submit_once(tag)
        if r is not None:
            with lock:
                acked.append((r, tag))


def apply_pids(stack):
    out = subprocess.run(["pgrep", "-f", "%s/apply --data %s" % (BUILD, stack.data)], capture_output=True,
                         text=True).stdout.split()
    return [int(p) for p in out]


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def chaos(stack, stop, events):
    """Until stop: at random moments kill one apply process (a worker, the batching writer, the master),
    or the whole stack and start it again."""
    rnd = random.Random(1234)
    while not stop.is_set():
        time.sleep(rnd.uniform(1.0, 3.0))
        if stop.is_set():
            break
        draw = rnd.random()
        # the first kill is the writer's, so every run has one (if it can be found)
        writer = [p for p in apply_pids(stack) if comm(p) == "apply-writer"] if draw < 0.25 or not events else []
        pids = apply_pids(stack) if draw < 0.5 else []
        if writer:
            os.kill(writer[0], signal.SIGKILL)
            events.append("apply writer")
        elif pids:
            os.kill(rnd.choice(pids), signal.SIGKILL)
            events.append("apply process")
        else:
            stack.crash()
            events.append("whole stack")
            stack.start()


def main():
    stack = harness.Stack()
    harness.STACK = stack
    acked, lock, stop, events = [], threading.Lock(), threading.Event(), []
    threads = [threading.Thread(target=client, args=(n, stop, acked, lock)) for n in range(CLIENTS)]
    killer = threading.Thread(target=chaos, args=(stack, stop, events))
    for t in threads + [killer]:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads + [killer]:
        t.join()
    stack.stop()
    found, wrong, missing = 0, [], []
    for (receipt, tag), content in zip(acked, harness.opened(stack, [r for r, _ in acked])):
        if content is None:
            missing.append(receipt)
        elif content["answers"].get("name") != "試験クラッシュ" + tag:
            wrong.append(receipt)
        else:
            found += 1
    kills = len(events)
    print("# %d kills (%d of the whole stack, %d of the batching writer), %d acknowledged, %d found" %
          (kills, events.count("whole stack"), events.count("apply writer"), len(acked), found))
    checks = [
        ("crash acknowledged receipts all stored and opening", not missing and not wrong,
         "missing %s wrong %s" % (missing[:5], wrong[:5])),
        ("crash the run did kill and submit", kills >= 3 and len(acked) >= 20,
         "%d kills, %d acknowledged" % (kills, len(acked))),
        ("crash the batching writer was killed", "apply writer" in events, str(events)),
        ("crash receipts are unique", len(set(r for r, _ in acked)) == len(acked), "duplicate receipts"),
    ]
    failed = 0
    for i, (name, ok, why) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            failed += 1
            print("#   " + why)
    print("1..%d" % len(checks))
    print("%d acknowledged, %d found" % (len(acked), found))
    for d in stack.run_dirs():
        shutil.rmtree(d, ignore_errors=True)
    if failed == 0:
        shutil.rmtree(stack.tmp, ignore_errors=True)
    else:
        print("# left for inspection: " + stack.tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
