// guarded_call: runs a plugin's method and turns anything it throws into an error Status,
// so that no exception (and no type_info of a plugin library) crosses into the runtime.
#pragma once

#include <fmt/format.h>

#include <exception>

#include "sluice/status.h"

namespace sluice::runtime {

// `what` names the call in the message: "process threw: <what()>".
template <class F>
Status guarded_call(const char* what, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return internal_error(fmt::format("{} threw: {}", what, e.what()));
  } catch (...) {
    return internal_error(fmt::format("{} threw an exception that is not a std::exception", what));
  }
}

}  // namespace sluice::runtime
