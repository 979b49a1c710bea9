#!/bin/bash
# Every global symbol our libraries and programs define is named soc_...:
# a helper shared between the files of one module is soc_<module>_..., and
# anything else is static. Run by ctest (build.symbols) as
#   symbols.sh CC FILE...
# with the static libraries and programs of the build; a new global symbol
# without the prefix fails the test and is named.
set -euo pipefail
cc=$1
shift

# The global symbols file defines that are ours and lack the prefix: main,
# the C runtime's (data_start, _init, ...) and copies of libc's variables
# (stderr@GLIBC_2.2.5) are not ours.
unprefixed() {
  nm -g --defined-only "$1" | awk 'NF >= 3 { print $3 }' |
    grep -Ev '^(soc_|_|main$|data_start$)|@' || true
}

# The check must be able to fail: an object with an unprefixed function.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int probe_unprefixed(void); int probe_unprefixed(void) { return 0; }' >"$probe/p.c"
"$cc" -c -o "$probe/p.o" "$probe/p.c"
if [ "$(unprefixed "$probe/p.o")" != probe_unprefixed ]; then
  echo "symbols.sh: the check did not find probe_unprefixed in a probe object" >&2
  exit 1
fi

bad=0
for f in "$@"; do
  for sym in $(unprefixed "$f"); do
    echo "$f: global symbol '$sym' has no soc_ prefix: make it static or name it soc_..." >&2
    bad=1
  done
done
[ "$bad" = 0 ] && echo "symbols: every global symbol of $# files is soc_..."
exit "$bad"
