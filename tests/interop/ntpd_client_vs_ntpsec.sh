#!/usr/bin/env bash
# tests/interop/ntpd_client_vs_ntpsec.sh BIN_DIR PEERS_DIR
#
# Meridian's ntpd as a CLIENT of a real NTPsec 1.2.2 ntpd (Debian 12, unpacked
# by scripts/fetch-interop-peers.sh PEERS_DIR) on the standard port 123,
# which itself synchronises to a real chronyd - a three-level chain, all
# inside a private network namespace:
#   chronyd   on 198.18.0.2:123, `local stratum 10`
#   NTPsec    on 127.0.0.1:123, `server 198.18.0.2 iburst`   (stratum 11)
#   our ntpd  on port 1123, `server 127.0.0.1 iburst` (no `port`: 123),
#             --clock-offset 0.25 --clock-freq-ppm 30 --clock virtual
#             (virtual clock 250 ms ahead, 30 ppm fast)           (stratum 12)
# Checks:
#   1. NTPsec synchronises to chronyd: an independent raw probe of
#      127.0.0.1:123 shows li != 3, stratum 11 (≤ 25 s; ~7 s measured);
#   2. `ntpd --check` accepts our config; once NTPsec is synchronised, our
#      ntpd is started and logs "synchronised to 127.0.0.1 stratum 11" and
#      "time stepped by -0.25 s" (+- 0.01 s) within 10 s of its start;
#   3. raw probe of our ntpd (127.0.0.1:1123): li=0, stratum 12,
#      refid 127.0.0.1;
#   4. our `ntpdate -q -p 1 --port 1123 127.0.0.1` (reads the namespace's =
#      this machine's clock, which NTPsec and chronyd serve unchanged): 3
#      probes 2 s apart, each exit 0, `server 127.0.0.1, stratum 12, ...`,
#      |offset| < 1 ms. The first one runs 1 s after the step: the ~|step|
#      long window right after a step is checked by ntpd_client_vs_chronyd.sh;
#   5. NTPsec's ntpdig against our port 1123 (second opinion, s12).
#
# Safety: needs root for `ip netns`. Everything runs in namespace
# meridian-ntpc-$$ (deleted on exit, /etc/netns/NAME too). NTPsec and chronyd
# run under `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (NTPsec's
# clock_adjtime calls fail with EPERM), chronyd also with -x; our ntpd with
# --clock virtual and under the same setpriv. `ntpdate -q` never sets the
# clock. An EXIT trap kills the daemons and anything left in the namespace.
# Takes about 15 s; bounded by 25 s + 10 s waits and per-run timeouts (< 60 s).
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpd_client_vs_ntpsec
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
require_root
setup_bin "$1"
setup_ntpd "$1"
setup_peers "$2"
require_tools ip setpriv ss timeout awk
make_workdir

OFFSET=0.25
FREQ_PPM=30
PORT=1123
NS="meridian-ntpc-$$"
UP=198.18.0.2
netns_create "$NS" "$UP upstream.test"
netns_add_local_addr "$NS" "$UP"

start_chronyd chronyd "$NS" "$UP" 123 10
CHRONYD_PID=$DAEMON_PID

start_ntpsec ntpsec "$NS" "server $UP iburst"
NTPSEC_PID=$DAEMON_PID
T_NTPSEC=${EPOCHREALTIME/./}
since() { awk -v d="$(( ${EPOCHREALTIME/./} - $1 ))" 'BEGIN{printf "%.2f", d/1e6}'; }

# ---------------------------------------------------- 1. NTPsec synchronised
# shellcheck disable=SC2317  # called through wait_for
ntpsec_synced() {
  _alive_or_fail "$NTPSEC_PID" "NTPsec ntpd"
  ntp_probe_full "$NS" 127.0.0.1 123 && [[ $PROBE_LI != 3 && $PROBE_STRATUM == 11 ]]
}
wait_for 25 0.5 "NTPsec to serve stratum 11 on 127.0.0.1:123" ntpsec_synced \
  || fail "NTPsec did not synchronise to chronyd within 25 s (last probe: ${PROBE_LINE:-none})"
pass "NTPsec synchronised $(since "$T_NTPSEC")s after its start: $PROBE_LINE"

# ------------------------------------------------------- 2. our ntpd client
CONF="$WORK/ntp.conf"
cat >"$CONF" <<EOF
# $TEST_NAME: Meridian ntpd as a client of NTPsec on port 123
server 127.0.0.1 iburst
EOF
log "ntp.conf:"
sed 's/^/    | /' "$CONF"
check_ntpd_conf "$CONF"

