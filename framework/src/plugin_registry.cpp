#include "plugin_registry.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

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
    for (const auto& f : files) SLUICE_RETURN_IF_ERROR(load_file(f.string()));
  }
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
    t.create = descriptor->factories[i].create;
    t.file = canonical;
    t.library = lib;
    if (auto it = types_.find(t.contract.type); it != types_.end())
      return internal_error(fmt::format("node type '{}' is declared by both '{}' and '{}'",
                                        t.contract.type, it->second.file, canonical));
    for (const auto& other : found)
      if (other.contract.type == t.contract.type)
        return internal_error(
            fmt::format("plugin '{}' declares node type '{}' twice", canonical, t.contract.type));
    found.push_back(std::move(t));
  }
  for (auto& t : found) {
    std::string name = t.contract.type;
    types_.emplace(std::move(name), std::move(t));
  }
  files_.push_back(canonical);
  return ok();
}

const NodeType* PluginRegistry::find(const std::string& type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> PluginRegistry::type_names() const {
  std::vector<std::string> names;
  for (const auto& [name, t] : types_) names.push_back(name);
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
