// A plugin built for ABI version 4, the one before Frame::origin and Detection::embedding (its
// Frame and Detection are smaller than this sluice's): the loader must refuse it by name, saying
// to rebuild it.
#include "sluice/node.h"

extern "C" __attribute__((visibility("default"))) const sluice::PluginDescriptor*
sluice_plugin_descriptor() {
  static const sluice::PluginDescriptor d{4, nullptr, 0};
  return &d;
}
