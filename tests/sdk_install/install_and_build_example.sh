#!/usr/bin/env bash
# Installs a built sluice into a temporary prefix, builds examples/score_filter against
# the installed CMake package (as an out-of-tree plugin project would), runs the
# example's NodeHarness tests, then runs the INSTALLED `sluice` on the example pipeline.
#
#   install_and_build_example.sh BUILD_DIR SOURCE_DIR
#
# Exits non-zero, naming the failed step, on any failure. The temporary folder is removed
# at the end (set SLUICE_KEEP_TMP=1 to keep it for a look).
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
SOURCE_DIR=$(cd "$2" && pwd) || usage
EXAMPLE_SRC="$SOURCE_DIR/examples/score_filter"

STEP="setup"
fail() { echo "sdk_install: FAILED at step '$STEP': $*" >&2; exit 1; }
step() { STEP="$1"; echo "sdk_install: == $STEP"; }
# Runs a command, printing it; on failure names the step and shows the output.
run() {
  echo "+ $*"
  "$@" || fail "command exited with $?: $*"
}

[[ -f "$BUILD_DIR/CMakeCache.txt" ]] || fail "'$BUILD_DIR' is not a CMake build folder"
[[ -f "$EXAMPLE_SRC/CMakeLists.txt" ]] || fail "no example at '$EXAMPLE_SRC'"
command -v ninja >/dev/null || fail "ninja not found on PATH"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-sdk-install.XXXXXX")
cleanup() {
  if [[ "${SLUICE_KEEP_TMP:-0}" == 1 ]]; then echo "sdk_install: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
PREFIX="$TMP/prefix"
EXAMPLE_BUILD="$TMP/score_filter-build"
# Only the installed defaults and --plugin-path: nothing from the caller's environment.
unset SLUICE_PLUGIN_PATH

# Settings of the sluice build that the example build must share.
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt" | head -n 1; }
EXTRA_ARGS=()
CXX_COMPILER=$(cache_value CMAKE_CXX_COMPILER)
[[ -n "$CXX_COMPILER" ]] && EXTRA_ARGS+=("-DCMAKE_CXX_COMPILER=$CXX_COMPILER")
BUILD_TYPE=$(cache_value CMAKE_BUILD_TYPE)
[[ -n "$BUILD_TYPE" ]] && EXTRA_ARGS+=("-DCMAKE_BUILD_TYPE=$BUILD_TYPE")
CCACHE=$(cache_value CCACHE_PROGRAM)
[[ -n "$CCACHE" && "$CCACHE" != *NOTFOUND ]] && EXTRA_ARGS+=("-DCMAKE_CXX_COMPILER_LAUNCHER=$CCACHE")
if [[ "$(cache_value SLUICE_TSAN)" == ON ]]; then  # an instrumented sluice needs instrumented users
  EXTRA_ARGS+=("-DCMAKE_CXX_FLAGS=-fsanitize=thread" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread"
               "-DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=thread")
fi

step "install $BUILD_DIR into $PREFIX"
echo "+ cmake --install $BUILD_DIR --prefix $PREFIX"
cmake --install "$BUILD_DIR" --prefix "$PREFIX" >"$TMP/install.log" 2>&1 ||
  fail "cmake --install failed:"$'\n'"$(cat "$TMP/install.log")"
SLUICE="$PREFIX/bin/sluice"
[[ -x "$SLUICE" ]] || fail "no installed sluice at $SLUICE"
CONFIG=$(find "$PREFIX" -name sluiceConfig.cmake -print -quit)
[[ -n "$CONFIG" ]] || fail "no sluiceConfig.cmake installed under $PREFIX"
BUILTIN=$(find "$PREFIX" -name 'sluice_builtin.so' -print -quit)
[[ -n "$BUILTIN" ]] || fail "no built-in plugin library (sluice_builtin.so) installed under $PREFIX"

step "configure examples/score_filter against $PREFIX"
run cmake -S "$EXAMPLE_SRC" -B "$EXAMPLE_BUILD" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF "${EXTRA_ARGS[@]}"
SLUICE_DIR=$(sed -n 's/^sluice_DIR:[A-Z]*=//p' "$EXAMPLE_BUILD/CMakeCache.txt")
[[ "$SLUICE_DIR" == "$PREFIX"/* ]] || fail "find_package(sluice) found '$SLUICE_DIR', not the package under $PREFIX"

step "build examples/score_filter"
run cmake --build "$EXAMPLE_BUILD"
[[ -f "$EXAMPLE_BUILD/sluice_score_filter.so" ]] ||
  fail "sluice_add_plugin(score_filter ...) did not produce $EXAMPLE_BUILD/sluice_score_filter.so"
[[ -x "$EXAMPLE_BUILD/test_score_filter" ]] ||
  fail "test_score_filter was not built (is GTest installed? see the configure output above)"

step "run the example's NodeHarness tests"
run ctest --test-dir "$EXAMPLE_BUILD" --output-on-failure --no-tests=error

step "check the installed sluice uses the installed runtime and plugins"
if command -v ldd >/dev/null; then
  RUNTIME_LIB=$(ldd "$SLUICE" | sed -n 's/^[[:space:]]*libsluice_runtime[^ ]* => \([^ ]*\).*/\1/p')
  [[ "$RUNTIME_LIB" == "$PREFIX"/* ]] ||
    fail "installed sluice loads libsluice_runtime from '${RUNTIME_LIB:-nowhere}', not from $PREFIX"
fi
INSPECT_COUNT=$("$SLUICE" inspect count_sink) || fail "installed sluice cannot find count_sink: $INSPECT_COUNT"
grep -q "library: $PREFIX/" <<<"$INSPECT_COUNT" ||
  fail "installed sluice loads count_sink from outside $PREFIX:"$'\n'"$INSPECT_COUNT"

step "sluice inspect score_filter"
INSPECT=$("$SLUICE" inspect score_filter --plugin-path "$EXAMPLE_BUILD" 2>&1) ||
  fail "sluice inspect score_filter failed:"$'\n'"$INSPECT"
echo "$INSPECT"
for want in "score_filter (postprocessor)" "library: $EXAMPLE_BUILD/sluice_score_filter.so" \
            "min_score" "= 0.5" "[0 .. 1]" "top_k" "= 100" "[1 .. 10000]"; do
  grep -qF -- "$want" <<<"$INSPECT" || fail "sluice inspect score_filter does not print '$want'"
done

step "sluice run examples/score_filter/pipeline.toml"
FRAMES=37
COUNTS="$TMP/counts.json"
run "$SLUICE" run "$EXAMPLE_SRC/pipeline.toml" --plugin-path "$EXAMPLE_BUILD" --quiet \
  --set "nodes.src.frames=$FRAMES" --set "nodes.count.path=$COUNTS"
[[ -f "$COUNTS" ]] || fail "count_sink wrote no $COUNTS"
cat "$COUNTS"
grep -q "\"total\": $FRAMES," "$COUNTS" || fail "count_sink counted $(cat "$COUNTS"), expected total $FRAMES"
grep -q '"in_order": true' "$COUNTS" || fail "packets arrived out of order: $(cat "$COUNTS")"

step "sluice run rejects min_score = 2.0"
set +e
BAD=$("$SLUICE" run "$EXAMPLE_SRC/pipeline.toml" --plugin-path "$EXAMPLE_BUILD" --quiet \
  --set nodes.keep.min_score=2.0 2>&1)
BAD_RC=$?
set -e
[[ $BAD_RC -eq 2 ]] || fail "expected exit 2 for min_score = 2.0, got $BAD_RC:"$'\n'"$BAD"
grep -q "min_score" <<<"$BAD" || fail "the error for min_score = 2.0 does not name the param:"$'\n'"$BAD"

echo "sdk_install: all steps passed"
