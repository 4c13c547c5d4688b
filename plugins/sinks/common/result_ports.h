// The result inputs of a sink that writes result_record's record (result_record.h), declared
// once for jsonl_sink and redis_sink:
//
//   static constexpr Input<Detections> kDetections = result_ports::kDetections;
#pragma once

#include "sluice/sluice.h"

namespace sluice::sinks::result_ports {

inline constexpr Input<Detections> kDetections{
    .name = "detections", .description = "detections to write", .required = false};
inline constexpr Input<Classifications> kClassifications{
    .name = "classifications", .description = "classifications to write", .required = false};
inline constexpr Input<SegmentationMask> kMask{
    .name = "mask",
    .description = "a mask, written as its size and the share of each class",
    .required = false};
inline constexpr Input<Values> kValues{
    .name = "values", .description = "named numbers to write (regression)", .required = false};
inline constexpr Input<Embedding> kEmbedding{
    .name = "embedding",
    .description = "an embedding to write (a list of numbers)",
    .required = false};
inline constexpr Input<Events> kEvents{
    .name = "events",
    .description = "analytics events to write, with the counts on lines that have any",
    .required = false};

}  // namespace sluice::sinks::result_ports
