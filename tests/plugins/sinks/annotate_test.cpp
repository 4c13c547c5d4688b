// The sinks' drawing library, pixel by pixel: boxes where the transform puts them, masks
// blended at their alpha and warped from their own geometry, picture conversions.
#include "annotate.h"

#include <gtest/gtest.h>

#include <set>

#include "sink_test_support.h"
#include "track_trails.h"

namespace sluice::sinks {
namespace {

using sink_test::colour_distance;
using sink_test::detection;

const cv::Vec3b kBlack(0, 0, 0);

Style thin_without_labels() {
  Style s;
  s.thickness = 1;
  s.labels = false;
  return s;
}

// `colour` over `under` at `alpha`, as a scalar (the drawing code works in 8-bit integer
// arithmetic, so its results may differ from this by 1).
cv::Scalar blend(cv::Vec3b under, const cv::Scalar& colour, double alpha) {
  cv::Scalar out;
  for (int c = 0; c < 3; ++c) out[c] = under[c] * (1 - alpha) + colour[c] * alpha;
  return out;
}

TEST(ClassColour, DistinctPerClassStableAndWhiteForNoClass) {
  std::set<std::tuple<double, double, double>> seen;
  for (int id = 0; id < 20; ++id) {
    const cv::Scalar c = class_colour(id);
    seen.insert({c[0], c[1], c[2]});
    EXPECT_EQ(class_colour(id), class_colour(id + 20));  // the palette repeats, stably
  }
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_EQ(class_colour(-1), cv::Scalar(255, 255, 255));
}

TEST(DrawDetections, BoxOutlineWhereTheBoxIs) {
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar::all(0));
  Detections d{{detection({50, 60, 40, 30}, 1)}};
  draw_detections(image, d, Affine2D{}, thin_without_labels());
  const cv::Scalar colour = class_colour(1);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(75, 50), colour), 0);  // left edge
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(75, 90), colour), 0);  // right edge (x + w)
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(60, 70), colour), 0);  // top edge
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(90, 70), colour), 0);  // bottom edge (y + h)
  EXPECT_EQ(image.at<cv::Vec3b>(75, 70), kBlack);                      // inside
  EXPECT_EQ(image.at<cv::Vec3b>(75, 47), kBlack);                      // outside
  EXPECT_EQ(image.at<cv::Vec3b>(75, 93), kBlack);
}

TEST(DrawDetections, MappedThroughANonIdentityTransform) {
  // The picture is the source frame at half size, shifted by (10, 20).
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar::all(0));
  Detection det = detection({50, 60, 40, 30}, 2);
  det.landmarks = {{70, 120}};
  draw_detections(image, Detections{{det}}, Affine2D::scale_translate(0.5, 0.5, 10, 20),
                  thin_without_labels());
  const cv::Scalar colour = class_colour(2);
  // (50, 60, 40, 30) -> (35, 50) .. (55, 65)
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(57, 35), colour), 0);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(57, 55), colour), 0);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(50, 45), colour), 0);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(65, 45), colour), 0);
  EXPECT_EQ(image.at<cv::Vec3b>(57, 45), kBlack);
  // Nothing where the box would be without the transform.
  EXPECT_EQ(image.at<cv::Vec3b>(75, 50), kBlack);
  EXPECT_EQ(image.at<cv::Vec3b>(75, 90), kBlack);
  // The landmark (70, 120) -> (45, 80), a filled dot.
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(80, 45), colour), 0);
}

TEST(DrawDetections, RotatedTransformDrawsTheRotatedOutline) {
  // 90 degrees: x' = 200 - y, y' = x. The box (50, 60, 40, 30) covers x' 110..140, y' 50..90.
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar::all(0));
  draw_detections(image, Detections{{detection({50, 60, 40, 30}, 3)}},
                  Affine2D{0, -1, 200, 1, 0, 0}, thin_without_labels());
  const cv::Scalar colour = class_colour(3);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(70, 110), colour), 0);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(70, 140), colour), 0);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(50, 125), colour), 0);
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(90, 125), colour), 0);
  EXPECT_EQ(image.at<cv::Vec3b>(70, 125), kBlack);
}

