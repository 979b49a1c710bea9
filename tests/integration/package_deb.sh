#!/bin/bash
# Builds the Debian packages once for the package tests (package.install,
# package.nspawn: the ctest fixture "debs") into $SOC_BIN/package-build, and
# checks them with lintian: no error, and no warning but the one a first
# upload outside Debian would not act on. Needs no root.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

run sh "$SOC_SRC/scripts/build-deb.sh" "$SOC_BIN/package-build"
expect_status 0
if command -v lintian >/dev/null; then
  run lintian "$SOC_BIN"/package-build/*.deb
  CHECKS=$((CHECKS + 1))
  ! grep -E '^[EW]:' <<<"$OUT" | grep -v initial-upload-closes-no-bugs || fail "lintian warns"
elif [ "${CI:-}" = true ]; then
  CHECKS=$((CHECKS + 1))
  fail "lintian is not installed, and under CI the packages must be checked (scripts/install-deps.sh installs it)"
else
  echo "SKIPPED CHECK: lintian is not installed (scripts/install-deps.sh installs it); the packages are not linted" >&2
fi
finish
