// A plugin built for ABI version 2, the one before the stream lifecycle hooks (its Node
// vtable is shorter than this sluice's): the loader must refuse it by name, saying to
// rebuild it.
#include "sluice/node.h"

extern "C" __attribute__((visibility("default"))) const sluice::PluginDescriptor*
sluice_plugin_descriptor() {
  static const sluice::PluginDescriptor d{2, nullptr, 0};
  return &d;
}
