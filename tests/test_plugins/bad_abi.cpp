// A plugin built for ABI version 5, the one before Node::request_intake (its Node's table of
// virtual functions is shorter than this sluice's): the loader must refuse it by name, saying
// to rebuild it.
#include "sluice/node.h"

extern "C" __attribute__((visibility("default"))) const sluice::PluginDescriptor*
sluice_plugin_descriptor() {
  static const sluice::PluginDescriptor d{5, nullptr, 0};
  return &d;
}
