// A user-facing error about a pipeline: where (file:line:column) and what.
#pragma once

#include <string>
#include <vector>

namespace sluice::runtime {

struct SourceLocation {
  std::string file;  // the pipeline file, or "--set" for a command-line override
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;
};

struct Diagnostic {
  SourceLocation where;
  std::string message;

  // "pipelines/x.toml:12:9: unknown param 'scroe' of node 'keep'; did you mean 'score'?"
  std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

// The closest of `candidates` to `name` when it is close enough to be a likely typo.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);
// "; did you mean 'x'?" or "" when nothing is close.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace sluice::runtime
