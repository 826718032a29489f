#!/usr/bin/env bash
# clang-format (Google base, 100 columns; see .clang-format) leaves the tree unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cc' '*.h')
else
  mapfile -t files < <(find src tests fuzz sim bench -name '*.cc' -o -name '*.h' 2>/dev/null)
fi
clang-format --dry-run --Werror "${files[@]}"
echo "format: ok (${#files[@]} files)"
