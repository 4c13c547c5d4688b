// Writes one JSON object per input set (JSON Lines): stream, seq, pts and the detections,
// classifications and mask summary received. Each line is written and flushed on its own,
// so a killed run loses at most its last line. Every stream goes to the one file; each
// line names its stream.
//
//   [nodes.log]
//   plugin = "jsonl_sink"
//   path = "out/detections.jsonl"
//   append = false
//
// A line (keys only for the connected inputs; landmarks, track_id, classes, sub_index and
// frame_size only when there is something to say):
//   {"stream":0,"seq":12,"pts_us":480000,"frame_size":[768,576],
//    "detections":[{"box":{"x":10.5,"y":20,"w":30,"h":40},"score":0.91,"class_id":0,
//                   "label":"person","landmarks":[[12,25],[30,25]],"track_id":3,
//                   "classes":[{"class_id":2,"score":0.8,"label":"smile"}]}],
//    "classifications":[{"class_id":281,"score":0.62,"label":"tabby"}],
//    "mask":{"width":256,"height":256,"kind":"class_ids",
//            "classes":[{"class_id":0,"pixels":50000,"fraction":0.763},
//                       {"class_id":1,"label":"person","pixels":15536,"fraction":0.237}]}}
// Named numbers (the values input, or a detection's own from a regression on its crop)
// are an object: "values":{"age":31.5,"female":0.92}. A detection with an instance mask has
// "mask":{"rect":[x,y,w,h],"pixels":N,"rle":[...]} (run lengths over the rect, row-major, the first
// outside the object); one with keypoint scores, "landmark_scores":[...]. A tracked detection also
// has "velocity":[vx,vy] (source pixels per frame). With the events input connected, every line has
// "events" (this frame's, often []); a line with any also has "counts", each region's counts so far
// ("what" or "what:label"):
//   "events":[{"kind":"line_crossing","region":"door","direction":"in","track_id":3,
//              "class_id":0,"label":"person","point":[144,301.5]}],
//   "counts":{"door":{"in":4,"in:person":4,"out":2,"out:person":2}}
// (zone_exit events also carry "dwell_s"). An embedding (the embedding input, or a detection's
// own from attach_embeddings) is a list: "embedding":[0.031,-0.12,...]. A frame read from a
// file of its own (image_source) names it: "source":"gallery/alice/1.jpg".
// With mask_rle = true each class also carries its pixels as COCO's uncompressed RLE
// ("rle":{"size":[height,width],"counts":[...]}: run lengths in column-major order,
// starting with a run of pixels outside the class), which pycocotools and the COCO tools
// decode; a probability mask's classes are its pixels below 0.5 (0) and at or above (1).
//
// With stream_records = true a stream's start and end get a line each, in order with its
// frames, so that a reader knows when a stream is complete while the run goes on:
//   {"stream":3,"event":"start"}
//   {"stream":3,"event":"end","reason":"removed","lines":1520}
// (reason: "end", "removed", "stopped" or "failed: why"; lines: frame lines written for
// the stream).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "result_ports.h"
#include "sluice/sluice.h"

namespace sluice::sinks {

class JsonlSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "jsonl_sink", NodeKind::kSink,
      "Writes one JSON object per frame (detections, classes, mask summary), a line each."};
  static constexpr Input<Detections> kDetections = result_ports::kDetections;
  static constexpr Input<Classifications> kClassifications = result_ports::kClassifications;
  static constexpr Input<SegmentationMask> kMask = result_ports::kMask;
  static constexpr Input<Values> kValues = result_ports::kValues;
  static constexpr Input<Embedding> kEmbedding = result_ports::kEmbedding;
  static constexpr Input<Events> kEvents = result_ports::kEvents;
  static inline const Param<std::string> kPath{.name = "path",
                                               .default_value = "",
                                               .description = "the .jsonl file to write",
                                               .required = true,
                                               .is_path = true};
  static inline const Param<bool> kAppend{
      .name = "append",
      .default_value = false,
      .description = "add to the end of an existing file instead of replacing it"};
  static inline const Param<bool> kMaskRle{
      .name = "mask_rle",
      .default_value = false,
      .description = "also write each mask class's pixels as COCO run-length encoding"};
  static inline const Param<bool> kStreamRecords{
      .name = "stream_records",
      .default_value = false,
      .description = "also write a line when a stream starts and when it ends"};
  SLUICE_CONTRACT(kInfo, kDetections, kClassifications, kMask, kValues, kEmbedding, kEvents, kPath,
                  kAppend, kMaskRle, kStreamRecords);

  JsonlSink() = default;
  JsonlSink(const JsonlSink&) = delete;
  JsonlSink& operator=(const JsonlSink&) = delete;
  ~JsonlSink() override;

  Status open(const Params& params) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;
  Status stream_started(Context& ctx, uint32_t stream_id) override;
  Status stream_ended(Context& ctx, const StreamEnd& end) override;

 private:
  Status write_line(const std::string& text);

  std::string path_;
  std::FILE* file_ = nullptr;
  bool mask_rle_ = false;
  bool stream_records_ = false;
  std::map<uint32_t, int64_t> lines_;  // frame lines written per open stream
};

}  // namespace sluice::sinks
