// A plugin built for ABI version 6, the one before RequestIntake::protocol (its
// RequestIntake's table of virtual functions is shorter than this sluice's): the loader must
// refuse it by name, saying to rebuild it.
#include "sluice/node.h"

extern "C" __attribute__((visibility("default"))) const sluice::PluginDescriptor*
sluice_plugin_descriptor() {
  static const sluice::PluginDescriptor d{6, nullptr, 0};
  return &d;
}
