#!/usr/bin/env bash
# tests/interop/ntpdate_vs_chronyd.sh BIN_DIR PEERS_DIR
#
# Tests Meridian's `ntpdate -q` against a real chronyd (Debian 12's chrony,
# unpacked by scripts/fetch-interop-peers.sh PEERS_DIR) serving on
# 127.0.0.1:<unprivileged port> with `local stratum 10`:
#   1. `ntpdate -q --port P 127.0.0.1`: exit 0, the classic lines
#      `server 127.0.0.1, stratum 10, offset %.6f, delay %.5f` and
#      ` D Mon HH:MM:SS ntpdate[PID]: adjust time server 127.0.0.1 offset %.6f sec`,
#      |offset| < 0.01 s and 0 <= delay < 0.05 s (both sides read one clock);
#   2. `ntpdate -q --port P -p 1 127.0.0.1`: same, with one sample;
#   3. `ntpdate -q --port Q 127.0.0.1` with nothing on Q: exit 1 and
#      `no server suitable for synchronization found` on stderr.
#
# Safety: chronyd runs with -x (no clock control) under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (clock writes fail
# with EPERM); it binds 127.0.0.1 only, on an unprivileged port, so it needs
# no namespace and cannot collide with a system NTP daemon; `ntpdate -q`
# never sets the clock. An EXIT trap kills chronyd and removes the temp dir.
# Takes about 13 s (Meridian ntpdate: ~6 s for 4 samples, ~7 s for the
# closed port); bounded by per-run timeouts of 15 + 10 + 15 s.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpdate_vs_chronyd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
setup_bin "$1"
setup_peers "$2"
require_tools setpriv ss timeout awk
make_workdir

PORT=$(free_udp_port "") || fail "no free UDP port found"
start_chronyd chronyd "" 127.0.0.1 "$PORT" 10
[[ $PROBE_LI == 0 && $PROBE_STRATUM == 10 ]] \
  || fail "chronyd answers $PROBE_LINE, expected li=0 stratum=10"

# 1. default (4 samples)
run_cmd 15 "" "$NTPDATE" -q --port "$PORT" 127.0.0.1
assert_rc 0 "ntpdate -q --port $PORT 127.0.0.1"
check_query_output 127.0.0.1 10 0.01 0.05

# 2. one sample
run_cmd 10 "" "$NTPDATE" -q --port "$PORT" -p 1 127.0.0.1
assert_rc 0 "ntpdate -q --port $PORT -p 1 127.0.0.1"
check_query_output 127.0.0.1 10 0.01 0.05

# 3. nothing listens on CLOSED (ICMP port unreachable / no answer)
CLOSED=$(( PORT + 1 ))
while [[ -n $(ss -Huan "sport = :$CLOSED") && $CLOSED -lt $(( PORT + 50 )) ]]; do
  CLOSED=$(( CLOSED + 1 ))
done
[[ -z $(ss -Huan "sport = :$CLOSED") ]] || fail "no closed UDP port found near $PORT"
run_cmd 15 "" "$NTPDATE" -q --port "$CLOSED" 127.0.0.1
assert_rc 1 "ntpdate -q --port $CLOSED (closed) 127.0.0.1"
assert_contains "$RUN_ERR" "no server suitable for synchronization found" \
  "stderr says no server suitable for synchronization found"
assert_line "$RUN_ERR" "^${RE_PREFIX}no server suitable for synchronization found\$" \
  "classic error line format"
assert_not_contains "$RUN_OUT" "adjust time server" "no adjust line on stdout"

_alive_or_fail "$DAEMON_PID" chronyd
finish
