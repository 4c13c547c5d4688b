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

namespace sluice::onnx {

// One float32 blob holding `parts` concatenated along dimension 0 (a batch); every part
// must have the same dimensions after the first. No copy is made when `parts` is one
// contiguous float32 tensor: the blob then views its memory.
Result<cv::Mat> concat_rows(const std::vector<const Tensor*>& parts);

// A copy of an output blob that the node's packets can share: OpenCV reuses its output
// memory on the next forward pass. float32, int32 and uint8 keep their type; any other
// depth becomes float32.
std::shared_ptr<const cv::Mat> own_output(const cv::Mat& out);

// A tensor viewing rows [start, start + rows) of `blob` along dimension 0, which the
// tensor keeps alive.
Result<Tensor> rows_of(const std::shared_ptr<const cv::Mat>& blob, int64_t start, int64_t rows);

// The dimensions of an N-d blob.
std::vector<int64_t> blob_shape(const cv::Mat& blob);

}  // namespace sluice::onnx
