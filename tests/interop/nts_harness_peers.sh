#!/usr/bin/env bash
# tests/interop/nts_harness_peers.sh BIN_DIR PEERS_DIR
#
# Self-check of the NTS interop harness (nts_lib.sh, meridian-test-relay)
# with the real peers only: chronyd 4.3 and NTPsec 1.2.2, NTS both ways,
# on a private LAN of network namespaces (see nts_lib.sh):
#   198.18.0.2  chronyd NTS server        198.18.0.4  NTPsec NTS server
#   198.18.0.5  chronyd NTS server with an expired certificate
#   198.18.0.3  relay -> .2, inverts the NTS authenticator tag of each reply
#   198.18.0.6  relay -> .4, inverts the NTS authenticator tag of each request
#   198.18.0.7  relay -> .2, honest (the control: the relay path itself works)
# and one host per client, each with its own /etc/hosts for ntp.test:
#   1. accepted (the client selects the source within 20 s, NTS with cookies):
#      chronyd->chronyd, NTPsec->NTPsec, chronyd->NTPsec, NTPsec->chronyd,
#      chronyd and NTPsec through the honest relay;
#   2. rejected (never selected in the same window, 20 s after the last start):
#      chronyd and NTPsec trusting an unrelated CA (TLS verification error
#      logged), chronyd facing the expired certificate, chronyd and NTPsec
#      through the reply-tampering relay (every reply it forwarded was
#      altered), chronyd and NTPsec through the request-tampering relay.
# A harness that cannot tell accepted from rejected fails here before the
# Meridian NTS tests (nts_*_vs_*.sh) ever rely on it.
#
# Safety: needs root for `ip netns`. Everything runs inside namespaces
# mer-nts-*-$$ (deleted on exit with /etc/netns/NAME). chronyd runs with -x,
# NTPsec with `disable kernel`, both under setpriv without CAP_SYS_TIME (any
# clock write fails with EPERM); the relay under the same setpriv. Takes about
# 30 s; bounded by the 20 s windows and per-command timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=nts_harness_peers
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/interop/nts_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/nts_lib.sh"

nts_lan_test_setup "ntpsec-ntpq" "$@"
WINDOW=20
CHRONY_SRV=$NTS_SRV_ADDR NTPSEC_SRV=198.18.0.4 EXPIRED_SRV=198.18.0.5
REPLY_RELAY=198.18.0.3 REQUEST_RELAY=198.18.0.6 HONEST_RELAY=198.18.0.7

# ---------------------------------------------------------------- servers
nts_start_chronyd_server chrony-srv "$NTS_NS_SRV" "$CHRONY_SRV"
nts_lan_host ntpsec-srv "$NTPSEC_SRV" "$NTPSEC_SRV"
NTPSEC_NS=$NTS_HOST_NS
nts_start_ntpsec_server ntpsec-srv "$NTPSEC_NS" "$NTPSEC_SRV"
nts_lan_host expired-srv "$EXPIRED_SRV" "$EXPIRED_SRV"
NTS_SERVER_CERT=$NTS_EXPIRED_CERT nts_start_chronyd_server expired-srv "$NTS_HOST_NS" "$EXPIRED_SRV"
nts_start_relay reply-relay "$REPLY_RELAY" "$CHRONY_SRV" --flip-reply-nts-tag
nts_start_relay request-relay "$REQUEST_RELAY" "$NTPSEC_SRV" --flip-request-nts-tag
nts_start_relay honest-relay "$HONEST_RELAY" "$CHRONY_SRV"

# ---------------------------------------------------------------- clients
# client KIND NAME NTP_TEST_ADDR CA : a chronyd or NTPsec NTS client on its
# own host, ntp.test = NTP_TEST_ADDR.
declare -A KIND NS_OF TARGET PID_OF START
HOST_N=10
client() {
  local kind=$1 name=$2 target=$3 ca=$4 addr
  HOST_N=$((HOST_N + 1)); addr="198.18.0.$HOST_N"
  nts_lan_host "$name" "$addr" "$target"
  KIND[$name]=$kind; NS_OF[$name]=$NTS_HOST_NS; TARGET[$name]=$target
  if [[ $kind == chronyd ]]; then
    nts_start_chronyd_client "$name" "$NTS_HOST_NS" "$ca"
  else
    nts_start_ntpsec_client "$name" "$NTS_HOST_NS" "$addr" "$ca"
  fi
  PID_OF[$name]=$DAEMON_PID; START[$name]=${EPOCHREALTIME/./}
}
selected() { # NAME : the client has selected its ntp.test
  if [[ ${KIND[$1]} == chronyd ]]; then
    chronyd_selected "$1" "${TARGET[$1]}"
  else
    ntpsec_selected "${NS_OF[$1]}" "${TARGET[$1]}"
  fi
}

client_state() { # NAME : what the client says about its source (for a failure)
  log "$1 (${KIND[$1]}) state:"
  if [[ ${KIND[$1]} == chronyd ]]; then
    { chronyc_q "$1" sources; chronyc_q "$1" authdata; chronyc_q "$1" ntpdata; } 2>&1 | sed 's/^/    | /'
  else
    { ntpsec_q "${NS_OF[$1]}" -p; ntpsec_q "${NS_OF[$1]}" -c ntsinfo; } 2>&1 | sed 's/^/    | /'
  fi
  { in_ns "${NS_OF[$1]}" nstat -az | grep -E '^(Udp|Ip)[A-Za-z]+ +[1-9]'
    in_ns "${NS_OF[$1]}" ss -uanp; in_ns "${NS_OF[$1]}" ip neigh; } 2>&1 | sed 's/^/    | netns: /'
}

