// resize, letterbox, center_crop and color_convert through the NodeHarness: pixels,
// sizes, the transform each records, and the errors for bad params and bad frames.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "center_crop.h"
#include "color_convert.h"
#include "letterbox.h"
#include "preproc_test_util.h"
#include "resize.h"

namespace sluice::preprocessors_test {
namespace {

using ::testing::HasSubstr;
using testing::NodeHarness;

const Frame& frame_of(const Packet& p) {
  const Frame* f = p.get_if<Frame>();
  EXPECT_NE(f, nullptr) << "expected a Frame, got " << p.type();
  static const Frame kNone;
  return f ? *f : kNone;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

std::string load_error(const std::string& type, const std::string& params) {
  auto h = NodeHarness::try_load(type, params);
  EXPECT_FALSE(h.ok()) << type << " opened with " << params;
  return h.ok() ? "" : h.status().message();
}

template <class N>
std::string process_error(NodeHarness& h, Packet in) {
  const Status s = h.push(N::kIn.name, std::move(in));
  EXPECT_FALSE(s.ok());
  return s.message();
}

// ---- resize ----

TEST(Resize, ToSizeMatchesOpenCvAndRecordsTheScale) {
  const cv::Mat image = pattern(64, 48);
  for (const std::string interp : {"nearest", "linear", "cubic", "area", "lanczos"}) {
    SCOPED_TRACE(interp);
    auto h = NodeHarness::load("resize", "size = [32, 12]\ninterpolation = \"" + interp + "\"");
    const Packet out =
        run_one<preprocessors::Resize>(h, source_packet(Frame{image, PixelFormat::kBGR}, at(2, 5)));
    const Frame& f = frame_of(out);
    cv::Mat expected;
    const int flag = interp == "nearest"  ? cv::INTER_NEAREST
                     : interp == "linear" ? cv::INTER_LINEAR
                     : interp == "cubic"  ? cv::INTER_CUBIC
                     : interp == "area"   ? cv::INTER_AREA
                                          : cv::INTER_LANCZOS4;
    cv::resize(image, expected, cv::Size(32, 12), 0, 0, flag);
    EXPECT_TRUE(same_pixels(f.image, expected));
    EXPECT_EQ(f.format, PixelFormat::kBGR);
    EXPECT_EQ(out.header().stream_id, 2u);
    EXPECT_EQ(out.header().seq, 5);
    EXPECT_DOUBLE_EQ(out.header().transform.a, 0.5);
    EXPECT_DOUBLE_EQ(out.header().transform.e, 0.25);
    expect_near(out.header().transform.to_source({32, 12}), {64, 48});
    // The source frame travels on, so later stages can still draw on the original.
    ASSERT_NE(out.header().source_frame, nullptr);
    EXPECT_EQ(out.header().source_frame->image.data, image.data);
  }
}

TEST(Resize, ShorterSideFollowsTorchvisionRounding) {
  struct Case {
    cv::Size in;
    int shorter, max_size;
    cv::Size out;
  };
  // Expected sizes as torchvision's _compute_resized_output_size gives them.
  for (const Case& c : {Case{{768, 576}, 256, 0, {341, 256}}, Case{{576, 768}, 256, 0, {256, 341}},
                        Case{{512, 512}, 256, 0, {256, 256}}, Case{{100, 333}, 10, 0, {10, 33}},
                        Case{{333, 100}, 10, 0, {33, 10}}, Case{{200, 100}, 50, 0, {100, 50}},
                        Case{{200, 100}, 50, 80, {80, 40}}, Case{{101, 300}, 224, 0, {224, 665}}}) {
    SCOPED_TRACE(::testing::PrintToString(c.in) + " -> " + std::to_string(c.shorter));
    auto h = NodeHarness::load("resize", "shorter_side = " + std::to_string(c.shorter) +
                                             "\nmax_size = " + std::to_string(c.max_size));
    const Packet out =
        run_one<preprocessors::Resize>(h, source_packet(Frame{pattern(c.in.width, c.in.height)}));
    EXPECT_EQ(frame_of(out).image.size(), c.out);
    expect_near(out.header().transform.to_source(cv::Point2f(c.out.width, c.out.height)),
                cv::Point2f(c.in.width, c.in.height));
  }
}

TEST(Resize, ComposesOntoTheTransformItReceives) {
  auto h = NodeHarness::load("resize", "size = [20, 10]");
  PacketHeader in = at(0, 0);
  in.transform = Affine2D::scale_translate(0.5, 0.5, -3, -4);  // an earlier crop and resize
  const Packet out = run_one<preprocessors::Resize>(h, Packet::make(in, Frame{pattern(40, 40)}));
  const Affine2D& t = out.header().transform;
  EXPECT_DOUBLE_EQ(t.a, 0.25);
  EXPECT_DOUBLE_EQ(t.e, 0.125);
  EXPECT_DOUBLE_EQ(t.c, -1.5);
  EXPECT_DOUBLE_EQ(t.f, -1.0);
  // Output pixel (20, 10) is input pixel (40, 40), which was source pixel (86, 88).
  expect_near(t.to_source({20, 10}), {86, 88});
}

TEST(Resize, ASizeItAlreadyHasForwardsThePacketUntouched) {
  auto h = NodeHarness::load("resize", "size = [64, 48]");
  const Packet in = source_packet(Frame{pattern(64, 48)});
  const Packet out = run_one<preprocessors::Resize>(h, in);
  EXPECT_EQ(out.payload().get(), in.payload().get());
  EXPECT_TRUE(out.header().transform.is_identity());
}

TEST(Resize, BadParamsAreClearErrorsAtOpen) {
  EXPECT_THAT(load_error("resize", ""),
              HasSubstr("set either size = [width, height] or shorter_side = N"));
  EXPECT_THAT(load_error("resize", "size = [4, 4]\nshorter_side = 3"),
              HasSubstr("set size or shorter_side, not both"));
  EXPECT_THAT(load_error("resize", "size = [4, 4, 4]"),
              HasSubstr("param 'size' must be [width, height], not a list of 3 values"));
  EXPECT_THAT(load_error("resize", "size = [0, 4]"), HasSubstr("size"));
  EXPECT_THAT(load_error("resize", "size = [4, 4]\nmax_size = 9"),
              HasSubstr("max_size applies only with shorter_side"));
  EXPECT_THAT(load_error("resize", "shorter_side = 10\nmax_size = 9"),
              HasSubstr("max_size = 9 must be greater than shorter_side = 10"));
  EXPECT_THAT(load_error("resize", "size = [4, 4]\ninterpolation = \"bilinear\""),
              HasSubstr("interpolation"));
}

TEST(Resize, BadFramesAreClearErrors) {
  auto h = NodeHarness::load("resize", "size = [8, 8]");
  EXPECT_EQ(process_error<preprocessors::Resize>(
                h, source_packet(Frame{pattern(16, 16, 4), PixelFormat::kBGR})),
            "the frame has 4 channels but its format is BGR (3 channels)");
  EXPECT_EQ(process_error<preprocessors::Resize>(h, source_packet(Frame{})),
            "the frame has no pixels (an empty image)");
  EXPECT_EQ(process_error<preprocessors::Resize>(
                h, source_packet(Frame{cv::Mat(4, 4, CV_64FC3), PixelFormat::kBGR})),
            "the frame's pixels are 64F; expected 8U, 16U or 32F");
  auto thin = NodeHarness::load("resize", "shorter_side = 16384");
  EXPECT_THAT(process_error<preprocessors::Resize>(thin, source_packet(Frame{pattern(1, 100)})),
              HasSubstr("over the limit of 32768 a side"));
}

// ---- letterbox ----

TEST(Letterbox, ScalesToFitPadsCentredAndRecordsScaleAndOffset) {
  auto h = NodeHarness::load("letterbox", "size = [64, 64]");
  const cv::Mat image = pattern(100, 50);
  const Packet out = run_one<preprocessors::Letterbox>(h, source_packet(Frame{image}));
  const Frame& f = frame_of(out);
  ASSERT_EQ(f.image.size(), cv::Size(64, 64));
  // 100x50 scaled by 0.64 is 64x32, padded 16 above and below.
  cv::Mat scaled;
  cv::resize(image, scaled, cv::Size(64, 32));
  EXPECT_TRUE(same_pixels(f.image(cv::Rect(0, 16, 64, 32)), scaled));
  EXPECT_EQ(f.image.at<cv::Vec3b>(0, 0), cv::Vec3b(114, 114, 114));
  EXPECT_EQ(f.image.at<cv::Vec3b>(63, 63), cv::Vec3b(114, 114, 114));
  EXPECT_EQ(f.image.at<cv::Vec3b>(15, 10), cv::Vec3b(114, 114, 114));
  EXPECT_NE(f.image.at<cv::Vec3b>(16, 10), cv::Vec3b(114, 114, 114));
  const Affine2D& t = out.header().transform;
  EXPECT_DOUBLE_EQ(t.a, 0.64);
  EXPECT_DOUBLE_EQ(t.e, 0.64);
  EXPECT_DOUBLE_EQ(t.c, 0);
  EXPECT_DOUBLE_EQ(t.f, 16);
  expect_near(t.to_source({0, 16}), {0, 0});
  expect_near(t.to_source({64, 48}), {100, 50});
  // A box drawn on the letterboxed image maps back onto the source frame.
  const cv::Rect2f box = t.to_source(cv::Rect2f(32, 24, 16, 8));
  EXPECT_NEAR(box.x, 50, 1e-4);
  EXPECT_NEAR(box.y, 12.5, 1e-4);
  EXPECT_NEAR(box.width, 25, 1e-4);
  EXPECT_NEAR(box.height, 12.5, 1e-4);
}

TEST(Letterbox, OddPaddingGoesRightAndBottomAndAlignTopLeft) {
  auto centre = NodeHarness::load("letterbox", "size = [64, 64]\npad_value = 0");
  // 100x51 -> 64x33 (round(32.64)); 31 rows of padding: 15 above, 16 below.
  const Packet out =
      run_one<preprocessors::Letterbox>(centre, source_packet(Frame{pattern(100, 51)}));
  EXPECT_DOUBLE_EQ(out.header().transform.f, 15);
  EXPECT_NEAR(out.header().transform.e, 33.0 / 51, 1e-12);
  const cv::Mat& img = frame_of(out).image;
  EXPECT_EQ(cv::countNonZero(img.row(14).reshape(1)), 0);
  EXPECT_EQ(cv::countNonZero(img.row(48).reshape(1)), 0);
  EXPECT_GT(cv::countNonZero(img.row(47).reshape(1)), 0);

  auto top_left = NodeHarness::load("letterbox", "size = [64, 64]\nalign = \"top_left\"");
  const Packet tl =
      run_one<preprocessors::Letterbox>(top_left, source_packet(Frame{pattern(100, 50)}));
  EXPECT_DOUBLE_EQ(tl.header().transform.c, 0);
  EXPECT_DOUBLE_EQ(tl.header().transform.f, 0);
  EXPECT_EQ(frame_of(tl).image.at<cv::Vec3b>(40, 0), cv::Vec3b(114, 114, 114));
}

TEST(Letterbox, WithoutUpscaleSmallFramesAreOnlyPadded) {
  auto h = NodeHarness::load("letterbox", "size = [64, 64]\nupscale = false");
  const cv::Mat image = pattern(20, 10);
  const Packet out = run_one<preprocessors::Letterbox>(h, source_packet(Frame{image}));
  EXPECT_TRUE(same_pixels(frame_of(out).image(cv::Rect(22, 27, 20, 10)), image));
  const Affine2D& t = out.header().transform;
  EXPECT_DOUBLE_EQ(t.a, 1);
  EXPECT_DOUBLE_EQ(t.c, 22);
  EXPECT_DOUBLE_EQ(t.f, 27);
}

TEST(Letterbox, KeepsFormatAndChannelsAndForwardsAnExactFit) {
  auto h = NodeHarness::load("letterbox", "size = [32, 32]");
  const Packet out = run_one<preprocessors::Letterbox>(
      h, source_packet(Frame{pattern(64, 16, 4), PixelFormat::kRGBA}));
  EXPECT_EQ(frame_of(out).format, PixelFormat::kRGBA);
  EXPECT_EQ(frame_of(out).image.type(), CV_8UC4);
  const Packet in = source_packet(Frame{pattern(32, 32)});
  EXPECT_EQ(run_one<preprocessors::Letterbox>(h, in).payload().get(), in.payload().get());
  EXPECT_THAT(load_error("letterbox", ""), HasSubstr("size"));
  EXPECT_THAT(load_error("letterbox", "size = [3]"), HasSubstr("must be [width, height]"));
  EXPECT_THAT(process_error<preprocessors::Letterbox>(
                  h, source_packet(Frame{pattern(8, 8, 1), PixelFormat::kRGB})),
              HasSubstr("the frame has 1 channel but its format is RGB (3 channels)"));
}

// ---- center_crop ----

TEST(CenterCrop, FollowsTorchvisionRoundingAndRecordsTheOffset) {
  struct Case {
    cv::Size in, crop;
    cv::Point origin;  // int(round((in - crop) / 2.0)) with Python's round (halves to even)
  };
  for (const Case& c :
       {Case{{10, 7}, {4, 4}, {3, 2}}, Case{{11, 9}, {6, 6}, {2, 2}}, Case{{13, 8}, {6, 3}, {4, 2}},
        Case{{15, 5}, {6, 2}, {4, 2}}, Case{{256, 341}, {224, 224}, {16, 58}}}) {
    SCOPED_TRACE(::testing::PrintToString(c.in) + " crop " + ::testing::PrintToString(c.crop));
    auto h = NodeHarness::load("center_crop", "size = [" + std::to_string(c.crop.width) + ", " +
                                                  std::to_string(c.crop.height) + "]");
    const cv::Mat image = pattern(c.in.width, c.in.height);
    const Packet out = run_one<preprocessors::CenterCrop>(h, source_packet(Frame{image}));
    const Frame& f = frame_of(out);
    EXPECT_TRUE(same_pixels(f.image, image(cv::Rect(c.origin, c.crop))));
    EXPECT_EQ(f.image.datastart, image.datastart);  // a view: no copy
    expect_near(out.header().transform.to_source({0, 0}), cv::Point2f(c.origin));
    expect_near(out.header().transform.apply(cv::Point2f(c.origin)), {0, 0});
  }
}

TEST(CenterCrop, ASingleSideIsASquare) {
  auto h = NodeHarness::load("center_crop", "size = [5]");
  EXPECT_EQ(frame_of(run_one<preprocessors::CenterCrop>(h, source_packet(Frame{pattern(9, 9)})))
                .image.size(),
            cv::Size(5, 5));
}

TEST(CenterCrop, ALargerCropIsAnErrorOrPaddedAsTorchvisionPads) {
  auto strict = NodeHarness::load("center_crop", "size = [8, 8]");
  EXPECT_EQ(process_error<preprocessors::CenterCrop>(strict, source_packet(Frame{pattern(6, 4)})),
            "the crop 8x8 is larger than the frame 6x4; set pad = true to pad such frames");

  auto padded = NodeHarness::load("center_crop", "size = [8, 8]\npad = true\npad_value = 7");
  const cv::Mat image = pattern(5, 4);
  const Packet out = run_one<preprocessors::CenterCrop>(padded, source_packet(Frame{image}));
  const cv::Mat& img = frame_of(out).image;
  ASSERT_EQ(img.size(), cv::Size(8, 8));
  // torchvision pads (8 - 5) // 2 = 1 left, 2 right, 2 above, 2 below.
  EXPECT_TRUE(same_pixels(img(cv::Rect(1, 2, 5, 4)), image));
  EXPECT_EQ(img.at<cv::Vec3b>(0, 0), cv::Vec3b(7, 7, 7));
  EXPECT_EQ(img.at<cv::Vec3b>(7, 7), cv::Vec3b(7, 7, 7));
  EXPECT_EQ(img.at<cv::Vec3b>(3, 6), cv::Vec3b(7, 7, 7));
  expect_near(out.header().transform.apply({0, 0}), {1, 2});

  // Padded on one axis, cropped on the other.
  const cv::Mat wide = pattern(10, 4);
  const Packet mixed = run_one<preprocessors::CenterCrop>(padded, source_packet(Frame{wide}));
  EXPECT_TRUE(same_pixels(frame_of(mixed).image(cv::Rect(0, 2, 8, 4)), wide(cv::Rect(1, 0, 8, 4))));
  expect_near(mixed.header().transform.apply({1, 0}), {0, 2});
}

TEST(CenterCrop, BadParams) {
  EXPECT_THAT(load_error("center_crop", ""), HasSubstr("size"));
  EXPECT_THAT(load_error("center_crop", "size = [1, 2, 3]"),
              HasSubstr("param 'size' must be [width, height] or [side], not a list of 3 values"));
}

// ---- color_convert ----

TEST(ColorConvert, ConvertsBetweenFormatsAndSaysSo) {
  const cv::Mat bgr = pattern(6, 4);
  auto to_rgb = NodeHarness::load("color_convert", "to = \"RGB\"");
  const Packet rgb = run_one<preprocessors::ColorConvert>(
      to_rgb, source_packet(Frame{bgr, PixelFormat::kBGR}, at(1, 3)));
  EXPECT_EQ(frame_of(rgb).format, PixelFormat::kRGB);
  EXPECT_EQ(frame_of(rgb).image.at<cv::Vec3b>(2, 3)[0], bgr.at<cv::Vec3b>(2, 3)[2]);
  EXPECT_EQ(frame_of(rgb).image.at<cv::Vec3b>(2, 3)[2], bgr.at<cv::Vec3b>(2, 3)[0]);
  EXPECT_EQ(rgb.header().seq, 3);
  EXPECT_TRUE(rgb.header().transform.is_identity());

  auto to_gray = NodeHarness::load("color_convert", "to = \"GRAY\"");
  const Packet gray =
      run_one<preprocessors::ColorConvert>(to_gray, source_packet(Frame{bgr, PixelFormat::kBGR}));
  cv::Mat expected;
  cv::cvtColor(bgr, expected, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(frame_of(gray).format, PixelFormat::kGRAY);
  EXPECT_TRUE(same_pixels(frame_of(gray).image, expected));
  // From an RGB frame the same picture gives the same grey.
  EXPECT_TRUE(
      same_pixels(frame_of(run_one<preprocessors::ColorConvert>(to_gray, rgb)).image, expected));

  auto to_bgr = NodeHarness::load("color_convert", "to = \"BGR\"");
  EXPECT_TRUE(same_pixels(frame_of(run_one<preprocessors::ColorConvert>(to_bgr, rgb)).image, bgr));
  const Packet from_gray = run_one<preprocessors::ColorConvert>(to_bgr, gray);
  EXPECT_EQ(frame_of(from_gray).image.type(), CV_8UC3);
  cv::Mat rgba;
  cv::cvtColor(bgr, rgba, cv::COLOR_BGR2RGBA);
  EXPECT_TRUE(same_pixels(frame_of(run_one<preprocessors::ColorConvert>(
                                       to_bgr, source_packet(Frame{rgba, PixelFormat::kRGBA})))
                              .image,
                          bgr));
  cv::Mat bgra;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  EXPECT_TRUE(same_pixels(frame_of(run_one<preprocessors::ColorConvert>(
                                       to_rgb, source_packet(Frame{bgra, PixelFormat::kBGRA})))
                              .image,
                          frame_of(rgb).image));
}

TEST(ColorConvert, TheTargetFormatPassesThroughAndBadFramesAreErrors) {
  auto h = NodeHarness::load("color_convert", "to = \"RGB\"");
  const Packet in = source_packet(Frame{pattern(4, 4), PixelFormat::kRGB});
  EXPECT_EQ(run_one<preprocessors::ColorConvert>(h, in).payload().get(), in.payload().get());
  EXPECT_EQ(process_error<preprocessors::ColorConvert>(
                h, source_packet(Frame{pattern(4, 4, 3), PixelFormat::kGRAY})),
            "the frame has 3 channels but its format is GRAY (1 channel)");
  EXPECT_THAT(load_error("color_convert", ""), HasSubstr("to"));
  EXPECT_THAT(load_error("color_convert", "to = \"HSV\""), HasSubstr("to"));
}

}  // namespace
}  // namespace sluice::preprocessors_test
