#!/usr/bin/env bash
# Password authentication through the engine's transport (no key offered):
# the simulated host's administrator password logs in, a wrong one is
# refused as an authentication failure, and no message carries a password.
. "$(dirname "$0")/lib.sh"
login=$(dirname "$WAIT_FILE")/password-login
kh=$STATE/known_hosts
addr=$(awk '$1 == "kita-t02" { print $2 }' "$WORK/enroll.log")
host=${addr%:*}
out=$(printf 'Init1al-Pass!\n' | "$login" "$kh" "$host" "$(port)" Administrator whoami) && rc=0 || rc=$?
check "the right password logs in and runs the command ($out)" \
	bash -c "[ $rc = 0 ] && [[ \"\${0,,}\" == *'kita-t02\\administrator'* ]]" "$out"
out=$(printf 'Wrong-Pass-42\n' | "$login" "$kh" "$host" "$(port)" Administrator whoami) && rc=0 || rc=$?
check "a wrong password is an authentication failure that points at the vault (exit $rc: $out)" \
	bash -c "[ $rc = 3 ] && [[ \"\$0\" == *'check the password the vault holds'* ]]" "$out"
check "the refusal does not show the password" bash -c "[[ \"\$0\" != *'Wrong-Pass-42'* ]]" "$out"
finish
