#!/usr/bin/env bash
# bench/nts-throughput.sh [BIN_DIR [PEERS_DIR]]
#
# NTS server benchmark (bench/README.md, issue #14): authenticated NTP
# (RFC 8915 §5) requests per second from Meridian ntpd and chronyd 4.3 as NTS
# servers, side by side, in the same run. Also run by
# `NTS=1 bench/server-throughput.sh`.
#
# Servers (each started fresh per repetition, pinned to CPU $SERVER_CPU, under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time`), all with the same
# throwaway PKI (tests/support/make_nts_test_certs.sh, openssl CLI: a test CA,
# a server certificate for DNS:ntp.test + IP:127.0.0.1):
#   meridian  our ntpd, default single-thread mode, `--clock virtual`,
#             local clock at stratum 1 plus `nts enable/cert/key/cookie/port`;
#   threads1  the same plus `threads 1` ("not available" unless ntpd starts a
#             worker thread);
#   chronyd   chronyd 4.3 (Debian 12) -x -d, `local stratum 1`, plus
#             ntsserverkey/ntsservercert/ntsport and `ntsprocesses 0` (NTS-KE
#             in the main process, so the whole server is one pinned process;
#             the NTP path is the same either way).
# Per server and repetition, the load generator (meridian-bench-load) on CPU
# $LOAD_CPU:
#   1. (PLAIN=1) plain NTP closed loop for $CLOSED_S s: the same server's
#      unauthenticated rate, for the cost of NTS on each server;
#   2. NTS: $WINDOW NTS-KE sessions (not measured), then closed loop with
#      $WINDOW associations for $CLOSED_S s: replies/s (every reply validated:
#      origin, UID, authenticator under S2C; cookies used once, refilled from
#      replies) and the server's CPU time over exactly that phase
#      (--server-pid: schedstat of all its threads) -> CPU us per reply.
# Servers interleaved (order rotated every repetition), $REPS repetitions,
# medians. Writes the table, the ratio Meridian NTS / chronyd NTS, the load
# average and the exact commands between the nts-bench:begin/end markers of
# $RESULTS (docs/performance.md) and to stdout.
#
# Safety: as bench/server-throughput.sh. Our ntpd always with --clock virtual,
# chronyd with -x, both under setpriv without CAP_SYS_TIME. As root in a
# network namespace made here (deleted on exit), else on host loopback with
# unprivileged ports. Traffic: 127.0.0.0/8 only. Every wait and run is bounded.
# Takes about REPS x 3 x 20 s (~3 min with the defaults).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME="nts-throughput"
HERE=$(cd -- "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

bench_params "$@"
PLAIN=${PLAIN:-1}
SERVERS=${SERVERS:-"meridian threads1 chronyd"}
if ! [[ $WINDOW =~ ^[0-9]+$ ]] || ((WINDOW < 1 || WINDOW > 1024)); then fail "WINDOW must be 1..1024"; fi

bench_setup "mnts$$" openssl
PKI="$WORK/pki"
bash "$ROOT/tests/support/make_nts_test_certs.sh" "$PKI" \
  || fail "cannot make the throwaway PKI (tests/support/make_nts_test_certs.sh)"
KPORT=$(free_tcp_port 14000 "$NS") || fail "no free TCP port"

declare -A UNAVAILABLE=() CMDLINE=() CONFTEXT=()

# ------------------------------------------------------------------ helpers
load() { # load ARGS... : the generator on LOAD_CPU against the server, closed loop
  in_ns "$NS" nice -n "$NICE" taskset -c "$LOAD_CPU" timeout 300 "$LOADGEN" \
    --server "127.0.0.1:$SPORT" --ports "$PORTS" --mode closed --window "$WINDOW" \
    --seconds "$CLOSED_S" --server-pid "$SPID" "$@"
}
# shellcheck disable=SC2317  # called through wait_for
ke_listening() { in_ns "$NS" ss -Htln "sport = :$KPORT" 2>/dev/null | grep -q ":$KPORT"; }

# start_server NAME : starts NAME pinned to SERVER_CPU; sets SPID. Returns 1
# with UNAVAILABLE[NAME] set when it cannot serve NTS.
start_server() {
  local name=$1 conf out
  case $name in
    meridian | threads1)
      conf="$WORK/$name.conf"
      mkdir -p "$WORK/$name"
      {
        echo "server 127.127.1.0"
        echo "fudge 127.127.1.0 stratum 0"
        [[ $name == threads1 ]] && echo "threads 1"
        echo "nts enable"
        echo "nts cert $PKI/server.pem"
        echo "nts key $PKI/server.key"
        echo "nts cookie $WORK/$name/nts-cookie.keys"
        echo "nts port $KPORT"
      } >"$conf"
      rm -f "$WORK/$name/nts-cookie.keys"
      if ! out=$("$MERIDIAN_NTPD" --check -c "$conf" 2>&1); then
        UNAVAILABLE[$name]="ntpd --check refuses the NTS server configuration: $(grep -m1 -iE 'error|refused|nts' <<<"$out" | sed "s|$WORK/||" | cut -c1-160)"
        return 1
      fi
      start_meridian_ntpd "$name" "$NS" "$conf" "$SPORT" >/dev/null
      SPID=$DAEMON_PID
      wait_for 10 0.05 "ntpd ready" grep -q "ready:" "$DAEMON_LOG" || fail "ntpd not ready"
      CMDLINE[$name]="ntpd -n -c $name.conf --port $SPORT --clock virtual"
      CONFTEXT[$name]=$(sed "s|$WORK|DIR|g" "$conf")
      ;;
    chronyd)
      ((HAVE_PEERS)) || { UNAVAILABLE[$name]="peers not unpacked (scripts/fetch-interop-peers.sh)"; return 1; }
      start_chronyd chronyd "$NS" 127.0.0.1 "$SPORT" 1 \
        "ntsserverkey $PKI/server.key" "ntsservercert $PKI/server.pem" \
        "ntsport $KPORT" "ntsprocesses 0" "ntsdumpdir $WORK/chronyd" >/dev/null
      SPID=$DAEMON_PID
      CMDLINE[$name]="chronyd -x -d -f chrony.conf"
      CONFTEXT[$name]=$(grep -v '^#' "$WORK/chronyd/chrony.conf" | sed "s|$WORK|DIR|g")
      ;;
    *) fail "unknown server $name" ;;
  esac
  if ! wait_for 10 0.05 "$name: NTS-KE on TCP $KPORT" ke_listening; then
    UNAVAILABLE[$name]="no NTS-KE listener on TCP port $KPORT"
    stop_daemon "$SPID"; return 1
  fi
  bench_pin "$name"
  return 0
}

