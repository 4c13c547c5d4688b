#include "annotate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace sluice::sinks {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// Tableau's 20 colours (as RGB, the way they are usually written): distinct from one
// another and readable under white or black text.
constexpr std::array<std::array<int, 3>, 20> kPaletteRgb{{
    {31, 119, 180},  {255, 127, 14},  {44, 160, 44},   {214, 39, 40},   {148, 103, 189},
    {140, 86, 75},   {227, 119, 194}, {127, 127, 127}, {188, 189, 34},  {23, 190, 207},
    {174, 199, 232}, {255, 187, 120}, {152, 223, 138}, {255, 152, 150}, {197, 176, 213},
    {196, 156, 148}, {247, 182, 210}, {199, 199, 199}, {219, 219, 141}, {158, 218, 229},
}};

double font_scale(const cv::Mat& image, const Style& style) {
  if (style.font_scale > 0) return style.font_scale;
  return std::max(0.35, std::max(image.cols, image.rows) / 1400.0);
}
int text_width(double scale) { return std::max(1, static_cast<int>(std::lround(scale * 1.5))); }

// Black text on light backgrounds, white on dark ones.
cv::Scalar text_colour(const cv::Scalar& bg) {
  const double luma = 0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2];
  return luma > 140 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
}

cv::Size label_size(const std::string& text, double scale) {
  int baseline = 0;
  const cv::Size t = cv::getTextSize(text, kFont, scale, text_width(scale), &baseline);
  const int pad = std::max(1, t.height / 4);
  return {t.width + 2 * pad, t.height + baseline + 2 * pad};
}

// Text on a filled box whose top-left is `tl`, moved inside the picture; returns the box.
cv::Rect put_label(cv::Mat& image, const std::string& text, cv::Point tl, const cv::Scalar& bg,
                   double scale) {
  int baseline = 0;
  const int width = text_width(scale);
  const cv::Size t = cv::getTextSize(text, kFont, scale, width, &baseline);
  const int pad = std::max(1, t.height / 4);
  cv::Rect box(tl, cv::Size(t.width + 2 * pad, t.height + baseline + 2 * pad));
  box.x = std::clamp(box.x, 0, std::max(0, image.cols - box.width));
  box.y = std::clamp(box.y, 0, std::max(0, image.rows - box.height));
  cv::rectangle(image, box, bg, cv::FILLED);
  cv::putText(image, text, {box.x + pad, box.y + pad + t.height}, kFont, scale, text_colour(bg),
              width, cv::LINE_AA);
  return box;
}

std::string score_text(float score) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", static_cast<double>(score));
  return buffer;
}

std::string class_text(const Classification& c) {
  const std::string name =
      !c.label.empty() ? c.label : (c.class_id >= 0 ? "class " + std::to_string(c.class_id) : "");
  return name.empty() ? score_text(c.score) : name + " " + score_text(c.score);
}

cv::Point rounded(cv::Point2f p) {
  return {static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y))};
}

// Class ids of a mask (integer, or the per-pixel arg-max of a multi-channel float mask)
// as 8-bit palette slots: 0 for background (ids <= 0), else 1 + id % palette size. Done at
// the mask's own resolution, usually well below the picture's.
cv::Mat palette_slots(const cv::Mat& mask) {
  cv::Mat ids;
  if (mask.depth() == CV_32F || mask.depth() == CV_64F) {
    cv::Mat m;
    mask.convertTo(m, CV_32F);
    ids.create(m.rows, m.cols, CV_32S);
    const int n = m.channels();
    for (int y = 0; y < m.rows; ++y) {
      const float* in = m.ptr<float>(y);
      int* out = ids.ptr<int>(y);
      for (int x = 0; x < m.cols; ++x, in += n)
        out[x] = static_cast<int>(std::max_element(in, in + n) - in);
    }
  } else {
    cv::Mat single = mask;
    if (mask.channels() > 1) cv::extractChannel(mask, single, 0);
    single.convertTo(ids, CV_32S);
  }
  cv::Mat slots(ids.size(), CV_8U);
  const int n = static_cast<int>(kPaletteRgb.size());
  for (int y = 0; y < ids.rows; ++y) {
    const int* in = ids.ptr<int>(y);
    auto* out = slots.ptr<uchar>(y);
    for (int x = 0; x < ids.cols; ++x) out[x] = in[x] <= 0 ? 0 : static_cast<uchar>(1 + in[x] % n);
  }
  return slots;
}

