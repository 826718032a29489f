#!/usr/bin/env bash
# tests/interop/nts_chronyd_client_vs_ntpd.sh BIN_DIR PEERS_DIR
#
# Meridian's ntpd as an NTS SERVER (RFC 8915) for real chronyd 4.3 NTS
# clients, on a private LAN of network namespaces (nts_lib.sh), all on the
# real ports (NTP 123, NTS-KE 4460), certificates from a throwaway CA:
#   198.18.0.2  our ntpd (--clock virtual), local clock driver (`fudge
#               127.127.1.0 stratum 1`: serves stratum 2), `nts enable`,
#               `nts cert` (leaf + intermediate chain), `nts key`,
#               `nts cookie` (a file it creates)
#   198.18.0.3  the relay to it, which inverts the first byte of the NTS
#               authenticator's ciphertext (the AES-SIV tag) in every request
#   chronyd clients (-x), each on its own host, `server ntp.test iburst nts`:
#     good     ntp.test = .2, `ntstrustedcerts CA`
#     wrongca  ntp.test = .2, `ntstrustedcerts WRONG_CA`
#     tamper   ntp.test = .3 (the relay), `ntstrustedcerts CA`
# Checks:
#   1. `ntpd --check` accepts the config; our ntpd listens on UDP 123 and
#      TCP 4460;
#   2. good logs "Selected source 198.18.0.2" within 20 s; our ntpd has
#      created its cookie key file; chronyc authdata
#      shows mode NTS with cookies, ntpdata "Authenticated : Yes" and
#      stratum 2 (our local driver);
#   3. in the same 20 s wrongca and tamper never select ours; wrongca logs
#      the untrusted certificate; the relay altered every request it
#      forwarded (our server must not answer them with a reply that
#      authenticates).
# Expected to fail until NTS lands in our ntpd (issue #14); not registered in
# CMake until then.
#
# Safety: needs root for `ip netns`. Everything runs inside namespaces
# mer-nts-*-$$, deleted on exit. Our ntpd runs with --clock virtual, chronyd
# with -x, both (and the relay) under setpriv without CAP_SYS_TIME. Takes
# about 25 s; bounded by a 20 s window and per-run timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=nts_chronyd_client_vs_ntpd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/interop/nts_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/nts_lib.sh"

nts_lan_test_setup "ntpd" "$@"
WINDOW=20
SRV=$NTS_SRV_ADDR
nts_start_ours_server
nts_start_peer_clients chronyd

# ------------------------------------------------------------ 1. accepted
wait_for "$WINDOW" 0.1 "chronyd to select our ntpd" chronyd_selected good "$SRV" \
  || fail "chronyd did not select our NTS server within ${WINDOW}s"
pass "good: chronyd selected $SRV (our ntpd, NTS) $(since "${START[good]}")s after its start"
[[ -s $WORK/ours/nts-cookies ]] || fail "our ntpd did not create its cookie key file"
pass "our ntpd created its cookie key file"
if [[ -z $CHRONYC ]]; then
  skip "chronyc not available: chronyd's NTS state not checked"
else
  chronyc_q good authdata | sed 's/^/    | /'
  c=$(chronyd_nts_cookies good)
  [[ ${c:-0} -gt 0 ]] || fail "good: chronyc authdata shows no NTS cookies"
  pass "good: chronyc authdata: mode NTS, $c cookies"
  [[ $(chronyc_field good ntpdata Authenticated) == Yes ]] \
    || fail "good: chronyc ntpdata: Authenticated '$(chronyc_field good ntpdata Authenticated)'"
  pass "good: chronyc ntpdata: Authenticated : Yes"
  [[ $(chronyc_field good ntpdata Stratum) == 2 ]] \
    || fail "good: chronyc ntpdata: Stratum $(chronyc_field good ntpdata Stratum), expected 2"
  pass "good: chronyc ntpdata: Stratum 2"
fi

# ------------------------------------------------------------ 2. rejected
sleep_rest "$WINDOW" "$T0"
for n in wrongca tamper; do
  _alive_or_fail "${PID_OF[$n]}" "chronyd $n"
  ! grep -q "Selected source" "$WORK/$n/chronyd.log" || fail "$n: chronyd selected a source"
  pass "$n: chronyd never selected a source in ${WINDOW}s"
done
assert_line "$WORK/wrongca/chronyd.log" 'TLS handshake with .* failed.*NOT trusted' \
  "wrongca: chronyd logged the untrusted certificate"
assert_relay_altered_all relay requests
if [[ -n $CHRONYC ]]; then
  chronyc_q tamper authdata | sed 's/^/    | /'
fi

_alive_or_fail "$OURS_PID" "our ntpd"
nts_all_alive chronyd good wrongca tamper
finish
