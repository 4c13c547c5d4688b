#include "queue_spec.h"

namespace sluice::runtime {

const char* to_string(Overflow o) {
  switch (o) {
    case Overflow::kBlock:
      return "block";
    case Overflow::kDropOldest:
      return "drop_oldest";
    case Overflow::kDropNewest:
      return "drop_newest";
  }
  return "block";
}

}  // namespace sluice::runtime
