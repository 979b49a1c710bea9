#!/bin/sh
# Builds the Debian packages socagent_*.deb and soccollector_*.deb: a release
# build with prefix /usr (so the programs look for /etc/socagent and
# /usr/share/socagent), without the tests, then CPack. Prints the files.
#   scripts/build-deb.sh [BUILD_DIR]      default: build-deb
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/build-deb}
cmake -S "$SRC" -B "$OUT" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX=/usr -DSOC_TESTS=OFF -DSOC_SANITIZE=OFF -DSOC_FUZZ=OFF >/dev/null
cmake --build "$OUT" >/dev/null
rm -f "$OUT"/*.deb
(cd "$OUT" && cpack -G DEB >/dev/null)
ls "$OUT"/*.deb
