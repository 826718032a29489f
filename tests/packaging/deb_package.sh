#!/usr/bin/env bash
# tests/packaging/deb_package.sh BUILD_DIR SOURCE_DIR OUT_DIR
#
# `cpack -G DEB` builds meridian-ntp; the package holds the expected files
# (binaries, /etc files as conffiles, the systemd unit, man pages, copyright,
# changelog), declares the relations a drop-in NTP daemon needs
# (Provides/Conflicts/Replaces time-daemon and ntp, Depends from
# dpkg-shlibdeps), its maintainer scripts are valid sh, and lintian reports
# no error. Also: packaging/ntp.conf, the installed /etc/ntp.conf, is what
# `ntpd --print-default-config` prints and passes `ntpd --check`.
# The package is left in OUT_DIR for install_throwaway_root.sh; nothing is
# installed on this machine (the package is only inspected).
set -euo pipefail
# shellcheck disable=SC2034  # used by lib.sh
TEST_NAME=deb_package
# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../interop/lib.sh"

[[ $# -eq 3 ]] || fail "usage: $0 BUILD_DIR SOURCE_DIR OUT_DIR"
BUILD=$(cd -- "$1" && pwd -P)
SRC=$(cd -- "$2" && pwd -P)
OUT=$3
require_tools cpack dpkg-deb dpkg-shlibdeps lintian
setup_ntpd "$BUILD/bin"
make_workdir

# ------------------------------------------------ the default configuration
run_cmd 10 "" "$MERIDIAN_NTPD" --print-default-config
cmp -s "$RUN_OUT" "$SRC/packaging/ntp.conf" ||
  fail "ntpd --print-default-config differs from packaging/ntp.conf"
pass "ntpd --print-default-config is packaging/ntp.conf byte for byte"
run_cmd 10 "" "$MERIDIAN_NTPD" --check -c "$SRC/packaging/ntp.conf"
assert_rc 0 "ntpd --check packaging/ntp.conf"
assert_not_contains "$RUN_ERR" "warning" "packaging/ntp.conf lints clean"

# -------------------------------------------------------------- the package
rm -rf -- "$OUT"
mkdir -p "$OUT"
run_cmd 300 "" cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$OUT"
assert_rc 0 "cpack -G DEB"
DEB=$(find "$OUT" -maxdepth 1 -name 'meridian-ntp_*.deb' | head -n 1)
[[ -n $DEB ]] || fail "cpack made no meridian-ntp_*.deb in $OUT"
pass "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"

dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' >"$WORK/contents"
for path in /usr/sbin/ntpd /usr/sbin/ntpdate /usr/bin/ntpq /usr/bin/ntpstat /usr/sbin/chkconfig \
  /usr/share/man/man8/chkconfig.8.gz /etc/ntp.conf /etc/default/ntpd /etc/init.d/ntpd /lib/systemd/system/ntpd.service \
  /usr/share/man/man8/ntpd.8.gz /usr/share/man/man8/ntpdate.8.gz \
  /usr/share/man/man1/ntpq.1.gz /usr/share/man/man1/ntpstat.1.gz \
  /usr/share/man/man5/ntp.conf.5.gz /usr/share/doc/meridian-ntp/copyright \
  /usr/share/doc/meridian-ntp/changelog.Debian.gz /var/lib/ntp; do
  grep -qxF -- "$path" "$WORK/contents" || fail "package lacks $path"
done
pass "dpkg-deb -c lists binaries, /etc files, unit, init script, man pages, doc files"
! grep -qE '^/usr/(local|include|lib/.*\.a$)' "$WORK/contents" ||
  fail "package ships unexpected files: $(grep -E '^/usr/(local|include)' "$WORK/contents")"
pass "no /usr/local, headers or static libraries in the package"
dpkg-deb -c "$DEB" | grep -E '\./etc/init\.d/ntpd$' | grep -q '^-rwxr-xr-x root/root' ||
  fail "/etc/init.d/ntpd is not root-owned mode 755"
pass "/etc/init.d/ntpd: root:root 0755"

field() { dpkg-deb -f "$DEB" "$1"; }
has_relation() { # FIELD NAME : NAME appears in the comma-separated FIELD
  field "$1" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qxF -- "$2"
}
[[ $(field Package) == meridian-ntp ]] || fail "Package is '$(field Package)'"
VERSION=$(field Version)
[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+$ ]] || fail "Version '$VERSION' is not UPSTREAM-REVISION"
pass "Package meridian-ntp, Version $VERSION"
for rel in Provides:time-daemon Provides:ntp Conflicts:time-daemon Conflicts:ntp \
  Conflicts:ntpsec Replaces:ntp Replaces:ntpsec Depends:adduser Depends:libc6 \
  Depends:libstdc++6; do
  has_relation "${rel%%:*}" "${rel#*:}" || fail "${rel%%:*} lacks ${rel#*:}: '$(field "${rel%%:*}")'"
done
pass "Provides: $(field Provides)"
pass "Conflicts/Replaces: $(field Conflicts)"
pass "Depends (dpkg-shlibdeps): $(field Depends)"

mkdir -p "$WORK/control"
dpkg-deb -e "$DEB" "$WORK/control"
sort "$WORK/control/conffiles" >"$WORK/conffiles"
printf '%s\n' /etc/default/ntpd /etc/init.d/ntpd /etc/ntp.conf | cmp -s - "$WORK/conffiles" ||
  fail "conffiles: $(tr '\n' ' ' <"$WORK/conffiles")"
pass "conffiles: /etc/default/ntpd /etc/init.d/ntpd /etc/ntp.conf"
for script in postinst prerm postrm; do
  [[ -x $WORK/control/$script ]] || fail "$script missing or not executable"
  sh -n "$WORK/control/$script" || fail "$script: sh syntax error"
done
pass "postinst, prerm, postrm: executable, valid sh"
sh -n "$SRC/packaging/ntpd.init" || fail "ntpd.init: sh syntax error"
grep -q 'adduser --system' "$WORK/control/postinst" || fail "postinst does not create the ntp user"
pass "postinst creates the ntp system user"

# The unit as systemd reads it (unknown keys, bad values), with ExecStart
# pointing at the built ntpd since /usr/sbin/ntpd is not installed here.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$WORK/unit"
  dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./lib/systemd/system/ntpd.service |
    sed "s|/usr/sbin/ntpd|$MERIDIAN_NTPD|" >"$WORK/unit/ntpd.service"
  run_cmd 30 "" systemd-analyze verify --man=no "$WORK/unit/ntpd.service"
  [[ $RUN_RC == 0 && ! -s $RUN_ERR ]] || fail "systemd-analyze verify ntpd.service complains"
  pass "systemd-analyze verify ntpd.service: clean"
else
  skip "systemd-analyze not installed: ntpd.service not verified"
fi

# ------------------------------------------------------------------ lintian
run_cmd 300 "" lintian --fail-on error --display-info "$DEB"
grep -E '^E: ' "$RUN_OUT" && fail "lintian reports errors"
[[ $RUN_RC == 0 ]] || fail "lintian exited $RUN_RC"
pass "lintian: no errors ($(grep -c '^W: ' "$RUN_OUT" || true) warnings, $(grep -c '^I: ' "$RUN_OUT" || true) infos)"
finish
