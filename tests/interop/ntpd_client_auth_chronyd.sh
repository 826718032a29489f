#!/usr/bin/env bash
# tests/interop/ntpd_client_auth_chronyd.sh BIN_DIR PEERS_DIR
#
# Meridian's ntpd as an authenticated CLIENT (`server ADDR port N key K`) of a
# real chronyd 4.3 server with a `keyfile`, over 127.0.0.1:
#   chronyd   127.0.0.1:P, `local stratum 10`, keyfile with
#             1 MD5, 2 SHA1, 3 AES128, 4 SHA256 (HEX: secrets)
#   good1..4  our ntpd (--clock virtual), `server 127.0.0.1 port P iburst
#             key K`, our keys file with the same secret (classic ntp.keys:
#             `K MD5|SHA1|AES128CMAC|SHA256 HEX`), `trustedkey K`
#   wrong1/4  the same for MD5 and SHA256 but a DIFFERENT secret (same
#             length, last byte changed)
# Checks:
#   1. `ntpd --check` accepts every config;
#   2. each good client logs "synchronised to 127.0.0.1 stratum 10" within
#      20 s; `ntpq -p` shows '*127.0.0.1'; `ntpq -c as` shows auth "ok";
#      `ntpq -c "rv &1 keyid,authentic,badauth,..."` has keyid=K, authentic=1, flash=0x0, badauth=0;
#   3. each wrong client, after the same 20 s window: never "synchronised",
#      no '*' in `ntpq -p`, `as` auth "bad" and reach "no", `rv &1 ...` keyid=K
#      reach=0x00 authentic=0. chronyd drops requests whose MAC fails
#      without any answer (measured; no crypto-NAK for symmetric keys), so
#      badauth must be 0 and no failure logged; chronyc serverstats is
#      printed. The crypto-NAK path is checked against NTPsec
#      (ntpd_client_auth_ntpsec.sh).
#
# Safety: no root needed. chronyd runs with -x (no clock control) and our
# ntpd with --clock virtual, all under `setpriv --bounding-set=-sys_time
# --inh-caps=-sys_time` (any clock write fails with EPERM). Unprivileged
# ports on 127.0.0.1 only. An EXIT trap kills every daemon and removes the
# temp dir. Takes about 22 s (the 20 s window); bounded by it and per-run
# timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpd_client_auth_chronyd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
setup_bin "$1"
setup_ntpd "$1"
setup_peers "$2"
NTPQ="$(dirname "$NTPDATE")/ntpq"
[[ -x $NTPQ ]] || fail "ntpq not found next to ntpdate (build Meridian first)"
require_tools setpriv ss timeout awk
make_workdir

WINDOW=20
KEY_IDS=(1 2 3 4)
NTP_TYPE=([1]=MD5 [2]=SHA1 [3]=AES128CMAC [4]=SHA256)
CHRONY_TYPE=([1]=MD5 [2]=SHA1 [3]=AES128 [4]=SHA256)
SECRET=([1]=6d6572696469616e2d6d64352d6b6579
        [2]=6d6572696469616e2d736861312d6b65792d3230
        [3]=3f2d8a5c91e0b47d16a3c9e8527b04fd
        [4]=6d6572696469616e2d7368613235362d6b65792d33322d62797465732d78797a)
WRONG=([1]=6d6572696469616e2d6d64352d6b6578
       [4]=6d6572696469616e2d7368613235362d6b65792d33322d62797465732d78797b)

CHRONY_KEYS="$WORK/chrony.keys"
for k in "${KEY_IDS[@]}"; do echo "$k ${CHRONY_TYPE[k]} HEX:${SECRET[k]}"; done >"$CHRONY_KEYS"
chmod 600 "$CHRONY_KEYS"
CPORT=$(free_udp_port "") || fail "no free UDP port found"
start_chronyd chronyd "" 127.0.0.1 "$CPORT" 10 "keyfile $CHRONY_KEYS" "log measurements"

# client NAME KEY SECRET: writes ntp.conf + ntp.keys, checks, starts our ntpd.
declare -A NPORT NPID NLOG
client() {
  local name=$1 k=$2 secret=$3 d="$WORK/$1" port
  mkdir -p "$d"; chmod 700 "$d"
  echo "$k ${NTP_TYPE[k]} $secret" >"$d/ntp.keys"
  chmod 600 "$d/ntp.keys"
  cat >"$d/ntp.conf" <<EOF
# $TEST_NAME: our ntpd as an authenticated client of chronyd ($name)
keys $d/ntp.keys
trustedkey $k
server 127.0.0.1 port $CPORT iburst key $k
EOF
  check_ntpd_conf "$d/ntp.conf"
  port=$(free_udp_port "") || fail "no free UDP port found"
  start_meridian_ntpd "$name" "" "$d/ntp.conf" "$port"
  NPORT[$name]=$port; NPID[$name]=$DAEMON_PID; NLOG[$name]=$DAEMON_LOG
}

T0=${EPOCHREALTIME/./}
GOOD=() BAD=()
for k in "${KEY_IDS[@]}"; do client "good$k" "$k" "${SECRET[k]}"; GOOD+=("good$k"); done
for k in 1 4; do client "wrong$k" "$k" "${WRONG[k]}"; BAD+=("wrong$k"); done

