#!/usr/bin/env bash
# tests/interop/ntpd_auth_ntpsec_client.sh BIN_DIR PEERS_DIR
#
# Symmetric-key authentication between Meridian's ntpd as SERVER and real
# NTPsec 1.2.2 ntpd CLIENTS (`server ADDR key K`). NTPsec only talks to port
# 123 and both daemons want it, so each runs in its own network namespace,
# joined by veth pairs (nothing leaves the namespaces):
#   server ns  our ntpd --port 123 (--clock virtual), `server 127.127.1.0`,
#              `fudge 127.127.1.0 stratum 10` (serves stratum 11), keys file
#              1 MD5, 2 SHA1, 3 AES128CMAC, 4 SHA256, `trustedkey 1 2 3 4`;
#              198.18.1.2-5/24 (veth to the good client), 198.18.2.2/24
#              (veth to the wrong one)
#   good ns    NTPsec, 198.18.1.1, `server 198.18.1.{2,3,4,5} iburst key
#              {1,2,3,4}` (one server line per key type), same key file
#   wrong ns   NTPsec, 198.18.2.1, `server 198.18.2.2 iburst key 1` with a
#              DIFFERENT MD5 secret
# Checks:
#   1. `ntpd --check` accepts our config;
#   2. the good NTPsec synchronises to us: raw probe of its 127.0.0.1:123
#      shows li != 3, stratum 12 (<= 30 s); its `ntpq -c as` shows all four
#      associations reached with auth "ok", and `ntpq -p` one '*' among them;
#   3. the wrong NTPsec, after the same window: still unsynchronised (raw
#      probe li=3 / stratum 16), `ntpq -c as` auth "bad", never selected;
#      our `ntpq -c sysstats` counts authentication failures (we answered
#      its requests with crypto-NAKs, RFC 5905 §7.4).
#
# Safety: needs root for `ip netns`. Three namespaces meridian-ntsc{s,g,w}-$$
# (deleted on exit with their veth pairs; /etc/netns/NAME too). NTPsec runs
# under `setpriv --bounding-set=-sys_time --inh-caps=-sys_time` (its
# clock_adjtime calls fail with EPERM), our ntpd with --clock virtual under
# the same setpriv. An EXIT trap kills the daemons and anything left in the
# namespaces. Takes about 20 s; bounded by a 30 s wait and per-run timeouts.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=ntpd_auth_ntpsec_client
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
require_root
setup_bin "$1"
setup_ntpd "$1"
setup_peers "$2"
NTPQ="$(dirname "$NTPDATE")/ntpq"
[[ -x $NTPQ ]] || fail "ntpq not found next to ntpdate (build Meridian first)"
[[ -f $PEERS/ntpsec/usr/bin/ntpq && -x /usr/bin/python3 ]] \
  || fail "NTPsec ntpq missing in $PEERS (fetch-interop-peers.sh) or no python3"
REAL_NTPQ=(env "PYTHONPATH=$PEERS/ntpsec/usr/lib/python3/dist-packages" "${PEER_ENV[@]:1}"
           /usr/bin/python3 "$PEERS/ntpsec/usr/bin/ntpq")
require_tools ip setpriv ss timeout awk
make_workdir

WINDOW=30
NS_S="meridian-ntscs-$$"; NS_G="meridian-ntscg-$$"; NS_W="meridian-ntscw-$$"
netns_create "$NS_S"; netns_create "$NS_G"; netns_create "$NS_W"
# veth pairs created directly inside the namespaces (no host interface)
ip link add vg netns "$NS_G" type veth peer name vsg netns "$NS_S" || fail "veth (good) failed"
ip link add vw netns "$NS_W" type veth peer name vsw netns "$NS_S" || fail "veth (wrong) failed"
ip -n "$NS_G" addr add 198.18.1.1/24 dev vg
ip -n "$NS_W" addr add 198.18.2.1/24 dev vw
for a in 2 3 4 5; do ip -n "$NS_S" addr add "198.18.1.$a/24" dev vsg; done
ip -n "$NS_S" addr add 198.18.2.2/24 dev vsw
for l in "$NS_G vg" "$NS_W vw" "$NS_S vsg" "$NS_S vsw"; do
  read -r ns dev <<<"$l"
  ip -n "$ns" link set "$dev" up || fail "cannot bring $dev up in $ns"
done
log "veth: $NS_G 198.18.1.1 <-> $NS_S 198.18.1.2-5; $NS_W 198.18.2.1 <-> $NS_S 198.18.2.2"

KEY_IDS=(1 2 3 4)
NTP_TYPE=([1]=MD5 [2]=SHA1 [3]=AES128CMAC [4]=SHA256)
SECRET=([1]=6d6572696469616e2d6d64352d6b6579
        [2]=6d6572696469616e2d736861312d6b65792d3230
        [3]=3f2d8a5c91e0b47d16a3c9e8527b04fd
        [4]=6d6572696469616e2d7368613235362d6b65792d33322d62797465732d78797a)
WRONG1=6d6572696469616e2d6d64352d6b6578

KEYS="$WORK/ntp.keys"
for k in "${KEY_IDS[@]}"; do echo "$k ${NTP_TYPE[k]} ${SECRET[k]}"; done >"$KEYS"
chmod 600 "$KEYS"
WRONG_KEYS="$WORK/wrong.keys"
echo "1 MD5 $WRONG1" >"$WRONG_KEYS"
chmod 600 "$WRONG_KEYS"

