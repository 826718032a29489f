#!/usr/bin/env bash
# tests/interop/ntpdate_port123_busy.sh BIN_DIR PEERS_DIR
#
# Tests that Meridian's ntpdate (without -u) still works while another NTP
# daemon holds UDP port 123 - the classic ntpdate's "the NTP socket is in
# use, exiting" pain. Expected: exit 0, the classic server/adjust lines, and
# on stderr the note
#   ` D Mon HH:MM:SS ntpdate[PID]: port 123 is in use (another NTP daemon?); using an unprivileged source port`
# and never "the NTP socket is in use, exiting".
#   A. real chronyd holds 127.0.0.1:123 and is the server queried
#      (`ntpdate -q 127.0.0.1`).
#      Caveat: chronyd sets SO_REUSEADDR on its NTP socket, so port 123 is
#      only "in use" for an ntpdate that does NOT set SO_REUSEADDR on its
#      port-123 socket (classic ntpdate doesn't; ours mustn't either, or it
#      would share the daemon's port).
#   B. real NTPsec ntpd holds 127.0.0.1:123 and ::1:123 exclusively (no
#      SO_REUSEADDR, like a system ntpd), while the server queried is a
#      chronyd on 198.18.0.2:123 (`ntpdate -q 198.18.0.2`).
#
# Safety: needs root for `ip netns`. Each case runs in its own namespace
# (meridian-busy{a,b}-$$, deleted on exit with /etc/netns/NAME), so port 123
# of the host is never touched. The daemons run under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (clock writes fail
# with EPERM), chronyd also with -x; `ntpdate -q` never sets the clock. An
# EXIT trap kills the daemons and anything left in the namespaces.
# Takes about 12 s (two 4-sample ntpdate runs of ~6 s each).
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpdate_port123_busy
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
require_root
setup_bin "$1"
setup_peers "$2"
require_tools ip setpriv ss timeout awk
make_workdir

NOTE="port 123 is in use"
NOTE_LINE="^${RE_PREFIX}port 123 is in use \\(another NTP daemon\\?\\); using an unprivileged source port\$"
CLASSIC_ERR="the NTP socket is in use, exiting"

check_busy_run() { # check_busy_run SERVER STRATUM LABEL
  assert_rc 0 "$3: ntpdate -q $1 with port 123 busy"
  check_query_output "$1" "$2" 0.01 0.05
  assert_contains "$RUN_ERR" "$NOTE" "$3: stderr says '$NOTE'"
  assert_line "$RUN_ERR" "$NOTE_LINE" "$3: note has the classic prefix and full wording"
  assert_not_contains "$RUN_OUT" "$CLASSIC_ERR" "$3: stdout has no '$CLASSIC_ERR'"
  assert_not_contains "$RUN_ERR" "$CLASSIC_ERR" "$3: stderr has no '$CLASSIC_ERR'"
}

# ------------------------------------------- A: chronyd on 127.0.0.1:123
NSA="meridian-busya-$$"
netns_create "$NSA"
start_chronyd chronyd-a "$NSA" 127.0.0.1 123 10
udp_port_held_by "$NSA" 127.0.0.1 123 "$DAEMON_PID" || fail "A: chronyd does not hold 127.0.0.1:123"
pass "A: chronyd (pid $DAEMON_PID) holds UDP 127.0.0.1:123"
run_cmd 15 "$NSA" "$NTPDATE" -q 127.0.0.1
check_busy_run 127.0.0.1 10 A
_alive_or_fail "$DAEMON_PID" chronyd

# ------------- B: NTPsec on 127.0.0.1:123 + ::1:123, chronyd on 198.18.0.2:123
NSB="meridian-busyb-$$"
UP=198.18.0.2
netns_create "$NSB"
netns_add_local_addr "$NSB" "$UP"
start_chronyd chronyd-b "$NSB" "$UP" 123 10
start_ntpsec ntpsec-b "$NSB"          # no server: it only holds the port
udp_port_held_by "$NSB" 127.0.0.1 123 "$DAEMON_PID" || fail "B: NTPsec does not hold 127.0.0.1:123"
pass "B: NTPsec ntpd (pid $DAEMON_PID) holds UDP 127.0.0.1:123"
run_cmd 15 "$NSB" "$NTPDATE" -q "$UP"
check_busy_run "$UP" 10 B
_alive_or_fail "$DAEMON_PID" "NTPsec ntpd"

finish
