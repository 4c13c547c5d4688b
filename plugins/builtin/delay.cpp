#include "delay.h"

namespace sluice::builtin {

Status Delay::open(const Params& p) {
  ms_ = p.get(kMs);
  jitter_ms_ = p.get(kJitterMs);
  return ok();
}

Status Delay::process(Context& ctx) {
  double ms = ms_;
  if (jitter_ms_ > 0) ms += std::uniform_real_distribution<double>(0, jitter_ms_)(rng_);
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms));
  ctx.forward(kOut, ctx.take(kIn));
  return ok();
}

}  // namespace sluice::builtin
