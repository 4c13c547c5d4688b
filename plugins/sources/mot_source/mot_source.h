// Emits a MOTChallenge sequence's detections (det/det.txt) or ground truth (gt/gt.txt)
// as one Detections packet per frame, empty frames included, so that any public
// benchmark's detections can be tracked and scored (with mot_writer and
// scripts/mot_metrics.py).
//
//   [nodes.dets]
//   plugin = "mot_source"
//   path = "MOT17-09/det/det.txt"   # rows: frame, id, x, y, w, h, conf, ... (frames from 1)
//
// The sequence's length, frame rate and frame size come from its seqinfo.ini (found
// beside the file's folder, as MOTChallenge lays sequences out) when there is one. When
// the sequence's images are there (imDir), each packet carries its frame as the source
// frame, so annotating sinks draw on it; otherwise, with a known frame size, on a grey
// canvas.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::sources {

// What a seqinfo.ini says (0 or "" where it is silent).
struct MotSequenceInfo {
  std::string name;
  std::string image_folder;  // imDir, resolved against the ini's folder
  std::string image_ext = ".jpg";
  int64_t length = 0;
  double frame_rate = 0;
  int width = 0;
  int height = 0;
};

// Reads a seqinfo.ini; errors name the file and line.
Result<MotSequenceInfo> read_seqinfo(const std::string& path);

// The detections of each frame (index 0 is frame 1) of a MOTChallenge text file: x, y, w,
// h is the box (top-left, size), conf its score; id (when 0 or more) becomes the
// detection's track_id and the 8th column (when 0 or more) its class_id. Rows with conf 0
// are left out with `ignore_zero_conf` (a gt.txt's "not to be considered"). Errors name
// the file and line. `frames`: the sequence's length, 0 to take the last frame of the file.
Result<std::vector<Detections>> read_mot_file(const std::string& path, int64_t frames,
                                              bool ignore_zero_conf, const std::string& label);

class MotSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "mot_source",
      .kind = NodeKind::kSource,
      .description = "A MOTChallenge det.txt or gt.txt as one Detections packet per frame."};
  static constexpr Output<Detections> kOut{
      "out", "the frame's rows, in source-frame pixels (frame f has seq f - 1)"};
  static inline const Param<std::string> kPath{
      .name = "path",
      .description = "a MOTChallenge text file: frame, id, x, y, w, h, conf, ... per line",
      .required = true,
      .is_path = true};
  static inline const Param<std::string> kSeqinfo{
      .name = "seqinfo",
      .default_value = "",
      .description = "the sequence's seqinfo.ini; \"\": the one beside the file's folder, if any",
      .is_path = true};
  static inline const Param<int> kFrames{
      .name = "frames",
      .default_value = 0,
      .description = "frames in the sequence; 0: seqinfo.ini's seqLength, else the file's last",
      .min = 0,
      .max = 100000000};
  static inline const Param<double> kFps{
      .name = "fps",
      .default_value = 0.0,
      .description = "pts = seq / fps seconds; 0: seqinfo.ini's frameRate (else every pts is 0)",
      .min = 0.0,
      .max = 1e6};
  static inline const Param<bool> kIgnoreZeroConf{
      .name = "ignore_zero_conf",
      .default_value = true,
      .description = "leave out rows whose conf is 0 (a gt.txt's rows not to be considered)"};
  static inline const Param<std::string> kLabel{
      .name = "label", .default_value = "", .description = "the label of every detection"};
  static inline const Param<bool> kImages{
      .name = "images",
      .default_value = true,
      .description = "attach the sequence's images (seqinfo.ini's imDir) as source frames"};
  SLUICE_CONTRACT(kInfo, kOut, kPath, kSeqinfo, kFrames, kFps, kIgnoreZeroConf, kLabel, kImages);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  int64_t expected_frames() const override { return static_cast<int64_t>(frames_.size()); }

 private:
  Result<std::shared_ptr<const Frame>> frame_for(int64_t seq) const;

  std::vector<Detections> frames_;
  MotSequenceInfo info_;
  bool images_ = false;
  double fps_ = 0;
  std::shared_ptr<const Frame> canvas_;  // one grey picture, shared by every packet
  std::size_t next_ = 0;
};

}  // namespace sluice::sources
