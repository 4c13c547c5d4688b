// PluginRegistry: finds plugin libraries on the search path, loads them with Boost.DLL,
// checks their ABI version and collects the node types they declare.
//
// A plugin file is a shared library named sluice_*.so in a search folder. Every node
// made from a library holds a reference to it, so no plugin object outlives its code.
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

  // Loads every sluice_*.so of each folder, in order. Errors name the file(s): a library
  // that fails to load, has no descriptor, carries another ABI version, or declares a
  // node type that another library already declares. A folder that does not exist is an
  // error too, except the default one.
  Status load_dirs(const std::vector<std::string>& dirs);
  Status load_file(const std::string& path);

  const NodeType* find(const std::string& type) const;
  std::vector<std::string> type_names() const;
  const std::map<std::string, NodeType>& types() const { return types_; }
  const std::vector<std::string>& loaded_files() const { return files_; }

 private:
  std::map<std::string, NodeType> types_;
  std::vector<std::string> files_;
};

}  // namespace sluice::runtime
