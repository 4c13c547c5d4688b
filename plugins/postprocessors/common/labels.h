// Label files: one class name per line, line i naming class i (blank lines count).
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "sluice/status.h"

namespace sluice::postprocessors {

inline Result<std::vector<std::string>> read_labels(const std::string& path) {
  std::vector<std::string> labels;
  if (path.empty()) return labels;
  std::ifstream in(path);
  if (!in) return not_found("cannot read label file '" + path + "'");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

// The label of class `id`, or "" when there is none.
inline std::string label_of(const std::vector<std::string>& labels, int id) {
  return id >= 0 && static_cast<std::size_t>(id) < labels.size() ? labels[id] : std::string();
}

}  // namespace sluice::postprocessors
