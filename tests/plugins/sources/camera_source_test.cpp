// camera_source: no camera exists where the tests run, so these check that a missing or
// wrong device is a clear error at open, naming it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sluice/testing/node_harness.h"
#include "source_test_support.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

TEST(CameraSource, MissingDeviceIsAClearErrorAtOpen) {
  if (std::filesystem::exists("/dev/video63"))
    GTEST_SKIP() << "this machine has a /dev/video63, the device this test expects missing";
  auto by_index = NodeHarness::try_load("camera_source", "device = \"63\"");
  ASSERT_FALSE(by_index.ok());
  EXPECT_EQ(by_index.status().message(),
            "open: camera '63' (/dev/video63) not found: no such device");

  auto by_path = NodeHarness::try_load("camera_source", "device = \"/dev/video63\"");
  ASSERT_FALSE(by_path.ok());
  EXPECT_EQ(by_path.status().message(), "open: camera '/dev/video63' not found: no such device");
}

TEST(CameraSource, AFileThatIsNotADeviceIsAnError) {
  test::TempDir dir;
  const std::string file = dir.write("video0", "");
  auto h = NodeHarness::try_load("camera_source", "device = \"" + file + "\"");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "open: camera '" + file + "' is not a video device");

  // /dev/null is a character device, but not a camera.
  auto null = NodeHarness::try_load("camera_source", "device = \"/dev/null\"");
  ASSERT_FALSE(null.ok());
  EXPECT_THAT(null.status().message(), HasSubstr("'/dev/null'"));
}

TEST(CameraSource, BadParamsAreErrors) {
  auto fourcc = NodeHarness::try_load("camera_source", "fourcc = \"MJPEG\"");
  ASSERT_FALSE(fourcc.ok());
  EXPECT_EQ(fourcc.status().message(), "open: fourcc 'MJPEG' is not 4 characters (like \"MJPG\")");
  auto width = NodeHarness::try_load("camera_source", "width = -1");
  ASSERT_FALSE(width.ok());
  EXPECT_THAT(width.status().message(), HasSubstr("width"));
}

}  // namespace
}  // namespace sluice::testing
