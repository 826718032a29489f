#!/usr/bin/env bash
# tests/interop/nts_lib.sh - NTS (RFC 8915) helpers for the interop tests.
# Source it AFTER lib.sh:  . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/nts_lib.sh"
#
# The network: a small private LAN made of network namespaces (all created
# here through lib.sh's netns_create, so the EXIT trap deletes them, their
# processes and /etc/netns/NAME):
#   server host   namespace NTS_NS_SRV, bridge br0 = 198.18.0.2/24 (NTS_SRV_ADDR),
#                 where the NTS server runs on the real ports: NTP UDP 123,
#                 NTS-KE TCP 4460;
#   client hosts  one namespace per client (nts_lan_host), a veth into the
#                 bridge, 198.18.0.N/24, and its own /etc/hosts naming the
#                 server "ntp.test" (the name in the server's certificate);
#   relay host    (nts_start_relay) 198.18.0.3: meridian-test-relay forwards
#                 NTS-KE untouched and NTP with one byte flipped; a client
#                 whose /etc/hosts says "198.18.0.3 ntp.test" talks through it.
# Why several namespaces and not one: NTPsec's client binds 127.0.0.1:123 and
# refuses a server at another 127.x address, our ntpd binds the wildcard
# 0.0.0.0:123, and the relay must own ports 123 and 4460 at its own address;
# each "host" having its own ports keeps every daemon on the ports operators
# use. Nothing leaves the namespaces; the host's network is never touched.
#
# Certificates (nts_make_pki): a throwaway root CA -> intermediate CA ->
# server certificate for DNS:ntp.test, IP:127.0.0.1, IP:198.18.0.2 (2 days,
# ECDSA P-256, made with the openssl CLI in well under a second); the server's
# cert file is the chain (leaf + intermediate), as operators deploy it. Also
# an unrelated "wrong" root CA, and an already expired server certificate
# from the same CA.
#
# Safety as in lib.sh: every third-party daemon under setpriv without
# CAP_SYS_TIME (chronyd also -x), bounded waits, cleanup on exit.

# shellcheck disable=SC2034  # globals here are used by the test scripts
NTS_NAME=ntp.test
NTS_SRV_ADDR=198.18.0.2
NTS_RELAY_ADDR=198.18.0.3
NTS_LAN_PREFIX=24
NTS_KE_PORT=4460
_NTS_HOSTS=0

# ------------------------------------------------------------ certificates
_nts_openssl() { # openssl with its chatter kept for the failure message
  local out
  out=$(openssl "$@" 2>&1) || fail "openssl $1 failed: $out"
}

