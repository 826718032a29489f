#!/usr/bin/env bash
# tests/packaging/install_throwaway_root.sh DEB_DIR BIN_DIR
#
# What a new user does, in a throwaway Debian 12 root: install the .deb that
# package_deb left in DEB_DIR, `service ntpd start`, see the clock
# synchronised (ntpstat), reload, stop, then remove and purge. Checked on the
# way: the ntp system user and /var/lib/ntp owned by it, the SysV links and
# the systemd enablement (ntpd.service and its alias ntp.service), conffiles
# kept on remove, everything gone after purge.
#
# The root is made by mmdebstrap (variant apt plus the package's Depends) from
# Debian's package registry: about 1-2 minutes. Everything in it runs in a
# network namespace this test creates, in a private mount and PID namespace
# (nothing outlives the check), and under setpriv without CAP_SYS_TIME. The
# root has /usr/sbin/policy-rc.d exiting 101, so the postinst cannot start a
# daemon on the system clock; `service ntpd start` (which policy-rc.d does not
# govern) runs ntpd with NTPD_OPTS='-g --clock virtual --clock-offset 0.3',
# and its upstream is meridian-test-responder from BIN_DIR on 127.0.0.1:11123
# in the namespace. Exit 77 (skipped) without mmdebstrap or network namespaces.
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=install_throwaway_root
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../interop/lib.sh"

[[ $# -eq 2 ]] || fail "usage: $0 DEB_DIR BIN_DIR"
require_root
DEB=$(find "$1" -maxdepth 1 -name 'meridian-ntp_*.deb' 2>/dev/null | head -n 1)
[[ -n $DEB ]] || fail "no meridian-ntp_*.deb in $1 (the package_deb test makes it)"
RESPONDER=$(cd -- "$2" && pwd -P)/meridian-test-responder
[[ -x $RESPONDER ]] || fail "$RESPONDER not built"
if ! command -v mmdebstrap >/dev/null; then
  printf '[%s] SKIP: mmdebstrap not installed (scripts/install-deps.sh installs it)\n' "$TEST_NAME"
  exit 77
fi
require_tools ip setpriv unshare chroot dpkg-deb
make_workdir
ROOT="$WORK/root"

# Never let the cleanup's rm -rf walk into a mount (mmdebstrap mounts /dev,
# /proc and /sys into the root while it works): unmount what is left, and
# keep the directory if that fails.
_guard_mounts() {
  local m
  for m in $(awk -v r="$ROOT" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  if awk -v r="$ROOT" 'index($2, r) == 1 {found = 1} END {exit !found}' /proc/mounts; then
    KEEP_WORK=1
    log "mounts left under $ROOT: not removing $WORK"
  fi
}
trap 'rc=$?; set +e; _guard_mounts; (exit $rc); _cleanup' EXIT

NS="meridian-root-$$"
if ! ip netns add "$NS" 2>"$WORK/netns.err"; then
  printf '[%s] SKIP: cannot create a network namespace (%s)\n' "$TEST_NAME" "$(cat "$WORK/netns.err")"
  exit 77
fi
ip netns del "$NS"
netns_create "$NS"

# ---------------------------------------------------------- the throwaway root
# The package's Depends (first alternative, no versions) go in at creation,
# so installing the .deb needs no network.
DEPENDS=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/ //g' |
  grep -v '^$' | paste -sd, -)
log "mmdebstrap bookworm (variant apt, + $DEPENDS) into $ROOT"
t0=${EPOCHREALTIME/./}
run_cmd 600 "" mmdebstrap --variant=apt --mode=root --include="$DEPENDS" bookworm "$ROOT"
# Building the root needs Debian's registry; a machine that cannot reach it
# cannot run this check, which says nothing about the package: skip, loudly.
if [[ $RUN_RC != 0 ]]; then
  tail -n 20 "$RUN_ERR" >&2
  printf '[%s] SKIP: mmdebstrap could not build a root (exit %s); see above\n' "$TEST_NAME" "$RUN_RC"
  exit 77
fi
pass "throwaway root made in $(awk -v d="$((${EPOCHREALTIME/./} - t0))" 'BEGIN{printf "%.0f", d/1e6}') s"

printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
# What an installed system has (netbase/the installer write them; mmdebstrap's
# minimal root has no /etc/hosts): localhost resolves, DNS fails at once.
[[ -s $ROOT/etc/hosts ]] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost\n' >"$ROOT/etc/hosts"
echo "nameserver 127.0.0.1" >"$ROOT/etc/resolv.conf"
cp "$DEB" "$ROOT/tmp/meridian-ntp.deb"
cp "$(dirname "${BASH_SOURCE[0]}")/throwaway_root_check.sh" "$ROOT/tmp/check.sh"

# ------------------------------------------------------------ upstream server
"${SAFE_PRIV[@]}" ip netns exec "$NS" "$RESPONDER" --port 11123 --stratum 1 --seconds 300 \
  >"$WORK/responder.log" 2>&1 </dev/null &
_CLEAN_PIDS+=("$!")
_DAEMON_LOGS+=("$WORK/responder.log")
wait_for 10 0.1 "the responder to answer" ntp_probe "$NS" 127.0.0.1 11123 ||
  fail "meridian-test-responder does not answer on 127.0.0.1:11123"
pass "upstream responder answers in the namespace: $PROBE_LINE"

# ------------------------------------------------ the user's steps, in the root
# A private mount namespace (proc, dev for the root) and PID namespace: when
# check.sh ends, anything it started ends too.
run_cmd 300 "" ip netns exec "$NS" "${SAFE_PRIV[@]}" unshare --mount --pid --fork \
  sh -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
         exec chroot "$1" /bin/sh /tmp/check.sh' sh "$ROOT"
[[ $RUN_RC == 0 ]] || fail "the check inside the root failed (exit $RUN_RC), see above"
_PASSED=$((_PASSED + $(grep -c '^ok:' "$RUN_OUT")))
pass "install, service ntpd start, synchronised, reload, stop, remove, purge"
finish
