#include "plugin_registry.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline_spec.h"

namespace fs = std::filesystem;

namespace sluice::runtime {

std::string PluginRegistry::default_plugin_dir() {
  // The runtime library lives in <build>/lib (or <prefix>/lib); plugins in <build>/plugins
  // (or <prefix>/lib/sluice/plugins when installed).
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&PluginRegistry::default_plugin_dir), &info) &&
      info.dli_fname) {
    const fs::path lib_dir = fs::path(info.dli_fname).parent_path();
    for (const fs::path& candidate :
         {lib_dir.parent_path() / "plugins", lib_dir / "sluice" / "plugins"})
      if (fs::is_directory(candidate)) return candidate.string();
  }
  return SLUICE_BUILD_PLUGIN_DIR;
}

std::vector<std::string> PluginRegistry::env_plugin_dirs() {
  std::vector<std::string> dirs;
  const char* env = std::getenv("SLUICE_PLUGIN_PATH");
  if (!env) return dirs;
  std::stringstream ss(env);
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty()) dirs.push_back(dir);
  return dirs;
}

namespace {

Status declared_twice(const std::string& type, const std::string& file, const std::string& other) {
  return internal_error(
      fmt::format("node type '{}' is declared by both '{}' and '{}'", type, file, other));
}

// A manifest is used only when it is for this ABI and for this very library file (same
// size); anything else means "load the library to find out".
bool read_manifest(const std::string& library, std::vector<std::string>& types) {
  std::ifstream in(library + ".nodes");
  if (!in) return false;
  bool abi_ok = false, size_ok = false;
  std::error_code ec;
  const auto size = fs::file_size(library, ec);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "abi")
      abi_ok = value == std::to_string(kAbiVersion);
    else if (key == "library_size")
      size_ok = !ec && value == std::to_string(size);
    else if (key == "type" && !value.empty())
      types.push_back(value);
  }
  return abi_ok && size_ok && !types.empty();
}

}  // namespace

Status PluginRegistry::load_dirs(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return not_found("plugin folder '" + dir + "' does not exist");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("sluice_", 0) == 0 && entry.path().extension() == ".so")
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string canonical = fs::weakly_canonical(f).string();
      std::vector<std::string> types;
      if (read_manifest(canonical, types)) {
        for (const auto& t : types) SLUICE_RETURN_IF_ERROR(add_pending(t, canonical));
      } else {
        SLUICE_RETURN_IF_ERROR(load_file(canonical));
      }
    }
  }
  return ok();
}

Status PluginRegistry::add_pending(const std::string& type, const std::string& file) {
  if (auto it = types_.find(type); it != types_.end() && it->second.file != file)
    return declared_twice(type, it->second.file, file);
  if (auto it = pending_.find(type); it != pending_.end() && it->second != file)
    return declared_twice(type, it->second, file);
  pending_[type] = file;
  return ok();
}

std::vector<std::string> PluginRegistry::pending_files() const {
  std::vector<std::string> files;
  for (const auto& [type, file] : pending_)
    if (std::find(files.begin(), files.end(), file) == files.end() &&
        std::find(files_.begin(), files_.end(), file) == files_.end())
      files.push_back(file);
  return files;
}

Status PluginRegistry::load_all() {
  for (const auto& file : pending_files()) SLUICE_RETURN_IF_ERROR(load_file(file));
  return ok();
}

Result<const NodeType*> PluginRegistry::lookup(const std::string& type) {
  if (auto it = types_.find(type); it != types_.end()) return &it->second;
  auto pending = pending_.find(type);
  if (pending == pending_.end()) return static_cast<const NodeType*>(nullptr);
  const std::string file = pending->second;
  SLUICE_RETURN_IF_ERROR(load_file(file));
  if (auto it = types_.find(type); it != types_.end()) return &it->second;
  return internal_error(
      fmt::format("plugin '{}' does not declare node type '{}' although its manifest says so: the "
                  "manifest is stale (rebuild the plugin, or delete '{}.nodes')",
                  file, type, file));
}

Status PluginRegistry::write_manifest(const std::string& library) {
  PluginRegistry alone;
  SLUICE_RETURN_IF_ERROR(alone.load_file(library));
  const std::string path = library + ".nodes";
  std::ofstream out(path);
  out << "# sluice plugin manifest: the node types of " << fs::path(library).filename().string()
      << ", so that it is loaded only when one is used. Written by `sluice plugin-manifest`.\n";
  out << "abi " << kAbiVersion << "\n";
  out << "library_size " << fs::file_size(library) << "\n";
  for (const auto& [name, t] : alone.types()) out << "type " << name << "\n";
  out.close();
  if (!out) return internal_error("cannot write '" + path + "'");
  return ok();
}

