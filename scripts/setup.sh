#!/usr/bin/env bash
# Installs the Debian 12 packages sluice needs to build and test, when any is missing.
# Runs apt-get only when something is missing, so it is quick on a ready machine.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ pkg-config git  # build
  libboost-dev libboost-filesystem-dev         # Boost.DLL: loading plugin libraries
  libtomlplusplus-dev                          # TOML++: pipeline files, with line/column
  libfmt-dev                                   # fmt: text
  libcli11-dev                                 # CLI11: the sluice command line
  nlohmann-json3-dev                           # nlohmann-json: --stats-json output, tests
  libopencv-dev                                # OpenCV: frames (cv::Mat) in the SDK
  libopencv-dnn-dev                            # OpenCV DNN: the onnx model plugin
  libgtest-dev libgmock-dev                    # GoogleTest: the test suite
  ffmpeg                                       # tests: serving streams, checking videos (ffprobe)
  python3-opencv python3-numpy                 # tests: reference results in Python (/usr/bin/python3)
  libtorch-dev                                 # LibTorch: the torchscript model plugin
  python3-torch python3-torchvision            # models: conversion, training, Python references
  python3-onnx python3-flatbuffers             # models: reading ONNX and TFLite graphs
)

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