TEST(DrawDetections, LabelAboveTheBoxAndSecondStageClassBelowIt) {
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar::all(0));
  Detection det = detection({50, 100, 80, 60}, 1, 0.9f, "person");
  det.track_id = 7;
  det.classes = {{4, 0.75f, "smile"}};
  Style style;
  style.thickness = 1;
  draw_detections(image, Detections{{det}}, Affine2D{}, style);
  // The label's box is filled with the class colour just above the box's top-left corner
  // (text pixels are black or white, so count colour pixels in that strip).
  const cv::Mat above = image(cv::Rect(50, 85, 60, 14));
  int filled = 0;
  for (auto it = above.begin<cv::Vec3b>(); it != above.end<cv::Vec3b>(); ++it)
    filled += colour_distance(*it, class_colour(1)) == 0;
  EXPECT_GT(filled, 200);
  // The second-stage class goes on a box of its own colour, starting at the box's top.
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(101, 50), class_colour(4)), 0);
  // Without labels, nothing above the box.
  cv::Mat plain(200, 200, CV_8UC3, cv::Scalar::all(0));
  draw_detections(plain, Detections{{det}}, Affine2D{}, thin_without_labels());
  EXPECT_EQ(cv::countNonZero(plain(cv::Rect(50, 80, 60, 19)).reshape(1)), 0);
}

TEST(DrawDetections, LabelOfABoxAtTheTopEdgeStaysInsideThePicture) {
  cv::Mat image(100, 100, CV_8UC3, cv::Scalar::all(0));
  draw_detections(image, Detections{{detection({10, 0, 50, 50}, 5, 0.5f, "cat")}}, Affine2D{},
                  Style{});
  int filled = 0;
  const cv::Mat strip = image(cv::Rect(10, 1, 40, 10));
  for (auto it = strip.begin<cv::Vec3b>(); it != strip.end<cv::Vec3b>(); ++it)
    filled += colour_distance(*it, class_colour(5)) == 0;
  EXPECT_GT(filled, 100);
}

TEST(DrawClassifications, TopClassInTheTopLeftCorner) {
  cv::Mat image(120, 160, CV_8UC3, cv::Scalar::all(0));
  draw_classifications(image, Classifications{{{6, 0.8f, "indoor"}, {7, 0.2f, "outdoor"}}},
                       Style{});
  EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(1, 1), class_colour(6)), 0);
  int top = 0;
  const cv::Mat corner = image(cv::Rect(0, 0, 60, 12));
  for (auto it = corner.begin<cv::Vec3b>(); it != corner.end<cv::Vec3b>(); ++it)
    top += colour_distance(*it, class_colour(6)) == 0;
  EXPECT_GT(top, 200);
  for (auto it = image.begin<cv::Vec3b>(); it != image.end<cv::Vec3b>(); ++it)
    ASSERT_GT(colour_distance(*it, class_colour(7)), 0);  // only the top class
}

TEST(DrawMask, ClassesBlendedAtAlphaAndBackgroundLeftAlone) {
  cv::Mat image(40, 60, CV_8UC3, cv::Scalar(100, 100, 100));
  SegmentationMask m;
  m.mask = cv::Mat::zeros(40, 60, CV_8U);
  m.mask.colRange(0, 20).setTo(1);
  m.mask.colRange(20, 40).setTo(3);
  draw_mask(image, m, Affine2D{}, 0.5);
  const cv::Vec3b grey(100, 100, 100);
  EXPECT_LE(colour_distance(image.at<cv::Vec3b>(10, 5), blend(grey, class_colour(1), 0.5)), 1);
  EXPECT_LE(colour_distance(image.at<cv::Vec3b>(10, 25), blend(grey, class_colour(3), 0.5)), 1);
  EXPECT_EQ(image.at<cv::Vec3b>(10, 45), grey);

  cv::Mat opaque(40, 60, CV_8UC3, cv::Scalar(100, 100, 100));
  draw_mask(opaque, m, Affine2D{}, 1.0);
  EXPECT_EQ(colour_distance(opaque.at<cv::Vec3b>(10, 5), class_colour(1)), 0);
  cv::Mat hidden(40, 60, CV_8UC3, cv::Scalar(100, 100, 100));
  draw_mask(hidden, m, Affine2D{}, 0.0);
  EXPECT_EQ(cv::countNonZero(hidden.reshape(1) != 100), 0);
}

TEST(DrawMask, WarpedFromItsOwnGeometryExactlyToTheEdge) {
  // A 10x10 mask at half the picture's scale: mask column c covers picture columns 2c, 2c+1.
  cv::Mat image(20, 20, CV_8UC3, cv::Scalar::all(0));
  SegmentationMask m;
  m.mask = cv::Mat::zeros(10, 10, CV_32S);
  m.mask.colRange(0, 5).setTo(2);
  draw_mask(image, m, Affine2D::scale_translate(2, 2, 0, 0), 1.0);
  for (int y = 0; y < 20; ++y) {
    EXPECT_EQ(colour_distance(image.at<cv::Vec3b>(y, 9), class_colour(2)), 0) << y;
    EXPECT_EQ(image.at<cv::Vec3b>(y, 10), kBlack) << y;
  }
  // Shifted by 4 picture pixels: the class starts at column 4; outside the mask, nothing.
  cv::Mat shifted(20, 20, CV_8UC3, cv::Scalar::all(0));
  draw_mask(shifted, m, Affine2D::scale_translate(2, 2, 4, 0), 1.0);
  EXPECT_EQ(shifted.at<cv::Vec3b>(5, 3), kBlack);
  EXPECT_EQ(colour_distance(shifted.at<cv::Vec3b>(5, 4), class_colour(2)), 0);
  EXPECT_EQ(colour_distance(shifted.at<cv::Vec3b>(5, 13), class_colour(2)), 0);
  EXPECT_EQ(shifted.at<cv::Vec3b>(5, 14), kBlack);
}

