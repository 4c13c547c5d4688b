// The keys every [nodes.NAME] table may hold besides the node type's params, listed once:
// the pipeline file reader handles each (pipeline_spec.cpp), the param check suggests them
// for a misspelt name, and `sluice inspect` prints them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::runtime {

struct FrameworkKey {
  std::string_view name;
  std::string_view example;  // as written in a pipeline file
  std::string_view meaning;
};

inline constexpr FrameworkKey kFrameworkKeys[] = {
    {"plugin", "plugin = \"resize\"", "the node type"},
    {"queue", "queue = { capacity = 8, overflow = \"block\" }",
     "every input's queue: its capacity, and what a full one does (block, drop_oldest, "
     "drop_newest)"},
    {"queues", "queues = { frame = { capacity = 2 } }", "one input's queue, by port name"},
    {"on_error", "on_error = \"skip\"",
     "fail (the default: the run stops) or skip (the failing input set is dropped and counted)"},
    {"replicas", "replicas = 2",
     "instances of a stateless node type, each on its own thread (default 1)"},
};

bool is_framework_key(std::string_view key);
std::vector<std::string> framework_key_names();

}  // namespace sluice::runtime
