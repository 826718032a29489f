#!/usr/bin/env bash
# tests/interop/ntpd_client_vs_chronyd.sh BIN_DIR PEERS_DIR
#
# Meridian's ntpd as a CLIENT of a real chronyd 4.3 (Debian 12, unpacked by
# scripts/fetch-interop-peers.sh PEERS_DIR), then serving the time it learnt:
#   chronyd  server on 127.0.0.1:S, `local stratum 8` (reads this machine's
#            clock, -x: never writes it);
#   our ntpd -n -c CONF --port P --clock-offset 0.25 --clock-freq-ppm 30
#            --clock virtual with `server 127.0.0.1 port S iburst`: its
#            in-process virtual clock starts 250 ms ahead and runs 30 ppm fast.
# Checks:
#   1. `ntpd --check -c CONF` exits 0;
#   2. within 5 s of its start our ntpd logs "synchronised to 127.0.0.1
#      stratum 8", and "time stepped by -0.25 s" (+- 0.01 s: it removed the
#      250 ms it started with);
#   3. 12 independent raw mode-3 probes of 127.0.0.1:P ~50 ms apart (~1 s)
#      right after the step: li=0, stratum 9, refid 127.0.0.1 (RFC 5905: an
#      IPv4 upstream's address), and the reference timestamp never after the
#      transmit timestamp (RFC 5905 §8 test; a reference time read before
#      the -0.25 s step would be 0.25 s in the future). A failure here is
#      reported, and the remaining checks still run (lib.sh fail_later);
#   4. our `ntpdate -q -p 1 --port P 127.0.0.1` - which reads this machine's
#      clock, i.e. chronyd's - probed every 2 s for ~10 s (6 probes): exit 0,
#      `server 127.0.0.1, stratum 9, ...`, |offset| < 1 ms every time, the
#      daemons still running, no "lost synchronisation" in our log.
#
# Safety: no root needed. Our ntpd runs with --clock virtual (never touches
# the machine's clock) and, like chronyd (-x: no clock control), under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (any clock write
# fails with EPERM). Unprivileged ports on 127.0.0.1 only (our ntpd binds the
# wildcard address of an unprivileged port; nothing is sent off the machine).
# An EXIT trap kills both daemons and removes the temp dir. Takes about 13 s;
# bounded by a 5 s wait for the synchronisation and per-run timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpd_client_vs_chronyd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
setup_bin "$1"
setup_ntpd "$1"
setup_peers "$2"
require_tools setpriv ss timeout awk
make_workdir

OFFSET=0.25     # our virtual clock starts this far ahead of the machine's
FREQ_PPM=30     # ... and runs this much fast
UPSTREAM_STRATUM=8

# ------------------------------------------------------------ the server
SPORT=$(free_udp_port "") || fail "no free UDP port found"
start_chronyd chronyd "" 127.0.0.1 "$SPORT" "$UPSTREAM_STRATUM"
CHRONYD_PID=$DAEMON_PID

# ------------------------------------------------------------ our client
CONF="$WORK/ntp.conf"
cat >"$CONF" <<EOF
# $TEST_NAME: Meridian ntpd as a client of chronyd (port: Meridian extension)
server 127.0.0.1 port $SPORT iburst
EOF
log "ntp.conf:"
sed 's/^/    | /' "$CONF"
check_ntpd_conf "$CONF"

# the next free port after chronyd's (free_udp_port starts at the same place)
PORT=""
for ((p = SPORT + 1; p < SPORT + 200; p++)); do
  if [[ -z $(ss -Huan "sport = :$p" 2>/dev/null) ]]; then PORT=$p; break; fi
done
[[ -n $PORT ]] || fail "no second free UDP port found"

start_meridian_ntpd ntpd "" "$CONF" "$PORT" \
  --clock-offset "$OFFSET" --clock-freq-ppm "$FREQ_PPM"
NTPD_PID=$DAEMON_PID
NTPD_LOG=$DAEMON_LOG
T_NTPD=${EPOCHREALTIME/./}
since_ntpd() { awk -v d="$(( ${EPOCHREALTIME/./} - T_NTPD ))" 'BEGIN{printf "%.2f", d/1e6}'; }

# ---------------------------------------------------- 2. synchronisation
# shellcheck disable=SC2317  # called through wait_for
synced() {
  _alive_or_fail "$NTPD_PID" "Meridian ntpd"
  grep -qF "synchronised to 127.0.0.1 stratum $UPSTREAM_STRATUM" "$NTPD_LOG"
}
wait_for 5 0.05 "our ntpd to log 'synchronised to 127.0.0.1 stratum $UPSTREAM_STRATUM'" synced \
  || fail "our ntpd did not synchronise to chronyd within 5 s"
pass "our ntpd logged 'synchronised to 127.0.0.1 stratum $UPSTREAM_STRATUM' within $(since_ntpd)s of its start"

