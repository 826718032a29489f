#!/usr/bin/env bash
# The README's main job: a server ntpd and a client ntpd on loopback, each
# with a virtual clock (the client's started 0.25 s and +30 ppm wrong); the
# client synchronises from the server and serves the corrected time onward.
# ntpdate -q (which only reads the host clock) checks both from outside.
# Nothing here can change the host clock: the daemons discipline in-process
# virtual clocks and everything runs without CAP_SYS_TIME.
set -euo pipefail
bin=${1:-"$(cd "$(dirname "$0")/.." && pwd)/build/release/bin"}
server_port=${DEMO_SERVER_PORT:-11123}
client_port=${DEMO_CLIENT_PORT:-11124}
nocap=(setpriv --bounding-set=-sys_time --inh-caps=-sys_time --)
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

cat >"$dir/server.conf" <<CONF
# The LAN server of the classic guide, with the local clock driver standing
# in for the internet: it serves stratum 3.
restrict default kod limited nomodify notrap nopeer noquery
restrict 127.0.0.1
restrict -6 ::1
server 127.127.1.0
fudge 127.127.1.0 stratum 2
CONF
cat >"$dir/client.conf" <<CONF
driftfile $dir/drift
restrict default kod limited nomodify notrap nopeer noquery
restrict 127.0.0.1
server 127.0.0.1 port $server_port iburst
CONF

echo "== server ntpd on port $server_port (virtual clock, local clock driver)"
"${nocap[@]}" "$bin/ntpd" -n -c "$dir/server.conf" --port "$server_port" --clock virtual \
  >"$dir/server.log" 2>&1 &
pids+=($!)
sleep 0.3
echo "== client ntpd on port $client_port (virtual clock started +0.25 s, +30 ppm wrong)"
start=$(date +%s.%N)
"${nocap[@]}" "$bin/ntpd" -n -c "$dir/client.conf" --port "$client_port" --clock virtual \
  --clock-offset 0.25 --clock-freq-ppm 30 >"$dir/client.log" 2>&1 &
pids+=($!)

synced=""
for _ in $(seq 1 50); do  # at most ~15 s
  out=$("${nocap[@]}" "$bin/ntpdate" -q -p 1 -t 0.3 --port "$client_port" 127.0.0.1 2>/dev/null | sed -n 1p || true)
  if [[ "$out" == *"stratum 4,"* ]]; then
    synced=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    break
  fi
  sleep 0.3
done
echo
echo "== client log"
grep -v -e 'serving ' -e 'listening on' "$dir/client.log" || true
echo
if [[ -z "$synced" ]]; then
  echo "demo: FAILED: the client did not synchronise"
  exit 1
fi
echo "== client synchronised ${synced} s after start; its clock, seen by ntpdate -q over 6 s:"
for _ in 1 2 3; do
  sleep 2
  "${nocap[@]}" "$bin/ntpdate" -q -p 1 --port "$client_port" 127.0.0.1 | sed -n 1p
done
echo
echo "== the server, for comparison"
"${nocap[@]}" "$bin/ntpdate" -q -p 1 --port "$server_port" 127.0.0.1
echo
echo "== ntpq -p (the client ntpd, over mode 6)"
"$bin/ntpq" -p "127.0.0.1:$client_port"
echo
echo "== ntpstat (the client ntpd)"
"$bin/ntpstat" "127.0.0.1:$client_port"
echo "demo: ok"
