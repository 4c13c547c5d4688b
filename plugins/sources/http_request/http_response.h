// Answers the requests of http_request (this library's source) with their results: the
// JSON record jsonl_sink would write for the frame (detections, classifications, mask
// summary, values, embedding, events), as soon as it arrives here, plus timings:
//
//   {"stream":7,"seq":0,"pts_us":1520400,"frame_size":[640,480],
//    "detections":[{"box":{"x":10.5,"y":20,"w":30,"h":40},"score":0.91,"class_id":0,...}],
//    "timings":{"queued_ms":0.4,"pipeline_ms":31.2,"total_ms":31.9}}
//
// queued_ms: from receipt to entering the pipeline; pipeline_ms: from there to here;
// total_ms: both, up to the answer. A frame that never arrives (dropped on the way) is
// answered 500 by http_request once its stream is done; a second input set for the same
// request (a pipeline that splits a frame and does not join it again) is counted
// ("extra_results"), not sent. With only `frame` connected the answer is the frame's size
// and the timings: what serving costs, without a model.
//
//   [nodes.answer]
//   plugin = "http_response"
//
//   links = ["request -> rgb -> ... -> model -> boxes -> answer.detections"]
#pragma once

#include "sluice/sluice.h"

namespace sluice::sources {

class HttpResponse final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "http_response", NodeKind::kSink,
      "Answers http_request's requests with their results (jsonl_sink's record, as JSON)."};
  static constexpr Input<Frame> kFrame{
      .name = "frame",
      .description = "the frame itself, for an answer of its size and timings alone",
      .required = false};
  static constexpr Input<Detections> kDetections{
      .name = "detections", .description = "detections to answer with", .required = false};
  static constexpr Input<Classifications> kClassifications{
      .name = "classifications",
      .description = "classifications to answer with",
      .required = false};
  static constexpr Input<SegmentationMask> kMask{
      .name = "mask",
      .description = "a mask, answered as its size and the share of each class",
      .required = false};
  static constexpr Input<Values> kValues{
      .name = "values", .description = "named numbers to answer with", .required = false};
  static constexpr Input<Embedding> kEmbedding{
      .name = "embedding", .description = "an embedding to answer with", .required = false};
  static constexpr Input<Events> kEvents{
      .name = "events", .description = "analytics events to answer with", .required = false};
  static inline const Param<bool> kMaskRle{
      .name = "mask_rle",
      .default_value = false,
      .description = "also answer each mask class's pixels as COCO run-length encoding"};
  SLUICE_CONTRACT(kInfo, kFrame, kDetections, kClassifications, kMask, kValues, kEmbedding, kEvents,
                  kMaskRle);

  Status open(const Params& params) override;
  Status process(Context& ctx) override;

 private:
  bool mask_rle_ = false;
};

}  // namespace sluice::sources
