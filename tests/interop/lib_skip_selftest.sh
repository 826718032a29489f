#!/usr/bin/env bash
# Self-test of lib.sh's skip(): outside CI a skip is counted and the script
# passes; under CI=true the same script fails. Needs no peer daemons.
set -u
LIB="$(dirname "$0")/lib.sh"
script() { # a minimal interop test: one passed check, one skipped
  bash -c '. "$1"; pass "one check"; skip "peer program missing"; finish' _ "$LIB"
}
failures=0
out=$(env -u CI TEST_NAME=selftest bash -c "$(declare -f script); LIB='$LIB'; script" 2>&1)
rc=$?
if [[ $rc != 0 || $out != *"1 passed, 0 failed, 1 skipped"* ]]; then
  echo "FAIL: outside CI a skip must pass and be counted (rc $rc): $out"
  failures=$((failures + 1))
fi
out=$(CI=true TEST_NAME=selftest bash -c "$(declare -f script); LIB='$LIB'; script" 2>&1)
rc=$?
if [[ $rc != 1 || $out != *"CI=true forbids skipping: peer program missing"* ]]; then
  echo "FAIL: under CI=true a skip must fail the test (rc $rc): $out"
  failures=$((failures + 1))
fi
[[ $failures == 0 ]] && echo "lib_skip_selftest: 2 passed"
exit $((failures > 0))