// `plane` resampled onto a picture of `size` through `t` (plane pixels -> picture pixels);
// outside the plane: 0, i.e. background.
cv::Mat warp_onto(const cv::Mat& plane, const Affine2D& t, cv::Size size, int interpolation) {
  if (t.is_identity() && plane.size() == size) return plane;
  // warpAffine puts pixel centres at integers; our transforms put them at +0.5.
  const cv::Mat m = (cv::Mat_<double>(2, 3) << t.a, t.b, 0.5 * (t.a + t.b) + t.c - 0.5, t.d, t.e,
                     0.5 * (t.d + t.e) + t.f - 0.5);
  cv::Mat out;
  cv::warpAffine(plane, out, m, size, interpolation, cv::BORDER_CONSTANT, cv::Scalar(0));
  return out;
}

}  // namespace

// COCO's 17 body keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips, knees,
// ankles; left before right) and the bones between them, as COCO's skeleton joins them.
constexpr std::size_t kCocoKeypoints = 17;
constexpr std::pair<int, int> kCocoSkeleton[] = {
    {15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12}, {5, 6}, {5, 7}, {6, 8},
    {7, 9},   {8, 10},  {1, 2},   {0, 1},   {0, 2},   {1, 3},  {2, 4},  {3, 5}, {4, 6}};
// Keypoints scoring less are not drawn, nor their bones.
constexpr float kKeypointMinScore = 0.3f;

int line_width(const cv::Mat& image, const Style& style) {
  if (style.thickness > 0) return style.thickness;
  return std::max(1, static_cast<int>(std::lround(std::max(image.cols, image.rows) / 400.0)));
}

Style style_from(const Params& params) {
  Style s;
  s.mask_alpha = params.get(kMaskAlpha);
  s.thickness = params.get(kThickness);
  s.font_scale = params.get(kFontScale);
  s.labels = params.get(kLabels);
  return s;
}

cv::Scalar class_colour(int class_id) {
  if (class_id < 0) return {255, 255, 255};
  const auto& rgb = kPaletteRgb[static_cast<std::size_t>(class_id) % kPaletteRgb.size()];
  return {static_cast<double>(rgb[2]), static_cast<double>(rgb[1]), static_cast<double>(rgb[0])};
}

Result<cv::Mat> to_bgr8(const Frame& frame) {
  const cv::Mat& src = frame.image;
  if (src.empty()) return invalid_argument("the frame to draw on is empty");
  cv::Mat eight;
  switch (src.depth()) {
    case CV_8U:
      eight = src;
      break;
    case CV_16U:
      src.convertTo(eight, CV_8U, 1.0 / 256);
      break;
    case CV_32F:
    case CV_64F:
      src.convertTo(eight, CV_8U, 255.0);
      break;
    default:
      return invalid_argument("cannot draw on a frame of OpenCV depth " +
                              std::to_string(src.depth()) + " (8U, 16U, 32F or 64F only)");
  }
  int channels = 3;
  int code = -1;  // cvtColor code; -1: already BGR
  switch (frame.format) {
    case PixelFormat::kBGR:
      break;
    case PixelFormat::kRGB:
      code = cv::COLOR_RGB2BGR;
      break;
    case PixelFormat::kGRAY:
      channels = 1;
      code = cv::COLOR_GRAY2BGR;
      break;
    case PixelFormat::kBGRA:
      channels = 4;
      code = cv::COLOR_BGRA2BGR;
      break;
    case PixelFormat::kRGBA:
      channels = 4;
      code = cv::COLOR_RGBA2BGR;
      break;
  }
  if (eight.channels() != channels)
    return invalid_argument(std::string("a ") + to_string(frame.format) + " frame with " +
                            std::to_string(eight.channels()) + " channels");
  cv::Mat out;
  if (code >= 0)
    cv::cvtColor(eight, out, code);
  else
    out = eight.data == src.data ? eight.clone() : eight;  // never draw on a shared frame
  return out;
}

