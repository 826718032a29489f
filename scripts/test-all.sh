#!/usr/bin/env bash
# Builds the release and asan-ubsan presets and runs every test: unit,
# integration, interop (real chronyd/NTPsec), package (init script, .deb,
# install in a throwaway root) and lint checks on release; unit and
# integration again under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs" --schedule-random

cmake --preset asan-ubsan
cmake --build --preset asan-ubsan -j "$jobs"
ctest --preset asan-ubsan -j "$jobs" -L 'unit|integration'
echo "test-all: all tests passed"
