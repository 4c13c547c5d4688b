// Drawing a frame's results onto a picture: boxes with label, score, track id and
// second-stage classes, landmarks, the top whole-frame class, and a segmentation mask
// blended over it. Shared by the annotating sinks (video_writer, image_writer, display),
// which declare the same five optional input ports and style params, given here once.
//
// Geometry: detections and landmarks are in source-frame pixels; a mask is in the geometry
// of its own packet's transform. The picture drawn on is either the `frame` input (whose
// header.transform maps source-frame pixels onto it) or the packets' source frame. All
// coordinates are continuous pixel coordinates: pixel (0,0) spans [0,1) x [0,1).
#pragma once

#include <opencv2/core.hpp>

#include "sluice/sluice.h"

namespace sluice::sinks {

// The inputs of every annotating sink. All optional: the runtime matches the connected
// ones by stream and seq, and refuses a pipeline where none is connected.
inline constexpr Input<Frame> kFrame{
    .name = "frame",
    .description = "the picture to draw on; when unconnected, the packets' source frame",
    .required = false};
inline constexpr Input<Detections> kDetections{
    .name = "detections",
    .description = "boxes, labels, landmarks, track ids, second-stage classes",
    .required = false};
inline constexpr Input<Classifications> kClassifications{
    .name = "classifications",
    .description = "whole-frame classes; the top one is written on the picture",
    .required = false};
inline constexpr Input<SegmentationMask> kMask{
    .name = "mask",
    .description = "class ids or probabilities, blended over the picture",
    .required = false};
inline constexpr Input<Events> kEvents{
    .name = "events",
    .description = "lines and zones with their counts, and this frame's events (analytics)",
    .required = false};

// The style params of every annotating sink.
inline const Param<double> kMaskAlpha{.name = "mask_alpha",
                                      .default_value = 0.5,
                                      .description = "opacity of the mask overlay (0: hidden)",
                                      .min = 0.0,
                                      .max = 1.0};
inline const Param<int> kThickness{
    .name = "thickness",
    .default_value = 0,
    .description = "box line width in pixels; 0: from the picture size",
    .min = 0,
    .max = 64};
inline const Param<double> kFontScale{
    .name = "font_scale",
    .default_value = 0.0,
    .description = "text size (OpenCV font scale); 0: from the picture size",
    .min = 0.0,
    .max = 20.0};
inline const Param<bool> kLabels{
    .name = "labels",
    .default_value = true,
    .description = "write label, score, track id and second-stage class beside each box"};

struct Style {
  double mask_alpha = 0.5;
  int thickness = 0;        // 0: from the picture size
  double font_scale = 0.0;  // 0: from the picture size
  bool labels = true;
};
Style style_from(const Params& params);

// The width of box lines on `image`: style.thickness, or from the picture's size.
int line_width(const cv::Mat& image, const Style& style);

// A stable, distinct colour (BGR) per class id; ids below 0 get white.
cv::Scalar class_colour(int class_id);

// A BGR 8-bit copy of a frame, whatever its pixel format; 16-bit pictures are scaled by
// 1/256 and floating-point ones (taken as 0..1) by 255.
Result<cv::Mat> to_bgr8(const Frame& frame);

// Blends `mask` over `image` (BGR 8-bit). `mask_to_image` maps mask pixels onto image
// pixels. Class ids (integer masks, or the arg-max of a multi-channel float mask): each
// class above 0 in its colour at `alpha`; class 0 is background, left as it is.
// Probabilities (single-channel float): class 1's colour at alpha * probability.
void draw_mask(cv::Mat& image, const SegmentationMask& mask, const Affine2D& mask_to_image,
               double alpha);

// Blends a detection's instance mask over `image` in `colour` at `alpha`.
void draw_instance_mask(cv::Mat& image, const Detection& d, const Affine2D& to_image,
                        const cv::Scalar& colour, double alpha);

// Draws instance masks, boxes (a quadrilateral under a rotating transform), landmarks (17
// of them: COCO's body keypoints joined as a skeleton; those scoring under 0.3 left out) and, with
// style.labels, the text "#track label score" and the top second-stage class.
// `to_image` maps source-frame pixels onto image pixels.
void draw_detections(cv::Mat& image, const Detections& detections, const Affine2D& to_image,
                     const Style& style);

// Draws lines and zones (closed) with their names and total counts ("door  in 3  out 2"),
// and a dot where each of this frame's events happened.
void draw_events(cv::Mat& image, const Events& events, const Affine2D& to_image,
                 const Style& style);

// Writes the top class and its score in the picture's top-left corner.
void draw_classifications(cv::Mat& image, const Classifications& classifications,
                          const Style& style);

// One input set of an annotating sink, drawn: picks the picture (the `frame` input, else
// the source frame of the first connected packet that has one), copies it to BGR 8-bit
// and draws mask, events' regions, detections and classification on it, in that order.
// `to_image`, when given, gets the map from source-frame pixels onto the picture.
Result<cv::Mat> render(const Context& ctx, const Style& style, Affine2D* to_image = nullptr);

}  // namespace sluice::sinks
