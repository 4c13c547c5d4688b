#!/usr/bin/env bash
# The SDK's public headers may include only the standard library, OpenCV core and each
# other: a plugin author must not compile against the framework's own choices.
set -euo pipefail
sdk=${1:?usage: $0 SDK_INCLUDE_DIR}
bad=$(grep -rhn '^#include <' "$sdk" | grep -v -E '#include <(opencv2/core(\.hpp|/[a-z_]+\.hpp)|[a-z_]+)>' || true)
if [ -n "$bad" ]; then
  echo "SDK headers include something other than the standard library or OpenCV core:"
  echo "$bad"
  exit 1
fi
# And each header compiles on its own with only the SDK and OpenCV on the include path.
for h in $(cd "$sdk" && find sluice -name '*.h'); do
  echo "#include \"$h\"" | g++ -std=c++20 -fsyntax-only -x c++ -I "$sdk" -I /usr/include/opencv4 - \
    || { echo "header $h does not compile on its own"; exit 1; }
done
echo "SDK headers: standard library and OpenCV core only; each compiles alone"
