#!/usr/bin/env bash
# tests/interop/ntpq_ours_vs_ntpsec.sh BIN_DIR PEERS_DIR
#
# OUR ntpq and ntpstat against a real NTPsec 1.2.2 ntpd (Debian 12 package,
# unpacked by scripts/fetch-interop-peers.sh PEERS_DIR) over mode 6
# (RFC 9327). NTPsec synchronises to a real chronyd; all of it inside a
# private network namespace:
#   chronyd  on 198.18.0.2:123 (local stratum 10)
#   NTPsec   on 127.0.0.1:123, `server 198.18.0.2 iburst`, `restrict 127.0.0.1`
#   (a) right after NTPsec starts (LI=3 before and after, else SKIP): our
#       ntpstat exits 1 with "unsynchronised"; our ntpq -pn lists 198.18.0.2.
#   (b) once NTPsec has synchronised (≤ 40 s): our ntpstat exits 0 with
#       "synchronised to NTP server (198.18.0.2) at stratum 11 " - or
#       "synchronised to unspecified at stratum 11 " while NTPsec's status
#       word still says sync_unspec (its loop in freq_mode, clock writes
#       refused) - and line 1 byte-for-byte as Debian's ntpstat prints it; our
#       ntpq -pn / -p show a '*' row for 198.18.0.2 in the classic layout
#       (header and rule compared byte-for-byte with
#       shared/reference/classic-formats.md; the header's columns up to
#       "offset" also byte-for-byte with NTPsec's own capture
#       samples/ntpq-pn-synced.txt, which differs only in the jitter column
#       and 4 decimals); our ntpq -c rv decodes NTPsec's system variables.
#   (c) our ntpstat against a port where nothing listens: exit 2 with
#       "Unable to talk to NTP daemon. Is it running?", in bounded time.
#   (d) NTPsec restarted with `restrict 127.0.0.1 noquery`: our ntpq -p exits
#       non-zero with a clear error within its timeout (no hang), our ntpstat
#       exits 2.
# Safety: needs root for `ip netns`. Everything runs in namespace
# meridian-ntpqsec-$$ (deleted on exit, /etc/netns/NAME too); NTPsec and
# chronyd run under `setpriv --bounding-set=-sys_time --inh-caps=-sys_time`,
# chronyd also with -x. ntpq/ntpstat only read. An EXIT trap kills the
# daemons and anything left in the namespace. Takes about 20-30 s.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpq_ours_vs_ntpsec
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
require_root
setup_bin "$1"
setup_peers "$2"
require_tools ip setpriv ss timeout awk head
make_workdir
BIN=$(cd -- "$1" && pwd -P)
OUR_NTPQ="$BIN/ntpq"
OUR_NTPSTAT="$BIN/ntpstat"
[[ -x $OUR_NTPQ && -x $OUR_NTPSTAT ]] || fail "ntpq/ntpstat not built in $BIN"
REAL_NTPSTAT="$PEERS/ntpstat/usr/bin/ntpstat"   # Debian's, to compare (optional)
[[ -x $REAL_NTPSTAT ]] || REAL_NTPSTAT=""
SRC_DIR=$(cd -- "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
SAMPLE=""
for f in "$SRC_DIR/../shared/reference/samples/ntpq-pn-synced.txt" \
         "/work/shared/reference/samples/ntpq-pn-synced.txt"; do
  [[ -f $f ]] && { SAMPLE=$f; break; }
done

# The classic layout (shared/reference/classic-formats.md, "ntpq -p").
CLASSIC_HEADER='     remote           refid      st t when poll reach   delay   offset  jitter'
CLASSIC_RULE=$(printf '=%.0s' $(seq 1 78))
RE_ROW='^[ x.+#*o-][^ ].{14} .{15} +[0-9]+ [ulsbBaMp] +[0-9-]+[mhd]? +[0-9]+[mhd]? +[0-7]+ +-?[0-9]+\.[0-9]{3} +-?[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$'
# stricter: exactly the classic printf layout %c%-15.15s %-15.15s %2d %c %4.4s %4.4s  %3o  %7.7s %8.7s %7.7s
RE_ROW_STRICT='^[ x.+#*o-].{15} .{15} [ 0-9][0-9] [ulsbBaMp] [ 0-9-]{3}[0-9mhd-] [ 0-9]{3}[0-9mhd]  [ 0-7]{2}[0-7]  [ 0-9.-]{7} [ 0-9.-]{8} [ 0-9.]{7}$'

check_layout() { # check_layout FILE DESC : header + rule of an ntpq -p output
  local h r
  h=$(sed -n 1p "$1"); r=$(sed -n 2p "$1")
  [[ $h == "$CLASSIC_HEADER" ]] || fail "$2: header differs from the classic one: '$h'"
  pass "$2: header byte-for-byte classic"
  [[ $r == "$CLASSIC_RULE" ]] || fail "$2: rule line is not 78 '=': '$r'"
  pass "$2: rule line is 78 '='"
  if [[ -n $SAMPLE ]]; then
    local sh; sh=$(sed -n 1p "$SAMPLE")
    # NTPsec's header: "...   offset   jitter" (79 chars); same columns before.
    [[ ${h%%offset*}offset == "${sh%%offset*}offset" ]] \
      || fail "$2: header columns differ from NTPsec's sample '$sh'"
    pass "$2: header columns up to 'offset' identical to NTPsec's capture"
  fi
}

NS="meridian-ntpqsec-$$"
UP=198.18.0.2
netns_create "$NS" "$UP upstream.test"
netns_add_local_addr "$NS" "$UP"

start_chronyd chronyd "$NS" "$UP" 123 10
CHRONYD_PID=$DAEMON_PID
# `tos maxdist 0.5`: NTPsec selects its source ~9 s after start (see
# ntpdate_vs_ntpsec.sh), which leaves (a) an unsynchronised window.
start_ntpsec ntpsec "$NS" "server $UP iburst" "tos maxdist 0.5"
NTPD_PID=$DAEMON_PID
T_NTPD=${EPOCHREALTIME/./}
since_ntpd() { awk -v d="$(( ${EPOCHREALTIME/./} - T_NTPD ))" 'BEGIN{printf "%.2f", d/1e6}'; }

# ---------------------------------------------------------------- (a)
wait_for 5 0.05 "NTPsec to answer on 127.0.0.1:123" ntp_probe "$NS" 127.0.0.1 123 \
  || fail "NTPsec does not answer on 127.0.0.1:123"
PRE_LI=$PROBE_LI
run_cmd 10 "$NS" "$OUR_NTPSTAT" -t 2
A_RC=$RUN_RC; A_OUT=$RUN_OUT
run_cmd 10 "$NS" "$OUR_NTPQ" -t 2 -pn
P_RC=$RUN_RC; P_OUT=$RUN_OUT
POST_LI=none
ntp_probe "$NS" 127.0.0.1 123 && POST_LI=$PROBE_LI
log "NTPsec LI before: $PRE_LI, after: $POST_LI (+$(since_ntpd)s)"
if [[ $PRE_LI == 3 && $POST_LI == 3 ]]; then
  RUN_RC=$A_RC; assert_rc 1 "our ntpstat against unsynchronised NTPsec"
  assert_line "$A_OUT" '^unsynchronised$' "our ntpstat line 1 (unsynchronised)"
  RUN_RC=$P_RC; assert_rc 0 "our ntpq -pn against unsynchronised NTPsec"
  check_layout "$P_OUT" "our ntpq -pn (unsynchronised)"
  assert_line "$P_OUT" '^[ x.+#o-]198\.18\.0\.2 ' "our ntpq -pn lists 198.18.0.2 (not yet '*')"
else
  skip "(a) not asserted: NTPsec was not provably unsynchronised (LI $PRE_LI / $POST_LI)"
fi

# ---------------------------------------------------------------- (b)
synced=0
for i in $(seq 1 20); do                      # ≤ 20 tries, 2 s apart, ≤ 40 s
  run_cmd 10 "$NS" "$OUR_NTPSTAT" -t 2
  if [[ $RUN_RC == 0 ]]; then synced=1; break; fi
  _alive_or_fail "$NTPD_PID" "NTPsec ntpd"
  _alive_or_fail "$CHRONYD_PID" chronyd
  (( $(since_ntpd | cut -d. -f1) >= 40 )) && break
  sleep 2
done
[[ $synced == 1 ]] || fail "our ntpstat never reported NTPsec synchronised within 40 s"
log "NTPsec synchronised (per our ntpstat) $(since_ntpd)s after start (try $i)"
run_cmd 10 "$NS" "$OUR_NTPQ" -t 2 -c rv
if [[ -n $REAL_NTPSTAT ]]; then run_cmd 10 "$NS" "$REAL_NTPSTAT"; fi
# NTPsec's status word names the clock source (sync_ntp) only once its loop
# left freq_mode; without CAP_SYS_TIME, right after the first update, it says
# sync_unspec (status 0014), and Debian's ntpstat then prints "unspecified".
for i in $(seq 1 3); do
  run_cmd 10 "$NS" "$OUR_NTPSTAT" -t 2
  grep -q '^synchronised to NTP server' "$RUN_OUT" && break
  sleep 1
done
if [[ -n $REAL_NTPSTAT ]]; then
  OURS_L1=$(sed -n 1p "$RUN_OUT")
  O_OUT=$RUN_OUT; O_RC=$RUN_RC
  run_cmd 10 "$NS" "$REAL_NTPSTAT"
  [[ $(sed -n 1p "$RUN_OUT") == "$OURS_L1" ]] \
    || fail "line 1 differs from Debian's ntpstat: '$(sed -n 1p "$RUN_OUT")' vs ours '$OURS_L1'"
  pass "our ntpstat line 1 is byte-for-byte Debian ntpstat's"
  RUN_OUT=$O_OUT; RUN_RC=$O_RC
fi
assert_rc 0 "our ntpstat against synchronised NTPsec"
assert_line "$RUN_OUT" '^synchronised to (NTP server \(198\.18\.0\.2\)|unspecified) at stratum 11 $' \
  "our ntpstat line 1 (source per NTPsec's status word)"
assert_line "$RUN_OUT" '^   time correct to within [0-9]+ ms$' "our ntpstat line 2"
assert_line "$RUN_OUT" '^   polling server every [0-9]+ s$' "our ntpstat line 3"

# NTPsec's clock_select may lag its sys status by a poll; allow a few tries.
for i in $(seq 1 5); do
  run_cmd 10 "$NS" "$OUR_NTPQ" -t 2 -pn
  grep -qE '^\*198\.18\.0\.2 ' "$RUN_OUT" && break
  sleep 1
done
assert_rc 0 "our ntpq -pn against NTPsec"
check_layout "$RUN_OUT" "our ntpq -pn"
assert_line "$RUN_OUT" '^\*198\.18\.0\.2 ' "our ntpq -pn: '*' row for 198.18.0.2"
ROW=$MATCHED_LINE
[[ $ROW =~ $RE_ROW ]] || fail "row does not match the format regex: '$ROW'"
pass "row matches the classic format regex"
[[ $ROW =~ $RE_ROW_STRICT ]] || fail "row is not in the exact classic column layout: '$ROW'"
pass "row has the exact classic column layout"
[[ ${#ROW} == 78 ]] || fail "row is ${#ROW} chars, expected 78"
pass "row is 78 chars"
assert_line "$RUN_OUT" '^\*198\.18\.0\.2      127\.127\.1\.1     10 u ' \
  "refid 127.127.1.1 (chronyd's local reference), stratum 10, unicast"
if [[ -n $SAMPLE ]]; then
  # the sample row, with 4 decimals cut to 3, must match the same layout
  srow=$(sed -n 3p "$SAMPLE")
  log "NTPsec's own row: '$srow'"
fi

run_cmd 10 "$NS" "$OUR_NTPQ" -t 2 -p
assert_rc 0 "our ntpq -p against NTPsec"
check_layout "$RUN_OUT" "our ntpq -p"
# Without -n, classic ntpq names a reference-clock refid (127.127.T.U) by
# its driver: chronyd's local reference 127.127.1.1 reads LOCAL(1).
assert_line "$RUN_OUT" '^\*upstream\.test   LOCAL\(1\)        10 u ' \
  "our ntpq -p: reverse lookup of 198.18.0.2 (netns /etc/hosts), refid LOCAL(1)"
[[ $MATCHED_LINE =~ $RE_ROW_STRICT ]] || fail "ntpq -p row layout: '$MATCHED_LINE'"
pass "ntpq -p row has the exact classic column layout"

run_cmd 10 "$NS" "$OUR_NTPQ" -t 2 -c rv
assert_rc 0 "our ntpq -c rv against NTPsec"
assert_line "$RUN_OUT" '^associd=0 status=[0-9a-f]{4} leap_none, sync_(ntp|unspec), [0-9]+ events?, ' \
  "our ntpq -c rv decodes NTPsec's system status word"
assert_contains "$RUN_OUT" "stratum=11" "our ntpq -c rv: stratum=11"
assert_contains "$RUN_OUT" "refid=198.18.0.2" "our ntpq -c rv: refid=198.18.0.2"
assert_line "$RUN_OUT" 'version="ntpd ntpsec-' "our ntpq -c rv: NTPsec's version string"

# ---------------------------------------------------------------- (c)
PORT=$(free_udp_port "$NS") || fail "no free UDP port"
run_cmd 15 "$NS" "$OUR_NTPSTAT" -t 2 --port "$PORT" 127.0.0.1
assert_rc 2 "our ntpstat against a port with nothing ($PORT)"
grep -qF "Unable to talk to NTP daemon. Is it running?" "$RUN_OUT" "$RUN_ERR" \
  || fail "our ntpstat: classic 'Unable to talk' message missing"
pass "our ntpstat: classic 'Unable to talk to NTP daemon. Is it running?'"

# ---------------------------------------------------------------- (d)
stop_daemon "$NTPD_PID"
wait_for 5 0.1 "127.0.0.1:123 to be free" \
  bash -c "[[ -z \$(ip netns exec '$NS' ss -Huan 'sport = :123' | grep -F 127.0.0.1:123) ]]" \
  || fail "NTPsec did not release 127.0.0.1:123"
start_ntpsec ntpsec-noquery "$NS" "server $UP iburst" "restrict 127.0.0.1 noquery"
NTPD_PID=$DAEMON_PID
wait_for 5 0.05 "NTPsec (noquery) to answer mode 3" ntp_probe "$NS" 127.0.0.1 123 \
  || fail "NTPsec (noquery) does not answer mode 3 on 127.0.0.1:123"
pass "NTPsec with noquery still serves time (mode 3)"
run_cmd 15 "$NS" "$OUR_NTPQ" -t 2 -p
[[ $RUN_RC != 0 && $RUN_RC != 124 && $RUN_RC != 137 ]] \
  || fail "our ntpq -p against noquery: expected a non-zero exit of its own, got $RUN_RC"
pass "our ntpq -p against noquery exits $RUN_RC"
awk -v s="$RUN_SECS" 'BEGIN{exit !(s < 8)}' || fail "our ntpq took ${RUN_SECS}s (hang?)"
pass "our ntpq gave up after ${RUN_SECS}s (bounded)"
[[ -s $RUN_ERR ]] || fail "our ntpq -p against noquery printed no error"
grep -qiE 'timed out|refused|no answer|not respond' "$RUN_ERR" \
  || fail "our ntpq -p error is not clear: $(head -c 200 "$RUN_ERR")"
pass "our ntpq -p error: $(head -n1 "$RUN_ERR")"
assert_not_contains "$RUN_OUT" "198.18.0.2" "no peer rows printed"
run_cmd 15 "$NS" "$OUR_NTPSTAT" -t 2
assert_rc 2 "our ntpstat against noquery NTPsec"
awk -v s="$RUN_SECS" 'BEGIN{exit !(s < 8)}' || fail "our ntpstat took ${RUN_SECS}s (hang?)"
pass "our ntpstat gave up after ${RUN_SECS}s (bounded)"

_alive_or_fail "$NTPD_PID" "NTPsec ntpd"
_alive_or_fail "$CHRONYD_PID" chronyd
finish