TEST(DrawMask, ProbabilitiesScaleTheAlphaAndMultiChannelMasksUseTheArgMax) {
  cv::Mat image(10, 10, CV_8UC3, cv::Scalar::all(0));
  SegmentationMask p;
  p.mask = cv::Mat(10, 10, CV_32F, cv::Scalar(0.5));
  p.mask.colRange(5, 10).setTo(0);
  draw_mask(image, p, Affine2D{}, 1.0);
  EXPECT_LE(colour_distance(image.at<cv::Vec3b>(3, 2), blend(kBlack, class_colour(1), 0.5)), 1);
  EXPECT_EQ(image.at<cv::Vec3b>(3, 7), kBlack);

  cv::Mat scores(10, 10, CV_32FC3, cv::Scalar(0.1, 0.2, 0.7));  // class 2 everywhere...
  scores.colRange(0, 5).setTo(cv::Scalar(0.9, 0.05, 0.05));     // ...but background left
  cv::Mat picture(10, 10, CV_8UC3, cv::Scalar::all(0));
  draw_mask(picture, SegmentationMask{scores, {}}, Affine2D{}, 1.0);
  EXPECT_EQ(picture.at<cv::Vec3b>(3, 2), kBlack);
  EXPECT_EQ(colour_distance(picture.at<cv::Vec3b>(3, 7), class_colour(2)), 0);
}

TEST(ToBgr8, ConvertsEveryFormatIntoACopy) {
  cv::Mat bgr(2, 2, CV_8UC3, cv::Scalar(10, 20, 30));
  auto same = to_bgr8(Frame{bgr, PixelFormat::kBGR});
  ASSERT_TRUE(same.ok());
  EXPECT_NE(same->data, bgr.data);  // drawing never touches a shared frame
  EXPECT_EQ(same->at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));

  auto rgb = to_bgr8(Frame{bgr, PixelFormat::kRGB});
  EXPECT_EQ(rgb->at<cv::Vec3b>(0, 0), cv::Vec3b(30, 20, 10));
  auto grey = to_bgr8(Frame{cv::Mat(2, 2, CV_8U, cv::Scalar(7)), PixelFormat::kGRAY});
  EXPECT_EQ(grey->at<cv::Vec3b>(1, 1), cv::Vec3b(7, 7, 7));
  auto rgba = to_bgr8(Frame{cv::Mat(2, 2, CV_8UC4, cv::Scalar(1, 2, 3, 4)), PixelFormat::kRGBA});
  EXPECT_EQ(rgba->at<cv::Vec3b>(0, 0), cv::Vec3b(3, 2, 1));
  auto floating = to_bgr8(Frame{cv::Mat(2, 2, CV_32FC3, cv::Scalar(0, 0.5, 1)), PixelFormat::kBGR});
  EXPECT_EQ(floating->at<cv::Vec3b>(0, 0), cv::Vec3b(0, 128, 255));
  auto wide =
      to_bgr8(Frame{cv::Mat(2, 2, CV_16UC3, cv::Scalar(0, 256 * 100, 65535)), PixelFormat::kBGR});
  EXPECT_EQ(wide->at<cv::Vec3b>(0, 0), cv::Vec3b(0, 100, 255));

  EXPECT_FALSE(to_bgr8(Frame{}).ok());
  const auto wrong = to_bgr8(Frame{cv::Mat(2, 2, CV_8U), PixelFormat::kBGR});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "a BGR frame with 1 channels");
}