Status PluginRegistry::load_file(const std::string& path) {
  const std::string canonical = fs::weakly_canonical(path).string();
  if (std::find(files_.begin(), files_.end(), canonical) != files_.end()) return ok();

  std::shared_ptr<boost::dll::shared_library> lib;
  try {
    lib = std::make_shared<boost::dll::shared_library>(
        canonical, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    const char* why = dlerror();
    return internal_error(
        fmt::format("plugin '{}' failed to load: {}", canonical, why ? why : e.what()));
  }
  if (!lib->has(SLUICE_PLUGIN_ENTRY_SYMBOL))
    return internal_error(
        fmt::format("plugin '{}' exports no '{}': is it built with SLUICE_EXPORT_NODES?", canonical,
                    SLUICE_PLUGIN_ENTRY_SYMBOL));
  const PluginDescriptor* descriptor = nullptr;
  try {
    descriptor = lib->get<const PluginDescriptor*()>(SLUICE_PLUGIN_ENTRY_SYMBOL)();
  } catch (const std::exception& e) {
    return internal_error(fmt::format("plugin '{}': descriptor failed: {}", canonical, e.what()));
  }
  if (!descriptor)
    return internal_error(fmt::format("plugin '{}' returned no descriptor", canonical));
  if (descriptor->abi_version != kAbiVersion)
    return internal_error(fmt::format(
        "plugin '{}' was built for sluice ABI version {}, this sluice has version {}: rebuild it "
        "against this SDK",
        canonical, descriptor->abi_version, kAbiVersion));

  std::vector<NodeType> found;
  for (std::size_t i = 0; i < descriptor->count; ++i) {
    NodeType t;
    try {
      t.contract = descriptor->factories[i].contract();
    } catch (const std::exception& e) {
      return internal_error(
          fmt::format("plugin '{}': contract {} threw: {}", canonical, i, e.what()));
    }
    std::size_t unmatched = 0;
    for (const auto& in : t.contract.inputs) unmatched += in.matched ? 0 : 1;
    if (unmatched != 0 && unmatched != t.contract.inputs.size())
      return internal_error(fmt::format(
          "plugin '{}': node type '{}' mixes matched and unmatched inputs; make all of them "
          "matched = false, or none",
          canonical, t.contract.type));
    // The pipeline file reads these keys of a node itself: a param of the same name could
    // never be set (`queue = 2` would be read as the node's input queue).
    for (const auto& param : t.contract.params)
      for (const char* reserved : kNodeKeys)
        if (param.name == reserved)
          return internal_error(fmt::format(
              "plugin '{}': node type '{}' declares a param named '{}', a key the pipeline file "
              "keeps for every node (plugin, queue, queues, on_error, replicas): rename it",
              canonical, t.contract.type, reserved));
    t.create = descriptor->factories[i].create;
    t.file = canonical;
    t.library = lib;
    if (auto it = types_.find(t.contract.type); it != types_.end())
      return declared_twice(t.contract.type, it->second.file, canonical);
    for (const auto& other : found)
      if (other.contract.type == t.contract.type)
        return internal_error(
            fmt::format("plugin '{}' declares node type '{}' twice", canonical, t.contract.type));
    found.push_back(std::move(t));
  }
  for (const auto& t : found)
    if (auto it = pending_.find(t.contract.type); it != pending_.end() && it->second != canonical)
      return declared_twice(t.contract.type, it->second, canonical);
  for (auto& t : found) {
    std::string name = t.contract.type;
    pending_.erase(name);
    types_.emplace(std::move(name), std::move(t));
  }
  files_.push_back(canonical);
  return ok();
}

std::vector<std::string> PluginRegistry::type_names() const {
  std::vector<std::string> names;
  for (const auto& [name, t] : types_) names.push_back(name);
  for (const auto& [name, file] : pending_)
    if (!types_.count(name)) names.push_back(name);
  return names;
}

Result<NodePtr> create_node(const NodeType& t) {
  Node* raw = nullptr;
  try {
    raw = t.create();
  } catch (const std::exception& e) {
    return internal_error(fmt::format("creating a '{}' node threw: {}", t.contract.type, e.what()));
  } catch (...) {
    return internal_error(fmt::format("creating a '{}' node threw", t.contract.type));
  }
  if (!raw)
    return internal_error(fmt::format("plugin '{}' created no '{}' node", t.file, t.contract.type));
  std::shared_ptr<const void> library = t.library;
  return NodePtr(raw, [library](Node* n) { delete n; });
}

}  // namespace sluice::runtime
