#!/usr/bin/env bash
# tests/packaging/init_script.sh BIN_DIR SOURCE_DIR
#
# The SysV init script (packaging/ntpd.init) driving the built ntpd, without
# systemd, in a network namespace this test creates (port 123 inside it):
#   start    exit 0, the pidfile appears, its pid is a running ntpd that holds
#            UDP port 123 and answers `ntpdate -q` (local clock, stratum 4);
#            a second start is a no-op (same pid)
#   status   exit 0 while running
#   reload   exit 0, SIGHUP: the same process still runs and answers
#   restart  exit 0, a new pid in the pidfile, answers again
#   stop     exit 0, the process is gone, the pidfile is gone; status exits 3
#   LSB      reload while stopped exits 7; a stale pidfile makes status exit 1;
#            start with a fatally broken configuration exits 1, no pidfile
# The script is pointed at the build tree through its test overrides
# (NTPD_DAEMON, NTPD_CONF, NTPD_PIDFILE, NTPD_DEFAULTS); the defaults file sets
# NTPD_OPTS='--clock virtual' and NTPD_USER= (root).
# Safety: ntpd disciplines an in-process virtual clock and every command runs
# under setpriv without CAP_SYS_TIME; traffic stays in the namespace, which is
# deleted (with anything left in it) on exit. Exit 77 (skipped) if no network
# namespace can be created.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=init_script
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../interop/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 BIN_DIR SOURCE_DIR"
require_root
setup_bin "$1"
setup_ntpd "$1"
INIT="$2/packaging/ntpd.init"
[[ -f $INIT ]] || fail "$INIT missing"
require_tools ip setpriv ss start-stop-daemon timeout
make_workdir

NS="meridian-init-$$"
if ! ip netns add "$NS" 2>"$WORK/netns.err"; then
  printf '[%s] SKIP: cannot create a network namespace (%s); the init script test needs one\n' \
    "$TEST_NAME" "$(cat "$WORK/netns.err")"
  exit 77
fi
ip netns del "$NS"
netns_create "$NS"

PIDFILE="$WORK/ntpd.pid"
cat >"$WORK/ntp.conf" <<CONF
# init_script test: serve a local clock at stratum 3 (replies: stratum 4)
driftfile $WORK/drift
logfile $WORK/ntpd.log
restrict default kod limited nomodify notrap nopeer noquery
restrict 127.0.0.1
server 127.127.1.0
fudge 127.127.1.0 stratum 3
CONF
cat >"$WORK/default" <<'DEFAULTS'
NTPD_OPTS='--clock virtual'
NTPD_USER=
DEFAULTS
_DAEMON_LOGS+=("$WORK/ntpd.log")

# init ACTION : runs the init script in the namespace, without CAP_SYS_TIME,
# with the test overrides (and without a redirect to systemctl).
init() {
  run_cmd 30 "$NS" "${SAFE_PRIV[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    _SYSTEMCTL_SKIP_REDIRECT=1 NTPD_DAEMON="$MERIDIAN_NTPD" NTPD_CONF="$WORK/ntp.conf" \
    NTPD_PIDFILE="$PIDFILE" NTPD_DEFAULTS="$WORK/default" sh "$INIT" "$1"
}

pid_in_file() { cat "$PIDFILE" 2>/dev/null; }
is_ntpd() { [[ -n $1 && $(cat "/proc/$1/comm" 2>/dev/null) == ntpd ]]; }

answers() { # ntpdate -q against port 123 in the namespace; sets RUN_*
  run_cmd 10 "$NS" "${SAFE_PRIV[@]}" "$NTPDATE" -q -u -p 1 -t 1 127.0.0.1
  [[ $RUN_RC == 0 ]] && grep -qE '^server 127\.0\.0\.1, stratum 4, ' "$RUN_OUT"
}

check_serving() { # DESC : the daemon answers on 127.0.0.1:123 within 10 s
  wait_for 10 0.5 "ntpd to answer ntpdate -q on port 123" answers \
    || fail "$1: ntpd does not answer ntpdate -q on 127.0.0.1:123"
  pass "$1: ntpdate -q gets stratum 4 from 127.0.0.1:123"
}

