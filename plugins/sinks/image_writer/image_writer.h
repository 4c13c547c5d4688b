// Writes each input set's annotated picture (boxes, labels, landmarks, track ids, class,
// mask drawn on the `frame` input, else on the source frame) as an image file in a folder.
//
//   [nodes.shots]
//   plugin = "image_writer"
//   dir = "out/frames"             # created when missing
//   pattern = "{stream}_{seq}"     # {seq} is zero-padded to 6 digits, so names sort
//   format = "jpg"                 # or "png"
//   jpeg_quality = 90
//
// Placeholders in `pattern`: {stream}, {seq}, {sub} (the part of a frame split into
// sub-packets, e.g. one crop per detection; empty for whole frames). Without {seq} each
// frame replaces the last (a live snapshot). Without {stream} the node writes the first
// stream it sees and fails, naming itself, when another arrives; sub-packets need {sub}
// likewise. Files appear whole (written beside, then renamed), so a viewer never reads
// half an image.
#pragma once

#include <string>
#include <vector>

#include "annotate.h"
#include "output_files.h"
#include "sluice/sluice.h"

namespace sluice::sinks {

class ImageWriter final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "image_writer", NodeKind::kSink,
      "Writes annotated pictures (boxes, labels, landmarks, class, mask) into a folder."};
  static inline const Param<std::string> kDir{.name = "dir",
                                              .default_value = "",
                                              .description = "folder for the images; created",
                                              .required = true,
                                              .is_path = true};
  static inline const Param<std::string> kPattern{
      .name = "pattern",
      .default_value = "{stream}_{seq}",
      .description = "file name without extension; {stream}, {seq} (6 digits), {sub}"};
  static inline const Param<std::string> kFormat{.name = "format",
                                                 .default_value = "png",
                                                 .description = "image format",
                                                 .choices = {"png", "jpg"}};
  static inline const Param<int> kJpegQuality{.name = "jpeg_quality",
                                              .default_value = 95,
                                              .description = "JPEG quality (format = \"jpg\")",
                                              .min = 0,
                                              .max = 100};
  SLUICE_CONTRACT(kInfo, sinks::kFrame, sinks::kDetections, sinks::kClassifications, sinks::kMask,
                  sinks::kEvents, kDir, kPattern, kFormat, kJpegQuality, sinks::kMaskAlpha,
                  sinks::kThickness, sinks::kFontScale, sinks::kLabels);

  Status open(const Params& params) override;
  Status process(Context& ctx) override;

 private:
  std::string dir_;
  std::string pattern_;
  std::string ext_;
  std::vector<int> encode_params_;
  sinks::Style style_;
  OneStream one_stream_;
};

}  // namespace sluice::sinks
