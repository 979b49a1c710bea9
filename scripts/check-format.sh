#!/bin/sh
# Fails when a tracked C file differs from what clang-format makes of it
# (.clang-format at the top); lists each such file. CI runs it (.ci/run);
# `scripts/check-format.sh --fix` rewrites the files in place instead.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h')
if [ "${1:-}" = --fix ]; then
  # shellcheck disable=SC2086 # one word per file name: ours have no blanks
  clang-format -i $files
  exit 0
fi
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (scripts/check-format.sh --fix)" >&2
    bad=$((bad + 1))
  fi
done
[ "$bad" -eq 0 ] || { echo "$bad file(s) differ from .clang-format" >&2; exit 1; }
echo "format: every C file matches .clang-format"
