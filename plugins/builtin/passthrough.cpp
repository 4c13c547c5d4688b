#include "passthrough.h"

namespace sluice::builtin {

Status Passthrough::process(Context& ctx) {
  ctx.forward(kOut, ctx.take(kIn));
  return ok();
}

}  // namespace sluice::builtin
