// A plugin built for another ABI version: the loader must refuse it by name.
#include "sluice/node.h"

extern "C" __attribute__((visibility("default"))) const sluice::PluginDescriptor*
sluice_plugin_descriptor() {
  static const sluice::PluginDescriptor d{sluice::kAbiVersion + 41, nullptr, 0};
  return &d;
}
