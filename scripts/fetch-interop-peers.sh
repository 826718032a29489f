#!/usr/bin/env bash
# fetch-interop-peers.sh DIR
#
# Fetches the third-party NTP implementations that Meridian's interop tests
# (tests/interop/) run against, WITHOUT installing them:
#   DIR/chrony/usr/sbin/chronyd       (Debian 12 package chrony)
#   DIR/ntpsec/usr/sbin/ntpd          (Debian 12 package ntpsec)
#   DIR/ntpsec/usr/bin/ntpdig, ntpq   (ntpsec-ntpdig + python3-ntp; optional
#                                      diagnostic clients, run with
#                                      PYTHONPATH=DIR/ntpsec/usr/lib/python3/dist-packages
#                                      /usr/bin/python3 DIR/ntpsec/usr/bin/ntpdig)
#   DIR/ntpstat/usr/bin/ntpstat      (Debian 12 package ntpstat; optional)
#   DIR/runtime-libs/                 only if a shared library the binaries need
#                                      is missing on this machine (see below)
#
# Safety: packages are fetched with `apt-get download` in a temporary
# directory and unpacked with `dpkg -x`: nothing is installed, no maintainer
# script runs, no service starts, nothing conflicts with installed packages.
# Never `apt-get install` chrony/ntpsec/ntp: their init scripts would start a
# daemon that disciplines this machine's clock.
#
# Shared libraries. On this project's machines every library of chronyd and
# NTPsec's ntpd is already present:
#   ntpd    -> libssl3 (libssl.so.3, libcrypto.so.3), libcap2, libbsd0, libmd0
#   chronyd -> libgnutls30 (+ libp11-kit0 libidn2-0 libunistring2 libtasn1-6
#              libgmp10 libffi8), libnettle8, libhogweed6, libcap2, libseccomp2
#   chronyc -> libedit2 (+ libbsd0 libmd0)
# A fresh Debian 12 may lack some of them (most likely libssl3, libbsd0,
# libedit2). This script checks the unpacked binaries with ldd; for every
# "not found" library it downloads the Debian package that provides it and
# unpacks it into DIR/runtime-libs; tests/interop/lib.sh then runs the
# daemons with LD_LIBRARY_PATH pointing there. (Equivalent alternative for a
# setup script: `apt-get install -y libssl3 libbsd0 libmd0 libcap2 libedit2
# libgnutls30 libnettle8 libhogweed6 libseccomp2` - plain libraries, safe.)
#
# Idempotent: when DIR already holds a complete, working unpack, it prints
# "already present" and exits 0 without touching the network.
# Exit status: 0 ok, 1 cannot fetch/unpack (message on stderr), 2 usage.
#
# Test hook: MERIDIAN_FETCH_FORCE_LIBS=1 treats every non-libc library of the
# binaries as missing (exercises the runtime-libs path on a complete machine).
set -euo pipefail

PROG=fetch-interop-peers
die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p -- "$1" || die "cannot create directory $1"
DIR=$(cd -- "$1" && pwd -P)

# Packages unpacked into each tree.
CHRONY_PKGS=(chrony)
NTPSEC_PKGS=(ntpsec ntpsec-ntpdig python3-ntp)
STAMP="$DIR/.complete-v1"

# soname -> Debian 12 package that ships it (runtime closure of the binaries
# above, libc6 excluded: it is always present).
declare -A SONAME_PKG=(
  [libssl.so.3]=libssl3 [libcrypto.so.3]=libssl3
  [libcap.so.2]=libcap2
  [libbsd.so.0]=libbsd0 [libmd.so.0]=libmd0
  [libedit.so.2]=libedit2 [libtinfo.so.6]=libtinfo6
  [libgnutls.so.30]=libgnutls30
  [libnettle.so.8]=libnettle8 [libhogweed.so.6]=libhogweed6
  [libseccomp.so.2]=libseccomp2
  [libp11-kit.so.0]=libp11-kit0 [libidn2.so.0]=libidn2-0
  [libunistring.so.2]=libunistring2 [libtasn1.so.6]=libtasn1-6
  [libgmp.so.10]=libgmp10 [libffi.so.8]=libffi8
  [libz.so.1]=zlib1g
)
LIBC_SONAMES=" linux-vdso.so.1 libc.so.6 libm.so.6 ld-linux-x86-64.so.2 libpthread.so.0 libdl.so.2 librt.so.1 "

