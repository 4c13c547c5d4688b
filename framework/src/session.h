// Session: everything a command needs about one pipeline file: its plugins loaded from
// the search path, and the file checked against them.
//
// Plugin search order: the build's plugin folder, then each --plugin-path, then
// SLUICE_PLUGIN_PATH, then the pipeline file's [pipeline] plugin_path.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline.h"

namespace sluice::runtime {

struct Session {
  std::unique_ptr<PluginRegistry> registry;  // before pipeline: the pipeline points into it
  PipelineSpec spec;
  Pipeline pipeline;
};

// Loads the plugins of the search path (without a pipeline file).
Result<std::unique_ptr<PluginRegistry>> load_plugins(
    const std::vector<std::string>& extra_dirs, const std::vector<std::string>& file_dirs = {});

// Reads, checks and prepares `path`. Problems with the file come back as Diagnostics
// (the Status is then invalid_argument); problems loading plugins as the Status.
Result<Session> open_session(const std::string& path, const std::vector<Override>& overrides,
                             const std::vector<std::string>& extra_plugin_dirs,
                             Diagnostics& diagnostics);

// Graphviz DOT of a checked pipeline: nodes with their type, links with port names and
// payload types, queue settings where they differ from the default.
std::string to_dot(const Pipeline& pipeline);

}  // namespace sluice::runtime
