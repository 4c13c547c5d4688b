// Helpers shared by the preprocessor plugin tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "packet_support.h"
#include "sluice/testing/node_harness.h"
#include "test_support.h"

namespace sluice::preprocessors_test {

using test::at;

// A frame packet as a source emits it: its own source frame.
inline Packet source_packet(Frame frame, PacketHeader h = {}) {
  auto shared = std::make_shared<const Frame>(std::move(frame));
  h.source_frame = shared;
  return Packet(std::move(h), shared, PayloadName<Frame>::value);
}

// An image whose pixel (x, y), channel c is (x * 7 + y * 13 + c * 50) % 256: every pixel
// differs from its neighbours, so misplaced pixels show.
inline cv::Mat pattern(int width, int height, int channels = 3) {
  cv::Mat m(height, width, CV_8UC(channels));
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        m.ptr<uint8_t>(y)[x * channels + c] = static_cast<uint8_t>((x * 7 + y * 13 + c * 50) % 256);
  return m;
}

// The path of a file of assets/media; empty (with a test failure saying what to do)
// when it is missing.
inline std::string media(const std::string& name) {
  const std::string path = std::string(SLUICE_SOURCE_DIR) + "/assets/media/" + name;
  if (const std::string missing = test::missing_assets({"assets/media/" + name});
      !missing.empty()) {
    ADD_FAILURE() << missing;
    return "";
  }
  return path;
}

// Pushes one packet into node class N's `kIn` and pulls the one output it gives on `kOut`
// (failing the test otherwise): run_one<preprocessors::Resize>(h, packet).
template <class N>
Packet run_one(testing::NodeHarness& h, Packet in) {
  const Status s = h.push(N::kIn.name, std::move(in));
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(h.pending(N::kOut.name), 1u);
  return h.pull(N::kOut);
}

inline void expect_near(cv::Point2f p, cv::Point2f q, double tol = 1e-4) {
  EXPECT_NEAR(p.x, q.x, tol) << "point " << p << " vs " << q;
  EXPECT_NEAR(p.y, q.y, tol) << "point " << p << " vs " << q;
}

}  // namespace sluice::preprocessors_test
