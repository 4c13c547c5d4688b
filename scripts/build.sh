#!/usr/bin/env bash
# Configures and builds sluice into build/ (Ninja, ccache): build/bin/sluice, build/plugins/.
#
#   bash scripts/build.sh [--demo] [CMAKE_ARGS...] [-- TARGET...]
#
# --demo installs only the demo's packages (scripts/setup.sh demo); CMAKE_ARGS go to cmake's
# configure step (e.g. -DSLUICE_BUILD_TESTS=OFF); TARGETs after -- build only those.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=all
cmake_args=()
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) profile=demo ;;
    --) shift; targets=("$@"); break ;;
    *) cmake_args+=("$1") ;;
  esac
  shift
done
bash scripts/setup.sh "$profile"
# The configure log is kept (build/configure.log): it says which optional parts were found.
mkdir -p build
cmake -S . -B build -G Ninja "${cmake_args[@]}" > build/configure.log 2>&1 || { cat build/configure.log; exit 1; }
ninja -C build "${targets[@]}"