void draw_mask(cv::Mat& image, const SegmentationMask& mask, const Affine2D& mask_to_image,
               double alpha) {
  if (mask.mask.empty() || image.empty() || alpha <= 0) return;
  // Planes are made at the mask's resolution (usually well below the picture's), warped
  // onto the picture, then blended in 8-bit integer arithmetic: this runs on every frame
  // of a video, so no per-pixel floating point over the whole picture.
  const bool probabilities =
      (mask.mask.depth() == CV_32F || mask.mask.depth() == CV_64F) && mask.mask.channels() == 1;
  cv::Mat weights, slots;  // per picture pixel: 0..255 opacity; palette slot (ids only)
  if (probabilities) {
    cv::Mat w;
    mask.mask.convertTo(w, CV_8U, 255.0 * alpha);  // saturating: p is clamped to 0..1
    weights = warp_onto(w, mask_to_image, image.size(), cv::INTER_LINEAR);
  } else {
    slots = warp_onto(palette_slots(mask.mask), mask_to_image, image.size(), cv::INTER_NEAREST);
  }
  const auto opacity = static_cast<unsigned>(std::lround(alpha * 255));
  std::array<cv::Vec3b, 256> colour{};  // by palette slot; probabilities use class 1's
  for (std::size_t k = 0; k < kPaletteRgb.size(); ++k)
    colour[k + 1] = {static_cast<uchar>(kPaletteRgb[k][2]), static_cast<uchar>(kPaletteRgb[k][1]),
                     static_cast<uchar>(kPaletteRgb[k][0])};
  const cv::Vec3b& class1 = colour[1 + 1 % kPaletteRgb.size()];

  for (int y = 0; y < image.rows; ++y) {
    const uchar* w = probabilities ? weights.ptr<uchar>(y) : nullptr;
    const uchar* slot = probabilities ? nullptr : slots.ptr<uchar>(y);
    auto* px = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      const unsigned a = probabilities ? w[x] : (slot[x] ? opacity : 0);
      if (a == 0) continue;
      const cv::Vec3b& c = probabilities ? class1 : colour[slot[x]];
      for (int k = 0; k < 3; ++k)
        px[x][k] = static_cast<uchar>((px[x][k] * (255 - a) + c[k] * a + 127) / 255);
    }
  }
}

void draw_instance_mask(cv::Mat& image, const Detection& d, const Affine2D& to_image,
                        const cv::Scalar& colour, double alpha) {
  // The mask's pixels onto the picture: its rect's offset, then the picture's geometry;
  // only the part of the picture the mapped rect covers is touched.
  const Affine2D m = Affine2D::scale_translate(1, 1, d.mask_rect.x, d.mask_rect.y).then(to_image);
  std::vector<cv::Point2f> corners;
  for (const cv::Point2f c : {cv::Point2f(0, 0), cv::Point2f(d.mask.cols, 0),
                              cv::Point2f(d.mask.cols, d.mask.rows), cv::Point2f(0, d.mask.rows)})
    corners.push_back(m.apply(c));
  const cv::Rect roi = cv::boundingRect(corners) & cv::Rect(0, 0, image.cols, image.rows);
  if (roi.empty()) return;
  cv::Mat on_roi;
  // Pixel indices to pixel centres and back (+0.5, then -0.5), so that nearest sampling
  // picks the mask pixel under each picture pixel's centre.
  const Affine2D to_roi = Affine2D::scale_translate(1, 1, 0.5, 0.5)
                              .then(m)
                              .then(Affine2D::scale_translate(1, 1, -roi.x - 0.5, -roi.y - 0.5));
  cv::warpAffine(d.mask, on_roi,
                 cv::Matx23d(to_roi.a, to_roi.b, to_roi.c, to_roi.d, to_roi.e, to_roi.f),
                 roi.size(), cv::INTER_NEAREST);
  cv::Mat part = image(roi), blended;
  cv::addWeighted(part, 1 - alpha, cv::Mat(roi.size(), image.type(), colour), alpha, 0, blended);
  blended.copyTo(part, on_roi);
}

