#!/usr/bin/python3
"""Crash safety: parallel residents submit applications (some with a mail
address), and a member of staff accepts them, while every kind of process of
the stack is killed with SIGKILL in turn, on a fixed schedule: one apply
worker, apply's batching writer, apply's master, a staff worker, the mailer,
nginx, and the whole stack at once.  What a service manager would do is done
after each: the killed child is started again by its master; after the master,
the mailer or nginx the stack is stopped and started again on the same data.

Afterwards every receipt number a resident was shown must be in the database,
and its content must open with the section key (via the recovery key) and be
the answers that resident sent; nothing may be stored half: every application
stored, acknowledged or not, opens whole, and so does every contact envelope
(with the mailer's key); every change staff was told was saved must be saved;
every acknowledged application with an address must have its envelope and
have had its mail sent; residents must have been served again after every
kill; and no process may have died that the test did not kill.

Prints TAP and "N acknowledged, N found".  Dummy data only.
Usage: test_crash.py BUILD_DIR [SECONDS]
"""
import http.client
import os
import shutil
import signal
import sys
import threading
import time

import harness
from harness import Browser, csrf_of, hidden_pairs, receipt_of
from test_staff import member

CLIENTS = 6
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
# The order of the kills: each kind in every run, the quick ones around the restarts.
KINDS = ["apply master", "batching writer", "mailer", "staff worker", "nginx", "whole stack", "apply worker"]
DOWN = 1.0      # seconds a killed master, mailer or nginx stays down before the restart
GONE = (OSError, http.client.HTTPException)    # the stack was down or cut the answer


def answers(tag, with_mail):
    if with_mail:
        return "e2e-mail", [("f_name", "試験クラッシュ%s" % tag), ("f_email", "crash-%s@example.jp" % tag)]
    return "e2e-open", [("f_name", "試験クラッシュ%s" % tag), ("f_kana", "シケン クラッシュ"),
                        ("f_postal", "160-8484"), ("f_tel", "03-9999-0000"), ("f_birth", "1950-04-01"),
                        ("f_people", "1"), ("f_course", "a"), ("f_note", "crash-test %s" % tag)]


def submit_once(tag, with_mail):
    """One whole application; returns the receipt shown to the resident, or None if it failed anywhere."""
    proc, pairs = answers(tag, with_mail)
    b = Browser()
    try:
        st, _, page = b.get("/f/" + proc)
        if st != 200:
            return None
        st, _, page = b.post("/f/" + proc, [("csrf", csrf_of(page)), ("action", "confirm")] + pairs)
        if st != 200 or 'name="token"' not in page:
            return None
        st, _, page = b.post("/f/" + proc, hidden_pairs(page) + [("action", "send")])
        receipt, _ = receipt_of(page)
        return receipt if st == 200 else None
    except GONE:
        return None     # nothing was shown, nothing is owed


def client(n, stop, acked, lock):
    i = 0
    while not stop.is_set():
        i += 1
        tag = "%d-%d" % (n, i)
        with_mail = n % 3 == 0
        r = submit_once(tag, with_mail)
        if r is not None:
            with lock:
                acked.append((r, tag, with_mail, time.time()))


def staff_client(stop, acked, changed, lock):
    """A member accepting the acknowledged applications one by one; changed gets those staff was told
    were saved (303).  One that failed is not tried again: it may or may not have been saved."""
    s, tried = None, set()
    while not stop.is_set():
        with lock:
            todo = [r for r, *_ in acked if r not in tried]
        if not todo:
            time.sleep(0.1)
            continue
        try:
            if s is None:
                s = member("yotsuya")
            st, _, page = s.get("/staff/apps/" + todo[0])
            if st != 200:
                s = None if st == 303 else s     # sent to the login page: log in again
                time.sleep(0.1)
                continue
            tried.add(todo[0])
            st, _, _ = s.post("/staff/apps/" + todo[0], [("csrf", csrf_of(page)), ("from", "received"),
                                                         ("to", "accepted")], csrf=False)
            if st == 303:
                with lock:
                    changed.append(todo[0])
        except GONE + (AssertionError,):     # AssertionError: member() could not log in
            s = None
            time.sleep(0.2)


def ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def roles(stack, program):
    """program's master, its helper (apply's batching writer) or None, and its workers, as running now."""
    for _ in range(50):     # a child being started again: wait for it
        pids = stack.pids(program)
        masters = [p for p in pids if ppid(p) not in pids]
        helpers = [p for p in pids if comm(p) == "apply-writer"]
        workers = [p for p in pids if p not in masters + helpers]
        if len(masters) == 1 and workers and (program != "apply" or helpers):
            return masters[0], (helpers or [None])[0], workers
        time.sleep(0.1)
    raise RuntimeError("%s is not running: %s" % (program, pids))


def kill(stack, pid, expected=True):
    if expected:
        stack.expect_death(pid)
    os.kill(pid, signal.SIGKILL)


def restart(stack):
    """What a service manager does when a service's main process is gone: stop what is left, start again."""
    time.sleep(DOWN)
    stack.stop()
    stack.start()