# nts_make_pki DIR : sets NTS_CA (trusted root), NTS_WRONG_CA (unrelated
# root), NTS_CERT (leaf + intermediate chain for ntp.test), NTS_KEY,
# NTS_EXPIRED_CERT (leaf + intermediate, validity ended yesterday; NTS_KEY).
nts_make_pki() {
  local d=$1
  mkdir -p "$d"; chmod 700 "$d"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  cat >"$d/ext.cnf" <<EOF
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
subjectAltName = DNS:$NTS_NAME, IP:127.0.0.1, IP:$NTS_SRV_ADDR
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  # roots (self-signed)
  _nts_openssl req -x509 "${ec[@]}" -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
    -subj "/O=Meridian interop test/CN=Meridian test root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  _nts_openssl req -x509 "${ec[@]}" -keyout "$d/wrong-ca.key" -out "$d/wrong-ca.pem" -days 2 \
    -subj "/O=Somebody else/CN=Unrelated root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  # intermediate, signed by the root
  _nts_openssl req -new "${ec[@]}" -keyout "$d/int.key" -out "$d/int.csr" \
    -subj "/O=Meridian interop test/CN=Meridian test intermediate CA"
  _nts_openssl x509 -req -in "$d/int.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial 2 \
    -days 2 -extfile "$d/ext.cnf" -extensions ca -out "$d/int.pem"
  # server key and certificate, signed by the intermediate
  _nts_openssl req -new "${ec[@]}" -keyout "$d/server.key" -out "$d/server.csr" \
    -subj "/CN=$NTS_NAME"
  _nts_openssl x509 -req -in "$d/server.csr" -CA "$d/int.pem" -CAkey "$d/int.key" \
    -set_serial 3 -days 2 -extfile "$d/ext.cnf" -extensions server -out "$d/server-leaf.pem"
  cat "$d/server-leaf.pem" "$d/int.pem" >"$d/server.pem"
  # the same key, a certificate valid for one day that ended yesterday
  # (openssl x509 of OpenSSL 3.0 cannot backdate; `openssl ca` can)
  mkdir -p "$d/ca-db"; : >"$d/ca-db/index.txt"; echo 04 >"$d/ca-db/serial"
  cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = int
[int]
database = $d/ca-db/index.txt
serial = $d/ca-db/serial
new_certs_dir = $d/ca-db
certificate = $d/int.pem
private_key = $d/int.key
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
EOF
  _nts_openssl ca -batch -config "$d/ca.cnf" -in "$d/server.csr" -notext \
    -startdate "$(date -u -d '-2 days' +%Y%m%d%H%M%SZ)" \
    -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
    -extfile "$d/ext.cnf" -extensions server -out "$d/expired-leaf.pem"
  cat "$d/expired-leaf.pem" "$d/int.pem" >"$d/expired.pem"
  chmod 600 "$d"/*.key
  # a broken chain would only show up as a confusing peer failure later
  local v
  v=$(openssl verify -CAfile "$d/ca.pem" -untrusted "$d/int.pem" "$d/server-leaf.pem" 2>&1) \
    || fail "made a server certificate that does not verify: $v"
  if openssl verify -CAfile "$d/wrong-ca.pem" -untrusted "$d/int.pem" \
       "$d/server-leaf.pem" >/dev/null 2>&1; then
    fail "the wrong CA verifies the server certificate"
  fi
  if openssl verify -CAfile "$d/ca.pem" -untrusted "$d/int.pem" \
       "$d/expired-leaf.pem" >/dev/null 2>&1; then
    fail "the expired certificate verifies"
  fi
  NTS_CA="$d/ca.pem"; NTS_WRONG_CA="$d/wrong-ca.pem"
  NTS_CERT="$d/server.pem"; NTS_KEY="$d/server.key"; NTS_EXPIRED_CERT="$d/expired.pem"
  log "made a test PKI in $d: root CA, intermediate, server cert for $NTS_NAME (chain), wrong CA, expired cert"
}

# --------------------------------------------------------------- the LAN
# nts_lan_create : the server host namespace NTS_NS_SRV with a bridge
# br0 = NTS_SRV_ADDR/24 (and lo); its /etc/hosts names itself ntp.test.
nts_lan_create() {
  NTS_NS_SRV="mer-nts-s-$$"
  netns_create "$NTS_NS_SRV" "$NTS_SRV_ADDR $NTS_NAME"
  # A fixed MAC: by default a bridge takes the lowest MAC of its ports, so
  # it changed as hosts joined and a host that had resolved the server's
  # address earlier kept sending to the old one (measured: the first client
  # completed NTS-KE over TCP, then none of its NTP packets arrived).
  ip -n "$NTS_NS_SRV" link add br0 address 02:00:c6:12:00:02 type bridge \
    || fail "cannot create a bridge in $NTS_NS_SRV"
  # A port from the start, so br0 has carrier before any host joins: NTPsec
  # ignores an interface without it (measured: it bound only lo and never
  # listened on 198.18.0.2). No dummy driver here: a veth pair within the ns.
  ip -n "$NTS_NS_SRV" link add stub0 type veth peer name stub1 \
    || fail "cannot create the stub port in $NTS_NS_SRV"
  ip -n "$NTS_NS_SRV" link set stub0 master br0 up
  ip -n "$NTS_NS_SRV" link set stub1 up
  ip -n "$NTS_NS_SRV" link set br0 up
  ip -n "$NTS_NS_SRV" addr add "$NTS_SRV_ADDR/$NTS_LAN_PREFIX" dev br0 \
    || fail "cannot add $NTS_SRV_ADDR to br0 in $NTS_NS_SRV"
}

# nts_lan_host NAME ADDR NTP_TEST_ADDR : a client host namespace NAME (a
# short word, made unique with the pid; the full name is left in NTS_HOST_NS)
# on the LAN at ADDR, its /etc/hosts saying "NTP_TEST_ADDR ntp.test".
nts_lan_host() {
  local ns="mer-nts-$1-$$" addr=$2 target=$3 v
  _NTS_HOSTS=$((_NTS_HOSTS + 1))
  v="vh$_NTS_HOSTS"
  netns_create "$ns" "$target $NTS_NAME"
  ip link add name "$v" netns "$NTS_NS_SRV" type veth peer name eth0 netns "$ns" \
    || fail "cannot create a veth pair between $NTS_NS_SRV and $ns"
  ip -n "$NTS_NS_SRV" link set "$v" master br0 up || fail "cannot attach $v to br0"
  ip -n "$ns" addr add "$addr/$NTS_LAN_PREFIX" dev eth0 || fail "cannot add $addr in $ns"
  ip -n "$ns" link set eth0 up || fail "cannot bring eth0 up in $ns"
  NTS_HOST_NS=$ns
  log "host $ns at $addr (ntp.test = $target)"
}

# ------------------------------------------------------------- TCP waits
tcp_listening() { # NS PORT PID : PID has a listening TCP socket on PORT in NS
  in_ns "$1" ss -Htlpn "sport = :$2" 2>/dev/null | grep -q "pid=$3,"
}

_nts_ke_ready() { # PID WHAT NS
  _alive_or_fail "$1" "$2"
  tcp_listening "$3" "$NTS_KE_PORT" "$1"
}

# -------------------------------------------------------------- chronyd
# nts_start_chronyd_server NAME NS ADDR [EXTRA_CONF_LINE...] : chronyd as NTS
# server at stratum 1 (`local stratum 1`) in host namespace NS (normally
# NTS_NS_SRV, NTS_SRV_ADDR): NTP on ADDR:123, NTS-KE on ADDR:4460,
# NTS_CERT/NTS_KEY, server cookie keys in $WORK/NAME/nts. Waits until both
# listen. Sets DAEMON_PID, DAEMON_LOG.
nts_start_chronyd_server() {
  local name=$1 ns=$2 addr=$3; shift 3
  mkdir -p "$WORK/$name/nts"; chmod 700 "$WORK/$name" "$WORK/$name/nts"
  start_chronyd "$name" "$ns" "$addr" 123 1 \
    "ntsserverkey ${NTS_SERVER_KEY:-$NTS_KEY}" "ntsservercert ${NTS_SERVER_CERT:-$NTS_CERT}" \
    "ntsport $NTS_KE_PORT" "ntsdumpdir $WORK/$name/nts" "$@"
  wait_for 10 0.05 "chronyd to listen for NTS-KE on $addr:$NTS_KE_PORT" \
    _nts_ke_ready "$DAEMON_PID" chronyd "$ns" \
    || fail "chronyd does not listen on TCP $NTS_KE_PORT"
  log "chronyd $name serves NTS-KE on $addr:$NTS_KE_PORT"
}

# nts_start_chronyd_client NAME NS CA [EXTRA_CONF_LINE...] : chronyd in host
# namespace NS as the NTS client of ntp.test (NTP port 123, NTS-KE 4460,
# iburst), trusting only CA (nosystemcert), its cookies in $WORK/NAME/nts.
nts_start_chronyd_client() {
  local name=$1 ns=$2 ca=$3; shift 3
  mkdir -p "$WORK/$name/nts"; chmod 700 "$WORK/$name" "$WORK/$name/nts"
  start_chronyd_client "$name" "$ns" \
    "server $NTS_NAME iburst nts port 123 ntsport $NTS_KE_PORT" \
    "ntstrustedcerts $ca" "nosystemcert" "ntsdumpdir $WORK/$name/nts" "$@"
}

# chronyd_nts_cookies NAME : the Cook column of `chronyc -n authdata` for
# ntp.test's source (empty if chronyc is unavailable).
chronyd_nts_cookies() {
  chronyc_q "$1" authdata | awk '$2 == "NTS" {print $(NF - 1); exit}'
}

# ---------------------------------------------------------------- NTPsec
# nts_start_ntpsec_server NAME NS ADDR [EXTRA_CONF_LINE...] : NTPsec ntpd as
# NTS server (nts enable/cert/key/cookie) in host namespace NS: NTP on
# ADDR:123 (and 127.0.0.1 for ntpq), NTS-KE on 4460. NTPsec has no local
# clock driver: it serves at stratum 1 in orphan mode from its start
# (`tos orphan 1 orphanwait 0`; refid LOOP, leap bits 00). Waits until both
# listen. Sets DAEMON_PID, DAEMON_LOG.
nts_start_ntpsec_server() {
  local name=$1 ns=$2 addr=$3; shift 3
  start_ntpsec "$name" "$ns" "interface listen $addr" "tos orphan 1 orphanwait 0" \
    "nts enable" "nts cert ${NTS_SERVER_CERT:-$NTS_CERT}" "nts key ${NTS_SERVER_KEY:-$NTS_KEY}" \
    "nts cookie $WORK/$name/nts-cookies" "$@"
  wait_for 10 0.05 "NTPsec to bind $addr:123" \
    _daemon_bound "$ns" "$addr" 123 "$DAEMON_PID" "NTPsec ntpd" \
    || fail "NTPsec ntpd did not bind $addr:123"
  wait_for 10 0.05 "NTPsec to listen for NTS-KE on $NTS_KE_PORT" \
    _nts_ke_ready "$DAEMON_PID" "NTPsec ntpd" "$ns" \
    || fail "NTPsec ntpd does not listen on TCP $NTS_KE_PORT"
  log "NTPsec $name serves NTS-KE on $addr:$NTS_KE_PORT"
}

# nts_start_ntpsec_client NAME NS ADDR CA [EXTRA_CONF_LINE...] : NTPsec ntpd
# in host namespace NS (its LAN address ADDR) as NTS client of ntp.test,
# trusting CA (`nts ca`).
nts_start_ntpsec_client() {
  local name=$1 ns=$2 addr=$3 ca=$4; shift 4
  start_ntpsec "$name" "$ns" "interface listen $addr" \
    "server $NTS_NAME iburst nts" "nts ca $ca" "$@"
}

# ntpsec_q NS ARGS... : NTPsec's own ntpq (python, from PEERS_DIR) against
# 127.0.0.1 in NS; prints its output. Returns 2 if it is unavailable.
ntpsec_q() {
  local ns=$1; shift
  [[ -f $PEERS/ntpsec/usr/bin/ntpq && -x /usr/bin/python3 ]] || return 2
  in_ns "$ns" timeout -k 1 8 env "PYTHONPATH=$PEERS/ntpsec/usr/lib/python3/dist-packages" \
    "${PEER_ENV[@]:1}" /usr/bin/python3 "$PEERS/ntpsec/usr/bin/ntpq" -n "$@" 127.0.0.1 2>&1
}

# require_ntpsec_ntpq : the NTPsec checks read NTPsec's own ntpq (python).
require_ntpsec_ntpq() {
  [[ -f $PEERS/ntpsec/usr/bin/ntpq && -x /usr/bin/python3 ]] \
    || fail "NTPsec's ntpq is needed: /usr/bin/python3 and $PEERS/ntpsec/usr/bin/ntpq (scripts/install-deps.sh)"
}

# ntpsec_field NS COMMAND LABEL : the first number after "LABEL:" in
# NTPsec's ntpq COMMAND output (e.g. ntpsec_field NS ntsinfo "NTS KE serves good").
ntpsec_field() {
  ntpsec_q "$1" -c "$2" | awk -F': *' -v l="$3" '$1 == l {split($2, v, " "); print v[1]; exit}'
}

# ntpsec_selected NS ADDR : NTPsec's ntpq -p marks ADDR as its system peer.
ntpsec_selected() { ntpsec_q "$1" -p | grep -qE "^\\*$(re_quote "$2")[ ]"; }

# ------------------------------------------------------------------ relay
# nts_start_relay NAME ADDR TARGET RELAY_ARGS... : a relay host NAME on the
# LAN at ADDR running meridian-test-relay: TCP 4460 forwarded untouched to
# TARGET, UDP 123 forwarded with RELAY_ARGS (e.g. --flip-reply-nts-tag;
# none: an honest relay). A client whose /etc/hosts says "ADDR ntp.test"
# then talks to TARGET through it. Needs RELAY (setup_relay). Sets
# RELAY_PID, RELAY_LOG (and RELAY_PIDS[NAME], RELAY_LOGS[NAME]).
declare -A RELAY_PIDS RELAY_LOGS
nts_start_relay() {
  local name=$1 addr=$2 target=$3; shift 3
  nts_lan_host "$name" "$addr" "$target"
  local ns=$NTS_HOST_NS
  mkdir -p "$WORK/$name"
  RELAY_LOG="$WORK/$name/relay.log"
  _DAEMON_LOGS+=("$RELAY_LOG")
  log "starting relay $name: $addr:{123/udp,$NTS_KE_PORT/tcp} -> $target ${*:-(honest)}"
  ip netns exec "$ns" "${SAFE_PRIV[@]}" "$RELAY" --listen "$addr" --to "$target" \
    --udp-port 123 --tcp-port "$NTS_KE_PORT" --seconds 120 "$@" >"$RELAY_LOG" 2>&1 </dev/null &
  RELAY_PID=$!
  _CLEAN_PIDS+=("$RELAY_PID")
  wait_for 5 0.05 "relay $name to listen" _nts_ke_ready "$RELAY_PID" "relay $name" "$ns" \
    || fail "relay $name does not listen on $addr:$NTS_KE_PORT"
  RELAY_PIDS[$name]=$RELAY_PID
  RELAY_LOGS[$name]=$RELAY_LOG
}

# relay_counter NAME FIELD : one counter of relay NAME as of now (requests,
# replies, flipped_requests, flipped_replies, connections, bytes); SIGUSR1
# makes the relay print them.
relay_counter() {
  local log=${RELAY_LOGS[$1]} before i
  before=$(grep -c '^relay: counters: ' "$log" || true)
  kill -USR1 "${RELAY_PIDS[$1]}" 2>/dev/null || return 1
  for ((i = 0; i < 40; i++)); do
    [[ $(grep -c '^relay: counters: ' "$log" || true) -gt $before ]] && break
    sleep 0.05
  done
  grep '^relay: counters: ' "$log" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ------------------------------------------------------- Meridian's ntpd
# Our ntpd's NTS configuration (issue #14; the planned directives):
#   server side: `nts enable`, `nts cert FILE` (PEM chain), `nts key FILE`,
#                `nts cookie FILE` (cookie keys, created if missing),
#                `nts port N` (NTS-KE TCP port, default 4460); NTP on --port.
#   client side: `server NAME iburst nts` [`ntsport N`] [`ca FILE`], or a
#                global `nts ca FILE`; the certificate is checked against NAME.

# nts_meridian_server_conf NAME [EXTRA_LINE...] : writes $WORK/NAME/ntp.conf
# for our ntpd as NTS server with the local clock driver (serves stratum 2),
# NTS_CERT (or NTS_SERVER_CERT), NTS_KEY, cookie keys in $WORK/NAME; sets CONF.
nts_meridian_server_conf() {
  local name=$1 d="$WORK/$1" l; shift
  mkdir -p "$d"; chmod 700 "$d"
  CONF="$d/ntp.conf"
  {
    echo "# $TEST_NAME: Meridian ntpd as NTS server ($name)"
    echo "driftfile $d/ntp.drift"
    echo "server 127.127.1.0"
    echo "fudge 127.127.1.0 stratum 1"
    echo "nts enable"
    echo "nts cert ${NTS_SERVER_CERT:-$NTS_CERT}"
    echo "nts key ${NTS_SERVER_KEY:-$NTS_KEY}"
    echo "nts cookie $d/nts-cookies"
    for l in "$@"; do echo "$l"; done
  } >"$CONF"
}

# nts_meridian_client_conf NAME SERVER_LINE [EXTRA_LINE...] : writes
# $WORK/NAME/ntp.conf for our ntpd as NTS client (SERVER_LINE e.g.
# "server ntp.test iburst nts ca FILE"); sets CONF.
nts_meridian_client_conf() {
  local name=$1 server=$2 d="$WORK/$1" l; shift 2
  mkdir -p "$d"; chmod 700 "$d"
  CONF="$d/ntp.conf"
  {
    echo "# $TEST_NAME: Meridian ntpd as NTS client ($name)"
    echo "driftfile $d/ntp.drift"
    echo "$server"
    for l in "$@"; do echo "$l"; done
  } >"$CONF"
}

# nts_start_meridian NAME NS [EXTRA_ARG...] : `ntpd --check` accepts
# $WORK/NAME/ntp.conf, then our ntpd runs with it in host namespace NS on
# the real port 123 (lib.sh's start_meridian_ntpd: --clock virtual, setpriv).
# If the config enables the NTS server, also waits until it listens for
# NTS-KE on 4460. Sets DAEMON_PID, DAEMON_LOG.
nts_start_meridian() {
  local name=$1 ns=$2; shift 2
  local conf="$WORK/$name/ntp.conf"
  log "$name: ntp.conf:"
  sed 's/^/    | /' "$conf"
  check_ntpd_conf "$conf"
  start_meridian_ntpd "$name" "$ns" "$conf" 123 "$@"
  if grep -qx 'nts enable' "$conf"; then
    wait_for 10 0.05 "our ntpd to listen for NTS-KE on $NTS_KE_PORT" \
      _nts_ke_ready "$DAEMON_PID" "Meridian ntpd" "$ns" \
      || fail "Meridian ntpd does not listen on TCP $NTS_KE_PORT"
    log "Meridian ntpd $name serves NTS-KE on $NTS_KE_PORT"
  fi
}

# meridian_q NS ARGS... : our ntpq (-n) against our ntpd on 127.0.0.1:123 in
# NS, through run_cmd (RUN_OUT, RUN_RC). Needs NTPQ.
meridian_q() {
  local ns=$1; shift
  run_cmd 10 "$ns" "$NTPQ" -n "$@" 127.0.0.1
}

# meridian_synced LOG ADDR : our ntpd's log says it synchronised to ADDR.
meridian_synced() { grep -qE "synchronised to $(re_quote "$2")( |\$)" "$1"; }

# assert_relay_altered_all NAME replies|requests : relay NAME forwarded some
# (> 0) and inverted a byte in every one of them (the tamper check is not
# vacuous: NTS traffic really went through it).
assert_relay_altered_all() {
  local name=$1 what=$2 n f
  n=$(relay_counter "$name" "$what"); f=$(relay_counter "$name" "flipped_$what")
  log "relay $name: $(grep '^relay: counters: ' "${RELAY_LOGS[$name]}" | tail -n 1)"
  [[ ${n:-0} -gt 0 && $f == "$n" ]] \
    || fail "relay $name: $what=${n:-?} flipped_$what=${f:-?}: expected every one of > 0 altered"
  pass "relay $name altered the NTS authenticator of all $n $what it forwarded"
}

# sleep_rest WINDOW_S T0 : sleeps until WINDOW_S seconds after T0.
sleep_rest() {
  local rest
  rest=$(awk -v w="$1" -v n="$(since "$2")" 'BEGIN{r = w - n; printf "%.2f", (r > 0 ? r : 0)}')
  log "waiting ${rest}s more (a ${1}s window)"
  sleep "$rest"
}

# setup_relay BIN_DIR : sets RELAY (meridian-test-relay next to ntpd).
setup_relay() {
  RELAY="$(cd -- "$1" && pwd -P)/meridian-test-relay"
  [[ -x $RELAY ]] || fail "meridian-test-relay not found in $1 (build the target meridian-test-relay)"
}

# since T0 : seconds since T0 (a ${EPOCHREALTIME/./} value), e.g. 4.21
since() { awk -v d="$(( ${EPOCHREALTIME/./} - $1 ))" 'BEGIN{printf "%.2f", d/1e6}'; }

# ------------------------------------------- the LAN tests' common start
# nts_lan_test_setup NEEDS BIN_DIR PEERS_DIR : the start of every test on
# the NTS LAN (nts_harness_peers, nts_*_vs_*): root, the relay, the peers,
# a work dir, the test PKI (nts_make_pki) and the server host
# (nts_lan_create). NEEDS: words among "ntpd" (our ntpd: MERIDIAN_NTPD),
# "ntpq" (our ntpq: NTPQ), "ntpsec-ntpq" (require_ntpsec_ntpq).
nts_lan_test_setup() {
  local needs=" $1 " t0; shift
  [[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR PEERS_DIR"
  require_root
  if [[ $needs == *" ntpd "* ]]; then
    setup_bin "$1"
    setup_ntpd "$1"
  fi
  setup_relay "$1"
  setup_peers "$2"
  [[ $needs == *" ntpsec-ntpq "* ]] && require_ntpsec_ntpq
  if [[ $needs == *" ntpq "* ]]; then
    NTPQ="$(dirname "$NTPDATE")/ntpq"
    [[ -x $NTPQ ]] || fail "ntpq not found next to ntpdate (build Meridian first)"
  fi
  require_tools ip setpriv ss timeout awk openssl
  make_workdir
  t0=${EPOCHREALTIME/./}
  nts_make_pki "$WORK/pki"
  log "PKI made in $(since "$t0")s"
  nts_lan_create
}

# --------------------------- our ntpd as NTS client of a peer (nts_ntpd_client_vs_*)
# The three clients good / wrongca / tamper of those tests, each our ntpd on
# its own host; NS_OF, PID_OF, LOG_OF by name.
declare -A NS_OF PID_OF LOG_OF

# nts_ours_client NAME ADDR NTP_TEST_ADDR SERVER_LINE [EXTRA_LINE...] : our
# ntpd as NTS client on a new host NAME at ADDR, ntp.test = NTP_TEST_ADDR.
nts_ours_client() {
  local name=$1 addr=$2 target=$3; shift 3
  nts_lan_host "$name" "$addr" "$target"
  nts_meridian_client_conf "$name" "$@"
  nts_start_meridian "$name" "$NTS_HOST_NS"
  NS_OF[$name]=$NTS_HOST_NS; PID_OF[$name]=$DAEMON_PID
  # shellcheck disable=SC2153  # DAEMON_LOG: set by lib.sh's start_meridian_ntpd
  LOG_OF[$name]=$DAEMON_LOG
}

# nts_start_peer_servers chronyd|ntpsec : the peer's NTS servers KIND-a on
# the server host (SRV_A = NTS_SRV_ADDR) and KIND-b on its own host (SRV_B =
# 198.18.0.4, namespace NS_B), and the relay "relay" at RELAY_ADDR =
# NTS_RELAY_ADDR to B, inverting the NTS tag of every reply.
nts_start_peer_servers() {
  local kind=$1 prefix
  case $kind in
    chronyd) prefix=chrony ;;
    ntpsec) prefix=ntpsec ;;
    *) fail "nts_start_peer_servers: unknown kind $kind" ;;
  esac
  SRV_A=$NTS_SRV_ADDR SRV_B=198.18.0.4 RELAY_ADDR=$NTS_RELAY_ADDR
  "nts_start_${kind}_server" "$prefix-a" "$NTS_NS_SRV" "$SRV_A"
  nts_lan_host "$prefix-b" "$SRV_B" "$SRV_B"
  "nts_start_${kind}_server" "$prefix-b" "$NTS_HOST_NS" "$SRV_B"
  NS_B=$NTS_HOST_NS
  nts_start_relay relay "$RELAY_ADDR" "$SRV_B" --flip-reply-nts-tag
}

# shellcheck disable=SC2317  # called through wait_for
_nts_ours_good_synced() { # ADDR
  _alive_or_fail "${PID_OF[good]}" "our ntpd good"
  meridian_synced "${LOG_OF[good]}" "$1"
}

# nts_check_ours_accepted ADDR PEER T_GOOD : check 1 of those tests: client
# good synchronises to ADDR (PEER's NTS server) within WINDOW s, `ntpq -p`
# selects it and `ntpq -c "rv &1"` shows NTS cookies.
nts_check_ours_accepted() {
  local addr=$1 peer=$2 t_good=$3
  wait_for "$WINDOW" 0.1 "our ntpd to synchronise to $addr over NTS" _nts_ours_good_synced "$addr" \
    || fail "our ntpd did not synchronise to $peer's NTS server within ${WINDOW}s"
  pass "good: synchronised to $addr ($peer, NTS) $(since "$t_good")s after its start"
  meridian_q "${NS_OF[good]}" -p
  assert_line "$RUN_OUT" "^\\*$(re_quote "$addr") " "good: ntpq -p selects $addr"
  meridian_q "${NS_OF[good]}" -c "rv &1"
  if grep -qE '(^|[ ,])nts_cookies=[1-9]' "$RUN_OUT"; then
    pass "good: ntpq rv &1 shows NTS cookies"
  else
    fail_later "good: ntpq rv &1 shows no nts_cookies=N > 0"
  fi
}

# nts_check_ours_rejected T0 : check 2 of those tests, WINDOW s after T0:
# wrongca and tamper never synchronised and select nothing, wrongca logged
# the certificate failure, the relay "relay" altered every reply.
nts_check_ours_rejected() {
  local n cert_err='(certif|verif|tls).*(fail|error|invalid|untrusted|reject|unable)'
  sleep_rest "$WINDOW" "$1"
  for n in wrongca tamper; do
    _alive_or_fail "${PID_OF[$n]}" "our ntpd $n"
    assert_not_contains "${LOG_OF[$n]}" "synchronised to" "$n: never synchronised in ${WINDOW}s"
    meridian_q "${NS_OF[$n]}" -p
    if grep -q '^\*' "$RUN_OUT"; then fail "$n: ntpq -p selects a source"; fi
    pass "$n: ntpq -p selects nothing"
  done
  grep -iE "$cert_err" "${LOG_OF[wrongca]}" | sed 's/^/    | /' || true
  if grep -qiE "$cert_err" "${LOG_OF[wrongca]}"; then
    pass "wrongca: our ntpd logged the certificate verification failure"
  else
    fail_later "wrongca: our ntpd logged nothing about the certificate it rejected"
  fi
  assert_relay_altered_all relay replies
}

# nts_all_alive WHAT NAME... : each PID_OF[NAME] is still running.
nts_all_alive() {
  local what=$1 n; shift
  for n in "$@"; do _alive_or_fail "${PID_OF[$n]}" "$what $n"; done
}

# --------------------------- a peer as NTS client of our ntpd (nts_*_client_vs_ntpd)
# nts_start_ours_server : our ntpd as NTS server "ours" on the server host
# (NTS_SRV_ADDR), checked with a plain probe, and the relay "relay" to it
# (NTS_RELAY_ADDR) inverting the NTS tag of every request. Sets OURS_PID.
nts_start_ours_server() {
  nts_meridian_server_conf ours
  nts_start_meridian ours "$NTS_NS_SRV"
  OURS_PID=$DAEMON_PID
  wait_for 5 0.1 "our ntpd to answer on $NTS_SRV_ADDR:123" \
    ntp_probe "$NTS_NS_SRV" "$NTS_SRV_ADDR" 123 \
    || fail "our ntpd does not answer a plain mode-3 probe on $NTS_SRV_ADDR:123"
  log "plain probe: $PROBE_LINE"
  pass "our ntpd serves NTP on $NTS_SRV_ADDR:123 and NTS-KE on $NTS_KE_PORT"
  nts_start_relay relay "$NTS_RELAY_ADDR" "$NTS_SRV_ADDR" --flip-request-nts-tag
}

# nts_start_peer_clients chronyd|ntpsec : the three clients of those tests,
# each on its own host: good (.11, ntp.test = our server, our CA), wrongca
# (.12, the unrelated CA), tamper (.13, ntp.test = the relay, our CA). Sets
# NS_OF, PID_OF, START (start times) by name and T0 (before the first).
declare -A START
nts_start_peer_clients() {
  local kind=$1 name addr target ca
  T0=${EPOCHREALTIME/./}
  for name in good wrongca tamper; do
    case $name in
      good) addr=198.18.0.11 target=$NTS_SRV_ADDR ca=$NTS_CA ;;
      wrongca) addr=198.18.0.12 target=$NTS_SRV_ADDR ca=$NTS_WRONG_CA ;;
      tamper) addr=198.18.0.13 target=$NTS_RELAY_ADDR ca=$NTS_CA ;;
    esac
    nts_lan_host "$name" "$addr" "$target"
    case $kind in
      chronyd) nts_start_chronyd_client "$name" "$NTS_HOST_NS" "$ca" ;;
      ntpsec) nts_start_ntpsec_client "$name" "$NTS_HOST_NS" "$addr" "$ca" ;;
      *) fail "nts_start_peer_clients: unknown kind $kind" ;;
    esac
    NS_OF[$name]=$NTS_HOST_NS; PID_OF[$name]=$DAEMON_PID; START[$name]=${EPOCHREALTIME/./}
  done
}

# ------------------------------- NTS-KE tests on 127.0.0.1 (nts_ke_*)
# nts_ke_setup_bin BIN_DIR TOOL... : sets BIN; each TOOL must be there.
nts_ke_setup_bin() {
  local t
  BIN=$(cd -- "$1" 2>/dev/null && pwd -P) || fail "BIN_DIR $1 not found (build Meridian first)"
  shift
  for t in "$@"; do
    [[ -x $BIN/$t ]] || fail "$BIN/$t missing (cmake --build --target $t)"
  done
}

# nts_ke_make_pki : the PKI of tests/support/make_nts_test_certs.sh in
# $WORK/pki (ca.pem, other_ca.pem, server.pem, server.key); sets PKI.
nts_ke_make_pki() {
  local certs
  certs="$(dirname "${BASH_SOURCE[0]}")/../support/make_nts_test_certs.sh"
  bash "$certs" "$WORK/pki" || fail "cannot make the test PKI with $certs"
  PKI="$WORK/pki"
}

# nts_ke_start_serve NS PORT [ARG...] : meridian-nts-ke-serve (in BIN) with
# the PKI's server cert on 127.0.0.1:PORT in NS ("" = this host), for at
# most 60 s; waits until it listens. Sets SERVE_PID, SERVE_OUT, SERVE_LOG.
nts_ke_start_serve() {
  local ns=$1 port=$2; shift 2
  SERVE_OUT="$WORK/serve.out"
  SERVE_LOG="$WORK/serve.log"
  _DAEMON_LOGS+=("$SERVE_LOG")
  log "starting our NTS-KE server${ns:+ in $ns} on 127.0.0.1:$port${*:+ ($*)}"
  _ns_prefix "$ns"
  "${_NS_PRE[@]}" "${SAFE_PRIV[@]}" "$BIN/meridian-nts-ke-serve" --cert "$PKI/server.pem" \
    --key "$PKI/server.key" --port "$port" "$@" --seconds 60 \
    >"$SERVE_OUT" 2>"$SERVE_LOG" </dev/null &
  SERVE_PID=$!
  _CLEAN_PIDS+=("$SERVE_PID")
  wait_for 5 0.05 "our server to listen" grep -q "^listening 127.0.0.1:$port" "$SERVE_OUT" \
    || fail "meridian-nts-ke-serve did not start"
  pass "our NTS-KE server listens on 127.0.0.1:$port"
}

# nts_ke_stop_serve : stops meridian-nts-ke-serve (it must still run), shows
# its output and checks that it issued keys; sets COUNTS (its last line).
nts_ke_stop_serve() {
  _alive_or_fail "$SERVE_PID" "meridian-nts-ke-serve"
  stop_daemon "$SERVE_PID"
  sed 's/^/    serve| /' "$SERVE_OUT"
  COUNTS=$(tail -n1 "$SERVE_OUT")
  if ! [[ $COUNTS =~ keys_issued=([0-9]+) && ${BASH_REMATCH[1]} -ge 1 ]]; then
    fail "our server issued no keys: $COUNTS"
  fi
  pass "our server issued keys ${BASH_REMATCH[1]} time(s)"
}
