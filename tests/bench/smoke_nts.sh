#!/usr/bin/env bash
# tests/bench/smoke_nts.sh BIN_DIR SOURCE_DIR good|bad
# Smoke test of the load generator's NTS mode (bench/README.md), on
# 127.0.0.1 with a throwaway PKI (tests/support/make_nts_test_certs.sh):
#   good: our ntpd as NTS server (--clock virtual; nts enable/cert/key/
#         cookie/port), the generator closed loop for <= 1 s and <= 2000
#         requests: exit 0, every reply authentic (invalid=0, lost=0,
#         nts_authentic = replies), one new cookie per reply at least;
#   bad:  NTS-KE from meridian-nts-ke-serve (random cookies, Port record ->
#         the echo responder), NTP from meridian-bench-echo --keep-extensions,
#         which echoes our UID but not an authenticator under S2C: the
#         generator must reject every reply (exit 3, replies=0,
#         nts_bad_auth > 0); and trusting another CA it must fail NTS-KE
#         (exit 1, OpenSSL's reason).
# Run by ctest under setpriv without CAP_SYS_TIME. Bounded: every process has
# its own time limit and is killed on exit.
set -euo pipefail
BIN=$1 SRC=$2 KIND=$3
WORK=$(mktemp -d /tmp/meridian-smoke-nts.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf -- "$WORK"
}
trap cleanup EXIT
kv() { local w; for w in $2; do [[ ${w%%=*} == "$1" ]] && { echo "${w#*=}"; return; }; done; echo ""; }
die() { echo "bench smoke nts ($KIND): FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "--- $f"; cat "$f"; done >&2; exit 1; }
command -v openssl >/dev/null || die "openssl CLI missing"
bash "$SRC/tests/support/make_nts_test_certs.sh" "$WORK/pki" || die "cannot make the test PKI"

tcp_free() { [[ -z $(ss -Htan "sport = :$1" 2>/dev/null) ]]; }
udp_free() { [[ -z $(ss -Huan "sport = :$1" 2>/dev/null) ]]; }
ntp=""; ke=""
for ((p = 23000 + $$ % 2000, i = 0; i < 100; i++, p += 2)); do
  if udp_free "$p" && tcp_free "$((p + 1))"; then ntp=$p; ke=$((p + 1)); break; fi
done
[[ -n $ntp ]] || die "no free port pair"
listening() { ss -Htln "sport = :$ke" 2>/dev/null | grep -q ":$ke"; }
wait_listen() { # wait_listen PID : up to 10 s for the NTS-KE listener
  local i
  for ((i = 0; i < 100; i++)); do
    listening && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
LOAD=("$BIN/meridian-bench-load" --server "127.0.0.1:$ntp" --mode closed --window 8 --ports 2
      --seconds 1 --max-requests 2000 --timeout-ms 200 --nts-ke "$ke" --nts-host 127.0.0.1)
start() { # start LOG CMD... : CMD in the background for at most 30 s, output to $WORK/LOG
  local log=$1; shift
  timeout 30 "$@" >"$WORK/$log" 2>&1 &
  PIDS+=($!)
}
load_trusting_ca() { # the generator, trusting our CA; sets rc, out
  rc=0
  out=$(timeout 30 "${LOAD[@]}" --nts-ca "$WORK/pki/ca.pem" --expect-replies 1) || rc=$?
  echo "$KIND: rc=$rc $out"
}

if [[ $KIND == good ]]; then
  cat >"$WORK/ntp.conf" <<EOF
server 127.127.1.0
fudge 127.127.1.0 stratum 0
nts enable
nts cert $WORK/pki/server.pem
nts key $WORK/pki/server.key
nts cookie $WORK/nts-cookie.keys
nts port $ke
EOF
  start ntpd.log "$BIN/ntpd" -n -c "$WORK/ntp.conf" --port "$ntp" --clock virtual
  wait_listen "${PIDS[0]}" || die "ntpd does not listen for NTS-KE on $ke"
  load_trusting_ca
  ((rc == 0)) || die "generator exited $rc"
  n=$(kv replies "$out")
  ((n > 0)) || die "no replies"
  [[ $(kv invalid "$out") == 0 && $(kv lost "$out") == 0 ]] || die "invalid or lost replies"
  [[ $(kv nts_authentic "$out") == "$n" ]] || die "nts_authentic != replies"
  (($(kv nts_cookies_received "$out") >= n)) || die "fewer new cookies than replies"
  [[ $(kv nts_ke "$out") == 8 ]] || die "expected one NTS-KE per association (8)"
else
  start ke.log "$BIN/meridian-nts-ke-serve" --cert "$WORK/pki/server.pem" \
    --key "$WORK/pki/server.key" --port "$ke" --ntp-port "$ntp" --seconds 25
  start echo.log "$BIN/meridian-bench-echo" --port "$ntp" --seconds 25 --keep-extensions
  wait_listen "${PIDS[0]}" || die "meridian-nts-ke-serve does not listen on $ke"
  load_trusting_ca
  ((rc == 3)) || die "generator exited $rc, expected 3 (replies rejected)"
  [[ $(kv replies "$out") == 0 ]] || die "replies without a valid authenticator were accepted"
  (($(kv nts_bad_auth "$out") > 0)) || die "no reply was rejected for its authenticator"
  rc=0
  timeout 30 "${LOAD[@]}" --nts-ca "$WORK/pki/other_ca.pem" >"$WORK/wrongca.out" 2>"$WORK/wrongca.err" \
    || rc=$?
  echo "wrong CA: rc=$rc $(cat "$WORK/wrongca.err")"
  ((rc == 1)) || die "generator exited $rc with the wrong CA, expected 1"
  grep -q "unable to get local issuer certificate" "$WORK/wrongca.err" || die "no certificate error"
fi
echo "bench smoke nts ($KIND): ok"
