// display without a display (as tests run): a clear error at open, or with optional = true
// a no-op. Windows themselves are tested through the command with Qt's offscreen platform
// (sinks_cli_test.cpp), in a process of their own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>

#include "annotate.h"
#include "sink_test_support.h"
#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using sink_test::at;
using ::testing::HasSubstr;

// Sets the display variables for one test and puts them back after.
class DisplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) {
      const char* v = std::getenv(name);
      saved_[name] = v ? std::optional<std::string>(v) : std::nullopt;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_)
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST_F(DisplayTest, WithoutADisplayOpenFailsSayingWhyAndWhatToDo) {
  auto h = NodeHarness::try_load("display");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(),
            "open: no display (DISPLAY and WAYLAND_DISPLAY are not set); set optional = true to "
            "run without a window");
  EXPECT_EQ(h.status().code(), StatusCode::kUnavailable);
}

TEST_F(DisplayTest, ADisplayThatDoesNotAnswerIsAnErrorToo) {
  setenv("DISPLAY", ":97", 1);  // no X server on a test machine
  auto h = NodeHarness::try_load("display");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("cannot open display ':97'"));

  unsetenv("DISPLAY");
  setenv("WAYLAND_DISPLAY", "wayland-0", 1);
  auto wayland_only = NodeHarness::try_load("display");
  ASSERT_FALSE(wayland_only.ok());
  EXPECT_THAT(wayland_only.status().message(), HasSubstr("no X display (DISPLAY is not set"));
}

TEST_F(DisplayTest, OptionalWithoutADisplayIsANoOp) {
  setenv("DISPLAY", ":97", 1);
  auto h = NodeHarness::load("display", "optional = true");
  auto frame = sink_test::make_frame(cv::Mat(48, 64, CV_8UC3));
  for (int64_t seq = 0; seq < 5; ++seq)
    for (uint32_t stream : {0u, 1u})
      EXPECT_TRUE(h.push(sinks::kDetections.name,
                         sink_test::result_packet(Detections{}, frame, at(stream, seq)))
                      .ok());
  EXPECT_TRUE(h.close().ok());
}

TEST_F(DisplayTest, OneWindowTitleMeansOneStream) {
  auto h = NodeHarness::load("display", "optional = true\ntitle = \"cam\"");
  auto frame = sink_test::make_frame(cv::Mat(48, 64, CV_8UC3));
  EXPECT_TRUE(
      h.push(sinks::kDetections.name, sink_test::result_packet(Detections{}, frame, at(0, 0)))
          .ok());
  const Status s =
      h.push(sinks::kDetections.name, sink_test::result_packet(Detections{}, frame, at(1, 0)));
  EXPECT_THAT(s.message(), HasSubstr("but its title 'cam' has no {stream}"));
}

}  // namespace
}  // namespace sluice::testing
