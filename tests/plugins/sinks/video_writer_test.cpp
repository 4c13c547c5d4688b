// video_writer through the NodeHarness, checked with ffprobe and by decoding: every frame
// received is in the file, at the right rate and size, annotated; errors at open.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/videoio.hpp>

#include "annotate.h"
#include "sink_test_support.h"
#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using sink_test::at;
using sink_test::decoded_frames;
using sink_test::detection;
using sink_test::probe;
using ::testing::HasSubstr;

class VideoWriterTest : public ::testing::Test {
 protected:
  // Pushes `n` frames of stream `stream` (grey level from seq) with one detection each,
  // `step_us` apart, into the detections input only (drawn on the source frame).
  void push_frames(NodeHarness& h, int n, uint32_t stream = 0, int64_t step_us = 40000,
                   cv::Size size = {64, 48}) {
    for (int i = 0; i < n; ++i) {
      auto frame = sink_test::make_frame(
          cv::Mat(size, CV_8UC3, cv::Scalar::all(static_cast<double>(i * 5 % 200))));
      ASSERT_TRUE(h.push(sinks::kDetections.name,
                         sink_test::result_packet(Detections{{detection({8, 8, 24, 16}, 1)}}, frame,
                                                  at(stream, i, i * step_us)))
                      .ok());
    }
  }
  test::TempDir dir_;
};

TEST_F(VideoWriterTest, EveryFrameAtTheRateOfThePtsAndTheFirstFramesSize) {
  const std::string path = dir_.file("out.mp4");
  auto h = NodeHarness::load("video_writer", "path = \"" + path + "\"");
  push_frames(h, 12, 0, 1000000 / 30);
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(decoded_frames(path), 12);
  EXPECT_EQ(probe(path, "codec_name,width,height,r_frame_rate"), "mpeg4,64,48,30/1");
}

TEST_F(VideoWriterTest, FpsParamSizeParamAndOtherCodecs) {
  const std::string avi = dir_.file("out.avi");
  auto h = NodeHarness::load("video_writer", "path = \"" + avi +
                                                 "\"\ncodec = \"MJPG\"\nfps = 12.5\n"
                                                 "size = [80, 60]");
  push_frames(h, 3, 0, 40000, {64, 48});
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(decoded_frames(avi), 3);
  EXPECT_EQ(probe(avi, "codec_name,width,height,r_frame_rate"), "mjpeg,80,60,25/2");

  const std::string mkv = dir_.file("lossless.mkv");
  auto lossless = NodeHarness::load("video_writer", "path = \"" + mkv + "\"\ncodec = \"FFV1\"");
  push_frames(lossless, 4);
  ASSERT_TRUE(lossless.close().ok());
  EXPECT_EQ(decoded_frames(mkv), 4);
  EXPECT_EQ(probe(mkv, "codec_name"), "ffv1");
}

TEST_F(VideoWriterTest, FramesAreAnnotatedAndLaterSizesResized) {
  // Lossless FFV1, decoded back: the box is drawn where the detection is.
  const std::string path = dir_.file("boxes.avi");
  auto h = NodeHarness::load("video_writer",
                             "path = \"" + path + "\"\ncodec = \"FFV1\"\nlabels = false");
  push_frames(h, 2, 0, 40000, {64, 48});
  push_frames(h, 1, 0, 40000, {128, 96});  // seq 0 again is fine for a sink; resized
  ASSERT_TRUE(h.close().ok());
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  ASSERT_TRUE(cap.isOpened());
  cv::Mat frame;
  ASSERT_TRUE(cap.read(frame));
  ASSERT_EQ(frame.size(), cv::Size(64, 48));
  EXPECT_LE(sink_test::colour_distance(frame.at<cv::Vec3b>(16, 8), sinks::class_colour(1)), 8);
  EXPECT_LE(sink_test::colour_distance(frame.at<cv::Vec3b>(16, 20), cv::Scalar::all(0)), 8);
  ASSERT_TRUE(cap.read(frame));
  ASSERT_TRUE(cap.read(frame));
  EXPECT_EQ(frame.size(), cv::Size(64, 48));
  EXPECT_FALSE(cap.read(frame));
}

TEST_F(VideoWriterTest, OneFilePerStreamWithStreamInThePath) {
  auto h = NodeHarness::load("video_writer", "path = \"" + dir_.file("cam{stream}/out.mp4") + "\"");
  for (int i = 0; i < 5; ++i) {
    push_frames(h, 1, 0);
    push_frames(h, 1, 3);
  }
  push_frames(h, 1, 3);
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(decoded_frames(dir_.file("cam0/out.mp4")), 5);
  EXPECT_EQ(decoded_frames(dir_.file("cam3/out.mp4")), 6);
}

TEST_F(VideoWriterTest, AStreamsFileIsFinishedWhenItEndsWhileTheOthersGoOn) {
  auto h = NodeHarness::load("video_writer", "path = \"" + dir_.file("cam{stream}.mp4") + "\"");
  for (int i = 0; i < 4; ++i) {
    push_frames(h, 1, 0);
    push_frames(h, 1, 3);
  }
  EXPECT_EQ(decoded_frames(dir_.file("cam0.mp4")), -1) << "an .mp4 has no index before it ends";
  ASSERT_TRUE(h.end_stream(0).ok());
  // The node is still open and stream 3 still going: stream 0's file plays now.
  EXPECT_EQ(decoded_frames(dir_.file("cam0.mp4")), 4);
  EXPECT_EQ(decoded_frames(dir_.file("cam3.mp4")), -1);
  push_frames(h, 2, 3);
  ASSERT_TRUE(h.end_stream(3).ok());
  EXPECT_EQ(decoded_frames(dir_.file("cam3.mp4")), 6);
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(decoded_frames(dir_.file("cam0.mp4")), 4);
}

