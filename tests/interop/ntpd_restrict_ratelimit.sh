#!/usr/bin/env bash
# tests/interop/ntpd_restrict_ratelimit.sh BIN_DIR PEERS_DIR
#
# Access control of Meridian's ntpd as seen from real clients (our ntpdate,
# an independent raw mode-3 probe from lib.sh). Every case writes its own
# ntp.conf (local clock driver, stratum 10 -> serves stratum 11), checks it
# with `ntpd --check -c`, starts a fresh ntpd (fresh rate-limit state) on an
# unprivileged port and stops it afterwards:
#   (a1) `restrict default kod limited` + `discard average 3 minimum 2`:
#        `ntpdate -d -q -p 8 --interval 0.1 -t 0.3` (8 requests, 0.1 s apart)
#        gets the first request answered (stratum 11 sample), then a RATE
#        kiss-o'-death: stderr names "RATE" and ntpdate stops sending
#        ("not sending more requests"), fewer than 8 transmits.
#   (a2) same config, fresh daemon, two raw probes back to back: the first
#        is answered at stratum 11, the second with a KoD (stratum 0, refid
#        RATE), a third gets nothing (at most one KoD per 2^average s).
#   (a3) `restrict default limited` (no kod) + same discard: the same burst
#        gets exactly one answer, the 7 other requests time out (no reply at
#        all, no "RATE").
#   (b)  `restrict 127.0.0.1 ignore`: `ntpdate -d -q -p 1 -t 0.3 127.0.0.1`
#        exits 1 "no server suitable for synchronization found" and its -d
#        trace shows no reply at all (no KoD either); ::1 (not
#        restricted) is answered at stratum 11 (the daemon is up).
#   (c)  `restrict 127.0.0.1 noserve`: same.
#   (d)  `restrict default version`: `ntpdate -o 3` gets no reply (exit 1),
#        `ntpdate -o 4` is answered.
#   (e)  `interface ignore all` + `interface listen ::1` (NTPsec style):
#        ntpd logs "ignoring 127.0.0.1 on lo" and "serving ::1 on lo";
#        127.0.0.1 unanswered (ntpdate exit 1), ::1 answered.
#
# Safety: no root needed. Our ntpd runs with --clock virtual under `setpriv
# --bounding-set=-sys_time --inh-caps=-sys_time` (any clock write fails with
# EPERM) on an unprivileged port; all traffic is to 127.0.0.1 and ::1; the
# burst is bounded (≤ 8 requests). An EXIT trap kills the daemon and removes
# the temp dir. Takes about 8 s; each ntpdate run is bounded by a timeout.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpd_restrict_ratelimit
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
setup_bin "$1"
setup_ntpd "$1"
require_tools setpriv ss timeout awk
make_workdir

PORT=$(free_udp_port "") || fail "no free UDP port found"
NTPD_PID=""
SERVER_LINE="^server %s, stratum 11, offset $RE_NUM_OFF, delay $RE_NUM_DELAY\$"

# with_config CASE LINE... : writes $WORK/CASE.conf, --check, (re)starts ntpd.
with_config() {
  local case=$1; shift
  local conf="$WORK/$case.conf" l
  [[ -z $NTPD_PID ]] || stop_daemon "$NTPD_PID"
  {
    echo "# $TEST_NAME ($case)"
    echo "driftfile $WORK/$case.drift"
    echo "server 127.127.1.0"
    echo "fudge 127.127.1.0 stratum 10"
    for l in "$@"; do echo "$l"; done
  } >"$conf"
  log "---- case $case: ntp.conf:"
  sed 's/^/    | /' "$conf"
  check_ntpd_conf "$conf"
  start_meridian_ntpd "$case" "" "$conf" "$PORT"
  NTPD_PID=$DAEMON_PID
}

