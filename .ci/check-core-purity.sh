#!/usr/bin/env bash
# DESIGN.md §1–2: src/core is pure. No OS headers, no syscalls, no threads,
# no clocks. Comments are stripped first so prose may mention the calls.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='#include <(sys/|unistd\.h|netinet/|arpa/|poll\.h|fcntl\.h|netdb\.h|linux/|thread>|mutex>|random>|chrono>|iostream>|fstream>)|\b(clock_gettime|clock_adjtime|adjtimex|ntp_adjtime|settimeofday|clock_settime|gettimeofday|socket|recvmsg|sendmsg|recvfrom|sendto|getrandom|getaddrinfo|std::time|localtime_r|gmtime_r)\s*\('
bad=""
while IFS= read -r -d '' f; do
  hits=$(sed -e 's|//.*$||' "$f" | grep -nE "$pattern" || true)
  [[ -n "$hits" ]] && bad+="$f: $hits"$'\n'
done < <(find src/core -type f \( -name '*.h' -o -name '*.cc' \) -print0)
if [[ -n "$bad" ]]; then
  echo "src/core must stay pure (no OS headers or syscalls):"
  printf '%s' "$bad"
  exit 1
fi
echo "core purity: ok"
