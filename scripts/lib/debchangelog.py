#!/usr/bin/env python3
"""Writes the Debian changelog (debian/changelog format), or with --rpm the RPM spec's %changelog section,
from packaging/changelog, whose format that file's header describes. The newest entry must be the version
being packaged; the maintainer is the one packaging/debian/control names.

usage: debchangelog.py [--rpm] CHANGELOG VERSION > debian/changelog
"""
import datetime
import os
import re
import sys

HEADER = re.compile(r"^(?P<version>[0-9][A-Za-z0-9.+~]*) (?P<date>\d{4}-\d{2}-\d{2})$")


def maintainer(control_path):
    with open(control_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("Maintainer:"):
                return line.split(":", 1)[1].strip()
    sys.exit("debchangelog.py: no Maintainer in " + control_path)


def releases(path):
    """[(version, date, [entry lines])], newest first, as the file has them."""
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#") or not line.strip():
                continue
            header = HEADER.match(line)
            if header:
                out.append((header["version"], datetime.date.fromisoformat(header["date"]), []))
            elif out and (line.startswith("* ") or line.startswith("  ")):
                # Debian's changelog indents by two more and keeps to 80 columns (lintian checks).
                if len(line) > 78:
                    sys.exit("debchangelog.py: %s:%d: longer than 78 characters" % (path, number))
                out[-1][2].append(line)
            else:
                sys.exit("debchangelog.py: %s:%d: expected 'VERSION YYYY-MM-DD', '* entry' or an indented "
                         "continuation: %r" % (path, number, line))
    return out


def main():
    rpm = sys.argv[1:2] == ["--rpm"]
    path, version = sys.argv[2:4] if rpm else sys.argv[1:3]
    control = os.path.join(os.path.dirname(path), "debian", "control")
    found = releases(path)
    if not found or found[0][0] != version:
        sys.exit("debchangelog.py: the newest entry of %s is %s, but the version is %s: write down what "
                 "changed in %s" % (path, found[0][0] if found else "missing", version, version))
    who = maintainer(control)
    for release_version, date, entries in found:
        if not entries:
            sys.exit("debchangelog.py: %s has no entries for %s" % (path, release_version))
        if rpm:
            print("* %s %s - %s-1" % (date.strftime("%a %b %d %Y"), who, release_version))
            for entry in entries:
                print("- " + entry[2:] if entry.startswith("* ") else entry)
            print()
            continue
        stamp = datetime.datetime.combine(date, datetime.time(), datetime.timezone.utc)
        print("adjoin (%s) unstable; urgency=medium\n" % release_version)
        for entry in entries:
            print("  " + entry)
        print("\n -- %s  %s\n" % (who, stamp.strftime("%a, %d %b %Y %H:%M:%S +0000")))


if __name__ == "__main__":
    main()
