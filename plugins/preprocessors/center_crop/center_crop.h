// Crops the centre of frames to size = [W, H], exactly as torchvision's CenterCrop does:
// top = round((H_in - H) / 2), left = round((W_in - W) / 2) with Python's round (halves
// to even). A crop larger than the frame is an error, or with pad = true the frame is
// padded first as torchvision does (the odd pixel right/bottom). Records the offset.
//
//   [nodes.crop]
//   plugin = "center_crop"
//   size = [224, 224]        # or [224]
//   pad = false
#pragma once

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "preproc.h"
#include "sluice/sluice.h"

namespace sluice::preprocessors {

class CenterCrop final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "center_crop",
                                  .kind = NodeKind::kPreprocessor,
                                  .description =
                                      "Crops the centre of frames to size = [W, H] (torchvision "
                                      "CenterCrop).",
                                  .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Frame> kOut{
      "out",
      "W x H frames (views of the input's pixels unless padded); transform records "
      "the offset"};
  static inline const Param<std::vector<int>> kSize{
      .name = "size",
      .description = "crop [width, height], or [side] for a square",
      .min = 1,
      .max = 16384,
      .required = true};
  static inline const Param<bool> kPad{
      .name = "pad",
      .default_value = false,
      .description =
          "pad frames smaller than size (as torchvision); false: such a frame is an "
          "error"};
  static inline const Param<double> kPadValue{.name = "pad_value",
                                              .default_value = 0.0,
                                              .description = "value of every padded channel",
                                              .min = 0.0,
                                              .max = 65535.0};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kSize, kPad, kPadValue);

  Status open(const Params& p) override;

  Status process(Context& ctx) override;

 private:
  // One axis of the crop: which input pixels it keeps, and the padding around them.
  struct Axis {
    int first = 0, length = 0, pad_before = 0, pad_after = 0;
  };
  // torchvision's center_crop on one axis: pad (crop - in) // 2 before and the rest after
  // when the crop is larger; else start at round((in - crop) / 2).
  static Axis axis(int in, int crop);

  cv::Size size_;
  bool pad_ = false;
  double pad_value_ = 0;
};

}  // namespace sluice::preprocessors
