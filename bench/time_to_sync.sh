#!/usr/bin/env bash
# bench/time_to_sync.sh [BIN_DIR [PEERS_DIR [RUNS]]]
#
# Time to synchronise, Meridian's ntpd vs chronyd 4.3, measured in the same
# run against the same local server (see bench/README.md):
#   server:  chronyd `local stratum 8` on 127.0.0.1:S (SERVER=chronyd, the
#            default), or our ntpd with the local clock driver
#            (`server 127.127.1.0` + `fudge 127.127.1.0 stratum 8`,
#            SERVER=meridian);
#   (a) our ntpd -n -c CONF --port P --clock-offset $OFFSET --clock virtual,
#       CONF = `server 127.0.0.1 port S iburst`;
#   (b) chronyd -x -d with `server 127.0.0.1 port S iburst`, serving on
#       127.0.0.1:P (`port P`, `allow 127.0.0.1`).
# For each client start (a fresh process, fresh state dir), the clock starts
# just before the fork and two times are taken:
#   log:    until the client's log says it synchronised - ours:
#           "synchronised to 127.0.0.1", chronyd: "Selected source 127.0.0.1";
#   served: until our `ntpdate -q -p 1 -t 0.2 --port P 127.0.0.1`, run back
#           to back (10 ms apart) by a background poller, first exits 0 with
#           `stratum 9` (the end of that run).
# The log is polled every 10 ms (resolution ~10-20 ms for both). RUNS (default 5)
# starts of each client, alternating ours / chronyd. Prints a markdown table
# (median, min, max) and the ratios ours/chronyd of the medians, and writes
# it, with the raw samples and the machine, to bench/results/time_to_sync.md
# (RESULTS=FILE to write elsewhere).
#
# Safety: no root needed. Every daemon runs under `setpriv
# --bounding-set=-sys_time --inh-caps=-sys_time` (clock writes fail with
# EPERM); our ntpd always with --clock virtual, chronyd always with -x. Only
# 127.0.0.1 and unprivileged ports. Every wait is bounded (30 s per start);
# an EXIT trap (tests/interop/lib.sh) kills the daemons and removes the temp
# dir. Takes about RUNS x 6 s.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=time_to_sync
HERE=$(cd -- "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$HERE/.." && pwd -P)
# shellcheck source=../tests/interop/lib.sh
. "$ROOT/tests/interop/lib.sh"

BIN_DIR=${1:-$ROOT/build/release/bin}
PEERS_DIR=${2:-$ROOT/build/interop-peers}
RUNS=${3:-5}
SERVER=${SERVER:-chronyd}
OFFSET=${OFFSET:-0}
RESULTS=${RESULTS:-$HERE/results/time_to_sync.md}
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || fail "RUNS must be 1..99, got '$RUNS'"
[[ $SERVER == chronyd || $SERVER == meridian ]] || fail "SERVER must be chronyd or meridian"

setup_bin "$BIN_DIR"
setup_ntpd "$BIN_DIR"
setup_peers "$PEERS_DIR"
require_tools setpriv ss timeout awk sort
make_workdir

STRATUM=8                     # the server's
WANT=$((STRATUM + 1))         # what a synchronised client serves
MAX_WAIT_S=30

now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { awk -v d="$1" 'BEGIN{printf "%.3f", d/1e6}'; }

# ------------------------------------------------------------------ server
SPORT=$(free_udp_port "") || fail "no free UDP port found"
if [[ $SERVER == chronyd ]]; then
  start_chronyd server "" 127.0.0.1 "$SPORT" "$STRATUM"
  SERVER_DESC="chronyd 4.3, \`local stratum $STRATUM\`, 127.0.0.1:$SPORT"
else
  cat >"$WORK/server.conf" <<EOF
server 127.127.1.0
fudge 127.127.1.0 stratum $((STRATUM - 1))
EOF
  # the local clock driver at stratum S-1 makes the server S (as classic ntpd)
  start_meridian_ntpd server "" "$WORK/server.conf" "$SPORT"
  wait_for 5 0.05 "the server to answer" ntp_probe "" 127.0.0.1 "$SPORT" \
    || fail "our server ntpd does not answer on 127.0.0.1:$SPORT"
  [[ $PROBE_STRATUM == "$STRATUM" ]] \
    || fail "server ntpd serves stratum $PROBE_STRATUM, expected $STRATUM ($PROBE_LINE)"
  SERVER_DESC="Meridian ntpd, local clock driver (stratum $STRATUM), 127.0.0.1:$SPORT"
