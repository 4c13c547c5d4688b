// Between sluice::Tensor (the SDK's payload) and the N-dimensional cv::Mat blobs that
// OpenCV's DNN module takes and returns. OpenCV DNN computes in float32 on the CPU, so
// inputs are float32 blobs whatever their dtype.
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "sluice/payloads.h"
#include "sluice/status.h"
#include "sluice/text.h"

namespace sluice::models {

// A float32 blob of `t`'s shape: a view of its memory when it is float32 (setInput copies
// it), else a widened copy.
Result<cv::Mat> to_blob(const Tensor& t);

// A tensor holding a copy of an output blob, which it owns: OpenCV reuses its output
// memory on the next forward pass. float32, int32 and uint8 keep their type; any other
// depth becomes float32.
Result<Tensor> to_tensor(const cv::Mat& out);

}  // namespace sluice::models
