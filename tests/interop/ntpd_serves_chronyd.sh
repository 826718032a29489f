#!/usr/bin/env bash
# tests/interop/ntpd_serves_chronyd.sh BIN_DIR PEERS_DIR
#
# Meridian's ntpd as a SERVER for real clients, with the operator guide's
# ntp.conf (shared/reference/classic-formats.md): its driftfile, restrict,
# includefile and keys lines kept (paths moved into the temp dir), its three
# `server N.rhel.pool.ntp.org` lines replaced by the local clock driver
# `server 127.127.1.0` + `fudge 127.127.1.0 stratum 10`:
#   1. `ntpd --check -c ntp.conf` exits 0;
#   2. ntpd -n -c ntp.conf --port P --clock virtual --virtual-offset 0.05
#      (its virtual clock runs 50 ms ahead of this machine's clock) answers an
#      independent raw mode-3 probe with li=0 stratum=11 refid=127.127.1.0
#      (classic ntpd: a driver fudged above stratum 0 is named by its address);
#   3. our `ntpdate -q -p 1 --port P 127.0.0.1` (and `::1`, allowed by
#      `restrict -6 ::1`): exit 0, `server ADDR, stratum 11, ...`,
#      offset 0.05 +- 0.01 s;
#   4. NTPsec's ntpdig (Debian 12, unpacked) against 127.0.0.1:P: exit 0,
#      "s11", offset +0.05 +- 0.01 s. ntpdig always queries port 123, so it
#      runs with socket.getaddrinfo wrapped to return port P instead (lib.sh
#      run_ntpdig_port); ntpdig's protocol code is unchanged;
#   5. chronyd 4.3 as a client (`server 127.0.0.1 port P iburst minpoll -2
#      maxpoll -2`) logs "Selected source 127.0.0.1" within 20 s; chronyc
#      (over chronyd's unix command socket) then reports the source at
#      stratum 11 with reference ID 7F7F0100 (127.127.1.0) and chronyd's tracking
#      "System time : 0.05 seconds slow of NTP time" (+- 0.005 s): chronyd
#      measured our +50 ms.
#
# Safety: no root needed. Our ntpd runs with --clock virtual (never touches
# the machine's clock) and, like chronyd (-x: no clock control), under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (any clock write
# fails with EPERM). Our ntpd serves an unprivileged port; chronyd uses
# `port 0` (serves nobody) and `cmdport 0` + a unix command socket in the temp
# dir. All traffic is to 127.0.0.1 / ::1. An EXIT trap kills both daemons and
# removes the temp dir. Takes about 3-5 s (chronyd selects us ~1 s after its
# start); bounded by a 20 s wait for the selection and per-run timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpd_serves_chronyd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
setup_bin "$1"
setup_ntpd "$1"
setup_peers "$2"
require_tools setpriv ss timeout awk
make_workdir

OFFSET=0.05
# ---------------------------------------------------------------- config
# includefile: what RHEL ships as /etc/ntp/crypto/pw (comments only); keys:
# a classic key file (not used by any association here; must just load).
mkdir -p "$WORK/etc/crypto"
cat >"$WORK/etc/crypto/pw" <<'EOF'
# See ntp.conf(5) for the crypto command's options; Autokey password:
# crypto pw serverpassword
EOF
cat >"$WORK/etc/keys" <<'EOF'
# PLEASE DO NOT USE THE DEFAULT VALUES HERE.
#65535	M	akey
#1	M	pass
42	M	guidekey
EOF
chmod 600 "$WORK/etc/keys"
CONF="$WORK/etc/ntp.conf"
cat >"$CONF" <<EOF
driftfile $WORK/etc/drift
restrict default kod nomodify notrap nopeer noquery
restrict -6 default kod nomodify notrap nopeer noquery
restrict 127.0.0.1
restrict -6 ::1
restrict 192.168.1.0 mask 255.255.255.0 nomodify notrap
server 127.127.1.0
fudge 127.127.1.0 stratum 10
includefile $WORK/etc/crypto/pw
keys $WORK/etc/keys
EOF
log "ntp.conf (the guide's, servers replaced by the local clock driver):"
sed 's/^/    | /' "$CONF"

# 1. --check
check_ntpd_conf "$CONF"

# 2. start, independent probe
PORT=$(free_udp_port "") || fail "no free UDP port found"
start_meridian_ntpd ntpd "" "$CONF" "$PORT" --virtual-offset "$OFFSET"
NTPD_PID=$DAEMON_PID
wait_for 5 0.1 "ntpd to answer on 127.0.0.1:$PORT" ntp_probe "" 127.0.0.1 "$PORT" \
  || fail "Meridian ntpd does not answer a raw mode-3 probe on 127.0.0.1:$PORT"