fi
SERVER_PID=$DAEMON_PID
log "server: $SERVER_DESC (pid $SERVER_PID)"

# a client port: the first free one after the server's
CPORT=""
for ((p = SPORT + 1; p < SPORT + 200; p++)); do
  if [[ -z $(ss -Huan "sport = :$p" 2>/dev/null) ]]; then CPORT=$p; break; fi
done
[[ -n $CPORT ]] || fail "no free UDP port for the clients"

# served_ok : our ntpdate sees the client on CPORT at stratum WANT
served_ok() {
  local out
  out=$(timeout -k 1 2 "$NTPDATE" -q -p 1 -t 0.2 --port "$CPORT" 127.0.0.1 2>/dev/null) || return 1
  grep -q "^server 127\.0\.0\.1, stratum $WANT, " <<<"$out"
}

# _served_poller OUTFILE : (background) runs served_ok back to back until it
# succeeds, then writes the time (µs since T0_US) to OUTFILE. Bounded: 30 s.
_served_poller() {
  local i
  for ((i = 0; i < MAX_WAIT_S * 100; i++)); do
    if served_ok; then echo $(( $(now_us) - T0_US )) >"$1.tmp"; mv "$1.tmp" "$1"; return 0; fi
    (( $(now_us) - T0_US > MAX_WAIT_S * 1000000 )) && return 1
    sleep 0.01
  done
  return 1
}

# measure KIND LOG PID PATTERN : polls LOG every 10 ms until it contains
# PATTERN while a background poller runs served_ok; sets T_LOG_US,
# T_SERVED_US (µs since T0_US). Bounded: 30 s.
measure() {
  local kind=$1 logf=$2 pid=$3 pat=$4 i poller
  T_LOG_US=""; T_SERVED_US=""
  rm -f -- "$logf.served"
  _served_poller "$logf.served" &
  poller=$!
  _CLEAN_PIDS+=("$poller")
  for ((i = 0; i < MAX_WAIT_S * 100; i++)); do
    kill -0 "$pid" 2>/dev/null || fail "$kind client (pid $pid) exited early"
    if [[ -z $T_LOG_US ]] && grep -qF -- "$pat" "$logf"; then
      T_LOG_US=$(( $(now_us) - T0_US ))
    fi
    [[ -z $T_SERVED_US && -s $logf.served ]] && T_SERVED_US=$(<"$logf.served")
    [[ -n $T_LOG_US && -n $T_SERVED_US ]] && break
    (( $(now_us) - T0_US > MAX_WAIT_S * 1000000 )) && break
    sleep 0.01
  done
  stop_daemon "$poller"
  [[ -n $T_LOG_US && -n $T_SERVED_US ]] \
    || fail "$kind client: not synchronised within ${MAX_WAIT_S}s (log: ${T_LOG_US:-no}, served: ${T_SERVED_US:-no}); see $logf"
}

OURS_LOG=(); OURS_SRV=(); CHR_LOG=(); CHR_SRV=()

run_ours() { # run_ours N
  local d="$WORK/ours$1"
  mkdir -p "$d"; chmod 700 "$d"
  echo "server 127.0.0.1 port $SPORT iburst" >"$d/ntp.conf"
  _DAEMON_LOGS+=("$d/ntpd.log")
  : >"$d/ntpd.log"
  T0_US=$(now_us)
  "${SAFE_PRIV[@]}" "$MERIDIAN_NTPD" -n -c "$d/ntp.conf" --port "$CPORT" \
    --clock-offset "$OFFSET" --clock virtual >"$d/ntpd.log" 2>&1 </dev/null &
  local pid=$!
  _CLEAN_PIDS+=("$pid")
  measure "Meridian ntpd" "$d/ntpd.log" "$pid" "synchronised to 127.0.0.1"
  OURS_LOG+=("$T_LOG_US"); OURS_SRV+=("$T_SERVED_US")
  log "run $1 Meridian ntpd: log $(secs "$T_LOG_US") s, served $(secs "$T_SERVED_US") s"
  stop_daemon "$pid"
}

