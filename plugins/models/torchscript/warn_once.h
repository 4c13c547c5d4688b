// LibTorch warnings, printed once per node rather than at every forward pass, as one
// line of sluice's own.
//
// Some kernels warn on every call (qnnpack's dynamic quantized Linear: "qnnpack
// incorrectly ignores reduce_range", at each pass of a model made by quantize_dynamic),
// which would print thousands of identical lines over a video. c10's warning handler is per
// thread in LibTorch 1.13, so a node installs this one around its own open and forward
// passes (c10::Warning::WarningHandlerGuard) and leaves other threads' warnings alone.
// c10's own handler would log through glog (Debian builds LibTorch with it), whose first
// line is "WARNING: Logging before InitGoogleLogging() is written to STDERR": noise that a
// newcomer reads as an error.
#pragma once

#include <c10/util/Exception.h>
#include <sluice/text.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <string>

namespace sluice::models {

class WarnOnce final : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation&, const std::string& message, bool) override {
    {
      std::lock_guard lock(mu_);
      if (!seen_.insert(message).second) return;
    }
    const std::string line = "sluice: warning: torchscript: LibTorch says: " + printable(message) +
                             " (shown once per node)\n";
    std::fputs(line.c_str(), stderr);
  }

 private:
  std::mutex mu_;
  std::set<std::string> seen_;
};

}  // namespace sluice::models
