#!/usr/bin/env bash
# Installs what is missing, builds, fetches the media and models, and runs the default
# pipeline: CenterNet object detection over vtest.avi, written to out/detect.mp4 and
# out/detect.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DSLUICE_BUILD_TESTS=ON
bash scripts/fetch_assets.sh
bash scripts/models/fetch_models.sh
mkdir -p out
build/bin/sluice run pipelines/detect.toml "$@"
