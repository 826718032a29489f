#!/usr/bin/env bash
# tests/interop/lib.sh - shared helpers for Meridian's interop tests against
# real third-party NTP daemons (chronyd, NTPsec ntpd) on one machine.
# Source it from a test script:  . "$(dirname "$0")/lib.sh"
#
# Safety measures (non-negotiable, enforced here):
#  * The machine's clock is never written: every third-party daemon runs under
#    `setpriv --bounding-set=-sys_time --inh-caps=-sys_time --` (the kernel
#    refuses clock_settime/adjtimex writes with EPERM), chronyd additionally
#    with -x (no clock control at all). `--pdeathsig TERM` also stops a
#    daemon if the test script itself is killed with SIGKILL.
#  * Network traffic stays on 127.0.0.0/8, ::1, or inside network namespaces
#    created here (ip netns add) and deleted again on exit.
#  * The daemons are the ones unpacked by scripts/fetch-interop-peers.sh with
#    `dpkg -x` (never installed, no service started).
#  * Every wait is bounded in iterations and time; an EXIT trap kills the
#    daemons this script started (by PID), the processes left in the
#    namespaces it created, deletes those namespaces and /etc/netns/NAME, and
#    removes the temporary directory.
#
# Globals set by the helpers: WORK (temp dir), CHRONYD, NTPD (binaries),
# DAEMON_PID / DAEMON_LOG (last started daemon), RUN_RC / RUN_OUT / RUN_ERR
# (last run_cmd), PROBE_LI / PROBE_STRATUM / PROBE_REFID (last ntp_probe).

# shellcheck disable=SC2034  # globals here are used by the test scripts
export LC_ALL=C
SAFE_PRIV=(setpriv --bounding-set=-sys_time --inh-caps=-sys_time --pdeathsig TERM --)

TEST_NAME=${TEST_NAME:-$(basename "${0%.sh}")}
_PASSED=0
_SKIPPED=0
_CLEAN_PIDS=()
_CLEAN_NETNS=()
_DAEMON_LOGS=()
WORK=""
_T0=${EPOCHREALTIME/./}

# ------------------------------------------------------------------ output
log()  { printf '[%s] %s\n' "$TEST_NAME" "$*"; }
pass() { _PASSED=$((_PASSED + 1)); printf '[%s] ok: %s\n' "$TEST_NAME" "$*"; }
# skip MSG... : a check that could not be made (missing peer program, an
# overloaded machine, a state that passed before it could be observed).
# Outside CI it is reported and counted in the summary ("N skipped"). Under
# CI=true a skip is a failure: a CI run that checked nothing must not pass.
skip() {
  _SKIPPED=$((_SKIPPED + 1))
  if [[ ${CI:-} == true ]]; then
    fail_later "not checked, and CI=true forbids skipping: $*"
    return 0
  fi
  printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*"
}

_summary() { # _summary FAILED
  local s=""
  [[ $_SKIPPED -gt 0 ]] && s=", $_SKIPPED skipped"
  printf '%s: %d passed, %d failed%s (%.1f s)\n' "$TEST_NAME" "$_PASSED" "$1" "$s" \
    "$(elapsed)"
}

