#!/usr/bin/env bash
# bench/server-throughput.sh [BIN_DIR [PEERS_DIR]]
#
# Side-by-side server benchmark (bench/README.md): the echo responder (our
# recvmmsg/sendmmsg syscall-limit reference), Meridian ntpd single-thread,
# Meridian with `threads 1`, Meridian with `restrict default limited kod` and
# a 100 000-entry MRU list (and its baseline with the same 100 000 clients),
# chronyd and NTPsec ntpd - each the server on CPU 0, our load generator
# (meridian-bench-load) on CPU 1. Per server and repetition (fresh start):
#   1. RSS idle (VmRSS 1 s after it answers, before any load);
#   2. closed loop (window $WINDOW, $PORTS source ports, $CLOSED_S s):
#      replies/s, server CPU (utime+stime from /proc/PID/stat), the
#      generator's own CPU;
#   3. open loop at $LAT_RATE/s for $OPEN_S s: p50/p99 latency;
#   4. highest open-loop rate with < 1 % loss: bisection ($SEARCH_STEPS steps
#      of $OPEN_S s) between 0.25x and 1.5x the closed-loop rate;
#   5. RSS under load (VmHWM after all load).
# Servers are interleaved (order rotated each repetition), $REPS repetitions,
# medians reported. Then a $SOAK_S s full-load run of Meridian single-thread
# samples its RSS every 5 s (flat RSS check). Writes the Markdown table, the
# machine, the load average and the exact commands into $RESULTS
# (docs/performance.md) between the bench:begin/bench:end markers.
#
# Builds nothing: uses BIN_DIR (default build/release/bin: ntpd,
# meridian-bench-load, meridian-bench-echo) and PEERS_DIR (default
# build/interop-peers, from scripts/fetch-interop-peers.sh).
#
# Safety: every server runs under `setpriv --bounding-set=-sys_time
# --inh-caps=-sys_time` (clock writes fail with EPERM); our ntpd always with
# `--clock virtual`, chronyd with -x. As root everything runs in a network
# namespace created here (NTPsec can only serve on port 123); without root,
# on host loopback with unprivileged ports and NTPsec is "not available".
# Traffic: 127.0.0.0/8 only. Every run is bounded in time and count; an EXIT
# trap (tests/interop/lib.sh) stops the servers and deletes the namespace.
# Takes about REPS x 6 x 25 s + SOAK_S (~9 min with the defaults).
# NTS=1: afterwards bench/nts-throughput.sh (NTS replies/s of Meridian and
# chronyd, its own section of $RESULTS; ~3 min more).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME="server-throughput"
HERE=$(cd -- "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

bench_params "$@"
OPEN_S=${OPEN_S:-2}
SEARCH_STEPS=${SEARCH_STEPS:-5}
LAT_RATE=${LAT_RATE:-10000}
MRU_CLIENTS=${MRU_CLIENTS:-100000}
SOAK_S=${SOAK_S:-60}
SERVERS=${SERVERS:-"echo meridian threads1 chronyd ntpsec meridian-100k limited-100k"}
NTS=${NTS:-0}     # 1: also run bench/nts-throughput.sh (same BIN_DIR, PEERS_DIR, RESULTS, CPUs)
if ! [[ $SOAK_S =~ ^[0-9]+$ ]] || ((SOAK_S > 600)); then fail "SOAK_S must be 0..600"; fi

bench_setup "mbench$$"
ECHO_BIN="$BIN/meridian-bench-echo"
[[ -x $ECHO_BIN ]] || fail "$BIN has no meridian-bench-echo (cmake --build --preset release)"

declare -A UNAVAILABLE=() CMDLINE=() CONFTEXT=()

# ------------------------------------------------------------------ helpers
cpu_ns() { # CPU time of all threads of PID in ns (schedstat: exact, unlike the 10 ms ticks of stat)
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}
load() { # load ARGS... : run the generator on LOAD_CPU against the server
  in_ns "$NS" nice -n "$NICE" taskset -c "$LOAD_CPU" "$LOADGEN" --server "127.0.0.1:$PORT" --ports "$PORTS" \
    --sources "$SOURCES" "$@"
}

# start_server NAME : starts NAME pinned to SERVER_CPU; sets SPID, PORT, SOURCES.
start_server() {
  local name=$1 conf
  PORT=$SPORT; SOURCES=1
  _ns_prefix "$NS"
  case $name in
    echo)
      "${_NS_PRE[@]}" "${SAFE_PRIV[@]}" "$ECHO_BIN" --port "$PORT" --seconds 600 \
        >"$WORK/echo.log" 2>&1 </dev/null &
      SPID=$!; _CLEAN_PIDS+=("$SPID")
      CMDLINE[$name]="meridian-bench-echo --port $PORT"
      wait_for 5 0.05 "echo to bind" _daemon_bound "$NS" 127.0.0.1 "$PORT" "$SPID" echo \
        || fail "echo responder did not bind"
      ;;
    meridian | threads1 | meridian-100k | limited-100k)
      conf="$WORK/$name.conf"
      {
        echo "server 127.127.1.0"
        echo "fudge 127.127.1.0 stratum 0"
        [[ $name == threads1 ]] && echo "threads 1"
        if [[ $name == limited-100k ]]; then
          echo "restrict default limited kod"
          echo "discard average 0 minimum 0"
          echo "mru maxdepth $MRU_CLIENTS mindepth $MRU_CLIENTS maxage 3600"
        fi
      } >"$conf"
      [[ $name == *-100k ]] && SOURCES=$MRU_CLIENTS
      start_meridian_ntpd "$name" "$NS" "$conf" "$PORT" >/dev/null
      SPID=$DAEMON_PID
      wait_for 10 0.05 "ntpd ready" grep -q "ready:" "$DAEMON_LOG" || fail "ntpd not ready"
      CMDLINE[$name]="ntpd -n -c $name.conf --port $PORT --clock virtual"
      CONFTEXT[$name]=$(cat "$conf")
      ;;
    chronyd)
      ((HAVE_PEERS)) || { UNAVAILABLE[$name]="peers not unpacked"; return 1; }
      start_chronyd chronyd "$NS" 127.0.0.1 "$PORT" 1 >/dev/null
      SPID=$DAEMON_PID
      CMDLINE[$name]="chronyd -x -d -f chrony.conf"
      CONFTEXT[$name]=$(grep -v '^#' "$WORK/chronyd/chrony.conf" | sed "s|$WORK|DIR|g")
      ;;
    ntpsec)
      ((HAVE_PEERS)) || { UNAVAILABLE[$name]="peers not unpacked"; return 1; }
      [[ -n $NS ]] || { UNAVAILABLE[$name]="needs root (serves only on port 123: run in a netns)"; return 1; }
      PORT=123
      start_ntpsec ntpsec "$NS" "tos orphan 1 orphanwait 0" >/dev/null
      SPID=$DAEMON_PID
      wait_for 15 0.2 "NTPsec to serve stratum 1" _ntpsec_synced || fail "NTPsec never served stratum 1"
      CMDLINE[$name]="ntpd -n -c ntp.conf   (NTPsec, port 123)"
      CONFTEXT[$name]=$(grep -v '^#' "$WORK/ntpsec/ntp.conf" | sed "s|$WORK|DIR|g")
      ;;
    *) fail "unknown server $name" ;;
  esac
  bench_pin "$name"
  return 0
}
# shellcheck disable=SC2317  # called through wait_for
_ntpsec_synced() { ntp_probe "$NS" 127.0.0.1 123 && [[ $PROBE_STRATUM == 1 && $PROBE_LI == 0 ]]; }

