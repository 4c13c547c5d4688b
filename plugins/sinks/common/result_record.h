// The JSON record of one input set's results: what jsonl_sink writes as a line and
// http_response answers a request with. Its keys are written out in jsonl_sink.h.
#pragma once

#include <nlohmann/json.hpp>

#include "sluice/sluice.h"

namespace sluice::sinks {

// The results of one input set; nullptr for an input not connected (no key then).
struct ResultInputs {
  const Detections* detections = nullptr;
  const Classifications* classifications = nullptr;
  const SegmentationMask* mask = nullptr;
  const Values* values = nullptr;
  const Embedding* embedding = nullptr;
  const Events* events = nullptr;
};

// The inputs of a node that declares the six result ports under these names (kDetections,
// kClassifications, kMask, kValues, kEmbedding, kEvents), as jsonl_sink and http_response do.
template <class N>
ResultInputs result_inputs_of(const Context& ctx) {
  return {.detections = ctx.get_if(N::kDetections),
          .classifications = ctx.get_if(N::kClassifications),
          .mask = ctx.get_if(N::kMask),
          .values = ctx.get_if(N::kValues),
          .embedding = ctx.get_if(N::kEmbedding),
          .events = ctx.get_if(N::kEvents)};
}

// stream, seq, pts_us (and sub_index, frame_size, source when there is something to say),
// then a key per connected input. With `mask_rle` a mask's classes carry COCO run lengths.
nlohmann::json result_record(const PacketHeader& header, const ResultInputs& inputs, bool mask_rle);

}  // namespace sluice::sinks