log "raw probe: $PROBE_LINE"
[[ $PROBE_LI == 0 && $PROBE_STRATUM == 11 && $PROBE_REFID == 127.127.1.0 ]] \
  || fail "raw probe: expected li=0 stratum=11 refid=127.127.1.0, got $PROBE_LINE"
pass "raw probe: li=0 stratum=11 refid 127.127.1.0 (the LOCAL driver, as classic ntpd)"

# 3. our ntpdate, IPv4 and IPv6
for addr in 127.0.0.1 ::1; do
  run_cmd 10 "" "$NTPDATE" -q -p 1 --port "$PORT" "$addr"
  assert_rc 0 "ntpdate -q -p 1 --port $PORT $addr"
  check_query_output "$addr" 11 1 0.05
  assert_abs_lt "$(awk -v o="$Q_OFFSET" -v e="$OFFSET" 'BEGIN{print o - e}')" 0.01 \
    "ntpdate $addr offset $Q_OFFSET - $OFFSET"
done

# 4. NTPsec's ntpdig
if run_ntpdig_port "" "$PORT" -t 1 127.0.0.1; then :; fi
if [[ ${#NTPDIG[@]} -eq 0 ]]; then
  skip "NTPsec ntpdig not available (PEERS_DIR/ntpsec/usr/bin/ntpdig or /usr/bin/python3 missing)"
else
  assert_rc 0 "ntpdig 127.0.0.1 (port $PORT)"
  # e.g. "2024-05-01 10:00:00.123456 (+0000) +0.050011 +/- 0.000107 127.0.0.1 s11 no-leap"
  assert_line "$RUN_OUT" '^[0-9-]+ [0-9:.]+ \([+-][0-9]{4}\) [+-][0-9]+\.[0-9]+ \+/- [0-9.]+ 127\.0\.0\.1 s11 no-leap$' \
    "ntpdig line with s11 no-leap"
  DIG_OFF=$(awk '{print $4}' <<<"$MATCHED_LINE")
  assert_abs_lt "$(awk -v o="$DIG_OFF" -v e="$OFFSET" 'BEGIN{print o - e}')" 0.01 \
    "ntpdig offset $DIG_OFF - $OFFSET"
fi

# 5. chronyd as a client
start_chronyd_client chronyd "" "server 127.0.0.1 port $PORT iburst minpoll -2 maxpoll -2"
T_CHRONYD=${EPOCHREALTIME/./}
wait_for 20 0.1 "chronyd to select 127.0.0.1" chronyd_selected chronyd 127.0.0.1 \
  || fail "chronyd did not select our ntpd within 20 s"
SEL_S=$(awk -v d="$(( ${EPOCHREALTIME/./} - T_CHRONYD ))" 'BEGIN{printf "%.2f", d/1e6}')
pass "chronyd logged 'Selected source 127.0.0.1' ${SEL_S}s after its start"
if [[ -z $CHRONYC ]]; then
  skip "chronyc not available: chronyd's measured offset not checked"
else
  log "chronyc sources / ntpdata / tracking:"
  chronyc_q chronyd sources | sed 's/^/    | /'
  chronyc_q chronyd ntpdata | sed 's/^/    | /'
  [[ $(chronyc_field chronyd ntpdata Stratum) == 11 ]] \
    || fail "chronyc ntpdata: stratum $(chronyc_field chronyd ntpdata Stratum), expected 11"
  pass "chronyc ntpdata: Stratum 11"
  REF=$(chronyc_field chronyd ntpdata "Reference ID")
  [[ $REF == 7F7F0100* ]] || fail "chronyc ntpdata: Reference ID '$REF', expected 7F7F0100 (127.127.1.0)"
  pass "chronyc ntpdata: Reference ID $REF (127.127.1.0)"
  # chronyd -x keeps its own idea of the offset of the machine's clock:
  # "System time : 0.049999103 seconds slow of NTP time" (slow: we are ahead).
  # shellcheck disable=SC2317  # called through wait_for
  tracking_ok() {
    TRK=$(chronyc_field chronyd tracking "System time")
    [[ $TRK =~ ^([0-9.]+)\ seconds\ slow\ of\ NTP\ time$ ]] || return 1
    awk -v v="${BASH_REMATCH[1]}" -v e="$OFFSET" 'BEGIN{d = v - e; if (d < 0) d = -d; exit !(d < 0.005)}'
  }
  wait_for 5 0.2 "chronyd's tracking to show ~${OFFSET} s slow" tracking_ok \
    || fail "chronyc tracking: System time '${TRK:-}', expected ${OFFSET} +- 0.005 seconds slow of NTP time"
  chronyc_q chronyd tracking | sed 's/^/    | /'
  pass "chronyd measured our offset: System time $TRK"
fi

_alive_or_fail "$NTPD_PID" "Meridian ntpd"
_alive_or_fail "$DAEMON_PID" chronyd
finish
