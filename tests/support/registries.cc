#include "tests/support/registries.h"

namespace sluice {

PluginRegistry builtinSources() {
  PluginRegistry registry;
  for (const PluginDescriptor* d : builtinPlugins()) {
    if (d->kind != PluginKind::Source) continue;
    Status st = registry.add(d, "built-in");
    (void)st;  // built-in names are unique (a unit test checks it)
  }
  return registry;
}

}  // namespace sluice
