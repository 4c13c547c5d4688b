#!/usr/bin/env bash
# No SetUpTestSuite in the tests ASSERTs: GoogleTest would report the suite's tests as
# SKIPPED, which ctest counts as skipped, and a broken fixture would pass the run. Such a
# suite records why in suite_error_ and fails each test in SetUp (tests/test_support.h).
#   bash suite_set_up_never_asserts.sh TESTS_DIR
set -euo pipefail
found=$(find "$1" -name '*.cpp' -print0 | xargs -0 awk '
  /SetUpTestSuite\(\) *\{/ { inside = 1; depth = 0 }
  inside { depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}")
           if ($0 ~ /(ASSERT|FAIL)\(|ASSERT_[A-Z_]+\(/) print FILENAME ":" FNR ": " $0
           if (depth <= 0) inside = 0 }')
if [ -n "$found" ]; then
  echo "SetUpTestSuite must not ASSERT (record suite_error_ and fail in SetUp instead):"
  echo "$found"
  exit 1
fi
echo "no SetUpTestSuite asserts"
