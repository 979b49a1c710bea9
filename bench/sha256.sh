#!/bin/bash
# SHA-256 on event-sized messages: OpenSSL's one at a time against
# soc_sha256_many's two at a time (bench/sha256.c), linked with the build's
# lib/libsoc_base.a. Run it natively (valgrind hides SHA-NI).
#
#   bench/sha256.sh [BUILD_DIR] [LEN] [ROUNDS]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cc -O2 -I"$SRC/include" -o "$W/sha256" "$SRC/bench/sha256.c" "$BIN/lib/libsoc_base.a" -lcrypto -lpthread
"$W/sha256" "${2:-724}" "${3:-5}"
