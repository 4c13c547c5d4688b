// OpenCV's thread count is one setting for the whole process (cv::setNumThreads sets the
// size of its one TBB arena here), shared by every onnx node and by every other OpenCV
// call in the process (resize, colour conversion). So two onnx nodes cannot each have
// their own count the way torchscript nodes can (LibTorch's OpenMP count is per thread).
//
// An onnx node with `threads = N` (N > 0) claims the setting for as long as it is open:
// cv::setNumThreads(N) at open. A second node asking for a different N while the first is
// open is refused, with a message saying why; asking for the same N shares the claim.
// When the last claim goes, OpenCV's count is put back to what it was before the first.
#pragma once

#include "sluice/status.h"

namespace sluice::models {

class OpenCvThreadClaim {
 public:
  OpenCvThreadClaim() = default;  // claims nothing
  OpenCvThreadClaim(OpenCvThreadClaim&& other) noexcept;
  OpenCvThreadClaim& operator=(OpenCvThreadClaim&& other) noexcept;
  OpenCvThreadClaim(const OpenCvThreadClaim&) = delete;
  OpenCvThreadClaim& operator=(const OpenCvThreadClaim&) = delete;
  ~OpenCvThreadClaim();

  // Sets OpenCV's thread count to `threads` for the process, or fails when another open
  // onnx node holds a different count.
  static Result<OpenCvThreadClaim> claim(int threads);

 private:
  explicit OpenCvThreadClaim(int threads) : threads_(threads) {}
  void release();
  int threads_ = 0;  // 0: holds no claim
};

}  // namespace sluice::models
