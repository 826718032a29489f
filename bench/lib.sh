#!/usr/bin/env bash
# bench/lib.sh - shared by the server benchmarks (bench/server-throughput.sh,
# bench/nts-throughput.sh): their common parameters and setup, the raw
# sample file, the repetition loop, medians and the results file.
# Source it after setting TEST_NAME: . "$HERE/lib.sh" (HERE = bench/). It
# sources tests/interop/lib.sh (daemons under setpriv, namespaces, EXIT trap)
# and sets ROOT.
# shellcheck source-path=SCRIPTDIR

ROOT=$(cd -- "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../tests/interop/lib.sh
. "$ROOT/tests/interop/lib.sh"

# bench_params [BIN_DIR [PEERS_DIR]] : the parameters both benchmarks take
# from the environment (bench/README.md), with their defaults and checks.
# shellcheck disable=SC2034  # used by the benchmark scripts
bench_params() {
  BIN_DIR=${1:-$ROOT/build/release/bin}
  PEERS_DIR=${2:-$ROOT/build/interop-peers}
  REPS=${REPS:-3}
  CLOSED_S=${CLOSED_S:-3}
  WINDOW=${WINDOW:-64}
  PORTS=${PORTS:-8}
  RESULTS=${RESULTS:-$ROOT/docs/performance.md}
  SERVER_CPU=${SERVER_CPU:-0}
  LOAD_CPU=${LOAD_CPU:-1}
  NICE=${NICE:-0}   # e.g. NICE=-10: server and generator ahead of other work on a shared machine
  if ! [[ $NICE =~ ^-?[0-9]+$ ]] || ((NICE < -20 || NICE > 19)); then fail "NICE must be -20..19"; fi
  [[ $REPS =~ ^[1-9]$ ]] || fail "REPS must be 1..9"
}

# bench_setup NS_NAME [TOOL...] : our ntpd and meridian-bench-load in
# BIN_DIR (sets MERIDIAN_NTPD, BIN, LOADGEN), the peers if unpacked
# (HAVE_PEERS 0/1), the tools (setpriv taskset ss awk sort and TOOL...), a
# work dir with the empty raw sample file RAW; as root a network namespace
# NS_NAME (NS; "" otherwise); SPORT, a free UDP port there.
# shellcheck disable=SC2034  # used by the benchmark scripts
bench_setup() {
  local ns_name=$1; shift
  setup_ntpd "$BIN_DIR"
  BIN=$(cd -- "$BIN_DIR" && pwd -P)
  LOADGEN="$BIN/meridian-bench-load"
  [[ -x $LOADGEN ]] || fail "$BIN has no meridian-bench-load (cmake --build --preset release)"
  HAVE_PEERS=1
  ( setup_peers "$PEERS_DIR" ) >/dev/null 2>&1 || HAVE_PEERS=0
  if ((HAVE_PEERS)); then setup_peers "$PEERS_DIR"; fi
  require_tools setpriv taskset ss awk sort "$@"
  make_workdir
  RAW="$WORK/raw.tsv"
  : >"$RAW"
  NS=""
  if [[ $(id -u) == 0 ]]; then
    NS=$ns_name
    netns_create "$NS"
  fi
  SPORT=$(free_udp_port "$NS") || fail "no free UDP port"
}

kv() { # kv KEY LINE : value of KEY=... in LINE
  local k=$1 w; for w in $2; do [[ ${w%%=*} == "$k" ]] && { echo "${w#*=}"; return; }; done; echo ""
}
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RAW"; }  # rep server metric value

# bench_pin NAME : pins the server SPID (every thread) to SERVER_CPU and
# renices every thread by NICE.
bench_pin() {
  local t
  taskset -a -cp "$SERVER_CPU" "$SPID" >/dev/null || fail "cannot pin $1 to CPU $SERVER_CPU"
  if ((NICE != 0)); then
    for t in /proc/"$SPID"/task/*; do renice -n "$NICE" -p "${t##*/}" >/dev/null; done
  fi
}

# threads1 is "not available" unless ntpd really starts workers for it.
threads_available() {
  local log=$1 pid=$2 n
  if grep -qiE "threads.*(no effect|ignored|not (yet )?(implemented|supported)|main thread only)" \
    "$log"; then
    return 1
  fi
  n=$(status_kb "$pid" Threads)
  ((n > 1)) || grep -qiE "fast path: .*worker" "$log"
}

# bench_run_reps : `measure REP NAME` for every server of SERVERS, REPS
# times, the order rotated every repetition. Sets LIST, LOAD_BEFORE,
# START_UTC.
bench_run_reps() {
  local rep j n
  read -ra LIST <<<"$SERVERS"
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  START_UTC=$(date -u '+%Y-%m-%d %H:%M UTC')
  n=${#LIST[@]}
  for ((rep = 1; rep <= REPS; rep++)); do
    for ((j = 0; j < n; j++)); do
      measure "$rep" "${LIST[$(( (j + rep - 1) % n ))]}"
    done
  done
}

med() { # med SERVER METRIC : median over repetitions ("" if none)
  awk -F'\t' -v s="$1" -v m="$2" '$2 == s && $3 == m {print $4}' "$RAW" | sort -g \
    | awk '{v[NR] = $1} END {if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b}'; }

# bench_run_info : the report's lines on when, where and under which load.
bench_run_info() {
  echo "Run: $START_UTC, $REPS repetitions, medians. Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs; $(uname -srm)."
  echo "Load average (1/5/15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER."
}

# bench_server_commands : each server's command line (CMDLINE) and its
# configuration (CONFTEXT), indented.
bench_server_commands() {
  local s
  for s in "${LIST[@]}"; do
    [[ -n ${CMDLINE[$s]:-} ]] || continue
    echo "$s: ${CMDLINE[$s]}"
    # shellcheck disable=SC2001  # indent every line
    if [[ -n ${CONFTEXT[$s]:-} ]]; then sed 's/^/    /' <<<"${CONFTEXT[$s]}"; fi
  done
}

# bench_splice_results MARK : puts $WORK/table.md in place of the part of
# RESULTS between <!-- MARK:begin and <!-- MARK:end; returns 1 (RESULTS
# unchanged) if it has no such part.
bench_splice_results() {
  [[ -f $RESULTS ]] && grep -q "<!-- $1:begin" "$RESULTS" || return 1
  awk -v f="$WORK/table.md" -v b="<!-- $1:begin" -v e="<!-- $1:end" '
    index($0, b) {while ((getline l < f) > 0) print l; skip = 1; next}
    index($0, e) {skip = 0; next}
    !skip {print}' "$RESULTS" >"$WORK/perf.md"
  cat "$WORK/perf.md" >"$RESULTS"
}
