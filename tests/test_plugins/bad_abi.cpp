// A plugin built for ABI version 1, the one before the Context reached the runtime's state
// through sluice_sdk's functions (its inline accessors indexed the state's layout): the
// loader must refuse it by name, saying to rebuild it.
#include "sluice/node.h"

extern "C" __attribute__((visibility("default"))) const sluice::PluginDescriptor*
sluice_plugin_descriptor() {
  static const sluice::PluginDescriptor d{1, nullptr, 0};
  return &d;
}
