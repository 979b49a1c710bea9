#!/bin/sh
# ThreadSanitizer over the agent's own threads: builds the unit tests of the
# ingest cycle, the detector, the forwarder and the workflow (their wake-ups,
# hooks and shared counters; the forwarder's against librdkafka's in-process
# mock cluster) with clang's -fsanitize=thread into build-tsan, and runs
# them; any data race fails the run. Not part of CI (.ci/run): a developer's
# check.
#
# Debian's librdkafka makes all its threads with C11 thrd_create, which the
# TSan runtime does not intercept: without help the forwarder's test crashes
# at the first allocation in a librdkafka thread. SOC_TSAN_SHIM links
# tests/tsan/c11threads.c into that test, which turns librdkafka's C11
# thread, mutex and condition variable calls into the pthread calls TSan
# knows (the file says why that is correct).
#
#   scripts/tsan.sh [BUILD_DIR]      (default build-tsan)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build-tsan}
TESTS="test_agent_ingest test_agent_detect test_agent_forward test_agent_workflow"
cmake -S . -B "$B" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS="-fsanitize=thread -O1 -g" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" -DSOC_TSAN_SHIM=ON >/dev/null
# shellcheck disable=SC2086 # one word per test
cmake --build "$B" --target $TESTS >/dev/null
# ignore_noninstrumented_modules=1: librdkafka is not instrumented, so TSan
# sees none of its memory accesses or atomics, only its calls to intercepted
# functions (its own pthread_rwlock_*, memcpy and the like). A report whose
# stacks are all inside librdkafka is its synchronisation half seen, not a
# race: without the option there is one, a pthread_rwlock_destroy on
# rdk:main after a rdlock on a broker thread, ordered by what TSan cannot
# see. The option drops those calls (not its C11 ones: they reach TSan from
# the shim, which is instrumented); our code's accesses are all still
# checked, the log callback's too, which librdkafka's threads call.
opts="halt_on_error=1 exitcode=66 ignore_noninstrumented_modules=1"
bad=0
for t in $TESTS; do
  if TSAN_OPTIONS="$opts ${TSAN_OPTIONS:-}" "$B/tests/$t" >"$B/$t.tsan.log" 2>&1; then
    echo "tsan: $t: no race"
  else
    echo "tsan: $t failed (exit $?): $B/$t.tsan.log" >&2
    bad=1
  fi
done
exit "$bad"