measure() { # measure REP NAME
  local rep=$1 name=$2 out t0 t1 c0 c1 rate lo hi mid i gen_cpu
  if ! start_server "$name"; then log "$name: not available (${UNAVAILABLE[$name]})"; return 0; fi
  if [[ $name == threads1 ]] && ! threads_available "$DAEMON_LOG" "$SPID"; then
    UNAVAILABLE[$name]="ntpd started no worker thread for \`threads 1\` (Threads: $(status_kb "$SPID" Threads) in /proc; the fast path is not merged)"
    log "threads1: not available"
    stop_daemon "$SPID"; return 0
  fi
  record "$rep" "$name" threads "$(status_kb "$SPID" Threads)"
  if [[ $SOURCES -gt 1 ]]; then  # fill the server's per-client state first
    load --mode closed --window "$WINDOW" --seconds 30 --max-requests "$SOURCES" >/dev/null
  fi
  sleep 1
  record "$rep" "$name" rss_idle_kb "$(status_kb "$SPID" VmRSS)"
  c0=$(cpu_ns "$SPID"); t0=${EPOCHREALTIME/./}
  out=$(load --mode closed --window "$WINDOW" --seconds "$CLOSED_S")
  t1=${EPOCHREALTIME/./}; c1=$(cpu_ns "$SPID")
  rate=$(kv reply_rate "$out")
  [[ $(kv invalid "$out") == 0 ]] || fail "$name: invalid replies: $out"
  gen_cpu=$(kv cpu_s "$out")
  record "$rep" "$name" closed_rps "$rate"
  record "$rep" "$name" cpu_pct "$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN{printf "%.1f", 100*(c/1e9)/(t/1e6)}')"
  record "$rep" "$name" cpu_us_per_reply "$(awk -v c=$((c1 - c0)) -v n="$(kv replies "$out")" 'BEGIN{printf "%.3f", (n > 0 ? (c/1e3)/n : 0)}')"
  record "$rep" "$name" gen_cpu_pct "$(awk -v c="$gen_cpu" -v s="$CLOSED_S" 'BEGIN{printf "%.0f", 100*c/s}')"
  log "rep $rep $name closed: $out"
  out=$(load --mode open --rate "$LAT_RATE" --seconds "$OPEN_S")
  record "$rep" "$name" p50_us "$(kv p50_us "$out")"
  record "$rep" "$name" p99_us "$(kv p99_us "$out")"
  record "$rep" "$name" lat_loss "$(kv loss "$out")"
  # highest open-loop rate with < 1 % loss (bisection, rates rounded to 100/s)
  lo=0; hi=$(awk -v r="$rate" 'BEGIN{printf "%d", r*1.5}')
  mid=$(awk -v r="$rate" 'BEGIN{printf "%d", r*0.25}')
  for ((i = 0; i < SEARCH_STEPS; i++)); do
    ((mid >= 100)) || break
    out=$(load --mode open --rate "$mid" --seconds "$OPEN_S")
    # passes: < 1 % loss, and the generator really sent at that rate (>= 97 %)
    if awk -v l="$(kv loss "$out")" -v s="$(kv send_rate "$out")" -v r="$mid" \
      'BEGIN{exit !(l < 0.01 && s >= 0.97 * r)}'; then lo=$mid; else hi=$mid; fi
    log "rep $rep $name open $mid/s: loss $(kv loss "$out") (send_rate $(kv send_rate "$out"))"
    mid=$(( (lo + hi) / 2 / 100 * 100 ))
  done
  record "$rep" "$name" open_max "$lo"
  record "$rep" "$name" rss_load_kb "$(status_kb "$SPID" VmHWM)"
  stop_daemon "$SPID"
}

