#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DSLUICE_BUILD_TESTS=ON
build/bin/sluice run pipelines/demo.toml "$@"
