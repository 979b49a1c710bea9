#!/bin/sh
# Installs the Debian 12 packages that building, testing and the demo need.
# Idempotent and non-interactive; run as root (or through sudo).
#   scripts/install-deps.sh           build, tests, demo
#   scripts/install-deps.sh --bench   also the peers the benchmarks compare with, and perf
set -eu

PACKAGES="
  build-essential cmake ninja-build pkg-config clang
  libpcap-dev libyara-dev libfastjson-dev librdkafka-dev libsqlite3-dev
  libyaml-dev libssl-dev libzstd-dev liblz4-dev libpcre2-dev libcmocka-dev zlib1g-dev
  libsodium-dev
  kcat yara sqlite3 python3 lintian clang-format iproute2
  libsystemd-dev systemd-container mmdebstrap curl openssl
  postgresql libpq-dev
  chromium chromium-driver python3-selenium fonts-wqy-microhei
"
if [ "${1:-}" = "--bench" ]; then
  PACKAGES="$PACKAGES rsyslog rsyslog-kafka time bc tcpdump linux-perf crowdsec"
fi

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# crowdsec's post-install registers with the online API unless its credentials
# file already holds something; offline that fails and leaves it unconfigured.
case "$missing" in *crowdsec*)
  $SUDO mkdir -p /etc/crowdsec
  [ -s /etc/crowdsec/online_api_credentials.yaml ] ||
    echo "# offline: no online API" | $SUDO tee /etc/crowdsec/online_api_credentials.yaml >/dev/null
  ;;
esac
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
