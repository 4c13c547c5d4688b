// Writes a tracker's output in the MOTChallenge results format, one line per tracked
// detection: `frame, id, x, y, w, h, conf, -1, -1, -1` (frame = seq + 1), the file the
// MOTChallenge evaluation kit and scripts/mot_metrics.py score.
//
//   [nodes.results]
//   plugin = "mot_writer"
//   path = "out/MOT17-09.txt"      # "{stream}" in it: a file per stream
//
// Detections without a track id are left out and counted ("untracked"). A stream's file is
// complete once the stream has ended (written to a temporary name, renamed then), so a
// reader never scores half a sequence.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include "output_files.h"
#include "sluice/sluice.h"

namespace sluice::sinks {

class MotWriter final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "mot_writer",
      .kind = NodeKind::kSink,
      .description = "Tracked detections in the MOTChallenge results format."};
  static constexpr Input<Detections> kIn{"in", "detections with track ids (tracker)"};
  static inline const Param<std::string> kPath{
      .name = "path",
      .description = "the results file; \"{stream}\" in it is the stream id (a file per stream)",
      .required = true,
      .is_path = true};
  SLUICE_CONTRACT(kInfo, kIn, kPath);

  ~MotWriter() override;
  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status stream_ended(Context& ctx, const StreamEnd& end) override;
  Status close(Context& ctx) override;

 private:
  struct File {
    std::string path;  // the final name; written as path + ".part" until complete
    std::FILE* file = nullptr;
  };
  Status finish(File& f);

  std::string path_;
  OneStream one_stream_;
  std::map<uint32_t, File> files_;
};

}  // namespace sluice::sinks
