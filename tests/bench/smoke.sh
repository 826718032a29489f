#!/usr/bin/env bash
# tests/bench/smoke.sh BIN_DIR good|bad
# Smoke test of the server benchmark's programs (bench/README.md): the echo
# responder on 127.0.0.1, the load generator against it for at most 1 s and
# 2000 requests (closed loop), then 500 at 1000/s (open loop).
#   good: every reply must validate (exit 0, replies > 0, invalid=0, loss 0).
#   bad:  the responder corrupts the origin timestamp (--bad-origin); the
#         generator must reject every reply (exit 3, replies=0, invalid > 0),
#         which shows its validation can fail.
# Bounded: the responder exits after 10 s on its own and is killed on exit.
set -euo pipefail
BIN=$1 KIND=$2
ECHO_PID=""
trap '[[ -n $ECHO_PID ]] && kill "$ECHO_PID" 2>/dev/null; wait 2>/dev/null || true' EXIT
kv() { local w; for w in $2; do [[ ${w%%=*} == "$1" ]] && { echo "${w#*=}"; return; }; done; echo ""; }
die() { echo "bench smoke ($KIND): FAIL: $*" >&2; exit 1; }

extra=()
[[ $KIND == bad ]] && extra=(--bad-origin)
port=""
for ((p = 21000 + $$ % 2000, i = 0; i < 50; i++, p++)); do
  "$BIN/meridian-bench-echo" --port "$p" --seconds 10 "${extra[@]}" >/dev/null 2>&1 &
  ECHO_PID=$!
  sleep 0.2
  if kill -0 "$ECHO_PID" 2>/dev/null; then port=$p; break; fi
  wait "$ECHO_PID" 2>/dev/null || true; ECHO_PID=""
done
[[ -n $port ]] || die "echo responder could not bind any port"

for mode in closed open; do
  args=(--server "127.0.0.1:$port" --seconds 1 --ports 4 --timeout-ms 100 --mode "$mode")
  if [[ $mode == closed ]]; then args+=(--max-requests 2000 --window 16 --expect-replies 2000)
  else args+=(--max-requests 500 --rate 1000 --expect-replies 450); fi
  rc=0
  out=$("$BIN/meridian-bench-load" "${args[@]}") || rc=$?
  echo "$mode: rc=$rc $out"
  if [[ $KIND == good ]]; then
    ((rc == 0)) || die "$mode: generator exited $rc"
    (($(kv replies "$out") > 0)) || die "$mode: no replies"
    [[ $(kv invalid "$out") == 0 && $(kv lost "$out") == 0 ]] || die "$mode: invalid or lost replies"
  else
    ((rc == 3)) || die "$mode: generator exited $rc, expected 3 (replies rejected)"
    [[ $(kv replies "$out") == 0 ]] || die "$mode: replies with a bad origin were accepted"
    (($(kv invalid "$out") + $(kv late "$out") > 0)) || die "$mode: no reply was rejected"
  fi
done
echo "bench smoke ($KIND): ok"