# the step follows the synchronisation at once (same sample); allow 1 s
# shellcheck disable=SC2317  # called through wait_for
stepped() { grep -qE 'time stepped by [+-][0-9]+\.[0-9]+ s' "$NTPD_LOG"; }
wait_for 1 0.05 "our ntpd to log 'time stepped by'" stepped \
  || fail "our ntpd synchronised but did not log 'time stepped by ...' (started ${OFFSET} s off)"
assert_line "$NTPD_LOG" 'time stepped by [+-][0-9]+\.[0-9]+ s' "step logged"
STEP=$(sed -E 's/.*time stepped by ([+-][0-9.]+) s.*/\1/' <<<"$MATCHED_LINE")
assert_abs_lt "$(awk -v s="$STEP" -v o="$OFFSET" 'BEGIN{print s + o}')" 0.01 \
  "step $STEP s undoes the virtual clock's +$OFFSET s"

# ------------------------------------------------------ 3. raw probes
# Right after the step (the window where a reference timestamp taken before
# the step would lie |step| s in the future): independent raw probes every
# ~50 ms, 12 of them (~1 s). Each must show li=0, stratum 9, refid 127.0.0.1 and a
# reference timestamp not after the transmit timestamp (RFC 5905 §8: clients,
# our ntpdate among them, reject such a reply as unsynchronised).
N_PROBES=0; N_FUTURE=0; FIRST_FUTURE=""; MAX_DISP=0; T_RAW=${EPOCHREALTIME/./}
for i in $(seq 1 12); do
  ntp_probe_full "" 127.0.0.1 "$PORT" \
    || fail "our ntpd does not answer a raw mode-3 probe on 127.0.0.1:$PORT"
  N_PROBES=$((N_PROBES + 1))
  [[ $i -le 2 || $i -eq 12 ]] && log "raw probe $i at +$(since_ntpd)s: $PROBE_LINE"
  [[ $PROBE_LI == 0 && $PROBE_STRATUM == $((UPSTREAM_STRATUM + 1)) && $PROBE_REFID == 127.0.0.1 ]] \
    || fail "raw probe $i: expected li=0 stratum=$((UPSTREAM_STRATUM + 1)) refid=127.0.0.1, got $PROBE_LINE"
  if awk -v d="$PROBE_REF_MINUS_XMT" 'BEGIN{exit !(d > 0)}'; then
    N_FUTURE=$((N_FUTURE + 1))
    [[ -n $FIRST_FUTURE ]] || FIRST_FUTURE="probe $i at +$(since_ntpd)s: $PROBE_LINE"
  fi
  MAX_DISP=$(awk -v a="$MAX_DISP" -v b="$PROBE_ROOT_DISP" 'BEGIN{print (b > a ? b : a)}')
  sleep 0.05
done
RAW_S=$(awk -v d="$(( ${EPOCHREALTIME/./} - T_RAW ))" 'BEGIN{printf "%.2f", d/1e6}')
pass "raw probes ($N_PROBES in ${RAW_S}s after the step): li=0 stratum=$((UPSTREAM_STRATUM + 1)) refid=127.0.0.1"
log "largest root dispersion served in that window: $MAX_DISP s"
if [[ $N_FUTURE -gt 0 ]]; then
  fail_later "$N_FUTURE of $N_PROBES raw probes right after the step got a reference timestamp AFTER the transmit timestamp (first: $FIRST_FUTURE) - RFC 5905 clients reject these replies"
else
  pass "reference timestamp never after the transmit timestamp right after the step"
fi

# -------------------------------------------- 4. served time, held ~10 s
T_HOLD=${EPOCHREALTIME/./}
for i in $(seq 1 6); do                      # 6 probes, 2 s apart: ~10 s
  run_cmd 10 "" "$NTPDATE" -q -p 1 --port "$PORT" 127.0.0.1
  assert_rc 0 "probe $i at +$(since_ntpd)s: ntpdate -q -p 1 --port $PORT 127.0.0.1"
  check_query_output 127.0.0.1 $((UPSTREAM_STRATUM + 1)) 0.001 0.05
  _alive_or_fail "$NTPD_PID" "Meridian ntpd"
  _alive_or_fail "$CHRONYD_PID" chronyd
  [[ $i -lt 6 ]] && sleep 2
done
HELD=$(awk -v d="$(( ${EPOCHREALTIME/./} - T_HOLD ))" 'BEGIN{printf "%.1f", d/1e6}')
pass "stratum $((UPSTREAM_STRATUM + 1)) and |offset| < 1 ms held over ${HELD}s (6 probes)"

assert_not_contains "$NTPD_LOG" "lost synchronisation" "our ntpd never lost synchronisation"
log "our ntpd's log:"
sed 's/^/    | /' "$NTPD_LOG"
finish
