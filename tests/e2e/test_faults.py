#!/usr/bin/python3
"""Faults: a full disk (ENOSPC) or a read-only file system (EROFS) under the
database, made by tests/faults/fault_fs.c (LD_PRELOAD) while a trigger file
exists.  Residents must get a clear "try again later" page (503) and never a
receipt for an application that was not stored; staff changes fail without
changing anything; /health says the disk is full; everything works again once the fault is gone.
Prints TAP.  Dummy data only.
Usage: test_faults.py BUILD_DIR
"""
import os
import re
import sys
import tempfile

import harness
from harness import BUILD, Browser, confirm, hidden_pairs, receipt_of, valid_answers
from test_staff import csrf_of, member

TRIGGER = os.path.join(tempfile.mkdtemp(prefix="shinjuku-fault-"), "trigger")
# As root the programs run as their own users (scripts/run.sh): they must see the trigger.
os.chmod(os.path.dirname(TRIGGER), 0o755)


def fault(mode):
    if mode is None:
        if os.path.exists(TRIGGER):
            os.unlink(TRIGGER)
    else:
        with open(TRIGGER, "w") as f:
            f.write(mode)


def count():
    return int(harness.stack().sql("SELECT count(*) FROM applications"))


def send_with(mode):
    """Fill and confirm with a healthy disk, then send while the fault is on."""
    b = Browser()
    st, _, page = confirm(b, valid_answers())
    assert st == 200, st
    before = count()
    fault(mode)
    try:
        st, _, page = b.post("/f/e2e-open", hidden_pairs(page) + [("action", "send")])
        st_index = harness.request("GET", "/")[0]
    finally:
        fault(None)
    return st, page, before, st_index


def test_full_disk_gives_503_and_no_receipt():
    st, page, before, st_index = send_with("enospc")
    assert st == 503 and "ただいま受付できません" in page, (st, page[:300])
    assert receipt_of(page) == (None, None) and not re.search(r"\d{4}-\d{4}-\d{4}", page)
    assert count() == before
    assert st_index == 200, "pages that only read keep working"


def test_read_only_database_gives_503_and_no_receipt():
    st, page, before, _ = send_with("erofs")
    assert st == 503 and "ただいま受付できません" in page
    assert receipt_of(page) == (None, None)
    assert count() == before


def test_service_recovers_without_restart():
    b = Browser()
    _, (st, _, page) = harness.submit(b)
    receipt, _ = receipt_of(page)
    assert st == 200 and receipt
    assert harness.stack().sql("SELECT count(*) FROM applications WHERE receipt = '%s'" % receipt) == "1"


def test_staff_change_fails_cleanly_on_full_disk():
    b = Browser()
    _, (_, _, page) = harness.submit(b)
    receipt, _ = receipt_of(page)
    s = member("yotsuya")
    _, _, page = s.get("/staff/apps/" + receipt)
    fault("enospc")
    try:
        st, _, out = s.post("/staff/apps/" + receipt, [("csrf", csrf_of(page)), ("from", "received"),
                                                      ("to", "accepted")], csrf=False)
    finally:
        fault(None)
    assert st in (500, 503) and "received" == harness.stack().sql(
        "SELECT status FROM applications WHERE receipt = '%s'" % receipt), st
    st, _, _ = s.post("/staff/apps/" + receipt, [("csrf", csrf_of(page)), ("from", "received"),
                                                ("to", "accepted")], csrf=False)
    assert st == 303
    assert harness.stack().sql("SELECT status FROM applications WHERE receipt = '%s'" % receipt) == "accepted"



def test_health_says_the_disk_is_full():
    assert harness.request("GET", "/health")[0] == 200
    fault("enospc")
    try:
        st, _, body = harness.request("GET", "/health")
    finally:
        fault(None)
    assert st == 503 and re.search(r"^FAIL disk: 0 MiB free of \d+ MiB", body, re.M), (st, body)
    assert body.endswith("status: FAIL\n"), body
    assert harness.request("GET", "/health")[0] == 200

if __name__ == "__main__":
    sys.exit(harness.main(globals(), prefix="e2e-faults",
                          env={"LD_PRELOAD": os.path.join(BUILD, "tests", "fault_fs.so"),
                               "FAULT_FS_TRIGGER": TRIGGER}))
