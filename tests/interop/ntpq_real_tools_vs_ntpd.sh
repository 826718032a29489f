#!/usr/bin/env bash
# tests/interop/ntpq_real_tools_vs_ntpd.sh BIN_DIR PEERS_DIR
#
# The operator guide's two checks against OUR ntpd, with the REAL tools
# (NTPsec 1.2.2's ntpq from python3-ntp, Debian's ntpstat 0.0.0.1) and with
# ours, over mode 6 (RFC 9327). Those tools only talk to port 123, so
# everything runs in a private network namespace:
#   server ntpd (ours, local clock driver, stratum 3) on 127.0.0.1:11123
#   client ntpd (ours) on port 123, `server 127.0.0.1 port 11123 iburst`
#   (a) right after start: Debian ntpstat exits 1 "unsynchronised";
#       NTPsec ntpq -c rv shows leap_alarm.
#   (b) once synchronised (≤ 20 s): Debian ntpstat exits 0 with the classic
#       three lines; NTPsec ntpq -p / -pn / -c rv / -c as / -c mrulist parse
#       our answers; our ntpq -p and ntpstat print the classic layout.
#   (c) the client daemon stopped: Debian ntpstat exits 2 with
#       "Unable to talk to NTP daemon. Is it running?".
# Safety: root for `ip netns`; both daemons are ours with --clock virtual
# under setpriv without CAP_SYS_TIME; the namespace is deleted on exit.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpq_real_tools_vs_ntpd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
require_root
setup_bin "$1"
setup_ntpd "$1"
setup_peers "$2"
require_tools ip setpriv ss timeout awk
make_workdir
BIN=$(cd -- "$1" && pwd -P)
OUR_NTPQ="$BIN/ntpq"
OUR_NTPSTAT="$BIN/ntpstat"
[[ -x $OUR_NTPQ && -x $OUR_NTPSTAT ]] || fail "ntpq/ntpstat not built in $BIN"
PP="$PEERS/ntpsec/usr/lib/python3/dist-packages"
REAL_NTPQ=(env "PYTHONPATH=$PP" /usr/bin/python3 "$PEERS/ntpsec/usr/bin/ntpq")
[[ -f $PEERS/ntpsec/usr/bin/ntpq ]] || fail "NTPsec ntpq missing in $PEERS (fetch-interop-peers.sh)"
REAL_NTPSTAT="$PEERS/ntpstat/usr/bin/ntpstat"
[[ -x $REAL_NTPSTAT ]] || REAL_NTPSTAT=""

NS="meridian-ntpq-$$"
netns_create "$NS"

cat >"$WORK/server.conf" <<CONF
restrict default kod limited nomodify notrap nopeer noquery
restrict 127.0.0.1
server 127.127.1.0
fudge 127.127.1.0 stratum 2
CONF
cat >"$WORK/client.conf" <<CONF
restrict default kod limited nomodify notrap nopeer noquery
restrict 127.0.0.1
server 127.0.0.1 port 11123 iburst
CONF
start_meridian_ntpd server "$NS" "$WORK/server.conf" 11123
start_meridian_ntpd client "$NS" "$WORK/client.conf" 123
CLIENT_PID=$DAEMON_PID

# (a) unsynchronised
if [[ -n $REAL_NTPSTAT ]]; then
  run_cmd 10 "$NS" "$REAL_NTPSTAT"
  if [[ $RUN_RC == 0 ]]; then
    skip "client synchronised before the first ntpstat (unsynchronised state not observed)"
  else
    assert_rc 1 "Debian ntpstat, unsynchronised"
    assert_line "$RUN_OUT" '^unsynchronised$' "Debian ntpstat line 1"
    assert_line "$RUN_OUT" '^   polling server every [0-9]+ s$' "Debian ntpstat polling line"
  fi
else
  skip "Debian ntpstat not unpacked (scripts/fetch-interop-peers.sh)"
fi
run_cmd 15 "$NS" "${REAL_NTPQ[@]}" -c rv 127.0.0.1
assert_rc 0 "NTPsec ntpq -c rv"
assert_line "$RUN_OUT" '^associd=0 status=[0-9a-f]{4} leap_(alarm|none), sync_(unspec|ntp), ' \
  "NTPsec ntpq decodes our system status"

# (b) synchronised
synced() { "${_NS_PRE[@]}" "$OUR_NTPSTAT" -t 1 >/dev/null 2>&1; }
_ns_prefix "$NS"
wait_for 20 0.3 "our client ntpd to synchronise" synced || fail "client never synchronised"
pass "client synchronised after $(elapsed) s"

