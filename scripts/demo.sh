#!/usr/bin/env bash
# The README's main job (for now): a test NTP responder on loopback whose
# clock runs 0.25 s ahead, then ntpdate querying it and correcting a virtual
# clock. Nothing here can touch the host clock: -q changes nothing, the
# virtual clock lives inside the ntpdate process, and everything runs without
# CAP_SYS_TIME.
set -euo pipefail
bin=${1:-"$(dirname "$0")/../build/release/bin"}
port=${DEMO_PORT:-11123}
nocap=(setpriv --bounding-set=-sys_time --inh-caps=-sys_time --)

"${nocap[@]}" "$bin/meridian-test-responder" --port "$port" --offset 0.25 --stratum 2 --seconds 30 &
responder=$!
trap 'kill $responder 2>/dev/null || true' EXIT
sleep 0.3

run() { echo "\$ $*"; "${nocap[@]}" "$@"; echo; }
run "$bin/ntpdate" -q --port "$port" 127.0.0.1
run "$bin/ntpdate" --clock virtual -p 2 --port "$port" 127.0.0.1
run "$bin/ntpdate" --clock virtual --virtual-offset -3 -p 2 --port "$port" 127.0.0.1
echo "demo: ok"