# expect_answer DESC ADDR NTPDATE_ARGS... : ntpdate -q -p 1 -t 0.3 answered at stratum 11
expect_answer() {
  local desc=$1 addr=$2; shift 2
  run_cmd 10 "" "$NTPDATE" -q -p 1 -t 0.3 "$@" --port "$PORT" "$addr"
  assert_rc 0 "$desc"
  # shellcheck disable=SC2059
  assert_line "$RUN_OUT" "$(printf "$SERVER_LINE" "$(re_quote "$addr")")" "$desc: stratum 11"
}

# expect_no_answer DESC ADDR NTPDATE_ARGS... : exit 1, "no server suitable",
# and (-d trace) no reply of any kind (not even a kiss-o'-death) arrived.
expect_no_answer() {
  local desc=$1 addr=$2; shift 2
  run_cmd 10 "" "$NTPDATE" -d -q -p 1 -t 0.3 "$@" --port "$PORT" "$addr"
  assert_rc 1 "$desc"
  assert_contains "$RUN_OUT" "transmit($addr)" "$desc: request sent"
  assert_not_contains "$RUN_OUT" "receive(" "$desc: no reply at all (silently dropped)"
  assert_contains "$RUN_ERR" "no server suitable for synchronization found" \
    "$desc: no server suitable for synchronization found"
  assert_not_contains "$RUN_OUT" "adjust time server" "$desc: no adjust line"
}

count() { grep -c -- "$1" "$2" || true; }

BURST=(-d -q -p 8 --interval 0.1 -t 0.3 --port "$PORT" 127.0.0.1)
RATE_CONF=("discard average 3 minimum 2")

# ---------------------------------------------------------------- (a1)
with_config a1-kod "restrict default kod limited" "restrict -6 default kod limited" "${RATE_CONF[@]}"
run_cmd 15 "" "$NTPDATE" "${BURST[@]}"
tx=$(count '^transmit(127\.0\.0\.1)' "$RUN_OUT")
rx_ok=$(grep -A1 '^receive(127\.0\.0\.1): .*stratum 11' "$RUN_OUT" | grep -c '^  offset ' || true)
log "burst: $tx transmits, $rx_ok answers used as samples"
[[ $rx_ok -ge 1 ]] || fail "(a1) the first request of the burst was not answered at stratum 11"
pass "(a1) first request(s) answered: $rx_ok sample(s) at stratum 11"
assert_contains "$RUN_ERR" "RATE" "(a1) ntpdate reports a RATE kiss-o'-death on stderr"
assert_line "$RUN_OUT" '^receive\(127\.0\.0\.1\): leap 3, version 4, mode 4, stratum 0, refid RATE$' \
  "(a1) the KoD on the wire: leap 3, stratum 0, refid RATE"
[[ $tx -lt 8 ]] || fail "(a1) ntpdate sent all $tx requests despite the KoD"
pass "(a1) ntpdate stopped after the KoD ($tx of 8 requests sent)"

# ---------------------------------------------------------------- (a2)
with_config a2-kod-probe "restrict default kod limited" "${RATE_CONF[@]}"
T_P1=${EPOCHREALTIME/./}
ntp_probe "" 127.0.0.1 "$PORT" || fail "(a2) first raw probe: no answer"
log "(a2) raw probe 1: $PROBE_LINE"
[[ $PROBE_STRATUM == 11 ]] || fail "(a2) first raw probe: expected stratum 11, got $PROBE_LINE"
pass "(a2) raw probe 1 answered: $PROBE_LINE"
P2_OK=0; ntp_probe "" 127.0.0.1 "$PORT" && P2_OK=1
GAP_MS=$(( (${EPOCHREALTIME/./} - T_P1) / 1000 ))
# The server rounds the spacing to whole seconds (classic): two probes less
# than 0.5 s apart violate `minimum 2`. Only a badly overloaded machine
# could space these two bash probes further apart.
if [[ $GAP_MS -ge 450 ]]; then
  skip "(a2) probes 1 and 2 took ${GAP_MS} ms (machine overloaded): KoD checks skipped"
