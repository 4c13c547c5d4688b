// A plugin built for ABI version 3, the one before Detection::velocity and instance masks (its
// Detection is smaller than this sluice's): the loader must refuse it by name, saying to rebuild
// it.
#include "sluice/node.h"

extern "C" __attribute__((visibility("default"))) const sluice::PluginDescriptor*
sluice_plugin_descriptor() {
  static const sluice::PluginDescriptor d{3, nullptr, 0};
  return &d;
}
