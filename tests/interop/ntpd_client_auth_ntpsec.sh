#!/usr/bin/env bash
# tests/interop/ntpd_client_auth_ntpsec.sh BIN_DIR PEERS_DIR
#
# Meridian's ntpd as an authenticated CLIENT (`server 127.0.0.1 key K`) of a
# real NTPsec 1.2.2 ntpd on port 123 with `keys`/`trustedkey`, all inside a
# private network namespace:
#   chronyd   198.18.0.2:123, `local stratum 10` (NTPsec's upstream)
#   NTPsec    127.0.0.1:123, `server 198.18.0.2 iburst`, keys file with
#             1 MD5, 2 SHA1, 3 AES128CMAC, 4 SHA256, `trustedkey 1 2 3 4`
#   good1..4  our ntpd (--clock virtual, ports 1231..1234), `server 127.0.0.1
#             iburst key K`, the same classic key file line for K
#   wrong1/2  our ntpd, MD5 / SHA1 key with a DIFFERENT secret
#   otherkey  our ntpd with key 5 (MD5), which NTPsec does not have
# Checks:
#   1. NTPsec synchronises to chronyd (raw probe: li != 3, stratum 11);
#   2. `ntpd --check` accepts every config; each good client logs
#      "synchronised to 127.0.0.1 stratum 11" within 20 s; `ntpq -p` shows
#      '*127.0.0.1'; `ntpq -c as` auth "ok"; `rv &1 ...` keyid=K authentic=1
#      badauth=0;
#   3. each wrong/otherkey client, within the same 20 s: never synchronised,
#      no '*', `as` auth "bad" and reach "no", `rv &1 ...` reach 000 and
#      authentic=0. NTPsec answers a request whose MAC fails with nothing
#      at all (measured; no crypto-NAK), so badauth stays 0 and nothing is
#      logged; NTPsec's own `ntpq -c sysstats` shows "authentication
#      failed" > 0 (it got and refused them).
#
# Safety: needs root for `ip netns`. Everything runs in namespace
# meridian-ntpca-$$ (deleted on exit, /etc/netns/NAME too). NTPsec and chronyd
# run under `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (NTPsec's
# clock_adjtime calls fail with EPERM), chronyd also with -x; our ntpds with
# --clock virtual under the same setpriv. An EXIT trap kills the daemons and
# anything left in the namespace. Takes about 30 s; bounded by 25 s + 20 s
# waits and per-run timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpd_client_auth_ntpsec
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
require_root
setup_bin "$1"
setup_ntpd "$1"
setup_peers "$2"
NTPQ="$(dirname "$NTPDATE")/ntpq"
[[ -x $NTPQ ]] || fail "ntpq not found next to ntpdate (build Meridian first)"
require_tools ip setpriv ss timeout awk
make_workdir

WINDOW=20
NS="meridian-ntpca-$$"
UP=198.18.0.2
netns_create "$NS" "$UP upstream.test"
netns_add_local_addr "$NS" "$UP"

KEY_IDS=(1 2 3 4)
NTP_TYPE=([1]=MD5 [2]=SHA1 [3]=AES128CMAC [4]=SHA256 [5]=MD5)
SECRET=([1]=6d6572696469616e2d6d64352d6b6579
        [2]=6d6572696469616e2d736861312d6b65792d3230
        [3]=3f2d8a5c91e0b47d16a3c9e8527b04fd
        [4]=6d6572696469616e2d7368613235362d6b65792d33322d62797465732d78797a
        [5]=6d6572696469616e2d6f746865722d6b)
WRONG=([1]=6d6572696469616e2d6d64352d6b6578
       [2]=0d6572696469616e2d736861312d6b65792d3230)

NTPSEC_KEYS="$WORK/ntpsec.keys"
for k in "${KEY_IDS[@]}"; do echo "$k ${NTP_TYPE[k]} ${SECRET[k]}"; done >"$NTPSEC_KEYS"
chmod 600 "$NTPSEC_KEYS"

