#!/bin/sh
# Usage: scenario_errors.sh MERIDIAN_SIM — bad scenario files fail cleanly.
set -u
sim=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

expect_error() {  # expect_error NAME TEXT EXPECTED_SUBSTRING
  printf '%s\n' "$2" > "$work/$1.scn"
  out=$("$sim" "$work/$1.scn" 2>&1)
  rc=$?
  if [ $rc -ne 2 ] || ! printf '%s' "$out" | grep -qF "$3"; then
    echo "FAIL: $1: exit $rc, output: $out (wanted '$3')" >&2
    status=1
  fi
}

expect_error no-server 'duration = 1h' 'no [server] section'
expect_error bad-key2 '[server a]
colour = blue' "bad-key2.scn:2: unknown key 'colour'"
expect_error bad-jitter '[link]
jitter = gamma 1ms
[server a]' "bad-jitter.scn:2: jitter: unknown distribution 'gamma'"
expect_error bad-duration 'duration = soon
[server a]' "bad-duration.scn:1: duration"
expect_error bad-link '[link z]
delay = 1ms
[server a]' "[link z] names no server"
expect_error bad-section '[clinet]' "unknown section [clinet]"
# Scale scenarios ([clients]).
expect_error conf-no-clients '[server a]
conf = discard average 3' "conf-no-clients.scn:2: conf: only in scale scenarios"
expect_error conf-directive '[server a]
conf = server 192.0.2.9
[clients c]
address = 10.0.0.1' "conf-directive.scn:2: conf: only restrict, unrestrict, discard and mru"
expect_error conf-flag '[server a]
conf = discard average 3
conf = restrict default bogusflag
[clients c]
address = 10.0.0.1' "conf-flag.scn:3: conf: restrict: unknown flag 'bogusflag'"
expect_error clients-kind '[server a]
[clients c]
address = 10.0.0.1
kind = robot' "clients-kind.scn:4: kind: expected engine or generator"
expect_error clients-two-servers '[server a]
[server b]
[clients c]
address = 10.0.0.1' "exactly one [server]"
expect_error clients-overlap '[server a]
[clients c]
address = 10.0.0.1
count = 10
[clients d]
address = 10.0.0.10' "clients-overlap.scn:5: [clients d]: addresses overlap [clients c]"
expect_error clients-no-address '[server a]
[clients c]
count = 3' "[clients c]: address (the first client's) is required"
expect_error clients-range '[server a]
[clients c]
address = 10.0.0.1
offset = 1 -1' "clients-range.scn:4: offset: expected VALUE or LOW HIGH"
exit $status