run_chronyd() { # run_chronyd N
  local d="$WORK/chronyd$1"
  mkdir -p "$d"; chmod 700 "$d"
  cat >"$d/chrony.conf" <<EOF
server 127.0.0.1 port $SPORT iburst
port $CPORT
bindaddress 127.0.0.1
allow 127.0.0.1
cmdport 0
bindcmdaddress $d/chronyd.sock
pidfile $d/chronyd.pid
driftfile $d/chronyd.drift
user root
EOF
  _DAEMON_LOGS+=("$d/chronyd.log")
  : >"$d/chronyd.log"
  T0_US=$(now_us)
  "${SAFE_PRIV[@]}" "${PEER_ENV[@]}" "$CHRONYD" -x -d -f "$d/chrony.conf" \
    >"$d/chronyd.log" 2>&1 </dev/null &
  local pid=$!
  _CLEAN_PIDS+=("$pid")
  measure chronyd "$d/chronyd.log" "$pid" "Selected source 127.0.0.1"
  CHR_LOG+=("$T_LOG_US"); CHR_SRV+=("$T_SERVED_US")
  log "run $1 chronyd:       log $(secs "$T_LOG_US") s, served $(secs "$T_SERVED_US") s"
  stop_daemon "$pid"
}

log "$RUNS starts of each client, alternating; client port $CPORT, --clock-offset $OFFSET for ours"
for ((n = 1; n <= RUNS; n++)); do
  run_ours "$n"
  run_chronyd "$n"
done
_alive_or_fail "$SERVER_PID" "server"

# ------------------------------------------------------------------ report
# stats V... : "median min max" in seconds (3 decimals)
stats() {
  printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1}
    END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
         printf "%.3f %.3f %.3f", m / 1e6, v[1] / 1e6, v[NR] / 1e6}'
}
read -r OL_MED OL_MIN OL_MAX <<<"$(stats "${OURS_LOG[@]}")"
read -r OS_MED OS_MIN OS_MAX <<<"$(stats "${OURS_SRV[@]}")"
read -r CL_MED CL_MIN CL_MAX <<<"$(stats "${CHR_LOG[@]}")"
read -r CS_MED CS_MIN CS_MAX <<<"$(stats "${CHR_SRV[@]}")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
R_LOG=$(ratio "$OL_MED" "$CL_MED")
R_SRV=$(ratio "$OS_MED" "$CS_MED")
raw() { local v out=""; for v in "$@"; do out+="$(secs "$v") "; done; echo "${out% }"; }
OURS_VER=$(grep -o -m1 'Meridian [0-9][0-9.]*' "$WORK/ours1/ntpd.log" || echo "Meridian")
CHR_VER=$("${PEER_ENV[@]}" "$CHRONYD" -v 2>/dev/null | awk '{print $4; exit}')
TARGET=$(awk -v m="$OL_MAX" 'BEGIN{print (m <= 3 ? "met" : "NOT met")}')

TABLE=$(cat <<EOF
| client | time to | median (s) | min (s) | max (s) |
|---|---|---:|---:|---:|
| Meridian ntpd ($OURS_VER) | log "synchronised to 127.0.0.1" | $OL_MED | $OL_MIN | $OL_MAX |
| chronyd $CHR_VER | log "Selected source 127.0.0.1" | $CL_MED | $CL_MIN | $CL_MAX |
| Meridian ntpd | \`ntpdate -q\` sees stratum $WANT | $OS_MED | $OS_MIN | $OS_MAX |
| chronyd $CHR_VER | \`ntpdate -q\` sees stratum $WANT | $CS_MED | $CS_MIN | $CS_MAX |

Ratio ours/chronyd (medians, same run): log **$R_LOG**, served **$R_SRV**
(< 1: Meridian is faster).
EOF
)

mkdir -p "$(dirname "$RESULTS")"
{
  echo "# Time to synchronise: Meridian ntpd vs chronyd"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/time_to_sync.sh\` on"
  echo "$(uname -sr), $(nproc) CPU(s); $RUNS starts of each client, alternating."
  echo "Server: $SERVER_DESC. Both clients: \`server 127.0.0.1 port $SPORT iburst\`;"
  echo "ours with \`--clock virtual --clock-offset $OFFSET\`, chronyd with \`-x\`."
  echo "Times are from just before the client's fork; log polled every 10 ms."
  echo
  echo "$TABLE"
  echo
  echo "Target (issue): synchronised within 3 s of start: **$TARGET** (slowest"
  echo "start $OL_MAX s). Only ratios measured in the same run compare the two."
  echo
  echo "Raw samples (s):"
  echo
  echo "- Meridian log:    $(raw "${OURS_LOG[@]}")"
  echo "- Meridian served: $(raw "${OURS_SRV[@]}")"
  echo "- chronyd log:     $(raw "${CHR_LOG[@]}")"
  echo "- chronyd served:  $(raw "${CHR_SRV[@]}")"
} >"$RESULTS"

echo
echo "$TABLE"
echo
echo "Target: synchronised within 3 s of start: $TARGET (slowest start $OL_MAX s)"
log "written to $RESULTS"
finish
