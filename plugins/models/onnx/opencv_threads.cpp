#include "opencv_threads.h"

#include <mutex>
#include <opencv2/core/utility.hpp>
#include <string>
#include <utility>

namespace sluice::models {
namespace {

struct Claims {
  std::mutex mu;
  int threads = 0;  // the count the holders agreed on
  int holders = 0;
  int before = 0;  // OpenCV's count before the first claim, restored after the last
};

Claims& claims() {
  static Claims c;
  return c;
}

}  // namespace

Result<OpenCvThreadClaim> OpenCvThreadClaim::claim(int threads) {
  if (threads <= 0) return OpenCvThreadClaim();
  Claims& c = claims();
  std::lock_guard lock(c.mu);
  if (c.holders > 0 && c.threads != threads)
    return invalid_argument("threads = " + std::to_string(threads) +
                            ", but another onnx node of this process is open with threads = " +
                            std::to_string(c.threads) +
                            "; OpenCV has one thread count per process (cv::setNumThreads), so "
                            "every onnx node must ask for the same count, or leave threads = 0");
  if (c.holders == 0) {
    c.before = cv::getNumThreads();
    c.threads = threads;
    cv::setNumThreads(threads);
  }
  ++c.holders;
  return OpenCvThreadClaim(threads);
}

void OpenCvThreadClaim::release() {
  if (threads_ == 0) return;
  Claims& c = claims();
  std::lock_guard lock(c.mu);
  if (--c.holders == 0) cv::setNumThreads(c.before);
  threads_ = 0;
}

OpenCvThreadClaim::OpenCvThreadClaim(OpenCvThreadClaim&& other) noexcept
    : threads_(std::exchange(other.threads_, 0)) {}

OpenCvThreadClaim& OpenCvThreadClaim::operator=(OpenCvThreadClaim&& other) noexcept {
  if (this != &other) {
    release();
    threads_ = std::exchange(other.threads_, 0);
  }
  return *this;
}

OpenCvThreadClaim::~OpenCvThreadClaim() { release(); }

}  // namespace sluice::models
