// PluginRegistry: finds plugin libraries on the search path, loads them with Boost.DLL,
// checks their ABI version and collects the node types they declare.
//
// A plugin file is a shared library named sluice_*.so in a search folder. Every node
// made from a library holds a reference to it, so no plugin object outlives its code.
//
// Loading a library can be slow (LibTorch takes about a second), so a library is loaded
// only when one of its node types is used, when its manifest says which types it holds:
// `sluice_x.so.nodes`, written at build time by `sluice plugin-manifest` (the CMake helper
// sluice_add_plugin does it). A library without an up-to-date manifest is loaded at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/node.h"

namespace sluice::runtime {

struct NodeType {
  Contract contract;
  Node* (*create)() = nullptr;
  std::string file;                     // the library that declares it
  std::shared_ptr<const void> library;  // keeps that library loaded
};

// A node instance whose deleter keeps its library loaded until the node is gone.
using NodePtr = std::unique_ptr<Node, std::function<void(Node*)>>;

// Makes a node of `type`; anything the plugin's constructor throws becomes an error.
Result<NodePtr> create_node(const NodeType& type);

class PluginRegistry {
 public:
  // The build's plugin folder (next to the sluice binary, or where the runtime library
  // was built), which is searched first.
  static std::string default_plugin_dir();
  // Folders listed in SLUICE_PLUGIN_PATH (colon-separated).
  static std::vector<std::string> env_plugin_dirs();

  // Finds every sluice_*.so of each folder, in order: reads its manifest, or loads it.
  // Errors name the file(s): a library that fails to load, has no descriptor, carries
  // another ABI version, or declares a node type that another library already declares.
  // A folder that does not exist is an error.
  Status load_dirs(const std::vector<std::string>& dirs);
  // Loads one library now.
  Status load_file(const std::string& path);
  // Loads every library not loaded yet (to list or inspect everything).
  Status load_all();

  // The node type, loading its library if needed; nullptr when no library declares it.
  Result<const NodeType*> lookup(const std::string& type);
  // Every declared type name, loaded or not.
  std::vector<std::string> type_names() const;
  // The types of the loaded libraries.
  const std::map<std::string, NodeType>& types() const { return types_; }
  const std::vector<std::string>& loaded_files() const { return files_; }
  std::size_t library_count() const { return files_.size() + pending_files().size(); }

  // Writes `library`'s manifest (`library`.nodes) after loading it alone.
  static Status write_manifest(const std::string& library);

 private:
  std::vector<std::string> pending_files() const;
  Status add_pending(const std::string& type, const std::string& file);

  std::map<std::string, NodeType> types_;
  std::vector<std::string> files_;              // loaded libraries
  std::map<std::string, std::string> pending_;  // type -> library not loaded yet
};

}  // namespace sluice::runtime