record_run() { # record_run REP NAME KIND OUT
  local rep=$1 name=$2 kind=$3 out=$4 n cpu
  [[ $(kv invalid "$out") == 0 ]] || fail "$name $kind: invalid replies: $out"
  n=$(kv replies "$out"); cpu=$(kv server_cpu_s "$out")
  ((n > 0)) || fail "$name $kind: no valid reply: $out"
  record "$rep" "$name" "${kind}_rps" "$(kv reply_rate "$out")"
  record "$rep" "$name" "${kind}_cpu_us" "$(awk -v c="$cpu" -v n="$n" 'BEGIN{printf "%.3f", 1e6 * c / n}')"
  record "$rep" "$name" "${kind}_cpu_pct" "$(awk -v c="$cpu" -v s="$(kv seconds "$out")" 'BEGIN{printf "%.1f", 100 * c / s}')"
  record "$rep" "$name" "${kind}_gen_cpu_pct" "$(awk -v c="$(kv cpu_s "$out")" -v s="$(kv seconds "$out")" 'BEGIN{printf "%.0f", 100 * c / s}')"
  record "$rep" "$name" "${kind}_loss" "$(kv loss "$out")"
  record "$rep" "$name" "${kind}_p50_us" "$(kv p50_us "$out")"
}

measure() { # measure REP NAME
  local rep=$1 name=$2 out
  if ! start_server "$name"; then log "$name: not available (${UNAVAILABLE[$name]})"; return 0; fi
  if [[ $name == threads1 ]] && ! threads_available "$DAEMON_LOG" "$SPID"; then
    UNAVAILABLE[$name]="ntpd started no worker thread for \`threads 1\`"
    log "threads1: not available"; stop_daemon "$SPID"; return 0
  fi
  record "$rep" "$name" threads "$(status_kb "$SPID" Threads)"
  sleep 1
  if ((PLAIN)); then
    out=$(load)
    log "rep $rep $name plain: $out"
    record_run "$rep" "$name" plain "$out"
  fi
  out=$(load --nts-ke "$KPORT" --nts-ca "$PKI/ca.pem" --nts-host 127.0.0.1) \
    || fail "$name: NTS load failed (exit $?): $out"
  log "rep $rep $name nts: $out"
  record_run "$rep" "$name" nts "$out"
  [[ $(kv nts_nak "$out") == 0 && $(kv nts_retired "$out") == 0 ]] \
    || fail "$name: NTS NAKs or associations that ran out of cookies: $out"
  record "$rep" "$name" nts_ke_s "$(kv nts_ke_s "$out")"
  record "$rep" "$name" nts_rss_kb "$(status_kb "$SPID" VmHWM)"
  stop_daemon "$SPID"
}