servers_state() { # what the servers and relays say (for a failure)
  log "servers' state:"
  { chronyc_q chrony-srv serverstats; chronyc_q chrony-srv clients
    ntpsec_q "$NTPSEC_NS" -c ntsinfo | grep -E '^NTS (server|KE)'
    in_ns "$NTS_NS_SRV" nstat -az | grep -E '^(Udp|Ip)[A-Za-z]+ +[1-9]'
    in_ns "$NTS_NS_SRV" ip neigh; in_ns "$NTS_NS_SRV" bridge fdb show br br0 | grep -v permanent
    for r in reply-relay request-relay honest-relay; do
      relay_counter "$r" requests >/dev/null || true
      echo "$r: $(grep '^relay: counters: ' "${RELAY_LOGS[$r]}" | tail -n 1)"
    done
  } 2>&1 | sed 's/^/    | /'
}

T0=${EPOCHREALTIME/./}
GOOD=(cc nn cn nc honest-c honest-n)
client chronyd cc "$CHRONY_SRV" "$NTS_CA"
client ntpsec nn "$NTPSEC_SRV" "$NTS_CA"
client chronyd cn "$NTPSEC_SRV" "$NTS_CA"
client ntpsec nc "$CHRONY_SRV" "$NTS_CA"
client chronyd honest-c "$HONEST_RELAY" "$NTS_CA"
client ntpsec honest-n "$HONEST_RELAY" "$NTS_CA"
BAD=(wrongca-c wrongca-n expired-c reply-c reply-n request-c request-n)
client chronyd wrongca-c "$CHRONY_SRV" "$NTS_WRONG_CA"
client ntpsec wrongca-n "$NTPSEC_SRV" "$NTS_WRONG_CA"
client chronyd expired-c "$EXPIRED_SRV" "$NTS_CA"
client chronyd reply-c "$REPLY_RELAY" "$NTS_CA"
client ntpsec reply-n "$REPLY_RELAY" "$NTS_CA"
client chronyd request-c "$REQUEST_RELAY" "$NTS_CA"
client ntpsec request-n "$REQUEST_RELAY" "$NTS_CA"
T_LAST=${EPOCHREALTIME/./}
log "all ${#GOOD[@]} + ${#BAD[@]} clients started in $(since "$T0")s"

# ------------------------------------------------------------ 1. accepted
declare -A SYNC_S
# shellcheck disable=SC2317  # called through wait_for
all_good_selected() {
  local n pending=0
  for n in "${GOOD[@]}"; do
    [[ -n ${SYNC_S[$n]:-} ]] && continue
    if selected "$n"; then SYNC_S[$n]=$(since "${START[$n]}"); else pending=1; fi
  done
  return "$pending"
}
wait_for "$WINDOW" 0.25 "the good clients to select their server" all_good_selected || true
for n in "${GOOD[@]}"; do
  if [[ -z ${SYNC_S[$n]:-} ]]; then
    client_state "$n"
    servers_state
    fail "$n (${KIND[$n]}) did not select ${TARGET[$n]} within ${WINDOW}s"
  fi
  pass "$n: ${KIND[$n]} selected ${TARGET[$n]} ${SYNC_S[$n]}s after its start"
  if [[ ${KIND[$n]} == chronyd ]]; then
    if [[ -z $CHRONYC ]]; then
      skip "chronyc not available: $n's NTS cookies not checked"
    else
      c=$(chronyd_nts_cookies "$n")
      [[ ${c:-0} -gt 0 ]] || fail "$n: chronyc authdata shows no NTS cookies: $(chronyc_q "$n" authdata)"
      pass "$n: chronyc authdata: mode NTS, $c cookies"
    fi
  else
    assert_line "$WORK/$n/ntpd.log" 'NTSc: Got [1-9][0-9]* cookies' "$n: NTPsec got NTS cookies"
  fi
done

# ------------------------------------------------------------ 2. rejected
sleep_rest "$WINDOW" "$T_LAST"
for n in "${BAD[@]}"; do
  _alive_or_fail "${PID_OF[$n]}" "${KIND[$n]} $n"
  ! selected "$n" || fail "$n (${KIND[$n]}) selected ${TARGET[$n]}: it must reject it"
  if [[ ${KIND[$n]} == chronyd ]]; then
    ! chronyd_selected "$n" "${TARGET[$n]}" || fail "$n: chronyd selected ${TARGET[$n]} at some time"
  fi
  pass "$n: ${KIND[$n]} never selected ${TARGET[$n]} in ${WINDOW}s"
done
assert_line "$WORK/wrongca-c/chronyd.log" 'TLS handshake with .* failed.*NOT trusted' \
  "wrongca-c: chronyd logged the untrusted certificate"
assert_line "$WORK/wrongca-n/ntpd.log" 'NTSc: certificate invalid' \
  "wrongca-n: NTPsec logged the invalid certificate"
assert_line "$WORK/expired-c/chronyd.log" 'TLS handshake with .* failed.*expired' \
  "expired-c: chronyd logged the expired certificate"

# the tampering relays really carried NTS traffic and altered all of it
assert_relay_altered_all reply-relay replies
assert_relay_altered_all request-relay requests
hq=$(relay_counter honest-relay replies); hf=$(relay_counter honest-relay flipped_replies)
[[ ${hq:-0} -gt 0 && $hf == 0 ]] || fail "honest-relay: replies=${hq:-?} flipped=${hf:-?}"
pass "honest-relay forwarded $hq replies unaltered (and its clients selected)"

for n in "${GOOD[@]}" "${BAD[@]}"; do _alive_or_fail "${PID_OF[$n]}" "${KIND[$n]} $n"; done
log "time to select (s after the client's start): $(for n in "${GOOD[@]}"; do printf '%s=%s ' "$n" "${SYNC_S[$n]}"; done)"
finish
