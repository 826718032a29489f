#!/usr/bin/env bash
# tests/interop/nts_ke_chronyd_client.sh BIN_DIR PEERS_DIR
#
# A real chronyd 4.3 as NTS-KE CLIENT (GnuTLS) of our NTS-KE server
# (platform/nts_ke_server through the test tool meridian-nts-ke-serve, which
# hands out 8 random 100-byte cookies: NTS-for-NTP is not part of this test).
# PKI: tests/support/make_nts_test_certs.sh (openssl CLI, throwaway CA,
# server certificate for DNS:ntp.test + IP:127.0.0.1).
#   ours      NTS-KE on 127.0.0.1:K, Port record naming NTP port Q (where
#             nothing listens)
#   chronyd   `server 127.0.0.1 iburst nts ntsport K`, ntstrustedcerts = CA
# Checks:
#   1. chronyc authdata shows the source in mode NTS with AEAD 15 (Type),
#      a 256-bit key (KLen), and 100-byte cookies (CLen) — chronyd accepted
#      our response and derived its keys;
#   2. chronyc ntpdata shows remote port Q: chronyd followed our Port record;
#   3. on SIGTERM our server reports keys_issued >= 1 and tls_failures=0;
#   4. a chronyd that trusts another CA gets no keys (authdata KLen 0) and
#      our server counts the failed handshake (tls_failures >= 1).
#
# Safety: no root needed. chronyd runs with -x (no clock control), both
# under `setpriv --bounding-set=-sys_time --inh-caps=-sys_time`; unprivileged
# ports on 127.0.0.1 only; an EXIT trap kills both and removes the temp dir.
# Takes about 5 s; every wait is bounded.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=nts_ke_chronyd_client
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/interop/nts_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/nts_lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
nts_ke_setup_bin "$1" meridian-nts-ke-serve
setup_peers "$2"
[[ -n $CHRONYC ]] || fail "chronyc is needed to read chronyd's NTS state"
require_tools setpriv ss timeout awk openssl
make_workdir

nts_ke_make_pki

KE_PORT=$(free_tcp_port 14000) || fail "no free TCP port"
NTP_PORT=$(free_udp_port "") || fail "no free UDP port"
nts_ke_start_serve "" "$KE_PORT" --ntp-port "$NTP_PORT"

# authdata_line NAME : the data line of chronyc -n authdata for 127.0.0.1
authdata_line() { chronyc_q "$1" -n authdata | awk '$1 == "127.0.0.1"'; }
# Columns: Name Mode KeyID Type KLen Last Atmp NAK Cook CLen
# shellcheck disable=SC2317  # called through wait_for
nts_established() {
  local l; l=$(authdata_line "$1")
  [[ -n $l ]] && awk '{exit !($2 == "NTS" && $4 == 15 && $5 == 256 && $10 == 100)}' <<<"$l"
}

# 1.-2. a chronyd that trusts our CA
start_chronyd_client good "" "server 127.0.0.1 iburst nts ntsport $KE_PORT" \
  "ntstrustedcerts $PKI/ca.pem" "ntsdumpdir $WORK/good"
GOOD_PID=$DAEMON_PID
wait_for 15 0.2 "chronyd to complete NTS-KE with us" nts_established good \
  || { chronyc_q good -n authdata | sed 's/^/    | /'; fail "chronyd did not get NTS keys and cookies from our server"; }
chronyc_q good -n authdata | sed 's/^/    | /'
pass "chronyd authdata: mode NTS, AEAD 15, 256-bit key, 100-byte cookies from our server"
REMOTE_PORT=$(chronyc_field good ntpdata "Remote port")
[[ $REMOTE_PORT == "$NTP_PORT" ]] || fail "chronyd ntpdata: Remote port '$REMOTE_PORT', expected $NTP_PORT from our Port record"
pass "chronyd follows our Port record: Remote port $REMOTE_PORT"
stop_daemon "$GOOD_PID"

# 4. a chronyd that trusts another CA
start_chronyd_client wrongca "" "server 127.0.0.1 iburst nts ntsport $KE_PORT" \
  "ntstrustedcerts $PKI/other_ca.pem" "ntsdumpdir $WORK/wrongca"
WRONG_PID=$DAEMON_PID
# shellcheck disable=SC2317  # called through wait_for
tls_failure_seen() { grep -q "TLS handshake failed" "$SERVE_LOG"; }
wait_for 15 0.2 "our server to see chronyd's failed handshake" tls_failure_seen \
  || fail "our server logged no failed handshake from a chronyd that distrusts it"
chronyc_q wrongca -n authdata | sed 's/^/    | /'
KLEN=$(authdata_line wrongca | awk '{print $5}')
[[ ${KLEN:-0} == 0 ]] || fail "chronyd with the wrong CA has a ${KLEN}-bit key"
pass "chronyd with the wrong CA has no NTS key"
stop_daemon "$WRONG_PID"

# 3. our counters
nts_ke_stop_serve
if ! [[ $COUNTS =~ tls_failures=([0-9]+) && ${BASH_REMATCH[1]} -ge 1 ]]; then
  fail "our server counted no TLS failure: $COUNTS"
fi
pass "our server counted ${BASH_REMATCH[1]} TLS failure(s) (the distrusting chronyd)"
[[ $COUNTS =~ bad_requests=0\ refusals=0\ internal_errors=0 ]] \
  || fail "unexpected bad requests, refusals or internal errors: $COUNTS"
pass "no bad request, refusal or internal error"
finish