# --------------------------------------------------------- our ntpd server
CONF="$WORK/ntp.conf"
cat >"$CONF" <<EOF
# $TEST_NAME: our ntpd serving keyed NTPsec clients
driftfile $WORK/ntp.drift
keys $KEYS
trustedkey 1 2 3 4
server 127.127.1.0
fudge 127.127.1.0 stratum 10
EOF
check_ntpd_conf "$CONF"
start_meridian_ntpd ntpd "$NS_S" "$CONF" 123
NTPD_PID=$DAEMON_PID

# ------------------------------------------------------- NTPsec clients
start_ntpsec good "$NS_G" "interface listen 198.18.1.1" "keys $KEYS" "trustedkey 1 2 3 4" \
  "server 198.18.1.2 iburst key 1" "server 198.18.1.3 iburst key 2" \
  "server 198.18.1.4 iburst key 3" "server 198.18.1.5 iburst key 4"
GOOD_PID=$DAEMON_PID
start_ntpsec wrong "$NS_W" "interface listen 198.18.2.1" "keys $WRONG_KEYS" "trustedkey 1" \
  "server 198.18.2.2 iburst key 1"
WRONG_PID=$DAEMON_PID
T0=${EPOCHREALTIME/./}
since() { awk -v d="$(( ${EPOCHREALTIME/./} - $1 ))" 'BEGIN{printf "%.2f", d/1e6}'; }

# shellcheck disable=SC2317  # called through wait_for
good_synced() {
  _alive_or_fail "$GOOD_PID" "NTPsec (good)"
  ntp_probe "$NS_G" 127.0.0.1 123 && [[ $PROBE_LI != 3 && $PROBE_STRATUM == 12 ]]
}
wait_for "$WINDOW" 0.5 "the keyed NTPsec to serve stratum 12" good_synced \
  || fail "NTPsec with the right keys did not synchronise to our ntpd within ${WINDOW}s (last probe: ${PROBE_LINE:-none})"
pass "NTPsec with keys 1-4 synchronised to our ntpd after $(since "$T0")s: $PROBE_LINE"

run_cmd 15 "$NS_G" "${REAL_NTPQ[@]}" -n -c as 127.0.0.1
n_ok=$(grep -cE '^ +[0-9]+ +[0-9]+ +[0-9a-f]{4} +yes +yes +ok ' "$RUN_OUT" || true)
[[ $n_ok == 4 ]] || fail "NTPsec ntpq as: $n_ok of 4 keyed associations reached with auth ok"
pass "NTPsec ntpq as: all 4 keyed associations (MD5, SHA1, AES128CMAC, SHA256) reached, auth ok"
run_cmd 15 "$NS_G" "${REAL_NTPQ[@]}" -n -p 127.0.0.1
assert_line "$RUN_OUT" '^\*198\.18\.1\.[2-5] ' "NTPsec ntpq -p: one of our addresses is its system peer"

# ------------------------------------------------------ the wrong client
rest=$(awk -v w="$WINDOW" -v n="$(since "$T0")" 'BEGIN{r = w - n; printf "%.2f", (r > 0 ? r : 0)}')
# a shorter wait is enough once the good one synchronised: it had as long
rest=$(awk -v r="$rest" 'BEGIN{printf "%.2f", (r > 5 ? 5 : r)}')
log "giving the wrong-key NTPsec ${rest}s more (it started with the good one, $(since "$T0")s ago)"
sleep "$rest"
_alive_or_fail "$WRONG_PID" "NTPsec (wrong)"
ntp_probe "$NS_W" 127.0.0.1 123 || fail "wrong-key NTPsec does not answer a probe"
[[ $PROBE_LI == 3 || $PROBE_STRATUM == 16 ]] \
  || fail "NTPsec with a WRONG key synchronised to our ntpd: $PROBE_LINE"
pass "NTPsec with a wrong MD5 secret stays unsynchronised after $(since "$T0")s: $PROBE_LINE"
run_cmd 15 "$NS_W" "${REAL_NTPQ[@]}" -n -c as 127.0.0.1
assert_line "$RUN_OUT" '^ +1 +[0-9]+ +[0-9a-f]{4} +yes +[a-z]+ +bad ' "wrong-key NTPsec ntpq as: auth bad"
run_cmd 15 "$NS_W" "${REAL_NTPQ[@]}" -n -p 127.0.0.1
assert_not_contains "$RUN_OUT" "*198.18.2.2" "wrong-key NTPsec never selects us"

run_cmd 10 "$NS_S" "$NTPQ" -n --port 123 -c sysstats 127.0.0.1
f=$(awk -F: '/^authentication failed/ {split($2, v, " "); print v[1]}' "$RUN_OUT")
[[ -n $f && $f -gt 0 ]] || fail "our sysstats: 'authentication failed' is ${f:-absent}, expected > 0"
pass "our ntpd counted $f requests with a bad MAC (answered with crypto-NAKs)"

_alive_or_fail "$NTPD_PID" "our ntpd"
_alive_or_fail "$GOOD_PID" "NTPsec (good)"
finish