# ------------------------------------------------------------------ run
bench_run_reps
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ report
percpu() { awk -v u="$(med "$1" "$2_cpu_us")" 'BEGIN{if (u == "" || u == 0) print ""; else printf "%.0f", 1e6 / u}'; }
num() { awk -v v="$1" 'BEGIN{if (v == "") print "-"; else printf "%.0f", v}'; }
desc() {
  case $1 in
    meridian) echo "Meridian NTS (single thread)" ;;
    threads1) echo "Meridian NTS threads 1" ;;
    chronyd) echo "chronyd NTS" ;;
  esac
}
{
  echo "<!-- nts-bench:begin (written by bench/nts-throughput.sh; do not edit by hand) -->"
  bench_run_info
  echo
  echo "| server | NTS replies/s closed loop | server CPU % | CPU µs/reply | NTS replies per CPU-second | plain replies/s (same server) | plain CPU µs/reply | NTS / plain per CPU | load-gen CPU % (NTS) | NTS-KE phase s | RSS load MB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for s in "${LIST[@]}"; do
    if [[ -n ${UNAVAILABLE[$s]:-} ]]; then
      echo "| $(desc "$s") | not available: ${UNAVAILABLE[$s]} | | | | | | | | | |"
      continue
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(desc "$s")" \
      "$(num "$(med "$s" nts_rps)")" "$(med "$s" nts_cpu_pct)" "$(med "$s" nts_cpu_us)" \
      "$(percpu "$s" nts)" "$(num "$(med "$s" plain_rps)")" "$(med "$s" plain_cpu_us)" \
      "$(ratio "$(percpu "$s" nts)" "$(percpu "$s" plain)")" "$(med "$s" nts_gen_cpu_pct)" \
      "$(med "$s" nts_ke_s)" "$(awk -v k="$(med "$s" nts_rss_kb)" 'BEGIN{if (k == "") print "-"; else printf "%.1f", k / 1024}')"
  done
  echo
  echo "Ratios (medians of this run; \"closed\" = NTS replies/s closed loop, \"per CPU\" = NTS replies per CPU-second of the server, which does not depend on how much of CPU $SERVER_CPU the server got):"
  echo
  both() { echo "closed $(ratio "$(med "$1" nts_rps)" "$(med "$2" nts_rps)"), per CPU $(ratio "$(percpu "$1" nts)" "$(percpu "$2" nts)")"; }
  echo "- **Meridian NTS (single thread) / chronyd NTS: $(both meridian chronyd)**"
  echo "- Meridian NTS threads 1 / chronyd NTS: $(both threads1 chronyd)"
  echo
  echo "Raw samples (rep, server, metric, value) and the exact commands:"
  echo
  echo '```'
  echo "bench/nts-throughput.sh   # REPS=$REPS CLOSED_S=$CLOSED_S WINDOW=$WINDOW PORTS=$PORTS PLAIN=$PLAIN"
  echo "netns: ${NS:-none (not root)}; nice: $NICE; servers: taskset -a -cp $SERVER_CPU PID, under setpriv --bounding-set=-sys_time --inh-caps=-sys_time"
  echo "PKI:   tests/support/make_nts_test_certs.sh DIR/pki   (openssl CLI; CA + server cert DNS:ntp.test, IP:127.0.0.1)"
  echo "load:  taskset -c $LOAD_CPU meridian-bench-load --server 127.0.0.1:$SPORT --ports $PORTS --mode closed --window $WINDOW --seconds $CLOSED_S --server-pid PID"
  echo "         (plain)  no more options"
  echo "         (NTS)    --nts-ke $KPORT --nts-ca DIR/pki/ca.pem --nts-host 127.0.0.1"
  bench_server_commands
  echo
  sort -k2,2 -k3,3 -k1,1n "$RAW"
  echo '```'
  echo "<!-- nts-bench:end -->"
} >"$WORK/table.md"
cat "$WORK/table.md"

if ! bench_splice_results nts-bench; then
  { [[ -f $RESULTS ]] || echo "# Server performance"; echo; echo "## NTS"; echo; cat "$WORK/table.md"; } >>"$RESULTS"
fi
log "wrote $RESULTS"
finish
