#include "null_sink.h"

namespace sluice::builtin {}  // namespace sluice::builtin