# shellcheck disable=SC2317  # called through wait_for
all_good_synced() {
  local n
  for n in "${GOOD[@]}"; do
    _alive_or_fail "${NPID[$n]}" "our ntpd $n"
    grep -qF "synchronised to 127.0.0.1 stratum 10" "${NLOG[$n]}" || return 1
  done
}
wait_for "$WINDOW" 0.1 "the keyed clients to synchronise" all_good_synced || true
SYNC_S=$(awk -v d="$(( ${EPOCHREALTIME/./} - T0 ))" 'BEGIN{printf "%.2f", d/1e6}')

ntpq_of() { # NAME ARGS... -> run_cmd
  local n=$1; shift
  run_cmd 10 "" "$NTPQ" -n --port "${NPORT[$n]}" "$@" 127.0.0.1
}
AUTH_VARS=keyid,authentic,badauth,flash,reach,auth_nomac,auth_badmac,auth_cryptonak,auth_wrongkey,auth_notsent
rv_value() { sed -nE "s/.*(^|[ ,])$1=([^,]*).*/\\2/p" "$RUN_OUT" | head -n1; }

# ------------------------------------------------------------- 2. positive
for n in "${GOOD[@]}"; do
  k=${n#good}
  grep -qF "synchronised to 127.0.0.1 stratum 10" "${NLOG[$n]}" \
    || fail "$n (${NTP_TYPE[k]} key $k) did not synchronise to chronyd within ${WINDOW}s"
  pass "$n: ${NTP_TYPE[k]} key $k: synchronised to chronyd (all good ones within ${SYNC_S}s)"
  ntpq_of "$n" -p
  assert_line "$RUN_OUT" '^\*127\.0\.0\.1 ' "$n: ntpq -p selects 127.0.0.1"
  ntpq_of "$n" -c as
  assert_line "$RUN_OUT" '^ +1 +[0-9]+ +[0-9a-f]{4} +yes +yes +ok ' "$n: ntpq as: auth ok"
  ntpq_of "$n" -c "rv &1 $AUTH_VARS"
  [[ $(rv_value keyid) == "$k" && $(rv_value authentic) == 1 && $(rv_value flash) == "00 ok" \
     && $(rv_value badauth) == 0 ]] \
    || fail "$n: rv &1: keyid=$(rv_value keyid) authentic=$(rv_value authentic) flash=$(rv_value flash) badauth=$(rv_value badauth)"
  pass "$n: rv &1: keyid=$k authentic=1 flash ok badauth=0"
  assert_not_contains "${NLOG[$n]}" "failed authentication" "$n: no authentication failure logged"
done

# ------------------------------------------------------------- 3. negative
now_s=$(awk -v d="$(( ${EPOCHREALTIME/./} - T0 ))" 'BEGIN{printf "%.2f", d/1e6}')
rest=$(awk -v w="$WINDOW" -v n="$now_s" 'BEGIN{r = w - n; printf "%.2f", (r > 0 ? r : 0)}')
log "waiting ${rest}s more: the wrong-key clients get ${WINDOW}s in all"
sleep "$rest"
for n in "${BAD[@]}"; do
  k=${n#wrong}
  _alive_or_fail "${NPID[$n]}" "our ntpd $n"
  assert_not_contains "${NLOG[$n]}" "synchronised to" "$n: wrong ${NTP_TYPE[k]} secret: never synchronised in ${WINDOW}s"
  ntpq_of "$n" -p
  assert_not_contains "$RUN_OUT" "*127.0.0.1" "$n: ntpq -p never selects 127.0.0.1"
  assert_line "$RUN_OUT" '^ 127\.0\.0\.1 ' "$n: ntpq -p lists 127.0.0.1, rejected"
  ntpq_of "$n" -c as
  assert_line "$RUN_OUT" '^ +1 +[0-9]+ +[0-9a-f]{4} +yes +no +bad ' "$n: ntpq as: auth bad, not reached"
  ntpq_of "$n" -c "rv &1 $AUTH_VARS"
  bad=$(rv_value badauth)
  [[ $(rv_value reach) == 000 && $(rv_value authentic) == 0 && $(rv_value keyid) == "$k" ]] \
    || fail "$n: rv &1: reach=$(rv_value reach) authentic=$(rv_value authentic) keyid=$(rv_value keyid)"
  pass "$n: rv &1: keyid=$k reach=000 authentic=0"
  # chronyd drops a request whose MAC fails, silently (ntp_core.c: no
  # crypto-NAK for symmetric keys), so there is no reply to count: badauth
  # must say 0, and no authentication failure may be logged. (Against NTPsec,
  # which answers with a crypto-NAK, ntpd_client_auth_ntpsec.sh checks the
  # counter and the log line.)
  [[ $bad == 0 ]] || fail "$n: badauth=$bad although chronyd sends nothing back"
  assert_not_contains "${NLOG[$n]}" "failed authentication" "$n: badauth=0: chronyd sent no reply to count"
done
if [[ -n $CHRONYC ]]; then
  log "chronyc serverstats:"
  chronyc_q chronyd serverstats | sed 's/^/    | /'
  rx=$(chronyc_field chronyd serverstats "NTP packets received")
  au=$(chronyc_field chronyd serverstats "Authenticated NTP packets")
  [[ -n $rx && -n $au && $rx -gt $au ]] \
    || fail "chronyd: expected the wrong clients' requests among the unauthenticated ones ($rx received, $au authenticated)"
  pass "chronyd received $((rx - au)) requests it could not authenticate (the wrong clients') of $rx"
else
  skip "chronyc not available: chronyd's counters not checked"
fi

for n in "${GOOD[@]}" "${BAD[@]}"; do _alive_or_fail "${NPID[$n]}" "our ntpd $n"; done
finish