binaries() {
  local b
  for b in "$DIR/chrony/usr/sbin/chronyd" "$DIR/chrony/usr/bin/chronyc" \
           "$DIR/ntpsec/usr/sbin/ntpd"; do
    echo "$b"
  done
  # libntpc.so (ntpdig/ntpq helper library), wherever multiarch put it
  find "$DIR/ntpsec/usr/lib" -name 'libntpc.so.*' -type f 2>/dev/null || true
}

runtime_lib_path() {
  # directories under DIR/runtime-libs that contain shared objects
  [[ -d $DIR/runtime-libs ]] || return 0
  find "$DIR/runtime-libs" -name 'lib*.so.[0-9]*' \( -type f -o -type l \) -printf '%h\n' \
    | sort -u | paste -sd: -
}

# Prints the sonames ldd cannot resolve (one per line), given LD_LIBRARY_PATH.
missing_sonames() {
  local llp b
  llp=$(runtime_lib_path)
  while IFS= read -r b; do
    [[ -e $b ]] || continue
    if [[ ${MERIDIAN_FETCH_FORCE_LIBS:-0} == 1 && ! -d $DIR/runtime-libs ]]; then
      # pretend everything but libc is missing
      LD_LIBRARY_PATH="$llp" ldd "$b" 2>/dev/null | awk '/=>/{print $1}'
    else
      LD_LIBRARY_PATH="$llp" ldd "$b" 2>/dev/null | awk '/not found/{print $1}'
    fi
  done < <(binaries) | while IFS= read -r s; do
    [[ $LIBC_SONAMES == *" $s "* ]] || echo "$s"
  done | sort -u
}

complete() {
  [[ -f $STAMP && -x $DIR/chrony/usr/sbin/chronyd && -x $DIR/ntpsec/usr/sbin/ntpd ]] || return 1
  [[ -z $(MERIDIAN_FETCH_FORCE_LIBS=0 missing_sonames) ]]
}

# Debian's ntpstat (a small C program reading mode 6 READVAR, the one the
# classic setup guides run) for the ntpq/ntpstat interop tests:
# DIR/ntpstat/usr/bin/ntpstat. Optional: a failure only warns.
ensure_ntpstat() {
  [[ -x $DIR/ntpstat/usr/bin/ntpstat ]] && return 0
  local t
  t=$(mktemp -d /tmp/meridian-fetch-ntpstat.XXXXXX)
  if id _apt >/dev/null 2>&1; then chown _apt "$t" 2>/dev/null || true; fi
  if (cd "$t" && timeout 300 apt-get download -q ntpstat >"$t/apt.log" 2>&1) \
     && dpkg -x "$(find "$t" -maxdepth 1 -name 'ntpstat_*.deb' | head -n1)" "$t/x"; then
    rm -rf -- "$DIR/ntpstat"
    mv "$t/x" "$DIR/ntpstat"
    say "ntpstat: $DIR/ntpstat/usr/bin/ntpstat"
  else
    echo "$PROG: warning: could not fetch Debian's ntpstat (interop tests will skip it)" >&2
  fi
  rm -rf -- "$t"
}

# ---------------------------------------------------------------- fast path
if complete; then
  ensure_ntpstat
  say "already present in $DIR (chronyd, ntpd)"
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (needs Debian 12)"
command -v dpkg >/dev/null || die "dpkg not found (needs Debian 12)"
command -v ldd >/dev/null || die "ldd not found"

# One fetch at a time per DIR (bounded wait).
exec 9>"$DIR/.lock"
flock -w 600 9 || die "timed out waiting for another fetch into $DIR"
if complete; then say "already present in $DIR (fetched concurrently)"; exit 0; fi

TMP=$(mktemp -d /tmp/meridian-fetch.XXXXXX)
trap 'rm -rf -- "$TMP"' EXIT
# Let apt's sandbox user write the downloads (avoids the "unsandboxed" warning).
if id _apt >/dev/null 2>&1; then chown _apt "$TMP" 2>/dev/null || true; fi

