#!/usr/bin/env python3
"""canary-sweep.py - no password anywhere it must not be.

Usage: canary-sweep.py ROOT VALUES.csv[,VALUES.csv...] EXCLUDE[,EXCLUDE...] [FILE...]

Reads every value (the last column of each CSV line: the test's canaries, old
and new) and searches every file under ROOT (the engine's state directory and
store with its WAL, the logs and progress output, `status --json`, the
simulator's -v log and state, the vaults) and each extra FILE (copies of
/proc/PID/cmdline and environ) for each value as bytes, also in UTF-16LE.
Files whose name is in EXCLUDE are the test's own inputs (the notices, the
simulator's password file). Prints each hit (file and which entry, never the
value) and exits 1 if there is any.
"""
import csv
import os
import sys

root, csvs, excl = sys.argv[1], sys.argv[2].split(","), set(sys.argv[3].split(","))
extra = sys.argv[4:]
values = {}
for path in csvs:
    for row in csv.reader(open(path)):
        values.setdefault(row[-1], "/".join(row[:-1]))
needles = [(v.encode(), k) for v, k in values.items()] + \
          [(v.encode("utf-16-le"), k + " (UTF-16)") for v, k in values.items()]
files = list(extra)
for d, _, names in os.walk(root):
    files += [os.path.join(d, n) for n in names if n not in excl]
hits = 0
for f in files:
    try:
        data = open(f, "rb").read()
    except OSError:
        continue
    for needle, what in needles:
        if needle in data:
            hits += 1
            if hits <= 10:
                print(f"HIT: {f}: the value of {what}")
print(f"{len(files)} files, {len(values)} values: {hits} hits")
sys.exit(1 if hits else 0)