else
  [[ $P2_OK == 1 ]] || fail "(a2) second raw probe (${GAP_MS} ms after the first): no answer, expected a RATE KoD"
  log "(a2) raw probe 2 (${GAP_MS} ms after probe 1): $PROBE_LINE"
  [[ $PROBE_STRATUM == 0 && $PROBE_REFID == RATE ]] \
    || fail "(a2) second raw probe: expected stratum 0 refid RATE, got $PROBE_LINE"
  pass "(a2) raw probe 2 got the KoD: $PROBE_LINE"
  if ntp_probe "" 127.0.0.1 "$PORT"; then
    fail "(a2) third raw probe answered ($PROBE_LINE); expected silence after a KoD"
  fi
  pass "(a2) raw probe 3: no answer (one KoD per 2^average s)"
fi

# ---------------------------------------------------------------- (a3)
with_config a3-limited "restrict default limited" "restrict -6 default limited" "${RATE_CONF[@]}"
run_cmd 15 "" "$NTPDATE" "${BURST[@]}"
tx=$(count '^transmit(127\.0\.0\.1)' "$RUN_OUT")
rx=$(count '^receive(127\.0\.0\.1)' "$RUN_OUT")
to=$(count '^timeout(127\.0\.0\.1)' "$RUN_OUT")
log "burst: $tx transmits, $rx replies, $to timeouts"
[[ $tx == 8 ]] || fail "(a3) expected 8 transmits, saw $tx"
[[ $rx == 1 ]] || fail "(a3) expected exactly 1 reply (the first request), saw $rx"
pass "(a3) exactly one of 8 requests answered"
[[ $to == 7 ]] || fail "(a3) expected 7 timeouts, saw $to"
pass "(a3) the 7 excess requests got no reply at all"
assert_not_contains "$RUN_ERR" "RATE" "(a3) no RATE kiss-o'-death without kod"
assert_not_contains "$RUN_OUT" "refid RATE" "(a3) no KoD on the wire without kod"

# ---------------------------------------------------------------- (b)
with_config b-ignore "restrict 127.0.0.1 ignore"
expect_no_answer "(b) restrict 127.0.0.1 ignore: ntpdate 127.0.0.1" 127.0.0.1
expect_answer "(b) restrict 127.0.0.1 ignore: ntpdate ::1 (unrestricted)" ::1

# ---------------------------------------------------------------- (c)
with_config c-noserve "restrict 127.0.0.1 noserve"
expect_no_answer "(c) restrict 127.0.0.1 noserve: ntpdate 127.0.0.1" 127.0.0.1
expect_answer "(c) restrict 127.0.0.1 noserve: ntpdate ::1 (unrestricted)" ::1

# ---------------------------------------------------------------- (d)
with_config d-version "restrict default version" "restrict -6 default version"
expect_no_answer "(d) restrict default version: ntpdate -o 3 127.0.0.1" 127.0.0.1 -o 3
expect_answer "(d) restrict default version: ntpdate -o 4 127.0.0.1" 127.0.0.1 -o 4

# ---------------------------------------------------------------- (e)
with_config e-interface "interface ignore all" "interface listen ::1"
wait_for 3 0.05 "ntpd to log its interface decisions" grep -qF "serving ::1 on lo" "$DAEMON_LOG" || true
assert_contains "$DAEMON_LOG" "ignoring 127.0.0.1 on lo" "(e) ntpd logs 'ignoring 127.0.0.1 on lo'"
assert_contains "$DAEMON_LOG" "serving ::1 on lo" "(e) ntpd logs 'serving ::1 on lo'"
expect_no_answer "(e) interface listen ::1 only: ntpdate 127.0.0.1" 127.0.0.1
expect_answer "(e) interface listen ::1 only: ntpdate ::1" ::1

_alive_or_fail "$NTPD_PID" "Meridian ntpd"
finish
