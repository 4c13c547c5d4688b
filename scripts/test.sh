#!/usr/bin/env bash
# Installs what is missing, builds everything, fetches every model and medium, and runs the
# whole test suite with ctest. Every plugin must build (SLUICE_REQUIRE_ALL_PLUGINS): a missing
# LibTorch or OpenCV DNN is an error here, not a quietly smaller suite.
# SLUICE_TSAN=1 also builds the framework into build-tsan/ with ThreadSanitizer and runs
# the framework's tests there (CI does).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DSLUICE_BUILD_TESTS=ON -DSLUICE_REQUIRE_ALL_PLUGINS=ON
bash scripts/fetch_assets.sh
bash scripts/models/fetch_models.sh
ctest --test-dir build --output-on-failure -j2 --timeout 600
# The suite must not shrink unnoticed (a plugin or a test binary that quietly stopped being
# built): tests/minimum_test_count is raised when tests are added, lowered only on purpose.
count=$(ctest --test-dir build -N | awk '/^Total Tests:/ { print $3 }')
floor=$(cat tests/minimum_test_count)
if [ "${count:-0}" -lt "$floor" ]; then
  echo "test.sh: ctest lists $count tests, fewer than the $floor of tests/minimum_test_count" >&2
  exit 1
fi

if [ "${SLUICE_TSAN:-0}" = "1" ]; then
  cmake -S . -B build-tsan -G Ninja -DSLUICE_TSAN=ON -DCMAKE_BUILD_TYPE=Debug > /dev/null
  # The plugins the framework-labelled suites run (the service's tests: uri_source,
  # video_writer, http_request).
  ninja -C build-tsan framework_tests cli_tests builtin_plugin_tests service_tests sluice sluice_builtin \
    sluice_uri_source sluice_video_writer sluice_http_request
  # halt_on_error: a race fails the test instead of only printing a report. Suppressions:
  # third-party libraries only (scripts/tsan_suppressions.txt says which and why).
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan_suppressions.txt" \
    ctest --test-dir build-tsan --output-on-failure -j2 --timeout 600 -L framework
fi
