#!/usr/bin/env bash
# Fetches the real media (and, later, models) the tests and demos use into assets/,
# from Debian packages at pinned versions, checking every checksum. Does nothing when
# every file is already there with the right checksum.
#
#   bash scripts/fetch_assets.sh [--only DEST[,DEST...]] [ASSETS_DIR]   (default: <repo>/assets)
#
# --only fetches just those files (DEST as in the manifest, e.g. media/vtest.avi): the demo
# needs one video, not every package.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
only=""
if [ "${1:-}" = --only ]; then
  [ -n "${2:-}" ] || { echo "fetch_assets: --only needs a list of files" >&2; exit 2; }
  only=",$2,"
  shift 2
fi
OUT=${1:-$ROOT/assets}
MANIFEST=$ROOT/scripts/assets.manifest
mkdir -p "$OUT"

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# Which packages are needed: those with a file missing or wrong.
declare -A needed=() wanted=() versions=() deb_sums=()
while read -r kind a b c d; do
  case "$kind" in
    deb) versions[$a]=$b; deb_sums[$a]=$c ;;
    file)
      [ -z "$only" ] || [[ "$only" == *",$c,"* ]] || continue
      wanted[$c]=1
      sha_ok "$OUT/$c" "$d" || needed[$a]=1 ;;
  esac
done < <(grep -v -e '^#' -e '^$' "$MANIFEST")
if [ -n "$only" ]; then
  IFS=, read -ra asked <<< "${only:1:-1}"
  for f in "${asked[@]}"; do
    [ -n "${wanted[$f]:-}" ] || { echo "fetch_assets: '$f' is not in $MANIFEST" >&2; exit 2; }
  done
fi
[ ${#needed[@]} -eq 0 ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt's download sandbox user must be able to write here.
chmod 777 "$work"
for pkg in "${!needed[@]}"; do
  echo "fetch_assets: downloading $pkg=${versions[$pkg]}"
  apt-get download -q "$pkg=${versions[$pkg]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get download -q "$pkg=${versions[$pkg]}" >/dev/null; } || {
    echo "fetch_assets: cannot download $pkg=${versions[$pkg]} from the Debian archive" >&2; exit 1; }
  deb=$(ls "${pkg}"_*.deb)
  sha_ok "$deb" "${deb_sums[$pkg]}" || { echo "fetch_assets: checksum mismatch for $deb" >&2; exit 1; }
  dpkg-deb -x "$deb" "x-$pkg"
done
while read -r kind pkg path dest sum; do
  [ "$kind" = file ] || continue
  [ -n "${needed[$pkg]:-}" ] && [ -n "${wanted[$dest]:-}" ] || continue
  mkdir -p "$(dirname "$OUT/$dest")"
  cp "x-$pkg/$path" "$OUT/$dest"
  sha_ok "$OUT/$dest" "$sum" || { echo "fetch_assets: checksum mismatch for $dest" >&2; rm -f "$OUT/$dest"; exit 1; }
done < <(grep -v -e '^#' -e '^$' "$MANIFEST")
echo "fetch_assets: assets ready in $OUT"