# fail MSG... : print the message, the daemons' logs, a summary; exit 1.
fail() {
  printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
  local f
  for f in "${_DAEMON_LOGS[@]}"; do
    [[ -s $f ]] || continue
    printf '[%s] --- last lines of %s ---\n' "$TEST_NAME" "$f" >&2
    tail -n 25 "$f" | sed 's/^/    /' >&2
  done
  _summary $((1 + ${#_DEFERRED_FAILS[@]})) >&2
  exit 1
}

# fail_later MSG... : record a failed check but go on with the next ones (for
# a check that exposes a known bug while the later checks still tell
# something); finish then prints the recorded failures and exits 1.
_DEFERRED_FAILS=()
fail_later() {
  printf '[%s] FAIL (continuing): %s\n' "$TEST_NAME" "$*" >&2
  _DEFERRED_FAILS+=("$*")
}

finish() { # call at the end of a test script
  if [[ ${#_DEFERRED_FAILS[@]} -gt 0 ]]; then
    local m
    for m in "${_DEFERRED_FAILS[@]}"; do printf '[%s] FAIL: %s\n' "$TEST_NAME" "$m" >&2; done
    _summary "${#_DEFERRED_FAILS[@]}" >&2
    exit 1
  fi
  _summary 0
  exit 0
}

elapsed() { # seconds since the test started, e.g. 3.42
  local now=${EPOCHREALTIME/./}
  awk -v d="$((now - _T0))" 'BEGIN{printf "%.2f", d/1e6}'
}

# ------------------------------------------------------------------ cleanup
_kill_pid() { # TERM, wait up to 3 s, then KILL
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

_cleanup() {
  local rc=$? pid ns
  trap - EXIT INT TERM
  set +e
  for pid in "${_CLEAN_PIDS[@]}"; do _kill_pid "$pid"; done
  for ns in "${_CLEAN_NETNS[@]}"; do
    # anything still inside a namespace this script created was started by it
    for pid in $(ip netns pids "$ns" 2>/dev/null); do _kill_pid "$pid"; done
    ip netns del "$ns" 2>/dev/null
    rm -rf -- "/etc/netns/$ns"
  done
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ ${KEEP_WORK:-0} == 1 ]]; then log "keeping $WORK"; else rm -rf -- "$WORK"; fi
  fi
  exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_workdir() { # sets WORK (0700, so chronyd accepts its socket dir)
  WORK=$(mktemp -d "/tmp/meridian-interop.${TEST_NAME}.XXXXXX")
  chmod 700 "$WORK"
}

# ------------------------------------------------------------ prerequisites
require_root() {
  [[ $(id -u) == 0 ]] || fail "must run as root (network namespaces, port 123)"
}

require_tools() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || fail "required tool not found: $t"; done
}

# setup_bin BIN_DIR : checks BIN_DIR/ntpdate, sets NTPDATE
setup_bin() {
  [[ -n ${1:-} ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
  local d
  d=$(cd -- "$1" 2>/dev/null && pwd -P) || fail "BIN_DIR $1 not found (build Meridian first)"
  NTPDATE="$d/ntpdate"
  [[ -x $NTPDATE ]] || fail "ntpdate not found or not executable: $1/ntpdate (build Meridian first)"
}

# setup_peers PEERS_DIR : locates the unpacked daemons, sets CHRONYD, NTPD,
# PEER_ENV (env prefix with LD_LIBRARY_PATH if runtime-libs were unpacked),
# CHRONYC (empty if unavailable) and NTPDIG (command array, empty if unavailable).
setup_peers() {
  [[ -n ${1:-} ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
  local d llp pp
  d=$(cd -- "$1" 2>/dev/null && pwd -P) \
    || fail "peers directory $1 missing: run scripts/fetch-interop-peers.sh $1"
  PEERS="$d"
  CHRONYD="$d/chrony/usr/sbin/chronyd"
  NTPD="$d/ntpsec/usr/sbin/ntpd"
  [[ -x $CHRONYD ]] || fail "$CHRONYD missing: run scripts/fetch-interop-peers.sh $1"
  [[ -x $NTPD ]] || fail "$NTPD missing: run scripts/fetch-interop-peers.sh $1"
  PEER_ENV=()
  if [[ -d $d/runtime-libs ]]; then
    llp=$(find "$d/runtime-libs" -name 'lib*.so.[0-9]*' \( -type f -o -type l \) \
            -printf '%h\n' | sort -u | paste -sd: -)
    [[ -n $llp ]] && PEER_ENV=(env "LD_LIBRARY_PATH=$llp")
  fi
  CHRONYC="$d/chrony/usr/bin/chronyc"   # optional (diagnostics over a unix socket)
  [[ -x $CHRONYC ]] || CHRONYC=""
  NTPDIG=()
  pp="$d/ntpsec/usr/lib/python3/dist-packages"
  if [[ -f $d/ntpsec/usr/bin/ntpdig && -x /usr/bin/python3 ]]; then
    NTPDIG=(env "PYTHONPATH=$pp" "${PEER_ENV[@]:1}" /usr/bin/python3 "$d/ntpsec/usr/bin/ntpdig")
  fi
}

# ------------------------------------------------------------- namespaces
# in_ns NS CMD... : run CMD in namespace NS, or directly if NS is empty.
in_ns() {
  local ns=$1; shift
  if [[ -n $ns ]]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

_ns_prefix() { # sets _NS_PRE to (ip netns exec NS) or ()
  _NS_PRE=()
  if [[ -n $1 ]]; then _NS_PRE=(ip netns exec "$1"); fi
}

# netns_create NAME [HOSTS_LINE...] : new namespace with lo up, a resolver
# that fails at once (nameserver 127.0.0.1) and /etc/hosts + extra lines.
# Registered for deletion on exit.
netns_create() {
  local ns=$1; shift
  ip netns add "$ns" || fail "ip netns add $ns failed"
  _CLEAN_NETNS+=("$ns")
  ip -n "$ns" link set lo up || fail "cannot bring lo up in $ns"
  mkdir -p "/etc/netns/$ns"
  echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
  { cat /etc/hosts 2>/dev/null || printf '127.0.0.1 localhost\n::1 localhost\n'
    local l; for l in "$@"; do echo "$l"; done
  } >"/etc/netns/$ns/hosts"
  log "created network namespace $ns"
}

# netns_add_local_addr NS ADDR : ADDR becomes a local address on lo in NS.
netns_add_local_addr() {
  ip -n "$1" route add local "$2/32" dev lo src 127.0.0.1 table local \
    || fail "cannot add local address $2 in $1"
}

# ---------------------------------------------------------------- waiting
# wait_for TIMEOUT_S INTERVAL_S DESC CMD... : retry CMD until it succeeds;
# bounded by time and by iteration count. Returns 1 on timeout.
wait_for() {
  local timeout=$1 interval=$2 desc=$3; shift 3
  local deadline max i now
  deadline=$(( ${EPOCHREALTIME/./} + $(awk -v t="$timeout" 'BEGIN{printf "%d", t*1e6}') ))
  max=$(awk -v t="$timeout" -v i="$interval" 'BEGIN{printf "%d", t/i + 2}')
  for ((i = 0; i < max; i++)); do
    if "$@"; then return 0; fi
    now=${EPOCHREALTIME/./}
    (( now >= deadline )) && break
    sleep "$interval"
  done
  log "timed out after ${timeout}s waiting for: $desc"
  return 1
}

# free_udp_port [NS] : prints an unused UDP port (12000+$$%1000 upwards).
free_udp_port() {
  local ns=${1:-} p i
  p=$((12000 + $$ % 1000))
  for ((i = 0; i < 200; i++, p++)); do
    if [[ -z $(in_ns "$ns" ss -Huan "sport = :$p" 2>/dev/null) ]]; then
      echo "$p"; return 0
    fi
  done
  return 1
}

# free_tcp_port [BASE [NS]] : an unused TCP port in NS (BASE+$$%1000 upwards,
# BASE 13000 by default).
free_tcp_port() {
  local p=$((${1:-13000} + $$ % 1000)) ns=${2:-} i
  for ((i = 0; i < 200; i++, p++)); do
    if [[ -z $(in_ns "$ns" ss -Htan "sport = :$p" 2>/dev/null) ]]; then
      echo "$p"; return 0
    fi
  done
  return 1
}

# udp_port_held_by NS ADDR PORT PID : true if PID has a UDP socket on ADDR:PORT
udp_port_held_by() {
  in_ns "$1" ss -Hulpn "sport = :$3" 2>/dev/null | grep -F "$2:$3" | grep -q "pid=$4,"
}

# ---------------------------------------------------------------- daemons
_alive_or_fail() { # _alive_or_fail PID WHAT
  kill -0 "$1" 2>/dev/null || fail "$2 (pid $1) exited early"
}

# start_chronyd NAME NS ADDR PORT STRATUM [EXTRA_CONF_LINE...]
# chronyd as an NTP server with a local reference at stratum STRATUM, bound to
# ADDR:PORT, no command port, state in $WORK/NAME. Waits (≤ 10 s) until its
# socket is bound and it answers a mode-3 query. Sets DAEMON_PID, DAEMON_LOG.
start_chronyd() {
  local name=$1 ns=$2 addr=$3 port=$4 stratum=$5; shift 5
  local d="$WORK/$name" l
  mkdir -p "$d"; chmod 700 "$d"
  {
    echo "# $TEST_NAME: chronyd test server (run with -x: no clock control)"
    echo "port $port"
    echo "bindaddress $addr"
    echo "allow 127.0.0.0/8"
    echo "allow 198.18.0.0/15"
    echo "local stratum $stratum"
    echo "cmdport 0"
    echo "bindcmdaddress $d/chronyd.sock"
    echo "pidfile $d/chronyd.pid"
    echo "driftfile $d/chronyd.drift"
    echo "user root"
    for l in "$@"; do echo "$l"; done
  } >"$d/chrony.conf"
  _ns_prefix "$ns"
  DAEMON_LOG="$d/chronyd.log"
  _DAEMON_LOGS+=("$DAEMON_LOG")
  log "starting chronyd ${ns:+in netns $ns }on $addr:$port (stratum $stratum): $d/chrony.conf"
  # a simple command (not a function) in the background: $! is the daemon's
  # own pid, as ip netns exec, setpriv and env all exec.
  "${_NS_PRE[@]}" "${SAFE_PRIV[@]}" "${PEER_ENV[@]}" "$CHRONYD" -x -d -f "$d/chrony.conf" \
    >"$DAEMON_LOG" 2>&1 </dev/null &
  DAEMON_PID=$!
  _CLEAN_PIDS+=("$DAEMON_PID")
  wait_for 10 0.1 "chronyd to bind $addr:$port" \
    _daemon_bound "$ns" "$addr" "$port" "$DAEMON_PID" "chronyd" \
    || fail "chronyd did not bind $addr:$port"
  wait_for 10 0.2 "chronyd to answer on $addr:$port" ntp_probe "$ns" "$addr" "$port" \
    || fail "chronyd does not answer on $addr:$port"
  log "chronyd pid $DAEMON_PID answers: $PROBE_LINE"
}

_daemon_bound() { # NS ADDR PORT PID WHAT
  _alive_or_fail "$4" "$5"
  udp_port_held_by "$1" "$2" "$3" "$4"
}

# start_ntpsec NAME NS [EXTRA_CONF_LINE...]
# NTPsec ntpd (-n, foreground) in namespace NS, listening only on loopback
# (127.0.0.1; NTPsec also binds ::1 on lo), kernel discipline disabled, under
# setpriv without CAP_SYS_TIME (its clock writes fail with EPERM). Extra lines
# (e.g. "server 198.18.0.2 iburst") are appended. Waits (≤ 10 s) until it has
# bound 127.0.0.1:123. Sets DAEMON_PID, DAEMON_LOG.
start_ntpsec() {
  local name=$1 ns=$2; shift 2
  local d="$WORK/$name" l
  mkdir -p "$d/stats"; chmod 700 "$d"
  {
    echo "# $TEST_NAME: NTPsec ntpd test instance (no CAP_SYS_TIME)"
    echo "disable kernel"
    echo "interface ignore wildcard"
    echo "interface ignore all"
    echo "interface listen 127.0.0.1"
    echo "restrict default"
    echo "restrict 127.0.0.1"
    echo "restrict ::1"
    echo "driftfile $d/ntp.drift"
    echo "statsdir $d/stats/"
    echo "logfile $d/ntpd.log"
    for l in "$@"; do echo "$l"; done
  } >"$d/ntp.conf"
  _ns_prefix "$ns"
  DAEMON_LOG="$d/ntpd.out"
  _DAEMON_LOGS+=("$DAEMON_LOG")
  log "starting NTPsec ntpd ${ns:+in netns $ns }: $d/ntp.conf"
  "${_NS_PRE[@]}" "${SAFE_PRIV[@]}" "${PEER_ENV[@]}" "$NTPD" -n -c "$d/ntp.conf" \
    >"$DAEMON_LOG" 2>&1 </dev/null &
  DAEMON_PID=$!
  _CLEAN_PIDS+=("$DAEMON_PID")
  wait_for 10 0.05 "ntpd to bind 127.0.0.1:123" \
    _daemon_bound "$ns" 127.0.0.1 123 "$DAEMON_PID" "ntpd" \
    || fail "NTPsec ntpd did not bind 127.0.0.1:123"
  log "NTPsec ntpd pid $DAEMON_PID listening on 127.0.0.1:123"
}

# ------------------------------------------------------------------ probing
# ntp_probe NS ADDR PORT : independent check of a server's answer.
# Sets PROBE_LI, PROBE_STRATUM, PROBE_REFID, PROBE_LINE. Returns 1 if no answer.
ntp_probe() {
  local ns=$1 addr=$2 port=$3 r
  r=$(in_ns "$ns" bash -c "$(declare -f _ntp_probe_raw48); _ntp_probe_raw48 '$addr' '$port'" 2>/dev/null) \
    || return 1
  local -a b
  # shellcheck disable=SC2206  # split the 48 decimal bytes
  b=($r)
  (( (b[0] & 7) == 4 )) || return 1           # must be a mode-4 (server) reply
  PROBE_LI=$(( b[0] >> 6 )); PROBE_STRATUM=${b[1]}
  if [[ ${b[1]} -le 1 ]]; then                 # kiss code / reference id: ASCII
    # shellcheck disable=SC2059  # octal escapes built on purpose
    PROBE_REFID=$(printf "\\$(printf %03o "${b[12]}")\\$(printf %03o "${b[13]}")\\$(printf %03o "${b[14]}")\\$(printf %03o "${b[15]}")" | tr -d '\0')
  else
    PROBE_REFID="${b[12]}.${b[13]}.${b[14]}.${b[15]}"
  fi
  PROBE_LINE="li=$PROBE_LI stratum=$PROBE_STRATUM refid=$PROBE_REFID"
}

# _ntp_probe_raw48 ADDR PORT : pure-bash mode-3 (NTPv4 client) query over
# /dev/udp; prints the 48 bytes of the reply header (decimal) or fails after 1 s.
_ntp_probe_raw48() {
  local addr=$1 port=$2 sec hex bytes
  exec 3<>"/dev/udp/$addr/$port" || return 2
  # transmit timestamp = now (seconds since 1900), so strict servers answer
  sec=$(( EPOCHSECONDS + 2208988800 ))
  hex=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(( sec >> 24 & 255 )) \
        $(( sec >> 16 & 255 )) $(( sec >> 8 & 255 )) $(( sec & 255 )))
  # one write(2) of 48 bytes = one datagram: LI=0 VN=4 Mode=3, xmt at 40
  { printf '\x23'; head -c 39 /dev/zero; printf '%b' "$hex"; head -c 4 /dev/zero; } \
    | dd bs=48 count=1 iflag=fullblock status=none >&3 2>/dev/null || { exec 3>&-; return 1; }
  bytes=$(timeout 1 dd bs=2048 count=1 status=none <&3 2>/dev/null | od -An -tu1 -v -N 48)
  exec 3>&-
  # shellcheck disable=SC2086
  set -- $bytes
  [[ $# -ge 48 ]] || return 1
  echo "$*"
}

# ntp_probe_full NS ADDR PORT : ntp_probe plus the timing fields of the reply.
# Sets PROBE_LI, PROBE_STRATUM, PROBE_REFID, PROBE_LINE as ntp_probe does, and
# PROBE_ROOT_DELAY, PROBE_ROOT_DISP (seconds), PROBE_REF_MINUS_XMT (reference
# timestamp - transmit timestamp, seconds; empty if the reference timestamp is
# zero). PROBE_LINE then also shows these. Returns 1 if no mode-4 answer.
ntp_probe_full() {
  local ns=$1 addr=$2 port=$3 r
  r=$(in_ns "$ns" bash -c "$(declare -f _ntp_probe_raw48); _ntp_probe_raw48 '$addr' '$port'" 2>/dev/null) \
    || return 1
  local -a b
  read -r -a b <<<"$r"
  [[ ${#b[@]} -ge 48 && $(( b[0] & 7 )) == 4 ]] || return 1
  PROBE_LI=$(( b[0] >> 6 )); PROBE_STRATUM=${b[1]}
  if [[ ${b[1]} -le 1 ]]; then
    # shellcheck disable=SC2059
    PROBE_REFID=$(printf "\\$(printf %03o "${b[12]}")\\$(printf %03o "${b[13]}")\\$(printf %03o "${b[14]}")\\$(printf %03o "${b[15]}")" | tr -d '\0')
  else
    PROBE_REFID="${b[12]}.${b[13]}.${b[14]}.${b[15]}"
  fi
  local rd rdisp rs rf xs xf   # big-endian 32-bit fields at byte offsets 4, 8, 16, 20, 40, 44
  rd=$((    b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7] ))
  rdisp=$(( b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11] ))
  rs=$((    b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19] ))
  rf=$((    b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23] ))
  xs=$((    b[40] << 24 | b[41] << 16 | b[42] << 8 | b[43] ))
  xf=$((    b[44] << 24 | b[45] << 16 | b[46] << 8 | b[47] ))
  PROBE_ROOT_DELAY=$(awk -v v="$rd" 'BEGIN{if (v >= 2^31) v -= 2^32; printf "%.6f", v / 65536}')
  PROBE_ROOT_DISP=$(awk -v v="$rdisp" 'BEGIN{printf "%.6f", v / 65536}')
  PROBE_REF_MINUS_XMT=""
  if (( rs != 0 || rf != 0 )); then
    PROBE_REF_MINUS_XMT=$(awk -v d="$(( (rs - xs) * 4294967296 + (rf - xf) ))" \
                            'BEGIN{printf "%+.6f", d / 4294967296}')
  fi
  PROBE_LINE="li=$PROBE_LI stratum=$PROBE_STRATUM refid=$PROBE_REFID rootdelay=$PROBE_ROOT_DELAY rootdisp=$PROBE_ROOT_DISP ref-xmt=${PROBE_REF_MINUS_XMT:-none}"
}

# run_ntpdig NS ADDR : NTPsec's own SNTP client (from PEERS_DIR, needs
# /usr/bin/python3) as an independent second opinion; prints its output.
# Informational only: returns 0 even if ntpdig is unavailable or fails.
run_ntpdig() {
  if [[ ${#NTPDIG[@]} -eq 0 ]]; then log "(ntpdig not available)"; return 0; fi
  local out
  out=$(in_ns "$1" timeout 10 "${NTPDIG[@]}" -t 1 "$2" 2>&1) || true
  log "ntpdig $2 says: ${out:-<nothing>}"
}

# ------------------------------------------------------------ running tools
_RUN_N=0
# run_cmd TIMEOUT_S NS CMD... : runs CMD (in NS if non-empty) with a timeout,
# captures stdout/stderr into files, prints what ran and what it said.
# Sets RUN_RC, RUN_OUT, RUN_ERR, RUN_SECS. Never aborts the script.
run_cmd() {
  local t=$1 ns=$2; shift 2
  local t0 t1
  _RUN_N=$((_RUN_N + 1))
  RUN_OUT="$WORK/run$_RUN_N.out"; RUN_ERR="$WORK/run$_RUN_N.err"
  log "\$ ${ns:+ip netns exec $ns }$*"
  t0=${EPOCHREALTIME/./}
  set +e
  local pre=()
  [[ -n $ns ]] && pre=(ip netns exec "$ns")
  timeout -k 2 "$t" "${pre[@]}" "$@" >"$RUN_OUT" 2>"$RUN_ERR" </dev/null
  RUN_RC=$?
  set -e
  t1=${EPOCHREALTIME/./}
  RUN_SECS=$(awk -v d="$((t1 - t0))" 'BEGIN{printf "%.2f", d/1e6}')
  sed 's/^/    stdout| /' "$RUN_OUT"
  sed 's/^/    stderr| /' "$RUN_ERR"
  log "  -> exit $RUN_RC after ${RUN_SECS}s"
  [[ $RUN_RC -ne 124 && $RUN_RC -ne 137 ]] || log "  (killed by timeout ${t}s)"
}

# ------------------------------------------------------------- assertions
assert_rc() { # assert_rc EXPECTED DESC
  [[ $RUN_RC == "$1" ]] || fail "$2: expected exit $1, got $RUN_RC"
  pass "$2: exit $1"
}

# assert_line FILE ERE DESC : some line of FILE matches ERE (whole line);
# prints the first match into MATCHED_LINE.
assert_line() {
  MATCHED_LINE=$(grep -E -m1 -- "$2" "$1" || true)
  [[ -n $MATCHED_LINE ]] || fail "$3: no line matches /$2/"
  pass "$3: '$MATCHED_LINE'"
}

assert_contains() { # FILE STRING DESC
  grep -qF -- "$2" "$1" || fail "$3: '$2' not found"
  pass "$3"
}

assert_not_contains() { # FILE STRING DESC
  ! grep -qF -- "$2" "$1" || fail "$3: unexpected '$2'"
  pass "$3"
}

# assert_abs_lt VALUE LIMIT DESC : |VALUE| < LIMIT
assert_abs_lt() {
  awk -v v="$1" -v l="$2" 'BEGIN{if (v < 0) v = -v; exit !(v < l)}' \
    || fail "$3: |$1| >= $2"
  pass "$3: |$1| < $2"
}

# assert_range LO VALUE HI DESC : LO <= VALUE < HI
assert_range() {
  awk -v lo="$1" -v v="$2" -v hi="$3" 'BEGIN{exit !(v >= lo && v < hi)}' \
    || fail "$4: $2 not in [$1, $3)"
  pass "$4: $1 <= $2 < $3"
}

# Classic ntpdate line formats (see shared/reference/classic-formats.md).
RE_NUM_OFF='-?[0-9]+\.[0-9]{6}'
RE_NUM_DELAY='[0-9]+\.[0-9]{5}'
RE_PREFIX='[ 123][0-9] [A-Z][a-z]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} ntpdate\[[0-9]+\]: '
# shellcheck disable=SC2016
re_quote() { sed 's/[][\.*^$(){}+?|/]/\\&/g' <<<"$1"; }

# check_query_output ADDR STRATUM OFFSET_LIMIT DELAY_LIMIT
# For an `ntpdate -q` run against one server (RUN_OUT): the server line and
# the adjust line, formats, order, equal offsets, |offset| and delay bounds.
# Sets Q_OFFSET, Q_DELAY.
check_query_output() {
  local addr=$1 stratum=$2 olim=$3 dlim=$4 qa sline aline sn an aoff
  qa=$(re_quote "$addr")
  assert_line "$RUN_OUT" \
    "^server $qa, stratum $stratum, offset $RE_NUM_OFF, delay $RE_NUM_DELAY\$" \
    "server line for $addr"
  sline=$MATCHED_LINE
  Q_OFFSET=$(sed -E 's/.*, offset (-?[0-9.]+), delay.*/\1/' <<<"$sline")
  Q_DELAY=$(sed -E 's/.*, delay ([0-9.]+)$/\1/' <<<"$sline")
  assert_line "$RUN_OUT" \
    "^${RE_PREFIX}adjust time server $qa offset $RE_NUM_OFF sec\$" \
    "adjust line for $addr"
  aline=$MATCHED_LINE
  aoff=$(sed -E 's/.* offset (-?[0-9.]+) sec$/\1/' <<<"$aline")
  sn=$(grep -nF -m1 -- "$sline" "$RUN_OUT" | cut -d: -f1)
  an=$(grep -nF -m1 -- "$aline" "$RUN_OUT" | cut -d: -f1)
  [[ $sn -lt $an ]] || fail "server line must precede the adjust line"
  pass "server line precedes the adjust line"
  [[ $aoff == "$Q_OFFSET" ]] || fail "adjust offset $aoff != server line offset $Q_OFFSET"
  pass "adjust line offset equals server line offset ($aoff)"
  assert_abs_lt "$Q_OFFSET" "$olim" "offset"
  assert_range 0 "$Q_DELAY" "$dlim" "delay"
}

# ------------------------------------------------ Meridian's ntpd as server
# setup_ntpd BIN_DIR : checks BIN_DIR/ntpd, sets MERIDIAN_NTPD (our daemon;
# NTPD is NTPsec's). Call after setup_bin.
setup_ntpd() {
  [[ -n ${1:-} ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
  local d
  d=$(cd -- "$1" 2>/dev/null && pwd -P) || fail "BIN_DIR $1 not found (build Meridian first)"
  MERIDIAN_NTPD="$d/ntpd"
  [[ -x $MERIDIAN_NTPD ]] || fail "ntpd not found or not executable: $1/ntpd (build Meridian first)"
}

# check_ntpd_conf CONF : `ntpd --check -c CONF` must exit 0 (prints its output).
check_ntpd_conf() {
  run_cmd 10 "" "$MERIDIAN_NTPD" --check -c "$1"
  assert_rc 0 "ntpd --check -c $(basename "$1")"
}

# start_meridian_ntpd NAME NS CONF PORT [EXTRA_ARG...]
# Our ntpd in the foreground (-n) with CONF on PORT, ALWAYS with
# `--clock virtual` (given last, so no extra argument can select another
# clock) and under setpriv without CAP_SYS_TIME. Waits (≤ 10 s) until it holds
# 0.0.0.0:PORT. Does not send it anything (a probe would count against rate
# limits). Sets DAEMON_PID, DAEMON_LOG.
start_meridian_ntpd() {
  local name=$1 ns=$2 conf=$3 port=$4; shift 4
  local d="$WORK/$name"
  mkdir -p "$d"; chmod 700 "$d"
  _ns_prefix "$ns"
  DAEMON_LOG="$d/ntpd.log"
  _DAEMON_LOGS+=("$DAEMON_LOG")
  log "starting Meridian ntpd ${ns:+in netns $ns }on port $port: ntpd -n -c $conf --port $port $* --clock virtual"
  "${_NS_PRE[@]}" "${SAFE_PRIV[@]}" "$MERIDIAN_NTPD" -n -c "$conf" --port "$port" "$@" \
    --clock virtual >"$DAEMON_LOG" 2>&1 </dev/null &
  DAEMON_PID=$!
  _CLEAN_PIDS+=("$DAEMON_PID")
  wait_for 10 0.05 "Meridian ntpd to bind 0.0.0.0:$port" \
    _daemon_bound "$ns" 0.0.0.0 "$port" "$DAEMON_PID" "Meridian ntpd" \
    || fail "Meridian ntpd did not bind 0.0.0.0:$port"
  log "Meridian ntpd pid $DAEMON_PID listening on port $port"
}

# stop_daemon PID : TERM (KILL after 3 s) a daemon this script started.
stop_daemon() { _kill_pid "$1"; wait "$1" 2>/dev/null || true; }

# --------------------------------------------------------- chronyd as client
# start_chronyd_client NAME NS SERVER_LINE [EXTRA_CONF_LINE...]
# chronyd (-x -d, no clock control, under setpriv) as an NTP client of
# SERVER_LINE (e.g. "server 127.0.0.1 port 12345 iburst"), serving nobody
# (port 0), command socket $WORK/NAME/chronyd.sock only (cmdport 0), state in
# $WORK/NAME. Waits (≤ 10 s) for the command socket. Sets DAEMON_PID,
# DAEMON_LOG.
start_chronyd_client() {
  local name=$1 ns=$2 server=$3; shift 3
  local d="$WORK/$name" l
  mkdir -p "$d"; chmod 700 "$d"
  {
    echo "# $TEST_NAME: chronyd test client (run with -x: no clock control)"
    echo "$server"
    echo "port 0"
    echo "cmdport 0"
    echo "bindcmdaddress $d/chronyd.sock"
    echo "pidfile $d/chronyd.pid"
    echo "driftfile $d/chronyd.drift"
    echo "user root"
    for l in "$@"; do echo "$l"; done
  } >"$d/chrony.conf"
  _ns_prefix "$ns"
  DAEMON_LOG="$d/chronyd.log"
  _DAEMON_LOGS+=("$DAEMON_LOG")
  log "starting chronyd client ${ns:+in netns $ns }'$server': $d/chrony.conf"
  "${_NS_PRE[@]}" "${SAFE_PRIV[@]}" "${PEER_ENV[@]}" "$CHRONYD" -x -d -f "$d/chrony.conf" \
    >"$DAEMON_LOG" 2>&1 </dev/null &
  DAEMON_PID=$!
  _CLEAN_PIDS+=("$DAEMON_PID")
  wait_for 10 0.05 "chronyd $name to open $d/chronyd.sock" \
    _chronyd_sock_ready "$DAEMON_PID" "$d/chronyd.sock" \
    || fail "chronyd $name did not open its command socket"
  log "chronyd $name pid $DAEMON_PID started"
}

_chronyd_sock_ready() { _alive_or_fail "$1" chronyd; [[ -S $2 ]]; }

# chronyc_q NAME ARGS... : chronyc (if unpacked) talking to chronyd NAME over
# its unix socket, numeric (-n); prints its output; fails quietly (rc != 0)
# if chronyc is unavailable or does not answer within 5 s.
chronyc_q() {
  local name=$1; shift
  [[ -n ${CHRONYC:-} ]] || return 2
  timeout -k 1 5 "${PEER_ENV[@]}" "$CHRONYC" -h "$WORK/$name/chronyd.sock" -n "$@" 2>&1
}

# chronyd_selected NAME ADDR : chronyd NAME's log says it selected ADDR.
chronyd_selected() { grep -qF "Selected source $2" "$WORK/$1/chronyd.log"; }

# chronyc_field NAME COMMAND LABEL : the value after "LABEL :" in chronyc's
# COMMAND output (e.g. chronyc_field c1 ntpdata "Total valid RX").
chronyc_field() {
  chronyc_q "$1" "$2" | awk -F' *: *' -v l="$3" '$1 == l {print $2; exit}'
}

# run_ntpdig_port NS PORT ARGS... : NTPsec's ntpdig (which always queries
# port 123) pointed at PORT by wrapping socket.getaddrinfo; ntpdig's own code
# is unchanged. Runs through run_cmd (timeout 10 s). Returns 2 if unavailable.
run_ntpdig_port() {
  local ns=$1 port=$2; shift 2
  [[ ${#NTPDIG[@]} -gt 0 ]] || return 2
  local n=${#NTPDIG[@]}
  # NTPDIG = (env PYTHONPATH=... [LD_LIBRARY_PATH=...] /usr/bin/python3 SCRIPT)
  run_cmd 10 "$ns" "${NTPDIG[@]:0:n-1}" -c "$_NTPDIG_PORT_SHIM" "$port" "${NTPDIG[n-1]}" "$@"
}
_NTPDIG_PORT_SHIM='import runpy, socket, sys; port = int(sys.argv[1]); real = socket.getaddrinfo; socket.getaddrinfo = lambda h, p, *a, **k: real(h, port if p == 123 else p, *a, **k); sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name="__main__")'
