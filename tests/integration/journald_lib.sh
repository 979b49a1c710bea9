# Shared by the journald tests: a private systemd-journald, the real one of
# the machine, in a mount namespace of the test's own, so that logger,
# systemd-cat, journalctl --rotate / --vacuum-* and the agent's default
# (local) journal all see the test's journal and nothing of the host's.
#
# Usage, first thing in a test (after lib.sh, whose skip it uses):
#   . journald_lib.sh; journald_namespace "$@"
# The script runs again inside the namespace (as root); outside it, a test
# that cannot make one is skipped (exit 77), except under CI=true, where a
# skip would hide that the input was never tested.

JOURNALD=/lib/systemd/systemd-journald

# Re-runs the calling script in a private mount namespace with tmpfs over
# /run/systemd, /run/log and /var/log, and a journald.conf of our own.
journald_namespace() {
  if [ -n "${SOC_IN_JOURNALD_NS:-}" ]; then
    journald_setup
    return
  fi
  [ "$(id -u)" -eq 0 ] || skip "needs root for a private journald (mount namespace)"
  [ -x "$JOURNALD" ] || skip "no $JOURNALD"
  command -v unshare >/dev/null || skip "no unshare"
  unshare -m --propagation private true 2>/dev/null ||
    skip "cannot make a mount namespace here"
  SOC_IN_JOURNALD_NS=1 exec unshare -m --propagation private bash "$0" "$@"
}

journald_setup() {
  local m
  for m in /run/systemd /run/log /var/log; do
    mkdir -p "$m" && mount -t tmpfs -o mode=0755 tmpfs "$m" || {
      echo "FAIL: cannot mount a tmpfs on $m" >&2
      exit 1
    }
  done
  mkdir -p /var/log/journal /run/systemd/journal
  JCONF=$(mktemp)
  # No rate limit: tests write thousands of entries a second on purpose.
  printf '[Journal]\nStorage=persistent\nRateLimitBurst=0\nForwardToSyslog=no\nForwardToWall=no\nSystemMaxUse=1G\n' >"$JCONF"
  mount --bind "$JCONF" /etc/systemd/journald.conf
  journald_start
}

journald_start() {
  "$JOURNALD" </dev/null >/dev/null 2>&1 &
  JOURNALD_PID=$!
  local i
  for i in $(seq 100); do
    [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/io.systemd.journal ] && break
    sleep 0.05
  done
  # from /run/log/journal to /var/log/journal, as systemd-journal-flush does at boot
  journalctl --flush >/dev/null 2>&1
}

journald_stop() {
  kill "$JOURNALD_PID" 2>/dev/null
  wait "$JOURNALD_PID" 2>/dev/null
  rm -f /run/systemd/journal/socket /run/systemd/journal/stdout /run/systemd/journal/dev-log \
    /run/systemd/journal/io.systemd.journal
}

# Waits until journald has written every entry sent so far: sync asks it
# to write out and answers when it has.
journald_sync() { journalctl --sync >/dev/null 2>&1; }