start_meridian_ntpd ntpd "$NS" "$CONF" "$PORT" \
  --clock-offset "$OFFSET" --clock-freq-ppm "$FREQ_PPM"
NTPD_PID=$DAEMON_PID
NTPD_LOG=$DAEMON_LOG
T_NTPD=${EPOCHREALTIME/./}

# shellcheck disable=SC2317  # called through wait_for
synced() {
  _alive_or_fail "$NTPD_PID" "Meridian ntpd"
  grep -qF "synchronised to 127.0.0.1 stratum 11" "$NTPD_LOG" \
    && grep -qE 'time stepped by [+-][0-9]+\.[0-9]+ s' "$NTPD_LOG"
}
wait_for 10 0.05 "our ntpd to log 'synchronised to 127.0.0.1 stratum 11' and a step" synced \
  || fail "our ntpd did not synchronise to NTPsec (and step) within 10 s"
pass "our ntpd logged 'synchronised to 127.0.0.1 stratum 11' within $(since "$T_NTPD")s of its start"
assert_line "$NTPD_LOG" 'time stepped by [+-][0-9]+\.[0-9]+ s' "step logged"
STEP=$(sed -E 's/.*time stepped by ([+-][0-9.]+) s.*/\1/' <<<"$MATCHED_LINE")
assert_abs_lt "$(awk -v s="$STEP" -v o="$OFFSET" 'BEGIN{print s + o}')" 0.01 \
  "step $STEP s undoes the virtual clock's +$OFFSET s"

sleep 1   # past the post-step window (see 4. above)

# ------------------------------------------------------------ 3. raw probe
ntp_probe_full "$NS" 127.0.0.1 "$PORT" \
  || fail "our ntpd does not answer a raw mode-3 probe on 127.0.0.1:$PORT"
log "raw probe at +$(since "$T_NTPD")s: $PROBE_LINE"
[[ $PROBE_LI == 0 && $PROBE_STRATUM == 12 && $PROBE_REFID == 127.0.0.1 ]] \
  || fail "raw probe: expected li=0 stratum=12 refid=127.0.0.1, got $PROBE_LINE"
pass "raw probe: li=0 stratum=12 refid=127.0.0.1"

# ----------------------------------------------------- 4. ntpdate, 3 probes
for i in 1 2 3; do
  run_cmd 10 "$NS" "$NTPDATE" -q -p 1 --port "$PORT" 127.0.0.1
  assert_rc 0 "probe $i at +$(since "$T_NTPD")s: ntpdate -q -p 1 --port $PORT 127.0.0.1"
  check_query_output 127.0.0.1 12 0.001 0.05
  _alive_or_fail "$NTPD_PID" "Meridian ntpd"
  _alive_or_fail "$NTPSEC_PID" "NTPsec ntpd"
  _alive_or_fail "$CHRONYD_PID" chronyd
  [[ $i -lt 3 ]] && sleep 2
done
pass "stratum 12 and |offset| < 1 ms in 3 probes over ~4 s"

# ------------------------------------------------------------ 5. ntpdig
if run_ntpdig_port "$NS" "$PORT" -t 1 127.0.0.1; then :; fi
if [[ ${#NTPDIG[@]} -eq 0 ]]; then
  skip "NTPsec ntpdig not available"
else
  assert_rc 0 "ntpdig 127.0.0.1 (port $PORT)"
  assert_line "$RUN_OUT" ' 127\.0\.0\.1 s12 no-leap$' "ntpdig sees stratum 12, no-leap"
fi

# informational: what both servers advertise now (root delay / dispersion)
ntp_probe_full "$NS" 127.0.0.1 123 && log "NTPsec now serves: $PROBE_LINE"
ntp_probe_full "$NS" 127.0.0.1 "$PORT" && log "our ntpd now serves: $PROBE_LINE"

assert_not_contains "$NTPD_LOG" "lost synchronisation" "our ntpd never lost synchronisation"
log "our ntpd's log:"
sed 's/^/    | /' "$NTPD_LOG"
grep -q "Operation not permitted" "$WORK/ntpsec/ntpd.out" "$WORK/ntpsec/ntpd.log" 2>/dev/null \
  && log "note: NTPsec's clock writes were refused (EPERM), as intended"
log "total $(elapsed)s"
finish