TEST(DrawEvents, LinesZonesAndEventDotsWhereTheTransformPutsThem) {
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  Events e;
  e.regions = {
      {.name = "", .points = {{10, 50}, {190, 50}}, .closed = false, .counts = {}},
      {.name = "", .points = {{20, 120}, {80, 120}, {80, 180}}, .closed = true, .counts = {}}};
  e.items = {{.kind = "line_crossing",
              .region = "",
              .direction = "in",
              .track_id = 1,
              .class_id = 0,
              .label = "",
              .point = {100, 50},
              .dwell_s = 0}};
  draw_events(image, e, Affine2D{}, thin_without_labels());
  const cv::Vec3b amber(0, 215, 255), sky(255, 200, 0);
  EXPECT_LT(colour_distance(image.at<cv::Vec3b>(50, 150), amber), 40);  // on the line
  EXPECT_EQ(image.at<cv::Vec3b>(60, 150), kBlack);                      // beside it
  EXPECT_LT(colour_distance(image.at<cv::Vec3b>(53, 100), amber), 40);  // the event's dot
  EXPECT_LT(colour_distance(image.at<cv::Vec3b>(150, 50), sky), 120);   // the closing edge
  EXPECT_EQ(image.at<cv::Vec3b>(140, 30), kBlack);                      // outside the zone
}

TEST(TrackTrails, ATracksPathIsDrawnBehindItAndForgottenOnceUnseen) {
  TrackTrails trails(5);
  const Style style = thin_without_labels();
  for (int64_t seq = 0; seq < 4; ++seq) {  // feet at (20 + 40 seq, 100)
    Detection d = detection({10.f + 40 * seq, 60, 20, 40}, 2, 0.9f, "");
    d.track_id = 8;
    trails.update(0, seq, Detections{{d, detection({0, 0, 10, 10}, 1)}});  // one untracked
  }
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  trails.draw(image, 0, Affine2D{}, style);
  EXPECT_NE(image.at<cv::Vec3b>(100, 80), kBlack);   // between the points of seq 1 and 2
  EXPECT_EQ(image.at<cv::Vec3b>(100, 180), kBlack);  // beyond the last point
  EXPECT_EQ(image.at<cv::Vec3b>(60, 80), kBlack);
  // Other streams have their own; after 5 frames unseen the track is forgotten.
  cv::Mat other(200, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  trails.draw(other, 1, Affine2D{}, style);
  EXPECT_EQ(cv::countNonZero(other.reshape(1)), 0);
  trails.update(0, 9, Detections{});
  cv::Mat later(200, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  trails.draw(later, 0, Affine2D{}, style);
  EXPECT_EQ(cv::countNonZero(later.reshape(1)), 0);
}

TEST(DrawInstanceMask, BlendsTheMaskWhereItsRectAndThePicturesGeometryPutIt) {
  cv::Mat image(40, 40, CV_8UC3, cv::Scalar(0, 0, 0));
  Detection d = detection({10, 10, 4, 2}, 0, 0.9f, "");
  d.mask_rect = cv::Rect(10, 10, 4, 2);
  d.mask = (cv::Mat_<uint8_t>(2, 4) << 255, 255, 0, 0, 255, 255, 0, 0);
  // The picture is the source frame scaled by 2: the mask's pixel (10, 10) covers (20..21).
  draw_instance_mask(image, d, Affine2D::scale_translate(2, 2, 0, 0), cv::Scalar(0, 0, 200), 0.5);
  EXPECT_EQ(image.at<cv::Vec3b>(20, 20), cv::Vec3b(0, 0, 100));  // half of the colour
  EXPECT_EQ(image.at<cv::Vec3b>(23, 23), cv::Vec3b(0, 0, 100));
  EXPECT_EQ(image.at<cv::Vec3b>(20, 24), kBlack);  // the mask's 0 half
  EXPECT_EQ(image.at<cv::Vec3b>(19, 20), kBlack);  // outside its rect
  EXPECT_EQ(cv::countNonZero(image.reshape(1)), 4 * 4);
}

TEST(DrawDetections, SeventeenKeypointsAreASkeletonWithoutTheUnsureOnes) {
  cv::Mat image(100, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  Detection d = detection({0, 0, 1, 1}, 0, 0.9f, "");
  d.landmarks.assign(17, cv::Point2f(90, 90));
  d.landmark_scores.assign(17, 0.9f);
  d.landmarks[5] = {20, 50};   // left shoulder
  d.landmarks[6] = {80, 50};   // right shoulder: the bone 5-6 crosses the middle
  d.landmarks[11] = {20, 10};  // left hip, unsure: neither it nor its bones are drawn
  d.landmark_scores[11] = 0.1f;
  draw_detections(image, Detections{{d}}, Affine2D{}, thin_without_labels());
  EXPECT_NE(image.at<cv::Vec3b>(50, 50), kBlack);  // on the shoulders' bone
  EXPECT_EQ(image.at<cv::Vec3b>(30, 20), kBlack);  // on the hip's bone 5-11: left out
  EXPECT_EQ(image.at<cv::Vec3b>(10, 20), kBlack);  // the unsure hip itself
}

}  // namespace
}  // namespace sluice::sinks
