#!/bin/bash
# The manual pages of the build: every one renders without a groff or man
# warning, and the configuration pages name every key --help-config lists
# (they are generated from the same tables; this catches a page that was
# not rebuilt or a table the generator leaves out).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
P="$SOC_BIN/packaging"

for page in socagent.8 socctl.8 soccollector.8 socagent.yaml.5 soccollector.yaml.5; do
  CHECKS=$((CHECKS + 1))
  [ -s "$P/$page.gz" ] || { fail "$page.gz was not built"; continue; }
  if command -v man >/dev/null; then
    run env LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$P/$page.gz"
    CHECKS=$((CHECKS + 1))
    [ -z "$ERR" ] && [ -n "$OUT" ] || fail "$page: man warns or renders nothing"
  fi
done
for prog in agent/socagent collector/soccollector; do
  name=$(basename "$prog")
  run "$SOC_BIN/$prog" --help-config
  keys=$(awk '/^  [^ ]/ { print $1 }' <<<"$OUT")
  page=$(zcat "$P/$name.yaml.5.gz" | sed 's/\\-/-/g')
  missing=""
  for k in $keys; do grep -qF -- ".B $k" <<<"$page" || missing="$missing $k"; done
  CHECKS=$((CHECKS + 1))
  [ -n "$keys" ] && [ -z "$missing" ] || fail "$name.yaml(5) lacks:$missing"
done
finish
