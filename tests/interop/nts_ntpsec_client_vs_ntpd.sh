#!/usr/bin/env bash
# tests/interop/nts_ntpsec_client_vs_ntpd.sh BIN_DIR PEERS_DIR
#
# Meridian's ntpd as an NTS SERVER (RFC 8915) for real NTPsec 1.2.2 NTS
# clients, on a private LAN of network namespaces (nts_lib.sh), all on the
# real ports (NTP 123, NTS-KE 4460), certificates from a throwaway CA:
#   198.18.0.2  our ntpd (--clock virtual), local clock driver (serves
#               stratum 2), `nts enable`, `nts cert` (leaf + intermediate
#               chain), `nts key`, `nts cookie` (a file it creates)
#   198.18.0.3  the relay to it, which inverts the first byte of the NTS
#               authenticator's ciphertext (the AES-SIV tag) in every request
#   NTPsec clients (`disable kernel`), each on its own host (NTPsec binds
#   127.0.0.1:123 and its LAN address), `server ntp.test iburst nts`:
#     good     ntp.test = .2, `nts ca CA`
#     wrongca  ntp.test = .2, `nts ca WRONG_CA`
#     tamper   ntp.test = .3 (the relay), `nts ca CA`
# Checks:
#   1. `ntpd --check` accepts the config; our ntpd listens on UDP 123 and
#      TCP 4460;
#   2. good's `ntpq -p` marks '*198.18.0.2' within 20 s; its log says the
#      certificate is valid and it got NTS cookies; `ntpq -c ntsinfo` counts
#      good NTS replies;
#   3. in the same 20 s wrongca and tamper never mark a '*'; wrongca logs
#      "certificate invalid"; the relay altered every request it forwarded
#      (our server must not answer them with a reply that authenticates).
# Expected to fail until NTS lands in our ntpd (issue #14); not registered in
# CMake until then.
#
# Safety: needs root for `ip netns`. Everything runs inside namespaces
# mer-nts-*-$$, deleted on exit. Our ntpd runs with --clock virtual, NTPsec
# with `disable kernel`, both (and the relay) under setpriv without
# CAP_SYS_TIME (NTPsec's clock writes fail with EPERM). Takes about 25 s;
# bounded by a 20 s window and per-run timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=nts_ntpsec_client_vs_ntpd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/interop/nts_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/nts_lib.sh"

nts_lan_test_setup "ntpd ntpsec-ntpq" "$@"
WINDOW=20
SRV=$NTS_SRV_ADDR
nts_start_ours_server
nts_start_peer_clients ntpsec

# ------------------------------------------------------------ 1. accepted
wait_for "$WINDOW" 0.25 "NTPsec to select our ntpd" ntpsec_selected "${NS_OF[good]}" "$SRV" \
  || fail "NTPsec did not select our NTS server within ${WINDOW}s: $(ntpsec_q "${NS_OF[good]}" -p)"
pass "good: NTPsec selected $SRV (our ntpd, NTS) $(since "${START[good]}")s after its start"
ntpsec_q "${NS_OF[good]}" -p | sed 's/^/    | /'
assert_line "$WORK/good/ntpd.log" 'NTSc: certificate is valid' "good: NTPsec verified our certificate"
assert_line "$WORK/good/ntpd.log" 'NTSc: Got [1-9][0-9]* cookies' "good: NTPsec got NTS cookies from us"
got=$(ntpsec_field "${NS_OF[good]}" ntsinfo "NTS client recvs good")
[[ ${got:-0} -ge 1 ]] || fail "good: NTPsec ntsinfo: NTS client recvs good=${got:-?}"
pass "good: NTPsec received $got good NTS replies from us"
[[ -s $WORK/ours/nts-cookies ]] || fail "our ntpd did not create its cookie key file"
pass "our ntpd created its cookie key file"

# ------------------------------------------------------------ 2. rejected
sleep_rest "$WINDOW" "$T0"
for n in wrongca tamper; do
  _alive_or_fail "${PID_OF[$n]}" "NTPsec $n"
  ntpsec_q "${NS_OF[$n]}" -p | sed 's/^/    | /'
  ! ntpsec_q "${NS_OF[$n]}" -p | grep -q '^\*' || fail "$n: NTPsec selected a source"
  pass "$n: NTPsec never selected a source in ${WINDOW}s"
done
assert_line "$WORK/wrongca/ntpd.log" 'NTSc: certificate invalid' \
  "wrongca: NTPsec logged the invalid certificate"
assert_relay_altered_all relay requests
bad=$(ntpsec_field "${NS_OF[tamper]}" ntsinfo "NTS client recvs good")
log "tamper: NTPsec ntsinfo: NTS client recvs good=${bad:-?}"

_alive_or_fail "$OURS_PID" "our ntpd"
nts_all_alive NTPsec good wrongca tamper
finish