# ------------------------------------------------------------------ run
bench_run_reps

SOAK_LINE="not run (SOAK_S=0)"
if ((SOAK_S > 0)); then
  start_server meridian
  sleep 1
  samples=("$(status_kb "$SPID" VmRSS)")
  load --mode closed --window "$WINDOW" --seconds "$SOAK_S" >"$WORK/soak.out" &
  gpid=$!
  for ((i = 0; i < SOAK_S / 5; i++)); do sleep 5; samples+=("$(status_kb "$SPID" VmRSS)"); done
  wait "$gpid" || true
  samples+=("$(status_kb "$SPID" VmRSS)")
  stop_daemon "$SPID"
  SOAK_LINE="Meridian single-thread, closed loop for ${SOAK_S} s ($(kv reply_rate "$(cat "$WORK/soak.out")") replies/s): VmRSS every 5 s (KiB): ${samples[*]}"
  log "soak: $SOAK_LINE"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ report
mb() { awk -v k="$1" 'BEGIN{if (k == "") print "-"; else printf "%.1f", k / 1024}'; }
desc() {
  case $1 in
    echo) echo "echo reference (recvmmsg/sendmmsg)" ;;
    meridian) echo "Meridian ntpd, single-thread" ;;
    threads1) echo "Meridian ntpd, \`threads 1\`" ;;
    chronyd) echo "chronyd 4.3 (Debian 12)" ;;
    ntpsec) echo "NTPsec ntpd 1.2.2 (Debian 12)" ;;
    meridian-100k) echo "Meridian single-thread, $MRU_CLIENTS clients" ;;
    limited-100k) echo "Meridian \`limited kod\`, MRU $MRU_CLIENTS, $MRU_CLIENTS clients" ;;
  esac
}
percpu() { awk -v u="$(med "$1" cpu_us_per_reply)" 'BEGIN{if (u == "" || u == 0) print ""; else printf "%.0f", 1e6 / u}'; }
ECHO_RPS=$(med echo closed_rps)
{
  echo "<!-- bench:begin (written by bench/server-throughput.sh; do not edit by hand) -->"
  bench_run_info
  echo
  echo "| server | replies/s closed loop | × echo | max open-loop rate < 1 % loss | p50 / p99 µs at $LAT_RATE/s | server CPU % | CPU µs/reply | replies per CPU-second | × echo | load-gen CPU % | RSS idle MB | RSS load MB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for s in "${LIST[@]}"; do
    if [[ -n ${UNAVAILABLE[$s]:-} ]]; then
      echo "| $(desc "$s") | not available: ${UNAVAILABLE[$s]} | | | | | | | | | | |"
      continue
    fi
    r=$(med "$s" closed_rps)
    printf '| %s | %.0f | %s | %.0f | %.0f / %.0f | %s | %s | %.0f | %s | %s | %s | %s |\n' "$(desc "$s")" "$r" \
      "$(ratio "$r" "$ECHO_RPS")" "$(med "$s" open_max)" "$(med "$s" p50_us)" "$(med "$s" p99_us)" \
      "$(med "$s" cpu_pct)" "$(med "$s" cpu_us_per_reply)" "$(percpu "$s")" \
      "$(ratio "$(percpu "$s")" "$(percpu echo)")" "$(med "$s" gen_cpu_pct)" \
      "$(mb "$(med "$s" rss_idle_kb)")" "$(mb "$(med "$s" rss_load_kb)")"
  done
  echo
  echo "Ratios (medians of this run; \"closed\" = replies/s closed loop, \"per CPU\" = replies per CPU-second of the server, the measure that does not depend on how much of CPU $SERVER_CPU the server got):"
  echo
  both() { echo "closed $(ratio "$(med "$1" closed_rps)" "$(med "$2" closed_rps)"), per CPU $(ratio "$(percpu "$1")" "$(percpu "$2")")"; }
  echo "- Meridian \`threads 1\` / echo: $(both threads1 echo) (target ≥ 0.9); / chronyd: $(both threads1 chronyd) (≈ 1.4 expected)"
  echo "- Meridian single-thread / chronyd: $(both meridian chronyd) (target ≥ 1.2); / NTPsec: $(both meridian ntpsec); / echo: $(both meridian echo)"
  echo "- \`limited kod\` + MRU $MRU_CLIENTS / the same $MRU_CLIENTS clients without: $(both limited-100k meridian-100k) (target ≥ 0.90)"
  echo "- RSS idle, default daemon: Meridian $(mb "$(med meridian rss_idle_kb)") MB (target ≤ 3), chronyd $(mb "$(med chronyd rss_idle_kb)") MB, NTPsec $(mb "$(med ntpsec rss_idle_kb)") MB"
  echo "- Flat RSS under full load: $SOAK_LINE"
  echo
  echo "Raw samples (rep, server, metric, value) and the exact commands:"
  echo
  echo '```'
  echo "bench/server-throughput.sh   # REPS=$REPS CLOSED_S=$CLOSED_S OPEN_S=$OPEN_S SEARCH_STEPS=$SEARCH_STEPS WINDOW=$WINDOW PORTS=$PORTS LAT_RATE=$LAT_RATE MRU_CLIENTS=$MRU_CLIENTS SOAK_S=$SOAK_S"
  echo "netns: ${NS:-none (not root)}; nice: $NICE; servers: taskset -a -cp $SERVER_CPU PID, under setpriv --bounding-set=-sys_time --inh-caps=-sys_time"
  echo "load:  taskset -c $LOAD_CPU meridian-bench-load --server 127.0.0.1:PORT --ports $PORTS --sources 1|$MRU_CLIENTS"
  echo "         --mode closed --window $WINDOW --seconds $CLOSED_S"
  echo "         --mode open --rate $LAT_RATE --seconds $OPEN_S            (latency)"
  echo "         --mode open --rate R --seconds $OPEN_S  (bisection for R, < 1 % loss)"
  bench_server_commands
  echo
  sort -k2,2 -k3,3 -k1,1n "$RAW"
  echo '```'
  echo "<!-- bench:end -->"
} >"$WORK/table.md"
cat "$WORK/table.md"

if ! bench_splice_results bench; then
  { echo "# Server performance"; echo; cat "$WORK/table.md"; } >"$RESULTS"
fi
log "wrote $RESULTS"
if [[ $NTS == 1 ]]; then
  RESULTS=$RESULTS REPS=$REPS CLOSED_S=$CLOSED_S WINDOW=$WINDOW PORTS=$PORTS NICE=$NICE \
    SERVER_CPU=$SERVER_CPU LOAD_CPU=$LOAD_CPU bash "$HERE/nts-throughput.sh" "$BIN_DIR" "$PEERS_DIR" \
    || fail "bench/nts-throughput.sh failed"
fi
finish