def kill_kind(stack, kind):
    if kind == "apply worker":
        kill(stack, roles(stack, "apply")[2][0])
    elif kind == "batching writer":
        kill(stack, roles(stack, "apply")[1])
    elif kind == "apply master":
        kill(stack, roles(stack, "apply")[0], expected=False)     # its children end with it, quietly
        restart(stack)
    elif kind == "staff worker":
        kill(stack, roles(stack, "staff")[2][0])
    elif kind == "mailer":
        for p in stack.pids("mailer"):
            kill(stack, p, expected=False)
        restart(stack)
    elif kind == "nginx":
        for p in stack.nginx_pids():     # make run ends when nginx does, stopping the programs
            kill(stack, p, expected=False)
        stack.proc.wait(timeout=30)
        time.sleep(DOWN)
        stack.start()
    elif kind == "whole stack":
        stack.crash()
        stack.start()


def chaos(stack, stop, events, t0):
    """Each kind of kill once, at even intervals over the run; events gets (kind, when it ended)."""
    step = SECONDS / (len(KINDS) + 1)
    for i, kind in enumerate(KINDS):
        while not stop.is_set() and time.time() < t0 + step * (i + 1):
            time.sleep(0.05)
        if stop.is_set():
            break
        kill_kind(stack, kind)
        events.append((kind, time.time()))


def main():
    # the local sink as relay; a send cut by a kill is tried again after a second, not a minute
    stack = harness.Stack(extra_env={"MAIL_POLL": "1", "MAIL_BACKOFF": "1", "SMTP_URL": ""})
    harness.STACK = stack
    acked, changed, events, lock, stop = [], [], [], threading.Lock(), threading.Event()
    threads = [threading.Thread(target=client, args=(n, stop, acked, lock)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=staff_client, args=(stop, acked, changed, lock)))
    t0 = time.time()
    killer = threading.Thread(target=chaos, args=(stack, stop, events, t0))
    for t in threads + [killer]:
        t.start()
    killer.join(timeout=SECONDS * 3)
    while time.time() < t0 + SECONDS:
        time.sleep(0.1)
    stop.set()
    for t in threads + [killer]:
        t.join()
    # every acknowledged application with an address has its mail sent (the mailer polls each second)
    mail = [r for r, _, with_mail, _ in acked if with_mail]
    deadline, unsent = time.time() + 15, mail
    while unsent and time.time() < deadline:
        sent = set(stack.sql("SELECT receipt FROM mail_log WHERE kind = 'arrival'").split())
        unsent = [r for r in mail if r not in sent]
        time.sleep(0.2)
    queued = set(stack.sql("SELECT receipt FROM outbox JOIN applications a ON a.id = app_id").split())
    accepted = set(stack.sql("SELECT receipt FROM applications WHERE status = 'accepted'").split())
    stack.stop()
    # a writer killed within a batch stored none of it: all that is stored opens whole
    stored = stack.sql("SELECT receipt FROM applications").split()
    enveloped = stack.sql("SELECT receipt FROM envelopes JOIN applications a ON a.id = app_id").split()
    half = [r for r, c in zip(stored, harness.opened(stack, stored)) if c is None or "answers" not in c]
    half += [r for r, c in zip(enveloped, harness.opened(stack, enveloped, envelopes=True))
             if c is None or not c.get("to", "").startswith("crash-")]
    without = [r for r, _, with_mail, _ in acked if with_mail and r not in enveloped]
    found, wrong, missing = 0, [], []
    for (receipt, tag, _, _), content in zip(acked, harness.opened(stack, [r for r, *_ in acked])):
        if content is None:
            missing.append(receipt)
        elif content["answers"].get("name") != "試験クラッシュ" + tag:
            wrong.append(receipt)
        else:
            found += 1
    kinds = [k for k, _ in events]
    unserved = [k for k, t in events if not any(when > t for *_, when in acked)]
    print("# kills in order: %s; %d acknowledged (%d with a mail), %d found, %d accepted by staff" %
          (", ".join(kinds), len(acked), len(mail), found, len(changed)))
    checks = [
        ("crash acknowledged receipts all stored and opening", not missing and not wrong,
         "missing %s wrong %s" % (missing[:5], wrong[:5])),
        ("crash every kind of kill happened", kinds == KINDS, "missing: %s" % [k for k in KINDS if k not in kinds]),
        ("crash residents were served again after every kill", not unserved and len(acked) >= 20,
         "none after: %s; %d acknowledged" % (unserved, len(acked))),
        ("crash receipts are unique", len(set(r for r, *_ in acked)) == len(acked), "duplicate receipts"),
        ("crash nothing stored half: every application and envelope opens", not half and not without,
         "%d stored, %d envelopes; not opening: %s; acknowledged with an address, no envelope: %s" % (
             len(stored), len(enveloped), half[:5], without[:5])),
        ("crash staff changes acknowledged are all saved", changed and set(changed) <= accepted,
         "%d acknowledged, not saved: %s" % (len(changed), sorted(set(changed) - accepted)[:5])),
        ("crash mails of acknowledged applications all sent", mail and not unsent,
         "%d with an address, unsent: %s (of them still queued: %s)" % (
             len(mail), unsent[:5], [r for r in unsent[:5] if r in queued])),
    ]
    failed = 0
    for i, (name, ok, why) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            failed += 1
            print("#   " + why)
    failed += harness.logs_case(len(checks) + 1, "crash")
    print("1..%d" % (len(checks) + 1))
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
