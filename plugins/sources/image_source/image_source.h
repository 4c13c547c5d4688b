// Emits the images of a file, a folder or a glob pattern, in sorted order, as BGR frames.
//
//   [nodes.photos]
//   plugin = "image_source"
//   path = "media/*.jpg"    # a file, a folder (its files, not sub-folders) or a glob
//   fps = 0                 # pts = seq / fps seconds; 0: every pts is 0
//   loop = false
//   on_error = "skip"       # optional: a file that is not a readable image is counted
//                           # and skipped instead of failing the run
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image_file.h"  // read_image, for the tests
#include "sluice/sluice.h"

namespace sluice::sources {

class ImageSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "image_source", NodeKind::kSource,
      "Images of a file, a folder or a glob pattern, in sorted order, as BGR frames."};
  static constexpr Output<Frame> kOut{"out", "BGR frames, one per image"};
  static inline const Param<std::string> kPath{
      .name = "path",
      .description =
          "an image file, a folder (its files, sorted; hidden files and "
          "sub-folders left out) or a glob pattern such as \"media/*.jpg\"",
      .required = true,
      .is_path = true};
  static inline const Param<bool> kLoop{
      .name = "loop",
      .default_value = false,
      .description = "start again after the last image (seq keeps counting)"};
  static inline const Param<double> kFps{
      .name = "fps",
      .default_value = 0.0,
      .description = "timestamps: frame seq gets pts = seq / fps seconds; 0: every pts is 0",
      .min = 0.0,
      .max = 1e6};
  SLUICE_CONTRACT(kInfo, kOut, kPath, kLoop, kFps);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  int64_t expected_frames() const override;

 private:
  std::vector<std::string> files_;
  bool loop_ = false;
  double fps_ = 0;
  int64_t seq_ = 0;  // also counts files that failed: a skipped file leaves a gap in seq
};

// The files `path` names (a file, a folder's files, or a glob's matches), sorted; an
// error when there are none.
Result<std::vector<std::string>> list_image_files(const std::string& path);

}  // namespace sluice::sources
