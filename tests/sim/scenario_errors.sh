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
exit $status
