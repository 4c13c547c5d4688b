#!/usr/bin/env bash
# Fails when a C++ source of the repository differs from what clang-format makes of it
# (.clang-format: Google base, 100 columns). .ci/run calls it; to fix a tree:
#   git ls-files -z '*.cpp' '*.h' | xargs -0 clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: no clang-format (bash scripts/setup.sh installs it)" >&2; exit 1; }
git ls-files -z '*.cpp' '*.h' | xargs -0 clang-format --dry-run -Werror
echo "check_format: $(git ls-files '*.cpp' '*.h' | wc -l) C++ files formatted as .clang-format says"
