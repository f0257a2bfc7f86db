#!/usr/bin/env python3
"""The message catalogues (po/*.po) against the code that uses them, as TAP.

For each catalogue: msgfmt --check (formats, header), no fuzzy or empty
entries, every message id the code (N_("...") in C) and the templates
({{@...}}) use, no id that nothing uses, and in each text the same {names}
as in Japanese (po/ja.po, the language every other falls back to), or
some of those its comment offers ("#. ... Names: y m d month wd ...": the
parts of a date each language picks from).  A message missing from a
catalogue would show its id to a resident; a name missing from a text
would leave a value out.

Usage: python3 tests/msgcheck.py [ROOT]   (ROOT: the repository, by default this file's ../)
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
CODE_DIRS = ("lib", "fcgi", "mail", "tools", "exports")
N_CALL = re.compile(r'\bN_\("([^"\\]*)"\)')
MSG_TAG = re.compile(r"\{\{@([A-Za-z0-9_.-]+)\}\}")
NAME = re.compile(r"\{([a-z0-9_]+)\}")
OFFERED = re.compile(r"Names: ([a-z0-9_ ]+)")

results = []


def check(ok, name, detail=()):
    results.append((ok, name, list(detail)))


def unquote(s):
    """A PO string's body without its quotes, escapes resolved."""
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s[1:-1])


def read_po(path):
    """{msgid: (msgstr, fuzzy, comment)} of one catalogue (no plurals or contexts: the code uses none)."""
    entries, cur, key, fuzzy, flags, note = {}, {}, None, False, False, ""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines() + [""]
    for line in lines:
        if line.startswith("#."):
            note += line[2:]
        elif line.startswith("#,"):
            flags = "fuzzy" in line
        elif line.startswith("msgid "):
            cur, key, fuzzy = {"msgid": unquote(line[6:].strip())}, "msgid", flags
        elif line.startswith("msgstr "):
            cur["msgstr"], key = unquote(line[7:].strip()), "msgstr"
        elif line.startswith('"') and key:
            cur[key] += unquote(line.strip())
        elif not line.strip():
            if "msgstr" in cur and cur["msgid"] != "":
                entries[cur["msgid"]] = (cur["msgstr"], fuzzy, note)
            cur, key, flags, note = {}, None, False, ""
    return entries


def names_of(entry):
    """The {names} of a Japanese entry, or those its comment offers."""
    offered = OFFERED.search(entry[2])
    return set(offered.group(1).split()) if offered else set(NAME.findall(entry[0]))


def names_fit(text, ja_entry):
    """The same names as the Japanese text; some of those offered, when its comment offers some."""
    names = set(NAME.findall(text))
    return names <= names_of(ja_entry) if OFFERED.search(ja_entry[2]) else names == names_of(ja_entry)


def used_ids():
    """{id: first place it is used} in the code and the templates."""
    ids = {}
    for d in CODE_DIRS:
        for path in sorted(glob.glob(os.path.join(ROOT, d, "*.[ch]"))):
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    for m in N_CALL.finditer(line):
                        ids.setdefault(m.group(1), "%s:%d" % (os.path.relpath(path, ROOT), n))
    for path in sorted(glob.glob(os.path.join(ROOT, "templates", "*"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for m in MSG_TAG.finditer(line):
                    ids.setdefault(m.group(1), "%s:%d" % (os.path.relpath(path, ROOT), n))
    return ids


def main():
    pos = sorted(glob.glob(os.path.join(ROOT, "po", "*.po")))
    names = [os.path.basename(p) for p in pos]
    check("ja.po" in names, "po/ja.po is there (the language the others fall back to)")
    used = used_ids()
    check(len(used) > 0, "message ids found in the code and templates (%d)" % len(used))
    cats = {}
    for path, name in zip(pos, names):
        out = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", path], capture_output=True, text=True)
        check(out.returncode == 0, "%s: msgfmt --check" % name, out.stderr.splitlines())
        cats[name] = read_po(path)
    ja = cats.get("ja.po", {})
    for name, cat in cats.items():
        missing = ["%s (%s)" % (i, used[i]) for i in sorted(used) if i not in cat or not cat[i][0]]
        check(not missing, "%s: every id used is there, with a text" % name, missing)
        unused = sorted(i for i in cat if i not in used)
        check(not unused, "%s: every id is used" % name, unused)
        fuzzy = sorted(i for i, (_, fz, _) in cat.items() if fz)
        check(not fuzzy, "%s: no fuzzy entry" % name, fuzzy)
        if name == "ja.po":
            continue
        differ = ["%s: %s here, %s in ja.po" % (i, sorted(set(NAME.findall(t))), sorted(names_of(ja[i])))
                  for i, (t, _, _) in sorted(cat.items()) if i in ja and not names_fit(t, ja[i])]
        check(not differ, "%s: the {names} of ja.po in every text" % name, differ)
    for n, (ok, name, detail) in enumerate(results, 1):
        print("%sok %d - %s" % ("" if ok else "not ", n, name))
        for d in detail[:40]:
            print("#   %s" % d)
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
