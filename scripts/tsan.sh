#!/bin/sh
# ThreadSanitizer over the agent's own threads: builds the unit tests of the
# ingest cycle, the detector and the workflow (their wake-ups, hooks and
# shared counters) with clang's -fsanitize=thread into build-tsan, and runs
# them; any data race fails the run. The forwarder's test is left out:
# librdkafka's mock-cluster thread is not known to the TSan runtime (Debian's
# librdkafka is not built with it) and its first calloc crashes, with
# clang 14 and gcc 12 alike. Not part of CI (.ci/run): a developer's check.
#
#   scripts/tsan.sh [BUILD_DIR]      (default build-tsan)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build-tsan}
TESTS="test_agent_ingest test_agent_detect test_agent_workflow"
cmake -S . -B "$B" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS="-fsanitize=thread -O1 -g" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" >/dev/null
# shellcheck disable=SC2086 # one word per test
cmake --build "$B" --target $TESTS >/dev/null
bad=0
for t in $TESTS; do
  if TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}" "$B/tests/$t" >"$B/$t.tsan.log" 2>&1; then
    echo "tsan: $t: no race"
  else
    echo "tsan: $t failed (exit $?): $B/$t.tsan.log" >&2
    bad=1
  fi
done
exit "$bad"