start_chronyd chronyd "$NS" "$UP" 123 10
start_ntpsec ntpsec "$NS" "server $UP iburst" "keys $NTPSEC_KEYS" "trustedkey 1 2 3 4"
NTPSEC_PID=$DAEMON_PID
T_NTPSEC=${EPOCHREALTIME/./}
since() { awk -v d="$(( ${EPOCHREALTIME/./} - $1 ))" 'BEGIN{printf "%.2f", d/1e6}'; }

# ---------------------------------------------------- 1. NTPsec synchronised
# shellcheck disable=SC2317  # called through wait_for
ntpsec_synced() {
  _alive_or_fail "$NTPSEC_PID" "NTPsec ntpd"
  ntp_probe "$NS" 127.0.0.1 123 && [[ $PROBE_LI != 3 && $PROBE_STRATUM == 11 ]]
}
wait_for 25 0.5 "NTPsec to serve stratum 11 on 127.0.0.1:123" ntpsec_synced \
  || fail "NTPsec did not synchronise to chronyd within 25 s (last probe: ${PROBE_LINE:-none})"
pass "NTPsec synchronised $(since "$T_NTPSEC")s after its start: $PROBE_LINE"

# ------------------------------------------------------- 2./3. our clients
declare -A NPORT NPID NLOG
PORT_NEXT=1231
client() { # NAME KEY SECRET
  local name=$1 k=$2 secret=$3 d="$WORK/$1"
  mkdir -p "$d"; chmod 700 "$d"
  echo "$k ${NTP_TYPE[k]} $secret" >"$d/ntp.keys"
  chmod 600 "$d/ntp.keys"
  cat >"$d/ntp.conf" <<EOF
# $TEST_NAME: our ntpd as an authenticated client of NTPsec ($name)
keys $d/ntp.keys
trustedkey $k
server 127.0.0.1 iburst key $k
EOF
  check_ntpd_conf "$d/ntp.conf"
  start_meridian_ntpd "$name" "$NS" "$d/ntp.conf" "$PORT_NEXT"
  NPORT[$name]=$PORT_NEXT; NPID[$name]=$DAEMON_PID; NLOG[$name]=$DAEMON_LOG
  PORT_NEXT=$((PORT_NEXT + 1))
}
T0=${EPOCHREALTIME/./}
GOOD=() BAD=()
for k in "${KEY_IDS[@]}"; do client "good$k" "$k" "${SECRET[k]}"; GOOD+=("good$k"); done
for k in 1 2; do client "wrong$k" "$k" "${WRONG[k]}"; BAD+=("wrong$k"); done
client otherkey 5 "${SECRET[5]}"; BAD+=(otherkey)

# shellcheck disable=SC2317  # called through wait_for
all_good_synced() {
  local n
  for n in "${GOOD[@]}"; do
    _alive_or_fail "${NPID[$n]}" "our ntpd $n"
    grep -qF "synchronised to 127.0.0.1 stratum 11" "${NLOG[$n]}" || return 1
  done
}
wait_for "$WINDOW" 0.1 "the keyed clients to synchronise" all_good_synced || true
SYNC_S=$(since "$T0")

ntpq_of() { # NAME ARGS...
  local n=$1; shift
  run_cmd 10 "$NS" "$NTPQ" -n --port "${NPORT[$n]}" "$@" 127.0.0.1
}
AUTH_VARS=keyid,authentic,badauth,flash,reach,auth_nomac,auth_badmac,auth_cryptonak,auth_wrongkey,auth_notsent
rv_value() { sed -nE "s/.*(^|[ ,])$1=([^,]*).*/\\2/p" "$RUN_OUT" | head -n1; }