# ---------------------------------------------------------------- start
init start
assert_rc 0 "start"
[[ -s $PIDFILE ]] || fail "start: no pidfile $PIDFILE"
PID1=$(pid_in_file)
is_ntpd "$PID1" || fail "start: pidfile names $PID1, which is not a running ntpd"
_CLEAN_PIDS+=("$PID1")
pass "start: pidfile holds the pid of a running ntpd ($PID1)"
udp_port_held_by "$NS" 0.0.0.0 123 "$PID1" || fail "start: ntpd does not hold UDP port 123"
pass "start: ntpd $PID1 holds 0.0.0.0:123 in the namespace"
tr '\0' ' ' <"/proc/$PID1/cmdline" | grep -q -- '--clock virtual' ||
  fail "start: NTPD_OPTS from the defaults file did not reach ntpd"
pass "start: NTPD_OPTS from the defaults file reached ntpd (--clock virtual)"
check_serving "start"

init start
assert_rc 0 "start while running"
[[ $(pid_in_file) == "$PID1" ]] || fail "start while running: pid changed to $(pid_in_file)"
pass "start while running: still pid $PID1"

# --------------------------------------------------------------- status
init status
assert_rc 0 "status while running"
assert_contains "$RUN_OUT" "running" "status names the state"

# --------------------------------------------------------------- reload
init reload
assert_rc 0 "reload"
sleep 0.5
is_ntpd "$PID1" || fail "reload: ntpd $PID1 is gone after SIGHUP"
[[ $(pid_in_file) == "$PID1" ]] || fail "reload: pidfile changed"
pass "reload: the same ntpd ($PID1) runs after SIGHUP"
check_serving "reload"
init force-reload
assert_rc 0 "force-reload"

# -------------------------------------------------------------- restart
init restart
assert_rc 0 "restart"
PID2=$(pid_in_file)
is_ntpd "$PID2" || fail "restart: pidfile names $PID2, which is not a running ntpd"
_CLEAN_PIDS+=("$PID2")
[[ $PID2 != "$PID1" ]] || fail "restart: same pid $PID1"
! kill -0 "$PID1" 2>/dev/null || fail "restart: the old ntpd $PID1 still runs"
pass "restart: old ntpd $PID1 gone, new ntpd $PID2 in the pidfile"
check_serving "restart"

# ----------------------------------------------------------------- stop
init stop
assert_rc 0 "stop"
wait_for 5 0.1 "ntpd $PID2 to exit" bash -c "! kill -0 $PID2 2>/dev/null" ||
  fail "stop: ntpd $PID2 still runs"
pass "stop: ntpd $PID2 exited"
[[ ! -e $PIDFILE ]] || fail "stop: pidfile $PIDFILE still exists"
pass "stop: pidfile removed"
init status
assert_rc 3 "status when stopped"
init stop
assert_rc 0 "stop when stopped"

# ------------------------------------------------------------ LSB codes
init reload
assert_rc 7 "reload when stopped"
STALE=$(sh -c 'echo $$') # the pid of a process that has exited
echo "$STALE" >"$PIDFILE"
init status
assert_rc 1 "status with a stale pidfile"
init start
assert_rc 0 "start over a stale pidfile"
PID3=$(pid_in_file)
is_ntpd "$PID3" || fail "start over a stale pidfile: no running ntpd"
_CLEAN_PIDS+=("$PID3")
pass "start over a stale pidfile: ntpd $PID3 runs"
init stop
assert_rc 0 "stop"

cp "$WORK/ntp.conf" "$WORK/good.conf"
echo "restrict 127.0.0.1 nosuchflag" >>"$WORK/ntp.conf"
init start
assert_rc 1 "start with a fatal configuration error"
[[ ! -e $PIDFILE ]] || fail "failed start left a pidfile"
pass "failed start: no pidfile"
init status
assert_rc 3 "status after a failed start"

init bogus
assert_rc 2 "unknown action"
finish
