#include "diagnostic.h"

#include <sluice/text.h>

#include <algorithm>

namespace sluice::runtime {

std::string Diagnostic::to_string() const {
  std::string out = where.file;
  if (where.line > 0) out += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  return printable(out + ": " + message);  // a file's bad bytes never reach the terminal
}

namespace {
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates) {
  // Close enough to be a typo: at most half the name's letters differ, and not the whole
  // candidate ("x" suggests nothing).
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, name.size() / 2) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(name, c);
    const bool prefix = c.rfind(name, 0) == 0 || name.rfind(c, 0) == 0;
    if (d < best_distance && (d < c.size() || prefix)) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string n = nearest_name(name, candidates);
  return n.empty() ? "" : "; did you mean '" + n + "'?";
}

}  // namespace sluice::runtime
