#!/usr/bin/env bash
# tests/interop/nts_ke_vs_chronyd.sh BIN_DIR PEERS_DIR
#
# Our NTS-KE client (platform/nts_ke_client through the test tool
# meridian-nts-ke-probe) against a real chronyd 4.3 NTS-KE server (RFC 8915 §4;
# chronyd's TLS is GnuTLS, ours OpenSSL, so this is a real interop check).
# PKI: tests/support/make_nts_test_certs.sh (openssl CLI, throwaway CA,
# server certificate for DNS:ntp.test + IP:127.0.0.1).
#   chronyd   NTP on 127.0.0.1:P (local stratum 1), NTS-KE on 127.0.0.1:K,
#             ntsserverkey/ntsservercert from the test PKI, ntsprocesses 0
# Checks:
#   1. host ntp.test, CA = test CA: exit 0, "ok cookies=8" (chronyd sends 8),
#      each cookie non-empty, both keys 32 bytes and different, and the Port
#      record chronyd adds because its NTP port is not 123 (port=P);
#   2. a second session (host 127.0.0.1, verified against the IP SAN) gets
#      other keys: the keys come from the TLS exporter of each session;
#   3. wrong CA: exit 1, "unable to get local issuer certificate";
#   4. wrong host name: exit 1, "hostname mismatch";
#   5. chronyc serverstats counts the accepted NTS-KE connections (>= 2).
#
# Safety: no root needed. chronyd runs with -x (no clock control) under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time`; unprivileged ports
# on 127.0.0.1 only; an EXIT trap kills chronyd and removes the temp dir.
# Takes about 2 s; every wait is bounded.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=nts_ke_vs_chronyd
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/interop/nts_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/nts_lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
nts_ke_setup_bin "$1" meridian-nts-ke-probe
PROBE="$BIN/meridian-nts-ke-probe"
setup_peers "$2"
require_tools setpriv ss timeout awk openssl
make_workdir

nts_ke_make_pki

# shellcheck disable=SC2317  # called through wait_for
tcp_listening_at() { ss -Htln "sport = :$2" 2>/dev/null | grep -qF "$1:$2"; }

NTP_PORT=$(free_udp_port "") || fail "no free UDP port"
KE_PORT=$(free_tcp_port 13000) || fail "no free TCP port"
start_chronyd chronyd "" 127.0.0.1 "$NTP_PORT" 1 \
  "ntsserverkey $PKI/server.key" "ntsservercert $PKI/server.pem" \
  "ntsport $KE_PORT" "ntsprocesses 0" "ntsdumpdir $WORK/chronyd"
CHRONYD_PID=$DAEMON_PID
wait_for 10 0.1 "chronyd NTS-KE on 127.0.0.1:$KE_PORT" tcp_listening_at 127.0.0.1 "$KE_PORT" \
  || fail "chronyd does not listen for NTS-KE on 127.0.0.1:$KE_PORT"
pass "chronyd listens for NTS-KE on 127.0.0.1:$KE_PORT"

probe() { run_cmd 15 "" "$PROBE" --port "$KE_PORT" --address 127.0.0.1 "$@"; }
field() { grep -oE "(^| )$1=[^ ]+" "$RUN_OUT" | head -n1 | cut -d= -f2; }

# 1. a good exchange by name
probe --host ntp.test --ca "$PKI/ca.pem"
assert_rc 0 "KE with chronyd as ntp.test"
assert_line "$RUN_OUT" '^ok cookies=8 cookie_bytes=[0-9]+ c2s=[0-9a-f]{64} s2c=[0-9a-f]{64}' \
  "8 cookies and two 32-byte keys"
BYTES=$(field cookie_bytes)
[[ $BYTES -ge 8 ]] || fail "cookies total only $BYTES bytes"
pass "cookies carry $BYTES bytes"
C2S=$(field c2s); S2C=$(field s2c)
[[ $C2S != "$S2C" ]] || fail "C2S and S2C keys are equal"
pass "C2S and S2C keys differ"
[[ $(field port) == "$NTP_PORT" ]] || fail "expected chronyd's Port record port=$NTP_PORT, got '$(field port)'"
pass "chronyd named its NTP port $NTP_PORT in a Port record"

# 2. by address: the IP SAN, a new session with new keys
probe --host 127.0.0.1 --ca "$PKI/ca.pem"
assert_rc 0 "KE with chronyd as 127.0.0.1 (IP SAN)"
[[ $(field c2s) != "$C2S" ]] || fail "a second session exported the same keys"
pass "a second session exports other keys"

# 3. wrong CA
probe --host ntp.test --ca "$PKI/other_ca.pem"
assert_rc 1 "KE with chronyd trusting another CA"
assert_contains "$RUN_ERR" "unable to get local issuer certificate" "wrong CA: OpenSSL's reason"

# 4. wrong name
probe --host time.example.org --ca "$PKI/ca.pem"
assert_rc 1 "KE with chronyd as time.example.org"
assert_contains "$RUN_ERR" "hostname mismatch" "wrong host name: OpenSSL's reason"

# 5. chronyd's own count
if [[ -z $CHRONYC ]]; then
  skip "chronyc not available: chronyd's NTS-KE counters not checked"
else
  chronyc_q chronyd serverstats | sed 's/^/    | /'
  ACCEPTED=$(chronyc_field chronyd serverstats "NTS-KE connections accepted")
  [[ ${ACCEPTED:-0} -ge 2 ]] || fail "chronyc serverstats: NTS-KE connections accepted '${ACCEPTED:-}' < 2"
  pass "chronyd accepted $ACCEPTED NTS-KE connections"
fi

_alive_or_fail "$CHRONYD_PID" chronyd
finish
