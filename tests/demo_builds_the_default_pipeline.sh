#!/usr/bin/env bash
# scripts/demo.sh builds only the CLI and some plugins (its demo_targets): every node type
# of the default pipeline, pipelines/detect.toml, must come from one of them, or the demo
# fails on a fresh machine while the full build hides it.
#   bash demo_builds_the_default_pipeline.sh SOURCE_DIR PLUGIN_DIR
set -euo pipefail
src=$1 plugins=$2
targets=" $(sed -n '/^demo_targets=(/,/)/p' "$src/scripts/demo.sh" | sed 's/demo_targets=//' | tr -d '()' | tr '\n' ' ') "
[[ "$targets" == *" sluice "* ]] || { echo "demo_targets in scripts/demo.sh does not build sluice itself"; exit 1; }
status=0
for type in $(sed -n 's/^plugin *= *"\([^"]*\)".*/\1/p' "$src/pipelines/detect.toml"); do
  manifest=$(grep -lx "type $type" "$plugins"/*.nodes || true)
  [ -n "$manifest" ] || { echo "no plugin library in $plugins provides '$type'"; status=1; continue; }
  target=$(basename "$manifest" .so.nodes)
  if [[ "$targets" != *" $target "* ]]; then
    echo "pipelines/detect.toml uses '$type' from $target, which demo_targets in scripts/demo.sh does not build"
    status=1
  fi
done
[ $status = 0 ] && echo "demo_targets build every node type of pipelines/detect.toml"
exit $status
