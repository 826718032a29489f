#!/bin/sh
# Usage: scale_detects.sh MERIDIAN_SIM — the scale checks catch a server that
# refuses compliant clients or lets an abusive one through, and pass when it
# does not. The server is configured to fail on purpose:
#  * its MRU table (8 entries) is flushed by 400 compliant scripts (50
#    requests/s), so two scripts polling every 4 s are forgotten between
#    requests and never limited;
#  * a compliant script whose network duplicates every request has the copy
#    limited (it arrives microseconds after the original): a KoD to a
#    compliant client.
# The control run gives the server a 4096-entry table and no duplication.
set -u
sim=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

cat > "$work/bad.scn" <<'SCN'
name = scale checks against a misconfigured server
duration = 5min
seeds = 2
[server s]
type = good
conf = restrict default limited kod
conf = discard average 3 minimum 2
conf = mru maxdepth 8 mindepth 4 maxage 64
[clients crowd]
kind = generator
count = 400
address = 10.0.0.1
interval = 8s
start = 0 8s
[clients sneaky]
kind = generator
count = 2
address = 10.1.0.1
interval = 4s
[clients dup]
kind = generator
count = 2
address = 10.2.0.1
interval = 64s
duplicate = 1
[pass]
check = ours.unlimited_abusers == 0
check = ours.refused_compliant == 0
check = ours.kod_to_compliant == 0
check = ours.counter_mismatches == 0
SCN
sed -e 's/mru maxdepth 8 mindepth 4/mru maxdepth 4096 mindepth 600/' -e '/^duplicate/d' \
  "$work/bad.scn" > "$work/good.scn"

expect() {  # expect FILE STATUS LINE...
  file=$1
  want=$2
  shift 2
  out=$("$sim" --check "$work/$file" 2>&1)
  rc=$?
  if [ $rc -ne "$want" ]; then
    echo "FAIL: $file: exit $rc, wanted $want; output:" >&2
    echo "$out" >&2
    status=1
  fi
  for line in "$@"; do
    if ! printf '%s\n' "$out" | grep -qF "$line"; then
      echo "FAIL: $file: no line '$line' in:" >&2
      echo "$out" >&2
      status=1
    fi
  done
}

# 2 seeds × 2 sneaky scripts never limited.
expect bad.scn 1 "FAIL  ours.unlimited_abusers == 0  [4 == 0]" \
  "FAIL  ours.refused_compliant == 0" "FAIL  ours.kod_to_compliant == 0" \
  "PASS  ours.counter_mismatches == 0"
expect good.scn 0 "PASS  ours.unlimited_abusers == 0" "PASS  ours.refused_compliant == 0" \
  "PASS  ours.kod_to_compliant == 0" "PASS  ours.counter_mismatches == 0"
[ $status -eq 0 ] && echo "scale checks fail on a misconfigured server and pass on a sound one"
exit $status
