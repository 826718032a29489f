#!/usr/bin/env bash
# tests/interop/nts_ke_vs_ntpsec.sh BIN_DIR PEERS_DIR
#
# NTS-KE (RFC 8915 §4) between us and a real NTPsec 1.2.2 ntpd, both ways,
# inside a network namespace of its own (NTPsec's NTS-KE port is fixed at
# 4460 and its NTP port at 123; /etc/hosts there maps ntp.test to 127.0.0.1).
# PKI: tests/support/make_nts_test_certs.sh (openssl CLI, throwaway CA,
# server certificate for DNS:ntp.test + IP:127.0.0.1).
#   A. NTPsec as NTS-KE server (`nts enable`, `nts cert`, `nts key`,
#      `nts cookie`), our client (meridian-nts-ke-probe):
#      1. host ntp.test, CA = test CA: exit 0, 8 cookies, two 32-byte keys;
#      2. wrong CA: exit 1, "unable to get local issuer certificate";
#      3. NTPsec logs the served exchange ("NTSs: NTS-KE from 127.0.0.1").
#   B. Our NTS-KE server (meridian-nts-ke-serve: 8 random 100-byte cookies),
#      NTPsec as client (`server ntp.test nts ca CA`):
#      4. NTPsec logs "NTSc: Got 8 cookies, length 100, aead=15";
#      5. our server counts keys_issued >= 1 and no failure.
#
# Safety: needs root (network namespace). Every daemon runs under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (NTPsec's clock
# writes fail with EPERM) and only inside the namespace, which an EXIT trap
# deletes together with its processes, /etc/netns/NAME and the temp dir.
# Takes about 5 s; every wait is bounded.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=nts_ke_vs_ntpsec
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/interop/nts_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/nts_lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
nts_ke_setup_bin "$1" meridian-nts-ke-probe meridian-nts-ke-serve
PROBE="$BIN/meridian-nts-ke-probe"
setup_peers "$2"
require_root
require_tools setpriv ss timeout awk openssl ip
make_workdir

nts_ke_make_pki
NS="mntske$$"
netns_create "$NS" "127.0.0.1 ntp.test"
KE_PORT=4460
# shellcheck disable=SC2317  # called through wait_for
tcp_listening_any() { [[ -n $(in_ns "$NS" ss -Htln "sport = :$KE_PORT" 2>/dev/null) ]]; }
# shellcheck disable=SC2317  # called through wait_for
ke_port_free() { ! tcp_listening_any; }

# ------------------------------------------------- A. NTPsec serves NTS-KE
mkdir -p "$WORK/ntpsec-server"
start_ntpsec ntpsec-server "$NS" "nts enable" "nts cert $PKI/server.pem" \
  "nts key $PKI/server.key" "nts cookie $WORK/ntpsec-server/nts-keys" "tos orphan 5"
NTPSEC_PID=$DAEMON_PID
NTPSEC_LOG="$WORK/ntpsec-server/ntpd.log"
_DAEMON_LOGS+=("$NTPSEC_LOG")
wait_for 10 0.1 "NTPsec to listen on TCP $KE_PORT" tcp_listening_any \
  || fail "NTPsec does not listen for NTS-KE on port $KE_PORT"
pass "NTPsec listens for NTS-KE on port $KE_PORT"

run_cmd 15 "$NS" "$PROBE" --host ntp.test --address 127.0.0.1 --port "$KE_PORT" --ca "$PKI/ca.pem"
assert_rc 0 "KE with NTPsec as ntp.test"
assert_line "$RUN_OUT" '^ok cookies=8 cookie_bytes=[0-9]+ c2s=[0-9a-f]{64} s2c=[0-9a-f]{64}' \
  "8 cookies and two 32-byte keys from NTPsec"

run_cmd 15 "$NS" "$PROBE" --host ntp.test --address 127.0.0.1 --port "$KE_PORT" \
  --ca "$PKI/other_ca.pem"
assert_rc 1 "KE with NTPsec trusting another CA"
assert_contains "$RUN_ERR" "unable to get local issuer certificate" "wrong CA: OpenSSL's reason"

# shellcheck disable=SC2317  # called through wait_for
ntpsec_served() { grep -q "NTSs: NTS-KE from 127.0.0.1" "$NTPSEC_LOG" 2>/dev/null; }
wait_for 5 0.1 "NTPsec to log the exchange" ntpsec_served \
  || fail "NTPsec did not log a served NTS-KE exchange"
pass "NTPsec logged: $(grep -m1 "NTSs: NTS-KE from 127.0.0.1" "$NTPSEC_LOG" | sed 's/^.*NTSs/NTSs/')"
stop_daemon "$NTPSEC_PID"
wait_for 5 0.1 "port $KE_PORT to be free" ke_port_free || fail "NTPsec still holds port $KE_PORT"

# ------------------------------------------------- B. we serve NTPsec
nts_ke_start_serve "$NS" "$KE_PORT"

mkdir -p "$WORK/ntpsec-client"
start_ntpsec ntpsec-client "$NS" "server ntp.test nts ca $PKI/ca.pem iburst"
CLIENT_PID=$DAEMON_PID
CLIENT_LOG="$WORK/ntpsec-client/ntpd.log"
_DAEMON_LOGS+=("$CLIENT_LOG")
# shellcheck disable=SC2317  # called through wait_for
ntpsec_got_cookies() { grep -q "NTSc: Got 8 cookies, length 100, aead=15" "$CLIENT_LOG" 2>/dev/null; }
wait_for 15 0.2 "NTPsec to get cookies from us" ntpsec_got_cookies \
  || fail "NTPsec did not log 'NTSc: Got 8 cookies, length 100, aead=15'"
pass "NTPsec logged: $(grep -m1 "NTSc: Got 8 cookies" "$CLIENT_LOG" | sed 's/^.*NTSc/NTSc/')"
stop_daemon "$CLIENT_PID"

nts_ke_stop_serve
[[ $COUNTS =~ tls_failures=0\ bad_requests=0\ refusals=0\ internal_errors=0 ]] \
  || fail "unexpected failures: $COUNTS"
pass "no TLS failure, bad request, refusal or internal error"
finish
