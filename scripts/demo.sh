#!/usr/bin/env bash
# Installs what is missing, builds what the default pipeline needs, fetches its model and
# video, and runs it: CenterNet object detection over vtest.avi, written to out/detect.mp4
# and out/detect.jsonl. Only the demo's part is set up (no test suites, no other models):
# scripts/test.sh does the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
# The CLI and the plugins of pipelines/detect.toml; the ctest demo_builds_the_default_pipeline
# checks that this list covers that file.
demo_targets=(sluice sluice_video_source sluice_color_convert sluice_resize sluice_to_tensor
              sluice_torchscript sluice_box_decoder sluice_video_writer sluice_jsonl_sink)
bash scripts/build.sh --demo -DSLUICE_BUILD_TESTS=OFF -DSLUICE_REQUIRE_ALL_PLUGINS=OFF -- "${demo_targets[@]}"
bash scripts/fetch_assets.sh --only media/vtest.avi
bash scripts/models/fetch_models.sh --only centernet --no-check
mkdir -p out
build/bin/sluice run pipelines/detect.toml "$@"
