// LibTorch warnings, printed once per node rather than at every forward pass.
//
// Some kernels warn on every call (qnnpack's dynamic quantized Linear: "qnnpack
// incorrectly ignores reduce_range", at each pass of a model made by quantize_dynamic),
// which would print thousands of identical lines over a video. c10's warning handler is per
// thread in LibTorch 1.13, so a node installs this one around its own forward passes
// (c10::Warning::WarningHandlerGuard) and leaves other threads' warnings alone.
#pragma once

#include <c10/util/Exception.h>

#include <mutex>
#include <set>
#include <string>

namespace sluice::torchscript {

class WarnOnce final : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation& where, const std::string& message,
               bool verbatim) override {
    {
      std::lock_guard lock(mu_);
      if (!seen_.insert(message).second) return;
    }
    c10::WarningHandler().process(where, message + " (shown once per node)", verbatim);
  }

 private:
  std::mutex mu_;
  std::set<std::string> seen_;
};

}  // namespace sluice::torchscript
