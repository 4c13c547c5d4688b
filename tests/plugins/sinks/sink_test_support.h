// Helpers shared by the sink tests: packets as sources and models send them, real media,
// and reading back what the sinks wrote (ffprobe for videos).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "packet_support.h"
#include "sluice/sluice.h"
#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::sink_test {

using test::at;

// A source's frame: its header refers to the frame itself, as the runtime sets it.
inline std::shared_ptr<const Frame> make_frame(cv::Mat image) {
  return std::make_shared<const Frame>(Frame{std::move(image), PixelFormat::kBGR});
}
inline Packet source_frame_packet(const std::shared_ptr<const Frame>& frame, PacketHeader h) {
  h.source_frame = frame;
  return Packet(std::move(h), frame, PayloadName<Frame>::value);
}
// A result packet about `frame` (later stages carry the source frame along).
template <class T>
Packet result_packet(T value, const std::shared_ptr<const Frame>& frame, PacketHeader h) {
  h.source_frame = frame;
  return Packet::make(std::move(h), std::move(value));
}

inline Detection detection(cv::Rect2f box, int class_id, float score = 0.9f,
                           std::string label = "") {
  Detection d;
  d.box = box;
  d.class_id = class_id;
  d.score = score;
  d.label = std::move(label);
  return d;
}

// Pushes one input set of several optional inputs so that it is processed as one.
// NodeHarness::push processes as soon as every input pushed to so far holds a packet, so
// on a `fresh` harness the first packet is pushed alone first (processed as a set of its
// own). Then the others, and the first last. Returns the first error, or the last status.
inline Status push_set(testing::NodeHarness& h,
                       const std::vector<std::pair<std::string, Packet>>& set, bool fresh) {
  if (fresh) {
    Status primed = h.push(set.front().first, set.front().second);
    if (!primed.ok()) return primed;
  }
  for (std::size_t i = 1; i < set.size(); ++i) {
    Status s = h.push(set[i].first, set[i].second);
    if (!s.ok()) return s;
  }
  return h.push(set.front().first, set.front().second);
}

// A picture from assets/media (fetched by scripts/fetch_assets.sh).
inline cv::Mat asset_image(const std::string& name) {
  if (const std::string missing = test::missing_assets({"assets/media/" + name}); !missing.empty())
    ADD_FAILURE() << missing;
  return cv::imread(std::string(SLUICE_SOURCE_DIR) + "/assets/media/" + name, cv::IMREAD_COLOR);
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// What ffprobe says of the first video stream: `entries` as "a,b" gives "A,B".
inline std::string probe(const std::string& path, const std::string& entries) {
  const auto r =
      test::run_command("ffprobe -v error -select_streams v:0 -show_entries stream=" + entries +
                        " -of csv=p=0 '" + path + "'");
  return trim(r.output);
}
// Frames in the file, counted by decoding every one (-1 when ffprobe cannot read it).
inline int64_t decoded_frames(const std::string& path) {
  const auto r = test::run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
      "-of csv=p=0 '" +
      path + "'");
  try {
    return r.exit_code == 0 ? std::stoll(trim(r.output)) : -1;
  } catch (...) {
    return -1;
  }
}

inline int colour_distance(const cv::Vec3b& a, const cv::Scalar& b) {
  int d = 0;
  for (int c = 0; c < 3; ++c) d = std::max(d, std::abs(a[c] - static_cast<int>(b[c])));
  return d;
}

}  // namespace sluice::sink_test
