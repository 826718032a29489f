#!/usr/bin/env bash
# Installs everything Meridian needs to build and test, from Debian's package
# registry only (Debian 12, run as root). Also unpacks the real chronyd and
# NTPsec used by the interop tests into build/interop-peers (dpkg -x: nothing
# is installed as a service and nothing can start). dpkg-dev and file are what
# `cpack -G DEB` needs (dpkg-shlibdeps), lintian checks the package, and
# mmdebstrap makes the throwaway root of the package install test. The NTS
# interop tests make their certificates with the openssl CLI and read
# NTPsec's state with its ntpq, a python3 program.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libedit-dev
  libcap-dev libseccomp-dev
  iproute2 util-linux procps
  openssl python3
  dpkg-dev file lintian mmdebstrap
)
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

if [[ -x scripts/fetch-interop-peers.sh ]]; then
  scripts/fetch-interop-peers.sh build/interop-peers
fi