void draw_detections(cv::Mat& image, const Detections& detections, const Affine2D& to_image,
                     const Style& style) {
  const int width = line_width(image, style);
  const double scale = font_scale(image, style);
  const int radius = std::max(2, width + 1);
  for (const Detection& d : detections.items) {
    const cv::Scalar colour = class_colour(d.class_id);
    if (!d.mask.empty()) draw_instance_mask(image, d, to_image, colour, style.mask_alpha);
    const cv::Rect2f& b = d.box;
    const std::vector<cv::Point> corners{rounded(to_image.apply({b.x, b.y})),
                                         rounded(to_image.apply({b.x + b.width, b.y})),
                                         rounded(to_image.apply({b.x + b.width, b.y + b.height})),
                                         rounded(to_image.apply({b.x, b.y + b.height}))};
    cv::polylines(image, corners, true, colour, width, cv::LINE_8);
    // 17 landmarks are COCO's body keypoints (pose models): joined as a skeleton, leaving
    // out keypoints the model is unsure of.
    if (d.landmarks.size() == kCocoKeypoints)
      for (const auto& [a, b] : kCocoSkeleton) {
        if (!d.landmark_scores.empty() &&
            (d.landmark_scores[a] < kKeypointMinScore || d.landmark_scores[b] < kKeypointMinScore))
          continue;
        cv::line(image, rounded(to_image.apply(d.landmarks[a])),
                 rounded(to_image.apply(d.landmarks[b])), colour, width, cv::LINE_AA);
      }
    // A dark rim keeps landmarks visible on a box of the same colour.
    for (std::size_t i = 0; i < d.landmarks.size(); ++i) {
      const cv::Point2f& p = d.landmarks[i];
      if (i < d.landmark_scores.size() && d.landmark_scores[i] < kKeypointMinScore) continue;
      const cv::Point at = rounded(to_image.apply(p));
      cv::circle(image, at, radius + 1, cv::Scalar(0, 0, 0), cv::FILLED, cv::LINE_AA);
      cv::circle(image, at, radius, colour, cv::FILLED, cv::LINE_AA);
    }
    if (!style.labels) continue;

    std::string text = d.track_id >= 0 ? "#" + std::to_string(d.track_id) + " " : "";
    text += class_text({d.class_id, d.score, d.label});
    cv::Point top_left = corners[0];
    for (const cv::Point& c : corners)
      top_left = {std::min(top_left.x, c.x), std::min(top_left.y, c.y)};
    // Above the box; put_label moves it inside when the box touches the top edge.
    const cv::Rect first = put_label(
        image, text, {top_left.x - width / 2, top_left.y - label_size(text, scale).height}, colour,
        scale);
    if (!d.classes.empty()) {
      const Classification& c = d.classes.front();
      put_label(image, class_text(c), {first.x, first.y + first.height}, class_colour(c.class_id),
                scale);
    }
  }
}

void draw_events(cv::Mat& image, const Events& events, const Affine2D& to_image,
                 const Style& style) {
  const int width = line_width(image, style);
  const double scale = font_scale(image, style);
  const cv::Scalar line_colour(0, 215, 255), zone_colour(255, 200, 0);  // amber, sky blue
  for (const Region& r : events.regions) {
    if (r.points.empty()) continue;
    std::vector<cv::Point> points;
    for (const cv::Point2f& p : r.points) points.push_back(rounded(to_image.apply(p)));
    const cv::Scalar colour = r.closed ? zone_colour : line_colour;
    cv::polylines(image, points, r.closed, colour, width + 1, cv::LINE_AA);
    std::string text = r.name;
    for (const RegionCount& c : r.counts)
      if (c.label.empty()) text += "  " + c.what + " " + std::to_string(c.value);
    put_label(image, text, points[0], colour, scale);
  }
  const int radius = std::max(4, 3 * width);
  for (const Event& e : events.items)
    cv::circle(image, rounded(to_image.apply(e.point)), radius,
               e.kind == "line_crossing" ? line_colour : zone_colour, cv::FILLED, cv::LINE_AA);
}

void draw_classifications(cv::Mat& image, const Classifications& classifications,
                          const Style& style) {
  if (classifications.top.empty()) return;
  const Classification& c = classifications.top.front();
  const int margin = line_width(image, style);
  put_label(image, class_text(c), {margin, margin}, class_colour(c.class_id),
            font_scale(image, style));
}

Result<cv::Mat> render(const Context& ctx, const Style& style, Affine2D* to_image_out) {
  const Packet& frame_packet = ctx.packet(kFrame);
  const Packet& detections = ctx.packet(kDetections);
  const Packet& classifications = ctx.packet(kClassifications);
  const Packet& mask = ctx.packet(kMask);
  const Packet& events = ctx.packet(kEvents);

  const Frame* picture = nullptr;
  Affine2D to_image;  // identity: the source frame itself
  if (!frame_packet.empty()) {
    picture = frame_packet.get_if<Frame>();
    to_image = frame_packet.header().transform;
  } else {
    for (const Packet* p : {&detections, &classifications, &mask, &events})
      if (!p->empty() && p->header().source_frame) {
        picture = p->header().source_frame.get();
        break;
      }
  }
  if (!picture)
    return invalid_argument(
        "no picture to draw on: connect the 'frame' input, or feed packets that carry their "
        "source frame");
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, to_bgr8(*picture));

  if (const auto* m = mask.get_if<SegmentationMask>())
    draw_mask(image, *m, mask.header().transform.inverse().then(to_image), style.mask_alpha);
  if (const auto* e = events.get_if<Events>()) draw_events(image, *e, to_image, style);
  if (const auto* d = detections.get_if<Detections>()) draw_detections(image, *d, to_image, style);
  if (const auto* c = classifications.get_if<Classifications>())
    draw_classifications(image, *c, style);
  if (to_image_out) *to_image_out = to_image;
  return image;
}

}  // namespace sluice::sinks