TEST_F(VideoWriterTest, ASecondStreamWithoutStreamInThePathIsAnError) {
  const std::string path = dir_.file("out.mp4");
  auto h = NodeHarness::load("video_writer", "path = \"" + path + "\"");
  push_frames(h, 2, 0);
  auto frame = sink_test::make_frame(cv::Mat(48, 64, CV_8UC3));
  const Status s =
      h.push(sinks::kDetections.name, sink_test::result_packet(Detections{}, frame, at(1, 0)));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "got stream 1 after stream 0, but its path '" + path +
                             "' has no {stream}: put {stream} in it to write one per stream");
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(decoded_frames(path), 2);  // what came before is intact
}

TEST_F(VideoWriterTest, AStreamOfOneFrameAndARunWithoutFrames) {
  const std::string one = dir_.file("one.mp4");
  auto h = NodeHarness::load("video_writer", "path = \"" + one + "\"");
  push_frames(h, 1);  // held for the rate of the second, which never comes
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(decoded_frames(one), 1);
  EXPECT_EQ(probe(one, "r_frame_rate"), "25/1");

  const std::string none = dir_.file("none.mp4");
  auto empty = NodeHarness::load("video_writer", "path = \"" + none + "\"");
  ASSERT_TRUE(empty.close().ok());
  EXPECT_FALSE(std::filesystem::exists(none));
}

TEST_F(VideoWriterTest, ALiveStreamsBurstOnConnectingDoesNotSetTheRate) {
  // A network stream timed by arrival: its first two frames came 6.3 ms apart (158.6 fps,
  // a time base the MPEG-4 encoder refuses: the run failed), then one every 100 ms.
  const std::string path = dir_.file("live.mp4");
  auto h = NodeHarness::load("video_writer", "path = \"" + path + "\"");
  auto frame = sink_test::make_frame(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(90)));
  const std::vector<int64_t> pts{0, 6304, 106304, 206304, 306304, 406304, 506304, 606304, 706304};
  for (std::size_t i = 0; i < pts.size(); ++i)
    ASSERT_TRUE(h.push(sinks::kDetections.name,
                       sink_test::result_packet(Detections{}, frame,
                                                at(0, static_cast<int64_t>(i), pts[i])))
                    .ok())
        << "frame " << i;
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(probe(path, "r_frame_rate"), "10/1");
  EXPECT_EQ(decoded_frames(path), 9);
}

TEST_F(VideoWriterTest, RatesTheEncoderCannotTakeExactlyAreRounded) {
  const std::string path = dir_.file("fast.mp4");
  auto h = NodeHarness::load("video_writer", "path = \"" + path + "\"");
  push_frames(h, 10, 0, 6304);  // 158.629 fps
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(probe(path, "r_frame_rate"), "159/1");
  EXPECT_EQ(decoded_frames(path), 10);
}

TEST_F(VideoWriterTest, PtsThatDoNotAdvanceMean25Fps) {
  const std::string path = dir_.file("out.mp4");
  auto h = NodeHarness::load("video_writer", "path = \"" + path + "\"");
  push_frames(h, 3, 0, 0);
  ASSERT_TRUE(h.close().ok());
  EXPECT_EQ(probe(path, "r_frame_rate"), "25/1");
  EXPECT_EQ(decoded_frames(path), 3);
}

TEST_F(VideoWriterTest, OpenErrorsNameTheCodecOrThePath) {
  auto codec = NodeHarness::try_load("video_writer",
                                     "path = \"" + dir_.file("x.mp4") + "\"\ncodec = \"FFV1\"");
  ASSERT_FALSE(codec.ok());
  EXPECT_THAT(codec.status().message(), HasSubstr("open: codec 'FFV1' cannot write .mp4 files"));

  auto bad_codec = NodeHarness::try_load("video_writer", "path = \"x.mp4\"\ncodec = \"mp4\"");
  ASSERT_FALSE(bad_codec.ok());
  EXPECT_THAT(bad_codec.status().message(), HasSubstr("mp4v"));  // the choices are listed

  const std::string file = dir_.write("file", "x");
  auto unwritable = NodeHarness::try_load("video_writer", "path = \"" + file + "/out.mp4\"");
  ASSERT_FALSE(unwritable.ok());
  EXPECT_THAT(unwritable.status().message(),
              HasSubstr("cannot write '" + file + "/out.mp4': '" + file + "' is not a folder"));

  auto no_extension = NodeHarness::try_load("video_writer", "path = \"" + dir_.file("out") + "\"");
  ASSERT_FALSE(no_extension.ok());
  EXPECT_THAT(no_extension.status().message(), HasSubstr("has no extension"));

  auto size = NodeHarness::try_load("video_writer", "path = \"x.mp4\"\nsize = [640]");
  ASSERT_FALSE(size.ok());
  EXPECT_THAT(size.status().message(), HasSubstr("size must be [width, height]"));
}

TEST_F(VideoWriterTest, SubPacketsAndInputsWithoutAPictureAreErrors) {
  auto h = NodeHarness::load("video_writer", "path = \"" + dir_.file("out.mp4") + "\"");
  PacketHeader part = at(0, 0);
  part.sub_index = 1;
  part.sub_count = 3;
  Status s = h.push(sinks::kDetections.name, Packet::make(part, Detections{}));
  EXPECT_THAT(s.message(), HasSubstr("got part 2/3 of a frame"));
  s = h.push(sinks::kDetections.name, Packet::make(at(0, 0), Detections{}));
  EXPECT_THAT(s.message(), HasSubstr("no picture to draw on: connect the 'frame' input"));
}

}  // namespace
}  // namespace sluice::testing
