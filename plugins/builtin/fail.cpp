#include "fail.h"

namespace sluice::builtin {

Status Fail::open(const Params& p) {
  at_frames_ = p.get(kAtFrames);
  throw_ = p.get(kHow) == "throw";
  stage_ = p.get(kStage);
  message_ = p.get(kMessage);
  return stage_ == "open" ? failure() : ok();
}

Status Fail::process(Context& ctx) {
  if (stage_ == "process" &&
      std::find(at_frames_.begin(), at_frames_.end(), ctx.header().seq) != at_frames_.end())
    return failure();
  ctx.forward(kOut, ctx.take(kIn));
  return ok();
}

Status Fail::failure() const {
  if (throw_) throw std::runtime_error(message_);
  return internal_error(message_);
}

}  // namespace sluice::builtin