UPDATED=0
download() { # download PKG... into $TMP/debs (retries once after apt-get update)
  mkdir -p "$TMP/debs"
  if id _apt >/dev/null 2>&1; then chown _apt "$TMP/debs" 2>/dev/null || true; fi
  say "apt-get download $*"
  if (cd "$TMP/debs" && timeout 300 apt-get download -q "$@" >"$TMP/apt.log" 2>&1); then
    return 0
  fi
  if [[ $UPDATED == 0 ]]; then
    UPDATED=1
    say "download failed; running apt-get update once and retrying"
    timeout 300 apt-get update -q >"$TMP/update.log" 2>&1 \
      || { cat "$TMP/update.log" >&2; die "apt-get update failed"; }
    if (cd "$TMP/debs" && timeout 300 apt-get download -q "$@" >"$TMP/apt.log" 2>&1); then
      return 0
    fi
  fi
  cat "$TMP/apt.log" >&2
  die "apt-get download $* failed (is Debian's package registry reachable?)"
}

unpack_into() { # unpack_into TARGET PKG... : dpkg -x the downloaded PKGs
  local target=$1 p deb; shift
  mkdir -p "$target"
  for p in "$@"; do
    deb=$(find "$TMP/debs" -maxdepth 1 -name "${p}_*.deb" | head -n1)
    [[ -n $deb ]] || die "downloaded package $p not found"
    dpkg -x "$deb" "$target" || die "dpkg -x $deb failed"
    basename "$deb" >>"$target/.debs"
  done
}

# ------------------------------------------------------------- main packages
rm -rf -- "$TMP/debs"
download "${CHRONY_PKGS[@]}" "${NTPSEC_PKGS[@]}"
STAGE="$DIR/.stage.$$"
rm -rf -- "$STAGE"
unpack_into "$STAGE/chrony" "${CHRONY_PKGS[@]}"
unpack_into "$STAGE/ntpsec" "${NTPSEC_PKGS[@]}"

# ntp/ntpc.py (python3-ntp) looks for libntpc.so next to itself first.
ntpc=$(find "$STAGE/ntpsec/usr/lib" -name 'libntpc.so.*' -type f | head -n1 || true)
pkgdir="$STAGE/ntpsec/usr/lib/python3/dist-packages/ntp"
if [[ -n $ntpc && -d $pkgdir ]]; then
  ln -sf "$(realpath --relative-to="$pkgdir" "$ntpc")" "$pkgdir/libntpc.so"
fi

[[ -x $STAGE/chrony/usr/sbin/chronyd ]] || die "chrony package has no usr/sbin/chronyd"
[[ -x $STAGE/ntpsec/usr/sbin/ntpd ]] || die "ntpsec package has no usr/sbin/ntpd"

rm -rf -- "$DIR/chrony" "$DIR/ntpsec" "$DIR/runtime-libs" "$STAMP"
mv "$STAGE/chrony" "$DIR/chrony"
mv "$STAGE/ntpsec" "$DIR/ntpsec"
rm -rf -- "$STAGE"

# --------------------------------------------------- missing runtime libraries
for round in 1 2 3 4; do
  mapfile -t missing < <(missing_sonames)
  [[ ${#missing[@]} -eq 0 ]] && break
  [[ $round == 4 ]] && die "libraries still missing after unpacking runtime-libs: ${missing[*]}"
  pkgs=()
  for s in "${missing[@]}"; do
    p=${SONAME_PKG[$s]:-}
    [[ -n $p ]] || die "no package known for missing library $s (add it to SONAME_PKG in $0, or apt-get install the package that ships it)"
    [[ " ${pkgs[*]-} " == *" $p "* ]] || pkgs+=("$p")
  done
  say "missing shared libraries: ${missing[*]} -> unpacking ${pkgs[*]} into $DIR/runtime-libs"
  rm -rf -- "$TMP/debs"
  download "${pkgs[@]}"
  unpack_into "$DIR/runtime-libs" "${pkgs[@]}"
done

# Smoke test: the binaries load and report their versions.
llp=$(runtime_lib_path)
cv=$(LD_LIBRARY_PATH="$llp" "$DIR/chrony/usr/sbin/chronyd" -v 2>&1 | head -n1) \
  || die "unpacked chronyd does not run: $cv"
nv=$(LD_LIBRARY_PATH="$llp" "$DIR/ntpsec/usr/sbin/ntpd" --version 2>&1 | head -n1) \
  || die "unpacked ntpd does not run: $nv"

ensure_ntpstat
date -u +%FT%TZ >"$STAMP"
say "chronyd: $cv"
say "ntpd:    $nv"
if [[ -n $llp ]]; then say "runtime libraries: LD_LIBRARY_PATH=$llp"; fi
say "ready in $DIR"