if [[ -n $REAL_NTPSTAT ]]; then
  run_cmd 10 "$NS" "$REAL_NTPSTAT"
  assert_rc 0 "Debian ntpstat, synchronised"
  assert_line "$RUN_OUT" '^synchronised to NTP server \(127\.0\.0\.1\) at stratum 4 $' \
    "Debian ntpstat line 1"
  assert_line "$RUN_OUT" '^   time correct to within [0-9]+ ms$' "Debian ntpstat line 2"
  assert_line "$RUN_OUT" '^   polling server every [0-9]+ s$' "Debian ntpstat line 3"
fi
run_cmd 10 "$NS" "$OUR_NTPSTAT"
assert_rc 0 "our ntpstat, synchronised"
assert_line "$RUN_OUT" '^synchronised to NTP server \(127\.0\.0\.1\) at stratum 4 $' "our ntpstat line 1"

run_cmd 15 "$NS" "${REAL_NTPQ[@]}" -p 127.0.0.1
assert_rc 0 "NTPsec ntpq -p"
assert_line "$RUN_OUT" '^\*localhost +[0-9.]+ +3 u ' "NTPsec ntpq -p: our system peer row"
run_cmd 15 "$NS" "${REAL_NTPQ[@]}" -pn 127.0.0.1
assert_line "$RUN_OUT" '^\*127\.0\.0\.1 +[0-9.]+ +3 u ' "NTPsec ntpq -pn"
run_cmd 15 "$NS" "${REAL_NTPQ[@]}" -c rv 127.0.0.1
assert_line "$RUN_OUT" '^associd=0 status=0615 leap_none, sync_ntp, 1 event, clock_sync,$' \
  "NTPsec ntpq -c rv status line"
assert_line "$RUN_OUT" 'stratum=4' "NTPsec ntpq -c rv stratum"
run_cmd 15 "$NS" "${REAL_NTPQ[@]}" -c as 127.0.0.1
assert_line "$RUN_OUT" '^  1     1  b61a   yes   yes  none  sys.peer    sys_peer  1$' \
  "NTPsec ntpq -c as"
run_cmd 15 "$NS" "${REAL_NTPQ[@]}" -c "rv &1" 127.0.0.1
assert_line "$RUN_OUT" '^srcadr=127\.0\.0\.1, srcport=11123, ' "NTPsec ntpq -c 'rv &1'"

# mrulist: something must have sent the client daemon NTP traffic first.
run_cmd 10 "$NS" "$NTPDATE" -q -p 1 -t 0.5 127.0.0.1
run_cmd 20 "$NS" "${REAL_NTPQ[@]}" -n -c mrulist 127.0.0.1
assert_rc 0 "NTPsec ntpq -c mrulist (nonce handshake)"
assert_line "$RUN_OUT" ' 3 4 .*127\.0\.0\.1$' "NTPsec ntpq mrulist shows the ntpdate client"

run_cmd 10 "$NS" "$OUR_NTPQ" -p
assert_rc 0 "our ntpq -p"
assert_line "$RUN_OUT" '^     remote           refid      st t when poll reach   delay   offset  jitter$' \
  "our ntpq -p header"
assert_line "$RUN_OUT" '^={78}$' "our ntpq -p rule"
# The upstream serves from its local clock driver: refid 127.127.1.0, which
# our ntpq (like classic ntpq, unlike NTPsec's) shows as LOCAL(0).
assert_line "$RUN_OUT" '^\*localhost +LOCAL\(0\) +3 u ' "our ntpq -p row"

# (c) no daemon
stop_daemon "$CLIENT_PID"
if [[ -n $REAL_NTPSTAT ]]; then
  run_cmd 15 "$NS" "$REAL_NTPSTAT"
  assert_rc 2 "Debian ntpstat, no daemon"
  grep -qF "Unable to talk to NTP daemon. Is it running?" "$RUN_OUT" "$RUN_ERR" \
    || fail "Debian ntpstat: classic message missing"
  pass "Debian ntpstat: classic 'Unable to talk' message"
fi
run_cmd 15 "$NS" "$OUR_NTPSTAT"
assert_rc 2 "our ntpstat, no daemon"
assert_contains "$RUN_ERR" "Unable to talk to NTP daemon. Is it running?" "our ntpstat message"
finish