for n in "${GOOD[@]}"; do
  k=${n#good}
  grep -qF "synchronised to 127.0.0.1 stratum 11" "${NLOG[$n]}" \
    || fail "$n (${NTP_TYPE[k]} key $k) did not synchronise to NTPsec within ${WINDOW}s"
  pass "$n: ${NTP_TYPE[k]} key $k: synchronised to NTPsec (all good ones within ${SYNC_S}s)"
  ntpq_of "$n" -p
  assert_line "$RUN_OUT" '^\*127\.0\.0\.1 ' "$n: ntpq -p selects 127.0.0.1"
  ntpq_of "$n" -c as
  assert_line "$RUN_OUT" '^ +1 +[0-9]+ +[0-9a-f]{4} +yes +yes +ok ' "$n: ntpq as: auth ok"
  ntpq_of "$n" -c "rv &1 $AUTH_VARS"
  [[ $(rv_value keyid) == "$k" && $(rv_value authentic) == 1 && $(rv_value badauth) == 0 ]] \
    || fail "$n: rv &1: keyid=$(rv_value keyid) authentic=$(rv_value authentic) badauth=$(rv_value badauth)"
  pass "$n: rv &1: keyid=$k authentic=1 badauth=0"
done

now_s=$(since "$T0")
rest=$(awk -v w="$WINDOW" -v n="$now_s" 'BEGIN{r = w - n; printf "%.2f", (r > 0 ? r : 0)}')
log "waiting ${rest}s more: the wrong-key clients get ${WINDOW}s in all"
sleep "$rest"
for n in "${BAD[@]}"; do
  _alive_or_fail "${NPID[$n]}" "our ntpd $n"
  assert_not_contains "${NLOG[$n]}" "synchronised to" "$n: never synchronised in ${WINDOW}s"
  ntpq_of "$n" -p
  assert_not_contains "$RUN_OUT" "*127.0.0.1" "$n: ntpq -p never selects 127.0.0.1"
  assert_line "$RUN_OUT" '^ 127\.0\.0\.1 ' "$n: ntpq -p lists 127.0.0.1, rejected"
  ntpq_of "$n" -c as
  assert_line "$RUN_OUT" '^ +1 +[0-9]+ +[0-9a-f]{4} +yes +no +bad ' "$n: ntpq as: auth bad, not reached"
  ntpq_of "$n" -c "rv &1 $AUTH_VARS"
  [[ $(rv_value reach) == 000 && $(rv_value authentic) == 0 && $(rv_value badauth) == 0 ]] \
    || fail "$n: rv &1: reach=$(rv_value reach) authentic=$(rv_value authentic) badauth=$(rv_value badauth)"
  # NTPsec drops a request whose MAC fails without any answer (measured: no
  # crypto-NAK), so there is no reply to count or log.
  pass "$n: rv &1: reach 000, authentic=0, badauth=0 (NTPsec sent nothing back)"
  assert_not_contains "${NLOG[$n]}" "failed authentication" "$n: no reply, no failure logged"
done

# NTPsec saw the wrong clients' requests and refused them.
if [[ -f $PEERS/ntpsec/usr/bin/ntpq ]]; then
  run_cmd 15 "$NS" env "PYTHONPATH=$PEERS/ntpsec/usr/lib/python3/dist-packages" "${PEER_ENV[@]:1}" \
    /usr/bin/python3 "$PEERS/ntpsec/usr/bin/ntpq" -c sysstats 127.0.0.1
  f=$(awk -F: '/^authentication failed/ {split($2, v, " "); print v[1]}' "$RUN_OUT")
  [[ -n $f && $f -gt 0 ]] || fail "NTPsec sysstats: 'authentication failed' is ${f:-absent}, expected > 0"
  pass "NTPsec counted $f requests that failed authentication (the wrong clients')"
else
  skip "NTPsec ntpq not available: its sysstats not checked"
fi

for n in "${GOOD[@]}" "${BAD[@]}"; do _alive_or_fail "${NPID[$n]}" "our ntpd $n"; done
_alive_or_fail "$NTPSEC_PID" "NTPsec ntpd"
finish
