#!/usr/bin/env bash
# Configures and builds sluice into build/ (Ninja, ccache): build/bin/sluice, build/plugins/.
# Extra arguments go to cmake's configure step, e.g. -DSLUICE_BUILD_TESTS=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja "$@" > build.configure.log 2>&1 || { cat build.configure.log; exit 1; }
rm -f build.configure.log
ninja -C build
