#!/usr/bin/env python3
"""passwd-fleet.py - the password campaign's fleet, for the end-to-end tests.

  passwd-fleet.py seed
      prints the simulator's password-file lines that give every account the
      campaign rotates its first ("old") value, the same on every host.
  passwd-fleet.py notice HOSTS.json OLD.csv NEW.csv SEED
      (HOSTS.json: `rollout inventory list --json`) writes the vault's current values (the old ones) and the city's notice
      of new values (one random value per host and credential, from SEED).
  passwd-fleet.py split LIST.txt OLD.csv NEW.csv CUR.csv OTHER.csv
      from `rollout vault list`, the value the vault holds current for each
      entry (CUR.csv) and the other one; prints how many were rotated.
  passwd-fleet.py check SIM_DB NEW.csv OLD.csv [HOST,...]
      judges by the simulator's own state (salted BLAKE2b hashes of what each
      account accepts): every host accepts exactly its new value for every
      credential and refuses the old one. Prints one line per check, exits 1
      if any fails.

The values are test canaries: no real password is ever written here.
"""
import csv
import hashlib
import random
import sqlite3
import sys

CS = ["windows-admin", "arcserve", "shm-manager", "autologon", "oracle-system",
      "business-app", "systemwalker", "yarai-permission"]
CS_ACTIVE_ONLY = {"oracle-system"}
TERMINAL = ["windows-admin", "defender-admin", "yarai-admin"]
ADMIN_OLD = "Old1-Admin-Pass!"


def account(cred):
    """The simulator's account for a credential (simulator/README.md)."""
    if cred == "windows-admin":
        return "Administrator"
    if cred == "oracle-system":
        return "oracle:SYSTEM"
    if cred == "autologon":
        return "lsa:DefaultPassword"
    return "vendor:" + {"defender-admin": "defender", "yarai-admin": "yarai"}.get(cred, cred)


def old_value(cred):
    return ADMIN_OLD if cred == "windows-admin" else "Old1-" + cred + "-Pass!"


def creds_of(host, role):
    if role == "terminal":
        return TERMINAL
    return [c for c in CS if c not in CS_ACTIVE_ONLY or role == "cs-active"]


def hosts(inventory_json, sites=None):
    """(name, role) of every host (of sites), from `rollout inventory list --json`."""
    import json
    return [(h["name"], h["role"]) for h in json.load(open(inventory_json))
            if sites is None or h["site"] in sites]


def main():
    cmd = sys.argv[1]
    if cmd == "seed":
        for c in sorted(set(CS + TERMINAL) - {"windows-admin"}):
            print(f"*\t{old_value(c)}\t{account(c)}")
        return 0
    if cmd == "notice":
        inv, old_path, new_path, seed = sys.argv[2:6]
        sites = set(sys.argv[6].split(",")) if len(sys.argv) > 6 else None
        r = random.Random(int(seed))
        with open(old_path, "w", newline="") as fo, open(new_path, "w", newline="") as fn:
            for h, role in hosts(inv, sites):
                for c in creds_of(h, role):
                    fo.write(f"{h},{c},{old_value(c)}\n")
                    tail = "".join(r.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
                    fn.write(f"{h},{c},Nw7!{tail}-{c[:6]}\n")
        return 0
    if cmd == "split":
        # split LIST.txt OLD.csv NEW.csv CUR.csv OTHER.csv: from `rollout vault list`
        # (v1 = the old value imported as current, v2 = the notice's), the value
        # the vault holds current for each entry, and the other one.
        lst, old_path, new_path, cur_path, other_path = sys.argv[2:7]
        cur_seq, name = {}, None
        for line in open(lst):
            if not line.startswith(" "):
                name = line.strip()
            elif " current " in line:
                cur_seq[name] = int(line.split()[0][1:])
        old = {(h, c): v for h, c, v in csv.reader(open(old_path))}
        new = {(h, c): v for h, c, v in csv.reader(open(new_path))}
        rotated = 0
        with open(cur_path, "w") as fc, open(other_path, "w") as fo:
            for (h, c), v in new.items():
                seq = cur_seq.get(f"{h}/{c}")
                cur, other = (v, old[(h, c)]) if seq == 2 else (old[(h, c)], v)
                rotated += seq == 2
                fc.write(f"{h},{c},{cur}\n")
                fo.write(f"{h},{c},{other}\n")
        print(rotated)
        return 0
    if cmd == "check":
        sim_db, new_path, old_path = sys.argv[2:5]
        only = set(sys.argv[5].split(",")) if len(sys.argv) > 5 and sys.argv[5] else None
        db = sqlite3.connect(f"file:{sim_db}?mode=ro", uri=True)
        db.execute("PRAGMA busy_timeout = 5000")
        acc = {(h, k): (a, b) for h, k, a, b in
               db.execute("SELECT host, key, a, b FROM item WHERE kind = 'account'")}

        def accepts(h, c, v):
            ab = acc.get((h, account(c)))
            if not ab or len(ab[0]) != 32 or len(ab[1]) != 64:
                return False
            return hashlib.blake2b(v.encode(), digest_size=32,
                                   key=bytes.fromhex(ab[0])).hexdigest() == ab[1]
        new = {(h, c): v for h, c, v in csv.reader(open(new_path))}
        old = {(h, c): v for h, c, v in csv.reader(open(old_path))}
        fails = 0
        bad_new = [f"{h}/{c}" for (h, c), v in new.items()
                   if (only is None or h in only) and not accepts(h, c, v)]
        bad_old = [f"{h}/{c}" for (h, c), v in old.items()
                   if (only is None or h in only) and accepts(h, c, v)]
        n = len([1 for (h, c) in new if only is None or h in only])
        for what, bad in ((f"the fleet accepts the new value of each of {n} credentials", bad_new),
                          ("the fleet refuses every old value", bad_old)):
            if bad:
                fails += 1
                print(f"FAIL: {what}: {len(bad)} offending: {'; '.join(bad[:6])}")
            else:
                print(f"ok: {what}")
        return 1 if fails else 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
