#include "framework_keys.h"

namespace sluice::runtime {

bool is_framework_key(std::string_view key) {
  for (const FrameworkKey& k : kFrameworkKeys)
    if (k.name == key) return true;
  return false;
}

std::vector<std::string> framework_key_names() {
  std::vector<std::string> names;
  for (const FrameworkKey& k : kFrameworkKeys) names.emplace_back(k.name);
  return names;
}

}  // namespace sluice::runtime
