#!/usr/bin/env bash
# shipped.sh ROLLOUT SRCDIR - the shipped inventory, playbooks and campaigns must be valid,
# the inventory must hold the fleet of the specification (22 sites, 2 CS, 130 ESPRIMO
# D6012/N and 50 ESPRIMO D7014/R terminals), a plan must be deterministic, every shipped
# campaign must have a plan, and the incident campaigns must narrow to their one host.
set -u

rollout=${1:?usage: shipped.sh ROLLOUT SRCDIR}
srcdir=${2:?usage: shipped.sh ROLLOUT SRCDIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$srcdir" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	printf 'FAIL  %s: %s\n' "$1" "$2"
	[ -s "$tmp/err" ] && sed 's/^/        | /' "$tmp/err" | head -n 12
	return 0
}

# run NAME CMD... : runs with a time limit, stdout to $tmp/out, stderr to $tmp/err;
# sets rc. A crash or sanitizer report is a failure whatever the test expects.
run() {
	timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ge 124 ] || grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
		crashed=1
	else
		crashed=0
	fi
}

# 1. Every shipped file validates.
for f in inventory/*.yml playbooks/*.yml playbooks/campaigns/*.yml; do
	[ -e "$f" ] || continue
	run "$rollout" validate "$f"
	if [ "$crashed" -eq 0 ] && [ "$rc" -eq 0 ]; then
		pass "validate $f"
	else
		fail "validate $f" "exit $rc"
	fi
done

# 2. The inventory holds the specification's fleet.
run "$rollout" inventory summary --json inventory/sapporo.yml
if [ "$crashed" -eq 0 ] && [ "$rc" -eq 0 ] && python3 - "$tmp/out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
want = {"sites": 22, "hosts": 182, "cs": 2, "terminals": 180}
bad = [f"{k}={s.get(k)} (want {v})" for k, v in want.items() if s.get(k) != v]
models = s.get("models", {})
for m, n in (("ESPRIMO D6012/N", 130), ("ESPRIMO D7014/R", 50), ("PRIMERGY RX2540 M7", 2)):
    if models.get(m) != n:
        bad.append(f"{m}={models.get(m)} (want {n})")
roles = s.get("roles", {})
if roles.get("cs-active") != 1 or roles.get("cs-standby") != 1:
    bad.append(f"roles={roles}")
if bad:
    print("; ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
then
	pass "inventory summary: 22 sites, 182 hosts, 2 CS, 130 D6012/N, 50 D7014/R"
else
	fail "inventory summary" "counts differ from the specification (exit $rc)"
fi

# 3. Every site of the specification is present, in order, with its terminal count.
run "$rollout" inventory summary --json inventory/sapporo.yml
if [ "$crashed" -eq 0 ] && [ "$rc" -eq 0 ] && python3 - "$tmp/out" <<'PY'
import json, sys
want = [("city-hall", 2), ("chuo", 15), ("kita", 17), ("higashi", 16), ("shiroishi", 12),
        ("atsubetsu", 11), ("toyohira", 14), ("kiyota", 11), ("minami", 11), ("nishi", 13),
        ("teine", 11), ("odori", 2), ("mynumber-1", 10), ("mynumber-2", 20),
        ("mail-center", 1), ("kikusui", 3), ("chuo-tax", 2), ("hokubu-tax", 2),
        ("tobu-tax", 2), ("nanbu-tax", 2), ("seibu-tax", 2), ("shinoro", 3)]
got = [(p["site"], p["hosts"]) for p in json.load(open(sys.argv[1])).get("per_site", [])]
if got != want:
    print(f"per-site hosts {got}", file=sys.stderr)
    sys.exit(1)
PY
then
	pass "inventory summary: per-site host counts"
else
	fail "inventory summary per site" "per-site counts differ from the specification"
fi

# 4. Plans are deterministic: the same campaign twice gives the same bytes and hash.
campaign=playbooks/campaigns/2026-10-os-update.yml
run "$rollout" plan "$campaign"
rc1=$rc; c1=$crashed; cp "$tmp/out" "$tmp/plan1"
run "$rollout" plan "$campaign"
rc2=$rc; c2=$crashed; cp "$tmp/out" "$tmp/plan2"
if [ "$c1" -eq 0 ] && [ "$c2" -eq 0 ] && [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] &&
   [ -s "$tmp/plan1" ] && cmp -s "$tmp/plan1" "$tmp/plan2"; then
	pass "plan $campaign: identical output twice"
else
	fail "plan $campaign" "exit $rc1/$rc2 or the two outputs differ"
fi
h1=$(grep -oiE '[0-9a-f]{64}' "$tmp/plan1" | tail -n 1)
h2=$(grep -oiE '[0-9a-f]{64}' "$tmp/plan2" | tail -n 1)
if [ -n "$h1" ] && [ "$h1" = "$h2" ]; then
	pass "plan $campaign: identical hash $h1"
else
	fail "plan $campaign hash" "no hash printed, or '$h1' != '$h2'"
fi

# 5. Every shipped campaign has a plan.
for f in playbooks/campaigns/*.yml; do
	[ -e "$f" ] || continue
	run "$rollout" plan "$f"
	if [ "$crashed" -eq 0 ] && [ "$rc" -eq 0 ] && [ -s "$tmp/out" ]; then
		pass "plan $f"
	else
		fail "plan $f" "exit $rc"
	fi
done

# 6. The incident campaigns narrow the playbook's targets to exactly their one host, in one
# wave that waits for an approval.
for pair in 2026-11-log-collection-kita-t05:kita-t05 2026-11-ip-change-chuo-t03:chuo-t03 \
    2026-11-touch-panel-higashi-t02:higashi-t02; do
	f=playbooks/campaigns/${pair%%:*}.yml
	want=${pair#*:}
	run "$rollout" plan --json "$f"
	if [ "$crashed" -eq 0 ] && [ "$rc" -eq 0 ] && python3 - "$tmp/out" "$want" 2>>"$tmp/err" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
hosts = [h for w in p["waves"] for s in w["sites"] for h in s["hosts"]]
bad = []
if hosts != [sys.argv[2]] or p.get("hosts") != 1:
    bad.append(f"hosts {hosts} (total {p.get('hosts')}), want [{sys.argv[2]}]")
if not all(w["gated"] for w in p["waves"]):
    bad.append("a wave is not gated")
if bad:
    print("; ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
	then
		pass "plan $f: exactly $want, gated"
	else
		fail "plan $f" "does not plan exactly $want in gated waves (exit $rc)"
	fi
done

# 7. Used without narrowing, an incident playbook is refused: its max_hosts makes the
# campaign name the hosts (exit 2, pointing at the limit), so it can never hit the fleet.
for pb in log-collection ip-change touch-panel-recovery; do
	case $pb in
	log-collection) params='params: {incident: test}' ;;
	ip-change) params='params: {new_ip: 127.10.2.103, prefix: 24, gateway: 127.10.2.254, dns: 127.10.0.53}' ;;
	*) params='' ;;
	esac
	printf 'campaign: unnarrowed-%s\ninventory: %s/inventory/sapporo.yml\nplaybooks: [%s/playbooks/%s.yml]\n%s\nstart: 2026-11-04\n' \
	    "$pb" "$PWD" "$PWD" "$pb" "$params" >"$tmp/unnarrowed.yml"
	run "$rollout" plan "$tmp/unnarrowed.yml"
	if [ "$crashed" -eq 0 ] && [ "$rc" -eq 2 ] && grep -q "may touch at most" "$tmp/err"; then
		pass "$pb without narrowing: refused"
	else
		fail "$pb without narrowing" "not refused with 'may touch at most' (exit $rc)"
	fi
done

# 8. Planner v2: the October 2026 combined campaign fits 14 days from 2026-10-05, does no
# work on Sports Day (2026-10-12) and never has more of a site's terminals out than its
# limit; the March 2027 J-LIS update (skew: none) puts all 182 hosts inside the closed-office
# window of the Vernal Equinox weekend; --html writes one self-contained page.
run "$rollout" plan --json --html "$tmp/plan.html" playbooks/campaigns/2026-10-combined.yml
if [ "$crashed" -eq 0 ] && [ "$rc" -eq 0 ] && python3 - "$tmp/out" 2>>"$tmp/err" <<'PY'
import json, sys, datetime as dt
p = json.load(open(sys.argv[1]))
assert p["format"] == "rollout-plan/2", p["format"]
sch = p["schedule"]
t = dt.datetime.fromisoformat
first, end = t(sch["first_start"]), t(sch["end"])
assert first == t("2026-10-05T08:45:00+09:00"), first
assert end <= t("2026-10-19T00:00:00+09:00"), end
spans = {}
n = 0
for w in p["waves"]:
    for s in w["sites"]:
        for h, (a, b) in zip(s["hosts"], s["times"]):
            a, b = t(a), t(b)
            n += 1
            assert not (a.date() <= dt.date(2026, 10, 12) <= (b - dt.timedelta(seconds=1)).date()), h
            assert a.weekday() < 5 and a.time() >= dt.time(8, 45) and b.time() <= dt.time(17, 15) and a.date() == b.date(), h
            spans.setdefault(s["site"], (s["limit"], []))[1].append((a, b))
assert n == 182, n
for site, (limit, v) in spans.items():
    for a, _ in v:
        out = sum(1 for x, y in v if x <= a < y)
        assert out <= limit, (site, a, out, limit)
PY
then
	pass "plan 2026-10-combined: within 14 days, nothing on 2026-10-12, site limits kept"
else
	fail "plan 2026-10-combined timing" "exit $rc"
fi
if [ -s "$tmp/plan.html" ] && grep -q '2026年10月5日(月)' "$tmp/plan.html" &&
   ! grep -qiE '<script|<link|src=|https?:' "$tmp/plan.html"; then
	pass "plan --html: self-contained page with Japanese dates"
else
	fail "plan --html" "missing, not self-contained, or no Japanese date"
fi
run "$rollout" plan --json playbooks/campaigns/2027-03-jlis-app-update.yml
if [ "$crashed" -eq 0 ] && [ "$rc" -eq 0 ] && python3 - "$tmp/out" 2>>"$tmp/err" <<'PY'
import json, sys, datetime as dt
p = json.load(open(sys.argv[1]))
t = dt.datetime.fromisoformat
lo, hi = (t(x) for x in p["schedule"]["closed_window"])
assert lo == t("2027-03-20T00:00:00+09:00") and hi == t("2027-03-23T08:45:00+09:00"), (lo, hi)
n = 0
for w in p["waves"]:
    for s in w["sites"]:
        for a, b in s["times"]:
            assert lo <= t(a) and t(b) <= hi
            n += 1
assert n == 182, n
PY
then
	pass "plan 2027-03-jlis-app-update: all 182 hosts inside 2027-03-20 .. 03-23 08:45"
else
	fail "plan 2027-03-jlis-app-update window" "exit $rc"
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
